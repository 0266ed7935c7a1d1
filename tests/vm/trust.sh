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
#  3. a failover while the failed controller's disk hangs holds only that
#     controller's LUs: a write to the survivor's own LU completes while
#     the failed controller's destage is still in flight (it waited for
#     the hung disk with the whole device held);
#  4. a reload is refused while the live table holds pages an LU refused
#     (the reload dropped them);
#  5. a table of two mirrorcache targets is refused;
#  6. a destage collected before a failure and submitted after it (forced:
#     inject_wb_submit_delay_ms) is waited for by the failover: nothing
#     reaches the LU after the survivor's data, and a late completion does
#     not corrupt the recovered controller's counts;
#  7. a relinked page that the new owner of an instant takeover destages
#     while a read copies out of it keeps its slot until the read is done
#     (forced: inject_read_copy_delay_ms); the old owner's next write
#     took the slot and the read returned another LU's data;
#  9. a discard interrupted by a failover (parked behind a page under
#     write-back, its re-drive held by inject_redrive_delay_ms): a read
#     of its range after the failover
#     does not return data older than an acknowledged write (it read the
#     LU's old data before the re-driven discard fenced the range again);
# 10. the automatic retry of held pages does not run while the device is
#     torn down (forced: inject_teardown_delay_ms holds the teardown
#     between the two controllers);
# 11. a suspend of the device waits for the reads its port sent straight
#     to an LU (it returned with one in flight), and a suspended device
#     sends nothing below it, through its ports neither;
# 12. the new owner of an instant takeover fails while it pulls: after its
#     recovery it keeps no count of relinked pages (its write-back ignored
#     the watermarks for good);
# wt. a write whose mirror copy lands in the memory of a peer that failed
#     meanwhile completes only once it is on its LU (degraded_writes
#     writethrough); it completed with its one copy in the cache (forced:
#     inject_copy_delay_ms on a write re-stepped outside the gate);
# rt. a return of an LU whose instant takeover has switched (owner shows
#     the new controller) but still pulls is accepted and runs once the
#     takeover ends (it was refused: "already moving");
# as. fail and recover start their work and return: a recovery whose
#     destage waits for a slow LU shows "recovering" when the message
#     returns (it returned seconds later, online), refuses nothing it
#     should not, and a suspend meanwhile waits for it to end;
# pk. every parked bio names what it waits for (ctrlN/parked): a write
#     for a mirror page, two reads for one fill; each is woken by its
#     event and the counts go back to zero (new: there was no such file).
# ht. a takeover of a healthy LU while another LU hangs (a read waits
#     20 s for its fill): the switch holds I/O for a bounded time, then
#     lets it go and tries again; writes to a third LU complete meanwhile
#     and the takeover ends once the hung read has (the switch waited for
#     every bio of the device with all I/O held: 20 s).
# hf. the same for the switch of a recovery (failback): a write to a
#     healthy LU completes while the hung read holds the switch back, the
#     recovery ends once the read has.
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
# full_mirror <cache pages> <tag>: setup3, write-back held off, then
# ctrl0's mirror area filled by writes to LU0 (blocks 0 .. MT-1)
full_mirror() {
	setup3 $1
	MT=$(cat $SYS/ctrl0/mirror_total)
	wm $SYS/ctrl0 $MT $((MT - 1))
	dd if=/dev/urandom of=/tmp/full bs=4096 count=$MT 2>/dev/null
	dd if=/tmp/full of=/dev/mapper/mc0 bs=4096 count=$MT oflag=direct 2>/dev/null
	assert_eq "$(cat $SYS/ctrl0/mirror_used)" "$MT" $2_mirror_area_full
}
# lun_phase <lun> <phase>: LU's takeover phase is <phase>, within 60 s
lun_phase() { wait_for 60 sh -c "cut -d' ' -f1 $SYS/lun$1/phase | grep -qx $2"; }
# pulling <write delay ms> <tag>: setup3, 64 pages of LU0 in the cache
# (/tmp/<tag>.data), LU0 slow, then an instant takeover of LU0 by ctrl1,
# caught while it pulls
pulling() {
	setup3 512
	dd if=/dev/urandom of=/tmp/$2.data bs=4096 count=64 2>/dev/null
	dd if=/tmp/$2.data of=/dev/mapper/mc0 bs=4096 oflag=direct 2>/dev/null
	lu_set lu0 "$(slow 0 $1)" || fail $2_slow
	assert_ok $2_takeover dmsetup message mc0 0 takeover 0 1 instant
	lun_phase 0 pulling
}
# bg_write <block> <count> <rcfile>: a direct write in the background
bg_write() {
	( timeout 90 dd if=/dev/urandom of=/dev/mapper/mc0 bs=4096 seek=$1 \
		count=$2 oflag=direct 2>/dev/null; echo $? > $3 ) &
}

