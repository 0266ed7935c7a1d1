// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: the device-mapper target.
 *
 * Copyright (C) 2026 The dm-mirrorcache developers.
 *
 * One table line builds a pair of controllers that share a set of logical
 * units (LUs).  The mapped device is the LUs concatenated in table order.
 * This file holds the target's entry points; see dm-mirrorcache.h for the
 * map of the other files.
 */
#include <linux/module.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/slab.h>

#include "dm-mirrorcache.h"

static void mc_free(struct mc_target *mc)
{
	unsigned int i;

	/*
	 * Quiesce both controllers before tearing either down: the work of
	 * one (a mirror page release, a message) reaches into the other.
	 */
	for (i = 0; i < 2 * MC_NR_CTRL; i++)
		mc_ctrl_quiesce(&mc->ctrl[i % MC_NR_CTRL]);
	for (i = 0; i < MC_NR_CTRL; i++)
		mc_ctrl_exit(&mc->ctrl[i]);
	mc_fail_exit(mc);
	mempool_exit(&mc->nch_pool);
	bioset_exit(&mc->bs);
	mc_put_luns(mc);
	kfree(mc);
}

static int mc_alloc_pools(struct mc_target *mc, char **error)
{
	if (bioset_init(&mc->bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS) ||
	    mc_nch_pool_init(mc) || mc_fail_init(mc)) {
		*error = "Cannot allocate bio and copy pools";
		return -ENOMEM;
	}
	return 0;
}

/*
 * Construct a mirrorcache target; the table grammar is described in
 * mc-args.c and Documentation/mirrorcache.rst.
 */
static int mc_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct mc_target *mc;
	unsigned int i;
	int r;

	mc = kzalloc(sizeof(*mc), GFP_KERNEL);
	if (!mc) {
		ti->error = "Cannot allocate target context";
		return -ENOMEM;
	}
	mc->ti = ti;
	mutex_init(&mc->state_lock);
	INIT_LIST_HEAD(&mc->list);

	r = mc_parse_args(mc, argc, argv, &ti->error);
	if (r)
		goto bad;
	mc_ctrls_size_mirrors(mc);
	r = mc_ctrl_check_sizes(mc, &ti->error);
	if (r)
		goto bad;
	r = mc_alloc_pools(mc, &ti->error);
	if (r)
		goto bad;
	for (i = 0; i < MC_NR_CTRL; i++) {
		r = mc_ctrl_init(&mc->ctrl[i], mc, i, &ti->error);
		if (r)
			goto bad;
	}

	mc_sysfs_init(mc);
	ti->private = mc;
	ti->num_flush_bios = mc->nr_luns;
	ti->flush_supported = true;
	ti->num_discard_bios = 0;
	ti->per_io_data_size = sizeof(struct mc_io);
	return 0;
bad:
	mc_free(mc);
	return r;
}

/* Destage every dirty page of the online controllers. */
static void mc_drain(struct mc_target *mc)
{
	unsigned int i;

	for (i = 0; i < MC_NR_CTRL; i++)
		if (READ_ONCE(mc->ctrl[i].state) == MC_CTRL_ONLINE)
			mc_wb_drain(&mc->ctrl[i]);
}

static void mc_dtr(struct dm_target *ti)
{
	struct mc_target *mc = ti->private;

	mc_drain(mc);
	mc_sysfs_unregister(mc);
	mc_free(mc);
}

static int mc_map(struct dm_target *ti, struct bio *bio)
{
	return mc_io_map(ti->private, bio);
}

/*
 * Status (STATUSTYPE_INFO), fields in order:
 *
 *   <#ctrl=2>
 *   then per controller, 16 fields:
 *     <state> <cache_pages> <rw_pages> <mirror_pages>
 *     <dirty> <free> <mirror_used> <mirror_total>
 *     <read_hits> <read_misses> <write_hits> <write_misses>
 *     <destaged> <mirror_acquired> <mirror_released> <nch_copies>
 *   <#luns> then per LU: <current owner>
 *   <degraded> <failovers> <relinked> <relinked_left> <failover_stall_us>
 *   <failbacks> <failback_stall_us>
 *
 * mirror_used/mirror_total count the pages of the peer's mirror area that
 * this controller's mirror management table hands out.
 */
static unsigned int mc_emit_ctrl(struct mc_ctrl *c, char *result,
				 unsigned int maxlen, unsigned int sz)
{
	struct mc_stats *s = &c->stats;
	u32 dirty, free, used;

	spin_lock(&c->lock);
	dirty = mc_list_count(&c->lists, MC_L_DIRTY) + c->wb_inflight;
	free = mc_list_count(&c->lists, MC_L_FREE);
	spin_unlock(&c->lock);
	spin_lock(&c->mmt_lock);
	used = c->mmt.nr_pages - c->mmt.nr_free;
	spin_unlock(&c->mmt_lock);

	DMEMIT(" %s %u %u %u", mc_state_name(READ_ONCE(c->state)),
	       c->nr_pages, c->rw_pages, c->mirror_pages);
	DMEMIT(" %u %u %u %u", dirty, free, used, c->mmt.nr_pages);
	DMEMIT(" %llu %llu %llu %llu",
	       (u64)atomic64_read(&s->read_hits),
	       (u64)atomic64_read(&s->read_misses),
	       (u64)atomic64_read(&s->write_hits),
	       (u64)atomic64_read(&s->write_misses));
	DMEMIT(" %llu %llu %llu %llu",
	       (u64)atomic64_read(&s->destaged),
	       (u64)atomic64_read(&s->mirror_acquired),
	       (u64)atomic64_read(&s->mirror_released),
	       (u64)atomic64_read(&s->nch_copies));
	return sz;
}

