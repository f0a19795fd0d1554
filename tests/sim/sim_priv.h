/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_priv.h — the simulator's state, shared by sim_main.c (sites, network,
 * the run, options) and harness_actor.c (the client actors).
 */
#ifndef LW_SIM_PRIV_H
#define LW_SIM_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"
#include "sim.h"
#include "site.h"

#define MAX_NODES    7u
#define MAX_WORKERS  4u
#define MAX_HELD     4u
#define US           1000ull
#define MS           1000000ull

/* timing of the actors and the network (virtual ns) */
#define CACHE_IDLE_NS    (200 * US)
#define PATIENCE_NS      (3 * MS)     /* cancel a request pending this long */
#define STALL_QUIET_NS   (2 * MS)     /* nothing changed this long: stuck */
#define CANCEL_DONE_NS   (5 * MS)     /* an accepted cancel must end the request by then */
#define QUIESCE_NS       (1000 * MS)  /* after the load stops */
#define CHECK_EVERY      20000u       /* steps between lw_site_check rounds */

enum { EV_MSG = 1, EV_TICK, EV_WAKE, EV_CANCEL, EV_FAULT };
enum { PK_NONE = 0, PK_NEW, PK_CONV, PK_UNLOCK };
enum { FAULT_NONE = 0, FAULT_DROP, FAULT_DUP, FAULT_REORDER };

struct shape {
	unsigned int nodes, workers, clients, resources;
	uint64_t ops;
	uint32_t locality_ppm;
	uint32_t table;          /* local table size, 0: from resources */
	bool flags_all;
};

struct held {
	uint32_t lkid;
	uint32_t res;
	int8_t   mode;
	int8_t   bast_mode;
	uint8_t  blocked;
};

struct actor {
	uint32_t id;
	uint32_t site;           /* site index */
	uint32_t session;
	uint8_t  counter;        /* the counter actor of its site */
	uint8_t  done;
	uint8_t  maxh;
	uint8_t  final_read;     /* the end-of-run counter read */
	uint32_t sweep_pos;      /* next resource of the end sweep */
	struct held h[MAX_HELD];
	uint32_t nh;
	/* the one pending request */
	uint8_t  pk;
	uint8_t  cancel_out;
	uint64_t cookie;
	uint32_t plkid;
	uint32_t pres;
	int8_t   pmode;
	uint32_t pflags;
	uint32_t ptmo;           /* its timeout_us */
	uint64_t psince;
	uint64_t cancel_at;
	uint64_t ctr_val;        /* counter value read with the held ctr lock */
	/* wake-up */
	uint64_t wake_at;
	uint64_t wake_gen;
};

struct ssite {
	struct lw_site *s;
	uint16_t id;
	uint16_t lsid;
	struct lw_site_out out;
	uint64_t tick_at;
	uint32_t a0, na;
	uint32_t epoch;          /* the view the site applied (sim_faults.c) */
};

/* --- faults (sim_faults.c) ------------------------------------------------ */

/* fault scenarios (--faults), bits */
#define FS_CRASH     0x01u    /* one node crashes during the load */
#define FS_CRASH_REC 0x02u    /* ... and a second one before the first recovery ended */
#define FS_TWO       0x04u    /* two crashes, the second after the first recovery */
#define FS_RESTART   0x08u    /* a crashed node restarts and rejoins */
#define FS_PARTITION 0x10u    /* one node cut off past its lease, then healed */
#define FS_RANDOM    0x80u    /* one of the above per seed (what the shape allows) */

#define LEASE_NS      (10 * MS)   /* a node's lease */
#define FENCE_MARGIN  (1 * MS)    /* fence_until = loss + lease + margin */
#define MAX_VIEWS     16u

enum { NODE_UP = 0, NODE_DOWN, NODE_CUT };

struct snode {
	uint8_t  state;          /* NODE_* */
	uint8_t  fenced;         /* cut past its lease: its sites fenced themselves */
	uint32_t inc;            /* incarnation (restart, heal) */
	uint32_t epoch;          /* view its sites applied */
	uint64_t lost_at;        /* crash or cut time */
};

struct sview {
	struct lw_map map;
	uint64_t members;        /* bit = node */
	uint32_t inc[MAX_NODES + 1];
	uint64_t fence_until;
	uint64_t formed_at;
};

