// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: LU takeover on command (seed 004) and instant takeover
 * (seed 001).
 *
 * "takeover <lun> <ctrl> [destage|instant]" moves an LU to the other
 * controller while I/O runs; "return <lun>|all" moves it back to the
 * controller it returns to, recorded when it left (mc_lun_set_owner()).
 * The message only checks and starts the move; the LU's move_work runs it
 * and status shows its phase.
 *
 * destage (seed 004, Fig. 3 steps 801-809): the owner destages the LU's
 * dirty pages while every new write to the LU is write-through (phase
 * destaging).  Once few are left, new I/O is held (switching, step 806:
 * the path suspend), the rest are destaged, ownership switches and I/O
 * resumes on the new owner with a cold cache for the LU.  The hold lasts
 * as long as the last few destages.
 *
 * instant (seed 001): new I/O is held only for the switch.  The old owner
 * O hands the new owner T the differential table, its dirty pages of the
 * LU; each names its mirror page, which is in T's mirror area and holds
 * the same newest data.  T relinks those mirror pages into its own hash as
 * dirty pages, as a failover does, so T serves every page of the table at
 * once from its own memory: the "request to the first storage device" of
 * seed 001 is answered before it is asked, by the mirror copy.  O keeps
 * its pages as backups (list MC_L_BACKUP): the second copy of data T now
 * holds unmirrored, never destaged by O, so nothing O has can reach the
 * disk after T's newer data.  T destages the relinked pages in the
 * background (pulling); when one is on the disk or discarded, O drops its
 * backup and releases the mirror page (mc_pull_drop()).  The takeover is
 * complete when O keeps no backup.
 *
 * Failures (Documentation/mirrorcache.rst, "LU takeover"):
 *  - destaging: the old owner fails: the failover gives the LU to the
 *    survivor, the target, and the takeover ends there.  The target fails:
 *    the takeover is abandoned, the LU stays on the survivor.
 *  - switching: runs under state_lock with I/O held, so no failure can
 *    interleave; a failure waits for the switch to end.
 *  - pulling: T fails: O replaces each backup that T wrote again since by
 *    the newer mirror copy it relinks, keeps the others as dirty pages
 *    (mc_restore_backups()) and owns the LU again.  O fails: T keeps
 *    the relinked pages, the only copy now, as after any failover.
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>

#include "dm-mirrorcache.h"

/* destage: hold I/O for the switch once at most this many pages are left */
#define MC_MOVE_SWITCH_PAGES	256
#define MC_MOVE_POLL		(HZ / 10)
/*
 * One switch holds I/O for at most MC_MOVE_HOLD; if the device's bios or
 * the last destage do not drain by then (a hung disk), it lets I/O go,
 * waits MC_MOVE_RETRY_MS and tries again, MC_MOVE_TRIES times in all.
 */
#define MC_MOVE_HOLD		(5 * HZ)
#define MC_MOVE_RETRY_MS	2000
#define MC_MOVE_TRIES		15

static const char * const mc_move_methods[] = {
	[MC_MOVE_DESTAGE] = "destage",
	[MC_MOVE_INSTANT] = "instant",
};

static const char * const mc_move_phases[] = {
	[MC_MV_IDLE] = "idle",
	[MC_MV_DESTAGING] = "destaging",
	[MC_MV_SWITCHING] = "switching",
	[MC_MV_PULLING] = "pulling",
};

static const char *mc_move_phase_name(struct mc_lun *lun)
{
	return mc_move_phases[READ_ONCE(lun->phase)];
}

/**
 * mc_move_left - pages left in the takeover phase of @lun: dirty pages of
 *	the old owner while destaging, its backups while pulling
 * @lun: the LU
 */
static u32 mc_move_left(struct mc_lun *lun)
{
	switch (READ_ONCE(lun->phase)) {
	case MC_MV_DESTAGING:
		return READ_ONCE(lun->mc->ctrl[lun->move_from].fl_dirty[lun->id]);
	case MC_MV_PULLING:
		return READ_ONCE(lun->pull_left);
	default:
		return 0;
	}
}

/* "destage" or "instant" (NULL: @dflt); -1 for anything else. */
static int mc_move_method_of(const char *s, int dflt)
{
	if (!s)
		return dflt;
	if (!strcasecmp(s, "destage"))
		return MC_MOVE_DESTAGE;
	if (!strcasecmp(s, "instant"))
		return MC_MOVE_INSTANT;
	return -1;
}

