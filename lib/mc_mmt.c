// SPDX-License-Identifier: GPL-2.0
/*
 * Mirror management table (seed 000, Fig. 4): per-page next-open links and
 * the unused-mirror pointer MP.
 */
#include "mc_mmt.h"

u32 mmt_mirror_pages(u32 peer_pages, u32 ratio_pct)
{
	return (u32)(((u64)peer_pages * ratio_pct) / 100);
}

void mmt_init(struct mmt *t, u32 nr_pages, u32 *link)
{
	u32 i;

	t->nr_pages = nr_pages;
	t->nr_free = nr_pages;
	t->link = link;
	for (i = 0; i < nr_pages; i++)
		link[i] = i + 1 < nr_pages ? i + 1 : MMT_NIL;
	t->mp = nr_pages ? 0 : MMT_NIL;
}

/*
 * S26: the page at MP is handed out, MP moves to that page's link, and the
 * page's link is marked in use.
 */
u32 mmt_acquire(struct mmt *t)
{
	u32 page = t->mp;

	if (page == MMT_NIL)
		return MMT_NIL;
	t->mp = t->link[page];
	t->link[page] = MMT_INUSE;
	t->nr_free--;
	return page;
}

int mmt_acquire_n(struct mmt *t, u32 n, u32 *out)
{
	u32 i;

	if (n > t->nr_free)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		out[i] = mmt_acquire(t);
	return 0;
}

/* S46: the released page becomes MP and links to the old first open page. */
int mmt_release(struct mmt *t, u32 page)
{
	if (page >= t->nr_pages)
		return -EINVAL;
	if (t->link[page] != MMT_INUSE)
		return -EALREADY;
	t->link[page] = t->mp;
	t->mp = page;
	t->nr_free++;
	return 0;
}

bool mmt_in_use(const struct mmt *t, u32 page)
{
	return page < t->nr_pages && t->link[page] == MMT_INUSE;
}
