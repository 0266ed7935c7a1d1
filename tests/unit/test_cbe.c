// SPDX-License-Identifier: GPL-2.0
#include "mc_test.h"
#include "mc_cbe.h"

static int cbe_eq(const struct mc_cbe *a, const struct mc_cbe *b)
{
	return a->state == b->state && a->lun == b->lun &&
	       a->mirror == b->mirror && a->index == b->index &&
	       a->seq == b->seq;
}

static void cbe_round_trip(void)
{
	struct mc_cbe in[] = {
		{ MC_CBE_FREE, 0, 0, 0, 0 },
		{ MC_CBE_CLEAN, 1, 5, 7, 9 },
		{ MC_CBE_DIRTY, 63, MC_CBE_NO_MIRROR, 1ULL << 40, 1 },
		{ MC_CBE_MIRROR, 255, 0xfffffffe, ~0ULL, ~0ULL },
	};
	struct mc_cbe_raw raw;
	struct mc_cbe out;
	unsigned int i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		mc_cbe_encode(&in[i], &raw);
		CHECK(mc_cbe_decode(&raw, &out) == 0);
		CHECK(cbe_eq(&in[i], &out));
	}
}

/* Little endian, fixed layout: independent of the host. */
static void cbe_layout(void)
{
	struct mc_cbe in = { MC_CBE_MIRROR, 2, 0x01020304, 0x1122334455667788ULL, 5 };
	struct mc_cbe_raw raw;

	mc_cbe_encode(&in, &raw);
	CHECK(raw.bytes[0] == 0x43 && raw.bytes[1] == 0x4d);
	CHECK(raw.bytes[2] == MC_CBE_MIRROR && raw.bytes[3] == 2);
	CHECK(raw.bytes[4] == 0x04 && raw.bytes[7] == 0x01);
	CHECK(raw.bytes[8] == 0x88 && raw.bytes[15] == 0x11);
	CHECK(raw.bytes[16] == 5 && raw.bytes[23] == 0);
}

static void cbe_free_pattern(void)
{
	struct mc_cbe in = { MC_CBE_FREE, 0, 0, 0, 0 };
	struct mc_cbe_raw raw;
	struct mc_cbe out;
	unsigned int i, zero = 1;

	mc_cbe_clear(&raw);
	CHECK(mc_cbe_decode(&raw, &out) == -ENOENT);
	mc_cbe_encode(&in, &raw);		/* a valid CBE is never all zero */
	for (i = 0; i < sizeof(raw.bytes); i++)
		zero &= !raw.bytes[i];
	CHECK(!zero);
	mc_cbe_clear(&raw);
	for (i = 0; i < sizeof(raw.bytes); i++)
		CHECK(raw.bytes[i] == 0);
}

/* Any corrupted byte, as a half-written slot would show, is detected. */
static void cbe_corruption(void)
{
	struct mc_cbe in = { MC_CBE_MIRROR, 3, 17, 123456, 99 };
	struct mc_cbe_raw raw, bad;
	struct mc_cbe out;
	unsigned int i, bit;

	mc_cbe_encode(&in, &raw);
	for (i = 0; i < sizeof(raw.bytes); i++) {
		for (bit = 0; bit < 8; bit++) {
			bad = raw;
			bad.bytes[i] ^= 1u << bit;
			CHECK(mc_cbe_decode(&bad, &out) == -EBADMSG);
		}
	}
	/* A slot torn between an old and a new CBE is detected too. */
	{
		struct mc_cbe newer = in;
		struct mc_cbe_raw nraw;

		newer.seq = 100;
		newer.index = 654321;
		mc_cbe_encode(&newer, &nraw);
		bad = raw;
		for (i = 16; i < 32; i++)
			bad.bytes[i] = nraw.bytes[i];
		CHECK(mc_cbe_decode(&bad, &out) == -EBADMSG);
	}
}

void test_cbe(void)
{
	RUN(cbe_round_trip);
	RUN(cbe_layout);
	RUN(cbe_free_pattern);
	RUN(cbe_corruption);
}
