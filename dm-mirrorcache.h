/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-mirrorcache: a device-mapper target that models a dual-controller
 * storage array with mirrored write-back caches.
 *
 * Shared definitions of the target: the structures of the target, its
 * controllers and LUs, and what the layers hand each other (at the end).
 * dm-mirrorcache.c, the module's entry point, includes the files in layer
 * order and says what each holds.
 */
#ifndef DM_MIRRORCACHE_H
#define DM_MIRRORCACHE_H

#include <linux/device-mapper.h>
#include <linux/kobject.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/mempool.h>
#include <linux/wait.h>
#include <linux/srcu.h>
#include <linux/kref.h>
#include <linux/percpu-refcount.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>

#include <linux/bio.h>

#include "mc-compat.h"

#include "lib/mc_mmt.h"
#include "lib/mc_cbe.h"
#include "lib/mc_hash.h"
#include "lib/mc_list.h"
#include "lib/mc_keys.h"

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

enum mc_fencing {
	MC_FENCING_RESOURCE,	/* the peer's LUs wait for peer_fenced; after
				 * a loss a write over a page the peer may
				 * keep a copy of does not complete until the
				 * link is back or peer_fenced */
	MC_FENCING_NONE,	/* the survivor takes them over at once */
	MC_FENCING_STONITH,	/* resource, and no write completes after a
				 * loss until the link is back or peer_fenced */
};

/* A struct mc_ctrl->peer_keys entry that names no page. */
#define MC_KEY_NONE		U64_MAX

#define MC_DEF_HEARTBEAT_MS	250
#define MC_DEF_WAIT_PEER_MS	5000
#define MC_MAX_WAIT_PEER_MS	3600000
#define MC_NO_LOCAL		(-1)

/**
 * struct mc_link_cfg - the two-host part of the table line (issue 23)
 * @local: the controller this host runs, or MC_NO_LOCAL: a single-host
 *	table, the rest is unused
 * @addr: this host's RDMA CM address (controller 0 listens on it), an
 *	IPv4 or IPv6 socket address with its port (an IPv6 link-local one
 *	with its interface's index as scope)
 * @peer: the peer host's address (controller 1 connects to it)
 * @fencing: what a lost peer's LUs wait for
 * @heartbeat_ms: heartbeat interval; four missed ones lose the peer
 * @wait_peer_ms: at its first resume the table serves none of its LUs
 *	until the peer's HELLO says which of them the peer holds, for at
 *	most this long (0: it serves them at once); not part of the link:
 *	a reload may change it
 */
struct mc_link_cfg {
	int local;
	struct sockaddr_storage addr;
	struct sockaddr_storage peer;
	enum mc_fencing fencing;
	unsigned int heartbeat_ms;
	unsigned int wait_peer_ms;
};

/* The optional arguments of the table line, parsed by mc-args.c. */
struct mc_options {
	unsigned int mirror_ratio;		/* percent, 1..90 */
	enum mc_mirror_alloc mirror_alloc;
	enum mc_copy_engine copy_engine;
	enum mc_flush_mode flush_mode;
	enum mc_degraded_writes degraded_writes;
	struct mc_link_cfg link;
};

/*
 * Controller states.  Every change goes through mc_ctrl_set_state()
 * (mc-ctrl.c), which checks it against this table, under
 * mc_target->state_lock:
 *
 *   from        to          when
 *   online      failed      this controller is failed (fail)
 *   online      solo        its peer failed: no mirror, degraded writes
 *   solo        handback    its peer recovers: writes are write-through
 *                           while it destages (failback phase 1)
 *   handback    online      the peer is back, mirror tables rebuilt
 *   handback    solo        the recovery was refused (held pages)
 *   failed      recovering  recover requested
 *   recovering  online      restarted with an empty cache, LUs back
 *   recovering  failed      the recovery was refused
 *
 * online, solo and handback are "up" (the memory is alive); sysfs and
 * status call all three "online" and show solo separately.  The gate
 * (mc_target->frozen) and write-back's hysteresis are not controller
 * states: the first is admission (mc-io.c), the second an internal of
 * mc-wb.c.
 */
enum mc_ctrl_state {
	MC_CTRL_ONLINE,
	MC_CTRL_SOLO,
	MC_CTRL_HANDBACK,
	MC_CTRL_FAILED,
	MC_CTRL_RECOVERING,
	MC_CTRL_NR_STATES
};

