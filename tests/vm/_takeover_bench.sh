#!/bin/sh
# Not a test (scripts/bench-takeover.sh): the two takeover methods side by
# side.  Two 256 MiB RAM disks behind dm-delay MC_TK_DELAY ms (1), a pair of
# MC_TK_PAGES pages per controller with write-back watermarks raised; for
# each method 64 MiB are written to LU 0 in random order (dirty, mirrored), fio random
# writes run on LU 0 (4 KiB, QD 8), LU 0 moves to ctrl1 and back.  Prints
#   TKBASE <iops> <max_clat_us>                    fio alone, 5 s
#   TK <method> <dirty> <hold_us> <total_us> <iops> <max_clat_us> <fio_error>
. /tests/lib.sh

PAGES=${MC_TK_PAGES:-65536}
DELAY=${MC_TK_DELAY:-1}
load_mod brd rd_nr=2 rd_size=262144 max_part=0
load_mod dm-delay
mc_load
SZ=$(blockdev --getsz /dev/ram0)
for n in 0 1; do
	dmsetup create d$n --table "0 $SZ delay /dev/ram$n 0 $DELAY" || exit 1
done
dmsetup create mc --table "0 $((2 * SZ)) mirrorcache $PAGES $PAGES 2 /dev/mapper/d0 0 /dev/mapper/d1 1" || exit 1
SYS=$(sysfs_dm mc)/mirrorcache
for n in 0 1; do
	cap=$(cat $SYS/ctrl$n/mirror_total)
	[ "$(cat $SYS/ctrl$n/rw_pages)" -lt "$cap" ] && cap=$(cat $SYS/ctrl$n/rw_pages)
	echo $cap > $SYS/ctrl$n/writeback_high && echo $((cap - 1)) > $SYS/ctrl$n/writeback_low
done
# fio_start: random writes to the second half of LU 0, until stopped
fio_start() {
	fio --name=tk --filename=/dev/mapper/mc --offset=$((SZ * 256)) --size=$((SZ * 256)) \
		--rw=randwrite --bs=4k --direct=1 --ioengine=libaio --iodepth=8 \
		--time_based --runtime=600 --output-format=json --output=/tmp/tk.json \
		> /dev/null 2>&1 &
	fpid=$!
}
# fio_stop: /tmp/tk.res is "<iops> <max completion latency us> <rc>"
fio_stop() {
	kill -INT $fpid; wait $fpid
	rc=$(awk '/"error" :/ { v = $3; gsub(/[^0-9]/, "", v); print v; exit }' /tmp/tk.json)
	{ awk '/"write" : \{/ { w = 1 }
		w && /"iops" :/ && iops == "" { v = $3; gsub(/[^0-9.]/, "", v); iops = v }
		w && /"clat_ns" : \{/ { c = 1 }
		c && /"max" :/ { v = $3; gsub(/[^0-9]/, "", v); printf "%d %d", iops, v / 1000; exit }' /tmp/tk.json
	echo " $rc"; } > /tmp/tk.res
}
wait_idle() {
	while [ "$(cut -d' ' -f1 $SYS/lun0/phase)" != idle ]; do sleep 0.05; done
}
fio_start; sleep 5
fio_stop
echo "TKBASE $(cat /tmp/tk.res)"
for m in destage instant; do
	dmsetup message mc 0 flush
	fio --name=dirty --filename=/dev/mapper/mc --size=64M --rw=randwrite --bs=4k \
		--direct=1 --ioengine=libaio --iodepth=16 --output=/dev/null
	dirty=$(cat $SYS/ctrl0/dirty_pages)
	fio_start; sleep 2
	dmsetup message mc 0 takeover 0 1 $m
	wait_idle
	sleep 1
	fio_stop
	echo "TK $m $dirty $(cat $SYS/lun0/takeover_hold_us) $(cat $SYS/lun0/takeover_us) $(cat /tmp/tk.res)"
	dmsetup message mc 0 return 0 destage
	wait_idle
done
dmsetup remove mc