static unsigned int mc_emit_failover(struct mc_target *mc, char *result,
				     unsigned int maxlen, unsigned int sz)
{
	unsigned int left = 0, i;
	bool degraded = false;

	for (i = 0; i < MC_NR_CTRL; i++) {
		degraded |= READ_ONCE(mc->ctrl[i].state) != MC_CTRL_ONLINE;
		left += READ_ONCE(mc->ctrl[i].relinked_left);
	}
	DMEMIT(" %u %llu %u %u %llu %llu %llu", degraded, mc->failovers,
	       mc->fo.relinked, left, mc->fo.stall_us, mc->failbacks,
	       mc->failback_stall_us);
	return sz;
}

static void mc_status(struct dm_target *ti, status_type_t type,
		      unsigned int status_flags, char *result,
		      unsigned int maxlen)
{
	struct mc_target *mc = ti->private;
	unsigned int sz = 0, i;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%u", MC_NR_CTRL);
		for (i = 0; i < MC_NR_CTRL; i++)
			sz = mc_emit_ctrl(&mc->ctrl[i], result, maxlen, sz);
		DMEMIT(" %u", mc->nr_luns);
		for (i = 0; i < mc->nr_luns; i++)
			DMEMIT(" %u", READ_ONCE(mc->luns[i].owner));
		sz = mc_emit_failover(mc, result, maxlen, sz);
		break;
	case STATUSTYPE_TABLE:
		mc_emit_table(mc, result, maxlen);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

/* "fail <n>" and "recover <n>" */
static int mc_message_ctrl(struct mc_target *mc, unsigned int argc,
			   char **argv)
{
	unsigned int id;

	if (argc != 2 || kstrtouint(argv[1], 10, &id) || id >= MC_NR_CTRL) {
		DMERR("%s: expects one argument, the controller 0 or 1", argv[0]);
		return -EINVAL;
	}
	if (!strcasecmp(argv[0], "fail"))
		return mc_fail_ctrl(mc, id);
	return mc_recover_ctrl(mc, id);
}

/*
 * Messages:
 *   flush         destage every dirty page of the online controllers now
 *   fail <n>      force controller n to fail
 *   recover <n>   restart failed controller n and fail its LUs back
 */
static int mc_message(struct dm_target *ti, unsigned int argc, char **argv,
		      char *result, unsigned int maxlen)
{
	struct mc_target *mc = ti->private;

	if (argc == 1 && !strcasecmp(argv[0], "flush")) {
		if (dm_suspended(ti))
			return -EBUSY;
		mc_drain(mc);
		return 0;
	}
	if (argc && (!strcasecmp(argv[0], "fail") ||
		     !strcasecmp(argv[0], "recover")))
		return mc_message_ctrl(mc, argc, argv);
	DMERR("unrecognised message \"%s\" (%u arguments)",
	      argc ? argv[0] : "", argc);
	return -EINVAL;
}

static int mc_iterate_devices(struct dm_target *ti,
			      iterate_devices_callout_fn fn, void *data)
{
	struct mc_target *mc = ti->private;
	unsigned int i;
	int r = 0;

	for (i = 0; i < mc->nr_luns && !r; i++)
		r = fn(ti, mc->luns[i].dev, 0, mc->luns[i].len, data);
	return r;
}

static void mc_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	limits->logical_block_size = PAGE_SIZE;
	limits->physical_block_size = PAGE_SIZE;
	blk_limits_io_min(limits, PAGE_SIZE);
}

static void mc_postsuspend(struct dm_target *ti)
{
	mc_drain(ti->private);
}

static void mc_resume(struct dm_target *ti)
{
	mc_sysfs_register(ti->private);
}

static struct target_type mc_target_type = {
	.name = "mirrorcache",
	.version = {1, 2, 0},
	.module = THIS_MODULE,
	.ctr = mc_ctr,
	.dtr = mc_dtr,
	.map = mc_map,
	.status = mc_status,
	.message = mc_message,
	.iterate_devices = mc_iterate_devices,
	.io_hints = mc_io_hints,
	.postsuspend = mc_postsuspend,
	.resume = mc_resume,
};

static int __init dm_mirrorcache_init(void)
{
	int r = dm_register_target(&mc_target_type);

	if (r < 0)
		DMERR("register failed %d", r);
	return r;
}

static void __exit dm_mirrorcache_exit(void)
{
	dm_unregister_target(&mc_target_type);
}

module_init(dm_mirrorcache_init);
module_exit(dm_mirrorcache_exit);

MODULE_DESCRIPTION(DM_NAME " mirrored write-back cache of a dual-controller array");
MODULE_AUTHOR("The dm-mirrorcache developers");
MODULE_LICENSE("GPL");
