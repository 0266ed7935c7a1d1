#!/bin/sh
# Discard and write-zeroes.  They are advertised only where every LU has
# them (null_blk without discard=1 has neither).  The range leaves the cache
# (dirty pages and their mirror pages too), then the request goes on to the
# LU; while it is on its way a write
# or a fill of the range waits (forced with inject_discard_delay_ms, which
# holds a discard between the cache and the LU).  A failover in the middle
# of a discard loses no acknowledged write and brings no discarded data
# back.  blkdiscard, fallocate --punch-hole (write-zeroes), ext4 with
# fstrim, fio trim workloads with verify.  LUs are loop devices on tmpfs
# files (discard and write-zeroes both punch holes there).
. /tests/lib.sh

mc_load
load_mod loop
load_mod ext4
KNOB=/sys/kernel/debug/dm-mirrorcache/inject_discard_delay_ms
LUMB=32
S=$((LUMB * 2048))	# sectors per LU
B1=$((S / 8))		# first block of LU 1
Z=/tmp/zero

lu_setup() {	# two fresh loop LUs on tmpfs; LU0 LU1 name them
	for i in 0 1; do
		rm -f /tmp/lu$i.img
		dd if=/dev/zero of=/tmp/lu$i.img bs=1M count=0 seek=$LUMB 2>/dev/null
	done
	LU0=$(losetup -f) && losetup $LU0 /tmp/lu0.img &&
		LU1=$(losetup -f) && losetup $LU1 /tmp/lu1.img
}
mc_create() {	# mc_create <lu0> <lu1> [sectors]: the pair, 512 pages each
	dmsetup create mc0 --table "0 ${3:-$((2 * S))} mirrorcache 512 512 2 $1 0 $2 1" &&
		SYS=$(sysfs_dm mc0)/mirrorcache && Q=$(sysfs_dm mc0)/queue
}
wr() { dd if=$1 of=/dev/mapper/mc0 bs=4096 seek=$2 oflag=direct 2>/dev/null; }
rd() { dd if=/dev/mapper/mc0 of=$1 bs=4096 skip=$2 count=$3 iflag=direct 2>/dev/null; }
rdlu() { dd if=$1 of=$2 bs=4096 skip=$3 count=$4 iflag=direct 2>/dev/null; }
zeros() { dd if=/dev/zero of=$Z bs=4096 count=$1 2>/dev/null; }
# Busybox's sh runs its own applets by name (blkdiscard here: it sends the
# discard and nothing else); util-linux's by path (/bin/blkdiscard -z,
# /bin/fallocate -p).
discard() { blkdiscard -o $(($1 * 4096)) -l $(($2 * 4096)) /dev/mapper/mc0; }
ctrl() { cat $SYS/ctrl$1/$2; }
part() { dd if=$1 of=$2 bs=4096 skip=$3 count=$4 2>/dev/null; }

dd if=/dev/urandom of=/tmp/d32 bs=4096 count=32 2>/dev/null
dd if=/dev/urandom of=/tmp/d1 bs=4096 count=1 2>/dev/null

# ---- advertised only where every LU has them ----
# null_blk without discard=1 has neither (brd has discard from 6.4 on).
load_mod null_blk nr_devices=2 gb=1 || fail null_blk
NS=$(blockdev --getsz /dev/nullb0)
mc_create /dev/nullb0 /dev/nullb1 $((2 * NS)) || { fail create_nullb; finish; }
assert_eq "$(cat $Q/discard_max_bytes) $(cat $Q/write_zeroes_max_bytes)" "0 0" nullb_not_advertised
assert_fail nullb_blkdiscard_refused discard 0 8
dmsetup remove mc0
lu_setup || { fail loop_setup; finish; }
mc_create /dev/nullb0 $LU1 $((NS + S)) || fail create_mixed
assert_eq "$(cat $Q/discard_max_bytes) $(cat $Q/write_zeroes_max_bytes)" "0 0" mixed_not_advertised
dmsetup remove mc0
rmmod null_blk || fail rmmod_null_blk	# later cases load it with their own parameters
mc_create $LU0 $LU1 || { fail create; finish; }
[ "$(cat $Q/discard_max_bytes)" -gt 0 ] && [ "$(cat $Q/write_zeroes_max_bytes)" -gt 0 ] &&
	pass loop_advertised || fail loop_advertised "$(cat $Q/discard_max_bytes) $(cat $Q/write_zeroes_max_bytes)"
