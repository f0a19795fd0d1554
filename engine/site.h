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

/**
 * The map of a view from its owner table, the same at every node. sites:
 * every configured site (all nodes, all workers; any order); the home site
 * of a bucket is lw_map_static's over them. A bucket stays at its home site
 * when owner[home node] is that node, else goes to the owner node's site
 * number (home worker % its site count) among that node's configured
 * sites, ascending. m->sites: the configured sites of member nodes
 * (members: bit = node id). @return 0; -EINVAL: bad sites (see
 * lw_map_static), an owner that is not a member or has no site, a member
 * with no configured site; -ENOMEM.
 */
int lw_map_from_owners(struct lw_map *m, uint32_t epoch, const uint16_t *sites, unsigned int n,
		       const uint8_t owner[256], const uint64_t members[4]);

/**
 * The map of a member set, the same at every node whatever views it saw
 * before. sites: every configured site (all nodes, all workers; any
 * order); the home site of a bucket is lw_map_static's over them. A bucket
 * whose home site's node is a member stays there; any other goes to the
 * member site that ranks highest for it (a hash of bucket and site), so a
 * node that joins gets its home buckets back and one that leaves moves
 * only its home buckets and those it was substituting for. m->sites: the
 * configured sites of member nodes, ascending (members: bit = node id).
 * @return 0; -EINVAL: NULL, bad sites (see lw_map_static), a member with
 * no configured site, no member with a site; -ENOMEM. On error *m is zeroed.
 */
int lw_map_for_members(struct lw_map *m, uint32_t epoch, const uint16_t *sites, unsigned int n,
		       const uint64_t members[4]);

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
	uint64_t drops_stale;           /**< DOWNGRADEs that crossed a GRANT; messages of before a bucket moved */
	uint64_t drops_unknown;         /**< messages about state we do not have */
	uint64_t drops_nodest;          /**< messages to sites not in the map, not sent */
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

/*
 * Views and recovery (engine/recover.c). docs/recovery.md has the rules.
 *
 * The membership layer (recovery/membership.h) decides views; a site only
 * applies them. lw_site_view_change(new map, lost nodes, fence time):
 *   - Any bucket may move, between live sites too (lw_map_for_members
 *     gives a rejoining node its home buckets back). A bucket "moved" when
 *     its master in the new map differs from the old one, or the old one
 *     was lost; messages about it sent before that view are stale.
 *   - Old master of a moved bucket, alive (this site): its master state
 *     for the bucket (holdings, queues, kept messages) is dropped at once,
 *     nothing is sent for it but the LVBs (a REPORT of mode IV per resource
 *     with a value, to the new master); it grants no more there.
 *   - Shadow side: for every shadow resource whose master changed (the
 *     map's, the one a REDIRECT named, or the one its request went to:
 *     lost, or not the master now), the request in flight is forgotten (a
 *     cancel, timeout or force-unlock held for it completes), any BAST
 *     state is dropped, and REPORT(held, seq, LVB) goes to the bucket's new
 *     master when a mode is held (a REPORT of mode IV with the LVB when
 *     none is held but the site has a copy of a value); then
 *     REPORT_DONE(epoch) to every other site of the new map (and itself),
 *     and the lock asks the new master again as usual (the master keeps
 *     the REQUEST until it resumes). A bucket stays "unsettled" at the
 *     shadow until RESUMED from its master; a later view change reports
 *     the unsettled buckets again (REPORT replaces the holding: it is
 *     idempotent).
 *   - Stale messages (drops_stale): REQUEST, DOWNGRADE, CANCEL, REPORT
 *     sent before the bucket last moved here, or of an older epoch to a
 *     site that does not master the bucket; GRANT, DENY, BAST, REDIRECT
 *     sent before the bucket last moved here, or of an older epoch from a
 *     site that is not the resource's master. Their senders' state moved
 *     on with the view (they report and ask again).
 *   - Master side, buckets that stay: the lost sites' waiting requests and
 *     pending conversions are dropped at once; their granted holdings stay
 *     (they still block conflicting grants) until fence_until, when they
 *     are purged, the LVB is marked invalid where one was PW or EX, and
 *     what they blocked is granted.
 *   - Master side, buckets moved here: frozen. REPORTs rebuild the site
 *     holdings (grmode = held, seq as reported); REQUEST, DOWNGRADE and
 *     CANCEL for a frozen bucket are kept, in arrival order, until resume.
 *     Resume comes when REPORT_DONE of the current epoch arrived from
 *     every site of the map (the old master's included, sent once it
 *     stopped granting) and now >= fence_until (0 when the view lost
 *     nobody and no purge is due: a live move waits for no lease; one
 *     fence_until for all frozen buckets): each rebuilt resource
 *     takes the LVB with the highest lvbseq among the copies reported (a
 *     valid one over an invalid one of the same lvbseq: a writer's
 *     invalidation has a higher lvbseq and wins), valid only if it is
 *     valid and some reporter holds CW, PR, PW or EX (no writer could have
 *     run since its grant); invalid otherwise. Then the
 *     kept messages run in order, and RESUMED(epoch) goes to every site.
 *     A resource nobody reported, made later in a bucket that ever moved
 *     away from a lost master (or at a site that restarted), starts with
 *     a value that is not valid until a writer writes one.
 *   - A newer view during recovery restarts it: frozen buckets stay frozen,
 *     the holdings rebuilt so far stay (reports are idempotent, lost sites
 *     are purged as anywhere), and REPORT_DONE of the new epoch is awaited.
 *     Lost sites of several views are purged together, at the latest
 *     fence_until. A lost site back in the map (a new incarnation, which
 *     fenced itself first) loses its old holdings at once.
 *   - Messages: to a site not in the map: not sent (counted in drops_nodest);
 *     from a site not in the map: dropped (drops_bad). A message whose epoch
 *     is newer than the site's map is kept until the site applies that
 *     view (with every later message from the same site, to keep order).
 *
 * Leases: lw_site_set_lease(until) (default UINT64_MAX: no lease). When an
 * entry point is called with now >= until, the site fences itself first:
 * every local lock ends with one COMPLETE of status -ENOLCK and mode IV
 * (granted, converting or waiting: the lock is gone; a cancel or unlock
 * held back completes as it would have), orphans are dropped, every held
 * mode is forgotten, the master table and kept messages are emptied,
 * nothing is sent, and every later request is refused with rc -ENOLCK.
 * Sessions and lockspaces stay open. The next view change (the node
 * rejoined as a new incarnation) is taken as it is, with no checks on
 * moved buckets, and the site starts again, empty, with no lease limit
 * until lw_site_set_lease; every bucket it masters in that view is frozen
 * until REPORT_DONE of the epoch came from every site. Messages that reach
 * a fenced site are dropped (drops_bad). lw_site_fence() fences at once.
 */

