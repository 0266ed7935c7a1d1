#!/bin/sh
# Dual-path access (seed 003): the mcport target.  Refused port tables;
# ports hold their device; data written through either port reads back
# the same through both and through the device; the non-owner serves
# reads itself (from the LU when clean, from its mirror copies when dirty)
# and never returns a page whose write is still pending (forced with
# inject_copy_delay_ms); reservations (conflicts, reads pass, release,
# dropped by a failure, kept by a table reload); a failed port's path
# error; dm-multipath round-robin (and service-time) over both ports under
# fio write+verify while each controller fails and recovers and its path
# is reinstated; two writers through different ports on the same blocks;
# ext4 on the multipath device across a failure and a failback; the owner
# path moves with a takeover.  MC_SLOW (debug kernel): shorter fio runs.
. /tests/lib.sh

LU_KIB=32768
RUN=20
[ -n "${MC_SLOW:-}" ] && RUN=12
brd_setup 2 $LU_KIB
mc_load
load_mod dm-delay
load_mod dm-multipath && load_mod dm-round-robin ||
	{ fail modules "dm-multipath"; finish; }
load_mod ext4
S0=$(blockdev --getsz /dev/ram0)
L=$((S0 * 2))
INJ=/sys/kernel/debug/dm-mirrorcache
for n in 0 1; do
	dmsetup create d$n --table "0 $S0 delay /dev/ram$n 0 0 /dev/ram$n 0 20" ||
		{ fail delay_devs "dm-delay"; finish; }
done
TABLE="0 $L mirrorcache 4096 4096 2 /dev/mapper/d0 0 /dev/mapper/d1 1"
dmsetup create mc0 --table "$TABLE" || { fail create "create failed"; finish; }
SYS=$(sysfs_dm mc0)/mirrorcache
for n in 0 1; do	# keep dirty pages in the cache
	echo 1100 > $SYS/ctrl$n/writeback_high && echo 1000 > $SYS/ctrl$n/writeback_low
done
objs() { awk -v n=$1 '$1 == n { print $2 }' $INJ/objects; }
majmin() { dmsetup info -c --noheadings -o major,minor "$1" | tr -d ' '; }
# pst <port> <field>: field of the port's status line (after start len type)
pst() { dmsetup status "$1" | awk -v f=$2 '{ print $(f + 3) }'; }
# counters of a port: owner_ios forwarded local_reads mirror_reads conflicts
# path_errors are the last six fields
pcnt() {
	dmsetup status "$1" | awk -v k=$2 '{ print $(NF - 6 + k) }'
}
OWNER_IOS=1 FORWARDED=2 LOCAL_READS=3 MIRROR_READS=4 CONFLICTS=5 PATH_ERRORS=6
# blk <dev> <page>: sha256 of one 4 KiB page read with O_DIRECT
blk() {
	dd if="$1" bs=4096 skip=$2 count=1 iflag=direct 2>/dev/null |
		sha256sum | cut -d' ' -f1
}
# LU1 starts at page LU1P of the device
LU1P=$((S0 / 8))

# ---- refused port tables change nothing ----
assert_fail port_no_device dmsetup create bad --table "0 $L mcport /dev/mapper/nope 0"
assert_fail port_not_mc dmsetup create bad --table "0 $S0 mcport /dev/mapper/d0 0"
assert_fail port_short dmsetup create bad --table "0 $((L - 8)) mcport /dev/mapper/mc0 0"
assert_fail port_long dmsetup create bad --table "0 $((L + 8)) mcport /dev/mapper/mc0 0"
assert_fail port_ctrl2 dmsetup create bad --table "0 $L mcport /dev/mapper/mc0 2"
assert_fail port_ctrl_junk dmsetup create bad --table "0 $L mcport /dev/mapper/mc0 one"
assert_fail port_args dmsetup create bad --table "0 $L mcport /dev/mapper/mc0"
assert_fail port_extra dmsetup create bad --table "0 $L mcport /dev/mapper/mc0 0 x"
dmsetup remove bad 2>/dev/null
assert_eq "$(objs ports)" 0 refused_no_port

dmsetup create p0 --table "0 $L mcport /dev/mapper/mc0 0" &&
	dmsetup create p1 --table "0 $L mcport /dev/mapper/mc0 1" ||
	{ fail ports_create "port create failed"; finish; }
