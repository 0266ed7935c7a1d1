#!/bin/bash
# Build the debug kernel of `make check-debug` in build/kernel-debug/:
# Debian's linux-source-6.1, `make tinyconfig` plus scripts/debug-kernel/config
# (KASAN, lockdep, kmemleak, fault injection; device-mapper and ext4 built
# in, brd and null_blk as modules), bzImage and modules with -j2, then
# modules_prepare so the project's module can be built against the tree.
#
# Outputs:  build/kernel-debug/linux/arch/x86/boot/bzImage   the kernel
#           build/kernel-debug/linux/                         KDIR for M=
#           build/kernel-debug/modules/lib/modules/<kver>/    modules_install
# Cached: nothing is rebuilt when the bzImage exists and the fragment's
# checksum is the one it was built from.  `make clean` keeps this tree.
#   build.sh [--force]   rebuild even when cached
#   build.sh --check     only re-check .config against the fragment
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT_DIR=$PWD
KD=$ROOT_DIR/build/kernel-debug
SRC=$KD/linux
FRAG=$ROOT_DIR/scripts/debug-kernel/config
TARBALL=${MC_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
JOBS=${MC_JOBS:-2}
MODDIR=$KD/modules
IMAGE=$SRC/arch/x86/boot/bzImage

# check_config: every option the fragment sets ended up so in .config
# (tinyconfig drops an option silently when a dependency is missing).
check_config() {
	local missing="" line opt
	while read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qx -- "$line" "$SRC/.config" ||
				missing="$missing\n  want $line, have: $(grep -E "^(# )?${line%%=*}[= ]" "$SRC/.config" || echo absent)" ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$SRC/.config" &&
				missing="$missing\n  want $line, have: $(grep "^$opt=" "$SRC/.config")" ;;
		esac
	done < "$FRAG"
	if [ -n "$missing" ]; then
		echo -e "debug-kernel: options of $FRAG missing from .config:$missing" >&2
		return 1
	fi
	echo "debug-kernel: .config has every option of the fragment"
}

if [ "${1:-}" = --check ]; then check_config; exit $?; fi

sum=$(sha256sum "$FRAG" | cut -d' ' -f1)
if [ "${1:-}" != --force ] && [ -f "$IMAGE" ] && [ -f "$SRC/Module.symvers" ] &&
   [ "$(cat "$KD/fragment.sha256" 2>/dev/null)" = "$sum" ]; then
	echo "debug-kernel: cached ($IMAGE, $(cat "$SRC/include/config/kernel.release"))"
	exit 0
fi

if [ ! -f "$SRC/Makefile" ]; then
	[ -r "$TARBALL" ] || { echo "debug-kernel: no $TARBALL (scripts/setup.sh --debug)" >&2; exit 1; }
	echo "debug-kernel: extracting $TARBALL"
	rm -rf "$KD/src.tmp"
	mkdir -p "$KD/src.tmp"
	tar -xJf "$TARBALL" -C "$KD/src.tmp"
	mv "$KD"/src.tmp/linux-source-* "$SRC"
	rmdir "$KD/src.tmp"
fi

rm -f "$KD/fragment.sha256"
start=$(date +%s)
cd "$SRC"
make -s tinyconfig > "$KD/merge.log"
scripts/kconfig/merge_config.sh -m .config "$FRAG" >> "$KD/merge.log" 2>&1
make -s olddefconfig
check_config
echo "debug-kernel: building $(make -s kernelrelease) with -j$JOBS (log: $KD/build.log)"
if ! make -j"$JOBS" bzImage modules > "$KD/build.log" 2>&1; then
	tail -30 "$KD/build.log"
	echo "debug-kernel: build failed" >&2
	exit 1
fi
make -s modules_prepare >> "$KD/build.log" 2>&1
rm -rf "$MODDIR"
make -s INSTALL_MOD_PATH="$MODDIR" modules_install >> "$KD/build.log" 2>&1
echo "$sum" > "$KD/fragment.sha256"
echo "debug-kernel: built $IMAGE in $(( $(date +%s) - start ))s"
