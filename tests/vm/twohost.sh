#!/bin/sh
# Two-host tables, the link (issue 23, Documentation/two-hosts.rst): two
# mirrorcache devices in this one kernel, mcA running controller 0 and mcB
# controller 1 of the same array, over soft-RoCE (rdma_rxe on one end of a
# veth pair, link-local address; both devices use it, so the traffic takes
# rxe's loopback path).  What is built so far: the table line, the
# connection, the HELLO that must describe the same array (cache sizes,
# mirror ratio, LUs and owners) and the REGIONs of its memory, the
# heartbeat and the loss of the peer; the mirror copy as chains of RDMA
# WRITEs into the peer's memory (solo and write-through while the peer's
# memory is not writable); each host serves only the LUs its controller
# owns and refuses the others with a path error.  The controller "crash" is forced with inject_link_silent (a peer
# that stops sending heartbeats without closing the connection).
. /tests/lib.sh

mc_load || { fail module_loads; finish; }
if ! [ -e /lib/mc-mods/rdma_cm.deps ] || ! [ -s /lib/mc-mods/rdma_rxe.deps ]; then
	# A kernel without the RDMA CM (or rxe): the table must say so.
	brd_setup 2 16384
	if dmsetup create mcA --table "0 65536 mirrorcache 64 64 2 /dev/ram0 0 /dev/ram1 1 6 local 0 addr rdma:169.254.10.1:7470 peer rdma:169.254.10.1:7471" 2> /tmp/e; then
		fail no_rdma_refused "accepted"; dmsetup remove mcA
	else
		# dmsetup says "Operation not supported"; the reason is logged
		dmesg | tail -5 | grep -q "need the RDMA CM" && pass no_rdma_refused ||
			fail no_rdma_refused "$(cat /tmp/e); $(dmesg | tail -1)"
	fi
	assert_eq "$(mc_objects_live)" none no_rdma_nothing_left
	finish
fi
load_mod veth || fail veth_loads
KNOB=/sys/kernel/debug/dm-mirrorcache/inject_link_silent
IP=169.254.10.1
assert_ok veth_add /bin/ip link add mcv0 type veth peer name mcv1
assert_ok veth_up /bin/ip link set mcv1 up
assert_ok rxe_link rxe_on mcv0 $IP

brd_setup 2 16384	# two 16 MiB LUs, shared by both "hosts"
S=32768			# sectors per LU
LUS="/dev/ram0 0 /dev/ram1 1"
A_OPTS="local 0 addr rdma:$IP:7470 peer rdma:$IP:7471"
B_OPTS="local 1 addr rdma:$IP:7471 peer rdma:$IP:7470"
tbl() {	# tbl <cache0> <cache1> <#opts> <opts...>
	echo "0 $((2 * S)) mirrorcache $1 $2 2 $LUS $3 $4"
}
mk() { dmsetup create $1 --table "$2"; }
link_of() { cat $(sysfs_dm $1)/mirrorcache/link; }
link_field() { mc_link_field "$@"; }
peer_status() { dmsetup status $1 | awk '{ for (i = 1; i < NF; i++) if ($i == "peer") print $(i + 1), $(i + 2), $(i + 3) }'; }
wait_peer() { mc_wait_peer $1 $2 ${3:-30}; }
# refused <check> <message part> <table>: the table is refused, clearly
refused() {
	if mk mcX "$3" 2> /tmp/e; then
		fail $1 "accepted"; dmsetup remove mcX
	elif grep -q "$2" /tmp/e || dmesg | grep 'mirrorcache:' | tail -1 | grep -q "$2"; then
		pass $1
	else
		fail $1 "$(dmesg | grep 'mirrorcache:' | tail -1)"
	fi
}

# ---- bad table lines change nothing ----
refused bad_local "local: must be 0 or 1" "$(tbl 64 64 6 "local 2 addr rdma:$IP:7470 peer rdma:$IP:7471")"
refused bad_addr "Invalid addr" "$(tbl 64 64 6 "local 0 addr rdma:169.254.10:7470 peer rdma:$IP:7471")"
refused bad_port "Invalid peer" "$(tbl 64 64 6 "local 0 addr rdma:$IP:7470 peer rdma:$IP:0")"
refused bad_scheme "Invalid addr" "$(tbl 64 64 6 "local 0 addr tcp:$IP:7470 peer rdma:$IP:7471")"
refused missing_peer "local, addr and peer together" "$(tbl 64 64 4 "local 0 addr rdma:$IP:7470")"
refused fencing_alone "need local, addr and peer" "$(tbl 64 64 2 "fencing none")"
refused bad_fencing "Invalid fencing" "$(tbl 64 64 8 "$A_OPTS fencing stonith")"
refused bad_heartbeat "Invalid heartbeat_ms" "$(tbl 64 64 8 "$A_OPTS heartbeat_ms 10")"
refused bad_wait "Invalid wait_peer_ms" "$(tbl 64 64 8 "$A_OPTS wait_peer_ms 3600001")"
refused wait_alone "need local, addr and peer" "$(tbl 64 64 2 "wait_peer_ms 10")"
refused same_addr "addr and peer must differ" "$(tbl 64 64 6 "local 0 addr rdma:$IP:7470 peer rdma:$IP:7470")"
refused message_alloc "copies by RDMA" "$(tbl 64 64 8 "mirror_alloc message $A_OPTS")"
# IPv6: a link-local address needs its interface (name or index), in
# brackets before the port; addr and peer of one family (a kernel without
# IPv6, the debug one, refuses every IPv6 address)
v6_mixed="both be IPv4 or both IPv6"
[ -e /proc/net/if_inet6 ] || v6_mixed="Invalid addr"
refused v6_no_scope "Invalid addr" "$(tbl 64 64 6 "local 0 addr rdma:[fe80::1]:7470 peer rdma:$IP:7471")"
refused v6_bad_scope "Invalid peer" "$(tbl 64 64 6 "local 0 addr rdma:$IP:7470 peer rdma:[fe80::2%nosuch0]:7471")"
refused v6_no_port "Invalid addr" "$(tbl 64 64 6 "local 0 addr rdma:[fe80::1%1] peer rdma:$IP:7471")"
refused v6_unclosed "Invalid addr" "$(tbl 64 64 6 "local 0 addr rdma:[fe80::1%1:7470 peer rdma:$IP:7471")"
refused v6_bad_addr "Invalid addr" "$(tbl 64 64 6 "local 0 addr rdma:[fe80::1::2%1]:7470 peer rdma:$IP:7471")"
refused v6_mixed "$v6_mixed" "$(tbl 64 64 6 "local 0 addr rdma:[fe80::1%1]:7470 peer rdma:$IP:7471")"
refused foreign_addr "Cannot bind to addr" "$(tbl 64 64 6 "local 0 addr rdma:169.254.99.99:7470 peer rdma:$IP:7471")"
assert_eq "$(mc_objects_live)" none refusals_leave_nothing

# ---- one host alone ----
assert_ok create_a mk mcA "$(tbl 64 64 6 "$A_OPTS")"
SA=$(sysfs_dm mcA)/mirrorcache
assert_eq "$(dmsetup table mcA | cut -d' ' -f4-)" \
	"64 64 2 1:0 0 1:1 1 22 mirror_ratio 30 mirror_alloc table copy_engine cpu flush_mode destage degraded_writes writethrough local 0 addr rdma:$IP:7470 peer rdma:$IP:7471 fencing resource heartbeat_ms 250 wait_peer_ms 5000" \
	table_canonical
assert_eq "$(peer_status mcA)" "connecting 0 0" alone_connecting
assert_eq "$(cat $SA/ctrl0/state) $(cat $SA/ctrl1/state) $(cat $SA/ctrl0/solo)" "online remote 1" alone_states
# LU0 is ctrl0's: written through to it; LU1 is the peer's: a path error.
dd if=/dev/urandom of=/tmp/d0 bs=4096 count=4 2>/dev/null
assert_ok own_lu_write dd if=/tmp/d0 of=/dev/mapper/mcA bs=4096 seek=8 oflag=direct
dd if=/dev/ram0 of=/tmp/r0 bs=4096 skip=8 count=4 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r0)" "$(md5sum < /tmp/d0)" own_lu_written_through
# The write waited for the peer's HELLO (wait_peer_ms), then went on alone.
dmesg | grep -q "ctrl0: no peer host within wait_peer_ms 5000: serving its LUs alone" &&
	pass alone_after_wait || fail alone_after_wait "$(dmesg | tail -2)"
