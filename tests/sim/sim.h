/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim.h — what the files of the deterministic cluster simulator share:
 * the seeded PRNG, the trail (a ring of the last lines of what happened,
 * printed on a violation), a small u64 -> u32 hash map, and the checker
 * (sim_check.c), which looks at every request and event of every site.
 *
 * Nothing here reads a clock or depends on addresses: one seed gives one run.
 */
#ifndef LW_SIM_H
#define LW_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"

/* --- PRNG: xoshiro256** seeded through splitmix64 ------------------------ */

struct sim_rng {
	uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);

/** Uniform in [0, n) (0 when n is 0). */
static inline uint64_t
sim_rng_below(struct sim_rng *r, uint64_t n)
{
	return n == 0 ? 0 : (uint64_t)(((unsigned __int128)sim_rng_next(r) * n) >> 64);
}

/** Uniform in [lo, hi]. */
static inline uint64_t
sim_rng_range(struct sim_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + sim_rng_below(r, hi - lo + 1);
}

/** True with probability ppm / 1e6. */
static inline bool
sim_rng_ppm(struct sim_rng *r, uint32_t ppm)
{
	return sim_rng_below(r, 1000000) < ppm;
}

/* --- trail: the last lines, for violation reports ------------------------ */

#define SIM_TRAIL_LINES 8192u
#define SIM_TRAIL_LEN   200u
#define SIM_NO_RES      UINT32_MAX

void sim_trail_reset(void);
void sim_trail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** A trail line about resource res (so its history can be printed alone). */
void sim_trail_res(uint32_t res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Print the last n lines (oldest first). */
void sim_trail_dump(FILE *f, unsigned int n);
/** Print the last n lines about resource res still in the ring. */
void sim_trail_dump_res(FILE *f, uint32_t res, const char *name, unsigned int n);
/** Non-zero: also print every trail line to stderr as it is added. */
extern int sim_trail_echo;

/** "n3w1" for a site id. */
const char *sim_site_name(uint16_t site, char buf[16]);
/** Flag letters of LW_LKF_* bits, for trail lines. */
const char *sim_flags_str(uint32_t flags, char *buf, size_t len);
/** "0", "EAGAIN", "ECANCEL", ... for a COMPLETE status. */
const char *sim_status_name(int status);
/** NL..EX, IV. */
const char *sim_mode_name(int mode);

/* --- u64 -> u32 map (open addressing; key 0 is never stored) ------------- */

struct sim_map {
	uint64_t *key;
	uint32_t *val;
	uint32_t cap;     /* power of two */
	uint32_t n;
};

int  sim_map_init(struct sim_map *m, uint32_t cap);
void sim_map_fini(struct sim_map *m);
bool sim_map_get(const struct sim_map *m, uint64_t key, uint32_t *val);
/** Insert or replace. @return 0, -1 out of memory. */
int  sim_map_put(struct sim_map *m, uint64_t key, uint32_t val);
bool sim_map_del(struct sim_map *m, uint64_t key);

/* --- modes (the simulator's own tables, independent of engine/mode.c) ---- */

bool sim_compat(int a, int b);     /* IV compatible with all */
bool sim_covers(int a, int b);     /* a at least as strong as b */
int  sim_ceiling(int m);           /* strongest mode compatible with m */
int  sim_meet(int a, int b);       /* strongest mode covered by both */
int  sim_join(int a, int b);       /* weakest mode covering both (IV: identity) */

/* --- checker (sim_check.c) ----------------------------------------------- */

enum sim_viol {
	SV_CONFLICT = 0,   /* incompatible grants on one resource */
	SV_DOUBLE_GRANT,   /* a (site, lkid) granted twice as a new lock */
	SV_COMPLETION,     /* a COMPLETE with no pending request (duplicate, unknown) */
	SV_MISSING,        /* an accepted request never completed */
	SV_LEFT_HELD,      /* locks still granted at the end */
	SV_EVENT,          /* an event that contradicts its request */
	SV_LVB,            /* a value block read that is not the last one written */
	SV_COUNTER,        /* the counter actors' total is wrong */
	SV_SITE_CHECK,     /* lw_site_check failed */
	SV_LIVENESS,       /* stuck: no progress though nothing blocks, or no quiescence */
	SV_REJECT,         /* a valid request refused */
	SV_CACHE,          /* a cached mode never released after the idle time */
	SV_HELD,           /* site held modes: incompatible, or below a local lock */
	SV_BAST,           /* BLOCKING names a mode the lock does not block */
	SV_NKINDS
};

const char *sim_viol_name(int kind);

struct sim_chk;

struct sim_chk *sim_chk_new(void);
void sim_chk_free(struct sim_chk *c);
/** Quiet: count violations without printing them (self-test). */
void sim_chk_set_quiet(struct sim_chk *c, bool quiet);
/** Name resource res (for messages); resources are small integers. */
int  sim_chk_res(struct sim_chk *c, uint32_t res, const char *name);
/** The virtual time of what follows. */
void sim_chk_now(struct sim_chk *c, uint64_t now);
/**
 * A request was submitted to site (req->rc and req->lkid as the site left
 * them). res names the resource of a new lock (ignored otherwise).
 * Requests with rc != 0 change nothing. Accepted CANCELs expect no COMPLETE.
 */
void sim_chk_submit(struct sim_chk *c, uint16_t site, uint32_t res, const struct lw_req *req);
/** An event that came out of site. */
void sim_chk_event(struct sim_chk *c, uint16_t site, const struct lw_event *ev);
/**
 * Liveness: res has pending requests, none of them is blocked by a granted
 * lock anywhere, and nothing changed on res for quiet_ns. Reports an
 * SV_LIVENESS violation and returns true when so.
 */
bool sim_chk_stalled(struct sim_chk *c, uint32_t res, uint64_t quiet_ns);
/** End of a run: nothing may be pending or granted. */
void sim_chk_finish(struct sim_chk *c);
/** Record (and unless quiet, print) a violation found elsewhere. */
/* A checked property of what the sites did: false fails the run (kind: SV_*). */
#define LW_CHECK_EVENTS(c, cond, kind, ...) do {                \
		if (!(cond))                                     \
			sim_chk_fail((c), (kind), __VA_ARGS__);  \
	} while (0)