/*
 * What a parked bio waits for (struct mc_io->wait, mc_ctrl->parked_nr):
 * the event that ends each wait re-drives the controller's parked bios
 * from its I/O work (mc-io.c).
 */
enum mc_wait {
	MC_WAIT_FILL,		/* a page fills from the LU: its fill completes */
	MC_WAIT_PAGE,		/* a page is busy (a mirror copy, write-back, a
				 * reader): that ends */
	MC_WAIT_FREE,		/* no free or clean page: write-back cleans one */
	MC_WAIT_MIRROR,		/* the mirror area is full: a mirror page is
				 * released */
	MC_WAIT_DISCARD,	/* a discard fences the page: its LU completes it */
	MC_WAIT_NR
};

struct mc_target;
struct mc_link;

/**
 * struct mc_live - objects of the module that are alive, for leak checks
 * (debugfs dm-mirrorcache/objects); see mc-debug.c
 */
struct mc_live {
	atomic_t targets;
	atomic_t pages;
	atomic_t tables;
	atomic_t wqs;
	atomic_t nch_reqs;
	atomic_t lu_bios;
	atomic_t kobjs;
	atomic_t arrays;
	atomic_t ports;
	atomic_t links;
};

extern struct mc_live mc_live;
extern u32 mc_inject_copy_delay_ms;
extern u32 mc_inject_admit_delay_ms;
extern u32 mc_inject_failback_hold_ms;
extern u32 mc_inject_redrive_delay_ms;
extern u32 mc_inject_discard_delay_ms;
extern u32 mc_inject_takeover_hold_ms;
extern u32 mc_inject_wb_submit_delay_ms;
extern u32 mc_inject_teardown_delay_ms;
extern u32 mc_inject_read_copy_delay_ms;
extern u32 mc_inject_link_silent;
extern u32 mc_inject_rdma_error;
extern int mc_inject_torn_copy;
#define MC_INJECT_OFF	(-1)

/* Lists of read/write-area pages (struct mc_lists ids). */
enum {
	MC_L_FREE,		/* holds nothing */
	MC_L_CLEAN,		/* clean, LRU order: head is evicted first */
	MC_L_DIRTY,		/* dirty, not under write-back */
	MC_L_HELD,		/* dirty, its destage failed: kept until a retry */
	MC_L_BACKUP,		/* dirty, of an LU an instant takeover moved away:
				 * the second copy of a page the new owner
				 * relinked; never destaged (mc-move.c) */
};

/* struct mc_pmeta flags */
#define MC_PF_FILLING	0x01	/* a read from the LU fills the page */
#define MC_PF_WB	0x02	/* under write-back */
#define MC_PF_RELINKED	0x08	/* a mirror-area page relinked by degrade */
#define MC_PF_GONE	0x10	/* relinked, destaged while reads copied out
				 * of it: clean, on no list, it leaves the
				 * cache with its last reader (mc-io.c) */

/**
 * struct mc_pmeta - per-page state of a read/write-area page (the local CBE)
 * @index: page index inside @lun
 * @seq: sequence number of the newest write into the page
 * @wb_seq: @seq when the running write-back started
 * @dirty_since: sequence number of the oldest write not yet on the LU
 * @mseq: for a relinked page, the sequence number in its mirror CBE
 * @mirror: the page's mirror page in the peer's mirror area, or
 *	MC_CBE_NO_MIRROR
 * @state: enum mc_cbe_state (free, clean or dirty)
 * @lun: LU index
 * @flags: MC_PF_*
 * @readers: reads copying out of the page (pins it against eviction)
 * @busy: writes between taking the page and the end of their mirror copy
 */
struct mc_pmeta {
	u64 index;
	u64 seq;
	u64 wb_seq;
	u64 dirty_since;
	u64 mseq;
	u32 mirror;
	u8 state;
	u8 lun;
	u8 flags;
	u16 readers;
	u16 busy;
};

/* Per-controller statistics, all monotonic, per CPU. */
#define MC_STATS(X)							\
	X(read_hits) X(read_misses) X(write_hits) X(write_misses)	\
	X(destaged) X(mirror_acquired) X(mirror_released) X(nch_copies)	\
	X(discards) X(discarded)