/** One view change, as a site applies it. */
struct lw_view_change {
	const struct lw_map *map;     /**< the new map; epoch above the site's */
	uint64_t lost[4];             /**< nodes gone since the site's map (bit = node id) */
	uint64_t fence_until;         /**< lost nodes' leases have surely run out at this time */
};

/**
 * Apply a view. @return 0; -ESTALE: epoch not above the site's;
 * -EINVAL: NULL, a bucket given to a site not in the map, this site
 * missing from the map or its own node lost, a malformed map (sites not
 * ascending, node 0); -ENOMEM.
 * On error nothing changed (but an expired lease still fences the site).
 */
int lw_site_view_change(struct lw_site *s, const struct lw_view_change *vc, uint64_t now,
			struct lw_site_out *out);

/** The site may grant until this time (its lease); UINT64_MAX: always. */
void lw_site_set_lease(struct lw_site *s, uint64_t until);

/** Fence now (see above). @return how many locks and requests ended with -ENOLCK. */
uint32_t lw_site_fence(struct lw_site *s, uint64_t now, struct lw_site_out *out);

/** Recovery phases of a site. */
enum lw_rec_phase {
	LW_REC_STABLE = 0,   /**< nothing frozen, nothing to purge */
	LW_REC_REBUILD,      /**< moved buckets frozen: waiting for REPORT_DONEs */
	LW_REC_FENCE,        /**< waiting out lost nodes' leases (purge, resume) */
	LW_REC_FENCED,       /**< this site lost its lease: it grants nothing */
};

/** "stable", "rebuild", "fence", "fenced"; "?" out of range. */
const char *lw_rec_phase_name(int phase);

