#!/bin/sh
# Two guests (scripts/check-2host.sh), host B booted again after its kill:
# a new table, an empty cache, a new generation.  Host A took LU1 over and
# holds it: B waits for A's HELLO (wait_peer_ms), refuses LU1 until A has
# destaged it and hands it back, then reads back through its own device
# every write its first incarnation acknowledged, and mirrors into A's
# memory again (eight dirty pages that A counts).
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
fio --name=b1 --filename=/dev/mapper/mcB --offset=$((S * 512 + 1048576)) \
	--size=1M --rw=randwrite --bs=4k --direct=1 --ioengine=libaio \
	--iodepth=16 --randseed=4242 --verify=crc32c --verify_only=1 \
	--verify_fatal=1 --output=/tmp/v.log > /dev/null 2>&1 &&
	pass b1_writes_verify_through_b2 ||
	fail b1_writes_verify_through_b2 "$(grep -iE 'err|verify' /tmp/v.log | head -3)"
i=0; while [ "$(cat $SB/ctrl1/solo)" != 0 ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SB/ctrl1/solo)" 0 b2_mirrors
dd if=/dev/urandom of=/tmp/d8 bs=4096 count=8 2>/dev/null
assert_ok b2_writes dd if=/tmp/d8 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 8)) oflag=direct
assert_eq "$(cat $SB/ctrl1/dirty_pages)" 8 b2_dirty
kernel_clean kernel_log_clean
echo "MARK: b2-done"
finish
