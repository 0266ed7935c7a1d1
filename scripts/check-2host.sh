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
# LU over and verifies A's acknowledged writes.
# The partition pair (tests/vm/_2host_pa.sh, _2host_pb.sh; fencing
# resource) boots two guests again: both write with fio while B cuts the
# link (netem), each keeps serving its own LU alone and refuses the
# other's, the link heals and both mirror again, the jobs verify; then B
# crashes under fio and A takes its LU over only after peer_fenced.
# The guests talk to this script through "MARK:" lines on their consoles.
# One vCPU each.  MC_2HOST_PAIRS="crash partition" (the default) names the
# pairs to run.  Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
PASS=0 FAIL=0
pass() { echo "PASS: 2host/$1"; PASS=$((PASS + 1)); }
fail() { echo "FAIL: 2host/$1 (${2:-failed})"; FAIL=$((FAIL + 1)); }

. scripts/vm/2host-lib.sh

pair_setup build/2host 16M ||
	{ fail build; echo "$PASS passed, $FAIL failed"; exit 1; }

# pair_end: both guests' QEMU gone; marks <log> <A|B> <regex>: those MARK
# lines of a guest's console, for the record
pair_end() {
	pkill -9 -f "build/vm-a/initramfs.cpio.gz"
	wait $APID
	kill_b
}
marks() { grep -a -E "^MARK: ($3)" "$D/$1.log" | sed "s/^MARK: /2host: $2 /"; }

# crash_pair: the first pair (fencing none): B crashes, then A
crash_pair() {
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
	pair_end
	marks b1 B "b1-dirty|b1-crash-state"
	marks a A "lost|ctrl1: the peer host|a2-dirty|a2-crash-state|b1 verified"
	marks b2 B "ctrl0: the peer host|[ab][12] verified"
	grep -aq "^MARK: a2-crash" "$D/a.log" || fail a_guest "A did not reach its crash (see $D/a.log)"
}

# partition_pair: the second pair (fencing resource): a partition that
# heals, then B crashes and A waits for peer_fenced
partition_pair() {
	truncate -s 0 "$D/state.img" && truncate -s 4M "$D/state.img"
	guest a "$D/pa.log" "listen:$PORT" _2host_pa
	APID=$!
	if wait_mark "$D/pa.log" a-listening 300; then
		guest b "$D/pb.log" "connect:$PORT" _2host_pb
		wait_mark "$D/pa.log" a-healed 400 || fail partition_healed "$(tail -3 "$D/pa.log")"
		if wait_mark "$D/pb.log" pb-crash 300; then
			gone b 30 && pass pb_crashed || { fail pb_crashed "its QEMU still runs"; kill_b; }
		fi
		wait_mark "$D/pa.log" pa-done 300 || fail pa_done "$(tail -3 "$D/pa.log")"
		sleep 3	# A's harness ends its run
	else
		fail pa_boots "$(tail -3 "$D/pa.log")"
	fi
	pair_end
	marks pb B "pb-dirty|pb-crash-state"
	marks pa A "ctrl1: the peer host|pb verified"
	grep -aq "^MARK: pa-done" "$D/pa.log" || fail pa_guest "A did not finish (see $D/pa.log)"
}

for pair in ${MC_2HOST_PAIRS:-crash partition}; do
	case $pair in
	crash) crash_pair ;;
	partition) partition_pair ;;
	*) fail "pair_$pair" "no such pair" ;;
	esac
done

# The hosts' checks, those of A's and B's first life up to their crashes
# (their harnesses then report the panic, which is the crash, not
# counted).  The first line of a console may follow the firmware's escape
# codes: match anywhere in the line.
for log in a b1 b2 pa pb; do
	[ -f "$D/$log.log" ] || continue
	grep -a -o -E "(PASS|FAIL): vm/_2host_[a-z0-9]+/.*" "$D/$log.log" |
		sed -E 's#vm/_2host_([a-z0-9]+)/#2host/\1/#'
	PASS=$((PASS + $(grep -a -o -E "PASS: vm/_2host_[a-z0-9]+/" "$D/$log.log" | wc -l)))
	FAIL=$((FAIL + $(grep -a -o -E "FAIL: vm/_2host_[a-z0-9]+/" "$D/$log.log" | wc -l)))
done
echo "$PASS passed, $FAIL failed"
[ $FAIL = 0 ]