/* ---- the destage method ---- */

/* Dirty pages of @lun on @c, and of them *@held that its LU refused. */
static u32 mc_move_dirty(struct mc_ctrl *c, struct mc_lun *lun, u32 *held)
{
	u32 n;

	*held = mc_held_pages(c, lun->id);
	spin_lock(&c->lock);
	n = c->fl_dirty[lun->id];
	spin_unlock(&c->lock);
	return n;
}

/* Destage @lun's pages of @c whatever the watermarks, or stop doing so. */
static void mc_move_drain_lu(struct mc_ctrl *c, struct mc_lun *lun, bool on)
{
	spin_lock(&c->lock);
	if (on)
		__set_bit(lun->id, c->wb_lu_drain);
	else
		__clear_bit(lun->id, c->wb_lu_drain);
	spin_unlock(&c->lock);
	if (on)
		mc_wb_start(c);
}

/*
 * Can the move of @lun go on?  0, or why not: -ENODEV (a controller of
 * the move failed), -EBUSY (the device is being suspended), -EIO (the LU
 * is in the error state).  Lockless: the switch checks again under
 * state_lock.
 */
static int mc_move_blocked(struct mc_lun *lun)
{
	struct mc_target *mc = lun->mc;

	if (READ_ONCE(lun->owner) != lun->move_from ||
	    READ_ONCE(mc->ctrl[lun->move_from].state) != MC_CTRL_ONLINE ||
	    READ_ONCE(mc->ctrl[lun->move_to].state) != MC_CTRL_ONLINE)
		return -ENODEV;
	if (READ_ONCE(mc->suspended))
		return -EBUSY;
	if (READ_ONCE(lun->error))
		return -EIO;
	return 0;
}

/*
 * Phase destaging: wait until at most @left dirty pages of @lun are left
 * (MC_MOVE_SWITCH_PAGES; none before a switch tried again: the last one
 * did not drain within its hold).
 */
static int mc_move_destage(struct mc_lun *lun, u32 left)
{
	struct mc_ctrl *o = &lun->mc->ctrl[lun->move_from];
	u32 dirty, held;
	int r;

	mc_move_drain_lu(o, lun, true);
	for (;;) {
		r = mc_move_blocked(lun);
		dirty = mc_move_dirty(o, lun, &held);
		if (r || dirty <= left + held)
			return r;
		wait_event_timeout(o->wb_wait, mc_move_blocked(lun) ||
				   READ_ONCE(o->fl_dirty[lun->id]) <= left + held,
				   MC_MOVE_POLL);
		mc_wb_start(o);
	}
}

/*
 * Inside the hold: destage the last dirty pages of @lun on @o.  No bio
 * runs, a destage the LU refuses holds its page; an LU that does not
 * complete them within MC_MOVE_HOLD gives -EAGAIN (the switch lets I/O go
 * and tries again).
 */
static int mc_move_destage_rest(struct mc_lun *lun, struct mc_ctrl *o)
{
	u32 held;

	mc_wb_start(o);
	if (!wait_event_timeout(o->wb_wait,
				mc_move_dirty(o, lun, &held) == held,
				MC_MOVE_HOLD))
		return -EAGAIN;
	return held ? -EIO : 0;
}

/* ---- the instant method ---- */

/* One page of the differential table: the old owner's page, its mirror. */
struct mc_pull_ent {
	u64 index;
	u32 page;
	u32 mirror;
};

/*
 * The differential table: every dirty page of @lun on @o (none is under
 * write-back, none busy: I/O is held).  Returns the number of pages, or
 * -EBUSY when some page is not simply dirty (held after an LU error).
 */
static int mc_pull_table(struct mc_ctrl *o, struct mc_lun *lun,
			 struct mc_pull_ent *ents, u32 cap)
{
	u32 n = 0, p;
	int r = 0;

	spin_lock(&o->lock);
	for (p = mc_list_first(&o->lists, MC_L_DIRTY); p != MC_LIST_NIL;
	     p = mc_list_next(&o->lists, p)) {
		if (o->meta[p].lun != lun->id)
			continue;
		if (n == cap || o->meta[p].mirror == MC_CBE_NO_MIRROR) {
			r = -EBUSY;
			break;
		}
		ents[n++] = (struct mc_pull_ent) {
			.index = o->meta[p].index, .page = p,
			.mirror = o->meta[p].mirror,
		};
	}
	if (!r && n != o->fl_dirty[lun->id])
		r = -EBUSY;	/* held pages */
	spin_unlock(&o->lock);
	return r ? r : n;
}

