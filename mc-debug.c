// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: object accounting and fault injection (debugfs).
 *
 *   /sys/kernel/debug/dm-mirrorcache/
 *       objects            live objects the module allocated, one
 *                          "<name> <count>" per line; all zero when no
 *                          device exists (the leak tests require it)
 *       inject_copy_delay_ms
 *                          delay the mirror copy request of the next write
 *                          by this many milliseconds after its local copy
 *                          (0: off), to open the race of two writes to one
 *                          page while a copy is in flight
 *       inject_admit_delay_ms
 *                          delay the next bio between the gate check and
 *                          its start (inside the gate's SRCU read section)
 *       inject_redrive_delay_ms
 *                          delay the next re-drive of bios interrupted by
 *                          a failure (the survivor serves other I/O)
 *       inject_failback_hold_ms
 *                          hold the next failback between the restart of
 *                          the controller and the switch of the LUs
 *       inject_discard_delay_ms
 *                          delay the next discard or write-zeroes between
 *                          dropping its range from the cache and sending
 *                          it to the LU (its range is fenced meanwhile)
 *       inject_takeover_hold_ms
 *                          hold the next LU takeover's switch with I/O
 *                          held (a failure issued meanwhile waits for it)
 *       inject_wb_submit_delay_ms
 *                          delay the next write-back batch between taking
 *                          its pages and submitting them (a failure issued
 *                          meanwhile must wait for the destage)
 *       inject_teardown_delay_ms
 *                          delay the next device teardown between the two
 *                          controllers (no work of the device may run)
 *       inject_read_copy_delay_ms
 *                          delay the next read hit between pinning its
 *                          cached page and copying out of it
 *       inject_link_silent bit mask of controllers (bit 0: ctrl0) whose
 *                          two-host link acts dead while set, as a hung
 *                          peer host: no heartbeat, no new connection
 *                          (the other side loses it and cannot reconnect)
 *       inject_rdma_error  bit mask of controllers whose two-host link
 *                          gives the first write of its next chain a bad
 *                          remote key: the peer refuses it (a remote
 *                          access error), the queue pair goes to the
 *                          error state with the chain's other writes in
 *                          flight; the bit clears itself
 *       inject_torn_copy   0 or 1: tear the next mirror copy of controller
 *                          0 or 1 (of any device) in half and fail that
 *                          controller before the copy completes, while
 *                          both controllers are online; -1: off
 *
 * The counters are exact: each one is raised where the object is allocated
 * and lowered in the mirror-image free, so a test can tell a leak of the
 * module from the noise of whole-system slab and free-page figures.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/seq_file.h>

#include "dm-mirrorcache.h"

struct mc_live mc_live;

static struct dentry *mc_debugfs;

/* Fault injection knobs; off by default. */
u32 mc_inject_copy_delay_ms;
u32 mc_inject_admit_delay_ms;
u32 mc_inject_failback_hold_ms;
u32 mc_inject_redrive_delay_ms;
u32 mc_inject_discard_delay_ms;
u32 mc_inject_takeover_hold_ms;
u32 mc_inject_wb_submit_delay_ms;
u32 mc_inject_teardown_delay_ms;
u32 mc_inject_read_copy_delay_ms;
u32 mc_inject_link_silent;
u32 mc_inject_rdma_error;
int mc_inject_torn_copy = MC_INJECT_OFF;

static int mc_objects_show(struct seq_file *m, void *v)
{
	seq_printf(m, "targets %d\n", atomic_read(&mc_live.targets));
	seq_printf(m, "cache_pages %d\n", atomic_read(&mc_live.pages));
	seq_printf(m, "tables %d\n", atomic_read(&mc_live.tables));
	seq_printf(m, "workqueues %d\n", atomic_read(&mc_live.wqs));
	seq_printf(m, "nch_requests %d\n", atomic_read(&mc_live.nch_reqs));
	seq_printf(m, "lu_bios %d\n", atomic_read(&mc_live.lu_bios));
	seq_printf(m, "kobjects %d\n", atomic_read(&mc_live.kobjs));
	seq_printf(m, "arrays %d\n", atomic_read(&mc_live.arrays));
	seq_printf(m, "ports %d\n", atomic_read(&mc_live.ports));
	seq_printf(m, "links %d\n", atomic_read(&mc_live.links));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mc_objects);

static int mc_torn_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", READ_ONCE(mc_inject_torn_copy));
	return 0;
}

static int mc_torn_open(struct inode *inode, struct file *file)
{
	return single_open(file, mc_torn_show, NULL);
}

/* inject_torn_copy takes a controller, 0 or 1, or -1 (off). */
static ssize_t mc_torn_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	int v, r = kstrtoint_from_user(ubuf, len, 10, &v);

	if (r)
		return r;
	if (v != MC_INJECT_OFF && (v < 0 || v >= MC_NR_CTRL))
		return -EINVAL;
	WRITE_ONCE(mc_inject_torn_copy, v);
	return len;
}

static const struct file_operations mc_torn_fops = {
	.owner = THIS_MODULE,
	.open = mc_torn_open,
	.read = seq_read,
	.write = mc_torn_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* The fault-injection knobs, as the files of the directory name them. */
static const struct {
	const char *name;
	u32 *val;
} mc_knobs[] = {
#define MC_KNOB(k)	{ "inject_" #k, &mc_inject_##k }
	MC_KNOB(copy_delay_ms),
	MC_KNOB(admit_delay_ms),
	MC_KNOB(failback_hold_ms),
	MC_KNOB(redrive_delay_ms),
	MC_KNOB(discard_delay_ms),
	MC_KNOB(takeover_hold_ms),
	MC_KNOB(wb_submit_delay_ms),
	MC_KNOB(teardown_delay_ms),
	MC_KNOB(read_copy_delay_ms),
	MC_KNOB(link_silent),
	MC_KNOB(rdma_error),
#undef MC_KNOB
};

/**
 * mc_debug_init - create the debugfs directory (failure is not fatal)
 */
static void mc_debug_init(void)
{
	unsigned int i;

	mc_debugfs = debugfs_create_dir("dm-mirrorcache", NULL);
	debugfs_create_file("objects", 0444, mc_debugfs, NULL,
			    &mc_objects_fops);
	for (i = 0; i < ARRAY_SIZE(mc_knobs); i++)
		debugfs_create_u32(mc_knobs[i].name, 0644, mc_debugfs,
				   mc_knobs[i].val);
	debugfs_create_file("inject_torn_copy", 0644, mc_debugfs, NULL,
			    &mc_torn_fops);
}

static void mc_debug_exit(void)
{
	debugfs_remove_recursive(mc_debugfs);
}

/**
 * mc_inject_delay - sleep once for a fault-injection knob, then disarm it
 * @knob: one of the mc_inject_*_ms knobs; process context only
 */
static void mc_inject_delay(u32 *knob)
{
	u32 ms = xchg(knob, 0);

	if (ms)
		msleep(ms);
}
