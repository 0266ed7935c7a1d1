#!/bin/sh
# LU takeover on command (seed 004, destage) and instant takeover (seed
# 001): every refused action changes nothing; data written before,
# during and after a takeover reads back through the device and is on the
# LU after remove, with nothing stale; takeovers back and forth under fio
# write+verify on both LUs; a controller failure at each phase of each
# method, on either controller, under fio verify; ext4 across takeovers and
# returns; recovery returns LUs to the controller recorded when they left.
# The LUs are RAM disks behind dm-delay, so dirty pages stay in the cache.
# MC_SLOW (debug kernel): fewer rounds, and the failure matrix fails each
# phase on one controller only (alternating), make check runs all of it.
. /tests/lib.sh

LU_KIB=32768
ROUNDS=6
[ -n "${MC_SLOW:-}" ] && ROUNDS=2
brd_setup 2 $LU_KIB
mc_load
load_mod dm-delay
load_mod ext4
S0=$(blockdev --getsz /dev/ram0)
L=$((S0 * 2))
INJ=/sys/kernel/debug/dm-mirrorcache

# setdelay <n> <write ms>: LU n is /dev/ramN behind dm-delay dN
setdelay() {
	t="0 $S0 delay /dev/ram$1 0 0 /dev/ram$1 0 $2"
	if [ -b /dev/mapper/d$1 ]; then
		dmsetup suspend d$1 && dmsetup reload d$1 --table "$t" &&
			dmsetup resume d$1
	else
		dmsetup create d$1 --table "$t"
	fi
}
setdelay 0 0 && setdelay 1 0 || { fail delay_devs "dm-delay"; finish; }
TABLE="0 $L mirrorcache 4096 4096 2 /dev/mapper/d0 0 /dev/mapper/d1 1"
dmsetup create mc0 --table "$TABLE" || { fail create "create failed"; finish; }
SYS=$(sysfs_dm mc0)/mirrorcache
for n in 0 1; do	# keep dirty pages in the cache
	echo 1100 > $SYS/ctrl$n/writeback_high && echo 1000 > $SYS/ctrl$n/writeback_low
done
own() { echo "$(cat $SYS/lun0/owner) $(cat $SYS/lun1/owner)"; }
rto() { echo "$(cat $SYS/lun0/return_to) $(cat $SYS/lun1/return_to)"; }
phase() { cut -d' ' -f1 $SYS/lun$1/phase; }
# wait_phase <lun> <phase> [tenths]: until the LU's phase is that one
wait_phase() {
	i=0
	while [ "$(phase $1)" != "$2" ]; do
		[ $i -ge "${3:-600}" ] && return 1
		sleep 0.1; i=$((i + 1))
	done
}
# the takeover fields of dmsetup status for LU k: return_to phase left
# takeovers hold_us duration_us (the last group of the line)
stmove() {
	dmsetup status mc0 | awk -v k=$1 '{ n = $(NF - 12); if (n != 2) exit 1;
		b = NF - 12 + 6 * k; print $(b + 1), $(b + 2), $(b + 4) }'
}

# ---- refused actions change nothing ----
assert_fail msg_takeover_noarg dmsetup message mc0 0 takeover
assert_fail msg_takeover_onearg dmsetup message mc0 0 takeover 0
assert_fail msg_takeover_no_lu dmsetup message mc0 0 takeover 2 1
assert_fail msg_takeover_no_ctrl dmsetup message mc0 0 takeover 0 2
assert_fail msg_takeover_junk_lu dmsetup message mc0 0 takeover x 1
assert_fail msg_takeover_junk_ctrl dmsetup message mc0 0 takeover 0 one
assert_fail msg_takeover_method dmsetup message mc0 0 takeover 0 1 fast
assert_fail msg_takeover_extra dmsetup message mc0 0 takeover 0 1 destage now
assert_fail msg_takeover_owned dmsetup message mc0 0 takeover 0 0
assert_fail msg_return_noarg dmsetup message mc0 0 return
assert_fail msg_return_home dmsetup message mc0 0 return 0
assert_fail msg_return_no_lu dmsetup message mc0 0 return 5
assert_fail msg_return_junk dmsetup message mc0 0 return x
assert_fail msg_return_method dmsetup message mc0 0 return all fast
assert_fail sysfs_takeover_junk sh -c "echo x > $SYS/lun0/takeover"
assert_fail sysfs_takeover_method sh -c "echo '1 fast' > $SYS/lun0/takeover"
assert_fail sysfs_takeover_owned sh -c "echo 0 > $SYS/lun0/takeover"
assert_fail sysfs_takeover_no_ctrl sh -c "echo 2 > $SYS/lun0/takeover"
assert_fail sysfs_return_home sh -c "echo 1 > $SYS/lun0/return"
assert_fail sysfs_return_junk sh -c "echo maybe > $SYS/lun1/return"
dmsetup suspend mc0
assert_fail takeover_suspended dmsetup message mc0 0 takeover 0 1
dmsetup resume mc0
ctrl_do $SYS fail 1
assert_fail takeover_to_failed dmsetup message mc0 0 takeover 0 1
assert_fail takeover_to_failed_sysfs sh -c "echo 1 > $SYS/lun1/takeover"
ctrl_do $SYS recover 1
assert_ok return_all_none_away dmsetup message mc0 0 return all
assert_eq "$(own) $(rto) $(phase 0) $(phase 1) $(cat $SYS/lun0/takeovers)" \
	"0 1 none none idle idle 0" refused_changed_nothing