/* Does T's mirror CBE of @e name exactly that page of @lun?  t->lock held. */
static bool mc_pull_valid(struct mc_ctrl *t, struct mc_lun *lun,
			  struct mc_pull_ent *e, struct mc_cbe *cbe)
{
	if (e->mirror >= t->mirror_pages ||
	    mc_cbe_decode(&t->mirror_cbe[e->mirror], cbe) ||
	    cbe->state != MC_CBE_MIRROR || cbe->lun != lun->id ||
	    cbe->index != e->index)
		return false;
	return mc_hash_lookup(&t->hash, mc_hash_key(lun->id, e->index)) ==
	       MC_HASH_NIL;
}

/* Relink the table's mirror pages into @t's hash as dirty pages. */
static int mc_pull_relink(struct mc_ctrl *t, struct mc_lun *lun,
			  struct mc_pull_ent *ents, u32 n)
{
	struct mc_cbe cbe;
	u32 i, p;

	spin_lock(&t->lock);
	for (i = 0; i < n; i++) {
		if (!mc_pull_valid(t, lun, &ents[i], &cbe)) {
			spin_unlock(&t->lock);
			return -EBADMSG;
		}
	}
	for (i = 0; i < n; i++) {
		mc_cbe_decode(&t->mirror_cbe[ents[i].mirror], &cbe);
		p = t->rw_pages + ents[i].mirror;
		t->seq++;
		t->meta[p] = (struct mc_pmeta) {
			.index = cbe.index, .lun = cbe.lun, .seq = t->seq,
			.dirty_since = t->seq, .mseq = cbe.seq,
			.state = MC_CBE_DIRTY, .flags = MC_PF_RELINKED,
			.mirror = MC_CBE_NO_MIRROR,
		};
		mc_hash_insert(&t->hash, p, mc_hash_key(cbe.lun, cbe.index));
		mc_list_add_tail(&t->lists, MC_L_DIRTY, p);
		mc_wb_dirtied(t, &t->meta[p]);
	}
	t->relinked_left += n;
	spin_unlock(&t->lock);
	return 0;
}

/* The old owner keeps the table's pages as backups, never destaged. */
static void mc_pull_backup(struct mc_ctrl *o, struct mc_lun *lun,
			   struct mc_pull_ent *ents, u32 n)
{
	u32 i, p;

	spin_lock(&o->lock);
	for (i = 0; i < n; i++) {
		p = ents[i].page;
		mc_list_del(&o->lists, MC_L_DIRTY, p);
		mc_wb_cleaned(o, &o->meta[p]);
		mc_list_add_tail(&o->lists, MC_L_BACKUP, p);
	}
	lun->pull_left = n;
	spin_unlock(&o->lock);
}

/*
 * Inside the hold: hand @lun's dirty pages from @o to @t.  Write-back of
 * @o leaves the LU alone from here on; the destages it has in flight end
 * first, within MC_MOVE_HOLD or -EAGAIN (write-back takes the LU up again).
 */
static int mc_pull_switch(struct mc_lun *lun, struct mc_ctrl *o,
			  struct mc_ctrl *t)
{
	struct mc_pull_ent *ents;
	unsigned int noio;
	u32 cap;
	int n, r;

	spin_lock(&o->lock);
	__set_bit(lun->id, o->wb_lu_stop);
	spin_unlock(&o->lock);
	r = -EAGAIN;
	if (!wait_event_timeout(o->wb_wait, !READ_ONCE(o->wb_lu_inflight[lun->id]),
				MC_MOVE_HOLD))
		goto out;

	cap = READ_ONCE(o->fl_dirty[lun->id]);
	noio = memalloc_noio_save();	/* I/O of this device is held */
	ents = kvmalloc_array(max(cap, 1U), sizeof(*ents), GFP_KERNEL);
	memalloc_noio_restore(noio);
	r = -ENOMEM;
	if (!ents)
		goto out;
	n = mc_pull_table(o, lun, ents, cap);
	r = n < 0 ? n : mc_pull_relink(t, lun, ents, n);
	if (!r)
		mc_pull_backup(o, lun, ents, n);
	kvfree(ents);
out:
	spin_lock(&o->lock);
	__clear_bit(lun->id, o->wb_lu_stop);
	spin_unlock(&o->lock);
	return r;
}

