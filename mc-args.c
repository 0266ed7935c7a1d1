// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: table line parsing and canonical table printing.
 *
 * Table line (after <start> <length> mirrorcache):
 *
 *   <cache_pages_0> <cache_pages_1> <#luns> <lun_dev> <owner> [<lun_dev> <owner>]...
 *   [<#opt_args> <opt_arg>...]
 *
 * Optional arguments, each a keyword followed by one value:
 *
 *   mirror_ratio <1..90>                        default 30
 *   mirror_alloc <table|message>                default table
 *   copy_engine <auto|cpu|dma>                  default auto
 *   flush_mode <destage|mirror>                 default destage
 *   degraded_writes <writethrough|writeback>    default writethrough
 *
 * Two-host tables (issue 23, Documentation/two-hosts.rst) add:
 *
 *   local <0|1>                                 this host's controller
 *   addr rdma:<ipv4>:<port>                     this host's RDMA CM address
 *        rdma:[<ipv6>[%<interface>]]:<port>     (an IPv6 link-local
 *                                               address needs its interface)
 *   peer rdma:<ipv4>:<port>                     the peer host's, the same way
 *   fencing <resource|resource-and-stonith|none> default resource
 *   heartbeat_ms <50..10000>                    default 250
 *   wait_peer_ms <0..3600000>                   default 5000
 *
 * local, addr and peer come together; fencing, heartbeat_ms and
 * wait_peer_ms need them.
 *
 * Every helper names its failure in *error, so a bad line tells the user
 * exactly what is wrong; the caller unwinds what was taken.
 */
#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/inet.h>
#include <linux/netdevice.h>
#include <linux/slab.h>

#include "dm-mirrorcache.h"

static const char * const mc_alloc_names[] = { "table", "message" };
static const char * const mc_engine_names[] = { "auto", "cpu", "dma" };
static const char * const mc_flush_names[] = { "destage", "mirror" };
static const char * const mc_degraded_names[] = { "writethrough", "writeback" };
static const char * const mc_fencing_names[] = {
	"resource", "none", "resource-and-stonith"
};

/* Parse a decimal unsigned int; rejects signs, junk and overflow. */
static int mc_parse_uint(const char *s, unsigned int *v)
{
	if (!s || !*s || *s == '+' || *s == '-')
		return -EINVAL;
	return kstrtouint(s, 10, v);
}

/* Index of @s in @names, or -EINVAL. */
static int mc_parse_keyword(const char *s, const char * const *names,
			    unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -EINVAL;
}

static int mc_parse_cache_pages(struct dm_arg_set *as, unsigned int *pages,
				char **error)
{
	const char *s = dm_shift_arg(as);

	if (!s) {
		*error = "Missing cache size";
		return -EINVAL;
	}
	if (mc_parse_uint(s, pages)) {
		*error = "Invalid cache size: not a decimal number of pages";
		return -EINVAL;
	}
	if (*pages < MC_MIN_CACHE_PAGES || *pages > MC_MAX_CACHE_PAGES) {
		*error = "Invalid cache size: must be 16..16777216 pages";
		return -EINVAL;
	}
	return 0;
}

static bool mc_lun_is_duplicate(struct mc_target *mc, unsigned int n,
				struct dm_dev *dev)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (mc->luns[i].dev->bdev->bd_dev == dev->bdev->bd_dev)
			return true;
	return false;
}

/* Take LU @n: "<lun_dev> <owner>". */
static int mc_parse_lun(struct mc_target *mc, struct dm_arg_set *as,
			unsigned int n, sector_t start, char **error)
{
	struct dm_target *ti = mc->ti;
	struct mc_lun *lun = &mc->luns[n];
	const char *path = dm_shift_arg(as);
	const char *owner = dm_shift_arg(as);
	struct dm_dev *dev;
	int r;

	if (mc_parse_uint(owner, &lun->default_owner) ||
	    lun->default_owner >= MC_NR_CTRL) {
		*error = "Invalid LU owner: must be 0 or 1";
		return -EINVAL;
	}
	r = dm_get_device(ti, path, dm_table_get_mode(ti->table), &dev);
	if (r) {
		*error = "Cannot open LU device";
		return r;
	}
	if (mc_lun_is_duplicate(mc, n, dev)) {
		dm_put_device(ti, dev);
		*error = "The same LU device is listed twice";
		return -EINVAL;
	}
	if (bdev_logical_block_size(dev->bdev) > PAGE_SIZE) {
		dm_put_device(ti, dev);
		*error = "LU logical block size is larger than 4096";
		return -EINVAL;
	}
	lun->len = round_down(bdev_nr_sectors(dev->bdev), MC_PAGE_SECTORS);
	if (!lun->len) {
		dm_put_device(ti, dev);
		*error = "LU device is smaller than 4 KiB";
		return -EINVAL;
	}
	lun->id = n;
	lun->mc = mc;
	lun->dev = dev;
	lun->start = start;
	lun->owner = lun->default_owner;
	lun->return_to = MC_NO_CTRL;
	mc->nr_luns = n + 1;
	return 0;
}

