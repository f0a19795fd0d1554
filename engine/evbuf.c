/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evbuf.c — the growable event batch. It only grows (doubling), so once a
 * caller's buffer has seen its largest batch, appending allocates nothing.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine.h"

int
lw_evbuf_init(struct lw_evbuf *b, uint32_t cap)
{
	if (cap == 0)
		cap = 64;
	b->ev = calloc(cap, sizeof(*b->ev));
	if (b->ev == NULL)
		return -ENOMEM;
	b->n = 0;
	b->cap = cap;
	b->lost = 0;
	return 0;
}

void
lw_evbuf_fini(struct lw_evbuf *b)
{
	free(b->ev);
	b->ev = NULL;
	b->n = b->cap = 0;
}

struct lw_event *
lw_evbuf_grow(struct lw_evbuf *b)
{
	uint32_t cap = b->cap ? b->cap * 2 : 64;
	struct lw_event *ev;

	if (cap < b->cap || (ev = realloc(b->ev, (size_t)cap * sizeof(*ev))) == NULL) {
		b->lost++;
		return NULL;
	}
	b->ev = ev;
	b->cap = cap;
	return &b->ev[b->n++];
}
