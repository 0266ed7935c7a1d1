// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: sysfs interface.
 *
 *   /sys/block/dm-N/mirrorcache/
 *       ctrl0/ ctrl1/      state, cache_pages, mirror_pages, ...
 *       lun0/ ... lunK/    default_owner, owner, dev, sectors, takeover, ...
 *
 * The tree belongs to the live table.  A reload creates a second target
 * instance while the first is still live, so the directory is added at
 * resume, and a resume that finds another instance registered for the same
 * mapped device takes the directory over.  Each kobject's release signals
 * mc->kobj_done, so the destructor never frees memory sysfs still uses.
 */
#include <linux/blkdev.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "dm-mirrorcache.h"

/* Instances with a registered tree; protected by mc_sysfs_mutex. */
static LIST_HEAD(mc_sysfs_list);
static DEFINE_MUTEX(mc_sysfs_mutex);

struct mc_attr {
	struct attribute attr;
	ssize_t (*show)(struct kobject *kobj, char *buf);
	ssize_t (*store)(struct kobject *kobj, const char *buf, size_t len);
};

#define MC_ATTR_RO(prefix, name)					\
	static struct mc_attr prefix##_attr_##name =			\
		__ATTR(name, 0444, prefix##_show_##name, NULL)
#define MC_ATTR_WO(prefix, name)					\
	static struct mc_attr prefix##_attr_##name =			\
		__ATTR(name, 0200, NULL, prefix##_store_##name)
#define MC_ATTR_RW(prefix, name)					\
	static struct mc_attr prefix##_attr_##name =			\
		__ATTR(name, 0644, prefix##_show_##name, prefix##_store_##name)

static ssize_t mc_attr_show(struct kobject *kobj, struct attribute *attr,
			    char *buf)
{
	struct mc_attr *a = container_of(attr, struct mc_attr, attr);

	return a->show ? a->show(kobj, buf) : -EIO;
}

static ssize_t mc_attr_store(struct kobject *kobj, struct attribute *attr,
			     const char *buf, size_t len)
{
	struct mc_attr *a = container_of(attr, struct mc_attr, attr);

	return a->store ? a->store(kobj, buf, len) : -EIO;
}

static const struct sysfs_ops mc_sysfs_ops = {
	.show = mc_attr_show,
	.store = mc_attr_store,
};

static struct mc_target *mc_of_kobj(struct kobject *kobj);

static void mc_kobj_release(struct kobject *kobj)
{
	struct mc_target *mc = mc_of_kobj(kobj);

	atomic_dec(&mc_live.kobjs);
	if (atomic_dec_and_test(&mc->kobj_refs))
		complete(&mc->kobj_done);
}

/* ---- ctrlN ---- */

static struct mc_ctrl *to_ctrl(struct kobject *kobj)
{
	return container_of(kobj, struct mc_ctrl, kobj);
}

static ssize_t ctrl_show_state(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%s\n", mc_ctrl_state_name(to_ctrl(kobj)));
}

static ssize_t ctrl_show_cache_pages(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_ctrl(kobj)->nr_pages);
}

static ssize_t ctrl_show_mirror_pages(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_ctrl(kobj)->mirror_pages);
}

static ssize_t ctrl_show_rw_pages(struct kobject *kobj, char *buf)
{
	struct mc_ctrl *c = to_ctrl(kobj);

	return sysfs_emit(buf, "%u\n", c->nr_pages - c->mirror_pages);
}

static ssize_t ctrl_show_dirty_pages(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", mc_dirty_pages(to_ctrl(kobj)));
}

static ssize_t ctrl_show_list(struct kobject *kobj, char *buf, u8 list)
{
	struct mc_ctrl *c = to_ctrl(kobj);
	u32 n;

	spin_lock(&c->lock);
	if (mc_state_up(c->state))
		n = mc_list_count(&c->lists, list);
	else	/* no tables: an empty cache */
		n = list == MC_L_FREE ? c->rw_pages : 0;
	spin_unlock(&c->lock);
	return sysfs_emit(buf, "%u\n", n);
}

static ssize_t ctrl_show_free_pages(struct kobject *kobj, char *buf)
{
	return ctrl_show_list(kobj, buf, MC_L_FREE);
}

static ssize_t ctrl_show_clean_pages(struct kobject *kobj, char *buf)
{
	return ctrl_show_list(kobj, buf, MC_L_CLEAN);
}

/*
 * The page counts of one moment, under one hold of the lock (the other
 * attributes and the status line are each read at their own moment, which
 * under load do not add up): dirty (under write-back included, relinked
 * ones in the mirror area too), held, clean, free, backup (mc-move.c),
 * and of the dirty ones those relinked.
 */
static ssize_t ctrl_show_pages(struct kobject *kobj, char *buf)
{
	struct mc_ctrl *c = to_ctrl(kobj);
	u32 n[6] = { 0, 0, 0, c->rw_pages, 0, 0 };

	spin_lock(&c->lock);
	if (mc_state_up(c->state)) {	/* else no tables: an empty cache */
		n[0] = __mc_dirty_pages(c);
		n[1] = mc_list_count(&c->lists, MC_L_HELD);
		n[2] = mc_list_count(&c->lists, MC_L_CLEAN);
		n[3] = mc_list_count(&c->lists, MC_L_FREE);
		n[4] = mc_list_count(&c->lists, MC_L_BACKUP);
		n[5] = c->relinked_left;
	}
	spin_unlock(&c->lock);
	return sysfs_emit(buf, "dirty %u held %u clean %u free %u backup %u relinked %u\n",
			  n[0], n[1], n[2], n[3], n[4], n[5]);
}

/*
 * "fill F page P free N mirror M discard D": the bios parked on the
 * controller, by what each waits for (enum mc_wait).
 */
static ssize_t ctrl_show_parked(struct kobject *kobj, char *buf)
{
	struct mc_ctrl *c = to_ctrl(kobj);
	u32 n[MC_WAIT_NR];

	spin_lock(&c->lock);
	memcpy(n, c->parked_nr, sizeof(n));
	spin_unlock(&c->lock);
	return sysfs_emit(buf, "fill %u page %u free %u mirror %u discard %u\n",
			  n[MC_WAIT_FILL], n[MC_WAIT_PAGE], n[MC_WAIT_FREE],
			  n[MC_WAIT_MIRROR], n[MC_WAIT_DISCARD]);
}

static ssize_t ctrl_show_mirror_used(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", mc_mirror_used(to_ctrl(kobj)));
}

/*
 * Mirror copies this controller's mirror area holds: CBEs that decode
 * (the peer's dirty pages; over the link in a two-host table).  A racy
 * snapshot: the peer writes them meanwhile.
 */
static ssize_t ctrl_show_mirror_valid(struct kobject *kobj, char *buf)
{
	struct mc_ctrl *c = to_ctrl(kobj);
	struct mc_cbe cbe;
	u32 m, n = 0;

	for (m = 0; m < c->mirror_pages; m++)
		n += !mc_cbe_decode(&c->mirror_cbe[m], &cbe);
	return sysfs_emit(buf, "%u\n", n);
}

static ssize_t ctrl_show_mirror_total(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", mc_mirror_total(to_ctrl(kobj)));
}

static ssize_t ctrl_show_copy_engine(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_ctrl(kobj)->dma ? "dma" : "cpu");
}