struct mc_stats {
#define MC_STAT_FIELD(f)	u64 f;
	MC_STATS(MC_STAT_FIELD)
#undef MC_STAT_FIELD
};

/* Count in @c's per-CPU statistics; any context. */
#define mc_stat_add(c, field, n)	this_cpu_add((c)->stats->field, (n))
#define mc_stat_inc(c, field)		this_cpu_inc((c)->stats->field)

/**
 * struct mc_ctrl - one controller of the pair
 * @id: 0 or 1
 * @mc: the target this controller belongs to
 * @state: enum mc_ctrl_state
 * @nr_pages: cache memory size in pages (the table's cache_pages_N)
 * @mirror_pages: pages of this cache reserved as the mirror area that holds
 *	the peer's dirty pages (mirror_ratio percent of the peer's size); they
 *	are the last @mirror_pages of @pages
 * @rw_pages: the read/write area, the first @rw_pages of @pages
 * @pages: the cache memory, @nr_pages pages
 * @mirror_cbe: encoded CBEs of the mirror area's pages, written by the
 *	peer's node channel next to each mirror copy
 * @alive_lock: taken for write to fail the controller, for read by the
 *	node channel around the completion mark of a mirror copy
 * @users: held by everything that uses the controller's memory and tables
 *	while it runs: a bio step, a node-channel request (DMA included), a
 *	write-back batch, the retry of held pages, the drop of a backup page
 *	after an instant takeover (pulling), a port's read of the mirror
 *	copies; killed by a failure, which
 *	waits for @users_dead (mc_ctrl_users_kill()), revived at recovery
 * @users_dead: completed when the last user of a killed @users is gone
 * @lock: protects @meta, @hash, @lists, @seq, @parked*, @flushes, @wb_*,
 *	@retry_delay
 * @meta: local CBEs of all @nr_pages pages (mirror-area pages are used
 *	only when relinked after the peer failed)
 * @hash: (LU, page index) -> read/write-area page
 * @lists: free list, clean LRU, dirty list
 * @seq: last write sequence number handed out
 * @parked: bios waiting for a page, a mirror page or a fill
 * @parked_nr: of @parked, how many wait for each enum mc_wait
 * @flushes: bios waiting for write-back up to their sequence number, in
 *	arrival order
 * @fl_dirty: per LU, the dirty pages (held and under write-back included)
 * @fl_attr: per LU, the dirty pages a waiting flush counts (mc-wb.c)
 * @discards: discards and write-zeroes started on this controller and not
 *	yet completed by their LU (struct mc_io->discard); writes and fills
 *	of the pages they cover wait (mc-io.c)
 * @wb_inflight: pages under write-back
 * @wb_drain: drains waiting: destage everything (suspend, flush message)
 * @wb_retry: pages a retry moved back from the held list, destaged
 *	whatever the watermarks
 * @wb_lu_inflight: per LU, pages under write-back
 * @wb_lu_drain: LUs whose dirty pages write-back destages whatever the
 *	watermarks (a destage takeover, mc-move.c)
 * @wb_lu_stop: LUs whose pages write-back leaves alone (the switch of an
 *	instant takeover)
 * @wb_quiet: the device is suspended (after the drain of postsuspend, until
 *	resume) or being destroyed: write-back issues nothing but a drain and
 *	the automatic retry of held pages is off (mc_wb_quiet())
 * @wb_high: start write-back above this many dirty pages
 * @wb_low: stop write-back at this many dirty pages
 * @wb_wait: woken when write-back completes
 * @mmt_lock: protects @mmt
 * @mmt: the mirror management table of the peer's mirror area (claim 1);
 *	in mirror_alloc message mode the free list of this controller's own
 *	mirror area instead, which it serves to the peer's requests (Fig. 12:
 *	the peer owns it, and only its message work touches it)
 * @mirror_gen: counts mirror page releases (see mc_write_get_mirror())
 * @peer_keys: two hosts, this host's controller: per page of the peer's
 *	mirror area, the key (mc_hash_key()) of the page whose copy was last
 *	posted into it, MC_KEY_NONE from the completed release of it on:
 *	what the peer's memory may keep of ours (mc-io.c, fencing resource)
 * @peer_keys_nr: entries of @peer_keys
 * @wq: runs @io_work (parked bios, completions) and @wb_work
 * @done_lock: protects @done; taken from interrupt context
 * @done: write-back and fill bios completed by the LUs
 * @wb_active: write-back runs until @wb_low is reached
 * @lu_inflight: fill and write-back bios at the LUs
 * @relinked_left: relinked mirror-area pages not yet destaged
 * @nch_wq: the node-channel work queue
 * @nch_lock: protects @nch_queue
 * @nch_queue: mirror copies to perform
 * @nch_dma_done: DMA copies that completed
 * @msg_wq: requests of the peer in mirror_alloc message mode (NULL in
 *	table mode)
 * @dma: DMA_MEMCPY channel of the node channel, or NULL for CPU copies
 * @fail_pending: a failure was asked for and has not run yet: the
 *	controller shows "failing" (mc-fail.c)
 * @fail_work: runs the failover (a message, sysfs, a torn copy)
 * @recover_pending: a recovery was started and has not ended: the
 *	controller shows "recovering" until its LUs are back
 * @recover_work: runs the recovery mc_recover_ctrl() started
 * @retry_work: retries the held pages (LU write errors)
 * @retry_delay: backoff of the next automatic retry; c->lock
 * @stats: per-CPU counters (mc_stat_inc(), mc_stat_read())
 * @kobj: sysfs directory ctrlN
 */
