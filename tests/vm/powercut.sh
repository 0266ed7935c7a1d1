#!/bin/sh
# Flush and FUA reach the LU's stable media.  LU 0 is dm-log-writes over a
# null_blk with a volatile write cache (memory_backed, cache_size); right
# after an fsync, a FUA write or a flush message returns, a mark goes into
# the log; the log is replayed onto a fresh disk up to that mark keeping
# only what a power cut would keep (writes before the last flush, plus FUA
# writes: lw-replay --durable), and the data must be there.  The method of
# xfstests' log-writes tests.
. /tests/lib.sh

load_mod null_blk nr_devices=2 memory_backed=1 cache_size=64 gb=1 bs=4096 ||
	{ fail null_blk; finish; }
brd_setup 2 131072			# ram0: the log, ram1: the replay target
mc_load
load_mod ext4
load_mod dm-log-writes
N=131072				# 64 MiB per LU, in sectors
assert_eq "$(cat /sys/block/nullb0/queue/write_cache)" "write back" lu_volatile_cache

setup() {	# setup <optional args...>
	dd if=/dev/zero of=/dev/ram0 bs=1M count=4 2>/dev/null
	dmsetup create lw --table "0 $N log-writes /dev/nullb0 /dev/ram0" &&
	dmsetup create lu1 --table "0 $N linear /dev/nullb1 0" &&
	dmsetup create mc0 --table "0 $((2 * N)) mirrorcache 2048 2048 2 /dev/mapper/lw 0 /dev/mapper/lu1 1 $*"
}
teardown() {
	dmsetup remove mc0; dmsetup remove lw; dmsetup remove lu1
}
# cut <tag> <mark>: what a power cut at <mark> keeps, onto /dev/ram1
cut() {
	dd if=/dev/zero of=/dev/ram1 bs=1M count=64 2>/dev/null
	lw-replay --log /dev/ram0 --replay /dev/ram1 --durable --end-mark $2 > /tmp/replay.log 2>&1 ||
		fail "$1_replay" "$(cat /tmp/replay.log)"
	cat /tmp/replay.log
	blockdev --flushbufs /dev/ram1
}
# block_is <block> <file>: 4 KiB blocks of the replayed disk hold <file>
block_is() {
	n=$(( $(stat -c %s $2) / 4096 ))
	dd if=/dev/ram1 of=/tmp/blk bs=4096 skip=$1 count=$n 2>/dev/null
	cmp -s /tmp/blk $2
}

# ---- ext4, flush_mode destage: a file written with fsync survives ----
setup 2 flush_mode destage || { fail setup_ext4; finish; }
mkfs.ext4 -q -F -b 4096 -E nodiscard /dev/mapper/mc0 16384 || fail mkfs	# on LU 0 only
mkdir -p /mnt/t /mnt/r
mount -t ext4 /dev/mapper/mc0 /mnt/t || fail mount
dd if=/dev/urandom of=/tmp/file bs=4096 count=8 2>/dev/null
dd if=/tmp/file of=/mnt/t/file bs=4096 conv=fsync 2>/dev/null
dmsetup message lw 0 mark fsynced
umount /mnt/t
teardown
cut ext4 fsynced
if mount -t ext4 /dev/ram1 /mnt/r; then
	cmp -s /mnt/r/file /tmp/file && pass ext4_fsync_durable ||
		fail ext4_fsync_durable "file $(ls -l /mnt/r/file 2>&1) differs or is gone after the cut"
	umount /mnt/r
else
	fail ext4_fsync_durable "replayed file system does not mount"
fi

# ---- a FUA write is on media when it completes (flush_mode destage) ----
setup 2 flush_mode destage || fail setup_fua
# fio: an asynchronous O_DIRECT|O_SYNC write is a REQ_FUA write and no
# flush follows it (a synchronous one is followed by an fsync flush, which
# would hide a lost FUA); the data is read back through the device.
fio --name=fua --filename=/dev/mapper/mc0 --rw=write --bs=16k --size=16k \
	--offset=$((1000 * 4096)) --direct=1 --sync=1 --ioengine=libaio \
	--iodepth=1 --output=/tmp/fio.log ||
	fail fua_fio "$(tail -3 /tmp/fio.log)"
dmsetup message lw 0 mark fua
dd if=/dev/mapper/mc0 of=/tmp/fua bs=4096 skip=1000 count=4 iflag=direct 2>/dev/null
# A plain write after it is not durable yet, and nothing else is.
dd if=/tmp/fua of=/dev/mapper/mc0 bs=4096 seek=1040 count=4 oflag=direct 2>/dev/null ||
	fail plain_write
dmsetup message lw 0 mark plain
teardown
cut fua fua
block_is 1000 /tmp/fua && pass fua_write_durable || fail fua_write_durable "FUA write lost by the cut"
cut plain plain
block_is 1040 /tmp/fua && fail plain_not_durable "a plain write was durable without flush or FUA" ||
	pass plain_not_durable

# ---- flush_mode mirror: a released mirror page's data is on media ----
setup 2 flush_mode mirror || fail setup_mirror
dd if=/dev/urandom of=/tmp/rel bs=4096 count=16 2>/dev/null
dd if=/tmp/rel of=/dev/mapper/mc0 bs=4096 seek=2000 oflag=direct 2>/dev/null
dmsetup message mc0 0 flush
SYS=$(sysfs_dm mc0)/mirrorcache
assert_eq "$(cat $SYS/ctrl0/dirty_pages) $(cat $SYS/ctrl0/mirror_used)" "0 0" mirror_released
dmsetup message lw 0 mark released
teardown
cut released released
block_is 2000 /tmp/rel && pass released_on_media || fail released_on_media "mirror released before the data was stable"

# ---- flush_mode mirror, degraded: an fsync destages ----
setup 4 flush_mode mirror degraded_writes writeback || fail setup_degraded
SYS=$(sysfs_dm mc0)/mirrorcache
ctrl_do $SYS fail 1
dd if=/dev/urandom of=/tmp/deg bs=4096 count=8 2>/dev/null
dd if=/tmp/deg of=/dev/mapper/mc0 bs=4096 seek=3000 conv=fsync 2>/dev/null
dmsetup message lw 0 mark degraded
ctrl_do $SYS recover 1
teardown
cut degraded degraded
block_is 3000 /tmp/deg && pass degraded_fsync_durable || fail degraded_fsync_durable "one volatile copy counted as durable"

assert_eq "$(mc_objects_live)" none objects_freed
finish
