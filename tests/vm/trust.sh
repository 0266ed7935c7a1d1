#!/bin/sh
# Trust where the features meet failures and slow or dead disks (issue 22).
# Each part is a scenario that failed before its fix:
#  1. a write parked for a mirror page of the old owner of an LU that an
#     instant takeover moved is woken when the new owner's destage returns
#     the slots (a lost wakeup: it waited for ever);
#  2. a dead LU under write load: its parked writes fail, the writes of
#     another LU of the same controller complete although the dead LU's held
#     pages fill the mirror area, a takeover of a healthy LU does not freeze
#     the device;
#  4. a reload is refused while the live table holds pages an LU refused
#     (the reload dropped them);
#  5. a table of two mirrorcache targets is refused;
#  6. a destage collected before a failure and submitted after it (forced:
#     inject_wb_submit_delay_ms) is waited for by the failover: nothing
#     reaches the LU after the survivor's data, and a late completion does
#     not corrupt the recovered controller's counts;
# 10. the automatic retry of held pages does not run while the device is
#     torn down (forced: inject_teardown_delay_ms holds the teardown
#     between the two controllers).
. /tests/lib.sh

DBG=/sys/kernel/debug/dm-mirrorcache
brd_setup 4 16384
mc_load
load_mod dm-delay || fail dm_delay_module
load_mod dm-log-writes || fail dm_log_writes_module
S=$(blockdev --getsz /dev/ram0)
P=$((S / 8))	# pages per LU

# wait_for <seconds> <command...>: poll until the command succeeds
wait_for() {
	t=$(($1 * 10)); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done
	return 1
}
# lu_set <name> <table>: replace the table of a dm device
lu_set() { dmsetup suspend $1 && dmsetup reload $1 --table "$2" && dmsetup resume $1; }
linear() { echo "0 $S linear /dev/ram$1 0"; }
slow() { echo "0 $S delay /dev/ram$1 0 0 /dev/ram$1 0 $2"; }
dead() { echo "0 $S error"; }
# wm <sysfs ctrl dir> <high> <low>: write-back watermarks
wm() {
	echo $2 > $1/writeback_high 2>/dev/null
	echo $3 > $1/writeback_low && echo $2 > $1/writeback_high
}
setup3() {	# LU0 and LU2 on ctrl0, LU1 on ctrl1
	for i in 0 1 2; do dmsetup create lu$i --table "$(linear $i)" || fail lu$i; done
	TABLE="0 $((3 * S)) mirrorcache $1 $1 3 /dev/mapper/lu0 0 /dev/mapper/lu1 1 /dev/mapper/lu2 0"
	dmsetup create mc0 --table "$TABLE" || { fail create; finish; }
	SYS=$(sysfs_dm mc0)/mirrorcache
}
teardown() {
	dmsetup remove mc0
	for i in 0 1 2; do dmsetup remove lu$i; done
	assert_eq "$(mc_objects_live)" none objects_freed_$1
}
# bg_write <block> <count> <rcfile>: a direct write in the background
bg_write() {
	( timeout 90 dd if=/dev/urandom of=/dev/mapper/mc0 bs=4096 seek=$1 \
		count=$2 oflag=direct 2>/dev/null; echo $? > $3 ) &
}

# ---- 5. two mirrorcache targets in one table ----
for i in 0 1; do dmsetup create lu$i --table "$(linear $i)" || fail lu$i; done
TWO="0 $S mirrorcache 64 64 1 /dev/mapper/lu0 0
$S $S mirrorcache 64 64 1 /dev/mapper/lu1 1"
assert_fail two_targets_refused dmsetup create mc2 --table "$TWO"
assert_eq "$(dmsetup info mc2 >/dev/null 2>&1 && echo exists || echo none)" none two_targets_nothing_left
dmsetup remove lu0; dmsetup remove lu1

# ---- 1. instant takeover: the old owner's parked write is woken ----
setup3 512
MT=$(cat $SYS/ctrl0/mirror_total)
wm $SYS/ctrl0 $MT $((MT - 1))
dd if=/dev/urandom of=/dev/mapper/mc0 bs=4096 count=$MT oflag=direct 2>/dev/null
assert_eq "$(cat $SYS/ctrl0/mirror_used)" "$MT" lw_mirror_area_full
lu_set lu0 "$(slow 0 3000)" || fail lw_slow
assert_ok lw_takeover dmsetup message mc0 0 takeover 0 1 instant
bg_write $((2 * P + 10)) 1 /tmp/lw.rc
wait_for 60 test -s /tmp/lw.rc
assert_eq "$(cat /tmp/lw.rc 2>/dev/null)" 0 lw_parked_write_woken
wait_for 60 sh -c "cut -d' ' -f1 $SYS/lun0/phase | grep -qx idle"
assert_eq "$(cat $SYS/lun0/owner) $(cut -d' ' -f1 $SYS/lun0/phase)" "1 idle" lw_takeover_done
lu_set lu0 "$(linear 0)"
teardown lw

