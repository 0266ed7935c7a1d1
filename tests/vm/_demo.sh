#!/bin/sh
# The main demo (make demo): a controller pair over two slow disks serves
# fio write+verify; controller 0 fails in the middle of it, the survivor
# relinks the mirrored pages and takes over, controller 0 recovers and its
# LU fails back, and every acknowledged write verifies.  The fio latency
# log and the moments of failure and failback go to the console
# (DEMO-LAT, DEMO-MARK lines) for scripts/demo.sh to plot.
. /tests/lib.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
status() {
	if command -v mirrorcache-status > /dev/null; then
		mirrorcache-status mc0
	else
		dmsetup status mc0
	fi
}

DELAY_MS=2
brd_setup 2 16384 || exit 1		# 2 x 16 MiB
load_mod dm-delay || exit 1
mc_load || exit 1
S=$(blockdev --getsz /dev/ram0)
for i in 0 1; do
	dmsetup create slow$i --table "0 $S delay /dev/ram$i 0 $DELAY_MS" || exit 1
done
L=$((2 * S))
TABLE="0 $L mirrorcache 8192 8192 2 /dev/mapper/slow0 0 /dev/mapper/slow1 1"

say "Two slow disks (RAM behind dm-delay, $DELAY_MS ms), one per controller"
echo "dmsetup create mc0 --table \"$TABLE\""
dmsetup create mc0 --table "$TABLE" || exit 1
SYS=$(sysfs_dm mc0)/mirrorcache
status

say "fio: 4 KiB random writes with crc32c headers over both LUs, then verify every block"
echo "controller 0 fails at about 4 s, recovers at about 9 s"
cd /tmp
fio --name=demo --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
	--size=$((L * 512)) --direct=1 --ioengine=libaio --iodepth=4 \
	--rate_iops=600 --eta=never --verify=crc32c --do_verify=1 --verify_fatal=1 \
	--write_lat_log=/tmp/demo --log_avg_msec=100 --output=/tmp/demo.out \
	--exec_prerun='cat /proc/uptime' &
fpid=$!
# fio's latency log counts from the job's start, right after its prerun
# command, whose output fio keeps in demo.prerun.txt: the marks count from
# there too.
t0=$(fio_t0 demo)
[ -n "$t0" ] || { echo "demo: fio did not start"; exit 1; }
sleep 4
ctrl_do $SYS fail 0
t_fail=$(( $(now_ms) - t0 ))
say "controller 0 failed at $((t_fail / 1000)).$((t_fail % 1000 / 100)) s"
status
sleep 5
ctrl_do $SYS recover 0
t_rec=$(( $(now_ms) - t0 ))
say "controller 0 recovered at $((t_rec / 1000)).$((t_rec % 1000 / 100)) s, its LU failed back"
status
wait $fpid
rc=$?

say "Result"
grep -E 'write: IOPS|^ +clat .*avg|err=' /tmp/demo.out | head -4
if [ $rc = 0 ] && ! grep -q 'verify: bad' /tmp/demo.out; then
	echo "fio: every one of the $((L / 8)) blocks written was verified: nothing lost"
else
	echo "fio: FAILED (exit $rc)"; grep -iE 'verify|err' /tmp/demo.out | head -5
fi
echo "pages relinked by the survivor: $(cat $SYS/pages_relinked_total)"
echo "new I/O held at the failover: $(cat $SYS/failover_stall_us) us; at the failback: $(cat $SYS/failback_stall_us) us"
echo "failovers $(cat $SYS/failovers), failbacks $(cat $SYS/failbacks)"

for f in /tmp/demo_clat.*.log; do
	awk -F', ' '$3 == 1 && $2 > 0 { print "DEMO-LAT", $1, $2 }' $f	# writes
done
echo "DEMO-MARK fail $t_fail"
echo "DEMO-MARK recover $t_rec"

dmsetup remove mc0 && dmsetup remove slow0 slow1
[ $rc = 0 ]