assert_fail peer_lu_write_refused dd if=/tmp/d0 of=/dev/mapper/mcA bs=4096 seek=$((S / 8 + 8)) oflag=direct
assert_fail peer_lu_read_refused dd if=/dev/mapper/mcA of=/dev/null bs=4096 skip=$((S / 8)) count=1 iflag=direct
assert_ok flush_ok sync
assert_fail fail_refused dmsetup message mcA 0 fail 1
assert_fail takeover_refused dmsetup message mcA 0 takeover 1 0
dmesg | tail -3 | grep -q "not in a two-host table" && pass refusals_explained ||
	fail refusals_explained "$(dmesg | tail -1)"
# A reload with the printed table is the same device.
assert_ok reload_same sh -c "dmsetup reload mcA --table \"$(dmsetup table mcA)\" && dmsetup suspend mcA && dmsetup resume mcA"
SA=$(sysfs_dm mcA)/mirrorcache

# ---- the peer host appears ----
assert_ok create_b mk mcB "$(tbl 64 64 6 "$B_OPTS")"
wait_peer mcA connected && wait_peer mcB connected && pass connected ||
	fail connected "A: $(link_of mcA); B: $(link_of mcB)"
assert_eq "$(peer_status mcA | cut -d' ' -f1,2)" "connected 1" status_connected
assert_eq "$(link_field mcA peer_generation)" "$(link_field mcB generation)" a_knows_b
# each table holds only its own controller's cache memory: 64 pages each
assert_eq "$(awk '$1 == "cache_pages" { print $2 }' /sys/kernel/debug/dm-mirrorcache/objects)" 128 shells_hold_no_cache
assert_eq "$(link_field mcB peer_generation)" "$(link_field mcA generation)" b_knows_a
assert_ok b_own_lu_write dd if=/tmp/d0 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 8)) oflag=direct
assert_fail b_peer_lu_refused dd if=/tmp/d0 of=/dev/mapper/mcB bs=4096 seek=8 oflag=direct
sleep 2	# eight heartbeats: the link stays up
assert_eq "$(link_field mcA losses)/$(link_field mcB losses)" 0/0 heartbeats_keep_it

# ---- the mirror: each host's writes land in the other's memory ----
solo_of() { cat $(sysfs_dm $1)/mirrorcache/ctrl$2/solo; }
wait_solo() {	# wait_solo <dev> <ctrl> <0|1> [tenths]
	i=0
	while [ "$(solo_of $1 $2)" != $3 ] && [ $i -lt ${4:-150} ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(solo_of $1 $2)" = $3 ]
}
# pair_up <A's check> <B's check> <mirroring check> <#opts> [<more opts>]:
# both devices created, SA and SB set, both mirroring
pair_up() {
	assert_ok $1 mk mcA "$(tbl 64 64 $4 "$A_OPTS${5:+ $5}")"
	assert_ok $2 mk mcB "$(tbl 64 64 $4 "$B_OPTS${5:+ $5}")"
	SA=$(sysfs_dm mcA)/mirrorcache SB=$(sysfs_dm mcB)/mirrorcache
	wait_solo mcA 0 0 && wait_solo mcB 1 0 && pass $3 ||
		fail $3 "A: $(link_of mcA); B: $(link_of mcB)"
}
# b_dirty4 <write check> <copies check> <data file> <4 KiB block of LU1>:
# four new pages written through B stay dirty there, copied into A
b_dirty4() {
	dd if=/dev/urandom of=$3 bs=4096 count=4 2>/dev/null
	assert_ok $1 dd if=$3 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + $4)) oflag=direct
	assert_eq "$(cat $SA/ctrl0/mirror_valid)" 4 $2
}
# log_count <text>: lines of the kernel log that hold <text> (a later
# section must see its own message, not an earlier section's)
log_count() { dmesg | grep -c "$1"; }
# wait_log <text> <count before> [tenths]: until a new line holds <text>
wait_log() {
	i=0
	while [ "$(log_count "$1")" -le "$2" ] && [ $i -lt ${3:-100} ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(log_count "$1")" -gt "$2" ]
}
wait_val() {	# wait_val <file> <value> [tenths]
	i=0
	while [ "$(cat $1)" != "$2" ] && [ $i -lt ${3:-100} ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(cat $1)" = "$2" ]
}
SB=$(sysfs_dm mcB)/mirrorcache
assert_ok b_flush_first dmsetup message mcB 0 flush	# b_own_lu_write's pages
wait_solo mcA 0 0 && wait_solo mcB 1 0 && pass mirror_joined ||
	fail mirror_joined "A: $(link_of mcA); B: $(link_of mcB)"
assert_eq "$(link_field mcA mirror) $(link_field mcB mirror)" "ready ready" link_mirror_ready
assert_eq "$(cat $SA/ctrl0/mirror_total) $(cat $SB/ctrl1/mirror_pages)" \
	"$(cat $SB/ctrl1/mirror_pages) $(cat $SA/ctrl1/mirror_pages)" mirror_sizes_agree
# Eight pages stay dirty on A (under its write-back watermark): their
# copies are in B's memory, named by CBEs that decode there.
wait_val $SA/ctrl0/mirror_valid 0
assert_eq "$(cat $SA/ctrl0/dirty_pages) $(cat $SB/ctrl1/mirror_valid) $(cat $SA/ctrl0/mirror_valid)" "0 0 0" mirror_empty
dd if=/dev/urandom of=/tmp/d8 bs=4096 count=8 2>/dev/null
assert_ok mirrored_write dd if=/tmp/d8 of=/dev/mapper/mcA bs=4096 seek=64 oflag=direct
assert_eq "$(cat $SA/ctrl0/dirty_pages) $(cat $SA/ctrl0/mirror_used)" "8 8" a_dirty_mirrored
assert_eq "$(cat $SB/ctrl1/mirror_valid)" 8 copies_in_b
assert_eq "$(cat $SA/ctrl0/mirror_valid)" 0 nothing_in_a
assert_ok b_mirrored_write dd if=/tmp/d0 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 16)) oflag=direct
assert_eq "$(cat $SA/ctrl0/mirror_valid)" 4 copies_in_a
# Write-back releases: the free pattern lands in the peer's CBEs.
assert_ok a_flush dmsetup message mcA 0 flush
wait_val $SB/ctrl1/mirror_valid 0 && pass released_in_b ||
	fail released_in_b "$(cat $SB/ctrl1/mirror_valid) valid"
