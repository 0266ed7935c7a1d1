// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: controller failure, degrade, recovery and failback.
 *
 * State transitions of a controller (under mc_target->state_lock):
 *
 *   online --fail--> failed --recover--> recovering --> online
 *
 * Fail (claims 4, 5, 12, 13): the controller is marked failed, its node
 * channel, work and LU I/O are fenced, the bios it held run again through
 * the survivor, the survivor relinks the valid pages of its mirror area
 * into its own hash as dirty pages (the newest copy of each block wins) and
 * takes charge of the failed controller's LUs.  Only that runs while new
 * I/O is held, so the hold grows with the mirror area, not with the cache:
 * the failed controller's memory is scrubbed with a poison pattern after
 * I/O resumes, and its tables are rebuilt when it recovers (nothing reads
 * the tables of a controller that is not up).  The survivor then has no
 * partner: it destages all dirty pages at once and, with degraded_writes
 * writethrough, completes a write only when it is on the LU.
 *
 * Recover (seed 004): the restarted controller gets an empty cache; the
 * survivor destages while writes are write-through and I/O goes on; then,
 * with new bios held for a short stall, the last dirty pages are destaged,
 * both mirror management tables are rebuilt from a new size notification,
 * and each LU returns to its default owner.  The survivor's clean pages of
 * those LUs are dropped after I/O resumes.
 *
 * While a failover or the final step of a recovery runs, the target is
 * "frozen": .map and the re-drive of interrupted bios hold bios on
 * mc->held, and they run when it thaws.
 *
 * Both are asynchronous: the message or sysfs write checks the request
 * under state_lock and queues the controller's fail_work or recover_work;
 * a suspend and the destructor wait for them (mc_ctrl_ops_wait()).
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/slab.h>

#include "dm-mirrorcache.h"

#define MC_POISON		0xdeadc0deU
#define MC_FAILBACK_WAIT	(10 * HZ)	/* write-through destage phase */
/*
 * The switch holds I/O for at most about twice MC_FAILBACK_HOLD (the
 * device's bios, then the last destage); if they do not drain (a hung
 * disk), it lets I/O go for MC_FAILBACK_RETRY_MS (the held bios run) and
 * the destage phase runs again, MC_FAILBACK_TRIES times in all before the
 * recovery gives up.
 */
#define MC_FAILBACK_HOLD	(5 * HZ)
#define MC_FAILBACK_RETRY_MS	2000	/* I/O runs between two tries */
#define MC_FAILBACK_TRIES	5
#define MC_PURGE_CHUNK		1024		/* pages per hold of the lock */

/* ---- fail ---- */

/* Poison the whole cache memory, read/write and mirror area alike. */
static void mc_ctrl_scrub(struct mc_ctrl *c)
{
	unsigned int i;

	for (i = 0; i < c->nr_pages; i++) {
		memset32(page_address(c->pages[i]), MC_POISON,
			 PAGE_SIZE / sizeof(u32));
		if (!(i % 1024))
			cond_resched();
	}
	memset(c->mirror_cbe, 0xdc, c->mirror_pages * sizeof(*c->mirror_cbe));
}

/*
 * Wait until nothing runs on the failed controller @f but its LU I/O: its
 * users reference dies (mc_ctrl_users_kill()), so every bio step, node-
 * channel request (DMA included), write-back batch and retry that began
 * while it was up has ended, and none begins any more; the steps that saw
 * it up and had not finished parked or bailed out.  A write-back batch
 * taken before the failure is submitted before this returns, so from here
 * on @f starts no LU I/O; what it started is waited for by
 * mc_fence_work().  Then the completions of its LU bios queued so far run.
 */
static void mc_fence(struct mc_ctrl *f)
{
	mc_ctrl_users_kill(f);
	flush_work(&f->io_work);
}

/*
 * Must the LUs of the failed controller @f wait after the thaw?  When it
 * has LU I/O in flight, or discards started (their re-drive must fence
 * its range before any later bio of the LU runs).  Otherwise its LUs go
 * on at the thaw, and the bios it held run first, as they were held.
 */
static bool mc_fence_needed(struct mc_ctrl *f)
{
	bool discards;

	spin_lock(&f->lock);
	discards = !list_empty(&f->discards);
	spin_unlock(&f->lock);
	return discards || atomic_read(&f->lu_inflight);
}

/*
 * The LUs of the failed controller @f wait for the LU I/O @f has in
 * flight (destages, write-throughs, discards, fills): their bios are held
 * at the gate and the survivor @s destages nothing of them, so nothing
 * the survivor writes can be overtaken at the LU by an older write of
 * @f; the other LUs run on.  Called frozen, before @s relinks.
 */
static void mc_fence_luns(struct mc_ctrl *f, struct mc_ctrl *s,
			  const unsigned long *luns)
{
	spin_lock(&s->lock);
	bitmap_or(s->wb_lu_stop, s->wb_lu_stop, luns, MC_MAX_LUNS);
	spin_unlock(&s->lock);
	mc_io_fence(f->mc, luns);
	WRITE_ONCE(f->mc->fence_ctrl, f);
}

/**
 * mc_fence_work - the end of a failover: wait for the failed controller's
 *	LU I/O, scrub its memory, let its LUs go on on the survivor
 * @work: mc_target->fence_work
 *
 * Bounded by the LUs: a hung disk holds only the LUs of the failed
 * controller (sysfs "fencing" says so).  No bio reads the failed memory
 * once it is scrubbed, and none completes into the tables of a recovered
 * controller: recovery waits for this work.
 */
static void mc_fence_work(struct work_struct *work)
{
	struct mc_target *mc = container_of(work, struct mc_target, fence_work);
	struct mc_ctrl *f = mc->fence_ctrl, *s;
	DECLARE_BITMAP(luns, MC_MAX_LUNS);

	if (!f)
		return;
	s = mc_peer(f);
	wait_event(f->wb_wait, !atomic_read(&f->lu_inflight));
	flush_work(&f->io_work);	/* their completions: re-drives */
	mc_ctrl_scrub(f);		/* nothing uses @f's memory any more */
	spin_lock(&mc->gate_lock);
	bitmap_copy(luns, mc->lu_fenced, MC_MAX_LUNS);
	spin_unlock(&mc->gate_lock);
	spin_lock(&s->lock);
	bitmap_andnot(s->wb_lu_stop, s->wb_lu_stop, luns, MC_MAX_LUNS);
	spin_unlock(&s->lock);
	WRITE_ONCE(mc->fence_ctrl, NULL);
	mc_io_unfence(mc, luns);
	mc_wb_start(s);
}

