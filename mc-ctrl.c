// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: controller lifecycle.
 *
 * Each controller owns cache_pages_N pages of memory.  The pages are
 * allocated one by one (no large contiguous allocation), without the OOM
 * killer and without warnings, so an oversized cache fails the constructor
 * with -ENOMEM instead of disturbing the host.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/sched.h>

#include "dm-mirrorcache.h"

/* Refuse caches that would take more than this share of RAM, in percent. */
#define MC_MAX_RAM_PCT	50

static void mc_ctrl_free_pages(struct mc_ctrl *c)
{
	unsigned int i;

	if (!c->pages)
		return;
	for (i = 0; i < c->nr_pages; i++) {
		if (c->pages[i]) {
			__free_page(c->pages[i]);
			atomic_dec(&mc_live.pages);
		}
	}
	kvfree(c->pages);
	c->pages = NULL;
}

/*
 * The cache memory.  The peer's controller of a two-host table is a shell
 * whose memory is on the other host: its page array stays empty.
 */
static int mc_ctrl_alloc_pages(struct mc_ctrl *c)
{
	unsigned int i;

	c->pages = kvcalloc(c->nr_pages, sizeof(*c->pages),
			    GFP_KERNEL | __GFP_NOWARN);
	if (!c->pages)
		return -ENOMEM;
	if (mc_ctrl_remote(c))
		return 0;
	for (i = 0; i < c->nr_pages; i++) {
		c->pages[i] = alloc_page(GFP_KERNEL | __GFP_NOWARN |
					 __GFP_NORETRY | __GFP_ZERO);
		if (!c->pages[i]) {
			mc_ctrl_free_pages(c);
			return -ENOMEM;
		}
		atomic_inc(&mc_live.pages);
		if (!(i % 1024))
			cond_resched();
	}
	return 0;
}

/**
 * mc_ctrls_size_mirrors - size both mirror areas (claims 2 and 10)
 * @mc: the target, with both controllers' nr_pages set
 *
 * The controllers tell each other their cache sizes; each then reserves
 * mirror_ratio percent of the *peer's* size inside its own cache as the
 * mirror area for the peer.  Caches of 100 and 110 pages at 30% give mirror
 * areas of 33 and 30 pages.
 */
static void mc_ctrls_size_mirrors(struct mc_target *mc)
{
	unsigned int i;

	for (i = 0; i < MC_NR_CTRL; i++)
		mc->ctrl[i].mirror_pages =
			mmt_mirror_pages(mc->ctrl[i ^ 1].nr_pages,
					 mc->opts.mirror_ratio);
}

/**
 * mc_ctrl_check_sizes - reject cache sizes that leave no usable area
 * @mc: the target, after mc_ctrls_size_mirrors()
 * @error: set to a static message on failure
 *
 * Return: 0, -EINVAL for a layout that cannot work, -ENOMEM when the caches
 * would take more than MC_MAX_RAM_PCT of RAM.
 */
static int mc_ctrl_check_sizes(struct mc_target *mc, char **error)
{
	unsigned int i;
	u64 total = 0;

	for (i = 0; i < MC_NR_CTRL; i++) {
		struct mc_ctrl *c = &mc->ctrl[i];

		/* a two-host table holds only this host's controller's */
		if (!mc_two_host(mc) || i == (unsigned int)mc->opts.link.local)
			total += c->nr_pages;

		if (!c->mirror_pages) {
			*error = "mirror_ratio gives an empty mirror area: raise it or the cache sizes";
			return -EINVAL;
		}
		if (c->nr_pages < c->mirror_pages + MC_MIN_RW_PAGES) {
			*error = "Cache too small to hold the peer's mirror area and 8 read/write pages";
			return -EINVAL;
		}
	}
	if (total > div_u64((u64)totalram_pages() * MC_MAX_RAM_PCT, 100)) {
		*error = "Cannot allocate cache memory: caches exceed half of RAM";
		return -ENOMEM;
	}
	return 0;
}

/*
 * Pages of the mirror area @c's table covers: the peer's, or in message mode
 * its own (see struct mc_ctrl, @mmt).
 */
static unsigned int mc_mmt_pages(struct mc_ctrl *c)
{
	return mc_mmt_home(c) == c ? mc_peer(c)->mirror_pages : c->mirror_pages;
}

/**
 * mc_mirror_used - mirror pages of the peer's mirror area that @c holds
 * @c: the controller
 */
