// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: the read and write paths of a controller.
 *
 * A bio is handled by the controller in charge of its LU, one 4 KiB page at
 * a time.  Each page step either finishes the page or parks the bio on the
 * controller's parked list, in the same critical section in which it saw
 * that it cannot go on; the event that lifts the obstacle (a fill, a
 * write-back or a mirror copy completing) then re-drives every parked bio
 * from the controller's work queue.  So .map never waits for anything but
 * a short lock, the node-channel mempool and, in mirror_alloc message mode,
 * the peer's reply.
 *
 * Write step (claims 1 and 9): take the page in the read/write area (a hit
 * reuses it, and a dirty page keeps its mirror page), acquire a mirror page
 * from the mirror management table, copy the bio's data into the local page
 * and queue the node-channel copy into the peer's mirror page.  The copy of
 * page i runs while page i+1 is filled (claims 6 and 14); the bio completes
 * when every copy is done.
 *
 * Read step: a hit copies out of the cache, dirty data included; a miss
 * allocates pages for the run of missing pages, reads them from the LU
 * (the pages are "filling" meanwhile) and parks until the fill completes.
 *
 * Discard and write-zeroes: the range is dropped from the cache (dirty pages
 * too, with their mirror pages), then the request goes on to the LU and
 * completes when the LU completes it.  From its first step until then the
 * range is fenced: writes and fills of its pages wait, so nothing older
 * than the discard can reach the LU after it or be read back from the
 * cache afterwards.
 */
#include <linux/bio.h>
#include <linux/highmem.h>
#include <linux/sched/mm.h>

#include "dm-mirrorcache.h"

/* The bio state machine (below) and the gate (further below) call each other. */
static void mc_io_put_ref(struct mc_io *io);
static void mc_io_put_refs(struct mc_io *io, u32 n);
static void mc_io_put(struct mc_target *mc);
static void mc_io_start(struct mc_target *mc, struct bio *bio);
static void mc_flush_start(struct mc_target *mc, struct bio *bio);

/* Most pages one fill reads. */
#define MC_FILL_MAX	32

enum {
	MC_STEP_DONE,		/* the page is done: go on with the next one */
	MC_STEP_PARKED,		/* the bio waits on the parked list */
	MC_STEP_ADVANCED,	/* a discard step moved io->done itself */
};

/* Pages a discard drops in one hold of the controller's lock. */
#define MC_DISCARD_CHUNK	64

/* mc_write_take(): the caller must acquire a mirror page first */
#define MC_NEED_MIRROR	(MC_LIST_NIL - 1)

/* Copy one page between the bio data at @iter and @buf. */
static void mc_bio_copy(struct bio *bio, struct bvec_iter *iter, void *buf,
			bool to_bio)
{
	unsigned int left = PAGE_SIZE;

	while (left) {
		struct bio_vec bv = bio_iter_iovec(bio, *iter);
		unsigned int n = min(bv.bv_len, left);
		void *p = bvec_kmap_local(&bv);

		if (to_bio) {
			memcpy(p, buf, n);
			flush_dcache_page(bv.bv_page);
		} else {
			memcpy(buf, p, n);
		}
		kunmap_local(p);
		buf += n;
		left -= n;
		bio_advance_iter_single(bio, iter, n);
	}
}

/**
 * mc_kick - re-drive the parked bios of @c from its work queue
 * @c: the controller
 */
static void mc_kick(struct mc_ctrl *c)
{
	queue_work(c->wq, &c->io_work);
}

/**
 * mc_alloc_page - take a read/write page: a free one, else evict the LRU
 * @c: the controller; c->lock held
 *
 * Return: the page, out of the hash and on no list, or MC_LIST_NIL.
 */
static u32 mc_alloc_page(struct mc_ctrl *c)
{
	u32 n = mc_list_count(&c->lists, MC_L_CLEAN);
	struct mc_pmeta *m;
	u32 p;

	p = mc_list_pop_head(&c->lists, MC_L_FREE);
	if (p != MC_LIST_NIL)
		return p;
	while (n--) {
		p = mc_list_pop_head(&c->lists, MC_L_CLEAN);
		m = &c->meta[p];
		if (m->readers || m->busy || m->flags) {
			mc_list_add_tail(&c->lists, MC_L_CLEAN, p);
			continue;
		}
		mc_hash_remove(&c->hash, p);
		m->state = MC_CBE_FREE;
		return p;
	}
	return MC_LIST_NIL;
}

/* Return an unused page taken by mc_alloc_page(); c->lock held. */
static void mc_free_page(struct mc_ctrl *c, u32 p)
{
	c->meta[p].state = MC_CBE_FREE;
	c->meta[p].flags = 0;
	mc_list_add_tail(&c->lists, MC_L_FREE, p);
}

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

/*
 * Is page @index of LU @lun inside a discard that has started on @c and
 * that its LU has not completed yet?  c->lock held.
 */
static bool mc_discarding(struct mc_ctrl *c, unsigned int lun, u64 index)
{
	struct mc_io *d;

	if (likely(list_empty(&c->discards)))
		return false;
	list_for_each_entry(d, &c->discards, discard)
		if (d->lun->id == lun && index >= d->first &&
		    index < d->first + d->nr)
			return true;
	return false;
}

/* ---- read path ---- */

static void mc_fill_submit(struct mc_io *io, u32 *pages, u32 n, u64 index)
{
	struct mc_ctrl *c = io->c;
	struct bio *bio;
	u32 i;

	bio = mc_lu_bio_alloc(c, io->lun, n, REQ_OP_READ, io);
	bio->bi_iter.bi_sector = index * MC_PAGE_SECTORS;
	for (i = 0; i < n; i++)
		__bio_add_page(bio, c->pages[pages[i]], PAGE_SIZE, 0);
	submit_bio_noacct(bio);
}

/**
 * mc_fill_complete - a fill read finished: the pages become clean
 * @c: the controller
 * @bio: the fill bio
 *
 * On an error the pages are dropped again and the read that submitted the
 * fill fails; any other read waiting for one of the pages tries its own
 * fill.  So every read fails only after an I/O error of its own.
 */
static void mc_fill_complete(struct mc_ctrl *c, struct bio *bio)
{
	struct mc_io *io = mc_lbio_of(bio)->io;
	struct bvec_iter_all iter;
	struct bio_vec *bv;
	u32 p;

	if (!mc_ctrl_up(c)) {
		mc_lu_bio_put(bio);	/* a failed controller's tables are dead */
		return;
	}
	spin_lock(&c->lock);
	bio_for_each_segment_all(bv, bio, iter) {
		p = page_private(bv->bv_page);
		c->meta[p].flags &= ~MC_PF_FILLING;
		if (bio->bi_status) {
			mc_hash_remove(&c->hash, p);
			mc_free_page(c, p);
		} else {
			mc_list_add_tail(&c->lists, MC_L_CLEAN, p);
		}
	}
	if (bio->bi_status)
		io->status = bio->bi_status;	/* the initiator is parked */
	spin_unlock(&c->lock);
	if (bio->bi_status)
		DMERR_LIMIT("ctrl%u: read from LU %u failed: %d", c->id,
			    io->lun->id, blk_status_to_errno(bio->bi_status));
	mc_lu_bio_put(bio);
}

/*
 * Allocate pages for the run of missing pages that starts at page @io->done
 * and insert them, filling, into the hash.  c->lock held.
 */