#define MC_STAT_ATTR(name)						\
static ssize_t ctrl_show_##name(struct kobject *kobj, char *buf)	\
{									\
	struct mc_stats s;						\
									\
	mc_stats_sum(to_ctrl(kobj), &s);				\
	return sysfs_emit(buf, "%llu\n", s.name);			\
}									\
MC_ATTR_RO(ctrl, name)

MC_STAT_ATTR(read_hits);
MC_STAT_ATTR(read_misses);
MC_STAT_ATTR(write_hits);
MC_STAT_ATTR(write_misses);
MC_STAT_ATTR(destaged);
MC_STAT_ATTR(mirror_acquired);
MC_STAT_ATTR(mirror_released);
MC_STAT_ATTR(nch_copies);
MC_STAT_ATTR(discards);
MC_STAT_ATTR(discarded);

static ssize_t ctrl_show_writeback_high(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_ctrl(kobj)->wb_high));
}

static ssize_t ctrl_show_writeback_low(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_ctrl(kobj)->wb_low));
}

/*
 * Set a write-back watermark, in pages.  high must stay above low and at
 * most the pages that can be dirty; low must stay below high.
 */
static ssize_t ctrl_store_wm(struct kobject *kobj, const char *buf,
			     size_t len, bool high)
{
	struct mc_ctrl *c = to_ctrl(kobj);
	unsigned int v, cap = min(c->rw_pages, mc_mirror_total(c));
	int r = kstrtouint(buf, 10, &v);

	if (r)
		return r;
	spin_lock(&c->lock);
	if (high ? (v <= c->wb_low || v > cap) : v >= c->wb_high) {
		r = -EINVAL;
	} else if (high) {
		c->wb_high = v;
	} else {
		c->wb_low = v;
	}
	spin_unlock(&c->lock);
	if (r)
		return r;
	mc_wb_start(c);
	return len;
}

