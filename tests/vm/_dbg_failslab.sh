#!/bin/sh
# Fault injection; debug kernel only (make check-debug runs it by name; the
# leading underscore keeps it out of `all`).  On a kernel without failslab
# and fail_make_request it fails: it never passes without checking.
#
# 1. failslab sweep over the table load: for a galloping series of N
#    (below) the Nth slab allocation of `dmsetup load` fails (dm core's table setup, then the
#    mirrorcache constructor).  The fault is armed with /proc/PID/fail-nth
#    while dmsetup waits for its table on stdin, so dmsetup's own start-up
#    (exec, libraries) is not counted.  Each load must fail cleanly or
#    succeed; afterwards no device is left, no LU is held and a dm-linear
#    device can take the LUs.  The sweep ends with the first load that
#    runs through without reaching allocation N.  The harness's kmemleak
#    scan after the case catches what a failed constructor leaked.
# 2. fail_make_request on an LU under a mirrorcache device: one bio fails;
#    the write, the flush, the read back and the removal must not hang and
#    the kernel must not complain.
# 3. failslab on the table's own bio slab while a FUA write goes through to
#    the LUs from .map (flush_mode destage: one LU bio per page, allocated
#    in .map, where the bios already submitted wait on current->bio_list):
#    with every slab allocation of the bio slabs (slub_debug=A,bio-* on the
#    debug VM's command line) failing in the writer, the
#    third bio waits for the mempool's reserve of two.  Without the
#    bio_set's rescuer (BIOSET_NEED_RESCUER) nothing returns them and the
#    write hangs; with it the write completes and reads back.
# MC_FAILSLAB_MAX bounds the loads (400), MC_FAILSLAB_STEP the gallop (32),
# MC_FAILSLAB_TRACE=1 prints every failed load.
. /tests/lib.sh

FS=/sys/kernel/debug/failslab
FMR=/sys/kernel/debug/fail_make_request
if [ ! -d $FS ] || [ ! -d $FMR ] || [ ! -w /proc/self/fail-nth ]; then
	fail debug_kernel "no $FS, $FMR or fail-nth: run this case on the debug kernel (make check-debug)"
	finish
fi
MAX=${MC_FAILSLAB_MAX:-400}	# loads

brd_setup 2 16384
mc_load
S0=$(blockdev --getsz /dev/ram0)
S1=$(blockdev --getsz /dev/ram1)
TABLE="0 $((S0 + S1)) mirrorcache 256 128 2 /dev/ram0 0 /dev/ram1 1"
LINEAR="0 $S0 linear /dev/ram0 0
$S0 $S1 linear /dev/ram1 0"

# ---- 1. failslab sweep ----
# Only fail-nth injects (probability 0); it counts `times` down from 1 to 0
# when it fires, which tells a load that met its fault from one that
# finished before allocation N.  GFP_KERNEL allocations count too.
echo 0 > $FS/probability
echo 1 > $FS/interval
echo 0 > $FS/space
echo 0 > $FS/verbose
echo 0 > $FS/times
echo N > $FS/ignore-gfp-wait
echo N > $FS/cache-filter 2>/dev/null

# armed_load <n>: dmsetup load mcf with allocation n failing; sets RC
# (dmsetup's exit status), FIRED (1: the fault was injected) and ARMED (1:
# dmsetup was seen waiting in read(0, ...) before arming)
armed_load() {
	rm -f /tmp/tbl
	mkfifo /tmp/tbl
	dmsetup load mcf < /tmp/tbl > /tmp/load.out 2>&1 &
	lpid=$!
	exec 3> /tmp/tbl
	ARMED=0
	i=0
	while [ $i -lt 200 ]; do
		case $(cat /proc/$lpid/syscall 2>/dev/null) in
		"0 0x0 "*) ARMED=1; break ;;
		esac
		sleep 0.05
		i=$((i + 1))
	done
	echo 1 > $FS/times
	echo "$1" > /proc/$lpid/fail-nth
	echo "$TABLE" >&3
	exec 3>&-
	wait $lpid
	RC=$?
	[ "$(cat $FS/times)" = 0 ] && FIRED=1 || FIRED=0
	echo 0 > $FS/times
}

# problem <what>: count and print a problem of iteration n (one line each)
problem() {
	echo "failslab: n=$n: $1"
	PROBLEMS=$((PROBLEMS + 1))
}

# ndm: dm devices in the system
ndm() { ls /sys/block | grep -c '^dm-'; }