static int mc_parse_luns(struct mc_target *mc, struct dm_arg_set *as,
			 char **error)
{
	static const struct dm_arg nr_luns_arg = {
		1, MC_MAX_LUNS, "Invalid #luns: must be 1..64"
	};
	unsigned int nr, i;
	sector_t start = 0;
	int r;

	r = dm_read_arg(&nr_luns_arg, as, &nr, error);
	if (r)
		return r;
	if (as->argc < 2 * nr) {
		*error = "Not enough arguments for #luns: each LU needs <lun_dev> <owner>";
		return -EINVAL;
	}
	mc->luns = kcalloc(nr, sizeof(*mc->luns), GFP_KERNEL);
	if (!mc->luns) {
		*error = "Cannot allocate LU table";
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		r = mc_parse_lun(mc, as, i, start, error);
		if (r)
			return r;
		start += mc->luns[i].len;
	}
	if (start != mc->ti->len) {
		DMERR("target length %llu does not match the LUs: expected %llu sectors",
		      (unsigned long long)mc->ti->len, (unsigned long long)start);
		*error = "Target length must equal the sum of the LU sizes (expected length logged)";
		return -EINVAL;
	}
	return 0;
}

enum { MC_OPT_RATIO, MC_OPT_ALLOC, MC_OPT_ENGINE, MC_OPT_FLUSH,
       MC_OPT_DEGRADED, MC_OPT_LOCAL, MC_OPT_ADDR, MC_OPT_PEER,
       MC_OPT_FENCING, MC_OPT_HEARTBEAT, MC_OPT_WAIT_PEER, MC_NR_OPTS };

static const char * const mc_opt_names[MC_NR_OPTS] = {
	"mirror_ratio", "mirror_alloc", "copy_engine", "flush_mode",
	"degraded_writes", "local", "addr", "peer", "fencing", "heartbeat_ms",
	"wait_peer_ms",
};

#define MC_TWO_HOST_OPTS	(BIT(MC_OPT_LOCAL) | BIT(MC_OPT_ADDR) | \
				 BIT(MC_OPT_PEER))

/*
 * Dotted-quad IPv4 address at @s, ending at ':' (here, not in the
 * networking code: a kernel without INET still parses table lines).
 */
static const char *mc_parse_ipv4(const char *s, u8 *addr)
{
	unsigned int i, v, digits;

	for (i = 0; i < 4; i++) {
		for (v = 0, digits = 0; isdigit(*s) && digits < 3; s++, digits++)
			v = v * 10 + (*s - '0');
		if (!digits || v > 255 || *s != (i < 3 ? '.' : ':'))
			return NULL;
		addr[i] = v;
		s++;
	}
	return s;	/* after the ':' */
}

/* ":<port>" at @s, 1..65535, and nothing after it. */
static int mc_parse_port(const char *s, __be16 *port)
{
	unsigned int v;

	if (*s != ':' || mc_parse_uint(s + 1, &v) || !v || v > 65535)
		return -EINVAL;
	*port = htons(v);
	return 0;
}

#if IS_ENABLED(CONFIG_IPV6)
/*
 * The scope of an IPv6 address, "<interface>" (its name or index) at @s
 * up to @end: the interface's index in @scope.
 */
