#!/bin/sh
# Repeated create/reload/remove: slab objects and free memory come back.
. /tests/lib.sh

brd_setup 2 16384
mc_load
L=$(( $(blockdev --getsz /dev/ram0) + $(blockdev --getsz /dev/ram1) ))
TABLE="0 $L mirrorcache 2048 1024 2 /dev/ram0 0 /dev/ram1 1"

cycle() {
	dmsetup create mcleak --table "$TABLE" || return 1
	dd if=/dev/zero of=/dev/mapper/mcleak bs=64k count=16 oflag=direct 2>/dev/null
	dmsetup reload mcleak --table "$TABLE" && dmsetup resume mcleak || return 1
	dmsetup remove mcleak
}

cycle || fail warmup "first cycle failed"
sync; echo 3 > /proc/sys/vm/drop_caches
slab_snapshot /tmp/slab.before
FREE0=$(meminfo_free_pages)
V0=$(vmalloc_live)
n=0
for i in $(seq 1 30); do
	cycle && n=$((n + 1))
done
assert_eq $n 30 cycles
sync; echo 3 > /proc/sys/vm/drop_caches
slab_snapshot /tmp/slab.after
FREE1=$(meminfo_free_pages)
slab_compare /tmp/slab.before /tmp/slab.after && pass slab_stable || fail slab_stable "slab grew"
V1=$(vmalloc_live)
[ $V1 -le $((V0 + 8)) ] && pass vmalloc_stable || fail vmalloc_stable "vmalloc areas $V0 -> $V1"
grep -q 'mc_\|dm_mirrorcache' /proc/vmallocinfo && fail vmalloc_module "module vmalloc left: $(grep mc_ /proc/vmallocinfo | head -2)" || pass vmalloc_module
# 30 cycles of 3072 pages each: a leak of the cache would lose 92160 pages.
LOST=$((FREE0 - FREE1))
[ $LOST -lt 4096 ] && pass pages_stable || fail pages_stable "lost $LOST free pages"
finish
