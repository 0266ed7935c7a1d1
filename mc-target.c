// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: the device-mapper target.
 *
 * Copyright (C) 2026 The dm-mirrorcache developers.
 *
 * One table line builds a pair of controllers that share a set of logical
 * units (LUs).  The mapped device is the LUs concatenated in table order.
 * This file holds the target type and its entry points; dm-mirrorcache.c,
 * which includes it, registers the type and maps the other files.
 */
#include <linux/module.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/slab.h>

#include "dm-mirrorcache.h"

/*
 * The work items of each layer of a controller, set up before anything can
 * fail, so that a partial construction tears down like a whole one.
 */
static void mc_ctrl_init_works(struct mc_ctrl *c)
{
	mc_io_init_work(c);
	mc_wb_init_work(c);
	mc_fail_init_work(c);
}

/* Bring up controller @id: its memory and tables, then its node channel. */
static int mc_ctrl_setup(struct mc_target *mc, unsigned int id, char **error)
{
	int r = mc_ctrl_init(&mc->ctrl[id], mc, id, error);

	return r ? r : mc_nch_init(&mc->ctrl[id], error);
}

/* Wait until nothing of @c runs or is queued, from the top layer down. */
static void mc_ctrl_quiesce_all(struct mc_ctrl *c)
{
	mc_ctrl_quiesce(c);
	mc_nch_quiesce(c);
}

static void mc_free(struct mc_target *mc)
{
	unsigned int i;

	if (mc->link) {
		mc_host_stop(mc);	/* no chain reaches our memory */
		mc_link_put(mc->link);	/* touches no controller */
	}

	if (mc->array)
		mc_array_unpublish(mc->array, mc);	/* no port reaches @mc */
	mc_ctrl_ops_wait(mc);	/* a failure or recovery asked for */
	flush_work(&mc->fence_work);	/* a failover's end */
	for (i = 0; i < MC_NR_CTRL; i++)
		mc_wb_quiet(&mc->ctrl[i], true);	/* no retry from here */
	/*
	 * Quiesce both controllers before tearing either down: the work of
	 * one (a mirror page release, a message) reaches into the other.
	 */
	for (i = 0; i < 2 * MC_NR_CTRL; i++)
		mc_ctrl_quiesce_all(&mc->ctrl[i % MC_NR_CTRL]);
	for (i = 0; i < MC_NR_CTRL; i++) {
		if (i)
			mc_inject(teardown_delay_ms);
		mc_nch_exit(&mc->ctrl[i]);
		mc_ctrl_exit(&mc->ctrl[i]);
	}
	mc_io_gate_exit(mc);
	if (mc->array)
		mc_array_put(mc->array);
	mempool_exit(&mc->nch_pool);
	bioset_exit(&mc->bs);
	mc_put_luns(mc);
	kfree(mc);
	atomic_dec(&mc_live.targets);
}

/*
 * The bio set serves fills, destages and the write-through of writes, and
 * the last two are allocated inside .map too (a FUA write in flush_mode
 * destage, every write while degraded): there a bio waiting on
 * current->bio_list may hold what the mempool waits for, so the set has a
 * rescuer that submits such bios when an allocation would block.
 */
static int mc_alloc_pools(struct mc_target *mc, char **error)
{
	if (bioset_init(&mc->bs, BIO_POOL_SIZE, offsetof(struct mc_lbio, bio),
			BIOSET_NEED_BVECS | BIOSET_NEED_RESCUER) ||
	    mc_nch_pool_init(mc) || mc_io_gate_init(mc)) {
		*error = "Cannot allocate bio and copy pools";
		return -ENOMEM;
	}
	return 0;
}

/* Dirty pages @c holds because their LU refused them (0 unless up). */
static u32 mc_ctrl_held(struct mc_ctrl *c)
{
	u32 n = 0;

	spin_lock(&c->lock);
	if (mc_state_up(c->state))
		n = mc_list_count(&c->lists, MC_L_HELD);
	spin_unlock(&c->lock);
	return n;
}

/*
 * A new table of a device whose live table holds pages its LUs refused
 * would drop them: the old table's destructor cannot write them anywhere.
 * Refuse it until they are written ('retry') or the device is removed.
 */
