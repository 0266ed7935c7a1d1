#!/bin/bash
# scripts/bench-holds.sh [REV...]: how long a failover and a failback hold
# new I/O as the cache grows (tests/vm/_holds.sh), for the working tree's
# module or for each git revision given.  MC_HOLD_SIZES: pages per
# controller (default "16384 262144 1048576": 64 MiB, 1 GiB, 4 GiB each;
# the guest gets twice the largest pair, the most the module takes, plus
# 1 GiB).  Not a test: QEMU TCG
# figures, compare them within one invocation only.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${MC_HOLD_SIZES:-16384 262144 1048576}
max=0; for s in $SIZES; do [ "$s" -gt "$max" ] && max=$s; done
MEM=$(( max * 2 * 4096 * 2 / 1048576 + 1024 ))	# the module takes at most half the RAM
KVER=$(ls -d /lib/modules/6.1.0-*-amd64 | sort -V | tail -n 1 | xargs basename)
OUT=build/bench-holds
mkdir -p "$OUT"
revs=("$@"); [ ${#revs[@]} -gt 0 ] || revs=(worktree)
echo "failover and failback I/O holds by cache size; host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), QEMU TCG, guest ${MEM} MB"
printf '%-10s %10s %10s %12s %9s %12s %s\n' rev pages create_ms failover_us relinked failback_us fio
for rev in "${revs[@]}"; do
	if [ "$rev" = worktree ]; then
		make -s module >/dev/null; ko=$PWD/dm-mirrorcache.ko
	else
		src=$OUT/src-$rev; rm -rf "$src"; mkdir -p "$src"
		git archive "$rev" | tar -x -C "$src"
		make -s -C "/lib/modules/$KVER/build" M="$PWD/$src" modules > "$OUT/build-$rev.log" 2>&1
		ko=$PWD/$src/dm-mirrorcache.ko
	fi
	for pages in $SIZES; do
		MC_KO=$ko bash scripts/vm/run.sh --script _holds --mem "$MEM" --timeout 1200 \
			--env MC_HOLD_PAGES="$pages" > "$OUT/console-$rev-$pages.log" 2>&1 || true
		line=$(grep -o 'HOLDS .*' "$OUT/console-$rev-$pages.log" || echo "HOLDS $pages - - - - failed")
		echo "$line" | awk -v r="$rev" '{ printf "%-10s %10s %10s %12s %9s %12s %s\n", r, $2, $3, $4, $5, $6, ($7 == "0" ? "verified" : "FAILED") }'
	done
done
