/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * harness_net.c — the simulator's event queue (a binary min-heap on (time,
 * sequence number)) and its network: messages copied into a pool while in
 * flight, FIFO per ordered pair of sites.
 */
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "sim.h"

static inline bool
ev_less(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int
sim_heap_push(struct sim_heap *h, uint64_t t, uint32_t type, uint32_t a, uint64_t b)
{
	uint32_t i;

	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 1024;
		struct sim_ev *v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	struct sim_ev e = {.t = t, .seq = h->seq++, .type = type, .a = a, .b = b};
	for (i = h->n++; i > 0; ) {
		uint32_t p = (i - 1) / 2;
		if (!ev_less(&e, &h->v[p]))
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = e;
	return 0;
}

bool
sim_heap_pop(struct sim_heap *h, struct sim_ev *out)
{
	uint32_t i = 0;

	if (h->n == 0)
		return false;
	*out = h->v[0];
	struct sim_ev last = h->v[--h->n];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		const struct sim_ev *mv = &last;
		if (l < h->n && ev_less(&h->v[l], mv)) {
			m = l;
			mv = &h->v[l];
		}
		if (r < h->n && ev_less(&h->v[r], mv))
			m = r;
		if (m == i)
			break;
		h->v[i] = h->v[m];
		i = m;
	}
	if (h->n > 0)
		h->v[i] = last;
	return true;
}

void
sim_heap_fini(struct sim_heap *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

int
sim_net_init(struct sim_net *n, unsigned int nsites)
{
	memset(n, 0, sizeof(*n));
	n->nsites = nsites;
	n->last = calloc((size_t)nsites * nsites, sizeof(*n->last));
	return n->last == NULL ? -1 : 0;
}

void
sim_net_fini(struct sim_net *n)
{
	free(n->last);
	free(n->pool);
	free(n->free);
	memset(n, 0, sizeof(*n));
}

uint32_t
sim_net_store(struct sim_net *n, const struct lw_msg *m)
{
	uint32_t slot;

	if (n->nfree == 0) {
		uint32_t cap = n->cap ? n->cap * 2 : 256;
		struct lw_msg *p = realloc(n->pool, (size_t)cap * sizeof(*p));
		if (p == NULL)
			return UINT32_MAX;
		n->pool = p;
		uint32_t *f = realloc(n->free, (size_t)cap * sizeof(*f));
		if (f == NULL)
			return UINT32_MAX;
		n->free = f;
		/* push new slots so that the lowest comes out first */
		for (uint32_t i = cap; i > n->cap; i--)
			n->free[n->nfree++] = i - 1;
		n->cap = cap;
	}
	slot = n->free[--n->nfree];
	memcpy(&n->pool[slot], m, sizeof(*m));
	n->inflight++;
	return slot;
}

struct lw_msg *
sim_net_msg(struct sim_net *n, uint32_t slot)
{
	return &n->pool[slot];
}

void
sim_net_release(struct sim_net *n, uint32_t slot)
{
	n->free[n->nfree++] = slot;
	n->inflight--;
}

uint64_t
sim_net_when(struct sim_net *n, unsigned int src, unsigned int dst, uint64_t now,
	     uint64_t delay)
{
	uint64_t *last = &n->last[(size_t)src * n->nsites + dst];
	uint64_t t = now + delay;

	if (t < *last)
		t = *last;
	*last = t;
	return t;
}