assert_eq "$(cat $SA/ctrl0/mirror_used)" 0 a_table_empty
dd if=/dev/ram0 of=/tmp/r8 bs=4096 skip=64 count=8 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r8)" "$(md5sum < /tmp/d8)" destaged_data
assert_ok b_flush dmsetup message mcB 0 flush
wait_val $SA/ctrl0/mirror_valid 0 && pass released_in_a || fail released_in_a
# fio through A, mirrored chain by chain; it verifies what it wrote.
c0=$(link_field mcA chains)
fio --name=m --filename=/dev/mapper/mcA --rw=randwrite --bs=4k --size=2M \
	--offset=1M --direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --output=/tmp/m.log > /dev/null 2>&1 &&
	pass fio_mirrored || fail fio_mirrored "$(grep -iE 'err|verify' /tmp/m.log | head -3)"
[ "$(link_field mcA chains)" -gt $((c0 + 100)) ] && pass chains_counted ||
	fail chains_counted "$(link_of mcA)"
assert_eq "$(link_field mcA chain_errors)/$(link_field mcB chain_errors)" 0/0 no_chain_errors
assert_eq "$(link_field mcA losses)/$(link_field mcB losses)" 0/0 mirror_keeps_link
# The peer goes silent under load: A goes solo, its writes go through and
# fio verifies; the peer comes back: A mirrors again.
fio --name=l --filename=/dev/mapper/mcA --rw=randwrite --bs=4k --size=2M \
	--offset=1M --direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --loops=4 --output=/tmp/l.log > /dev/null 2>&1 &
fpid=$!
sleep 2
echo 2 > $KNOB	# ctrl1's link sends no heartbeat
wait_solo mcA 0 1 100 && pass loss_goes_solo || fail loss_goes_solo "$(link_of mcA)"
echo 0 > $KNOB
wait $fpid && pass fio_across_loss || fail fio_across_loss "$(grep -iE 'err|verify' /tmp/l.log | head -3)"
wait_solo mcA 0 0 300 && wait_solo mcB 1 0 && pass rejoined ||
	fail rejoined "A: $(link_of mcA); B: $(link_of mcB)"
dmesg | grep -q "ctrl0: mirrors into the peer's memory again" && pass rejoin_logged || fail rejoin_logged
assert_ok after_rejoin_write dd if=/tmp/d8 of=/dev/mapper/mcA bs=4096 seek=64 oflag=direct
assert_eq "$(cat $SB/ctrl1/mirror_valid)" 8 copies_after_rejoin
assert_ok a_flush_again dmsetup message mcA 0 flush
wait_val $SB/ctrl1/mirror_valid 0 && pass released_after_rejoin || fail released_after_rejoin

# ---- an RDMA error mid-write (inject_rdma_error): the peer refuses one
# write of a chain, the queue pair fails with the rest in flight; those
# writes go through to the LU, the link is reset and A mirrors again; fio
# verifies every write and nothing hangs ----
ERR=/sys/kernel/debug/dm-mirrorcache/inject_rdma_error
e0=$(link_field mcA chain_errors) l0=$(link_field mcA losses)
j0=$(dmesg | grep -c "ctrl0: mirrors into the peer's memory again")
wait_solo mcA 0 0 300 || fail rdma_error_mirroring "$(link_of mcA)"
echo 1 > $ERR	# ctrl0's next chain: one of fio's first writes (QD8)
fio --name=e --filename=/dev/mapper/mcA --rw=randwrite --bs=4k --size=2M \
	--offset=1M --direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --loops=3 --output=/tmp/e.log > /dev/null 2>&1 &
fpid=$!
wait $fpid && pass fio_across_rdma_error ||
	fail fio_across_rdma_error "$(grep -iE 'err|verify' /tmp/e.log | head -3)"
assert_eq "$(cat $ERR)" 0 rdma_error_one_shot
[ "$(link_field mcA chain_errors)" -gt "$e0" ] && pass rdma_error_chains_failed ||
	fail rdma_error_chains_failed "$(link_of mcA)"
[ "$(link_field mcA losses)" -gt "$l0" ] && pass rdma_error_resets_link ||
	fail rdma_error_resets_link "$(link_of mcA)"
dmesg | grep -q "ctrl0: lost the peer ctrl1: a remote write failed" &&
	pass rdma_error_logged || fail rdma_error_logged "$(dmesg | grep 'lost the peer' | tail -1)"