static u32 mc_fill_alloc(struct mc_io *io, u32 *pages)
{
	struct mc_ctrl *c = io->c;
	u32 n = 0, lun = io->lun->id, p;
	u64 index = io->first + io->done;

	while (n < MC_FILL_MAX && io->done + n < io->nr &&
	       mc_hash_lookup(&c->hash, mc_hash_key(lun, index + n)) == MC_HASH_NIL &&
	       !mc_discarding(c, lun, index + n)) {
		p = mc_alloc_page(c);
		if (p == MC_LIST_NIL)
			break;
		c->meta[p] = (struct mc_pmeta) {
			.index = index + n, .lun = lun, .state = MC_CBE_CLEAN,
			.flags = MC_PF_FILLING, .mirror = MC_CBE_NO_MIRROR,
		};
		mc_hash_insert(&c->hash, p, mc_hash_key(lun, index + n));
		pages[n++] = p;
	}
	return n;
}

/*
 * A read is done copying out of page @p.  The last reader of a relinked
 * page that write-back has destaged meanwhile lets it go: its mirror-area
 * slot returns to the old owner of an LU an instant takeover moved, which
 * writes into it next (mc_pull_drop()).
 */
static void mc_read_unpin(struct mc_ctrl *c, u32 p)
{
	struct mc_pmeta *m = &c->meta[p];
	bool kick, gone = false;
	unsigned int lun = m->lun;
	u64 index = m->index;

	spin_lock(&c->lock);
	if (!--m->readers && (m->flags & MC_PF_GONE) && mc_state_up(c->state)) {
		mc_relinked_gone(c, p);
		gone = true;
	}
	kick = !m->readers && !bio_list_empty(&c->parked);
	spin_unlock(&c->lock);
	if (gone)
		mc_pull_drop(mc_peer(c), lun, index);
	if (kick)
		mc_kick(c);	/* the page may be what a parked bio waits for */
}

static int mc_read_page(struct mc_io *io, struct bio *bio)
{
	struct mc_ctrl *c = io->c;
	u64 index = io->first + io->done;
	u32 pages[MC_FILL_MAX], n, p;
	struct mc_pmeta *m;
	enum mc_wait why;

	spin_lock(&c->lock);
	p = mc_hash_lookup(&c->hash, mc_hash_key(io->lun->id, index));
	if (p == MC_HASH_NIL) {
		n = mc_fill_alloc(io, pages);	/* 0 inside a discard */
		if (n)
			why = MC_WAIT_FILL;
		else if (mc_discarding(c, io->lun->id, index))
			why = MC_WAIT_DISCARD;
		else
			why = MC_WAIT_FREE;
		mc_ctrl_park(c, bio, why);
		spin_unlock(&c->lock);
		if (n) {
			mc_stat_add(c, read_misses, n);
			mc_fill_submit(io, pages, n, index);
		} else {
			mc_wb_start(c);	/* every page is dirty or busy */
		}
		return MC_STEP_PARKED;
	}
	m = &c->meta[p];
	if (m->flags & MC_PF_FILLING) {
		mc_ctrl_park(c, bio, MC_WAIT_FILL);
		spin_unlock(&c->lock);
		return MC_STEP_PARKED;
	}
	m->readers++;
	if (m->state == MC_CBE_CLEAN && !(m->flags & MC_PF_GONE))
		mc_list_move_tail(&c->lists, MC_L_CLEAN, p);
	spin_unlock(&c->lock);

	mc_inject(read_copy_delay_ms);
	mc_bio_copy(bio, &io->iter, mc_page_addr(c, p), true);
	mc_stat_inc(c, read_hits);
	if (unlikely(!mc_ctrl_alive(c)))
		io->redrive = true;	/* the copy may hold the poison */

	mc_read_unpin(c, p);
	return MC_STEP_DONE;
}

/**
 * mc_peer_read - serve one page of a read at the peer of the LU's owner
 * @o: the owner of @lun when the port looked
 * @lun: the LU
 * @index: page index in the LU
 * @bio: a read arriving at @o's peer (a port of the peer, mc-port.c)
 * @iter: position of the page in @bio's data; advanced by one page
 *
 * Seed 003: the side that does not own a volume serves reads itself unless
 * they overlap a pending write.  The owner's dirty pages are mirrored in
 * the peer's memory: a dirty page that no write is busy with names a
 * mirror page whose copy is complete and holds the page's newest data, and
 * that mirror page stays the page's until write-back or a new write changes
 * m->mirror under o->lock, so the copy out of it runs under o->lock.  Only
 * while both controllers are online; claim 5 (a degraded survivor's mirror
 * area serves nothing) is kept because then the peer's port is down.
 * Not while the LU moves (mc-move.c): an instant takeover relinks the
 * mirror pages into the new owner, which writes into them; the old owner's
 * backups (MC_L_BACKUP) name them until they are destaged, and the switch
 * files them there under o->lock before the new owner may write.
 *
 * Return: enum mc_peer_read.  For MC_PR_MIRROR the page is in @bio.
 */
static enum mc_peer_read mc_peer_read(struct mc_ctrl *o, struct mc_lun *lun,
			       u64 index, struct bio *bio,
			       struct bvec_iter *iter)
{
	enum mc_peer_read r = MC_PR_OWNER;
	struct mc_pmeta *m;
	u32 p;

	spin_lock(&o->lock);
	if (READ_ONCE(o->state) != MC_CTRL_ONLINE ||
	    READ_ONCE(mc_peer(o)->state) != MC_CTRL_ONLINE ||
	    READ_ONCE(lun->owner) != o->id ||
	    READ_ONCE(lun->phase) != MC_MV_IDLE ||
	    mc_discarding(o, lun->id, index))
		goto out;
	p = mc_hash_lookup(&o->hash, mc_hash_key(lun->id, index));
	if (p == MC_HASH_NIL) {
		r = MC_PR_LU;
		goto out;
	}
	m = &o->meta[p];
	if (m->busy)
		goto out;		/* a write is pending: the owner orders it */
	if (m->state != MC_CBE_DIRTY) {
		r = MC_PR_LU;		/* clean or filling: the LU has it */
		goto out;
	}
	if ((m->flags & MC_PF_RELINKED) || m->mirror == MC_CBE_NO_MIRROR ||
	    mc_list_of(&o->lists, p) == MC_L_BACKUP)
		goto out;
	mc_bio_copy(bio, iter, mc_mirror_addr(o, m->mirror), true);
	r = MC_PR_MIRROR;
out:
	spin_unlock(&o->lock);
	if (r != MC_PR_MIRROR)
		bio_advance_iter(bio, iter, PAGE_SIZE);
	return r;
}

/* ---- write path ---- */

/* Make page @p dirty for a new write and describe it for the mirror. */
static void mc_dirty_page(struct mc_ctrl *c, u32 p, struct mc_cbe *cbe)
{
	struct mc_pmeta *m = &c->meta[p];

	c->seq++;
	if (m->state != MC_CBE_DIRTY) {
		if (mc_list_of(&c->lists, p) == MC_L_CLEAN)
			mc_list_del(&c->lists, MC_L_CLEAN, p);
		m->state = MC_CBE_DIRTY;
		m->dirty_since = c->seq;
		mc_wb_dirtied(c, m);
		mc_list_add_tail(&c->lists, MC_L_DIRTY, p);
	}
	m->seq = c->seq;
	m->busy++;
	*cbe = (struct mc_cbe) {
		.state = MC_CBE_MIRROR, .lun = m->lun, .mirror = m->mirror,
		.index = m->index, .seq = m->seq,
	};
}

/*
 * Find or allocate page @index of the write and give it a new mirror page.
 * c->lock held.  Returns the page, MC_NEED_MIRROR, or MC_LIST_NIL when the
 * write has to wait for the page.  Writes to one page are ordered: a write
 * waits while the page fills, while an earlier write's mirror copy is in
 * flight (the page is busy) and while the page is under write-back (stable
 * pages).
 * Without a free or evictable page the bio parks before any mirror page is
 * acquired, so a full read/write area costs no mirror traffic.  *@spare is
 * a mirror page acquired earlier and is consumed; the page's previous
 * mirror page goes to *@old, to be released once the new copy is complete
 * (copy-on-write: an interrupted copy never damages the mirror of older
 * acknowledged data).  A controller whose peer failed (solo) writes
 * without a mirror.
 */
