#!/bin/sh
# Two guests (scripts/check-2host.sh), this one host A: controller 0 of a
# two-host table over soft-RoCE on eth0 (a QEMU socket network between the
# two QEMU processes only; link-local addresses).  The LUs are two disk
# images both guests attach (/dev/vda, /dev/vdb).  Host A waits for B to
# connect, asks the host to kill B's QEMU (MARK lines on the console), and
# checks that it loses the peer by its heartbeat alone (a killed guest
# closes nothing), then that a restarted B connects again as a new
# generation.
. /tests/lib.sh

link_field() { mc_link_field "$@"; }
wait_peer() { mc_wait_peer "$@"; }

mc_load || fail module_loads
assert_ok virtio_up virtio_up
assert_ok net_up rxe_on eth0 169.254.20.1
S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))
assert_eq "$(blockdev --getsz /dev/vdb)" $S same_lu_sizes
T="0 $((2 * S)) mirrorcache 64 64 2 /dev/vda 0 /dev/vdb 1 6 local 0 addr rdma:169.254.20.1:7470 peer rdma:169.254.20.2:7470"
assert_ok create_a dmsetup create mcA --table "$T"
echo "MARK: a-listening"
wait_peer mcA connected 300 && pass b_connects || fail b_connects "$(cat $(sysfs_dm mcA)/mirrorcache/link)"
gen1=$(link_field mcA peer_generation)
# LU0 is A's: written through, read back by B later (B checks it).
dd if=/dev/urandom of=/tmp/d0 bs=4096 count=8 2>/dev/null
assert_ok a_writes_own_lu dd if=/tmp/d0 of=/dev/mapper/mcA bs=4096 seek=16 oflag=direct
echo "MARK: a-data $(md5sum < /tmp/d0 | cut -d' ' -f1)"
sleep 3
assert_eq "$(link_field mcA losses)" 0 link_stays_up

echo "MARK: kill-b"
t0=$(now_ms)
wait_peer mcA lost 60 && pass killed_peer_lost || fail killed_peer_lost "$(cat $(sysfs_dm mcA)/mirrorcache/link)"
echo "MARK: lost after $(( $(now_ms) - t0 )) ms (heartbeat 250 ms, 4 missed)"
assert_eq "$(link_field mcA last_error)" no lost_by_heartbeat
dd if=/tmp/d0 of=/dev/mapper/mcA bs=4096 seek=32 oflag=direct 2>/dev/null &&
	pass a_writes_alone || fail a_writes_alone

echo "MARK: restart-b"
wait_peer mcA connected 300 && pass restarted_b_connects || fail restarted_b_connects "$(cat $(sysfs_dm mcA)/mirrorcache/link)"
gen2=$(link_field mcA peer_generation)
[ "$gen2" != "$gen1" ] && pass new_generation || fail new_generation "$gen1 -> $gen2"
assert_eq "$(link_field mcA connects) $(link_field mcA losses)" "2 1" counts
echo "MARK: done"
assert_ok remove_a dmsetup remove mcA
assert_eq "$(mc_objects_live)" none objects_freed
kernel_clean kernel_log_clean
finish
