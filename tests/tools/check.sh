#!/bin/sh
# make -C tests/tools check: every self-test of the host-side tools, their
# PASS:/FAIL: lines streamed, then one "N passed, N failed" for all.
#   usage: check.sh path/to/lw-replay
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/tools-check.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
: > "$T/all"

# each <name> <command...>: run one self-test; its own total line is dropped
each() {
	name=$1
	shift
	"$@" > "$T/out" 2>&1
	rc=$?
	grep -v '^[0-9]* passed, [0-9]* failed$' "$T/out" | tee -a "$T/all"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL:' "$T/out"; then
		echo "FAIL: tools/$name (exit $rc)" | tee -a "$T/all"
	fi
}

each lw-replay "$HERE/selftest.sh" "$1"
each mirrorcache-status "$HERE/status-test.sh"
each doc "$HERE/doc-test.sh"

p=$(grep -c '^PASS:' "$T/all")
f=$(grep -c '^FAIL:' "$T/all")
echo "$p passed, $f failed"
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