static ssize_t ctrl_store_writeback_high(struct kobject *kobj,
					 const char *buf, size_t len)
{
	return ctrl_store_wm(kobj, buf, len, true);
}

static ssize_t ctrl_store_writeback_low(struct kobject *kobj,
					const char *buf, size_t len)
{
	return ctrl_store_wm(kobj, buf, len, false);
}

/* Accept exactly "1" (with an optional newline). */
static int mc_parse_one(const char *buf)
{
	unsigned int v;

	if (kstrtouint(buf, 10, &v) || v != 1)
		return -EINVAL;
	return 0;
}

static ssize_t ctrl_store_fail(struct kobject *kobj, const char *buf,
			       size_t len)
{
	struct mc_ctrl *c = to_ctrl(kobj);
	int r = mc_parse_one(buf);

	if (r) {
		DMERR("ctrl%u/fail: write 1 to fail the controller", c->id);
		return r;
	}
	r = mc_fail_ctrl(c->mc, c->id);
	return r ? r : len;
}

static ssize_t ctrl_store_recover(struct kobject *kobj, const char *buf,
				  size_t len)
{
	struct mc_ctrl *c = to_ctrl(kobj);
	int r = mc_parse_one(buf);

	if (r) {
		DMERR("ctrl%u/recover: write 1 to recover the controller", c->id);
		return r;
	}
	r = mc_recover_ctrl(c->mc, c->id);
	return r ? r : len;
}

/*
 * Write-back's own state, to tell why it does (not) run: "active A
 * inflight I lu_bios L drain D retry R quiet Q stopped S draining T busy B
 * users live|dead".  busy: dirty pages on the dirty list whose mirror copy
 * is in flight (write-back skips them); stopped and draining: LUs in
 * wb_lu_stop and wb_lu_drain.
 */
static ssize_t ctrl_show_writeback(struct kobject *kobj, char *buf)
{
	struct mc_ctrl *c = to_ctrl(kobj);
	u32 busy = 0, inflight = 0, drain = 0, retry = 0, stop = 0, lus = 0;
	u32 p, left;
	bool active = false, quiet = false;

	spin_lock(&c->lock);
	if (mc_state_up(c->state)) {
		left = mc_list_count(&c->lists, MC_L_DIRTY);
		for (p = mc_list_first(&c->lists, MC_L_DIRTY); left--;
		     p = mc_list_next(&c->lists, p))
			busy += !!c->meta[p].busy;
	}
	active = c->wb_active;
	quiet = c->wb_quiet;
	inflight = c->wb_inflight;
	drain = c->wb_drain;
	retry = c->wb_retry;
	stop = bitmap_weight(c->wb_lu_stop, MC_MAX_LUNS);
	lus = bitmap_weight(c->wb_lu_drain, MC_MAX_LUNS);
	spin_unlock(&c->lock);
	return sysfs_emit(buf, "active %d inflight %u lu_bios %d drain %u retry %u quiet %d stopped %u draining %u busy %u users %s\n",
			  active, inflight, atomic_read(&c->lu_inflight), drain,
			  retry, quiet, stop, lus, busy,
			  percpu_ref_is_dying(&c->users) ? "dead" : "live");
}

