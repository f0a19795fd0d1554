/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * harness_actor.c — the client actors of the simulator.
 *
 * Each actor has its own session on its site and issues one request at a
 * time (plus at most one CANCEL of that request), waiting for its COMPLETE:
 * new locks in every mode, conversions up and down, unlocks, NOQUEUE, and
 * with --flags all random valid combinations of the other flags. It holds
 * at most a few locks, reacts to most BLOCKING events by unlocking or
 * converting down soon, cancels requests now and then and always after
 * PATIENCE_NS (which also breaks deadlocks, the simulator has no deadlock
 * detector), and releases everything when the load stops. The counter actor
 * of each site only takes EX with VALBLK on "ctr", checks the count read,
 * and unlocks writing count + 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sim_priv.h"

/* --- requests ------------------------------------------------------------ */

static const char *
pk_name(uint8_t pk, const struct lw_req *r)
{
	if (pk == PK_NONE)
		return "CANCEL";
	if (r->op == LW_REQ_UNLOCK)
		return "UNLOCK";
	return (r->flags & LW_LKF_CONVERT) ? "CONVERT" : "NEW";
}

int
sim_do_submit(struct sim *S, struct actor *a, struct lw_req *r, uint32_t res, uint8_t pk)
{
	struct ssite *ss = &S->site[a->site];
	char sn[16], fb[128];
	uint32_t n;

	r->session = a->session;
	r->lsid = ss->lsid;
	r->rc = -EPROTO;
	sim_call_begin(S, r->flags & LW_LKF_CANCEL ? "lw_site_submit (cancel)" : "lw_site_submit",
		       ss->id);
	sim_in_call.req = r;
	sim_in_call.res = res < S->nres ? S->rname[res] : "-";
	sim_in_call.actor = a->id;
	n = lw_site_submit(ss->s, r, 1, S->now, &ss->out);
	sim_call_end();
	char lv[32] = "";
	if (r->flags & (LW_LKF_VALBLK | LW_LKF_IVVALBLK))
		snprintf(lv, sizeof(lv), " lvb=%" PRIx64, le64(r->lvb));
	sim_touch(S, res);
	sim_trail_res(res < S->nres ? res : SIM_NO_RES,
		  "%12.3f REQ %s a%u %-7s lk=%#x %s m=%s fl=%s ck=%" PRIu64 " rc=%s%s", ts(S), sim_site_name(ss->id, sn), a->id, pk_name(pk, r), r->lkid,
		  res < S->nres ? S->rname[res] : "-", r->op == LW_REQ_LOCK ? sim_mode_name(r->mode) : "-",
		  sim_flags_str(r->flags, fb, sizeof(fb)), r->cookie, sim_status_name(r->rc), lv);
	if (n != 1)
		sim_fail(S, SV_EVENT, "lw_site_submit returned %u for one request", n);
	sim_chk_submit(S->chk, ss->id, res, r);
	if (pk != PK_NONE) {
		S->submitted++;
		if (r->rc == 0) {
			a->pk = pk;
			a->cookie = r->cookie;
			a->plkid = r->lkid;
			a->pres = res;
			a->pmode = r->mode;
			a->pflags = r->flags;
			a->ptmo = r->timeout_us;
			a->psince = S->now;
			a->cancel_out = 0;
		}
	}
	sim_drain(S, a->site, false);
	return r->rc;
}

static void
after_submit(struct sim *S, struct actor *a, const struct lw_req *r, uint8_t pk)
{
	char sn[16], fb[128];

	if (r->rc == 0) {
		if (pk != PK_UNLOCK && a->pk == pk && a->cookie == r->cookie) {
			if (!S->sweeping && sim_rng_ppm(&S->rng, 80000))
				sim_push(S, S->now + sim_rng_range(&S->rng, 0, 40) * US, EV_CANCEL, a->id,
				     r->cookie);
			sim_push(S, S->now + PATIENCE_NS + sim_rng_range(&S->rng, 0, 2000) * US, EV_CANCEL,
			     a->id, r->cookie);
		}
		return;
	}
	if (r->rc == -ENOMEM) {
		S->enomem++;
		sim_wake(S, a, sim_rng_range(&S->rng, 20, 200) * US);
		return;
	}
	if (r->rc == -ENOLCK && S->F.spec != 0 &&
	    S->F.node[lw_site_node(S->site[a->site].id)].fenced) {
		/* the node lost its lease: nothing is granted until it rejoins */
		S->F.enolck_refused++;
		if (S->stopping)
			a->done = 1;
		else
			sim_wake(S, a, sim_rng_range(&S->rng, 500, 1500) * US);
		return;
	}
	sim_fail(S, SV_REJECT, "%s refused a valid %s (actor a%u, lkid %#x, mode %s, flags %s): %s",
	     sim_site_name(S->site[a->site].id, sn), pk_name(pk, r), a->id, r->lkid,
	     sim_mode_name(r->mode), sim_flags_str(r->flags, fb, sizeof(fb)),
	     sim_status_name(r->rc));
}

