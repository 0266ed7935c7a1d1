#!/bin/sh
# The two-host demo (make demo-2host), host A: controller 0 of a two-host
# table (fencing none).  Host B (tests/vm/_2host_b.sh) mirrors into A's
# memory and writes 1 MiB that stays dirty in its cache.  A runs fio on
# its own LU0, each write mirrored into B's memory over soft-RoCE; B's
# QEMU is killed in the middle of it: A loses B by its heartbeat, goes
# solo (its writes now go through to the disk) and takes B's LU over with
# B's copies, and every write B acknowledged verifies through A.  The fio
# latency log and the moments of the crash and the takeover go to the
# console (DEMO2-LAT, DEMO2-MARK lines) for scripts/demo-2host.sh to plot.
. /tests/lib.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
link_field() { mc_link_field "$@"; }

echo		# the console's first line follows the firmware's escape codes
mc_load || exit 1
virtio_up || exit 1
rxe_on eth0 169.254.20.1 || exit 1
S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))
T="0 $((2 * S)) mirrorcache 1024 1024 2 /dev/vda 0 /dev/vdb 1 8 local 0 addr rdma:169.254.20.1:7470 peer rdma:169.254.20.2:7470 fencing none"
say "Host A: controller 0 of a two-host table, host B runs controller 1"
echo "dmsetup create mcA --table \"$T\""
dmsetup create mcA --table "$T" || exit 1
SA=$(sysfs_dm mcA)/mirrorcache
echo "MARK: a-listening"
mc_wait_peer mcA connected 300 || { echo "demo: B did not connect"; exit 1; }
i=0; while [ "$(cat $SA/ctrl0/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
mirrorcache-status mcA 2>/dev/null || dmsetup status mcA

say "B writes 1 MiB to its LU1; it stays dirty in B's cache, copied into A's memory"
i=0; while [ "$(cat $SA/ctrl0/mirror_valid)" -lt 256 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
echo "copies of B's dirty pages in A's mirror area: $(cat $SA/ctrl0/mirror_valid)"
sleep 3		# B's checks reach its console

say "fio on A's LU0: 4 KiB random writes, each mirrored into B's memory; B is killed at about 6 s"
cd /tmp
fio --name=demo2 --filename=/dev/mapper/mcA --rw=randwrite --bs=4k \
	--size=4M --direct=1 --ioengine=libaio --iodepth=4 --time_based \
	--runtime=16 --eta=never --write_lat_log=/tmp/demo2 --log_avg_msec=100 \
	--output=/tmp/demo2.out --exec_prerun='cat /proc/uptime' &
fpid=$!
t0=$(fio_t0 demo2)
[ -n "$t0" ] || { echo "demo: fio did not start"; exit 1; }
sleep 6
t_crash=$(( $(now_ms) - t0 ))
echo "MARK: kill-b"
mc_wait_peer mcA lost 60
t_lost=$(( $(now_ms) - t0 ))
i=0; while [ "$(cat $SA/lun1/owner)" != 0 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
t_take=$(( $(now_ms) - t0 ))
say "B killed at $((t_crash / 1000)).$((t_crash % 1000 / 100)) s; A saw it lost at $((t_lost / 1000)).$((t_lost % 1000 / 100)) s and serves LU1"
dmesg | grep "peer host is lost" | tail -1 | sed 's/.*mirrorcache: //'
mirrorcache-status mcA 2>/dev/null || dmsetup status mcA
wait $fpid

say "Every write B acknowledged, read back through A (fio verify_only of B's job)"
fio --name=b1 --filename=/dev/mapper/mcA --offset=$((S * 512 + 1048576)) \
	--size=1M --rw=randwrite --bs=4k --direct=1 --ioengine=libaio \
	--iodepth=16 --randseed=4242 --verify=crc32c --verify_only=1 \
	--verify_fatal=1 --output=/tmp/v.log > /dev/null 2>&1 &&
	echo "fio: all 256 blocks B acknowledged verify: nothing lost" ||
	{ echo "fio: FAILED"; grep -iE 'err|verify' /tmp/v.log | head -3; }

say "Result"
grep -E 'write: IOPS|^ +clat .*avg' /tmp/demo2.out | head -2
echo "mirrored writes before the crash: each a chain of RDMA WRITEs into B's memory (soft-RoCE between TCG guests); after it: written through to the disk"
for f in /tmp/demo2_clat.*.log; do
	awk -F', ' '$3 == 1 && $2 > 0 { print "DEMO2-LAT", $1, $2 }' $f
done
echo "DEMO2-MARK crash $t_crash"
echo "DEMO2-MARK takeover $t_take"
dmsetup remove mcA
echo "MARK: done"