/* Hand every bio the failed controller held to the survivor. */
static void mc_take_bios(struct mc_target *mc, struct mc_ctrl *f)
{
	struct bio_list parked, flushes;
	struct bio *bio;

	parked = mc_ctrl_unpark_all(f);
	spin_lock(&f->lock);
	flushes = f->flushes;
	bio_list_init(&f->flushes);
	spin_unlock(&f->lock);
	while ((bio = bio_list_pop(&parked))) {
		/* It waits for nothing but a re-drive of its pages. */
		struct mc_io *io = mc_io_of(bio);

		io->redrive = true;
		if (atomic_dec_and_test(&io->pending))
			mc_io_complete(io);
	}
	while ((bio = bio_list_pop(&flushes)))
		mc_redrive(mc, bio);
}

/*
 * A backup the survivor @s kept of a page of an LU an instant takeover
 * moved to the failed controller (mc-move.c) gives way to a newer mirror
 * copy of the page.  s->lock held.
 */
static void mc_drop_backup(struct mc_ctrl *s, u32 q)
{
	struct mc_pmeta *m = &s->meta[q];

	mc_list_del(&s->lists, MC_L_BACKUP, q);
	mc_hash_remove(&s->hash, q);
	s->mc->luns[m->lun].pull_left--;
	*m = (struct mc_pmeta) { .mirror = MC_CBE_NO_MIRROR };
	mc_list_add_tail(&s->lists, MC_L_FREE, q);
}

/*
 * The backups the survivor @s still keeps are the only copy of their data
 * now (the failed controller had relinked it): they become dirty pages.
 * s->lock held.
 */
static void mc_restore_backups(struct mc_ctrl *s)
{
	struct mc_pmeta *m;
	u32 q;

	while ((q = mc_list_pop_head(&s->lists, MC_L_BACKUP)) != MC_LIST_NIL) {
		m = &s->meta[q];
		s->mc->luns[m->lun].pull_left--;
		mc_list_add_tail(&s->lists, MC_L_DIRTY, q);
		mc_wb_dirtied(s, m);
	}
}

/*
 * Relink mirror page @m of the survivor @s; returns 1 when relinked.
 * s->lock held.
 */
static int mc_relink_one(struct mc_ctrl *s, u32 m, struct mc_failover *fo)
{
	struct mc_target *mc = s->mc;
	u32 p = s->rw_pages + m, q;
	struct mc_cbe cbe;
	u64 key;
	int r;

	r = mc_cbe_decode(&s->mirror_cbe[m], &cbe);
	if (r == -ENOENT)
		return 0;
	key = mc_hash_key(cbe.lun, cbe.index);
	if (!r && cbe.lun < mc->nr_luns && mc_hash_lookup(&s->hash, key) == p)
		return 0;	/* an instant takeover relinked it already */
	if (r || cbe.state != MC_CBE_MIRROR || cbe.lun >= mc->nr_luns ||
	    mc->luns[cbe.lun].owner == s->id) {
		fo->invalid++;
		return 0;
	}
	q = mc_hash_lookup(&s->hash, key);
	if (q != MC_HASH_NIL && mc_list_of(&s->lists, q) == MC_L_BACKUP) {
		mc_drop_backup(s, q);	/* the failed side wrote it since */
		q = MC_HASH_NIL;
	}
	if (q != MC_HASH_NIL) {
		if (!(s->meta[q].flags & MC_PF_RELINKED) ||
		    s->meta[q].mseq >= cbe.seq) {
			fo->superseded++;	/* an older copy of the block */
			return 0;
		}
		mc_hash_remove(&s->hash, q);
		mc_list_del(&s->lists, MC_L_DIRTY, q);
		mc_wb_cleaned(s, &s->meta[q]);
		s->meta[q] = (struct mc_pmeta) { .mirror = MC_CBE_NO_MIRROR };
		fo->superseded++;
		fo->relinked--;
	}
	s->seq++;
	s->meta[p] = (struct mc_pmeta) {
		.index = cbe.index, .lun = cbe.lun, .seq = s->seq,
		.dirty_since = s->seq, .mseq = cbe.seq,
		.state = MC_CBE_DIRTY, .flags = MC_PF_RELINKED,
		.mirror = MC_CBE_NO_MIRROR,
	};
	mc_hash_insert(&s->hash, p, key);
	mc_list_add_tail(&s->lists, MC_L_DIRTY, p);
	mc_wb_dirtied(s, &s->meta[p]);
	return 1;
}

/*
 * Degrade processing (seed 000, Fig. 9): the survivor checks the CBE of
 * every page of its mirror area and links the valid mirror pages into its
 * own hash as dirty pages.  Its own dirty pages lost their mirror with the
 * peer's memory.
 */
static void mc_degrade(struct mc_ctrl *s, struct mc_failover *fo)
{
	u32 m;

	/*
	 * The mirror pages the survivor's own dirty pages name are in the
	 * failed memory.  They are left as they are: a solo controller
	 * releases no mirror page (mc_mirror_put()), and before it is online
	 * again the failback destages every page, which clears them.
	 */
	mc_ctrl_set_state(s, MC_CTRL_SOLO);
	spin_lock(&s->lock);
	for (m = 0; m < s->mirror_pages; m++)
		fo->relinked += mc_relink_one(s, m, fo);
	mc_restore_backups(s);
	s->relinked_left += fo->relinked;
	spin_unlock(&s->lock);
}

static int mc_fail_check(struct mc_target *mc, unsigned int id)
{
	if (id >= MC_NR_CTRL) {
		DMERR("fail: no controller %u", id);
		return -EINVAL;
	}
	if (mc->suspended) {
		DMERR("fail: the device is suspended");
		return -EBUSY;
	}
	if (!mc_state_up(mc->ctrl[id].state) || mc->ctrl[id].fail_pending) {
		DMERR("fail: controller %u is %s, not online", id,
		      mc_ctrl_state_name(&mc->ctrl[id]));
		return -EINVAL;
	}
	if (mc->ctrl[id].state != MC_CTRL_ONLINE ||
	    mc->ctrl[id ^ 1].fail_pending) {
		DMERR("fail: controller %u is the last online controller", id);
		return -EBUSY;
	}
	return 0;
}

/*
 * The failover itself, with state_lock held: the failure of @f, the fence,
 * the survivor's relink and its taking over @f's LUs, with new I/O held;
 * the wait for @f's LU I/O runs after it (mc_fence_work()).
 */
