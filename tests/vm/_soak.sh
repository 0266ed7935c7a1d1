#!/bin/sh
# Soak (not a test case; `make soak`): MC_CYCLES times, fail a random
# controller at a random moment under fio write+verify load, then recover
# it under load too.  Every fio run verifies every block it wrote.  Beside
# it, two more fio jobs write the same 512 KiB at the end of LU 0 at once
# (same-page writes racing each other and the failures); at the end the
# cache and the LU must agree on every block of that region.
# In one cycle of three a random LU is slow for the cycle (dm-delay, 0.5
# to 3 s per write: a hung disk while the failure runs), and in one of two
# an LU moves to the other controller (destage or instant) under the load
# after the recovery, and back.
. /tests/lib.sh

CYCLES=${MC_CYCLES:-100}
brd_setup 2 32768
mc_load
load_mod dm-delay || exit 1
S0=$(blockdev --getsz /dev/ram0)
L=$((S0 * 2))
HOT=524288				# bytes at the end of LU 0 the hot jobs share
for k in 0 1; do
	dmsetup create lu$k --table "0 $S0 linear /dev/ram$k 0" || exit 1
done
dmsetup create mc0 --table "0 $L mirrorcache 128 128 2 /dev/mapper/lu0 0 /dev/mapper/lu1 1" || exit 1
SYS=$(sysfs_dm mc0)/mirrorcache

rnd() { echo $(( $(od -An -N2 -tu2 /dev/urandom) % $1 )); }
max() { [ "$1" -gt "$2" ] && echo $1 || echo $2; }
# lu_table <k> <table>: replace LU k's table under the device
lu_table() {
	dmsetup suspend lu$1 && dmsetup reload lu$1 --table "$2" && dmsetup resume lu$1
}
# lu_slow <k> <ms> / lu_fast <k>
lu_slow() { lu_table $1 "0 $S0 delay /dev/ram$1 0 0 /dev/ram$1 0 $2"; }
lu_fast() { lu_table $1 "0 $S0 linear /dev/ram$1 0"; }
# move <k>: LU k to the other controller and back, under the load
move() {
	m=$([ $(rnd 2) = 0 ] && echo destage || echo instant)
	echo "recovered ctrl$n, slow LU $sl, takeover of LU $1 ($m)" > /tmp/step
	dmsetup message mc0 0 takeover $1 $(( $(cat $SYS/lun$1/owner) ^ 1 )) $m ||
		{ echo "soak: cycle $i: takeover $1 $m refused"; errors=$((errors + 1)); return; }
	t=600
	while ! grep -q '^idle' $SYS/lun$1/phase && [ $t -gt 0 ]; do sleep 0.1; t=$((t - 1)); done
	[ $t -gt 0 ] || { echo "soak: cycle $i: takeover $1 $m still $(cat $SYS/lun$1/phase)"; errors=$((errors + 1)); }
	moves=$((moves + 1))
	echo "recovered ctrl$n, slow LU $sl, return of LU $1 ($m)" > /tmp/step
	dmsetup message mc0 0 return $1 2>/dev/null || return 0
	t=600
	while ! grep -q '^idle' $SYS/lun$1/phase && [ $t -gt 0 ]; do sleep 0.1; t=$((t - 1)); done
}

# fio_bg <seed>: write + verify every block; terse output to /tmp/s.out
fio_bg() {
	fio --name=soak --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
		--size=$SIZE --offset=$(( $(rnd 2) * L * 256 )) \
		--direct=1 --ioengine=libaio --iodepth=16 --randseed=$1 \
		--verify=crc32c --do_verify=1 --verify_fatal=0 \
		--output-format=terse --terse-version=3 > /tmp/s.out 2> /tmp/s.err &
	FPID=$!
	fio --name=hot --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
		--offset=$((S0 * 512 - HOT)) --size=$HOT --numjobs=2 \
		--direct=1 --ioengine=libaio --iodepth=4 --time_based --runtime=60 \
		--output=/tmp/hot.out > /dev/null 2>&1 &
	HPID=$!
}

