#!/bin/bash
# make bench: run every contender in one VM boot (tests/vm/_bench.sh) and
# print one table with ratios; write build/bench/results.{txt,dat,png}.
# Numbers come from QEMU TCG: compare them within one run only.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/bench
mkdir -p "$OUT"
bash scripts/vm/run.sh --build --nvdimm --script _bench --timeout 3600 | tee "$OUT/console.log" |
	grep -E '^(BENCH|bench:)' || true
grep -q '^BENCH-DONE' "$OUT/console.log" || { echo "bench: the VM run did not finish"; exit 1; }
# One line per contender, workload and jobs: the median run by IOPS where
# a contender ran more than once (the host ports: three rounds).
grep -o 'BENCH .*' "$OUT/console.log" | cut -d' ' -f2- > "$OUT/all.txt"
sort -k1,1 -k2,2 -k3,3n -k4,4n "$OUT/all.txt" | awk '
	{ k = $1 " " $2 " " $3; n[k]++; r[k, n[k]] = $0; if (!(k in o)) o[k] = ++m; K[o[k]] = k }
	END { for (i = 1; i <= m; i++) { k = K[i]; print r[k, int((n[k] + 1) / 2)] } }' > "$OUT/raw.txt"

KVER=$(ls -d /lib/modules/6.1.0-*-amd64 | sort -V | tail -n 1 | xargs basename)
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
{
	echo "dm-mirrorcache benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(nproc) cores, $CPU; guest: QEMU TCG, 2 vCPUs, Debian kernel $KVER"
	echo "slow disks: brd behind dm-delay 1 ms; working set 32 MiB per job, job j on the j-th half of the device; runtime 5 s per run"
	echo
	printf '%-12s %-15s %4s %9s %9s %9s\n' contender workload jobs IOPS p50_us p99_us
	sort -k2,2 -k3,3n -k1,1 "$OUT/raw.txt" | while read -r n w j i p50 p99; do
		printf '%-12s %-15s %4s %9s %9s %9s\n' "$n" "$w" "$j" "$i" "$p50" "$p99"
	done
	echo
	echo "Ratios of IOPS (mc-table / other), same workload and jobs:"
	printf '%-15s %4s %10s %10s %10s %10s %10s\n' workload jobs "/message" "/wc-mirror" "/wc-pmem" "/ram" "/dm-cache"
	awk '{ v[$1 " " $2 " " $3] = $4; k[$2 " " $3] = 1 }
	END {
		for (x in k) {
			split(x, a, " "); t = v["mc-table " x];
			printf "%-15s %4s", a[1], a[2];
			n = split("mc-message wc-mirror wc-pmem ram-ceiling dm-cache", c, " ");
			for (i = 1; i <= n; i++) {
				o = v[c[i] " " x];
				if (o > 0) printf " %10.2f", t / o; else printf " %10s", "-";
			}
			printf "\n";
		}
	}' "$OUT/raw.txt" | sort
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
} | tee "$OUT/results.txt"

# Bar chart: IOPS of 4 KiB random writes, 2 jobs, QD16, per contender.
awk '$2 == "randwrite_qd16" && $3 == 2 { print $1, $4 }' "$OUT/raw.txt" > "$OUT/plot.dat"
if command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal pngcairo size 900,500 noenhanced
set output "$OUT/results.png"
set title "4 KiB random write, QD16, 2 jobs (QEMU TCG, one run)"
set ylabel "IOPS"
set style fill solid 0.6
set boxwidth 0.6
set grid ytics
set xtics rotate by -30
plot "$OUT/plot.dat" using 0:2:xtic(1) with boxes notitle
GP
	echo "plot: $OUT/results.png"
fi