wait_solo mcA 0 0 300 && wait_solo mcB 1 0 && pass rdma_error_rejoined ||
	fail rdma_error_rejoined "A: $(link_of mcA); B: $(link_of mcB)"
[ "$(dmesg | grep -c "ctrl0: mirrors into the peer's memory again")" -gt "$j0" ] &&
	pass rdma_error_join_logged || fail rdma_error_join_logged
assert_ok rdma_error_a_flush dmsetup message mcA 0 flush
wait_val $SB/ctrl1/mirror_valid 0 && pass rdma_error_released || fail rdma_error_released

# ---- a peer that stops answering is lost, and found again ----
echo 2 > $KNOB	# ctrl1's link sends no heartbeat
wait_peer mcA lost 10 && pass silent_peer_lost || fail silent_peer_lost "$(link_of mcA)"
assert_eq "$(link_field mcA last_error)" no silent_peer_reason
echo 0 > $KNOB
wait_peer mcA connected 20 && wait_peer mcB connected 20 && pass reconnected ||
	fail reconnected "A: $(link_of mcA); B: $(link_of mcB)"

# ---- the RDMA device goes away and comes back ----
# (a port flap of rxe does not heal, Documentation/two-hosts.rst; a new
# device does): A's listening id goes with the device; A listens again
# once addr has a device, and both connect and mirror again.
n=$(log_count "ctrl0: listens on $IP:7470 again")
assert_ok rxe_delete /bin/rdma link delete rxe0
wait_peer mcA lost 10 && wait_peer mcB lost 10 && pass device_gone_lost ||
	fail device_gone_lost "A: $(link_of mcA); B: $(link_of mcB)"
dmesg | grep -q "ctrl0: the RDMA device of addr went away: listening again once addr has one" &&
	pass device_gone_logged || fail device_gone_logged "$(dmesg | tail -2)"
sleep 1
assert_eq "$(link_field mcA peer)" lost no_device_no_link
assert_ok rxe_add_again /bin/rdma link add rxe0 type rxe netdev mcv0
wait_log "ctrl0: listens on $IP:7470 again" $n && pass listens_again ||
	fail listens_again "$(dmesg | tail -2)"
wait_peer mcA connected && wait_peer mcB connected && pass new_device_connects ||
	fail new_device_connects "A: $(link_of mcA); B: $(link_of mcB)"
wait_solo mcA 0 0 && wait_solo mcB 1 0 && pass new_device_mirrors ||
	fail new_device_mirrors "A: $(link_of mcA); B: $(link_of mcB)"

# ---- a peer that closes its side is lost at once ----
l0=$(link_field mcA losses)
assert_ok remove_b dmsetup remove mcB
# B says BYE: A reconnects at once, counts no loss and takes nothing over
wait_peer mcA connecting 5 && pass closed_peer_bye || fail closed_peer_bye "$(link_of mcA)"
assert_eq "$(link_field mcA losses)" "$l0" bye_no_loss
dmesg | grep -q "ctrl0: the peer ctrl1 closed the connection (BYE)" && pass bye_logged ||
	fail bye_logged "$(dmesg | tail -2)"

# ---- a peer with another array is refused ----
assert_ok create_b_other mk mcB "$(tbl 64 32 6 "$B_OPTS")"
i=0; while [ "$(link_field mcA refusals)" = 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(link_field mcA refusals)" != 0 ] && pass other_sizes_refused || fail other_sizes_refused "$(link_of mcA)"
dmesg | grep -q "refused peer ctrl1: the peer's table has other cache sizes" &&
	pass refusal_logged || fail refusal_logged
assert_eq "$(link_field mcA peer)" connecting still_unconnected
assert_ok remove_b_other dmsetup remove mcB
# Another LU order is another array too.
assert_ok create_b_luns mk mcB "0 $((2 * S)) mirrorcache 64 64 2 /dev/ram0 1 /dev/ram1 0 6 $B_OPTS"
r=$(link_field mcA refusals)
i=0; while [ "$(link_field mcA refusals)" = "$r" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(link_field mcA refusals)" != "$r" ] && pass other_owners_refused || fail other_owners_refused "$(link_of mcA)"
assert_ok remove_b_luns dmsetup remove mcB

# ---- controller 1 first, controller 0 later ----
assert_ok remove_a dmsetup remove mcA
n_alone=$(dmesg | grep -c "ctrl1: no peer host within")
assert_ok create_b_first mk mcB "$(tbl 64 64 6 "$B_OPTS")"
sleep 2
assert_eq "$(link_field mcB peer)" connecting b_waits
assert_ok create_a_later mk mcA "$(tbl 64 64 6 "$A_OPTS")"
wait_peer mcA connected && wait_peer mcB connected && pass b_finds_a ||
	fail b_finds_a "A: $(link_of mcA); B: $(link_of mcB)"
sleep 4	# past B's wait_peer_ms: it ended with A's HELLO, not alone
assert_eq "$(dmesg | grep -c "ctrl1: no peer host within")" "$n_alone" b_wait_ended_by_hello

# ---- fencing resource: a lost peer's LUs wait for peer_fenced ----
SA=$(sysfs_dm mcA)/mirrorcache SB=$(sysfs_dm mcB)/mirrorcache
wait_solo mcA 0 0 && wait_solo mcB 1 0 && pass fenced_mirroring ||
	fail fenced_mirroring "A: $(link_of mcA); B: $(link_of mcB)"
dd if=/dev/urandom of=/tmp/d4 bs=4096 count=4 2>/dev/null
assert_ok b_dirty_write dd if=/tmp/d4 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 32)) oflag=direct
assert_eq "$(cat $SB/ctrl1/dirty_pages) $(cat $SA/ctrl0/mirror_valid)" "4 4" b_copies_in_a
dd if=/dev/ram1 of=/tmp/r4 bs=4096 skip=32 count=4 iflag=direct 2>/dev/null
[ "$(md5sum < /tmp/r4)" != "$(md5sum < /tmp/d4)" ] && pass b_pages_not_on_lu ||
	fail b_pages_not_on_lu "B destaged them"
assert_fail fenced_refused_connected dmsetup message mcA 0 peer_fenced
echo 2 > $KNOB	# B goes silent: A loses it
wait_peer mcA lost 10 && pass fenced_peer_lost || fail fenced_peer_lost "$(link_of mcA)"
i=0; while ! dmesg | grep -q "wait for 'peer_fenced'" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
dmesg | grep -q "ctrl0: the peer host is lost: its 1 LUs wait for 'peer_fenced'" &&
	pass fenced_waits_logged || fail fenced_waits_logged "$(dmesg | tail -3)"
assert_fail fenced_lu_unserved dd if=/dev/mapper/mcA of=/dev/null bs=4096 skip=$((S / 8 + 32)) count=1 iflag=direct
assert_eq "$(cat $SA/ctrl0/mirror_valid)" 4 fenced_copies_kept
assert_ok peer_fenced dmsetup message mcA 0 peer_fenced
dmesg | grep -q "ctrl1: the peer host is lost (peer_fenced): ctrl0 relinked 4 mirror pages (0 invalid, 0 superseded), took over 1 LUs" &&
	pass fenced_relinked || fail fenced_relinked "$(dmesg | grep 'peer host is lost' | tail -1)"
dd if=/dev/mapper/mcA of=/tmp/r4 bs=4096 skip=$((S / 8 + 32)) count=4 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r4)" "$(md5sum < /tmp/d4)" fenced_data_served
assert_fail fenced_twice dmsetup message mcA 0 peer_fenced
assert_ok fenced_flush dmsetup message mcA 0 flush
dd if=/dev/ram1 of=/tmp/r4 bs=4096 skip=32 count=4 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r4)" "$(md5sum < /tmp/d4)" fenced_data_on_lu
echo 0 > $KNOB
assert_ok remove_both dmsetup remove mcA mcB

