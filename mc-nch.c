// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: the node channel.
 *
 * The node channel carries a controller's dirty pages into the peer's
 * mirror area (claims 7, 8, 15, 16).  Each controller has its own
 * node-channel work queue.  A copy request names a local read/write page
 * and a mirror page in the peer; the work copies the data, then writes the
 * page's encoded CBE into the peer's CBE slot, so that the peer can identify
 * the page after a failure.  With a DMA_MEMCPY channel the data moves by
 * DMA, otherwise by the CPU of the work queue.
 *
 * Mirror pages come from the controller's own mirror management table
 * (mirror_alloc table, claim 1), or, in mirror_alloc message mode (the prior
 * art of seed 000, Fig. 12), from a request that the peer processes on its
 * own work queue and answers from the free list of its own mirror area,
 * which only it keeps.
 */
#include <linux/delay.h>
#include <linux/dmaengine.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include "dm-mirrorcache.h"

#define MC_NCH_POOL_MIN	64

/**
 * struct mc_nch_req - the mirror copies of one pass of a write, queued to
 *	the node-channel work (DMA, copies beside the submitter, torn copy)
 * @entry: in mc_ctrl->nch_queue or mc_ctrl->nch_dma_done
 * @io: the write that waits for the copies
 * @c: the copying controller
 * @done: the caller's completion (mc_nch_copy())
 * @v: the pages, their CBEs and previous mirror pages
 * @src: DMA addresses of the local pages (DMA engine only)
 * @dst: DMA addresses of the mirror pages (DMA engine only)
 * @dma_left: transfers not yet called back, plus one while submitting
 * @dma_failed: a transfer failed or could not start: the CPU copies all
 * @remote: two hosts: @x carries the copies (or the release) over the link
 * @release: @x writes the free pattern into the CBEs of mirror pages,
 *	which return to the table when it completes
 * @remote_err: how @x ended
 * @x: two hosts only (the pool's objects are larger then): the chain of
 *	RDMA WRITEs (mc-link.c)
 */
struct mc_nch_req {
	struct list_head entry;
	struct mc_io *io;
	struct mc_ctrl *c;
	mc_nch_done_fn done;
	struct mc_nch_vec v;
	dma_addr_t src[MC_NCH_VEC];
	dma_addr_t dst[MC_NCH_VEC];
	atomic_t dma_left;
	bool dma_failed;
	bool remote;
	bool release;
	int remote_err;
	struct mc_link_xfer x[];
};

static int mc_nch_pool_init(struct mc_target *mc)
{
	size_t sz = sizeof(struct mc_nch_req);

	if (mc_two_host(mc))
		sz += sizeof(struct mc_link_xfer);
	return mempool_init_kmalloc_pool(&mc->nch_pool, MC_NCH_POOL_MIN, sz);
}

/* ---- mirror page acquisition and release ---- */

enum { MC_MSG_GET, MC_MSG_PUT };

/**
 * struct mc_msg - a request to the peer (mirror_alloc message)
 * @work: runs on the peer's msg_wq (mirror_alloc message mode only)
 * @from: the requesting controller
 * @op: MC_MSG_GET or MC_MSG_PUT
 * @page: page to release, or the page acquired
 * @done: the reply
 */
struct mc_msg {
	struct work_struct work;
	struct mc_ctrl *from;
	int op;
	u32 page;
	struct completion done;
};

static u32 mc_mmt_get(struct mc_ctrl *c)
{
	u32 m;

	spin_lock(&c->mmt_lock);
	m = mmt_acquire(&c->mmt);
	spin_unlock(&c->mmt_lock);
	return m;
}

/* Return mirror page @m to @c's table; c->mmt_lock held. */
static void mc_mmt_put_locked(struct mc_ctrl *c, u32 m)
{
	int r = mmt_release(&c->mmt, m);

	if (r)
		DMERR_LIMIT("ctrl%u: mirror page %u released twice (%d)",
			    c->id, m, r);
}