static u32 __mc_write_take(struct mc_io *io, u64 index, u32 *spare, u32 *old,
			   bool *hit)
{
	struct mc_ctrl *c = io->c;
	u32 p = mc_hash_lookup(&c->hash, mc_hash_key(io->lun->id, index));

	bool mirror = !mc_ctrl_solo(c) && !io->nomirror;

	*hit = p != MC_HASH_NIL;
	io->wait = MC_WAIT_FILL;
	if (*hit && (c->meta[p].flags & MC_PF_FILLING))
		return MC_LIST_NIL;
	io->wait = MC_WAIT_PAGE;
	if (*hit && ((c->meta[p].flags & (MC_PF_WB | MC_PF_GONE)) ||
		     c->meta[p].busy))
		return MC_LIST_NIL;
	/* Without a mirror a page with one waits until write-back cleans it. */
	if (unlikely(io->nomirror) && *hit &&
	    c->meta[p].mirror != MC_CBE_NO_MIRROR && !mc_ctrl_solo(c))
		return MC_LIST_NIL;
	io->wait = MC_WAIT_DISCARD;
	if (unlikely(mc_discarding(c, io->lun->id, index)))
		return MC_LIST_NIL;	/* the LU may not have the discard yet */
	if (!*hit) {
		io->wait = MC_WAIT_FREE;
		p = mc_alloc_page(c);
		if (p == MC_LIST_NIL)
			return MC_LIST_NIL;
		if (*spare == MMT_NIL && mirror) {
			mc_free_page(c, p);
			return MC_NEED_MIRROR;
		}
		c->meta[p] = (struct mc_pmeta) {
			.index = index, .lun = io->lun->id,
			.state = MC_CBE_CLEAN, .mirror = MC_CBE_NO_MIRROR,
		};
		mc_hash_insert(&c->hash, p, mc_hash_key(io->lun->id, index));
	} else if (*spare == MMT_NIL && mirror) {
		return MC_NEED_MIRROR;
	}
	*old = c->meta[p].mirror;
	c->meta[p].mirror = *spare;
	*spare = MMT_NIL;
	return p;
}

/*
 * __mc_write_take() of the write's next page; parks the bio on MC_LIST_NIL
 * for what __mc_write_take() put in io->wait.
 */
static u32 mc_write_take(struct mc_io *io, struct bio *bio, u32 *spare,
			 u32 *old, bool *hit)
{
	u32 p = __mc_write_take(io, io->first + io->done, spare, old, hit);

	if (p == MC_LIST_NIL)
		mc_ctrl_park(io->c, bio, io->wait);
	return p;
}

/*
 * Acquire a mirror page outside c->lock (mirror_alloc message mode waits
 * for the peer's reply), then retake the lock.  Returns false after
 * parking the bio when the mirror area is full.  A release that slips in
 * between the failed acquisition and the parking changes mirror_gen, and
 * the acquisition is retried, so a parked bio always has a release ahead
 * (every release wakes the parked bios, mc_mirror_put_n()).
 *
 * Except when pages an LU refused are held: their mirror pages stay taken
 * until that LU works again, which may be never, and a write of another
 * LU must not wait for it.  Then the write goes on without a mirror copy,
 * write-through (@io->nomirror): it completes once its data is on its LU.
 */
static bool mc_write_get_mirror(struct mc_ctrl *c, struct bio *bio, u32 *spare)
	__releases(&c->lock) __acquires(&c->lock)
{
	struct mc_io *io = mc_io_of(bio);
	u64 gen;

	do {
		gen = atomic64_read(&c->mirror_gen);
		spin_unlock(&c->lock);
		*spare = mc_mirror_get(c);
		spin_lock(&c->lock);
		if (*spare != MMT_NIL)
			return true;
	} while (gen != atomic64_read(&c->mirror_gen));
	if (mc_list_count(&c->lists, MC_L_HELD)) {
		io->nomirror = true;
		io->wt = true;
		return true;	/* *spare stays MMT_NIL */
	}
	mc_ctrl_park(c, bio, MC_WAIT_MIRROR);
	return false;
}

/* Destage page @p of write @io now; @io completes when the LU has it. */
static void mc_write_through(struct mc_ctrl *c, struct mc_io *io, u32 p)
{
	atomic_inc(&io->pending);
	mc_wb_through(c, p, io->fua, io);	/* drops busy */
}

/*
 * Must a write of @c that was not write-through become one?  When @c is
 * degraded (solo with degraded_writes writethrough, or handing back), and
 * when its peer has failed under the write: its mirror copies landed in
 * the lost memory, whether or not @c is marked solo yet.
 */
static bool mc_write_degraded(struct mc_ctrl *c)
{
	if (mc_ctrl_writethrough(c))
		return true;
	if (mc_ctrl_remote(mc_peer(c)))
		return false;	/* the link's loss is MC_NCH_LOST */
	return !mc_ctrl_up(mc_peer(c)) &&
	       c->mc->opts.degraded_writes == MC_DEGRADED_WRITETHROUGH;
}

/*
 * The node channel's report (mc_nch_copy()): the mirror copies of pages
 * @pages of write @io are complete and marked (MC_NCH_COPIED); or @c went
 * down first and the write runs again through the survivor (MC_NCH_DOWN);
 * or, two hosts, the peer's memory went away first (MC_NCH_LOST): the
 * pages go through to their LU before the write completes.  Each page
 * held a pending reference of @io.
 */
static void mc_write_copied(struct mc_ctrl *c, struct mc_io *io,
			    const u32 *pages, u32 n, enum mc_nch_status st)
{
	bool copied = st != MC_NCH_DOWN;
	bool kick;
	u32 i;

	if (!copied)
		io->redrive = true;
	if (st == MC_NCH_LOST)
		WRITE_ONCE(io->wt, true);
	if (copied && !io->wt && unlikely(mc_write_degraded(c)))
		WRITE_ONCE(io->wt, true);
	if (copied && READ_ONCE(io->wt)) {
		for (i = 0; i < n; i++)
			mc_write_through(c, io, pages[i]);
		spin_lock(&c->lock);
	} else {
		spin_lock(&c->lock);
		for (i = 0; i < n; i++)
			c->meta[pages[i]].busy--;
	}
	kick = !bio_list_empty(&c->parked) || c->wb_drain ||
	       !bio_list_empty(&c->flushes);
	spin_unlock(&c->lock);

	mc_io_put_refs(io, n);
	if (kick)
		mc_kick(c);
}

static int mc_write_page(struct mc_io *io, struct bio *bio)
{
	struct mc_ctrl *c = io->c;
	u32 spare = MMT_NIL, old = MC_CBE_NO_MIRROR, p;
	struct mc_nch_vec v;
	bool hit;

	spin_lock(&c->lock);
	p = mc_write_take(io, bio, &spare, &old, &hit);
	while (p == MC_NEED_MIRROR) {
		/* Table mode: a short nested lock, no round trip. */
		if (c->mc->opts.mirror_alloc == MC_ALLOC_TABLE)
			spare = mc_mirror_get(c);
		if (spare == MMT_NIL && !io->nomirror &&
		    !mc_write_get_mirror(c, bio, &spare)) {
			p = MC_LIST_NIL;
			break;
		}
		p = mc_write_take(io, bio, &spare, &old, &hit);
	}
	if (p != MC_LIST_NIL)
		mc_dirty_page(c, p, &v.cbe[0]);
	spin_unlock(&c->lock);

	if (spare != MMT_NIL)
		mc_mirror_unused_n(c, &spare, 1);	/* parked, or became solo */
	if (p == MC_LIST_NIL) {
		mc_wb_start(c);
		return MC_STEP_PARKED;
	}
	if (hit)
		mc_stat_inc(c, write_hits);
	else
		mc_stat_inc(c, write_misses);
	mc_bio_copy(bio, &io->iter, mc_page_addr(c, p), false);
	mc_inject(copy_delay_ms);
	if (v.cbe[0].mirror != MC_CBE_NO_MIRROR) {
		v.n = 1;
		v.page[0] = p;
		v.old[0] = old;
		atomic_inc(&io->pending);
		mc_nch_copy(c, io, &v, mc_write_copied);
	} else if (READ_ONCE(io->wt) || mc_write_degraded(c)) {
		WRITE_ONCE(io->wt, true);
		mc_write_through(c, io, p);	/* solo: nothing to mirror */
	} else {
		spin_lock(&c->lock);
		c->meta[p].busy--;
		spin_unlock(&c->lock);
	}
	return MC_STEP_DONE;
}