static u32 mc_mirror_used(struct mc_ctrl *c)
{
	struct mc_ctrl *h = mc_mmt_home(c);
	u32 n;

	spin_lock(&h->mmt_lock);
	n = h->mmt.nr_pages - h->mmt.nr_free;
	spin_unlock(&h->mmt_lock);
	return n;
}

/* Free the bookkeeping; every pointer is cleared, so a second call is safe. */
static void mc_ctrl_free_tables(struct mc_ctrl *c)
{
	if (c->meta)
		atomic_dec(&mc_live.tables);
	kvfree(c->meta);
	kvfree(c->hash.bucket);
	kvfree(c->hash.next);
	kvfree(c->hash.key);
	kvfree(c->lists.prev);
	kvfree(c->lists.next);
	kvfree(c->lists.on);
	kvfree(c->mmt.link);
	kvfree(c->peer_keys);
	kvfree(c->mirror_cbe);
	c->meta = NULL;
	c->hash.bucket = NULL;
	c->hash.next = NULL;
	c->hash.key = NULL;
	c->lists.prev = NULL;
	c->lists.next = NULL;
	c->lists.on = NULL;
	c->mmt.link = NULL;
	c->peer_keys = NULL;
	c->mirror_cbe = NULL;
}

/* Every page of the peer's mirror area names none of ours (c->peer_keys). */
static void mc_ctrl_clear_peer_keys(struct mc_ctrl *c)
{
	u32 i;

	for (i = 0; i < c->peer_keys_nr; i++)
		WRITE_ONCE(c->peer_keys[i], MC_KEY_NONE);
}

#define MC_KVCALLOC(n, p) kvcalloc((n), sizeof(*(p)), GFP_KERNEL | __GFP_NOWARN)

/*
 * Allocate the bookkeeping of the read/write area and of the mirror areas.
 * The peer's mirror_pages must be known: it sizes this controller's mirror
 * management table.
 */
