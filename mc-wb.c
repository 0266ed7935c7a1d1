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
 * Destage bios carry REQ_FUA: when one completes its data is on the LU's
 * stable media, so the mirror pages can go.  The controller then writes the
 * free pattern into the peer's CBE of each mirror page, returns the mirror
 * page to its mirror management table and clears the page's mirror state;
 * the page becomes clean.  A page under write-back is stable: a write to it
 * waits (mc-io.c), so what reaches the LU is exactly what was cached.
 *
 * A destage that fails puts its pages on the held list (mc-lu.c).
 *
 * Flush semantics (Documentation/mirrorcache.rst): in flush_mode destage,
 * or while the controller has no partner, an empty flush for LU k waits
 * until every write of LU k acknowledged before it is on the LU, then goes
 * on to the LU so that the LU's own volatile cache is flushed; it fails when
 * any of those writes sits on the held list.  FUA and write-through writes
 * destage their own pages (mc_wb_through()).
 *
 * Flush tracking costs O(1) per page, not a scan of the cache: the waiting
 * flushes of an LU split its dirty pages into buckets.  A dirty page
 * belongs to the first waiting flush of its LU whose sequence number is not
 * older than the page's oldest write not yet on the LU (dirty_since), or to
 * none.  A flush that arrives takes every dirty page of its LU that no
 * waiting flush counts (fl_dirty - fl_attr); a page that becomes clean, or
 * whose dirty_since moves on, leaves its bucket (a walk of the waiting
 * flushes, which are few).  A flush is done when its bucket and those of
 * the earlier flushes of its LU are empty.
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

/* Dirty pages write-back can still destage (not held).  c->lock held. */
static u32 __mc_dirty_pages(struct mc_ctrl *c)
{
	return mc_list_count(&c->lists, MC_L_DIRTY) + c->wb_inflight;
}

/*
 * Every dirty page, held ones included.  The tables of a controller that
 * is not up are stale or being rebuilt (mc-fail.c): they hold nothing.
 */
static u32 mc_dirty_pages(struct mc_ctrl *c)
{
	u32 n = 0;

	spin_lock(&c->lock);
	if (mc_state_up(c->state))
		n = __mc_dirty_pages(c) + mc_list_count(&c->lists, MC_L_HELD);
	spin_unlock(&c->lock);
	return n;
}

/**
 * mc_held_pages - pages of LU @lun that @c holds after failed destages
 * @c: the controller
 * @lun: the LU
 */
static u32 mc_held_pages(struct mc_ctrl *c, unsigned int lun)
{
	u32 n = 0, p;

	spin_lock(&c->lock);
	if (!mc_state_up(c->state))
		goto out;	/* no tables */
	for (p = mc_list_first(&c->lists, MC_L_HELD); p != MC_LIST_NIL;
	     p = mc_list_next(&c->lists, p))
		n += c->meta[p].lun == lun;
out:
	spin_unlock(&c->lock);
	return n;
}

/* Dirty pages not yet tried or under write-back (held ones excluded). */
static u32 mc_dirty_unheld(struct mc_ctrl *c)
{
	u32 n = 0;

	spin_lock(&c->lock);
	if (mc_state_up(c->state))
		n = __mc_dirty_pages(c);
	spin_unlock(&c->lock);
	return n;
}

/* ---- flush accounting (see the top of this file) ---- */

/*
 * The waiting flush of LU @lun that counts a dirty page whose oldest write
 * not on the LU has sequence number @since, or NULL.  c->lock held.
 */
static struct mc_io *mc_wb_bucket(struct mc_ctrl *c, unsigned int lun,
				  u64 since)
{
	struct mc_io *io;
	struct bio *bio;

	bio_list_for_each(bio, &c->flushes) {
		io = mc_io_of(bio);
		if (io->lun->id == lun && io->flush_seq >= since)
			return io;
	}
	return NULL;
}

/* Page @m leaves its bucket.  c->lock held. */
static void mc_wb_unbucket(struct mc_ctrl *c, struct mc_pmeta *m)
{
	struct mc_io *f = mc_wb_bucket(c, m->lun, m->dirty_since);

	if (f && !WARN_ON_ONCE(!f->fl_pages || !c->fl_attr[m->lun])) {
		f->fl_pages--;
		c->fl_attr[m->lun]--;
	}
}

/**
 * mc_wb_dirtied - page @m became dirty; c->lock held
 * @c: the controller
 * @m: the page; its dirty_since is newer than every waiting flush
 */