# MC_TRUST_PARTS: the parts to run, comma-separated (default: all), e.g. 2,6
PARTS=$(echo "${MC_TRUST_PARTS:-5,1,2,4,3,6,7,9,10,11,12,wt,rt,as,pk,ht,hf}" | tr , ' ')

# ---- 5. two mirrorcache targets in one table ----
part_5() {
	for i in 0 1; do dmsetup create lu$i --table "$(linear $i)" || fail lu$i; done
	TWO="0 $S mirrorcache 64 64 1 /dev/mapper/lu0 0
$S $S mirrorcache 64 64 1 /dev/mapper/lu1 1"
	assert_fail two_targets_refused dmsetup create mc2 --table "$TWO"
	assert_eq "$(dmsetup info mc2 >/dev/null 2>&1 && echo exists || echo none)" none two_targets_nothing_left
	dmsetup remove mc2 2>/dev/null
	dmsetup remove lu0; dmsetup remove lu1
}

# ---- 1. instant takeover: the old owner's parked write is woken ----
part_1() {
	full_mirror 512 lw
	lu_set lu0 "$(slow 0 3000)" || fail lw_slow
	assert_ok lw_takeover dmsetup message mc0 0 takeover 0 1 instant
	bg_write $((2 * P + 10)) 1 /tmp/lw.rc
	wait_for 60 test -s /tmp/lw.rc
	assert_eq "$(cat /tmp/lw.rc 2>/dev/null)" 0 lw_parked_write_woken
	lun_phase 0 idle
	assert_eq "$(cat $SYS/lun0/owner) $(cut -d' ' -f1 $SYS/lun0/phase)" "1 idle" lw_takeover_done
	lu_set lu0 "$(linear 0)"
	teardown lw
}

# ---- 2. a dead LU under write load ----
part_2() {
	full_mirror 128 dl
	lu_set lu0 "$(dead)" || fail dl_dead
	bg_write $MT 4 /tmp/dl0.rc		# LU0: parks for a mirror page
	sleep 1
	timeout 60 dmsetup message mc0 0 flush
	assert_eq $? 1 dl_flush_fails
	wait_for 60 test -s /tmp/dl0.rc
	assert_eq "$(cat /tmp/dl0.rc 2>/dev/null || echo hung)" 1 dl_parked_write_to_dead_lu_fails
	# the automatic retry moves them back to the dirty list for a moment
	wait_for 10 sh -c "[ \$(cat $SYS/lun0/held_pages) = $MT ]" && pass dl_held ||
		fail dl_held "$(cat $SYS/lun0/held_pages) held, want $MT"
	dd if=/dev/urandom of=/tmp/dl2 bs=4096 count=8 2>/dev/null
	timeout 60 dd if=/tmp/dl2 of=/dev/mapper/mc0 bs=4096 seek=$((2 * P + 20)) oflag=direct 2>/dev/null
	assert_eq $? 0 dl_other_lu_of_same_ctrl_writes
	dd if=/dev/mapper/mc0 of=/tmp/dl2r bs=4096 skip=$((2 * P + 20)) count=8 iflag=direct 2>/dev/null
	cmp -s /tmp/dl2 /tmp/dl2r && pass dl_other_lu_reads_back || fail dl_other_lu_reads_back
	timeout 60 dmsetup message mc0 0 takeover 2 1
	assert_eq $? 0 dl_takeover_healthy_lu
	lun_phase 2 idle
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
}

# ---- 4. a reload while LU pages are held ----
part_4() {
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
}