static void mc_failover(struct mc_target *mc, struct mc_ctrl *f)
{
	DECLARE_BITMAP(luns, MC_MAX_LUNS);
	struct mc_ctrl *s = mc_peer(f);
	struct mc_failover fo = { 0 };
	unsigned int i, resv;
	ktime_t t0;

	t0 = ktime_get();
	mc_io_freeze(mc);

	/* The failure itself: from here on the memory is gone. */
	mc_ctrl_set_state(f, MC_CTRL_FAILED);	/* a drain of @f ends */
	mc_fence(f);
	spin_lock(&f->lock);
	f->relinked_left = 0;	/* relinked by an instant takeover: gone */
	spin_unlock(&f->lock);
	mc_take_bios(mc, f);
	bitmap_zero(luns, MC_MAX_LUNS);
	if (mc_fence_needed(f))
		for (i = 0; i < mc->nr_luns; i++)
			if (mc->luns[i].owner == f->id)
				__set_bit(i, luns);
	mc_fence_luns(f, s, luns);
	mc_degrade(s, &fo);
	for (i = 0; i < mc->nr_luns; i++) {
		if (mc->luns[i].move_from == f->id)
			mc->luns[i].pull_left = 0;	/* its backups are gone */
		if (mc->luns[i].owner == f->id) {
			mc_lun_set_owner(&mc->luns[i], s->id);
			fo.luns++;
		}
	}
	mc_io_thaw(mc);
	fo.stall_us = ktime_us_delta(ktime_get(), t0);
	resv = mc_array_drop_ctrl(mc->array, f->id);
	if (resv)
		DMWARN("ctrl%u failed: its ports' %u reservations are dropped",
		       f->id, resv);
	mc_wb_start(s);
	queue_work(mc->wq, &mc->fence_work);	/* then the LUs go on */

	mc->fo = fo;
	mc->failovers++;
	mc->relinked_total += fo.relinked;
	DMWARN("ctrl%u failed: ctrl%u relinked %u mirror pages (%u invalid, %u superseded), took over %u LUs, I/O held %llu us",
	       f->id, s->id, fo.relinked, fo.invalid, fo.superseded, fo.luns,
	       fo.stall_us);
	dm_table_event(mc->ti->table);
}

/*
 * The failure of a controller, asked for by mc_fail_ctrl() (fail_pending
 * set, before any suspend: presuspend waits for it) or by the torn copy of
 * mc-nch.c: the failover runs unless the pair is no longer whole, or a
 * torn copy asks while the device is suspended (both dropped, logged).
 */
static void mc_fail_work(struct work_struct *work)
{
	struct mc_ctrl *f = container_of(work, struct mc_ctrl, fail_work);
	struct mc_target *mc = f->mc;

	mutex_lock(&mc->state_lock);
	if (!f->fail_pending && mc->suspended)
		DMERR("ctrl%u: the failure of a torn copy is dropped: the device is suspended",
		      f->id);
	else if (f->state == MC_CTRL_ONLINE &&
		 mc_peer(f)->state == MC_CTRL_ONLINE)
		mc_failover(mc, f);
	else
		DMERR("ctrl%u: the failure is dropped: ctrl%u is %s", f->id,
		      f->state == MC_CTRL_ONLINE ? mc_peer(f)->id : f->id,
		      f->state == MC_CTRL_ONLINE ? "without its peer" :
		      mc_state_name(f->state));
	WRITE_ONCE(f->fail_pending, false);
	mutex_unlock(&mc->state_lock);
}

/**
 * mc_fail_ctrl - force controller @id to fail; the peer takes over
 * @mc: the target
 * @id: the controller
 *
 * Starts the failover and returns: the controller shows "failing" until it
 * is failed and the peer serves its LUs (a few milliseconds of held I/O).
 *
 * Return: 0, -EINVAL (no such or not online controller) or -EBUSY (the
 * last online controller, or the device suspended); a refusal changes
 * nothing.
 */
static int mc_fail_ctrl(struct mc_target *mc, unsigned int id)
{
	int r = mc_refuse_two_host(mc, "fail");

	if (r)
		return r;
	mutex_lock(&mc->state_lock);
	r = mc_fail_check(mc, id);
	if (!r) {
		WRITE_ONCE(mc->ctrl[id].fail_pending, true);
		/* Not on mc->wq: its rescuer must never wait for state_lock. */
		queue_work(system_unbound_wq, &mc->ctrl[id].fail_work);
	}
	mutex_unlock(&mc->state_lock);
	return r;
}

/* ---- recover and failback ---- */

static int mc_recover_check(struct mc_target *mc, unsigned int id)
{
	if (id >= MC_NR_CTRL) {
		DMERR("recover: no controller %u", id);
		return -EINVAL;
	}
	if (mc->suspended) {
		DMERR("recover: the device is suspended");
		return -EBUSY;
	}
	if (mc->ctrl[id].state != MC_CTRL_FAILED) {
		DMERR("recover: controller %u is %s, not failed", id,
		      mc_state_name(mc->ctrl[id].state));
		return -EINVAL;
	}
	return 0;
}

/*
 * The survivor must hand every page back through the LUs: refuse while it
 * holds pages an LU refused (retry once the LU works again).
 */
static int mc_recover_held(struct mc_ctrl *s)
{
	unsigned int i;
	u32 held = 0;

	for (i = 0; i < s->mc->nr_luns; i++)
		held += mc_held_pages(s, i);
	if (!held)
		return 0;
	DMERR("recover: ctrl%u holds %u dirty pages its LUs refused; send 'retry' once the LUs work again",
	      s->id, held);
	return -EIO;
}

/* Undo the first phase of a recovery: the controller stays failed. */
static void mc_recover_abort(struct mc_target *mc, struct mc_ctrl *f,
			     struct mc_ctrl *s)
{
	mc_ctrl_set_state(s, MC_CTRL_SOLO);
	mc_ctrl_set_state(f, MC_CTRL_FAILED);
	mc->failback_phase = MC_FB_NONE;
	mc_io_thaw(mc);
	dm_table_event(mc->ti->table);
}

/**
 * mc_purge_foreign - drop the clean pages of @s of the LUs it does not own
 * @s: a controller some LUs just left (a failback, a takeover)
 *
 * A chunk per hold of its lock.  I/O runs: @s no longer serves those LUs,
 * and no failover can give them back to it before this ends (the caller
 * holds state_lock), so none of its stale pages is ever read.
 */