struct sfaults {
	uint32_t spec;           /* FS_* of this run */
	uint32_t step;           /* next step of the plan */
	uint64_t trigger_ops;    /* first fault when this many requests were submitted */
	struct snode node[MAX_NODES + 1];
	struct sview *view;      /* [epoch - 1] */
	uint32_t nviews;
	uint8_t  owner[256];     /* home node -> the node that masters its buckets */
	uint32_t *slot_inc;      /* [slot]: src inc << 16 | dst inc at send */
	uint8_t  *slot_dead;     /* [slot]: lost in a crash */
	uint32_t slot_cap;
	unsigned int cut;        /* the node cut off (0: none) */
	bool unstable;           /* a fault is not fully recovered yet */
	bool polling;
	uint64_t stable_since;
	uint64_t loss_at;        /* the loss being recovered (crash-to-grant) */
	uint8_t  *moved;         /* [res]: its bucket moved in the latest loss view */
	struct { uint32_t si, res, epoch; } *kept;  /* answers a site keeps for a newer view */
	uint32_t nkept, capkept;
	uint64_t grant_wait;     /* crash to first grant on a moved bucket, not yet seen */
	uint32_t grant_epoch;    /* ... once its new master applied this view */
	/* counts */
	uint64_t crashes, cuts, fences, restarts, heals, views, recoveries;
	bool early_fence;        /* --oracle-bug early-fence: no lease wait (the checker must fire) */
	uint64_t lost_msgs, held_msgs, dropped_msgs, enolck_refused;
	uint64_t c2g_sum, c2g_max, c2g_n;
	uint64_t rec_sum, rec_max;
};

struct sim {
	struct shape sh;
	uint64_t seed;
	struct sim_rng rng;
	struct lw_map map;
	struct ssite *site;
	unsigned int nsites;
	int16_t idx_of[8192];
	struct actor *act;
	unsigned int nact;
	struct sim_chk *chk;
	struct sim_heap heap;
	struct sim_net net;
	uint64_t now, steps, step_cap;
	uint64_t ops, submitted;
	bool stopping;
	bool sweeping;           /* the end sweep: EX on every resource */
	unsigned int sweep_stride;  /* live actors in the sweep */
	uint64_t stop_time;
	uint64_t next_cookie;
	uint64_t ctr_incr;
	uint64_t ctr_rederived;  /* counter reads not valid after a loss (count taken again) */
	uint32_t nres;           /* R + 1: index R is the counter "ctr" */
	char (*rname)[16];
	/* counts */
	uint64_t cancels_late;   /* refused: a timeout withdrew the request during recovery */
	uint64_t msgs, enomem, cancels, cancels_busy, basts, reacts, evicted;
	uint64_t completes, grants, failures[8];
	uint64_t demoted, altmode, notvalid, lvb_reads;
	bool failed;
	/* quiescence: sites may keep a tick armed with nothing to do */
	uint64_t nonticks;       /* scheduled events other than ticks */
	uint64_t next_probe;     /* next look at the sites' cached modes */
	uint64_t probe_gap;      /* doubles while modes stay cached */
	unsigned int spinning;   /* sites with a deadline when the run went quiet */
	uint32_t first_held;     /* a resource some site still holds (count_held) */
	/* resources touched by the current call into a site (held checks) */
	uint32_t touched[64];
	unsigned int ntouched;
	int8_t *heldbuf;         /* nsites */
	int16_t *asking;         /* [site * nres + res]: REQUESTs sent, not answered yet */
	uint32_t answered[32];   /* resources answered in the batch being delivered */
	unsigned int nanswered;
	bool strict_timers;      /* such a deadline is a violation */
	/* fault injection (--fault): break the network's promises on purpose */
	int fault;               /* FAULT_* */
	uint64_t fault_at;       /* the message number to drop / duplicate */
	uint64_t sent;           /* messages sent so far */
	struct sfaults F;        /* node faults and the membership oracle */
};

/* --- small helpers ------------------------------------------------------- */

static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/** A 32-byte value derived from v (first 8 bytes: v, little-endian), so whole blocks are compared. */
static inline void
fill_lvb(uint8_t *lvb, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		lvb[i] = (uint8_t)(v >> (8 * i));
	for (int i = 8; i < LW_LVB_LEN; i++)
		lvb[i] = (uint8_t)(v * 31 + (uint64_t)i * 7);
}

/** Virtual time in microseconds, for trail lines. */
static inline double
ts(const struct sim *S)
{
	return (double)S->now / 1000.0;
}

/* The call into a site in progress, for the watchdog's report. */
struct sim_call {
	const char *what;        /* "lw_site_submit", ... */
	uint16_t site;
	uint64_t now;
	uint64_t seed;
	uint64_t step;
	const struct lw_req *req; /* lw_site_submit's request */
	const char *res;          /* its resource */
	uint32_t actor;
};
extern volatile struct sim_call sim_in_call;

