// SPDX-License-Identifier: GPL-2.0
#include "mc_test.h"
#include "mc_hash.h"

enum { N = 1000 };
static u32 bucket[1024], next[N];
static u64 key[N];

static void hash_basic(void)
{
	struct mc_hash h;

	mc_hash_init(&h, mc_hash_buckets(N), N, bucket, next, key);
	CHECK(h.nr_buckets == 512);
	CHECK(mc_hash_lookup(&h, mc_hash_key(1, 5)) == MC_HASH_NIL);
	CHECK(mc_hash_insert(&h, 7, mc_hash_key(1, 5)) == 0);
	CHECK(mc_hash_lookup(&h, mc_hash_key(1, 5)) == 7);
	CHECK(mc_hash_lookup(&h, mc_hash_key(0, 5)) == MC_HASH_NIL);
	CHECK(mc_hash_insert(&h, 8, mc_hash_key(1, 5)) == -EEXIST);
	CHECK(mc_hash_insert(&h, 7, mc_hash_key(2, 5)) == -EINVAL);
	CHECK(mc_hash_contains(&h, 7) && !mc_hash_contains(&h, 8));
	CHECK(h.count == 1);
	CHECK(mc_hash_remove(&h, 7) == 0);
	CHECK(mc_hash_remove(&h, 7) == -ENOENT);
	CHECK(mc_hash_lookup(&h, mc_hash_key(1, 5)) == MC_HASH_NIL);
	CHECK(h.count == 0);
}

static void hash_key_and_buckets(void)
{
	CHECK(mc_hash_key(0, 1) != mc_hash_key(1, 1));
	CHECK(mc_hash_key(63, 0) >> 56 == 63);
	CHECK(mc_hash_buckets(0) == 16);
	CHECK(mc_hash_buckets(100) == 64);
	CHECK(mc_hash_buckets(1u << 20) == 1u << 19);
}

/* Tiny table, many collisions, random removal against a model. */
static void hash_model(void)
{
	unsigned long long seed = 99;
	u64 model[N];
	u32 i, e, order[N];
	struct mc_hash h;

	mc_hash_init(&h, 16, N, bucket, next, key);
	for (e = 0; e < N; e++) {
		model[e] = mc_hash_key(e % 64, mc_rand(&seed) >> 20);
		if (mc_hash_insert(&h, e, model[e]))
			model[e] = 0;	/* a random duplicate key */
		order[e] = e;
	}
	for (e = 0; e < N; e++)
		if (model[e])
			CHECK(mc_hash_lookup(&h, model[e]) == e);
	for (i = N - 1; i > 0; i--) {
		u32 j = mc_rand(&seed) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < N; i++) {
		e = order[i];
		if (!model[e]) {
			CHECK(mc_hash_remove(&h, e) == -ENOENT);
			continue;
		}
		CHECK(mc_hash_remove(&h, e) == 0);
		CHECK(mc_hash_lookup(&h, model[e]) == MC_HASH_NIL);
		model[e] = 0;
		if (i % 97 == 0) {	/* everything left is still found */
			u32 k;

			for (k = 0; k < N; k++)
				if (model[k])
					CHECK(mc_hash_lookup(&h, model[k]) == k);
		}
	}
	CHECK(h.count == 0);
}

void test_hash(void)
{
	RUN(hash_basic);
	RUN(hash_key_and_buckets);
	RUN(hash_model);
}
