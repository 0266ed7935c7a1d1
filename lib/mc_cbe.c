// SPDX-License-Identifier: GPL-2.0
/*
 * CBE encoding: 32 bytes, little endian.
 *
 *   [0..1]   magic MC_CBE_MAGIC
 *   [2]      state
 *   [3]      lun
 *   [4..7]   mirror page
 *   [8..15]  page index
 *   [16..23] sequence number
 *   [24..27] reserved, zero
 *   [28..31] FNV-1a checksum of bytes 0..27
 */
#include "mc_cbe.h"

#define MC_CBE_SUM_OFF	28

static void mc_put_le(u8 *p, u64 v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u64 mc_get_le(const u8 *p, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static u32 mc_cbe_sum(const u8 *p)
{
	u32 h = 2166136261u;
	unsigned int i;

	for (i = 0; i < MC_CBE_SUM_OFF; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

void mc_cbe_encode(const struct mc_cbe *c, struct mc_cbe_raw *raw)
{
	u8 *p = raw->bytes;

	memset(p, 0, sizeof(raw->bytes));
	mc_put_le(p, MC_CBE_MAGIC, 2);
	p[2] = c->state;
	p[3] = c->lun;
	mc_put_le(p + 4, c->mirror, 4);
	mc_put_le(p + 8, c->index, 8);
	mc_put_le(p + 16, c->seq, 8);
	mc_put_le(p + MC_CBE_SUM_OFF, mc_cbe_sum(p), 4);
}

static bool mc_cbe_is_free(const struct mc_cbe_raw *raw)
{
	unsigned int i;

	for (i = 0; i < sizeof(raw->bytes); i++)
		if (raw->bytes[i])
			return false;
	return true;
}

int mc_cbe_decode(const struct mc_cbe_raw *raw, struct mc_cbe *c)
{
	const u8 *p = raw->bytes;

	if (mc_cbe_is_free(raw))
		return -ENOENT;
	if (mc_get_le(p, 2) != MC_CBE_MAGIC ||
	    mc_get_le(p + MC_CBE_SUM_OFF, 4) != mc_cbe_sum(p) ||
	    mc_get_le(p + 24, 4) != 0)
		return -EBADMSG;
	c->state = p[2];
	c->lun = p[3];
	c->mirror = (u32)mc_get_le(p + 4, 4);
	c->index = mc_get_le(p + 8, 8);
	c->seq = mc_get_le(p + 16, 8);
	return 0;
}

void mc_cbe_clear(struct mc_cbe_raw *raw)
{
	memset(raw->bytes, 0, sizeof(raw->bytes));
}
