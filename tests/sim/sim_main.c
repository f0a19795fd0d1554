/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lw-sim — the deterministic cluster simulator.
 *
 * N nodes x W workers sites (engine/site.h) live in one process and talk
 * through an in-memory network with seeded delays: FIFO per ordered pair of
 * sites, reordered across pairs, occasional hiccups on a pair. Time is
 * virtual (ns); a heap orders every delivery, site timer and client action
 * by (time, sequence), so one seed gives one run. Client actors (harness_actor.c:
 * C per site plus one counter actor per site) lock, convert, unlock, cancel
 * and react to blocking notices; the checker (sim_check.c) sees every
 * request and event. A run has four phases:
 *   1. load: OPS requests;
 *   2. release: actors let go of everything, the run goes on until only idle
 *      site timers are left and no site holds a cached mode;
 *   3. the final counter read (EX + VALBLK on "ctr" = number of increments);
 *   4. the sweep: EX + VALBLK on every resource, spread over the actors, must
 *      be granted (a master still counting a holding its site gave up would
 *      wait forever) and read the last value written; then quiet again.
 * Besides the checker, after every call into a site the simulator checks,
 * for each resource the call touched, that the sites' held modes
 * (lw_site_held) are pairwise compatible and cover the site's own granted
 * locks; it counts REQUESTs (one unanswered per site and resource, each
 * answered once by GRANT/DENY/REDIRECT, CANCEL only while one is out); it runs
 * lw_site_check every CHECK_EVERY steps; and at the end it requires every
 * request completed, nothing granted or cached, no REQUEST unanswered, no
 * site deadline left (unless --lenient-timers), and no lkb left in any table.
 *
 *   lw-sim --nodes N --workers W --clients C --resources R --ops OPS --seed S
 *          [--seeds A:B] [--locality P] [--flags all|basic] [--json]
 *          [--soak [--seconds T]] [--trail N] [--verbose] [--watchdog S]
 *          [--fault drop:N|dup:N|reorder] [--lenient-timers]
 *          [--faults crash,crash-recovery,two,restart,partition|random]
 *
 * --faults crashes, restarts and cuts off nodes during the load, with an
 * oracle playing membership (sim_faults.c, docs/sim.md).
 *
 * Exit 0: no violation. 1: a violation (the seed, the virtual time, the last
 * trail lines, the history of the resource concerned, each site's held mode
 * on it and a command line that reproduces it are printed). 2: bad usage or
 * set-up failure.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>

#include "sim_priv.h"

static volatile sig_atomic_t interrupted;
static bool opt_strict_timers = true;
static int opt_fault;
static uint64_t opt_fault_at;
static unsigned int opt_watchdog = 120;    /* wall seconds per seed */
static unsigned int opt_trail = 30;
static uint32_t opt_faults;              /* FS_* (sim_faults.c) */
static const char *opt_faults_spec;
static bool opt_early_fence;             /* --oracle-bug early-fence */
static uint32_t opt_expect;              /* --expect-violation: SV_* bits */
volatile struct sim_call sim_in_call;
static const struct shape *cur_shape;
static void print_repro(const struct shape *sh, uint64_t seed);

/*
 * A seed that runs longer than the watchdog allows is stuck, most likely
 * inside a site call that never returns: say where, print the trail, stop.
 * (stdio in a signal handler: acceptable for a test tool that exits now.)
 */
static void
on_watchdog(int sig)
{
	char sn[16];

	(void)sig;
	if (sim_in_call.what != NULL)
		fprintf(stderr, "VIOLATION [liveness]: seed %llu: %s on %s at virtual time %llu ns "
			"(step %llu) has not returned for %u s\n",
			(unsigned long long)sim_in_call.seed, sim_in_call.what,
			sim_site_name(sim_in_call.site, sn), (unsigned long long)sim_in_call.now,
			(unsigned long long)sim_in_call.step, opt_watchdog);
	if (sim_in_call.what != NULL && sim_in_call.req != NULL) {
		const struct lw_req *r = sim_in_call.req;
		char fb[128];
		fprintf(stderr, "  the request: actor a%u %s lkid %#x on %s mode %s flags %s cookie %llu\n",
			sim_in_call.actor, r->op == LW_REQ_UNLOCK ? "UNLOCK" :
			(r->flags & LW_LKF_CONVERT) ? "CONVERT" : "NEW", r->lkid, sim_in_call.res,
			sim_mode_name(r->mode), sim_flags_str(r->flags, fb, sizeof(fb)),
			(unsigned long long)r->cookie);
	}
	if (sim_in_call.what == NULL)
		fprintf(stderr, "VIOLATION [liveness]: seed %llu ran longer than %u s (wall)\n",
			(unsigned long long)sim_in_call.seed, opt_watchdog);
	sim_trail_dump(stderr, opt_trail);
	if (cur_shape != NULL)
		print_repro(cur_shape, sim_in_call.seed);
	_exit(1);
}
static unsigned int run_no;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* --- helpers ------------------------------------------------------------- */

void
sim_fail(struct sim *S, int kind, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sim_chk_fail(S->chk, kind, "%s", buf);
}

/* --- scheduling ---------------------------------------------------------- */

void
sim_push(struct sim *S, uint64_t t, uint32_t type, uint32_t a, uint64_t b)
{
	if (type != EV_TICK)
		S->nonticks++;
	if (sim_heap_push(&S->heap, t, type, a, b) < 0) {
		fprintf(stderr, "lw-sim: out of memory\n");
		exit(2);
	}
}

void
sim_wake(struct sim *S, struct actor *a, uint64_t delay)
{
	uint64_t t = S->now + delay;

	if (a->wake_at <= t)
		return;          /* an earlier wake-up is due anyway */
	a->wake_at = t;
	a->wake_gen++;
	sim_push(S, t, EV_WAKE, a->id, a->wake_gen);
}

static void
schedule_tick(struct sim *S, unsigned int si, bool after_tick)
{
	struct ssite *ss = &S->site[si];
	uint64_t d = lw_site_next_deadline(ss->s);

	if (d == UINT64_MAX)
		return;
	if (d < S->now || (after_tick && d <= S->now))
		d = S->now + (after_tick ? 1 * US : 0);
	if (d >= ss->tick_at)
		return;
	ss->tick_at = d;
	sim_push(S, d, EV_TICK, si, d);
}