static uint32_t
pick_timeout(struct sim *S)
{
	return (uint32_t)sim_rng_range(&S->rng, 20, 2000);
}

static int
pick_mode(struct sim *S)
{
	/* NL 10, CR 15, CW 10, PR 25, PW 15, EX 25 */
	static const uint8_t w[6] = {10, 15, 10, 25, 15, 25};
	uint64_t x = sim_rng_below(&S->rng, 100);

	for (int m = 0; m < 6; m++) {
		if (x < w[m])
			return m;
		x -= w[m];
	}
	return LW_LOCK_EX;
}

#define P(x) sim_rng_ppm(&S->rng, (x) * 10000u)   /* x percent */

static uint32_t
pick_lock_flags(struct sim *S, int mode, bool conv, int cur, uint32_t *timeout_us)
{
	uint32_t f = 0;

	*timeout_us = 0;
	if (P(12))
		f |= LW_LKF_NOQUEUE;
	if (P(30))
		f |= LW_LKF_VALBLK;
	if (!S->sh.flags_all)
		return f;
	if ((f & LW_LKF_NOQUEUE) && P(40))
		f |= LW_LKF_NOQUEUEBAST;
	if (P(4))
		f |= LW_LKF_IVVALBLK;
	if (P(10))
		f |= LW_LKF_NODLCKWT;
	if (P(8))
		f |= LW_LKF_HEADQUE;
	if (P(8))
		f |= LW_LKF_NOORDER;
	if (P(8))
		f |= LW_LKF_ALTPR;
	else if (P(8))
		f |= LW_LKF_ALTCW;
	if (!(f & LW_LKF_NOQUEUE) && P(10)) {
		f |= LW_LKF_TIMEOUT;
		*timeout_us = pick_timeout(S);
	}
	if (!conv) {
		if (mode == LW_LOCK_NL && P(30))
			f |= LW_LKF_EXPEDITE;
	} else {
		if (!sim_covers(cur, mode) && P(15))
			f |= LW_LKF_QUECVT;
		if (P(15))
			f |= LW_LKF_CONVDEADLK;
	}
	return f;
}

static uint32_t
pick_res(struct sim *S, struct actor *a)
{
	unsigned int R = S->sh.resources, N = S->sh.nodes;
	unsigned int node = lw_site_node(S->site[a->site].id);
	uint32_t r = 0;

	for (int tries = 0; tries < 4; tries++) {
		unsigned int lo = (node - 1) * R / N, hi = node * R / N;
		bool dup = false;

		if (hi > lo && sim_rng_ppm(&S->rng, S->sh.locality_ppm))
			r = lo + (uint32_t)sim_rng_below(&S->rng, hi - lo);
		else
			r = (uint32_t)sim_rng_below(&S->rng, R);
		for (uint32_t i = 0; i < a->nh; i++)
			dup |= a->h[i].res == r;
		if (!dup || P(10))
			break;
	}
	return r;
}

static void
issue_new(struct sim *S, struct actor *a, uint32_t res, int mode, uint32_t flags, uint32_t tmo)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_LOCK;
	r.mode = (int8_t)mode;
	r.flags = flags;
	r.timeout_us = tmo;
	r.want_bast = 1;
	r.cookie = ++S->next_cookie;
	r.namelen = (uint8_t)strlen(S->rname[res]);
	memcpy(r.name, S->rname[res], r.namelen);
	sim_do_submit(S, a, &r, res, PK_NEW);
	after_submit(S, a, &r, PK_NEW);
}

static void
issue_conv(struct sim *S, struct actor *a, uint32_t i, int mode, uint32_t flags, uint32_t tmo)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_LOCK;
	r.mode = (int8_t)mode;
	r.flags = flags | LW_LKF_CONVERT;
	r.timeout_us = tmo;
	r.want_bast = 1;
	r.lkid = a->h[i].lkid;
	r.cookie = ++S->next_cookie;
	fill_lvb(r.lvb, sim_rng_next(&S->rng));
	sim_do_submit(S, a, &r, a->h[i].res, PK_CONV);
	after_submit(S, a, &r, PK_CONV);
}

