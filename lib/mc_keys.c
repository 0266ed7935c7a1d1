// SPDX-License-Identifier: GPL-2.0
/*
 * Sorted key sets: an in-place heapsort (no recursion, no allocation,
 * O(n log n) at worst) and a binary search for the first key >= a bound.
 */
#include "mc_keys.h"

/* Sift @keys[@i] down the max-heap of the first @n keys. */
static void mc_keys_sift(u64 *keys, u32 n, u32 i)
{
	u64 v = keys[i];

	for (;;) {
		u32 c = 2 * i + 1;

		if (c >= n || c < i)	/* c < i: 2 * i + 1 overflowed */
			break;
		if (c + 1 < n && keys[c + 1] > keys[c])
			c++;
		if (keys[c] <= v)
			break;
		keys[i] = keys[c];
		i = c;
	}
	keys[i] = v;
}

u32 mc_keys_sort(u64 *keys, u32 n)
{
	u32 i, out;

	if (n < 2)
		return n;
	for (i = n / 2; i-- > 0;)
		mc_keys_sift(keys, n, i);
	for (i = n - 1; i > 0; i--) {
		u64 t = keys[0];

		keys[0] = keys[i];
		keys[i] = t;
		mc_keys_sift(keys, i, 0);
	}
	for (i = 1, out = 1; i < n; i++)
		if (keys[i] != keys[out - 1])
			keys[out++] = keys[i];
	return out;
}

bool mc_keys_any(const u64 *keys, u32 n, u64 lo, u64 hi)
{
	u32 a = 0, b = n;	/* the first key >= @lo is in [a, b] */

	while (a < b) {
		u32 m = a + (b - a) / 2;

		if (keys[m] < lo)
			a = m + 1;
		else
			b = m;
	}
	return a < n && keys[a] < hi;
}