[ "$(cat $Q/discard_granularity)" -ge 4096 ] && pass granularity_page ||
	fail granularity_page "$(cat $Q/discard_granularity)"

# ---- a discard drops dirty pages and their mirror pages, then the LU ----
wr /tmp/d32 40
assert_eq "$(ctrl 0 dirty_pages) $(ctrl 0 mirror_used)" "32 32" dirty_mirrored
assert_ok blkdiscard discard 40 16
assert_eq "$(ctrl 0 dirty_pages) $(ctrl 0 mirror_used)" "16 16" dropped_with_mirror
assert_eq "$(ctrl 0 discards) $(ctrl 0 discarded)" "1 16" discard_counters
zeros 16
rd /tmp/r 40 16; cmp -s /tmp/r $Z && pass discarded_reads_zero || fail discarded_reads_zero
part /tmp/d32 /tmp/tail 16 16
rd /tmp/r 56 16; cmp -s /tmp/r /tmp/tail && pass rest_intact || fail rest_intact
assert_ok flush_message dmsetup message mc0 0 flush
rdlu $LU0 /tmp/r 40 16; cmp -s /tmp/r $Z && pass lu_discarded || fail lu_discarded
rdlu $LU0 /tmp/r 56 16; cmp -s /tmp/r /tmp/tail && pass lu_rest_intact || fail lu_rest_intact

# ---- write-zeroes (fallocate --punch-hole on a block device) ----
wr /tmp/d32 100
n0=$(ctrl 0 discarded)
assert_ok write_zeroes /bin/fallocate -p -o $((100 * 4096)) -l $((8 * 4096)) /dev/mapper/mc0
zeros 8
rd /tmp/r 100 8; cmp -s /tmp/r $Z && pass write_zeroes_reads_zero || fail write_zeroes_reads_zero
[ "$(ctrl 0 discards)" = 2 ] && [ $(( $(ctrl 0 discarded) - n0 )) -ge 8 ] &&
	pass write_zeroes_dropped || fail write_zeroes_dropped "$(ctrl 0 discards) $(ctrl 0 discarded) $n0"
assert_eq "$(ctrl 0 mirror_used)" "$(ctrl 0 dirty_pages)" mirror_follows_dirty
assert_ok zeroout /bin/blkdiscard -z -o $((108 * 4096)) -l $((8 * 4096)) /dev/mapper/mc0
rd /tmp/r 108 8; cmp -s /tmp/r $Z && pass zeroout_reads_zero || fail zeroout_reads_zero
part /tmp/d32 /tmp/tail 16 16
rd /tmp/r 116 16; cmp -s /tmp/r /tmp/tail && pass zeroout_rest_intact || fail zeroout_rest_intact
assert_fail unaligned_refused /bin/blkdiscard -o 512 -l 4096 /dev/mapper/mc0

# ---- a discard across the LU boundary: each controller drops its part ----
wr /tmp/d32 $((B1 - 16))
a0=$(ctrl 0 discards) a1=$(ctrl 1 discards)
assert_ok discard_across_lus discard $((B1 - 8)) 16
assert_eq "$(( $(ctrl 0 discards) - a0 )) $(( $(ctrl 1 discards) - a1 ))" "1 1" split_at_lu_boundary
zeros 16
rd /tmp/r $((B1 - 8)) 16; cmp -s /tmp/r $Z && pass across_reads_zero || fail across_reads_zero
part /tmp/d32 /tmp/head 0 8; part /tmp/d32 /tmp/tail 24 8
rd /tmp/r $((B1 - 16)) 8; cmp -s /tmp/r /tmp/head && pass across_head_intact || fail across_head_intact
rd /tmp/r $((B1 + 8)) 8; cmp -s /tmp/r /tmp/tail && pass across_tail_intact || fail across_tail_intact

