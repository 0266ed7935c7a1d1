#!/bin/sh
# The DMA node channel.  copy_engine dma is refused without a DMA_MEMCPY
# channel; with the test-only provider (tests/dma/mc-test-dma.ko, a
# stand-in for DMA hardware) every mirror copy is a DMA transfer (the
# provider's count equals the node-channel copies, 4 KiB and multi-page
# bios); a transfer the engine reports as failed (the provider tears it and
# says so) is copied again by the CPU with the rest of its pass; a
# failure while transfers are in flight (the provider sleeps before each)
# waits for them and loses nothing; removing the device releases the
# channels (the provider unloads).  failover_dma and
# torn_dma run those cases with copy_engine dma.
. /tests/lib.sh

brd_setup 2 32768
mc_load
P=/sys/module/mc_test_dma/parameters
S0=$(blockdev --getsz /dev/ram0)
L=$((S0 + $(blockdev --getsz /dev/ram1)))
TABLE="0 $L mirrorcache 512 512 2 /dev/ram0 0 /dev/ram1 1 2 copy_engine dma"
WV_MB=$((L / 2048)) INFLIGHT_MB=16	# the debug kernel (MC_SLOW): 16 and 8
[ -n "${MC_SLOW:-}" ] && WV_MB=16 INFLIGHT_MB=8
copies() { echo $(( $(cat $SYS/ctrl0/nch_copies) + $(cat $SYS/ctrl1/nch_copies) )); }
fio_wv() {	# fio_wv <tag> <offset MiB> <size MiB> [bs]: write + verify
	fio --name=$1 --filename=/dev/mapper/mc0 --offset=$(($2 * 1048576)) --size=${3}M \
		--rw=randwrite --bsrange=${4:-4k-4k} --direct=1 --ioengine=libaio --iodepth=8 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --output=/tmp/fio-$1.log
}

# ---- no channel: dma refused, auto falls back to the CPU ----
dma_unload
assert_fail dma_refused_without_channel dmsetup create mc0 --table "$TABLE"
dmesg | grep -q "copy_engine dma: no DMA_MEMCPY channel is available" &&
	pass refusal_says_why || fail refusal_says_why

# ---- with the provider: every mirror copy is a transfer ----
dma_load channels=2 || { fail dma_provider "cannot load /lib/mc-test-dma.ko"; finish; }
dmsetup create mc0 --table "$TABLE" || { fail create; finish; }
SYS=$(sysfs_dm mc0)/mirrorcache
assert_eq "$(cat $SYS/ctrl0/copy_engine) $(cat $SYS/ctrl1/copy_engine)" "dma dma" copy_engine_dma
t0=$(cat $P/transfers)
fio_wv both 0 $WV_MB && pass fio_verify_dma || fail fio_verify_dma "$(tail -3 /tmp/fio-both.log)"
# multi-page bios: passes of up to 16 pages, one node-channel request each
fio_wv multi 0 $WV_MB 4k-128k && pass fio_verify_dma_multipage ||
	fail fio_verify_dma_multipage "$(tail -3 /tmp/fio-multi.log)"
assert_eq "$(( $(cat $P/transfers) - t0 ))" "$(copies)" every_copy_a_transfer
[ "$(copies)" -gt 0 ] && pass copies_made || fail copies_made

# ---- failed transfers are copied again by the CPU ----
echo 5 > $P/fail_every
f0=$(cat $P/failed)
dd if=/dev/urandom of=/tmp/d bs=4096 count=64 2>/dev/null
dd if=/tmp/d of=/dev/mapper/mc0 bs=65536 seek=125 oflag=direct 2>/dev/null	# block 2000
echo 0 > $P/fail_every
[ $(( $(cat $P/failed) - f0 )) -ge 10 ] && pass transfers_failed || fail transfers_failed "$(cat $P/failed) - $f0"
dmesg | grep -q "DMA copy failed, copying with the CPU" && pass cpu_fallback_logged || fail cpu_fallback_logged
# the mirror of every block must be whole: the survivor relinks it
ctrl_do $SYS fail 0
assert_eq "$(cat $SYS/lun0/owner)" 1 failed_over
dd if=/dev/mapper/mc0 of=/tmp/r bs=4096 skip=2000 count=64 iflag=direct 2>/dev/null
cmp -s /tmp/d /tmp/r && pass torn_transfers_mirrored_whole || fail torn_transfers_mirrored_whole
[ "$(cat $SYS/pages_relinked)" -gt 0 ] && pass relinked_some || fail relinked_some
[ "$(cat $SYS/relink_invalid)" = 0 ] && pass no_invalid_cbe || fail no_invalid_cbe "$(cat $SYS/relink_invalid)"
assert_ok recover0 ctrl_do $SYS recover 0

# ---- a failure with transfers in flight ----
echo 3000 > $P/delay_us
fio_wv inflight 0 $INFLIGHT_MB & fio=$!
sleep 2
kill -0 $fio 2>/dev/null && pass fio_running_at_failure || fail fio_running_at_failure "fio ended first"
ctrl_do $SYS fail 0 || fail fail_inflight
wait $fio && pass fio_across_inflight_failure || fail fio_across_inflight_failure "$(tail -3 /tmp/fio-inflight.log)"
echo 0 > $P/delay_us
assert_ok recover0_again ctrl_do $SYS recover 0
fio_wv after 0 8 && pass fio_after_recovery || fail fio_after_recovery

# ---- remove releases the channels ----
assert_ok remove dmsetup remove mc0
assert_ok provider_unloads rmmod mc_test_dma
assert_eq "$(mc_objects_live)" none objects_freed
finish