assert_eq "$(objs ports)" 2 ports_counted
assert_eq "$(dmsetup table p0 | cut -d' ' -f4-)" "$(majmin mc0) 0" port_table
assert_eq "$(dmsetup status p0 | cut -d' ' -f4-)" "0 online 2 owner - forward - 0 0 0 0 0 0" status_p0
assert_eq "$(dmsetup status p1 | cut -d' ' -f4-)" "1 online 2 forward - owner - 0 0 0 0 0 0" status_p1
assert_fail remove_held dmsetup remove mc0
assert_fail msg_unknown dmsetup message p0 0 frob 0
assert_fail msg_reserve_noarg dmsetup message p0 0 reserve
assert_fail msg_reserve_no_lu dmsetup message p0 0 reserve 2
assert_fail msg_reserve_junk dmsetup message p0 0 reserve x
assert_fail msg_reserve_extra dmsetup message p0 0 reserve 0 1
assert_fail msg_release_unheld dmsetup message p0 0 release 0

# ---- data through either port, read back through both and the device ----
dd if=/dev/urandom of=/tmp/a bs=4096 count=64 2>/dev/null
dd if=/tmp/a of=/dev/mapper/p0 bs=64k seek=$((LU1P / 16)) oflag=direct 2>/dev/null ||
	fail write_forwarded "dd failed"
[ "$(pcnt p0 $FORWARDED)" -gt 0 ] && pass forwarded_counted ||
	fail forwarded_counted "p0 forwarded $(pcnt p0 $FORWARDED)"
want=$(sha256sum < /tmp/a | cut -d' ' -f1)
for d in p0 p1 mc0; do
	got=$(dd if=/dev/mapper/$d bs=64k skip=$((LU1P / 16)) count=4 iflag=direct 2>/dev/null |
		sha256sum | cut -d' ' -f1)
	assert_eq "$got" "$want" "read_back_$d"
done
[ "$(pcnt p0 $MIRROR_READS)" -gt 0 ] && pass nonowner_mirror_read ||
	fail nonowner_mirror_read "no read served from the mirror copies"
[ "$(pcnt p1 $OWNER_IOS)" -gt 0 ] && pass owner_ios_counted || fail owner_ios_counted
# clean data: the non-owner reads the LU
dmsetup message mc0 0 flush || fail flush "flush failed"
lr=$(pcnt p0 $LOCAL_READS) mr=$(pcnt p0 $MIRROR_READS)
got=$(dd if=/dev/mapper/p0 bs=64k skip=$((LU1P / 16)) count=4 iflag=direct 2>/dev/null |
	sha256sum | cut -d' ' -f1)
assert_eq "$got" "$want" read_clean_nonowner
[ "$(pcnt p0 $LOCAL_READS)" -gt "$lr" ] && [ "$(pcnt p0 $MIRROR_READS)" = "$mr" ] &&
	pass nonowner_lu_read || fail nonowner_lu_read "local $(pcnt p0 $LOCAL_READS) mirror $(pcnt p0 $MIRROR_READS)"

# ---- the non-owner never serves a page whose write is pending ----
# Versions v1..v6 of one page of LU1, written through its owner's port
# p1; each write's mirror copy is delayed 300 ms, and p0 reads the page
# meanwhile: it must see the previous version or the new one, whole.
P=$((LU1P + 100))
: > /tmp/vsums
for v in 1 2 3 4 5 6; do
	dd if=/dev/urandom of=/tmp/v$v bs=4096 count=1 2>/dev/null
	sha256sum < /tmp/v$v | cut -d' ' -f1 >> /tmp/vsums
done
dd if=/tmp/v1 of=/dev/mapper/p1 bs=4096 seek=$P oflag=direct 2>/dev/null
ok=0 bad=""
for v in 2 3 4 5 6; do
	echo 300 > $INJ/inject_copy_delay_ms
	dd if=/tmp/v$v of=/dev/mapper/p1 bs=4096 seek=$P oflag=direct 2>/dev/null &
	wp=$!
	sleep 0.1
	got=$(blk /dev/mapper/p0 $P)
	wait $wp
	echo 0 > $INJ/inject_copy_delay_ms
	prev=$(sed -n "$((v - 1))p" /tmp/vsums) new=$(sed -n "${v}p" /tmp/vsums)
	[ "$got" = "$prev" ] || [ "$got" = "$new" ] || bad="$bad v$v"
	[ "$(blk /dev/mapper/p0 $P)" = "$new" ] && ok=$((ok + 1))
done
echo 0 > $INJ/inject_copy_delay_ms
assert_eq "$bad" "" pending_write_not_served
assert_eq $ok 5 newest_after_write

