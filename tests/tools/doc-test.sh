#!/bin/sh
# Documentation and mirrorcache-status agree with the code on names and
# order: the sysfs attribute arrays of mc-sysfs.c against the tables of
# Documentation/mirrorcache.rst ("sysfs"), the status fields of the comment
# above mc_emit_ctrl() in mc-target.c against the doc's "Status" tables and
# the field lists of scripts/mirrorcache-status.
# Prints PASS:/FAIL: lines and "N passed, N failed"; exit 1 on any failure.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOC=$ROOT/Documentation/mirrorcache.rst
TOOL=$ROOT/scripts/mirrorcache-status
NPASS=0
NFAIL=0
pass() { echo "PASS: tools/doc/$1"; NPASS=$((NPASS + 1)); }
fail() { echo "FAIL: tools/doc/$1 (${2:-failed})"; NFAIL=$((NFAIL + 1)); }
same() {	# same NAME GOT WANT
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# attribute names of one array of mc-sysfs.c, in order
code_attrs() {
	sed -n "/^static struct attribute \*mc_$1_attrs\[\] = {/,/^};/p" "$ROOT/mc-sysfs.c" |
		sed -n "s/.*&$1_attr_\([a-z_]*\)\.attr,.*/\1/p" | tr '\n' ' '
}

# first column of the sysfs table after the line HEADER (a literal line)
doc_attrs() {
	awk -v h="$1" '$0 == h { f = 1; next }
		f && /^====/ { n++; if (n == 2) exit; next }
		f && n == 1 && /^[a-z]/ { printf "%s ", $1 }' "$DOC"
}

same sysfs-top "$(doc_attrs '``mirrorcache/``:')" "$(code_attrs top)"
same sysfs-ctrl "$(doc_attrs '``mirrorcache/ctrlN/`` (N = 0, 1):')" "$(code_attrs ctrl)"
same sysfs-lun "$(doc_attrs '``mirrorcache/lunK/`` (K = 0 .. luns-1):')" "$(code_attrs lun)"

# the 16 per-controller fields and the 7 failover fields of the comment
# above mc_emit_ctrl(), in order
CODE_CTRL=$(sed -n '/then per controller, 16 fields:/,/<#luns> then per LU: <current owner>/p' "$ROOT/mc-target.c" |
	grep -o '<[a-z_]*>' | tr -d '<>' | grep -v '^luns$' | tr '\n' ' ')
CODE_FO=$(sed -n '/<degraded> <failovers>/,/<failback_stall_us>/p' "$ROOT/mc-target.c" |
	grep -o '<[a-z_]*>' | tr -d '<>' | tr '\n' ' ')
# doc: first column of the table after "Per controller, in order:" and of
# the one after "seven failover fields"
DOC_CTRL=$(awk '/^Per controller, in order:/ { f = 1; next }
	f && /^====/ { n++; if (n == 2) exit; next }
	f && n == 1 && /^[a-z]/ { printf "%s ", $1 }' "$DOC")
DOC_FO=$(awk '/^seven failover fields/ { f = 1; next }
	f && /^====/ { n++; if (n == 2) exit; next }
	f && n == 1 && /^[a-z]/ { printf "%s ", $1 }' "$DOC")
[ "$(echo "$CODE_CTRL" | wc -w)" -eq 16 ] && pass status-code-16 || fail status-code-16 "$CODE_CTRL"
same status-ctrl-doc "$DOC_CTRL" "$CODE_CTRL"
same status-failover-doc "$DOC_FO" "$CODE_FO"
# the tool: split("...", CF) and split("...", FF) name the fields it reads
TOOL_CTRL=$(sed -n 's/.*split("\([a-z_ ]*\)", CF, " ").*/\1 /p' "$TOOL")
TOOL_FO=$(sed -n 's/.*split("\([a-z_ ]*\)", FF, " ").*/\1 /p' "$TOOL")
same status-ctrl-tool "$TOOL_CTRL" "$CODE_CTRL"
same status-failover-tool "$TOOL_FO" "$CODE_FO"

echo "$NPASS passed, $NFAIL failed"
[ "$NFAIL" -eq 0 ]
