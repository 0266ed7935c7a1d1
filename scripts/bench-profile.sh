#!/bin/bash
# scripts/bench-profile.sh: a perf profile of the 4 KiB random write path
# (tests/vm/_profile.sh) in the VM, mc-table at QD1 and QD16 and the RAM
# ceiling at QD1, top symbols by share of cpu-clock samples on both vCPUs.
# Needs perf on the host (Debian's linux-perf); it is copied into the
# initramfs for this run only.  Not a test: QEMU TCG figures.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/bench-profile
mkdir -p "$OUT"
command -v perf >/dev/null || { echo "bench-profile: no perf (apt-get install linux-perf)"; exit 1; }
make -s module >/dev/null
MC_EXTRA_BINS=perf bash scripts/vm/run.sh --script _profile --timeout 900 \
	> "$OUT/console.log" 2>&1 || true
grep -q '^PROF-DONE' "$OUT/console.log" || { echo "the run failed: see $OUT/console.log"; exit 1; }
echo "perf profile, cpu-clock, both vCPUs; host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), QEMU TCG"
for r in mc-qd1 mc-qd16 ram-qd1; do
	echo
	echo "$r: $(grep -o "PROFIOPS $r .*" "$OUT/console.log" | cut -d' ' -f3) IOPS (4 KiB random write, 2 jobs)"
	grep "^PROF $r " "$OUT/console.log" | cut -d' ' -f3- | head -n 25
done
