#!/bin/sh
# Two guests (scripts/check-2host.sh), this one host B: controller 1 of the
# table of tests/vm/_2host_a.sh.  It connects, checks that host A's write
# to LU0 is on the shared disk, then writes its LU1 with fio (while A's
# fio writes LU0) and crashes in the middle of it: fio's trigger saves the
# writes that completed to the shared state disk, then sysrq c.  Its
# dirty pages exist only as the copies in A's memory.
. /tests/_2host_b_up.sh
b_joins
# Keep most of it dirty: write-back only above 300 of the 307 pages.
echo 300 > $SB/ctrl1/writeback_high && echo 299 > $SB/ctrl1/writeback_low ||
	fail b_watermarks
kernel_clean kernel_log_clean
# 4 MiB at QD16 into LU1; the crash comes once 150 pages are dirty, with
# writes in flight
fio_crash_job b1 /dev/mapper/mcB $((S * 512 + 1048576)) 4M
fio_crash_when b1 mcB 1 150 b_crashes_under_fio
finish