static void mc_purge_foreign(struct mc_ctrl *s)
{
	struct mc_target *mc = s->mc;
	struct mc_pmeta *m;
	u32 p;

	spin_lock(&s->lock);
	for (p = 0; p < s->rw_pages; p++) {
		if (!(p % MC_PURGE_CHUNK) && p) {
			spin_unlock(&s->lock);
			cond_resched();
			spin_lock(&s->lock);
		}
		m = &s->meta[p];
		if (m->state != MC_CBE_CLEAN || !mc_hash_contains(&s->hash, p) ||
		    m->readers || m->busy || m->flags ||
		    READ_ONCE(mc->luns[m->lun].owner) == s->id)
			continue;
		mc_hash_remove(&s->hash, p);
		if (mc_list_of(&s->lists, p) == MC_L_CLEAN)
			mc_list_del(&s->lists, MC_L_CLEAN, p);
		m->state = MC_CBE_FREE;
		m->flags = 0;
		mc_list_add_tail(&s->lists, MC_L_FREE, p);
	}
	spin_unlock(&s->lock);
}

/*
 * Give recovering controller @f an empty cache, before the failback holds
 * any I/O: nothing reads the tables of a controller that is not up.
 */
static void mc_renew(struct mc_ctrl *f)
{
	unsigned int i;

	for (i = 0; i < f->nr_pages; i++) {
		clear_highpage(f->pages[i]);
		if (!(i % 1024))
			cond_resched();
	}
	spin_lock(&f->lock);	/* readers that saw @f up are gone */
	spin_unlock(&f->lock);
	mc_ctrl_reset_tables(f);
}

/*
 * Rebuild the pair's mirror tables; @f has an empty cache.  No bio is in
 * the target, so no mirror copy is in flight: both CBE arrays are cleared
 * here, @f's again because a copy of the survivor into @f's mirror area
 * that was still running at the failure may have marked it after
 * mc_renew() (O(mirror area), like the rest of the hold).
 */
static void mc_restart(struct mc_ctrl *f, struct mc_ctrl *s)
{
	mc_ctrl_clear_mirror_cbe(f);
	spin_lock(&s->lock);
	mc_ctrl_clear_mirror_cbe(s);
	s->relinked_left = 0;
	spin_unlock(&s->lock);
	/* The size notification again (claims 2, 10). */
	mc_ctrl_reset_mmt(f);
	mc_ctrl_reset_mmt(s);
	mc_ctrl_users_revive(f);	/* dead since its failure */
	mc_ctrl_set_state(s, MC_CTRL_ONLINE);
	mc_ctrl_set_state(f, MC_CTRL_ONLINE);
}

/*
 * Take state_lock once no failover's end is pending: the failed
 * controller's LU I/O has ended and its memory is scrubbed.  The fence
 * work is not waited for under state_lock (it runs on the work queue of
 * the takeovers, which take state_lock); a new one cannot start while a
 * controller is failed, so one look under the lock suffices.
 */
static void mc_lock_unfenced(struct mc_target *mc)
{
	for (;;) {
		flush_work(&mc->fence_work);
		mutex_lock(&mc->state_lock);
		if (!READ_ONCE(mc->fence_ctrl))
			return;
		mutex_unlock(&mc->state_lock);
	}
}

/*
 * Phase 2 of a failback (seed 004), state_lock held: with new bios held
 * for a short stall, the last dirty pages of survivor @s are destaged,
 * both mirror management tables are rebuilt and each LU returns to
 * recovering controller @f.  Return: 0, -EIO (held pages: @f stays
 * failed) or -EAGAIN (the bios or the destage did not drain within
 * MC_FAILBACK_HOLD: I/O goes on, nothing changed).
 */
static int mc_failback_switch(struct mc_target *mc, struct mc_ctrl *f,
			      struct mc_ctrl *s)
{
	unsigned int i, luns = 0;
	ktime_t t0 = ktime_get();
	u32 held;

	mc->failback_phase = MC_FB_SWITCH;
	mc_io_freeze(mc);
	if (!mc_io_wait_idle_timeout(mc, MC_FAILBACK_HOLD) ||
	    mc_wb_drain_for(s, MC_FAILBACK_HOLD, &held)) {
		mc->failback_phase = MC_FB_DESTAGE;
		mc_io_thaw(mc);
		return -EAGAIN;
	}
	if (held) {
		mc_recover_abort(mc, f, s);
		return -EIO;
	}
	mc_restart(f, s);
	mc_inject(failback_hold_ms);
	for (i = 0; i < mc->nr_luns; i++) {
		/* Seed 004: each LU returns to the controller it left. */
		if (mc->luns[i].return_to == f->id) {
			mc_lun_set_owner(&mc->luns[i], f->id);
			luns++;
		}
	}
	mc_io_thaw(mc);
	mc->failback_stall_us = ktime_us_delta(ktime_get(), t0);
	mc_purge_foreign(s);

	mc->failback_phase = MC_FB_NONE;
	mc->failbacks++;
	DMINFO("ctrl%u recovered: %u LUs failed back, I/O held %llu us",
	       f->id, luns, mc->failback_stall_us);
	dm_table_event(mc->ti->table);
	return 0;
}

/**
 * mc_recover_work - the recovery mc_recover_ctrl() started
 * @work: the recovering controller's recover_work
 *
 * Once the failover's fence has ended, the controller gets an empty cache;
 * the survivor destages with write-through while I/O goes on (state_lock
 * is not held meanwhile: nothing else can start while one controller
 * recovers), then the switch runs (mc_failback_switch()).  A suspend cuts
 * the destage short; pages an LU refused leave the controller failed.
 */