/*
 * Write the next pages of a multi-page bio in one pass: their mirror pages
 * taken from the table at once, one hold of c->lock for all of them, one
 * node-channel request.  The pass stops before a page the write has to
 * wait for; the next step takes that page alone and parks there.
 * Returns MC_STEP_ADVANCED (io->done moved), or what mc_write_page()
 * returns when the pass cannot start (single page, message mode, solo,
 * mirror area short of pages).
 */
static int mc_write_pages(struct mc_io *io, struct bio *bio)
{
	u32 k = min_t(u32, io->nr - io->done, MC_NCH_VEC), hits = 0, i;
	struct mc_ctrl *c = io->c;
	u32 spare[MC_NCH_VEC];
	struct mc_nch_vec v;
	bool hit;

	if (k < 2 || c->mc->opts.mirror_alloc != MC_ALLOC_TABLE ||
	    mc_ctrl_solo(c) || io->nomirror || !mc_mirror_get_n(c, k, spare))
		return mc_write_page(io, bio);

	spin_lock(&c->lock);
	for (v.n = 0; v.n < k; v.n++) {
		i = v.n;
		v.page[i] = __mc_write_take(io, io->first + io->done + i,
					    &spare[i], &v.old[i], &hit);
		if (v.page[i] == MC_LIST_NIL || v.page[i] == MC_NEED_MIRROR)
			break;
		mc_dirty_page(c, v.page[i], &v.cbe[i]);
		hits += hit;
	}
	spin_unlock(&c->lock);

	if (v.n < k)	/* mirror pages not needed now */
		mc_mirror_unused_n(c, spare + v.n, k - v.n);
	if (!v.n)
		return mc_write_page(io, bio);	/* waits for the first page */
	mc_stat_add(c, write_hits, hits);
	mc_stat_add(c, write_misses, v.n - hits);
	for (i = 0; i < v.n; i++)
		mc_bio_copy(bio, &io->iter, mc_page_addr(c, v.page[i]), false);
	mc_inject(copy_delay_ms);
	atomic_add(v.n, &io->pending);
	io->done += v.n;
	mc_nch_copy(c, io, &v, mc_write_copied);
	return MC_STEP_ADVANCED;
}

/* ---- discard and write-zeroes ---- */

/* Is page @p a cached page of the range of discard @io?  c->lock held. */
static bool mc_discard_covers(struct mc_ctrl *c, struct mc_io *io, u32 p)
{
	struct mc_pmeta *m = &c->meta[p];

	return mc_hash_contains(&c->hash, p) && m->lun == io->lun->id &&
	       m->index >= io->first && m->index < io->first + io->nr;
}

/*
 * Drop cached page @p that nothing uses for discard @io.  A relinked page
 * leaves the hash and stays out of the read/write area (claims 5, 13).
 * Returns the page's mirror page, to be released, or MC_CBE_NO_MIRROR.
 * c->lock held.
 */
static u32 mc_discard_drop(struct mc_ctrl *c, struct mc_io *io, u32 p,
			   bool *relinked)
{
	struct mc_pmeta *m = &c->meta[p];
	u8 list = mc_list_of(&c->lists, p);
	u32 mirror = m->mirror;

	if (m->state == MC_CBE_DIRTY) {
		io->flush_seq = min(io->flush_seq, m->dirty_since);
		mc_wb_cleaned(c, m);
	}
	if (list != MC_LIST_NONE)
		mc_list_del(&c->lists, list, p);
	*relinked = m->flags & MC_PF_RELINKED;
	if (*relinked) {
		mc_relinked_gone(c, p);
	} else {
		mc_hash_remove(&c->hash, p);
		mc_free_page(c, p);
	}
	m->mirror = MC_CBE_NO_MIRROR;
	return mirror;
}

/* Find the next cached page of discard @io from its cursor on.  c->lock held. */
static u32 mc_discard_next(struct mc_ctrl *c, struct mc_io *io, bool scan)
{
	u32 p;

	if (scan)
		return mc_discard_covers(c, io, io->cursor) ? io->cursor :
							      MC_HASH_NIL;
	p = mc_hash_lookup(&c->hash,
			   mc_hash_key(io->lun->id, io->first + io->cursor));
	return p;
}

/**
 * mc_discard_step - drop the next chunk of a discard's range from the cache
 * @io: the discard or write-zeroes
 * @bio: its bio
 *
 * The first step fences the range (mc_discarding()).  The walk goes over
 * the pages of the range, or over the cache when the range is larger, so a
 * discard costs O(min(range, cache)), in chunks of MC_DISCARD_CHUNK pages
 * per hold of the lock.  A page in use (filling, under write-back, a
 * mirror copy or a read in progress) parks the bio; each of those ends by
 * itself and kicks the parked bios.
 *
 * Return: MC_STEP_ADVANCED (io->done is io->nr once the walk is over) or
 * MC_STEP_PARKED.
 */
static int mc_discard_step(struct mc_io *io, struct bio *bio)
{
	u32 release[MC_DISCARD_CHUNK], nr = 0, dropped = 0, end, last, p, i;
	u64 pulled[MC_DISCARD_CHUNK];
	struct mc_ctrl *c = io->c;
	u32 npulled = 0;
	bool relinked;
	bool scan = io->nr > c->nr_pages;
	int r = MC_STEP_ADVANCED;
	struct mc_pmeta *m;

	last = scan ? c->nr_pages : io->nr;
	spin_lock(&c->lock);
	if (list_empty(&io->discard)) {
		io->flush_seq = U64_MAX;
		list_add_tail(&io->discard, &c->discards);
	}
	end = min(io->cursor + MC_DISCARD_CHUNK, last);
	for (; io->cursor < end; io->cursor++) {
		p = mc_discard_next(c, io, scan);
		if (p == MC_HASH_NIL)
			continue;
		m = &c->meta[p];
		if ((m->flags & (MC_PF_FILLING | MC_PF_WB)) || m->busy ||
		    m->readers) {
			mc_ctrl_park(c, bio, m->flags & MC_PF_FILLING ?
				     MC_WAIT_FILL : MC_WAIT_PAGE);
			r = MC_STEP_PARKED;
			break;
		}
		release[nr] = mc_discard_drop(c, io, p, &relinked);
		nr += release[nr] != MC_CBE_NO_MIRROR;
		if (relinked)
			pulled[npulled++] = m->index;
		dropped++;
	}
	if (io->cursor == last)
		io->done = io->nr;
	spin_unlock(&c->lock);

	mc_mirror_put_n(c, release, nr);	/* wakes writes waiting for them */
	for (i = 0; i < npulled; i++)	/* the old owner's backups go too */
		mc_pull_drop(mc_peer(c), io->lun->id, pulled[i]);
	mc_stat_add(c, discarded, dropped);
	if (r != MC_STEP_PARKED)
		cond_resched();
	return r;
}

