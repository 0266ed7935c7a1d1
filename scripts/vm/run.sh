#!/bin/bash
# Boot the test VM (QEMU, TCG) with a Debian kernel (6.1 unless told) and our
# initramfs.
#
#   run.sh [--build] --tests "a b" | --tests all   run cases, PASS/FAIL lines
#   run.sh [--build] --shell                       interactive shell
#   run.sh [--build] --script name                 run tests/vm/name.sh once
# Options: --timeout SEC (whole VM), --case-timeout SEC, --mem MB, --smp N,
#          --nvdimm (emulated persistent memory at /dev/pmem0),
#          --env NAME=VALUE (exported to the guest's cases; repeatable),
#          --kver VER (or MC_KVER=VER): the Debian kernel to boot, a version
#          or a series such as 6.12 (scripts/kver.sh; default: newest 6.1);
#          /boot/vmlinuz-<version> with its /lib/modules/<version> modules,
#          and --build builds the module against its headers,
#          --debug-kernel (or MC_DEBUG_KERNEL=1): boot the debug kernel of
#          build/kernel-debug/ (scripts/debug-kernel/build.sh) with the module
#          built against it in build/mod-debug/ instead of Debian's kernel,
#          --out DIR: initramfs, console.log and lock in DIR (default
#          build/vm; a second guest beside the first needs its own),
#          --net listen:PORT | connect:PORT: one virtio NIC (eth0) on a QEMU
#          socket network over the host's loopback (the guest that listens
#          starts first), --mac MAC for it,
#          --drive FILE: a raw image as a virtio disk (/dev/vda, vdb, ...),
#          cache=none and share-rw=on so another guest may attach it too
#
# The console is streamed and saved to build/vm/console.log.  The exit
# status is 0 only when the guest reports "VM-RESULT: N passed, 0 failed"
# (tests) or "VM-SCRIPT-EXIT: 0" (script).  A hung guest is killed.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT_DIR=$PWD
OUT=$ROOT_DIR/build/vm
for a in "$@"; do	# --out first: the lock below is per directory
	[ "${prev:-}" = --out ] && OUT=$(realpath -m "$a")
	prev=$a
done
mkdir -p "$OUT"
# One VM at a time per tree: the initramfs, its staging directory and
# console.log are shared, and a second run would replace them under the
# first (seen: a soak's result spoiled by a test run beside it).  A second
# run waits; the lock goes with this script's exit.
exec 9> "$OUT/.lock"
if ! flock -n 9; then
	echo "run.sh: another VM run uses $OUT; waiting for it to end" >&2
	flock 9
fi

DEBUG=${MC_DEBUG_KERNEL:-0}
BUILD=0 MODE=tests TESTS=all TIMEOUT="" CASE_TIMEOUT=600 MEM=2048 SMP=2 NVDIMM=0 ENVS=""
NET="" MAC=52:54:00:12:34:56 DRIVES=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=1 ;;
	--tests) MODE=tests; TESTS=${2:-all}; shift ;;
	--shell) MODE=shell ;;
	--script) MODE=script; TESTS=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--case-timeout) CASE_TIMEOUT=$2; shift ;;
	--mem) MEM=$2; shift ;;
	--smp) SMP=$2; shift ;;
	--nvdimm) NVDIMM=1 ;;
	--env) ENVS="$ENVS mc.env.$2"; shift ;;
	--debug-kernel) DEBUG=1 ;;
	--kver) export MC_KVER=$2; shift ;;
	--out) shift ;;		# taken above
	--net) NET=$2; shift ;;
	--mac) MAC=$2; shift ;;
	--drive) DRIVES+=("$(realpath "$2")"); shift ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$TESTS" ] || TESTS=all

