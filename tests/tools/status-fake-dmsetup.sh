#!/bin/sh
# Stand-in for dmsetup in status-test.sh (MC_STATUS_DMSETUP): answers
# "status NAME" and "table NAME" from $MC_FIXTURE/dm/NAME.status and
# NAME.table, and fails like dmsetup for a device that does not exist.
case $1 in
status | table) ;;
*)
	echo "fake dmsetup: unsupported command $*" >&2
	exit 1
	;;
esac
f=$MC_FIXTURE/dm/$2.$1
if [ ! -f "$f" ]; then
	echo "Device does not exist." >&2
	echo "Command failed." >&2
	exit 1
fi
cat "$f"