struct mc_ctrl {
	unsigned int id;
	struct mc_target *mc;
	enum mc_ctrl_state state;
	unsigned int nr_pages;
	unsigned int mirror_pages;
	unsigned int rw_pages;
	struct page **pages;
	struct mc_cbe_raw *mirror_cbe;

	rwlock_t alive_lock;
	struct percpu_ref users;
	struct completion users_dead;
	spinlock_t lock;
	struct mc_pmeta *meta;
	struct mc_hash hash;
	struct mc_lists lists;
	u64 seq;
	struct bio_list parked;
	u32 parked_nr[MC_WAIT_NR];
	struct bio_list flushes;
	u32 fl_dirty[MC_MAX_LUNS];
	u32 fl_attr[MC_MAX_LUNS];
	struct list_head discards;
	unsigned int wb_inflight;
	unsigned int wb_drain;
	unsigned int wb_retry;
	u32 wb_lu_inflight[MC_MAX_LUNS];
	DECLARE_BITMAP(wb_lu_drain, MC_MAX_LUNS);
	DECLARE_BITMAP(wb_lu_stop, MC_MAX_LUNS);
	bool wb_quiet;
	unsigned int wb_high;
	unsigned int wb_low;
	wait_queue_head_t wb_wait;

	spinlock_t mmt_lock;
	struct mmt mmt;
	atomic64_t mirror_gen;
	u64 *peer_keys;
	u32 peer_keys_nr;

	struct workqueue_struct *wq;
	struct work_struct io_work;
	struct work_struct wb_work;
	spinlock_t done_lock;
	struct bio_list done;
	atomic_t lu_inflight;
	u32 relinked_left;
	bool wb_active;

	struct workqueue_struct *nch_wq;
	struct work_struct nch_work;
	spinlock_t nch_lock;
	struct list_head nch_queue;
	struct list_head nch_dma_done;
	struct workqueue_struct *msg_wq;
	struct dma_chan *dma;
	bool fail_pending;
	bool recover_pending;
	struct work_struct fail_work;
	struct work_struct recover_work;

	struct delayed_work retry_work;
	unsigned long retry_delay;

	struct mc_stats __percpu *stats;
	struct kobject kobj;
};

/**
 * struct mc_io - per-bio state (dm per-bio data)
 * @c: the controller in charge
 * @lun: the LU
 * @first: first page index in the LU
 * @nr: pages in the bio
 * @done: pages processed
 * @pending: references: one for the step loop, one per mirror copy
 * @status: first error
 * @iter: position in the bio's data of page @done
 * @flush_seq: for flushes and FUA writes: destage up to this sequence;
 *	for a discard, the oldest write among the dirty pages it dropped
 *	(U64_MAX: none), which flushes wait for until the LU has the discard
 * @fl_pages: for a waiting flush, the dirty pages of its LU it waits for
 *	that no earlier waiting flush waits for (mc-wb.c)
 * @discard: a discard or write-zeroes: entry in mc_ctrl->discards from its
 *	first step until its LU completes it
 * @cursor: a discard's position: the next page of the range, or of the
 *	cache when the range is larger than the cache
 * @redrive: the controller failed under the bio: run it again through the
 *	survivor
 * @wt: write-through: each page is destaged (with @fua) before the bio
 *	completes (FUA writes in flush_mode destage or while degraded, every
 *	write while degraded_writes writethrough or failing back)
 * @fua: the destages of @wt carry REQ_FUA
 * @nomirror: the write found the mirror area full while pages an LU
 *	refused pin it: it goes write-through without a mirror copy instead
 *	of waiting for a release that may never come (mc_write_get_mirror())
 * @wait: enum mc_wait of the last time the bio parked
 */
