#!/bin/sh
# Controller failure, degrade, recovery and failback: refused actions,
# relink of acknowledged dirty data, write-through while degraded, fio
# write+verify across failures of either controller, repeated cycles under
# load, and ext4 across a failure and a failback.  On the debug kernel
# (MC_SLOW) the LUs are smaller and the repeated cycles fewer; MC_SHORT
# only makes the cycles fewer.  MC_ENGINE sets copy_engine
# (failover_dma.sh: dma, with the test DMA provider, short).
. /tests/lib.sh

LU_KIB=32768				# 2 x 32 MiB
CYCLES=10 OBJ_CYCLES=8
[ -n "${MC_SLOW:-}${MC_SHORT:-}" ] && CYCLES=3 OBJ_CYCLES=2
[ -n "${MC_SLOW:-}" ] && LU_KIB=8192
brd_setup 2 $LU_KIB
mc_load
load_mod ext4
S0=$(blockdev --getsz /dev/ram0)
S1=$(blockdev --getsz /dev/ram1)
L=$((S0 + S1))
TABLE="0 $L mirrorcache 128 128 2 /dev/ram0 0 /dev/ram1 1${MC_ENGINE:+ 2 copy_engine $MC_ENGINE}"

dmsetup create mc0 --table "$TABLE" || { fail create "create failed"; finish; }
SYS=$(sysfs_dm mc0)/mirrorcache
st() { cat $SYS/ctrl$1/state; }
own() { echo "$(cat $SYS/lun0/owner) $(cat $SYS/lun1/owner)"; }

# ---- refused actions change nothing ----
assert_fail fail_write_0 sh -c "echo 0 > $SYS/ctrl0/fail"
assert_fail fail_write_2 sh -c "echo 2 > $SYS/ctrl0/fail"
assert_fail fail_write_junk sh -c "echo yes > $SYS/ctrl0/fail"
assert_fail recover_online sh -c "echo 1 > $SYS/ctrl0/recover"
assert_fail recover_junk sh -c "echo 1x > $SYS/ctrl1/recover"
assert_fail msg_fail_noarg dmsetup message mc0 0 fail
assert_fail msg_fail_2 dmsetup message mc0 0 fail 2
assert_fail msg_fail_junk dmsetup message mc0 0 fail x
assert_fail msg_fail_extra dmsetup message mc0 0 fail 0 1
assert_fail msg_recover_online dmsetup message mc0 0 recover 1
assert_fail msg_unknown dmsetup message mc0 0 explode
assert_eq "$(st 0) $(st 1) $(own)" "online online 0 1" refused_changed_nothing

# ---- acknowledged dirty data survives a failure ----
dd if=/dev/urandom of=/tmp/a bs=4096 count=24 2>/dev/null
dd if=/dev/urandom of=/tmp/b bs=4096 count=24 2>/dev/null
dd if=/tmp/a of=/dev/mapper/mc0 bs=4096 seek=10 oflag=direct 2>/dev/null
dd if=/tmp/b of=/dev/mapper/mc0 bs=4096 seek=$((S0 / 8 + 10)) oflag=direct 2>/dev/null
D0=$(cat $SYS/ctrl0/dirty_pages)
[ "$D0" -gt 0 ] && pass dirty_before_fail || fail dirty_before_fail "nothing dirty on ctrl0"
assert_ok fail_ctrl0 ctrl_do $SYS fail 0
assert_eq "$(st 0) $(st 1) $(own) $(cat $SYS/degraded)" "failed online 1 1 1" degraded_state
R=$(cat $SYS/pages_relinked)
[ "$R" -ge "$D0" ] && pass relinked || fail relinked "relinked $R < dirty $D0"
assert_eq "$(cat $SYS/ctrl1/solo)" 1 survivor_solo
assert_fail fail_last_online sh -c "echo 1 > $SYS/ctrl1/fail"
assert_fail msg_fail_last dmsetup message mc0 0 fail 1
assert_fail fail_failed sh -c "echo 1 > $SYS/ctrl0/fail"
mirrorcache-status mc0 > /tmp/st.out 2>&1
grep -q '^Controller 0: failed' /tmp/st.out && grep -q '^Controller 1: solo' /tmp/st.out &&
	grep -q 'DEGRADED$' /tmp/st.out && pass status_tool_failed ||
	fail status_tool_failed "$(grep -E '^(mc0|Controller)' /tmp/st.out | tr '\n' '|')"
