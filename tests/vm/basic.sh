#!/bin/sh
# Create, table/status/sysfs contents, reload and suspend cycles, data
# placement on the right LU, fio write+verify, remove.
. /tests/lib.sh

brd_setup 2 32768			# 2 x 32 MiB
mc_load
S0=$(blockdev --getsz /dev/ram0)
S1=$(blockdev --getsz /dev/ram1)
L=$((S0 + S1))
M0=$(cat /sys/block/ram0/dev)
M1=$(cat /sys/block/ram1/dev)

assert_ok create dmsetup create mc0 --table "0 $L mirrorcache 128 96 2 /dev/ram0 0 /dev/ram1 1"
SYS=$(sysfs_dm mc0)/mirrorcache

# Canonical table: every option spelled out, devices as major:minor.
WANT="0 $L mirrorcache 128 96 2 $M0 0 $M1 1 10 mirror_ratio 30 mirror_alloc table copy_engine cpu flush_mode destage degraded_writes writethrough"
assert_eq "$(dmsetup table mc0)" "$WANT" table

# Mirror areas: ctrl0 holds 30% of ctrl1's 96 pages (28), ctrl1 holds 30%
# of ctrl0's 128 pages (38).
ST=$(dmsetup status mc0 | cut -d' ' -f4-)
assert_eq "$(echo "$ST" | cut -d' ' -f1-5,18-21)" "2 online 128 100 28 online 96 58 38" status_ctrls
# Nothing written yet: no dirty page, every read/write page free, no
# mirror page in use; mirror_total is the peer's mirror area for us.
assert_eq "$(echo "$ST" | cut -d' ' -f6-9,22-25)" "0 100 0 38 0 58 0 28" status_pages
assert_eq "$(echo "$ST" | cut -d' ' -f34-36)" "2 0 1" status_luns
# Failover group: not degraded, no failover or failback yet.
assert_eq "$(echo "$ST" | cut -d' ' -f37-43)" "0 0 0 0 0 0 0" status_failover
# LU error group: both LUs healthy, nothing held, no write error.
assert_eq "$(echo "$ST" | cut -d' ' -f44-50)" "2 ok 0 0 ok 0 0" status_lu_errors
# LU takeover group: both home, idle, no takeover yet.
assert_eq "$(echo "$ST" | cut -d' ' -f51-)" "2 - idle 0 0 0 0 - idle 0 0 0 0" status_lu_moves

assert_eq "$(cat $SYS/ctrl0/state)" online sysfs_state0
assert_eq "$(cat $SYS/ctrl1/state)" online sysfs_state1
assert_eq "$(cat $SYS/ctrl0/cache_pages)" 128 sysfs_pages0
assert_eq "$(cat $SYS/ctrl1/cache_pages)" 96 sysfs_pages1
assert_eq "$(cat $SYS/ctrl0/mirror_pages)" 28 sysfs_mirror0
assert_eq "$(cat $SYS/ctrl1/mirror_pages)" 38 sysfs_mirror1
assert_eq "$(cat $SYS/lun0/default_owner) $(cat $SYS/lun0/owner)" "0 0" sysfs_lun0
assert_eq "$(cat $SYS/lun1/default_owner) $(cat $SYS/lun1/owner)" "1 1" sysfs_lun1
assert_eq "$(cat $SYS/lun1/dev)" "$M1" sysfs_lun1_dev
assert_fail sysfs_owner_ro sh -c "echo 1 > $SYS/lun0/owner"
assert_eq "$(cat $SYS/lun0/owner)" 0 sysfs_owner_unchanged

# Reload with the printed table yields the same device; sysfs survives.
T=$(dmsetup table mc0 | cut -d' ' -f1-)
assert_ok reload dmsetup reload mc0 --table "$T"
assert_ok reload_resume dmsetup resume mc0
assert_eq "$(dmsetup table mc0)" "$WANT" table_after_reload
assert_eq "$(cat $SYS/ctrl0/cache_pages)" 128 sysfs_after_reload
for i in 1 2 3; do
	dmsetup suspend mc0 && dmsetup resume mc0 || fail "suspend_$i" "suspend/resume failed"
done
assert_eq "$(cat $SYS/ctrl1/state)" online sysfs_after_suspend

