#!/bin/bash
# make demo-2host: two guests, one host each of a two-host table
# (Documentation/two-hosts.rst), as make check-2host boots them.  Host B
# (tests/vm/_demo_2host_b.sh) mirrors into A's memory and keeps 1 MiB dirty;
# host A (tests/vm/_demo_2host_a.sh) runs fio on its own LU; B's QEMU is
# killed under it; A takes B's LU over and verifies B's writes.  Plots A's
# write completion latency with the crash and the takeover marked:
# build/demo-2host/latency.png.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/vm/2host-lib.sh
pair_setup build/demo-2host 16M || exit 1
GUEST_TIMEOUT=600 guest a "$D/a.log" "listen:$PORT" _demo_2host_a
APID=$!
rc=0
if wait_mark "$D/a.log" a-listening 300; then
	GUEST_TIMEOUT=600 guest b "$D/b.log" "connect:$PORT" _demo_2host_b
	if wait_mark "$D/a.log" kill-b 400; then
		kill_b
	else
		rc=1
	fi
	wait_mark "$D/a.log" done 300 || rc=1
else
	rc=1
fi
wait $APID
kill_b 2> /dev/null
# A's console without the firmware's noise and the data lines
grep -a -v -E '^(DEMO2-(LAT|MARK)|MARK:) |^\[ *[0-9.]+\] ' "$D/a.log" | sed -n '/Host A/,$p'
echo
# no verify phase to cut off: the stall at the crash is the point
PLOT_GAP_S=60 bash scripts/plot-latency.sh "$D/a.log" DEMO2 "$D/latency.png" \
	"two hosts: host A's 4 KiB random write latency (fio, 100 ms averages; TCG guests, soft-RoCE)" \
	crash "B's kill asked (SIGKILL of its QEMU within 1 s)" \
	takeover "A lost B by heartbeat: solo, LU1 taken over" || rc=1
exit $rc
