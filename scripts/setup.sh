#!/bin/bash
# Install the Debian packages the build, the tests and the demo need.
# Idempotent and quick when everything is present.
#   scripts/setup.sh          everything
#   scripts/setup.sh --build  only what building the module needs
#   scripts/setup.sh --debug  everything, plus what building the debug
#                             kernel of `make check-debug` needs
#   scripts/setup.sh --pkg    what building the module needs, plus the
#                             Debian packaging tools of `make deb` and
#                             `make check-pkg` (dpkg-buildpackage, dh-dkms)
#   scripts/setup.sh --k612   everything, plus Debian's 6.12 kernel image and
#                             headers from bookworm-backports (make check-k612);
#                             the default 6.1 kernel stays and stays the default
set -euo pipefail

BUILD_PKGS="make gcc libc6-dev linux-headers-amd64"
ALL_PKGS="$BUILD_PKGS linux-image-amd64 qemu-system-x86 busybox-static dmsetup
	fio e2fsprogs xfsprogs cpio kmod sparse ndctl gnuplot-nox util-linux iproute2
	procps gzip xz-utils zstd"

# scripts/debug-kernel/build.sh: Debian's kernel source and its build tools
# (ORC unwinder: libelf; certificates/sign-file: libssl).
DEBUG_PKGS="linux-source-6.1 bc flex bison libelf-dev libssl-dev xz-utils"

# scripts/deb.sh, scripts/check-pkg.sh: dpkg-buildpackage with debhelper
# and dh-dkms; dkms itself for installing the package.
PKG_PKGS="dpkg-dev debhelper dh-dkms dkms fakeroot"
# --k612: bookworm-backports is appended to the stanza of
# /etc/apt/sources.list.d/debian.sources whose Suites line is "bookworm
# bookworm-updates", then the linux-image-amd64 and linux-headers-amd64
# meta-packages come from there (6.12).  They then no longer depend on the
# 6.1 image and headers, so those are marked manually installed first: an
# autoremove keeps them, and scripts/kdir.sh, scripts/vm/run.sh and
# scripts/vm/mkinitramfs.sh keep picking 6.1 (ls -d /lib/modules/6.1.0-*).
SOURCES=/etc/apt/sources.list.d/debian.sources
k612() {
	local k61 p v
	# the default set first: it brings 6.1 on a machine that has none
	bash "$0"
	k61=$(ls -d /lib/modules/6.1.0-*-amd64 2>/dev/null | sort -V | tail -n 1 | xargs -r basename)
	[ -n "$k61" ] || { echo "setup: no 6.1 kernel installed" >&2; exit 1; }
	v=$(dpkg-query -W -f='${Version}' linux-image-amd64 2>/dev/null || true)
	if grep -q '^Suites: bookworm bookworm-updates bookworm-backports$' "$SOURCES" &&
	   [ -n "$(ls -d /lib/modules/6.12.*-amd64/build 2>/dev/null)" ] &&
	   ls /boot/vmlinuz-6.12.*-amd64 >/dev/null 2>&1 &&
	   dpkg --compare-versions "$v" ge 6.12 &&
	   [ -z "$(apt-mark showauto "linux-image-$k61" "linux-headers-$k61")" ]; then
		exit 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "setup: the 6.12 kernel is missing (run as root to install)" >&2
		exit 1
	fi
	for p in "linux-image-$k61" "linux-headers-$k61"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" &&
			apt-mark manual "$p" >/dev/null
	done
	if ! grep -q '^Suites: bookworm bookworm-updates bookworm-backports$' "$SOURCES"; then
		grep -q '^Suites: bookworm bookworm-updates$' "$SOURCES" || {
			echo "setup: no 'Suites: bookworm bookworm-updates' line in $SOURCES" >&2; exit 1; }
		sed -i 's/^Suites: bookworm bookworm-updates$/& bookworm-backports/' "$SOURCES"
	fi
	echo "setup: installing the 6.12 kernel from bookworm-backports"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends -t bookworm-backports \
		linux-image-amd64/bookworm-backports linux-headers-amd64/bookworm-backports
	exit 0
}

pkgs=$ALL_PKGS
[ "${1:-}" = "--build" ] && pkgs=$BUILD_PKGS
[ "${1:-}" = "--debug" ] && pkgs="$ALL_PKGS $DEBUG_PKGS"
[ "${1:-}" = "--pkg" ] && pkgs="$BUILD_PKGS $PKG_PKGS"
[ "${1:-}" = "--k612" ] && k612

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "setup: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
