// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: I/O to the logical units and their error state.
 *
 * Every bio the module sends to an LU (a fill, a destage, the write-through
 * of a FUA write) starts with a struct mc_lbio in the bio set's front pad:
 * the controller that issued it and, where a mapped bio waits for it, that
 * bio's state.  Completions are queued on the controller's done list and
 * handled on its work queue, never in interrupt context.
 *
 * A destage that fails puts its pages on the controller's held list: they
 * stay dirty (and mirrored) in the cache, readable, and are not retried at
 * once.  The LU enters the error state: the error is logged once, shown in
 * status and sysfs, new writes to the LU fail at once, flushes and FUA
 * writes that need its held pages fail.  The held pages are retried
 * automatically with a backoff of 1, 2, 4, ... MC_RETRY_MAX_S seconds, or
 * at once by the "retry" message (the retry work is write-back's,
 * mc-wb.c); the first destage that succeeds again ends the error state.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>

#include "dm-mirrorcache.h"

static void mc_lu_endio(struct bio *bio);

#define MC_RETRY_MIN	HZ
#define MC_RETRY_MAX_S	30

/**
 * mc_lu_bio_alloc - allocate a bio to LU @lun on behalf of @c
 * @c: the issuing controller
 * @lun: the LU
 * @nr_vecs: pages the bio will carry
 * @opf: operation and flags
 * @io: the mapped bio that waits for this one, or NULL
 *
 * Return: the bio; it completes through the controller's done list.
 */
static struct bio *mc_lu_bio_alloc(struct mc_ctrl *c, struct mc_lun *lun,
			    unsigned int nr_vecs, blk_opf_t opf,
			    struct mc_io *io)
{
	struct bio *bio = bio_alloc_bioset(lun->dev->bdev, nr_vecs, opf,
					   GFP_NOIO, &c->mc->bs);
	struct mc_lbio *lb = container_of(bio, struct mc_lbio, bio);

	lb->c = c;
	lb->io = io;
	bio->bi_end_io = mc_lu_endio;
	atomic_inc(&mc_live.lu_bios);
	atomic_inc(&c->lu_inflight);
	return bio;
}

/* Free a bio of mc_lu_bio_alloc(); its completion has been handled. */
static void mc_lu_bio_put(struct bio *bio)
{
	atomic_dec(&mc_live.lu_bios);
	bio_put(bio);
}

/* Completion of an LU bio, in any context: hand it to the work queue. */
static void mc_lu_endio(struct bio *bio)
{
	struct mc_ctrl *c = mc_lbio_of(bio)->c;
	unsigned long flags;

	/*
	 * Everything under done_lock: once lu_inflight is zero, a waiter that
	 * takes done_lock once (mc_ctrl_quiesce) knows this function no
	 * longer touches @c, so the controller may be freed.
	 */
	spin_lock_irqsave(&c->done_lock, flags);
	bio_list_add(&c->done, bio);
	queue_work(c->wq, &c->io_work);
	if (atomic_dec_and_test(&c->lu_inflight))
		wake_up_all(&c->wb_wait);
	spin_unlock_irqrestore(&c->done_lock, flags);
}

/**
 * mc_lu_write_error - a destage to @lun failed
 * @c: the controller whose pages are now held
 * @lun: the LU
 * @err: the block status
 * @pages: pages that were held
 *
 * Logs the first error of an episode and schedules the automatic retry.
 */
static void mc_lu_write_error(struct mc_ctrl *c, struct mc_lun *lun,
		       blk_status_t err, u32 pages)
{
	int e = blk_status_to_errno(err);
	unsigned long delay;

	atomic64_inc(&lun->write_errors);
	if (!xchg(&lun->error, e))
		DMERR("LU %u (%s): write-back failed (%d): dirty pages stay in the cache, retrying; 'retry' message to retry now",
		      lun->id, lun->dev->name, e);
	spin_lock(&c->lock);
	delay = c->retry_delay;
	c->retry_delay = min_t(unsigned long, max(delay * 2, MC_RETRY_MIN),
			       MC_RETRY_MAX_S * HZ);
	if (!c->wb_quiet)	/* else resume arms it (mc_wb_quiet()) */
		mod_delayed_work(c->wq, &c->retry_work,
				 max(delay, MC_RETRY_MIN));
	spin_unlock(&c->lock);
}

/**
 * mc_lu_write_ok - a destage to @lun succeeded: end its error state
 * @c: the controller
 * @lun: the LU
 */
static void mc_lu_write_ok(struct mc_ctrl *c, struct mc_lun *lun)
{
	if (likely(!READ_ONCE(lun->error)))
		return;
	if (xchg(&lun->error, 0)) {
		DMINFO("LU %u (%s): write-back works again", lun->id,
		       lun->dev->name);
		spin_lock(&c->lock);
		if (!c->wb_quiet)
			mod_delayed_work(c->wq, &c->retry_work, 0);
		spin_unlock(&c->lock);
	}
}

/**
 * mc_lu_retry - move every held page of @c back to the dirty list
 * @c: the controller
 * @reset: also restart the backoff (the "retry" message)
 *
 * Return: the number of pages that will be destaged again.
 */
static u32 mc_lu_retry(struct mc_ctrl *c, bool reset)
{
	u32 n = 0, p;

	spin_lock(&c->lock);
	if (mc_state_up(c->state) && !c->wb_quiet) {
		while ((p = mc_list_pop_head(&c->lists, MC_L_HELD)) !=
		       MC_LIST_NIL) {
			mc_list_add_tail(&c->lists, MC_L_DIRTY, p);
			n++;
		}
		c->wb_retry += n;	/* destage them whatever the watermarks */
	}
	if (reset)
		c->retry_delay = 0;
	spin_unlock(&c->lock);
	return n;
}

/* Stop the automatic retry; the work queue is still alive. */
static void mc_lu_exit(struct mc_ctrl *c)
{
	if (c->wq)
		cancel_delayed_work_sync(&c->retry_work);
}

/**
 * mc_lun_set_owner - hand LU @lun to controller @to
 * @lun: the LU
 * @to: its new owner
 *
 * The configuration information of seed 004 (Figs. 2, 5, 9): an LU that
 * leaves its home records the controller it returns to; an LU that comes
 * back to it is home again.  Called under mc_target->state_lock with I/O
 * held (a takeover's switch, a failover, a failback).
 */
static void mc_lun_set_owner(struct mc_lun *lun, unsigned int to)
{
	unsigned int from = lun->owner;

	if (from == to)
		return;
	lockdep_assert_held(&lun->mc->state_lock);
	if (lun->return_to == MC_NO_CTRL) {
		lun->return_to = from;
		lun->away_method = MC_MOVE_DESTAGE;	/* a takeover sets its own */
	}
	else if (lun->return_to == to)
		lun->return_to = MC_NO_CTRL;
	WRITE_ONCE(lun->owner, to);
}
