#!/bin/bash
# make soak [CYCLES=N]: fail and recover random controllers at random
# moments under fio write+verify load (tests/vm/_soak.sh); default 100.
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES=${1:-100}
mkdir -p build
bash scripts/vm/run.sh --build --script _soak --env MC_CYCLES="$CYCLES" \
	--timeout $((600 + CYCLES * 60)) | tee build/soak.log | grep --line-buffered -E '^(soak|SOAK)'
grep -q '^VM-SCRIPT-EXIT: 0$' build/soak.log