/* Phase pulling: wait until the old owner keeps no backup of @lun. */
static void mc_move_pull(struct mc_lun *lun)
{
	struct mc_ctrl *o = &lun->mc->ctrl[lun->move_from];
	struct mc_ctrl *t = &lun->mc->ctrl[lun->move_to];

	u32 held;

	while (READ_ONCE(lun->pull_left)) {
		/* A suspend or remove does not wait for pages the LU refuses. */
		if (READ_ONCE(lun->mc->suspended) &&
		    mc_move_dirty(t, lun, &held) == held)
			break;
		mc_wb_start(t);
		wait_event_timeout(o->wb_wait, !READ_ONCE(lun->pull_left),
				   MC_MOVE_POLL);
	}
}

/* ---- the switch and the move ---- */

/* The switch proper, I/O held (-EAGAIN: it did not drain in time). */
static int mc_move_switch_held(struct mc_lun *lun, struct mc_ctrl *o,
			       struct mc_ctrl *t)
{
	if (!mc_io_wait_idle_timeout(lun->mc, MC_MOVE_HOLD))
		return -EAGAIN;
	mc_inject(takeover_hold_ms);
	if (lun->move_method == MC_MOVE_DESTAGE)
		return mc_move_destage_rest(lun, o);
	return mc_pull_switch(lun, o, t);
}

/*
 * Switch @lun to its target with new I/O held.  Under state_lock: no
 * failover, recovery or suspend interleaves.  -EAGAIN: the bios of the
 * device or the last destage did not drain within MC_MOVE_HOLD (a hung
 * disk somewhere); I/O went on, nothing changed.
 */
static int mc_move_switch(struct mc_lun *lun)
{
	struct mc_target *mc = lun->mc;
	struct mc_ctrl *o = &mc->ctrl[lun->move_from];
	struct mc_ctrl *t = &mc->ctrl[lun->move_to];
	int phase = READ_ONCE(lun->phase);
	ktime_t t0;
	int r;

	mutex_lock(&mc->state_lock);
	r = mc_move_blocked(lun);
	if (r)
		goto out;
	WRITE_ONCE(lun->phase, MC_MV_SWITCHING);
	t0 = ktime_get();
	mc_io_freeze(mc);
	r = mc_move_switch_held(lun, o, t);
	if (r == -EAGAIN)
		WRITE_ONCE(lun->phase, phase);
	if (!r) {
		mc_lun_set_owner(lun, t->id);
		if (lun->return_to != MC_NO_CTRL)
			lun->away_method = lun->move_method;
		if (lun->move_method == MC_MOVE_INSTANT)
			WRITE_ONCE(lun->phase, MC_MV_PULLING);
	}
	mc_io_thaw(mc);
	lun->move_hold_us = ktime_us_delta(ktime_get(), t0);
	if (!r)
		mc_purge_foreign(o);	/* before a failover can give it back */
out:
	mutex_unlock(&mc->state_lock);
	return r;
}

static const char *mc_move_why(int r)
{
	switch (r) {
	case -ENODEV:
		return "a controller of the takeover failed";
	case -EBUSY:
		return "the device is being suspended";
	case -EIO:
		return "the LU has pages its disk refused";
	case -ENOMEM:
		return "out of memory";
	case -EAGAIN:
		return "the I/O of the device did not drain for the switch (a hung disk?)";
	default:
		return "a mirror page does not match the table";
	}
}

static int mc_move_start(struct mc_target *mc, struct mc_lun *lun,
			 unsigned int to, int method, const char *what);

/*
 * The move of @lun ended with @r: record it, log it, back to idle, and
 * start the move asked for behind it, if any.
 */
static void mc_move_done(struct mc_lun *lun, int r)
{
	struct mc_target *mc = lun->mc;
	int next;

	mutex_lock(&mc->state_lock);
	lun->move_total_us = ktime_us_delta(ktime_get(), lun->move_t0);
	if (!r && lun->owner == lun->move_to) {
		lun->takeovers++;
		DMINFO("LU %u taken over by ctrl%u (%s): I/O held %llu us, %llu us in all",
		       lun->id, lun->move_to, mc_move_methods[lun->move_method],
		       lun->move_hold_us, lun->move_total_us);
	} else if (lun->owner == lun->move_to) {
		DMWARN("takeover of LU %u: ctrl%u failed, the failover gave the LU to ctrl%u",
		       lun->id, lun->move_from, lun->move_to);
	} else if (!r) {
		DMWARN("takeover of LU %u: ctrl%u failed while it destaged the LU's pages; ctrl%u has them and the LU",
		       lun->id, lun->move_to, lun->owner);
	} else {
		DMWARN("takeover of LU %u by ctrl%u abandoned: %s; ctrl%u keeps it",
		       lun->id, lun->move_to, mc_move_why(r), lun->owner);
	}
	WRITE_ONCE(lun->phase, MC_MV_IDLE);
	next = lun->next_to;
	lun->next_to = MC_NO_CTRL;
	if (next != MC_NO_CTRL)		/* checked again: things changed */
		mc_move_start(mc, lun, next, lun->next_method, "queued move");
	mutex_unlock(&mc->state_lock);
	if (!READ_ONCE(mc->dying))
		dm_table_event(mc->ti->table);
}