struct mc_io {
	struct mc_ctrl *c;
	struct mc_lun *lun;
	u64 first;
	u32 nr;
	u32 done;
	atomic_t pending;
	blk_status_t status;
	struct bvec_iter iter;
	u64 flush_seq;
	u32 fl_pages;
	struct list_head discard;
	u32 cursor;
	bool redrive;
	bool wt;
	bool fua;
	bool nomirror;
	u8 wait;
};

/**
 * struct mc_lbio - front of every bio sent to an LU (bio set front pad)
 * @c: the controller that issued it
 * @io: the mapped bio waiting for it, or NULL
 * @bio: the bio
 */
struct mc_lbio {
	struct mc_ctrl *c;
	struct mc_io *io;
	struct bio bio;
};

static inline struct mc_lbio *mc_lbio_of(struct bio *bio)
{
	return container_of(bio, struct mc_lbio, bio);
}

/**
 * struct mc_lun - one logical unit (backing device)
 * @dev: the backing device
 * @start: first sector of this LU in the mapped device
 * @len: sectors, rounded down to a whole page
 * @default_owner: the controller the table assigns
 * @owner: the controller currently in charge
 * @error: errno of the last failed destage while the LU is in the error
 *	state, else 0
 * @write_errors: failed destage bios so far
 * @return_to: the controller the LU returns to while it is away from it
 *	(seed 004, second embodiment), or MC_NO_CTRL when it is home
 * @away_method: enum mc_move_method of the move that took it away
 * @phase: enum mc_move_phase of the takeover in progress
 * @move_from: the owner a takeover in progress moves the LU away from
 * @move_to: the controller it moves the LU to
 * @move_method: enum mc_move_method of that takeover
 * @next_to: a move asked for while this one, already switched, ends
 *	(pulling, or the switch's last step): it starts then; MC_NO_CTRL if
 *	none (mc-move.c)
 * @next_method: its enum mc_move_method
 * @pull_left: pages of the LU that the old owner keeps as backups of pages
 *	an instant takeover relinked into the new owner (MC_L_BACKUP);
 *	move_from's lock
 * @takeovers: takeovers (and returns) completed
 * @move_hold_us: the last takeover's I/O hold
 * @move_total_us: the last takeover's duration
 * @move_t0: when the takeover in progress started
 * @move_work: runs the takeover in progress (mc-move.c)
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
	int error;
	atomic64_t write_errors;
	int return_to;
	u8 away_method;
	u8 phase;
	u8 move_from;
	u8 move_to;
	u8 move_method;
	int next_to;
	u8 next_method;
	u32 pull_left;
	u64 takeovers;
	u64 move_hold_us;
	u64 move_total_us;
	ktime_t move_t0;
	struct work_struct move_work;
	struct kobject kobj;
};

#define MC_NO_CTRL	(-1)

enum mc_move_method { MC_MOVE_DESTAGE, MC_MOVE_INSTANT };

/* Phases of an LU takeover (mc-move.c); idle when none runs. */
enum mc_move_phase {
	MC_MV_IDLE,
	MC_MV_DESTAGING,	/* the owner destages, writes go through */
	MC_MV_SWITCHING,	/* I/O held, ownership switches */
	MC_MV_PULLING,		/* instant: the new owner destages what it
				 * relinked, the old one keeps backups */
};

enum mc_failback_phase { MC_FB_NONE, MC_FB_DESTAGE, MC_FB_SWITCH };

/**
 * struct mc_failover - what the last failover did
 * @relinked: mirror pages relinked into the survivor's hash
 * @invalid: mirror CBEs that did not decode (torn or foreign)
 * @superseded: older copies of a block that a newer copy replaced
 * @luns: LUs taken over
 * @stall_us: how long new bios were held
 */
