#!/bin/bash
# make check: unit tests, the W=1 module build, then every VM case.
# Collects every PASS:/FAIL: line and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
make -s clean >/dev/null 2>&1	# a fresh W=1 build below, and no stale logs
mkdir -p build
LOG=build/check.log
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

stage unit make -s unit
stage tools make -s -C tests/tools check

echo "== build/module-W1"
KDIR=$(bash scripts/kdir.sh)
if make -s module W=1 KDIR="$KDIR" > build/build.log 2>&1; then
	n=$(grep -c 'warning:' build/build.log)
	if [ "$n" = 0 ]; then
		echo "PASS: build/module-W1" | tee -a "$LOG"
	else
		grep 'warning:' build/build.log
		echo "FAIL: build/module-W1 ($n warnings)" | tee -a "$LOG"
	fi
else
	tail -20 build/build.log
	echo "FAIL: build/module-W1 (build failed)" | tee -a "$LOG"
fi

stage vm bash scripts/vm/run.sh --tests all

p=$(grep -c '^PASS:' "$LOG")
f=$(grep -c '^FAIL:' "$LOG")
echo
grep '^FAIL:' "$LOG" || true
echo "$p passed, $f failed"
[ "$f" = 0 ] && [ "$p" -gt 0 ]
