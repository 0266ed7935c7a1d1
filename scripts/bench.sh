#!/bin/bash
# make bench: run every contender in one VM boot (tests/vm/_bench.sh) and
# print one table with ratios and the targets of issue 10; write
# build/bench/results.{txt,png} and failover.png (latency over time
# across a failover and a failback).
# Numbers come from QEMU TCG: compare them within one run only.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/bench
mkdir -p "$OUT"
bash scripts/vm/run.sh --build --nvdimm --script _bench --timeout 3600 | tee "$OUT/console.log" |
	grep -E '^(BENCH|bench:)' || true
grep -q '^BENCH-DONE' "$OUT/console.log" || { echo "bench: the VM run did not finish"; exit 1; }
# One line per contender, workload and jobs: the median run by IOPS, and
# the lowest and highest IOPS of its runs (three rounds).
grep -o 'BENCH [a-z].*' "$OUT/console.log" | cut -d' ' -f2- > "$OUT/all.txt"
sort -k1,1 -k2,2 -k3,3n -k4,4n "$OUT/all.txt" | awk '
	{ k = $1 " " $2 " " $3; n[k]++; r[k, n[k]] = $0; v[k, n[k]] = $4; if (!(k in o)) o[k] = ++m; K[o[k]] = k }
	END { for (i = 1; i <= m; i++) { k = K[i]; print r[k, int((n[k] + 1) / 2)], v[k, 1], v[k, n[k]], n[k] } }' > "$OUT/raw.txt"

KVER=$(ls -d /lib/modules/6.1.0-*-amd64 | sort -V | tail -n 1 | xargs basename)
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
# ratio <contender a> <contender b> <workload> <jobs> [p50]: a / b of the medians
ratio() {
	awk -v a="$1" -v b="$2" -v w="$3" -v j="$4" -v f="${5:-iops}" '
		$2 == w && $3 == j { x = (f == "p50") ? $5 : $4; if ($1 == a) va = x; if ($1 == b) vb = x }
		END { if (va > 0 && vb > 0) printf "%.2f", va / vb; else printf "-" }' "$OUT/raw.txt"
}
# target <text> <value> <op> <bound>
target() {
	awk -v t="$1" -v v="$2" -v op="$3" -v b="$4" 'BEGIN {
		ok = (v == "-") ? "n/a" : ((op == ">=" ? v + 0 >= b : v + 0 <= b) ? "met" : "missed");
		printf "  %-58s %6s  (target %s %s)  %s\n", t, v, op, b, ok }'
}
{
	echo "dm-mirrorcache benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(nproc) cores, $CPU; guest: QEMU TCG, 2 vCPUs, Debian kernel $KVER"
	echo "slow disks: brd behind dm-delay 1 ms; working set 32 MiB per job, job j on the j-th half of the device; runtime 5 s per run"
	echo "every contender ran three times, interleaved; IOPS is the median run's, [lowest-highest] of the runs; p50/p99 of the median run"
	echo
	printf '%-12s %-15s %4s %9s %19s %8s %8s\n' contender workload jobs IOPS "[spread]" p50_us p99_us
	sort -k2,2 -k3,3n -k1,1 "$OUT/raw.txt" | while read -r n w j i p50 p99 lo hi cnt; do
		printf '%-12s %-15s %4s %9s %19s %8s %8s\n' "$n" "$w" "$j" "$i" "[$lo-$hi]" "$p50" "$p99"
	done
	echo
	echo "Ratios of median IOPS (mc-table / other), same workload and jobs:"
	printf '%-15s %4s %10s %10s %10s %10s %10s %10s\n' workload jobs "/message" "/mc-dma" "/wc-mirror" "/wc-pmem" "/ram" "/dm-cache"
	awk '{ v[$1 " " $2 " " $3] = $4; if ($1 !~ /^port-/) k[$2 " " $3] = 1 }
	END {
		for (x in k) {
			split(x, a, " "); t = v["mc-table " x];
			printf "%-15s %4s", a[1], a[2];
			n = split("mc-message mc-dma wc-mirror wc-pmem ram-ceiling dm-cache", c, " ");
			for (i = 1; i <= n; i++) {
				o = v[c[i] " " x];
				if (o > 0) printf " %10.2f", t / o; else printf " %10s", "-";
			}
			printf "\n";
		}
	}' "$OUT/raw.txt" | sort
	echo
	echo "Targets of issue 10 (4 KiB random write, 2 jobs; medians of this run):"
	target "mc-table / RAM ceiling, QD1" "$(ratio mc-table ram-ceiling randwrite_qd1 2)" ">=" 0.8
	target "mc-table / RAM ceiling, QD16" "$(ratio mc-table ram-ceiling randwrite_qd16 2)" ">=" 0.8
	target "mc-table / wc-mirror, QD1" "$(ratio mc-table wc-mirror randwrite_qd1 2)" ">=" 2.5
	target "mc-table / wc-mirror, QD16" "$(ratio mc-table wc-mirror randwrite_qd16 2)" ">=" 2.5
	target "p50 latency at QD1, mc-table / RAM ceiling" "$(ratio mc-table ram-ceiling randwrite_qd1 2 p50)" "<=" 2
	target "1 MiB sequential write, 1 job, mc-table / RAM ceiling" "$(ratio mc-table ram-ceiling seqwrite_1m 1)" ">=" 0.7
	target "mc-table / mc-message, QD1" "$(ratio mc-table mc-message randwrite_qd1 2)" ">=" 1.5
	target "mc-table / mc-message, QD16" "$(ratio mc-table mc-message randwrite_qd16 2)" ">=" 1.5
	echo
	echo "Host ports, 1 job on LU 0 (owned by controller 0), median of 3 rounds, IOPS / the device's:"
	printf '%-15s %10s %10s %10s\n' workload "/owner" "/forward" "/mpath-rr"
	awk '$3 == 1 { v[$1 " " $2] = $4; if ($1 ~ /^port-/) k[$2] = 1 }
	END {
		for (w in k) {
			d = v["port-dev " w];
			printf "%-15s", w;
			n = split("port-owner port-fwd port-mpath", c, " ");
			for (i = 1; i <= n; i++) {
				o = v[c[i] " " w];
				if (d > 0) printf " %10.2f", o / d; else printf " %10s", "-";
			}
			printf "\n";
		}
	}' "$OUT/raw.txt" | sort
	echo
	grep -o 'bench: failover: .*' "$OUT/console.log" || echo "bench: no failover run"
} | tee "$OUT/results.txt"

# Bar chart: IOPS of 4 KiB random writes, 2 jobs, QD16, per contender.
awk '$2 == "randwrite_qd16" && $3 == 2 { print $1, $4 }' "$OUT/raw.txt" > "$OUT/plot.dat"
if command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal pngcairo size 900,500 noenhanced
set output "$OUT/results.png"
set title "4 KiB random write, QD16, 2 jobs (QEMU TCG, median of 3 interleaved runs)"
set ylabel "IOPS"
set style fill solid 0.6
set boxwidth 0.6
set grid ytics
set xtics rotate by -30
plot "$OUT/plot.dat" using 0:2:xtic(1) with boxes notitle
GP
	echo "plot: $OUT/results.png"
fi

# fio's write latency over time across one failover and one failback.
bash scripts/plot-latency.sh "$OUT/console.log" BENCH "$OUT/failover.png" \
	"mc-table, LU 0, 4 KiB random write QD4: completion latency across a failover and a failback (fio, 100 ms averages; QEMU TCG)" ||
	echo "bench: no failover plot"
