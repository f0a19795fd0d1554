/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evbuf.c — the growable batches an engine appends to (events, messages).
 * They only grow (doubling), so once a caller's buffer has seen its largest
 * batch, appending allocates nothing. One implementation serves both: a
 * batch is an array, a count, a capacity and a count of what was lost.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine.h"
#include "msg.h"

/* Allocate *arr with cap elements of size (64 when cap is 0). */
static int
batch_init(void **arr, uint32_t *n, uint32_t *cap, uint64_t *lost, uint32_t want, size_t size)
{
	if (want == 0)
		want = 64;
	*arr = calloc(want, size);
	if (*arr == NULL)
		return -ENOMEM;
	*n = 0;
	*cap = want;
	*lost = 0;
	return 0;
}

/* Double *arr and hand out its next element; NULL (counted lost) when memory is gone. */
static void *
batch_grow(void **arr, uint32_t *n, uint32_t *cap, uint64_t *lost, size_t size)
{
	uint32_t ncap = *cap ? *cap * 2 : 64;
	void *p;

	if (ncap < *cap || (p = realloc(*arr, (size_t)ncap * size)) == NULL) {
		(*lost)++;
		return NULL;
	}
	*arr = p;
	*cap = ncap;
	return (char *)p + (size_t)(*n)++ * size;
}

int
lw_evbuf_init(struct lw_evbuf *b, uint32_t cap)
{
	return batch_init((void **)&b->ev, &b->n, &b->cap, &b->lost, cap, sizeof(*b->ev));
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
	return batch_grow((void **)&b->ev, &b->n, &b->cap, &b->lost, sizeof(*b->ev));
}

int
lw_msgbuf_init(struct lw_msgbuf *b, uint32_t cap)
{
	return batch_init((void **)&b->m, &b->n, &b->cap, &b->lost, cap, sizeof(*b->m));
}

void
lw_msgbuf_fini(struct lw_msgbuf *b)
{
	free(b->m);
	b->m = NULL;
	b->n = b->cap = 0;
}

struct lw_msg *
lw_msgbuf_grow(struct lw_msgbuf *b)
{
	return batch_grow((void **)&b->m, &b->n, &b->cap, &b->lost, sizeof(*b->m));
}