/* The range is out of the cache: send the discard on to the LU. */
static void mc_discard_submit(struct mc_io *io, struct bio *bio)
{
	struct bio *lb;

	mc_inject(discard_delay_ms);
	lb = mc_lu_bio_alloc(io->c, io->lun, 0,
			     bio->bi_opf & (REQ_OP_MASK | REQ_NOUNMAP | REQ_SYNC),
			     io);
	lb->bi_iter.bi_sector = io->first * MC_PAGE_SECTORS;
	lb->bi_iter.bi_size = io->nr << PAGE_SHIFT;
	atomic_inc(&io->pending);
	mc_stat_inc(io->c, discards);
	submit_bio_noacct(lb);
}

/*
 * The LU completed a discard: lift the fence of its range.  On a failed
 * controller the discard runs again through the survivor (its list entry
 * goes with the failed controller's tables).
 */
static void mc_discard_complete(struct mc_ctrl *c, struct bio *bio)
{
	struct mc_io *io = mc_lbio_of(bio)->io;
	blk_status_t st = bio->bi_status;
	bool up;

	spin_lock(&c->lock);
	up = mc_state_up(c->state);
	if (up)
		list_del_init(&io->discard);
	spin_unlock(&c->lock);
	if (!up) {
		io->redrive = true;
	} else if (st) {
		/*
		 * Not supported (a write-zeroes with REQ_NOUNMAP, say) is no
		 * error of the LU: the block layer falls back to zero pages.
		 */
		io->status = st;
		if (st != BLK_STS_NOTSUPP)
			DMERR_LIMIT("ctrl%u: %s of LU %u failed: %d", c->id,
				    bio_op(bio) == REQ_OP_DISCARD ?
				    "discard" : "write-zeroes",
				    io->lun->id, blk_status_to_errno(st));
	}
	mc_lu_bio_put(bio);
	mc_io_put_ref(io);
}

/* ---- admission, the failover gate and re-drive ---- */

/*
 * The gate.  A failover or the switch of a failback "freezes" the target:
 * bios that arrive are held on mc->held and admitted when it thaws.  The
 * check of the gate and the start of a bio (which counts it in active_ios)
 * run inside one SRCU read section; mc_io_freeze() closes the gate and then
 * waits for every read section that began before (synchronize_srcu()).  So
 * when it returns, every bio is either held or counted in active_ios, and
 * mc_io_wait_idle_timeout() cannot miss one that slipped past the check.
 */

/*
 * Hold @bio if the gate is closed, or if its LU is fenced and @pass does
 * not let it through; called in a gate_srcu read section.
 */
static bool mc_gate_hold(struct mc_target *mc, struct bio *bio,
			 const unsigned long *pass)
{
	unsigned int lun = mc_io_of(bio)->lun->id;
	bool held = false;

	if (likely(!smp_load_acquire(&mc->frozen) && !READ_ONCE(mc->fenced)))
		return false;
	spin_lock(&mc->gate_lock);
	if (mc->frozen || (test_bit(lun, mc->lu_fenced) &&
			   !(pass && test_bit(lun, pass)))) {
		bio_list_add(&mc->held, bio);
		held = true;
	}
	spin_unlock(&mc->gate_lock);
	return held;
}

/**
 * __mc_admit - start @bio through the owner of its LU, or hold it at the gate
 * @mc: the target
 * @bio: a mapped bio (io->lun, io->first, io->nr set; nr == 0 for a flush)
 * @pass: fenced LUs whose bios may start (the re-drive that lifts their
 *	fence), or NULL
 */
static void __mc_admit(struct mc_target *mc, struct bio *bio,
		       const unsigned long *pass)
{
	int idx = srcu_read_lock(&mc->gate_srcu);

	if (!mc_gate_hold(mc, bio, pass)) {
		mc_inject(admit_delay_ms);
		if (mc_io_of(bio)->nr)
			mc_io_start(mc, bio);
		else
			mc_flush_start(mc, bio);
	}
	srcu_read_unlock(&mc->gate_srcu, idx);
}

static void mc_admit(struct mc_target *mc, struct bio *bio)
{
	__mc_admit(mc, bio, NULL);
}

/**
 * mc_redrive - run @bio again from its start through its LU's owner
 * @mc: the target
 * @bio: a started bio whose controller failed under it; nothing else
 *	references it
 */
static void mc_redrive(struct mc_target *mc, struct bio *bio)
{
	spin_lock(&mc->gate_lock);
	bio_list_add(&mc->held, bio);
	spin_unlock(&mc->gate_lock);
	atomic64_inc(&mc->redriven);
	mc_io_put(mc);
	queue_work(mc->wq, &mc->redrive_work);
}

/*
 * Admit the held bios, each through the gate again.  A pass that lifts the
 * fence of some LUs (mc_io_unfence()) admits their held bios first, in
 * the order they were held, and opens the LUs to new bios only then: a
 * discard that a failure interrupted fences its range again before any
 * later bio of its LU starts.
 */
static void mc_redrive_work(struct work_struct *work)
{
	struct mc_target *mc = container_of(work, struct mc_target, redrive_work);
	DECLARE_BITMAP(pass, MC_MAX_LUNS);
	struct bio_list list;
	struct bio *bio;

	mc_inject(redrive_delay_ms);
	spin_lock(&mc->gate_lock);
	if (mc->frozen) {
		spin_unlock(&mc->gate_lock);
		return;		/* the thaw queues this work again */
	}
	list = mc->held;
	bio_list_init(&mc->held);
	bitmap_copy(pass, mc->lu_unfence, MC_MAX_LUNS);
	bitmap_zero(mc->lu_unfence, MC_MAX_LUNS);
	spin_unlock(&mc->gate_lock);

	while ((bio = bio_list_pop(&list)))
		__mc_admit(mc, bio, pass);
	if (bitmap_empty(pass, MC_MAX_LUNS))
		return;
	spin_lock(&mc->gate_lock);
	bitmap_andnot(mc->lu_fenced, mc->lu_fenced, pass, MC_MAX_LUNS);
	WRITE_ONCE(mc->fenced, !bitmap_empty(mc->lu_fenced, MC_MAX_LUNS));
	spin_unlock(&mc->gate_lock);
	queue_work(mc->wq, &mc->redrive_work);	/* held meanwhile */
}

/**
 * mc_io_fence - hold the bios of LUs @luns at the gate until
 *	mc_io_unfence(), while the other LUs run
 * @mc: the target, frozen
 * @luns: the LUs
 */
static void mc_io_fence(struct mc_target *mc, const unsigned long *luns)
{
	spin_lock(&mc->gate_lock);
	bitmap_or(mc->lu_fenced, mc->lu_fenced, luns, MC_MAX_LUNS);
	WRITE_ONCE(mc->fenced, !bitmap_empty(mc->lu_fenced, MC_MAX_LUNS));
	spin_unlock(&mc->gate_lock);
}

/**
 * mc_io_unfence - admit the held bios of LUs @luns and open them again
 * @mc: the target
 * @luns: LUs fenced by mc_io_fence()
 */
static void mc_io_unfence(struct mc_target *mc, const unsigned long *luns)
{
	spin_lock(&mc->gate_lock);
	bitmap_or(mc->lu_unfence, mc->lu_unfence, luns, MC_MAX_LUNS);
	spin_unlock(&mc->gate_lock);
	queue_work(mc->wq, &mc->redrive_work);
}

/**
 * mc_io_freeze - close the gate; on return no bio starts any more
 * @mc: the target; the caller holds mc->state_lock
 */
static void mc_io_freeze(struct mc_target *mc)
{
	spin_lock(&mc->gate_lock);
	mc->frozen = true;
	spin_unlock(&mc->gate_lock);
	synchronize_srcu(&mc->gate_srcu);
}

/**
 * mc_io_thaw - open the gate and admit the held bios
 * @mc: the target
 */
