#!/bin/bash
# Print the Debian kernel version the VM runs and the module builds for.
#   scripts/kver.sh [SERIES-OR-VERSION]     (default: $MC_KVER)
# Empty: the newest 6.1 Debian kernel (/lib/modules/6.1.0-*-amd64), as
# always.  A version that names a directory of $MC_MODROOT/lib/modules
# (default MC_MODROOT=/) is printed as is (e.g. 6.12.95+deb12-amd64, or the
# debug kernel's release under its staging directory); a series such as
# 6.12 gives the newest /lib/modules/6.12.*-amd64 (scripts/setup.sh --k612).
set -e
want=${1:-${MC_KVER:-}}
mods=${MC_MODROOT:-/}/lib/modules
if [ -z "$want" ]; then
	k=$(ls -d /lib/modules/6.1.0-*-amd64 2>/dev/null | sort -V | tail -n 1)
elif [ -d "$mods/$want" ]; then
	k=$want
else
	k=$(ls -d "/lib/modules/$want".*-amd64 2>/dev/null | sort -V | tail -n 1)
fi
if [ -z "$k" ]; then
	case $want in 6.12*) hint=" --k612" ;; *) hint="" ;; esac
	echo "kver: no Debian ${want:-6.1} kernel in /lib/modules (scripts/setup.sh$hint)" >&2
	exit 1
fi
basename "$k"
