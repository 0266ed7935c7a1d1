/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mirror management table (seed 000, Fig. 4).
 *
 * A controller keeps one of these for the mirror area that it owns in the
 * *peer's* cache memory.  It holds, per mirror page, the link to the next
 * open page, and the unused-mirror pointer MP that names the first open page.
 * Acquiring a page takes the page at MP and moves MP to its link; releasing a
 * page links it in front of MP and makes it the new MP.  The peer is never
 * asked: the table is private to the controller that writes the mirror.
 *
 * The table does no locking; the caller serialises access.
 */
#ifndef MC_MMT_H
#define MC_MMT_H

#include "mc_compat.h"

#define MMT_NIL		0xffffffffu	/* end of the open-page chain */
#define MMT_INUSE	0xfffffffeu	/* link value of an acquired page */

struct mmt {
	u32 nr_pages;	/* pages in the mirror area */
	u32 nr_free;	/* open pages */
	u32 mp;		/* unused-mirror pointer: first open page or MMT_NIL */
	u32 *link;	/* per page: next open page, MMT_NIL or MMT_INUSE */
};

/* Mirror area size that a controller reserves for a peer of @peer_pages. */
u32 mmt_mirror_pages(u32 peer_pages, u32 ratio_pct);

/*
 * Initialise @t over caller-provided @link storage of @nr_pages entries.
 * All pages start open, chained 0 -> 1 -> ... -> nr_pages-1, MP = 0.
 */
void mmt_init(struct mmt *t, u32 nr_pages, u32 *link);

/* Take the page at MP. Returns its index, or MMT_NIL when none is open. */
u32 mmt_acquire(struct mmt *t);

/*
 * Take @n pages in chain order (seed 000, S56) into @out. All or nothing:
 * returns 0, or -ENOSPC leaving the table untouched.
 */
int mmt_acquire_n(struct mmt *t, u32 n, u32 *out);

/*
 * Release @page: it becomes the new MP. Returns 0, -EINVAL when @page is out
 * of range, or -EALREADY when it is already open (double release).
 */
int mmt_release(struct mmt *t, u32 page);

/* True when @page is currently acquired. */
bool mmt_in_use(const struct mmt *t, u32 page);

#endif /* MC_MMT_H */