static void mc_mmt_put(struct mc_ctrl *c, u32 m)
{
	spin_lock(&c->mmt_lock);
	mc_mmt_put_locked(c, m);
	spin_unlock(&c->mmt_lock);
}

/*
 * The peer's side of the message protocol: serve one request from the free
 * list of its own mirror area, under its own lock (struct mc_ctrl, @mmt).
 */
static void mc_msg_work(struct work_struct *work)
{
	struct mc_msg *msg = container_of(work, struct mc_msg, work);
	struct mc_ctrl *p = mc_peer(msg->from);

	if (msg->op == MC_MSG_GET)
		msg->page = mc_mmt_get(p);
	else
		mc_mmt_put(p, msg->page);
	complete(&msg->done);
}

/* Send one request to the peer's work queue and wait for the reply. */
static u32 mc_msg_call(struct mc_ctrl *c, int op, u32 page)
{
	struct mc_msg msg = { .from = c, .op = op, .page = page };

	INIT_WORK_ONSTACK(&msg.work, mc_msg_work);
	init_completion(&msg.done);
	queue_work(mc_peer(c)->msg_wq, &msg.work);
	wait_for_completion(&msg.done);
	destroy_work_on_stack(&msg.work);
	return msg.page;
}

/**
 * mc_mirror_get - acquire a page in the peer's mirror area for @c
 * @c: the controller that will write the mirror
 *
 * May sleep in message mode (waiting for the peer's reply).
 *
 * Return: the mirror page, or MMT_NIL when the mirror area is full.
 */
static u32 mc_mirror_get(struct mc_ctrl *c)
{
	u32 m;

	if (c->mc->opts.mirror_alloc == MC_ALLOC_MESSAGE)
		m = mc_msg_call(c, MC_MSG_GET, 0);
	else
		m = mc_mmt_get(c);
	if (m != MMT_NIL)
		mc_stat_inc(c, mirror_acquired);
	return m;
}

/**
 * mc_mirror_get_n - acquire @n pages in the peer's mirror area at once
 * @c: the controller that will write the mirrors
 * @n: how many
 * @out: the pages
 *
 * One hold of the table's lock for all of them (seed 000, S56); table mode
 * only.  All or nothing.
 *
 * Return: true when @out holds @n pages.
 */
static bool mc_mirror_get_n(struct mc_ctrl *c, u32 n, u32 *out)
{
	int r;

	spin_lock(&c->mmt_lock);
	r = mmt_acquire_n(&c->mmt, n, out);
	spin_unlock(&c->mmt_lock);
	if (r)
		return false;
	mc_stat_add(c, mirror_acquired, n);
	return true;
}

/*
 * Mirror pages of @c's table were released: wake the I/O work when a bio
 * is parked, for it may wait for one (mc_write_get_mirror()).  Every
 * release comes here, whoever frees the slot (write-back, a rewrite, a
 * discard, the new owner of an LU an instant takeover moved), so no parked
 * write misses one.  A bio parks under c->lock after it saw mirror_gen
 * unchanged; this checks under c->lock after mirror_gen moved, so one of
 * the two sees the other.  Called without c->lock.
 */
static void mc_mirror_released(struct mc_ctrl *c)
{
	bool parked;

	spin_lock(&c->lock);
	parked = !bio_list_empty(&c->parked);
	spin_unlock(&c->lock);
	if (parked)
		queue_work(c->wq, &c->io_work);
}

/*
 * Mirror pages of @c's table came back: count, and wake what waits for
 * them.  Called without c->lock.
 */
static void mc_mirror_returned(struct mc_ctrl *c, u32 n)
{
	mc_stat_add(c, mirror_released, n);
	atomic64_inc(&c->mirror_gen);
	mc_mirror_released(c);
}

/* Return @n mirror pages to @c's table (table mode). */
static void mc_mmt_put_n(struct mc_ctrl *c, const u32 *ms, u32 n)
{
	u32 i;

	spin_lock(&c->mmt_lock);
	for (i = 0; i < n; i++)
		mc_mmt_put_locked(c, ms[i]);
	spin_unlock(&c->mmt_lock);
}

