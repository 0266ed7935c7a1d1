#!/bin/bash
# Build build/vm/initramfs.cpio.gz: busybox, dmsetup, fio, filesystem
# tools, scripts/mirrorcache-status, the project's module, the kernel modules the tests need (with
# their dependencies), the test cases and an /init that runs them.
#
# Environment: MC_KVER (kernel version or series, scripts/kver.sh; default:
# newest 6.1 Debian kernel), MC_VM_OUT (output directory, default
# build/vm),
# MC_KO (the module, default ./dm-mirrorcache.ko), MC_TEST_DMA_KO (the
# test DMA provider, default tests/dma/mc-test-dma.ko; left out when built
# for another kernel), MC_EXTRA_DIR (copied to
# /extra in the guest), MC_MODROOT (root of the kernel's modules, default /;
# the debug kernel's is its modules_install staging directory).  Modules the
# kernel has built in (modules.builtin, copied to the guest) get an empty
# .deps file: tests/vm/lib.sh treats them as loaded.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT_DIR=$PWD
KVER=$(bash scripts/kver.sh)
KO=${MC_KO:-$ROOT_DIR/dm-mirrorcache.ko}
MODROOT=${MC_MODROOT:-/}
OUT=${MC_VM_OUT:-$ROOT_DIR/build/vm}
STAGE=$OUT/root

# Kernel modules loaded by name in the guest; brd and null_blk take
# parameters, so tests load them (tests/vm/lib.sh: load_mod).
MODS="dm-mod dm-delay dm-flakey dm-writecache dm-cache dm-cache-smq dm-mirror
	dm-log dm-region-hash brd null_blk ext4 xfs libnvdimm nd_pmem nfit
	crc32c_generic crc32c-intel loop dm-log-writes dm-multipath dm-round-robin
	dm-service-time ib_core rdma_cm rdma_rxe veth crc32_generic virtio_pci virtio_blk
	virtio_net sch_netem"
BINS="dmsetup fio mke2fs mkfs.ext4 e2fsck fsck.ext4 mkfs.xfs xfs_repair ndctl
	blkid losetup blkdiscard fstrim fallocate ip rdma tc"

rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,mnt,tests,lib/mc-mods}

# busybox with its applets
cp /bin/busybox "$STAGE/bin/busybox"
for a in $(/bin/busybox --list); do
	[ -e "$STAGE/bin/$a" ] || ln -s busybox "$STAGE/bin/$a"
done

# dynamic binaries and their libraries
copy_bin() {
	local src
	src=$(command -v "$1" 2>/dev/null || true)
	[ -n "$src" ] || { echo "mkinitramfs: $1 not found" >&2; return 0; }
	src=$(readlink -f "$src")
	rm -f "$STAGE/bin/$1"
	cp "$src" "$STAGE/bin/$1"
	ldd "$src" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
		[ -e "$lib" ] || continue
		mkdir -p "$STAGE$(dirname "$lib")"
		cp -L "$lib" "$STAGE$lib"
	done
}
export PATH=$PATH:/sbin:/usr/sbin
for b in $BINS; do copy_bin "$b"; done
# MC_EXTRA_BINS: more binaries for one run (scripts/bench-profile.sh: perf)
for b in ${MC_EXTRA_BINS:-}; do copy_bin "$b"; done

# kernel modules, in dependency order, one .deps file per requested module.
# libnvdimm comes out of --show-depends as an "install" rule of the ndctl
# package, not as a path: it has no dependencies, so it is named directly.
mkdir -p "$STAGE/lib/modules/$KVER"
NVDIMM_KO=$(find "$MODROOT"/lib/modules/"$KVER" -name 'libnvdimm.ko*' | head -n 1)
cp "$MODROOT/lib/modules/$KVER/modules.builtin" "$STAGE/lib/modules/$KVER/" 2>/dev/null || true
for m in $MODS; do
	deps=$STAGE/lib/mc-mods/$(echo "$m" | tr - _).deps
	: > "$deps"
	{ modprobe -d "$MODROOT" -S "$KVER" --show-depends "$m" 2>/dev/null || true; } |
		awk -v nv="$NVDIMM_KO" '$1 == "insmod" { print $2 }
			$1 == "install" && /libnvdimm/ && nv != "" { print nv }' |
		while read -r ko; do
		base=$(basename "$ko")
		case "$ko" in
		*.xz) xz -dc "$ko" > "$STAGE/lib/modules/$KVER/${base%.xz}"; base=${base%.xz} ;;
		*.zst) zstd -qdc "$ko" > "$STAGE/lib/modules/$KVER/${base%.zst}"; base=${base%.zst} ;;
		*) cp "$ko" "$STAGE/lib/modules/$KVER/$base" ;;
		esac
		grep -qx "/lib/modules/$KVER/$base" "$deps" ||
			echo "/lib/modules/$KVER/$base" >> "$deps"
	done
done

# static test tools (tests/tools/): lw-replay replays a dm-log-writes log
make -s -C tests/tools >/dev/null
cp build/tools/lw-replay "$STAGE/bin/lw-replay"

# the status tool (POSIX sh over busybox; tests/tools/status-test.sh)
install -m 0755 scripts/mirrorcache-status "$STAGE/usr/bin/mirrorcache-status"

# the project's module and test cases; the modules it needs, by name
# (rdma_cm and ib_core where the kernel has them), for tests/vm/lib.sh
if [ -f "$KO" ]; then
	cp "$KO" "$STAGE/lib/dm-mirrorcache.ko"
	modinfo -F depends "$KO" | tr ',' ' ' > "$STAGE/lib/mc-mods/dm-mirrorcache.needs"
	for m in $(cat "$STAGE/lib/mc-mods/dm-mirrorcache.needs"); do
		[ -s "$STAGE/lib/mc-mods/$(echo "$m" | tr - _).deps" ] ||
			echo "mkinitramfs: the module needs $m, which is not in MODS" >&2
	done
fi
# the test-only DMA_MEMCPY provider (tests/dma/), when built for this kernel
TDMA=${MC_TEST_DMA_KO:-$ROOT_DIR/tests/dma/mc-test-dma.ko}
if [ -f "$TDMA" ] && [ "$(modinfo -F vermagic "$TDMA" | cut -d' ' -f1)" = "$KVER" ]; then
	cp "$TDMA" "$STAGE/lib/mc-test-dma.ko"
fi
cp tests/vm/*.sh "$STAGE/tests/"
[ -n "${MC_EXTRA_DIR:-}" ] && cp -r "$MC_EXTRA_DIR" "$STAGE/extra"

cp scripts/vm/init "$STAGE/init"
chmod +x "$STAGE/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$STAGE/etc/passwd"
echo "root:x:0:" > "$STAGE/etc/group"
echo "$KVER" > "$STAGE/etc/kver"

(cd "$STAGE" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initramfs.cpio.gz"
echo "mkinitramfs: $OUT/initramfs.cpio.gz ($(du -h "$OUT/initramfs.cpio.gz" | cut -f1), kernel $KVER)"