/* --- events out of a site ------------------------------------------------ */

static struct actor *
actor_of(struct sim *S, unsigned int si, uint32_t session)
{
	struct ssite *ss = &S->site[si];

	for (uint32_t i = 0; i < ss->na; i++)
		if (S->act[ss->a0 + i].session == session)
			return &S->act[ss->a0 + i];
	return NULL;
}

static void
trail_msg(struct sim *S, const char *what, const struct lw_msg *m)
{
	char s1[16], s2[16], s3[16];
	unsigned int len = m->namelen <= LW_RESNAME_MAXLEN ? m->namelen : 0;

	uint32_t res = sim_res_of_name(S, m->name, len);

	sim_touch(S, res);
	sim_trail_res(res,
		      "%12.3f %s %-9s %s->%s %.*s m=%s m2=%s seq=%u st=%s fl=%#x lvbf=%x lvb=%"
		      PRIx64 " site2=%s lam=%" PRIu64, ts(S), what, lw_msg_type_name(m->h.type),
		      sim_site_name(m->h.src, s1), sim_site_name(m->h.dst, s2), (int)len,
		      (const char *)m->name, sim_mode_name(m->mode), sim_mode_name(m->mode2), m->seq,
		      sim_status_name(m->status), m->flags, m->lvbf, le64(m->lvb),
		      sim_site_name(m->site2, s3), m->h.lamport);
}

static void
trail_ev(struct sim *S, uint16_t site, const struct lw_event *ev)
{
	char sn[16];
	uint32_t res = sim_chk_lock_res(S->chk, site, ev->lkid);
	const char *rn = res < S->nres ? S->rname[res] : "?";

	sim_touch(S, res);
	if (ev->type == LW_EV_BLOCKING) {
		sim_trail_res(res, "%12.3f EV  %s BLOCKING s=%u lk=%#x %s wants=%s ck=%" PRIu64,
			      ts(S), sim_site_name(site, sn), ev->session, ev->lkid, rn,
			      sim_mode_name(ev->mode), ev->cookie);
		return;
	}
	char lv[32] = "";
	if (ev->has_lvb)
		snprintf(lv, sizeof(lv), " lvb=%" PRIx64, le64(ev->lvb));
	sim_trail_res(res, "%12.3f EV  %s COMPLETE s=%u lk=%#x %s mode=%s st=%s sbf=%#x ck=%" PRIu64
		      "%s", ts(S), sim_site_name(site, sn), ev->session, ev->lkid, rn,
		      sim_mode_name(ev->mode), sim_status_name(ev->status), ev->sbflags, ev->cookie,
		      lv);
}

static uint64_t
net_delay(struct sim *S, unsigned int src, unsigned int dst)
{
	bool same_node = lw_site_node(S->site[src].id) == lw_site_node(S->site[dst].id);
	uint64_t d = same_node ? sim_rng_range(&S->rng, 1, 3) : sim_rng_range(&S->rng, 2, 20);

	if (sim_rng_ppm(&S->rng, 20000))
		d += sim_rng_range(&S->rng, 50, 400);   /* a hiccup on this pair */
	return d * US;
}

/* After every call into site si: send its messages, hand its events out. */
void
sim_drain(struct sim *S, unsigned int si, bool after_tick)
{
	struct ssite *ss = &S->site[si];
	struct lw_site_out *o = &ss->out;
	char sn[16];

	for (uint32_t i = 0; i < o->msg.n; i++) {
		const struct lw_msg *m = &o->msg.m[i];
		int di = m->h.dst < 8192 ? S->idx_of[m->h.dst] : -1;

		if (m->h.src != ss->id || di < 0 || (unsigned int)di == si ||
		    m->h.version != LW_PROTO_VERSION || m->h.len != sizeof(*m) ||
		    m->h.type < 1 || m->h.type >= LW_MSG_NTYPES || m->h.epoch != ss->epoch) {
			trail_msg(S, "BAD", m);
			sim_fail(S, SV_EVENT, "%s output a malformed message: type %u src %#x dst %#x "
			     "version %u len %u epoch %u", sim_site_name(ss->id, sn), m->h.type,
			     m->h.src, m->h.dst, m->h.version, m->h.len, m->h.epoch);
			continue;
		}
		if (m->h.type == LW_MSG_REDIRECT && S->F.spec == 0)
			sim_fail(S, SV_EVENT, "%s sent REDIRECT although the map never changes",
			     sim_site_name(ss->id, sn));
		uint32_t mres = sim_res_of_name(S, m->name, m->namelen <= LW_RESNAME_MAXLEN ? m->namelen : 0);
		sim_touch(S, mres);
		sim_count_sent(S, si, mres, m);
		S->sent++;
		int copies = 1;
		if (S->fault == FAULT_DROP && S->sent == S->fault_at)
			copies = 0;
		else if (S->fault == FAULT_DUP && S->sent == S->fault_at)
			copies = 2;
		if (copies != 1)
			trail_msg(S, copies ? "DUP" : "DROP", m);
		for (int c = 0; c < copies; c++) {
			uint32_t slot = sim_net_store(&S->net, m);
			if (slot == UINT32_MAX) {
				fprintf(stderr, "lw-sim: out of memory\n");
				exit(2);
			}
			sim_faults_sent(S, slot, si, (unsigned int)di);
			uint64_t delay = net_delay(S, si, (unsigned int)di);
			uint64_t t = S->fault == FAULT_REORDER ? S->now + delay :
				     sim_net_when(&S->net, si, (unsigned int)di, S->now, delay);
			sim_push(S, t, EV_MSG, (uint32_t)di, slot);
		}
	}
	if (o->msg.lost != 0 || o->ev.lost != 0) {
		sim_fail(S, SV_EVENT, "%s lost %" PRIu64 " messages and %" PRIu64 " events (out of memory)",
		     sim_site_name(ss->id, sn), o->msg.lost, o->ev.lost);
		o->msg.lost = o->ev.lost = 0;
	}
	o->msg.n = 0;
	for (uint32_t i = 0; i < o->ev.n; i++) {
		const struct lw_event *ev = &o->ev.ev[i];
		struct actor *a;

		trail_ev(S, ss->id, ev);
		if (ev->type == LW_EV_COMPLETE && ev->status == 0)
			sim_faults_granted(S, sim_chk_lock_res(S->chk, ss->id, ev->lkid));
		sim_chk_event(S->chk, ss->id, ev);
		a = actor_of(S, si, ev->session);
		if (a != NULL)
			actor_event(S, a, ev);
		else
			sim_fail(S, SV_EVENT, "%s: event for session %u, which no actor has",
			     sim_site_name(ss->id, sn), ev->session);
	}
	o->ev.n = 0;
	sim_held_checks(S);
	schedule_tick(S, si, after_tick);
}