/* Runs one takeover of an LU (struct mc_lun->move_work). */
static void mc_move_work(struct work_struct *work)
{
	struct mc_lun *lun = container_of(work, struct mc_lun, move_work);
	struct mc_ctrl *o = &lun->mc->ctrl[lun->move_from];
	unsigned int tries = 0;
	int r = 0;

	do {
		if (r) {	/* -EAGAIN: I/O went on; let it run a while */
			DMWARN_LIMIT("takeover of LU %u: I/O of the device did not drain within %u s for the switch (a hung disk?); I/O goes on, trying again",
				     lun->id, MC_MOVE_HOLD / HZ);
			msleep(MC_MOVE_RETRY_MS);
		}
		r = lun->move_method != MC_MOVE_DESTAGE ? 0 :
		    mc_move_destage(lun, tries ? 0 : MC_MOVE_SWITCH_PAGES);
		if (!r)
			r = mc_move_switch(lun);
	} while (r == -EAGAIN && ++tries < MC_MOVE_TRIES &&
		 !READ_ONCE(lun->mc->dying));
	mc_move_drain_lu(o, lun, false);
	if (!r && lun->move_method == MC_MOVE_INSTANT)
		mc_move_pull(lun);
	mc_move_done(lun, r);
}

/* ---- starting a move ---- */

/*
 * May @lun move to controller @to?  0 (now), 1 (once its move in progress,
 * which has switched already, ends) or a negative errno, logged.
 * state_lock held.
 */
static int mc_move_check(struct mc_target *mc, struct mc_lun *lun,
			 unsigned int to, const char *what)
{
	struct mc_ctrl *t = &mc->ctrl[to];

	if (mc->suspended || dm_suspended(mc->ti)) {
		DMERR("%s: the device is suspended", what);
		return -EBUSY;
	}
	if (READ_ONCE(lun->phase) != MC_MV_IDLE) {
		/* Switched already: owner says so; the move goes behind it. */
		if (lun->owner == lun->move_to && lun->next_to == MC_NO_CTRL &&
		    to != lun->owner)
			return 1;
		DMERR("%s: LU %u is already moving (%s)", what, lun->id,
		      mc_move_phase_name(lun));
		return -EBUSY;
	}
	if (lun->owner == to) {
		DMERR("%s: LU %u is already owned by ctrl%u", what, lun->id, to);
		return -EINVAL;
	}
	if (t->state != MC_CTRL_ONLINE) {
		DMERR("%s: ctrl%u is %s, not online", what, to,
		      t->state == MC_CTRL_SOLO || t->state == MC_CTRL_HANDBACK ?
		      "without its peer" : mc_ctrl_state_name(t));
		return -EINVAL;
	}
	if (mc->ctrl[lun->owner].state != MC_CTRL_ONLINE) {
		DMERR("%s: ctrl%u, the owner of LU %u, is not online", what,
		      lun->owner, lun->id);
		return -EINVAL;
	}
	if (READ_ONCE(lun->error) || mc_held_pages(&mc->ctrl[lun->owner], lun->id)) {
		DMERR("%s: LU %u is in the error state", what, lun->id);
		return -EIO;
	}
	return 0;
}

/*
 * Start moving @lun to @to with @method; state_lock held.  An LU whose
 * move has switched but not ended (pulling, or the end of the switch)
 * moves once that one ends (mc_move_done()).
 */