EXTRA_APPEND=""
if [ "$DEBUG" = 1 ]; then
	# The debug kernel: its tree is KDIR, brd/null_blk come from its
	# modules_install staging directory, the rest is built in.  The module
	# is built in a copy of the sources (build/mod-debug/) so the normal
	# build's objects in the source tree are left alone.
	DKDIR=$ROOT_DIR/build/kernel-debug/linux
	KERNEL=$DKDIR/arch/x86/boot/bzImage
	[ -r "$KERNEL" ] || { echo "run.sh: no $KERNEL (run scripts/debug-kernel/build.sh)"; exit 1; }
	KVER=$(cat "$DKDIR/include/config/kernel.release")
	MODDBG=$ROOT_DIR/build/mod-debug
	if [ $BUILD = 1 ]; then
		rm -rf "$MODDBG"
		mkdir -p "$MODDBG"
		cp -p Kbuild VERSION ./*.c ./*.h "$MODDBG/"
		cp -rp lib "$MODDBG/lib"
		make -s -C "$DKDIR" M="$MODDBG" modules > "$OUT/build-debug.log" 2>&1 || {
			tail -20 "$OUT/build-debug.log"
			echo "FAIL: vm/build (module build against the debug kernel failed)"; exit 1; }
		mkdir -p "$MODDBG/tests-dma"
		cp -p tests/dma/Kbuild tests/dma/*.c "$MODDBG/tests-dma/"
		# Not fatal: a debug kernel without CONFIG_DMA_ENGINE fails
		# the dma cases only ("cannot load /lib/mc-test-dma.ko").
		make -s -C "$DKDIR" M="$MODDBG/tests-dma" modules >> "$OUT/build-debug.log" 2>&1 ||
			echo "run.sh: the test DMA module did not build against the debug kernel (see $OUT/build-debug.log)"
	fi
	export MC_TEST_DMA_KO=$MODDBG/tests-dma/mc-test-dma.ko
	export MC_KO=$MODDBG/dm-mirrorcache.ko MC_MODROOT=$ROOT_DIR/build/kernel-debug/modules
	[ -f "$MC_KO" ] || { echo "run.sh: no $MC_KO (use --build)"; exit 1; }
	# kasan_multi_shot: every KASAN report, not only the first of the boot.
	# no5lvl: QEMU's "max" CPU has LA57, and 6.1's identify_cpu() clears
	# the boot CPU's feature bits for a moment; an interrupt in that window
	# sees pgtable_l5_enabled() false and KASAN reports a wild access in
	# the IRQ handler (seen once in a few dozen boots).  4-level paging
	# has no such window.
	# slub_debug=A: the bio slabs may fail under failslab's cache-filter
	# (_dbg_failslab part 3; their sysfs failslab is read-only)
	EXTRA_APPEND=" kasan_multi_shot no5lvl slub_debug=A,bio-*"
else
	KVER=$(bash scripts/kver.sh) || exit 1
	KERNEL=/boot/vmlinuz-$KVER
	[ -r "$KERNEL" ] || { echo "run.sh: no $KERNEL (run scripts/setup.sh)"; exit 1; }

	if [ $BUILD = 1 ]; then
		make -s -C "$ROOT_DIR" module KDIR="/lib/modules/$KVER/build" >/dev/null || {
			echo "FAIL: vm/build (module build failed)"; exit 1; }
		make -s -C "/lib/modules/$KVER/build" M="$ROOT_DIR/tests/dma" modules >/dev/null || {
			echo "FAIL: vm/build (test DMA module build failed)"; exit 1; }
	fi
fi
MC_VM_OUT=$OUT MC_KVER=$KVER bash scripts/vm/mkinitramfs.sh || exit 1

ncases=1
if [ "$MODE" = tests ]; then
	TESTS=$(echo "$TESTS" | tr ' ' ',')
	[ "$TESTS" = all ] && ncases=$(ls tests/vm/*.sh | grep -vc -e '/lib.sh$' -e '/_') ||
		ncases=$(echo "$TESTS" | tr ',' '\n' | grep -c .)
fi
[ -n "$TIMEOUT" ] || TIMEOUT=$((120 + CASE_TIMEOUT * ncases))
# a script's guest dumps its blocked tasks 30 s before the VM is stopped
DUMP=""
[ "$MODE" = script ] && [ "$TIMEOUT" -gt 60 ] && DUMP=" mc.dump_at=$((TIMEOUT - 30))"

# TCG; KVM only when asked for (MC_KVM=1) and /dev/kvm is usable.
ACCEL="-accel tcg,thread=multi"
if [ "${MC_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then
	ACCEL="-accel kvm"
fi
MACHINE="-machine pc -m $MEM"
if [ $NVDIMM = 1 ]; then
	MACHINE="-machine pc,nvdimm=on -m $MEM,slots=2,maxmem=$((MEM + 2048))M
		-object memory-backend-ram,id=nv0,size=512M -device nvdimm,memdev=nv0"
fi
# tsc=reliable: under TCG a busy host delays a vCPU enough for the
# clocksource watchdog to mark the TSC unstable; that flips the static
# key __sched_clock_stable, and QEMU's multi-threaded TCG can then run
# the other vCPU into the half-patched code (an int3 Oops in
# sched_clock_cpu, seen on 6.12 about once in six check-k612 runs).
# MC_APPEND: more kernel parameters for one run (scripts/soak.sh)
APPEND="console=ttyS0 panic=-1 loglevel=4 tsc=reliable mc.mode=$MODE mc.tests=$TESTS mc.timeout=$CASE_TIMEOUT$DUMP$ENVS$EXTRA_APPEND${MC_APPEND:+ $MC_APPEND}"

# shellcheck disable=SC2086
QEMU=(qemu-system-x86_64 $ACCEL -cpu max -smp "$SMP" $MACHINE -nographic
	-no-reboot -kernel "$KERNEL" -initrd "$OUT/initramfs.cpio.gz"
	-append "$APPEND" -nic none)	# no default (user-mode) network
if [ -n "$NET" ]; then
	# Private to the QEMU processes on the host's loopback; the guests
	# use link-local addresses on it (tests/vm/_2host_*.sh).
	QEMU+=(-netdev "socket,id=n1,${NET%%:*}=127.0.0.1:${NET#*:}"
		-device "virtio-net-pci,netdev=n1,mac=$MAC")
fi
i=0
for d in "${DRIVES[@]}"; do
	QEMU+=(-drive "if=none,id=d$i,file=$d,format=raw,cache=none,file.locking=off"
		-device "virtio-blk-pci,drive=d$i,share-rw=on")
	i=$((i + 1))
done

if [ "$MODE" = shell ]; then
	exec "${QEMU[@]}"
fi

LOG=$OUT/console.log
timeout --kill-after=10 "$TIMEOUT" "${QEMU[@]}" </dev/null 2>&1 | sed -u 's/\r$//' | tee "$LOG"
qrc=${PIPESTATUS[0]}

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "FAIL: vm/harness (VM timed out after ${TIMEOUT}s)"
	exit 1
fi
if grep -q "Kernel panic" "$LOG"; then
	echo "FAIL: vm/harness (kernel panic)"
	exit 1
fi
if [ "$MODE" = script ]; then
	grep -q "^VM-SCRIPT-EXIT: 0$" "$LOG"
	exit $?
fi
res=$(grep -a "^VM-RESULT:" "$LOG" | tail -n 1)
if [ -z "$res" ]; then
	echo "FAIL: vm/harness (no VM-RESULT line: the guest died)"
	exit 1
fi
echo "$res" | grep -q " 0 failed$"