static int mc_parse_scope(const char *s, const char *end, u32 *scope)
{
	char name[IFNAMSIZ];
	struct net_device *dev;

	if (end - s < 1 || end - s >= IFNAMSIZ)
		return -EINVAL;
	memcpy(name, s, end - s);
	name[end - s] = '\0';
	if (!kstrtou32(name, 10, scope))
		return *scope ? 0 : -EINVAL;
	dev = dev_get_by_name(&init_net, name);
	if (!dev)
		return -ENODEV;
	*scope = dev->ifindex;
	dev_put(dev);
	return 0;
}

/*
 * "[<ipv6>[%<interface>]]:<port>" at @s.  A link-local address (fe80::/10)
 * needs its interface: the same address may be on every link.
 */
static int mc_parse_ipv6(const char *s, struct sockaddr_in6 *sin6)
{
	const char *close = strchr(s, ']');
	const char *end;
	u8 *a = sin6->sin6_addr.s6_addr;

	if (*s++ != '[' || !close || !in6_pton(s, close - s, a, '%', &end))
		return -EINVAL;
	if (end != close &&
	    (*end != '%' || mc_parse_scope(end + 1, close, &sin6->sin6_scope_id)))
		return -EINVAL;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80 && !sin6->sin6_scope_id)
		return -EINVAL;
	sin6->sin6_family = AF_INET6;
	return mc_parse_port(close + 1, &sin6->sin6_port);
}
#else
static int mc_parse_ipv6(const char *s, struct sockaddr_in6 *sin6)
{
	return -EINVAL;		/* a kernel without IPv6 */
}
#endif

/*
 * "rdma:<ipv4>:<port>" or "rdma:[<ipv6>[%<interface>]]:<port>", port
 * 1..65535, into @ss (zeroed first: link configurations are compared
 * whole).
 */
static int mc_parse_rdma_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	if (!s || strncmp(s, "rdma:", 5))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	s += 5;
	if (*s == '[')
		return mc_parse_ipv6(s, (struct sockaddr_in6 *)ss);
	s = mc_parse_ipv4(s, (u8 *)&sin->sin_addr.s_addr);
	if (!s)
		return -EINVAL;
	sin->sin_family = AF_INET;
	return mc_parse_port(s - 1, &sin->sin_port);
}

/* Print an address as the table line takes it back. */
static unsigned int mc_emit_rdma_addr(char *result, unsigned int maxlen,
				      unsigned int sz,
				      const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET)
		DMEMIT("rdma:%pI4:%u", &sin->sin_addr, ntohs(sin->sin_port));
	else if (sin6->sin6_scope_id)
		DMEMIT("rdma:[%pI6c%%%u]:%u", &sin6->sin6_addr,
		       sin6->sin6_scope_id, ntohs(sin6->sin6_port));
	else
		DMEMIT("rdma:[%pI6c]:%u", &sin6->sin6_addr,
		       ntohs(sin6->sin6_port));
	return sz;
}

/* The two-host options (MC_OPT_LOCAL and after). */
static int mc_parse_link_option(struct mc_link_cfg *l, int opt,
				const char *val, char **error)
{
	unsigned int v;
	int r;

	switch (opt) {
	case MC_OPT_LOCAL:
		if (mc_parse_uint(val, &v) || v >= MC_NR_CTRL) {
			*error = "Invalid local: must be 0 or 1";
			return -EINVAL;
		}
		l->local = v;
		return 0;
	case MC_OPT_ADDR:
	case MC_OPT_PEER:
		if (mc_parse_rdma_addr(val, opt == MC_OPT_ADDR ? &l->addr : &l->peer)) {
			*error = opt == MC_OPT_ADDR ?
				"Invalid addr: must be rdma:<ipv4>:<port 1..65535> or rdma:[<ipv6>%<interface>]:<port> (IPv6 link-local with its interface)" :
				"Invalid peer: must be rdma:<ipv4>:<port 1..65535> or rdma:[<ipv6>%<interface>]:<port> (IPv6 link-local with its interface)";
			return -EINVAL;
		}
		return 0;
	case MC_OPT_FENCING:
		r = mc_parse_keyword(val, mc_fencing_names,
				     ARRAY_SIZE(mc_fencing_names));
		if (r < 0) {
			*error = "Invalid fencing: must be resource, resource-and-stonith or none";
			return r;
		}
		l->fencing = r;
		return 0;
	case MC_OPT_WAIT_PEER:
		if (mc_parse_uint(val, &l->wait_peer_ms) ||
		    l->wait_peer_ms > MC_MAX_WAIT_PEER_MS) {
			*error = "Invalid wait_peer_ms: must be 0..3600000";
			return -EINVAL;
		}
		return 0;
	default:
		if (mc_parse_uint(val, &l->heartbeat_ms) ||
		    l->heartbeat_ms < 50 || l->heartbeat_ms > 10000) {
			*error = "Invalid heartbeat_ms: must be 50..10000";
			return -EINVAL;
		}
		return 0;
	}
}

