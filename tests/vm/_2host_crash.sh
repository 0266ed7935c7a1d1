#!/bin/sh
# fio's trigger on a host of the two-guest run (scripts/check-2host.sh):
# fio has saved its verify state (the writes it saw complete) in the
# current directory; copy it to slot <slot> of the shared state disk
# (/dev/vdc, 1 MiB per slot) with direct writes, so the proof of what this
# host acknowledged outlives it, then crash at once (sysrq c: the guest
# runs with panic=-1 under -no-reboot, so its QEMU exits).  fio runs this
# with its output discarded: the MARK lines go to the console.
#   _2host_crash.sh <mark> <slot>
exec > /dev/console 2>&1
tar cf /tmp/state.tar ./*-verify.state &&
	dd if=/tmp/state.tar of=/dev/vdc bs=64k seek=$(($2 * 16)) conv=sync,fsync \
		oflag=direct 2> /dev/null ||
	echo "MARK: $1-state-lost"
echo "MARK: $1"
echo c > /proc/sysrq-trigger