# ---- fencing resource, B restarts before peer_fenced: A keeps B's copies
# and holds LU1 (B refuses it); peer_fenced relinks them, A destages and
# hands LU1 back ----
pair_up create_a_rs create_b_rs rs_mirroring 6
b_dirty4 rs_b_write rs_copies_in_a /tmp/d6 64
echo 2 > $KNOB
wait_peer mcA lost 10 && pass rs_lost || fail rs_lost "$(link_of mcA)"
assert_ok rs_remove_b dmsetup remove mcB
echo 0 > $KNOB
assert_ok rs_create_b mk mcB "$(tbl 64 64 6 "$B_OPTS")"
SB=$(sysfs_dm mcB)/mirrorcache
i=0; while [ "$(link_field mcB peer_held)" != 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(link_field mcB peer_held)" 2 rs_b_sees_lu1_held
dmesg | grep -q "ctrl0: the peer host restarted (generation .*): its LUs and its copies here wait for 'peer_fenced'" &&
	pass rs_restart_waits || fail rs_restart_waits "$(dmesg | tail -2)"
assert_fail rs_b_refuses_lu1 dd if=/dev/mapper/mcB of=/dev/null bs=4096 skip=$((S / 8 + 64)) count=1 iflag=direct
n_rel=$(log_count "ctrl1: the peer host is lost (peer_fenced): ctrl0 relinked 4 mirror pages")
assert_ok rs_peer_fenced dmsetup message mcA 0 peer_fenced
wait_log "ctrl1: the peer host is lost (peer_fenced): ctrl0 relinked 4 mirror pages" $n_rel &&
	pass rs_relinked || fail rs_relinked "$(dmesg | grep 'peer host is lost' | tail -1)"
i=0; while [ "$(cat $SB/lun1/owner)" != 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(cat $SB/lun1/owner) $(link_field mcB peer_held)" "1 0" rs_handed_back
dd if=/dev/mapper/mcB of=/tmp/r6 bs=4096 skip=$((S / 8 + 64)) count=4 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r6)" "$(md5sum < /tmp/d6)" rs_b_serves_data
assert_ok rs_remove dmsetup remove mcA mcB

# ---- a partition under load (fencing resource): both links go silent
# (inject_link_silent 3: no heartbeat, no connection either way; a flap of
# the veth end is no test here: rxe of this kernel then connected no more
# in one kernel, see two-hosts.rst); both keep serving their own LUs (written through), neither serves the
# other's, each keeps the other's copies; the link heals: the same
# generations, the copies dropped, both join again, nothing taken over;
# fio verifies on both ----
t0=$(log_count "took over")
n_back0=$(log_count "ctrl0: the peer host is back (same generation")
n_back1=$(log_count "ctrl1: the peer host is back (same generation")
pair_up create_a_part create_b_part part_mirroring 6
pfio() {	# pfio <dev> <offset>: random writes, verified, for a while
	fio --name=p$1 --filename=/dev/mapper/$1 --rw=randwrite --bs=4k \
		--size=1M --offset=$2 --direct=1 --ioengine=libaio --iodepth=4 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --loops=6 \
		--output=/tmp/p$1.log > /dev/null 2>&1
}
pfio mcA 1M & pa=$!
pfio mcB $((S * 512 + 1048576)) & pb=$!
sleep 2
echo 3 > $KNOB
wait_peer mcA lost 15 && wait_peer mcB lost 15 && pass part_both_lost ||
	fail part_both_lost "A: $(link_of mcA); B: $(link_of mcB)"
assert_fail part_a_refuses_lu1 dd if=/dev/mapper/mcA of=/dev/null bs=4096 skip=$((S / 8 + 256)) count=1 iflag=direct
assert_fail part_b_refuses_lu0 dd if=/dev/mapper/mcB of=/dev/null bs=4096 skip=256 count=1 iflag=direct
assert_eq "$(solo_of mcA 0) $(solo_of mcB 1)" "1 1" part_both_solo
assert_eq "$(link_field mcA held) $(link_field mcB held)" "2 1" part_each_keeps_copies
sleep 2	# both keep writing their own LUs alone
echo 0 > $KNOB
wait $pa && pass part_fio_a || fail part_fio_a "$(grep -iE 'err|verify' /tmp/pmcA.log | head -3)"
wait $pb && pass part_fio_b || fail part_fio_b "$(grep -iE 'err|verify' /tmp/pmcB.log | head -3)"
wait_solo mcA 0 0 300 && wait_solo mcB 1 0 300 && pass part_healed ||
	fail part_healed "A: $(link_of mcA); B: $(link_of mcB)"
wait_log "ctrl0: the peer host is back (same generation" $n_back0 &&
	wait_log "ctrl1: the peer host is back (same generation" $n_back1 &&
	pass part_copies_dropped || fail part_copies_dropped "$(dmesg | grep 'is back' | tail -2)"
assert_eq "$(link_field mcA held) $(link_field mcB held)" "0 0" part_nothing_held
assert_eq "$(dmesg | grep -c "took over")" "$t0" part_nothing_taken_over
assert_ok remove_part dmsetup remove mcA mcB

held_of() { cat $(sysfs_dm $1)/mirrorcache/held_writes; }
wait_held() {	# wait_held <dev>: until a write's end is held there
	i=0
	while [ "$(held_of $1)" = 0 ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(held_of $1)" != 0 ]
}

# a_keeps_d7 <prefix> <block>: after the relink A serves /tmp/d7 at
# <block> of LU1, and its flush puts it on the LU
a_keeps_d7() {
	dd if=/dev/mapper/mcA of=/tmp/r7 bs=4096 skip=$((S / 8 + $2)) count=4 iflag=direct 2>/dev/null
	assert_eq "$(md5sum < /tmp/r7)" "$(md5sum < /tmp/d7)" $1_acked_data_served
	assert_ok $1_flush dmsetup message mcA 0 flush
	dd if=/dev/ram1 of=/tmp/r7 bs=4096 skip=$2 count=4 iflag=direct 2>/dev/null
	assert_eq "$(md5sum < /tmp/r7)" "$(md5sum < /tmp/d7)" $1_acked_data_on_lu
}

# ---- fencing resource, the peer may keep copies: after the loss a write
# over a page whose older copy A keeps is held (never acknowledged while A
# could relink that copy over it); every other write completes.  B is
# fenced (suspended: the held write fails; removed); peer_fenced on A
# relinks the copies and loses nothing B acknowledged ----
pair_up create_a_rh create_b_rh rh_mirroring 6
dd if=/dev/urandom of=/tmp/d9 bs=4096 count=4 2>/dev/null
b_dirty4 rh_b_write rh_copies_in_a /tmp/d7 104
n_hold=$(log_count "writes over pages it may keep copies of wait until the link is back")
echo 3 > $KNOB
wait_peer mcA lost 15 && wait_peer mcB lost 15 && pass rh_both_lost ||
	fail rh_both_lost "A: $(link_of mcA); B: $(link_of mcB)"
dd if=/tmp/d9 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 106)) oflag=direct 2> /tmp/rhb & rhb=$!
wait_held mcB && pass rh_b_covered_write_held || fail rh_b_covered_write_held "B: $(link_of mcB)"
wait_val $SB/lost_copies 4 && pass rh_b_lost_copies || fail rh_b_lost_copies "$(cat $SB/lost_copies)"
assert_eq "$(cat $SA/lost_copies)" 0 rh_a_no_lost_copies
dd if=/dev/urandom of=/tmp/d10 bs=4096 count=2 2>/dev/null
assert_ok rh_b_other_write_completes timeout 30 dd if=/tmp/d10 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 120)) oflag=direct
assert_ok rh_a_write_completes timeout 30 dd if=/tmp/d10 of=/dev/mapper/mcA bs=4096 seek=104 oflag=direct
kill -0 $rhb 2>/dev/null && pass rh_covered_write_not_done || fail rh_covered_write_not_done "it completed"
assert_eq "$(held_of mcB) $(held_of mcA)" "1 0" rh_held_counts
wait_log "writes over pages it may keep copies of wait until the link is back" $n_hold &&
	pass rh_hold_logged || fail rh_hold_logged "$(dmesg | tail -2)"
