#!/bin/sh
# Not a test (scripts/bench-holds.sh): how long a failover and a failback
# hold new I/O, by cache size.  A pair of MC_HOLD_PAGES pages per
# controller over two 256 MiB RAM disks; 64 MiB written to LU 0 (dirty,
# mirrored: write-back watermarks raised), fio write+verify on LU 1 meanwhile,
# controller 0 fails, then recovers.  Prints
#   HOLDS <pages> <create_ms> <failover_us> <relinked> <failback_us> <fio_rc>
. /tests/lib.sh

PAGES=${MC_HOLD_PAGES:-16384}
load_mod brd rd_nr=2 rd_size=262144 max_part=0
mc_load
SZ=$(blockdev --getsz /dev/ram0)
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
t0=$(ms)
dmsetup create mc --table "0 $((2 * SZ)) mirrorcache $PAGES $PAGES 2 /dev/ram0 0 /dev/ram1 1" || exit 1
t1=$(ms)
SYS=$(sysfs_dm mc)/mirrorcache
cap=$(cat $SYS/ctrl0/mirror_total)
[ "$(cat $SYS/ctrl0/rw_pages)" -lt "$cap" ] && cap=$(cat $SYS/ctrl0/rw_pages)
echo $cap > $SYS/ctrl0/writeback_high && echo $((cap - 1)) > $SYS/ctrl0/writeback_low
dd if=/dev/urandom of=/dev/mapper/mc bs=1M count=64 oflag=direct 2>/dev/null
fio --name=v --filename=/dev/mapper/mc --offset=$((SZ * 512)) --size=32M --rw=randwrite \
	--bs=4k --direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --eta=never --output=/tmp/fio.log > /dev/null 2>&1 & fio=$!
sleep 1
ctrl_do $SYS fail 0
fo=$(cat $SYS/failover_stall_us) rl=$(cat $SYS/pages_relinked)
sleep 1
ctrl_do $SYS recover 0
fb=$(cat $SYS/failback_stall_us)
wait $fio; rc=$?
echo "HOLDS $PAGES $((t1 - t0)) $fo $rl $fb $rc"
dmsetup remove mc
