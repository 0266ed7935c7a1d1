#!/bin/sh
# Repeated create/write/reload/remove: every object the module allocates
# (debugfs dm-mirrorcache/objects: targets, cache pages, tables, work
# queues, node-channel requests, LU bios, kobjects) is counted exactly and
# must be back to zero after each remove.  No whole-system figure is used.
. /tests/lib.sh

brd_setup 2 16384
mc_load
OBJ=/sys/kernel/debug/dm-mirrorcache/objects
L=$(( $(blockdev --getsz /dev/ram0) + $(blockdev --getsz /dev/ram1) ))
TABLE="0 $L mirrorcache 2048 1024 2 /dev/ram0 0 /dev/ram1 1"

live() { mc_objects_live; }
count() { awk -v n=$1 '$1 == n { print $2 }' $OBJ; }

[ -r $OBJ ] && pass objects_file || fail objects_file "no $OBJ"
assert_eq "$(live)" none zero_before

# While a device exists the counters are real: two controllers' pages.
dmsetup create mcleak --table "$TABLE" || fail create
assert_eq "$(count targets) $(count cache_pages) $(count tables)" "1 3072 2" counted_live
dd if=/dev/urandom of=/dev/mapper/mcleak bs=64k count=16 oflag=direct 2>/dev/null
dmsetup remove mcleak
assert_eq "$(live)" none zero_after_one

cycle() {
	dmsetup create mcleak --table "$TABLE" || return 1
	dd if=/dev/urandom of=/dev/mapper/mcleak bs=64k count=16 oflag=direct 2>/dev/null
	dd if=/dev/mapper/mcleak of=/dev/null bs=64k count=32 iflag=direct 2>/dev/null
	dmsetup reload mcleak --table "$TABLE" && dmsetup resume mcleak || return 1
	msg_do mcleak fail 0 || return 1
	dd if=/dev/urandom of=/dev/mapper/mcleak bs=4k count=64 oflag=direct 2>/dev/null
	msg_do mcleak recover 0 || return 1
	dmsetup remove mcleak || return 1
	[ "$(live)" = none ]
}
n=0
for i in $(seq 1 20); do
	cycle && n=$((n + 1)) || echo "cycle $i: $(live)"
done
assert_eq $n 20 cycles_zero
assert_eq "$(live)" none zero_at_end
grep -q 'mc_\|dm_mirrorcache' /proc/vmallocinfo && fail vmalloc_module "module vmalloc left: $(grep mc_ /proc/vmallocinfo | head -2)" || pass vmalloc_module
finish
