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

#define MC_NCH_POOL_MIN	256

/**
 * struct mc_nch_req - one mirror copy
 * @entry: in mc_ctrl->nch_queue
 * @io: the write that waits for the copy
 * @c: the copying controller
 * @page: local read/write page
 * @mirror: page in the peer's mirror area
 * @cbe: the CBE to write next to the mirror copy
 * @old_mirror: the page's previous mirror page, released once this copy
 *	is complete, or MC_CBE_NO_MIRROR
 * @src: DMA address of the local page (DMA engine only)
 * @dst: DMA address of the mirror page (DMA engine only)
 * @done: the caller's completion (mc_nch_copy())
 * @dma_failed: the DMA transfer reported an error: copy with the CPU
 */
struct mc_nch_req {
	struct list_head entry;
	struct mc_io *io;
	struct mc_ctrl *c;
	u32 page;
	u32 mirror;
	u32 old_mirror;
	struct mc_cbe cbe;
	dma_addr_t src;
	dma_addr_t dst;
	mc_nch_done_fn done;
	bool dma_failed;
};

static int mc_nch_pool_init(struct mc_target *mc)
{
	return mempool_init_kmalloc_pool(&mc->nch_pool, MC_NCH_POOL_MIN,
					 sizeof(struct mc_nch_req));
}

/* ---- mirror page acquisition and release ---- */

enum { MC_MSG_GET, MC_MSG_PUT };

/**
 * struct mc_msg - a request to the peer (mirror_alloc message)
 * @work: runs on the peer's msg_wq
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

/**
 * mc_mirror_put_n - release mirror pages (seed 000, S44-S46)
 * @c: the controller that wrote the mirrors
 * @ms: the pages
 * @n: how many; 0 is allowed
 *
 * Writes the free pattern into the peer's CBE of each page first, then
 * returns the pages to the mirror management table (one hold of its lock
 * in table mode).
 */
static void mc_mirror_put_n(struct mc_ctrl *c, const u32 *ms, u32 n)
{
	u32 i;

	if (!n || READ_ONCE(c->state) != MC_CTRL_ONLINE)
		return;		/* solo or failed: the table is rebuilt at recovery */
	for (i = 0; i < n; i++)
		mc_cbe_clear(&mc_peer(c)->mirror_cbe[ms[i]]);
	smp_wmb();	/* the slots read free before the pages are reused */
	if (c->mc->opts.mirror_alloc == MC_ALLOC_MESSAGE) {
		for (i = 0; i < n; i++)
			mc_msg_call(c, MC_MSG_PUT, ms[i]);
	} else {
		spin_lock(&c->mmt_lock);
		for (i = 0; i < n; i++)
			mc_mmt_put_locked(c, ms[i]);
		spin_unlock(&c->mmt_lock);
	}
	mc_stat_add(c, mirror_released, n);
	atomic64_inc(&c->mirror_gen);
}

/* Release mirror page @m; see mc_mirror_put_n(). */
static void mc_mirror_put(struct mc_ctrl *c, u32 m)
{
	mc_mirror_put_n(c, &m, 1);
}

/* ---- copies ---- */

/*
 * The data is in the mirror page: write the completion mark (the CBE),
 * release the previous mirror page, report to the caller.
 *
 * The mark is written under the read side of alive_lock: a failure takes
 * the write side before it scrubs the cache, so a copy that may have read
 * scrubbed data never gets a valid CBE, and its caller hears that the copy
 * did not count.
 */
static void mc_nch_copy_done(struct mc_ctrl *c, struct mc_nch_req *req)
{
	mc_nch_done_fn done = req->done;
	struct mc_io *io = req->io;
	u32 page = req->page;
	bool alive;

	read_lock(&c->alive_lock);
	alive = mc_state_up(c->state);
	if (alive) {
		smp_wmb();	/* mirror data before the CBE that validates it */
		mc_cbe_encode(&req->cbe, &mc_peer(c)->mirror_cbe[req->mirror]);
	}
	read_unlock(&c->alive_lock);
	if (alive) {
		mc_stat_inc(c, nch_copies);
		if (req->old_mirror != MC_CBE_NO_MIRROR)
			mc_mirror_put(c, req->old_mirror);
	}
	mempool_free(req, &c->mc->nch_pool);
	atomic_dec(&mc_live.nch_reqs);
	done(c, io, &page, 1, alive);
}