static void mc_nch_remote_release(struct mc_ctrl *c, const u32 *ms, u32 n);

/*
 * Give @n mirror pages back to whoever hands them out (the table, or the
 * peer in message mode), count, wake.  Their CBEs are free already.
 */
static void mc_mirror_return_n(struct mc_ctrl *c, const u32 *ms, u32 n)
{
	u32 i;

	if (c->mc->opts.mirror_alloc == MC_ALLOC_MESSAGE) {
		for (i = 0; i < n; i++)
			mc_msg_call(c, MC_MSG_PUT, ms[i]);
	} else {
		mc_mmt_put_n(c, ms, n);
	}
	mc_mirror_returned(c, n);
}

/**
 * mc_mirror_put_n - release mirror pages (seed 000, S44-S46)
 * @c: the controller that wrote the mirrors
 * @ms: the pages
 * @n: how many; 0 is allowed
 *
 * Writes the free pattern into the peer's CBE of each page first (over the
 * link in a two-host table, which returns the pages when that completes),
 * then returns the pages and wakes what waits for them.  Called without
 * c->lock.
 */
static void mc_mirror_put_n(struct mc_ctrl *c, const u32 *ms, u32 n)
{
	u32 i;

	if (!n || READ_ONCE(c->state) != MC_CTRL_ONLINE)
		return;		/* solo or failed: the table is rebuilt at recovery */
	if (mc_two_host(c->mc)) {
		mc_nch_remote_release(c, ms, n);	/* over the link */
		return;
	}
	for (i = 0; i < n; i++)
		mc_cbe_clear(&mc_peer(c)->mirror_cbe[ms[i]]);
	smp_wmb();	/* the slots read free before the pages are reused */
	mc_mirror_return_n(c, ms, n);
}

/*
 * Release mirror pages that were acquired and never written (a write that
 * parked, or took fewer pages than it asked for): their CBEs are still
 * free, nothing is written into them.  Called without c->lock.
 */
static void mc_mirror_unused_n(struct mc_ctrl *c, const u32 *ms, u32 n)
{
	if (n && READ_ONCE(c->state) == MC_CTRL_ONLINE)
		mc_mirror_return_n(c, ms, n);
}

/* Release mirror page @m; see mc_mirror_put_n(). */
static void mc_mirror_put(struct mc_ctrl *c, u32 m)
{
	mc_mirror_put_n(c, &m, 1);
}

/* ---- copies ---- */

/* Copy the pages of @v into their mirror pages with the CPU. */
static void mc_nch_cpu_copy(struct mc_ctrl *c, const struct mc_nch_vec *v)
{
	u32 i;

	for (i = 0; i < v->n; i++)
		memcpy(mc_mirror_addr(c, v->cbe[i].mirror),
		       mc_page_addr(c, v->page[i]), PAGE_SIZE);
}

/*
 * The data of @v is in the mirror pages: write their completion marks (the
 * CBEs) in one hold of alive_lock, release their previous mirror pages in
 * one hold of the table's lock, report once.
 *
 * The marks are written under the read side of alive_lock: a failure takes
 * the write side before it scrubs the cache, so a copy that may have read
 * scrubbed data never gets a valid CBE, and its caller hears that the copy
 * did not count.
 */
static void mc_nch_finish(struct mc_ctrl *c, struct mc_io *io,
			  const struct mc_nch_vec *v, mc_nch_done_fn done)
{
	struct mc_cbe_raw *slots = mc_peer(c)->mirror_cbe;
	u32 rel[MC_NCH_VEC], nr = 0, i;
	bool alive;

	read_lock(&c->alive_lock);
	alive = mc_state_up(c->state);
	if (alive) {
		smp_wmb();	/* mirror data before the CBEs that validate it */
		for (i = 0; i < v->n; i++)
			mc_cbe_encode(&v->cbe[i], &slots[v->cbe[i].mirror]);
	}
	read_unlock(&c->alive_lock);
	if (alive) {
		mc_stat_add(c, nch_copies, v->n);
		for (i = 0; i < v->n; i++)
			if (v->old[i] != MC_CBE_NO_MIRROR)
				rel[nr++] = v->old[i];
		mc_mirror_put_n(c, rel, nr);
	}
	done(c, io, v->page, v->n, alive ? MC_NCH_COPIED : MC_NCH_DOWN);
}