/* --- the run ------------------------------------------------------------- */

static void
deliver(struct sim *S, const struct sim_ev *first)
{
	struct lw_msg batch[32];
	unsigned int di = first->a, n = 0;
	struct ssite *ss = &S->site[di];
	struct sim_ev ev = *first;
	const struct sim_ev *p;

	for (;;) {
		if (sim_faults_deliver(S, (uint32_t)ev.b, di)) {
			memcpy(&batch[n], sim_net_msg(&S->net, (uint32_t)ev.b), sizeof(batch[n]));
			trail_msg(S, "MSG", &batch[n]);
			n++;
		} else {
			trail_msg(S, "LOST", sim_net_msg(&S->net, (uint32_t)ev.b));
		}
		sim_net_release(&S->net, (uint32_t)ev.b);
		p = sim_heap_peek(&S->heap);
		if (n == 32 || p == NULL || p->type != EV_MSG || p->t != ev.t || p->a != di)
			break;
		sim_heap_pop(&S->heap, &ev);
		S->nonticks--;
	}
	if (n == 0)
		return;
	for (unsigned int i = 0; i < n; i++)
		sim_count_delivered(S, di, &batch[i]);
	S->msgs += n;
	sim_call_begin(S, "lw_site_receive", ss->id);
	uint32_t k = lw_site_receive(ss->s, batch, n, S->now, &ss->out);
	sim_call_end();
	if (k != n)
		sim_fail(S, SV_EVENT, "lw_site_receive took %u of %u messages", k, n);
	sim_drain(S, di, false);
	S->nanswered = 0;
}

static uint64_t
time_cap(const struct sim *S)
{
	if (S->stopping)
		return S->stop_time + QUIESCE_NS;
	return S->sh.ops * 2 * MS + 10000 * MS;
}

/*
 * Only site ticks are left: the run is over once no site holds a cached
 * mode any more (the ticks would do nothing). Sites that still have a
 * deadline then are counted (a violation with --strict-timers).
 */
static bool
tick_only_quiet(struct sim *S)
{
	char sn[16];

	if (S->probe_gap < 50 * US)
		S->probe_gap = 50 * US;
	S->next_probe = S->now + S->probe_gap;
	if (sim_count_held(S, NULL, 0) != 0) {
		if (S->probe_gap < 5 * MS)
			S->probe_gap *= 2;
		return false;
	}
	S->probe_gap = 0;
	S->spinning = 0;
	for (unsigned int i = 0; i < S->nsites; i++) {
		if (S->site[i].s == NULL)
			continue;
		uint64_t d = lw_site_next_deadline(S->site[i].s);
		if (d == UINT64_MAX)
			continue;
		if (S->strict_timers && S->spinning == 0)
			sim_fail(S, SV_LIVENESS, "%s keeps a deadline (%" PRIu64 ") with nothing "
				 "cached and no request pending: lw_site_next_deadline should be "
				 "UINT64_MAX", sim_site_name(S->site[i].id, sn), d);
		S->spinning++;
	}
	sim_trail("%12.3f --- quiet (only ticks left; %u site(s) still have a deadline)", ts(S),
		  S->spinning);
	/* drop the ticks so a later phase starts clean */
	S->heap.n = 0;
	for (unsigned int i = 0; i < S->nsites; i++)
		S->site[i].tick_at = UINT64_MAX;
	return true;
}

/* Run until nothing is scheduled. @return false when the caps were hit. */
static bool
run(struct sim *S)
{
	struct sim_ev ev;

	while (sim_heap_pop(&S->heap, &ev)) {
		if (ev.t < S->now) {
			fprintf(stderr, "lw-sim: time went back (%" PRIu64 " < %" PRIu64 ")\n", ev.t,
				S->now);
			exit(2);
		}
		S->now = ev.t;
		sim_chk_now(S->chk, S->now);
		if (ev.type != EV_TICK)
			S->nonticks--;
		if (++S->steps > S->step_cap || S->now > time_cap(S))
			return false;
		switch (ev.type) {
		case EV_MSG:
			deliver(S, &ev);
			break;
		case EV_TICK: {
			struct ssite *ss = &S->site[ev.a];
			if (ev.b != ss->tick_at || ss->s == NULL)
				break;
			ss->tick_at = UINT64_MAX;
			sim_call_begin(S, "lw_site_tick", ss->id);
			lw_site_tick(ss->s, S->now, &ss->out);
			sim_call_end();
			sim_drain(S, ev.a, true);
			break;
		}
		case EV_WAKE: {
			struct actor *a = &S->act[ev.a];
			if (ev.b != a->wake_gen || actor_dead(S, a))
				break;
			a->wake_at = UINT64_MAX;
			actor_act(S, a);
			break;
		}
		case EV_CANCEL:
			if (!actor_dead(S, &S->act[ev.a]))
				actor_cancel(S, &S->act[ev.a], ev.b);
			break;
		case EV_FAULT:
			sim_faults_event(S, &ev);
			break;
		}
		sim_faults_step(S);
		if (S->steps % CHECK_EVERY == 0)
			sim_site_checks(S);
		if (sim_chk_nviol(S->chk) != 0)
			return true;
		if (S->stopping && S->nonticks == 0 && S->now >= S->next_probe && tick_only_quiet(S))
			return true;
	}
	return true;
}