static void mc_io_thaw(struct mc_target *mc)
{
	spin_lock(&mc->gate_lock);
	/* A bio that sees the gate open sees the LUs fenced meanwhile too. */
	smp_store_release(&mc->frozen, false);
	spin_unlock(&mc->gate_lock);
	queue_work(mc->wq, &mc->redrive_work);
}

/**
 * mc_io_wait_idle_timeout - wait until no started bio is in the target,
 *	for at most @timeout
 * @mc: the target, frozen
 * @timeout: in jiffies
 *
 * A bio of a hung LU (a fill, a write parked behind its destage) does not
 * leave: a switch, which must not hold I/O for ever, then gives up.
 *
 * Return: true when no started bio is left.
 */
static bool mc_io_wait_idle_timeout(struct mc_target *mc, unsigned long timeout)
{
	return wait_event_timeout(mc->idle_wait, !atomic_read(&mc->active_ios),
				  timeout) > 0;
}

static void mc_io_ack_work(struct work_struct *work);

static int mc_io_gate_init(struct mc_target *mc)
{
	spin_lock_init(&mc->ack_lock);
	bio_list_init(&mc->acks);
	INIT_DELAYED_WORK(&mc->ack_work, mc_io_ack_work);
	spin_lock_init(&mc->gate_lock);
	bio_list_init(&mc->held);
	init_waitqueue_head(&mc->idle_wait);
	INIT_WORK(&mc->redrive_work, mc_redrive_work);
	if (init_srcu_struct(&mc->gate_srcu))
		return -ENOMEM;
	mc->gate_srcu_live = true;
	mc->wq = alloc_workqueue("mc_redrive", WQ_MEM_RECLAIM, 0);
	if (!mc->wq)
		return -ENOMEM;
	atomic_inc(&mc_live.wqs);
	return 0;
}

/* Undo mc_io_gate_init(); no bio is in the target. */
static void mc_io_gate_exit(struct mc_target *mc)
{
	if (mc->wq) {
		destroy_workqueue(mc->wq);
		atomic_dec(&mc_live.wqs);
	}
	mc->wq = NULL;
	kvfree(mc->lost_keys);
	mc->lost_keys = NULL;
	if (mc->gate_srcu_live)
		cleanup_srcu_struct(&mc->gate_srcu);
	mc->gate_srcu_live = false;
}

/* ---- held completions: fencing resource and resource-and-stonith ---- */

/*
 * A peer host that was lost may live on behind a broken link, or have
 * died; its memory keeps copies of this host's dirty pages as of the loss,
 * which 'peer_fenced' on it relinks.  A write this host completed after
 * the loss over such a page would be older on the LU than the copy the
 * peer relinks, and lost.  So while the link says so (mc_link_unsafe())
 * the end of such a write is held; the write itself runs (written through
 * to its LU).  With fencing resource-and-stonith every write is held, as
 * DRBD's freeze.  With fencing resource only a write over a page the
 * peer may keep a copy of (@lost_keys, built from the local controller's
 * peer_keys by mc_io_ack_keys()) is held, and every write until that set
 * is built.  The hold ends when the link is ready again (the peer's
 * memory then holds nothing of ours) or closed on purpose (BYE), when
 * 'peer_fenced' here says the peer is down, or when the device suspends
 * (then the writes fail: nothing says whether the peer will relink older
 * copies over them).
 */

/* The loss whose writes are held now, or 0.  Any context. */
static u64 mc_io_ack_loss(struct mc_target *mc)
{
	u64 u;

	if (mc->opts.link.fencing == MC_FENCING_NONE || !mc->link)
		return 0;
	u = mc_link_unsafe(mc->link);
	return u == mc->acks_fenced ? 0 : u;
}

/*
 * Must write @bio of loss @loss wait?  With fencing resource only if it
 * covers a page the lost peer may keep a copy of, or that set is not
 * known yet.  ack_lock held.
 */
static bool mc_io_ack_covers(struct mc_target *mc, struct bio *bio, u64 loss)
{
	struct mc_io *io = mc_io_of(bio);
	u64 lo;

	if (mc->opts.link.fencing == MC_FENCING_STONITH)
		return true;
	if (mc->keys_loss != loss)
		return true;
	lo = mc_hash_key(io->lun->id, io->first);
	return mc_keys_any(mc->lost_keys, mc->lost_nr, lo, lo + io->nr);
}

/* Log the first held write of loss @loss.  ack_lock held. */
static void mc_io_ack_log(struct mc_target *mc, u64 loss)
{
	if (mc->acks_logged == loss)
		return;
	mc->acks_logged = loss;
	if (mc->opts.link.fencing == MC_FENCING_STONITH)
		DMWARN("ctrl%d: the peer host is lost (fencing resource-and-stonith): no write completes until the link is back or 'peer_fenced'",
		       mc->opts.link.local);
	else
		DMWARN("ctrl%d: the peer host is lost (fencing resource): writes over pages it may keep copies of wait until the link is back or 'peer_fenced'",
		       mc->opts.link.local);
}

/*
 * Hold the end of write @bio while the peer may hold older copies: true
 * when it is held.  A suspending device holds nothing: the write fails.
 * Any context.
 */
static bool mc_io_ack_held(struct mc_target *mc, struct bio *bio)
{
	unsigned long flags;
	bool held = false;
	u64 loss;

	if (likely(!mc->link) || mc->opts.link.fencing == MC_FENCING_NONE ||
	    bio->bi_status || !op_is_write(bio_op(bio)) || !bio_sectors(bio))
		return false;
	spin_lock_irqsave(&mc->ack_lock, flags);
	loss = mc_io_ack_loss(mc);
	if (!loss || !mc_io_ack_covers(mc, bio, loss)) {
		/* no hold */
	} else if (READ_ONCE(mc->suspended)) {
		bio->bi_status = BLK_STS_IOERR;
	} else {
		bio_list_add(&mc->acks, bio);
		mc->acks_held++;
		held = true;
		mc_io_ack_log(mc, loss);
	}
	spin_unlock_irqrestore(&mc->ack_lock, flags);
	return held;
}

/* Complete the writes of @acks (a list taken off @mc->acks). */
static void mc_io_ack_end(struct mc_target *mc, struct bio_list *acks,
			  blk_status_t status)
{
	struct bio *bio;

	while ((bio = bio_list_pop(acks))) {
		if (status)
			bio->bi_status = status;
		bio_endio(bio);
		mc_io_put(mc);
	}
}

/*
 * Take the held writes that no page of @mc->lost_keys covers off
 * @mc->acks into @out.  ack_lock held.  Return: how many.
 */
static unsigned int mc_io_ack_uncovered(struct mc_target *mc, u64 loss,
					struct bio_list *out)
{
	struct bio_list keep = BIO_EMPTY_LIST;
	unsigned int n = 0;
	struct bio *bio;

	while ((bio = bio_list_pop(&mc->acks))) {
		if (mc_io_ack_covers(mc, bio, loss)) {
			bio_list_add(&keep, bio);
		} else {
			bio_list_add(out, bio);
			n++;
		}
	}
	mc->acks = keep;
	mc->acks_held -= n;
	return n;
}

/*
 * Copy the keys of @c->peer_keys that name a page into a new array,
 * sorted.  Process context; no lock: a copy posted after the loss was
 * refused (mc_link_write()) or flushed by the failed queue pair, so the
 * entries that matter were written before the loss was seen.
 */
static u64 *mc_io_ack_keys_copy(struct mc_ctrl *c, u32 *nr)
{
	unsigned int noio;
	u32 i, n = 0;
	u64 *keys, k;

	noio = memalloc_noio_save();	/* writes of this device are held */
	keys = kvmalloc_array(max(c->peer_keys_nr, 1U), sizeof(*keys),
			      GFP_KERNEL);
	memalloc_noio_restore(noio);
	if (!keys)
		return NULL;
	for (i = 0; i < c->peer_keys_nr; i++) {
		k = READ_ONCE(c->peer_keys[i]);
		if (k != MC_KEY_NONE)
			keys[n++] = k;
	}
	*nr = mc_keys_sort(keys, n);
	return keys;
}

