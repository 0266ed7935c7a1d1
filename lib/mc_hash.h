/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page hash: (LU, page index) -> cache page.
 *
 * Elements are cache page numbers 0..nr_elems-1; the caller provides all
 * storage.  Chains are singly linked through @next.  No locking.
 */
#ifndef MC_HASH_H
#define MC_HASH_H

#include "mc_compat.h"

#define MC_HASH_NIL	0xffffffffu

struct mc_hash {
	u32 nr_buckets;		/* power of two */
	u32 nr_elems;
	u32 count;		/* elements hashed */
	u32 *bucket;		/* nr_buckets heads */
	u32 *next;		/* nr_elems chain links */
	u64 *key;		/* nr_elems keys */
};

/* Key of a page: LU in the top 8 bits, page index below. */
static inline u64 mc_hash_key(u32 lun, u64 index)
{
	return ((u64)lun << 56) | (index & ((1ULL << 56) - 1));
}

/* Buckets for @nr_elems elements: a power of two >= nr_elems / 2, >= 16. */
u32 mc_hash_buckets(u32 nr_elems);

void mc_hash_init(struct mc_hash *h, u32 nr_buckets, u32 nr_elems,
		  u32 *bucket, u32 *next, u64 *key);

/* Insert element @e under @key. Returns -EEXIST if @key is present. */
int mc_hash_insert(struct mc_hash *h, u32 e, u64 key);

/* Element hashed under @key, or MC_HASH_NIL. */
u32 mc_hash_lookup(const struct mc_hash *h, u64 key);

/* Remove element @e. Returns -ENOENT if it is not hashed. */
int mc_hash_remove(struct mc_hash *h, u32 e);

/* True when element @e is hashed. */
bool mc_hash_contains(const struct mc_hash *h, u32 e);

#endif /* MC_HASH_H */