# ---- a range larger than the cache (the walk goes over the cache) ----
dmsetup message mc0 0 flush
wr /tmp/d32 $((B1 + 10))
assert_eq "$(ctrl 1 dirty_pages)" 32 lu1_dirty
cached=$(( $(ctrl 1 dirty_pages) + $(ctrl 1 clean_pages) ))	# ctrl1 caches LU 1 only
n1=$(ctrl 1 discarded)
assert_ok discard_whole_lu discard $B1 $((S / 8))
assert_eq "$(ctrl 1 dirty_pages) $(ctrl 1 clean_pages) $(ctrl 1 mirror_used) $(( $(ctrl 1 discarded) - n1 ))" "0 0 0 $cached" whole_lu_dropped
zeros 32
rd /tmp/r $((B1 + 10)) 32; cmp -s /tmp/r $Z && pass whole_lu_zero || fail whole_lu_zero

# ---- the range is fenced until the LU has the discard ----
# A write into the range while the discard is held between cache and LU,
# and a destage of everything meanwhile: without the fence the write is
# destaged first and the late discard zeroes it on the LU behind the
# cache's back.  A read of a dropped page meanwhile: without the fence it
# fills the cache with the LU's old data, which outlives the discard.  The discard and the write come through two dm-linear
# devices on mc0: on one block device the kernel itself would hold the
# write back while the discard ioctl runs.
dmsetup message mc0 0 flush
for d in mcx mcy; do dmsetup create $d --table "0 $((2 * S)) linear /dev/mapper/mc0 0"; done
wr /tmp/d32 200
dmsetup message mc0 0 flush	# the LU holds d32 ...
wr /tmp/d1 210			# ... and the cache a newer block 210
echo 600 > $KNOB
blkdiscard -o $((200 * 4096)) -l $((16 * 4096)) /dev/mapper/mcx & dpid=$!
sleep 0.2
dd if=/tmp/d1 of=/dev/mapper/mcy bs=4096 seek=205 oflag=direct 2>/dev/null & wpid=$!
dd if=/dev/mapper/mcy of=/tmp/r210 bs=4096 skip=210 count=1 iflag=direct 2>/dev/null &
sleep 0.2
dmsetup message mc0 0 flush
wait $dpid; drc=$?
wait $wpid; wrc=$?
assert_eq "$drc $wrc $(cat $KNOB)" "0 0 0" fence_knob_fired
dmsetup remove mcx && dmsetup remove mcy || fail remove_aliases
dmsetup message mc0 0 flush
rd /tmp/r 205 1; rdlu $LU0 /tmp/r2 205 1
cmp -s /tmp/r /tmp/d1 && pass fenced_write_in_cache || fail fenced_write_in_cache
cmp -s /tmp/r2 /tmp/d1 && pass fenced_write_on_lu || fail fenced_write_on_lu "the late discard zeroed an acknowledged write"
zeros 5; rd /tmp/r 200 5; cmp -s /tmp/r $Z && pass fence_rest_zero || fail fence_rest_zero
zeros 1; rd /tmp/r 210 1; cmp -s /tmp/r $Z && pass fenced_read_no_stale || fail fenced_read_no_stale "old LU data cached behind the discard"

# ---- a failover after a discard and in the middle of one ----
# The owner fails after one discard completed and while another is held
# between cache and LU: the survivor relinks only the mirror pages the
# discards did not release (a discarded block never comes back), and the
# held discard runs again through the survivor.
dmsetup message mc0 0 flush
wr /tmp/d32 300
assert_ok discard_before_failover discard 300 16
wr /tmp/d32 400
echo 600 > $KNOB
discard 400 16 & dpid=$!
sleep 0.2
ctrl_do $SYS fail 0 || fail fail_ctrl0
wait $dpid
assert_eq "$?" 0 discard_survives_failover
assert_eq "$(cat $SYS/pages_relinked) $(cat $SYS/lun0/owner)" "32 1" relinked_only_kept
zeros 16
part /tmp/d32 /tmp/tail 16 16
for b in 300 400; do
	rd /tmp/r $b 16; cmp -s /tmp/r $Z && pass failover_zero_$b || fail failover_zero_$b "discarded data came back"
	rd /tmp/r $((b + 16)) 16; cmp -s /tmp/r /tmp/tail && pass failover_rest_$b || fail failover_rest_$b
