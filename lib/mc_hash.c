// SPDX-License-Identifier: GPL-2.0
/*
 * Page hash: chained hashing over caller-provided index arrays.
 */
#include "mc_hash.h"

/* next[] value of an element that is not hashed. */
#define MC_HASH_UNHASHED	(MC_HASH_NIL - 1)

u32 mc_hash_buckets(u32 nr_elems)
{
	u32 n = 16;

	while (n < nr_elems / 2 && n < (1u << 30))
		n <<= 1;
	return n;
}

static u32 mc_hash_slot(const struct mc_hash *h, u64 key)
{
	return (u32)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (h->nr_buckets - 1);
}

void mc_hash_init(struct mc_hash *h, u32 nr_buckets, u32 nr_elems,
		  u32 *bucket, u32 *next, u64 *key)
{
	u32 i;

	h->nr_buckets = nr_buckets;
	h->nr_elems = nr_elems;
	h->count = 0;
	h->bucket = bucket;
	h->next = next;
	h->key = key;
	for (i = 0; i < nr_buckets; i++)
		bucket[i] = MC_HASH_NIL;
	for (i = 0; i < nr_elems; i++)
		next[i] = MC_HASH_UNHASHED;
}

u32 mc_hash_lookup(const struct mc_hash *h, u64 key)
{
	u32 e = h->bucket[mc_hash_slot(h, key)];

	while (e != MC_HASH_NIL && h->key[e] != key)
		e = h->next[e];
	return e;
}

int mc_hash_insert(struct mc_hash *h, u32 e, u64 key)
{
	u32 slot = mc_hash_slot(h, key);

	if (e >= h->nr_elems || h->next[e] != MC_HASH_UNHASHED)
		return -EINVAL;
	if (mc_hash_lookup(h, key) != MC_HASH_NIL)
		return -EEXIST;
	h->key[e] = key;
	h->next[e] = h->bucket[slot];
	h->bucket[slot] = e;
	h->count++;
	return 0;
}

bool mc_hash_contains(const struct mc_hash *h, u32 e)
{
	return e < h->nr_elems && h->next[e] != MC_HASH_UNHASHED;
}

int mc_hash_remove(struct mc_hash *h, u32 e)
{
	u32 *pp;

	if (!mc_hash_contains(h, e))
		return -ENOENT;
	pp = &h->bucket[mc_hash_slot(h, h->key[e])];
	while (*pp != e) {
		if (*pp == MC_HASH_NIL)
			return -ENOENT;	/* corrupted chain */
		pp = &h->next[*pp];
	}
	*pp = h->next[e];
	h->next[e] = MC_HASH_UNHASHED;
	h->count--;
	return 0;
}