static void mc_wb_dirtied(struct mc_ctrl *c, struct mc_pmeta *m)
{
	c->fl_dirty[m->lun]++;
}

/**
 * mc_wb_cleaned - dirty page @m is dirty no more (destaged or dropped)
 * @c: the controller; c->lock held
 * @m: the page, its lun and dirty_since still set
 */
static void mc_wb_cleaned(struct mc_ctrl *c, struct mc_pmeta *m)
{
	mc_wb_unbucket(c, m);
	if (!WARN_ON_ONCE(!c->fl_dirty[m->lun]))
		c->fl_dirty[m->lun]--;
}

/* The oldest write of dirty page @m not on the LU is now @since. */
static void mc_wb_redirtied(struct mc_ctrl *c, struct mc_pmeta *m, u64 since)
{
	struct mc_io *f;

	mc_wb_unbucket(c, m);
	m->dirty_since = since;
	f = mc_wb_bucket(c, m->lun, since);
	if (f) {
		f->fl_pages++;
		c->fl_attr[m->lun]++;
	}
}

/**
 * mc_wb_check_counts - check the flush counts against the pages (O(cache):
 *	for the destructor, after the last drain)
 * @c: an online controller no bio uses
 */
static void mc_wb_check_counts(struct mc_ctrl *c)
{
	u32 n[MC_MAX_LUNS] = { 0 }, p, i;

	spin_lock(&c->lock);
	for (p = 0; p < c->nr_pages; p++)
		if (c->meta[p].state == MC_CBE_DIRTY &&
		    mc_hash_contains(&c->hash, p) &&
		    mc_list_of(&c->lists, p) != MC_L_BACKUP)
			n[c->meta[p].lun]++;
	for (i = 0; i < c->mc->nr_luns; i++)
		WARN_ONCE(n[i] != c->fl_dirty[i] || c->fl_attr[i],
			  "ctrl%u LU %u: %u dirty pages, %u counted, %u in flushes",
			  c->id, i, n[i], c->fl_dirty[i], c->fl_attr[i]);
	spin_unlock(&c->lock);
}

/* What mc_wb_needed() asks of the next batch. */
enum { MC_WB_IDLE, MC_WB_ANY, MC_WB_DRAIN_LUS };

/*
 * Should write-back take another batch, and of which pages: any dirty page
 * (MC_WB_ANY) or only pages of the LUs in wb_lu_drain (MC_WB_DRAIN_LUS: a
 * destage takeover, while the watermarks ask nothing).  c->lock held.
 */
static int mc_wb_needed(struct mc_ctrl *c)
{
	u32 dirty;

	if (!mc_state_up(c->state))
		return MC_WB_IDLE;	/* no tables */
	if (unlikely(c->wb_quiet) && !c->wb_drain)
		return MC_WB_IDLE;	/* suspended: a drain only */
	dirty = __mc_dirty_pages(c);
	if (mc_ctrl_solo(c) && mc_list_count(&c->lists, MC_L_DIRTY))
		return MC_WB_ANY;	/* unprotected: destage at once */

	if (dirty > c->wb_high)
		c->wb_active = true;
	else if (dirty <= c->wb_low)
		c->wb_active = false;
	if (!mc_list_count(&c->lists, MC_L_DIRTY) ||
	    c->wb_inflight >= MC_WB_MAX_INFLIGHT)
		return MC_WB_IDLE;
	/* relinked_left: pages an instant takeover relinked (mc-move.c) */
	if (c->wb_active || c->wb_drain || c->wb_retry || c->relinked_left ||
	    !bio_list_empty(&c->parked) || !bio_list_empty(&c->flushes))
		return MC_WB_ANY;
	if (!bitmap_empty(c->wb_lu_drain, MC_MAX_LUNS))
		return MC_WB_DRAIN_LUS;
	return MC_WB_IDLE;
}

/* May write-back take page @m now?  c->lock held. */
static bool mc_wb_takes(struct mc_ctrl *c, struct mc_pmeta *m, int what)
{
	if (m->busy)
		return false;	/* its mirror copy is in flight */
	if (unlikely(test_bit(m->lun, c->wb_lu_stop)))
		return false;
	return what != MC_WB_DRAIN_LUS || test_bit(m->lun, c->wb_lu_drain);
}

/*
 * Take up to MC_WB_BATCH dirty pages that no write is busy with, oldest
 * first (of the LUs @what asks for), and mark them under write-back.
 * c->lock held.
 */
