#!/bin/bash
# scripts/bench-revs.sh REV...: what a change costs.  Builds the module of
# each git revision in a scratch tree, boots the VM once per revision with
# that module (tests/vm/_bench_rev.sh: 4 KiB random writes, 2 jobs, QD1 and
# QD16, and 1 MiB sequential writes, 1 job; three runs on brd behind
# dm-delay 1 ms) and prints the median IOPS
# of each revision and its ratio to the first.  Not a test: QEMU TCG
# figures, compare them within one invocation only.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 REV..." >&2; exit 2; }
KVER=$(ls -d /lib/modules/6.1.0-*-amd64 | sort -V | tail -n 1 | xargs basename)
OUT=build/bench-revs
mkdir -p "$OUT"
: > "$OUT/results.txt"
for rev in "$@"; do
	src=$OUT/src-$rev
	rm -rf "$src"; mkdir -p "$src"
	git archive "$rev" | tar -x -C "$src"
	make -s -C "/lib/modules/$KVER/build" M="$PWD/$src" modules > "$OUT/build-$rev.log" 2>&1
	MC_KO=$PWD/$src/dm-mirrorcache.ko bash scripts/vm/run.sh --script _bench_rev \
		--timeout 600 > "$OUT/console-$rev.log" 2>&1 || true
	grep -o 'BENCHREV .*' "$OUT/console-$rev.log" | awk -v r="$rev" '{ print r, $2, $4, $5 }' >> "$OUT/results.txt"
done
echo "4 KiB random write, 2 jobs, and 1 MiB sequential write, 1 job; median of 3 runs (IOPS, p50 us); host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), QEMU TCG"
for wl in randwrite_qd1 randwrite_qd16 seqwrite_1m; do
	base=""
	for rev in "$@"; do
		med=$(awk -v r="$rev" -v w=$wl '$1 == r && $2 == w { print $3, $4 }' "$OUT/results.txt" | sort -n | sed -n 2p)
		iops=${med% *}; p50=${med#* }
		[ -n "$iops" ] || { echo "$wl $rev: no result (see $OUT/console-$rev.log)"; continue; }
		[ -n "$base" ] || base=$iops
		printf '%-15s %-10s %8s IOPS %6s us  ratio %s\n' "$wl" "$rev" "$iops" "$p50" \
			"$(awk -v a=$iops -v b=$base 'BEGIN { printf "%.2f", a / b }')"
	done
done