static int mc_ctrl_alloc_tables(struct mc_ctrl *c)
{
	unsigned int nr = c->nr_pages;	/* mirror-area pages get relinked */
	unsigned int nb = mc_hash_buckets(nr);
	unsigned int nm = mc_mmt_pages(c);
	u32 *bucket, *hnext, *prev, *lnext, *link;
	u64 *key;
	u8 *on;

	c->meta = MC_KVCALLOC(nr, c->meta);
	if (c->meta)
		atomic_inc(&mc_live.tables);
	bucket = MC_KVCALLOC(nb, bucket);
	hnext = MC_KVCALLOC(nr, hnext);
	key = MC_KVCALLOC(nr, key);
	prev = MC_KVCALLOC(nr, prev);
	lnext = MC_KVCALLOC(nr, lnext);
	on = MC_KVCALLOC(nr, on);
	link = MC_KVCALLOC(nm, link);
	/* vmalloc'd, whole pages: a two-host link registers it (mc-link.c) */
	c->mirror_cbe = __vmalloc(array_size(max(c->mirror_pages, 1U),
					     sizeof(*c->mirror_cbe)),
				  GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	/* Record every pointer first, so the error path frees them all. */
	c->hash.bucket = bucket;
	c->hash.next = hnext;
	c->hash.key = key;
	c->lists.prev = prev;
	c->lists.next = lnext;
	c->lists.on = on;
	c->mmt.link = link;
	if (mc_two_host(c->mc) && !mc_ctrl_remote(c)) {
		c->peer_keys = MC_KVCALLOC(max(nm, 1U), c->peer_keys);
		c->peer_keys_nr = nm;
	}
	if (!c->meta || !bucket || !hnext || !key || !prev || !lnext || !on ||
	    !link || !c->mirror_cbe ||
	    (mc_two_host(c->mc) && !mc_ctrl_remote(c) && !c->peer_keys)) {
		mc_ctrl_free_tables(c);
		return -ENOMEM;
	}
	c->hash.nr_buckets = nb;
	mmt_init(&c->mmt, nm, link);
	mc_ctrl_clear_peer_keys(c);
	return 0;
}

/* Write the free pattern into every CBE of @c's mirror area. */
static void mc_ctrl_clear_mirror_cbe(struct mc_ctrl *c)
{
	memset(c->mirror_cbe, 0, c->mirror_pages * sizeof(*c->mirror_cbe));
}

/**
 * mc_ctrl_reset_tables - empty the cache: every read/write page free,
 *	every mirror-area page idle, hash and lists empty
 * @c: the controller; nothing may use its tables
 *
 * Each struct page remembers its index.  Used at start and at recovery.
 */
static void mc_ctrl_reset_tables(struct mc_ctrl *c)
{
	u32 i;

	memset(c->meta, 0, c->nr_pages * sizeof(*c->meta));
	mc_hash_init(&c->hash, c->hash.nr_buckets, c->nr_pages, c->hash.bucket,
		     c->hash.next, c->hash.key);
	mc_lists_init(&c->lists, c->nr_pages, c->lists.prev, c->lists.next,
		      c->lists.on);
	mc_ctrl_clear_mirror_cbe(c);
	c->wb_inflight = 0;
	c->wb_retry = 0;
	c->relinked_left = 0;
	c->wb_active = false;
	memset(c->fl_dirty, 0, sizeof(c->fl_dirty));
	memset(c->fl_attr, 0, sizeof(c->fl_attr));
	memset(c->wb_lu_inflight, 0, sizeof(c->wb_lu_inflight));
	bitmap_zero(c->wb_lu_drain, MC_MAX_LUNS);
	bitmap_zero(c->wb_lu_stop, MC_MAX_LUNS);
	INIT_LIST_HEAD(&c->discards);	/* a failed controller's: re-driven */
	for (i = 0; i < c->nr_pages; i++) {
		c->meta[i].mirror = MC_CBE_NO_MIRROR;
		if (c->pages[i])	/* a shell has none */
			set_page_private(c->pages[i], i);
		if (i < c->rw_pages)
			mc_list_add_tail(&c->lists, MC_L_FREE, i);
	}
}

/**
 * mc_ctrl_reset_mmt - rebuild the mirror management table (claims 2, 10)
 * @c: the controller
 *
 * The peer has told its size again: the table covers the mirror area the
 * peer reserved for @c, with every page open.
 */
static void mc_ctrl_reset_mmt(struct mc_ctrl *c)
{
	spin_lock(&c->mmt_lock);
	mmt_init(&c->mmt, mc_mmt_pages(c), c->mmt.link);
	mc_ctrl_clear_peer_keys(c);
	spin_unlock(&c->mmt_lock);
}

/* Write-back thresholds: 50% and 25% of the pages that can be dirty. */
static void mc_ctrl_set_watermarks(struct mc_ctrl *c)
{
	unsigned int cap = min(c->rw_pages, mc_mirror_total(c));

	c->wb_high = max(1U, cap / 2);
	c->wb_low = cap / 4;
}

static int mc_ctrl_alloc_wq(struct mc_ctrl *c)
{
	c->wq = alloc_workqueue("mc%u_io", WQ_MEM_RECLAIM | WQ_UNBOUND, 0,
				c->id);
	if (!c->wq)
		return -ENOMEM;
	atomic_inc(&mc_live.wqs);
	return 0;
}

/**
 * mc_ctrl_park - @bio waits on @c for the event @why names
 * @c: the controller; c->lock held, in the section that saw the obstacle
 * @bio: a mapped bio (struct mc_io)
 * @why: enum mc_wait
 *
 * Every event that can end a wait re-drives all parked bios of @c (its
 * I/O work, mc-io.c), so a bio never waits for an event that has passed.
 */
static void mc_ctrl_park(struct mc_ctrl *c, struct bio *bio, enum mc_wait why)
{
	mc_io_of(bio)->wait = why;
	c->parked_nr[why]++;
	bio_list_add(&c->parked, bio);
}

/* Take every parked bio of @c (to re-drive it, or to hand it over). */
static struct bio_list mc_ctrl_unpark_all(struct mc_ctrl *c)
{
	struct bio_list parked;

	spin_lock(&c->lock);
	parked = c->parked;
	bio_list_init(&c->parked);
	memset(c->parked_nr, 0, sizeof(c->parked_nr));
	spin_unlock(&c->lock);
	return parked;
}

/* The last user of a failed controller is gone (mc_ctrl_users_kill()). */
static void mc_ctrl_users_release(struct percpu_ref *ref)
{
	complete(&container_of(ref, struct mc_ctrl, users)->users_dead);
}

/**
 * mc_ctrl_get - a user of @c's memory and tables begins
 * @c: the controller
 *
 * Users: a bio step, a node-channel request (its DMA included), a
 * write-back batch, the retry of held pages, the drop of a backup page
 * (pulling, mc-wb.c), a port's read of mirror copies (mc-port.c).  Each
 * ends with mc_ctrl_put().  Never sleeps.
 *
 * Return: false once @c has failed: nothing may start on it.
 */
static bool mc_ctrl_get(struct mc_ctrl *c)
{
	return percpu_ref_tryget_live(&c->users);
}

static void mc_ctrl_put(struct mc_ctrl *c)
{
	percpu_ref_put(&c->users);
}

/*
 * Failed controller @c: no new user starts (mc_ctrl_get() fails), wait for
 * the last one to end.  The one quiesce of a failure (mc-fail.c).
 */
static void mc_ctrl_users_kill(struct mc_ctrl *c)
{
	percpu_ref_kill(&c->users);
	wait_for_completion(&c->users_dead);
}

/* Recovering controller @c, its users all gone, may have users again. */
static void mc_ctrl_users_revive(struct mc_ctrl *c)
{
	reinit_completion(&c->users_dead);
	percpu_ref_resurrect(&c->users);
}

/**
 * mc_ctrl_init - bring up controller @id with its cache memory
 * @c: the controller
 * @mc: its target
 * @id: 0 or 1
 * @error: set to a static message on failure
 *
 * Both controllers' nr_pages and mirror_pages must be set, and the work
 * items of the layers above initialised (mc-target.c).  On failure
 * everything allocated here is freed again by mc_ctrl_exit().
 *
 * Return: 0 or a negative errno.
 */
static int mc_ctrl_init(struct mc_ctrl *c, struct mc_target *mc, unsigned int id,
		 char **error)
{
	c->id = id;
	c->mc = mc;
	c->state = MC_CTRL_ONLINE;
	c->rw_pages = c->nr_pages - c->mirror_pages;
	spin_lock_init(&c->lock);
	spin_lock_init(&c->mmt_lock);
	rwlock_init(&c->alive_lock);
	bio_list_init(&c->parked);
	bio_list_init(&c->flushes);
	INIT_LIST_HEAD(&c->discards);
	init_waitqueue_head(&c->wb_wait);
	spin_lock_init(&c->done_lock);
	bio_list_init(&c->done);

	/*
	 * Atomic mode: the kill of a failure then takes effect at once
	 * instead of after an RCU grace period with I/O held (11.7 ms against
	 * 1.5 ms measured under TCG); a step costs one atomic, as before.
	 */
	init_completion(&c->users_dead);
	if (percpu_ref_init(&c->users, mc_ctrl_users_release,
			    PERCPU_REF_INIT_ATOMIC | PERCPU_REF_ALLOW_REINIT,
			    GFP_KERNEL)) {
		*error = "Cannot allocate controller references";
		return -ENOMEM;
	}
	c->stats = alloc_percpu(struct mc_stats);
	if (!c->stats || mc_ctrl_alloc_pages(c)) {
		*error = "Cannot allocate cache memory";
		return -ENOMEM;
	}
	if (mc_ctrl_alloc_tables(c)) {
		*error = "Cannot allocate cache tables";
		return -ENOMEM;
	}
	mc_ctrl_reset_tables(c);
	mc_ctrl_set_watermarks(c);
	if (mc_ctrl_alloc_wq(c)) {
		*error = "Cannot allocate controller work queue";
		return -ENOMEM;
	}
	return 0;
}

/**
 * mc_ctrls_two_host - initial states of a two-host table's controllers
 * @mc: the target, controllers set up
 *
 * The peer's controller is a shell here, shown as remote; this host's
 * starts solo (its writes go through to its LUs, degraded_writes) and
 * mirrors once the peer's memory is writable (mc_host_work(), mc-fail.c).
 * Initial states, as mc_ctrl_init()'s online, not transitions.
 */
static void mc_ctrls_two_host(struct mc_target *mc)
{
	int local = mc->opts.link.local;

	mc->ctrl[local].state = MC_CTRL_SOLO;
	mc->ctrl[1 - local].state = MC_CTRL_FAILED;
}

/*
 * fail, recover, takeover and return act on both controllers of one host;
 * in a two-host table the peer's runs on the other host (issue 23: its
 * failure is the loss of the link).
 */
static int mc_refuse_two_host(struct mc_target *mc, const char *what)
{
	if (!mc_two_host(mc))
		return 0;
	DMERR("%s: not in a two-host table: the peer's controller runs on the other host",
	      what);
	return -EOPNOTSUPP;
}

/* User-visible names: solo and handback are "online" (see ctrlN/solo). */
static const char * const mc_state_names[] = {
	[MC_CTRL_ONLINE] = "online",
	[MC_CTRL_SOLO] = "online",
	[MC_CTRL_HANDBACK] = "online",
	[MC_CTRL_FAILED] = "failed",
	[MC_CTRL_RECOVERING] = "recovering",
};

static const char *mc_state_name(enum mc_ctrl_state state)
{
	return state < ARRAY_SIZE(mc_state_names) ? mc_state_names[state] : "?";
}

/*
 * The state a user sees: "failing" from a failure asked for to its end,
 * "recovering" until a recovery has ended (its LUs back).
 */
static const char *mc_ctrl_state_name(struct mc_ctrl *c)
{
	enum mc_ctrl_state state = READ_ONCE(c->state);

	if (mc_ctrl_remote(c))
		return "remote";	/* a two-host table's peer */
	if (READ_ONCE(c->fail_pending))
		return "failing";	/* until the survivor serves its LUs */
	if (READ_ONCE(c->recover_pending))
		return "recovering";	/* until its LUs are back */
	return mc_state_name(state);
}

#define MC_TO(s)	BIT(MC_CTRL_##s)

/* Allowed transitions: the table of enum mc_ctrl_state, as a bit mask. */
static const unsigned int mc_ctrl_transitions[MC_CTRL_NR_STATES] = {
	[MC_CTRL_ONLINE] = MC_TO(FAILED) | MC_TO(SOLO),
	[MC_CTRL_SOLO] = MC_TO(HANDBACK),
	[MC_CTRL_HANDBACK] = MC_TO(ONLINE) | MC_TO(SOLO),
	[MC_CTRL_FAILED] = MC_TO(RECOVERING),
	[MC_CTRL_RECOVERING] = MC_TO(ONLINE) | MC_TO(FAILED),
};

/**
 * mc_ctrl_set_state - the one place a controller changes state
 * @c: the controller
 * @to: the new state; must be allowed from the current one
 *
 * The caller holds mc_target->state_lock.  The state is written under both
 * the write side of alive_lock (a node-channel completion mark never sees
 * a state change half-way) and c->lock (whatever the lock protects sees
 * one state per critical section); drains waiting on the controller are
 * woken.
 */
static void mc_ctrl_set_state(struct mc_ctrl *c, enum mc_ctrl_state to)
{
	enum mc_ctrl_state from = c->state;

	lockdep_assert_held(&c->mc->state_lock);
	if (WARN(!(mc_ctrl_transitions[from] & BIT(to)),
		 "dm-mirrorcache: ctrl%u: no transition %d -> %d", c->id,
		 from, to))
		return;
	write_lock(&c->alive_lock);
	spin_lock(&c->lock);
	WRITE_ONCE(c->state, to);
	spin_unlock(&c->lock);
	write_unlock(&c->alive_lock);
	wake_up_all(&c->wb_wait);
}

/**
 * mc_ctrl_quiesce - wait until no LU bio of @c is in flight and no work on
 *	its work queue runs or is queued (the node channel has its own,
 *	mc_nch_quiesce())
 * @c: the controller; no bio may arrive any more
 */
static void mc_ctrl_quiesce(struct mc_ctrl *c)
{
	if (c->wq) {	/* no LU bio before the work queue exists */
		/* LU bios end in mc_lu_endio(), under done_lock: see there */
		wait_event(c->wb_wait, !atomic_read(&c->lu_inflight));
		spin_lock_irq(&c->done_lock);
		spin_unlock_irq(&c->done_lock);
		flush_workqueue(c->wq);
	}
}

/* Free everything mc_ctrl_init() allocated; safe on a partial init. */
static void mc_ctrl_exit(struct mc_ctrl *c)
{
	mc_lu_exit(c);
	if (c->wq) {
		cancel_work_sync(&c->wb_work);
		cancel_work_sync(&c->io_work);
		destroy_workqueue(c->wq);
		atomic_dec(&mc_live.wqs);
	}
	c->wq = NULL;
	mc_ctrl_free_tables(c);
	mc_ctrl_free_pages(c);
	free_percpu(c->stats);
	c->stats = NULL;
	percpu_ref_exit(&c->users);
}

/**
 * mc_stats_sum - @c's statistics, summed over the CPUs
 * @c: the controller
 * @sum: filled in; increments that race with the walk may be missed
 */
static void mc_stats_sum(struct mc_ctrl *c, struct mc_stats *sum)
{
	const struct mc_stats *v;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		v = per_cpu_ptr(c->stats, cpu);
#define MC_STAT_SUM(f)	sum->f += v->f;
		MC_STATS(MC_STAT_SUM)
#undef MC_STAT_SUM
	}
}
