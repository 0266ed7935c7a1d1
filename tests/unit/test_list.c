// SPDX-License-Identifier: GPL-2.0
#include "mc_test.h"
#include "mc_list.h"

enum { N = 64 };
static u32 prev[N], next[N];
static u8 on[N];

static void list_order(void)
{
	struct mc_lists l;

	mc_lists_init(&l, N, prev, next, on);
	CHECK(mc_list_pop_head(&l, 0) == MC_LIST_NIL);
	CHECK(mc_list_add_tail(&l, 0, 3) == 0);
	CHECK(mc_list_add_tail(&l, 0, 1) == 0);
	CHECK(mc_list_add_tail(&l, 0, 2) == 0);
	CHECK(mc_list_count(&l, 0) == 3 && mc_list_of(&l, 1) == 0);
	CHECK(mc_list_move_tail(&l, 0, 3) == 0);	/* LRU touch */
	CHECK(mc_list_pop_head(&l, 0) == 1);
	CHECK(mc_list_del(&l, 0, 3) == 0);
	CHECK(mc_list_pop_head(&l, 0) == 2);
	CHECK(mc_list_pop_head(&l, 0) == MC_LIST_NIL);
	CHECK(mc_list_count(&l, 0) == 0);
}

static void list_misuse(void)
{
	struct mc_lists l;

	mc_lists_init(&l, N, prev, next, on);
	CHECK(mc_list_add_tail(&l, 1, 5) == 0);
	CHECK(mc_list_add_tail(&l, 1, 5) == -EBUSY);
	CHECK(mc_list_add_tail(&l, 2, 5) == -EBUSY);
	CHECK(mc_list_del(&l, 2, 5) == -ENOENT);
	CHECK(mc_list_del(&l, 1, 6) == -ENOENT);
	CHECK(mc_list_move_tail(&l, 2, 5) == -ENOENT);
	CHECK(mc_list_add_tail(&l, 1, N) == -EINVAL);
	CHECK(mc_list_add_tail(&l, MC_LIST_MAX, 0) == -EINVAL);
	CHECK(mc_list_of(&l, 6) == MC_LIST_NONE);
	CHECK(mc_list_count(&l, 1) == 1);
}

/* Random operations on 3 lists against arrays modelling each list. */
static void list_model(void)
{
	unsigned long long seed = 7;
	u32 model[3][N], cnt[3] = { 0 }, i, k;
	struct mc_lists l;
	int where[N];

	mc_lists_init(&l, N, prev, next, on);
	for (i = 0; i < N; i++)
		where[i] = -1;
	for (i = 0; i < 50000; i++) {
		u32 e = mc_rand(&seed) % N, id = mc_rand(&seed) % 3, op = mc_rand(&seed) % 3;

		if (op == 0) {
			int r = mc_list_add_tail(&l, id, e);

			CHECK(r == (where[e] < 0 ? 0 : -EBUSY));
			if (!r) {
				model[id][cnt[id]++] = e;
				where[e] = id;
			}
		} else if (op == 1 && where[e] >= 0) {
			u32 w = where[e];

			CHECK(mc_list_del(&l, w, e) == 0);
			for (k = 0; model[w][k] != e; k++)
				;
			for (; k + 1 < cnt[w]; k++)
				model[w][k] = model[w][k + 1];
			cnt[w]--;
			where[e] = -1;
		} else {
			u32 p = mc_list_pop_head(&l, id);

			CHECK(p == (cnt[id] ? model[id][0] : MC_LIST_NIL));
			if (cnt[id] && p == model[id][0]) {
				for (k = 0; k + 1 < cnt[id]; k++)
					model[id][k] = model[id][k + 1];
				cnt[id]--;
				where[p] = -1;
			}
		}
		CHECK(mc_list_count(&l, id) == cnt[id]);
	}
}

void test_list(void)
{
	RUN(list_order);
	RUN(list_misuse);
	RUN(list_model);
}
