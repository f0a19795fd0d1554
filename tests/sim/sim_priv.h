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

enum { EV_MSG = 1, EV_TICK, EV_WAKE, EV_CANCEL };
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
	uint64_t stop_time;
	uint64_t next_cookie;
	uint64_t ctr_incr;
	uint32_t nres;           /* R + 1: index R is the counter "ctr" */
	char (*rname)[16];
	/* counts */
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

#endif /* LW_SIM_PRIV_H */
