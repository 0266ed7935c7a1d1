#!/bin/sh
# Self-test of lw-replay on synthetic dm-log-writes logs (no kernel, no dm):
# lw-mklog.py writes a log in the kernel's format plus the expected device
# images; every mode is replayed onto a regular file and compared
# byte-for-byte, and the summary line is checked.
#   usage: selftest.sh [path/to/lw-replay]   (default: build a static one)
# Prints PASS:/FAIL: lines and "N passed, N failed"; exit 1 on any failure.

HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/lw-selftest.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
NPASS=0
NFAIL=0

pass() { echo "PASS: tools/lw-replay/$1"; NPASS=$((NPASS + 1)); }
fail() { echo "FAIL: tools/lw-replay/$1 (${2:-failed})"; NFAIL=$((NFAIL + 1)); }

if [ -n "$1" ]; then
	LWR=$1
else
	LWR=$T/lw-replay
	if gcc -O2 -Wall -Wextra -Werror -static -o "$LWR" "$HERE/lw-replay.c" \
		> "$T/cc.out" 2>&1; then
		pass build
	else
		fail build "$(head -3 "$T/cc.out" | tr '\n' ' ')"
		echo "$NPASS passed, $NFAIL failed"
		exit 1
	fi
fi
MK="python3 $HERE/lw-mklog.py"

# check NAME SS LOG "LW-REPLAY ARGS" "EXPECTED ENTRIES" "EXPECTED SUMMARY"
# Replays onto a fresh 0xEE-filled device, compares with the image made of
# EXPECTED ENTRIES, and the stdout summary with EXPECTED SUMMARY.
check() {
	name=$1 ss=$2 log=$3 args=$4 ents=$5 want=$6
	$MK image "$T/dev" --sectorsize "$ss"
	$MK image "$T/want" --sectorsize "$ss" --entries "$ents"
	# shellcheck disable=SC2086
	"$LWR" --log "$log" --replay "$T/dev" $args > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$name" "exit $rc: $(head -2 "$T/err" | tr '\n' ' ')"
		return
	fi
	got=$(cat "$T/out")
	if [ "$got" != "lw-replay: $want" ]; then
		fail "$name" "summary '$got', want 'lw-replay: $want'"
	elif ! cmp -s "$T/dev" "$T/want"; then
		fail "$name" "image differs: $(cmp "$T/dev" "$T/want" 2>&1 | head -1)"
	else
		pass "$name"
	fi
}

# check_err NAME LOG DEV "ARGS" PATTERN: exit 1, stderr matches PATTERN,
# nothing on stdout, and DEV (if a regular file) unchanged.
check_err() {
	name=$1 log=$2 dev=$3 args=$4 pat=$5
	[ -f "$dev" ] && cp "$dev" "$T/before"
	# shellcheck disable=SC2086
	"$LWR" --log "$log" --replay "$dev" $args > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -ne 1 ]; then
		fail "$name" "exit $rc, want 1"
	elif ! grep -q -- "$pat" "$T/err"; then
		fail "$name" "stderr '$(head -1 "$T/err")' lacks '$pat'"
	elif [ -s "$T/out" ]; then
		fail "$name" "stdout not empty: $(head -1 "$T/out")"
	elif [ -f "$dev" ] && ! cmp -s "$dev" "$T/before"; then
		fail "$name" "replay device modified"
	else
		pass "$name"
	fi
}

# Scenario (lw-mklog.py info): 17 entries
#  0 W 0+4  1 W 16+8 META  2 MARK mkfs  3 W 2+4  4 DISCARD 18+2
#  5 FLUSH (empty)  6 W 30+2  7 W 40+1 FUA  8 W 24+2 FLUSH
#  9 W 44+2 FLUSH|FUA  10 MARK fsync  11 W 0+2  12 W 50+3 FUA
#  13 DISCARD 40+1  14 W 44+1 META  15 MARK L*(ss-33)  16 MARK dm-log-writes-end
ALL=0,1,3,4,6,7,8,9,11,12,13,14
DUR=0,1,3,4,6,7,8,9,12

for ss in 512 4096; do
	L=$T/log$ss
	$MK log "$L" --sectorsize $ss
	check "ss$ss/all" $ss "$L" "" $ALL \
		"entries 17, replayed 12 writes (32 sectors), skipped 5, last flush at entry 9"
	check "ss$ss/all-explicit" $ss "$L" "--all" $ALL \
		"entries 17, replayed 12 writes (32 sectors), skipped 5, last flush at entry 9"
	check "ss$ss/durable" $ss "$L" "--durable" $DUR \
		"entries 17, replayed 9 writes (28 sectors), skipped 8, last flush at entry 9"
done

L=$T/log512
check all-skip-discard 512 "$L" "--skip-discard" 0,1,3,6,7,8,9,11,12,14 \
	"entries 17, replayed 10 writes (29 sectors), skipped 7, last flush at entry 9"
check durable-skip-discard 512 "$L" "--durable --skip-discard" 0,1,3,6,7,8,9,12 \
	"entries 17, replayed 8 writes (26 sectors), skipped 9, last flush at entry 9"