static ssize_t ctrl_show_relinked_left(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_ctrl(kobj)->relinked_left));
}

static ssize_t ctrl_show_solo(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", mc_ctrl_solo(to_ctrl(kobj)));
}

MC_ATTR_WO(ctrl, fail);
MC_ATTR_WO(ctrl, recover);
MC_ATTR_RO(ctrl, relinked_left);
MC_ATTR_RO(ctrl, solo);
MC_ATTR_RO(ctrl, state);
MC_ATTR_RO(ctrl, cache_pages);
MC_ATTR_RO(ctrl, mirror_pages);
MC_ATTR_RO(ctrl, rw_pages);
MC_ATTR_RO(ctrl, dirty_pages);
MC_ATTR_RO(ctrl, free_pages);
MC_ATTR_RO(ctrl, clean_pages);
MC_ATTR_RO(ctrl, pages);
MC_ATTR_RO(ctrl, parked);
MC_ATTR_RO(ctrl, writeback);
MC_ATTR_RO(ctrl, mirror_used);
MC_ATTR_RO(ctrl, mirror_total);
MC_ATTR_RO(ctrl, mirror_valid);
MC_ATTR_RO(ctrl, copy_engine);
MC_ATTR_RW(ctrl, writeback_high);
MC_ATTR_RW(ctrl, writeback_low);

static struct attribute *mc_ctrl_attrs[] = {
	&ctrl_attr_state.attr,
	&ctrl_attr_cache_pages.attr,
	&ctrl_attr_mirror_pages.attr,
	&ctrl_attr_rw_pages.attr,
	&ctrl_attr_dirty_pages.attr,
	&ctrl_attr_free_pages.attr,
	&ctrl_attr_clean_pages.attr,
	&ctrl_attr_pages.attr,
	&ctrl_attr_parked.attr,
	&ctrl_attr_writeback.attr,
	&ctrl_attr_mirror_used.attr,
	&ctrl_attr_mirror_total.attr,
	&ctrl_attr_mirror_valid.attr,
	&ctrl_attr_copy_engine.attr,
	&ctrl_attr_writeback_high.attr,
	&ctrl_attr_writeback_low.attr,
	&ctrl_attr_read_hits.attr,
	&ctrl_attr_read_misses.attr,
	&ctrl_attr_write_hits.attr,
	&ctrl_attr_write_misses.attr,
	&ctrl_attr_destaged.attr,
	&ctrl_attr_mirror_acquired.attr,
	&ctrl_attr_mirror_released.attr,
	&ctrl_attr_nch_copies.attr,
	&ctrl_attr_discards.attr,
	&ctrl_attr_discarded.attr,
	&ctrl_attr_fail.attr,
	&ctrl_attr_recover.attr,
	&ctrl_attr_relinked_left.attr,
	&ctrl_attr_solo.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mc_ctrl);

static const struct kobj_type mc_ctrl_ktype = {
	.sysfs_ops = &mc_sysfs_ops,
	.default_groups = mc_ctrl_groups,
	.release = mc_kobj_release,
};

/* ---- lunK ---- */

static struct mc_lun *to_lun(struct kobject *kobj)
{
	return container_of(kobj, struct mc_lun, kobj);
}

static ssize_t lun_show_owner(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_lun(kobj)->owner));
}

static ssize_t lun_show_default_owner(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_lun(kobj)->default_owner);
}

