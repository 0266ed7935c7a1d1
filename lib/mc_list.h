/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Index-based doubly linked lists of cache pages: the free list, the clean
 * LRU and the dirty list.  A page is on at most one list of a given
 * struct mc_lists at a time; the list id per page is tracked so misuse is
 * detected.  No locking.
 */
#ifndef MC_LIST_H
#define MC_LIST_H

#include "mc_compat.h"

#define MC_LIST_NIL	0xffffffffu
#define MC_LIST_NONE	0xffu		/* page is on no list */
#define MC_LIST_MAX	5		/* lists per struct mc_lists */

struct mc_list_head {
	u32 head;	/* first (oldest / least recently used) */
	u32 tail;	/* last (newest / most recently used) */
	u32 count;
};

struct mc_lists {
	u32 nr_elems;
	u32 *prev;
	u32 *next;
	u8 *on;		/* list id per element, or MC_LIST_NONE */
	struct mc_list_head list[MC_LIST_MAX];
};

/* All elements start on no list. */
void mc_lists_init(struct mc_lists *l, u32 nr_elems, u32 *prev, u32 *next, u8 *on);

/* Append @e at the tail of list @id. Returns -EBUSY if @e is on a list. */
int mc_list_add_tail(struct mc_lists *l, u8 id, u32 e);

/* Unlink @e from list @id. Returns -ENOENT if @e is not on list @id. */
int mc_list_del(struct mc_lists *l, u8 id, u32 e);

/* Move @e (on list @id) to the tail of list @id. */
int mc_list_move_tail(struct mc_lists *l, u8 id, u32 e);

/* Remove and return the head of list @id, or MC_LIST_NIL when empty. */
u32 mc_list_pop_head(struct mc_lists *l, u8 id);

static inline u32 mc_list_count(const struct mc_lists *l, u8 id)
{
	return l->list[id].count;
}

/* Iteration: the head of list @id, then the element after @e. */
static inline u32 mc_list_first(const struct mc_lists *l, u8 id)
{
	return l->list[id].head;
}

static inline u32 mc_list_next(const struct mc_lists *l, u32 e)
{
	return l->next[e];
}

/* List id @e is on, or MC_LIST_NONE. */
static inline u8 mc_list_of(const struct mc_lists *l, u32 e)
{
	return l->on[e];
}

#endif /* MC_LIST_H */
