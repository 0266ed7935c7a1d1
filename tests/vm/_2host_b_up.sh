# Sourced by tests/vm/_2host_b.sh and _2host_b2.sh: host B's module, its
# soft-RoCE link to A, its table ($T over $S-sector LUs) created as mcB.
. /tests/lib.sh

link_field() { mc_link_field "$@"; }

mc_load || fail module_loads
assert_ok virtio_up virtio_up
assert_ok net_up rxe_on eth0 169.254.20.2
S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))
T="0 $((2 * S)) mirrorcache 1024 1024 2 /dev/vda 0 /dev/vdb 1 8 local 1 addr rdma:169.254.20.2:7470 peer rdma:169.254.20.1:7470 fencing none"
assert_ok create_b dmsetup create mcB --table "$T"
SB=$(sysfs_dm mcB)/mirrorcache
