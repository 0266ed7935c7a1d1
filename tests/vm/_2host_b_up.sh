# Sourced by tests/vm/_2host_b.sh, _2host_b2.sh and _demo_2host_b.sh:
# host B's module, its soft-RoCE link to A, its table ($T over $S-sector
# LUs) created as mcB; b_joins: the first boot's connection, A's write to
# LU0 seen on the shared disk, A's LU refused here, B mirroring.
. /tests/lib.sh

link_field() { mc_link_field "$@"; }

mc_load || fail module_loads
assert_ok virtio_up virtio_up
assert_ok net_up rxe_on eth0 169.254.20.2
S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))
T="0 $((2 * S)) mirrorcache 1024 1024 2 /dev/vda 0 /dev/vdb 1 8 local 1 addr rdma:169.254.20.2:7470 peer rdma:169.254.20.1:7470 fencing none"
assert_ok create_b dmsetup create mcB --table "$T"
SB=$(sysfs_dm mcB)/mirrorcache

b_joins() {
	i=0; st=
	while [ "$st" != connected ] && [ $i -lt 3000 ]; do
		st=$(link_field mcB peer); sleep 0.1; i=$((i + 1))
	done
	assert_eq "$st" connected b_connected
	echo "MARK: b-connected"
	# A's write to its LU0, read from the shared disk (not through mcB, which
	# refuses A's LU with a path error)
	sleep 5
	echo "MARK: b-sees $(dd if=/dev/vda bs=4096 skip=16 count=8 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)"
	assert_fail b_refuses_a_lu dd if=/dev/mapper/mcB of=/dev/null bs=4096 skip=16 count=1 iflag=direct
	i=0; while [ "$(cat $SB/ctrl1/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
	assert_eq "$(cat $SB/ctrl1/solo)" 0 b_mirrors
}
