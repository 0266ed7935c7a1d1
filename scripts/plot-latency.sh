#!/bin/bash
# plot-latency.sh <console log> <tag> <png> <title> [<mark1> <label1>
# <mark2> <label2>]: plot fio's write completion latency over time from
# the <tag>-LAT lines of a VM console log (time in ms since fio's start,
# latency in ns, one per 100 ms), with the moments of the two <tag>-MARK
# lines marked (by default "fail" and "recover").  Used by make demo
# (DEMO), make demo-2host (DEMO2) and make bench (BENCH).  Writes <png>
# and <png%.png>.dat; exits 1 when the log holds no latency data or no
# marks.  PLOT_GAP_S (default 1): the write phase ends at the first gap
# of that many seconds without a completion.
set -euo pipefail
log=$1 tag=$2 png=$3 title=$4
m1=${5:-fail} l1=${6:-controller 0 fails: relink, write-through}
m2=${7:-recover} l2=${8:-recover, failback: mirrored again}
dat=${png%.png}.dat
# the write phase: up to the first gap of a second (fio's verify phase
# logs a stray write entry or two)
grep "^$tag-LAT " "$log" |
	awk -v gap="${PLOT_GAP_S:-1}" '{ t = $2 / 1000; if (NR > 1 && t - prev > gap) exit; prev = t
	       printf "%.1f %.3f\n", t, $3 / 1e6 }' > "$dat"
mark() { grep "^$tag-MARK $1 " "$log" | awk '{ printf "%.1f", $3 / 1000 }'; }
t_fail=$(mark "$m1") t_rec=$(mark "$m2")
if ! [ -s "$dat" ] || [ -z "$t_fail" ] || [ -z "$t_rec" ]; then
	echo "plot-latency: no $tag latency data or marks in $log"
	exit 1
fi
if ! command -v gnuplot >/dev/null; then
	echo "plot-latency: no gnuplot: data in $dat"
	exit 0
fi
gnuplot <<GP
set terminal pngcairo size 1000,500 noenhanced
set output "$png"
set title "$title"
set xlabel "time (s)"
set ylabel "completion latency (ms, log scale)"
set grid
set key bottom left
set logscale y
set yrange [0.05:*]
set arrow from $t_fail, graph 0 to $t_fail, graph 1 nohead lc rgb "red" lw 2
set label "$l1" at $t_fail, graph 0.95 offset 0.5,0 tc rgb "red"
set arrow from $t_rec, graph 0 to $t_rec, graph 1 nohead lc rgb "dark-green" lw 2
set label "$l2" at $t_rec, graph 0.88 offset 0.5,0 tc rgb "dark-green"
plot "$dat" using 1:2 with lines lw 2 title "write completion latency"
GP
echo "plot: $png ($m1 at ${t_fail} s, $m2 at ${t_rec} s)"
