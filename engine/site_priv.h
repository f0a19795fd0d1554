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
	uint32_t nholders;
	uint32_t lvbseq;
	uint8_t  name[LW_RESNAME_MAXLEN];
	struct lw_lockq q;
	struct lw_mhold *holders;
	TAILQ_ENTRY(lw_mres) idle;
	uint8_t  lvb[LW_LVB_LEN];
} __rte_cache_aligned;

TAILQ_HEAD(lw_mres_list, lw_mres);

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
	char name[32];
};

/* site.c */
struct lw_msg *lw_site_msg(struct lw_site *s, int type, uint16_t dst);

/* master.c */
int  lw_master_init(struct lw_site *s, uint32_t nres, uint32_t nholds);
void lw_master_fini(struct lw_site *s);
void lw_master_receive(struct lw_site *s, const struct lw_msg *m);
int  lw_master_check(struct lw_site *s);

/* shadow.c */
void lw_shadow_receive(struct lw_site *s, const struct lw_msg *m);

#endif /* LW_SITE_PRIV_H */