static void
issue_unlock(struct sim *S, struct actor *a, uint32_t i, uint32_t flags, const uint8_t *lvb)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_UNLOCK;
	r.flags = flags;
	r.lkid = a->h[i].lkid;
	r.cookie = ++S->next_cookie;
	if (lvb != NULL)
		memcpy(r.lvb, lvb, LW_LVB_LEN);
	else
		fill_lvb(r.lvb, sim_rng_next(&S->rng));
	sim_do_submit(S, a, &r, a->h[i].res, PK_UNLOCK);
	after_submit(S, a, &r, PK_UNLOCK);
}

static uint32_t
pick_unlock_flags(struct sim *S)
{
	uint32_t f = 0;

	if (P(50))
		f |= LW_LKF_VALBLK;
	if (S->sh.flags_all) {
		if (P(4))
			f |= LW_LKF_IVVALBLK;
		if (P(10))
			f |= LW_LKF_FORCEUNLOCK;
	}
	return f;
}

/* --- actors -------------------------------------------------------------- */

void
begin_stop(struct sim *S)
{
	if (S->stopping)
		return;
	S->stopping = true;
	S->stop_time = S->now;
	sim_trail("%12.3f --- load stops after %" PRIu64 " requests: actors release everything",
		  ts(S), S->submitted);
	for (unsigned int i = 0; i < S->nact; i++)
		sim_wake(S, &S->act[i], sim_rng_range(&S->rng, 0, 10) * US);
}

static uint64_t
think(struct sim *S)
{
	if (P(10))
		return sim_rng_range(&S->rng, 20, 200) * US;
	return sim_rng_range(&S->rng, 0, 20000);
}

static void
counter_read(struct sim *S, struct actor *a, const struct lw_event *ev)
{
	uint64_t v;

	sim_chk_set_res(S->chk, S->nres - 1);
	if (!ev->has_lvb) {
		sim_fail(S, SV_COUNTER, "actor a%u: counter granted EX with VALBLK but no value block",
		     a->id);
		v = S->ctr_incr;
	} else if ((ev->sbflags & LW_SBF_VALNOTVALID) && S->F.spec != 0) {
		/*
		 * A loss took the value (the checker allowed it or failed the
		 * run): increments that landed and increments lost with an EX
		 * holder cannot be told apart, so the count starts again from
		 * the committed increments.
		 */
		v = S->ctr_incr;
		S->ctr_rederived++;
	} else if (ev->sbflags & LW_SBF_VALNOTVALID) {
		if (S->ctr_incr != 0)
			sim_fail(S, SV_COUNTER, "actor a%u: counter value block not valid after %" PRIu64
			     " increments", a->id, S->ctr_incr);
		v = 0;
	} else {
		v = le64(ev->lvb);
	}
	if (v != S->ctr_incr)
		sim_fail(S, SV_COUNTER, "actor a%u%s: counter reads %" PRIu64 ", %" PRIu64
		     " increments were committed", a->id, a->final_read ? " (final read)" : "", v,
		     S->ctr_incr);
	a->ctr_val = v;
}

static int
held_index(const struct actor *a, uint32_t lkid)
{
	for (uint32_t i = 0; i < a->nh; i++)
		if (a->h[i].lkid == lkid)
			return (int)i;
	return -1;
}

static void
held_remove(struct actor *a, uint32_t i)
{
	a->h[i] = a->h[--a->nh];
}