static void
not_quiet(struct sim *S)
{
	unsigned int counts[5] = {0};
	char sn[16];

	sim_count_held(S, NULL, 0);
	sim_chk_set_res(S->chk, S->first_held);

	for (uint32_t i = 0; i < S->heap.n; i++)
		if (S->heap.v[i].type < 5)
			counts[S->heap.v[i].type]++;
	sim_fail(S, SV_LIVENESS, "did not quiesce: %" PRIu64 " steps, virtual time %" PRIu64 " ns "
	     "(load %s at %" PRIu64 "); still scheduled: %u messages, %u ticks, %u wake-ups, "
	     "%u cancel timers", S->steps, S->now, S->stopping ? "stopped" : "still running",
	     S->stop_time, counts[EV_MSG], counts[EV_TICK], counts[EV_WAKE], counts[EV_CANCEL]);
	sim_chk_dump_pending(S->chk, stderr);
	sim_faults_dump(S, stderr);
	unsigned int h = sim_count_held(S, stderr, 12);
	if (h != 0)
		fprintf(stderr, "  (%u cached modes in all)\n", h);
	for (unsigned int i = 0; i < S->nsites; i++) {
		uint64_t d = S->site[i].s != NULL ? lw_site_next_deadline(S->site[i].s) : UINT64_MAX;
		if (d != UINT64_MAX)
			fprintf(stderr, "  %s next deadline %" PRIu64 "\n",
				sim_site_name(S->site[i].id, sn), d);
	}
}

/* --- set-up -------------------------------------------------------------- */

static void
sim_fini(struct sim *S)
{
	if (S->site != NULL) {
		for (unsigned int i = 0; i < S->nsites; i++) {
			if (S->site[i].s != NULL)
				lw_site_free(S->site[i].s);
			lw_site_out_fini(&S->site[i].out);
		}
	}
	free(S->site);
	free(S->act);
	free(S->heldbuf);
	free(S->asking);
	free(S->rname);
	sim_faults_fini(S);
	sim_chk_free(S->chk);
	sim_heap_fini(&S->heap);
	sim_net_fini(&S->net);
	memset(S, 0, sizeof(*S));
}

