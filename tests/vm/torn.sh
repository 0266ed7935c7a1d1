#!/bin/sh
# A mirror copy torn by a failure never damages acknowledged data.  The
# debugfs knob inject_torn_copy (0) cuts the next node-channel copy of ctrl0 in
# half and fails ctrl0 before the copy completes.  The torn write itself is
# re-driven through the survivor, which would hide a torn page that was
# wrongly relinked; so the re-drive is held (inject_redrive_delay_ms) while
# the block is read through the survivor: it must still hold the older
# acknowledged data, and no relinked copy may have superseded another.
# MC_ENGINE sets copy_engine (torn_dma.sh: dma).
. /tests/lib.sh

brd_setup 2 16384
mc_load
D=/sys/kernel/debug/dm-mirrorcache
L=$(( $(blockdev --getsz /dev/ram0) + $(blockdev --getsz /dev/ram1) ))
dmsetup create mc0 --table "0 $L mirrorcache 512 512 2 /dev/ram0 0 /dev/ram1 1${MC_ENGINE:+ 2 copy_engine $MC_ENGINE}" ||
	{ fail create; finish; }
SYS=$(sysfs_dm mc0)/mirrorcache
dd if=/dev/urandom of=/tmp/t1 bs=4096 count=64 2>/dev/null
dd if=/tmp/t1 of=/dev/mapper/mc0 bs=4096 seek=1000 oflag=direct 2>/dev/null
dd if=/dev/urandom of=/tmp/t2 bs=4096 count=1 2>/dev/null
dd if=/tmp/t1 of=/tmp/old bs=4096 skip=10 count=1 2>/dev/null
cp /tmp/t1 /tmp/t3
dd if=/tmp/t2 of=/tmp/t3 bs=4096 seek=10 conv=notrunc 2>/dev/null

# Fault injection lives in debugfs only.
[ -e $SYS/ctrl0/inject_torn_copy ] && fail inject_not_in_sysfs "ctrl0/inject_torn_copy exists" || pass inject_not_in_sysfs
assert_eq "$(cat $D/inject_torn_copy)" -1 inject_off_by_default
assert_fail inject_bad_ctrl sh -c "echo 2 > $D/inject_torn_copy"
assert_fail inject_bad_word sh -c "echo yes > $D/inject_torn_copy"
assert_eq "$(cat $D/inject_torn_copy)" -1 inject_bad_changed_nothing
assert_ok inject_arm sh -c "echo 0 > $D/inject_torn_copy"
echo 2000 > $D/inject_redrive_delay_ms
dd if=/tmp/t2 of=/dev/mapper/mc0 bs=4096 seek=1010 oflag=direct 2>/tmp/torn.err &
p=$!
i=0
while [ "$(cat $SYS/ctrl0/state)" != failed ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SYS/ctrl0/state) $(cat $SYS/lun0/owner)" "failed 1" torn_failed_over
# The re-drive is still held: the survivor serves the older data.
dd if=/dev/mapper/mc0 of=/tmp/r bs=4096 skip=1010 count=1 iflag=direct 2>/dev/null
cmp -s /tmp/r /tmp/old && pass torn_not_relinked || fail torn_not_relinked "block holds the torn copy"
assert_eq "$(cat $SYS/relink_superseded)" 0 torn_superseded_nothing
assert_eq "$(cat $D/inject_redrive_delay_ms)" 0 redrive_was_held
assert_eq "$(cat $D/inject_torn_copy)" -1 inject_disarmed_by_its_copy
wait $p && pass torn_write_completes || fail torn_write_completes "$(cat /tmp/torn.err)"
dd if=/dev/mapper/mc0 of=/tmp/t4 bs=4096 skip=1000 count=64 iflag=direct 2>/dev/null
cmp -s /tmp/t3 /tmp/t4 && pass torn_data_intact || fail torn_data_intact "data differs after a torn copy"
assert_ok torn_recover ctrl_do $SYS recover 0
dd if=/dev/mapper/mc0 of=/tmp/t5 bs=4096 skip=1000 count=64 iflag=direct 2>/dev/null
cmp -s /tmp/t3 /tmp/t5 && pass torn_data_after_failback || fail torn_data_after_failback "data differs after failback"
dmsetup remove mc0 || fail remove
assert_eq "$(mc_objects_live)" none objects_freed
finish