struct mc_failover {
	u32 relinked;
	u32 invalid;
	u32 superseded;
	u32 luns;
	u64 stall_us;
};

/**
 * struct mc_array - what a mapped device keeps across its tables (mc-array.c)
 * @ref: held by each table instance and each port of the device
 * @list: entry in the module's list of arrays
 * @md: the mapped device
 * @devt: its device number, which the ports look it up by
 * @live: the table instance that is resumed, or NULL
 * @lock: protects @resv changes
 * @resv: per LU, the controller whose ports reserved it, or MC_NO_CTRL
 */
struct mc_array {
	struct kref ref;
	struct list_head list;
	struct mapped_device *md;
	dev_t devt;
	struct mc_target __rcu *live;
	spinlock_t lock;
	int resv[MC_MAX_LUNS];
};

/**
 * struct mc_target - one dm-mirrorcache target instance
 * @ti: the dm target
 * @opts: optional arguments
 * @ctrl: the controller pair
 * @nr_luns: LUs in table order
 * @luns: the LUs
 * @state_lock: serialises controller state and LU ownership changes, and
 *	@suspended
 * @suspended: between presuspend and resume: fail and recover are refused
 * @kobj: sysfs directory "mirrorcache" under the mapped device's disk
 * @kobj_done: completed when the last kobject is released
 * @kobj_refs: kobjects not yet released
 * @sysfs_live: the sysfs tree is registered
 * @list: entry in the global list of instances, used to hand the sysfs
 *	directory over when a reloaded table replaces this one
 * @bs: bios for fills and write-back
 * @nch_pool: node-channel copy requests
 * @gate_lock: protects @frozen, @held and the fence bitmaps
 * @gate_srcu: read side around the gate check and the start of a bio
 *	(see mc-io.c: admission); @gate_srcu_live once initialised
 * @frozen: a failover or failback switch runs: hold bios
 * @fenced: some LU is fenced (@lu_fenced not empty)
 * @lu_fenced: LUs whose bios are held although the gate is open: the LUs
 *	of a failed controller while its LU I/O is still in flight
 *	(mc-fail.c), so nothing of the survivor overtakes it at the LU
 * @lu_unfence: fenced LUs the next re-drive pass opens again
 * @fence_work: waits for the failed controller's LU I/O, then scrubs its
 *	memory and lifts the fence (mc-fail.c)
 * @fence_ctrl: the failed controller @fence_work waits for, or NULL
 * @held: bios held at the gate or waiting for a re-drive
 * @wq: runs @redrive_work
 * @redrive_work: runs @held when not frozen
 * @active_ios: bios started and not yet handed back
 * @idle_wait: woken when @active_ios drops to zero
 * @redriven: bios run again after a failure
 * @fo: the last failover
 * @failovers: failovers so far
 * @relinked_total: pages relinked by all failovers
 * @failbacks: recoveries so far
 * @failback_stall_us: how long the last failback held new bios
 * @failback_phase: enum mc_failback_phase
 * @port_reads: reads a port (mc-port.c) sent straight to an LU of this
 *	table and that have not completed; postsuspend waits for none
 * @dying: the destructor runs (mc_move_wait())
 * @array: the mapped device's array (mc-array.c)
 * @link: the RDMA link to the peer host in a two-host table (mc-link.c),
 *	NULL in a single-host one
 * @host_work: two hosts: this host's controller follows the link, solo
 *	while the peer's memory is not writable (mc-fail.c)
 * @peer_copies: two hosts: the peer host was lost and our mirror area
 *	keeps its copies, not yet relinked (fencing resource waits for
 *	peer_fenced); the memory is withheld from the link (state_lock)
 * @lost_generation: the generation of that peer (its last HELLO)
 * @wait_end: two hosts: jiffies when the wait for the peer's HELLO at the
 *	first resume ends (wait_peer_ms)
 * @peer_wait: this host's LUs are fenced until the peer's HELLO says which
 *	of them it holds, or until @wait_end
 * @wait_begun: the first resume started the wait (or had none)
 * @alone: the wait ended without the peer: this host served its LUs alone
 * @ack_lock: protects @acks, @acks_held, @acks_fenced, @lost_keys,
 *	@lost_nr, @keys_loss
 * @acks: fencing resource or resource-and-stonith: writes that ended while
 *	the peer host may hold older copies of their pages (mc_link_unsafe()),
 *	not completed yet (mc-io.c); counted in @active_ios
 * @lost_keys: fencing resource: the sorted keys of the pages whose copies
 *	the peer of loss @keys_loss may keep (mc_io_ack_keys())
 * @lost_nr: entries of @lost_keys
 * @keys_loss: the loss @lost_keys was built for, or 0
 * @joined: two hosts: this table's controller joined the peer at least
 *	once (it cleared the peer's CBE array of it): its peer_keys name
 *	every copy of ours the peer's memory may keep
 * @ack_work: looks at the held writes after a change of the link
 *	(mc_io_ack_work())
 * @acks_held: how many writes @acks holds
 * @acks_fenced: the loss that 'peer_fenced' ended (its copies are gone)
 * @acks_logged: the loss whose first held write was logged
 */