# ---- destage: the owner destages, then the LU switches ----
setdelay 0 300
dd if=/dev/urandom of=/tmp/a bs=4096 count=800 2>/dev/null
dd if=/tmp/a of=/dev/mapper/mc0 bs=4096 oflag=direct 2>/dev/null
D=$(cat $SYS/ctrl0/dirty_pages)
[ "$D" -ge 700 ] && pass dirty_before || fail dirty_before "$D dirty"
assert_ok takeover_destage dmsetup message mc0 0 takeover 0 1
assert_eq "$(phase 0)" destaging phase_destaging
assert_fail takeover_moving dmsetup message mc0 0 takeover 0 1 instant
assert_fail takeover_moving_sysfs sh -c "echo 1 > $SYS/lun0/takeover"
wait_phase 0 idle && pass destage_done || fail destage_done "$(cat $SYS/lun0/phase)"
assert_eq "$(own) $(rto) $(cat $SYS/lun0/takeovers)" "1 1 0 none 1" destage_owner
assert_eq "$(cat $SYS/ctrl0/dirty_pages)" 0 destage_old_owner_clean
assert_eq "$(stmove 0)" "0 idle 1" status_fields
dd if=/dev/mapper/mc0 of=/tmp/a2 bs=4096 count=800 iflag=direct 2>/dev/null
cmp -s /tmp/a /tmp/a2 && pass destage_data || fail destage_data "LU0 data differs"
echo "destage takeover: $D dirty, I/O held $(cat $SYS/lun0/takeover_hold_us) us, $(cat $SYS/lun0/takeover_us) us in all"
assert_ok return_destage sh -c "echo 1 > $SYS/lun0/return"
wait_phase 0 idle && pass return_done || fail return_done "$(cat $SYS/lun0/phase)"
assert_eq "$(own) $(rto) $(cat $SYS/lun0/takeovers)" "0 1 none none 2" returned

# ---- instant: I/O at once, newest data from the relinked pages ----
setdelay 0 5000
dd if=/dev/urandom of=/tmp/b bs=4096 count=1000 2>/dev/null
dd if=/tmp/b of=/dev/mapper/mc0 bs=4096 oflag=direct 2>/dev/null
D=$(cat $SYS/ctrl0/dirty_pages)
[ "$D" -ge 900 ] && pass dirty_before_instant || fail dirty_before_instant "$D dirty"
assert_ok takeover_instant dmsetup message mc0 0 takeover 0 1 instant
wait_phase 0 pulling 100 && pass phase_pulling || fail phase_pulling "$(cat $SYS/lun0/phase)"
assert_eq "$(own)" "1 1" instant_owner_at_once
dd if=/dev/mapper/mc0 of=/tmp/b2 bs=4096 count=1000 iflag=direct 2>/dev/null
cmp -s /tmp/b /tmp/b2 && pass instant_read_newest || fail instant_read_newest "LU0 data differs while pulling"
# rewrite some pages of the table while it is pulled, read them back
P=$(phase 0)
dd if=/dev/urandom of=/tmp/c bs=4096 count=100 2>/dev/null
dd if=/tmp/c of=/dev/mapper/mc0 bs=4096 seek=100 oflag=direct 2>/dev/null
cp /tmp/b /tmp/bc && dd if=/tmp/c of=/tmp/bc bs=4096 seek=100 conv=notrunc 2>/dev/null
dd if=/dev/mapper/mc0 of=/tmp/b3 bs=4096 count=1000 iflag=direct 2>/dev/null
cmp -s /tmp/bc /tmp/b3 && pass instant_rewrite_newest || fail instant_rewrite_newest "differs"
[ "$P" = pulling ] && pass rewritten_while_pulling || fail rewritten_while_pulling "phase $P"
wait_phase 0 idle && pass instant_done || fail instant_done "$(cat $SYS/lun0/phase)"
assert_eq "$(own) $(rto) $(cat $SYS/lun0/takeovers)" "1 1 0 none 3" instant_owner
echo "instant takeover: $D dirty on a 5 s disk, I/O held $(cat $SYS/lun0/takeover_hold_us) us, $(cat $SYS/lun0/takeover_us) us in all"
setdelay 0 0
assert_ok return_instant dmsetup message mc0 0 return 0
wait_phase 0 idle && pass instant_return_done || fail instant_return_done "$(cat $SYS/lun0/phase)"
assert_eq "$(own) $(rto)" "0 1 none none" instant_returned
dd if=/dev/mapper/mc0 of=/tmp/b4 bs=4096 count=1000 iflag=direct 2>/dev/null
cmp -s /tmp/bc /tmp/b4 && pass instant_data_after_return || fail instant_data_after_return "differs"