/**
 * mc_io_ack_keys - fencing resource: learn which pages the lost peer may
 *	keep copies of, and complete the held writes that cover none
 * @mc: the target
 * @c: this host's controller
 * @released: set to how many held writes completed
 *
 * Called by mc_io_ack_work() for every change of the link; once per loss
 * it copies @c->peer_keys into @mc->lost_keys.  Until then every write of
 * the loss is held.  Process context.
 *
 * Return: 0, or -ENOMEM (try again; the writes stay held).
 */
static int mc_io_ack_keys(struct mc_target *mc, struct mc_ctrl *c,
			  unsigned int *released)
{
	struct bio_list done = BIO_EMPTY_LIST;
	u64 loss, *keys, *old = NULL;
	u32 nr;

	*released = 0;
	if (mc->opts.link.fencing != MC_FENCING_RESOURCE || !c->peer_keys)
		return 0;
	/*
	 * Before its first join cleared the peer's CBE array, copies of an
	 * earlier table of this host (a reload) may be there: unknown, so
	 * every write of the loss stays held.
	 */
	if (!READ_ONCE(mc->joined))
		return 0;
	spin_lock_irq(&mc->ack_lock);
	loss = mc_io_ack_loss(mc);
	spin_unlock_irq(&mc->ack_lock);
	if (!loss || loss == READ_ONCE(mc->keys_loss))
		return 0;
	keys = mc_io_ack_keys_copy(c, &nr);
	if (!keys)
		return -ENOMEM;
	spin_lock_irq(&mc->ack_lock);
	if (mc_io_ack_loss(mc) == loss) {
		old = mc->lost_keys;
		mc->lost_keys = keys;
		mc->lost_nr = nr;
		WRITE_ONCE(mc->keys_loss, loss);
		*released = mc_io_ack_uncovered(mc, loss, &done);
	} else {
		old = keys;	/* the loss ended meanwhile */
	}
	spin_unlock_irq(&mc->ack_lock);
	kvfree(old);
	mc_io_ack_end(mc, &done, BLK_STS_OK);
	if (old != keys)
		DMWARN("ctrl%u: the lost peer host may keep copies of %u pages of ours: writes over them wait for the link or 'peer_fenced'",
		       c->id, nr);
	return 0;
}

/**
 * mc_io_ack_release - complete the held writes
 * @mc: the target
 * @status: 0 (only if the hold is over), or an error (a suspend: nothing
 *	says that the peer's older copies will not be relinked over them)
 *
 * Return: how many writes were held and completed.
 */
static unsigned int mc_io_ack_release(struct mc_target *mc,
				      blk_status_t status)
{
	struct bio_list acks = BIO_EMPTY_LIST;
	unsigned int n = 0;

	spin_lock_irq(&mc->ack_lock);
	if (status || !mc_io_ack_loss(mc)) {
		bio_list_merge(&acks, &mc->acks);
		bio_list_init(&mc->acks);
		n = mc->acks_held;
		mc->acks_held = 0;
	}
	spin_unlock_irq(&mc->ack_lock);
	mc_io_ack_end(mc, &acks, status);
	return n;
}

/* 'peer_fenced': the peer is down, its copies of the loss are gone. */
static void mc_io_ack_fenced(struct mc_target *mc)
{
	spin_lock_irq(&mc->ack_lock);
	if (mc->link)
		mc->acks_fenced = mc_link_unsafe(mc->link);
	spin_unlock_irq(&mc->ack_lock);
}

/*
 * The held writes after a change of the link: all complete once the link
 * says the peer's memory holds nothing of ours again; with fencing
 * resource those that cover no page the peer may keep complete once that
 * set is known.  Its own work, so that nothing the host work waits for
 * (a join's destage, a switch) delays them.
 */
static void mc_io_ack_work(struct work_struct *work)
{
	struct mc_target *mc = container_of(to_delayed_work(work),
					    struct mc_target, ack_work);
	int local = mc->opts.link.local;
	unsigned int n;

	n = mc_io_ack_release(mc, BLK_STS_OK);
	if (n)
		DMINFO("ctrl%d: %u held writes complete: the peer's memory holds no copy of ours any more",
		       local, n);
	if (mc_io_ack_keys(mc, &mc->ctrl[local], &n))
		queue_delayed_work(system_unbound_wq, &mc->ack_work,
				   msecs_to_jiffies(100));	/* -ENOMEM */
	if (n)
		DMINFO("ctrl%d: %u held writes complete: they cover no page the lost peer host may keep",
		       local, n);
}

/* The link changed (any context): look at the held writes again. */
static void mc_io_ack_kick(struct mc_target *mc)
{
	if (mc->opts.link.fencing != MC_FENCING_NONE)
		mod_delayed_work(system_unbound_wq, &mc->ack_work, 0);
}

/*
 * The link no longer calls: stop looking at the held writes.  A
 * constructor that failed before mc_io_gate_init() queued nothing.
 */
static void mc_io_ack_stop(struct mc_target *mc)
{
	if (mc->gate_srcu_live)
		cancel_delayed_work_sync(&mc->ack_work);
}

/* ---- bio state machine ---- */

/**
 * mc_io_complete - every page of @io is done: finish the bio
 * @io: the bio's state
 *
 * Every mirror copy and, for a write-through write, every destage of the
 * bio has completed.
 */
static void mc_io_complete(struct mc_io *io)
{
	struct bio *bio = mc_bio_of(io);
	struct mc_ctrl *c = io->c;

	if (unlikely(io->redrive)) {
		mc_redrive(c->mc, bio);
		return;
	}
	bio->bi_status = io->status;
	if (unlikely(mc_io_ack_held(c->mc, bio)))
		return;		/* a two-host table whose peer is lost */
	bio_endio(bio);
	mc_io_put(c->mc);
}

/**
 * mc_io_put_refs - drop @n pending references of @io (copies, destages)
 * @io: the bio's state
 * @n: how many
 */
static void mc_io_put_refs(struct mc_io *io, u32 n)
{
	if (atomic_sub_and_test(n, &io->pending))
		mc_io_complete(io);
}

/* Drop one pending reference of @io (a copy or a destage). */
static void mc_io_put_ref(struct mc_io *io)
{
	mc_io_put_refs(io, 1);
}

/**
 * mc_io_put - a bio left the target (completed or handed on)
 * @mc: the target
 */
static void mc_io_put(struct mc_target *mc)
{
	if (atomic_dec_and_test(&mc->active_ios))
		wake_up_all(&mc->idle_wait);
}

/* Process pages until the bio is done or parked. */
static void mc_io_step(struct mc_io *io, struct bio *bio)
{
	bool write = bio_data_dir(bio) == WRITE;
	bool discard = mc_bio_discard(bio);
	struct mc_ctrl *c = io->c;
	int r;

	if (unlikely(!mc_ctrl_get(c))) {
		io->redrive = true;	/* failed: the survivor runs it */
		mc_io_put_ref(io);
		return;
	}
	while (io->done < io->nr && !io->status) {
		if (unlikely(!mc_ctrl_up(io->c))) {
			io->redrive = true;	/* failed under us */
			break;
		}
		if (unlikely(write && !discard && READ_ONCE(io->lun->error))) {
			/* Its LU is dead: a parked write fails, as a new one. */
			io->status = BLK_STS_IOERR;
			break;
		}
		if (unlikely(discard))
			r = mc_discard_step(io, bio);
		else
			r = write ? mc_write_pages(io, bio) :
				    mc_read_page(io, bio);
		if (r == MC_STEP_PARKED) {
			mc_ctrl_put(c);
			return;		/* @io may already be re-driven */
		}
		if (r == MC_STEP_DONE)
			io->done++;
	}
	if (unlikely(discard) && io->done == io->nr && !io->status &&
	    !io->redrive)
		mc_discard_submit(io, bio);
	mc_ctrl_put(c);
	mc_io_put_ref(io);
}

