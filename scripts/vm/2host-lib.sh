# shellcheck shell=bash
# Two guests linked by a QEMU socket network (sourced by check-2host.sh,
# bench-2host.sh and demo-2host.sh): $D holds the shared images d0.img and
# d1.img (the LUs, /dev/vda and vdb in the guests) and state.img (/dev/vdc:
# fio's verify state of a host that crashes, tests/vm/_2host_crash.sh).
#   pair_setup <dir> <image size>: D=<dir>, fresh images, logs gone, a
#     PORT for the guests' socket network, the module built
#   guest <a|b> <log> <net> <script>: one guest running tests/vm/<script>.sh
#   kill_b: SIGKILL guest b's QEMU (fails when it is gone already)
#   gone <a|b> <seconds>: that guest's QEMU exits within the time
#   GUEST_TIMEOUT: run.sh's bound on a guest (1200 s)
#   wait_mark <log> <text> <seconds>: the guest printed "MARK: <text>"
pair_setup() {
	D=$1
	mkdir -p "$D"
	rm -f "$D"/*.log "$D"/d0.img "$D"/d1.img "$D"/state.img
	truncate -s "$2" "$D/d0.img" "$D/d1.img"
	truncate -s 4M "$D/state.img"
	PORT=$((40000 + $$ % 20000))
	make -s module KDIR="/lib/modules/$(bash scripts/kver.sh)/build" > /dev/null
}
guest() {
	local mac=52:54:00:00:20:01
	[ "$1" = b ] && mac=52:54:00:00:20:02
	setsid bash scripts/vm/run.sh --out "build/vm-$1" --script "$4" \
		--smp 1 --mem 1024 --net "$3" --mac "$mac" \
		--drive "$D/d0.img" --drive "$D/d1.img" --drive "$D/state.img" --timeout "${GUEST_TIMEOUT:-1200}" \
		> "$2" 2>&1 < /dev/null &
}
kill_b() { pkill -9 -f "build/vm-b/initramfs.cpio.gz"; }
gone() {
	local i=0
	while pgrep -f "build/vm-$1/initramfs.cpio.gz" > /dev/null; do
		[ $i -ge "$2" ] && return 1
		sleep 1; i=$((i + 1))
	done
}
wait_mark() {
	local i=0
	until grep -aq "^MARK: $2" "$1"; do
		[ $i -ge "$3" ] && return 1
		sleep 1; i=$((i + 1))
	done
}