/* Finish a queued request and free it. */
static void mc_nch_req_finish(struct mc_ctrl *c, struct mc_nch_req *req)
{
	mc_nch_finish(c, req->io, &req->v, req->done);
	mempool_free(req, &c->mc->nch_pool);
	atomic_dec(&mc_live.nch_reqs);
	mc_ctrl_put(c);		/* taken by mc_nch_queue() */
}

static void mc_nch_dma_unmap(struct mc_ctrl *c, struct mc_nch_req *req,
			     u32 n)
{
	struct device *dev = c->dma->device->dev;
	u32 i;

	for (i = 0; i < n; i++) {
		dma_unmap_page(dev, req->src[i], PAGE_SIZE, DMA_TO_DEVICE);
		dma_unmap_page(dev, req->dst[i], PAGE_SIZE, DMA_FROM_DEVICE);
	}
}

/*
 * Drop one reference of @req's transfers (a transfer's callback, or the
 * submitter's bias).  The last one hands the request to the node-channel
 * work, which finishes it.  The request is a user of the controller
 * until then (mc_nch_queue()), so no transfer of a failed controller
 * outlives its fence.
 */
static void mc_nch_dma_put(struct mc_nch_req *req)
{
	struct mc_ctrl *c = req->c;

	if (!atomic_dec_and_test(&req->dma_left))
		return;
	spin_lock_bh(&c->nch_lock);
	list_add_tail(&req->entry, &c->nch_dma_done);
	spin_unlock_bh(&c->nch_lock);
	queue_work(c->nch_wq, &c->nch_work);
}

/* DMA completion callback (tasklet context): record the result. */
static void mc_nch_dma_callback(void *data,
				const struct dmaengine_result *result)
{
	struct mc_nch_req *req = data;

	if (result && result->result != DMA_TRANS_NOERROR)
		WRITE_ONCE(req->dma_failed, true);
	mc_nch_dma_put(req);
}

/* Map the pages of @req for DMA; false (nothing mapped) on failure. */
static bool mc_nch_dma_map(struct mc_ctrl *c, struct mc_nch_req *req)
{
	struct device *dev = c->dma->device->dev;
	struct mc_ctrl *p = mc_peer(c);
	u32 i;

	for (i = 0; i < req->v.n; i++) {
		req->src[i] = dma_map_page(dev, c->pages[req->v.page[i]], 0,
					   PAGE_SIZE, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, req->src[i]))
			break;
		req->dst[i] = dma_map_page(dev,
				p->pages[p->rw_pages + req->v.cbe[i].mirror],
				0, PAGE_SIZE, DMA_FROM_DEVICE);
		if (dma_mapping_error(dev, req->dst[i])) {
			dma_unmap_page(dev, req->src[i], PAGE_SIZE,
				       DMA_TO_DEVICE);
			break;
		}
	}
	if (i == req->v.n)
		return true;
	mc_nch_dma_unmap(c, req, i);
	return false;
}

/*
 * Start the DMA copies of @req, one descriptor per page; false when the CPU
 * has to copy instead.  A descriptor that cannot be prepared or submitted
 * after others were marks the request failed: once the submitted ones are
 * called back, the work copies all its pages with the CPU.
 */