# ---- 2. a dead LU under write load ----
setup3 128
MT=$(cat $SYS/ctrl0/mirror_total)
wm $SYS/ctrl0 $MT $((MT - 1))
dd if=/dev/urandom of=/dev/mapper/mc0 bs=4096 count=$MT oflag=direct 2>/dev/null
assert_eq "$(cat $SYS/ctrl0/mirror_used)" "$MT" dl_mirror_area_full
lu_set lu0 "$(dead)" || fail dl_dead
bg_write $MT 4 /tmp/dl0.rc		# LU0: parks for a mirror page
sleep 1
timeout 60 dmsetup message mc0 0 flush
assert_eq $? 1 dl_flush_fails
wait_for 60 test -s /tmp/dl0.rc
assert_eq "$(cat /tmp/dl0.rc 2>/dev/null || echo hung)" 1 dl_parked_write_to_dead_lu_fails
assert_eq "$(cat $SYS/lun0/held_pages)" "$MT" dl_held
dd if=/dev/urandom of=/tmp/dl2 bs=4096 count=8 2>/dev/null
timeout 60 dd if=/tmp/dl2 of=/dev/mapper/mc0 bs=4096 seek=$((2 * P + 20)) oflag=direct 2>/dev/null
assert_eq $? 0 dl_other_lu_of_same_ctrl_writes
dd if=/dev/mapper/mc0 of=/tmp/dl2r bs=4096 skip=$((2 * P + 20)) count=8 iflag=direct 2>/dev/null
cmp -s /tmp/dl2 /tmp/dl2r && pass dl_other_lu_reads_back || fail dl_other_lu_reads_back
timeout 60 dmsetup message mc0 0 takeover 2 1
assert_eq $? 0 dl_takeover_healthy_lu
wait_for 60 sh -c "cut -d' ' -f1 $SYS/lun2/phase | grep -qx idle"
assert_eq "$(cat $SYS/lun2/owner)" 1 dl_healthy_lu_moved
timeout 60 dd if=/tmp/dl2 of=/dev/mapper/mc0 bs=4096 seek=$((P + 20)) count=1 oflag=direct 2>/dev/null
assert_eq $? 0 dl_device_not_frozen
lu_set lu0 "$(linear 0)"
dmsetup message mc0 0 retry
wait_for 30 sh -c "[ \$(cat $SYS/lun0/held_pages) = 0 ]" && pass dl_retry_after_back || fail dl_retry_after_back
dmsetup message mc0 0 flush
flushbufs /dev/ram2
dd if=/dev/ram2 of=/tmp/dl2l bs=4096 skip=20 count=8 2>/dev/null
cmp -s /tmp/dl2 /tmp/dl2l && pass dl_other_lu_on_disk || fail dl_other_lu_on_disk
teardown dl

# ---- 4. a reload while LU pages are held ----
setup3 512
dd if=/dev/urandom of=/tmp/rl bs=4096 count=16 2>/dev/null
dd if=/tmp/rl of=/dev/mapper/mc0 bs=4096 seek=40 oflag=direct 2>/dev/null
lu_set lu0 "$(dead)"
dmsetup message mc0 0 flush 2>/dev/null
assert_eq "$(cat $SYS/lun0/held_pages)" 16 rl_held
if dmsetup reload mc0 --table "$TABLE" 2>/tmp/rl.err; then
	fail rl_reload_refused "accepted"
	dmsetup suspend mc0; dmsetup resume mc0
else
	pass rl_reload_refused
fi
dmesg | grep -q "holds 16 dirty pages" && pass rl_reason_logged || fail rl_reason_logged "$(tail -1 /tmp/rl.err)"
assert_eq "$(dmsetup info mc0 | grep -c INACTIVE)" 0 rl_no_inactive_table
lu_set lu0 "$(linear 0)"
dmsetup message mc0 0 retry
wait_for 30 sh -c "[ \$(cat $SYS/lun0/held_pages) = 0 ]"
dmsetup message mc0 0 flush
flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/rlr bs=4096 skip=40 count=16 2>/dev/null
cmp -s /tmp/rl /tmp/rlr && pass rl_data_on_lu || fail rl_data_on_lu
assert_ok rl_reload_when_clean dmsetup reload mc0 --table "$TABLE"
dmsetup suspend mc0 && dmsetup resume mc0 || fail rl_resume
teardown rl

