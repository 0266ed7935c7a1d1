#!/bin/sh
# Helpers for VM test cases.  A case sources this file, asserts with the
# helpers below and ends with `finish`.  Every check prints exactly one
# line, PASS: vm/<case>/<check> or FAIL: vm/<case>/<check> (<reason>).

CASE=${MC_CASE:-$(basename "$0" .sh)}
KVER=$(cat /etc/kver)
NFAIL=0

pass() { echo "PASS: vm/$CASE/$1"; }
fail() { echo "FAIL: vm/$CASE/$1 (${2:-failed})"; NFAIL=$((NFAIL + 1)); }

# assert_eq <actual> <expected> <check>
assert_eq() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got '$1', want '$2'"; fi
}

# assert_ok <check> <command...>: the command succeeds
# (_an, not n: the command may be a function that sets n, as load_mod does)
assert_ok() {
	_an=$1; shift
	if "$@" > /tmp/assert.out 2>&1; then pass "$_an"; else fail "$_an" "'$*' failed: $(tail -2 /tmp/assert.out | tr '\n' ' ')"; fi
}

# assert_fail <check> <command...>: the command fails
assert_fail() {
	_an=$1; shift
	if "$@" > /tmp/assert.out 2>&1; then fail "$_an" "'$*' succeeded"; else pass "$_an"; fi
}

finish() { [ $NFAIL -eq 0 ]; exit $?; }

# is_builtin <name>: the module is built into the kernel (modules.builtin;
# some built-ins have no /sys/module entry).
is_builtin() {
	[ -f /lib/modules/$KVER/modules.builtin ] &&
		sed 's|.*/||; s|\.ko$||' /lib/modules/$KVER/modules.builtin | tr - _ |
		grep -qx "$(echo "$1" | tr - _)"
}

# load_mod <name> [params...]: insmod with dependencies, once.
load_mod() {
	m=$(echo "$1" | tr - _); shift
	[ -d /sys/module/$m ] && return 0
	is_builtin $m && return 0
	deps=/lib/mc-mods/$m.deps
	[ -s $deps ] || { echo "load_mod: no module $m" >&2; return 1; }
	last=$(tail -n 1 $deps)
	for ko in $(cat $deps); do
		n=$(basename $ko .ko | tr - _)
		[ -d /sys/module/$n ] && continue
		if [ "$ko" = "$last" ]; then insmod $ko "$@"; else insmod $ko; fi || return 1
	done
}