void sim_chk_fail(struct sim_chk *c, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
unsigned int sim_chk_nviol(const struct sim_chk *c);
/** NL/CR value block reads that were older than the last write (allowed, counted). */
uint64_t sim_chk_stale_weak(const struct sim_chk *c);
unsigned int sim_chk_nkind(const struct sim_chk *c, int kind);
/** Violations reported from now on are about resource res. */
void sim_chk_set_res(struct sim_chk *c, uint32_t res);
/** The resource of the most recent violation (SIM_NO_RES: none known). */
uint32_t sim_chk_viol_res(const struct sim_chk *c);
/** The resource of lock (site, lkid), SIM_NO_RES when unknown. */
uint32_t sim_chk_lock_res(const struct sim_chk *c, uint16_t site, uint32_t lkid);
/**
 * The join of the modes of site's locks on res that held does not cover
 * (NL needs no cover), LW_LOCK_IV when all fit. A lock with a CONVDEADLK
 * conversion pending may have been demoted to NL: it is assumed so, and its
 * COMPLETE must then carry LW_SBF_DEMOTED.
 */
int sim_chk_site_uncovered(struct sim_chk *c, uint16_t site, uint32_t res, int held);
/*
 * Node faults. sim_chk_node_lost: the node crashed, its sites' locks and
 * pending requests vanish now (no COMPLETE will come). sim_chk_node_lease:
 * from `until` on (UINT64_MAX: never) the node's sites may end any lock with
 * COMPLETE -ENOLCK (mode IV: the lock is gone), counted. sim_chk_lvb_lost:
 * res lost a PW/EX holder or its master: a VALBLK read may report the
 * value not valid once (the value is then unknown until the next write);
 * a read that says valid must still be the last write.
 */
void sim_chk_node_lost(struct sim_chk *c, unsigned int node);
void sim_chk_node_lease(struct sim_chk *c, unsigned int node, uint64_t until);
/*
 * sim_chk_node_fenced: a daemon's log says node fenced itself now (its
 * lease ran out, or it left): as sim_chk_node_lease(now) (an earlier lease
 * end stays), and since the logs do not say which values it wrote or which
 * resources it mastered, every resource's value may be reported not valid
 * once (sim_chk_lvb_lost on each).
 */
void sim_chk_node_fenced(struct sim_chk *c, unsigned int node);
void sim_chk_lvb_lost(struct sim_chk *c, uint32_t res);
bool sim_chk_lvb_relaxed(const struct sim_chk *c, uint32_t res);
uint64_t sim_chk_enolck(const struct sim_chk *c);
/** VALBLK reads reported not valid after a loss (allowed, counted). */
uint64_t sim_chk_lvb_lost_reads(const struct sim_chk *c);
/** Print the pending requests (liveness reports). */
void sim_chk_dump_pending(const struct sim_chk *c, FILE *f);

/* --- event queue and network (harness_net.c) --------------------------------- */

/** One scheduled thing; ordered by (t, seq) so runs are deterministic. */
struct sim_ev {
	uint64_t t;
	uint64_t seq;
	uint32_t type;
	uint32_t a;
	uint64_t b;
};

struct sim_heap {
	struct sim_ev *v;
	uint32_t n;
	uint32_t cap;
	uint64_t seq;
};

int  sim_heap_push(struct sim_heap *h, uint64_t t, uint32_t type, uint32_t a, uint64_t b);
bool sim_heap_pop(struct sim_heap *h, struct sim_ev *out);
/** The earliest entry, NULL when empty. */
static inline const struct sim_ev *
sim_heap_peek(const struct sim_heap *h)
{
	return h->n ? &h->v[0] : NULL;
}
void sim_heap_fini(struct sim_heap *h);

struct lw_msg;

/**
 * Messages in flight: a pool of copies, and per ordered pair of sites the
 * last delivery time, so that each pair is FIFO while pairs reorder.
 */
struct sim_net {
	unsigned int nsites;
	uint64_t *last;          /* [src * nsites + dst] */
	struct lw_msg *pool;
	uint32_t *free;
	uint32_t nfree;
	uint32_t cap;
	uint32_t inflight;
};

int  sim_net_init(struct sim_net *n, unsigned int nsites);
void sim_net_fini(struct sim_net *n);
/** Copy m into the pool. @return its slot, or UINT32_MAX out of memory. */
uint32_t sim_net_store(struct sim_net *n, const struct lw_msg *m);
struct lw_msg *sim_net_msg(struct sim_net *n, uint32_t slot);
void sim_net_release(struct sim_net *n, uint32_t slot);
/** Delivery time of a message sent at now with delay on (src, dst): FIFO per pair. */
uint64_t sim_net_when(struct sim_net *n, unsigned int src, unsigned int dst, uint64_t now,
		      uint64_t delay);

#endif /* LW_SIM_H */
