#!/bin/bash
# make check-pkg: the Debian package end to end, on this host (as root).
#
# Builds build/deb/dm-mirrorcache-dkms_VERSION_all.deb (scripts/deb.sh),
# installs it with apt-get (its postinst has DKMS build and install the
# module), checks for every kernel with headers in /lib/modules/*/build
# that dkms.conf's BUILD_EXCLUSIVE_KERNEL admits (at least one 6.1) that
# dkms lists dm-mirrorcache/VERSION as installed,
# that the .ko is in /lib/modules/KVER/updates/dkms/ with the right name,
# version and vermagic and that depmod resolves it; keeps a copy of each
# built .ko as build/deb/dm-mirrorcache-KVER.ko (for the VM: MC_KO=...);
# for the other kernels with headers, that DKMS skipped them (no module);
# then removes the package and checks that dkms lists nothing, the .ko
# and the sources are gone and depmod no longer finds the module.  Last,
# the module DKMS built for each kernel whose image is installed boots in
# the VM on that kernel and runs the basic case (MC_PKG_VM=0 skips it).
#
# Prints PASS: pkg/NAME / FAIL: pkg/NAME (reason) lines (also in
# build/check-pkg.log), ends with "N passed, N failed", exits non-zero on
# any failure.  apt's and dkms's output: build/check-pkg-apt.log.
# The host's own kernel need not load modules: nothing is loaded.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
NAME=dm-mirrorcache
MODNAME=dm_mirrorcache		# the module's name (modinfo -F name)
PKG=$NAME-dkms
VER=$(cat VERSION)
OUT=build/deb
DEB=$OUT/${PKG}_${VER}_all.deb
LOG=build/check-pkg.log
APTLOG=build/check-pkg-apt.log
START=$(date +%s)
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || { echo "check-pkg: needs root (apt-get install, dkms)" >&2; exit 1; }
mkdir -p "$OUT"
rm -f "$OUT/$NAME"-*.ko	# a failed run leaves no module from an earlier one
: > "$LOG"
: > "$APTLOG"

