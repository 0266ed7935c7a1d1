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
	[ -d /sys/module/dm_mirrorcache ] || insmod /lib/dm-mirrorcache.ko
}

# sysfs_dm <name>: /sys/block/dm-N of a dm device
sysfs_dm() {
	for d in /sys/block/dm-*; do
		[ "$(cat $d/dm/name 2>/dev/null)" = "$1" ] && { echo $d; return 0; }
	done
	return 1
}

# flushbufs <dev...>: drop the buffer cache of block devices
flushbufs() {
	for d in "$@"; do blockdev --flushbufs $d; done
}

# slab_snapshot <file>: "<cache> <active objects>" for the slab caches the
# module allocates from (kmalloc, bios, device-mapper, sysfs nodes).  Caches
# tied to processes (vm_area_struct, filp, ...) move with every fio run and
# vmap_area counts lazily freed vmalloc areas, so they say nothing here;
# vmalloc_live covers vmalloc.
slab_snapshot() {
	awk 'NR > 2 && $1 ~ /^(kmalloc-|bio-|biovec-|dm_|kernfs_node_cache)/ { print $1, $2 }' \
		/proc/slabinfo | sort > "$1"
}

# vmalloc_live: vmalloc areas in use (lazily freed ones not counted)
vmalloc_live() {
	grep -vc unpurged /proc/vmallocinfo
}

# slab_compare <before> <after>: fail when a cache grew by more than
# 128 objects and 20% (SLUB counts whole slabs and per-cpu slabs as active,
# so smaller moves are noise)
slab_compare() {
	[ -s "$1" ] && [ -s "$2" ] || { echo "slab_compare: empty snapshot"; return 1; }
	awk 'NR == FNR { before[$1] = $2; next }
	     { d = $2 - before[$1]; if (d > 128 && d > before[$1] / 5) { print "slab grew:", $1, before[$1], "->", $2; bad = 1 } }
	     END { exit bad }' "$1" "$2"
}

meminfo_free_pages() {
	awk '/^MemFree:/ { print int($2 / 4) }' /proc/meminfo
}
