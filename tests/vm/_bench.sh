#!/bin/sh
# Benchmark (not a test): every contender on the same slow disks in one
# VM boot, three rounds interleaved.  Prints one line per run:
#   BENCH <contender> <workload> <jobs> <iops> <p50_usec> <p99_usec>
# then fio's write latency over time across a failover and a failback
# (BENCH-LAT, BENCH-MARK).  Run with `make bench` (scripts/bench.sh
# formats the table and the plots).
# Job j works on the j-th 128 MiB half of the device: with dm-mirrorcache,
# job 0 on LU 0 (controller 0) and job 1 on LU 1 (controller 1).
. /tests/lib.sh

RUNTIME=${BENCH_RUNTIME:-5}
SPAN=32M				# working set per job: fits every cache
DELAY_MS=1

load_mod brd rd_nr=6 rd_size=131072 max_part=0	# 6 x 128 MiB, lazily allocated
for m in dm_delay dm_writecache dm_mirror dm_cache_smq libnvdimm nfit nd_pmem; do
	load_mod $m || echo "bench: cannot load $m"
done
mc_load
sleep 1
SZ=$(blockdev --getsz /dev/ram0)

# The two slow disks: brd behind dm-delay.
dmsetup create slow0 --table "0 $SZ delay /dev/ram0 0 $DELAY_MS"
dmsetup create slow1 --table "0 $SZ delay /dev/ram1 0 $DELAY_MS"
printf "0 $SZ linear /dev/mapper/slow0 0\n$SZ $SZ linear /dev/mapper/slow1 0\n" | dmsetup create slow
printf "0 $SZ linear /dev/ram0 0\n$SZ $SZ linear /dev/ram1 0\n" | dmsetup create ramcat
L=$((SZ * 2))

# Emulated persistent memory for dm-writecache p mode.
PMEM=""
if [ -e /sys/bus/nd ]; then
	ndctl create-namespace -f -e namespace0.0 -m fsdax >/dev/null 2>&1
	sleep 1
	[ -b /dev/pmem0 ] && PMEM=/dev/pmem0
fi
[ -n "$PMEM" ] || echo "bench: no /dev/pmem0: the single-copy peer is skipped"

# fio_run <contender> <dev> <workload> <jobs>
fio_run() {
	name=$1 dev=$2 wl=$3 jobs=$4
	case $wl in
	randwrite_qd1) a="--rw=randwrite --bs=4k --iodepth=1" ;;
	randwrite_qd16) a="--rw=randwrite --bs=4k --iodepth=16" ;;
	randread_warm) a="--rw=randread --bs=4k --iodepth=16" ;;
	seqwrite_1m) a="--rw=write --bs=1M --iodepth=4" ;;
	esac
	out=$(fio --name=b --filename=$dev --direct=1 --ioengine=libaio $a \
		--numjobs=$jobs --size=$SPAN --offset_increment=$((SZ * 512)) \
		--time_based --runtime=$RUNTIME --group_reporting \
		--randrepeat=0 --output-format=terse --terse-version=3 2>/dev/null | tail -n 1)
	echo "$out" | awk -F';' -v n=$name -v w=$wl -v j=$jobs '
		function pct(lo, hi, p,   i, kv) {
			for (i = lo; i <= hi; i++) {
				split($i, kv, "=");
				if (kv[1] == p) return kv[2];
			}
			return 0;
		}
		{
			if ($8 + 0 > 0) { iops = $8; p50 = pct(18, 37, "50.000000%"); p99 = pct(18, 37, "99.000000%") }
			else { iops = $49; p50 = pct(59, 78, "50.000000%"); p99 = pct(59, 78, "99.000000%") }
			printf "BENCH %s %s %d %d %d %d\n", n, w, j, iops, p50, p99
		}'
}

# Warm the cache for reads, then run every workload.
bench_dev() {
	name=$1 dev=$2
	for rw in write read; do
		fio --name=warm --filename=$dev --direct=1 --rw=$rw --bs=1M --size=$SPAN \
			--numjobs=2 --offset_increment=$((SZ * 512)) \
			--ioengine=libaio --iodepth=4 >/dev/null 2>&1
	done
	for jobs in 1 2; do
		for wl in randwrite_qd1 randwrite_qd16 randread_warm seqwrite_1m; do
			fio_run $name $dev $wl $jobs
		done
	done
}

MCP=32768	# 128 MiB per controller
MCT="0 $L mirrorcache $MCP $MCP 2 /dev/mapper/slow0 0 /dev/mapper/slow1 1"
dma_load || echo "bench: cannot load the test DMA provider: mc-dma is skipped"

