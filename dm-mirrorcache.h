/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-mirrorcache: a device-mapper target that models a dual-controller
 * storage array with mirrored write-back caches.
 *
 * Shared definitions of the target.  The files are split by concern:
 *
 *   mc-target.c   module init, constructor/destructor, .map, status, message
 *   mc-args.c     table line parsing and canonical table printing
 *   mc-ctrl.c     controller lifecycle: cache memory, sizing, state
 *   mc-sysfs.c    /sys/block/dm-N/mirrorcache/
 *   lib/          kernel-agnostic algorithms (mirror table, hash, CBE, lists)
 */
#ifndef DM_MIRRORCACHE_H
#define DM_MIRRORCACHE_H

#include <linux/device-mapper.h>
#include <linux/kobject.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

#define DM_MSG_PREFIX "mirrorcache"

#define MC_NR_CTRL		2
#define MC_MAX_LUNS		64
#define MC_MIN_CACHE_PAGES	16
#define MC_MAX_CACHE_PAGES	(1U << 24)	/* 64 GiB of 4 KiB pages */
#define MC_MIN_RW_PAGES		8		/* read/write area floor */
#define MC_PAGE_SECTORS		(PAGE_SIZE >> SECTOR_SHIFT)

/* Defaults of the optional arguments. */
#define MC_DEF_MIRROR_RATIO	30

enum mc_mirror_alloc {
	MC_ALLOC_TABLE,		/* claim 1: private mirror management table */
	MC_ALLOC_MESSAGE,	/* Fig. 12 prior art: ask the peer each time */
};

enum mc_copy_engine {
	MC_COPY_AUTO,
	MC_COPY_CPU,
	MC_COPY_DMA,
};

enum mc_flush_mode {
	MC_FLUSH_DESTAGE,	/* a flush destages every acknowledged page */
	MC_FLUSH_MIRROR,	/* mirrored data counts as durable */
};

enum mc_degraded_writes {
	MC_DEGRADED_WRITETHROUGH,
	MC_DEGRADED_WRITEBACK,
};

/* The optional arguments of the table line, parsed by mc-args.c. */
struct mc_options {
	unsigned int mirror_ratio;		/* percent, 1..90 */
	enum mc_mirror_alloc mirror_alloc;
	enum mc_copy_engine copy_engine;
	enum mc_flush_mode flush_mode;
	enum mc_degraded_writes degraded_writes;
};

/*
 * Controller states.  Transitions (all under mc_target->state_lock):
 *
 *   online -> failed       forced failure (a later issue)
 *   failed -> recovering   recover requested
 *   recovering -> online   mirror rebuilt, LUs failed back
 */
enum mc_ctrl_state {
	MC_CTRL_ONLINE,
	MC_CTRL_FAILED,
	MC_CTRL_RECOVERING,
};

struct mc_target;

/**
 * struct mc_ctrl - one controller of the pair
 * @id: 0 or 1
 * @mc: the target this controller belongs to
 * @state: enum mc_ctrl_state
 * @nr_pages: cache memory size in pages (the table's cache_pages_N)
 * @mirror_pages: pages of this cache reserved as the mirror area that holds
 *	the peer's dirty pages (mirror_ratio percent of the peer's size)
 * @pages: the cache memory, @nr_pages pages
 * @kobj: sysfs directory ctrlN
 */
struct mc_ctrl {
	unsigned int id;
	struct mc_target *mc;
	enum mc_ctrl_state state;
	unsigned int nr_pages;
	unsigned int mirror_pages;
	struct page **pages;
	struct kobject kobj;
};

/**
 * struct mc_lun - one logical unit (backing device)
 * @dev: the backing device
 * @start: first sector of this LU in the mapped device
 * @len: sectors, rounded down to a whole page
 * @default_owner: the controller the table assigns
 * @owner: the controller currently in charge
 * @kobj: sysfs directory lunK
 */
struct mc_lun {
	unsigned int id;
	struct mc_target *mc;
	struct dm_dev *dev;
	sector_t start;
	sector_t len;
	unsigned int default_owner;
	unsigned int owner;
	struct kobject kobj;
};

/**
 * struct mc_target - one dm-mirrorcache target instance
 * @ti: the dm target
 * @opts: optional arguments
 * @ctrl: the controller pair
 * @nr_luns: LUs in table order
 * @luns: the LUs
 * @state_lock: serialises controller state and LU ownership changes
 * @kobj: sysfs directory "mirrorcache" under the mapped device's disk
 * @kobj_done: completed when the last kobject is released
 * @kobj_refs: kobjects not yet released
 * @sysfs_live: the sysfs tree is registered
 * @list: entry in the global list of instances, used to hand the sysfs
 *	directory over when a reloaded table replaces this one
 */
struct mc_target {
	struct dm_target *ti;
	struct mc_options opts;
	struct mc_ctrl ctrl[MC_NR_CTRL];
	unsigned int nr_luns;
	struct mc_lun *luns;
	struct mutex state_lock;
	struct kobject kobj;
	struct completion kobj_done;
	atomic_t kobj_refs;
	bool sysfs_live;
	struct list_head list;
};

static inline struct mc_ctrl *mc_peer(struct mc_ctrl *c)
{
	return &c->mc->ctrl[c->id ^ 1];
}

/* mc-args.c */
int mc_parse_args(struct mc_target *mc, unsigned int argc, char **argv,
		  char **error);
void mc_put_luns(struct mc_target *mc);
unsigned int mc_emit_table(struct mc_target *mc, char *result,
			   unsigned int maxlen);
const char *mc_state_name(enum mc_ctrl_state state);

/* mc-ctrl.c */
int mc_ctrl_init(struct mc_ctrl *c, struct mc_target *mc, unsigned int id,
		 char **error);
void mc_ctrl_exit(struct mc_ctrl *c);
void mc_ctrls_size_mirrors(struct mc_target *mc);
int mc_ctrl_check_sizes(struct mc_target *mc, char **error);

/* mc-sysfs.c */
void mc_sysfs_register(struct mc_target *mc);
void mc_sysfs_unregister(struct mc_target *mc);
void mc_sysfs_init(struct mc_target *mc);

#endif /* DM_MIRRORCACHE_H */
