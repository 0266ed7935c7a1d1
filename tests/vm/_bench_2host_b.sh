#!/bin/sh
# Benchmark (not a test), host B of scripts/bench-2host.sh: controller 1 of
# the table of tests/vm/_bench_2host_a.sh; it lends its memory to A's
# mirror copies and waits to be killed.
. /tests/lib.sh

echo		# the console's first line follows the firmware's escape codes
mc_load
virtio_up
rxe_on eth0 169.254.20.2
S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))
dmsetup create mcB --table "0 $((2 * S)) mirrorcache 1024 1024 2 /dev/vda 0 /dev/vdb 1 6 local 1 addr rdma:169.254.20.2:7470 peer rdma:169.254.20.1:7470"
echo "MARK: b-up"
sleep 3600