static void mc_nch_dma_unmap(struct mc_ctrl *c, struct mc_nch_req *req)
{
	struct device *dev = c->dma->device->dev;

	dma_unmap_page(dev, req->src, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_page(dev, req->dst, PAGE_SIZE, DMA_FROM_DEVICE);
}

/*
 * DMA completion callback (tasklet context): record the transfer result
 * and finish on the work queue.  The fence of a failure waits for
 * dma_inflight, so no transfer of a failed controller outlives its fence.
 */
static void mc_nch_dma_callback(void *data,
				const struct dmaengine_result *result)
{
	struct mc_nch_req *req = data;
	struct mc_ctrl *c = req->c;

	mc_nch_dma_unmap(c, req);
	req->dma_failed = result && result->result != DMA_TRANS_NOERROR;
	spin_lock_bh(&c->nch_lock);
	list_add_tail(&req->entry, &c->nch_dma_done);
	spin_unlock_bh(&c->nch_lock);
	queue_work(c->nch_wq, &c->nch_work);
	if (atomic_dec_and_test(&c->dma_inflight))
		wake_up_all(&c->wb_wait);
}

/* Start a DMA copy of @req; false when the CPU has to copy instead. */
static bool mc_nch_dma_start(struct mc_ctrl *c, struct mc_nch_req *req)
{
	struct device *dev = c->dma->device->dev;
	struct mc_ctrl *p = mc_peer(c);
	struct dma_async_tx_descriptor *tx;

	req->src = dma_map_page(dev, c->pages[req->page], 0, PAGE_SIZE,
				DMA_TO_DEVICE);
	if (dma_mapping_error(dev, req->src))
		return false;
	req->dst = dma_map_page(dev, p->pages[p->rw_pages + req->mirror], 0,
				PAGE_SIZE, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, req->dst)) {
		dma_unmap_page(dev, req->src, PAGE_SIZE, DMA_TO_DEVICE);
		return false;
	}
	/* Acked at once: the descriptor is never reused or chained by us. */
	tx = dmaengine_prep_dma_memcpy(c->dma, req->dst, req->src, PAGE_SIZE,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		goto unmap;
	tx->callback_result = mc_nch_dma_callback;
	tx->callback_param = req;
	req->dma_failed = false;
	atomic_inc(&c->dma_inflight);
	if (dma_submit_error(dmaengine_submit(tx))) {
		atomic_dec(&c->dma_inflight);
		goto unmap;
	}
	dma_async_issue_pending(c->dma);
	return true;
unmap:
	mc_nch_dma_unmap(c, req);
	return false;
}

/*
 * Fault injection (ctrlN/inject_torn_copy): copy half of the page, then let
 * the controller fail before the copy can complete, as a controller that
 * dies in the middle of a node-channel transfer would.
 */
static void mc_nch_inject_torn(struct mc_ctrl *c, struct mc_nch_req *req)
{
	unsigned long end = jiffies + 5 * HZ;

	memcpy(mc_mirror_addr(c, req->mirror), mc_page_addr(c, req->page),
	       PAGE_SIZE / 2);
	queue_work(system_unbound_wq, &c->inject_work);	/* fails @c */
	while (mc_ctrl_up(c) && time_before(jiffies, end))
		usleep_range(100, 200);
}

static void mc_nch_cpu_copy(struct mc_ctrl *c, struct mc_nch_req *req)
{
	memcpy(mc_mirror_addr(c, req->mirror), mc_page_addr(c, req->page),
	       PAGE_SIZE);
}

/* The node-channel work: finish DMA copies, perform queued copies. */
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
		if (unlikely(req->dma_failed)) {
			DMERR_LIMIT("ctrl%u: DMA copy failed, copying with the CPU",
				    c->id);
			mc_nch_cpu_copy(c, req);
		}
		mc_nch_copy_done(c, req);
	}

	list_for_each_entry_safe(req, tmp, &batch, entry) {
		if (unlikely(!mc_ctrl_up(c))) {
			mc_nch_copy_done(c, req);	/* re-driven, no copy */
			continue;
		}
		if (unlikely(READ_ONCE(c->inject_torn))) {
			WRITE_ONCE(c->inject_torn, false);
			mc_nch_inject_torn(c, req);
			mc_nch_copy_done(c, req);
			continue;
		}
		if (c->dma && mc_nch_dma_start(c, req))
			continue;
		mc_nch_cpu_copy(c, req);
		mc_nch_copy_done(c, req);
	}
}

