/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * site.h — one site of a cluster: the shadow side (local clients' locks,
 * the modes the masters granted this site) and the master side (the
 * resources of the buckets this site masters), sans-IO.
 *
 * DESIGN
 * A site is (node, worker). Clients talk only to their site: a request is
 * granted with no message when the mode the site holds on the resource
 * covers it and local order allows; otherwise the site sends REQUEST to the
 * resource's master site and queues the lock. Masters grant modes to sites,
 * queue sites with the same algorithm (engine/lockq.c), and send BAST to
 * holding sites that block the head request; a site under a BAST stops
 * granting above the target, tells its local holders, and sends DOWNGRADE as
 * soon as its local locks fit. Modes stay cached at the site after local
 * unlocks until a BAST, an idle timeout or table pressure releases them.
 * docs/protocol.md has the rules.
 *
 * Inputs: client requests (lw_site_submit), messages from other sites
 * (lw_site_receive), time (lw_site_tick). Outputs: client events and
 * messages to send, appended to a struct lw_site_out. Messages a site sends
 * to itself (it masters a resource it also uses) are handled inside the call
 * and never appear in the output. The caller must deliver messages between
 * two sites exactly once and in order (pktio or the simulator does).
 *
 * One thread owns a site. Nothing here does I/O or reads a clock.
 */
#ifndef LW_SITE_H
#define LW_SITE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "msg.h"

#define LW_BUCKETS        4096u
#define LW_MAX_NODES      255u
#define LW_MAX_SITES      256u   /* sites in one map */

/** Site id: node (1..255) and worker (0..31). */
static inline uint16_t
lw_site_id(unsigned int node, unsigned int worker)
{
	return (uint16_t)(node << 5 | worker);
}

static inline unsigned int lw_site_node(uint16_t site) { return site >> 5; }
static inline unsigned int lw_site_worker(uint16_t site) { return site & 31u; }

/** The bucket map: which site masters each bucket; versioned by epoch. */
struct lw_map {
	uint32_t epoch;
	uint16_t nsites;
	uint16_t sites[LW_MAX_SITES];     /**< the sites of the view, ascending */
	uint16_t bucket[LW_BUCKETS];      /**< bucket -> master site */
};

/** Static hashing: bucket b goes to sites[b % n] (sites sorted first). @return 0 or -EINVAL. */
int lw_map_static(struct lw_map *m, uint32_t epoch, const uint16_t *sites, unsigned int n);

/** The bucket of a resource hash. */
static inline uint32_t
lw_bucket_of(uint64_t hash)
{
	return (uint32_t)(hash >> 52) & (LW_BUCKETS - 1);
}

/** The 32-bit cluster-wide id of a lockspace name (what messages carry). */
uint32_t lw_ls_gid(const void *name, size_t len);

struct lw_site_conf {
	struct lw_engine_conf engine;   /**< the local lock table; engine.worker is the site's worker */
	unsigned int node;              /**< 1..255 */
	uint32_t max_master_resources;  /**< default 65536 */
	uint32_t max_master_holders;    /**< site holdings at this master; default 4 x resources */
	uint64_t cache_idle_ns;         /**< release a cached mode unused this long; 0 = keep */
};

/** Where a site's outputs go; the caller drains both after each call. */
struct lw_site_out {
	struct lw_evbuf ev;             /**< client events (COMPLETE, BLOCKING) */
	struct lw_msgbuf msg;           /**< messages to other sites */
};

int  lw_site_out_init(struct lw_site_out *o);
void lw_site_out_fini(struct lw_site_out *o);

struct lw_site_stats {
	struct lw_engine_stats engine;  /**< the local table */
	uint64_t tx[LW_MSG_NTYPES];     /**< messages sent, by type (self ones too) */
	uint64_t rx[LW_MSG_NTYPES];     /**< messages received, by type */
	uint64_t local_grants;          /**< grants with no message */
	uint64_t remote_grants;         /**< grants that needed a master */
	uint64_t drops_bad;             /**< malformed messages dropped */
	uint64_t drops_stale;           /**< DOWNGRADEs that crossed a GRANT */
	uint64_t drops_unknown;         /**< messages about state we do not have */
	uint64_t master_resources;      /**< resident master resources */
	uint64_t lamport;               /**< logical clock now */
	uint64_t lamport_high;          /**< highest time seen in a message */
};

/** NULL with errno (EINVAL, ENOMEM). The map is copied. */
struct lw_site *lw_site_create(const struct lw_site_conf *conf, const struct lw_map *map);
void lw_site_free(struct lw_site *s);

uint16_t lw_site_self(const struct lw_site *s);

/** Lockspaces and sessions, as lw_engine_* (lockspaces are named cluster-wide). */
int lw_site_ls_open(struct lw_site *s, const void *name, size_t len, uint16_t *lsid);
int lw_site_session_open(struct lw_site *s, uint32_t *sid);
int lw_site_session_close(struct lw_site *s, uint32_t sid, uint64_t now, struct lw_site_out *out);

/** Client requests, exactly as lw_engine_submit (rc, lkid, one COMPLETE each). */
uint32_t lw_site_submit(struct lw_site *s, struct lw_req *reqs, uint32_t n, uint64_t now,
			struct lw_site_out *out);

/** Messages addressed to this site, in the order they arrived. @return n. */
uint32_t lw_site_receive(struct lw_site *s, const struct lw_msg *msgs, uint32_t n,
			 uint64_t now, struct lw_site_out *out);

/** Timers: TIMEOUT requests, idle cached modes. */
uint32_t lw_site_tick(struct lw_site *s, uint64_t now, struct lw_site_out *out);

/** Earliest time lw_site_tick has work (UINT64_MAX: none). */
uint64_t lw_site_next_deadline(const struct lw_site *s);

void lw_site_get_stats(const struct lw_site *s, struct lw_site_stats *st);

/** The local table (lock info, LVB of the site's copy, consistency check). */
struct lw_engine *lw_site_engine(struct lw_site *s);

/** The mode this site holds on a resource (LW_LOCK_IV: none / not resident). */
int lw_site_held(struct lw_site *s, uint16_t lsid, const void *name, size_t len);

/** Internal consistency of both sides. @return 0 or -EFAULT (message on stderr). */
int lw_site_check(struct lw_site *s);

#endif /* LW_SITE_H */