# A reload with other options changes what the table prints.
T2="0 $L mirrorcache 64 64 2 /dev/ram0 1 /dev/ram1 0 4 mirror_alloc message flush_mode mirror"
assert_ok reload2 dmsetup reload mc0 --table "$T2"
assert_ok reload2_resume dmsetup resume mc0
assert_eq "$(dmsetup table mc0)" "0 $L mirrorcache 64 64 2 $M0 1 $M1 0 10 mirror_ratio 30 mirror_alloc message copy_engine cpu flush_mode mirror degraded_writes writethrough" table_reload2
assert_eq "$(cat $SYS/lun0/owner)" 1 sysfs_reload2_owner
assert_ok reload3 dmsetup reload mc0 --table "$T"
assert_ok reload3_resume dmsetup resume mc0

# Data lands on the LU that holds it.
dd if=/dev/urandom of=/tmp/a bs=4096 count=16 2>/dev/null
dd if=/dev/urandom of=/tmp/b bs=4096 count=16 2>/dev/null
dd if=/tmp/a of=/dev/mapper/mc0 bs=4096 seek=3 conv=fsync 2>/dev/null
dd if=/tmp/b of=/dev/mapper/mc0 bs=512 seek=$((S0 + 64)) conv=fsync 2>/dev/null
dmsetup suspend mc0 && dmsetup resume mc0
flushbufs /dev/ram0 /dev/ram1
dd if=/dev/ram0 of=/tmp/a2 bs=4096 skip=3 count=16 2>/dev/null
dd if=/dev/ram1 of=/tmp/b2 bs=512 skip=64 count=128 2>/dev/null
cmp -s /tmp/a /tmp/a2 && pass lun0_placement || fail lun0_placement "LU0 data not on ram0"
cmp -s /tmp/b /tmp/b2 && pass lun1_placement || fail lun1_placement "LU1 data not on ram1"

# A write across the LU boundary is split between the LUs.
dd if=/dev/urandom of=/tmp/c bs=4096 count=4 2>/dev/null
dd if=/tmp/c of=/dev/mapper/mc0 bs=4096 seek=$((S0 / 8 - 2)) conv=fsync 2>/dev/null
dmsetup suspend mc0 && dmsetup resume mc0
flushbufs /dev/ram0 /dev/ram1
{ dd if=/dev/ram0 bs=4096 skip=$((S0 / 8 - 2)) count=2; dd if=/dev/ram1 bs=4096 count=2; } 2>/dev/null > /tmp/c2
cmp -s /tmp/c /tmp/c2 && pass boundary_split || fail boundary_split "boundary write misplaced"

# fio write + verify over both LUs.
if fio --name=wv --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
	--size=$((L * 512)) --direct=1 --ioengine=libaio --iodepth=8 \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --output=/tmp/fio.log; then
	pass fio_verify
else
	fail fio_verify "fio failed: $(tail -5 /tmp/fio.log)"
fi

# The status tool on the live device: both controllers online, both LUs
# with their owners, no write-only attribute read (no error output).
mirrorcache-status mc0 > /tmp/st.out 2> /tmp/st.err; rc=$?
assert_eq "$rc $(wc -c < /tmp/st.err)" "0 0" status_tool_runs
grep -q '^mc0 (dm-[0-9]*): mirrorcache, .* 2 LUs, 2 controllers, healthy$' /tmp/st.out &&
	grep -q '^Controller 0: online' /tmp/st.out && grep -q '^Controller 1: online' /tmp/st.out &&
	pass status_tool_view || fail status_tool_view "$(head -3 /tmp/st.out | tr '\n' '|')"
assert_eq "$(mirrorcache-status /dev/mapper/mc0 | head -1)" "$(head -1 /tmp/st.out)" status_tool_path
assert_fail status_tool_missing mirrorcache-status no-such-device

DEV=$(basename "$(sysfs_dm mc0)")
assert_ok remove dmsetup remove mc0
[ ! -e /sys/block/$DEV/mirrorcache ] && pass sysfs_gone || fail sysfs_gone "sysfs left behind"
[ -z "$(ls /sys/block/ram0/holders)" ] && pass released || fail released "ram0 still held"
finish
