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
#include <linux/sched.h>

#include "dm-mirrorcache.h"
#include "lib/mc_mmt.h"

/* Refuse caches that would take more than this share of RAM, in percent. */
#define MC_MAX_RAM_PCT	50

static void mc_ctrl_free_pages(struct mc_ctrl *c)
{
	unsigned int i;

	if (!c->pages)
		return;
	for (i = 0; i < c->nr_pages; i++)
		if (c->pages[i])
			__free_page(c->pages[i]);
	kvfree(c->pages);
	c->pages = NULL;
}

static int mc_ctrl_alloc_pages(struct mc_ctrl *c)
{
	unsigned int i;

	c->pages = kvcalloc(c->nr_pages, sizeof(*c->pages),
			    GFP_KERNEL | __GFP_NOWARN);
	if (!c->pages)
		return -ENOMEM;
	for (i = 0; i < c->nr_pages; i++) {
		c->pages[i] = alloc_page(GFP_KERNEL | __GFP_NOWARN |
					 __GFP_NORETRY | __GFP_ZERO);
		if (!c->pages[i]) {
			mc_ctrl_free_pages(c);
			return -ENOMEM;
		}
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
void mc_ctrls_size_mirrors(struct mc_target *mc)
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
int mc_ctrl_check_sizes(struct mc_target *mc, char **error)
{
	u64 total = (u64)mc->ctrl[0].nr_pages + mc->ctrl[1].nr_pages;
	unsigned int i;

	for (i = 0; i < MC_NR_CTRL; i++) {
		struct mc_ctrl *c = &mc->ctrl[i];

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

/**
 * mc_ctrl_init - bring up controller @id with its cache memory
 * @c: the controller
 * @mc: its target
 * @id: 0 or 1
 * @error: set to a static message on failure
 *
 * Return: 0 or -ENOMEM.
 */
int mc_ctrl_init(struct mc_ctrl *c, struct mc_target *mc, unsigned int id,
		 char **error)
{
	c->id = id;
	c->mc = mc;
	c->state = MC_CTRL_ONLINE;
	if (mc_ctrl_alloc_pages(c)) {
		*error = "Cannot allocate cache memory";
		return -ENOMEM;
	}
	return 0;
}

/* Free everything mc_ctrl_init() allocated. */
void mc_ctrl_exit(struct mc_ctrl *c)
{
	mc_ctrl_free_pages(c);
}
