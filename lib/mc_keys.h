/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sorted set of page keys (mc_hash_key()): the pages whose copies a lost
 * peer host may keep (fencing resource, mc-io.c).  Built once per loss
 * from an unsorted array, then asked, at every write's end, whether a
 * range of pages holds one of them.
 *
 * No locking, no allocation: the caller owns the array.
 */
#ifndef MC_KEYS_H
#define MC_KEYS_H

#include "mc_compat.h"

/* Sort @keys ascending in place and drop duplicates; returns the count left. */
u32 mc_keys_sort(u64 *keys, u32 n);

/* True when the sorted set @keys of @n holds a key in [@lo, @hi). */
bool mc_keys_any(const u64 *keys, u32 n, u64 lo, u64 hi);

#endif /* MC_KEYS_H */