static int mc_check_live(struct mc_target *mc, char **error)
{
	struct mc_target *live;
	u32 held = 0, i;

	rcu_read_lock();
	live = rcu_dereference(mc->array->live);
	for (i = 0; live && i < MC_NR_CTRL; i++)
		held += mc_ctrl_held(&live->ctrl[i]);
	rcu_read_unlock();
	if (!held)
		return 0;
	DMERR("the live table holds %u dirty pages its LUs refused; a new table would drop them: 'retry' once the LUs work, then load it",
	      held);
	*error = "The live table holds dirty pages its LUs refused";
	return -EBUSY;
}

/*
 * A two-host table: this host's controller and the link to the peer host,
 * with the HELLO that announces this table's array (mc-link.c).
 */
static int mc_two_host_start(struct mc_target *mc, char **error)
{
	struct mc_link_hello h = {
		.ctrl = mc->opts.link.local,
		.nr_luns = mc->nr_luns,
		.mirror_ratio = mc->opts.mirror_ratio,
		.lun_hash = mc->nr_luns,
		.generation = get_random_u64(),
	};
	struct mc_link *link;
	unsigned int i;

	for (i = 0; i < MC_NR_CTRL; i++)
		h.cache_pages[i] = mc->ctrl[i].nr_pages;
	for (i = 0; i < mc->nr_luns; i++)
		h.lun_hash = mc_link_hash_lun(h.lun_hash, mc->luns[i].len,
					      mc->luns[i].default_owner);
	mc_ctrls_two_host(mc);
	link = mc_link_get(mc->array, &mc->opts.link, &h, error);
	if (IS_ERR(link))
		return PTR_ERR(link);
	mc->link = link;
	/* a reload: the device served already, its table does not wait */
	mc->wait_begun = mc_link_shared(link);
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
	atomic_inc(&mc_live.targets);
	mc->ti = ti;
	mutex_init(&mc->state_lock);
	mc_fail_init(mc);
	INIT_LIST_HEAD(&mc->list);
	for (i = 0; i < MC_NR_CTRL; i++)
		mc_ctrl_init_works(&mc->ctrl[i]);

	mc->array = mc_array_get(dm_table_get_md(ti->table));
	if (!mc->array) {
		ti->error = "Cannot allocate the array";
		r = -ENOMEM;
		goto bad;
	}
	r = mc_check_live(mc, &ti->error);
	if (r)
		goto bad;
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
		r = mc_ctrl_setup(mc, i, &ti->error);
		if (r)
			goto bad;
	}
	if (mc_two_host(mc)) {
		r = mc_two_host_start(mc, &ti->error);
		if (r)
			goto bad;
	}

	mc_move_init(mc);
	mc_sysfs_init(mc);
	ti->private = mc;
	ti->num_flush_bios = mc->nr_luns;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;	/* advertised when every LU has them */
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct mc_io);
	return 0;
bad:
	mc_free(mc);
	return r;
}

/*
 * Destage every dirty page of the online controllers.  Returns the pages
 * held because their LU failed the destage; the drain does not wait for
 * the LU to come back.
 */
static u32 mc_drain(struct mc_target *mc)
{
	unsigned int i;
	u32 held = 0;

	for (i = 0; i < MC_NR_CTRL; i++)
		if (mc_ctrl_up(&mc->ctrl[i]))
			held += mc_wb_drain(&mc->ctrl[i]);
	return held;
}