check limit0 512 "$L" "--limit 0" "" \
	"entries 0, replayed 0 writes (0 sectors), skipped 0, last flush at entry -1"
check limit5 512 "$L" "--limit 5" 0,1,3,4 \
	"entries 5, replayed 4 writes (18 sectors), skipped 1, last flush at entry -1"
check limit17 512 "$L" "--limit 17" $ALL \
	"entries 17, replayed 12 writes (32 sectors), skipped 5, last flush at entry 9"
check end-mark-mkfs 512 "$L" "--end-mark mkfs" 0,1 \
	"entries 3, replayed 2 writes (12 sectors), skipped 1, last flush at entry -1"
check end-mark-fsync 512 "$L" "--end-mark fsync" 0,1,3,4,6,7,8,9 \
	"entries 11, replayed 8 writes (25 sectors), skipped 3, last flush at entry 9"
LONG=$(python3 -c 'print("L" * (512 - 33))')
check end-mark-longest 512 "$L" "--end-mark $LONG" $ALL \
	"entries 16, replayed 12 writes (32 sectors), skipped 4, last flush at entry 9"
check end-mark-end 512 "$L" "--end-mark dm-log-writes-end" $ALL \
	"entries 17, replayed 12 writes (32 sectors), skipped 5, last flush at entry 9"
# Power cut right after entry 7: flush 5 is the last one; 6 lost, FUA 7 kept.
check durable-cut-after-7 512 "$L" "--durable --limit 8" 0,1,3,4,7 \
	"entries 8, replayed 5 writes (19 sectors), skipped 3, last flush at entry 5"
# Cut after entry 8 (a FLUSH with data): everything up to it is kept.
check durable-cut-after-8 512 "$L" "--durable --limit 9" 0,1,3,4,6,7,8 \
	"entries 9, replayed 7 writes (23 sectors), skipped 2, last flush at entry 8"
check durable-end-mark-fsync 512 "$L" "--durable --end-mark fsync" 0,1,3,4,6,7,8,9 \
	"entries 11, replayed 8 writes (25 sectors), skipped 3, last flush at entry 9"
check durable-cut-after-4 512 "$L" "--durable --limit 5" "" \
	"entries 5, replayed 0 writes (0 sectors), skipped 5, last flush at entry -1"

# --verbose: summary alone on stdout, one line per entry (+ super) on stderr
$MK image "$T/dev"
if "$LWR" --log "$L" --replay "$T/dev" --durable --verbose > "$T/out" 2> "$T/err" &&
	[ "$(wc -l < "$T/out")" -eq 1 ] &&
	[ "$(grep -c ': entry [0-9]* @' "$T/err")" -eq 17 ] &&
	grep -q 'entry 11 @.*skip, not durable' "$T/err" &&
	grep -q 'entry 4 @.*DISCARD: zero' "$T/err"; then
	pass verbose
else
	fail verbose "$(head -3 "$T/err" | tr '\n' ' ')"
fi

# Error cases: exit 1, clear message, replay device untouched.
$MK image "$T/dev"
$MK log "$T/badmagic" --magic 0x6a736677736873
check_err bad-magic "$T/badmagic" "$T/dev" "" "bad magic"
$MK log "$T/badver" --version 2
check_err bad-version "$T/badver" "$T/dev" "" "unsupported version"
# cut in the middle of entry 12's data (entry 12 block at 38, data 39..41)
$MK log "$T/trunc" --pad-blocks 0 --truncate $((40 * 512 + 100))
check_err truncated-data "$T/trunc" "$T/dev" "" "truncated"
check_err truncated-durable "$T/trunc" "$T/dev" "--durable" "truncated"
check limit-before-truncation 512 "$T/trunc" "--limit 12" 0,1,3,4,6,7,8,9,11 \
	"entries 12, replayed 9 writes (27 sectors), skipped 3, last flush at entry 9"
$MK image "$T/dev"
$MK log "$T/trunc2" --pad-blocks 0 --truncate 300
check_err truncated-super "$T/trunc2" "$T/dev" "" "truncated"
$MK log "$T/trunc3" --pad-blocks 0 --truncate 20
check_err truncated-super-struct "$T/trunc3" "$T/dev" "" "truncated"
# super claims more entries than were logged: runs into the zeroed tail
$MK log "$T/overcount" --nr-entries 19
check_err zeroed-entry "$T/overcount" "$T/dev" "" "all zeroes"
$MK log "$T/overcount2" --pad-blocks 0 --nr-entries 100
check_err too-many-entries "$T/overcount2" "$T/dev" "" "truncated"
check_err mark-not-found "$L" "$T/dev" "--end-mark nosuch" "not found"
check_err limit-too-big "$L" "$T/dev" "--limit 18" "exceeds"
check_err limit-and-mark "$L" "$T/dev" "--limit 3 --end-mark mkfs" "mutually exclusive"
check_err write-error "$L" /dev/full "" "No space left"
check_err no-device "$L" "$T/nosuch" "" "cannot open replay device"
check_err no-log "$T/nosuch" "$T/dev" "" "cannot open log"

echo "$NPASS passed, $NFAIL failed"
[ "$NFAIL" -eq 0 ]
