#!/bin/bash
# make demo: boot the VM and run tests/vm/_demo.sh (a controller fails and
# recovers under fio write+verify), then plot fio's completion latency over
# time with the failure and the failback marked: build/demo/latency.png.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/demo
mkdir -p "$OUT"
rc=0
bash scripts/vm/run.sh --build --script _demo --timeout 300 |
	tee "$OUT/console.log" | grep -v -E '^DEMO-(LAT|MARK) ' || rc=$?
echo
bash scripts/plot-latency.sh "$OUT/console.log" DEMO "$OUT/latency.png" \
	"dm-mirrorcache: 4 KiB random write completion latency (fio, 100 ms averages; QEMU TCG)" ||
	rc=1
exit $rc