static void mc_recover_work(struct work_struct *work)
{
	struct mc_ctrl *f = container_of(work, struct mc_ctrl, recover_work);
	struct mc_target *mc = f->mc;
	struct mc_ctrl *s = mc_peer(f);
	unsigned int tries;
	int r;

	mc_lock_unfenced(mc);
	if (mc_recover_held(s)) {	/* refused by an LU meanwhile */
		mc_ctrl_set_state(f, MC_CTRL_FAILED);
		WRITE_ONCE(f->recover_pending, false);
		dm_table_event(mc->ti->table);
		mutex_unlock(&mc->state_lock);
		return;
	}
	mc_renew(f);
	/* Phase 1 (seed 004): destage with write-through, I/O goes on. */
	mc_ctrl_set_state(s, MC_CTRL_HANDBACK);
	mc->failback_phase = MC_FB_DESTAGE;
	mutex_unlock(&mc->state_lock);
	for (tries = 1; ; tries++) {
		mc_wb_start(s);
		wait_event_timeout(s->wb_wait, !mc_dirty_pages(s) ||
				   READ_ONCE(mc->suspended), MC_FAILBACK_WAIT);
		mutex_lock(&mc->state_lock);
		r = mc_failback_switch(mc, f, s);
		if (r != -EAGAIN)
			break;
		if (tries == MC_FAILBACK_TRIES) {
			DMERR("ctrl%u: recovery abandoned: the I/O of the device did not drain for the failback in %u tries (a hung disk?); it stays failed",
			      f->id, tries);
			mc_recover_abort(mc, f, s);
			break;
		}
		mutex_unlock(&mc->state_lock);
		DMWARN_LIMIT("ctrl%u: the I/O of the device did not drain within %u s for the failback (a hung disk?); I/O goes on, trying again",
			     f->id, MC_FAILBACK_HOLD / HZ);
		msleep(MC_FAILBACK_RETRY_MS);
	}
	if (r == -EIO)
		mc_recover_held(s);	/* logs the pages an LU refused */
	WRITE_ONCE(f->recover_pending, false);	/* "online" from here */
	mutex_unlock(&mc->state_lock);
}

/**
 * mc_recover_ctrl - restart failed controller @id and fail its LUs back
 * @mc: the target
 * @id: the controller
 *
 * Starts the recovery and returns: the controller shows "recovering" and
 * sysfs "failback" the phase until it is online with its LUs back (or,
 * should an LU refuse pages meanwhile, failed again, logged).
 *
 * Return: 0, -EINVAL (no such or not failed controller), -EBUSY (the
 * device suspended) or -EIO (the survivor holds pages its LUs refused).
 */
static int mc_recover_ctrl(struct mc_target *mc, unsigned int id)
{
	int r = mc_refuse_two_host(mc, "recover");

	if (r)
		return r;
	mutex_lock(&mc->state_lock);
	r = mc_recover_check(mc, id);
	if (!r)
		r = mc_recover_held(mc_peer(&mc->ctrl[id]));
	if (!r) {
		mc_ctrl_set_state(&mc->ctrl[id], MC_CTRL_RECOVERING);
		WRITE_ONCE(mc->ctrl[id].recover_pending, true);
		queue_work(system_unbound_wq, &mc->ctrl[id].recover_work);
		dm_table_event(mc->ti->table);
	}
	mutex_unlock(&mc->state_lock);
	return r;
}

/*
 * Wait for the failure and recovery asked for before @mc was marked
 * suspended (mc_presuspend(): a recovery's destage phase then ends at
 * once) or before it is torn down.
 */
static void mc_ctrl_ops_wait(struct mc_target *mc)
{
	unsigned int i;

	for (i = 0; i < MC_NR_CTRL; i++) {
		flush_work(&mc->ctrl[i].fail_work);
		flush_work(&mc->ctrl[i].recover_work);
	}
}

/* ---- two hosts: this host's controller follows the link ---- */

/* A chain of zeroes over the peer's CBE array, waited for. */
struct mc_host_clear {
	struct completion done;
	int err;
	struct mc_link_xfer x;
};

static void mc_host_clear_done(struct mc_link_xfer *x, int err)
{
	struct mc_host_clear *hc = container_of(x, struct mc_host_clear, x);

	hc->err = err;
	complete(&hc->done);
}

/*
 * Write the free pattern over the whole CBE array that the peer keeps of
 * @c's mirror copies, one chain per MC_LINK_XFER_WR pages, each waited
 * for (a lost link ends them with an error).  Old CBEs of an earlier
 * connection would otherwise name pages @c has destaged since.
 */
static int mc_host_clear_peer(struct mc_ctrl *c)
{
	u64 left = (u64)mc_mirror_total(c) * MC_LINK_CBE_BYTES, done = 0;
	u32 max = MC_LINK_XFER_WR * PAGE_SIZE;
	struct mc_host_clear *hc;
	int r = 0;

	hc = kzalloc(sizeof(*hc), GFP_NOIO);	/* I/O is held */
	if (!hc)
		return -ENOMEM;
	while (left && !r) {
		init_completion(&hc->done);
		hc->x.done = mc_host_clear_done;
		hc->x.n = 0;
		hc->x.zero_len = min_t(u64, left, max);
		hc->x.zero_off = done;
		r = mc_link_write(c->mc->link, &hc->x);
		if (!r) {
			wait_for_completion(&hc->done);
			r = hc->err;
		}
		done += hc->x.zero_len;
		left -= hc->x.zero_len;
	}
	kfree(hc);
	return r;
}

/*
 * The LUs of the peer this host holds (mc_link_set_held()): it serves
 * them, or keeps the only copies of their dirty pages.  state_lock held.
 */
static u64 mc_host_held(struct mc_target *mc)
{
	unsigned int local = mc->opts.link.local, i;
	u64 held = 0;

	for (i = 0; i < mc->nr_luns; i++) {
		if (mc->luns[i].default_owner == local)
			continue;
		if (mc->luns[i].owner == local || mc->peer_copies)
			held |= BIT_ULL(i);
	}
	return held;
}

/* Tell the link what this host holds now (a HANDBACK for what it gave). */
static void mc_host_update_held(struct mc_target *mc)
{
	mc_link_set_held(mc->link, mc_host_held(mc));
}

/*
 * The switch of a join gives the peer its LUs back (seed 004's failback
 * by destage, across hosts): I/O held and idle, no dirty page left, so
 * from the next bio on this host refuses them; the peer serves them from
 * our HANDBACK on (mc_host_update_held(), after the thaw).  state_lock
 * held.  Return: how many.
 */
static unsigned int mc_host_give_back(struct mc_target *mc, struct mc_ctrl *c)
{
	unsigned int i, n = 0;

	for (i = 0; i < mc->nr_luns; i++) {
		if (mc->luns[i].owner == c->id &&
		    mc->luns[i].default_owner != c->id) {
			mc_lun_set_owner(&mc->luns[i], mc->luns[i].default_owner);
			n++;
		}
	}
	return n;
}

/*
 * The switch of a join, state_lock held, @c handing back: with new bios
 * held for a short time, its last dirty pages are destaged, the peer's
 * CBE array of it is cleared, its mirror management table rebuilt over
 * the peer's mirror area (claim 2) and it mirrors again.  Return: 0, or
 * -EAGAIN (the bios or the destage did not drain within
 * MC_FAILBACK_HOLD), -EIO (held pages) or the link's error: @c stays
 * solo.
 */