# up <contender> / down <contender>: build and remove one contender's
# device; up prints its device, or nothing when it cannot be built.
up() {
	case $1 in
	mc-table) dmsetup create mc --table "$MCT 4 mirror_alloc table copy_engine cpu" && echo /dev/mapper/mc ;;
	mc-message) dmsetup create mc --table "$MCT 4 mirror_alloc message copy_engine cpu" && echo /dev/mapper/mc ;;
	mc-dma) [ -d /sys/module/mc_test_dma ] &&
		dmsetup create mc --table "$MCT 2 copy_engine dma" && echo /dev/mapper/mc ;;
	wc-mirror)	# the redundant peer: dm-writecache (s) on a dm-mirror of two RAM disks
		dmsetup create wcmirror --table "0 $SZ mirror core 2 1024 nosync 2 /dev/ram2 0 /dev/ram3 0" &&
		dmsetup create wc --table "0 $L writecache s /dev/mapper/slow /dev/mapper/wcmirror 4096 0" &&
		echo /dev/mapper/wc ;;
	wc-pmem)	# the single-copy peer: dm-writecache (p) on emulated pmem
		[ -n "$PMEM" ] &&
		dmsetup create wc --table "0 $L writecache p /dev/mapper/slow $PMEM 4096 0" &&
		echo /dev/mapper/wc ;;
	dm-cache)	# smq, writeback, a RAM-disk cache
		dd if=/dev/zero of=/dev/ram5 bs=4096 count=1 2>/dev/null
		dmsetup create dmc --table "0 $L cache /dev/ram5 /dev/ram4 /dev/mapper/slow 512 1 writeback smq 0" &&
		echo /dev/mapper/dmc ;;
	slow-disks) echo /dev/mapper/slow ;;
	ram-ceiling) echo /dev/mapper/ramcat ;;
	esac
}
down() {
	case $1 in
	mc-*) dmsetup remove mc ;;
	wc-mirror) dmsetup remove wc; dmsetup remove wcmirror ;;
	wc-pmem) dmsetup remove wc ;;
	dm-cache) dmsetup remove dmc ;;
	esac
}

# Every contender three times, interleaved: round r runs them all, the
# order rotating by one each round; scripts/bench.sh takes the median.
ALL="mc-table mc-message mc-dma wc-mirror wc-pmem dm-cache slow-disks ram-ceiling"
for round in 1 2 3; do
	echo "bench: round $round: $ALL"
	for c in $ALL; do
		dev=$(up $c) || dev=""
		if [ -z "$dev" ]; then
			echo "bench: $c cannot be built: skipped"
			continue
		fi
		bench_dev $c $dev
		down $c
	done
	ALL="${ALL#* } ${ALL%% *}"	# rotate
done

# Host ports (mc-port.c): one job on LU 0 (owned by controller 0) through
# the device, the owner's port p0, the other port p1 (forwarding; its
# reads go to the LU or its mirror copies) and dm-multipath round-robin
# over both.  Warmed through the device (the pages stay dirty in the
# cache).  Three rounds, the order of the four rotating; scripts/bench.sh
# takes the median.
load_mod dm-multipath && load_mod dm-round-robin || echo "bench: no dm-multipath"
dmsetup create mc --table "$MCT 2 copy_engine cpu"
dmsetup create p0 --table "0 $L mcport /dev/mapper/mc 0"
dmsetup create p1 --table "0 $L mcport /dev/mapper/mc 1"
mm() { dmsetup info -c --noheadings -o major,minor "$1" | tr -d ' '; }
dmsetup create mp --table "0 $L multipath 2 queue_mode bio 0 1 1 round-robin 0 2 1 $(mm p0) 1 $(mm p1) 1"
fio --name=warm --filename=/dev/mapper/mc --direct=1 --rw=write --bs=1M --size=$SPAN \
	--ioengine=libaio --iodepth=4 >/dev/null 2>&1
PORTS="mc:port-dev p0:port-owner p1:port-fwd mp:port-mpath"
for wl in randwrite_qd1 randwrite_qd16 randread_warm; do
	for round in 1 2 3; do
		for d in $PORTS; do
			fio_run ${d#*:} /dev/mapper/${d%%:*} $wl 1
		done
		PORTS="${PORTS#* } ${PORTS%% *}"	# rotate
	done
done
for d in p0 p1; do echo "bench: $d status: $(dmsetup status $d)"; done
dmsetup remove mp; dmsetup remove p0; dmsetup remove p1; dmsetup remove mc

# Latency over time across one failover and one failback: 4 KiB random
# writes at QD4 on LU 0 of mc-table; its controller 0 fails at about 4 s
# and recovers at about 9 s (the LU fails back).  BENCH-LAT and
# BENCH-MARK lines for scripts/plot-latency.sh.
dmsetup create mc --table "$MCT 2 copy_engine cpu"
SYS=$(sysfs_dm mc)/mirrorcache
cd /tmp
fio --name=fo --filename=/dev/mapper/mc --rw=randwrite --bs=4k --size=$SPAN \
	--direct=1 --ioengine=libaio --iodepth=4 --time_based --runtime=14 --eta=never \
	--write_lat_log=/tmp/fo --log_avg_msec=100 --output=/tmp/fo.out \
	--exec_prerun='cat /proc/uptime' &
fpid=$!
t0=$(fio_t0 fo)
sleep 4
ctrl_do $SYS fail 0
t_fail=$(( $(now_ms) - t0 ))
sleep 5
ctrl_do $SYS recover 0
t_rec=$(( $(now_ms) - t0 ))
wait $fpid || echo "bench: fio failed across the failover"
echo "bench: failover: I/O held $(cat $SYS/failover_stall_us) us at the failover, $(cat $SYS/failback_stall_us) us at the failback; $(grep -m1 'write: IOPS' /tmp/fo.out)"
for f in /tmp/fo_clat.*.log; do
	awk -F', ' '$3 == 1 && $2 > 0 { print "BENCH-LAT", $1, $2 }' $f
done
echo "BENCH-MARK fail $t_fail"
echo "BENCH-MARK recover $t_rec"
dmsetup remove mc
dma_unload >/dev/null 2>&1
echo "BENCH-DONE"