void
actor_event(struct sim *S, struct actor *a, const struct lw_event *ev)
{
	int i;

	if (ev->type == LW_EV_COMPLETE && ev->status == -ENOLCK) {
		/* the site fenced itself: the lock is gone, with its request */
		i = held_index(a, ev->lkid);
		if (i >= 0)
			held_remove(a, (uint32_t)i);
		if (a->pk != PK_NONE && a->plkid == ev->lkid) {
			a->pk = PK_NONE;
			a->cancel_out = 0;
		}
		if (a->final_read == 2 && a->nh == 0)
			a->final_read = 1;
		sim_wake(S, a, sim_rng_range(&S->rng, 500, 1500) * US);
		return;
	}
	if (ev->type == LW_EV_BLOCKING) {
		S->basts++;
		i = held_index(a, ev->lkid);
		if (i >= 0) {
			a->h[i].blocked = 1;
			a->h[i].bast_mode = ev->mode;
		}
		if (P(85))
			sim_wake(S, a, sim_rng_range(&S->rng, 1, 10) * US);
		return;
	}
	if (a->pk == PK_NONE || ev->cookie != a->cookie)
		return;          /* the checker reports what does not fit */
	uint8_t pk = a->pk;

	a->pk = PK_NONE;
	a->cancel_out = 0;
	S->completes++;
	if (ev->status == 0)
		S->grants++;
	S->demoted += (ev->sbflags & LW_SBF_DEMOTED) != 0;
	S->altmode += (ev->sbflags & LW_SBF_ALTMODE) != 0;
	S->notvalid += (ev->sbflags & LW_SBF_VALNOTVALID) != 0;
	S->lvb_reads += ev->has_lvb != 0;
	switch (ev->status) {
	case -EAGAIN: S->failures[0]++; break;
	case -EDEADLK: S->failures[1]++; break;
	case -ETIMEDOUT: S->failures[2]++; break;
	case LW_ECANCEL: S->failures[3]++; break;
	default: break;
	}
	switch (pk) {
	case PK_NEW:
		if (ev->status == 0 && a->nh < MAX_HELD &&
		    ev->mode >= LW_LOCK_NL && ev->mode <= LW_LOCK_EX) {
			a->h[a->nh++] = (struct held){.lkid = ev->lkid, .res = a->pres,
						      .mode = ev->mode};
			if (a->pres == S->nres - 1) {
				counter_read(S, a, ev);
				if (a->final_read == 1)
					a->final_read = 2;
			}
		}
		break;
	case PK_CONV:
		i = held_index(a, a->plkid);
		if (i >= 0 && ev->mode >= LW_LOCK_NL && ev->mode <= LW_LOCK_EX) {
			a->h[i].mode = ev->mode;
			if (ev->status == 0)
				a->h[i].blocked = 0;
		}
		break;
	case PK_UNLOCK:
		i = held_index(a, a->plkid);
		if (i >= 0 && ev->status == LW_EUNLOCK) {
			if (a->h[i].res == S->nres - 1 && a->counter && !a->final_read &&
			    (a->pflags & LW_LKF_VALBLK))
				S->ctr_incr++;
			held_remove(a, (uint32_t)i);
			if (a->final_read == 2) {
				a->final_read = 3;
				a->done = 1;
			}
		}
		break;
	}
	sim_wake(S, a, a->counter ? sim_rng_range(&S->rng, 5, 60) * US : think(S));
}

static void
react(struct sim *S, struct actor *a, uint32_t i)
{
	int cur = a->h[i].mode;
	int target = sim_meet(cur, sim_ceiling(a->h[i].bast_mode));

	S->reacts++;
	if (target == cur || P(50)) {
		issue_unlock(S, a, i, pick_unlock_flags(S), NULL);
		return;
	}
	issue_conv(S, a, i, target, P(50) ? LW_LKF_VALBLK : 0, 0);
}

static void
counter_act(struct sim *S, struct actor *a)
{
	uint8_t lvb[LW_LVB_LEN];

	if (a->nh > 0) {
		fill_lvb(lvb, a->ctr_val + 1);
		issue_unlock(S, a, 0, LW_LKF_VALBLK, lvb);
		return;
	}
	if (S->stopping) {
		a->done = 1;
		return;
	}
	issue_new(S, a, S->nres - 1, LW_LOCK_EX, LW_LKF_VALBLK, 0);
}

void
actor_act(struct sim *S, struct actor *a)
{
	uint32_t tmo;

	if (a->pk != PK_NONE || a->done)
		return;
	if (a->final_read == 1) {
		issue_new(S, a, S->nres - 1, LW_LOCK_EX, LW_LKF_VALBLK, 0);
		return;
	}
	if (a->final_read == 2) {
		issue_unlock(S, a, 0, 0, NULL);
		return;
	}
	if (S->sweeping) {
		/* EX with VALBLK on each of this actor's share of the resources, one at a time */
		if (a->nh > 0) {
			issue_unlock(S, a, 0, 0, NULL);
		} else if (a->sweep_pos < S->nres - 1) {
			uint64_t enomem = S->enomem;
			issue_new(S, a, a->sweep_pos, LW_LOCK_EX, LW_LKF_VALBLK, 0);
			if (S->enomem == enomem)      /* refused for room: try it again later */
				a->sweep_pos += S->sweep_stride ? S->sweep_stride : S->nact;
		} else {
			a->done = 1;
		}
		return;
	}
	if (!S->stopping && S->submitted >= S->sh.ops)
		begin_stop(S);
	if (a->counter) {
		counter_act(S, a);
		return;
	}
	if (S->stopping) {
		if (a->nh > 0)
			issue_unlock(S, a, a->nh - 1, pick_unlock_flags(S), NULL);
		else
			a->done = 1;
		return;
	}
	for (uint32_t i = 0; i < a->nh; i++) {
		if (a->h[i].blocked) {
			a->h[i].blocked = 0;
			react(S, a, i);
			return;
		}
	}
	if (a->nh == 0 || (a->nh < a->maxh && P(45))) {
		uint32_t res = pick_res(S, a);
		int mode = pick_mode(S);
		uint32_t f = pick_lock_flags(S, mode, false, LW_LOCK_IV, &tmo);
		issue_new(S, a, res, mode, f, tmo);
		return;
	}
	uint32_t i = (uint32_t)sim_rng_below(&S->rng, a->nh);
	if (P(45)) {
		int mode = pick_mode(S);
		uint32_t f = pick_lock_flags(S, mode, true, a->h[i].mode, &tmo);
		issue_conv(S, a, i, mode, f, tmo);
		return;
	}
	issue_unlock(S, a, i, pick_unlock_flags(S), NULL);
}

