#!/bin/sh
# Two guests (scripts/check-2host.sh), this one host B: controller 1 of the
# table of tests/vm/_2host_a.sh.  It connects, checks that host A's write
# to LU0 is on the shared disk, writes 1 MiB with fio to its LU1 that stays
# dirty in its cache (mirrored into A's memory), and then waits to be
# killed.
. /tests/_2host_b_up.sh
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
# Keep everything dirty: write-back only above 300 of the 307 pages.
echo 300 > $SB/ctrl1/writeback_high && echo 299 > $SB/ctrl1/writeback_low ||
	fail b_watermarks
fio --name=b1 --filename=/dev/mapper/mcB --offset=$((S * 512 + 1048576)) \
	--size=1M --rw=randwrite --bs=4k --direct=1 --ioengine=libaio \
	--iodepth=16 --randseed=4242 --verify=crc32c --do_verify=0 \
	--output=/tmp/w.log > /dev/null 2>&1 && pass b_fio_writes ||
	fail b_fio_writes "$(grep -iE 'err' /tmp/w.log | head -3)"
assert_eq "$(cat $SB/ctrl1/dirty_pages)" 256 b_all_dirty
echo "MARK: b-written $(grep -o 'bw=[^ ]*' /tmp/w.log | head -1) $(grep -o 'clat.*avg=[^,]*' /tmp/w.log | head -1)"
kernel_clean kernel_log_clean
echo "MARK: b-waits"
sleep 3600