# fio_end: wait; sets RC, LAT (max write completion latency, usec) and
# BAD (verify errors).  Not in a subshell: only this shell can wait.
fio_end() {
	wait $FPID
	RC=$?
	kill $HPID 2>/dev/null
	wait $HPID 2>/dev/null
	LAT=$(tail -n 1 /tmp/s.out | awk -F';' '{ print int($56) }')
	LAT=${LAT:-0}
	BAD=$(grep -c 'verify' /tmp/s.err)
}

# Watchdog.  The device makes progress while the sum of both controllers'
# read and write page counts and destages grows.  When it has not grown
# for 60 s, the state is reported once per cycle: what every parked bio
# waits for, write-back's state, the LUs' tables and status, where the
# tasks sleep; the stall is counted and fails the soak (a slow LU is slow,
# it does not stop: every cycle keeps moving).
progress() {
	dmsetup status mc0 | awk '{ s = 0; for (i = 13; i <= 17; i++) s += $i + $(i + 16); print s }'
}
dump_stuck() {
	echo "soak: cycle $(cat /tmp/cycle) made no progress for 60 s ($(cat /tmp/step)); state:"
	for f in ctrl0/state ctrl1/state ctrl0/parked ctrl1/parked ctrl0/pages \
		ctrl1/pages ctrl0/writeback ctrl1/writeback ctrl0/mirror_used \
		ctrl1/mirror_used failback lun0/phase lun1/phase lun0/owner \
		lun1/owner lun0/held_pages lun1/held_pages; do
		echo "soak-dump: $f: $(cat $SYS/$f 2>&1)"
	done
	dmsetup table 2>&1 | sed 's/^/soak-dump: table /'
	dmsetup status 2>&1 | sed 's/^/soak-dump: status /'
	sed 's/^/soak-dump: /' /sys/kernel/debug/dm-mirrorcache/objects
	for d in /proc/[0-9]*; do
		c=$(cat $d/comm 2>/dev/null)
		st=$(awk '{ print $3 }' $d/stat 2>/dev/null)
		case "$c" in
		fio|dmsetup|dd) ;;
		kworker*) [ "$st" = R ] || grep -q "delay\|dm_\|mc_" $d/stack 2>/dev/null || continue ;;
		*) continue ;;
		esac
		echo "soak-dump: $c ${d#/proc/} $st"
		sed 's/^/soak-dump:   /' $d/stack 2>/dev/null | head -12
	done
	echo 8 > /proc/sys/kernel/printk
	echo w > /proc/sysrq-trigger	# tasks in D state
	echo l > /proc/sysrq-trigger	# what each CPU runs
	echo 4 > /proc/sys/kernel/printk
}
watchdog() {
	last="" since=0 reported=""
	while sleep 10; do
		p=$(progress)
		[ "$p" = "$last" ] || { last=$p since=0; continue; }
		since=$((since + 10))
		c=$(cat /tmp/cycle)
		if [ $since -ge 60 ] && [ "$reported" != "$c" ]; then
			reported=$c
			echo "$c" >> /tmp/stalls
			dump_stuck
		fi
	done
}
echo 0 > /tmp/cycle
: > /tmp/stalls
watchdog &
WDPID=$!

