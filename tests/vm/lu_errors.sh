#!/bin/sh
# A backing disk that fails: acknowledged data stays pinned in the cache,
# the error shows per LU, flushes and FUA writes fail instead of hanging,
# cached reads work, the other LU is unaffected, 'retry' and the automatic
# retry destage the kept pages once the disk is back, suspend and remove
# end in bounded time.  LU 0 is a dm-linear reloaded to 'error' and back;
# LU 1 later becomes a dm-flakey.
. /tests/lib.sh

brd_setup 2 16384
mc_load
S=$(blockdev --getsz /dev/ram0)
dmsetup create lu0 --table "0 $S linear /dev/ram0 0" || fail lu0
dmsetup create lu1 --table "0 $S linear /dev/ram1 0" || fail lu1
TABLE="0 $((2 * S)) mirrorcache 512 512 2 /dev/mapper/lu0 0 /dev/mapper/lu1 1"
dmsetup create mc0 --table "$TABLE" || { fail create; finish; }
SYS=$(sysfs_dm mc0)/mirrorcache
B1=$((S / 8))	# first block of LU 1
lu_dead() { dmsetup suspend $1 && dmsetup reload $1 --table "0 $S error" && dmsetup resume $1; }
lu_back() { dmsetup suspend $1 && dmsetup reload $1 --table "0 $S linear $2 0" && dmsetup resume $1; }
# wait_for <seconds> <command...>: poll until the command succeeds
wait_for() {
	t=$(($1 * 10)); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done
	return 1
}
lun_is() { [ "$(cat $SYS/lun$1/error) $(cat $SYS/lun$1/held_pages)" = "$2" ]; }

dd if=/dev/urandom of=/tmp/d0 bs=4096 count=16 2>/dev/null
dd if=/dev/urandom of=/tmp/d1 bs=4096 count=16 2>/dev/null
dd if=/tmp/d0 of=/dev/mapper/mc0 bs=4096 seek=40 oflag=direct 2>/dev/null
assert_eq "$(cat $SYS/ctrl0/dirty_pages)" 16 cached_dirty

# ---- the disk dies ----
lu_dead lu0 || fail lu0_dead
timeout 60 dmsetup message mc0 0 flush
assert_eq $? 1 flush_message_fails_not_hangs
assert_eq "$(cat $SYS/lun0/error) $(cat $SYS/lun0/held_pages)" "-5 16" lun0_error_held
assert_eq "$(cat $SYS/lun1/error) $(cat $SYS/lun1/held_pages)" "0 0" lun1_unaffected
ST=$(dmsetup status mc0)
assert_eq "$(echo $ST | awk '{ print $(NF-19), $(NF-18), $(NF-17), $(NF-15), $(NF-14), $(NF-13) }')" "2 error 16 ok 0 0" status_lu_errors
assert_fail takeover_lu_in_error dmsetup message mc0 0 takeover 0 1
assert_eq "$(cat $SYS/lun0/owner) $(cut -d' ' -f1 $SYS/lun0/phase)" "0 idle" takeover_refused_nothing_changed
dmesg | grep -q "LU 0 (.*): write-back failed" && pass error_logged || fail error_logged
assert_eq "$(dmesg | grep -c 'LU 0 (.*): write-back failed')" 1 error_logged_once
dd if=/dev/mapper/mc0 of=/tmp/r0 bs=4096 skip=40 count=16 iflag=direct 2>/dev/null
cmp -s /tmp/d0 /tmp/r0 && pass cached_read_works || fail cached_read_works
assert_fail write_to_dead_lu_fails timeout 60 dd if=/tmp/d1 of=/dev/mapper/mc0 bs=4096 seek=200 count=1 oflag=direct
timeout 60 dd if=/tmp/d1 of=/dev/mapper/mc0 bs=4096 seek=$((B1 + 8)) oflag=direct 2>/dev/null
assert_eq $? 0 other_lu_writes
timeout 60 dmsetup message mc0 0 flush
assert_eq "$(cat $SYS/ctrl1/dirty_pages)" 0 other_lu_destages
# An fsync of the device flushes every LU: with LU 0 refusing its pages
# the flush fails, within bounded time.
timeout 60 dd if=/tmp/d1 of=/dev/mapper/mc0 bs=4096 seek=$((B1 + 60)) count=1 conv=fsync 2>/dev/null
assert_eq $? 1 fsync_fails_not_hangs
timeout 60 dmsetup suspend mc0
assert_eq $? 0 suspend_bounded
timeout 60 dmsetup resume mc0
assert_eq $? 0 resume
assert_fail recover_refused_nothing_failed dmsetup message mc0 0 recover 0

