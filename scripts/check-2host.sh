#!/bin/bash
# make check-2host: two guests, one host each of a two-host table
# (Documentation/two-hosts.rst), linked by a QEMU socket network over this
# machine's loopback (private to the two QEMU processes; the guests use
# link-local addresses), two disk images attached to both and a third for
# fio's verify state.  Host A (tests/vm/_2host_a.sh, controller 0)
# listens; host B (tests/vm/_2host_b.sh, controller 1) boots and connects;
# both write with fio at once, and B crashes (sysrq c) in the middle of its
# job after fio's trigger saved the writes it acknowledged to the state
# disk: A must lose it by its heartbeat, take its LU over (fencing none)
# and read back every one of them, and its own fio, running across the
# loss, must verify.  B boots again (tests/vm/_2host_b2.sh) as a new
# generation, waits while A holds its LU, gets it back once A destaged it
# (the handback), verifies its first life's writes through its own device,
# and both mirror again.  Then A crashes under fio in turn and B takes its
# LU over and verifies A's acknowledged writes.  The guests talk to this
# script through "MARK:" lines on their consoles.  One vCPU each.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
PASS=0 FAIL=0
pass() { echo "PASS: 2host/$1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL: 2host/$1 (${2:-failed})"; FAIL=$((FAIL + 1)); }

. scripts/vm/2host-lib.sh

pair_setup build/2host 16M ||
	{ fail build; echo "$PASS passed, $FAIL failed"; exit 1; }
guest a "$D/a.log" "listen:$PORT" _2host_a
APID=$!
if wait_mark "$D/a.log" a-listening 300; then
	pass a_boots
	guest b "$D/b1.log" "connect:$PORT" _2host_b
	wait_mark "$D/b1.log" b-connected 300 && pass b_connects || fail b_connects
	wait_mark "$D/b1.log" b-sees 60
	want=$(grep -a "^MARK: a-data" "$D/a.log" | cut -d' ' -f3)
	got=$(grep -a "^MARK: b-sees" "$D/b1.log" | cut -d' ' -f3)
	[ -n "$want" ] && [ "$want" = "$got" ] && pass b_reads_a_write_on_shared_disk ||
		fail b_reads_a_write_on_shared_disk "A wrote $want, B read $got"
	if wait_mark "$D/b1.log" b1-crash 300; then
		gone b 30 && pass b_crashed || { fail b_crashed "its QEMU still runs"; kill_b; }
	fi
	if wait_mark "$D/a.log" restart-b 120; then
		sleep 2	# the crashed QEMU's socket is closed; A's listens again
		guest b "$D/b2.log" "connect:$PORT" _2host_b2
		wait_mark "$D/b2.log" b2-mirrors 600 || fail b2_mirrors "$(tail -3 "$D/b2.log")"
	fi
	if wait_mark "$D/a.log" a2-crash 300; then
		gone a 30 && pass a_crashed || fail a_crashed "its QEMU still runs"
	fi
	wait_mark "$D/b2.log" b2-done 400 || fail b2_done "$(tail -3 "$D/b2.log")"
	sleep 3	# B's harness ends its run
	kill_b
else
	fail a_boots "$(tail -3 "$D/a.log")"
fi
pkill -9 -f "build/vm-a/initramfs.cpio.gz"
wait $APID
kill_b
grep -a -E "^MARK: (b1-dirty|b1-crash-state)" "$D/b1.log" | sed 's/^MARK: /2host: B /'
grep -a -E "^MARK: (lost|ctrl1: the peer host|a2-dirty|a2-crash-state|b1 verified)" "$D/a.log" | sed 's/^MARK: /2host: A /'
grep -a -E "^MARK: (ctrl0: the peer host|[ab][12] verified)" "$D/b2.log" | sed 's/^MARK: /2host: B /'
# The hosts' checks, A's and B's first life's up to their crashes (their
# harnesses then report the panic, which is the crash, not counted).  The
# first line of a console may follow the firmware's escape codes: match
# anywhere in the line.
grep -a -o -E "(PASS|FAIL): vm/_2host_a/.*" "$D/a.log" | sed 's|vm/_2host_a/|2host/a/|'
PASS=$((PASS + $(grep -a -o "PASS: vm/_2host_a/" "$D/a.log" | wc -l)))
FAIL=$((FAIL + $(grep -a -o "FAIL: vm/_2host_a/" "$D/a.log" | wc -l)))
cat "$D"/b*.log 2>/dev/null | grep -a -o -E "(PASS|FAIL): vm/_2host_b2?/.*" | sed -E 's#vm/_2host_(b2?)/#2host/\1/#'
PASS=$((PASS + $(cat "$D"/b*.log | grep -a -o -E "PASS: vm/_2host_b2?/" | wc -l)))
FAIL=$((FAIL + $(cat "$D"/b*.log | grep -a -o -E "FAIL: vm/_2host_b2?/" | wc -l)))
grep -aq "^MARK: a2-crash" "$D/a.log" || fail a_guest "A did not reach its crash (see $D/a.log)"
echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
