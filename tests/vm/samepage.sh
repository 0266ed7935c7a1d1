#!/bin/sh
# Writes to one page are ordered.  A write whose mirror copy is still in
# flight must not let a second write to the same page release (and so hand
# to a third write of another block) the mirror page the first copy is
# about to fill.  The window is opened on purpose with the debugfs knob
# inject_copy_delay_ms (the first write's mirror copy request is delayed
# 300 ms after its local copy); then the owner fails and every
# acknowledged block must read back.
. /tests/lib.sh

brd_setup 2 16384
mc_load
KNOB=/sys/kernel/debug/dm-mirrorcache/inject_copy_delay_ms
S0=$(blockdev --getsz /dev/ram0)
L=$((S0 + $(blockdev --getsz /dev/ram1)))
dmsetup create mc0 --table "0 $L mirrorcache 256 256 2 /dev/ram0 0 /dev/ram1 1" ||
	{ fail create; finish; }
SYS=$(sysfs_dm mc0)/mirrorcache
for f in A B C D; do dd if=/dev/urandom of=/tmp/$f bs=4096 count=1 2>/dev/null; done

round() {	# round <tag> <ctrl>: the race on the LU of controller <ctrl>
	base=$(( $2 * S0 / 8 ))
	echo 300 > $KNOB
	dd if=/tmp/A of=/dev/mapper/mc0 bs=4096 seek=$((base + 7)) oflag=direct 2>/dev/null &
	p1=$!
	sleep 0.1
	dd if=/tmp/B of=/dev/mapper/mc0 bs=4096 seek=$((base + 7)) oflag=direct 2>/dev/null &
	p2=$!
	sleep 0.05
	dd if=/tmp/C of=/dev/mapper/mc0 bs=4096 seek=$((base + 100)) oflag=direct 2>/dev/null
	dd if=/tmp/D of=/dev/mapper/mc0 bs=4096 seek=$((base + 101)) oflag=direct 2>/dev/null
	wait $p1 $p2
	assert_eq "$(cat $KNOB)" 0 "$1_knob_fired"
	ctrl_do $SYS fail $2 || fail "$1_fail"
	dd if=/dev/mapper/mc0 of=/tmp/r7 bs=4096 skip=$((base + 7)) count=1 iflag=direct 2>/dev/null
	dd if=/dev/mapper/mc0 of=/tmp/r100 bs=4096 skip=$((base + 100)) count=1 iflag=direct 2>/dev/null
	dd if=/dev/mapper/mc0 of=/tmp/r101 bs=4096 skip=$((base + 101)) count=1 iflag=direct 2>/dev/null
	# Block 7 holds A or B whole (the writes overlapped), 100 and 101 theirs.
	if cmp -s /tmp/r7 /tmp/B || cmp -s /tmp/r7 /tmp/A; then pass "$1_block7"; else fail "$1_block7" "neither write"; fi
	cmp -s /tmp/r100 /tmp/C && pass "$1_block100" || fail "$1_block100" "acknowledged write lost in failover"
	cmp -s /tmp/r101 /tmp/D && pass "$1_block101" || fail "$1_block101" "acknowledged write lost in failover"
	ctrl_do $SYS recover $2 || fail "$1_recover"
}
round lu0 0
round lu1 1

# Concurrent writers to the same few blocks, then a failure: every block
# holds one writer's data whole (fio's verify of the last writer is not
# possible with overlapping writers, so compare the two views instead).
fio --name=hot --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k --size=64k \
	--direct=1 --ioengine=libaio --iodepth=8 --numjobs=4 --time_based \
	--runtime=5 --output=/tmp/hot.log &
fp=$!
sleep 2
ctrl_do $SYS fail 0
wait $fp && pass hot_fio || fail hot_fio "$(grep -i err /tmp/hot.log | head -2)"
dd if=/dev/mapper/mc0 of=/tmp/h1 bs=4096 count=16 iflag=direct 2>/dev/null
ctrl_do $SYS recover 0
dmsetup message mc0 0 flush
dd if=/dev/mapper/mc0 of=/tmp/h2 bs=4096 count=16 iflag=direct 2>/dev/null
flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/h3 bs=4096 count=16 2>/dev/null
cmp -s /tmp/h1 /tmp/h2 && cmp -s /tmp/h2 /tmp/h3 && pass hot_consistent ||
	fail hot_consistent "cache and LU disagree after failover and flush"
dmsetup remove mc0 || fail remove
assert_eq "$(mc_objects_live)" none objects_freed
finish
