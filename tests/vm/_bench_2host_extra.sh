# Sourced by tests/vm/_bench_2host_a.sh and _bench_2host_b.sh (benchmark,
# not a test): what scripts/bench-2host.sh put in /extra made usable,
# perftest's RDMA provider and DRBD 8.4 (the kernel's drbd.ko, drbd-utils)
# with resource r0 on a 16 MiB RAM disk of each host, protocol C, over
# the guests' TCP link.  perftest needs ib_uverbs and rdma_ucm as well.
#   extra_setup <a|b>: hostname, libibverbs' rxe provider, DRBD's helpers
#     and modules, /etc/drbd.conf, the RAM disk; drbdadm up r0
extra_setup() {
	hostname $1
	mkdir -p /usr/lib/x86_64-linux-gnu/libibverbs /etc/libibverbs.d \
		/lib/drbd /var/lib/drbd /var/run/drbd /run/drbd /var/lock
	cp /extra/librxe-rdmav*.so /usr/lib/x86_64-linux-gnu/libibverbs/
	echo "driver rxe" > /etc/libibverbs.d/rxe.driver
	for h in drbdadm-84 drbdsetup-84; do ln -sf /bin/$h /lib/drbd/$h; done
	load_mod crc32c_generic
	for m in ib_uverbs rdma_ucm libcrc32c lru_cache drbd; do
		insmod /extra/$m.ko 2>/dev/null
	done
	brd_setup 1 16384
	cat > /etc/drbd.conf <<CONF
resource r0 {
	protocol C;
	device /dev/drbd0;
	disk /dev/ram0;
	meta-disk internal;
	on a { address 169.254.20.1:7789; }
	on b { address 169.254.20.2:7789; }
}
CONF
	yes yes | drbdadm create-md --force r0 > /tmp/drbd-md.log 2>&1
	drbdadm up r0 > /tmp/drbd-up.log 2>&1
}