done_cycles=0 errors=0 lost=0 fo_max=0 fb_max=0 kfo_max=0 kfb_max=0 moves=0 slow=0
for i in $(seq 1 $CYCLES); do
	t0=$(date +%s)
	echo $i > /tmp/cycle
	n=$(rnd 2)
	sl=-1
	SIZE=$((L * 256 - HOT))
	if [ $(rnd 3) = 0 ]; then
		sl=$(rnd 2)
		lu_slow $sl $((500 + $(rnd 2500))) && slow=$((slow + 1))
		# Writes to a 0.5-3 s LU go through it while a controller is
		# down (degraded_writes writethrough): 16 at a time, 5 to 30
		# pages/s.  31.5 MiB at that pace took 4 to 10 minutes a run
		# (taken for a hang at first); 1 MiB keeps a cycle near a minute.
		SIZE=1048576
	fi
	fio_bg $((i * 2))
	usleep $(( $(rnd 1500) * 1000 ))
	echo "fail ctrl$n, slow LU $sl" > /tmp/step
	ctrl_do $SYS fail $n || { echo "soak: cycle $i: fail $n refused"; errors=$((errors + 1)); }
	fio_end
	[ $RC = 0 ] || { errors=$((errors + 1)); echo "soak: cycle $i: fio failed: $(head -3 /tmp/s.err)"; }
	lost=$((lost + BAD)); fo_max=$(max $fo_max $LAT)
	kfo_max=$(max $kfo_max $(cat $SYS/failover_stall_us))

	fio_bg $((i * 2 + 1))
	usleep $(( $(rnd 1500) * 1000 ))
	echo "recover ctrl$n, slow LU $sl" > /tmp/step
	ctrl_do $SYS recover $n || { echo "soak: cycle $i: recover $n refused"; errors=$((errors + 1)); }
	[ $(rnd 2) = 0 ] && move $(rnd 2)
	echo "$(cat /tmp/step), fio" > /tmp/step
	fio_end
	[ $sl -ge 0 ] && lu_fast $sl
	[ $RC = 0 ] || { errors=$((errors + 1)); echo "soak: cycle $i: fio failed: $(head -3 /tmp/s.err)"; }
	lost=$((lost + BAD)); fb_max=$(max $fb_max $LAT)
	kfb_max=$(max $kfb_max $(cat $SYS/failback_stall_us))
	done_cycles=$i
	echo "soak: cycle $i: fail/recover ctrl$n, slow LU $sl, $(( $(date +%s) - t0 )) s, fio errors $errors, verify errors $lost"
done

kill $WDPID 2>/dev/null

# The hot region, as the racing writers left it: the device, and the LU
# after a flush, must agree block by block.
dd if=/dev/mapper/mc0 of=/tmp/hot1 bs=4096 skip=$(((S0 * 512 - HOT) / 4096)) count=$((HOT / 4096)) iflag=direct 2>/dev/null
dmsetup message mc0 0 flush
blockdev --flushbufs /dev/mapper/lu0
blockdev --flushbufs /dev/ram0
dd if=/dev/ram0 of=/tmp/hot2 bs=4096 skip=$(((S0 * 512 - HOT) / 4096)) count=$((HOT / 4096)) 2>/dev/null
hot_ok=1
cmp -s /tmp/hot1 /tmp/hot2 || { hot_ok=0; errors=$((errors + 1)); }

# Final pass: every block written and verified once more.
fio --name=final --filename=/dev/mapper/mc0 --rw=write --bs=64k --size=$((L * 512)) \
	--direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c --do_verify=1 \
	--verify_fatal=0 > /tmp/final.out 2> /tmp/final.err || errors=$((errors + 1))
lost=$((lost + $(grep -c verify /tmp/final.err)))
echo "SOAK cycles=$done_cycles slow_lu_cycles=$slow takeovers=$moves hot_region_consistent=$hot_ok relinked=$(cat $SYS/pages_relinked_total) failovers=$(cat $SYS/failovers) failbacks=$(cat $SYS/failbacks) fio_errors=$errors lost_or_corrupt_blocks=$lost max_fio_latency_across_failover_ms=$((fo_max / 1000)) max_fio_latency_across_failback_ms=$((fb_max / 1000)) max_kernel_failover_hold_us=$kfo_max max_kernel_failback_hold_us=$kfb_max stalls=$(grep -c . /tmp/stalls)"
dmsetup remove mc0
dmsetup remove lu0; dmsetup remove lu1
[ $errors = 0 ] && [ $lost = 0 ] && ! [ -s /tmp/stalls ]