# ---- 3. a failover while the failed controller's disk hangs ----
part_3() {
	setup3 512
	dd if=/dev/urandom of=/tmp/hu bs=4096 count=32 2>/dev/null
	dd if=/dev/urandom of=/tmp/hu1 bs=4096 count=1 2>/dev/null
	dd if=/tmp/hu of=/dev/mapper/mc0 bs=4096 seek=64 oflag=direct 2>/dev/null
	lu_set lu0 "$(slow 0 10000)" || fail hu_slow
	wm $SYS/ctrl0 16 8	# write-back starts: its destages hang 10 s
	sleep 1
	assert_ok hu_fail timeout 60 dmsetup message mc0 0 fail 0; mc_settle $SYS
	assert_eq "$(cut -d' ' -f1 $SYS/fencing)" ctrl0 hu_fencing_shown
	timeout 60 dd if=/tmp/hu1 of=/dev/mapper/mc0 bs=4096 seek=$((P + 10)) oflag=direct 2>/dev/null
	assert_eq $? 0 hu_survivor_lu_writes
	assert_eq "$(cut -d' ' -f1 $SYS/fencing)" ctrl0 hu_survivor_lu_not_behind_hung_disk
	wait_for 60 sh -c "grep -qx none $SYS/fencing" && pass hu_fence_ends || fail hu_fence_ends "$(cat $SYS/fencing)"
	dd if=/dev/mapper/mc0 of=/tmp/hur bs=4096 skip=64 count=32 iflag=direct 2>/dev/null
	cmp -s /tmp/hu /tmp/hur && pass hu_failed_lu_reads_back || fail hu_failed_lu_reads_back
	lu_set lu0 "$(linear 0)"
	timeout 60 dmsetup message mc0 0 flush
	assert_eq $? 0 hu_flush
	flushbufs /dev/ram0 /dev/ram1
	dd if=/dev/ram0 of=/tmp/hur0 bs=4096 skip=64 count=32 2>/dev/null
	cmp -s /tmp/hu /tmp/hur0 && pass hu_data_on_lu0 || fail hu_data_on_lu0
	dd if=/dev/ram1 of=/tmp/hur1 bs=4096 skip=10 count=1 2>/dev/null
	cmp -s /tmp/hu1 /tmp/hur1 && pass hu_data_on_lu1 || fail hu_data_on_lu1
	assert_ok hu_recover timeout 60 dmsetup message mc0 0 recover 0; mc_settle $SYS
	teardown hu
}

# ---- 6. a destage submitted after the failover fence ----
# LU0 is dm-delay (2 s) over dm-log-writes: the log keeps the data of every
# write that reached the LU.  A destage of ctrl0 collected before the
# failure is submitted 2 s later (the knob); the failover must wait for it,
# or it reads ctrl0's memory after the scrub and the poison reaches the LU.
part_6() {
	setup3 512
	dmsetup create lw --table "0 $S log-writes /dev/ram0 /dev/ram3" || fail fe_lw
	wm $SYS/ctrl0 $(cat $SYS/ctrl0/mirror_total) 64
	dd if=/dev/urandom of=/tmp/fe bs=4096 count=32 2>/dev/null
	dd if=/tmp/fe of=/dev/mapper/mc0 bs=4096 seek=64 oflag=direct 2>/dev/null
	lu_set lu0 "0 $S delay /dev/mapper/lw 0 0 /dev/mapper/lw 0 2000" || fail fe_slow
	echo 2000 > $DBG/inject_wb_submit_delay_ms || fail fe_knob
	( timeout 90 dmsetup message mc0 0 flush; echo $? > /tmp/fe.rc ) &
	sleep 0.5
	assert_ok fe_fail timeout 60 dmsetup message mc0 0 fail 0; mc_settle $SYS
	wait_for 60 test -s /tmp/fe.rc
	timeout 60 dmsetup message mc0 0 flush
	assert_eq $? 0 fe_survivor_flush
	assert_ok fe_recover timeout 60 dmsetup message mc0 0 recover 0; mc_settle $SYS
	D=$(cat $SYS/ctrl0/dirty_pages)
	[ "$D" -le 512 ] && pass fe_counts_sane || fail fe_counts_sane "ctrl0 dirty_pages $D"
	dd if=/dev/urandom of=/tmp/fe2 bs=4096 count=4 2>/dev/null
	dd if=/tmp/fe2 of=/dev/mapper/mc0 bs=4096 seek=300 oflag=direct 2>/dev/null
	timeout 60 dmsetup message mc0 0 flush
	assert_eq $? 0 fe_flush_after_recover
	assert_eq "$(cat $SYS/ctrl0/dirty_pages)" 0 fe_destages_after_recover
	lu_set lu0 "$(linear 0)"
	dmsetup remove lw
	# a 16-byte line of the poison pattern 0xdeadc0de anywhere in the log
	if od -A n -t x1 /dev/ram3 | grep -q "de c0 ad de de c0 ad de de c0 ad de de c0 ad de"; then
		fail fe_no_poison_reached_lu "a write of ctrl0's scrubbed memory reached the LU"
	else
		pass fe_no_poison_reached_lu
	fi
	flushbufs /dev/ram0
	dd if=/dev/ram0 of=/tmp/fer bs=4096 skip=64 count=32 2>/dev/null
	cmp -s /tmp/fe /tmp/fer && pass fe_data_on_lu || fail fe_data_on_lu
	dd if=/dev/ram0 of=/tmp/fer2 bs=4096 skip=300 count=4 2>/dev/null
	cmp -s /tmp/fe2 /tmp/fer2 && pass fe_new_data_on_lu || fail fe_new_data_on_lu
	echo 0 > $DBG/inject_wb_submit_delay_ms
	teardown fe
}