struct lw_rec_info {
	uint32_t epoch;              /**< the map's */
	uint8_t  phase;              /**< enum lw_rec_phase */
	uint8_t  rsvd[3];
	uint32_t frozen_buckets;     /**< buckets this site masters that are frozen */
	uint32_t unsettled_buckets;  /**< buckets whose master has not sent RESUMED yet */
	uint32_t done_missing;       /**< sites whose REPORT_DONE of this epoch has not come */
	uint32_t kept_msgs;          /**< messages kept (frozen buckets, newer epochs) */
	uint64_t fence_until;
	uint64_t lease_until;
	uint64_t views;              /**< view changes applied */
	uint64_t reports_tx, reports_rx;
	uint64_t purged;             /**< lost sites' holdings and requests purged */
	uint64_t lvb_invalidated;
	uint64_t resends;            /**< requests asked again of a new master */
	uint64_t fenced;             /**< times this site fenced itself */
	uint64_t revoked;            /**< locks and requests ended with -ENOLCK */
	uint64_t last_resume_ns;     /**< now of the last resume (0: none) */
};

void lw_site_rec_info(const struct lw_site *s, struct lw_rec_info *ri);

/*
 * Introspection (engine/inspect.c), for telemetry (/lockwire/resource) and
 * lwctl (resource, lockdump). Read-only: these calls change nothing at the
 * site (no LRU order, no eviction, no message, no counter). Like every
 * lw_site_* call they belong to the thread that owns the site; a telemetry
 * thread must ask that thread, not call them itself.
 */

#define LW_INFO_MAX_LOCKS   64u   /**< local locks listed in one struct lw_res_info */
#define LW_INFO_MAX_HOLDERS 64u   /**< site holdings listed in one struct lw_res_info */

/** Where a resource is resident at this site (bits). */
#define LW_RES_SHADOW 0x01u       /**< in the local table (clients' locks, held mode) */
#define LW_RES_MASTER 0x02u       /**< in this site's master table */

/** A site's holding at the master (this site masters the resource). */
struct lw_holder_info {
	uint16_t site;          /**< the holding site's id */
	int8_t   grmode;        /**< mode granted to it (IV: none yet) */
	int8_t   rqmode;        /**< mode its pending request wants (IV: none pending) */
	uint8_t  state;         /**< LW_QS_* of engine/lockq.h; lw_qstate_name() */
	int8_t   bast_target;   /**< target of the BAST in force (IV: none sent) */
	int8_t   highbast;      /**< strongest mode a BAST named since its last grant (IV) */
	uint8_t  rsvd;
	uint32_t seq;           /**< GRANTs sent to it for this resource */
};

/** One resource as this site sees it: its shadow side and, when mastered here, its master side. */
struct lw_res_info {
	uint32_t gid;           /**< the lockspace's cluster-wide id */
	uint16_t lsid;          /**< the local lockspace (0: not open here; master side only) */
	uint8_t  namelen;
	uint8_t  where;         /**< LW_RES_SHADOW | LW_RES_MASTER */
	uint8_t  name[LW_RESNAME_MAXLEN];
	uint64_t hash;          /**< lw_res_hash(gid, name) */
	uint32_t bucket;        /**< lw_bucket_of(hash) */
	uint16_t master;        /**< the site asked: the map's master, or the one a REDIRECT named */
	uint16_t map_master;    /**< the bucket's master in this site's map */

	/* shadow side (where & LW_RES_SHADOW; zero / IV otherwise) */
	int8_t   held;          /**< mode the master granted this site (IV: none) */
	int8_t   ceiling;       /**< no local grant above this */
	int8_t   bast_target;   /**< downgrade owed to at most this (IV: nothing owed) */
	uint8_t  bast_heads;    /**< modes (bit 1 << mode) the BASTs named since we last gave way */
	uint8_t  inflight;      /**< a REQUEST is at the master */
	uint8_t  cancel_sent;   /**< ... and a CANCEL of it */
	uint8_t  dl_block;      /**< no new REQUEST until the next DOWNGRADE (deadlock answered) */
	uint8_t  redirects;     /**< REDIRECTs followed for the request out / the mode held */
	uint16_t rq_site;       /**< inflight: where the REQUEST went */
	int8_t   rq_mode;       /**< inflight: the mode rq_lkid waits for (IV: it waits no more) */
	uint8_t  rsvd1;
	uint32_t rq_lkid;       /**< inflight: the local lock whose request is out */
	uint32_t seq;           /**< the master's GRANT number last seen */
	uint8_t  cached;        /**< holds a mode with no local lock */
	uint8_t  lvb_valid;     /**< the site's copy of the LVB */
	uint8_t  lvb_dirty;     /**< written here since lvbseq */
	uint8_t  rsvd2;
	uint32_t lvbseq;
	uint8_t  lvb[LW_LVB_LEN];
	uint32_t nlocks;        /**< local locks on the queues (may exceed LW_INFO_MAX_LOCKS) */
	uint32_t nlocks_listed; /**< entries of locks[]: granted, converting, waiting, each in queue order */
	struct lw_lock_info locks[LW_INFO_MAX_LOCKS];

