/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * res.c — the resource table of one site.
 *
 * DESIGN
 * Resources are found by a 64-bit hash of (lockspace, name) in an rte_hash
 * whose key is that hash and whose data is the first resource with it;
 * names that share a 64-bit hash (never seen in practice, but handled)
 * chain through hnext. Records come from an array sized at creation.
 * A resource whose last lock goes stays resident, with its value block, on
 * an idle list in about the order it went idle (a resource that gets busy
 * again keeps its place and is skipped); when no free record is left the
 * oldest idle one is evicted. Only the owning thread touches the table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_prefetch.h>

#include "engine_priv.h"

/* The key already is a good hash: use its low half as rte_hash's signature. */
static uint32_t
key_sig(const void *key, uint32_t len, uint32_t init)
{
	uint64_t k;

	(void)len;
	memcpy(&k, key, sizeof(k));
	return (uint32_t)k ^ init;
}

/*
 * rte_hash compares keys of lengths other than 16, 32, ... bytes with
 * memcmp, a call that cost ~8% of a worker in the remote-locking benchmark;
 * two 8-byte loads do. (The tables are private to one worker: the function
 * pointer is safe, no other process uses them.)
 */
static int
key_cmp(const void *a, const void *b, size_t len)
{
	uint64_t x, y;

	(void)len;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x != y;
}

struct rte_hash *
lw_hash_create(const char *prefix, const char *name, uint32_t entries, int socket_id)
{
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = hname,
		.entries = entries < 8 ? 8 : entries,
		.key_len = sizeof(uint64_t),
		.hash_func = key_sig,
		.hash_func_init_val = 0,
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct rte_hash *h;

	snprintf(hname, sizeof(hname), "%s_%.20s", prefix, name);
	h = rte_hash_create(&p);
	if (h != NULL)
		rte_hash_set_cmp_func(h, key_cmp);
	return h;
}

void *
lw_hash_head(const struct rte_hash *h, uint64_t hash)
{
	void *data;

	if (rte_hash_lookup_data(h, &hash, &data) < 0)
		return NULL;
	return data;
}

int
lw_hash_set_head(struct rte_hash *h, uint64_t hash, void *head)
{
	if (head == NULL)
		return rte_hash_del_key(h, &hash) < 0 ? -ENOENT : 0;
	return rte_hash_add_key_data(h, &hash, head) < 0 ? -ENOSPC : 0;
}

/* rte_jhash reads whole words: hash a zero-padded copy, never past the name. */
static size_t
padded(uint32_t buf[LW_RESNAME_MAXLEN / sizeof(uint32_t) + 1], const void *name, size_t len)
{
	if (len > LW_RESNAME_MAXLEN)
		len = LW_RESNAME_MAXLEN;
	buf[len / sizeof(uint32_t)] = 0;
	memcpy(buf, name, len);
	return len;
}

uint32_t
lw_ls_gid(const void *name, size_t len)
{
	uint32_t buf[LW_RESNAME_MAXLEN / sizeof(uint32_t) + 1];

	len = padded(buf, name, len);
	return rte_jhash(buf, (uint32_t)len, 0x6c77u) | 1u;   /* never 0 */
}

uint64_t
lw_res_hash(uint32_t key, const void *name, size_t len)
{
	uint32_t pc = 0x2545f491u + key, pb = 0x9e3779b9u ^ (key << 16 | key >> 16);
	uint32_t buf[LW_RESNAME_MAXLEN / sizeof(uint32_t) + 1];

	len = padded(buf, name, len);
	rte_jhash_2hashes(buf, (uint32_t)len, &pc, &pb);
	return ((uint64_t)pb << 32) | pc;
}

int
lw_res_table_init(struct lw_engine *e)
{
	uint32_t n = e->conf.max_resources;

	e->res = aligned_alloc(RTE_CACHE_LINE_SIZE,
			       RTE_ALIGN_CEIL((size_t)n * sizeof(struct lw_res), RTE_CACHE_LINE_SIZE));
	if (e->res == NULL)
		return -ENOMEM;
	memset(e->res, 0, (size_t)n * sizeof(struct lw_res));
	e->rtab = lw_hash_create("lwr", e->name, n, e->conf.socket_id);
	if (e->rtab == NULL) {
		free(e->res);
		e->res = NULL;
		return -ENOMEM;
	}
	e->res_free = NULL;
	for (uint32_t i = n; i-- > 0;) {
		e->res[i].hnext = e->res_free;
		e->res_free = &e->res[i];
	}
	TAILQ_INIT(&e->idle);
	return 0;
}

void
lw_res_table_fini(struct lw_engine *e)
{
	rte_hash_free(e->rtab);
	free(e->res);
	e->rtab = NULL;
	e->res = NULL;
}

struct lw_res *
lw_res_match(struct lw_res *r, uint16_t lsid, const uint8_t *name, uint8_t len)
{
	for (; r != NULL; r = r->hnext)
		if (r->lsid == lsid && r->namelen == len && memcmp(r->name, name, len) == 0)
			return r;
	return NULL;
}

static inline struct lw_res *
chain_head(struct lw_engine *e, uint64_t hash)
{
	return lw_hash_head(e->rtab, hash);
}

struct lw_res *
lw_res_find(struct lw_engine *e, uint16_t lsid, const uint8_t *name, uint8_t len,
	    uint64_t hash)
{
	return lw_res_match(chain_head(e, hash), lsid, name, len);
}