# ---- 7. a read of a relinked page while the new owner destages it ----
part_7() {
	full_mirror 512 rd
	lu_set lu0 "$(slow 0 2000)" || fail rd_slow
	assert_ok rd_takeover dmsetup message mc0 0 takeover 0 1 instant
	lun_phase 0 pulling
	echo 3000 > $DBG/inject_read_copy_delay_ms
	( dd if=/dev/mapper/mc0 of=/tmp/rdr bs=4096 skip=5 count=1 iflag=direct 2>/dev/null
	  echo $? > /tmp/rd.rc ) &
	sleep 0.5
	# ctrl0 writes as many pages of LU2 as it has mirror pages, as soon
	# as ctrl1's destages give them back
	timeout 60 dd if=/dev/urandom of=/dev/mapper/mc0 bs=4096 seek=$((2 * P)) \
		count=$MT oflag=direct 2>/dev/null
	assert_eq $? 0 rd_old_owner_writes
	wait_for 30 test -s /tmp/rd.rc
	assert_eq "$(cat /tmp/rd.rc)" 0 rd_read
	dd if=/tmp/full of=/tmp/rd5 bs=4096 skip=5 count=1 2>/dev/null
	cmp -s /tmp/rd5 /tmp/rdr && pass rd_read_returns_its_data ||
		fail rd_read_returns_its_data "the read of a relinked page returned other data"
	lun_phase 0 idle
	assert_eq "$(cat $SYS/lun0/owner) $(cut -d' ' -f1 $SYS/lun0/phase)" "1 idle" rd_pull_done
	echo 0 > $DBG/inject_read_copy_delay_ms
	lu_set lu0 "$(linear 0)"
	teardown rd
}

