#!/bin/sh
# The cache suite under mirror_alloc message (the Fig. 12 baseline).
MC_ALLOC=message exec sh /tests/cache.sh
