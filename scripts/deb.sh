#!/bin/bash
# make deb: build the Debian package dm-mirrorcache-dkms with Debian's own
# tooling (dpkg-buildpackage, debhelper, dh-dkms) in a copy of the sources,
# build/deb/dm-mirrorcache-VERSION/, so that neither the tree's objects nor
# debhelper's files land in the tree.  Leaves
# build/deb/dm-mirrorcache-dkms_VERSION_all.deb (and .buildinfo, .changes)
# and the build's output in build/deb/build.log.
#
# The copy holds what the package ships (every top-level .c but Kbuild's
# generated *.mod.c, every top-level .h, lib/'s .c and .h, Kbuild,
# Makefile, VERSION, dkms.conf) and debian/; no file list names the
# module's sources, so the Kbuild decides what is built.
set -euo pipefail
cd "$(dirname "$0")/.."
VER=$(cat VERSION)
OUT=build/deb
SRC=$OUT/dm-mirrorcache-$VER
DEB=$OUT/dm-mirrorcache-dkms_${VER}_all.deb

mkdir -p "$OUT"
rm -rf "$SRC" "$OUT"/dm-mirrorcache_"$VER"_*.buildinfo "$OUT"/dm-mirrorcache_"$VER"_*.changes "$DEB"
mkdir -p "$SRC/lib"
cp -p Kbuild Makefile VERSION dkms.conf ./*.h "$SRC/"
for f in ./*.c; do	# not Kbuild's generated dm-mirrorcache.mod.c
	case $f in *.mod.c) ;; *) cp -p "$f" "$SRC/" ;; esac
done
cp -p lib/*.c lib/*.h "$SRC/lib/"
cp -rp debian "$SRC/debian"

echo "deb: dpkg-buildpackage -us -uc -b in $SRC"
if ! (cd "$SRC" && dpkg-buildpackage -us -uc -b) > "$OUT/build.log" 2>&1; then
	tail -30 "$OUT/build.log"
	echo "deb: dpkg-buildpackage failed (whole output: $OUT/build.log)" >&2
	exit 1
fi
[ -f "$DEB" ] || { echo "deb: dpkg-buildpackage made no $DEB" >&2; exit 1; }
echo "deb: $DEB"
