#!/bin/sh
# Two guests (scripts/check-2host.sh), the partition pair, host A:
# controller 0 of a two-host table with fencing resource (host B:
# tests/vm/_2host_pb.sh).  Both write their own LU with fio, verified,
# while B cuts the link (netem drops all it sends; a port flap of soft-RoCE
# does not heal, two-hosts.rst): A loses B, keeps serving LU0 alone
# (written through), refuses LU1 and keeps B's copies; the link heals, B
# comes back with the same generation, the copies are dropped and both
# mirror again; nothing was taken over and both fio jobs verify.  Then B
# crashes under fio (the fence handler powered it off at the loss): LU1
# waits, unserved, until 'peer_fenced' here, which relinks B's copies; every
# write B acknowledged verifies through A.
. /tests/lib.sh

link_field() { mc_link_field "$@"; }
dmesg_has() { dmesg | grep -q "$1"; }

# this pair links by IPv6 link-local addresses (the crash pair by IPv4)
HOST_IPV6=1 host_up 0 resource mcA create_a
# the table line printed canonically: the interface by its index
i6=$(cat /sys/class/net/eth0/ifindex)
dmsetup table mcA | grep -q "local 0 addr rdma:\[fe80::5054:ff:fe00:2001%$i6\]:7470 peer rdma:\[fe80::5054:ff:fe00:2002%$i6\]:7470 fencing resource " &&
	pass ipv6_table_canonical || fail ipv6_table_canonical "$(dmsetup table mcA)"
SA=$(sysfs_dm mcA)/mirrorcache
echo "MARK: a-listening"
mc_wait_peer mcA connected 300 && pass b_connects || fail b_connects "$(cat $SA/link)"
gen1=$(link_field mcA peer_generation)
i=0; while [ "$(cat $SA/ctrl0/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SA/ctrl0/solo)" 0 a_mirrors

# ---- the partition: A writes LU0 across it ----
fio_loop mcA 1048576 pa & LOOP=$!
mc_wait_peer mcA lost 300 && pass a_loses_b || fail a_loses_b "$(cat $SA/link)"
echo "MARK: a-lost-b"
dmesg_has "ctrl0: the peer host is lost: its 1 LUs wait for 'peer_fenced'" &&
	pass lu1_waits || fail lu1_waits "$(dmesg | grep 'peer host' | tail -1)"
assert_eq "$(link_field mcA held)" 2 a_keeps_b_copies
# LU1 is B's: not written here (a block past B's fio region)
assert_fail a_refuses_lu1 dd if=/dev/zero of=/dev/mapper/mcA bs=4096 count=1 \
	seek=$((S / 8 + 1024)) oflag=direct
assert_eq "$(cat $SA/ctrl0/solo)" 1 a_solo
sleep 3
[ ! -e /tmp/pa.fail ] && kill -0 $LOOP 2>/dev/null && pass a_serves_lu0_alone ||
	fail a_serves_lu0_alone "$(head -5 /tmp/pa.fail 2>/dev/null)"
mc_wait_peer mcA connected 300 && pass a_sees_b_again || fail a_sees_b_again "$(cat $SA/link)"
i=0; while [ "$(cat $SA/ctrl0/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SA/ctrl0/solo)" 0 a_mirrors_again
assert_eq "$(link_field mcA peer_generation)" "$gen1" same_generation
dmesg_has "ctrl0: the peer host is back (same generation" && pass b_copies_dropped ||
	fail b_copies_dropped "$(dmesg | grep 'peer host' | tail -1)"
assert_eq "$(link_field mcA held)" 0 a_holds_nothing
assert_eq "$(dmesg | grep -c 'took over')" 0 nothing_taken_over
touch /tmp/stop-pa
wait $LOOP
[ ! -e /tmp/pa.fail ] && pass a_fio_verifies ||
	fail a_fio_verifies "$(grep -iE 'err|verify' /tmp/pa.fail | head -3)"
echo "MARK: a-healed"

# ---- B crashes under fio, fenced at the loss: LU1 waits for peer_fenced ----
n_wait=$(dmesg | grep -c "wait for 'peer_fenced'")
mc_wait_peer mcA lost 300 && pass a_loses_crashed_b || fail a_loses_crashed_b "$(cat $SA/link)"
i=0; while [ "$(dmesg | grep -c "wait for 'peer_fenced'")" = $n_wait ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(dmesg | grep -c "wait for 'peer_fenced'")" $((n_wait + 1)) lu1_waits_again
assert_fail lu1_unserved dd if=/dev/mapper/mcA of=/dev/null bs=4096 count=1 \
	skip=$((S / 8 + 256)) iflag=direct
v=$(cat $SA/ctrl0/mirror_valid)
[ "$v" -ge 80 ] && pass b_copies_kept || fail b_copies_kept "$v copies"
assert_ok peer_fenced dmsetup message mcA 0 peer_fenced
takeover_seen mcA 1 1 0 80 b_lus_taken_over
assert_ok b_writes_verify_through_a fio_crash_verify pb /dev/mapper/mcA $((S * 512 + 1048576)) 4M 0
assert_ok a_flush dmsetup message mcA 0 flush
assert_ok remove_a dmsetup remove mcA
assert_eq "$(mc_objects_live)" none objects_freed
kernel_clean kernel_log_clean
echo "MARK: pa-done"
finish
