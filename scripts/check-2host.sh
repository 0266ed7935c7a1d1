#!/bin/bash
# make check-2host: two guests, one host each of a two-host table
# (Documentation/two-hosts.rst), linked by a QEMU socket network over this
# machine's loopback (private to the two QEMU processes; the guests use
# link-local addresses), two disk images attached to both.  Host A
# (tests/vm/_2host_a.sh, controller 0) listens; host B
# (tests/vm/_2host_b.sh, controller 1) boots, connects, writes 1 MiB that
# stays dirty in its cache (mirrored into A's memory), and is killed
# (SIGKILL of its QEMU) when A asks; A must lose it by its heartbeat, take
# its LU over (fencing none) and read back every write B acknowledged; B
# is booted again (tests/vm/_2host_b2.sh) as a new generation, waits
# while A holds its LU, gets it back once A destaged it (the handback),
# reads every write of its first life back through its own device, and
# both mirror again.  The guests talk to
# this script through "MARK:" lines on their consoles.  One vCPU each.
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
	if wait_mark "$D/a.log" kill-b 300; then
		kill_b && pass b_killed || fail b_killed
	fi
	if wait_mark "$D/a.log" restart-b 120; then
		sleep 2	# the killed QEMU's socket is closed; A's listens again
		guest b "$D/b2.log" "connect:$PORT" _2host_b2
		wait_mark "$D/b2.log" b2-done 600 || fail b2_done "$(tail -3 "$D/b2.log")"
	fi
	wait_mark "$D/a.log" done 400
	sleep 3	# B's harness ends its run
	kill_b
else
	fail a_boots "$(tail -3 "$D/a.log")"
fi
wait $APID
arc=$?
kill_b
grep -a "^MARK: b-written" "$D/b1.log" | sed 's/^MARK: /2host: B /'
grep -a -E "^MARK: (lost after|ctrl1: the peer host)" "$D/a.log" | sed 's/^MARK: /2host: A /'
# A's checks, and B's before it was killed (its harness then reports a
# timeout, which is the kill).  The first line of a console may follow
# the firmware's escape codes: match anywhere in the line.
grep -a -o -E "(PASS|FAIL): vm/_2host_a/.*" "$D/a.log" | sed 's|vm/_2host_a/|2host/a/|'
PASS=$((PASS + $(grep -a -o "PASS: vm/_2host_a/" "$D/a.log" | wc -l)))
FAIL=$((FAIL + $(grep -a -o "FAIL: vm/" "$D/a.log" | wc -l)))
cat "$D"/b*.log 2>/dev/null | grep -a -o -E "(PASS|FAIL): vm/_2host_b2?/.*" | sed -E 's#vm/_2host_(b2?)/#2host/\1/#'
PASS=$((PASS + $(cat "$D"/b*.log | grep -a -o -E "PASS: vm/_2host_b2?/" | wc -l)))
FAIL=$((FAIL + $(cat "$D"/b*.log | grep -a -o -E "FAIL: vm/_2host_b2?/" | wc -l)))
[ $arc = 0 ] || fail a_guest "run.sh exit $arc (see $D/a.log)"
echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
