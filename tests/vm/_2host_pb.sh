#!/bin/sh
# Two guests (scripts/check-2host.sh), the partition pair, host B:
# controller 1 of tests/vm/_2host_pa.sh's table (fencing resource).  Once
# both mirror, B writes LU1 with fio (verified) and cuts the link: netem
# drops everything eth0 sends (no carrier change: a port flap of soft-RoCE
# never heals, two-hosts.rst).  B loses A, keeps serving LU1 alone (its
# writes over pages whose copies A keeps held, others complete), refuses
# LU0 and keeps A's copies; after 5 s the netem goes, both come
# back with their generations, drop the copies and mirror again, and
# B's fio verifies.  Then B crashes under fio (fio's trigger saves what it
# acknowledged to the state disk first): host A waits for peer_fenced,
# then takes LU1 over and verifies.
FENCING=resource HOST_IPV6=1
. /tests/_2host_b_up.sh
b_joins
fio_loop mcB $((S * 512 + 1048576)) pb1 & LOOP=$!
sleep 3
[ "$(cat $SB/ctrl1/dirty_pages)" -gt 0 ] && pass b_writes_mirrored ||
	fail b_writes_mirrored "no dirty page"

# ---- the partition ----
# iproute2's tc by path (busybox's sh would run its own applet); an
# initramfs loads no qdisc module by itself
assert_ok netem_loads load_mod sch_netem
assert_ok partition /bin/tc qdisc add dev eth0 root netem loss 100%
mc_wait_peer mcB lost 60 && pass b_loses_a || fail b_loses_a "$(cat $SB/link)"
assert_eq "$(cat $SB/ctrl1/solo)" 1 b_solo
assert_eq "$(link_field mcB held)" 1 b_keeps_a_copies
# fencing resource: B's writes over the pages whose copies A keeps are
# held until the heal; a write elsewhere completes
i=0; while [ "$(cat $SB/lost_copies)" = 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(cat $SB/lost_copies)" -gt 0 ] && pass b_knows_kept_pages ||
	fail b_knows_kept_pages "lost_copies $(cat $SB/lost_copies)"
assert_ok b_other_write_completes timeout 60 dd if=/dev/urandom of=/dev/mapper/mcB \
	bs=4096 count=1 seek=$((S / 8 + 1536)) oflag=direct
# LU0 is A's: not written here (a block past A's fio region)
assert_fail b_refuses_lu0 dd if=/dev/zero of=/dev/mapper/mcB bs=4096 count=1 \
	seek=1024 oflag=direct
sleep 5
[ ! -e /tmp/pb1.fail ] && kill -0 $LOOP 2>/dev/null && pass b_serves_lu1_alone ||
	fail b_serves_lu1_alone "$(head -5 /tmp/pb1.fail 2>/dev/null)"
assert_ok heal /bin/tc qdisc del dev eth0 root
mc_wait_peer mcB connected 300 && pass b_sees_a_again || fail b_sees_a_again "$(cat $SB/link)"
i=0; while [ "$(cat $SB/ctrl1/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SB/ctrl1/solo)" 0 b_mirrors_again
dmesg | grep -q "ctrl1: the peer host is back (same generation" && pass a_copies_dropped ||
	fail a_copies_dropped "$(dmesg | grep 'peer host' | tail -1)"
assert_eq "$(link_field mcB held)" 0 b_holds_nothing
assert_eq "$(cat $SB/held_writes) $(cat $SB/lost_copies)" "0 0" b_no_write_held
touch /tmp/stop-pb1
wait $LOOP
[ ! -e /tmp/pb1.fail ] && pass b_fio_verifies ||
	fail b_fio_verifies "$(grep -iE 'err|verify' /tmp/pb1.fail | head -3)"
assert_eq "$(dmesg | grep -c 'took over')" 0 nothing_taken_over

# ---- B crashes under fio: the fence handler powered it off at the loss ----
# the partition's pages out first: the crash comes at 100 dirty pages of
# this job
assert_ok b_flush dmsetup message mcB 0 flush
fio_crash_at pb mcB 1 $((S * 512 + 1048576)) 100 b_crashes_under_fio
finish