static int mc_host_switch(struct mc_target *mc, struct mc_ctrl *c)
{
	ktime_t t0 = ktime_get();
	unsigned int given = 0;
	u32 held = 0;
	int r = 0;

	mc_io_freeze(mc);
	if (!mc_io_wait_idle_timeout(mc, MC_FAILBACK_HOLD) ||
	    mc_wb_drain_for(c, MC_FAILBACK_HOLD, &held))
		r = -EAGAIN;
	else if (held)
		r = -EIO;
	else
		r = mc_host_clear_peer(c);
	if (!r) {
		/* releases of the connection before: none returns a page now */
		flush_workqueue(c->nch_wq);
		mc_ctrl_reset_mmt(c);
		WRITE_ONCE(mc->joined, true);	/* c->peer_keys is exact */
		mc_ctrl_set_state(c, MC_CTRL_ONLINE);
		given = mc_host_give_back(mc, c);
	} else {
		mc_ctrl_set_state(c, MC_CTRL_SOLO);
	}
	mc_io_thaw(mc);
	if (given) {
		mc_host_update_held(mc);	/* HANDBACK */
		mc_purge_foreign(c);
		DMINFO("ctrl%u: handed %u LUs back to the peer host",
		       c->id, given);
	}
	if (!r)
		DMINFO("ctrl%u: mirrors into the peer's memory again, I/O held %lld us",
		       c->id, ktime_us_delta(ktime_get(), t0));
	else
		DMWARN_LIMIT("ctrl%u: cannot mirror into the peer's memory yet (%d%s); solo, writes go through, trying again",
			     c->id, r, held ? ": pages its LUs refused" : "");
	dm_table_event(mc->ti->table);
	return r;
}

/*
 * Solo controller @c of a two-host table joins its peer, whose memory is
 * writable (claim 2, seed 004's failback in the other direction): first
 * its dirty pages go through to their LUs with I/O running (handing back:
 * they have no copy in the peer), then the switch.  state_lock held,
 * dropped meanwhile.
 */
static int mc_host_join(struct mc_target *mc, struct mc_ctrl *c)
	__releases(&mc->state_lock) __acquires(&mc->state_lock)
{
	mc_ctrl_set_state(c, MC_CTRL_HANDBACK);
	mutex_unlock(&mc->state_lock);
	mc_wb_start(c);
	wait_event_timeout(c->wb_wait, !mc_dirty_pages(c) ||
			   READ_ONCE(mc->suspended) || !mc_link_ready(mc->link),
			   MC_FAILBACK_WAIT);
	mutex_lock(&mc->state_lock);
	if (c->state != MC_CTRL_HANDBACK)
		return 0;	/* the peer was lost meanwhile: solo already */
	if (!mc_link_ready(mc->link) || mc->suspended || READ_ONCE(mc->dying)) {
		mc_ctrl_set_state(c, MC_CTRL_SOLO);
		return 0;	/* the link's next change or resume comes back */
	}
	return mc_host_switch(mc, c);
}

static void mc_host_lend(struct mc_target *mc);

/*
 * fencing resource or resource-and-stonith: the peer's memory of the loss,
 * with our copies, is gone (@why): the writes held since complete.
 */
static void mc_host_acks_gone(struct mc_target *mc, struct mc_ctrl *c,
			      const char *why)
{
	unsigned int n;

	mc_io_ack_fenced(mc);
	n = mc_io_ack_release(mc, BLK_STS_OK);
	if (n)
		DMINFO("ctrl%u: %u held writes complete: %s", c->id, n, why);
}

/*
 * The lost peer host connects again while our mirror area keeps its
 * copies (fencing resource, not fenced).  The same generation was cut off,
 * not restarted: it kept its dirty pages and destages them before it
 * mirrors again, so the copies here are dropped, its LUs given back (a
 * HANDBACK: our HELLO said we held them) and the memory lent again.  A
 * new generation restarted: the copies may be all that is left of its
 * dirty pages, or stale if it served its LUs after the loss (a
 * partition): they stay, and its LUs with them (our HELLO says we hold
 * them, it refuses them), until 'peer_fenced' says which.  state_lock
 * held.
 */
static void mc_host_peer_back(struct mc_target *mc, struct mc_ctrl *c)
{
	u64 gen;

	if (!mc_link_peer_hello(mc->link, &gen))
		return;
	if (gen != mc->lost_generation) {
		DMWARN_LIMIT("ctrl%u: the peer host restarted (generation %llx, was %llx): its LUs and its copies here wait for 'peer_fenced'",
			     c->id, gen, mc->lost_generation);
		mc_host_acks_gone(mc, c, "the peer host restarted");
		return;
	}
	mc_ctrl_clear_mirror_cbe(c);
	mc->peer_copies = false;
	mc_host_update_held(mc);
	DMINFO("ctrl%u: the peer host is back (same generation %llx): it kept its dirty pages, its copies here are dropped",
	       c->id, gen);
}

/* This host's own LUs (those its table gives to @c). */
static void mc_host_own_luns(struct mc_target *mc, struct mc_ctrl *c,
			     unsigned long *luns)
{
	unsigned int i;

	bitmap_zero(luns, MC_MAX_LUNS);
	for (i = 0; i < mc->nr_luns; i++)
		if (mc->luns[i].default_owner == c->id)
			__set_bit(i, luns);
}

/*
 * The first resume of a two-host table: this host must not serve its LUs
 * while the peer may hold them (it took them over when this host was
 * lost, and hands them back by destage): their bios wait at the gate
 * until the peer's HELLO says which it holds, or until wait_peer_ms
 * passed without one.  state_lock held.
 */
static void mc_host_wait_begin(struct mc_target *mc, struct mc_ctrl *c)
{
	DECLARE_BITMAP(luns, MC_MAX_LUNS);

	mc->wait_begun = true;
	if (!mc->opts.link.wait_peer_ms) {
		mc->alone = true;
		return;
	}
	mc_host_own_luns(mc, c, luns);
	mc_io_fence(mc, luns);	/* no bio started yet */
	mc->peer_wait = true;
	mc->wait_end = jiffies + msecs_to_jiffies(mc->opts.link.wait_peer_ms);
}

/* The wait of the first resume ends: the held bios go on. */
static void mc_host_wait_end(struct mc_target *mc, struct mc_ctrl *c,
			     bool alone)
{
	DECLARE_BITMAP(luns, MC_MAX_LUNS);

	mc->peer_wait = false;
	mc->alone = alone;
	mc_host_own_luns(mc, c, luns);
	mc_io_unfence(mc, luns);
	if (alone)
		DMWARN("ctrl%u: no peer host within wait_peer_ms %u: serving its LUs alone",
		       c->id, mc->opts.link.wait_peer_ms);
}

