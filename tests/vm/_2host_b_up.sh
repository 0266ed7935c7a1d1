# Sourced by tests/vm/_2host_b.sh, _2host_b2.sh, _2host_pb.sh and
# _demo_2host_b.sh: host B's module, its soft-RoCE link to A, its table ($T
# over $S-sector LUs, fencing $FENCING, none unless set; IPv6 link-local
# addresses with HOST_IPV6=1) created as mcB;
# b_joins: the first boot's connection, A's write to LU0 seen on the
# shared disk, A's LU refused here, B mirroring.
. /tests/lib.sh

link_field() { mc_link_field "$@"; }

host_up 1 "${FENCING:-none}" mcB create_b
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
