#!/bin/bash
# make bench-2host: two guests (as scripts/check-2host.sh), one host each of
# a two-host table; host A (tests/vm/_bench_2host_a.sh) writes its LU with
# fio while it mirrors into B's memory over soft-RoCE, then alone after B
# is killed, then through a single-host table and to the disk itself.
# Prints one table (median of three runs per contender and workload) and
# the ratios; writes build/bench-2host/results.txt.
# Numbers come from two QEMU TCG guests on this machine, soft-RoCE between
# them: compare them within one run only.
set -euo pipefail
cd "$(dirname "$0")/.."
GUEST_TIMEOUT=1800
. scripts/vm/2host-lib.sh
pair_setup build/bench-2host 64M
guest a "$D/a.log" "listen:$PORT" _bench_2host_a
APID=$!
wait_mark "$D/a.log" a-listening 300 || { echo "bench-2host: A did not boot"; exit 1; }
guest b "$D/b.log" "connect:$PORT" _bench_2host_b
wait_mark "$D/a.log" kill-b 1200 || { echo "bench-2host: A did not finish the mirrored runs"; kill_b || true; exit 1; }
kill_b || true
wait $APID || true
grep -aq '^BENCH-DONE' "$D/a.log" || { echo "bench-2host: A did not finish"; exit 1; }
grep -a '^bench:' "$D/a.log" || true
grep -ao 'BENCH [a-z].*' "$D/a.log" | cut -d' ' -f2- > "$D/all.txt"
# the median run by IOPS of each contender and workload, with the range
sort -k1,1 -k2,2 -k3,3n "$D/all.txt" | awk '
	{ k = $1 " " $2; n[k]++; r[k, n[k]] = $0; v[k, n[k]] = $3; if (!(k in o)) o[k] = ++m; K[o[k]] = k }
	END { for (i = 1; i <= m; i++) { k = K[i]; print r[k, int((n[k] + 1) / 2)], v[k, 1], v[k, n[k]] } }' > "$D/raw.txt"
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
{
	echo "dm-mirrorcache two-host benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(nproc) cores, $CPU; two QEMU TCG guests, 1 vCPU each, soft-RoCE (rdma_rxe) over a QEMU socket network"
	echo "A writes the first 8 MiB of its LU0 (a 64 MiB image, cache=none); fio ${BENCH_RUNTIME:-8} s per run, three runs; median by IOPS"
	echo
	printf '%-10s %-15s %8s %17s %10s %10s\n' contender workload IOPS "[range]" p50_us p99_us
	sort -k2,2 -k1,1 "$D/raw.txt" | while read -r n w i p50 p99 lo hi; do
		printf '%-10s %-15s %8s %17s %10s %10s\n' "$n" "$w" "$i" "[$lo-$hi]" "$p50" "$p99"
	done
	echo
	echo "Ratios of median IOPS, two-host / other:"
	printf '%-15s %10s %10s %10s\n' workload "/one-host" "/solo" "/disk"
	awk '{ v[$1 " " $2] = $3; w[$2] = 1 }
	END { for (x in w) { t = v["two-host " x]; printf "%-15s", x;
		n = split("one-host solo disk", c, " ");
		for (i = 1; i <= n; i++) { o = v[c[i] " " x]; if (o > 0 && t > 0) printf " %10.2f", t / o; else printf " %10s", "-" }
		printf "\n" } }' "$D/raw.txt" | sort
} | tee "$D/results.txt"