static ssize_t lun_show_dev(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_lun(kobj)->dev->name);
}

static ssize_t lun_show_sectors(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)to_lun(kobj)->len);
}

static ssize_t lun_show_start(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)to_lun(kobj)->start);
}

static ssize_t lun_show_error(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_lun(kobj)->error));
}

static ssize_t lun_show_held_pages(struct kobject *kobj, char *buf)
{
	struct mc_lun *lun = to_lun(kobj);
	u32 held = 0, i;

	for (i = 0; i < MC_NR_CTRL; i++)
		held += mc_held_pages(&lun->mc->ctrl[i], lun->id);
	return sysfs_emit(buf, "%u\n", held);
}

static ssize_t lun_show_write_errors(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (u64)atomic64_read(&to_lun(kobj)->write_errors));
}

static ssize_t lun_show_return_to(struct kobject *kobj, char *buf)
{
	int to = READ_ONCE(to_lun(kobj)->return_to);

	return to == MC_NO_CTRL ? sysfs_emit(buf, "none\n") :
				  sysfs_emit(buf, "%d\n", to);
}

/* The controller whose ports reserved the LU (mc-port.c), or "none". */
static ssize_t lun_show_reserved_by(struct kobject *kobj, char *buf)
{
	struct mc_lun *lun = to_lun(kobj);
	int by = READ_ONCE(lun->mc->array->resv[lun->id]);

	return by == MC_NO_CTRL ? sysfs_emit(buf, "none\n") :
				  sysfs_emit(buf, "%d\n", by);
}

/* "<phase> <pages left>": idle 0, destaging N, switching N, pulling N */
static ssize_t lun_show_phase(struct kobject *kobj, char *buf)
{
	struct mc_lun *lun = to_lun(kobj);

	return sysfs_emit(buf, "%s %u\n", mc_move_phase_name(lun),
			  mc_move_left(lun));
}

static ssize_t lun_show_takeovers(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_lun(kobj)->takeovers));
}

static ssize_t lun_show_takeover_hold_us(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_lun(kobj)->move_hold_us));
}

static ssize_t lun_show_takeover_us(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_lun(kobj)->move_total_us));
}

/* Split a sysfs write into at most @max words; returns the count or -1. */
static int mc_sysfs_words(const char *buf, size_t len, char *copy,
			  size_t size, char **w, int max)
{
	char *s = copy, *t;
	int n = 0;

	if (len >= size)
		return -1;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	while ((t = strsep(&s, " \t\n"))) {
		if (!*t)
			continue;
		if (n == max)
			return -1;
		w[n++] = t;
	}
	return n;
}

/* lunK/takeover: "<ctrl> [destage|instant]" */
static ssize_t lun_store_takeover(struct kobject *kobj, const char *buf,
				  size_t len)
{
	struct mc_lun *lun = to_lun(kobj);
	unsigned int to;
	char copy[32], *w[2];
	int n, method, r;

	n = mc_sysfs_words(buf, len, copy, sizeof(copy), w, 2);
	method = mc_move_method_of(n == 2 ? w[1] : NULL, MC_MOVE_DESTAGE);
	if (n < 1 || kstrtouint(w[0], 10, &to) || method < 0) {
		DMERR("lun%u/takeover: write <ctrl> [destage|instant]", lun->id);
		return -EINVAL;
	}
	r = mc_takeover(lun->mc, lun->id, to, method);
	return r ? r : len;
}

/* lunK/return: "1" or "destage" or "instant" */
static ssize_t lun_store_return(struct kobject *kobj, const char *buf,
				size_t len)
{
	struct mc_lun *lun = to_lun(kobj);
	char copy[32], *w[1];
	int n, method = -1, r;

	n = mc_sysfs_words(buf, len, copy, sizeof(copy), w, 1);
	if (n == 1 && strcmp(w[0], "1"))
		method = mc_move_method_of(w[0], -1);
	if (n != 1 || (strcmp(w[0], "1") && method < 0)) {
		DMERR("lun%u/return: write 1, destage or instant", lun->id);
		return -EINVAL;
	}
	r = mc_return(lun->mc, lun->id, method);
	return r ? r : len;
}

