// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: a device-mapper target that models a dual-controller
 * storage array with mirrored write-back caches.
 *
 * Copyright (C) 2026 The dm-mirrorcache developers.
 *
 * This is the module's entry point and the file to open first.  One table
 * line builds a pair of controllers; each owns some logical units (LUs) and
 * a page cache split into a read/write area and a mirror area that holds
 * the peer's dirty pages.  A write is copied into a page of the peer's
 * mirror area that the writer takes from its own mirror management table,
 * so the peer is never asked (seeds 000 and 002).  When a controller fails,
 * the survivor relinks the mirrored pages into its own hash and takes over
 * the failed controller's LUs.  Documentation/mirrorcache.rst is the admin
 * guide.
 *
 * The module is one translation unit built from the files below, which it
 * includes in layer order, lowest first (as kernel/sched/build_policy.c
 * does): each file keeps its own header comment and its own concern, a
 * reader finds a concern by file name, and the compiler can inline across
 * files on the hot path (a write walks mc-io.c, mc-nch.c and lib/).  The
 * layers call downward only; a lower file reports to a higher one through
 * a callback or a work item it was handed.  The compiler holds this:
 * dm-mirrorcache.h declares no function of the files, each function is
 * static, so a file sees only the functions of the files included before
 * it.
 *
 *   lib/          kernel-agnostic algorithms: mirror management table,
 *                 CBE encoding, page hash, lists (also unit-tested in user
 *                 space, tests/unit/)
 *   mc-debug.c    exact object accounting and fault injection (debugfs)
 *   mc-array.c    what a mapped device keeps across table reloads: the
 *                 live table, LU reservations
 *   mc-lu.c       bios to the LUs, LU error state
 *   mc-link.c     the RDMA link to the peer host of a two-host table:
 *                 connection, HELLO (size notification), heartbeat
 *   mc-ctrl.c     the cache core of a controller: memory, tables, sizing,
 *                 the state transition table
 *   mc-nch.c      the node channel: mirror copies (CPU or DMA), mirror
 *                 page acquisition (table or message)
 *   mc-wb.c       write-back (destage), retry of held pages, flush and
 *                 drain
 *   mc-io.c       admission (the failover gate), re-drive, the read and
 *                 write paths of a controller
 *   mc-fail.c     controller failure, degrade (relink), recovery, failback
 *   mc-move.c     LU takeover and return on command (destage, instant)
 *   mc-args.c     table line parsing and canonical table printing
 *   mc-sysfs.c    /sys/block/dm-N/mirrorcache/
 *   mc-target.c   the target type: ctr/dtr (a controller assembled from
 *                 the layers), map, status, message, suspend
 *   mc-port.c     the second target type, mcport: a host port into one
 *                 controller, forwarding to the owner, reservations (003)
 *
 * dm-mirrorcache.h holds the shared definitions.
 */
#include <linux/module.h>

#include "dm-mirrorcache.h"

#include "lib/mc_mmt.c"
#include "lib/mc_cbe.c"
#include "lib/mc_hash.c"
#include "lib/mc_list.c"
#include "lib/mc_keys.c"

#include "mc-debug.c"
#include "mc-array.c"
#include "mc-lu.c"
#include "mc-link.c"
#include "mc-ctrl.c"
#include "mc-nch.c"
#include "mc-wb.c"
#include "mc-io.c"
#include "mc-fail.c"
#include "mc-move.c"
#include "mc-args.c"
#include "mc-sysfs.c"
#include "mc-target.c"
#include "mc-port.c"

static int __init dm_mirrorcache_init(void)
{
	int r;

	mc_debug_init();
	r = dm_register_target(&mc_target_type);
	if (r < 0)
		goto bad;
	r = dm_register_target(&mcp_target_type);
	if (r < 0) {
		dm_unregister_target(&mc_target_type);
		goto bad;
	}
	return 0;
bad:
	DMERR("register failed %d", r);
	mc_debug_exit();
	return r;
}

static void __exit dm_mirrorcache_exit(void)
{
	dm_unregister_target(&mcp_target_type);
	dm_unregister_target(&mc_target_type);
	mc_debug_exit();
}

module_init(dm_mirrorcache_init);
module_exit(dm_mirrorcache_exit);

MODULE_DESCRIPTION(DM_NAME " mirrored write-back cache of a dual-controller array");
MODULE_AUTHOR("The dm-mirrorcache developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dm-mcport");	/* the second target type (mc-port.c) */
MODULE_VERSION(MC_VERSION);	/* VERSION, through Kbuild */
