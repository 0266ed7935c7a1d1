/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cache block element (CBE) encoding.
 *
 * Every cache page has a CBE.  Its in-memory form (struct mc_cbe) is what a
 * controller works with; its encoded form (struct mc_cbe_raw, 32 bytes, little
 * endian) is what the node channel writes into the peer's CBE slot next to a
 * mirror page, so that the peer can identify the page after a failure.
 *
 * The free pattern is all zeroes (seed 000, S44).  A raw CBE is valid only
 * when its magic and checksum match, so a half-written slot never decodes.
 */
#ifndef MC_CBE_H
#define MC_CBE_H

#include "mc_compat.h"

enum mc_cbe_state {
	MC_CBE_FREE = 0,
	MC_CBE_CLEAN = 1,
	MC_CBE_DIRTY = 2,
	MC_CBE_MIRROR = 3,	/* holds the peer's dirty data */
};

#define MC_CBE_NO_MIRROR	0xffffffffu
#define MC_CBE_MAGIC		0x4d43u		/* "MC" */

struct mc_cbe {
	u8 state;		/* enum mc_cbe_state */
	u8 lun;			/* LU index, 0..63 */
	u32 mirror;		/* mirror page in the peer, or MC_CBE_NO_MIRROR */
	u64 index;		/* page index inside the LU */
	u64 seq;		/* write sequence number of the data held */
};

struct mc_cbe_raw {
	u8 bytes[32];
};

/* Encode @c into @raw (magic, fields, checksum). */
void mc_cbe_encode(const struct mc_cbe *c, struct mc_cbe_raw *raw);

/*
 * Decode @raw into @c. Returns 0, -ENOENT for the free (all-zero) pattern,
 * or -EBADMSG when magic or checksum do not match.
 */
int mc_cbe_decode(const struct mc_cbe_raw *raw, struct mc_cbe *c);

/* Write the free pattern into @raw. */
void mc_cbe_clear(struct mc_cbe_raw *raw);

#endif /* MC_CBE_H */