/*
 * The CPU copies of mc_nch_copy(), in the submitter's context: copy every
 * page, write their completion marks in one hold of alive_lock, release
 * their previous mirror pages in one hold of the table's lock, report once.
 */
static void mc_nch_copy_inline(struct mc_ctrl *c, struct mc_io *io, u32 n,
			       const u32 *pages, const struct mc_cbe *cbes,
			       const u32 *olds, mc_nch_done_fn done)
{
	struct mc_cbe_raw *slots = mc_peer(c)->mirror_cbe;
	u32 rel[MC_NCH_VEC], nr = 0, i;
	bool alive;

	if (likely(mc_ctrl_up(c)))
		for (i = 0; i < n; i++)
			memcpy(mc_mirror_addr(c, cbes[i].mirror),
			       mc_page_addr(c, pages[i]), PAGE_SIZE);
	read_lock(&c->alive_lock);
	alive = mc_state_up(c->state);
	if (alive) {
		smp_wmb();	/* mirror data before the CBEs that validate it */
		for (i = 0; i < n; i++)
			mc_cbe_encode(&cbes[i], &slots[cbes[i].mirror]);
	}
	read_unlock(&c->alive_lock);
	if (alive) {
		mc_stat_add(c, nch_copies, n);
		for (i = 0; i < n; i++)
			if (olds[i] != MC_CBE_NO_MIRROR)
				rel[nr++] = olds[i];
		mc_mirror_put_n(c, rel, nr);
	}
	done(c, io, pages, n, alive);
}

/* Queue the copy of one page to the node-channel work (DMA, torn copy). */
static void mc_nch_queue(struct mc_ctrl *c, struct mc_io *io, u32 page,
			 const struct mc_cbe *cbe, u32 old_mirror,
			 mc_nch_done_fn done)
{
	struct mc_nch_req *req = mempool_alloc(&c->mc->nch_pool, GFP_NOIO);

	atomic_inc(&mc_live.nch_reqs);
	*req = (struct mc_nch_req) {
		.io = io, .c = c, .page = page, .mirror = cbe->mirror,
		.old_mirror = old_mirror, .cbe = *cbe, .done = done,
	};
	spin_lock_bh(&c->nch_lock);
	list_add_tail(&req->entry, &c->nch_queue);
	spin_unlock_bh(&c->nch_lock);
}

/**
 * mc_nch_copy - make the mirror copies of freshly written pages
 * @c: the controller that owns the pages
 * @io: the write, which the node channel only hands back to @done
 * @n: pages, at most MC_NCH_VEC
 * @pages: local read/write pages, already written
 * @cbes: their CBEs (LU, index, mirror page, sequence number)
 * @olds: their previous mirror pages, or MC_CBE_NO_MIRROR, released once
 *	the new copies are complete
 * @done: called once per group of pages whose copies are complete and
 *	marked, or did not count because @c went down first (@copied false);
 *	its pages add up to @n
 *
 * With CPU copies the submitter copies at once and writes the completion
 * marks itself: no work-queue hop, no wakeup of another CPU, and the write
 * completes in the context that submitted it (benchmarks.rst measured the
 * hand-off to the node-channel worker against this); @done runs once for
 * all @n pages.  DMA copies run on the engine while the caller fills the
 * next pages of the bio (claims 6 and 14) and complete, page by page,
 * from the engine's callback through the node-channel work queue; so does
 * the torn copy of the fault injection.
 */
static void mc_nch_copy(struct mc_ctrl *c, struct mc_io *io, u32 n,
			const u32 *pages, const struct mc_cbe *cbes,
			const u32 *olds, mc_nch_done_fn done)
{
	u32 i;

	if (!c->dma && likely(!READ_ONCE(c->inject_torn))) {
		mc_nch_copy_inline(c, io, n, pages, cbes, olds, done);
		return;
	}
	for (i = 0; i < n; i++)
		mc_nch_queue(c, io, pages[i], &cbes[i], olds[i], done);
	queue_work(c->nch_wq, &c->nch_work);
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
	c->msg_wq = alloc_workqueue("mc%u_msg", WQ_MEM_RECLAIM | WQ_UNBOUND,
				    0, c->id);
	atomic_add(!!c->nch_wq + !!c->msg_wq, &mc_live.wqs);
	if (!c->nch_wq || !c->msg_wq) {
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