/*
 * Follow what the peer holds of this host's LUs (its HELLO, less its
 * HANDBACKs): one it holds is refused here (a path error, as any LU of
 * the peer), one it gave back is served from the next bio on.  An LU this
 * host serves already is not given up: the peer that holds it as well
 * hands it back, and if this host served it alone (its wait ended without
 * the peer) both may have written it.  Ends the first resume's wait.
 * state_lock held.
 */
static void mc_host_follow(struct mc_target *mc, struct mc_ctrl *c)
{
	DECLARE_BITMAP(move, MC_MAX_LUNS);
	unsigned int i;
	u64 held;

	if (!mc_link_peer_held(mc->link, &held)) {
		if (mc->peer_wait && time_after_eq(jiffies, mc->wait_end))
			mc_host_wait_end(mc, c, true);
		return;
	}
	bitmap_zero(move, MC_MAX_LUNS);
	for (i = 0; i < mc->nr_luns; i++) {
		struct mc_lun *lun = &mc->luns[i];
		bool theirs = held & BIT_ULL(i);

		if (lun->default_owner != c->id)
			continue;
		if (theirs && lun->owner == c->id && !mc->peer_wait) {
			if (mc->alone)
				DMERR_LIMIT("ctrl%u: LU %u: the peer host holds it, but this host served it alone (wait_peer_ms): both may have written it",
					    c->id, i);
			continue;
		}
		if (theirs != (lun->owner != c->id))
			__set_bit(i, move);
	}
	if (!bitmap_empty(move, MC_MAX_LUNS)) {
		mc_io_freeze(mc);
		for_each_set_bit(i, move, MC_MAX_LUNS) {
			bool theirs = held & BIT_ULL(i);

			mc_lun_set_owner(&mc->luns[i],
					 theirs ? mc_peer(c)->id : c->id);
			DMINFO("ctrl%u: LU %u: %s", c->id, i, theirs ?
			       "the peer host holds it: refused here until it hands it back" :
			       "handed back by the peer host: served here");
		}
		mc_io_thaw(mc);
		dm_table_event(mc->ti->table);
	}
	if (mc->peer_wait)
		mc_host_wait_end(mc, c, false);
}

/**
 * mc_host_work - this host's controller follows the link (two hosts)
 * @work: mc_target->host_work
 *
 * Queued by every change of the link (mc_host_changed()) and by resume;
 * looks at the link as it is now, so no change is missed: a controller
 * mirroring while the peer's memory is gone goes solo (its writes go
 * through), a solo one whose peer's memory is writable joins.  A join
 * that could not switch (a hung or refusing LU) is tried again after
 * MC_FAILBACK_RETRY_MS, as is the lending of the memory while relinked
 * pages are left.
 */
static void mc_host_work(struct work_struct *work)
{
	struct mc_target *mc = container_of(to_delayed_work(work),
					    struct mc_target, host_work);
	struct mc_ctrl *c = &mc->ctrl[mc->opts.link.local];
	unsigned long delay = MAX_JIFFY_OFFSET;
	int r = 0;

	mutex_lock(&mc->state_lock);
	mc_host_follow(mc, c);
	if (!mc_link_ready(mc->link)) {
		if (c->state == MC_CTRL_ONLINE) {
			mc_ctrl_set_state(c, MC_CTRL_SOLO);
			DMWARN("ctrl%u: the peer's memory is gone: solo, writes go through to the LUs",
			       c->id);
			dm_table_event(mc->ti->table);
		}
	} else if (c->state == MC_CTRL_SOLO && !mc->suspended &&
		   !READ_ONCE(mc->dying)) {
		r = mc_host_join(mc, c);
	}
	if (mc->peer_copies)
		mc_host_peer_back(mc, c);
	if (!mc_link_lent(mc->link) && !mc->peer_copies && !mc->suspended &&
	    !READ_ONCE(mc->dying)) {
		/*
		 * Taken over: once the relinked pages are destaged, their
		 * CBEs are stale; cleared, the memory is lent again.
		 */
		if (READ_ONCE(c->relinked_left)) {
			r = -EAGAIN;
		} else {
			mc_ctrl_clear_mirror_cbe(c);
			mc_host_lend(mc);
		}
	}
	if (r)		/* a join that could not switch, pages to destage */
		delay = msecs_to_jiffies(MC_FAILBACK_RETRY_MS);
	if (mc->peer_wait)
		delay = min(delay, time_after(mc->wait_end, jiffies) ?
				   mc->wait_end - jiffies : 0);
	mutex_unlock(&mc->state_lock);
	if (delay != MAX_JIFFY_OFFSET)
		queue_delayed_work(system_unbound_wq, &mc->host_work, delay);
}

/*
 * Take over the LUs of the lost peer host (claims 4, 5, 12, 13 across
 * hosts): with new I/O held, relink the valid mirror copies the peer
 * wrote into @s's mirror area into @s's hash as dirty pages and make @s
 * their owner; then they go through write-back like any dirty page.
 * state_lock held; @s is solo.
 */
static void mc_host_takeover(struct mc_target *mc, struct mc_ctrl *s,
			     const char *why)
{
	struct mc_ctrl *p = mc_peer(s);
	struct mc_failover fo = { 0 };
	ktime_t t0 = ktime_get();
	unsigned int i;
	u32 m;

	mc_io_freeze(mc);
	spin_lock(&s->lock);
	for (m = 0; m < s->mirror_pages; m++)
		fo.relinked += mc_relink_one(s, m, &fo);
	s->relinked_left += fo.relinked;
	spin_unlock(&s->lock);
	for (i = 0; i < mc->nr_luns; i++) {
		if (mc->luns[i].owner == p->id) {
			mc_lun_set_owner(&mc->luns[i], s->id);
			fo.luns++;
		}
	}
	mc->peer_copies = false;
	mc_io_thaw(mc);
	mc_host_update_held(mc);
	fo.stall_us = ktime_us_delta(ktime_get(), t0);
	mc_wb_start(s);
	mc->fo = fo;
	mc->failovers++;
	mc->relinked_total += fo.relinked;
	DMWARN("ctrl%u: the peer host is lost (%s): ctrl%u relinked %u mirror pages (%u invalid, %u superseded), took over %u LUs, I/O held %llu us",
	       p->id, why, s->id, fo.relinked, fo.invalid, fo.superseded,
	       fo.luns, fo.stall_us);
	dm_table_event(mc->ti->table);
	/* lend the memory once they are destaged, then join and hand back */
	mod_delayed_work(system_unbound_wq, &mc->host_work, 0);
}