void
actor_cancel(struct sim *S, struct actor *a, uint64_t cookie)
{
	struct lw_req r;
	char sn[16];

	if (a->pk == PK_NONE || a->pk == PK_UNLOCK || a->cookie != cookie)
		return;
	sim_chk_set_res(S->chk, a->pres);
	if (a->cancel_out) {
		if (S->now - a->cancel_at >= CANCEL_DONE_NS && !sim_faults_stable(S, CANCEL_DONE_NS)) {
			/* recovery holds requests and cancels: look again once it is over */
			sim_push(S, S->now + CANCEL_DONE_NS, EV_CANCEL, a->id, cookie);
			return;
		}
		if (S->now - a->cancel_at >= CANCEL_DONE_NS) {
			sim_fail(S, SV_LIVENESS, "actor a%u on %s: cancel of lkid %#x accepted %" PRIu64
			     " ns ago, and its request (cookie %" PRIu64 ") is still pending", a->id,
			     sim_site_name(S->site[a->site].id, sn), a->plkid,
			     S->now - a->cancel_at, cookie);
			sim_chk_stalled(S->chk, a->pres, 0);
			return;
		}
		sim_push(S, a->cancel_at + CANCEL_DONE_NS, EV_CANCEL, a->id, cookie);
		return;
	}
	if (S->now - a->psince >= PATIENCE_NS && sim_faults_stable(S, STALL_QUIET_NS) &&
	    sim_chk_stalled(S->chk, a->pres, STALL_QUIET_NS))
		return;
	if (S->sweeping) {
		/* nothing else runs: the request must be granted; no cancel, look again later */
		sim_push(S, S->now + PATIENCE_NS, EV_CANCEL, a->id, cookie);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_UNLOCK;
	r.flags = LW_LKF_CANCEL;
	r.lkid = a->plkid;
	r.cookie = ++S->next_cookie;
	sim_do_submit(S, a, &r, a->pres, PK_NONE);
	if (r.rc == 0) {
		S->cancels++;
		if (a->pk != PK_NONE && a->cookie == cookie) {
			a->cancel_out = 1;
			a->cancel_at = S->now;
			sim_push(S, S->now + CANCEL_DONE_NS, EV_CANCEL, a->id, cookie);
		}
		return;
	}
	S->cancels_busy++;
	if (r.rc == -EBUSY && (a->pk == PK_NONE || a->cookie != cookie))
		return;
	if (r.rc == -ENOLCK && (a->pk == PK_NONE || a->cookie != cookie))
		return;      /* the site fenced itself: the request ended with -ENOLCK */
	if (r.rc == -EBUSY && (a->pflags & LW_LKF_TIMEOUT) &&
	    S->now >= a->psince + (uint64_t)a->ptmo * US) {
		/*
		 * Its timeout already withdrew the request and the COMPLETE
		 * waits for the master's answer: the lock counts as pending
		 * (engine/shadow.c). With a lost master the answer comes only
		 * through recovery, so the window is wide.
		 */
		S->cancels_late++;
		return;
	}
	sim_fail(S, SV_REJECT, "actor a%u on %s: CANCEL of lkid %#x refused with %s while its request "
	     "(cookie %" PRIu64 ") is pending with no COMPLETE", a->id,
	     sim_site_name(S->site[a->site].id, sn), a->plkid, sim_status_name(r.rc), cookie);
}


bool
actor_dead(const struct sim *S, const struct actor *a)
{
	return S->site[a->site].s == NULL;
}

void
actor_reset(struct sim *S, struct actor *a)
{
	(void)S;
	a->nh = 0;
	a->pk = PK_NONE;
	a->cancel_out = 0;
	a->cookie = 0;
	a->done = 1;
	a->final_read = 0;
	a->wake_at = UINT64_MAX;
	a->wake_gen++;
}
