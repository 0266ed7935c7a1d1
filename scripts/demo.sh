#!/bin/bash
# make demo: build the module, boot the VM and run tests/vm/_demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/vm/run.sh --build --script _demo
