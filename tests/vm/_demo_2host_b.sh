#!/bin/sh
# make demo-2host (scripts/demo-2host.sh), host B: controller 1 of the
# table of tests/vm/_demo_2host_a.sh (make check-2host's table).  It
# connects, checks that host A's write to LU0 is on the shared disk,
# writes 1 MiB with fio to its LU1 that stays dirty in its cache (mirrored
# into A's memory), and then waits to be killed under A's fio.
. /tests/_2host_b_up.sh
b_joins
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