void
lw_res_lookup_bulk(struct lw_engine *e, const uint64_t *hashes, uint32_t n,
		   struct lw_res **heads)
{
	const void *keys[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t hit;

	while (n > 0) {
		uint32_t k = RTE_MIN(n, (uint32_t)RTE_HASH_LOOKUP_BULK_MAX);

		for (uint32_t i = 0; i < k; i++)
			keys[i] = &hashes[i];
		hit = 0;
		if (rte_hash_lookup_bulk_data(e->rtab, keys, k, &hit, (void **)heads) < 0)
			hit = 0;
		for (uint32_t i = 0; i < k; i++) {
			if (!(hit & (1ull << i)))
				heads[i] = NULL;
			else {
				/* name, then the queues: the lines the request reads next */
				rte_prefetch0(heads[i]);
				rte_prefetch0((const char *)heads[i] + RTE_CACHE_LINE_SIZE);
				rte_prefetch0((const char *)heads[i] + 2 * RTE_CACHE_LINE_SIZE);
			}
		}
		hashes += k;
		heads += k;
		n -= k;
	}
}

/* Take r out of the hash table (and its collision chain). */
static void
unhash(struct lw_engine *e, struct lw_res *r)
{
	struct lw_res *head = chain_head(e, r->hash), **pp;

	if (head == r) {
		lw_hash_set_head(e->rtab, r->hash, r->hnext);
	} else {
		for (pp = &head->hnext; *pp != NULL; pp = &(*pp)->hnext) {
			if (*pp == r) {
				*pp = r->hnext;
				break;
			}
		}
	}
	r->resident = 0;
	r->hnext = NULL;
}

static struct lw_res *
take_record(struct lw_engine *e)
{
	struct lw_res *r = e->res_free;

	if (r != NULL) {
		e->res_free = r->hnext;
		return r;
	}
	/*
	 * The idle list is lazy: resources busy again are dropped from it
	 * here; one whose REQUEST is still at its master waits at the tail.
	 */
	for (uint32_t budget = e->conf.max_resources; budget > 0; budget--) {
		r = TAILQ_FIRST(&e->idle);
		if (r == NULL)
			break;
		TAILQ_REMOVE(&e->idle, r, idle);
		r->on_idle = 0;
		if (r->nlocks != 0)
			continue;
		if (lw_shadow_evictable(e, r))
			goto found;
		TAILQ_INSERT_TAIL(&e->idle, r, idle);
		r->on_idle = 1;
	}
	return NULL;
found:
	lw_shadow_evict(e, r);
	if (r->on_cached) {
		TAILQ_REMOVE(&e->cached, r, cached);
		r->on_cached = 0;
	}
	unhash(e, r);
	e->st.res_reclaimed++;
	e->st.res_resident--;
	return r;
}

struct lw_res *
lw_res_get(struct lw_engine *e, uint16_t lsid, const uint8_t *name, uint8_t len,
	   uint64_t hash)
{
	struct lw_res *head = chain_head(e, hash), *r;

	r = lw_res_match(head, lsid, name, len);
	if (r != NULL)
		return r;
	r = take_record(e);
	if (r == NULL)
		return NULL;
	/* The eviction may have changed the chain we looked at. */
	head = chain_head(e, hash);
	r->hash = hash;
	r->lsid = lsid;
	r->namelen = len;
	memcpy(r->name, name, len);
	r->nlocks = 0;
	lw_lockq_init(&r->q);
	r->lvb_valid = 1;
	memset(r->lvb, 0, sizeof(r->lvb));
	lw_shadow_init_res(e, r);
	r->hnext = head;
	if (lw_hash_set_head(e->rtab, hash, r) < 0) {
		r->hnext = e->res_free;
		e->res_free = r;
		return NULL;
	}
	r->resident = 1;
	/* Idle until a lock attaches: keeps the accounting in one place. */
	TAILQ_INSERT_TAIL(&e->idle, r, idle);
	r->on_idle = 1;
	e->st.res_created++;
	e->st.res_resident++;
	return r;
}

/*
 * A resource stays on the idle list while busy (take_record skips it), so
 * the hot path neither unlinks it nor touches its neighbours.
 */
void
lw_res_attach(struct lw_engine *e, struct lw_res *r)
{
	(void)e;
	r->nlocks++;
}

void
lw_res_detach(struct lw_engine *e, struct lw_res *r)
{
	if (--r->nlocks == 0 && !r->on_idle) {
		TAILQ_INSERT_TAIL(&e->idle, r, idle);
		r->on_idle = 1;
	}
}

void
lw_res_purge_ls(struct lw_engine *e, uint16_t lsid)
{
	struct lw_res *r, *next;

	for (r = TAILQ_FIRST(&e->idle); r != NULL; r = next) {
		next = TAILQ_NEXT(r, idle);
		if (r->lsid != lsid || r->nlocks != 0)
			continue;
		TAILQ_REMOVE(&e->idle, r, idle);
		r->on_idle = 0;
		if (r->on_cached) {
			TAILQ_REMOVE(&e->cached, r, cached);
			r->on_cached = 0;
		}
		unhash(e, r);
		r->hnext = e->res_free;
		e->res_free = r;
		e->st.res_resident--;
	}
}
