/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine_priv.h — the layout of one site's lock table, shared by the files
 * of engine/ and by nothing else.
 */
#ifndef LW_ENGINE_PRIV_H
#define LW_ENGINE_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_common.h>

#include "engine.h"
#include "lockq.h"

struct rte_hash;

/*
 * The COMPLETE of a cancel or timeout that retracted the site's request at
 * the master, held back until the master answers it (shadow.c): with a
 * FORCEUNLOCK, the unlock's COMPLETE follows it.
 */
struct lw_cxl {
	uint64_t cookie;              /* the cancelled request's */
	uint64_t ucookie;             /* the FORCEUNLOCK's, when unlock */
	uint32_t lkid;                /* 0: nothing held back */
	uint32_t session;
	int32_t  status;              /* LW_ECANCEL, -ETIMEDOUT */
	int8_t   mode;
	uint8_t  sbflags;
	uint8_t  unlock;
};

/* A resource: (lockspace, name), its queues and its value block. */
struct lw_res {
	uint64_t hash;
	struct lw_res *hnext;         /* same 64-bit hash (collision chain) or free list */
	uint16_t lsid;
	uint8_t  namelen;
	uint8_t  resident;            /* in the hash table */
	uint32_t nlocks;              /* lkbs attached */
	uint8_t  name[LW_RESNAME_MAXLEN];
	struct lw_lockq q;
	TAILQ_ENTRY(lw_res) idle;     /* idle list link (lazy: see res.c) */
	uint8_t  lvb_valid;
	uint8_t  on_idle;             /* on the idle list (possibly busy again since) */
	uint8_t  touched;             /* on a session close's list of resources */
	struct lw_res *tnext;
	/* shadow state (a site of a cluster; single-site engines hold EX) */
	int8_t   held;                /* mode the master granted this site */
	int8_t   bast_target;         /* owed: reduce to at most this (IV: nothing owed) */
	uint8_t  bast_heads;          /* modes (bits) the master's BASTs named since we last gave way */
	uint8_t  inflight;            /* a REQUEST is at the master */
	uint8_t  cancel_sent;         /* ... and a CANCEL of it */
	uint8_t  dl_block;            /* no new REQUEST until the next DOWNGRADE */
	uint16_t master;              /* the site the REQUEST went to */
	uint8_t  redirects;           /* REDIRECTs followed: master is then not the map's */
	uint32_t seq;                 /* the master's number last seen */
	uint32_t trigger;             /* lkid whose request is at the master */
	uint64_t idle_since;
	TAILQ_ENTRY(lw_res) cached;   /* on the site's list of unused held modes (lazy) */
	uint8_t  on_cached;
	uint32_t lvbseq;              /* version of the value in lvb */
	uint8_t  lvb_dirty;           /* written here since that version */
	uint8_t  lvb[LW_LVB_LEN];
	struct lw_cxl cxl;            /* a cancel's COMPLETE waiting for the master */
} __rte_cache_aligned;

/* A client lock. The queue entry comes first so lockq callbacks can cast. */
struct lw_lkb {
	struct lw_qent q;
	struct lw_res *res;
	uint32_t lkid;                /* 0 while free */
	uint32_t session;             /* 0: orphan */
	uint64_t xid;
	uint64_t cookie;              /* latest LOCK / CONVERT request's cookie */
	uint64_t deadline;            /* TIMEOUT deadline while on the timer heap */
	uint32_t tslot;               /* heap index + 1, 0 when no timer */
	int32_t  priority;
	uint32_t next_free;           /* free list (index + 1, 0 ends it) */
	uint8_t  gen;                 /* generation of this slot, 1..127 */
	uint8_t  persistent;
	uint16_t lsid;
	uint8_t  nq;                  /* NOQUEUE, asked of the master: its DENY ends it */
	uint8_t  nqbast;              /* ... with NOQUEUEBAST */
	uint8_t  held_back;           /* gone, but its COMPLETE waits in res->cxl: id kept */
	TAILQ_ENTRY(lw_lkb) slink;    /* session's list, or the orphan list */
	uint8_t  lvb[LW_LVB_LEN];     /* value to write when a PW/EX conversion is granted */
};

TAILQ_HEAD(lw_lkb_list, lw_lkb);

struct lw_session {
	struct lw_lkb_list locks;
	uint32_t nlocks;
	uint8_t  open;
	uint8_t  gen;
};

struct lw_lspace {
	uint32_t gid;                 /* lw_ls_gid(name): the hash key of its resources */
	uint8_t  name[LW_LSNAME_MAXLEN];
	uint8_t  namelen;
	uint8_t  used;
	uint32_t opens;
	uint32_t nlocks;
};

TAILQ_HEAD(lw_res_list, lw_res);

struct lw_engine {
	struct lw_engine_conf conf;
	/* resources */
	struct rte_hash *rtab;
	struct lw_res *res;
	struct lw_res *res_free;
	struct lw_res_list idle;
	/* locks */
	struct lw_lkb *lkbs;
	uint32_t lkb_free;
	struct lw_lkb_list orphans;
	/* sessions, lockspaces */
	struct lw_session *sess;
	struct lw_lspace *ls;
	/* TIMEOUT timers: a binary min-heap on deadline */
	struct lw_lkb **heap;
	uint32_t nheap;
	struct lw_site *site;         /* the cluster site this table is the shadow side of */
	struct lw_res_list cached;    /* shadows that held a mode unused, oldest first */
	/* the call in progress */
	struct lw_evbuf *out;
	uint32_t mute_sid;            /* a session being closed: no events for it */
	struct lw_engine_stats st;
	char name[32];
};