static inline void
sim_call_begin(struct sim *S, const char *what, uint16_t site)
{
	sim_in_call.what = what;
	sim_in_call.site = site;
	sim_in_call.now = S->now;
	sim_in_call.seed = S->seed;
	sim_in_call.step = S->steps;
	sim_in_call.req = NULL;
}

static inline void
sim_call_end(void)
{
	sim_in_call.what = NULL;
}

/* sim_main.c */
void sim_fail(struct sim *S, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* An invariant of the run: when cond is false the run fails (kind: SV_*) with the message. */
#define LW_CHECK(S, cond, kind, ...) do {                       \
		if (!(cond))                                     \
			sim_fail((S), (kind), __VA_ARGS__);      \
	} while (0)
void sim_push(struct sim *S, uint64_t t, uint32_t type, uint32_t a, uint64_t b);
/** Wake actor a after delay (keeps an earlier wake-up). */
void sim_wake(struct sim *S, struct actor *a, uint64_t delay);
/** After every call into site si: send its messages, hand its events out. */
void sim_drain(struct sim *S, unsigned int si, bool after_tick);
/** Resource res is involved in the current call (its held modes get checked). */
void sim_touch(struct sim *S, uint32_t res);

/* sim_invariants.c */
/** The index of a resource named in a message ("r12", "ctr"), SIM_NO_RES if none. */
uint32_t sim_res_of_name(const struct sim *S, const uint8_t *name, unsigned int len);
/** Check held modes on the resources the last call touched, then forget them. */
void sim_held_checks(struct sim *S);
void sim_count_sent(struct sim *S, unsigned int si, uint32_t res, const struct lw_msg *m);
void sim_count_delivered(struct sim *S, unsigned int di, const struct lw_msg *m);
void sim_site_checks(struct sim *S);
/** How many (site, resource) pairs hold a mode; prints the first `show` to f. */
unsigned int sim_count_held(struct sim *S, FILE *f, unsigned int show);
void sim_end_checks(struct sim *S);

/* harness_actor.c */
/** Submit one request for actor a (pk: PK_NEW/CONV/UNLOCK, PK_NONE for a cancel). */
int  sim_do_submit(struct sim *S, struct actor *a, struct lw_req *r, uint32_t res, uint8_t pk);
void actor_event(struct sim *S, struct actor *a, const struct lw_event *ev);
void actor_act(struct sim *S, struct actor *a);
void actor_cancel(struct sim *S, struct actor *a, uint64_t cookie);
void begin_stop(struct sim *S);
/** The node of actor a is down (crashed, or its site is gone). */
bool actor_dead(const struct sim *S, const struct actor *a);
/** Forget everything actor a had (its node crashed). */
void actor_reset(struct sim *S, struct actor *a);

/* sim_main.c */
/** Create site k (fresh, empty) with map m, its lockspace and its actors' sessions. */
int  sim_site_make(struct sim *S, unsigned int k, const struct lw_map *m);
void sim_site_drop(struct sim *S, unsigned int k);

/* sim_faults.c */
/** Parse a --faults spec ("crash,restart", "random"...). @return FS_* bits, 0 bad. */
uint32_t sim_faults_parse(const char *spec);
int  sim_faults_init(struct sim *S, uint32_t spec, bool early_fence);
void sim_faults_fini(struct sim *S);
/** After each step: start the plan's next fault when its time has come. */
void sim_faults_step(struct sim *S);
void sim_faults_event(struct sim *S, const struct sim_ev *ev);
/** A message was stored in slot: remember the incarnations. */
void sim_faults_sent(struct sim *S, uint32_t slot, unsigned int si, unsigned int di);
/** Deliver the message in slot to site di? (false: lost, held, dropped) */
bool sim_faults_deliver(struct sim *S, uint32_t slot, unsigned int di);
/** The cluster has recovered from every fault so far (liveness checks apply). */
bool sim_faults_stable(const struct sim *S, uint64_t for_ns);
/** A grant on res (crash-to-grant timing). */
void sim_faults_granted(struct sim *S, uint32_t res);
/** m comes from a site of site di's current view (else the site drops it). */
bool sim_faults_from_view(const struct sim *S, unsigned int di, const struct lw_msg *m);
/** An answer for res that site di keeps until it applies m's view: @return true (counted then). */
bool sim_faults_keep_answer(struct sim *S, unsigned int di, uint32_t res, const struct lw_msg *m);
void sim_faults_print(const struct sim *S, FILE *f);
void sim_faults_dump(const struct sim *S, FILE *f);
void sim_faults_check_done(struct sim *S);

#endif /* LW_SIM_PRIV_H */