/*
 * A write-back bio completed (mc_wb_complete()); finish the write-through
 * write it was for, if any.
 */
static void mc_write_lu_done(struct mc_ctrl *c, struct bio *bio)
{
	struct mc_io *io = mc_lbio_of(bio)->io;
	blk_status_t st = bio->bi_status;

	if (!mc_wb_complete(c, bio)) {
		if (io)
			io->redrive = true;	/* @c failed under it */
	} else if (io && st) {
		io->status = st;
	}
	if (io)
		mc_io_put_ref(io);
}

/* A flush whose writes are on its LU goes on to the LU's own cache. */
static void mc_flush_done(struct mc_ctrl *c, struct bio *bio)
{
	struct mc_io *io = mc_io_of(bio);

	if (io->status) {
		bio->bi_status = io->status;
		bio_endio(bio);
	} else {
		bio_set_dev(bio, io->lun->dev->bdev);
		submit_bio_noacct(bio);
	}
	mc_io_put(c->mc);
}

/**
 * mc_io_work - the controller's work: completions, then parked bios
 * @work: mc_ctrl->io_work
 */
static void mc_io_work(struct work_struct *work)
{
	struct mc_ctrl *c = container_of(work, struct mc_ctrl, io_work);
	struct bio_list done, parked, flushes = BIO_EMPTY_LIST;
	struct bio *bio;

	spin_lock_irq(&c->done_lock);
	done = c->done;
	bio_list_init(&c->done);
	spin_unlock_irq(&c->done_lock);
	while ((bio = bio_list_pop(&done))) {
		if (bio_op(bio) == REQ_OP_READ)
			mc_fill_complete(c, bio);
		else if (mc_bio_discard(bio))
			mc_discard_complete(c, bio);
		else
			mc_write_lu_done(c, bio);
	}

	if (!mc_ctrl_up(c))
		return;		/* the failover takes the parked bios */
	parked = mc_ctrl_unpark_all(c);
	while ((bio = bio_list_pop(&parked)))
		mc_io_step(mc_io_of(bio), bio);

	mc_wb_check_flushes(c, &flushes);
	while ((bio = bio_list_pop(&flushes)))
		mc_flush_done(c, bio);
	mc_wb_start(c);
}

/* Set up @c's I/O work; nothing here can fail. */
static void mc_io_init_work(struct mc_ctrl *c)
{
	INIT_WORK(&c->io_work, mc_io_work);
}

/**
 * mc_flush_start - (re)start an empty flush on the owner of its LU
 * @mc: the target
 * @bio: the flush; io->lun is set
 */
static void mc_flush_start(struct mc_target *mc, struct bio *bio)
{
	struct mc_io *io = mc_io_of(bio);

	atomic_inc(&mc->active_ios);
	io->c = &mc->ctrl[READ_ONCE(io->lun->owner)];
	if (mc->opts.flush_mode == MC_FLUSH_MIRROR && !mc_ctrl_solo(io->c)) {
		bio_endio(bio);		/* two copies count as durable */
		mc_io_put(mc);
		return;
	}
	if (!mc_wb_flush(io->c, bio)) {
		mc_redrive(mc, bio);	/* the survivor answers it */
		return;
	}
	mc_kick(io->c);
}

/* Route an empty flush to the owner of the LU it is meant for. */
/*
 * A two-host table: the peer host serves @lun.  A read or write here is a
 * path error (dm-multipath above uses the peer's path); a flush has
 * nothing of it to write.
 */
static bool mc_map_remote(struct mc_target *mc, struct mc_lun *lun,
			  struct bio *bio)
{
	if (likely(!mc_ctrl_remote(&mc->ctrl[READ_ONCE(lun->owner)])))
		return false;
	bio->bi_status = bio_sectors(bio) ? BLK_STS_TRANSPORT : BLK_STS_OK;
	bio_endio(bio);
	return true;
}

static int mc_map_flush(struct mc_target *mc, struct bio *bio)
{
	struct mc_io *io = mc_io_of(bio);

	io->lun = &mc->luns[dm_bio_get_target_bio_nr(bio)];
	if (mc_map_remote(mc, io->lun, bio))
		return DM_MAPIO_SUBMITTED;
	io->nr = 0;
	io->redrive = false;
	mc_admit(mc, bio);
	return DM_MAPIO_SUBMITTED;
}

/**
 * mc_io_map - .map: hand @bio to the controller in charge of its LU
 * @mc: the target
 * @bio: a read, a write, a discard, a write-zeroes or an empty flush
 *
 * Return: a DM_MAPIO_* code.
 */
static int mc_io_map(struct mc_target *mc, struct bio *bio)
{
	struct mc_io *io = mc_io_of(bio);
	sector_t sector, left;

	if (unlikely(op_is_flush(bio->bi_opf) && !bio_sectors(bio)))
		return mc_map_flush(mc, bio);
	if (unlikely(bio_op(bio) != REQ_OP_READ && bio_op(bio) != REQ_OP_WRITE &&
		     !mc_bio_discard(bio)))
		return DM_MAPIO_KILL;

	sector = dm_target_offset(mc->ti, bio->bi_iter.bi_sector);
	io->lun = mc_lun_of(mc, sector);
	left = io->lun->start + io->lun->len - sector;
	if (bio_sectors(bio) > left)
		dm_accept_partial_bio(bio, left);
	if (mc_map_remote(mc, io->lun, bio))
		return DM_MAPIO_SUBMITTED;
	if (unlikely((sector | bio_sectors(bio)) & (MC_PAGE_SECTORS - 1)))
		return DM_MAPIO_KILL;	/* the block size is 4096 */

	io->first = (sector - io->lun->start) / MC_PAGE_SECTORS;
	io->nr = bio_sectors(bio) / MC_PAGE_SECTORS;
	mc_admit(mc, bio);
	return DM_MAPIO_SUBMITTED;
}

/**
 * mc_io_start - (re)start a mapped read or write at its first page
 * @mc: the target
 * @bio: the bio; io->lun, io->first and io->nr are set
 *
 * The controller is the LU's current owner, so a bio re-driven after a
 * failover runs on the survivor.
 */
static void mc_io_start(struct mc_target *mc, struct bio *bio)
{
	struct mc_io *io = mc_io_of(bio);

	struct mc_ctrl *c;

	atomic_inc(&mc->active_ios);
	c = &mc->ctrl[READ_ONCE(io->lun->owner)];
	io->c = c;
	io->done = 0;
	io->status = BLK_STS_OK;
	io->redrive = false;
	io->iter = bio->bi_iter;
	io->cursor = 0;
	INIT_LIST_HEAD(&io->discard);
	io->fua = bio->bi_opf & REQ_FUA;
	io->wt = false;
	io->nomirror = false;
	if (bio_data_dir(bio) == WRITE) {
		if (unlikely(READ_ONCE(io->lun->error))) {
			/* A dead LU: fail at once, keep the cache as it is. */
			bio->bi_status = BLK_STS_IOERR;
			bio_endio(bio);
			mc_io_put(mc);
			return;
		}
		io->wt = mc_ctrl_writethrough(c) ||
			 READ_ONCE(io->lun->phase) == MC_MV_DESTAGING ||
			 (io->fua && (mc->opts.flush_mode == MC_FLUSH_DESTAGE ||
				      mc_ctrl_solo(c)));
	}
	atomic_set(&io->pending, 1);
	mc_io_step(io, bio);
}