static int mc_move_start(struct mc_target *mc, struct mc_lun *lun,
			 unsigned int to, int method, const char *what)
{
	int r = mc_move_check(mc, lun, to, what);

	if (r < 0)
		return r;
	if (r) {
		lun->next_to = to;
		lun->next_method = method;
		DMINFO("%s: LU %u from ctrl%u to ctrl%u (%s) once its move to ctrl%u ends",
		       what, lun->id, lun->owner, to, mc_move_methods[method],
		       lun->move_to);
		return 0;
	}
	lun->move_from = lun->owner;
	lun->move_to = to;
	lun->move_method = method;
	lun->move_t0 = ktime_get();
	lun->move_hold_us = 0;
	WRITE_ONCE(lun->phase, method == MC_MOVE_DESTAGE ? MC_MV_DESTAGING :
						       MC_MV_SWITCHING);
	queue_work(mc->wq, &lun->move_work);
	DMINFO("%s: LU %u from ctrl%u to ctrl%u (%s)", what, lun->id,
	       lun->move_from, to, mc_move_methods[method]);
	return 0;
}

/**
 * mc_takeover - start moving LU @id to controller @to
 * @mc: the target
 * @id: the LU
 * @to: the controller
 * @method: enum mc_move_method
 *
 * Return: 0 once the move runs, or an errno after a logged refusal that
 * changed nothing.
 */
static int mc_takeover(struct mc_target *mc, unsigned int id, unsigned int to,
		int method)
{
	int r = mc_refuse_two_host(mc, "takeover");

	if (r)
		return r;
	if (id >= mc->nr_luns) {
		DMERR("takeover: no LU %u (the device has %u)", id, mc->nr_luns);
		return -EINVAL;
	}
	if (to >= MC_NR_CTRL) {
		DMERR("takeover: no controller %u", to);
		return -EINVAL;
	}
	mutex_lock(&mc->state_lock);
	r = mc_move_start(mc, &mc->luns[id], to, method, "takeover");
	mutex_unlock(&mc->state_lock);
	return r;
}

/* May @lun return?  As mc_move_check(); state_lock held. */
static int mc_return_check(struct mc_target *mc, struct mc_lun *lun)
{
	if (lun->return_to == MC_NO_CTRL) {
		DMERR("return: LU %u is on ctrl%u, the controller it returns to",
		      lun->id, lun->owner);
		return -EINVAL;
	}
	return mc_move_check(mc, lun, lun->return_to, "return");
}

/**
 * mc_return - move LU @id (or every LU away, for @id < 0) back to the
 *	controller it returns to
 * @mc: the target
 * @id: the LU, or -1 for all
 * @method: enum mc_move_method, or -1 for the method of the move that took
 *	each LU away
 *
 * "return all" starts nothing unless every LU that is away can return.
 */
static int mc_return(struct mc_target *mc, int id, int method)
{
	unsigned int i, lo = id < 0 ? 0 : id, hi = id < 0 ? mc->nr_luns : id + 1;
	struct mc_lun *lun;
	int r = mc_refuse_two_host(mc, "return");

	if (r)
		return r;
	if (id >= (int)mc->nr_luns) {
		DMERR("return: no LU %d (the device has %u)", id, mc->nr_luns);
		return -EINVAL;
	}
	mutex_lock(&mc->state_lock);
	for (i = lo; i < hi && !r; i++)
		if (id >= 0 || mc->luns[i].return_to != MC_NO_CTRL)
			r = min(mc_return_check(mc, &mc->luns[i]), 0);
	for (i = lo; i < hi && !r; i++) {
		lun = &mc->luns[i];
		if (lun->return_to == MC_NO_CTRL)
			continue;
		r = mc_move_start(mc, lun, lun->return_to,
				  method < 0 ? lun->away_method : method,
				  "return");
	}
	mutex_unlock(&mc->state_lock);
	return r;
}

/* Set up the takeover state of every LU. */
static void mc_move_init(struct mc_target *mc)
{
	unsigned int i;

	for (i = 0; i < mc->nr_luns; i++) {
		INIT_WORK(&mc->luns[i].move_work, mc_move_work);
		mc->luns[i].next_to = MC_NO_CTRL;
	}
}

/**
 * mc_move_wait - wait for the moves in progress to end, for the destructor
 * @mc: the target, suspended (a move in its destage phase gives up, one
 *	that pulls ends with the drain that destages the relinked pages)
 */
static void mc_move_wait(struct mc_target *mc)
{
	unsigned int i;

	WRITE_ONCE(mc->dying, true);	/* the table goes: no more events */
	for (i = 0; i < mc->nr_luns; i++)
		flush_work(&mc->luns[i].move_work);
}
