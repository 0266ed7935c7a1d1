// SPDX-License-Identifier: GPL-2.0
#include "mc_test.h"
#include "mc_mmt.h"

/* The patent's example: caches of 100 and 110 pages at 30%. */
static void mmt_sizing_patent_example(void)
{
	CHECK(mmt_mirror_pages(110, 30) == 33);	/* held in the 100-page cache */
	CHECK(mmt_mirror_pages(100, 30) == 30);	/* held in the 110-page cache */
	CHECK(mmt_mirror_pages(110, 20) == 22);
}

static void mmt_sizing_bounds(void)
{
	CHECK(mmt_mirror_pages(16, 1) == 0);
	CHECK(mmt_mirror_pages(100, 1) == 1);
	CHECK(mmt_mirror_pages(16, 90) == 14);
	CHECK(mmt_mirror_pages(96, 30) == 28);	/* floor of 28.8 */
	CHECK(mmt_mirror_pages(1u << 24, 90) == 15099494);
	CHECK(mmt_mirror_pages(0xffffffffu, 90) == 3865470565u);	/* no overflow */
}

/* S26: acquisition follows the chain from MP. */
static void mmt_acquire_order(void)
{
	u32 link[8], i;
	struct mmt t;

	mmt_init(&t, 8, link);
	CHECK(t.mp == 0 && t.nr_free == 8);
	for (i = 0; i < 8; i++) {
		CHECK(t.mp == i);
		CHECK(mmt_acquire(&t) == i);
		CHECK(mmt_in_use(&t, i));
	}
	CHECK(t.nr_free == 0 && t.mp == MMT_NIL);
	CHECK(mmt_acquire(&t) == MMT_NIL);	/* exhausted */
	CHECK(t.nr_free == 0);
}

/* S46: a released page becomes MP and links to the old MP (LIFO). */
static void mmt_release_lifo(void)
{
	u32 link[4];
	struct mmt t;

	mmt_init(&t, 4, link);
	CHECK(mmt_acquire(&t) == 0);
	CHECK(mmt_acquire(&t) == 1);
	CHECK(mmt_acquire(&t) == 2);
	CHECK(t.mp == 3);
	CHECK(mmt_release(&t, 1) == 0);
	CHECK(t.mp == 1 && link[1] == 3);
	CHECK(mmt_release(&t, 0) == 0);
	CHECK(t.mp == 0 && link[0] == 1);
	CHECK(t.nr_free == 3);
	CHECK(mmt_acquire(&t) == 0);
	CHECK(mmt_acquire(&t) == 1);
	CHECK(mmt_acquire(&t) == 3);
	CHECK(mmt_acquire(&t) == MMT_NIL);
}

static void mmt_double_release(void)
{
	u32 link[4];
	struct mmt t;

	mmt_init(&t, 4, link);
	CHECK(mmt_release(&t, 2) == -EALREADY);	/* never acquired */
	CHECK(mmt_acquire(&t) == 0);
	CHECK(mmt_release(&t, 0) == 0);
	CHECK(mmt_release(&t, 0) == -EALREADY);
	CHECK(mmt_release(&t, 4) == -EINVAL);
	CHECK(mmt_release(&t, MMT_NIL) == -EINVAL);
	CHECK(t.nr_free == 4);
	CHECK(!mmt_in_use(&t, 0) && !mmt_in_use(&t, 99));
}

static void mmt_acquire_n_all_or_nothing(void)
{
	u32 link[5], out[5];
	struct mmt t;

	mmt_init(&t, 5, link);
	CHECK(mmt_acquire_n(&t, 3, out) == 0);
	CHECK(out[0] == 0 && out[1] == 1 && out[2] == 2);
	CHECK(mmt_acquire_n(&t, 3, out) == -ENOSPC);
	CHECK(t.nr_free == 2 && t.mp == 3);
	CHECK(mmt_acquire_n(&t, 2, out) == 0);
	CHECK(out[0] == 3 && out[1] == 4);
	CHECK(mmt_acquire_n(&t, 0, out) == 0);
}

static void mmt_empty(void)
{
	struct mmt t;

	mmt_init(&t, 0, NULL);
	CHECK(t.mp == MMT_NIL && t.nr_free == 0);
	CHECK(mmt_acquire(&t) == MMT_NIL);
	CHECK(mmt_release(&t, 0) == -EINVAL);
}

/* Random acquire/release against a reference set. */
static void mmt_model(void)
{
	enum { N = 97 };
	unsigned long long seed = 12345;
	u32 link[N], held[N], nheld = 0, i, k, p;
	int in_use[N] = { 0 };
	struct mmt t;

	mmt_init(&t, N, link);
	for (i = 0; i < 100000; i++) {
		if (mc_rand(&seed) % 2) {
			p = mmt_acquire(&t);
			if (nheld == N) {
				CHECK(p == MMT_NIL);
				continue;
			}
			CHECK(p < N && !in_use[p]);
			if (p >= N)
				break;
			in_use[p] = 1;
			held[nheld++] = p;
		} else if (nheld) {
			k = mc_rand(&seed) % nheld;
			p = held[k];
			held[k] = held[--nheld];
			CHECK(mmt_release(&t, p) == 0);
			CHECK(t.mp == p);
			in_use[p] = 0;
		}
		CHECK(t.nr_free == N - nheld);
	}
	for (p = 0; p < N; p++)
		CHECK(mmt_in_use(&t, p) == !!in_use[p]);
}

void test_mmt(void)
{
	RUN(mmt_sizing_patent_example);
	RUN(mmt_sizing_bounds);
	RUN(mmt_acquire_order);
	RUN(mmt_release_lifo);
	RUN(mmt_double_release);
	RUN(mmt_acquire_n_all_or_nothing);
	RUN(mmt_empty);
	RUN(mmt_model);
}
