/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timer.c — deadlines of TIMEOUT requests: a binary min-heap of lkbs, each
 * knowing its slot so a grant or cancel removes its timer in O(log n).
 */
#include <errno.h>
#include <stdlib.h>

#include "engine_priv.h"

int
lw_timer_init(struct lw_engine *e)
{
	e->heap = calloc(e->conf.max_locks, sizeof(*e->heap));
	e->nheap = 0;
	return e->heap == NULL ? -ENOMEM : 0;
}

void
lw_timer_fini(struct lw_engine *e)
{
	free(e->heap);
	e->heap = NULL;
}

static inline bool
before(const struct lw_lkb *a, const struct lw_lkb *b)
{
	return a->deadline < b->deadline ||
	       (a->deadline == b->deadline && a->lkid < b->lkid);
}

static inline void
place(struct lw_engine *e, uint32_t i, struct lw_lkb *lkb)
{
	e->heap[i] = lkb;
	lkb->tslot = i + 1;
}

static void
sift_up(struct lw_engine *e, uint32_t i)
{
	struct lw_lkb *lkb = e->heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!before(lkb, e->heap[p]))
			break;
		place(e, i, e->heap[p]);
		i = p;
	}
	place(e, i, lkb);
}

static void
sift_down(struct lw_engine *e, uint32_t i)
{
	struct lw_lkb *lkb = e->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= e->nheap)
			break;
		if (c + 1 < e->nheap && before(e->heap[c + 1], e->heap[c]))
			c++;
		if (!before(e->heap[c], lkb))
			break;
		place(e, i, e->heap[c]);
		i = c;
	}
	place(e, i, lkb);
}

void
lw_timer_add(struct lw_engine *e, struct lw_lkb *lkb, uint64_t deadline)
{
	if (lkb->tslot != 0)
		lw_timer_del(e, lkb);
	lkb->deadline = deadline;
	e->heap[e->nheap] = lkb;
	sift_up(e, e->nheap++);
}

void
lw_timer_del(struct lw_engine *e, struct lw_lkb *lkb)
{
	uint32_t i;

	if (lkb->tslot == 0)
		return;
	i = lkb->tslot - 1;
	lkb->tslot = 0;
	if (--e->nheap == i)
		return;
	e->heap[i] = e->heap[e->nheap];
	e->heap[i]->tslot = i + 1;
	sift_down(e, i);
	sift_up(e, e->heap[i]->tslot - 1);
}

struct lw_lkb *
lw_timer_peek(const struct lw_engine *e)
{
	return e->nheap ? e->heap[0] : NULL;
}
