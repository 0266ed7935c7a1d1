// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: write-back (destage) and flush.
 *
 * Each controller destages its dirty pages on its own work queue (claims 3
 * and 11).  Write-back starts when the dirty pages exceed wb_high and runs
 * until they are down to wb_low; it also runs whenever a bio is parked for
 * want of pages, a flush waits, or a drain (suspend, the flush message) is
 * asked for.  A batch takes the oldest dirty pages, sorts them by LU and
 * page index and merges neighbours into one bio.
 *
 * When a page's destage completes and no write touched the page meanwhile,
 * the controller writes the free pattern into the peer's CBE of the mirror
 * page, returns the mirror page to its mirror management table and clears
 * the page's mirror state; the page becomes clean.  A write that arrived
 * during the destage changed the page's sequence number, so the page stays
 * dirty and keeps its mirror page: nothing is lost.
 */
#include <linux/bio.h>
#include <linux/sort.h>

#include "dm-mirrorcache.h"

#define MC_WB_BATCH		256	/* pages per write-back round */
#define MC_WB_MAX_INFLIGHT	2048	/* pages under write-back at once */

struct mc_wb_ent {
	u64 key;
	u32 page;
};

static int mc_wb_cmp(const void *a, const void *b)
{
	const struct mc_wb_ent *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* Dirty pages, including those under write-back.  c->lock held. */
static u32 __mc_dirty_pages(struct mc_ctrl *c)
{
	return mc_list_count(&c->lists, MC_L_DIRTY) + c->wb_inflight;
}

u32 mc_dirty_pages(struct mc_ctrl *c)
{
	u32 n;

	spin_lock(&c->lock);
	n = __mc_dirty_pages(c);
	spin_unlock(&c->lock);
	return n;
}

/* Should write-back take another batch?  c->lock held. */
static bool mc_wb_needed(struct mc_ctrl *c)
{
	u32 dirty = __mc_dirty_pages(c);

	if (c->state != MC_CTRL_ONLINE)
		return false;
	if (c->solo && mc_list_count(&c->lists, MC_L_DIRTY))
		return true;	/* unprotected: destage at once */

	if (dirty > c->wb_high)
		c->wb_active = true;
	else if (dirty <= c->wb_low)
		c->wb_active = false;
	if (!mc_list_count(&c->lists, MC_L_DIRTY) ||
	    c->wb_inflight >= MC_WB_MAX_INFLIGHT)
		return false;
	return c->wb_active || c->wb_drain || !bio_list_empty(&c->parked) ||
	       !bio_list_empty(&c->flushes);
}

/*
 * Take up to MC_WB_BATCH dirty pages that no write is busy with, oldest
 * first, and mark them under write-back.  c->lock held.
 */
static u32 mc_wb_collect(struct mc_ctrl *c, struct mc_wb_ent *ents)
{
	u32 tries = mc_list_count(&c->lists, MC_L_DIRTY), n = 0, p;
	struct mc_pmeta *m;

	while (n < MC_WB_BATCH && tries--) {
		p = mc_list_pop_head(&c->lists, MC_L_DIRTY);
		m = &c->meta[p];
		if (m->busy) {
			/* Its mirror copy is in flight; take it next time. */
			mc_list_add_tail(&c->lists, MC_L_DIRTY, p);
			continue;
		}
		m->flags |= MC_PF_WB;
		m->wb_seq = m->seq;
		ents[n].key = mc_hash_key(m->lun, m->index);
		ents[n].page = p;
		n++;
	}
	c->wb_inflight += n;
	return n;
}

/* Write pages @ents[0..n) of one LU, consecutive in the LU, as one bio. */
static void mc_wb_submit(struct mc_ctrl *c, struct mc_wb_ent *ents, u32 n)
{
	struct mc_pmeta *m = &c->meta[ents[0].page];
	struct mc_lun *lun = &c->mc->luns[m->lun];
	struct bio *bio;
	u32 i;

	bio = bio_alloc_bioset(lun->dev->bdev, n, REQ_OP_WRITE, GFP_NOIO,
			       &c->mc->bs);
	bio->bi_iter.bi_sector = m->index * MC_PAGE_SECTORS;
	bio->bi_end_io = mc_io_endio;
	bio->bi_private = c;
	for (i = 0; i < n; i++)
		__bio_add_page(bio, c->pages[ents[i].page], PAGE_SIZE, 0);
	atomic_inc(&c->lu_inflight);
	submit_bio(bio);
}

/* Sort a batch and submit it as runs of neighbouring pages. */
static void mc_wb_write_batch(struct mc_ctrl *c, struct mc_wb_ent *ents, u32 n)
{
	u32 start = 0, i;

	sort(ents, n, sizeof(*ents), mc_wb_cmp, NULL);
	for (i = 1; i <= n; i++) {
		if (i < n && ents[i].key == ents[i - 1].key + 1 &&
		    i - start < BIO_MAX_VECS)
			continue;
		mc_wb_submit(c, ents + start, i - start);
		start = i;
	}
}

/**
 * mc_wb_work - destage batches while write-back is needed
 * @work: mc_ctrl->wb_work
 */
void mc_wb_work(struct work_struct *work)
{
	struct mc_ctrl *c = container_of(work, struct mc_ctrl, wb_work);
	struct mc_wb_ent *ents;
	u32 n;

	ents = kmalloc_array(MC_WB_BATCH, sizeof(*ents), GFP_NOIO);
	if (!ents) {
		queue_work(c->wq, &c->wb_work);	/* retry later */
		return;
	}
	for (;;) {
		spin_lock(&c->lock);
		n = mc_wb_needed(c) ? mc_wb_collect(c, ents) : 0;
		spin_unlock(&c->lock);
		if (!n)
			break;
		mc_wb_write_batch(c, ents, n);
	}
	kfree(ents);
	wake_up_all(&c->wb_wait);
}

/**
 * mc_wb_start - schedule write-back if it has anything to do
 * @c: the controller
 */
void mc_wb_start(struct mc_ctrl *c)
{
	bool needed;

	spin_lock(&c->lock);
	needed = mc_wb_needed(c);
	spin_unlock(&c->lock);
	if (needed)
		queue_work(c->wq, &c->wb_work);
}

/* One page's destage finished; returns its mirror page to release. */
static u32 mc_wb_page_done(struct mc_ctrl *c, u32 p, bool ok)
{
	struct mc_pmeta *m = &c->meta[p];
	u32 mirror = MC_CBE_NO_MIRROR;

	m->flags &= ~MC_PF_WB;
	c->wb_inflight--;
	if (ok && m->seq == m->wb_seq && !m->busy) {
		mirror = m->mirror;
		m->mirror = MC_CBE_NO_MIRROR;
		if (m->flags & MC_PF_RELINKED) {
			/* Claims 5, 13: the mirror area takes nothing new. */
			mc_hash_remove(&c->hash, p);
			m->flags = 0;
			m->state = MC_CBE_FREE;
			c->relinked_left--;
			return mirror;
		}
		m->state = MC_CBE_CLEAN;
		mc_list_add_tail(&c->lists, MC_L_CLEAN, p);
		return mirror;
	}
	if (ok)		/* a newer write arrived; the LU has up to wb_seq */
		m->dirty_since = m->wb_seq + 1;
	mc_list_add_tail(&c->lists, MC_L_DIRTY, p);
	return mirror;
}

/**
 * mc_wb_complete - a destage bio finished
 * @c: the controller
 * @bio: the write-back bio
 *
 * Called from the controller's work queue.  Releases the mirror pages of
 * the pages that became clean (seed 000, S44-S48).
 */
void mc_wb_complete(struct mc_ctrl *c, struct bio *bio)
{
	u32 release[BIO_MAX_VECS], nr = 0, i, m;
	bool ok = !bio->bi_status;
	struct bvec_iter_all iter;
	struct bio_vec *bv;

	if (READ_ONCE(c->state) != MC_CTRL_ONLINE) {
		bio_put(bio);	/* a failed controller's tables are dead */
		return;
	}
	spin_lock(&c->lock);
	bio_for_each_segment_all(bv, bio, iter) {
		m = mc_wb_page_done(c, page_private(bv->bv_page), ok);
		if (m != MC_CBE_NO_MIRROR)
			release[nr++] = m;
	}
	spin_unlock(&c->lock);

	for (i = 0; i < nr; i++)
		mc_mirror_put(c, release[i]);
	atomic64_add(nr, &c->stats.destaged);
	if (!ok)
		DMERR_LIMIT("ctrl%u: write-back to LU failed: %d; pages stay dirty",
			    c->id, blk_status_to_errno(bio->bi_status));
	bio_put(bio);
	wake_up_all(&c->wb_wait);
}

/* ---- flush ---- */

/* Oldest write not yet on an LU, or U64_MAX.  c->lock held. */
static u64 mc_oldest_dirty(struct mc_ctrl *c)
{
	u64 oldest = U64_MAX;
	u32 p;

	for (p = 0; p < c->nr_pages; p++)
		if (c->meta[p].state == MC_CBE_DIRTY)
			oldest = min(oldest, c->meta[p].dirty_since);
	return oldest;
}

/**
 * mc_wb_flush - hold @bio until every write acknowledged before it is on
 *	its LU
 * @c: the controller in charge of the bio's LU
 * @bio: an empty flush, or a FUA write whose data is in the cache
 */
void mc_wb_flush(struct mc_ctrl *c, struct bio *bio)
{
	struct mc_io *io = mc_io_of(bio);

	spin_lock(&c->lock);
	if (c->state != MC_CTRL_ONLINE) {
		spin_unlock(&c->lock);
		mc_redrive(c->mc, bio);	/* the survivor answers it */
		return;
	}
	io->flush_seq = c->seq;
	bio_list_add(&c->flushes, bio);
	spin_unlock(&c->lock);
	mc_kick(c);
}

/**
 * mc_wb_check_flushes - release the flushes whose writes are all destaged
 * @c: the controller
 *
 * An empty flush then goes on to its LU, so the LU's own volatile cache is
 * flushed too; a FUA write completes.
 */
void mc_wb_check_flushes(struct mc_ctrl *c)
{
	struct bio_list ready = BIO_EMPTY_LIST, wait = BIO_EMPTY_LIST;
	struct bio *bio;
	u64 oldest;

	spin_lock(&c->lock);
	if (bio_list_empty(&c->flushes)) {
		spin_unlock(&c->lock);
		return;
	}
	oldest = mc_oldest_dirty(c);
	while ((bio = bio_list_pop(&c->flushes))) {
		if (mc_io_of(bio)->flush_seq < oldest)
			bio_list_add(&ready, bio);
		else
			bio_list_add(&wait, bio);
	}
	c->flushes = wait;
	spin_unlock(&c->lock);

	while ((bio = bio_list_pop(&ready))) {
		if (bio_sectors(bio)) {
			bio_endio(bio);
		} else {
			bio_set_dev(bio, mc_io_of(bio)->lun->dev->bdev);
			submit_bio_noacct(bio);
		}
		mc_io_put(c->mc);
	}
}

/**
 * mc_wb_drain - destage every dirty page and wait for it
 * @c: the controller
 *
 * Used by suspend, the destructor and the flush message.  Bios must not be
 * arriving, or the drain waits for them too.
 */
void mc_wb_drain(struct mc_ctrl *c)
{
	spin_lock(&c->lock);
	c->wb_drain++;
	spin_unlock(&c->lock);
	queue_work(c->wq, &c->wb_work);
	wait_event(c->wb_wait, !mc_dirty_pages(c));
	spin_lock(&c->lock);
	c->wb_drain--;
	spin_unlock(&c->lock);
}
