#!/bin/sh
# Two guests (scripts/check-2host.sh), this one host B: controller 1 of the
# table of tests/vm/_2host_a.sh.  It connects, checks that host A's write
# to LU0 is on the shared disk, and then waits to be killed.
. /tests/lib.sh

link_field() { mc_link_field "$@"; }

mc_load || fail module_loads
assert_ok virtio_up virtio_up
assert_ok net_up rxe_on eth0 169.254.20.2
S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))
T="0 $((2 * S)) mirrorcache 64 64 2 /dev/vda 0 /dev/vdb 1 6 local 1 addr rdma:169.254.20.2:7470 peer rdma:169.254.20.1:7470"
assert_ok create_b dmsetup create mcB --table "$T"
i=0; while [ "$(link_field mcB peer)" != connected ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(link_field mcB peer)" connected b_connected
echo "MARK: b-connected"
# A's write to its LU0, read from the shared disk (not through mcB, which
# refuses A's LU with a path error)
sleep 5
echo "MARK: b-sees $(dd if=/dev/vda bs=4096 skip=16 count=8 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)"
assert_fail b_refuses_a_lu dd if=/dev/mapper/mcB of=/dev/null bs=4096 skip=16 count=1 iflag=direct
kernel_clean kernel_log_clean
echo "MARK: b-waits"
sleep 3600
