#!/bin/sh
# Two guests (scripts/check-2host.sh), this one host A: controller 0 of a
# two-host table (fencing none) over soft-RoCE on eth0 (a QEMU socket
# network between the two QEMU processes only; link-local addresses).  The
# LUs are two disk images both guests attach (/dev/vda, /dev/vdb); a third
# (/dev/vdc) keeps fio's proof of what a crashed host acknowledged.  A
# waits for B to connect and both to mirror; both write with fio at once
# (A its LU0, B its LU1); B crashes in the middle of its job; A loses it by
# its heartbeat alone (a crashed guest closes nothing), takes LU1 over with
# B's copies, verifies every write B acknowledged, and its own fio, which
# ran across the loss, verifies.  B boots again as a new generation, A
# hands LU1 back and both mirror again; then A crashes under fio in turn
# (B's tests/vm/_2host_b2.sh takes LU0 over and verifies A's writes).
. /tests/lib.sh

link_field() { mc_link_field "$@"; }
wait_peer() { mc_wait_peer "$@"; }

host_up 0 none mcA create_a
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

# Both hosts write: A 4 MiB of LU0 at QD4, with a verify pass at the end;
# B its LU1 until it crashes.
i=0; while [ "$(cat $SA/ctrl0/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SA/ctrl0/solo)" 0 a_mirrors
fio --name=a1 --filename=/dev/mapper/mcA --offset=1048576 --size=4M \
	--rw=randwrite --bs=4k --direct=1 --ioengine=libaio --iodepth=4 \
	--randseed=1111 --verify=crc32c --verify_fatal=1 \
	--output=/tmp/a1.log > /dev/null 2>&1 &
AFIO=$!
max=0
while [ "$(link_field mcA peer)" = connected ]; do
	v=$(cat $SA/ctrl0/mirror_valid)
	[ "$v" -gt $max ] && max=$v
	sleep 0.1
done
kill -0 $AFIO 2> /dev/null && pass a_fio_runs_across_loss ||
	fail a_fio_runs_across_loss "A's fio ended before B was lost"
echo "MARK: lost; B's copies in A peaked at $max"
[ $max -ge 130 ] && pass b_copies_in_a || fail b_copies_in_a "peaked at $max"
assert_eq "$(link_field mcA last_error)" no lost_by_heartbeat
# fencing none: A relinks B's copies and serves LU1; every write B
# acknowledged verifies through A (B's job, verify only, with its state).
takeover_seen mcA 1 1 0 130 b_lus_taken_over
assert_ok b_writes_verify_through_a fio_crash_verify b1 /dev/mapper/mcA $((S * 512 + 1048576)) 4M 0
wait $AFIO && pass a_fio_verifies || fail a_fio_verifies "$(grep -iE 'err|verify' /tmp/a1.log | head -3)"
assert_ok a_flush dmsetup message mcA 0 flush
dd if=/tmp/d0 of=/dev/mapper/mcA bs=4096 seek=32 oflag=direct 2>/dev/null &&
	pass a_writes_alone || fail a_writes_alone

echo "MARK: restart-b"
wait_peer mcA connected 300 && pass restarted_b_connects || fail restarted_b_connects "$(cat $SA/link)"
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

# Then A crashes under fio in turn: B takes LU0 over with A's copies.
i=0; while [ "$(cat $SA/ctrl0/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SA/ctrl0/solo)" 0 a_mirrors_again
FIO_SLOT=1 fio_crash_at a2 mcA 0 $((6 * 1048576)) 100 a_crashes_under_fio
finish
