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
assert_ok() {
	n=$1; shift
	if "$@" > /tmp/assert.out 2>&1; then pass "$n"; else fail "$n" "'$*' failed: $(tail -2 /tmp/assert.out | tr '\n' ' ')"; fi
}

# assert_fail <check> <command...>: the command fails
assert_fail() {
	n=$1; shift
	if "$@" > /tmp/assert.out 2>&1; then fail "$n" "'$*' succeeded"; else pass "$n"; fi
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