static void mc_dtr(struct dm_target *ti)
{
	struct mc_target *mc = ti->private;
	u32 held = mc_drain(mc);
	unsigned int i;

	mc_move_wait(mc);
	if (held)
		DMERR("removing the device drops %u dirty pages that could not be written to their LUs",
		      held);
	for (i = 0; i < MC_NR_CTRL && !held; i++)
		if (mc_ctrl_up(&mc->ctrl[i]))
			mc_wb_check_counts(&mc->ctrl[i]);
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
 *   <#luns> then per LU: <ok|error> <held_pages> <write_errors>
 *   <#luns> then per LU: <return_to|-> <phase> <pages_left> <takeovers>
 *     <hold_us> <duration_us>   (LU takeover, mc-move.c)
 *   two-host tables only: peer <connecting|connected|lost> <connects>
 *     <losses>   (mc-link.c)
 *
 * mirror_used/mirror_total count the pages of the peer's mirror area that
 * this controller's mirror management table hands out.
 */
static unsigned int mc_emit_ctrl(struct mc_ctrl *c, char *result,
				 unsigned int maxlen, unsigned int sz)
{
	struct mc_stats s;
	u32 dirty, free, used;

	spin_lock(&c->lock);
	if (mc_state_up(c->state)) {
		dirty = mc_list_count(&c->lists, MC_L_DIRTY) + c->wb_inflight;
		free = mc_list_count(&c->lists, MC_L_FREE);
	} else {	/* no tables (mc-fail.c): an empty cache */
		dirty = 0;
		free = c->rw_pages;
	}
	spin_unlock(&c->lock);
	used = mc_mirror_used(c);
	mc_stats_sum(c, &s);

	DMEMIT(" %s %u %u %u", mc_ctrl_state_name(c),
	       c->nr_pages, c->rw_pages, c->mirror_pages);
	DMEMIT(" %u %u %u %u", dirty, free, used, mc_mirror_total(c));
	DMEMIT(" %llu %llu %llu %llu", s.read_hits, s.read_misses,
	       s.write_hits, s.write_misses);
	DMEMIT(" %llu %llu %llu %llu", s.destaged, s.mirror_acquired,
	       s.mirror_released, s.nch_copies);
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

/* Held pages of LU @lun on both controllers. */
static u32 mc_lun_held(struct mc_target *mc, unsigned int lun)
{
	u32 held = 0, i;

	for (i = 0; i < MC_NR_CTRL; i++)
		held += mc_held_pages(&mc->ctrl[i], lun);
	return held;
}

static unsigned int mc_emit_lu_errors(struct mc_target *mc, char *result,
				      unsigned int maxlen, unsigned int sz)
{
	struct mc_lun *lun;
	unsigned int i;

	DMEMIT(" %u", mc->nr_luns);
	for (i = 0; i < mc->nr_luns; i++) {
		lun = &mc->luns[i];
		DMEMIT(" %s %u %llu", READ_ONCE(lun->error) ? "error" : "ok",
		       mc_lun_held(mc, i),
		       (u64)atomic64_read(&lun->write_errors));
	}
	return sz;
}

static unsigned int mc_emit_lu_moves(struct mc_target *mc, char *result,
				     unsigned int maxlen, unsigned int sz)
{
	struct mc_lun *lun;
	unsigned int i;
	int to;

	DMEMIT(" %u", mc->nr_luns);
	for (i = 0; i < mc->nr_luns; i++) {
		lun = &mc->luns[i];
		to = READ_ONCE(lun->return_to);
		if (to == MC_NO_CTRL)
			DMEMIT(" -");
		else
			DMEMIT(" %d", to);
		DMEMIT(" %s %u %llu %llu %llu", mc_move_phase_name(lun),
		       mc_move_left(lun), lun->takeovers, lun->move_hold_us,
		       lun->move_total_us);
	}
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
		sz = mc_emit_lu_errors(mc, result, maxlen, sz);
		sz = mc_emit_lu_moves(mc, result, maxlen, sz);
		if (mc->link)
			sz = mc_link_emit(mc->link, result, maxlen, sz);
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
 * "flush": destage every dirty page, then flush the LUs' own volatile
 * caches.  Under state_lock: no failover, recovery or takeover switch
 * runs meanwhile, so every page acknowledged before the message is on a
 * LU's stable media when it returns 0.
 */
static int mc_message_flush(struct mc_target *mc)
{
	unsigned int i;
	int r = 0;

	mutex_lock(&mc->state_lock);
	if (mc->suspended || dm_suspended(mc->ti)) {
		DMERR("flush: the device is suspended");
		r = -EBUSY;
		goto out;
	}
	if (mc_drain(mc)) {
		r = -EIO;	/* pages an LU refused; logged per LU */
		goto out;
	}
	for (i = 0; i < mc->nr_luns; i++) {
		int e = blkdev_issue_flush(mc->luns[i].dev->bdev);

		if (e && e != -EOPNOTSUPP) {
			DMERR("flush: LU %u (%s) failed its cache flush: %d", i,
			      mc->luns[i].dev->name, e);
			r = r ?: e;
		}
	}
out:
	mutex_unlock(&mc->state_lock);
	return r;
}

/* "retry": destage the held pages of both controllers again now. */
static int mc_message_retry(struct mc_target *mc)
{
	unsigned int i;

	if (dm_suspended(mc->ti)) {
		DMERR("retry: the device is suspended");
		return -EBUSY;
	}
	for (i = 0; i < MC_NR_CTRL; i++)
		if (mc_lu_retry(&mc->ctrl[i], true))
			mc_wb_start(&mc->ctrl[i]);
	return 0;
}

/* "takeover <lun> <ctrl> [destage|instant]" */
static int mc_message_takeover(struct mc_target *mc, unsigned int argc,
			       char **argv)
{
	unsigned int id, to;
	int method;

	if (argc < 3 || argc > 4) {
		DMERR("takeover: expects <lun> <ctrl> [destage|instant]");
		return -EINVAL;
	}
	method = mc_move_method_of(argc == 4 ? argv[3] : NULL, MC_MOVE_DESTAGE);
	if (kstrtouint(argv[1], 10, &id) || kstrtouint(argv[2], 10, &to) ||
	    method < 0) {
		DMERR("takeover: bad arguments \"%s %s%s%s\": expects <lun> <ctrl> [destage|instant]",
		      argv[1], argv[2], argc == 4 ? " " : "",
		      argc == 4 ? argv[3] : "");
		return -EINVAL;
	}
	return mc_takeover(mc, id, to, method);
}

/* "return <lun>|all [destage|instant]" */
static int mc_message_return(struct mc_target *mc, unsigned int argc,
			     char **argv)
{
	unsigned int id = 0;
	int method;

	if (argc < 2 || argc > 3) {
		DMERR("return: expects <lun>|all [destage|instant]");
		return -EINVAL;
	}
	method = mc_move_method_of(argc == 3 ? argv[2] : NULL, -1);
	if ((strcasecmp(argv[1], "all") && kstrtouint(argv[1], 10, &id)) ||
	    id > INT_MAX || (argc == 3 && method < 0)) {
		DMERR("return: bad arguments: expects <lun>|all [destage|instant]");
		return -EINVAL;
	}
	return mc_return(mc, strcasecmp(argv[1], "all") ? (int)id : -1, method);
}

/*
 * Messages:
 *   flush         destage every dirty page of the online controllers now;
 *                 fails with -EIO when an LU keeps pages it cannot take
 *   retry         destage the pages held after LU write errors again now
 *   fail <n>      force controller n to fail
 *   recover <n>   restart failed controller n and fail its LUs back
 *   takeover <lun> <ctrl> [destage|instant]
 *                 move an LU to the other controller (mc-move.c)
 *   return <lun>|all [destage|instant]
 *                 move it back to the controller it returns to
 *   peer_fenced   two hosts, fencing resource or resource-and-stonith: the
 *                 lost peer host is down, take its LUs over (and complete
 *                 the writes resource-and-stonith held)
 */
static int mc_message(struct dm_target *ti, unsigned int argc, char **argv,
		      char *result, unsigned int maxlen)
{
	struct mc_target *mc = ti->private;

	if (argc == 1 && !strcasecmp(argv[0], "flush"))
		return mc_message_flush(mc);
	if (argc == 1 && !strcasecmp(argv[0], "retry"))
		return mc_message_retry(mc);
	if (argc && (!strcasecmp(argv[0], "fail") ||
		     !strcasecmp(argv[0], "recover")))
		return mc_message_ctrl(mc, argc, argv);
	if (argc && !strcasecmp(argv[0], "takeover"))
		return mc_message_takeover(mc, argc, argv);
	if (argc && !strcasecmp(argv[0], "return"))
		return mc_message_return(mc, argc, argv);
	if (argc == 1 && !strcasecmp(argv[0], "peer_fenced"))
		return mc_peer_fenced(mc);
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
	mc_limits_io_min(limits, PAGE_SIZE);
	/* Discards are split in whole pages, as .map requires. */
	limits->discard_granularity = max_t(unsigned int, PAGE_SIZE,
					    limits->discard_granularity);
	limits->max_discard_sectors = round_down(limits->max_discard_sectors,
						 MC_PAGE_SECTORS);
	limits->max_hw_discard_sectors =
		round_down(limits->max_hw_discard_sectors, MC_PAGE_SECTORS);
	limits->max_write_zeroes_sectors =
		round_down(limits->max_write_zeroes_sectors, MC_PAGE_SECTORS);
}

/*
 * Suspend and fail/recover exclude each other: presuspend waits for a
 * failover or recovery in progress (state_lock) and from then on both are
 * refused until resume, so the drain of postsuspend and the destructor
 * never race a controller state change.
 */
static void mc_set_suspended(struct mc_target *mc, bool suspended)
{
	mutex_lock(&mc->state_lock);
	mc->suspended = suspended;
	mutex_unlock(&mc->state_lock);
}

/* From here on fail and recover are refused; those already asked for end. */
static void mc_presuspend(struct dm_target *ti)
{
	struct mc_target *mc = ti->private;
	unsigned int i, n;

	mc_set_suspended(mc, true);
	n = mc_io_ack_release(mc, BLK_STS_IOERR);	/* nothing is held now */
	if (n)
		DMWARN("ctrl%d: %u writes held since the peer host was lost fail: the device suspends before the link is back or 'peer_fenced'",
		       mc->opts.link.local, n);
	for (i = 0; i < MC_NR_CTRL; i++)
		wake_up_all(&mc->ctrl[i].wb_wait);	/* a recovery's destage */
	mc_ctrl_ops_wait(mc);
}

static void mc_presuspend_undo(struct dm_target *ti)
{
	mc_set_suspended(ti->private, false);
}

/* A port's read sent straight to an LU of @mc completed. */
static void mc_port_read_done(struct mc_target *mc)
{
	if (atomic_dec_and_test(&mc->port_reads))
		wake_up_all(&mc->idle_wait);
}

/*
 * A suspended device does no I/O below it, its ports' included: from
 * presuspend on no port sends a read to an LU (mcp_map_live() checks
 * mc->suspended under rcu_read_lock()); wait for those already sent, so
 * that no LU a reload replaces is read after its table let it go.
 */
static void mc_port_reads_wait(struct mc_target *mc)
{
	synchronize_rcu();
	wait_event(mc->idle_wait, !atomic_read(&mc->port_reads));
}

static void mc_postsuspend(struct dm_target *ti)
{
	struct mc_target *mc = ti->private;
	unsigned int i;
	u32 held;

	mc_port_reads_wait(mc);
	held = mc_drain(mc);

	for (i = 0; i < MC_NR_CTRL; i++)
		mc_wb_quiet(&mc->ctrl[i], true);	/* no LU I/O from here */
	if (held)
		DMWARN("suspended with %u dirty pages its LUs refused; they stay in the cache",
		       held);
}

static void mc_resume(struct dm_target *ti)
{
	struct mc_target *mc = ti->private;
	unsigned int i;

	for (i = 0; i < MC_NR_CTRL; i++)
		mc_wb_quiet(&mc->ctrl[i], false);
	mc_set_suspended(mc, false);
	mc_sysfs_register(mc);
	mc_array_publish(mc->array, mc);
	if (mc->link)
		mc_host_resume(mc);
}

static struct target_type mc_target_type = {
	.name = "mirrorcache",
	.version = {1, 7, 0},
	.features = DM_TARGET_SINGLETON,	/* one array per mapped device */
	.module = THIS_MODULE,
	.ctr = mc_ctr,
	.dtr = mc_dtr,
	.map = mc_map,
	.status = mc_status,
	.message = mc_message,
	.iterate_devices = mc_iterate_devices,
	.io_hints = mc_io_hints,
	.presuspend = mc_presuspend,
	.presuspend_undo = mc_presuspend_undo,
	.postsuspend = mc_postsuspend,
	.resume = mc_resume,
};
