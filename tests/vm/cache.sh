#!/bin/sh
# The mirrored write-back cache: fio write+verify matrix over both
# controllers with small caches, backing devices verified afterwards,
# mirror accounting, flush and FUA semantics, read-after-write coherence.
# MC_ALLOC (table|message) selects the mirror allocation mode.  MC_MATRIX
# (full|short) the fio matrix: full is 16 runs (4 block sizes x random and
# sequential x 1 and 4 jobs), short 4 runs that still cover the smallest and
# largest block size, both patterns, one and several jobs.  Short by default
# under message mode (the same code paths as table mode but the slow
# allocation) and on the debug kernel (MC_SLOW, which also shrinks the LUs).
. /tests/lib.sh

ALLOC=${MC_ALLOC:-table}
MATRIX=${MC_MATRIX:-full}
LU_KIB=32768				# 2 x 32 MiB
if [ -n "${MC_SLOW:-}" ]; then
	MATRIX=short
	LU_KIB=8192
fi
[ $ALLOC = message ] && MATRIX=${MC_MATRIX:-short}
brd_setup 2 $LU_KIB
mc_load
S0=$(blockdev --getsz /dev/ram0)
S1=$(blockdev --getsz /dev/ram1)
L=$((S0 + S1))
OPTS="2 mirror_alloc $ALLOC"
LINEAR="0 $S0 linear /dev/ram0 0\n$S0 $S1 linear /dev/ram1 0\n"

sysv() { cat "$SYS/ctrl$1/$2"; }

# Mirror pages in use equal the dirty pages; after a flush both are zero.
check_mirror() {
	tag=$1
	sleep 1		# let in-flight write-back complete
	for c in 0 1; do
		d=$(sysv $c dirty_pages) m=$(sysv $c mirror_used)
		assert_eq "$m" "$d" "${tag}_mirror_eq_dirty$c"
	done
	assert_ok "${tag}_flush" dmsetup message mc0 0 flush
	for c in 0 1; do
		assert_eq "$(sysv $c dirty_pages) $(sysv $c mirror_used)" "0 0" "${tag}_flushed$c"
	done
}

# run_fio <tag> <cache pages> <bs> <rw> <numjobs>
run_fio() {
	tag=$1 pages=$2 bs=$3 rw=$4 jobs=$5
	dmsetup create mc0 --table "0 $L mirrorcache $pages $pages 2 /dev/ram0 0 /dev/ram1 1 $OPTS" ||
		{ fail "$tag" "create failed"; return; }
	SYS=$(sysfs_dm mc0)/mirrorcache
	[ -b /dev/mapper/mc0 ] || { fail "$tag" "no device node"; return; }
	size=$((L * 512 / jobs))
	args="--bs=$bs --rw=$rw --numjobs=$jobs \
		--size=$size --offset_increment=$size --direct=1 --ioengine=libaio \
		--iodepth=8 --verify=crc32c --randseed=42 --group_reporting"
	if fio --name=w --filename=/dev/mapper/mc0 $args --do_verify=1 --verify_fatal=1 --output=/tmp/fio.log; then
		pass "${tag}_verify"
	else
		fail "${tag}_verify" "$(grep -iE 'err|verify' /tmp/fio.log | head -3)"
	fi
	# Every controller saw writes, hits and misses are counted.
	for c in 0 1; do
		w=$(( $(sysv $c write_hits) + $(sysv $c write_misses) ))
		[ "$w" -gt 0 ] || fail "${tag}_writes$c" "ctrl$c saw no writes"
	done
	check_mirror "$tag"
	dmsetup remove mc0 || fail "${tag}_remove" "remove failed"
	# The backing devices hold exactly what fio wrote.
	printf "$LINEAR" | dmsetup create lin
	[ -b /dev/mapper/lin ] || { fail "${tag}_backing" "no linear device"; return; }
	if fio --name=w --filename=/dev/mapper/lin $args --verify_only=1 --verify_fatal=1 --output=/tmp/fio2.log; then
		pass "${tag}_backing"
	else
		fail "${tag}_backing" "$(grep -iE 'err|verify' /tmp/fio2.log | head -3)"
	fi
	dmsetup remove lin
}

# run_one <bs> <rw> <jobs>: one run of the matrix
run_one() {
	pages=64
	[ $1 = 1M ] && pages=256
	run_fio "${ALLOC}_$1_$2_j$3" $pages $1 $2 $3
}

if [ $MATRIX = full ]; then
	for bs in 4k 16k 64k 1M; do
		for rw in randwrite write; do
			for jobs in 1 4; do run_one $bs $rw $jobs; done
		done
	done
else
	run_one 4k randwrite 4
	run_one 4k write 1
	run_one 64k randwrite 1
	run_one 1M write 4