assert_eq "$(st 0) $(st 1)" "failed online" refused_while_degraded
dd if=/dev/mapper/mc0 of=/tmp/a2 bs=4096 skip=10 count=24 iflag=direct 2>/dev/null
dd if=/dev/mapper/mc0 of=/tmp/b2 bs=4096 skip=$((S0 / 8 + 10)) count=24 iflag=direct 2>/dev/null
cmp -s /tmp/a /tmp/a2 && pass relinked_data || fail relinked_data "LU0 data lost in failover"
cmp -s /tmp/b /tmp/b2 && pass survivor_data || fail survivor_data "LU1 data lost in failover"

# Degraded write-through: the write is on the LU when it completes.
dd if=/dev/urandom of=/tmp/c bs=4096 count=8 2>/dev/null
dd if=/tmp/c of=/dev/mapper/mc0 bs=4096 seek=200 oflag=direct 2>/dev/null
flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/c2 bs=4096 skip=200 count=8 2>/dev/null
cmp -s /tmp/c /tmp/c2 && pass writethrough_on_lu || fail writethrough_on_lu "degraded write not on LU"

# Recovery fails LU0 back to ctrl0; the data stays.
assert_ok recover_ctrl0 msg_do mc0 recover 0
assert_eq "$(st 0) $(st 1) $(own) $(cat $SYS/degraded)" "online online 0 1 0" recovered_state
assert_eq "$(cat $SYS/failbacks) $(cat $SYS/ctrl1/solo) $(cat $SYS/ctrl1/relinked_left)" "1 0 0" failback_done
dd if=/dev/mapper/mc0 of=/tmp/a3 bs=4096 skip=10 count=24 iflag=direct 2>/dev/null
cmp -s /tmp/a /tmp/a3 && pass data_after_failback || fail data_after_failback "LU0 data lost in failback"
echo "failover stall $(cat $SYS/failover_stall_us) us, failback stall $(cat $SYS/failback_stall_us) us"

# ---- fio write+verify while a controller fails mid-run ----
# fio_fail_once <ctrl> <attempt>: 4 KiB random writes over both LUs with
# crc32c headers; the controller fails while they run; then every block
# is verified and the controller recovers.  Sets RELINKED to 1 when the
# failure relinked a page; adds what went wrong to BAD (fio) or RBAD
# (recovery).
# pages_add_up <ctrl>: one snapshot of ctrlN/pages under load fits the
# read/write area: dirty pages outside the mirror area (dirty - relinked),
# held, clean, free and backup ones
pages_add_up() {
	set -- $(cat $SYS/ctrl$1/pages) $(cat $SYS/ctrl$1/rw_pages)
	[ $(($2 - ${12} + $4 + $6 + $8 + ${10})) -le ${13} ] ||
		{ echo "ctrl pages: $*"; return 1; }
}

