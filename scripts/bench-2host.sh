#!/bin/bash
# make bench-2host: two guests (as scripts/check-2host.sh), one host each of
# a two-host table; host A (tests/vm/_bench_2host_a.sh) first measures the
# link itself (perftest's ib_write_lat and ib_write_bw to B) and DRBD 8.4
# protocol C over it, then writes its LU with fio while it mirrors into B's
# memory over soft-RoCE, then alone after B is killed, then through a
# single-host table and to the disk itself.  perftest and drbd-utils are
# installed on this host if missing; their binaries, the rxe provider and
# drbd.ko's modules go into the guests (MC_EXTRA_BINS, MC_EXTRA_DIR).
# Prints one table (median of three runs per contender and workload) and
# the ratios; writes build/bench-2host/results.txt.
# Numbers come from two QEMU TCG guests on this machine, soft-RoCE between
# them: compare them within one run only.
set -euo pipefail
cd "$(dirname "$0")/.."
GUEST_TIMEOUT=1800
. scripts/vm/2host-lib.sh
pair_setup build/bench-2host 64M
command -v ib_write_bw > /dev/null && command -v drbdadm > /dev/null ||
	apt-get install -y --no-install-recommends perftest drbd-utils > /dev/null
KVER=$(bash scripts/kver.sh)
export PATH=$PATH:/sbin:/usr/sbin:/lib/drbd
export MC_EXTRA_BINS="ib_write_lat ib_write_bw drbdadm drbdsetup drbdmeta drbdadm-84 drbdsetup-84"
export MC_EXTRA_DIR=$D/extra
rm -rf "$MC_EXTRA_DIR" && mkdir -p "$MC_EXTRA_DIR"
cp /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so "$MC_EXTRA_DIR/"
for m in ib_uverbs rdma_ucm libcrc32c lru_cache drbd; do
	ko=$(modinfo -k "$KVER" -n "$m")
	case $ko in
	*.xz) xz -dc "$ko" > "$MC_EXTRA_DIR/$m.ko" ;;
	*) cp "$ko" "$MC_EXTRA_DIR/$m.ko" ;;
	esac
done
guest a "$D/a.log" "listen:$PORT" _bench_2host_a
APID=$!
wait_mark "$D/a.log" a-listening 300 || { echo "bench-2host: A did not boot"; exit 1; }
guest b "$D/b.log" "connect:$PORT" _bench_2host_b
wait_mark "$D/a.log" kill-b 1200 || { echo "bench-2host: A did not finish the mirrored runs"; kill_b || true; exit 1; }
kill_b || true
wait $APID || true
grep -aq '^BENCH-DONE' "$D/a.log" || { echo "bench-2host: A did not finish"; exit 1; }
grep -a '^bench:' "$D/a.log" || true
LINK=$(grep -ao 'LINK [a-z].*' "$D/a.log" | cut -d' ' -f2- | tr '\n' ' ')
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
	echo "drbd: DRBD 8.4 protocol C over TCP on the same guest link, a 16 MiB RAM disk on each host"
	echo "the link itself (perftest, one RC QP over RDMA CM): ${LINK:-not measured}"
	echo
	printf '%-10s %-15s %8s %17s %10s %10s\n' contender workload IOPS "[range]" p50_us p99_us
	sort -k2,2 -k1,1 "$D/raw.txt" | while read -r n w i p50 p99 lo hi; do
		printf '%-10s %-15s %8s %17s %10s %10s\n' "$n" "$w" "$i" "[$lo-$hi]" "$p50" "$p99"
	done
	echo
	echo "Ratios of median IOPS, two-host / other:"
	printf '%-15s %10s %10s %10s %10s\n' workload "/one-host" "/solo" "/disk" "/drbd"
	awk '{ v[$1 " " $2] = $3; w[$2] = 1 }
	END { for (x in w) { t = v["two-host " x]; printf "%-15s", x;
		n = split("one-host solo disk drbd", c, " ");
		for (i = 1; i <= n; i++) { o = v[c[i] " " x]; if (o > 0 && t > 0) printf " %10.2f", t / o; else printf " %10s", "-" }
		printf "\n" } }' "$D/raw.txt" | sort
} | tee "$D/results.txt"