# ---- 11. a port's read straight to an LU across a suspend ----
part_11() {
	setup3 512
	dmsetup create p1 --table "0 $((3 * S)) mcport /dev/mapper/mc0 1" || fail pr_port
	lu_set lu0 "0 $S delay /dev/ram0 0 3000" || fail pr_slow
	# ctrl1 does not own LU0 and LU0's page is clean: a local read
	( dd if=/dev/mapper/p1 of=/dev/null bs=4096 skip=100 count=1 iflag=direct 2>/dev/null
	  echo $? > /tmp/pr.rc ) &
	# the read is at the LU (dm-delay holds it) before the suspend starts
	wait_for 10 sh -c "dmsetup status lu0 | awk '{ exit \$4 != 1 }'" && pass pr_read_at_lu ||
		fail pr_read_at_lu "$(dmsetup status lu0)"
	assert_ok pr_suspend timeout 60 dmsetup suspend mc0
	# the read has left the LU when the suspend returns (dd's exit status
	# may take a moment more to reach the file)
	assert_eq "$(dmsetup status lu0 | awk '{ print $4 }')" 0 pr_suspend_waits_for_port_read
	wait_for 10 test -s /tmp/pr.rc
	assert_eq "$(cat /tmp/pr.rc 2>/dev/null || echo in-flight)" 0 pr_port_read_completed
	( dd if=/dev/mapper/p1 of=/dev/null bs=4096 skip=200 count=1 iflag=direct 2>/dev/null
	  echo $? > /tmp/pr2.rc ) &
	sleep 4
	assert_eq "$(cat /tmp/pr2.rc 2>/dev/null || echo queued)" queued pr_no_port_io_while_suspended
	assert_ok pr_resume dmsetup resume mc0
	wait_for 30 test -s /tmp/pr2.rc
	assert_eq "$(cat /tmp/pr2.rc)" 0 pr_port_read_after_resume
	dmsetup remove p1
	lu_set lu0 "$(linear 0)"
	teardown pr
}

# ---- 12. the new owner of an instant takeover fails while it pulls ----
part_12() {
	pulling 3000 np
	assert_ok np_fail_new_owner timeout 60 dmsetup message mc0 0 fail 1; mc_settle $SYS
	assert_eq "$(cat $SYS/ctrl1/relinked_left)" 0 np_failed_counts_nothing
	assert_ok np_recover timeout 60 dmsetup message mc0 0 recover 1; mc_settle $SYS
	assert_eq "$(cat $SYS/ctrl1/relinked_left)" 0 np_recovered_counts_nothing
	lu_set lu0 "$(linear 0)"
	dmsetup message mc0 0 flush
	flushbufs /dev/ram0
	dd if=/dev/ram0 of=/tmp/npr bs=4096 count=64 2>/dev/null
	cmp -s /tmp/np.data /tmp/npr && pass np_data_on_lu || fail np_data_on_lu
	teardown np
}

# ---- 9. a discard interrupted by a failover keeps its fence ----
# The LUs are loop devices on tmpfs (discard support), LU0 behind dm-delay
# (writes 3 s).  LU0 holds OLD on disk; block 15 is under write-back for
# 3 s, blocks 0-14 get NEW in the cache; a discard of blocks 0-15 drops
# 0-14 (their mirror pages released) and parks at 15.  Then ctrl0 fails, the re-drive is held 3 s, and block 0
# is read through the survivor.
part_9() {
	load_mod loop || { fail dz_loop; return; }
	for i in 0 1; do
		rm -f /tmp/dz$i.img
		dd if=/dev/zero of=/tmp/dz$i.img bs=1M count=0 seek=16 2>/dev/null
	done
	L0=$(losetup -f) && losetup $L0 /tmp/dz0.img && L1=$(losetup -f) &&
		losetup $L1 /tmp/dz1.img || { fail dz_losetup; return; }
	ZS=$((16 * 2048))
	dmsetup create dz0 --table "0 $ZS linear $L0 0" || fail dz_lu0
	dmsetup create mc0 --table "0 $((2 * ZS)) mirrorcache 512 512 2 /dev/mapper/dz0 0 $L1 1" ||
		{ fail dz_create; return; }
	SYS=$(sysfs_dm mc0)/mirrorcache
	dd if=/dev/urandom of=/tmp/dzold bs=4096 count=16 2>/dev/null
	dd if=/dev/urandom of=/tmp/dznew bs=4096 count=16 2>/dev/null
	dd if=/dev/zero of=/tmp/dzzero bs=4096 count=16 2>/dev/null
	dd if=/tmp/dzold of=/dev/mapper/mc0 bs=4096 oflag=direct 2>/dev/null
	dmsetup message mc0 0 flush
	MT=$(cat $SYS/ctrl0/mirror_total)
	wm $SYS/ctrl0 $MT $((MT - 1))
	dd if=/tmp/dznew of=/dev/mapper/mc0 bs=4096 skip=15 seek=15 count=1 oflag=direct 2>/dev/null
	dd if=/tmp/dznew of=/dev/mapper/mc0 bs=4096 seek=16 count=1 oflag=direct 2>/dev/null
	lu_set dz0 "0 $ZS delay $L0 0 0 $L0 0 3000" || fail dz_slow
	wm $SYS/ctrl0 1 0	# one batch: blocks 15 and 16, 3 s at the LU
	sleep 0.3
	wm $SYS/ctrl0 $MT $((MT - 1))
	dd if=/tmp/dznew of=/dev/mapper/mc0 bs=4096 count=15 oflag=direct 2>/dev/null
	( blkdiscard -o 0 -l $((16 * 4096)) /dev/mapper/mc0; echo $? > /tmp/dz.rc ) &
	sleep 0.5
	echo 3000 > $DBG/inject_redrive_delay_ms
	assert_ok dz_fail timeout 60 dmsetup message mc0 0 fail 0; mc_settle $SYS
	dd if=/dev/mapper/mc0 of=/tmp/dzr bs=4096 count=1 iflag=direct 2>/dev/null
	dd if=/tmp/dzold of=/tmp/dzold0 bs=4096 count=1 2>/dev/null
	cmp -s /tmp/dzr /tmp/dzold0 && fail dz_no_older_data "the read returned the LU's data from before an acknowledged write" ||
		pass dz_no_older_data
	wait_for 30 test -s /tmp/dz.rc
	assert_eq "$(cat /tmp/dz.rc 2>/dev/null)" 0 dz_discard_completes
	dd if=/dev/mapper/mc0 of=/tmp/dzr16 bs=4096 count=16 iflag=direct 2>/dev/null
	cmp -s /tmp/dzr16 /tmp/dzzero && pass dz_range_discarded || fail dz_range_discarded
	echo 0 > $DBG/inject_redrive_delay_ms
	lu_set dz0 "0 $ZS linear $L0 0"
	assert_ok dz_recover timeout 60 dmsetup message mc0 0 recover 0; mc_settle $SYS
	dmsetup remove mc0
	dmsetup remove dz0
	losetup -d $L0; losetup -d $L1
	assert_eq "$(mc_objects_live)" none objects_freed_dz
}

