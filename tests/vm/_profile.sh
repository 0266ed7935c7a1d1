#!/bin/sh
# Profile (not a test): where a 4 KiB random write to dm-mirrorcache spends
# its time.  The pair of make bench (two 128 MiB caches over brd behind
# dm-delay 1 ms, mirror_alloc table, CPU copies), fio 4 KiB random write,
# 2 jobs, QD1 (psync) and then QD16, each under `perf record -a` with the
# cpu-clock event (TCG has no PMU), then `perf report` by symbol.  The RAM
# ceiling of make bench (dm-linear on brd) is profiled the same way.
# Prints lines "PROF <run> <percent> <symbol>" and "PROFIOPS <run> <iops>".
# Run with scripts/bench-profile.sh.
. /tests/lib.sh

RUNTIME=${PROF_RUNTIME:-8}
load_mod brd rd_nr=2 rd_size=131072 max_part=0
load_mod dm_delay
mc_load
SZ=$(blockdev --getsz /dev/ram0)
L=$((SZ * 2))
echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid
dmsetup create slow0 --table "0 $SZ delay /dev/ram0 0 1"
dmsetup create slow1 --table "0 $SZ delay /dev/ram1 0 1"
dmsetup create mc --table "0 $L mirrorcache 32768 32768 2 /dev/mapper/slow0 0 /dev/mapper/slow1 1"
printf "0 $SZ linear /dev/ram0 0\n$SZ $SZ linear /dev/ram1 0\n" | dmsetup create ramcat

# prof <run> <dev> <fio args...>
prof() {
	run=$1 dev=$2; shift 2
	fio --name=warm --filename=$dev --direct=1 --rw=write --bs=1M --size=32M \
		--numjobs=2 --offset_increment=$((SZ * 512)) --ioengine=libaio \
		--iodepth=4 >/dev/null 2>&1
	fio --name=p --filename=$dev --direct=1 --bs=4k --rw=randwrite --size=32M \
		--numjobs=2 --offset_increment=$((SZ * 512)) --time_based \
		--runtime=$RUNTIME --group_reporting --randrepeat=0 "$@" \
		--output-format=terse --terse-version=3 > /tmp/prof.fio 2>/dev/null &
	fpid=$!
	sleep 1
	perf record -a -e cpu-clock -F 2000 -o /tmp/perf.data -- sleep $((RUNTIME - 2)) \
		> /dev/null 2>&1
	wait $fpid
	tail -n 1 /tmp/prof.fio | awk -F';' -v r=$run '{ printf "PROFIOPS %s %d\n", r, $49 }'
	perf report -i /tmp/perf.data --stdio --no-children --sort sym 2>/dev/null |
		awk -v r=$run '/^ +[0-9.]+%/ && n < 30 { p = $1; $1 = ""; $2 = "";
			sub(/^ +/, ""); printf "PROF %s %s %s\n", r, p, $0; n++ }'
}
prof mc-qd1 /dev/mapper/mc --ioengine=psync
prof mc-qd16 /dev/mapper/mc --ioengine=libaio --iodepth=16
prof ram-qd1 /dev/mapper/ramcat --ioengine=psync
echo "PROF-DONE"
