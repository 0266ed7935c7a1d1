#!/bin/bash
# Print the kernel build tree to build against: with MC_KVER set (a version
# or a series such as 6.12, scripts/kver.sh), that kernel's; else the running
# kernel's if it exists, else the newest Debian 6.1 test kernel's headers.
set -e
if [ -n "${MC_KVER:-}" ]; then
	k=/lib/modules/$(bash "$(dirname "$0")/kver.sh")/build
	[ -d "$k" ] || { echo "no kernel build tree $k: run scripts/setup.sh" >&2; exit 1; }
	echo "$k"
	exit 0
fi
if [ -d "/lib/modules/$(uname -r)/build" ]; then
	echo "/lib/modules/$(uname -r)/build"
	exit 0
fi
k=$(ls -d /lib/modules/6.1.0-*-amd64/build 2>/dev/null | sort -V | tail -n 1)
[ -n "$k" ] || { echo "no kernel build tree: run scripts/setup.sh" >&2; exit 1; }
echo "$k"