# ---- 6. a destage submitted after the failover fence ----
# LU0 is dm-delay (2 s) over dm-log-writes: the log keeps the data of every
# write that reached the LU.  A destage of ctrl0 collected before the
# failure is submitted 2 s later (the knob); the failover must wait for it,
# or it reads ctrl0's memory after the scrub and the poison reaches the LU.
setup3 512
dmsetup create lw --table "0 $S log-writes /dev/ram0 /dev/ram3" || fail fe_lw
wm $SYS/ctrl0 $(cat $SYS/ctrl0/mirror_total) 64
dd if=/dev/urandom of=/tmp/fe bs=4096 count=32 2>/dev/null
dd if=/tmp/fe of=/dev/mapper/mc0 bs=4096 seek=64 oflag=direct 2>/dev/null
lu_set lu0 "0 $S delay /dev/mapper/lw 0 0 /dev/mapper/lw 0 2000" || fail fe_slow
echo 2000 > $DBG/inject_wb_submit_delay_ms || fail fe_knob
( timeout 90 dmsetup message mc0 0 flush; echo $? > /tmp/fe.rc ) &
sleep 0.5
assert_ok fe_fail timeout 60 dmsetup message mc0 0 fail 0
wait_for 60 test -s /tmp/fe.rc
timeout 60 dmsetup message mc0 0 flush
assert_eq $? 0 fe_survivor_flush
assert_ok fe_recover timeout 60 dmsetup message mc0 0 recover 0
D=$(cat $SYS/ctrl0/dirty_pages)
[ "$D" -le 512 ] && pass fe_counts_sane || fail fe_counts_sane "ctrl0 dirty_pages $D"
dd if=/dev/urandom of=/tmp/fe2 bs=4096 count=4 2>/dev/null
dd if=/tmp/fe2 of=/dev/mapper/mc0 bs=4096 seek=300 oflag=direct 2>/dev/null
timeout 60 dmsetup message mc0 0 flush
assert_eq $? 0 fe_flush_after_recover
assert_eq "$(cat $SYS/ctrl0/dirty_pages)" 0 fe_destages_after_recover
lu_set lu0 "$(linear 0)"
dmsetup remove lw
POISON=$(printf '\336\300\255\336\336\300\255\336\336\300\255\336\336\300\255\336')
grep -q -F "$POISON" /dev/ram3 && fail fe_no_poison_reached_lu "a write of ctrl0's scrubbed memory reached the LU" ||
	pass fe_no_poison_reached_lu
flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/fer bs=4096 skip=64 count=32 2>/dev/null
cmp -s /tmp/fe /tmp/fer && pass fe_data_on_lu || fail fe_data_on_lu
dd if=/dev/ram0 of=/tmp/fer2 bs=4096 skip=300 count=4 2>/dev/null
cmp -s /tmp/fe2 /tmp/fer2 && pass fe_new_data_on_lu || fail fe_new_data_on_lu
echo 0 > $DBG/inject_wb_submit_delay_ms
teardown fe

# ---- 10. the retry work during the teardown ----
setup3 512
dd if=/dev/urandom of=/dev/mapper/mc0 bs=4096 seek=$((P + 8)) count=8 oflag=direct 2>/dev/null
lu_set lu1 "$(dead)"
dmsetup message mc0 0 flush 2>/dev/null
assert_eq "$(cat $SYS/lun1/held_pages)" 8 td_held
echo 4000 > $DBG/inject_teardown_delay_ms || fail td_knob
dmesg -c > /dev/null
( timeout 90 dmsetup remove mc0; echo $? > /tmp/td.rc ) &
wait_for 30 sh -c "dmesg | grep -q 'removing the device drops'"
lu_set lu1 "$(linear 1)"	# the automatic retry would now succeed
wait_for 60 test -s /tmp/td.rc
assert_eq "$(cat /tmp/td.rc)" 0 td_remove
dmesg | grep -q "LU 1 (.*): write-back works again" &&
	fail td_no_retry_in_teardown "the retry destaged during the teardown" ||
	pass td_no_retry_in_teardown
echo 0 > $DBG/inject_teardown_delay_ms
for i in 0 1 2; do dmsetup remove lu$i; done
assert_eq "$(mc_objects_live)" none objects_freed_td
finish
