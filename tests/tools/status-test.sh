#!/bin/sh
# Self-test of scripts/mirrorcache-status without a kernel: dmsetup is
# status-fake-dmsetup.sh (MC_STATUS_DMSETUP) answering from a fixture, and
# /sys is a tree made from the fixture's sysfs list (MC_STATUS_SYSFS).
#
# Fixtures (status-fixtures/NAME/): dm/mc0.status and dm/mc0.table in the
# exact formats of mc_status() (mc-target.c) and mc_emit_table()
# (mc-args.c), dm/lin0.* a linear device, and sysfs, "<path> <value>" per
# attribute in the order of mc-sysfs.c.  Here every controller directory
# also gets the write-only attributes, as the kernel makes them (mode
# 0200): fail and recover hold a marker that must never appear, and
# inject_torn_copy is a FIFO, so opening it would hang (caught by timeout);
# the future fixture also gets a write-only takeover_start, and every LU
# directory the write-only takeover and return.
#
# Every check runs under sh and again under busybox sh with busybox's
# applets first in PATH (the test VM's userland), when busybox exists.
#   usage: status-test.sh
# Prints PASS:/FAIL: lines and "N passed, N failed"; exit 1 on any failure.

HERE=$(cd "$(dirname "$0")" && pwd)
TOOL=$HERE/../../scripts/mirrorcache-status
FIX=$HERE/status-fixtures
T=$(mktemp -d /tmp/mc-status-test.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
NPASS=0
NFAIL=0
MARK=WRITE-ONLY-ATTRIBUTE-WAS-READ
TO=$(command -v timeout)

pass() { echo "PASS: tools/mirrorcache-status/$SH_NAME/$1"; NPASS=$((NPASS + 1)); }
fail() { echo "FAIL: tools/mirrorcache-status/$SH_NAME/$1 (${2:-failed})"; NFAIL=$((NFAIL + 1)); }

# mktree NAME: $T/NAME/sys from status-fixtures/NAME/sysfs
mktree() {
	root=$T/$1/sys
	rm -rf "$root"
	mkdir -p "$root"
	grep -v '^#' "$FIX/$1/sysfs" | while read -r p v; do
		mkdir -p "$root/$(dirname "$p")"
		printf '%s\n' "$v" > "$root/$p"
		case $p in
		*/writeback_high | */writeback_low) chmod 0644 "$root/$p" ;;
		*) chmod 0444 "$root/$p" ;;
		esac
	done
	for c in "$root"/block/dm-*/mirrorcache/ctrl*; do
		[ -d "$c" ] || continue
		for w in fail recover; do
			echo "$MARK" > "$c/$w"
			chmod 0200 "$c/$w"
		done
		mkfifo -m 0200 "$c/inject_torn_copy"
	done
	for l in "$root"/block/dm-*/mirrorcache/lun*; do
		[ -d "$l" ] || continue
		for w in takeover return; do
			echo "$MARK" > "$l/$w"
			chmod 0200 "$l/$w"
		done
	done
	# a later module's write-only attribute, a name the tool cannot know
	if [ "$1" = future ]; then
		echo "$MARK" > "$root/block/dm-0/mirrorcache/takeover_start"
		chmod 0200 "$root/block/dm-0/mirrorcache/takeover_start"
	fi
}

# run FIXTURE ARGS...: the tool on a fixture; $T/out, $T/err, $RC
run() {
	fx=$1
	shift
	# shellcheck disable=SC2086 # $TO and $SH are commands with arguments
	MC_FIXTURE=$FIX/$fx MC_STATUS_DMSETUP="$SH $HERE/status-fake-dmsetup.sh" \
		MC_STATUS_SYSFS=${SYSROOT:-$T/$fx/sys} PATH=$RUNPATH \
		$TO ${TO:+10} $SH "$TOOL" "$@" > "$T/out" 2> "$T/err" < /dev/null
	RC=$?
}

# has NAME ERE...: every pattern matches a line of $T/out
has() {
	n=$1
	shift
	for pat in "$@"; do
		if ! grep -Eq -- "$pat" "$T/out"; then
			fail "$n" "no line matches '$pat'"
			return
		fi
	done
	pass "$n"
}

# lacks NAME ERE: no line of $T/out matches
lacks() {
	if grep -Eq -- "$2" "$T/out"; then
		fail "$1" "'$(grep -E -- "$2" "$T/out" | head -n 1)' matches '$2'"
	else
		pass "$1"
	fi
}