MC_ATTR_RO(lun, return_to);
MC_ATTR_RO(lun, reserved_by);
MC_ATTR_RO(lun, phase);
MC_ATTR_RO(lun, takeovers);
MC_ATTR_RO(lun, takeover_hold_us);
MC_ATTR_RO(lun, takeover_us);
MC_ATTR_WO(lun, takeover);
MC_ATTR_WO(lun, return);
MC_ATTR_RO(lun, error);
MC_ATTR_RO(lun, held_pages);
MC_ATTR_RO(lun, write_errors);
MC_ATTR_RO(lun, owner);
MC_ATTR_RO(lun, default_owner);
MC_ATTR_RO(lun, dev);
MC_ATTR_RO(lun, sectors);
MC_ATTR_RO(lun, start);

static struct attribute *mc_lun_attrs[] = {
	&lun_attr_owner.attr,
	&lun_attr_default_owner.attr,
	&lun_attr_dev.attr,
	&lun_attr_sectors.attr,
	&lun_attr_start.attr,
	&lun_attr_error.attr,
	&lun_attr_held_pages.attr,
	&lun_attr_write_errors.attr,
	&lun_attr_return_to.attr,
	&lun_attr_phase.attr,
	&lun_attr_takeovers.attr,
	&lun_attr_takeover_hold_us.attr,
	&lun_attr_takeover_us.attr,
	&lun_attr_takeover.attr,
	&lun_attr_return.attr,
	&lun_attr_reserved_by.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mc_lun);

static const struct kobj_type mc_lun_ktype = {
	.sysfs_ops = &mc_sysfs_ops,
	.default_groups = mc_lun_groups,
	.release = mc_kobj_release,
};

/* ---- mirrorcache/ ---- */

static ssize_t top_show_luns(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  container_of(kobj, struct mc_target, kobj)->nr_luns);
}

static struct mc_target *to_mc(struct kobject *kobj);

static struct mc_target *to_mc(struct kobject *kobj)
{
	return container_of(kobj, struct mc_target, kobj);
}

static ssize_t top_show_degraded(struct kobject *kobj, char *buf)
{
	struct mc_target *mc = to_mc(kobj);

	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(mc->ctrl[0].state) != MC_CTRL_ONLINE ||
			  READ_ONCE(mc->ctrl[1].state) != MC_CTRL_ONLINE);
}

static ssize_t top_show_failovers(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_mc(kobj)->failovers));
}

static ssize_t top_show_pages_relinked(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_mc(kobj)->fo.relinked));
}

static ssize_t top_show_pages_relinked_total(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_mc(kobj)->relinked_total));
}

static ssize_t top_show_relink_invalid(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_mc(kobj)->fo.invalid));
}

static ssize_t top_show_relink_superseded(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_mc(kobj)->fo.superseded));
}

static ssize_t top_show_failover_stall_us(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_mc(kobj)->fo.stall_us));
}

static ssize_t top_show_failbacks(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_mc(kobj)->failbacks));
}

static ssize_t top_show_failback_stall_us(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(to_mc(kobj)->failback_stall_us));
}

static ssize_t top_show_failback(struct kobject *kobj, char *buf)
{
	static const char * const names[] = { "idle", "destage", "switch" };

	return sysfs_emit(buf, "%s\n",
			  names[READ_ONCE(to_mc(kobj)->failback_phase)]);
}

/*
 * After a failover, until the failed controller's LU I/O has ended: which
 * controller, how many of its LU bios are still in flight, and the LUs
 * whose bios wait for them ("none" otherwise).
 */
