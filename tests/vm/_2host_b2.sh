#!/bin/sh
# Two guests (scripts/check-2host.sh), host B booted again after its crash:
# a new table, an empty cache, a new generation.  Host A took LU1 over and
# holds it: B waits for A's HELLO (wait_peer_ms), refuses LU1 until A has
# destaged it and hands it back, then reads back through its own device
# every write its first incarnation acknowledged (fio's state on the
# shared state disk), and mirrors into A's
# memory again (eight dirty pages that A counts).  Then host A crashes
# under fio: B takes LU0 over with A's copies (fencing none) and verifies
# every write A acknowledged, and its own eight pages.
. /tests/_2host_b_up.sh
echo "MARK: b2-created"
# A hands LU1 back once it has destaged it: then B serves it.
i=0
while [ "$(cat $SB/lun1/owner)" != 1 ] || [ "$(link_field mcB peer)" != connected ] ||
	[ "$(link_field mcB peer_held)" != 0 ]; do
	[ $i -ge 1200 ] && break
	sleep 0.1; i=$((i + 1))
done
assert_eq "$(cat $SB/lun1/owner) $(link_field mcB peer) $(link_field mcB peer_held)" \
	"1 connected 0" b2_serves_lu1
dmesg | grep -q "ctrl1: no peer host within" && fail b2_waited "it started alone" ||
	pass b2_waited
assert_ok b1_writes_verify_through_b2 fio_crash_verify b1 /dev/mapper/mcB $((S * 512 + 1048576)) 4M 0
i=0; while [ "$(cat $SB/ctrl1/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SB/ctrl1/solo)" 0 b2_mirrors
dd if=/dev/urandom of=/tmp/d8 bs=4096 count=8 2>/dev/null
assert_ok b2_writes dd if=/tmp/d8 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 8)) oflag=direct
assert_eq "$(cat $SB/ctrl1/dirty_pages)" 8 b2_dirty
echo "MARK: b2-mirrors"
mc_wait_peer mcB lost 600 && pass b2_loses_crashed_a || fail b2_loses_crashed_a "$(cat $SB/link)"
assert_eq "$(link_field mcB last_error)" no a_lost_by_heartbeat
takeover_seen mcB 0 0 1 80 a_lus_taken_over
assert_ok a_writes_verify_through_b2 fio_crash_verify a2 /dev/mapper/mcB $((6 * 1048576)) 4M 1
dd if=/dev/mapper/mcB of=/tmp/r8 bs=4096 skip=$((S / 8 + 8)) count=8 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r8)" "$(md5sum < /tmp/d8)" b2_own_writes_intact
assert_ok b2_flush dmsetup message mcB 0 flush
assert_ok remove_b2 dmsetup remove mcB
assert_eq "$(mc_objects_live)" none objects_freed
kernel_clean kernel_log_clean
echo "MARK: b2-done"
finish