# lus_held: holders of the LUs (dm devices with a table using them)
lus_held() { ls /sys/block/ram0/holders /sys/block/ram1/holders 2>/dev/null | grep -v -e '^/' -e '^$'; }

# linear_ok: a dm-linear device can take both LUs
linear_ok() {
	if dmsetup create mclin --table "$LINEAR" > /tmp/lin.out 2>&1; then
		dmsetup remove mclin > /dev/null 2>&1 || problem "dm-linear remove failed"
	else
		problem "dm-linear over the LUs failed: $(tail -1 /tmp/lin.out)"
	fi
}

# Each load goes into the inactive slot of one empty device, mcf: a failed
# load leaves nothing to clean up, a successful one is cleared (destructor).
# Every dmsetup run costs a second or more on the debug kernel, so per load
# only the cheap checks run; dm-linear every 25 loads and at the end.
#
# The load makes about a thousand counted allocations (a 256-element
# mempool alone is 256, and kmemleak's own metadata allocation after each
# object counts too: such a fault is absorbed by its emergency pool, the
# load succeeds), and the count is not exactly the same from load to load,
# so neither a step-by-one sweep nor one that stops at every change of the
# failure message fits the time.  The sweep gallops: while loads fail with
# a message already seen (a known failing step of the constructor or of dm
# core), the step between Ns doubles up to MC_FAILSLAB_STEP; an unseen
# message after a step > 2 sends it back to the last failing N and on one
# by one, so a new step is recorded within one allocation of its first and
# the allocations just before it are not jumped over.  A load that absorbs
# its fault is followed by N + 1 (under kmemleak every other allocation is
# kmemleak's metadata).  The end (a load that no longer meets its fault)
# is approached like a new message.  The kernel log is moved to
# /tmp/sweep.log after every load.

# load_msg: the last device-mapper table message of the latest load
load_msg() {
	dmesg -c > /tmp/load.dmesg
	cat /tmp/load.dmesg >> /tmp/sweep.log
	sed -n 's/^\[[^]]*\] \(device-mapper: table: .*\)/\1/p' /tmp/load.dmesg | tail -n 1
}

# seen <msg>: 0 when <msg> was the failure message of an earlier load
seen() { grep -qxF "$1" /tmp/seen.msgs; }

MAXSTEP=${MC_FAILSLAB_STEP:-32}
n=1 STEP=1 LASTN=0 LOADS=0
FAULTS=0 FAILED=0 SUCCEEDED=0 PROBLEMS=0 NOTARMED=0 DONE=0 SITES=0
: > /tmp/seen.msgs
dmesg -c > /tmp/sweep.log
t0=$(cut -d. -f1 /proc/uptime)
dmsetup create mcf --notable || problem "dmsetup create --notable failed"
while [ $LOADS -lt $MAX ]; do
	LOADS=$((LOADS + 1))
	armed_load $n
	msg=$(load_msg)
	[ $ARMED = 1 ] || NOTARMED=$((NOTARMED + 1))
	if [ $FIRED = 0 ]; then
		# the load ran through without reaching allocation n
		[ $RC = 0 ] || problem "load failed without an injected fault: $(tail -1 /tmp/load.out)"
		[ $RC = 0 ] && dmsetup clear mcf > /dev/null 2>&1
		if [ $STEP -gt 1 ]; then
			n=$((LASTN + 1)) STEP=1
			continue
		fi
		DONE=1
		break
	fi
	FAULTS=$((FAULTS + 1))
	if [ $RC = 0 ]; then
		SUCCEEDED=$((SUCCEEDED + 1))
		dmsetup clear mcf > /tmp/clear.out 2>&1 || problem "clear failed: $(tail -1 /tmp/clear.out)"
	else
		FAILED=$((FAILED + 1))
	fi
	[ "$(ndm)" = 1 ] || problem "$(ndm) dm devices, want 1 (mcf): $(dmsetup ls 2>&1 | tr '\n' ' ')"
	held=$(lus_held)
	[ -z "$held" ] || problem "LU still held by: $held"
	[ $((LOADS % 25)) = 0 ] && { linear_ok; echo "failslab: $LOADS loads, n=$n, $(( $(cut -d. -f1 /proc/uptime) - t0 ))s"; }
	if [ $RC = 0 ]; then
		# absorbed: kmemleak's metadata allocation, which follows every
		# object (so about every other N), or an allocation with a
		# fallback.  The next allocation is a real one.
		n=$((n + 1))
		continue
	fi
	[ -n "$msg" ] || msg="(no table message) $(tail -1 /tmp/load.out)"
	[ -n "${MC_FAILSLAB_TRACE:-}" ] && echo "failslab: trace n=$n step=$STEP $msg"
	if seen "$msg"; then
		LASTN=$n
		[ $STEP -lt $MAXSTEP ] && STEP=$((STEP * 2))
		n=$((n + STEP))
	elif [ $STEP -gt 2 ]; then
		n=$((LASTN + 1)) STEP=1
	else
		echo "failslab: n=$n: $msg"
		echo "$msg" >> /tmp/seen.msgs
		SITES=$((SITES + 1))
		LASTN=$n
		n=$((n + 1))
	fi
