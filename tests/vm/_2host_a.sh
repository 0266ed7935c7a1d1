#!/bin/sh
# Two guests (scripts/check-2host.sh), this one host A: controller 0 of a
# two-host table (fencing none) over soft-RoCE on eth0 (a QEMU socket
# network between the two QEMU processes only; link-local addresses).  The
# LUs are two disk images both guests attach (/dev/vda, /dev/vdb).  Host A
# waits for B to connect and both to mirror; B writes 1 MiB with fio to
# its LU1, all of it dirty in B's cache, copied into A's memory; A asks the
# host to kill B's QEMU (MARK lines on the console) and checks that it
# loses the peer by its heartbeat alone (a killed guest closes nothing),
# takes LU1 over with B's copies and that every write B acknowledged
# verifies through A; then that a restarted B connects again as a new
# generation.
. /tests/lib.sh

link_field() { mc_link_field "$@"; }
wait_peer() { mc_wait_peer "$@"; }

mc_load || fail module_loads
assert_ok virtio_up virtio_up
assert_ok net_up rxe_on eth0 169.254.20.1
S=$(( $(blockdev --getsz /dev/vda) / 8 * 8 ))
assert_eq "$(blockdev --getsz /dev/vdb)" $S same_lu_sizes
T="0 $((2 * S)) mirrorcache 1024 1024 2 /dev/vda 0 /dev/vdb 1 8 local 0 addr rdma:169.254.20.1:7470 peer rdma:169.254.20.2:7470 fencing none"
assert_ok create_a dmsetup create mcA --table "$T"
SA=$(sysfs_dm mcA)/mirrorcache
echo "MARK: a-listening"
wait_peer mcA connected 300 && pass b_connects || fail b_connects "$(cat $SA/link)"
gen1=$(link_field mcA peer_generation)
# LU0 is A's: written through, read back by B later (B checks it).
dd if=/dev/urandom of=/tmp/d0 bs=4096 count=8 2>/dev/null
assert_ok a_writes_own_lu dd if=/tmp/d0 of=/dev/mapper/mcA bs=4096 seek=16 oflag=direct
# mirrored into B's memory and dirty here: on the disk after a flush
assert_ok a_flush_own dmsetup message mcA 0 flush
echo "MARK: a-data $(md5sum < /tmp/d0 | cut -d' ' -f1)"
sleep 3
assert_eq "$(link_field mcA losses)" 0 link_stays_up

# B writes 1 MiB to its LU1 and keeps it dirty: 256 copies in A's memory.
i=0; while [ "$(cat $SA/ctrl0/mirror_valid)" -lt 256 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SA/ctrl0/mirror_valid)" 256 b_copies_in_a
sleep 5	# B's fio reports, B prints its checks
echo "MARK: kill-b"
t0=$(now_ms)
wait_peer mcA lost 60 && pass killed_peer_lost || fail killed_peer_lost "$(cat $(sysfs_dm mcA)/mirrorcache/link)"
echo "MARK: lost after $(( $(now_ms) - t0 )) ms (heartbeat 250 ms, 4 missed)"
assert_eq "$(link_field mcA last_error)" no lost_by_heartbeat
# fencing none: A relinks B's copies and serves LU1; every write B
# acknowledged verifies through A (the same fio job, verify only).
i=0; while [ "$(cat $(sysfs_dm mcA)/mirrorcache/lun1/owner 2>/dev/null)" != 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
dmesg | grep -q "ctrl1: the peer host is lost (fencing none): ctrl0 relinked 256 mirror pages (0 invalid, 0 superseded), took over 1 LUs" &&
	pass b_lus_taken_over || fail b_lus_taken_over "$(dmesg | grep 'peer host is lost' | tail -1)"
echo "MARK: $(dmesg | grep 'peer host is lost' | tail -1 | sed 's/.*mirrorcache: //')"
fio --name=b1 --filename=/dev/mapper/mcA --offset=$((S * 512 + 1048576)) \
	--size=1M --rw=randwrite --bs=4k --direct=1 --ioengine=libaio \
	--iodepth=16 --randseed=4242 --verify=crc32c --verify_only=1 \
	--verify_fatal=1 --output=/tmp/v.log > /dev/null 2>&1 &&
	pass b_writes_verify_through_a ||
	fail b_writes_verify_through_a "$(grep -iE 'err|verify' /tmp/v.log | head -3)"
assert_ok a_flush dmsetup message mcA 0 flush
dd if=/tmp/d0 of=/dev/mapper/mcA bs=4096 seek=32 oflag=direct 2>/dev/null &&
	pass a_writes_alone || fail a_writes_alone

echo "MARK: restart-b"
wait_peer mcA connected 300 && pass restarted_b_connects || fail restarted_b_connects "$(cat $(sysfs_dm mcA)/mirrorcache/link)"
gen2=$(link_field mcA peer_generation)
[ "$gen2" != "$gen1" ] && pass new_generation || fail new_generation "$gen1 -> $gen2"
# The new B waits for A's HELLO (it holds LU1), A hands LU1 back once
# destaged, B verifies and mirrors into A again: eight copies here.
i=0; while ! dmesg | grep -q "ctrl0: handed 1 LUs back to the peer host" && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
dmesg | grep -q "ctrl0: handed 1 LUs back to the peer host" && pass a_hands_lu1_back ||
	fail a_hands_lu1_back "$(cat $SA/link)"
assert_eq "$(link_field mcA held)" 0 a_holds_nothing
assert_fail a_refuses_lu1_again dd if=/dev/mapper/mcA of=/dev/null bs=4096 skip=$((S / 8)) count=1 iflag=direct
i=0; while [ "$(cat $SA/ctrl0/mirror_valid)" -lt 8 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SA/ctrl0/mirror_valid)" 8 b2_copies_in_a
# one loss; a connect for B's boot and more once A lends its memory
# again (its relinked pages destaged: BYE and reconnect, no loss)
assert_eq "$(link_field mcA losses)" 1 one_loss
[ "$(link_field mcA connects)" -ge 2 ] && pass connects_counted ||
	fail connects_counted "$(link_field mcA connects)"
echo "MARK: done"
assert_ok remove_a dmsetup remove mcA
assert_eq "$(mc_objects_live)" none objects_freed
kernel_clean kernel_log_clean
finish
