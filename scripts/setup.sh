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
set -euo pipefail

BUILD_PKGS="make gcc libc6-dev linux-headers-amd64"
ALL_PKGS="$BUILD_PKGS linux-image-amd64 qemu-system-x86 busybox-static dmsetup
	fio e2fsprogs xfsprogs cpio kmod sparse ndctl gnuplot-nox util-linux
	procps gzip xz-utils zstd"

# scripts/debug-kernel/build.sh: Debian's kernel source and its build tools
# (ORC unwinder: libelf; certificates/sign-file: libssl).
DEBUG_PKGS="linux-source-6.1 bc flex bison libelf-dev libssl-dev xz-utils"

# scripts/deb.sh, scripts/check-pkg.sh: dpkg-buildpackage with debhelper
# and dh-dkms; dkms itself for installing the package.
PKG_PKGS="dpkg-dev debhelper dh-dkms dkms fakeroot"

pkgs=$ALL_PKGS
[ "${1:-}" = "--build" ] && pkgs=$BUILD_PKGS
[ "${1:-}" = "--debug" ] && pkgs="$ALL_PKGS $DEBUG_PKGS"
[ "${1:-}" = "--pkg" ] && pkgs="$BUILD_PKGS $PKG_PKGS"

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
