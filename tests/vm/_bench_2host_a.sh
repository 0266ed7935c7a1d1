#!/bin/sh
# Benchmark (not a test), two guests (scripts/bench-2host.sh), this one
# host A, controller 0 of a two-host table; B (tests/vm/_bench_2host_b.sh)
# runs controller 1 and does nothing else.  Prints one line per run:
#   BENCH <contender> <workload> <iops> <p50_usec> <p99_usec>
# Contenders, all writing A's LU0 region (the first 8 MiB of /dev/vda):
#   two-host   the two-host device, mirroring into B's memory over RDMA
#   solo       the same device once B is gone (killed): write-through
#   one-host   a single-host table on the same disks, both controllers in
#              this kernel (the mirror copy is a memcpy)
#   disk       the disk itself (O_DIRECT)
#   drbd       DRBD 8.4 protocol C over TCP on the same link, A primary,
#              a 16 MiB RAM disk on each host as its backing (first)
# and two LINK lines: perftest's ib_write_lat (4 KiB) and ib_write_bw
# (64 KiB) between the two hosts, the link's own limit.
. /tests/lib.sh

RUNTIME=${BENCH_RUNTIME:-8}
SPAN=8M

echo		# the console's first line follows the firmware's escape codes
mc_load
virtio_up
rxe_on eth0 169.254.20.1
S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))

# fio_run <contender> <dev> <workload>
fio_run() {
	case $3 in
	randwrite_qd1) a="--rw=randwrite --bs=4k --iodepth=1" ;;
	randwrite_qd16) a="--rw=randwrite --bs=4k --iodepth=16" ;;
	seqwrite_1m) a="--rw=write --bs=1M --iodepth=1" ;;
	esac
	fio --name=b --filename=$2 --direct=1 --ioengine=libaio $a \
		--size=$SPAN --time_based --runtime=$RUNTIME --randrepeat=0 \
		--output-format=terse --terse-version=3 2>/dev/null | tail -n 1 |
	awk -F';' -v n=$1 -v w=$3 '
		function pct(lo, hi, p,   i, kv) {
			for (i = lo; i <= hi; i++) {
				split($i, kv, "=");
				if (kv[1] == p) return kv[2];
			}
			return 0;
		}
		{ printf "BENCH %s %s %d %d %d\n", n, w, $49,
			pct(59, 78, "50.000000%"), pct(59, 78, "99.000000%") }'
}
rounds() {	# rounds <contender> <dev>: three rounds of every workload
	for r in 1 2 3; do
		for wl in randwrite_qd1 randwrite_qd16 seqwrite_1m; do
			fio_run $1 $2 $wl
		done
	done
}

# The link's own limit (perftest, RDMA CM, one QP), B's servers: 4 KiB
# RDMA WRITE latency, 64 KiB RDMA WRITE bandwidth.
. /tests/_bench_2host_extra.sh
extra_setup a
echo "MARK: a-listening"	# B boots now (its table waits for A's)
perf_client() {	# perf_client <tool> <port> <size> <iters>: its result row
	i=0
	while [ $i -lt 60 ]; do
		$1 -R -d rxe0 -s $3 -n $4 -p $2 169.254.20.2 > /tmp/$1.log 2>&1 &&
			break
		sleep 1; i=$((i + 1))
	done
	awk -v s=$3 '$1 == s { print; exit }' /tmp/$1.log
	grep -q "^ *$3 " /tmp/$1.log || echo "bench: $1 failed: $(tail -3 /tmp/$1.log | tr '\n' ' ')" >&2
}
lat=$(perf_client ib_write_lat 18515 4096 1000)
bw=$(perf_client ib_write_bw 18516 65536 500)
# ib_write_lat: bytes iters t_min t_max t_typical t_avg ...; ib_write_bw:
# bytes iters peak average msgrate
echo "$lat" | awk '{ printf "LINK ib_write_lat_4k_typical_us %s avg_us %s\n", $5, $6 }'
echo "$bw" | awk '{ printf "LINK ib_write_bw_64k_avg_MBps %s\n", $4 }'

# DRBD 8.4, protocol C over TCP on the same link, A primary: the
# replicated write it is known for, against the same workloads.
i=0; while ! grep -q "cs:Connected" /proc/drbd && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if grep -q "cs:Connected" /proc/drbd && drbdadm primary --force r0 > /tmp/drbd-p.log 2>&1; then
	i=0; while ! grep -q "ds:UpToDate/UpToDate" /proc/drbd && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
	echo "bench: drbd $(grep -o 'cs:[A-Za-z]* ro:[^ ]* ds:[^ ]*' /proc/drbd)"
	rounds drbd /dev/drbd0
	drbdadm down r0 > /dev/null 2>&1
else
	echo "bench: no DRBD: $(cat /proc/drbd 2>&1 | tail -2 | tr '\n' ' ') $(cat /tmp/drbd-md.log /tmp/drbd-up.log /tmp/drbd-p.log 2>/dev/null | tail -6 | tr '\n' ' ')"
fi

T="0 $((2 * S)) mirrorcache 1024 1024 2 /dev/vda 0 /dev/vdb 1 6 local 0 addr rdma:169.254.20.1:7470 peer rdma:169.254.20.2:7470"
dmsetup create mcA --table "$T" || echo "bench: cannot create mcA"
SA=$(sysfs_dm mcA)/mirrorcache
i=0; while [ "$(cat $SA/ctrl0/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
echo "bench: ctrl0 solo $(cat $SA/ctrl0/solo) after $((i / 10)) s; $(cat $SA/link)"
rounds two-host /dev/mapper/mcA
echo "bench: $(cat $SA/link)"
echo "MARK: kill-b"
i=0; while [ "$(cat $SA/ctrl0/solo)" != 1 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
echo "bench: ctrl0 solo $(cat $SA/ctrl0/solo)"
rounds solo /dev/mapper/mcA
dmsetup remove mcA
dmsetup create mcS --table "0 $((2 * S)) mirrorcache 1024 1024 2 /dev/vda 0 /dev/vdb 1"
rounds one-host /dev/mapper/mcS
dmsetup remove mcS
rounds disk /dev/vda
echo "BENCH-DONE"
