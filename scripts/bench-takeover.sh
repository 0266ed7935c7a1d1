#!/bin/bash
# scripts/bench-takeover.sh: LU takeover, destage against instant, with
# 64 MiB dirty on LUs behind 1 ms dm-delay disks (tests/vm/_takeover_bench.sh):
# the I/O hold at the switch, the time until the takeover is complete, and
# fio's IOPS and highest completion latency while it runs (4 KiB random
# writes to the same LU, QD 8), beside fio alone.  MC_TK_PAGES: pages per
# controller (default 65536, 256 MiB: a mirror area of 77 MiB); MC_TK_DELAY:
# the disks' delay in ms (default 1).  Not a
# test: QEMU TCG figures, compare them within one run only.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/bench-takeover
mkdir -p "$OUT"
make -s module >/dev/null
bash scripts/vm/run.sh --script _takeover_bench --mem 3072 --timeout 1200 \
	${MC_TK_PAGES:+--env MC_TK_PAGES=$MC_TK_PAGES} \
	${MC_TK_DELAY:+--env MC_TK_DELAY=$MC_TK_DELAY} > "$OUT/console.log" 2>&1 || true
echo "LU takeover with 64 MiB dirty, disks behind dm-delay ${MC_TK_DELAY:-1} ms; host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), QEMU TCG"
base=$(grep -o 'TKBASE .*' "$OUT/console.log" || echo "TKBASE - - failed")
printf '%-8s %7s %12s %14s %10s %16s %s\n' method dirty hold_ms takeover_ms fio_iops fio_max_lat_ms fio
echo "$base" | awk '{ printf "%-8s %7s %12s %14s %10s %16.1f %s\n", "none", "-", "-", "-", $2, $3 / 1000, ($4 == "0" ? "ok" : "FAILED") }'
grep -o 'TK [a-z].*' "$OUT/console.log" | awk '{
	printf "%-8s %7s %12.2f %14.1f %10s %16.1f %s\n", $2, $3, $4 / 1000, $5 / 1000, $6, $7 / 1000, ($8 == "0" ? "ok" : "FAILED") }'
grep -q 'TK instant' "$OUT/console.log" || { echo "the run failed: see $OUT/console.log"; exit 1; }