static u32 mc_wb_collect(struct mc_ctrl *c, struct mc_wb_ent *ents, int what)
{
	u32 tries = mc_list_count(&c->lists, MC_L_DIRTY), n = 0, p;
	struct mc_pmeta *m;

	while (n < MC_WB_BATCH && tries--) {
		p = mc_list_pop_head(&c->lists, MC_L_DIRTY);
		m = &c->meta[p];
		if (!mc_wb_takes(c, m, what)) {
			mc_list_add_tail(&c->lists, MC_L_DIRTY, p);
			continue;	/* take it next time */
		}
		m->flags |= MC_PF_WB;
		m->wb_seq = m->seq;
		c->wb_lu_inflight[m->lun]++;
		ents[n].key = mc_hash_key(m->lun, m->index);
		ents[n].page = p;
		n++;
	}
	c->wb_inflight += n;
	c->wb_retry -= min(c->wb_retry, n);
	return n;
}

/* Write pages @ents[0..n) of one LU, consecutive in the LU, as one bio. */
static void mc_wb_submit(struct mc_ctrl *c, struct mc_wb_ent *ents, u32 n)
{
	struct mc_pmeta *m = &c->meta[ents[0].page];
	struct mc_lun *lun = &c->mc->luns[m->lun];
	struct bio *bio;
	u32 i;

	bio = mc_lu_bio_alloc(c, lun, n, REQ_OP_WRITE | REQ_FUA, NULL);
	bio->bi_iter.bi_sector = m->index * MC_PAGE_SECTORS;
	for (i = 0; i < n; i++)
		__bio_add_page(bio, c->pages[ents[i].page], PAGE_SIZE, 0);
	submit_bio_noacct(bio);
}

/**
 * mc_wb_through - destage page @p of a write now (write-through)
 * @c: the controller
 * @p: a dirty page the write has just filled and mirrored; the write's
 *	busy reference on it is dropped here
 * @fua: the write asked for FUA
 * @io: the write, which write-back only hands back to the caller when the
 *	destage is complete (mc_wb_complete())
 *
 * No other write can be in the page (writes wait while a page is busy or
 * under write-back), so the destage carries exactly this write's data.
 */
