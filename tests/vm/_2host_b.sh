#!/bin/sh
# Two guests (scripts/check-2host.sh), this one host B: controller 1 of the
# table of tests/vm/_2host_a.sh.  It connects, checks that host A's write
# to LU0 is on the shared disk, then writes its LU1 with fio (while A's
# fio writes LU0) and crashes in the middle of it: fio's trigger saves the
# writes that completed to the shared state disk, then sysrq c.  Its
# dirty pages exist only as the copies in A's memory.
. /tests/_2host_b_up.sh
b_joins
# 4 MiB at QD16 into LU1; the crash comes once 150 pages are dirty, with
# writes in flight
fio_crash_at b1 mcB 1 $((S * 512 + 1048576)) 150 b_crashes_under_fio
finish
