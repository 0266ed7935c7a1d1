#!/bin/sh
# The torn-copy case with copy_engine dma (tests/dma/mc-test-dma.ko).
. /tests/lib.sh
with_dma torn