# brd_setup <count> <size_kib>: fresh RAM disks /dev/ram0..
brd_setup() {
	if [ -d /sys/module/brd ]; then rmmod brd || return 1; fi
	load_mod brd rd_nr=$1 rd_size=$2 max_part=0 || return 1
	i=0
	while [ ! -b /dev/ram$(($1 - 1)) ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

mc_load() {
	[ -d /sys/module/dm_mirrorcache ] && return 0
	for m in $(cat /lib/mc-mods/dm-mirrorcache.needs 2>/dev/null); do
		load_mod $m || return 1
	done
	insmod /lib/dm-mirrorcache.ko
}

# dma_load [params]: the test-only DMA_MEMCPY provider (tests/dma/); a case
# that loads it unloads it at its end (dma_unload), or copy_engine auto in
# later cases would pick its channels.
dma_load() {
	[ -d /sys/module/mc_test_dma ] || insmod /lib/mc-test-dma.ko "$@"
}
dma_unload() {
	dmsetup remove_all >/dev/null 2>&1
	! [ -d /sys/module/mc_test_dma ] || rmmod mc_test_dma
}

# with_dma <case>: run tests/vm/<case>.sh with copy_engine dma over the test
# DMA provider (MC_SHORT: its shorter form, where it has one), then unload
# the provider; exits with the case's status.
with_dma() {
	dma_load || { fail dma_provider "cannot load /lib/mc-test-dma.ko"; finish; }
	MC_ENGINE=dma MC_SHORT=1 sh /tests/$1.sh
	rc=$?
	dma_unload && pass dma_provider_released || fail dma_provider_released "rmmod mc_test_dma failed"
	[ $rc = 0 ] && finish
	exit $rc
}

# sysfs_dm <name>: /sys/block/dm-N of a dm device
sysfs_dm() {
	for d in /sys/block/dm-*; do
		[ "$(cat $d/dm/name 2>/dev/null)" = "$1" ] && { echo $d; return 0; }
	done
	return 1
}

# mc_settle <sysfs mirrorcache dir>: wait (up to 120 s) until no controller
# is failing or recovering: fail and recover start the work and return.
mc_settle() {
	_i=0
	while grep -qx -e failing -e recovering $1/ctrl0/state $1/ctrl1/state; do
		[ $_i -ge 1200 ] && { echo "mc_settle: still $(cat $1/ctrl0/state) $(cat $1/ctrl1/state)"; return 1; }
		sleep 0.1; _i=$((_i + 1))
	done
}

# ctrl_do <sysfs mirrorcache dir> fail|recover <n>: write the knob, then
# wait until the failure or recovery has run
ctrl_do() {
	echo 1 > $1/ctrl$3/$2 || return 1
	mc_settle $1
}

# msg_do <dm name> fail|recover <n>: the message, then wait as ctrl_do
msg_do() {
	dmsetup message $1 0 $2 $3 || return 1
	mc_settle $(sysfs_dm $1)/mirrorcache
}

# flushbufs <dev...>: drop the buffer cache of block devices
flushbufs() {
	for d in "$@"; do blockdev --flushbufs $d; done
}

# mc_objects_live: the module's live objects (debugfs dm-mirrorcache/objects)
# that are not zero, as "name=count,...", or "none".  Exact counts kept by
# the module itself, so a leak check never reads whole-system figures.
mc_objects_live() {
	[ -r /sys/kernel/debug/dm-mirrorcache/objects ] || { echo "no objects file"; return; }
	r=$(awk '$2 != 0 { printf "%s%s=%s", sep, $1, $2; sep = "," }' \
		/sys/kernel/debug/dm-mirrorcache/objects 2>/dev/null)
	echo "${r:-none}"
}

# mc_link_field <dm name> <key>: the value after <key> in a two-host
# table's sysfs link ("local 0 peer connected connects 1 ...")
mc_link_field() {
	awk -v k=$2 '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' \
		$(sysfs_dm $1)/mirrorcache/link
}

# mc_wait_peer <dm name> <connecting|connected|lost> <seconds>: until the
# link shows that state
mc_wait_peer() {
	_i=0
	while [ "$(mc_link_field $1 peer)" != "$2" ]; do
		[ $_i -ge $(($3 * 10)) ] && return 1
		sleep 0.1; _i=$((_i + 1))
	done
}

# rxe_on <netdev> [<ipv4>]: soft-RoCE device rxe0 on <netdev>, with the
# (link-local) address; iproute2's tools by path, as busybox's sh would run
# its own ip applet
rxe_on() {
	load_mod crc32_generic && load_mod rdma_rxe || return 1	# rxe asks for crc32
	if [ -n "${2:-}" ]; then
		/bin/ip addr add $2/16 dev $1 && /bin/ip link set $1 up || return 1
	fi
	/bin/rdma link add rxe0 type rxe netdev $1
}

# virtio_up: the virtio disks and NIC of a two-guest run (/dev/vd*, eth0)
virtio_up() {
	load_mod virtio_pci && load_mod virtio_net && load_mod virtio_blk || return 1
	_i=0
	while ! [ -e /sys/class/net/eth0 ] || ! [ -b /dev/vdb ]; do
		[ $_i -ge 100 ] && return 1
		sleep 0.1; _i=$((_i + 1))
	done
}

# kernel_clean <check>: no bug, warning, lockdep report or hung task in the
# kernel log so far (script mode has no per-case check by the init)
kernel_clean() {
	_bad=$(dmesg | grep -E 'BUG:|WARNING:|Oops|general protection|blocked for more than|soft lockup|Call Trace|KASAN|circular locking|recursive locking|inconsistent lock state|suspicious RCU|sleeping function' | head -3)
	[ -z "$_bad" ] && pass $1 || fail $1 "$_bad"
}

# now_ms: milliseconds since boot
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# fio_t0 <name>: the start of a background fio job run in /tmp with
# --exec_prerun='cat /proc/uptime' (its latency log counts from there),
# in ms since boot; waits up to 10 s for it
fio_t0() {
	_i=0
	while [ ! -s /tmp/$1.prerun.txt ] && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	awk '{ printf "%d\n", $1 * 1000 }' /tmp/$1.prerun.txt
}

# Two guests (scripts/check-2host.sh): fio jobs whose writes a host's
# crash interrupts.  fio_crash_job <name> <dev> <offset> <size> writes in
# the background from /tmp (FIO_PID its process), saving its verify state
# when /tmp/crash-<name> appears, then runs tests/vm/_2host_crash.sh
# <name>-crash <slot> (FIO_SLOT, default 0); fio_crash_verify <name> <dev>
# <offset> <size> <slot> reads that state from the shared state disk and
# verifies every write the crashed host acknowledged.  The jobs write 100 pages a
# second (several in flight at soft-RoCE's latency), so that the trigger
# comes before the cache is full and the pages are still dirty.
fio_crash_args() {
	echo "--name=$1 --filename=$2 --offset=$3 --size=$4 --rw=randwrite --bs=4k
		--direct=1 --ioengine=libaio --iodepth=16 --rate_iops=100
		--randseed=4242 --verify=crc32c"
}
fio_crash_job() {
	_n=$1; shift
	(cd /tmp && fio $(fio_crash_args $_n "$@") --do_verify=0 --verify_state_save=1 \
		--trigger-file=/tmp/crash-$_n \
		--trigger="sh /tests/_2host_crash.sh $_n-crash ${FIO_SLOT:-0}" \
		--output=/tmp/$_n.log > /dev/null 2>&1) &
	FIO_PID=$!
}
fio_crash_verify() {
	rm -rf /tmp/state-$1 && mkdir /tmp/state-$1 &&
	dd if=/dev/vdc bs=64k skip=$(($5 * 16)) count=16 2> /dev/null |
		tar xf - -C /tmp/state-$1 2> /dev/null &&
	ls /tmp/state-$1/*-verify.state > /dev/null 2>&1 || {
		echo "no verify state in slot $5"; return 1; }
	(cd /tmp/state-$1 && fio $(fio_crash_args $1 $2 $3 $4) --verify_only=1 \
		--verify_state_load=1 --verify_fatal=1 --output=/tmp/v-$1.log > /dev/null 2>&1) || {
		grep -iE 'err|verify' /tmp/v-$1.log | head -3; return 1; }
	# it read something back: the state named the acknowledged writes
	_io=$(grep -o 'READ: bw=[^,]*, [^,]*, io=[^ ]*' /tmp/v-$1.log | sed 's/.*io=//')
	echo "MARK: $1 verified io=$_io" > /dev/console
	case $_io in ""|0B|0KiB) echo "nothing read back: io=$_io"; return 1 ;; esac
}
# host_up <ctrl> <fencing> <dm name> <check>: this guest of a two-guest
# run as the host of controller <ctrl> (0: 169.254.20.1, 1: .2 on eth0,
# the peer the other; with HOST_IPV6=1 their IPv6 link-local addresses
# from the MACs scripts/vm/2host-lib.sh gives them, fe80::5054:ff:fe00:2001
# and :2002 on eth0): the module, soft-RoCE, and the two-host table $T
# over the shared /dev/vda and /dev/vdb ($S sectors each), created
host_up() {
	mc_load || fail module_loads
	assert_ok virtio_up virtio_up
	_me=169.254.20.$(($1 + 1)) _peer=169.254.20.$((2 - $1))
	assert_ok net_up rxe_on eth0 $_me
	_me=rdma:$_me:7470 _peer=rdma:$_peer:7470
	if [ "${HOST_IPV6:-0}" = 1 ]; then
		_me="rdma:[fe80::5054:ff:fe00:200$(($1 + 1))%eth0]:7470"
		_peer="rdma:[fe80::5054:ff:fe00:200$((2 - $1))%eth0]:7470"
		# past duplicate address detection: a tentative one binds not
		_i=0; while ! /bin/ip -6 addr show dev eth0 scope link | grep -q "fe80::5054:ff:fe00:200$(($1 + 1))/64 scope link *$" && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	fi
	S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))
	assert_eq "$(blockdev --getsz /dev/vdb)" $S same_lu_sizes
	T="0 $((2 * S)) mirrorcache 1024 1024 2 /dev/vda 0 /dev/vdb 1 8 local $1 addr $_me peer $_peer fencing $2"
	assert_ok $4 dmsetup create $3 --table "$T"
}
# fio_crash_at <name> <dev> <ctrl> <offset> <pages> <check>: this host
# crashes under fio (fio_crash_job, 4 MiB from <offset>) once <pages> are
# dirty (fio_crash_when); write-back only above 300 of the 307 pages, so
# that they stay dirty, and the kernel log checked first
fio_crash_at() {
	echo 300 > $(sysfs_dm $2)/mirrorcache/ctrl$3/writeback_high &&
		echo 299 > $(sysfs_dm $2)/mirrorcache/ctrl$3/writeback_low ||
		fail $1_watermarks
	kernel_clean kernel_log_clean
	fio_crash_job $1 /dev/mapper/$2 $4 4M
	fio_crash_when $1 $2 $3 $5 $6
}
# fio_crash_when <name> <dev> <ctrl> <pages> <check>: once <pages> of the
# controller's pages are dirty, with that fio job still writing (the
# check), touch its trigger: the host crashes with writes in flight
fio_crash_when() {
	_d=$(sysfs_dm $2)/mirrorcache/ctrl$3/dirty_pages
	_i=0; while [ "$(cat $_d)" -lt $4 ] && [ $_i -lt 1200 ]; do sleep 0.05; _i=$((_i + 1)); done
	kill -0 $FIO_PID 2> /dev/null && pass $5 || fail $5 "fio ended first: $(cat $_d) dirty"
	echo "MARK: $1-dirty $(cat $_d)"
	touch /tmp/crash-$1
	sleep 60
	fail $1_crashed "still alive 60 s after the trigger"
}
# fio_loop <dev> <offset> <name>: verified 1 MiB random-write jobs (QD4),
# one after the other, until /tmp/stop-<name> appears; a failed job's
# output is kept as /tmp/<name>.fail and ends the loop
fio_loop() {
	rm -f /tmp/stop-$3 /tmp/$3.fail
	while [ ! -e /tmp/stop-$3 ]; do
		fio --name=$3 --filename=/dev/mapper/$1 --offset=$2 --size=1M \
			--rw=randwrite --bs=4k --direct=1 --ioengine=libaio \
			--iodepth=4 --verify=crc32c --do_verify=1 --verify_fatal=1 \
			--output=/tmp/$3.log > /dev/null 2>&1 ||
			{ cp /tmp/$3.log /tmp/$3.fail; break; }
	done
}
# takeover_seen <dev> <lun> <lost ctrl> <own ctrl> <pages> <check>: the
# peer host's loss (fencing none, or peer_fenced after it) relinked at
# least <pages> copies and took its LU over
takeover_seen() {
	_i=0; while [ "$(cat $(sysfs_dm $1)/mirrorcache/lun$2/owner 2>/dev/null)" != $4 ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	_m=$(dmesg | grep "ctrl$3: the peer host is lost" | tail -1 | sed 's/.*mirrorcache: //')
	echo "MARK: $_m"
	_n=$(echo "$_m" | sed -En "s/.*\((fencing none|peer_fenced)\): ctrl$4 relinked ([0-9]*) mirror pages .*took over 1 LUs.*/\2/p")
	[ -n "$_n" ] && [ "$_n" -ge $5 ] && pass $6 || fail $6 "$_m"
}