# clean NAME: exit 0, nothing on stderr, no write-only attribute read
clean() {
	if [ "$RC" -ne 0 ]; then
		fail "$1/exit" "exit $RC: $(head -n 2 "$T/err" | tr '\n' ' ')"
	else
		pass "$1/exit"
	fi
	if [ -s "$T/err" ]; then
		fail "$1/stderr" "$(head -n 2 "$T/err" | tr '\n' ' ')"
	else
		pass "$1/stderr"
	fi
	if [ "$RC" -eq 124 ] || grep -q "$MARK" "$T/out" "$T/err"; then
		fail "$1/no-write-only-read" "a write-only attribute was opened (exit $RC)"
	else
		pass "$1/no-write-only-read"
	fi
}

# err NAME LINE: exit 1, stderr is LINE alone, nothing on stdout
err() {
	if [ "$RC" -ne 1 ]; then
		fail "$1" "exit $RC, want 1"
	elif [ "$(cat "$T/err")" != "$2" ]; then
		fail "$1" "stderr '$(head -n 2 "$T/err" | tr '\n' ' ')', want '$2'"
	elif [ -s "$T/out" ]; then
		fail "$1" "stdout not empty: $(head -n 1 "$T/out")"
	else
		pass "$1"
	fi
}

suite() {
	# healthy pair: 64/100 rw pages used, ctrl0 holds 17 of 38 mirror pages
	run healthy mc0
	clean healthy
	has healthy/device 'mc0 \(dm-0\): mirrorcache, 64\.0 MiB \(131072 sectors\), 2 LUs, 2 controllers, healthy$' \
		'options: mirror_ratio 30, mirror_alloc table, copy_engine auto, flush_mode destage, degraded_writes writethrough'
	has healthy/states '^Controller 0: online, copy engine cpu$' '^Controller 1: online, copy engine cpu$'
	has healthy/ctrl0-bars \
		'^  cache   \[############\.\.\.\.\.\.\.\.\]  64%  64/100 read/write pages in use: 17 dirty, 47 clean, 36 free$' \
		'^  dirty   \[###\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\]  17%  17/100 pages \(write-back above 19, down to 9\)$' \
		'^  mirror  \[########\.\.\.\.\.\.\.\.\.\.\.\.\]  44%  17/38 pages in use of its mirror area in ctrl1$'
	# under load the status line and the single attributes are of
	# different moments (dirty 25 + clean 47 > 64 in use): ctrlN/pages,
	# one snapshot, wins
	run loaded mc0
	has loaded/one-snapshot \
		'^  cache   \[############\.\.\.\.\.\.\.\.\]  64%  64/100 read/write pages in use: 20 dirty, 44 clean, 36 free$' \
		'^  dirty   \[####\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\]  20%  20/100 pages \(write-back above 19, down to 9\)$'
	# a failure asked for and not yet run (fail is asynchronous)
	run failing mc0
	has failing/state '^Controller 0: failing \(failure under way; ctrl1 takes over its LUs\), copy engine cpu$' \
		'^Controller 1: online, copy engine cpu$' '^  ctrl0 failing$'
	run healthy mc0
	has healthy/ctrl1-bars \
		'^  cache   \[#########\.\.\.\.\.\.\.\.\.\.\.\]  48%  28/58 ' \
		'^  mirror  \[######\.\.\.\.\.\.\.\.\.\.\.\.\.\.\]  32%  9/28 pages in use of its mirror area in ctrl0$'
	has healthy/counters '^  reads   1520 hits, 310 misses \(83% hits\)$' \
		'^  pages   1203 destaged, 1240 mirror acquired, 1223 released, 1240 node-channel copies$' \
		'^  memory  96 pages: 58 read/write \+ 38 mirror area for ctrl0$'
	has healthy/luns '^  0 +1:0 +32\.0 MiB +ctrl0 +ctrl0 +ok +0 +0$' \
		'^  1 +1:1 +32\.0 MiB +ctrl1 +ctrl1 +ok +0 +0$'
	has healthy/failover '^Failover: 0 failovers, 0 failbacks$'
	has healthy/idle '^In progress: nothing$'
	lacks healthy/no-other '^Other:'

	# the three ways to name the device give the same screen
	cp "$T/out" "$T/want"
	for a in /dev/mapper/mc0 /dev/dm-0 dm-0; do
		run healthy "$a"
		if [ "$RC" -eq 0 ] && cmp -s "$T/out" "$T/want"; then
			pass "name-$a"
		else
			fail "name-$a" "exit $RC, $(diff "$T/want" "$T/out" | sed -n 2p)"
		fi
	done

	# controller 0 failed: ctrl1 solo, owns both LUs, relinked pages left
	run failed mc0
	clean failed
	has failed/device ', DEGRADED$'
	has failed/states '^Controller 0: failed \(memory lost; its LUs are served by ctrl1\)' \
		'^Controller 1: solo \(peer ctrl0 failed: no mirror, writes go through to the LUs\)'
	has failed/owners '^  0 +1:0 +32\.0 MiB +ctrl1\* +ctrl0 +ok ' '^  1 +1:1 +32\.0 MiB +ctrl1 +ctrl1 +ok ' \
		'not on its default owner'
	has failed/bars '^  cache   \[\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\]   0%  0/100 .* 100 free$' \
		'^  dirty   \[##\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\]  13%  8/58 pages'
	has failed/failover '^Failover: 1 failover \(last: I/O held 1\.480 ms, 22 pages relinked, 0 invalid, 1 superseded\), 0 failbacks$' \
		'^  22 pages relinked in all, 3 bios re-driven through a survivor$'
	has failed/progress '^  ctrl1 destaging relinked pages: 8 of 22 left$' '^  relinked pages not yet destaged: 8$' \
		'^  cache   .* 28/58 read/write pages in use: 8 dirty \(8 of them relinked, in the mirror area\), 28 clean, 30 free$' \
		'^  mirror  .* 22/38 .*\(stale while failed; rebuilt at recovery\)$'

	# a two-host table, host A: its controller solo, the peer's remote,
	# the link's group at the end of the status line
	run twohost mc0
	clean twohost
	has twohost/states '^Controller 0: solo \(two-host table: no writable memory in the peer host, writes go through to the LUs\)' \
		'^Controller 1: remote \(runs on the peer host, link connected; its LUs are a path error here\)$' \
		'^  mirror  .* 0/38 pages in use of its mirror area in ctrl1 \(not mirroring: no writable memory in the peer host\)$'
	has twohost/link '^Link to the peer host: connected, 1 connect, 0 losses$' \
		'^  local 0 peer connected connects 1 losses 0 refusals 0 generation 5120fe9bec86d768 '
	has twohost/options 'local 0, addr rdma:169\.254\.10\.1:7470, peer rdma:169\.254\.10\.1:7471, fencing resource, heartbeat_ms 250, wait_peer_ms 5000$'
	lacks twohost/no-other '^Other:'
	lacks twohost/no-ctrl1-bars '^  memory  96 pages'
	# the same host once it mirrors into the peer host's memory
	run twohost-mirror mc0
	clean twohost-mirror
	has twohost-mirror/states '^Controller 0: online \(mirrors into the memory of the peer host over RDMA\)' \
		'^Controller 1: remote '
	lacks twohost-mirror/not-solo 'no writable memory'
	lacks twohost/no-held-writes 'writes held'
	# fencing resource-and-stonith, the peer lost: the writes held
	run twohost-held mc0
	clean twohost-held
	has twohost-held/link '^Link to the peer host: lost, 1 connect, 1 loss$' \
		"^  3 writes held since the peer host was lost \\(fencing resource-and-stonith\\): they complete when the link is back or on peer_fenced \\(dmsetup message mc0 0 peer_fenced\\)$"
	has twohost-held/options 'fencing resource-and-stonith, heartbeat_ms 250'
	lacks twohost-held/no-other '^Other:'
	lacks twohost-held/no-lost-copies 'may keep copies'
	# fencing resource, the peer lost: writes over the pages it may keep
	run twohost-rheld mc0
	clean twohost-rheld
	has twohost-rheld/link '^Link to the peer host: lost, 1 connect, 1 loss$' \
		'^  the lost peer host may keep copies of 4 pages of ours: writes over them are held$' \
		"^  2 writes held since the peer host was lost \\(fencing resource\\): they complete when the link is back or on peer_fenced \\(dmsetup message mc0 0 peer_fenced\\)$"
	lacks twohost-rheld/no-other '^Other:'

	# LU 1 in the error state with held pages
	run lu-error mc0
	clean lu-error
	has lu-error/lun '^  1 +1:1 +32\.0 MiB +ctrl1 +ctrl1 +error -5 EIO +12 +3$' '^  0 +1:0 .* ok +0 +0$'
	has lu-error/held '^  cache   .* 28/58 read/write pages in use: 3 dirty, 12 held, 13 clean, 30 free$'
	has lu-error/progress '^  LU 1: write-back failing, 12 held pages wait for a retry \(dmsetup message mc0 0 retry\)$'
	lacks lu-error/lu0-quiet '^  LU 0:'

	# recover 0 in progress, failback destage phase
	run failback mc0
	clean failback
	has failback/states '^Controller 0: recovering' '^Controller 1: handback \(ctrl0 recovering: write-through while destaging\)'
	has failback/progress '^  ctrl0 recovering$' '^  ctrl1 destaging: 5 dirty pages left$' \
		'^  failback: destage phase '

	# LU 0 taken over twice (away from ctrl0), LU 1 in a destage takeover
	run takeover mc0
	clean takeover
	has takeover/owners '^  0 +1:0 +32\.0 MiB +ctrl1\* +ctrl0 +ok ' '^  1 +1:1 +32\.0 MiB +ctrl1 +ctrl1 +ok '
	has takeover/away '^  LU 0: away, returns to ctrl0; 2 takeovers \(last: I/O held 0\.743 ms, 356\.738 ms in all\)$'
	has takeover/progress '^  LU 1 takeover: destaging, 120 dirty pages left \(writes go through\)$'
	has takeover/reserved '^  LU 0: reserved through the ports of ctrl1$'
	lacks takeover/lu1-home '^  LU 1: '
	lacks takeover/no-other '^Other:$'

	# fields and attributes of a later module version are shown as they are
	run future mc0
	clean future
	has future/other '^Other:$' '^  status fields after the known groups: 1 relink 17$' \
		'^  takeover: relink$' '^  ctrl0/takeover_phase: quiesce$'
	has future/rest '^Controller 1: online' '^In progress: nothing$'

	# no sysfs tree (not resumed yet, or no /sys): status and table alone
	SYSROOT=$T/nosys
	mkdir -p "$SYSROOT"
	run failed mc0
	clean nosysfs
	has nosysfs/view '^mc0: mirrorcache, 64\.0 MiB' 'status and table only' \
		'^Controller 1: solo ' '^  0 +1:0 +- +ctrl1\* +ctrl0 +ok ' \
		'^  destaging relinked pages: 8 of 22 left$'
	SYSROOT=

	# errors: exit 1 and a message, nothing on stdout
	run healthy lin0
	err not-mirrorcache 'mirrorcache-status: lin0 is not a mirrorcache device (target: linear)'
	run healthy mc9
	err missing 'mirrorcache-status: mc9: dmsetup status failed: Device does not exist.'
	run healthy /dev/dm-7
	err missing-dm-n 'mirrorcache-status: /dev/dm-7: no such device-mapper device'
	mkdir -p "$T/broken/dm"
	cp "$FIX/healthy/dm/mc0.table" "$T/broken/dm/"
	cut -d' ' -f1-30 "$FIX/healthy/dm/mc0.status" > "$T/broken/dm/mc0.status"
	FIX_SAVE=$FIX
	FIX=$T
	SYSROOT=$T/nosys
	run broken mc0
	SYSROOT=
	FIX=$FIX_SAVE
	err truncated-status 'mirrorcache-status: mc0: status line too short for 2 controllers'
	run healthy
	if [ "$RC" -eq 2 ] && grep -q '^usage: mirrorcache-status \[-w \[SECONDS\]\] <dev>' "$T/err"; then
		pass usage
	else
		fail usage "exit $RC, stderr '$(head -n 1 "$T/err")'"
	fi

	# -w: a cleared screen per refresh (two here), the header, the view
	MC_STATUS_WATCH_COUNT=2
	export MC_STATUS_WATCH_COUNT
	run healthy -w 0.2 mc0
	n=$(grep -c "$(printf '\033\\[H\033\\[2J')" "$T/out")
	if [ "$RC" -eq 0 ] && [ "$n" -eq 2 ] && [ "$(grep -c 'Every 0\.2s: mirrorcache-status mc0 ' "$T/out")" -eq 2 ] &&
		[ "$(grep -c '^Controller 0: online' "$T/out")" -eq 2 ]; then
		pass watch
	else
		fail watch "exit $RC, $n screens"
	fi
	run healthy -w mc0
	if [ "$RC" -eq 0 ] && grep -q 'Every 1s: mirrorcache-status mc0 ' "$T/out"; then pass watch-default; else fail watch-default "exit $RC"; fi
	run healthy -w 1 mc9
	err watch-missing 'mirrorcache-status: mc9: dmsetup status failed: Device does not exist.'
	unset MC_STATUS_WATCH_COUNT
}

for fx in healthy loaded failing failed lu-error failback future takeover twohost twohost-mirror twohost-held twohost-rheld; do mktree "$fx"; done

# README.md shows the healthy and failed screens: they must be current
SH=sh SH_NAME=readme RUNPATH=$PATH
for fx in healthy failed; do
	run "$fx" mc0
	missing=$(sed 's/^./    &/' "$T/out" | while IFS= read -r l; do
		grep -qxF -- "$l" "$HERE/../../README.md" || { echo "$l"; break; }
	done)
	if [ -z "$missing" ]; then pass "$fx"; else fail "$fx" "README.md lacks '$missing'"; fi
done

SH=sh SH_NAME=sh RUNPATH=$PATH
suite

if BB=$(command -v busybox) && "$BB" sh -c 'exit 0' 2>/dev/null; then
	mkdir -p "$T/bb"
	for a in $("$BB" --list); do ln -s "$BB" "$T/bb/$a"; done
	SH="$BB sh" SH_NAME=busybox RUNPATH=$T/bb:$PATH
	suite
else
	echo "status-test: no busybox, the busybox pass is not run"
fi

echo "$NPASS passed, $NFAIL failed"
[ "$NFAIL" -eq 0 ]