struct mc_target {
	struct dm_target *ti;
	struct mc_options opts;
	struct mc_ctrl ctrl[MC_NR_CTRL];
	unsigned int nr_luns;
	struct mc_lun *luns;
	struct mutex state_lock;
	bool suspended;
	struct kobject kobj;
	struct completion kobj_done;
	atomic_t kobj_refs;
	bool sysfs_live;
	struct list_head list;
	struct bio_set bs;
	mempool_t nch_pool;

	spinlock_t gate_lock;
	struct srcu_struct gate_srcu;
	bool gate_srcu_live;
	bool frozen;
	bool fenced;
	DECLARE_BITMAP(lu_fenced, MC_MAX_LUNS);
	DECLARE_BITMAP(lu_unfence, MC_MAX_LUNS);
	struct work_struct fence_work;
	struct mc_ctrl *fence_ctrl;
	struct bio_list held;
	struct workqueue_struct *wq;
	struct work_struct redrive_work;
	atomic_t active_ios;
	wait_queue_head_t idle_wait;
	atomic64_t redriven;
	struct mc_failover fo;
	u64 failovers;
	u64 relinked_total;
	u64 failbacks;
	u64 failback_stall_us;
	int failback_phase;
	atomic_t port_reads;
	bool dying;
	struct mc_array *array;
	struct mc_link *link;
	struct delayed_work host_work;
	bool peer_copies;
	u64 lost_generation;
	unsigned long wait_end;
	bool peer_wait;
	bool wait_begun;
	bool alone;
	spinlock_t ack_lock;
	struct bio_list acks;
	unsigned int acks_held;
	u64 acks_fenced;
	u64 acks_logged;
	u64 *lost_keys;
	u32 lost_nr;
	u64 keys_loss;
	bool joined;
	struct delayed_work ack_work;
};

/* A two-host table: this host runs one controller (opts.link.local). */
static inline bool mc_two_host(struct mc_target *mc)
{
	return mc->opts.link.local != MC_NO_LOCAL;
}

/*
 * A two-host table: controller @c runs on the peer host.  Here it is a
 * shell that only names its LUs (issue 23, Documentation/two-hosts.rst).
 */
static inline bool mc_ctrl_remote(struct mc_ctrl *c)
{
	int local = c->mc->opts.link.local;

	return local != MC_NO_LOCAL && c->id != (unsigned int)local;
}

static inline struct mc_ctrl *mc_peer(struct mc_ctrl *c)
{
	return &c->mc->ctrl[c->id ^ 1];
}

/* A discard or write-zeroes: the range is dropped from the cache. */
static inline bool mc_bio_discard(struct bio *bio)
{
	return bio_op(bio) == REQ_OP_DISCARD ||
	       bio_op(bio) == REQ_OP_WRITE_ZEROES;
}

static inline struct mc_io *mc_io_of(struct bio *bio)
{
	return dm_per_bio_data(bio, sizeof(struct mc_io));
}

static inline struct bio *mc_bio_of(struct mc_io *io)
{
	return dm_bio_from_per_bio_data(io, sizeof(struct mc_io));
}

/* The controller's memory is alive: online, solo or handing back. */
static inline bool mc_state_up(enum mc_ctrl_state s)
{
	return s <= MC_CTRL_HANDBACK;
}