# ---- 10. the retry work during the teardown ----
part_10() {
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
}

# ---- wt. a write in flight at a failover goes write-through ----
# A write to LU1 parks for a mirror page; when write-back frees one, the
# I/O work re-steps it (outside the gate, which a failover does not wait
# for) and the knob holds it between its local copy and its mirror copy
# while ctrl0 fails.  LU1 is slow (1 s): the write must not complete
# before LU1 has it.
part_wt() {
	setup3 512
	MT=$(cat $SYS/ctrl1/mirror_total)
	wm $SYS/ctrl1 $MT $((MT - 1))
	dd if=/dev/urandom of=/dev/mapper/mc0 bs=4096 seek=$P count=$MT oflag=direct 2>/dev/null
	lu_set lu1 "$(slow 1 1000)" || fail wt_slow
	dd if=/dev/urandom of=/tmp/wt bs=4096 count=1 2>/dev/null
	echo 3000 > $DBG/inject_copy_delay_ms
	( dd if=/tmp/wt of=/dev/mapper/mc0 bs=4096 seek=$((P + MT + 8)) oflag=direct 2>/dev/null
	  echo $? > /tmp/wt.rc ) &
	sleep 2
	assert_ok wt_fail timeout 60 dmsetup message mc0 0 fail 0; mc_settle $SYS
	wait_for 60 test -s /tmp/wt.rc
	flushbufs /dev/ram1
	dd if=/dev/ram1 of=/tmp/wtr bs=4096 skip=$((MT + 8)) count=1 2>/dev/null
	cmp -s /tmp/wt /tmp/wtr && pass wt_on_lu_when_acknowledged ||
		fail wt_on_lu_when_acknowledged "acknowledged before LU1 had it"
	echo 0 > $DBG/inject_copy_delay_ms
	lu_set lu1 "$(linear 1)"
	assert_ok wt_recover timeout 60 dmsetup message mc0 0 recover 0; mc_settle $SYS
	teardown wt
}