/*
 * The link's @lost callback (its work; may sleep): the peer host, whose
 * HELLO was accepted, is gone, and nothing of it writes into our memory
 * any more.  This host's controller goes solo.  The copies the peer wrote
 * into our mirror area are all that is left of its dirty pages if it
 * crashed: the memory is withheld from new connections (a peer that joins
 * clears it) until they are relinked and destaged, or are known stale.
 * With fencing none the survivor takes the peer's LUs over at once; with
 * fencing resource they wait for 'peer_fenced'.
 */
static void mc_host_lost(void *ctx)
{
	struct mc_target *mc = ctx;
	struct mc_ctrl *c = &mc->ctrl[mc->opts.link.local];
	unsigned int i, luns = 0;

	mutex_lock(&mc->state_lock);
	if (c->state == MC_CTRL_ONLINE || c->state == MC_CTRL_HANDBACK) {
		mc_ctrl_set_state(c, MC_CTRL_SOLO);
		DMWARN("ctrl%u: the peer's memory is gone: solo, writes go through to the LUs",
		       c->id);
	}
	for (i = 0; i < mc->nr_luns; i++)
		luns += mc->luns[i].owner != c->id;
	if (luns && !READ_ONCE(mc->dying)) {
		mc_link_withhold(mc->link);
		mc->peer_copies = true;
		mc_link_peer_hello(mc->link, &mc->lost_generation);
		mc_host_update_held(mc);	/* before any new HELLO */
		if (mc->opts.link.fencing == MC_FENCING_NONE)
			mc_host_takeover(mc, c, "fencing none");
		else
			DMWARN("ctrl%u: the peer host is lost: its %u LUs wait for 'peer_fenced' (fencing %s); this host keeps its copies of the peer's dirty pages",
			       c->id, luns,
			       mc->opts.link.fencing == MC_FENCING_STONITH ?
			       "resource-and-stonith" : "resource");
	}
	dm_table_event(mc->ti->table);
	mutex_unlock(&mc->state_lock);
}

/**
 * mc_peer_fenced - "peer_fenced": the lost peer host is known to be down
 * @mc: the target
 *
 * From an operator or a cluster manager's fence handler, with fencing
 * resource or resource-and-stonith: the survivor takes the peer's LUs
 * over (mc_host_takeover()), and the writes it held since the loss
 * complete: the peer's copies of them are gone.  Only for a peer that is
 * down: relinking its copies while it writes its LUs through would
 * overwrite newer data.  A peer stopped later lost no write it
 * acknowledged: it held those over pages whose copies are here.
 *
 * Return: 0, -EOPNOTSUPP (not a two-host table, or fencing none) or
 * -EINVAL (the peer is not lost, or its LUs were taken over already).
 */
static int mc_peer_fenced(struct mc_target *mc)
{
	struct mc_ctrl *c;
	int r = 0;

	if (!mc_two_host(mc) || mc->opts.link.fencing == MC_FENCING_NONE) {
		DMERR("peer_fenced: only for a two-host table with fencing resource or resource-and-stonith");
		return -EOPNOTSUPP;
	}
	c = &mc->ctrl[mc->opts.link.local];
	mutex_lock(&mc->state_lock);
	if (mc->suspended) {
		DMERR("peer_fenced: the device is suspended");
		r = -EBUSY;
	} else if (!mc->peer_copies && !mc_io_ack_loss(mc)) {
		DMERR("peer_fenced: the peer host is not lost, or its LUs were taken over already");
		r = -EINVAL;
	} else {
		if (mc->peer_copies)
			mc_host_takeover(mc, c, "peer_fenced");
		mc_host_acks_gone(mc, c, "the peer host is fenced");
	}
	mutex_unlock(&mc->state_lock);
	return r;
}

/* The link's callback (any context, its lock held): look again. */
static void mc_host_changed(void *ctx)
{
	struct mc_target *mc = ctx;

	mc_io_ack_kick(mc);
	mod_delayed_work(system_unbound_wq, &mc->host_work, 0);
}

/* Lend the link this table's memory. */
static void mc_host_lend(struct mc_target *mc)
{
	struct mc_ctrl *c = &mc->ctrl[mc->opts.link.local];
	struct mc_link_mem mem = {
		.mirror = &c->pages[c->rw_pages],
		.nr_mirror = c->mirror_pages,
		.cbe = c->mirror_cbe,
		.peer_mirror = mc_mirror_total(c),
		.changed = mc_host_changed,
		.lost = mc_host_lost,
		.ctx = mc,
	};

	mc_link_attach(mc->link, &mem);
}

/*
 * Resume: the first one starts the wait for the peer's HELLO
 * (wait_peer_ms); tell the link what this table holds, lend it this
 * table's memory (unless it holds copies of a lost peer) and look at the
 * link.
 */
static void mc_host_resume(struct mc_target *mc)
{
	struct mc_ctrl *c = &mc->ctrl[mc->opts.link.local];

	mutex_lock(&mc->state_lock);
	if (!mc->wait_begun)
		mc_host_wait_begin(mc, c);
	mc_host_update_held(mc);	/* a reload's table holds nothing */
	if (!mc->peer_copies)
		mc_host_lend(mc);
	mutex_unlock(&mc->state_lock);
	mc_io_ack_kick(mc);	/* a reload's table may resume into a loss */
	mod_delayed_work(system_unbound_wq, &mc->host_work, 0);
}

/* The table goes: take its memory back from the link, stop following it. */
static void mc_host_stop(struct mc_target *mc)
{
	mc_link_detach(mc->link, mc);
	cancel_delayed_work_sync(&mc->host_work);
	mc_io_ack_stop(mc);
}

/* Set up @c's work of this file; nothing here can fail. */
static void mc_fail_init_work(struct mc_ctrl *c)
{
	INIT_WORK(&c->fail_work, mc_fail_work);
	INIT_WORK(&c->recover_work, mc_recover_work);
}

/* Set up the target's work of this file; nothing here can fail. */
static void mc_fail_init(struct mc_target *mc)
{
	INIT_WORK(&mc->fence_work, mc_fence_work);
	INIT_DELAYED_WORK(&mc->host_work, mc_host_work);
}