static inline bool mc_ctrl_up(struct mc_ctrl *c)
{
	return mc_state_up(READ_ONCE(c->state));
}

/* The peer has failed: nothing is mirrored. */
static inline bool mc_ctrl_solo(struct mc_ctrl *c)
{
	enum mc_ctrl_state s = READ_ONCE(c->state);

	return s == MC_CTRL_SOLO || s == MC_CTRL_HANDBACK;
}

/* The controller has not failed; a copy out of its memory was valid. */
static inline bool mc_ctrl_alive(struct mc_ctrl *c)
{
	bool alive;

	read_lock(&c->alive_lock);
	alive = mc_state_up(c->state);
	read_unlock(&c->alive_lock);
	return alive;
}

/* Writes complete only once on the LU: degraded, or failing back. */
static inline bool mc_ctrl_writethrough(struct mc_ctrl *c)
{
	enum mc_ctrl_state s = READ_ONCE(c->state);

	return s == MC_CTRL_HANDBACK ||
	       (s == MC_CTRL_SOLO &&
		c->mc->opts.degraded_writes == MC_DEGRADED_WRITETHROUGH);
}

/* The controller whose @mmt (and mmt_lock) hands out @c's mirror pages. */
static inline struct mc_ctrl *mc_mmt_home(struct mc_ctrl *c)
{
	return c->mc->opts.mirror_alloc == MC_ALLOC_MESSAGE ? mc_peer(c) : c;
}

/* Pages of the peer's mirror area that @c writes its mirror copies into. */
static inline u32 mc_mirror_total(struct mc_ctrl *c)
{
	return mc_peer(c)->mirror_pages;
}

static inline void *mc_page_addr(struct mc_ctrl *c, u32 page)
{
	return page_address(c->pages[page]);
}

/* Address of mirror page @m of the peer's mirror area that @c manages. */
static inline void *mc_mirror_addr(struct mc_ctrl *c, u32 m)
{
	struct mc_ctrl *p = mc_peer(c);

	return page_address(p->pages[p->rw_pages + m]);
}

/*
 * Between the files.  No function of the files is declared here: each is
 * static, and visible to the files that dm-mirrorcache.c includes after
 * its own, so a call to a layer above does not compile.  A lower layer
 * reports to a higher one through a callback or a work item it was
 * handed.  What the layers hand each other:
 */

/* How the peer of a page's owner can serve a read of it (mc_peer_read()). */
enum mc_peer_read {
	MC_PR_LU,	/* not dirty in the owner's cache: the LU has it */
	MC_PR_MIRROR,	/* copied from the owner's mirror copy of it */
	MC_PR_OWNER,	/* a write is pending, or no mirror copy: ask the owner */
};

/* Pages of one node-channel request (one pass of a write under c->lock). */
#define MC_NCH_VEC	16

/*
 * What a write hands the node channel (mc_nch_copy()): @n freshly written
 * read/write pages @page, the CBEs to write next to their mirror copies
 * (@cbe[i].mirror names the mirror page) and their previous mirror pages
 * @old (or MC_CBE_NO_MIRROR), released once the new copies are complete.
 */
struct mc_nch_vec {
	u32 n;
	u32 page[MC_NCH_VEC];
	u32 old[MC_NCH_VEC];
	struct mc_cbe cbe[MC_NCH_VEC];
};

/* What became of the mirror copies of one node-channel request. */
enum mc_nch_status {
	MC_NCH_COPIED,	/* complete and marked */
	MC_NCH_DOWN,	/* the copying controller went down first: nothing
			 * counts, the write runs again through the survivor */
	MC_NCH_LOST,	/* two hosts: the peer's memory was lost first (the
			 * link): the write goes through to its LU */
};

/*
 * How the node channel (mc_nch_copy()) reports finished mirror copies to
 * its caller: the copies of the @n pages @pages of @io ended as @st.
 */
typedef void (*mc_nch_done_fn)(struct mc_ctrl *c, struct mc_io *io,
			       const u32 *pages, u32 n, enum mc_nch_status st);

/* Fire a fault-injection knob of mc-debug.c (off: one load and branch). */
#define mc_inject(knob) \
	do {								\
		if (unlikely(READ_ONCE(mc_inject_##knob)))		\
			mc_inject_delay(&mc_inject_##knob);		\
	} while (0)

#endif /* DM_MIRRORCACHE_H */