# ---- recovery returns LUs where they left from (seed 004) ----
dmsetup message mc0 0 takeover 0 1 && wait_phase 0 idle
ctrl_do $SYS fail 0 && ctrl_do $SYS recover 0
assert_eq "$(own) $(rto)" "0 1 none none" recovery_returns_away_lu
dmsetup message mc0 0 takeover 0 1 instant && wait_phase 0 idle
ctrl_do $SYS fail 1
assert_eq "$(own) $(rto)" "0 0 none 1" failover_brings_lu_home
ctrl_do $SYS recover 1
assert_eq "$(own) $(rto)" "0 1 none none" recovery_returns_failed_over

# ---- takeovers back and forth under fio write+verify on both LUs ----
fio --name=tk --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
	--direct=1 --ioengine=libaio --iodepth=8 --numjobs=2 \
	--offset_increment=$((L * 256)) --size=$((L * 256)) \
	--time_based --runtime=40 --verify=crc32c --verify_backlog=64 \
	--verify_fatal=1 --output=/tmp/tk.log &
fpid=$!
sleep 2
ok=0 n=0
while [ $n -lt $ROUNDS ] && kill -0 $fpid 2>/dev/null; do
	n=$((n + 1))
	m=destage
	[ $((n % 2)) = 0 ] && m=instant
	dmsetup message mc0 0 takeover 0 1 $m && dmsetup message mc0 0 takeover 1 0 $m &&
		wait_phase 0 idle && wait_phase 1 idle &&
		[ "$(own)" = "1 0" ] && dmsetup message mc0 0 return all &&
		wait_phase 0 idle && wait_phase 1 idle && [ "$(own)" = "0 1" ] &&
		ok=$((ok + 1))
done
[ $n -ge 2 ] && pass rounds_under_load || fail rounds_under_load "fio ended after $n rounds"
wait $fpid && pass rounds_fio || fail rounds_fio "$(grep -iE 'err=|verify' /tmp/tk.log | head -3)"
assert_eq $ok $n rounds_done
assert_eq "$(cat $SYS/lun0/takeovers) $(cat $SYS/lun1/takeovers)" \
	"$((n * 2 + 6)) $((n * 2))" rounds_counted