pass() { echo "PASS: pkg/$1" | tee -a "$LOG"; }
fail() { echo "FAIL: pkg/$1 ($2)" | tee -a "$LOG"; }
result() {	# result NAME REASON: PASS when the last command succeeded
	if [ "${rc:-1}" = 0 ]; then pass "$1"; else fail "$1" "$2"; fi
}
known_to_dpkg() {	# installed, half-installed or with config files left
	dpkg-query -W -f='${Status}\n' "$PKG" 2>/dev/null | grep -qv "not-installed"
}
run_apt() {	# run_apt ARGS...: apt-get, output to APTLOG, its tail on failure
	echo "+ apt-get $*" >> "$APTLOG"
	apt-get "$@" >> "$APTLOG" 2>&1
	local r=$?
	[ $r = 0 ] || tail -15 "$APTLOG" | sed 's/^/  apt: /'
	return $r
}
purge() {	# leave the host as it was, whatever happened
	known_to_dpkg || return 0
	echo "check-pkg: purging $PKG" | tee -a "$APTLOG"
	apt-get purge -y "$PKG" >> "$APTLOG" 2>&1 ||
		dpkg --purge --force-remove-reinstreq "$PKG" >> "$APTLOG" 2>&1
	rm -rf "/usr/src/$NAME-$VER" "/var/lib/dkms/$NAME"
	# shellcheck disable=SC2231
	for k in /lib/modules/*; do
		ls "$k"/updates/dkms/$NAME.ko* >/dev/null 2>&1 || continue
		rm -f "$k"/updates/dkms/$NAME.ko*
		depmod -a "$(basename "$k")"
	done
}
trap purge EXIT

if known_to_dpkg; then
	echo "check-pkg: $PKG is installed from before: removing it first"
	purge
fi

# Kernels with headers: DKMS's postinst builds for them (a running kernel
# without /lib/modules/$(uname -r) is taken for a chroot's host, and then
# every kernel in /lib/modules is built for).  Those that dkms.conf's
# BUILD_EXCLUSIVE_KERNEL admits must get the module; the others must be
# skipped (no module, and no failed installation).
EXCL=$(bash -c '. ./dkms.conf; echo "$BUILD_EXCLUSIVE_KERNEL"')
KVERS="" SKIPPED=""
for b in /lib/modules/*/build; do
	[ -d "$b/include" ] || continue
	k=$(basename "$(dirname "$b")")
	if [ -z "$EXCL" ] || [[ $k =~ $EXCL ]]; then KVERS="$KVERS $k"; else SKIPPED="$SKIPPED $k"; fi
done
echo "check-pkg: version $VER, kernels with headers:${KVERS:- none}${SKIPPED:+; not admitted by BUILD_EXCLUSIVE_KERNEL=$EXCL:$SKIPPED}"
echo "$KVERS" | grep -q ' 6\.1\.'; rc=$?
result kernels "no 6.1 kernel headers in /lib/modules/*/build admitted by dkms.conf"

# --- the package
bash scripts/deb.sh; rc=$?
[ $rc = 0 ] && { [ -f "$DEB" ]; rc=$?; }
result deb "scripts/deb.sh exit $rc or no $DEB"

debf() { dpkg-deb -f "$DEB" "$1" 2>/dev/null; }
got="$(debf Package) $(debf Version) $(debf Architecture)"
[ "$got" = "$PKG $VER all" ] && debf Depends | grep -qw dkms; rc=$?
result deb-fields "Package Version Architecture: '$got', want '$PKG $VER all'; Depends: '$(debf Depends)'"

# What it ships below /usr/src/NAME-VER: exactly the tree's sources.
want=$( { printf '%s\n' Kbuild Makefile VERSION dkms.conf ./*.h lib/*.c lib/*.h
	  for c in ./*.c; do case $c in *.mod.c) ;; *) echo "$c" ;; esac; done; } |
	sed 's|^\./||' | sort)
have=$(dpkg-deb --fsys-tarfile "$DEB" 2>/dev/null | tar -t 2>/dev/null |
	sed -n "s|^\./usr/src/$NAME-$VER/||p" | grep -v '/$' | grep -v '^$' | sort)
[ -n "$have" ] && [ "$have" = "$want" ]; rc=$?
result deb-files "/usr/src/$NAME-$VER differs from the tree's sources: $(diff <(echo "$want") <(echo "$have") | grep '^[<>]' | tr '\n' ' ')"

# --- install: DKMS builds and installs the module for each kernel
t0=$(date +%s)
run_apt install -y "./$DEB"; rc=$?
result install "apt-get install exit $rc, see $APTLOG"
echo "check-pkg: apt-get install took $(( $(date +%s) - t0 )) s"

for k in $KVERS; do
	# stderr aside: dkms runs readelf on the module, which warns about
	# 6.12's modules (no .comment section).  Fixed strings: a Debian
	# release such as 6.12.95+deb12-amd64 is no regular expression.
	st=$(dkms status -m "$NAME" -v "$VER" -k "$k" 2>/dev/null)
	echo "$st" | grep -F "$NAME/$VER, $k, " | grep -q ': installed$'; rc=$?
	result "dkms-status/$k" "dkms status: '${st:-nothing}'"

	ko=$(ls /lib/modules/"$k"/updates/dkms/$NAME.ko* 2>/dev/null | head -n 1)
	[ -n "$ko" ] && [ -f "$ko" ]; rc=$?
	result "ko/$k" "no /lib/modules/$k/updates/dkms/$NAME.ko"
	[ -n "$ko" ] || ko=/lib/modules/$k/updates/dkms/$NAME.ko

	# vermagic: the same as a module of that kernel's own (dm-mod), or at
	# least the kernel's release first when it has no modules installed.
	ref=$(modinfo -k "$k" -F vermagic dm-mod 2>/dev/null)
	name=$(modinfo -F name "$ko" 2>/dev/null)
	mver=$(modinfo -F version "$ko" 2>/dev/null)
	vm=$(modinfo -F vermagic "$ko" 2>/dev/null)
	if [ -n "$ref" ]; then [ "$vm" = "$ref" ]; else [[ "$vm" == "$k "* ]]; fi; rc=$?
	[ $rc = 0 ] && [ "$name" = "$MODNAME" ] && [ "$mver" = "$VER" ]; rc=$?
	result "modinfo/$k" "name '$name' version '$mver' vermagic '$vm', want $MODNAME $VER '${ref:-$k ...}'"

	[ "$(modinfo -k "$k" -n "$NAME" 2>/dev/null)" = "$ko" ]; rc=$?
	result "depmod/$k" "modinfo -k $k -n $NAME: '$(modinfo -k "$k" -n "$NAME" 2>&1)', want $ko"

	# A copy for the VM (scripts/vm/run.sh: MC_KO=build/deb/dm-mirrorcache-KVER.ko)
	if [ -f "$ko" ]; then
		case $ko in
		*.xz) xz -dc "$ko" ;; *.zst) zstd -qdc "$ko" ;; *.gz) gzip -dc "$ko" ;; *) cat "$ko" ;;
		esac > "$OUT/.$NAME-$k.ko" && mv "$OUT/.$NAME-$k.ko" "$OUT/$NAME-$k.ko" &&
			echo "check-pkg: kept $OUT/$NAME-$k.ko"
	fi
done

for k in $SKIPPED; do
	st=$(dkms status -m "$NAME" -v "$VER" -k "$k" 2>/dev/null)
	left=$(ls /lib/modules/"$k"/updates/dkms/$NAME.ko* 2>/dev/null)
	! echo "$st" | grep -qF "$k" && [ -z "$left" ]; rc=$?
	result "skipped/$k" "dkms status: '$st', module: '$left'"
done

# --- remove: DKMS removes the module from every kernel
run_apt remove -y "$PKG"; rc=$?
result remove "apt-get remove exit $rc, see $APTLOG"

st=$(dkms status 2>&1 | grep "^$NAME/")
[ -z "$st" ]; rc=$?
result removed-dkms "dkms status still lists: '$st'"

for k in $KVERS $SKIPPED; do
	left=$(ls /lib/modules/"$k"/updates/dkms/$NAME.ko* 2>/dev/null)
	res=$(modinfo -k "$k" -n "$NAME" 2>/dev/null)
	[ -z "$left" ] && [ -z "$res" ]; rc=$?
	result "removed-ko/$k" "left: '$left', depmod still finds: '$res'"
done

left=$(ls -d "/usr/src/$NAME-$VER" "/var/lib/dkms/$NAME" 2>/dev/null | tr '\n' ' ')
st=$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null)
[ -z "$left" ] && ! echo "$st" | grep -q "ok installed"; rc=$?
result removed-files "left: '$left', dpkg status '$st'"

# --- the module DKMS built, booted in the VM on its kernel
if [ "${MC_PKG_VM:-1}" = 1 ]; then
	for k in $KVERS; do
		[ -f "/boot/vmlinuz-$k" ] && [ -f "$OUT/$NAME-$k.ko" ] || continue
		MC_KVER=$k MC_KO=$PWD/$OUT/$NAME-$k.ko bash scripts/vm/run.sh --tests basic \
			> "build/check-pkg-vm-$k.log" 2>&1; rc=$?
		grep -q '^PASS: vm/basic (' "build/check-pkg-vm-$k.log" && [ $rc = 0 ]; rc=$?
		result "vm-basic/$k" "the DKMS module in the VM on $k: see build/check-pkg-vm-$k.log"
	done
fi

p=$(grep -c '^PASS:' "$LOG")
f=$(grep -c '^FAIL:' "$LOG")
echo
grep '^FAIL:' "$LOG"
echo "check-pkg: $(( $(date +%s) - START )) s"
echo "$p passed, $f failed"
[ "$f" = 0 ] && [ "$p" -gt 0 ]