/* Two-host options come as a set; see the grammar above. */
static int mc_check_link_options(struct mc_options *o, unsigned int seen,
				 char **error)
{
	struct mc_link_cfg *l = &o->link;
	unsigned int two = seen & MC_TWO_HOST_OPTS;

	if (!two) {
		if (seen & (BIT(MC_OPT_FENCING) | BIT(MC_OPT_HEARTBEAT) |
			    BIT(MC_OPT_WAIT_PEER))) {
			*error = "fencing, heartbeat_ms and wait_peer_ms need local, addr and peer";
			return -EINVAL;
		}
		return 0;
	}
	if (two != MC_TWO_HOST_OPTS) {
		*error = "A two-host table needs local, addr and peer together";
		return -EINVAL;
	}
	if (!memcmp(&l->addr, &l->peer, sizeof(l->addr))) {
		*error = "addr and peer must differ";
		return -EINVAL;
	}
	if (l->addr.ss_family != l->peer.ss_family) {
		*error = "addr and peer must both be IPv4 or both IPv6";
		return -EINVAL;
	}
	if (o->mirror_alloc == MC_ALLOC_MESSAGE || o->copy_engine == MC_COPY_DMA) {
		*error = "A two-host table copies by RDMA: mirror_alloc must be table, copy_engine cpu or auto";
		return -EINVAL;
	}
	return 0;
}

/* Parse the value @val of optional argument number @opt into @o. */
static int mc_parse_option(struct mc_options *o, int opt, const char *val,
			   char **error)
{
	int r;

	switch (opt) {
	case MC_OPT_RATIO:
		if (mc_parse_uint(val, &o->mirror_ratio) ||
		    o->mirror_ratio < 1 || o->mirror_ratio > 90) {
			*error = "Invalid mirror_ratio: must be 1..90";
			return -EINVAL;
		}
		return 0;
	case MC_OPT_ALLOC:
		r = mc_parse_keyword(val, mc_alloc_names, ARRAY_SIZE(mc_alloc_names));
		*error = "Invalid mirror_alloc: must be table or message";
		o->mirror_alloc = r;
		break;
	case MC_OPT_ENGINE:
		r = mc_parse_keyword(val, mc_engine_names, ARRAY_SIZE(mc_engine_names));
		*error = "Invalid copy_engine: must be auto, cpu or dma";
		o->copy_engine = r;
		break;
	case MC_OPT_FLUSH:
		r = mc_parse_keyword(val, mc_flush_names, ARRAY_SIZE(mc_flush_names));
		*error = "Invalid flush_mode: must be destage or mirror";
		o->flush_mode = r;
		break;
	case MC_OPT_DEGRADED:
		r = mc_parse_keyword(val, mc_degraded_names,
				     ARRAY_SIZE(mc_degraded_names));
		*error = "Invalid degraded_writes: must be writethrough or writeback";
		o->degraded_writes = r;
		break;
	default:
		return mc_parse_link_option(&o->link, opt, val, error);
	}
	if (r < 0)
		return r;
	*error = NULL;
	return 0;
}

