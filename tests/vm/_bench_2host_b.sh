#!/bin/sh
# Benchmark (not a test), host B of scripts/bench-2host.sh: controller 1 of
# the table of tests/vm/_bench_2host_a.sh; it lends its memory to A's
# mirror copies, runs perftest's servers and DRBD's secondary of r0 for A,
# and waits to be killed.
. /tests/lib.sh

echo		# the console's first line follows the firmware's escape codes
mc_load
virtio_up
rxe_on eth0 169.254.20.2
. /tests/_bench_2host_extra.sh
extra_setup b
echo "bench-b: drbd $(cat /proc/drbd 2>&1 | tail -1) $(cat /tmp/drbd-md.log /tmp/drbd-up.log 2>/dev/null | tail -4 | tr '\n' ' ')"
(sleep 30; echo "bench-b: drbd $(cat /proc/drbd 2>&1 | tail -2 | tr '\n' ' ')"; ib_write_lat -R -d rxe0 -s 4096 -n 10 -p 18599 2>&1 | tail -2 | sed 's/^/bench-b: /') &
# perftest's servers for A's clients (the link's own limit)
(while :; do ib_write_lat -R -d rxe0 -s 4096 -n 1000 -p 18515 > /dev/null 2>&1; done) &
(while :; do ib_write_bw -R -d rxe0 -s 65536 -n 500 -p 18516 > /dev/null 2>&1; done) &
S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))
dmsetup create mcB --table "0 $((2 * S)) mirrorcache 1024 1024 2 /dev/vda 0 /dev/vdb 1 6 local 1 addr rdma:169.254.20.2:7470 peer rdma:169.254.20.1:7470"
echo "MARK: b-up"
sleep 3600