static ssize_t top_show_fencing(struct kobject *kobj, char *buf)
{
	struct mc_target *mc = to_mc(kobj);
	struct mc_ctrl *f = READ_ONCE(mc->fence_ctrl);
	DECLARE_BITMAP(luns, MC_MAX_LUNS);

	if (!f)
		return sysfs_emit(buf, "none\n");
	spin_lock(&mc->gate_lock);
	bitmap_copy(luns, mc->lu_fenced, MC_MAX_LUNS);
	spin_unlock(&mc->gate_lock);
	return sysfs_emit(buf, "ctrl%u %d LU bios in flight, LUs %*pbl wait\n",
			  f->id, atomic_read(&f->lu_inflight), MC_MAX_LUNS,
			  luns);
}

static ssize_t top_show_redriven(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (u64)atomic64_read(&to_mc(kobj)->redriven));
}

/* A two-host table's link to the peer host (mc-link.c); "none" otherwise. */
static ssize_t top_show_link(struct kobject *kobj, char *buf)
{
	struct mc_target *mc = to_mc(kobj);

	if (!mc->link)
		return sysfs_emit(buf, "none\n");
	return mc_link_show(mc->link, buf);
}

/*
 * fencing resource or resource-and-stonith: writes whose end is held since
 * the peer host was lost (mc-io.c), 0 otherwise.
 */
static ssize_t top_show_held_writes(struct kobject *kobj, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_mc(kobj)->acks_held));
}

/*
 * fencing resource: pages of ours the lost peer host may keep copies of,
 * over which writes are held (mc_io_ack_keys()); 0 while the link is
 * ready or the set is not built yet.
 */
static ssize_t top_show_lost_copies(struct kobject *kobj, char *buf)
{
	struct mc_target *mc = to_mc(kobj);
	u32 n = 0;
	u64 loss;

	spin_lock_irq(&mc->ack_lock);
	loss = mc_io_ack_loss(mc);
	if (loss && loss == mc->keys_loss)
		n = mc->lost_nr;
	spin_unlock_irq(&mc->ack_lock);
	return sysfs_emit(buf, "%u\n", n);
}

MC_ATTR_RO(top, luns);
MC_ATTR_RO(top, degraded);
MC_ATTR_RO(top, failovers);
MC_ATTR_RO(top, pages_relinked);
MC_ATTR_RO(top, pages_relinked_total);
MC_ATTR_RO(top, relink_invalid);
MC_ATTR_RO(top, relink_superseded);
MC_ATTR_RO(top, failover_stall_us);
MC_ATTR_RO(top, failbacks);
MC_ATTR_RO(top, failback_stall_us);
MC_ATTR_RO(top, failback);
MC_ATTR_RO(top, redriven);
MC_ATTR_RO(top, fencing);
MC_ATTR_RO(top, link);
MC_ATTR_RO(top, held_writes);
MC_ATTR_RO(top, lost_copies);

static struct attribute *mc_top_attrs[] = {
	&top_attr_luns.attr,
	&top_attr_degraded.attr,
	&top_attr_failovers.attr,
	&top_attr_pages_relinked.attr,
	&top_attr_pages_relinked_total.attr,
	&top_attr_relink_invalid.attr,
	&top_attr_relink_superseded.attr,
	&top_attr_failover_stall_us.attr,
	&top_attr_failbacks.attr,
	&top_attr_failback_stall_us.attr,
	&top_attr_failback.attr,
	&top_attr_redriven.attr,
	&top_attr_fencing.attr,
	&top_attr_link.attr,
	&top_attr_held_writes.attr,
	&top_attr_lost_copies.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mc_top);

static const struct kobj_type mc_top_ktype = {
	.sysfs_ops = &mc_sysfs_ops,
	.default_groups = mc_top_groups,
	.release = mc_kobj_release,
};

static struct mc_target *mc_of_kobj(struct kobject *kobj)
{
	if (kobj->ktype == &mc_ctrl_ktype)
		return to_ctrl(kobj)->mc;
	if (kobj->ktype == &mc_lun_ktype)
		return to_lun(kobj)->mc;
	return container_of(kobj, struct mc_target, kobj);
}

