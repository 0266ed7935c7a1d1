#!/bin/sh
# Bounded waits and no spinning:
#  - with the read/write area full of dirty pages on a slow LU, parked
#    writes wait without taking and returning mirror pages in a loop;
#  - a drain (flush message) running while the controller fails returns;
#  - one failed fill does not fail later reads of its neighbours.
. /tests/lib.sh

brd_setup 2 16384
mc_load
S=$(blockdev --getsz /dev/ram0)
dmsetup create slow0 --table "0 $S delay /dev/ram0 0 0 /dev/ram0 0 400" || fail slow0
TABLE="0 $((2 * S)) mirrorcache 100 100 2 /dev/mapper/slow0 0 /dev/ram1 1 2 mirror_ratio 60"
dmsetup create mc0 --table "$TABLE" || { fail create; finish; }
SYS=$(sysfs_dm mc0)/mirrorcache
RW=$(cat $SYS/ctrl0/rw_pages)

# ---- a full read/write area: parked writes do not spin ----
# (60% mirror ratio: the mirror table has more free pages than the
# read/write area, so the area fills first)
fio --name=fill --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
	--size=$((S * 256)) --direct=1 --ioengine=libaio --iodepth=32 \
	--time_based --runtime=6 --output=/tmp/fill.log &
fp=$!
sleep 2
A0=$(cat $SYS/ctrl0/mirror_acquired); R0=$(cat $SYS/ctrl0/mirror_released)
sleep 2
A1=$(cat $SYS/ctrl0/mirror_acquired); R1=$(cat $SYS/ctrl0/mirror_released)
wait $fp || fail fill_fio "$(grep -i err /tmp/fill.log | head -2)"
# Each destage (400 ms per write) frees at most a batch of pages; a spinning
# work item would take and return a mirror page thousands of times a second.
ACQ=$((A1 - A0))
echo "rw_pages $RW: mirror pages acquired in 2 s while full: $ACQ, released: $((R1 - R0))"
[ $ACQ -le $((RW * 8)) ] && pass no_mirror_spin || fail no_mirror_spin "$ACQ acquisitions in 2 s"

# ---- a drain that a failure interrupts returns ----
dd if=/dev/urandom of=/dev/mapper/mc0 bs=4096 count=32 oflag=direct 2>/dev/null
timeout 60 dmsetup message mc0 0 flush &
fl=$!
sleep 0.3
ctrl_do $SYS fail 0 || fail fail_during_drain
wait $fl
rc=$?
[ $rc -ne 124 ] && pass drain_ends_on_fail || fail drain_ends_on_fail "flush message hung"
ctrl_do $SYS recover 0 || fail recover
dmsetup remove mc0

# ---- a failed fill fails its read only ----
dmsetup create mc0 --table "0 $((2 * S)) mirrorcache 512 512 2 /dev/mapper/slow0 0 /dev/ram1 1" || fail create2
SYS=$(sysfs_dm mc0)/mirrorcache
dd if=/dev/urandom of=/tmp/d bs=4096 count=32 2>/dev/null
dd if=/tmp/d of=/dev/ram0 bs=4096 seek=600 2>/dev/null
dmsetup suspend slow0 && dmsetup reload slow0 --table "0 $S error" && dmsetup resume slow0
assert_fail fill_error_fails_read dd if=/dev/mapper/mc0 of=/tmp/x bs=4096 skip=600 count=32 iflag=direct
dmsetup suspend slow0 && dmsetup reload slow0 --table "0 $S linear /dev/ram0 0" && dmsetup resume slow0
dd if=/tmp/d of=/tmp/d.10 bs=4096 skip=10 count=1 2>/dev/null
dd if=/dev/mapper/mc0 of=/tmp/r bs=4096 skip=610 count=1 iflag=direct 2>/dev/null
cmp -s /tmp/r /tmp/d.10 && pass neighbour_read_after_fill_error || fail neighbour_read_after_fill_error
dd if=/dev/mapper/mc0 of=/tmp/r32 bs=4096 skip=600 count=32 iflag=direct 2>/dev/null
cmp -s /tmp/r32 /tmp/d && pass whole_read_after_fill_error || fail whole_read_after_fill_error
dmsetup remove mc0 || fail remove
dmsetup remove slow0
assert_eq "$(mc_objects_live)" none objects_freed
finish
