/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lkb.c — lock blocks and their ids.
 *
 * An lkid is worker << 27 | generation << 20 | index: the worker bits make
 * ids unique per node, the generation (1..127, bumped on each reuse of a
 * slot) makes a stale id miss instead of naming somebody else's lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_priv.h"

#define LKID_INDEX_BITS 20
#define LKID_GEN_BITS   7
#define LKID_INDEX_MASK ((1u << LKID_INDEX_BITS) - 1)
#define LKID_GEN_MAX    ((1u << LKID_GEN_BITS) - 1)

int
lw_lkb_pool_init(struct lw_engine *e)
{
	uint32_t n = e->conf.max_locks;

	e->lkbs = calloc(n, sizeof(*e->lkbs));
	if (e->lkbs == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		e->lkbs[i].next_free = i + 2 <= n ? i + 2 : 0;
	e->lkb_free = n ? 1 : 0;
	TAILQ_INIT(&e->orphans);
	return 0;
}

void
lw_lkb_pool_fini(struct lw_engine *e)
{
	free(e->lkbs);
	e->lkbs = NULL;
}

struct lw_lkb *
lw_lkb_alloc(struct lw_engine *e)
{
	struct lw_lkb *lkb;
	uint32_t idx;

	if (e->lkb_free == 0)
		return NULL;
	idx = e->lkb_free - 1;
	lkb = &e->lkbs[idx];
	e->lkb_free = lkb->next_free;
	lkb->gen = lkb->gen >= LKID_GEN_MAX ? 1 : lkb->gen + 1;
	lkb->lkid = e->conf.worker << (LKID_INDEX_BITS + LKID_GEN_BITS) |
		    (uint32_t)lkb->gen << LKID_INDEX_BITS | idx;
	lkb->next_free = 0;
	lkb->tslot = 0;
	lkb->persistent = 0;
	lkb->held_back = 0;
	lkb->res = NULL;
	e->st.locks++;
	return lkb;
}

void
lw_lkb_free(struct lw_engine *e, struct lw_lkb *lkb)
{
	uint32_t idx = (uint32_t)(lkb - e->lkbs);

	lkb->lkid = 0;
	lkb->res = NULL;
	lkb->next_free = e->lkb_free;
	e->lkb_free = idx + 1;
	e->st.locks--;
}

struct lw_lkb *
lw_lkb_find(const struct lw_engine *e, uint32_t lkid)
{
	uint32_t idx = lkid & LKID_INDEX_MASK;
	struct lw_lkb *lkb;

	if (lkid == 0 || idx >= e->conf.max_locks)
		return NULL;
	lkb = &e->lkbs[idx];
	return lkb->lkid == lkid ? lkb : NULL;
}
