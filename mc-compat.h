/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-mirrorcache: the kernel API differences between the kernels the module
 * builds against, Debian's 6.1.0-* (6.1.1xx, bookworm) and 6.12 (bookworm-
 * backports).  The only place for LINUX_VERSION_CODE checks: the .c files
 * call the helpers below and have no #if of their own.  (lib/mc_compat.h is
 * the other shim: kernel versus user space for the unit tests of lib/.)
 *
 * Checked and not a difference for this module (it uses none of them, or
 * uses them the same way in both): dm_io() (not used), the .status and
 * .io_hints signatures, blk_opf_t, bio_alloc_bioset(), bdev_nr_sectors()
 * and bdev_logical_block_size(), dm_get_device() (its mode is passed on
 * from dm_table_get_mode(), fmode_t in 6.1, blk_mode_t in 6.12),
 * bvec_kmap_local(), the dmaengine calls, const kobj_type and sysfs_ops
 * with default_groups, DMERR_LIMIT, DMEMIT.
 */
#ifndef MC_KCOMPAT_H
#define MC_KCOMPAT_H

#include <linux/blkdev.h>

/*
 * mc_limits_io_min - blk_limits_io_min() of 6.1: io_min = @min, raised to
 * the logical and the physical block size.  6.12 has no blk_limits_io_min()
 * (the queue_limits rework: targets and drivers write the fields, and
 * blk_validate_limits() checks them when the limits are applied).  The body
 * is the 6.1 function's, so it serves both kernels without a version check.
 */
static inline void mc_limits_io_min(struct queue_limits *limits,
				    unsigned int min)
{
	limits->io_min = max3(min, limits->logical_block_size,
			      limits->physical_block_size);
}

/*
 * The status of a reservation conflict: BLK_STS_NEXUS in 6.1, renamed
 * BLK_STS_RESV_CONFLICT in 6.5 (same value, -EBADE).  Either way dm-mpath
 * passes it on instead of failing the path (blk_path_error()).
 */
#ifdef BLK_STS_RESV_CONFLICT
#define MC_STS_RESV_CONFLICT	BLK_STS_RESV_CONFLICT
#else
#define MC_STS_RESV_CONFLICT	BLK_STS_NEXUS
#endif

#endif /* MC_KCOMPAT_H */