done
# The load without a fault: resume, read, remove.
if [ $DONE = 1 ] && [ $RC = 0 ]; then
	if dmsetup resume mcf > /tmp/resume.out 2>&1; then
		dd if=/dev/mapper/mcf of=/dev/null bs=4k count=4 iflag=direct 2>/dev/null ||
			problem "read after the load failed"
	else
		problem "resume failed: $(tail -1 /tmp/resume.out)"
	fi
fi
dmsetup remove mcf > /tmp/remove.out 2>&1 || problem "remove failed: $(tail -1 /tmp/remove.out)"
held=$(lus_held)
[ -z "$held" ] || problem "LU still held by: $held"
linear_ok
t1=$(cut -d. -f1 /proc/uptime)
echo "failslab: $LOADS loads, $FAULTS met their fault ($FAILED failed cleanly," \
	"$SUCCEEDED succeeded anyway), $SITES failure messages, the load with n=$n met none; $((t1 - t0))s"

# The kernel log of the sweep.  kmem_cache_create() dumps the stack when
# it fails (mm/slab_common.c; -ENOMEM, or -EINVAL from SLUB's
# kmem_cache_open), as it does here when bioset_init meets the injected
# fault: expected, not a bug.  Everything else the
# harness would flag fails slab_kernel_log; the log is then cleared so the
# harness does not count those dumps, which is why this case checks it.
BADLOG='BUG:|WARNING:|Oops|general protection fault|blocked for more than|soft lockup|Call Trace|KASAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|dm_put_device call missing'
dmesg -c >> /tmp/sweep.log
awk '/kmem_cache_create.*failed with error -[0-9]/ { skip = 1 }
	!skip { print }
	skip && /<\/TASK>/ { skip = 0 }' /tmp/sweep.log > /tmp/sweep.clean
mv /tmp/sweep.clean /tmp/sweep.log
if grep -q -E "$BADLOG" /tmp/sweep.log; then
	first=$(grep -n -m 1 -E "$BADLOG" /tmp/sweep.log | cut -d: -f1)
	echo "failslab: kernel log from its first report:"
	tail -n +$((first > 3 ? first - 3 : 1)) /tmp/sweep.log | head -n 150
	fail slab_kernel_log "$(grep -m 1 -E "$BADLOG" /tmp/sweep.log)"
else
	pass slab_kernel_log
fi
[ $FAULTS -gt 0 ] && pass slab_faults_injected || fail slab_faults_injected "no fault was injected"
[ $DONE = 1 ] && pass slab_sweep_complete ||
	fail slab_sweep_complete "the load still met its fault after $MAX loads (MC_FAILSLAB_MAX)"
[ $NOTARMED = 0 ] && pass slab_armed_at_read ||
	fail slab_armed_at_read "$NOTARMED loads armed without seeing dmsetup wait for its table"
[ $PROBLEMS = 0 ] && pass slab_clean_after_faults || fail slab_clean_after_faults "$PROBLEMS problems, see above"
assert_eq "$(dmsetup ls 2>/dev/null | grep -vc '^No devices found')" 0 slab_no_device_left
# No reference to a RAM disk left: brd unloads.
assert_ok slab_lus_released rmmod brd

# ---- 2. fail_make_request on an LU ----
hung() { [ "$1" = 124 ] || [ "$1" = 137 ] || [ "$1" = 143 ]; }
T2=$(cut -d' ' -f1 /proc/uptime)
brd_setup 2 16384 || fail brd_reload "brd_setup failed"
dmsetup create mc0 --table "$TABLE" || { fail fmr_create "create failed"; finish; }
dd if=/dev/urandom of=/tmp/data bs=64k count=64 2>/dev/null
echo 100 > $FMR/probability
echo 1 > $FMR/interval
echo 0 > $FMR/space
echo 0 > $FMR/verbose
echo N > $FMR/task-filter
echo 1 > $FMR/times
echo 1 > /sys/block/ram0/make-it-fail