/* Site k, fresh and empty, in map m; its lockspace and its actors' sessions. */
int
sim_site_make(struct sim *S, unsigned int k, const struct lw_map *m)
{
	struct ssite *ss = &S->site[k];
	const struct shape *sh = &S->sh;
	unsigned int R = sh->resources, nactors_site = sh->clients + 1;
	unsigned int node = lw_site_node(ss->id);
	struct lw_site_conf conf;
	char name[24], sn[16];
	int rc;

	uint32_t local_res = R + 17 < 64 ? 64 : (R + 17 > 2048 ? 2048 : R + 17);
	if (sh->table != 0)
		local_res = sh->table;
	snprintf(name, sizeof(name), "s%u_%u_%u_%u", run_no % 1000, node, lw_site_worker(ss->id),
		 S->F.node[node].inc);
	memset(&conf, 0, sizeof(conf));
	conf.engine.name = name;
	conf.engine.max_resources = local_res;
	conf.engine.max_locks = nactors_site * (MAX_HELD + 1) + 64;
	conf.engine.max_sessions = nactors_site + 4;
	conf.engine.max_lockspaces = 4;
	conf.engine.worker = lw_site_worker(ss->id);
	conf.engine.socket_id = -1;
	conf.node = node;
	conf.max_master_resources = R + 17 + 64;
	conf.cache_idle_ns = CACHE_IDLE_NS;
	ss->tick_at = UINT64_MAX;
	ss->epoch = m->epoch;
	ss->s = lw_site_create(&conf, m);
	if (ss->s == NULL) {
		fprintf(stderr, "lw-sim: lw_site_create(%s): %s\n", sim_site_name(ss->id, sn),
			strerror(errno));
		return -1;
	}
	if (lw_site_self(ss->s) != ss->id)
		fprintf(stderr, "lw-sim: warning: lw_site_self(%s) = %#x\n",
			sim_site_name(ss->id, sn), lw_site_self(ss->s));
	rc = lw_site_ls_open(ss->s, "sim", 3, &ss->lsid);
	if (rc < 0) {
		fprintf(stderr, "lw-sim: lw_site_ls_open: %s\n", strerror(-rc));
		return -1;
	}
	for (unsigned int j = 0; j < ss->na; j++) {
		rc = lw_site_session_open(ss->s, &S->act[ss->a0 + j].session);
		if (rc < 0) {
			fprintf(stderr, "lw-sim: lw_site_session_open: %s\n", strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* Site k's node crashed: the site is gone, nothing calls it any more. */
void
sim_site_drop(struct sim *S, unsigned int k)
{
	struct ssite *ss = &S->site[k];

	if (ss->s != NULL)
		lw_site_free(ss->s);
	ss->s = NULL;
	ss->out.msg.n = 0;
	ss->out.ev.n = 0;
	ss->tick_at = UINT64_MAX;
}

static int
sim_init(struct sim *S, const struct shape *sh, uint64_t seed)
{
	uint16_t ids[MAX_NODES * MAX_WORKERS];
	unsigned int R = sh->resources, nactors_site = sh->clients + 1;

	memset(S, 0, sizeof(*S));
	S->sh = *sh;
	S->seed = seed;
	S->strict_timers = opt_strict_timers;
	S->fault = opt_fault;
	S->fault_at = opt_fault_at;
	sim_rng_seed(&S->rng, seed);
	sim_trail_reset();
	run_no++;
	for (unsigned int i = 0; i < 8192; i++)
		S->idx_of[i] = -1;
	S->nsites = sh->nodes * sh->workers;
	for (unsigned int n = 1; n <= sh->nodes; n++)
		for (unsigned int w = 0; w < sh->workers; w++) {
			unsigned int k = (n - 1) * sh->workers + w;
			ids[k] = lw_site_id(n, w);
			S->idx_of[ids[k]] = (int16_t)k;
		}
	if (lw_map_static(&S->map, 1, ids, S->nsites) < 0) {
		fprintf(stderr, "lw-sim: lw_map_static failed\n");
		return -1;
	}
	S->nres = R + 1;
	S->rname = calloc(S->nres, sizeof(*S->rname));
	S->chk = sim_chk_new();
	S->site = calloc(S->nsites, sizeof(*S->site));
	S->nact = S->nsites * nactors_site;
	S->act = calloc(S->nact, sizeof(*S->act));
	S->heldbuf = calloc(S->nsites, sizeof(*S->heldbuf));
	S->asking = calloc((size_t)S->nsites * S->nres, sizeof(*S->asking));
	if (S->heldbuf == NULL || S->asking == NULL || S->rname == NULL || S->chk == NULL || S->site == NULL || S->act == NULL ||
	    sim_net_init(&S->net, S->nsites) < 0) {
		fprintf(stderr, "lw-sim: out of memory\n");
		return -1;
	}
	for (uint32_t r = 0; r < R; r++)
		snprintf(S->rname[r], sizeof(S->rname[r]), "r%u", r);
	snprintf(S->rname[R], sizeof(S->rname[R]), "ctr");
	for (uint32_t r = 0; r < S->nres; r++)
		sim_chk_res(S->chk, r, S->rname[r]);

	for (unsigned int k = 0; k < S->nsites; k++) {
		struct ssite *ss = &S->site[k];

		ss->id = ids[k];
		ss->a0 = k * nactors_site;
		ss->na = nactors_site;
		if (lw_site_out_init(&ss->out) < 0) {
			fprintf(stderr, "lw-sim: lw_site_out_init failed\n");
			return -1;
		}
		for (unsigned int j = 0; j < nactors_site; j++) {
			struct actor *a = &S->act[ss->a0 + j];
			a->id = ss->a0 + j;
			a->site = k;
			a->counter = j == sh->clients;
			a->maxh = (uint8_t)sim_rng_range(&S->rng, 1, MAX_HELD);
			a->wake_at = UINT64_MAX;
		}
		if (sim_site_make(S, k, &S->map) < 0)
			return -1;
	}
	if (sim_faults_init(S, opt_faults, opt_early_fence) < 0)
		return -1;
	S->step_cap = sh->ops * 5000 + 20000000ull;
	for (unsigned int i = 0; i < S->nact; i++)
		sim_wake(S, &S->act[i], sim_rng_range(&S->rng, 0, 20) * US);
	return 0;
}

/* --- results ------------------------------------------------------------- */

struct result {
	uint64_t seed, ops, msgs, sim_ns;
	uint64_t recoveries, enolck, c2g_sum, c2g_n, c2g_max;
	unsigned int violations;
	uint32_t kinds;          /* SV_* bits of the violations */
	double mpo, lgr, wall;
};

static void
print_result(const struct sim *S, const struct result *res, bool json)
{
	double rate = res->wall > 0 ? (double)res->ops / res->wall : 0;

	if (json) {
		printf("{\"seed\": %" PRIu64 ", \"nodes\": %u, \"workers\": %u, \"clients\": %u, "
		       "\"resources\": %u, \"table\": %u, \"locality\": %.2f, \"flags\": \"%s\", "
		       "\"ops\": %" PRIu64
		       ", \"violations\": %u, \"messages\": %" PRIu64 ", \"messages_per_op\": %.3f, "
		       "\"local_grant_ratio\": %.4f, \"sim_time_ns\": %" PRIu64
		       ", \"wall_seconds\": %.3f, \"sim_ops_per_wall_sec\": %.0f}\n",
		       res->seed, S->sh.nodes, S->sh.workers, S->sh.clients, S->sh.resources,
		       S->sh.table, S->sh.locality_ppm / 1e6, S->sh.flags_all ? "all" : "basic", res->ops,
		       res->violations, res->msgs, res->mpo, res->lgr, res->sim_ns, res->wall, rate);
	} else {
		printf("seed %" PRIu64 ": %s  ops %" PRIu64 "  violations %u  messages %" PRIu64
		       " (%.2f/op)  local grants %.1f%%  sim %.3f ms  wall %.3f s  %.0f ops/s"
		       "  [cancels %" PRIu64 ", basts %" PRIu64 ", EAGAIN %" PRIu64 ", EDEADLK %" PRIu64
		       ", ETIMEDOUT %" PRIu64 ", ECANCEL %" PRIu64 ", DEMOTED %" PRIu64 ", ALTMODE %"
		       PRIu64 ", LVB reads %" PRIu64 " (%" PRIu64 " not valid, %" PRIu64 " older NL/CR)"
		       ", counter %" PRIu64 "]\n",
		       res->seed, res->violations ? "FAIL" : "ok", res->ops, res->violations,
		       res->msgs, res->mpo, res->lgr * 100, res->sim_ns / 1e6, res->wall, rate,
		       S->cancels, S->basts, S->failures[0], S->failures[1], S->failures[2],
		       S->failures[3], S->demoted, S->altmode, S->lvb_reads, S->notvalid,
		       sim_chk_stale_weak(S->chk), S->ctr_incr);
		if (S->evicted != 0)
			printf("seed %" PRIu64 ": %" PRIu64 " idle resources evicted from full tables\n",
			       res->seed, S->evicted);
		if (S->enomem != 0)
			printf("seed %" PRIu64 ": %" PRIu64 " requests refused with -ENOMEM (tables full)\n",
			       res->seed, S->enomem);
	}
	fflush(stdout);
}

static void
print_repro(const struct shape *sh, uint64_t seed)
{
	char table[32] = "";

	if (sh->table != 0)
		snprintf(table, sizeof(table), " --table %u", sh->table);
	fprintf(stderr, "reproduce: lw-sim --nodes %u --workers %u --clients %u --resources %u "
		"--ops %" PRIu64 " --seed %" PRIu64 " --locality %.2f --flags %s%s%s%s\n", sh->nodes,
		sh->workers, sh->clients, sh->resources, sh->ops, seed, sh->locality_ppm / 1e6,
		sh->flags_all ? "all" : "basic", table, opt_faults ? " --faults " : "",
		opt_faults ? opt_faults_spec : "");
	if (opt_early_fence)
		fprintf(stderr, "  (with --oracle-bug early-fence)\n");
}

static double
wall_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* One seed. @return 0 ok, 1 violation, 2 set-up failure. */
static int
run_seed(const struct shape *sh, uint64_t seed, bool json, unsigned int trail, bool quiet_ok,
	 struct result *out)
{
	struct sim *S = calloc(1, sizeof(*S));
	struct result res = {.seed = seed};
	double w0 = wall_now();
	int rc = 0;

	if (S == NULL)
		return 2;
	if (sim_init(S, sh, seed) < 0) {
		sim_fini(S);
		free(S);
		return 2;
	}
	sim_in_call.seed = seed;
	sim_in_call.what = NULL;
	cur_shape = sh;
	if (opt_watchdog != 0)
		alarm(opt_watchdog);
	bool quiet = run(S);
	if (!quiet)
		not_quiet(S);
	if (sim_chk_nviol(S->chk) == 0) {
		/* every actor is done: one counter actor reads the total */
		unsigned int fs = (unsigned int)sim_rng_below(&S->rng, S->nsites);
		while (S->site[fs].s == NULL)
			fs = (fs + 1) % S->nsites;     /* a live site */
		struct actor *a = &S->act[S->site[fs].a0 + sh->clients];
		a->final_read = 1;
		a->done = 0;
		S->stopping = true;
		if (S->stop_time == 0)
			S->stop_time = S->now;
		sim_trail("%12.3f --- quiet; final counter read by a%u", ts(S), a->id);
		sim_wake(S, a, 0);
		quiet = run(S);
		if (!quiet)
			not_quiet(S);
		else if (sim_chk_nviol(S->chk) == 0 && a->final_read != 3)
			sim_fail(S, SV_COUNTER, "the final counter read did not finish");
	}
	if (sim_chk_nviol(S->chk) == 0 && quiet) {
		/*
		 * The sweep: with everything released, EX with VALBLK on every
		 * resource must be granted (a master that still counts a holding
		 * its site gave up would wait forever) and read the last value.
		 */
		S->sweeping = true;
		sim_trail("%12.3f --- quiet; sweep: EX on each of %u resources", ts(S), S->nres - 1);
		uint32_t start = (uint32_t)sim_rng_below(&S->rng, S->nact);
		unsigned int nlive = 0;
		for (unsigned int i = 0; i < S->nact; i++)
			nlive += !actor_dead(S, &S->act[i]);
		S->sweep_stride = nlive;
		for (unsigned int i = 0, j = 0; i < S->nact; i++) {
			struct actor *a = &S->act[(start + i) % S->nact];
			if (actor_dead(S, a))
				continue;
			a->sweep_pos = j++;
			a->done = 0;
			sim_wake(S, a, sim_rng_range(&S->rng, 0, 10) * US);
		}
		S->stop_time = S->now;
		quiet = run(S);
		if (!quiet)
			not_quiet(S);
	}
	if (sim_chk_nviol(S->chk) == 0)
		sim_end_checks(S);
	if (sim_chk_nviol(S->chk) == 0)
		sim_faults_check_done(S);

	struct lw_site_stats st;
	uint64_t lg = 0, rg = 0;
	for (unsigned int i = 0; i < S->nsites; i++) {
		if (S->site[i].s == NULL)
			continue;
		lw_site_get_stats(S->site[i].s, &st);
		lg += st.local_grants;
		rg += st.remote_grants;
		S->evicted += st.engine.res_reclaimed;
	}
	res.ops = S->submitted;
	res.msgs = S->msgs;
	res.sim_ns = S->now;
	res.violations = sim_chk_nviol(S->chk);
	for (int k = 0; k < SV_NKINDS; k++)
		if (sim_chk_nkind(S->chk, k) != 0)
			res.kinds |= 1u << k;
	res.recoveries = S->F.recoveries;
	res.enolck = sim_chk_enolck(S->chk);
	res.c2g_sum = S->F.c2g_sum;
	res.c2g_n = S->F.c2g_n;
	res.c2g_max = S->F.c2g_max;
	res.mpo = res.ops ? (double)res.msgs / (double)res.ops : 0;
	res.lgr = lg + rg ? (double)lg / (double)(lg + rg) : 0;
	res.wall = wall_now() - w0;
	if (res.violations != 0) {
		fprintf(stderr, "FAIL: seed %" PRIu64 " (%u nodes x %u workers, %u clients/site, %u "
			"resources, locality %.2f, flags %s) at virtual time %" PRIu64 " ns, step %"
			PRIu64 "\n", seed, sh->nodes, sh->workers, sh->clients, sh->resources,
			sh->locality_ppm / 1e6, sh->flags_all ? "all" : "basic", S->now, S->steps);
		sim_trail_dump(stderr, trail);
		uint32_t vr = sim_chk_viol_res(S->chk);
		if (vr < S->nres) {
			sim_trail_dump_res(stderr, vr, S->rname[vr], trail * 2);
			fprintf(stderr, "held modes on %s now:", S->rname[vr]);
			for (unsigned int i = 0; i < S->nsites; i++) {
				char sn[16];
				if (S->site[i].s == NULL)
					continue;
				int m = lw_site_held(S->site[i].s, S->site[i].lsid, S->rname[vr],
						     strlen(S->rname[vr]));
				fprintf(stderr, " %s=%s", sim_site_name(S->site[i].id, sn),
					sim_mode_name(m));
			}
			fprintf(stderr, "\n");
		}
		print_repro(sh, seed);
		rc = 1;
	}
	if (rc != 0 || !quiet_ok) {
		print_result(S, &res, json);
		if (!json)
			sim_faults_print(S, stdout);
	}

	alarm(0);
	if (out != NULL)
		*out = res;
	sim_fini(S);
	free(S);
	return rc;
}

/* --- main ---------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: lw-sim [options]\n"
		"  --nodes N        nodes, 1..7 (default 3)\n"
		"  --workers W      workers per node, 1..4 (default 2)\n"
		"  --clients C      client actors per site (default 3; plus one counter actor)\n"
		"  --resources R    resources r0..rR-1 (default 16)\n"
		"  --ops OPS        requests before the load stops (default 2000)\n"
		"  --seed S         the seed (default 1)\n"
		"  --seeds A:B      run seeds A..B (inclusive), fresh sites for each\n"
		"  --locality P     probability of picking from the node's own slice (default 0)\n"
		"  --flags all|basic  request flags to use (default all)\n"
		"  --json           JSON lines instead of text\n"
		"  --soak           run seeds (random shapes) until interrupted or --seconds\n"
		"  --seconds T      soak duration\n"
		"  --trail N        trail lines to print on a violation (default 30, max %u)\n"
		"  --verbose        print every trail line as it happens\n"
		"  --lenient-timers a site deadline left when all is quiet is no violation\n"
		"  --watchdog S     a seed taking more than S wall seconds fails (default 120, 0 off)\n"
		"  --table N        resources in each site's local table (default R + 17, 64..2048):\n"
		"                   small tables make sites give cached modes back under pressure\n"
		"  --fault F        break the network on purpose to see the checker fire:\n"
		"                   drop:N / dup:N (the Nth message sent), reorder (no FIFO)\n"
		"  --faults LIST    node faults, one scenario per seed among LIST (comma-separated):\n"
		"                   crash, crash-recovery, two, restart, partition, random (all);\n"
		"                   an oracle plays membership (3+ nodes; 5+ for two failures)\n"
		"  --oracle-bug early-fence  the oracle does not wait out lost nodes' leases\n"
		"                   (fence_until = loss time): the checker must fail the run\n"
		"  --expect-violation K[,K]  with --seeds: exit 0 only if a seed fails with one\n"
		"                   of these kinds (conflict, held, lvb, ...)\n"
		"  --quiet          print only failures and the summary of a range\n",
		SIM_TRAIL_LINES);
}

static void
random_shape(struct shape *sh, uint64_t seed, uint64_t ops)
{
	static const unsigned int res[] = {2, 4, 8, 16, 64, 512, 4096};
	static const uint32_t loc[] = {0, 500000, 900000};
	struct sim_rng r;

	sim_rng_seed(&r, seed ^ 0x5eedc0de5eedc0deull);
	sh->nodes = (unsigned int)sim_rng_range(&r, 1, MAX_NODES);
	sh->workers = (unsigned int)sim_rng_range(&r, 1, MAX_WORKERS);
	sh->clients = (unsigned int)sim_rng_range(&r, 1, 4);
	sh->resources = res[sim_rng_below(&r, 7)];
	sh->locality_ppm = loc[sim_rng_below(&r, 3)];
	sh->flags_all = sim_rng_below(&r, 4) != 0;
	sh->ops = ops ? ops : sim_rng_range(&r, 300, 3000);
	/* a quarter of the runs under table pressure, some long ones */
	sh->table = sim_rng_below(&r, 4) == 0 ? (uint32_t)sim_rng_range(&r, 8, 48) : 0;
	if (!ops && sim_rng_below(&r, 10) == 0)
		sh->ops = sim_rng_range(&r, 10000, 30000);
	if (opt_faults != 0 && sh->nodes < 3)
		sh->nodes = 3;       /* a fault needs a majority left */
}

static const char *eal_prog = "lw-sim";

static void
eal_start(void)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "--file-prefix=sim%d", (int)getpid());
	char *argv[] = {
		(char *)eal_prog, "--no-huge", "-m", "512", "--no-pci", prefix,
		"--log-level=error", "--no-telemetry", "--no-shconf", NULL,
	};
	if (rte_eal_init(9, argv) < 0) {
		fprintf(stderr, "lw-sim: rte_eal_init failed\n");
		exit(2);
	}
}

static bool
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno == 0 && end != s && *end == '\0';
}

