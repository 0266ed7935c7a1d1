#!/bin/sh
# Benchmark (not a test; scripts/bench-revs.sh): one revision's module,
# the mc-table setup of `make bench` (brd behind dm-delay 1 ms, 4096-page
# caches), 4 KiB random writes with 2 jobs at QD1 and QD16 and 1 MiB
# sequential writes with 1 job at QD1, three runs each.
# Prints: BENCHREV <workload> <run> <iops> <p50_usec>
. /tests/lib.sh

RUNTIME=${BENCH_RUNTIME:-5}
load_mod brd rd_nr=2 rd_size=131072 max_part=0
load_mod dm_delay
mc_load
SZ=$(blockdev --getsz /dev/ram0)
dmsetup create slow0 --table "0 $SZ delay /dev/ram0 0 1"
dmsetup create slow1 --table "0 $SZ delay /dev/ram1 0 1"
dmsetup create mc --table "0 $((2 * SZ)) mirrorcache 16384 16384 2 /dev/mapper/slow0 0 /dev/mapper/slow1 1" || exit 1
for run in 1 2 3; do
	for qd in 1 16; do
		fio --name=b --filename=/dev/mapper/mc --direct=1 --ioengine=libaio \
			--rw=randwrite --bs=4k --iodepth=$qd --numjobs=2 --size=32M \
			--offset_increment=$((SZ * 512)) --time_based --runtime=$RUNTIME \
			--group_reporting --randrepeat=0 --output-format=terse \
			--terse-version=3 2>/dev/null | tail -n 1 |
			awk -F';' -v w=randwrite_qd$qd -v r=$run '{
				for (i = 59; i <= 78; i++) { split($i, kv, "="); if (kv[1] == "50.000000%") p = kv[2] }
				printf "BENCHREV %s %d %d %d\n", w, r, $49, p }'
	done
	fio --name=s --filename=/dev/mapper/mc --direct=1 --ioengine=libaio \
		--rw=write --bs=1M --iodepth=1 --numjobs=1 --size=64M \
		--time_based --runtime=$RUNTIME --output-format=terse \
		--terse-version=3 2>/dev/null | tail -n 1 |
		awk -F';' -v r=$run '{
			for (i = 59; i <= 78; i++) { split($i, kv, "="); if (kv[1] == "50.000000%") p = kv[2] }
			printf "BENCHREV seqwrite_1m %d %d %d\n", r, $49, p }'
done
dmsetup remove mc