dmesg | grep -q "ctrl1: the lost peer host may keep copies of 4 pages of ours" &&
	pass rh_copies_logged || fail rh_copies_logged "$(dmesg | tail -3)"
mirrorcache-status mcB | grep -q "^  the lost peer host may keep copies of 4 pages of ours" &&
	mirrorcache-status mcB | grep -q "^  1 writes held since the peer host was lost (fencing resource)" &&
	pass rh_status_tool || fail rh_status_tool "$(mirrorcache-status mcB | grep -A4 '^Link')"
assert_ok rh_b_fenced dmsetup suspend mcB
wait $rhb && fail rh_b_write_failed "acknowledged" || pass rh_b_write_failed
assert_ok rh_b_removed dmsetup remove mcB
n_rel=$(log_count "ctrl1: the peer host is lost (peer_fenced): ctrl0 relinked 4 mirror pages")
assert_ok rh_peer_fenced dmsetup message mcA 0 peer_fenced
wait_log "ctrl1: the peer host is lost (peer_fenced): ctrl0 relinked 4 mirror pages" $n_rel &&
	pass rh_relinked || fail rh_relinked "$(dmesg | grep 'peer host is lost' | tail -1)"
dd if=/dev/mapper/mcA of=/tmp/r10 bs=4096 skip=$((S / 8 + 120)) count=2 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r10)" "$(md5sum < /tmp/d10)" rh_other_write_served
a_keeps_d7 rh 104
echo 0 > $KNOB
assert_ok rh_remove dmsetup remove mcA

# ---- fencing resource, B reloads its table during the loss: A may keep
# copies of the old table's pages, which the new table does not know, so
# until its first join every write's end is held (a write the old table
# made elsewhere completed); the heal ends the hold ----
pair_up create_a_rl create_b_rl rl_mirroring 6
b_dirty4 rl_b_write rl_copies_in_a /tmp/d7 136
echo 3 > $KNOB
wait_peer mcA lost 15 && wait_peer mcB lost 15 && pass rl_both_lost ||
	fail rl_both_lost "A: $(link_of mcA); B: $(link_of mcB)"
dd if=/dev/urandom of=/tmp/d11 bs=4096 count=2 2>/dev/null
assert_ok rl_old_table_write_completes timeout 30 dd if=/tmp/d11 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 150)) oflag=direct
assert_ok rl_b_load dmsetup load mcB --table "$(dmsetup table mcB)"
assert_ok rl_b_suspend dmsetup suspend mcB
assert_ok rl_b_resume dmsetup resume mcB
SB=$(sysfs_dm mcB)/mirrorcache
dd if=/dev/ram1 of=/tmp/r7 bs=4096 skip=136 count=4 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r7)" "$(md5sum < /tmp/d7)" rl_old_pages_destaged
dd if=/tmp/d11 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 160)) oflag=direct 2> /tmp/rlb & rlb=$!
wait_held mcB && pass rl_new_table_write_held || fail rl_new_table_write_held "B: $(link_of mcB)"
sleep 1	# time enough for the keys of a joined table (rh_*)
kill -0 $rlb 2>/dev/null && pass rl_write_still_held || fail rl_write_still_held "it completed"
assert_eq "$(held_of mcB)" 1 rl_held_count
echo 0 > $KNOB
wait $rlb && pass rl_heal_completes_it || fail rl_heal_completes_it "$(cat /tmp/rlb)"
wait_solo mcA 0 0 300 && wait_solo mcB 1 0 300 && pass rl_healed ||
	fail rl_healed "A: $(link_of mcA); B: $(link_of mcB)"
