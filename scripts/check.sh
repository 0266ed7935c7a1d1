#!/bin/bash
# make check: unit tests, the W=1 builds of the module and of the test DMA
# provider (tests/dma/), then every VM case, then the two-guest run
# (scripts/check-2host.sh).
# Collects every PASS:/FAIL: line and ends with "N passed, N failed".
#
# Environment: MC_KVER (the Debian kernel, a version or a series such as
# 6.12, scripts/kver.sh; default: newest 6.1): the module is built against
# its headers and the VM boots it; MC_TESTS (VM cases, default all);
# MC_VM_ENV (NAME=VALUE words exported to the guest's cases); MC_USERSPACE=0
# leaves out the unit tests and the tools' checks, which do not depend on
# the kernel (make check-k612, after make check in CI).
# make check KVER=6.12 and make check-k612 set them.
set -uo pipefail
cd "$(dirname "$0")/.."
make -s clean >/dev/null 2>&1	# a fresh W=1 build below, and no stale logs
mkdir -p build
TESTS=${MC_TESTS:-all}
LOG=build/check${MC_KVER:+-$MC_KVER}.log
: > "$LOG"

stage() {	# stage <name> <command...>: run, stream, keep the output
	local name=$1; shift
	echo "== $name"
	"$@" 2>&1 | tee -a "$LOG"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ] && ! grep -q "^FAIL: $name" "$LOG"; then
		echo "FAIL: $name (exit $rc)" | tee -a "$LOG"
	fi
}

if [ "${MC_USERSPACE:-1}" != 0 ]; then
	stage unit make -s unit
	stage tools make -s -C tests/tools check
fi

KDIR=$(bash scripts/kdir.sh)
w1_build() {	# w1_build <name> <log> <make args...>: a warning-free W=1 build
	local name=$1 log=$2 n
	shift 2
	echo "== build/$name ($KDIR)"
	if make -s "$@" W=1 > "$log" 2>&1; then
		n=$(grep -c 'warning:' "$log")
		if [ "$n" = 0 ]; then
			echo "PASS: build/$name" | tee -a "$LOG"
		else
			grep 'warning:' "$log"
			echo "FAIL: build/$name ($n warnings)" | tee -a "$LOG"
		fi
	else
		tail -20 "$log"
		echo "FAIL: build/$name (build failed)" | tee -a "$LOG"
	fi
}
w1_build module-W1 build/build.log module KDIR="$KDIR"
# the test-only DMA provider the dma cases load (tests/dma/)
w1_build test-dma-W1 build/build-test-dma.log -C "$KDIR" M="$PWD/tests/dma" modules

VM_ENV=()
for e in ${MC_VM_ENV:-}; do VM_ENV+=(--env "$e"); done
stage vm bash scripts/vm/run.sh --tests "$TESTS" "${VM_ENV[@]}"
# two guests, one host each of a two-host table (every case only)
[ "$TESTS" = all ] && stage 2host bash scripts/check-2host.sh

p=$(grep -c '^PASS:' "$LOG")
f=$(grep -c '^FAIL:' "$LOG")
echo
# the failures again, indented: .ci/run counts lines that start with FAIL:
grep '^FAIL:' "$LOG" | sed 's/^/  /' || true
echo "$p passed, $f failed"
[ "$f" = 0 ] && [ "$p" -gt 0 ]
