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

/* The LU that holds mapped-device sector @sector (relative to the target). */
static struct mc_lun *mc_lun_of(struct mc_target *mc, sector_t sector)
{
	unsigned int lo = 0, hi = mc->nr_luns - 1, mid;

	while (lo < hi) {
		mid = (lo + hi + 1) / 2;
		if (mc->luns[mid].start <= sector)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &mc->luns[lo];
}

static void mc_free(struct mc_target *mc)
{
	unsigned int i;

	for (i = 0; i < MC_NR_CTRL; i++)
		mc_ctrl_exit(&mc->ctrl[i]);
	mc_put_luns(mc);
	kfree(mc);
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
	return 0;
bad:
	mc_free(mc);
	return r;
}

static void mc_dtr(struct dm_target *ti)
{
	struct mc_target *mc = ti->private;

	mc_sysfs_unregister(mc);
	mc_free(mc);
}

/* Pass @bio through to its LU, splitting it at the LU's end. */
static int mc_map(struct dm_target *ti, struct bio *bio)
{
	struct mc_target *mc = ti->private;
	struct mc_lun *lun;
	sector_t sector, left;

	if (unlikely(op_is_flush(bio->bi_opf) && !bio_sectors(bio))) {
		lun = &mc->luns[dm_bio_get_target_bio_nr(bio)];
		bio_set_dev(bio, lun->dev->bdev);
		return DM_MAPIO_REMAPPED;
	}

	sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	lun = mc_lun_of(mc, sector);
	left = lun->start + lun->len - sector;
	if (bio_sectors(bio) > left)
		dm_accept_partial_bio(bio, left);
	bio_set_dev(bio, lun->dev->bdev);
	bio->bi_iter.bi_sector = sector - lun->start;
	return DM_MAPIO_REMAPPED;
}

/*
 * Status (STATUSTYPE_INFO), fields in order:
 *
 *   <#ctrl=2>
 *   then per controller: <state> <cache_pages> <rw_pages> <mirror_pages>
 *   <#luns> then per LU: <current owner>
 */
static void mc_status(struct dm_target *ti, status_type_t type,
		      unsigned int status_flags, char *result,
		      unsigned int maxlen)
{
	struct mc_target *mc = ti->private;
	unsigned int sz = 0, i;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%u", MC_NR_CTRL);
		for (i = 0; i < MC_NR_CTRL; i++) {
			struct mc_ctrl *c = &mc->ctrl[i];

			DMEMIT(" %s %u %u %u", mc_state_name(READ_ONCE(c->state)),
			       c->nr_pages, c->nr_pages - c->mirror_pages,
			       c->mirror_pages);
		}
		DMEMIT(" %u", mc->nr_luns);
		for (i = 0; i < mc->nr_luns; i++)
			DMEMIT(" %u", READ_ONCE(mc->luns[i].owner));
		break;
	case STATUSTYPE_TABLE:
		mc_emit_table(mc, result, maxlen);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int mc_message(struct dm_target *ti, unsigned int argc, char **argv,
		      char *result, unsigned int maxlen)
{
	DMERR("unrecognised message \"%s\"", argc ? argv[0] : "");
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

static void mc_resume(struct dm_target *ti)
{
	mc_sysfs_register(ti->private);
}

static struct target_type mc_target_type = {
	.name = "mirrorcache",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = mc_ctr,
	.dtr = mc_dtr,
	.map = mc_map,
	.status = mc_status,
	.message = mc_message,
	.iterate_devices = mc_iterate_devices,
	.io_hints = mc_io_hints,
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