fio_fail_once() {
	n=$1 a=$2
	R0=$(cat $SYS/pages_relinked_total)
	fio --name=ff --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
		--size=$((L * 512)) --direct=1 --ioengine=libaio --iodepth=16 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --randseed=$n$a \
		--loops=2 --output=/tmp/ff.log &
	fpid=$!
	# Fail as soon as acknowledged data sits dirty in the cache.  A page
	# counts as dirty from the moment a write takes it, before its mirror
	# copy completes, and up to 16 writes (fio's queue depth) can have
	# their copy in flight, so wait for 32.
	i=0
	while [ "$(cat $SYS/ctrl$n/dirty_pages)" -lt 32 ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	for k in 1 2 3 4 5; do
		pages_add_up 0 && pages_add_up 1 || PBAD="$PBAD; $(pages_add_up 0; pages_add_up 1)"
	done
	d=$(cat $SYS/ctrl$n/dirty_pages)
	ctrl_do $SYS fail $n || BAD="$BAD; fail refused"
	wait $fpid || BAD="$BAD; attempt $a: $(grep -iE 'err|verify' /tmp/ff.log | head -3)"
	if [ "$(cat $SYS/pages_relinked_total)" -gt "$R0" ]; then
		RELINKED=1
	else	# seen a few times under .ci/run, never reproduced by hand
		echo "fio_fail$n attempt $a relinked nothing: $d dirty after $i polls;" \
			"$(dmesg | grep "ctrl$n failed: " | tail -n 1)"
	fi
	ctrl_do $SYS recover $n || RBAD="$RBAD; recover refused"
	[ "$(st 0) $(st 1) $(own)" = "online online 0 1" ] ||
		RBAD="$RBAD; attempt $a: $(st 0) $(st 1) $(own)"
}

# fio_fail <ctrl>: fio_fail_once until the failure relinked a page, at
# most three times; every attempt must verify and recover.
fio_fail() {
	n=$1 RELINKED=0 BAD="" RBAD="" PBAD=""
	# Write-back of controller n only above 30 dirty pages, so its dirty
	# pages reach 32 within the first writes to its LU and stay at 30 or
	# more even if fio has ended by the failure.  With the default
	# watermarks (19 and 9) a fast machine destaged to brd so quickly that
	# fio was done before 16 were dirty, and the failure relinked nothing.
	WBH=$(cat $SYS/ctrl$n/writeback_high) WBL=$(cat $SYS/ctrl$n/writeback_low)
	for a in 1 2 3; do
		echo 38 > $SYS/ctrl$n/writeback_high &&
			echo 30 > $SYS/ctrl$n/writeback_low ||
			fail "fio_watermarks$n" "watermarks refused"
		fio_fail_once $n $a
		[ $RELINKED = 1 ] && break
	done
	[ -z "$BAD" ] && pass "fio_verify_across_fail$n" || fail "fio_verify_across_fail$n" "$BAD"
	[ $RELINKED = 1 ] && pass "fio_relinked$n" ||
		fail "fio_relinked$n" "no page relinked in 3 attempts"
	[ -z "$RBAD" ] && pass "fio_recovered$n" || fail "fio_recovered$n" "$RBAD"
	[ -z "$PBAD" ] && pass "pages_snapshot_adds_up$n" || fail "pages_snapshot_adds_up$n" "$PBAD"
	echo $WBL > $SYS/ctrl$n/writeback_low && echo $WBH > $SYS/ctrl$n/writeback_high ||
		fail "fio_watermarks_back$n" "watermarks refused"
}
fio_fail 0
fio_fail 1

# ---- cycles under continuous load ----
# fio_fail may take more than one attempt, so count from here.
F0=$(cat $SYS/failovers) B0=$(cat $SYS/failbacks)
fio --name=cy --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
	--size=$((L * 512)) --direct=1 --ioengine=libaio --iodepth=8 --numjobs=2 \
	--offset_increment=$((L * 256)) --size=$((L * 256)) \
	--time_based --runtime=45 --verify=crc32c --verify_backlog=64 \
	--verify_fatal=1 --output=/tmp/cy.log &
fpid=$!
sleep 2
ok=0
for i in $(seq 1 $CYCLES); do
	for n in 0 1; do
		ctrl_do $SYS fail $n && sleep 0.3 &&
			ctrl_do $SYS recover $n && sleep 0.3 && ok=$((ok + 1))
	done
done
kill -0 $fpid 2>/dev/null && pass cycles_under_load || fail cycles_under_load "fio ended before the cycles"
wait $fpid && pass cycles_fio || fail cycles_fio "$(grep -iE 'err=|verify' /tmp/cy.log | head -3)"
assert_eq $ok $((CYCLES * 2)) cycles_done
assert_eq "$(($(cat $SYS/failovers) - F0)) $(($(cat $SYS/failbacks) - B0))" \
	"$((CYCLES * 2)) $((CYCLES * 2))" cycles_counted
# Everything written verifies afterwards too.
fio --name=fin --filename=/dev/mapper/mc0 --rw=write --bs=64k --size=$((L * 512)) \
	--direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c --do_verify=0 \
	--output=/tmp/fin.log
ctrl_do $SYS fail 1
fio --name=fin --filename=/dev/mapper/mc0 --rw=write --bs=64k --size=$((L * 512)) \
	--direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c --verify_only=1 \
	--verify_fatal=1 --output=/tmp/fin2.log && pass full_verify_degraded ||
	fail full_verify_degraded "$(grep -iE 'err|verify' /tmp/fin2.log | head -3)"
ctrl_do $SYS recover 1

# ---- ext4 across a failure, then across a failback ----
ext4_run() {
	tag=$1 action=$2
	mkfs.ext4 -q -F -b 4096 /dev/mapper/mc0 || { fail "${tag}_mkfs" "mkfs failed"; return; }
	mkdir -p /mnt/t && mount -t ext4 /dev/mapper/mc0 /mnt/t || { fail "${tag}_mount" "mount failed"; return; }
	: > /tmp/sums
	for i in $(seq 1 40); do
		dd if=/dev/urandom of=/mnt/t/f$i bs=4096 count=$((i % 7 + 1)) 2>/dev/null
		[ $((i % 5)) = 0 ] && sync
		[ $i = 15 ] && eval "$action"
	done
	(cd /mnt/t && sha256sum f* > /tmp/sums)
	sync
	umount /mnt/t
	e2fsck -fn /dev/mapper/mc0 > /tmp/fsck.log 2>&1 && pass "${tag}_fsck" ||
		fail "${tag}_fsck" "$(tail -3 /tmp/fsck.log)"
	mount -t ext4 /dev/mapper/mc0 /mnt/t
	(cd /mnt/t && sha256sum -c /tmp/sums > /tmp/sumcheck 2>&1) && pass "${tag}_checksums" ||
		fail "${tag}_checksums" "$(grep -v OK /tmp/sumcheck | head -3)"
	umount /mnt/t
}
ext4_run ext4_fail "ctrl_do $SYS fail 1"
assert_eq "$(st 1) $(own)" "failed 0 0" ext4_degraded
ext4_run ext4_failback "ctrl_do $SYS recover 1"
assert_eq "$(st 1) $(own)" "online 0 1" ext4_failed_back

dmsetup remove mc0 || fail remove "remove failed"

# ---- every object is freed across create, fail, recover, remove ----
obj_cycle() {
	dmsetup create mcs --table "$TABLE" || return 1
	SS=$(sysfs_dm mcs)/mirrorcache
	for k in 0 1; do
		dd if=/dev/urandom of=/dev/mapper/mcs bs=64k count=32 oflag=direct 2>/dev/null
		ctrl_do $SS fail $k || return 1
		dd if=/dev/mapper/mcs of=/dev/null bs=64k count=32 iflag=direct 2>/dev/null
		ctrl_do $SS recover $k || return 1
	done
	dmsetup remove mcs || return 1
	[ "$(mc_objects_live)" = none ]
}
ok=0
for i in $(seq 1 $OBJ_CYCLES); do obj_cycle && ok=$((ok + 1)); done
assert_eq $ok $OBJ_CYCLES object_cycles
assert_eq "$(mc_objects_live)" none objects_freed
finish