static int mc_parse_options(struct mc_options *o, struct dm_arg_set *as,
			    char **error)
{
	static const struct dm_arg nr_opts_arg = {
		0, 2 * MC_NR_OPTS,
		"Invalid number of optional arguments: must be 0..22"
	};
	unsigned int nr, seen = 0;
	int opt, r;

	o->mirror_ratio = MC_DEF_MIRROR_RATIO;
	o->mirror_alloc = MC_ALLOC_TABLE;
	o->copy_engine = MC_COPY_CPU;	/* a system DMA channel on request only */
	o->flush_mode = MC_FLUSH_DESTAGE;
	o->degraded_writes = MC_DEGRADED_WRITETHROUGH;
	memset(&o->link, 0, sizeof(o->link));
	o->link.local = MC_NO_LOCAL;
	o->link.fencing = MC_FENCING_RESOURCE;
	o->link.heartbeat_ms = MC_DEF_HEARTBEAT_MS;
	o->link.wait_peer_ms = MC_DEF_WAIT_PEER_MS;
	if (!as->argc)
		return 0;

	r = dm_read_arg_group(&nr_opts_arg, as, &nr, error);
	if (r)
		return r;
	for (; nr; nr -= 2) {
		opt = mc_parse_keyword(dm_shift_arg(as), mc_opt_names, MC_NR_OPTS);
		if (opt < 0) {
			*error = "Unrecognised optional argument";
			return -EINVAL;
		}
		if (nr < 2) {
			*error = "Missing value for optional argument";
			return -EINVAL;
		}
		if (seen & BIT(opt)) {
			*error = "Optional argument given twice";
			return -EINVAL;
		}
		seen |= BIT(opt);
		r = mc_parse_option(o, opt, dm_shift_arg(as), error);
		if (r)
			return r;
	}
	return mc_check_link_options(o, seen, error);
}

/**
 * mc_parse_args - parse the whole table line into @mc
 * @mc: the target; mc->ti must be set
 * @argc: argument count
 * @argv: arguments after the target name
 * @error: set to a static message naming the failure
 *
 * On failure, LU devices already taken stay recorded in @mc, and the caller
 * releases them with mc_put_luns().
 *
 * Return: 0 or a negative errno.
 */
static int mc_parse_args(struct mc_target *mc, unsigned int argc, char **argv,
		  char **error)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	unsigned int pages0, pages1;
	int r;

	r = mc_parse_cache_pages(&as, &pages0, error);
	if (r)
		return r;
	r = mc_parse_cache_pages(&as, &pages1, error);
	if (r)
		return r;
	mc->ctrl[0].nr_pages = pages0;
	mc->ctrl[1].nr_pages = pages1;

	r = mc_parse_luns(mc, &as, error);
	if (r)
		return r;
	r = mc_parse_options(&mc->opts, &as, error);
	if (r) {
		mc->opts.link.local = MC_NO_LOCAL;	/* nothing is remote */
		return r;
	}
	if (as.argc) {
		*error = "Too many arguments";
		return -EINVAL;
	}
	return 0;
}

/* Release every LU device taken by mc_parse_args(). */
static void mc_put_luns(struct mc_target *mc)
{
	unsigned int i;

	for (i = 0; i < mc->nr_luns; i++)
		dm_put_device(mc->ti, mc->luns[i].dev);
	mc->nr_luns = 0;
	kfree(mc->luns);
	mc->luns = NULL;
}

/*
 * Print the canonical table line: every optional argument is spelled out,
 * so a reload of this output yields the same device.
 */
static unsigned int mc_emit_table(struct mc_target *mc, char *result,
			   unsigned int maxlen)
{
	const struct mc_options *o = &mc->opts;
	unsigned int sz = 0, i;

	DMEMIT("%u %u %u", mc->ctrl[0].nr_pages, mc->ctrl[1].nr_pages,
	       mc->nr_luns);
	for (i = 0; i < mc->nr_luns; i++)
		DMEMIT(" %s %u", mc->luns[i].dev->name,
		       mc->luns[i].default_owner);
	DMEMIT(" %u mirror_ratio %u mirror_alloc %s copy_engine %s flush_mode %s degraded_writes %s",
	       o->link.local == MC_NO_LOCAL ? 10 : 22,
	       o->mirror_ratio, mc_alloc_names[o->mirror_alloc],
	       mc_engine_names[o->copy_engine], mc_flush_names[o->flush_mode],
	       mc_degraded_names[o->degraded_writes]);
	if (o->link.local != MC_NO_LOCAL) {
		DMEMIT(" local %d addr ", o->link.local);
		sz = mc_emit_rdma_addr(result, maxlen, sz, &o->link.addr);
		DMEMIT(" peer ");
		sz = mc_emit_rdma_addr(result, maxlen, sz, &o->link.peer);
		DMEMIT(" fencing %s heartbeat_ms %u wait_peer_ms %u",
		       mc_fencing_names[o->link.fencing], o->link.heartbeat_ms,
		       o->link.wait_peer_ms);
	}
	return sz;
}