static void mc_wb_through(struct mc_ctrl *c, u32 p, bool fua, struct mc_io *io)
{
	struct mc_pmeta *m = &c->meta[p];
	struct bio *bio;
	u8 list;

	spin_lock(&c->lock);
	m->busy--;
	list = mc_list_of(&c->lists, p);
	if (list != MC_LIST_NONE)
		mc_list_del(&c->lists, list, p);
	m->flags |= MC_PF_WB;
	m->wb_seq = m->seq;
	c->wb_inflight++;
	c->wb_lu_inflight[m->lun]++;
	spin_unlock(&c->lock);

	bio = mc_lu_bio_alloc(c, &c->mc->luns[m->lun], 1,
			      REQ_OP_WRITE | (fua ? REQ_FUA : 0), io);
	bio->bi_iter.bi_sector = m->index * MC_PAGE_SECTORS;
	__bio_add_page(bio, c->pages[p], PAGE_SIZE, 0);
	submit_bio_noacct(bio);
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
static void mc_wb_work(struct work_struct *work)
{
	struct mc_ctrl *c = container_of(work, struct mc_ctrl, wb_work);
	struct mc_wb_ent *ents;
	int what;
	u32 n;

	ents = kmalloc_array(MC_WB_BATCH, sizeof(*ents), GFP_NOIO);
	if (!ents) {
		queue_work(c->wq, &c->wb_work);	/* retry later */
		return;
	}
	/* Each batch is a user of @c from its collection to its submission. */
	while (mc_ctrl_get(c)) {
		spin_lock(&c->lock);
		what = mc_wb_needed(c);
		n = what ? mc_wb_collect(c, ents, what) : 0;
		spin_unlock(&c->lock);
		if (n) {
			mc_inject(wb_submit_delay_ms);
			mc_wb_write_batch(c, ents, n);
		}
		mc_ctrl_put(c);
		if (!n)
			break;
	}
	kfree(ents);
	wake_up_all(&c->wb_wait);
}

/**
 * mc_wb_start - schedule write-back if it has anything to do
 * @c: the controller
 */
static void mc_wb_start(struct mc_ctrl *c)
{
	bool needed;

	spin_lock(&c->lock);
	needed = mc_wb_needed(c) != MC_WB_IDLE;
	spin_unlock(&c->lock);
	if (needed)
		queue_work(c->wq, &c->wb_work);
}

/* The automatic retry of held pages (mc_lu_write_error()). */
static void mc_wb_retry_work(struct work_struct *work)
{
	struct mc_ctrl *c = container_of(to_delayed_work(work), struct mc_ctrl,
					 retry_work);

	if (!mc_ctrl_get(c))
		return;		/* failed: its held pages went to the survivor */
	if (mc_lu_retry(c, false))
		mc_wb_start(c);
	mc_ctrl_put(c);
}

/* Set up @c's write-back and retry work; nothing here can fail. */
static void mc_wb_init_work(struct mc_ctrl *c)
{
	INIT_WORK(&c->wb_work, mc_wb_work);
	INIT_DELAYED_WORK(&c->retry_work, mc_wb_retry_work);
}

/**
 * mc_wb_quiet - stop or restart the I/O write-back issues by itself
 * @c: the controller
 * @quiet: true at postsuspend (after its drain) and in the destructor;
 *	false at resume
 *
 * While quiet, write-back destages only for a drain and the automatic
 * retry of held pages is off: a suspended device sends nothing to its
 * LUs, and no retry runs while the controllers are torn down.  Leaving
 * it arms the retry when pages are held.
 */
static void mc_wb_quiet(struct mc_ctrl *c, bool quiet)
{
	if (!c->wq)
		return;		/* a constructor that failed early */
	spin_lock(&c->lock);
	c->wb_quiet = quiet;
	if (!quiet && mc_list_count(&c->lists, MC_L_HELD))
		mod_delayed_work(c->wq, &c->retry_work, MC_RETRY_MIN);
	spin_unlock(&c->lock);
	if (quiet)
		cancel_delayed_work_sync(&c->retry_work);
}

/*
 * A relinked page of @c leaves its cache: its mirror-area slot is consumed,
 * so a later failover must not relink it again (the old owner of an LU an
 * instant takeover moved releases the slot only when it drops its backup,
 * mc_pull_drop()).  c->lock held.
 */
static void mc_relinked_gone(struct mc_ctrl *c, u32 p)
{
	struct mc_pmeta *m = &c->meta[p];

	mc_hash_remove(&c->hash, p);
	m->flags = 0;
	m->state = MC_CBE_FREE;
	c->relinked_left--;
	if (p >= c->rw_pages)
		mc_cbe_clear(&c->mirror_cbe[p - c->rw_pages]);
}

/*
 * One page's destage finished; returns its mirror page to release.
 * *@relinked is set when a relinked page left the cache.
 */
static u32 mc_wb_page_done(struct mc_ctrl *c, u32 p, bool ok, bool *relinked)
{
	struct mc_pmeta *m = &c->meta[p];
	u32 mirror = MC_CBE_NO_MIRROR;

	m->flags &= ~MC_PF_WB;
	c->wb_inflight--;
	c->wb_lu_inflight[m->lun]--;
	if (ok && m->seq == m->wb_seq && !m->busy) {
		mc_wb_cleaned(c, m);
		mirror = m->mirror;
		m->mirror = MC_CBE_NO_MIRROR;
		if (m->flags & MC_PF_RELINKED) {
			/* Claims 5, 13: the mirror area takes nothing new. */
			if (m->readers) {
				/* Its slot is reused once it goes: not yet. */
				m->state = MC_CBE_CLEAN;
				m->flags |= MC_PF_GONE;
				return mirror;
			}
			mc_relinked_gone(c, p);
			*relinked = true;
			return mirror;
		}
		m->state = MC_CBE_CLEAN;
		mc_list_add_tail(&c->lists, MC_L_CLEAN, p);
		return mirror;
	}
	if (ok) {	/* a newer write arrived; the LU has up to wb_seq */
		mc_wb_redirtied(c, m, m->wb_seq + 1);
		mc_list_add_tail(&c->lists, MC_L_DIRTY, p);
	} else {
		mc_list_add_tail(&c->lists, MC_L_HELD, p);
	}
	return mirror;
}

/**
 * mc_pull_drop - the new owner of an LU an instant takeover moved is done
 *	with a page it relinked: the old owner drops its backup of it
 * @o: the old owner
 * @lun: the LU
 * @index: the page
 *
 * Releases the backup's mirror page (the slot the new owner relinked) into
 * @o's mirror management table.  Nothing when @o keeps no backup of the
 * page (a page relinked by a failover, or @o failed).  A user of @o
 * (mc_ctrl_get()): a failure of @o waits for it before it scrubs.
 */
static void mc_pull_drop(struct mc_ctrl *o, unsigned int lun, u64 index)
{
	u32 mirror = MC_CBE_NO_MIRROR, p;
	struct mc_pmeta *m;
	bool last = false;

	if (!mc_ctrl_get(o))
		return;		/* failed: its backups are gone */
	spin_lock(&o->lock);
	if (!mc_state_up(o->state))
		goto out;
	p = mc_hash_lookup(&o->hash, mc_hash_key(lun, index));
	if (p == MC_HASH_NIL || mc_list_of(&o->lists, p) != MC_L_BACKUP)
		goto out;
	m = &o->meta[p];
	mc_list_del(&o->lists, MC_L_BACKUP, p);
	mc_hash_remove(&o->hash, p);
	mirror = m->mirror;
	*m = (struct mc_pmeta) { .mirror = MC_CBE_NO_MIRROR };
	mc_list_add_tail(&o->lists, MC_L_FREE, p);
	last = !--o->mc->luns[lun].pull_left;
out:
	spin_unlock(&o->lock);
	if (mirror != MC_CBE_NO_MIRROR)
		mc_mirror_put(o, mirror);
	if (last)
		wake_up_all(&o->wb_wait);
	mc_ctrl_put(o);
}

/**
 * mc_wb_complete - a destage bio finished
 * @c: the controller
 * @bio: the write-back bio; freed here
 *
 * Called from the controller's work queue.  Releases the mirror pages of
 * the pages that became clean (seed 000, S44-S48) and records the LU's
 * error state.  The caller finishes the write-through write the bio was
 * for, if any (mc_lbio->io).
 *
 * Return: false when @c is down: its tables are dead and nothing was
 * recorded, so a write-through write must run again through the survivor.
 */
static bool mc_wb_complete(struct mc_ctrl *c, struct bio *bio)
{
	u32 release[BIO_MAX_VECS], nr = 0, pages = 0, i, m;
	DECLARE_BITMAP(relinked, BIO_MAX_VECS);
	blk_status_t st = bio->bi_status;
	struct mc_lun *lun = NULL;
	struct bvec_iter_all iter;
	struct bio_vec *bv;

	if (!mc_ctrl_up(c)) {
		mc_lu_bio_put(bio);
		return false;
	}
	bitmap_zero(relinked, BIO_MAX_VECS);
	spin_lock(&c->lock);
	bio_for_each_segment_all(bv, bio, iter) {
		u32 p = page_private(bv->bv_page);
		bool gone = false;

		if (!lun)
			lun = &c->mc->luns[c->meta[p].lun];
		m = mc_wb_page_done(c, p, !st, &gone);
		if (m != MC_CBE_NO_MIRROR)
			release[nr++] = m;
		if (gone)
			__set_bit(pages, relinked);
		pages++;
	}
	spin_unlock(&c->lock);

	mc_mirror_put_n(c, release, nr);
	/* A relinked page's index stays: nothing reuses a mirror-area page. */
	for_each_set_bit(i, relinked, BIO_MAX_VECS)
		mc_pull_drop(mc_peer(c), lun->id,
			     c->meta[page_private(bio->bi_io_vec[i].bv_page)].index);
	mc_stat_add(c, destaged, nr);
	if (st)
		mc_lu_write_error(c, lun, st, pages);
	else
		mc_lu_write_ok(c, lun);
	mc_lu_bio_put(bio);
	wake_up_all(&c->wb_wait);
	return true;
}

/* ---- flush ---- */

/*
 * Is every write of the LU of flush @io acknowledged before it on the LU?
 * The earlier flushes of the LU are done.  Returns 1 when it is, 0 while
 * some are still to be destaged, and -EIO when one of them is held after a
 * failed destage (a walk of the held list, empty but after LU errors).
 * c->lock held.
 */
static int mc_wb_flushed(struct mc_ctrl *c, struct mc_io *io)
{
	unsigned int lun = io->lun->id;
	struct mc_io *d;
	u32 p;

	/* A discard that dropped such a write must be on the LU first. */
	list_for_each_entry(d, &c->discards, discard)
		if (d->lun->id == lun && d->flush_seq <= io->flush_seq)
			return 0;
	if (!io->fl_pages)
		return 1;
	for (p = mc_list_first(&c->lists, MC_L_HELD); p != MC_LIST_NIL;
	     p = mc_list_next(&c->lists, p))
		if (c->meta[p].lun == lun &&
		    c->meta[p].dirty_since <= io->flush_seq)
			return -EIO;
	return 0;
}

/**
 * mc_wb_flush - hold an empty flush until every write of its LU
 *	acknowledged before it is on the LU
 * @c: the controller in charge of the flush's LU
 * @bio: the flush
 *
 * mc_wb_check_flushes() hands it back when its writes are on the LU.
 *
 * Return: false when @c is down: the flush was not taken.
 */
static bool mc_wb_flush(struct mc_ctrl *c, struct bio *bio)
{
	struct mc_io *io = mc_io_of(bio);

	spin_lock(&c->lock);
	if (!mc_state_up(c->state)) {
		spin_unlock(&c->lock);
		return false;
	}
	io->flush_seq = c->seq;
	/* Its bucket: every dirty page of its LU no waiting flush counts. */
	io->fl_pages = c->fl_dirty[io->lun->id] - c->fl_attr[io->lun->id];
	c->fl_attr[io->lun->id] = c->fl_dirty[io->lun->id];
	bio_list_add(&c->flushes, bio);
	spin_unlock(&c->lock);
	return true;
}

/**
 * mc_wb_check_flushes - release the flushes whose writes are all destaged
 * @c: the controller
 * @ready: the flushes released, for the caller to finish: io->status is
 *	BLK_STS_IOERR for one that failed
 *
 * A flush whose writes include a held page (its LU failed a destage)
 * fails instead of waiting for the LU to come back; the pages it counted
 * go to the next waiting flush of its LU.  A flush waits while an earlier
 * one of its LU waits.
 */
static void mc_wb_check_flushes(struct mc_ctrl *c, struct bio_list *ready)
{
	struct bio_list wait = BIO_EMPTY_LIST;
	DECLARE_BITMAP(blocked, MC_MAX_LUNS);
	u32 carry[MC_MAX_LUNS] = { 0 };
	unsigned int lun;
	struct bio *bio;
	int r;

	bitmap_zero(blocked, MC_MAX_LUNS);
	spin_lock(&c->lock);
	while ((bio = bio_list_pop(&c->flushes))) {
		struct mc_io *io = mc_io_of(bio);

		lun = io->lun->id;
		io->fl_pages += carry[lun];
		carry[lun] = 0;
		r = test_bit(lun, blocked) ? 0 : mc_wb_flushed(c, io);
		if (!r) {
			__set_bit(lun, blocked);
			bio_list_add(&wait, bio);
			continue;
		}
		carry[lun] = io->fl_pages;	/* 0 unless it failed */
		io->status = r < 0 ? BLK_STS_IOERR : BLK_STS_OK;
		bio_list_add(ready, bio);
	}
	c->flushes = wait;
	for (lun = 0; lun < c->mc->nr_luns; lun++)
		c->fl_attr[lun] -= carry[lun];	/* counted by no flush now */
	spin_unlock(&c->lock);
}

/**
 * mc_wb_drain_for - mc_wb_drain() for at most @timeout
 * @c: the controller
 * @timeout: jiffies, or MAX_SCHEDULE_TIMEOUT
 * @held: set to the pages held because their LU refused the destage
 *
 * Return: 0, or -EAGAIN when dirty pages were still under way at the end
 * (an LU that does not complete its writes).
 */
static int mc_wb_drain_for(struct mc_ctrl *c, long timeout, u32 *held)
{
	long left;

	spin_lock(&c->lock);
	c->wb_drain++;
	spin_unlock(&c->lock);
	queue_work(c->wq, &c->wb_work);
	left = wait_event_timeout(c->wb_wait, !mc_dirty_unheld(c) ||
				  !mc_ctrl_up(c), timeout);
	spin_lock(&c->lock);
	c->wb_drain--;
	*held = mc_list_count(&c->lists, MC_L_HELD);
	spin_unlock(&c->lock);
	return left ? 0 : -EAGAIN;
}

/**
 * mc_wb_drain - destage every dirty page and wait for it
 * @c: the controller
 *
 * Used by suspend, the destructor, the flush message and failback.  Bios
 * must not be arriving, or the drain waits for them too.  Pages whose
 * destage fails are held, not retried here, so the drain ends in bounded
 * time even when an LU is dead.
 *
 * Return: the number of held pages left dirty in the cache.
 */
static u32 mc_wb_drain(struct mc_ctrl *c)
{
	u32 held;

	mc_wb_drain_for(c, MAX_SCHEDULE_TIMEOUT, &held);
	return held;
}