/* res.c: rte_hash keyed by a 64-bit resource hash, data = head of a collision chain */
struct rte_hash *lw_hash_create(const char *prefix, const char *name, uint32_t entries,
				int socket_id);
void *lw_hash_head(const struct rte_hash *h, uint64_t hash);
int  lw_hash_set_head(struct rte_hash *h, uint64_t hash, void *head);  /* NULL: drop the key */

/* res.c */
int  lw_res_table_init(struct lw_engine *e);
void lw_res_table_fini(struct lw_engine *e);
struct lw_res *lw_res_find(struct lw_engine *e, uint16_t lsid, const uint8_t *name,
			   uint8_t len, uint64_t hash);
struct lw_res *lw_res_get(struct lw_engine *e, uint16_t lsid, const uint8_t *name,
			  uint8_t len, uint64_t hash);
void lw_res_lookup_bulk(struct lw_engine *e, const uint64_t *hashes, uint32_t n,
			struct lw_res **heads);
struct lw_res *lw_res_match(struct lw_res *head, uint16_t lsid, const uint8_t *name,
			    uint8_t len);
void lw_res_attach(struct lw_engine *e, struct lw_res *r);
void lw_res_detach(struct lw_engine *e, struct lw_res *r);
void lw_res_purge_ls(struct lw_engine *e, uint16_t lsid);

/* lkb.c */
int  lw_lkb_pool_init(struct lw_engine *e);
void lw_lkb_pool_fini(struct lw_engine *e);
struct lw_lkb *lw_lkb_alloc(struct lw_engine *e);
void lw_lkb_free(struct lw_engine *e, struct lw_lkb *lkb);
struct lw_lkb *lw_lkb_find(const struct lw_engine *e, uint32_t lkid);

/* timer.c */
int  lw_timer_init(struct lw_engine *e);
void lw_timer_fini(struct lw_engine *e);
void lw_timer_add(struct lw_engine *e, struct lw_lkb *lkb, uint64_t deadline);
void lw_timer_del(struct lw_engine *e, struct lw_lkb *lkb);
struct lw_lkb *lw_timer_peek(const struct lw_engine *e);

/* shadow.c (no-ops for a single-site engine) */
void lw_shadow_init_res(struct lw_engine *e, struct lw_res *r);
void lw_shadow_site_update(struct lw_engine *e, struct lw_res *r);
bool lw_shadow_can_ask(struct lw_engine *e, struct lw_res *r);
bool lw_shadow_evictable(struct lw_engine *e, struct lw_res *r);
void lw_shadow_evict(struct lw_engine *e, struct lw_res *r);
void lw_shadow_site_granted(struct lw_engine *e, struct lw_lkb *lkb);
void lw_shadow_release_idle(struct lw_engine *e, uint64_t now, uint64_t idle_ns);
bool lw_shadow_hold_cancel(struct lw_engine *e, const struct lw_lkb *lkb, int status);
bool lw_shadow_hold_unlock(struct lw_res *r, const struct lw_lkb *lkb, uint64_t cookie);

/* session.c */
struct lw_session *lw_session_get(struct lw_engine *e, uint32_t sid);  /* open ones only */
struct lw_session *lw_session_slot(struct lw_engine *e, uint32_t sid);  /* sid known valid */

/* lock.c */
extern const struct lw_lockq_ops lw_engine_qops;
void lw_lock_cancel_pending(struct lw_engine *e, struct lw_lkb *lkb, int status, bool notify);
void lw_lock_destroy(struct lw_engine *e, struct lw_lkb *lkb);
void lw_lock_free_held_back(struct lw_engine *e, uint32_t lkid);
void lw_lock_emit_complete(struct lw_engine *e, const struct lw_lkb *lkb, uint32_t session,
			   int status, int mode, uint8_t sbflags, uint64_t cookie);

/* After any change to r's local queues: what the site must ask or give back. */
static inline void
lw_shadow_update(struct lw_engine *e, struct lw_res *r)
{
	if (e->site != NULL)
		lw_shadow_site_update(e, r);
}

/* A local lock was granted (counts local / remote grants at a site). */
static inline void
lw_shadow_granted(struct lw_engine *e, struct lw_lkb *lkb)
{
	lkb->nq = 0;
	if (e->site != NULL)
		lw_shadow_site_granted(e, lkb);
}

/* The lock's cancel or timeout has not completed: its COMPLETE waits for the master. */
static inline bool
lw_shadow_cancelling(const struct lw_lkb *lkb)
{
	return lkb->res->cxl.lkid == lkb->lkid && lkb->res->cxl.session == lkb->session;
}

static inline struct lw_lkb *
lkb_of(struct lw_qent *q)
{
	return (struct lw_lkb *)q;
}

#endif /* LW_ENGINE_PRIV_H */