/**
 * mc_sysfs_init - initialise (not add) every kobject of @mc
 * @mc: the target, after its controllers and LUs are set up
 */
static void mc_sysfs_init(struct mc_target *mc)
{
	unsigned int i;

	init_completion(&mc->kobj_done);
	atomic_set(&mc->kobj_refs, 1 + MC_NR_CTRL + mc->nr_luns);
	atomic_add(1 + MC_NR_CTRL + mc->nr_luns, &mc_live.kobjs);
	kobject_init(&mc->kobj, &mc_top_ktype);
	for (i = 0; i < MC_NR_CTRL; i++)
		kobject_init(&mc->ctrl[i].kobj, &mc_ctrl_ktype);
	for (i = 0; i < mc->nr_luns; i++)
		kobject_init(&mc->luns[i].kobj, &mc_lun_ktype);
}

static void mc_kobj_del(struct kobject *kobj)
{
	if (kobj->state_in_sysfs)
		kobject_del(kobj);
}

static void __mc_sysfs_del(struct mc_target *mc)
{
	unsigned int i;

	if (!mc->sysfs_live)
		return;
	for (i = 0; i < mc->nr_luns; i++)
		mc_kobj_del(&mc->luns[i].kobj);
	for (i = 0; i < MC_NR_CTRL; i++)
		mc_kobj_del(&mc->ctrl[i].kobj);
	mc_kobj_del(&mc->kobj);
	list_del(&mc->list);
	mc->sysfs_live = false;
}

static int __mc_sysfs_add(struct mc_target *mc, struct kobject *parent)
{
	unsigned int i;
	int r;

	r = kobject_add(&mc->kobj, parent, "mirrorcache");
	if (r)
		return r;
	for (i = 0; i < MC_NR_CTRL && !r; i++)
		r = kobject_add(&mc->ctrl[i].kobj, &mc->kobj, "ctrl%u", i);
	for (i = 0; i < mc->nr_luns && !r; i++)
		r = kobject_add(&mc->luns[i].kobj, &mc->kobj, "lun%u", i);
	mc->sysfs_live = true;
	list_add(&mc->list, &mc_sysfs_list);
	if (r)
		__mc_sysfs_del(mc);
	return r;
}

/**
 * mc_sysfs_register - publish the sysfs tree of the live table
 * @mc: the target being resumed
 *
 * Takes the directory over from an older instance of the same mapped device
 * (a table reload).  A failure is logged; the device works without sysfs.
 */
static void mc_sysfs_register(struct mc_target *mc)
{
	struct mapped_device *md = dm_table_get_md(mc->ti->table);
	struct mc_target *old, *tmp;
	int r;

	mutex_lock(&mc_sysfs_mutex);
	if (mc->sysfs_live)
		goto out;
	list_for_each_entry_safe(old, tmp, &mc_sysfs_list, list) {
		if (dm_table_get_md(old->ti->table) == md)
			__mc_sysfs_del(old);
	}
	r = __mc_sysfs_add(mc, &disk_to_dev(dm_disk(md))->kobj);
	if (r)
		DMERR("cannot create sysfs directory: %d", r);
out:
	mutex_unlock(&mc_sysfs_mutex);
}

/**
 * mc_sysfs_unregister - remove the tree and drop every kobject
 * @mc: the target being destroyed
 *
 * Waits until every kobject is released, so @mc can be freed afterwards.
 */
static void mc_sysfs_unregister(struct mc_target *mc)
{
	unsigned int i;

	mutex_lock(&mc_sysfs_mutex);
	__mc_sysfs_del(mc);
	mutex_unlock(&mc_sysfs_mutex);

	for (i = 0; i < mc->nr_luns; i++)
		kobject_put(&mc->luns[i].kobj);
	for (i = 0; i < MC_NR_CTRL; i++)
		kobject_put(&mc->ctrl[i].kobj);
	kobject_put(&mc->kobj);
	wait_for_completion(&mc->kobj_done);
}