timeout 60 dd if=/tmp/data of=/dev/mapper/mc0 bs=64k oflag=direct 2>/tmp/dd.err
rc=$?
hung $rc && fail fmr_write_no_hang "dd timed out" || pass fmr_write_no_hang
timeout 60 dmsetup message mc0 0 flush
rc=$?
hung $rc && fail fmr_flush_no_hang "flush timed out" || pass fmr_flush_no_hang
# LU 0 is twice the cache: reading all of it reaches ram0 even when the
# write and the flush did not
timeout 60 dd if=/dev/mapper/mc0 of=/dev/null bs=64k count=$((S0 / 128)) iflag=direct 2>/dev/null
rc=$?
hung $rc && fail fmr_read_no_hang "dd timed out" || pass fmr_read_no_hang
assert_eq "$(cat $FMR/times)" 0 fmr_fault_injected
echo 0 > /sys/block/ram0/make-it-fail
echo 0 > $FMR/probability
dmsetup status mc0
timeout 60 dmsetup remove mc0
rc=$?
hung $rc && fail fmr_remove "remove timed out" || assert_eq $rc 0 fmr_remove
# (the harness checks the whole log; this check names part 2's own reports)
dmesg | awk -v t="$T2" '{ if (substr($0, 2, index($0, "]") - 2) + 0 >= t) print }' |
	grep -E 'BUG:|WARNING:|Call Trace' > /tmp/bug.out && fail fmr_no_bug "$(head -1 /tmp/bug.out)" || pass fmr_no_bug

# ---- 3. the bio slab fails under write-through from .map ----
before=$(ls -d /sys/kernel/slab/bio-* 2>/dev/null)
dmsetup create mc0 --table "$TABLE 2 flush_mode destage" || { fail bs_create "create failed"; finish; }
BS=
for s in $(ls -d /sys/kernel/slab/bio-* 2>/dev/null); do
	echo "$before" | grep -qx "$s" || BS="$BS $s"
done
# the slabs of the bio_sets this table brought (dm core's two and the
# target's own) may fail: the debug VM boots with slub_debug=A,bio-*
# (their sysfs failslab is read-only); failslab's cache-filter limits the
# faults to them, its task-filter to the writer
ok=0
for b in $BS; do [ "$(cat $b/failslab)" = 1 ] && ok=$((ok + 1)); done
[ $ok -ge 1 ] && [ $ok = $(echo $BS | wc -w) ] && pass bs_own_slabs ||
	{ fail bs_own_slabs "bio slabs of the table not marked for failslab (new:$BS; slub_debug=A,bio-* on the command line?)"; finish; }
echo Y > $FS/cache-filter
echo Y > $FS/task-filter
echo N > $FS/ignore-gfp-wait
echo 100 > $FS/probability
echo 100000 > $FS/times
# 16 FUA writes of 64 KiB (O_SYNC, direct) of the pattern 0x5a
( sh -c 'echo 1 > /proc/self/make-it-fail && exec fio --name=bs --filename=/dev/mapper/mc0 \
	--rw=write --bs=64k --size=1m --direct=1 --sync=1 --ioengine=psync \
	--verify=pattern --verify_pattern=0x5a --do_verify=0 --output=/tmp/bs.err'
  echo $? > /tmp/bs.rc ) &
i=0
while [ ! -s /tmp/bs.rc ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
FIRED=$(cat $FS/times)
echo 0 > $FS/probability
echo N > $FS/task-filter
echo N > $FS/cache-filter
if [ ! -s /tmp/bs.rc ]; then
	fail bs_write_no_hang "the FUA write still waits after 60 s (bio_set without a rescuer?)"
	finish
fi
pass bs_write_no_hang
[ "$(cat /tmp/bs.rc)" = 0 ] && pass bs_write_ok || fail bs_write_ok "$(grep -i err /tmp/bs.err | head -2)"
bytes() { od -An -tx1 -v | tr -s ' \n' '\n\n' | grep . | sort -u; }
assert_eq "$(dd if=/dev/mapper/mc0 bs=64k count=16 iflag=direct 2>/dev/null | bytes)" 5a bs_read_back
flushbufs /dev/ram0
assert_eq "$(dd if=/dev/ram0 bs=64k count=16 2>/dev/null | bytes)" 5a bs_on_lu
echo 0 > $FS/times
[ "$FIRED" -lt 100000 ] && pass bs_fault_injected || fail bs_fault_injected "no slab allocation failed"
timeout 60 dmsetup remove mc0
assert_eq $? 0 bs_remove
finish