	/* master side (where & LW_RES_MASTER; zero otherwise) */
	uint8_t  m_lvb_valid;   /**< the master's LVB */
	uint8_t  rsvd3[3];
	uint32_t m_lvbseq;
	uint8_t  m_lvb[LW_LVB_LEN];
	uint32_t nholders;      /**< sites on the queues (may exceed LW_INFO_MAX_HOLDERS) */
	uint32_t nholders_listed; /**< entries of holders[]: granted, converting, waiting, in order */
	struct lw_holder_info holders[LW_INFO_MAX_HOLDERS];
};

/**
 * Fill *info about (lsid, name) at this site.
 * @return 0; -ENOENT: neither a shadow nor a master resource here (or lsid
 *   is not open); -EINVAL: NULL pointer, lsid 0 or past max_lockspaces,
 *   len 0 or above LW_RESNAME_MAXLEN.
 */
int lw_site_res_info(struct lw_site *s, uint16_t lsid, const void *name, size_t len,
		     struct lw_res_info *info);

/**
 * As lw_site_res_info, by the lockspace's cluster-wide id: also finds
 * master resources of lockspaces not open at this site (info->lsid 0).
 * @return 0; -ENOENT; -EINVAL (NULL pointer, gid 0, bad len).
 */
int lw_site_res_info_gid(struct lw_site *s, uint32_t gid, const void *name, size_t len,
			 struct lw_res_info *info);

/** One open lockspace. */
struct lw_ls_entry {
	uint16_t lsid;
	uint8_t  namelen;
	uint8_t  rsvd;
	uint32_t gid;           /**< lw_ls_gid(name) */
	uint32_t opens;         /**< lw_site_ls_open calls not closed yet */
	uint32_t nlocks;        /**< local locks in it */
	uint8_t  name[LW_LSNAME_MAXLEN];
};

/**
 * The lockspaces open at this site, by ascending lsid: the first max go to
 * out (out may be NULL when max is 0).
 * @return how many are open (more than max: the list was cut); -EINVAL.
 */
int lw_site_ls_list(struct lw_site *s, struct lw_ls_entry *out, unsigned int max);

/** One resident resource, as a lockdump walk returns it. */
struct lw_res_name {
	uint32_t gid;
	uint16_t lsid;          /**< 0: a master resource of a lockspace not open here */
	uint8_t  namelen;
	uint8_t  where;         /**< LW_RES_SHADOW | LW_RES_MASTER */
	uint8_t  name[LW_RESNAME_MAXLEN];
};

/**
 * Walk the resident resources, shadow and master, for a lockdump. Start
 * with *cursor = 0; each call returns up to max names from *cursor and
 * advances it. A resource resident on both sides comes once, with both
 * bits in `where`. The table may change between calls (the walk takes no
 * snapshot): a resource may then be missed or seen twice, but the walk
 * stays safe and ends.
 * @return the count written (0: the walk is over); -EINVAL: NULL pointer or max 0.
 */
int lw_site_res_walk(struct lw_site *s, uint64_t *cursor, struct lw_res_name *out,
		     unsigned int max);

/** The cursor of a walk that is over (lw_site_lockdump). */
#define LW_WALK_END UINT64_MAX

/**
 * One bounded step of a lockdump: look at no more than budget records from
 * *cursor (the order of lw_site_res_walk; start at 0) and describe, in
 * infos, the resources in use there: with local locks on the shadow side,
 * or with site holdings or requests on the master side (a mode only cached
 * here shows as this site's holding at its master). gid != 0 keeps only
 * that lockspace. The step stops after max resources; pos[i] is the cursor
 * of infos[i]'s record, so a caller that keeps only the first k resumes at
 * pos[k]. *cursor advances past the records looked at, to LW_WALK_END when
 * none is left (a cursor past the end is the end too). The walk takes no
 * snapshot: see lw_site_res_walk.
 * @return the count written (0..max); -EINVAL: NULL pointer, budget or max 0.
 */
int lw_site_lockdump(struct lw_site *s, uint64_t *cursor, uint32_t gid, unsigned int budget,
		     struct lw_res_info *infos, uint64_t *pos, unsigned int max);

/** "granted", "converting", "waiting" (LW_QS_*), "none"; "?" out of range. */
const char *lw_qstate_name(int state);

#endif /* LW_SITE_H */