done
assert_ok recover_ctrl0 msg_do mc0 recover 0
assert_ok flush_after_recover dmsetup message mc0 0 flush
for b in 300 400; do
	rdlu $LU0 /tmp/r $b 16; cmp -s /tmp/r $Z && pass failover_lu_zero_$b || fail failover_lu_zero_$b
	rdlu $LU0 /tmp/r $((b + 16)) 16; cmp -s /tmp/r /tmp/tail && pass failover_lu_rest_$b || fail failover_lu_rest_$b
done

# ---- fio trim workloads with verify ----
# trimwrite and randtrimwrite trim each block just before writing it: the
# write must wait for its block's discard, or the late discard zeroes it
# and the verify fails.
fio_trim() {	# fio_trim <tag> <offset MiB> <rw>
	fio --name=trim --filename=/dev/mapper/mc0 --offset=$(($2 * 1048576)) --size=8M \
		--rw=$3 --bs=4k --direct=1 --ioengine=libaio --iodepth=4 --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --output=/tmp/fio-$1.log &&
		grep -q 'err= 0' /tmp/fio-$1.log && ! grep -qi -e signal -e assert /tmp/fio-$1.log
}
d0=$(( $(ctrl 0 discards) + $(ctrl 1 discards) ))
fio_trim healthy 0 trimwrite && pass fio_trim_verify || fail fio_trim_verify "$(tail -5 /tmp/fio-healthy.log)"
d1=$(( $(ctrl 0 discards) + $(ctrl 1 discards) ))
[ $d1 -gt $d0 ] && pass fio_trimmed || fail fio_trimmed "no discard reached the target"
# ... with controller 0 failing in the middle (once 50 more trims have
# reached the target) and recovering
ndisc() { echo $(( $(ctrl 0 discards) + $(ctrl 1 discards) )); }
fio_trim failover 8 randtrimwrite & fio=$!
i=0
while [ "$(ndisc)" -lt $((d1 + 50)) ] && kill -0 $fio 2>/dev/null && [ $i -lt 1200 ]; do
	sleep 0.05; i=$((i + 1))
done
if kill -0 $fio 2>/dev/null; then
	ctrl_do $SYS fail 0 && pass fio_failed_mid_run || fail fio_failed_mid_run "fail refused"
else
	fail fio_failed_mid_run "fio ended before the failure"
fi
wait $fio && pass fio_trim_failover || fail fio_trim_failover "$(tail -5 /tmp/fio-failover.log)"
assert_ok recover_after_fio msg_do mc0 recover 0
fio_trim recovered 16 randtrimwrite && pass fio_trim_recovered || fail fio_trim_recovered "$(tail -5 /tmp/fio-recovered.log)"

# ---- ext4: mkfs discards, fstrim, across a failover ----
mkfs.ext4 -q -E discard /dev/mapper/mc0 && pass mkfs_discard || fail mkfs_discard
mkdir -p /mnt/t && mount -o noatime /dev/mapper/mc0 /mnt/t || { fail mount; finish; }
for i in 1 2 3 4 5 6; do dd if=/dev/urandom of=/mnt/t/f$i bs=64k count=16 2>/dev/null; done
sync
(cd /mnt/t && md5sum f1 f3 f5) > /tmp/sums
rm /mnt/t/f2 /mnt/t/f4 /mnt/t/f6
sync
echo 300 > $KNOB
( sleep 0.1; ctrl_do $SYS fail 0 ) & fpid=$!
fstrim -v /mnt/t > /tmp/fstrim.out 2>&1 && pass fstrim_across_failover ||
	fail fstrim_across_failover "$(cat /tmp/fstrim.out)"
wait $fpid
echo 0 > $KNOB
assert_eq "$(ctrl 0 state)" failed fstrim_ctrl0_failed
(cd /mnt/t && md5sum -c /tmp/sums > /dev/null 2>&1) && pass ext4_files_intact || fail ext4_files_intact
umount /mnt/t
assert_ok e2fsck_clean e2fsck -fn /dev/mapper/mc0
assert_ok recover_after_fstrim msg_do mc0 recover 0
mount /dev/mapper/mc0 /mnt/t && (cd /mnt/t && md5sum -c /tmp/sums > /dev/null 2>&1) &&
	pass ext4_after_failback || fail ext4_after_failback
umount /mnt/t

assert_ok remove dmsetup remove mc0
losetup -d $LU0; losetup -d $LU1
assert_eq "$(mc_objects_live)" none objects_freed
finish
