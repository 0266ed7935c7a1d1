// SPDX-License-Identifier: GPL-2.0
/*
 * Index-based doubly linked lists of cache pages.
 */
#include "mc_list.h"

void mc_lists_init(struct mc_lists *l, u32 nr_elems, u32 *prev, u32 *next,
		   u8 *on)
{
	u32 i;

	l->nr_elems = nr_elems;
	l->prev = prev;
	l->next = next;
	l->on = on;
	for (i = 0; i < nr_elems; i++) {
		prev[i] = MC_LIST_NIL;
		next[i] = MC_LIST_NIL;
		on[i] = MC_LIST_NONE;
	}
	for (i = 0; i < MC_LIST_MAX; i++) {
		l->list[i].head = MC_LIST_NIL;
		l->list[i].tail = MC_LIST_NIL;
		l->list[i].count = 0;
	}
}

int mc_list_add_tail(struct mc_lists *l, u8 id, u32 e)
{
	struct mc_list_head *h = &l->list[id];

	if (id >= MC_LIST_MAX || e >= l->nr_elems)
		return -EINVAL;
	if (l->on[e] != MC_LIST_NONE)
		return -EBUSY;
	l->prev[e] = h->tail;
	l->next[e] = MC_LIST_NIL;
	if (h->tail != MC_LIST_NIL)
		l->next[h->tail] = e;
	else
		h->head = e;
	h->tail = e;
	h->count++;
	l->on[e] = id;
	return 0;
}

int mc_list_del(struct mc_lists *l, u8 id, u32 e)
{
	struct mc_list_head *h = &l->list[id];

	if (id >= MC_LIST_MAX || e >= l->nr_elems || l->on[e] != id)
		return -ENOENT;
	if (l->prev[e] != MC_LIST_NIL)
		l->next[l->prev[e]] = l->next[e];
	else
		h->head = l->next[e];
	if (l->next[e] != MC_LIST_NIL)
		l->prev[l->next[e]] = l->prev[e];
	else
		h->tail = l->prev[e];
	l->prev[e] = MC_LIST_NIL;
	l->next[e] = MC_LIST_NIL;
	l->on[e] = MC_LIST_NONE;
	h->count--;
	return 0;
}

int mc_list_move_tail(struct mc_lists *l, u8 id, u32 e)
{
	int r = mc_list_del(l, id, e);

	return r ? r : mc_list_add_tail(l, id, e);
}

u32 mc_list_pop_head(struct mc_lists *l, u8 id)
{
	u32 e;

	if (id >= MC_LIST_MAX)
		return MC_LIST_NIL;
	e = l->list[id].head;
	if (e != MC_LIST_NIL)
		mc_list_del(l, id, e);
	return e;
}