# ---- reservations ----
dmsetup message p0 0 reserve 1 || fail reserve "reserve refused"
dmsetup message p0 0 reserve 1 || fail reserve_again "reserve by the holder refused"
assert_eq "$(pst p1 4) $(pst p1 5) $(pst p1 6) $(pst p1 7)" "forward - owner 0" resv_status
assert_eq "$(cat $SYS/lun1/reserved_by) $(cat $SYS/lun0/reserved_by)" "0 none" resv_sysfs
assert_fail reserve_conflict dmsetup message p1 0 reserve 1
assert_fail release_not_holder dmsetup message p1 0 release 1
dd if=/dev/urandom of=/tmp/r bs=4096 count=1 2>/dev/null
c0=$(pcnt p1 $CONFLICTS)
dd if=/tmp/r of=/dev/mapper/p1 bs=4096 seek=$((LU1P + 5)) oflag=direct 2>/tmp/dd.err &&
	fail write_conflict "write through the other port passed" ||
	{ grep -q "Invalid exchange" /tmp/dd.err && pass write_conflict ||
		fail write_conflict "$(cat /tmp/dd.err | head -2)"; }
[ "$(pcnt p1 $CONFLICTS)" -gt "$c0" ] && pass conflict_counted || fail conflict_counted
dd if=/dev/mapper/p1 of=/dev/null bs=4096 skip=$((LU1P + 5)) count=1 iflag=direct 2>/dev/null &&
	pass read_passes || fail read_passes "read refused"
dd if=/tmp/r of=/dev/mapper/p1 bs=4096 seek=5 oflag=direct 2>/dev/null &&
	pass other_lu_writes || fail other_lu_writes "LU0 write refused"
dd if=/tmp/r of=/dev/mapper/p0 bs=4096 seek=$((LU1P + 5)) oflag=direct 2>/dev/null &&
	pass holder_writes || fail holder_writes "holder's write refused"
# a table reload keeps ports and reservations
dmsetup suspend mc0 && dmsetup reload mc0 --table "$TABLE" && dmsetup resume mc0 ||
	fail reload "reload failed"
SYS=$(sysfs_dm mc0)/mirrorcache
assert_eq "$(pst p1 6) $(pst p1 7)" "owner 0" resv_kept_by_reload
assert_eq "$(blk /dev/mapper/p1 $((LU1P + 5)))" "$(sha256sum < /tmp/r | cut -d' ' -f1)" read_after_reload
dd if=/tmp/r of=/dev/mapper/p1 bs=4096 seek=$((LU1P + 5)) oflag=direct 2>/dev/null &&
	fail conflict_after_reload "write passed" || pass conflict_after_reload
dmsetup message p0 0 release 1 || fail release "release refused"
dd if=/tmp/r of=/dev/mapper/p1 bs=4096 seek=$((LU1P + 5)) oflag=direct 2>/dev/null &&
	pass write_after_release || fail write_after_release "write refused"
# a failure of the holder's controller drops its reservations
dmsetup message p0 0 reserve 1 && dmsetup message p0 0 reserve 0 || fail reserve2
ctrl_do $SYS fail 0 || fail fail0 "fail refused"
assert_eq "$(pst p1 5) $(pst p1 7) $(cat $SYS/lun1/reserved_by)" "- - none" resv_dropped_by_failure
assert_fail reserve_failed_port dmsetup message p0 0 reserve 1
dd if=/tmp/r of=/dev/mapper/p1 bs=4096 seek=$((LU1P + 5)) oflag=direct 2>/dev/null &&
	pass write_after_drop || fail write_after_drop "write refused"

# ---- a failed controller's port gives path errors ----
pe=$(pcnt p0 $PATH_ERRORS)
dd if=/dev/mapper/p0 of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null &&
	fail path_error "read through the failed port passed" || pass path_error
[ "$(pcnt p0 $PATH_ERRORS)" -gt "$pe" ] && pass path_error_counted || fail path_error_counted
assert_eq "$(pst p0 2)" failed port_status_failed
ctrl_do $SYS recover 0 || fail recover0 "recover refused"
dd if=/dev/mapper/p0 of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null &&
	pass port_back || fail port_back "read through the recovered port failed"

