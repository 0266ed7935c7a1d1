#!/bin/sh
# Every malformed table line is rejected with its own error and leaves
# nothing behind: no device, no held LU, no sysfs directory.
. /tests/lib.sh

brd_setup 3 16384			# 3 x 16 MiB
mc_load
L0=$(blockdev --getsz /dev/ram0)
L2=$((L0 * 2))
GOOD="16 16 2 /dev/ram0 0 /dev/ram1 1"

# bad <name> <expected dmesg text> <table>
bad() {
	name=$1 want=$2 table=$3
	dmesg -c > /dev/null
	if dmsetup create mcbad --table "$table" 2>/dev/null; then
		fail "$name" "accepted: $table"
		dmsetup remove mcbad
		return
	fi
	if dmsetup info mcbad >/dev/null 2>&1; then
		fail "$name" "device left behind"
		dmsetup remove mcbad
		return
	fi
	for d in ram0 ram1 ram2; do
		if [ -n "$(ls /sys/block/$d/holders)" ]; then
			fail "$name" "$d still held"
			return
		fi
	done
	if ! dmesg | grep -q "mirrorcache: $want"; then
		fail "$name" "no '$want' in dmesg: $(dmesg | grep mirrorcache | tail -1)"
		return
	fi
	pass "$name"
}

bad no_args		"Missing cache size"			"0 $L2 mirrorcache"
bad one_cache		"Missing cache size"			"0 $L2 mirrorcache 16"
bad cache_zero		"Invalid cache size: must be"		"0 $L2 mirrorcache 0 16 2 /dev/ram0 0 /dev/ram1 1"
bad cache_15		"Invalid cache size: must be"		"0 $L2 mirrorcache 16 15 2 /dev/ram0 0 /dev/ram1 1"
bad cache_huge		"Invalid cache size: must be"		"0 $L2 mirrorcache 16777217 16 2 /dev/ram0 0 /dev/ram1 1"
bad cache_nonnum	"Invalid cache size: not a decimal"	"0 $L2 mirrorcache abc 16 2 /dev/ram0 0 /dev/ram1 1"
bad cache_overflow	"Invalid cache size: not a decimal"	"0 $L2 mirrorcache 99999999999999999999 16 2 /dev/ram0 0 /dev/ram1 1"
bad cache_negative	"Invalid cache size: not a decimal"	"0 $L2 mirrorcache -16 16 2 /dev/ram0 0 /dev/ram1 1"
bad cache_junk		"Invalid cache size: not a decimal"	"0 $L2 mirrorcache 16x 16 2 /dev/ram0 0 /dev/ram1 1"
bad cache_nomem		"Cannot allocate cache memory"		"0 $L2 mirrorcache 16000000 16000000 2 /dev/ram0 0 /dev/ram1 1"
bad owner_2		"Invalid LU owner"			"0 $L2 mirrorcache 16 16 2 /dev/ram0 0 /dev/ram1 2"
bad owner_junk		"Invalid LU owner"			"0 $L2 mirrorcache 16 16 2 /dev/ram0 0 /dev/ram1 1x"
bad luns_0		"Invalid #luns"				"0 $L2 mirrorcache 16 16 0"
bad luns_65		"Invalid #luns"				"0 $L2 mirrorcache 16 16 65 /dev/ram0 0 /dev/ram1 1"
bad luns_short		"Not enough arguments for #luns"	"0 $L2 mirrorcache 16 16 3 /dev/ram0 0 /dev/ram1 1"
bad luns_missing	"Invalid #luns"				"0 $L2 mirrorcache 16 16"
bad dev_missing		"Cannot open LU device"			"0 $L2 mirrorcache 16 16 2 /dev/ram0 0 /dev/nonexistent 1"
bad dev_twice		"The same LU device is listed twice"	"0 $L2 mirrorcache 16 16 2 /dev/ram0 0 /dev/ram0 1"
bad dev_twice_majmin	"The same LU device is listed twice"	"0 $L2 mirrorcache 16 16 2 /dev/ram1 0 $(cat /sys/block/ram1/dev) 1"
bad length_short	"Target length must equal"		"0 $((L2 - 8)) mirrorcache $GOOD"
bad length_long		"Target length must equal"		"0 $((L2 + 8)) mirrorcache $GOOD"
bad opt_unknown		"Unrecognised optional argument"	"0 $L2 mirrorcache $GOOD 2 frobnicate 1"
bad opt_novalue		"Missing value for optional argument"	"0 $L2 mirrorcache $GOOD 1 mirror_ratio"
bad opt_count_big	"Invalid number of optional arguments"	"0 $L2 mirrorcache $GOOD 12 mirror_ratio 30"
bad opt_count_short	"Invalid number of optional arguments"			"0 $L2 mirrorcache $GOOD 4 mirror_ratio 30"
bad opt_count_junk	"Invalid number of optional arguments"	"0 $L2 mirrorcache $GOOD x mirror_ratio 30"
bad ratio_0		"Invalid mirror_ratio"			"0 $L2 mirrorcache $GOOD 2 mirror_ratio 0"
bad ratio_91		"Invalid mirror_ratio"			"0 $L2 mirrorcache $GOOD 2 mirror_ratio 91"
bad ratio_junk		"Invalid mirror_ratio"			"0 $L2 mirrorcache $GOOD 2 mirror_ratio 3o"
bad alloc_bad		"Invalid mirror_alloc"			"0 $L2 mirrorcache $GOOD 2 mirror_alloc peer"
bad engine_bad		"Invalid copy_engine"			"0 $L2 mirrorcache $GOOD 2 copy_engine gpu"
bad flush_bad		"Invalid flush_mode"			"0 $L2 mirrorcache $GOOD 2 flush_mode never"
bad degraded_bad	"Invalid degraded_writes"		"0 $L2 mirrorcache $GOOD 2 degraded_writes maybe"
bad opt_twice		"Optional argument given twice"		"0 $L2 mirrorcache $GOOD 4 mirror_ratio 30 mirror_ratio 40"
bad trailing		"Too many arguments"			"0 $L2 mirrorcache $GOOD 2 mirror_ratio 30 junk"
bad ratio_empty		"mirror_ratio gives an empty mirror area"	"0 $L2 mirrorcache $GOOD 2 mirror_ratio 1"
bad ratio_too_big	"Cache too small"			"0 $L2 mirrorcache 16 1000 2 /dev/ram0 0 /dev/ram1 1 2 mirror_ratio 90"

# The good line is accepted, so the rejections above are not vacuous.
if dmsetup create mcgood --table "0 $L2 mirrorcache $GOOD"; then
	pass good_line
	dmsetup remove mcgood || fail good_remove "remove failed"
else
	fail good_line "rejected: $GOOD"
fi
[ -z "$(ls /sys/block/ram0/holders)" ] && pass released || fail released "ram0 held"
finish