static bool mc_nch_dma_start(struct mc_ctrl *c, struct mc_nch_req *req)
{
	struct dma_async_tx_descriptor *tx;
	u32 i;

	if (!mc_nch_dma_map(c, req))
		return false;
	req->dma_failed = false;
	atomic_set(&req->dma_left, 1);
	for (i = 0; i < req->v.n; i++) {
		/* Acked at once: a descriptor is never reused or chained. */
		tx = dmaengine_prep_dma_memcpy(c->dma, req->dst[i], req->src[i],
					       PAGE_SIZE,
					       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
		if (!tx)
			break;
		tx->callback_result = mc_nch_dma_callback;
		tx->callback_param = req;
		atomic_inc(&req->dma_left);
		if (dma_submit_error(dmaengine_submit(tx))) {
			atomic_dec(&req->dma_left);
			break;
		}
	}
	if (i < req->v.n)
		WRITE_ONCE(req->dma_failed, true);
	if (i)
		dma_async_issue_pending(c->dma);
	mc_nch_dma_put(req);	/* the bias */
	return true;
}

/*
 * Fault injection (debugfs inject_torn_copy): copy half of the first page,
 * then let the controller fail before the copy can complete, as a
 * controller that dies in the middle of a node-channel transfer would.
 * Should the failure not come within 5 s, the pass is copied whole, so a
 * torn copy never gets a valid CBE.
 */
static void mc_nch_inject_torn(struct mc_ctrl *c, struct mc_nch_req *req)
{
	unsigned long end = jiffies + 5 * HZ;

	memcpy(mc_mirror_addr(c, req->v.cbe[0].mirror),
	       mc_page_addr(c, req->v.page[0]), PAGE_SIZE / 2);
	queue_work(system_unbound_wq, &c->fail_work);	/* fails @c (mc-fail.c) */
	while (mc_ctrl_up(c) && time_before(jiffies, end))
		usleep_range(100, 200);
	if (mc_ctrl_up(c))
		mc_nch_cpu_copy(c, &req->v);
}

/*
 * Is this copy of @c the one inject_torn_copy tears?  Only while both
 * controllers are online; the knob is disarmed by the copy it tears.
 */
static bool mc_nch_torn_claim(struct mc_ctrl *c)
{
	if (READ_ONCE(mc_inject_torn_copy) != c->id ||
	    READ_ONCE(c->state) != MC_CTRL_ONLINE ||
	    READ_ONCE(mc_peer(c)->state) != MC_CTRL_ONLINE)
		return false;
	return cmpxchg(&mc_inject_torn_copy, c->id, MC_INJECT_OFF) == c->id;
}

/* Finish the DMA copies of @req: unmap, copy with the CPU on failure. */
static void mc_nch_dma_done(struct mc_ctrl *c, struct mc_nch_req *req)
{
	mc_nch_dma_unmap(c, req, req->v.n);
	if (unlikely(req->dma_failed)) {
		DMERR_LIMIT("ctrl%u: DMA copy failed, copying with the CPU",
			    c->id);
		mc_nch_cpu_copy(c, &req->v);
	}
	mc_nch_req_finish(c, req);
}

/* Perform one queued request: on the DMA engine, or with this CPU. */
static void mc_nch_run(struct mc_ctrl *c, struct mc_nch_req *req)
{
	if (unlikely(!mc_ctrl_up(c))) {
		mc_nch_req_finish(c, req);	/* re-driven, no copy */
		return;
	}
	if (unlikely(mc_nch_torn_claim(c))) {
		mc_nch_inject_torn(c, req);
		mc_nch_req_finish(c, req);
		return;
	}
	if (c->dma && mc_nch_dma_start(c, req))
		return;
	mc_nch_cpu_copy(c, &req->v);
	mc_nch_req_finish(c, req);
}

/* ---- two hosts: the copies as RDMA WRITEs over the link ---- */

/* A request of @c with its chain, a user of @c until it is freed. */
static struct mc_nch_req *mc_nch_remote_alloc(struct mc_ctrl *c)
{
	struct mc_nch_req *req = mempool_alloc(&c->mc->nch_pool, GFP_NOIO);

	atomic_inc(&mc_live.nch_reqs);
	percpu_ref_get(&c->users);	/* the caller's is live */
	req->c = c;
	req->remote = true;
	req->remote_err = 0;
	req->x->zero_len = 0;
	return req;
}

static void mc_nch_remote_free(struct mc_ctrl *c, struct mc_nch_req *req)
{
	mempool_free(req, &c->mc->nch_pool);
	atomic_dec(&mc_live.nch_reqs);
	mc_ctrl_put(c);
}

/* A chain ended (softirq): the node-channel work finishes it. */
static void mc_nch_remote_done(struct mc_link_xfer *x, int err)
{
	struct mc_nch_req *req = container_of(x, struct mc_nch_req, x[0]);
	struct mc_ctrl *c = req->c;

	req->remote_err = err;
	spin_lock_bh(&c->nch_lock);
	list_add_tail(&req->entry, &c->nch_dma_done);
	spin_unlock_bh(&c->nch_lock);
	queue_work(c->nch_wq, &c->nch_work);
}

/*
 * Post @req's chain, which releases mirror pages @ms (the free pattern
 * into their CBEs; the pages return to the table when it completes).
 * Without the link the pages stay taken: the table is rebuilt before the
 * peer's memory is written again (mc-fail.c, the join).
 */
static void mc_nch_release_post(struct mc_ctrl *c, struct mc_nch_req *req,
				const u32 *ms, u32 n)
{
	struct mc_link_xfer *x = req->x;

	req->release = true;
	x->done = mc_nch_remote_done;
	x->data = false;
	x->n = n;
	memcpy(x->slot, ms, n * sizeof(*ms));
	memset(x->cbe, 0, n * sizeof(x->cbe[0]));	/* the free pattern */
	if (mc_link_write(c->mc->link, x))
		mc_nch_remote_free(c, req);
}

/* mc_mirror_put_n() of a two-host table: chains of MC_NCH_VEC pages. */
static void mc_nch_remote_release(struct mc_ctrl *c, const u32 *ms, u32 n)
{
	u32 k;

	for (; n; n -= k, ms += k) {
		k = min_t(u32, n, MC_NCH_VEC);
		mc_nch_release_post(c, mc_nch_remote_alloc(c), ms, k);
	}
}

/*
 * The chain of @req ended.  A release returns its pages.  A copy reports
 * to its caller, then its request becomes the release of the pages' old
 * mirror pages (no allocation on the work that frees requests).
 */
static void mc_nch_remote_finish(struct mc_ctrl *c, struct mc_nch_req *req)
{
	u32 rel[MC_NCH_VEC], nr = 0, i;

	if (req->release) {
		if (!req->remote_err) {
			for (i = 0; i < req->x->n; i++)	/* free there now */
				WRITE_ONCE(c->peer_keys[req->x->slot[i]],
					   MC_KEY_NONE);
			mc_mmt_put_n(c, req->x->slot, req->x->n);
			mc_mirror_returned(c, req->x->n);
		}
		mc_nch_remote_free(c, req);
		return;
	}
	if (!req->remote_err) {
		mc_stat_add(c, nch_copies, req->v.n);
		for (i = 0; i < req->v.n; i++)
			if (req->v.old[i] != MC_CBE_NO_MIRROR)
				rel[nr++] = req->v.old[i];
	}
	req->done(c, req->io, req->v.page, req->v.n,
		  req->remote_err ? MC_NCH_LOST : MC_NCH_COPIED);
	if (nr && READ_ONCE(c->state) == MC_CTRL_ONLINE)
		mc_nch_release_post(c, req, rel, nr);
	else
		mc_nch_remote_free(c, req);
}

/*
 * mc_nch_copy() of a two-host table: one chain per pass, the data of each
 * page into its mirror page in the peer's memory, then the CBEs; the
 * write hears of it when the last one is placed.  Without the link the
 * pass reports MC_NCH_LOST at once.
 */
static void mc_nch_remote_copy(struct mc_ctrl *c, struct mc_io *io,
			       const struct mc_nch_vec *v, mc_nch_done_fn done)
{
	struct mc_nch_req *req = mc_nch_remote_alloc(c);
	struct mc_link_xfer *x = req->x;
	u32 i;

	req->io = io;
	req->done = done;
	req->release = false;
	req->v.n = v->n;
	x->done = mc_nch_remote_done;
	x->data = true;
	x->n = v->n;
	for (i = 0; i < v->n; i++) {
		req->v.page[i] = v->page[i];
		req->v.old[i] = v->old[i];
		req->v.cbe[i] = v->cbe[i];
		x->page[i] = c->pages[v->page[i]];
		x->slot[i] = v->cbe[i].mirror;
		mc_cbe_encode(&v->cbe[i], &x->cbe[i]);
		/* before the post: the peer may keep it from then on */
		WRITE_ONCE(c->peer_keys[x->slot[i]],
			   mc_hash_key(v->cbe[i].lun, v->cbe[i].index));
	}
	if (mc_link_write(c->mc->link, x)) {
		req->remote_err = -ENOTCONN;
		mc_nch_remote_finish(c, req);
	}
}

/* The node-channel work: finish DMA copies, perform queued requests. */
static void mc_nch_work(struct work_struct *work)
{
	struct mc_ctrl *c = container_of(work, struct mc_ctrl, nch_work);
	struct mc_nch_req *req, *tmp;
	LIST_HEAD(batch);
	LIST_HEAD(dma_done);

	spin_lock_bh(&c->nch_lock);
	list_splice_init(&c->nch_queue, &batch);
	list_splice_init(&c->nch_dma_done, &dma_done);
	spin_unlock_bh(&c->nch_lock);

	list_for_each_entry_safe(req, tmp, &dma_done, entry) {
		if (req->remote)
			mc_nch_remote_finish(c, req);
		else
			mc_nch_dma_done(c, req);
	}
	list_for_each_entry_safe(req, tmp, &batch, entry)
		mc_nch_run(c, req);
}

/* Queue the copies of @v to the node-channel work as one request. */
static void mc_nch_queue(struct mc_ctrl *c, struct mc_io *io,
			 const struct mc_nch_vec *v, mc_nch_done_fn done)
{
	struct mc_nch_req *req = mempool_alloc(&c->mc->nch_pool, GFP_NOIO);
	u32 i;

	atomic_inc(&mc_live.nch_reqs);
	percpu_ref_get(&c->users);	/* the step's is live: a user to the end */
	req->remote = false;
	req->io = io;
	req->c = c;
	req->done = done;
	req->v.n = v->n;
	for (i = 0; i < v->n; i++) {
		req->v.page[i] = v->page[i];
		req->v.old[i] = v->old[i];
		req->v.cbe[i] = v->cbe[i];
	}
	spin_lock_bh(&c->nch_lock);
	list_add_tail(&req->entry, &c->nch_queue);
	spin_unlock_bh(&c->nch_lock);
	queue_work(c->nch_wq, &c->nch_work);
}

/**
 * mc_nch_copy - make the mirror copies of freshly written pages
 * @c: the controller that owns the pages
 * @io: the write, which the node channel only hands back to @done
 * @v: the pages (at most MC_NCH_VEC), already written, their CBEs (LU,
 *	index, mirror page, sequence number) and their previous mirror
 *	pages (or MC_CBE_NO_MIRROR), released once the new copies are
 *	complete
 * @done: called once, when the copies of all pages of @v are complete and
 *	marked, or did not count because @c went down first (@copied false)
 *
 * With CPU copies the submitter copies at once and writes the completion
 * marks itself: no work-queue hop, no wakeup of another CPU, and the write
 * completes in the context that submitted it.  (Copying a pass on the
 * node-channel work beside the filling of the next was measured against
 * this and lost, even with the worker bound to the other CPU:
 * benchmarks.rst.)  DMA copies run on the engine while the caller fills
 * the next pass (claims 6 and 14), one request per pass, and complete from
 * the engine's callbacks through the node-channel work queue; so does the
 * torn copy of the fault injection.
 */
static void mc_nch_copy(struct mc_ctrl *c, struct mc_io *io,
			const struct mc_nch_vec *v, mc_nch_done_fn done)
{
	if (mc_two_host(c->mc)) {
		mc_nch_remote_copy(c, io, v, done);
		return;
	}
	if (c->dma || unlikely(READ_ONCE(mc_inject_torn_copy) == c->id)) {
		mc_nch_queue(c, io, v, done);
		return;
	}
	if (likely(mc_ctrl_up(c)))
		mc_nch_cpu_copy(c, v);
	mc_nch_finish(c, io, v, done);
}

/* ---- setup ---- */

static bool mc_dma_filter(struct dma_chan *chan, void *param)
{
	return true;
}

static int mc_nch_request_dma(struct mc_ctrl *c, char **error)
{
	enum mc_copy_engine engine = c->mc->opts.copy_engine;
	dma_cap_mask_t mask;

	if (engine == MC_COPY_CPU)
		return 0;
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	c->dma = dma_request_channel(mask, mc_dma_filter, NULL);
	if (c->dma) {
		DMINFO("ctrl%u: node channel copies with DMA channel %s",
		       c->id, dma_chan_name(c->dma));
		return 0;
	}
	if (engine == MC_COPY_DMA) {
		*error = "copy_engine dma: no DMA_MEMCPY channel is available";
		return -ENODEV;
	}
	if (c->id == 0)
		DMINFO("copy_engine auto: no DMA_MEMCPY channel, the node channel copies with the CPU");
	return 0;
}

/**
 * mc_nch_init - set up @c's node channel and message work queue
 * @c: the controller
 * @error: set to a static message on failure
 *
 * Return: 0 or a negative errno.
 */
static int mc_nch_init(struct mc_ctrl *c, char **error)
{
	spin_lock_init(&c->nch_lock);
	INIT_LIST_HEAD(&c->nch_queue);
	INIT_LIST_HEAD(&c->nch_dma_done);
	INIT_WORK(&c->nch_work, mc_nch_work);
	c->nch_wq = alloc_workqueue("mc%u_nch", WQ_MEM_RECLAIM | WQ_UNBOUND |
				    WQ_HIGHPRI, 1, c->id);
	/* The peer's requests: only in mirror_alloc message mode. */
	if (c->mc->opts.mirror_alloc == MC_ALLOC_MESSAGE)
		c->msg_wq = alloc_workqueue("mc%u_msg",
					    WQ_MEM_RECLAIM | WQ_UNBOUND, 0,
					    c->id);
	atomic_add(!!c->nch_wq + !!c->msg_wq, &mc_live.wqs);
	if (!c->nch_wq ||
	    (c->mc->opts.mirror_alloc == MC_ALLOC_MESSAGE && !c->msg_wq)) {
		*error = "Cannot allocate node-channel work queues";
		return -ENOMEM;
	}
	return mc_nch_request_dma(c, error);
}

/* Wait until no node-channel or message work of @c runs or is queued. */
static void mc_nch_quiesce(struct mc_ctrl *c)
{
	if (c->nch_wq)
		flush_workqueue(c->nch_wq);
	if (c->msg_wq)
		flush_workqueue(c->msg_wq);
}

/* Undo mc_nch_init(); the caller has quiesced all I/O. */
static void mc_nch_exit(struct mc_ctrl *c)
{
	atomic_sub(!!c->nch_wq + !!c->msg_wq, &mc_live.wqs);
	if (c->nch_wq)
		destroy_workqueue(c->nch_wq);
	if (c->msg_wq)
		destroy_workqueue(c->msg_wq);
	if (c->dma)
		dma_release_channel(c->dma);
	c->nch_wq = NULL;
	c->msg_wq = NULL;
	c->dma = NULL;
}
