#!/bin/sh
# The failover case with copy_engine dma: every mirror copy runs on the
# test-only DMA_MEMCPY provider (tests/dma/mc-test-dma.ko).
. /tests/lib.sh
with_dma failover
