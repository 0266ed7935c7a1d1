#!/bin/sh
# The main demo: build a controller pair over two RAM disks, run fio, show
# what the array reports.  Run with `make demo`.
. /tests/lib.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

brd_setup 2 65536			# 2 x 64 MiB LUs
mc_load
L=$(( $(blockdev --getsz /dev/ram0) + $(blockdev --getsz /dev/ram1) ))
TABLE="0 $L mirrorcache 1024 1024 2 /dev/ram0 0 /dev/ram1 1"

say "dmsetup create mc0 --table \"$TABLE\""
dmsetup create mc0 --table "$TABLE" || exit 1
SYS=$(sysfs_dm mc0)/mirrorcache

say "dmsetup table mc0"
dmsetup table mc0
say "dmsetup status mc0"
dmsetup status mc0

say "fio: 4 KiB random write + crc32c verify over both LUs (10 s)"
fio --name=demo --filename=/dev/mapper/mc0 --rw=randwrite --bs=4k \
	--direct=1 --ioengine=libaio --iodepth=16 --numjobs=1 \
	--time_based --runtime=10 --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --group_reporting | grep -E 'IOPS|lat \(usec\)|err='
echo "fio exit status: $?"

say "dmsetup status mc0"
dmsetup status mc0
say "sysfs: $SYS"
for f in $SYS/luns $SYS/ctrl*/* $SYS/lun*/*; do
	printf '%-50s %s\n' "${f#$SYS/}" "$(cat $f)"
done

say "dmsetup remove mc0"
dmsetup remove mc0 && echo removed