assert_eq "$(held_of mcB)" 0 rl_nothing_held
dd if=/dev/mapper/mcB of=/tmp/r11 bs=4096 skip=$((S / 8 + 160)) count=2 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r11)" "$(md5sum < /tmp/d11)" rl_b_serves_data
assert_ok rl_remove dmsetup remove mcA mcB

# ---- fencing resource-and-stonith: from the loss on no write completes
# (its end is held) until the link is back or peer_fenced; a suspend fails
# them.  B's later write to a block whose older copy A keeps is never
# acknowledged, so A's relink loses nothing B acknowledged ----
pair_up create_a_ss create_b_ss ss_mirroring 8 "fencing resource-and-stonith"
dmsetup table mcA | grep -q " fencing resource-and-stonith heartbeat_ms " &&
	pass ss_table_canonical || fail ss_table_canonical "$(dmsetup table mcA)"
assert_eq "$(held_of mcA) $(held_of mcB)" "0 0" ss_nothing_held
b_dirty4 ss_b_write ss_copies_in_a /tmp/d7 80
n_hold=$(log_count "no write completes until the link is back or 'peer_fenced'")
echo 3 > $KNOB
wait_peer mcA lost 15 && wait_peer mcB lost 15 && pass ss_both_lost ||
	fail ss_both_lost "A: $(link_of mcA); B: $(link_of mcB)"
dd if=/dev/urandom of=/tmp/d9 bs=4096 count=4 2>/dev/null
dd if=/tmp/d9 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 80)) oflag=direct 2> /tmp/ssb & ssb=$!
dd if=/tmp/d8 of=/dev/mapper/mcA bs=4096 seek=96 count=1 oflag=direct 2> /tmp/ssa & ssa=$!
wait_held mcB && pass ss_b_write_held || fail ss_b_write_held "B: $(link_of mcB)"
wait_held mcA && pass ss_a_write_held || fail ss_a_write_held "A: $(link_of mcA)"
mirrorcache-status mcB | grep -q "^  1 writes held since the peer host was lost" &&
	pass ss_status_tool_held || fail ss_status_tool_held "$(mirrorcache-status mcB | grep -A3 '^Link')"
kill -0 $ssb 2>/dev/null && kill -0 $ssa 2>/dev/null && pass ss_writes_not_done ||
	fail ss_writes_not_done "a held write completed"
wait_log "no write completes until the link is back or 'peer_fenced'" $n_hold &&
	pass ss_hold_logged || fail ss_hold_logged "$(dmesg | tail -2)"
dd if=/dev/mapper/mcB of=/dev/null bs=4096 skip=$((S / 8 + 80)) count=1 iflag=direct 2>/dev/null &&
	pass ss_b_reads || fail ss_b_reads
# B is fenced (suspended: the held write fails; then removed), then A is
# told
assert_ok ss_b_fenced dmsetup suspend mcB
wait $ssb && fail ss_b_write_failed "acknowledged" || pass ss_b_write_failed
assert_ok ss_b_removed dmsetup remove mcB
dmesg | grep -q "ctrl1: 1 writes held since the peer host was lost fail" &&
	pass ss_b_fail_logged || fail ss_b_fail_logged "$(dmesg | tail -2)"
n_rel=$(log_count "ctrl1: the peer host is lost (peer_fenced): ctrl0 relinked 4 mirror pages")
assert_ok ss_peer_fenced dmsetup message mcA 0 peer_fenced
wait_log "ctrl1: the peer host is lost (peer_fenced): ctrl0 relinked 4 mirror pages" $n_rel &&
	pass ss_relinked || fail ss_relinked "$(dmesg | grep 'peer host is lost' | tail -1)"
wait $ssa && pass ss_a_write_completes || fail ss_a_write_completes "$(cat /tmp/ssa)"
dmesg | grep -q "ctrl0: 1 held writes complete: the peer host is fenced" &&
	pass ss_release_logged || fail ss_release_logged "$(dmesg | tail -2)"
assert_eq "$(held_of mcA)" 0 ss_a_nothing_held
a_keeps_d7 ss 80
echo 0 > $KNOB
assert_ok ss_remove dmsetup remove mcA
# The link heals instead: the held writes complete, nothing is taken over.
t0=$(log_count "took over")
pair_up create_a_sh create_b_sh sh_mirroring 8 "fencing resource-and-stonith"
b_dirty4 sh_b_write sh_copies_in_a /tmp/d7 88
echo 3 > $KNOB
wait_peer mcB lost 15 && pass sh_lost || fail sh_lost "B: $(link_of mcB)"
dd if=/tmp/d9 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 88)) oflag=direct 2> /tmp/ssb & ssb=$!
wait_held mcB && pass sh_b_write_held || fail sh_b_write_held "B: $(link_of mcB)"
echo 0 > $KNOB
wait $ssb && pass sh_write_completes || fail sh_write_completes "$(cat /tmp/ssb)"
assert_eq "$(held_of mcB)" 0 sh_nothing_held
wait_solo mcA 0 0 300 && wait_solo mcB 1 0 300 && pass sh_healed ||
	fail sh_healed "A: $(link_of mcA); B: $(link_of mcB)"
dd if=/dev/mapper/mcB of=/tmp/r9 bs=4096 skip=$((S / 8 + 88)) count=4 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r9)" "$(md5sum < /tmp/d9)" sh_new_data
assert_fail sh_fenced_refused dmsetup message mcA 0 peer_fenced
assert_eq "$(dmesg | grep -c "took over")" "$t0" sh_nothing_taken_over
assert_ok sh_remove dmsetup remove mcA mcB

