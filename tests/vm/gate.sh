#!/bin/sh
# The failover gate.  A bio that passed the gate check must be counted
# before a failback can wait for idle: the knob inject_admit_delay_ms
# stalls a write between the gate check and its start, while the knob
# inject_failback_hold_ms holds the failback between the restart of the
# controller and the switch of the LUs.  Without the gate's SRCU read section the write lands in the
# survivor's cache after its final drain and its LU moves away from it: a read
# through the new owner returns stale data.  Also: fail and recover are
# refused while the device is suspended.
. /tests/lib.sh

brd_setup 2 16384
mc_load
D=/sys/kernel/debug/dm-mirrorcache
L=$(( $(blockdev --getsz /dev/ram0) + $(blockdev --getsz /dev/ram1) ))
dmsetup create mc0 --table "0 $L mirrorcache 256 256 2 /dev/ram0 0 /dev/ram1 1 2 degraded_writes writeback" ||
	{ fail create; finish; }
SYS=$(sysfs_dm mc0)/mirrorcache
dd if=/dev/urandom of=/tmp/x bs=4096 count=1 2>/dev/null

for round in 1 2 3; do
	ctrl_do $SYS fail 0 || fail "fail_$round"
	echo 300 > $D/inject_admit_delay_ms
	echo 800 > $D/inject_failback_hold_ms
	dd if=/tmp/x of=/dev/mapper/mc0 bs=4096 seek=$((50 + round)) oflag=direct 2>/dev/null &
	p=$!
	sleep 0.05
	ctrl_do $SYS recover 0 || fail "recover_$round"
	wait $p || fail "write_$round"
	assert_eq "$(cat $D/inject_admit_delay_ms) $(cat $D/inject_failback_hold_ms)" "0 0" "knobs_fired_$round"
	assert_eq "$(cat $SYS/lun0/owner)" 0 "failed_back_$round"
	dd if=/dev/mapper/mc0 of=/tmp/r bs=4096 skip=$((50 + round)) count=1 iflag=direct 2>/dev/null
	cmp -s /tmp/r /tmp/x && pass "write_across_failback_$round" ||
		fail "write_across_failback_$round" "stale data after the failback"
done
dmsetup message mc0 0 flush || fail flush
flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/r bs=4096 skip=53 count=1 2>/dev/null
cmp -s /tmp/r /tmp/x && pass data_on_lu || fail data_on_lu

# ---- suspend excludes fail and recover ----
dmsetup suspend mc0
assert_fail fail_while_suspended sh -c "echo 1 > $SYS/ctrl0/fail"
assert_fail msg_fail_while_suspended dmsetup message mc0 0 fail 0
dmsetup resume mc0
assert_eq "$(cat $SYS/ctrl0/state)" online suspended_changed_nothing
assert_ok fail_after_resume msg_do mc0 fail 0
dmsetup suspend mc0
assert_fail recover_while_suspended dmsetup message mc0 0 recover 0
dmsetup resume mc0
assert_ok recover_after_resume msg_do mc0 recover 0
dmsetup remove mc0 || fail remove
assert_eq "$(mc_objects_live)" none objects_freed
finish