# ---- dm-multipath round-robin over both ports ----
MPT="0 $L multipath 2 queue_mode bio 0 1 1 round-robin 0 2 1 $(majmin p0) 1 $(majmin p1) 1"
dmsetup create mp --table "$MPT" || { fail mp_create "multipath create failed"; finish; }
f0=$(pcnt p0 $FORWARDED) f1=$(pcnt p1 $FORWARDED)
fio --name=mp --filename=/dev/mapper/mp --rw=randwrite --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=8 --numjobs=2 --offset_increment=$((L * 256)) \
	--size=$((L * 256)) --time_based --runtime=$((RUN / 2)) --verify=crc32c \
	--verify_backlog=64 --verify_fatal=1 --output=/tmp/mp.log &&
	pass mp_fio_verify || fail mp_fio_verify "$(grep -iE 'err|verify' /tmp/mp.log | head -3)"
[ "$(pcnt p0 $FORWARDED)" -gt "$f0" ] && [ "$(pcnt p1 $FORWARDED)" -gt "$f1" ] &&
	pass mp_both_forward || fail mp_both_forward "forwarded p0 $(pcnt p0 $FORWARDED) p1 $(pcnt p1 $FORWARDED)"
# both paths active afterwards
mpact() { dmsetup status mp | grep -oE "[0-9]+:[0-9]+ A" | wc -l; }
assert_eq "$(mpact)" 2 mp_paths_active

# each controller fails and recovers under fio; its path is reinstated
pe=$(pcnt p0 $PATH_ERRORS)
# fio runs until it is stopped after the second recovery (SIGINT: exit
# status 128 and "terminating on signal 2"), however long the recoveries
# take; any I/O or verify error ends it before, with another status.
fio --name=mpf --filename=/dev/mapper/mp --rw=randwrite --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=8 --numjobs=2 --offset_increment=$((L * 256)) \
	--size=$((L * 256)) --time_based --runtime=600 --verify=crc32c \
	--verify_backlog=64 --verify_fatal=1 --output=/tmp/mpf.log &
fpid=$!
ok=0
for n in 0 1; do
	sleep 3
	ctrl_do $SYS fail $n && sleep 3 && ctrl_do $SYS recover $n &&
		sleep 0.5 && dmsetup message mp 0 reinstate_path $(majmin p$n) &&
		ok=$((ok + 1))
done
sleep 2
kill -0 $fpid 2>/dev/null && pass mp_failures_under_load || fail mp_failures_under_load "fio ended early"
kill -INT $fpid
wait $fpid
frc=$?
[ $frc = 128 ] && grep -q "terminating on signal 2" /tmp/mpf.log &&
	[ "$(grep -c 'err= 0' /tmp/mpf.log)" = 2 ] && ! grep -qi 'verify' /tmp/mpf.log &&
	pass mp_fio_across_failures ||
	fail mp_fio_across_failures "exit $frc: $(grep -iE 'err=|verify' /tmp/mpf.log | head -3)"
assert_eq $ok 2 mp_fail_recover_reinstate
assert_eq "$(mpact)" 2 mp_paths_reinstated
[ "$(pcnt p0 $PATH_ERRORS)" -gt "$pe" ] && pass mp_saw_path_errors || fail mp_saw_path_errors
# everything written verifies afterwards, through the device itself
fio --name=fin --filename=/dev/mapper/mp --rw=write --bs=64k --size=$((L * 512)) \
	--direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c --do_verify=0 \
	--output=/tmp/fin.log
ctrl_do $SYS fail 1
fio --name=fin --filename=/dev/mapper/mc0 --rw=write --bs=64k --size=$((L * 512)) \
	--direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c --verify_only=1 \
	--verify_fatal=1 --output=/tmp/fin2.log && pass mp_full_verify ||
	fail mp_full_verify "$(grep -iE 'err|verify' /tmp/fin2.log | head -3)"
ctrl_do $SYS recover 1
dmsetup message mp 0 reinstate_path $(majmin p1)

# service-time works the same way
load_mod dm-service-time || fail st_module "dm-service-time"
MPS="0 $L multipath 2 queue_mode bio 0 1 1 service-time 0 2 2 $(majmin p0) 1 1 $(majmin p1) 1 1"
dmsetup suspend mp && dmsetup reload mp --table "$MPS" && dmsetup resume mp ||
	fail st_reload "reload to service-time failed"
fio --name=st --filename=/dev/mapper/mp --rw=randrw --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=8 --size=$((L * 512)) --time_based \
	--runtime=4 --verify=crc32c --verify_backlog=64 --verify_fatal=1 \
	--output=/tmp/st.log && pass st_fio_verify ||
	fail st_fio_verify "$(grep -iE 'err|verify' /tmp/st.log | head -3)"
dmsetup suspend mp && dmsetup reload mp --table "$MPT" && dmsetup resume mp ||
	fail rr_reload "reload to round-robin failed"