# ---- the disk comes back: retry message ----
lu_back lu0 /dev/ram0 || fail lu0_back
assert_ok retry_message dmsetup message mc0 0 retry
wait_for 20 lun_is 0 "0 0" && pass retry_destaged || fail retry_destaged "$(cat $SYS/lun0/error) $(cat $SYS/lun0/held_pages)"
dmsetup message mc0 0 flush && pass flush_after_retry || fail flush_after_retry
flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/r1 bs=4096 skip=40 count=16 2>/dev/null
cmp -s /tmp/d0 /tmp/r1 && pass data_on_lu_after_retry || fail data_on_lu_after_retry
assert_ok write_after_recovery dd if=/tmp/d1 of=/dev/mapper/mc0 bs=4096 seek=300 count=1 oflag=direct
assert_fail retry_junk dmsetup message mc0 0 retry now

# ---- automatic retry with backoff ----
dd if=/tmp/d1 of=/dev/mapper/mc0 bs=4096 seek=80 oflag=direct 2>/dev/null
lu_dead lu0
dmsetup message mc0 0 flush 2>/dev/null
assert_eq "$(cat $SYS/lun0/held_pages)" 17 held_again	# 16 + the write at 300
lu_back lu0 /dev/ram0
wait_for 30 lun_is 0 "0 0" && pass auto_retry || fail auto_retry "$(cat $SYS/lun0/error) $(cat $SYS/lun0/held_pages)"
dmesg | grep -q "LU 0 (.*): write-back works again" && pass recovery_logged || fail recovery_logged

# ---- failover while the disk is dead keeps the pages ----
dd if=/tmp/d0 of=/dev/mapper/mc0 bs=4096 seek=120 oflag=direct 2>/dev/null
lu_dead lu0
dmsetup message mc0 0 flush 2>/dev/null
ctrl_do $SYS fail 0 || fail fail_ctrl0
dmsetup message mc0 0 flush 2>/dev/null
assert_eq "$(cat $SYS/lun0/held_pages)" 16 held_after_failover
dd if=/dev/mapper/mc0 of=/tmp/r2 bs=4096 skip=120 count=16 iflag=direct 2>/dev/null
cmp -s /tmp/d0 /tmp/r2 && pass read_held_after_failover || fail read_held_after_failover
timeout 60 dmsetup message mc0 0 recover 0
assert_eq $? 1 recover_refused_while_held
assert_eq "$(cat $SYS/ctrl0/state)" failed recover_changed_nothing
lu_back lu0 /dev/ram0
dmsetup message mc0 0 retry
wait_for 30 lun_is 0 "0 0" && pass held_destaged_by_survivor || fail held_destaged_by_survivor
assert_ok recover_after_retry msg_do mc0 recover 0
flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/r3 bs=4096 skip=120 count=16 2>/dev/null
cmp -s /tmp/d0 /tmp/r3 && pass data_on_lu_after_failover || fail data_on_lu_after_failover

# ---- dm-flakey: writes fail one second in two; everything lands ----
dd if=/dev/urandom of=/tmp/f1 bs=4096 count=64 2>/dev/null
dd if=/tmp/f1 of=/dev/mapper/mc0 bs=4096 seek=$((B1 + 100)) oflag=direct 2>/dev/null
dmsetup suspend lu1 && dmsetup reload lu1 --table "0 $S flakey /dev/ram1 0 1 1 1 error_writes" && dmsetup resume lu1
ok=0
for i in $(seq 1 40); do
	dmsetup message mc0 0 retry
	dmsetup message mc0 0 flush 2>/dev/null && lun_is 1 "0 0" && { ok=1; break; }
	sleep 0.5
done
assert_eq $ok 1 flakey_destaged
lu_back lu1 /dev/ram1
flushbufs /dev/ram1
dd if=/dev/ram1 of=/tmp/r4 bs=4096 skip=100 count=64 2>/dev/null
cmp -s /tmp/f1 /tmp/r4 && pass flakey_data_on_lu || fail flakey_data_on_lu

# ---- remove while the disk stays dead: bounded, says what it drops ----
dd if=/tmp/d0 of=/dev/mapper/mc0 bs=4096 seek=160 oflag=direct 2>/dev/null
lu_dead lu0
timeout 60 dmsetup remove mc0
assert_eq $? 0 remove_bounded
dmesg | grep -q "removing the device drops 16 dirty pages" && pass remove_says_dropped || fail remove_says_dropped
assert_eq "$(mc_objects_live)" none objects_freed
dmsetup remove lu0; dmsetup remove lu1
finish