# B restarts instead (a new generation: its memory with A's copies is
# gone): A's held write completes; B's copies on A still wait for
# peer_fenced.
pair_up create_a_sr create_b_sr sr_mirroring 8 "fencing resource-and-stonith"
b_dirty4 sr_b_write sr_copies_in_a /tmp/d7 96
assert_ok sr_a_dirty dd if=/tmp/d8 of=/dev/mapper/mcA bs=4096 seek=104 count=2 oflag=direct
echo 3 > $KNOB
wait_peer mcA lost 15 && pass sr_lost || fail sr_lost "A: $(link_of mcA)"
dd if=/tmp/d8 of=/dev/mapper/mcA bs=4096 seek=104 count=1 oflag=direct 2> /tmp/ssa & ssa=$!
wait_held mcA && pass sr_a_write_held || fail sr_a_write_held "A: $(link_of mcA)"
assert_ok sr_remove_b dmsetup remove mcB
n_rs=$(log_count "ctrl0: 1 held writes complete: the peer host restarted")
echo 0 > $KNOB
assert_ok sr_create_b mk mcB "$(tbl 64 64 8 "$B_OPTS fencing resource-and-stonith")"
wait $ssa && pass sr_a_write_completes || fail sr_a_write_completes "$(cat /tmp/ssa)"
wait_log "ctrl0: 1 held writes complete: the peer host restarted" $n_rs &&
	pass sr_release_logged || fail sr_release_logged "$(dmesg | tail -2)"
assert_eq "$(held_of mcA) $(link_field mcA held)" "0 2" sr_copies_still_kept
n_rel=$(log_count "ctrl1: the peer host is lost (peer_fenced): ctrl0 relinked 4 mirror pages")
assert_ok sr_peer_fenced dmsetup message mcA 0 peer_fenced
wait_log "ctrl1: the peer host is lost (peer_fenced): ctrl0 relinked 4 mirror pages" $n_rel &&
	pass sr_relinked || fail sr_relinked "$(dmesg | grep 'peer host is lost' | tail -1)"
assert_ok sr_remove dmsetup remove mcA mcB

# ---- fencing none: the survivor takes the lost peer's LUs at once ----
pair_up create_a_none create_b_none none_mirroring 8 "fencing none"
b_dirty4 none_b_write none_copies_in_a /tmp/d4 40
echo 2 > $KNOB
i=0; while ! dmesg | grep -q "(fencing none): ctrl0 relinked" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
dmesg | grep -q "ctrl1: the peer host is lost (fencing none): ctrl0 relinked 4 mirror pages (0 invalid, 0 superseded), took over 1 LUs" &&
	pass none_taken_over || fail none_taken_over "$(dmesg | grep 'peer host is lost' | tail -1)"
dd if=/dev/mapper/mcA of=/tmp/r4 bs=4096 skip=$((S / 8 + 40)) count=4 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r4)" "$(md5sum < /tmp/d4)" none_data_served
assert_ok none_own_write dd if=/tmp/d8 of=/dev/mapper/mcA bs=4096 seek=64 oflag=direct
assert_ok none_flush dmsetup message mcA 0 flush
dd if=/dev/ram1 of=/tmp/r4 bs=4096 skip=40 count=4 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r4)" "$(md5sum < /tmp/d4)" none_data_on_lu

# ---- rejoin: B restarts empty, A hands LU1 back by destage ----
# B is gone for good (removed while silent, a new table is a new
# generation).  While A is suspended it cannot hand back: A's HELLO says
# it holds LU1, and the new B refuses LU1; A resumed destages and hands it
# back (HANDBACK), B serves it and both mirror again.
dd if=/dev/urandom of=/tmp/d5 bs=4096 count=4 2>/dev/null
assert_ok none_a_writes_lu1 dd if=/tmp/d5 of=/dev/mapper/mcA bs=4096 seek=$((S / 8 + 48)) oflag=direct
assert_eq "$(link_field mcA held)" 2 a_holds_lu1
assert_ok remove_b_lost dmsetup remove mcB
n_holds=$(log_count "ctrl1: LU 1: the peer host holds it: refused here until it hands it back")
n_gave=$(log_count "ctrl0: handed 1 LUs back to the peer host")
n_got=$(log_count "ctrl1: LU 1: handed back by the peer host: served here")
assert_ok suspend_a dmsetup suspend mcA
echo 0 > $KNOB
assert_ok create_b_restarted mk mcB "$(tbl 64 64 8 "$B_OPTS fencing none")"
SB=$(sysfs_dm mcB)/mirrorcache
wait_log "ctrl1: LU 1: the peer host holds it: refused here until it hands it back" $n_holds 200 &&
	pass b_sees_lu1_held || fail b_sees_lu1_held "B: $(link_of mcB)"
# (B's resume lends its memory: a BYE and a new connection, a new HELLO)
i=0; while [ "$(link_field mcB peer_held)" != 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
assert_eq "$(link_field mcB peer_held)" 2 b_peer_held
assert_fail b_refuses_held_lu dd if=/dev/mapper/mcB of=/dev/null bs=4096 skip=$((S / 8 + 48)) count=1 iflag=direct
assert_ok resume_a dmsetup resume mcA
wait_log "ctrl0: handed 1 LUs back to the peer host" $n_gave 300 &&
	pass a_handed_back || fail a_handed_back "A: $(link_of mcA)"
wait_log "ctrl1: LU 1: handed back by the peer host: served here" $n_got 100 &&
	pass b_got_lu1 || fail b_got_lu1 "B: $(link_of mcB)"
assert_eq "$(link_field mcA held) $(link_field mcB peer_held)" "0 0" nothing_held
dd if=/dev/mapper/mcB of=/tmp/r5 bs=4096 skip=$((S / 8 + 48)) count=4 iflag=direct 2>/dev/null
assert_eq "$(md5sum < /tmp/r5)" "$(md5sum < /tmp/d5)" b_serves_a_data
assert_fail a_refuses_lu1 dd if=/dev/mapper/mcA of=/dev/null bs=4096 skip=$((S / 8 + 48)) count=1 iflag=direct
wait_solo mcA 0 0 && wait_solo mcB 1 0 && pass rejoin_mirroring ||
	fail rejoin_mirroring "A: $(link_of mcA); B: $(link_of mcB)"
assert_ok rejoin_b_write dd if=/tmp/d4 of=/dev/mapper/mcB bs=4096 seek=$((S / 8 + 56)) oflag=direct
assert_eq "$(cat $SA/ctrl0/mirror_valid)" 4 rejoin_b_copies_in_a
assert_ok remove_none dmsetup remove mcA mcB
assert_ok create_single mk mcS "0 $((2 * S)) mirrorcache 64 64 2 $LUS"
assert_fail fenced_single_refused dmsetup message mcS 0 peer_fenced
assert_ok remove_single dmsetup remove mcS
assert_eq "$(mc_objects_live)" none objects_freed
/bin/rdma link delete rxe0
/bin/ip link del mcv0
finish