# ---- rt. a return behind a takeover that has switched ----
part_rt() {
	pulling 2000 rt
	assert_eq "$(cat $SYS/lun0/owner)" 1 rt_switched
	assert_ok rt_return_accepted dmsetup message mc0 0 return 0
	assert_fail rt_second_return_refused dmsetup message mc0 0 return 0
	wait_for 60 sh -c "[ \"\$(cat $SYS/lun0/owner) \$(cut -d' ' -f1 $SYS/lun0/phase)\" = '0 idle' ]" &&
		pass rt_returned || fail rt_returned "$(cat $SYS/lun0/owner) $(cat $SYS/lun0/phase)"
	assert_eq "$(cat $SYS/lun0/takeovers)" 2 rt_two_moves
	dd if=/dev/mapper/mc0 of=/tmp/rtr bs=4096 count=64 iflag=direct 2>/dev/null
	cmp -s /tmp/rt.data /tmp/rtr && pass rt_data || fail rt_data
	lu_set lu0 "$(linear 0)"
	teardown rt
}

# ---- as. fail and recover are asynchronous ----
part_as() {
	setup3 512
	dd if=/dev/urandom of=/tmp/as bs=4096 count=64 2>/dev/null
	dd if=/tmp/as of=/dev/mapper/mc0 bs=4096 oflag=direct 2>/dev/null
	lu_set lu0 "$(slow 0 4000)" || fail as_slow
	assert_ok as_fail dmsetup message mc0 0 fail 0
	st=$(cat $SYS/ctrl0/state)
	case $st in failing|failed) pass as_fail_shown ;; *) fail as_fail_shown "ctrl0 $st" ;; esac
	assert_fail as_fail_peer_refused dmsetup message mc0 0 fail 1
	mc_settle $SYS
	assert_eq "$(cat $SYS/ctrl0/state) $(cat $SYS/lun0/owner)" "failed 1" as_failed_over
	# ctrl1 destages LU0's 64 relinked pages through the 4 s delay
	assert_ok as_recover dmsetup message mc0 0 recover 0
	assert_eq "$(cat $SYS/ctrl0/state)" recovering as_recover_returns_at_once
	wait_for 3 grep -qx destage $SYS/failback && pass as_phase_shown || fail as_phase_shown "failback $(cat $SYS/failback)"
	assert_fail as_recover_twice_refused dmsetup message mc0 0 recover 0
	assert_fail as_takeover_refused dmsetup message mc0 0 takeover 1 0
	assert_ok as_suspend_waits timeout 60 dmsetup suspend mc0
	assert_eq "$(cat $SYS/ctrl0/state) $(cat $SYS/failback) $(cat $SYS/lun0/owner)" "online idle 0" as_recovered_before_suspend
	dmsetup resume mc0
	dd if=/dev/mapper/mc0 of=/tmp/asr bs=4096 count=64 iflag=direct 2>/dev/null
	cmp -s /tmp/as /tmp/asr && pass as_data || fail as_data
	lu_set lu0 "$(linear 0)"
	teardown as
}

# ---- pk. every parked bio says what it waits for ----
part_pk() {
	NONE="fill 0 page 0 free 0 mirror 0 discard 0"
	full_mirror 128 pk
	assert_eq "$(cat $SYS/ctrl0/parked)" "$NONE" pk_nothing_parked
	# LU0 slow: the destage that the parked write starts takes 3 s
	lu_set lu0 "$(slow 0 3000)" || fail pk_slow0
	bg_write $MT 1 /tmp/pk.rc		# LU0: the mirror area is full
	wait_for 2 grep -q "mirror 1 " $SYS/ctrl0/parked && pass pk_mirror_named ||
		fail pk_mirror_named "$(cat $SYS/ctrl0/parked)"
	wait_for 60 test -s /tmp/pk.rc
	assert_eq "$(cat /tmp/pk.rc 2>/dev/null || echo hung)" 0 pk_mirror_wait_woken
	assert_eq "$(cat $SYS/ctrl0/parked)" "$NONE" pk_mirror_unparked
	lu_set lu0 "$(linear 0)"
	# two reads of one block of LU1 (ctrl1) while its fill takes 3 s
	lu_set lu1 "0 $S delay /dev/ram1 0 3000 /dev/ram1 0 0" || fail pk_slow
	for k in 1 2; do
		( dd if=/dev/mapper/mc0 of=/tmp/pkr$k bs=4096 skip=$((P + 5)) count=1 \
			iflag=direct 2>/dev/null; echo $? > /tmp/pkr$k.rc ) &
	done
	wait_for 3 grep -q "^fill 2 " $SYS/ctrl1/parked && pass pk_fill_named ||
		fail pk_fill_named "$(cat $SYS/ctrl1/parked)"
	wait_for 30 sh -c "test -s /tmp/pkr1.rc && test -s /tmp/pkr2.rc"
	assert_eq "$(cat /tmp/pkr1.rc /tmp/pkr2.rc 2>/dev/null | tr -d '\n')" 00 pk_fill_wait_woken
	cmp -s /tmp/pkr1 /tmp/pkr2 && pass pk_reads_agree || fail pk_reads_agree
	assert_eq "$(cat $SYS/ctrl1/parked)" "$NONE" pk_fill_unparked
	lu_set lu1 "$(linear 1)"
	teardown pk
}