# ---- two writers through different ports on the same blocks ----
dd if=/dev/urandom of=/tmp/wa bs=4096 count=64 2>/dev/null
dd if=/dev/urandom of=/tmp/wb bs=4096 count=64 2>/dev/null
for B in 0 $LU1P; do
	(for i in $(seq 1 15); do
		dd if=/tmp/wa of=/dev/mapper/p0 bs=256k seek=$((B / 64)) oflag=direct 2>/dev/null
	done) &
	wa=$!
	(for i in $(seq 1 15); do
		dd if=/tmp/wb of=/dev/mapper/p1 bs=256k seek=$((B / 64)) oflag=direct 2>/dev/null
	done) &
	wb=$!
	wait $wa $wb
	bad=0
	for k in $(seq 0 63); do
		a=$(dd if=/tmp/wa bs=4096 skip=$k count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
		b=$(dd if=/tmp/wb bs=4096 skip=$k count=1 2>/dev/null | sha256sum | cut -d' ' -f1)
		g0=$(blk /dev/mapper/p0 $((B + k))) g1=$(blk /dev/mapper/p1 $((B + k)))
		{ [ "$g0" = "$g1" ] && { [ "$g0" = "$a" ] || [ "$g0" = "$b" ]; }; } ||
			bad=$((bad + 1))
	done
	assert_eq $bad 0 "two_writers_page$B"
	dmsetup message mc0 0 flush
	bad=0
	for k in $(seq 0 63); do
		[ "$(blk /dev/mapper/p0 $((B + k)))" = "$(blk /dev/mapper/p1 $((B + k)))" ] ||
			bad=$((bad + 1))
	done
	assert_eq $bad 0 "two_writers_on_lu$B"
done

# ---- the owner path moves with a takeover ----
dmsetup message mc0 0 takeover 0 1 instant || fail takeover "takeover refused"
i=0
while [ "$(cut -d' ' -f1 $SYS/lun0/phase)" != idle ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(pst p0 4) $(pst p1 4)" "forward owner" takeover_moves_owner_path
f0=$(pcnt p0 $FORWARDED)
dd if=/tmp/a of=/dev/mapper/p0 bs=64k count=4 oflag=direct 2>/dev/null
[ "$(pcnt p0 $FORWARDED)" -gt "$f0" ] && pass takeover_forwarded || fail takeover_forwarded
assert_eq "$(blk /dev/mapper/p1 3)" "$(dd if=/tmp/a bs=4096 skip=3 count=1 2>/dev/null | sha256sum | cut -d' ' -f1)" takeover_read
dmsetup message mc0 0 return 0 || fail return "return refused"
i=0
while [ "$(cut -d' ' -f1 $SYS/lun0/phase)" != idle ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(pst p0 4) $(pst p1 4)" "owner forward" return_moves_owner_path

# ---- ext4 on the multipath device across a failure and a failback ----
mkfs.ext4 -q -F -b 4096 /dev/mapper/mp && mkdir -p /mnt/t &&
	mount -t ext4 /dev/mapper/mp /mnt/t || { fail ext4_mount "mkfs/mount failed"; finish; }
for i in $(seq 1 40); do
	dd if=/dev/urandom of=/mnt/t/f$i bs=4096 count=$((i % 7 + 1)) 2>/dev/null
	[ $((i % 5)) = 0 ] && sync
	[ $i = 12 ] && ctrl_do $SYS fail 1
	[ $i = 28 ] && ctrl_do $SYS recover 1
done
(cd /mnt/t && sha256sum f* > /tmp/sums)
sync
umount /mnt/t
dmsetup message mp 0 reinstate_path $(majmin p1)
e2fsck -fn /dev/mapper/mp > /tmp/fsck.log 2>&1 && pass ext4_fsck ||
	fail ext4_fsck "$(tail -3 /tmp/fsck.log)"
mount -t ext4 /dev/mapper/mp /mnt/t
(cd /mnt/t && sha256sum -c /tmp/sums > /tmp/sumcheck 2>&1) && pass ext4_checksums ||
	fail ext4_checksums "$(grep -v OK /tmp/sumcheck | head -3)"
umount /mnt/t

# ---- teardown: every object freed ----
dmsetup remove mp && dmsetup remove p0 && dmsetup remove p1 &&
	dmsetup remove mc0 && pass remove_all || fail remove_all "remove failed"
dmsetup remove d0; dmsetup remove d1
assert_eq "$(mc_objects_live)" none objects_freed
finish
