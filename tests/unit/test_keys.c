// SPDX-License-Identifier: GPL-2.0
#include "mc_test.h"
#include "mc_keys.h"

static void keys_sort_small(void)
{
	u64 k[] = { 5, 1, 5, 3, 1, 9 }, one[] = { 7 };

	CHECK(mc_keys_sort(k, 6) == 4);
	CHECK(k[0] == 1 && k[1] == 3 && k[2] == 5 && k[3] == 9);
	CHECK(mc_keys_sort(one, 1) == 1 && one[0] == 7);
	CHECK(mc_keys_sort(NULL, 0) == 0);
}

static void keys_any_bounds(void)
{
	u64 k[] = { 10, 20, 30 };

	CHECK(!mc_keys_any(k, 3, 0, 10));	/* [lo, hi): 10 is out */
	CHECK(mc_keys_any(k, 3, 0, 11));
	CHECK(mc_keys_any(k, 3, 10, 11));
	CHECK(!mc_keys_any(k, 3, 11, 20));
	CHECK(mc_keys_any(k, 3, 19, 21));
	CHECK(mc_keys_any(k, 3, 30, 31));
	CHECK(!mc_keys_any(k, 3, 31, ~0ULL));
	CHECK(!mc_keys_any(k, 3, 15, 15));	/* an empty range */
	CHECK(!mc_keys_any(k, 0, 0, ~0ULL));	/* an empty set */
	CHECK(mc_keys_any(k, 3, 0, ~0ULL));
}

/* Random sets and ranges against a linear search. */
static void keys_model(void)
{
	unsigned long long s = 0x9e3779b97f4a7c15ULL;
	u64 k[300], orig[300];
	int round;

	for (round = 0; round < 400; round++) {
		u32 n = mc_rand(&s) % 300, left, i, j, q;
		u64 span = 1 + mc_rand(&s) % 1000;

		for (i = 0; i < n; i++)
			orig[i] = k[i] = (mc_rand(&s) % span) |
					 ((mc_rand(&s) & 1) ? 1ULL << 56 : 0);
		left = mc_keys_sort(k, n);
		for (i = 1; i < left; i++)
			CHECK(k[i - 1] < k[i]);
		for (i = 0; i < n; i++) {	/* every key is kept */
			bool found = false;

			for (j = 0; j < left; j++)
				found |= k[j] == orig[i];
			CHECK(found);
		}
		for (q = 0; q < 50; q++) {
			u64 lo = mc_rand(&s) % (span + 2), hi = lo + mc_rand(&s) % 8;
			bool want = false;

			if (mc_rand(&s) & 1) {
				lo |= 1ULL << 56;
				hi |= 1ULL << 56;
			}
			for (j = 0; j < left; j++)
				want |= k[j] >= lo && k[j] < hi;
			CHECK(mc_keys_any(k, left, lo, hi) == want);
		}
	}
}

void test_keys(void)
{
	RUN(keys_sort_small);
	RUN(keys_any_bounds);
	RUN(keys_model);
}