fi

# Read-after-write coherence under concurrency: writers verify what they
# just wrote (verify_backlog) while readers fill and evict the same pages.
dmsetup create mc0 --table "0 $L mirrorcache 64 64 2 /dev/ram0 0 /dev/ram1 1 $OPTS"
SYS=$(sysfs_dm mc0)/mirrorcache
if fio --filename=/dev/mapper/mc0 --direct=1 --ioengine=libaio --iodepth=4 \
	--bs=4k --size=$((L * 256)) --randseed=7 \
	--name=w0 --rw=randwrite --offset=0 --verify=crc32c --verify_backlog=8 --verify_fatal=1 \
	--name=w1 --rw=randwrite --offset=$((L * 256)) --verify=crc32c --verify_backlog=8 --verify_fatal=1 \
	--name=r --rw=randread --offset=0 --size=$((L * 512)) --time_based --runtime=8 \
	--output=/tmp/fio3.log; then
	pass ${ALLOC}_coherence
else
	fail ${ALLOC}_coherence "$(grep -iE 'err|verify' /tmp/fio3.log | head -3)"
fi
[ "$(sysv 0 read_hits)" -gt 0 ] && pass ${ALLOC}_read_hits || fail ${ALLOC}_read_hits "no read hits"
[ "$(sysv 0 read_misses)" -gt 0 ] && pass ${ALLOC}_read_misses || fail ${ALLOC}_read_misses "no read misses"
check_mirror ${ALLOC}_coherence
dmsetup remove mc0

# flush_mode destage: after fsync the data is on the LU, without suspend.
dmsetup create mc0 --table "0 $L mirrorcache 256 256 2 /dev/ram0 0 /dev/ram1 1 4 mirror_alloc $ALLOC flush_mode destage"
SYS=$(sysfs_dm mc0)/mirrorcache
dd if=/dev/urandom of=/tmp/f bs=4096 count=16 2>/dev/null
dd if=/tmp/f of=/dev/mapper/mc0 bs=4096 seek=100 oflag=direct 2>/dev/null
[ "$(sysv 0 dirty_pages)" -eq 16 ] && pass ${ALLOC}_dirty_before_fsync || fail ${ALLOC}_dirty_before_fsync "dirty=$(sysv 0 dirty_pages)"
dd if=/tmp/f of=/dev/mapper/mc0 bs=4096 seek=100 oflag=direct conv=fsync 2>/dev/null
flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/f2 bs=4096 skip=100 count=16 2>/dev/null
cmp -s /tmp/f /tmp/f2 && pass ${ALLOC}_fsync_destage || fail ${ALLOC}_fsync_destage "fsync'd data not on LU"
# FUA (an O_SYNC direct write) goes through to the LU before it completes.
D1=$(sysv 1 destaged)
fio --name=fua --filename=/dev/mapper/mc0 --rw=write --bs=4k --size=32k \
	--offset=$(( (S0 / 8 + 10) * 4096 )) --direct=1 --sync=1 --ioengine=psync \
	--verify=pattern --verify_pattern=0x5a --do_verify=0 --output=/tmp/fio4.log
flushbufs /dev/ram1
assert_eq "$(dd if=/dev/ram1 bs=4096 skip=10 count=8 2>/dev/null | od -An -tx1 -v | tr -s ' \n' '\n\n' | grep . | sort -u)" 5a ${ALLOC}_fua_destage
[ "$(sysv 1 destaged)" -ge $((D1 + 8)) ] && pass ${ALLOC}_fua_counted || fail ${ALLOC}_fua_counted "destaged $D1 -> $(sysv 1 destaged)"
dmsetup remove mc0

# flush_mode mirror: a flush does not destage; the data stays mirrored.
dmsetup create mc0 --table "0 $L mirrorcache 256 256 2 /dev/ram0 0 /dev/ram1 1 4 mirror_alloc $ALLOC flush_mode mirror"
SYS=$(sysfs_dm mc0)/mirrorcache
dd if=/tmp/f of=/dev/mapper/mc0 bs=4096 seek=300 oflag=direct conv=fsync 2>/dev/null
assert_eq "$(sysv 0 dirty_pages) $(sysv 0 mirror_used)" "16 16" ${ALLOC}_fsync_mirror
# ...and suspend still destages everything.
dmsetup suspend mc0
assert_eq "$(sysv 0 dirty_pages)" 0 ${ALLOC}_suspend_destage
dmsetup resume mc0
flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/f3 bs=4096 skip=300 count=16 2>/dev/null
cmp -s /tmp/f /tmp/f3 && pass ${ALLOC}_suspend_backing || fail ${ALLOC}_suspend_backing "data not on LU after suspend"
dmsetup remove mc0
finish
