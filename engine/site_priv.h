/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * site_priv.h — the layout of a site (shadow side in struct lw_engine,
 * master side here), shared by shadow.c, master.c and site.c only.
 */
#ifndef LW_SITE_PRIV_H
#define LW_SITE_PRIV_H

#include "engine_priv.h"
#include "msg.h"
#include "site.h"

/* A site's holding at a master: queued by the same algorithm as client locks. */
struct lw_mhold {
	struct lw_qent q;
	struct lw_mres *res;
	struct lw_mhold *next;        /* the resource's holders, or the free list */
	uint32_t seq;                 /* GRANTs sent to this site for this resource */
	uint16_t site;
	int8_t   sent_target;         /* target of the BAST in force (IV: none) */
};

/* A resource this site masters. */
struct lw_mres {
	uint64_t hash;
	struct lw_mres *hnext;        /* collision chain, or free list */
	uint32_t gid;
	uint8_t  namelen;
	uint8_t  resident;
	uint8_t  on_idle;
	uint8_t  lvb_valid;
	uint8_t  rebuilt;             /* made by a REPORT: its LVB is decided at resume */
	uint8_t  lvb_given;           /* rebuilt: its last writer, since lost, gave the value back */
	uint32_t nholders;
	uint32_t lvbseq;
	uint8_t  name[LW_RESNAME_MAXLEN];
	struct lw_lockq q;
	struct lw_mhold *holders;
	TAILQ_ENTRY(lw_mres) idle;
	uint8_t  lvb[LW_LVB_LEN];
} __rte_cache_aligned;

TAILQ_HEAD(lw_mres_list, lw_mres);

#define LW_SITE_IDS 8192u             /* site ids: node (8 bits) << 5 | worker */
#define BITS_WORDS(n) (((n) + 63u) / 64u)

static inline bool
bit_get(const uint64_t *w, unsigned int i)
{
	return (w[i / 64] >> (i % 64)) & 1u;
}

static inline void
bit_set(uint64_t *w, unsigned int i)
{
	w[i / 64] |= 1ull << (i % 64);
}

static inline void
bit_clr(uint64_t *w, unsigned int i)
{
	w[i / 64] &= ~(1ull << (i % 64));
}

/* Recovery state (recover.c); docs/recovery.md. */
struct lw_rec {
	uint64_t lease_until;         /* UINT64_MAX: no lease */
	uint64_t fence_until;         /* lost sites' holdings go at this time */
	uint8_t  fenced;              /* lost the lease: grants nothing until a view */
	uint8_t  purge_due;           /* lost sites' granted holdings wait for fence_until */
	uint32_t nfrozen;
	uint32_t nunsettled;
	uint64_t insite[BITS_WORDS(LW_SITE_IDS)];     /* the sites of the map */
	uint64_t lost[BITS_WORDS(LW_SITE_IDS)];       /* sites whose holdings are to purge */
	uint64_t done[BITS_WORDS(LW_SITE_IDS)];       /* REPORT_DONE of this epoch came */
	uint64_t kept_src[BITS_WORDS(LW_SITE_IDS)];   /* sources with messages in futureq */
	uint64_t frozen[BITS_WORDS(LW_BUCKETS)];      /* buckets here waiting to resume */
	uint64_t unsettled[BITS_WORDS(LW_BUCKETS)];   /* buckets whose master has not RESUMED */
	uint32_t unsettled_epoch[LW_BUCKETS];         /* the view that unsettled each */
	uint32_t moved_epoch[LW_BUCKETS];             /* the view that last gave each a new master */
	uint64_t lvb_lost[BITS_WORDS(LW_BUCKETS)];    /* buckets that once lost their master */
	struct lw_msgbuf frozenq;     /* REQUEST/DOWNGRADE/CANCEL for frozen buckets */
	struct lw_msgbuf futureq;     /* messages of a view not applied yet */
	struct lw_rec_info ri;        /* counters */
};

struct lw_site {
	struct lw_engine *e;          /* shadows and clients */
	uint16_t self;
	struct lw_map map;
	uint64_t cache_idle_ns;
	uint64_t lamport;
	uint64_t lamport_high;
	/* master side */
	struct rte_hash *mtab;
	struct lw_mres *mres;
	struct lw_mres *mres_free;
	struct lw_mres_list midle;
	uint32_t max_mres;
	struct lw_mhold *mholds;
	struct lw_mhold *mhold_free;
	uint32_t max_mholds;
	/* messages to this site itself, handled before a call returns */
	struct lw_msgbuf selfq;
	uint32_t self_head;
	/* the call in progress */
	struct lw_site_out *out;
	uint64_t now;
	uint8_t granting_remote;      /* grants now come from a master's GRANT */
	uint32_t nheld;               /* shadows holding a mode (idle release may be due) */
	uint64_t last_tick;
	struct lw_site_stats st;
	struct lw_rec rec;
	char name[32];
};

static inline bool
lw_rec_frozen(const struct lw_site *s, uint32_t bucket)
{
	return s->rec.nfrozen != 0 && bit_get(s->rec.frozen, bucket);
}

static inline bool
lw_site_in_map(const struct lw_site *s, uint16_t site)
{
	return site < LW_SITE_IDS && bit_get(s->rec.insite, site);
}

/* site.c */
struct lw_msg *lw_site_msg(struct lw_site *s, int type, uint16_t dst);
void lw_site_dispatch(struct lw_site *s, const struct lw_msg *m);
void lw_site_begin(struct lw_site *s, uint64_t now, struct lw_site_out *out);
void lw_site_end(struct lw_site *s);

/* master.c */
int  lw_master_init(struct lw_site *s, uint32_t nres, uint32_t nholds);
void lw_master_fini(struct lw_site *s);
void lw_master_receive(struct lw_site *s, const struct lw_msg *m);
int  lw_master_check(struct lw_site *s);
void lw_master_receive_report(struct lw_site *s, const struct lw_msg *m);
void lw_master_drop_lost(struct lw_site *s, const uint64_t *lost, bool granted);
void lw_master_drop_buckets(struct lw_site *s, const uint64_t *buckets);
void lw_master_hand_over(struct lw_site *s, const uint64_t *buckets);
void lw_master_resume(struct lw_site *s, const uint64_t *buckets);
void lw_master_absorb_lost(struct lw_site *s, const struct lw_msg *m);
void lw_master_reset(struct lw_site *s);

/* shadow.c */
void lw_shadow_receive(struct lw_site *s, const struct lw_msg *m);
uint16_t lw_shadow_master(const struct lw_site *s, const struct lw_res *r);
void lw_shadow_forget(struct lw_site *s, struct lw_res *r, bool fence);
void lw_shadow_report(struct lw_site *s, struct lw_res *r);
void lw_shadow_release_held(struct lw_engine *e, struct lw_res *r);

/* recover.c */
int  lw_rec_init(struct lw_site *s);
void lw_rec_fini(struct lw_site *s);
void lw_rec_set_map(struct lw_site *s, const struct lw_map *map);
bool lw_rec_keep(struct lw_site *s, const struct lw_msg *m);
bool lw_rec_keep_frozen(struct lw_site *s, const struct lw_msg *m);
bool lw_rec_stale_to_master(struct lw_site *s, const struct lw_msg *m);
bool lw_rec_stale_to_shadow(struct lw_site *s, const struct lw_msg *m, uint16_t master);
void lw_rec_receive(struct lw_site *s, const struct lw_msg *m);
bool lw_rec_poll(struct lw_site *s);
void lw_rec_fence(struct lw_site *s);
uint64_t lw_rec_deadline(const struct lw_site *s);

#endif /* LW_SITE_PRIV_H */