# ---- a controller fails at each phase of each method ----
# phase_fail <method> <phase> <victim>: fio writes LU0 and verifies; LU0
# moves from ctrl0 to ctrl1; ctrl<victim> fails in <phase>; nothing is
# lost and the survivor owns LU0.
phase_fail() {
	m=$1 ph=$2 v=$3 tag=$1_$2_fail$3
	setdelay 0 1000
	fio --name=pf --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
		--size=4M --direct=1 --ioengine=libaio --iodepth=16 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --randseed=$v \
		--output=/tmp/pf.log &
	fpid=$!
	i=0
	while [ "$(cat $SYS/ctrl0/dirty_pages)" -lt 400 ] && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
	[ $ph = switching ] && echo 1500 > $INJ/inject_takeover_hold_ms
	dmsetup message mc0 0 takeover 0 1 $m || fail "$tag" "takeover refused"
	case $ph in
	switching)	# inside the hold: the knob was taken
		i=0
		while [ "$(cat $INJ/inject_takeover_hold_ms)" != 0 ] && [ $i -lt 300 ]; do
			sleep 0.05; i=$((i + 1))
		done ;;
	*) wait_phase 0 $ph 100 || fail "${tag}_phase" "$(cat $SYS/lun0/phase)" ;;
	esac
	P=$(phase 0)
	ctrl_do $SYS fail $v || fail "$tag" "fail refused"
	wait $fpid && pass "${tag}_fio_verify" ||
		fail "${tag}_fio_verify" "$(grep -iE 'err|verify' /tmp/pf.log | head -3)"
	wait_phase 0 idle || fail "${tag}_idle" "$(cat $SYS/lun0/phase)"
	assert_eq "$P $(cat $SYS/lun0/owner)" "$ph $((1 - v))" "${tag}_survivor_owns"
	setdelay 0 0
	ctrl_do $SYS recover $v || fail "${tag}_recover" "refused"
	[ "$(cat $SYS/lun0/owner)" = 0 ] || { dmsetup message mc0 0 return 0 && wait_phase 0 idle; }
	assert_eq "$(own) $(rto)" "0 1 none none" "${tag}_home"
	fio --name=pf --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
		--size=4M --direct=1 --ioengine=libaio --iodepth=16 \
		--verify=crc32c --verify_only=1 --verify_fatal=1 --randseed=$v \
		--output=/tmp/pf2.log && pass "${tag}_verify_after" ||
		fail "${tag}_verify_after" "$(grep -iE 'err|verify' /tmp/pf2.log | head -3)"
	# and on the LU itself once everything is destaged
	dmsetup message mc0 0 flush || fail "${tag}_flush" "flush failed"
	fio --name=pf --filename=/dev/ram0 --rw=randwrite --bs=4k \
		--size=4M --direct=1 --ioengine=libaio --iodepth=16 \
		--verify=crc32c --verify_only=1 --verify_fatal=1 --randseed=$v \
		--output=/tmp/pf3.log && pass "${tag}_on_lu" ||
		fail "${tag}_on_lu" "$(grep -iE 'err|verify' /tmp/pf3.log | head -3)"
}
if [ -n "${MC_SLOW:-}" ]; then	# half the matrix: each phase, each victim once
	phase_fail destage destaging 0
	phase_fail destage switching 1
	phase_fail instant switching 0
	phase_fail instant pulling 1
else
	for v in 0 1; do
		phase_fail destage destaging $v
		phase_fail destage switching $v
		phase_fail instant switching $v
		phase_fail instant pulling $v
	done
fi
echo 0 > $INJ/inject_takeover_hold_ms

# ---- ext4 across takeovers and returns ----
mkfs.ext4 -q -F -b 4096 /dev/mapper/mc0 || fail ext4_mkfs "mkfs failed"
mkdir -p /mnt/t && mount -t ext4 /dev/mapper/mc0 /mnt/t || fail ext4_mount "mount failed"
for i in $(seq 1 40); do
	dd if=/dev/urandom of=/mnt/t/f$i bs=4096 count=$((i % 9 + 1)) 2>/dev/null
	[ $((i % 5)) = 0 ] && sync
	[ $i = 10 ] && dmsetup message mc0 0 takeover 0 1 instant
	[ $i = 20 ] && wait_phase 0 idle && dmsetup message mc0 0 return 0
	[ $i = 30 ] && wait_phase 0 idle && dmsetup message mc0 0 takeover 1 0
done
(cd /mnt/t && sha256sum f* > /tmp/sums)
sync
umount /mnt/t
wait_phase 1 idle
assert_eq "$(own) $(rto)" "0 0 none 1" ext4_owners
e2fsck -fn /dev/mapper/mc0 > /tmp/fsck.log 2>&1 && pass ext4_fsck || fail ext4_fsck "$(tail -3 /tmp/fsck.log)"
mount -t ext4 /dev/mapper/mc0 /mnt/t
(cd /mnt/t && sha256sum -c /tmp/sums > /tmp/sumcheck 2>&1) && pass ext4_checksums ||
	fail ext4_checksums "$(grep -v OK /tmp/sumcheck | head -3)"
umount /mnt/t
assert_ok return_all dmsetup message mc0 0 return all
wait_phase 1 idle
assert_eq "$(own) $(rto)" "0 1 none none" return_all_home

# ---- nothing stale on the LUs: write known data, move, remove, compare ----
setdelay 0 500
dd if=/tmp/b of=/dev/mapper/mc0 bs=4096 oflag=direct 2>/dev/null
dmsetup message mc0 0 takeover 0 1 instant && wait_phase 0 pulling 100
dd if=/tmp/c of=/dev/mapper/mc0 bs=4096 seek=100 oflag=direct 2>/dev/null
wait_phase 0 idle
dmsetup remove mc0 || fail remove "remove failed"
setdelay 0 0
dd if=/dev/ram0 of=/tmp/b5 bs=4096 count=1000 2>/dev/null
cmp -s /tmp/bc /tmp/b5 && pass lu_has_newest || fail lu_has_newest "the LU differs from the last writes"
dmsetup remove d0; dmsetup remove d1
assert_eq "$(mc_objects_live)" none objects_freed
finish