int
main(int argc, char **argv)
{
	struct shape sh = {.nodes = 3, .workers = 2, .clients = 3, .resources = 16, .ops = 2000,
			   .locality_ppm = 0, .flags_all = true};
	uint64_t seed = 1, s0 = 0, s1 = 0, v;
	bool json = false, soak = false, range = false, quiet = false, ops_set = false;
	double seconds = 0;
	unsigned int trail = 30;
	static const struct option opts[] = {
		{"nodes", required_argument, NULL, 'n'}, {"workers", required_argument, NULL, 'w'},
		{"clients", required_argument, NULL, 'c'}, {"resources", required_argument, NULL, 'r'},
		{"ops", required_argument, NULL, 'o'}, {"seed", required_argument, NULL, 's'},
		{"seeds", required_argument, NULL, 'S'}, {"locality", required_argument, NULL, 'l'},
		{"flags", required_argument, NULL, 'f'}, {"json", no_argument, NULL, 'j'},
		{"soak", no_argument, NULL, 'k'}, {"seconds", required_argument, NULL, 't'},
		{"trail", required_argument, NULL, 'T'}, {"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
		{"strict-timers", no_argument, NULL, 'X'},
		{"lenient-timers", no_argument, NULL, 'Y'},
		{"watchdog", required_argument, NULL, 'W'},
		{"fault", required_argument, NULL, 'F'},
		{"table", required_argument, NULL, 'P'},
		{"faults", required_argument, NULL, 'U'},
		{"oracle-bug", required_argument, NULL, 'B'},
		{"expect-violation", required_argument, NULL, 'E'},
		{NULL, 0, NULL, 0},
	};
	int c;

	eal_prog = argv[0];
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_u64(optarg, &v) || v < 1 || v > MAX_NODES)
				goto bad;
			sh.nodes = (unsigned int)v;
			break;
		case 'w':
			if (!parse_u64(optarg, &v) || v < 1 || v > MAX_WORKERS)
				goto bad;
			sh.workers = (unsigned int)v;
			break;
		case 'c':
			if (!parse_u64(optarg, &v) || v < 1 || v > 64)
				goto bad;
			sh.clients = (unsigned int)v;
			break;
		case 'r':
			if (!parse_u64(optarg, &v) || v < 1 || v > 100000)
				goto bad;
			sh.resources = (unsigned int)v;
			break;
		case 'o':
			if (!parse_u64(optarg, &v) || v < 1)
				goto bad;
			sh.ops = v;
			ops_set = true;
			break;
		case 's':
			if (!parse_u64(optarg, &seed))
				goto bad;
			break;
		case 'S': {
			char *colon = strchr(optarg, ':');
			if (colon == NULL)
				goto bad;
			*colon = '\0';
			if (!parse_u64(optarg, &s0) || !parse_u64(colon + 1, &s1) || s1 < s0)
				goto bad;
			range = true;
			break;
		}
		case 'l': {
			char *end;
			double p = strtod(optarg, &end);
			if (*end != '\0' || p < 0 || p > 1)
				goto bad;
			sh.locality_ppm = (uint32_t)(p * 1e6 + 0.5);
			break;
		}
		case 'f':
			if (strcmp(optarg, "all") == 0)
				sh.flags_all = true;
			else if (strcmp(optarg, "basic") == 0)
				sh.flags_all = false;
			else
				goto bad;
			break;
		case 'j':
			json = true;
			break;
		case 'k':
			soak = true;
			break;
		case 't': {
			char *end;
			seconds = strtod(optarg, &end);
			if (*end != '\0' || seconds < 0)
				goto bad;
			break;
		}
		case 'T':
			if (!parse_u64(optarg, &v) || v > SIM_TRAIL_LINES)
				goto bad;
			trail = (unsigned int)v;
			opt_trail = trail;
			break;
		case 'v':
			sim_trail_echo = 1;
			break;
		case 'q':
			quiet = true;
			break;
		case 'X':
			opt_strict_timers = true;
			break;
		case 'Y':
			opt_strict_timers = false;
			break;
		case 'F':
			if (strcmp(optarg, "reorder") == 0) {
				opt_fault = FAULT_REORDER;
			} else if (strncmp(optarg, "drop:", 5) == 0 || strncmp(optarg, "dup:", 4) == 0) {
				opt_fault = optarg[1] == 'r' ? FAULT_DROP : FAULT_DUP;
				if (!parse_u64(strchr(optarg, ':') + 1, &opt_fault_at) || opt_fault_at == 0)
					goto bad;
			} else {
				goto bad;
			}
			break;
		case 'P':
			if (!parse_u64(optarg, &v) || v < 4 || v > 1000000)
				goto bad;
			sh.table = (uint32_t)v;
			break;
		case 'W':
			if (!parse_u64(optarg, &v) || v > 86400)
				goto bad;
			opt_watchdog = (unsigned int)v;
			break;
		case 'U':
			opt_faults = sim_faults_parse(optarg);
			opt_faults_spec = optarg;
			if (opt_faults == 0)
				goto bad;
			break;
		case 'E': {
			char buf[128], *save = NULL;
			snprintf(buf, sizeof(buf), "%s", optarg);
			for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
				int k;
				for (k = 0; k < SV_NKINDS; k++)
					if (strcmp(t, sim_viol_name(k)) == 0)
						break;
				if (k == SV_NKINDS)
					goto bad;
				opt_expect |= 1u << k;
			}
			break;
		}
		case 'B':
			if (strcmp(optarg, "early-fence") != 0)
				goto bad;
			opt_early_fence = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;

	eal_start();
	signal(SIGALRM, on_watchdog);
	int rc = 0;
	if (soak) {
		double t0 = wall_now();
		uint64_t n = 0, ops = 0;

		signal(SIGINT, on_sigint);
		signal(SIGTERM, on_sigint);
		for (uint64_t s = seed; !interrupted; s++) {
			struct shape rs;
			struct result res;

			random_shape(&rs, s, ops_set ? sh.ops : 0);
			rc = run_seed(&rs, s, json, trail, true, &res);
			if (rc != 0)
				break;
			n++;
			ops += res.ops;
			if (n % 50 == 0)
				fprintf(stderr, "soak: %" PRIu64 " seeds ok (up to %" PRIu64 "), %" PRIu64
					" ops, %.0f s\n", n, s, ops, wall_now() - t0);
			if (seconds > 0 && wall_now() - t0 >= seconds)
				break;
		}
		printf("soak: %" PRIu64 " seeds passed, %" PRIu64 " ops, %.1f s%s\n", n, ops,
		       wall_now() - t0, rc ? ", stopped at a failing seed" : "");
	} else if (range) {
		double t0 = wall_now();
		uint64_t n = 0, ops = 0, msgs = 0, recs = 0, enolck = 0, c2g = 0, c2gn = 0, c2gmax = 0;

		for (uint64_t s = s0; s <= s1; s++) {
			struct result res;

			memset(&res, 0, sizeof(res));
			rc = run_seed(&sh, s, json, trail, quiet, &res);
			if (rc != 0 && opt_expect != 0) {
				/* the range must fail, and for one of the expected reasons */
				rc = rc == 1 && (res.kinds & opt_expect) ? 0 : 1;
				printf("expected violation %s at seed %" PRIu64 "\n", rc ? "NOT seen" : "seen", s);
				break;
			}
			if (rc != 0)
				break;
			n++;
			ops += res.ops;
			msgs += res.msgs;
			recs += res.recoveries;
			enolck += res.enolck;
			c2g += res.c2g_sum;
			c2gn += res.c2g_n;
			if (res.c2g_max > c2gmax)
				c2gmax = res.c2g_max;
			if (s == UINT64_MAX)
				break;
		}
		double wall = wall_now() - t0;
		if (opt_expect != 0 && n == s1 - s0 + 1) {
			printf("expected violation NOT seen: every seed passed\n");
			rc = 1;
		}
		if (json)
			printf("{\"seeds\": %" PRIu64 ", \"passed\": %" PRIu64 ", \"ops\": %" PRIu64
			       ", \"messages\": %" PRIu64 ", \"wall_seconds\": %.3f, \"failed\": %s}\n",
			       s1 - s0 + 1, n, ops, msgs, wall, rc ? "true" : "false");
		else
			printf("seeds %" PRIu64 "..%" PRIu64 ": %" PRIu64 " passed%s, %" PRIu64 " ops, %"
			       PRIu64 " messages, %.2f s\n", s0, s1, n, rc ? ", then a failure" : "",
			       ops, msgs, wall);
		if (opt_faults && !json)
			printf("faults: %" PRIu64 " recoveries, %" PRIu64 " -ENOLCK, loss to first "
			       "grant on a moved bucket: mean %.3f ms, max %.3f ms (%" PRIu64 " seeds)\n",
			       recs, enolck, c2gn ? (double)c2g / c2gn / 1e6 : 0.0, c2gmax / 1e6, c2gn);
	} else {
		rc = run_seed(&sh, seed, json, trail, false, NULL);
	}
	{
		/* the runtime directory EAL leaves behind is empty (--no-shconf) */
		char rdir[PATH_MAX];

		snprintf(rdir, sizeof(rdir), "%s", rte_eal_get_runtime_dir());
		rte_eal_cleanup();
		rmdir(rdir);
	}
	return rc;
bad:
	usage(stderr);
	return 2;
}
