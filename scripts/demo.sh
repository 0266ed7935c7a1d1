#!/bin/bash
# make demo: boot the VM and run tests/vm/_demo.sh (a controller fails and
# recovers under fio write+verify), then plot fio's completion latency over
# time with the failure and the failback marked: build/demo/latency.png.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/demo
mkdir -p "$OUT"
rc=0
bash scripts/vm/run.sh --build --script _demo --timeout 300 |
	tee "$OUT/console.log" | grep -v -E '^DEMO-(LAT|MARK) ' || rc=$?
# the write phase: up to the first gap of a second (fio's verify phase
# logs a stray write entry or two)
grep '^DEMO-LAT ' "$OUT/console.log" |
	awk '{ t = $2 / 1000; if (NR > 1 && t - prev > 1) exit; prev = t
	       printf "%.1f %.3f\n", t, $3 / 1e6 }' > "$OUT/latency.dat"
mark() { grep "^DEMO-MARK $1 " "$OUT/console.log" | awk '{ printf "%.1f", $3 / 1000 }'; }
t_fail=$(mark fail) t_rec=$(mark recover)
if [ -s "$OUT/latency.dat" ] && [ -n "$t_fail" ] && [ -n "$t_rec" ]; then
	gnuplot <<GP
set terminal pngcairo size 1000,500 noenhanced
set output "$OUT/latency.png"
set title "dm-mirrorcache: 4 KiB random write completion latency (fio, 100 ms averages; QEMU TCG)"
set xlabel "time (s)"
set ylabel "completion latency (ms, log scale)"
set grid
set logscale y
set yrange [0.05:*]
set arrow from $t_fail, graph 0 to $t_fail, graph 1 nohead lc rgb "red" lw 2
set label "controller 0 fails: relink, write-through" at $t_fail, graph 0.95 offset 0.5,0 tc rgb "red"
set arrow from $t_rec, graph 0 to $t_rec, graph 1 nohead lc rgb "dark-green" lw 2
set label "recover, failback: mirrored again" at $t_rec, graph 0.88 offset 0.5,0 tc rgb "dark-green"
plot "$OUT/latency.dat" using 1:2 with lines lw 2 title "write completion latency"
GP
	echo
	echo "plot: $OUT/latency.png (fail at ${t_fail} s, failback at ${t_rec} s)"
else
	echo "demo: no latency data in $OUT/console.log"
	rc=1
fi
exit $rc