# hung_read <tag> <block>: LU0 hangs 20 s per read; a read of <block>
# waits for its fill in the background (/tmp/<tag>.rc once it ends)
hung_read() {
	lu_set lu0 "0 $S delay /dev/ram0 0 20000 /dev/ram0 0 0" || fail $1_hang0
	( dd if=/dev/mapper/mc0 of=/dev/null bs=4096 skip=$2 count=1 iflag=direct 2>/dev/null
	  echo $? > /tmp/$1.rc ) &
	wait_for 5 grep -q "^fill 1 " $SYS/ctrl0/parked || fail $1_read_parked "$(cat $SYS/ctrl0/parked)"
}
# quick_write <tag> <block>: a 4 KiB write to LU2 completes within 10 s
quick_write() {
	sleep 1
	t0=$(now_ms)
	timeout 60 dd if=/tmp/$1 of=/dev/mapper/mc0 bs=4096 seek=$2 oflag=direct 2>/dev/null
	t=$(( $(now_ms) - t0 ))
	[ $t -lt 10000 ] && pass $1_other_lu_writes || fail $1_other_lu_writes "took $t ms"
}

# hung_end <tag> <log text>: the hung read ends well, LU0 is back, the
# kernel log says the switch let I/O go, nothing is left
hung_end() {
	wait_for 30 test -s /tmp/$1.rc
	assert_eq "$(cat /tmp/$1.rc 2>/dev/null)" 0 $1_hung_read_completes
	lu_set lu0 "$(linear 0)"
	dmesg | grep -q "$2" && pass $1_retry_logged || fail $1_retry_logged
	teardown $1
}

# ---- ht. a hung LU does not hold a takeover of another LU's I/O ----
part_ht() {
	setup3 512
	dd if=/dev/urandom of=/tmp/ht bs=4096 count=1 2>/dev/null
	hung_read ht 7
	assert_ok ht_takeover dmsetup message mc0 0 takeover 1 0 destage
	quick_write ht $((2 * P + 3))
	assert_ok ht_message_returns timeout 15 dmsetup message mc0 0 flush
	lun_phase 1 idle && pass ht_takeover_ends || fail ht_takeover_ends "$(cat $SYS/lun1/phase)"
	assert_eq "$(cat $SYS/lun1/owner)" 0 ht_taken_over
	hung_end ht "takeover of LU 1: I/O of the device did not drain"
}

# ---- hf. a hung LU does not hold a failback's switch for ever ----
part_hf() {
	setup3 512
	dd if=/dev/urandom of=/tmp/hf bs=4096 count=1 2>/dev/null
	assert_ok hf_fail msg_do mc0 fail 1
	hung_read hf 9
	assert_ok hf_recover dmsetup message mc0 0 recover 1
	quick_write hf $((2 * P + 4))
	mc_settle $SYS
	assert_eq "$(cat $SYS/ctrl1/state)" online hf_recovered
	assert_eq "$(cat $SYS/lun1/owner)" 1 hf_lu_back
	hung_end hf "did not drain within 5 s for the failback"
}

for p in $PARTS; do part_$p; done
finish
