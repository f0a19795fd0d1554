/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_model.c — randomized differential test of the lock engine.
 *
 * A brute-force reference model of one small resource set (plain arrays,
 * O(n^2) scans) implements docs/engine.md on its own: its own mode tables,
 * queues, grant rules, blocking notices, LVBs, timers, sessions and orphans.
 * A seeded driver makes a random sequence of requests (new locks, conversions,
 * unlocks, cancels, force-unlocks, orphan adoptions, session closes, time
 * advances with ticks, and malformed requests with one defect each) and feeds
 * the same sequence, one request at a time, to the engine and to the model.
 * After each step the rc and the set of events must agree; every few steps
 * the state of every lock, the LVBs, the next deadline and lw_engine_check()
 * are compared too. On the first difference the seed, the step, the last
 * requests and both event sets are printed.
 *
 * Reproduce one run with LW_MODEL_SEED=<seed> [LW_MODEL_STEPS=<n>];
 * LW_MODEL_KEEPGOING=1 reports every failing seed instead of stopping at the
 * first one; LW_MODEL_VERBOSE=1 logs every step of the seed run;
 * LW_MODEL_SEEDS=<n> changes the number of 3000-step seeds (300).
 *
 * Rules the doc states in words the model spells out as ACC_* bits below
 * (each is on: it is the documented rule); LW_MODEL_NOACCEPT=<bits> turns
 * some off to see what the alternative reading would do.
 *
 * Choices the model makes where docs/engine.md is silent (the engine agrees):
 *  - orphans get no BLOCKING events (their session is gone);
 *  - adopting an orphan resets its highbast and reads no LVB (no has_lvb
 *    even with VALBLK); the adopter's want_bast and cookie apply from then on;
 *  - when several orphans on the resource hold the mode, any may be adopted
 *    (the model follows the engine's pick);
 *  - the cookie of BLOCKING events is that of the lock's latest accepted
 *    LOCK request (new, conversion or adoption), not of a cancel;
 *  - demotion to NL (CONVDEADLK) is not an LVB write;
 *  - an IVVALBLK write keeps the LVB bytes (only the valid bit drops);
 *  - FORCEUNLOCK of a pending lock: cancel, grant pending, release, grant
 *    pending (notices may be sent in between);
 *  - the driver keeps each lock's want_bast fixed across its conversions,
 *    makes one defect at a time in bad requests (so the order of checks
 *    does not matter), and never lets two timers share a deadline.
 *
 * The model (harness_model.c, model.h) is kept apart from the driver (this file:
 * PRNG, request generation, running both side by side, comparison,
 * failure printing, seeds, main).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwt.h"
#include "model.h"

/* ------------------------------------------------------------------------ */
/* The driver                                                                */

#define LOGN 24

struct drv {
	uint64_t seed;
	uint64_t rng;
	uint64_t now;
	int      step;
	int      verbose;
	struct lw_engine *e;
	struct lw_evbuf out;
	struct model m;
	char     log[LOGN][512];
	uint32_t old_sids[8];
	int      nold_sids;
	uint64_t cookie;
	int      maxlive;     /* locks kept at most (6..MAXLIVE) */
	int      hot;         /* percent of new locks on resource 0 */
	/* step statistics */
	uint64_t n_events, n_rejected, n_timeouts;
};

static uint64_t
rng_next(struct drv *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
rnd(struct drv *d, uint32_t n)
{
	return n ? (uint32_t)(rng_next(d) % n) : 0;
}

static int
chance(struct drv *d, int pct)
{
	return (int)rnd(d, 100) < pct;
}

static const char *
flagstr(uint32_t f)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ LW_LKF_NOQUEUE, "NOQUEUE" }, { LW_LKF_CANCEL, "CANCEL" },
		{ LW_LKF_CONVERT, "CONVERT" }, { LW_LKF_VALBLK, "VALBLK" },
		{ LW_LKF_QUECVT, "QUECVT" }, { LW_LKF_IVVALBLK, "IVVALBLK" },
		{ LW_LKF_CONVDEADLK, "CONVDEADLK" }, { LW_LKF_PERSISTENT, "PERSISTENT" },
		{ LW_LKF_NODLCKWT, "NODLCKWT" }, { LW_LKF_NODLCKBLK, "NODLCKBLK" },
		{ LW_LKF_EXPEDITE, "EXPEDITE" }, { LW_LKF_NOQUEUEBAST, "NOQUEUEBAST" },
		{ LW_LKF_HEADQUE, "HEADQUE" }, { LW_LKF_NOORDER, "NOORDER" },
		{ LW_LKF_ORPHAN, "ORPHAN" }, { LW_LKF_ALTPR, "ALTPR" },
		{ LW_LKF_ALTCW, "ALTCW" }, { LW_LKF_FORCEUNLOCK, "FORCEUNLOCK" },
		{ LW_LKF_TIMEOUT, "TIMEOUT" },
	};
	static char buf[4][256];
	static int k;
	char *b;
	size_t n = 0;

	k = (k + 1) % 4;
	b = buf[k];
	b[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (f & names[i].bit) {
			n += (size_t)snprintf(b + n, sizeof(buf[k]) - n, "%s%s", n ? "|" : "", names[i].name);
			f &= ~names[i].bit;
		}
	}
	if (f)
		n += (size_t)snprintf(b + n, sizeof(buf[k]) - n, "%s0x%x", n ? "|" : "", f);
	if (n == 0)
		snprintf(b, sizeof(buf[k]), "0");
	return b;
}

static const char *
statusname(int st)
{
	static char buf[4][16];
	static int k;

	switch (st) {
	case 0: return "0";
	case -EAGAIN: return "EAGAIN";
	case -EDEADLK: return "EDEADLK";
	case -ETIMEDOUT: return "ETIMEDOUT";
	case LW_ECANCEL: return "ECANCEL";
	case LW_EUNLOCK: return "EUNLOCK";
	case -EINVAL: return "EINVAL";
	case -ENOENT: return "ENOENT";
	case -EBUSY: return "EBUSY";
	case -ENOMEM: return "ENOMEM";
	}
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%d", st);
	return buf[k];
}

/* Model handle and session slot names for the log. */
static int
sess_slot_name(const struct drv *d, uint32_t sid)
{
	return m_find_sess(&d->m, sid);
}

static void
logf_step(struct drv *d, const char *fmt, ...)
{
	char *b = d->log[d->step % LOGN];
	int n;
	va_list ap;

	n = snprintf(b, 512, "step %d t=%" PRIu64 ": ", d->step, d->now);
	va_start(ap, fmt);
	vsnprintf(b + n, (size_t)(512 - n), fmt, ap);
	va_end(ap);
	if (d->verbose)
		fprintf(stderr, "%s\n", b);
}

static void
log_append(struct drv *d, const char *fmt, ...)
{
	char *b = d->log[d->step % LOGN];
	size_t n = strlen(b);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b + n, 512 - n, fmt, ap);
	va_end(ap);
	if (d->verbose)
		fprintf(stderr, "    %s\n", b + n);
}

static void
describe_req(struct drv *d, const struct lw_req *q)
{
	int ri = -1, h;

	if (q->op == LW_REQ_LOCK && !(q->flags & LW_LKF_CONVERT)) {
		if (q->namelen >= 1 && q->namelen <= LW_RESNAME_MAXLEN)
			ri = m_find_res(&d->m, q->lsid, q->name, q->namelen);
		logf_step(d, "LOCK s%d(sid %u) res %d (lsid %u len %u) mode %s flags %s%s tmo %uus cookie %" PRIu64,
			  sess_slot_name(d, q->session), q->session, ri, q->lsid, q->namelen,
			  mname(q->mode), flagstr(q->flags), q->want_bast ? " bast" : "",
			  q->timeout_us, q->cookie);
		return;
	}
	h = m_find_lkid(&d->m, q->lkid);
	if (q->op == LW_REQ_LOCK)
		logf_step(d, "CONVERT lk 0x%08x (h%d res %d) by s%d(sid %u) to %s flags %s%s tmo %uus cookie %" PRIu64,
			  q->lkid, h, h >= 0 ? d->m.lk[h].res : -1, sess_slot_name(d, q->session), q->session,
			  mname(q->mode), flagstr(q->flags), q->want_bast ? " bast" : "",
			  q->timeout_us, q->cookie);
	else
		logf_step(d, "UNLOCK lk 0x%08x (h%d res %d) by s%d(sid %u) flags %s cookie %" PRIu64,
			  q->lkid, h, h >= 0 ? d->m.lk[h].res : -1, sess_slot_name(d, q->session), q->session,
			  flagstr(q->flags), q->cookie);
}

/* Canonical form of an event: lvb zeroed when there is none. */
static void
canon(struct lw_event *ev)
{
	if (!ev->has_lvb)
		memset(ev->lvb, 0, LW_LVB_LEN);
}

static int
ev_cmp(const void *pa, const void *pb)
{
	const struct lw_event *a = pa, *b = pb;

#define CMPF(f) do { if (a->f != b->f) return a->f < b->f ? -1 : 1; } while (0)
	CMPF(lkid);
	CMPF(type);
	CMPF(status);
	CMPF(mode);
	CMPF(cookie);
	CMPF(sbflags);
	CMPF(has_lvb);
	CMPF(session);
#undef CMPF
	return memcmp(a->lvb, b->lvb, LW_LVB_LEN);
}

static void
print_ev(const struct drv *d, const struct lw_event *ev)
{
	int h = m_find_lkid(&d->m, ev->lkid);

	fprintf(stderr, "    lk 0x%08x (h%d) %s status %s mode %s sb 0x%x sess %u cookie %" PRIu64,
		ev->lkid, h, ev->type == LW_EV_COMPLETE ? "COMPLETE" :
		ev->type == LW_EV_BLOCKING ? "BLOCKING" : "??",
		statusname(ev->status), mname(ev->mode), ev->sbflags, ev->session, ev->cookie);
	if (ev->has_lvb) {
		fprintf(stderr, " lvb ");
		for (int i = 0; i < 8; i++)
			fprintf(stderr, "%02x", ev->lvb[i]);
		fprintf(stderr, "..");
	}
	fprintf(stderr, "\n");
}

static void
dump_model(const struct drv *d)
{
	const struct model *m = &d->m;

	fprintf(stderr, "  model state:\n");
	for (int ri = 0; ri < m->nres; ri++) {
		const struct mres *r = &m->res[ri];
		if (!r->created)
			continue;
		fprintf(stderr, "   res %d lvb %s %02x%02x%02x%02x..\n", ri, r->valid ? "valid" : "NOTVALID",
			r->lvb[0], r->lvb[1], r->lvb[2], r->lvb[3]);
		for (int qi = 0; qi < 3; qi++) {
			fprintf(stderr, "     %s:", qi == QG ? "granted" : qi == QC ? "convert" : "wait   ");
			for (int i = 0; i < r->n[qi]; i++) {
				const struct mlock *l = &m->lk[r->q[qi][i]];
				fprintf(stderr, " [h%d 0x%08x s%d gr %s rq %s hb %s%s%s%s%s]", r->q[qi][i], l->lkid,
					l->sess, mname(l->gr), qi == QG ? "-" : mname(l->rq),
					l->highbast < 0 ? "-" : mname(l->highbast), l->want_bast ? "" : " nobast",
					l->persistent ? " P" : "", l->demoted ? " DEM" : "",
					(l->flags & LW_LKF_NOORDER) ? " NOORDER" : "");
			}
			fprintf(stderr, "\n");
		}
	}
}

static int
fail(struct drv *d, const struct lw_event *mev, int nm, const struct lw_event *eev, int ne,
     const char *fmt, ...)
{
	va_list ap;
	int first = d->step - LOGN + 1;

	fprintf(stderr, "\n==== test_model: MISMATCH seed %" PRIu64 " step %d: ", d->seed, d->step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  reproduce: LW_MODEL_SEED=%" PRIu64 " LW_MODEL_STEPS=%d\n", d->seed, d->step + 1);
	fprintf(stderr, "  last requests:\n");
	for (int s = first < 0 ? 0 : first; s <= d->step; s++)
		fprintf(stderr, "   %s\n", d->log[s % LOGN]);
	if (mev != NULL) {
		fprintf(stderr, "  model events (%d):\n", nm);
		for (int i = 0; i < nm; i++)
			print_ev(d, &mev[i]);
	}
	if (eev != NULL) {
		fprintf(stderr, "  engine events (%d):\n", ne);
		for (int i = 0; i < ne; i++)
			print_ev(d, &eev[i]);
	}
	dump_model(d);
	return -1;
}

/* Compare the events of this step (model: d->m.ev; engine: d->out). */
static int
compare_events(struct drv *d)
{
	static struct lw_event me[MAXEV], ee[MAXEV];
	int nm = d->m.nev, ne = (int)d->out.n;

	if (d->m.overflow)
		return fail(d, NULL, 0, NULL, 0, "model event buffer overflow");
	if (d->out.lost)
		return fail(d, NULL, 0, NULL, 0, "engine lost %" PRIu64 " events", d->out.lost);
	if (ne > MAXEV)
		return fail(d, NULL, 0, NULL, 0, "engine produced %d events", ne);
	memcpy(me, d->m.ev, (size_t)nm * sizeof(me[0]));
	memcpy(ee, d->out.ev, (size_t)ne * sizeof(ee[0]));
	for (int i = 0; i < nm; i++)
		canon(&me[i]);
	for (int i = 0; i < ne; i++)
		canon(&ee[i]);
	qsort(me, (size_t)nm, sizeof(me[0]), ev_cmp);
	qsort(ee, (size_t)ne, sizeof(ee[0]), ev_cmp);
	d->n_events += (uint64_t)ne;
	if (d->verbose)
		for (int i = 0; i < ne; i++)
			print_ev(d, &ee[i]);
	if (nm != ne)
		return fail(d, me, nm, ee, ne, "event count differs (model %d, engine %d)", nm, ne);
	for (int i = 0; i < nm; i++)
		if (ev_cmp(&me[i], &ee[i]) != 0)
			return fail(d, me, nm, ee, ne, "event %d differs", i);
	return 0;
}

/* Compare the whole state. */
static int
compare_state(struct drv *d)
{
	struct model *m = &d->m;
	struct lw_engine_stats st;
	int nlive = 0, norph = 0;
	uint64_t md, ed;

	if (lw_engine_check(d->e) != 0)
		return fail(d, NULL, 0, NULL, 0, "lw_engine_check failed");
	for (int h = 0; h < POOL; h++) {
		const struct mlock *l = &m->lk[h];
		struct lw_lock_info info;
		int rc;

		if (!l->used)
			continue;
		nlive++;
		norph += l->sess < 0;
		memset(&info, 0, sizeof(info));
		rc = lw_engine_lock_info(d->e, l->lkid, &info);
		if (rc != 0)
			return fail(d, NULL, 0, NULL, 0, "lock_info(h%d 0x%08x) rc %d", h, l->lkid, rc);
		if (info.lkid != l->lkid || info.session != m_owner_sid(m, l) ||
		    info.grmode != l->gr || info.state != l->state ||
		    (info.persistent != 0) != (l->persistent != 0) ||
		    ((l->state == QS_CONVERT || l->state == QS_WAIT) && info.rqmode != l->rq))
			return fail(d, NULL, 0, NULL, 0,
				    "lock h%d 0x%08x: engine lkid 0x%08x sess %u gr %s rq %s state %u pers %u; "
				    "model sess %u gr %s rq %s state %d pers %d",
				    h, l->lkid, info.lkid, info.session, mname(info.grmode), mname(info.rqmode),
				    info.state, info.persistent, m_owner_sid(m, l), mname(l->gr), mname(l->rq),
				    l->state, l->persistent);
	}
	/* Recently freed ids are unknown (unless reused by a live lock). */
	for (int i = 0; i < 32 && i < m->nfreed; i++) {
		struct lw_lock_info info;
		uint32_t id = m->freed[i];
		if (m_find_lkid(m, id) >= 0)
			continue;
		if (lw_engine_lock_info(d->e, id, &info) != -ENOENT)
			return fail(d, NULL, 0, NULL, 0, "lock_info of freed lkid 0x%08x is not -ENOENT", id);
	}
	lw_engine_get_stats(d->e, &st);
	if ((int)st.locks != nlive || (int)st.orphans != norph)
		return fail(d, NULL, 0, NULL, 0, "stats: engine locks %u orphans %u, model %d %d",
			    st.locks, st.orphans, nlive, norph);
	for (int ri = 0; ri < m->nres; ri++) {
		uint8_t lvb[LW_LVB_LEN];
		bool valid = false;
		int rc = lw_engine_res_lvb(d->e, m->rls[ri], m->rname[ri], m->rlen[ri], lvb, &valid);
		const struct mres *r = &m->res[ri];

		if (!r->created) {
			static const uint8_t zero[LW_LVB_LEN];
			if (rc == 0 && (!valid || memcmp(lvb, zero, LW_LVB_LEN) != 0))
				return fail(d, NULL, 0, NULL, 0, "res %d never locked but its LVB is not zero+valid", ri);
			continue;
		}
		if (rc != 0)
			return fail(d, NULL, 0, NULL, 0, "res_lvb(res %d) rc %d (evicted?)", ri, rc);
		if ((valid != 0) != (r->valid != 0) || memcmp(lvb, r->lvb, LW_LVB_LEN) != 0)
			return fail(d, NULL, 0, NULL, 0,
				    "res %d LVB: engine %s %02x%02x%02x%02x.., model %s %02x%02x%02x%02x..", ri,
				    valid ? "valid" : "NOTVALID", lvb[0], lvb[1], lvb[2], lvb[3],
				    r->valid ? "valid" : "NOTVALID", r->lvb[0], r->lvb[1], r->lvb[2], r->lvb[3]);
	}
	md = m_next_deadline(m);
	ed = lw_engine_next_deadline(d->e);
	if (md != ed)
		return fail(d, NULL, 0, NULL, 0, "next deadline: engine %" PRIu64 ", model %" PRIu64, ed, md);
	return 0;
}

/* --- request generation ---------------------------------------------------- */

/* docs/engine.md: QUECVT is refused when the old mode covers the new. */
static int
quecvt_up(int gr, int mode)
{
	return !m_covers(gr, mode);
}

static int
quecvt_down(int gr, int mode)
{
	return m_covers(gr, mode);
}

static uint32_t
pick_timeout(struct drv *d)
{
	uint32_t t = 1 + rnd(d, 300);

	while (m_deadline_used(&d->m, d->now + (uint64_t)t * 1000))
		t++;
	return t;
}

/* A random live lock satisfying pred, or -1. */
static int
pick_lock(struct drv *d, int (*pred)(const struct mlock *))
{
	int cand[POOL], n = 0;

	for (int h = 0; h < POOL; h++)
		if (d->m.lk[h].used && (pred == NULL || pred(&d->m.lk[h])))
			cand[n++] = h;
	return n ? cand[rnd(d, (uint32_t)n)] : -1;
}

static int is_granted_owned(const struct mlock *l) { return l->state == QS_GRANTED && l->sess >= 0; }
static int is_pending(const struct mlock *l) { return l->state == QS_CONVERT || l->state == QS_WAIT; }
static int is_owned(const struct mlock *l) { return l->sess >= 0; }
static int is_orphan(const struct mlock *l) { return l->sess < 0; }
static int is_pending_owned(const struct mlock *l) { return is_pending(l) && l->sess >= 0; }

/* An lkid that names no live lock. */
static uint32_t
unknown_lkid(struct drv *d)
{
	for (;;) {
		uint32_t id;
		int h;

		switch (rnd(d, 5)) {
		case 0:
			id = 0;
			break;
		case 1:
			id = (uint32_t)rng_next(d);
			break;
		case 2:
			if (d->m.nfreed == 0)
				continue;
			id = d->m.freed[rnd(d, (uint32_t)(d->m.nfreed < 32 ? d->m.nfreed : 32))];
			break;
		case 3:
			h = pick_lock(d, NULL);
			if (h < 0)
				continue;
			id = d->m.lk[h].lkid ^ (1u << (20 + rnd(d, 7)));   /* another generation */
			break;
		default:
			h = pick_lock(d, NULL);
			if (h < 0)
				continue;
			id = d->m.lk[h].lkid ^ (1u << (27 + rnd(d, 5)));   /* another worker */
			break;
		}
		if (m_find_lkid(&d->m, id) < 0)
			return id;
	}
}

/* A session id that is not open (0, a closed one, or random). */
static uint32_t
unknown_sid(struct drv *d)
{
	for (;;) {
		uint32_t sid;

		switch (rnd(d, 3)) {
		case 0:
			sid = 0;
			break;
		case 1:
			if (d->nold_sids == 0)
				continue;
			sid = d->old_sids[rnd(d, (uint32_t)(d->nold_sids < 8 ? d->nold_sids : 8))];
			break;
		default:
			sid = (uint32_t)rng_next(d);
			break;
		}
		if (m_find_sess(&d->m, sid) < 0)
			return sid;
	}
}

static void
rand_lvb(struct drv *d, uint8_t *lvb)
{
	for (int i = 0; i < LW_LVB_LEN; i += 8) {
		uint64_t v = rng_next(d);
		memcpy(lvb + i, &v, 8);
	}
}

static void
req_base(struct drv *d, struct lw_req *q, int op)
{
	memset(q, 0, sizeof(*q));
	q->op = (uint8_t)op;
	q->cookie = ++d->cookie;
	rand_lvb(d, q->lvb);
}

static void
set_res(struct drv *d, struct lw_req *q, int ri)
{
	q->lsid = d->m.rls[ri];
	q->namelen = d->m.rlen[ri];
	memcpy(q->name, d->m.rname[ri], q->namelen);
}

static int
rand_mode(struct drv *d)
{
	return (int)rnd(d, 6);
}

/* A valid new-lock request. */
static void
gen_new(struct drv *d, struct lw_req *q)
{
	uint32_t f = 0;
	int mode = rand_mode(d);

	req_base(d, q, LW_REQ_LOCK);
	q->session = d->m.sid[rnd(d, (uint32_t)d->m.nsess)];
	set_res(d, q, chance(d, d->hot) ? 0 : (int)rnd(d, (uint32_t)d->m.nres));
	q->mode = (int8_t)mode;
	q->want_bast = chance(d, 85);
	if (chance(d, 20)) {
		f |= LW_LKF_NOQUEUE;
		if (chance(d, 50))
			f |= LW_LKF_NOQUEUEBAST;
	}
	if (chance(d, 30))
		f |= LW_LKF_VALBLK;
	if (chance(d, 5))
		f |= LW_LKF_IVVALBLK;
	if (chance(d, 25))
		f |= LW_LKF_PERSISTENT;
	if (chance(d, 10))
		f |= LW_LKF_NODLCKWT;
	if (mode == NL && chance(d, 30))
		f |= LW_LKF_EXPEDITE;
	if (chance(d, 15))
		f |= LW_LKF_HEADQUE;
	if (chance(d, 12))
		f |= LW_LKF_NOORDER;
	if (chance(d, 12))
		f |= LW_LKF_ALTPR;
	else if (chance(d, 12))
		f |= LW_LKF_ALTCW;
	if (!(f & LW_LKF_NOQUEUE) && chance(d, 25)) {
		f |= LW_LKF_TIMEOUT;
		q->timeout_us = pick_timeout(d);
	} else if (chance(d, 10)) {
		q->timeout_us = 1 + rnd(d, 100);   /* ignored without TIMEOUT */
	}
	q->flags = f;
}

/* A conversion of h by its owner (valid when h is granted). */
static void
gen_conv(struct drv *d, struct lw_req *q, int h)
{
	const struct mlock *l = &d->m.lk[h];
	uint32_t f = LW_LKF_CONVERT;
	int mode;

	req_base(d, q, LW_REQ_LOCK);
	q->lkid = l->lkid;
	q->session = l->sess >= 0 ? d->m.sid[l->sess] : d->m.sid[0];
	q->lsid = d->m.rls[l->res];
	if (chance(d, 30)) {
		/* the name is not looked at */
		q->namelen = (uint8_t)rnd(d, 80);
		rand_lvb(d, q->name);
	}
	q->want_bast = (uint8_t)l->want_bast;
	if (l->gr >= 0 && chance(d, 50)) {
		/* up or same */
		do
			mode = rand_mode(d);
		while (!m_covers(mode, l->gr));
	} else {
		mode = rand_mode(d);
	}
	q->mode = (int8_t)mode;
	if (chance(d, 20)) {
		f |= LW_LKF_NOQUEUE;
		if (chance(d, 50))
			f |= LW_LKF_NOQUEUEBAST;
	}
	if (chance(d, 35))
		f |= LW_LKF_VALBLK;
	if (chance(d, 12))
		f |= LW_LKF_IVVALBLK;
	if (l->state == QS_GRANTED && quecvt_up(l->gr, mode) && chance(d, 25))
		f |= LW_LKF_QUECVT;
	if (chance(d, 25))
		f |= LW_LKF_CONVDEADLK;
	if (chance(d, 10))
		f |= LW_LKF_PERSISTENT;
	if (chance(d, 20))
		f |= LW_LKF_NODLCKWT;
	if (chance(d, 15))
		f |= LW_LKF_HEADQUE;
	if (chance(d, 10))
		f |= LW_LKF_NOORDER;
	if (chance(d, 12))
		f |= LW_LKF_ALTPR;
	else if (chance(d, 12))
		f |= LW_LKF_ALTCW;
	if (!(f & LW_LKF_NOQUEUE) && chance(d, 25)) {
		f |= LW_LKF_TIMEOUT;
		q->timeout_us = pick_timeout(d);
	}
	q->flags = f;
}

static void
gen_unlock(struct drv *d, struct lw_req *q, int h, uint32_t f)
{
	const struct mlock *l = &d->m.lk[h];

	req_base(d, q, LW_REQ_UNLOCK);
	q->lkid = l->lkid;
	q->lsid = d->m.rls[l->res];
	q->session = l->sess >= 0 ? d->m.sid[l->sess] : d->m.sid[rnd(d, (uint32_t)d->m.nsess)];
	if (chance(d, 40))
		f |= LW_LKF_VALBLK;
	if (chance(d, 12))
		f |= LW_LKF_IVVALBLK;
	q->flags = f;
}

/* A request with exactly one defect. Returns 0, or 1 when it chose a session close instead. */
static int
gen_invalid(struct drv *d, struct lw_req *q, uint32_t *close_sid)
{
	int h, other;

	for (;;) {
		switch (rnd(d, 38)) {
		/* new locks */
		case 0:
			gen_new(d, q);
			q->lsid = (uint16_t)(d->m.lsid[0] + d->m.lsid[1] + 1 + rnd(d, 100));
			return 0;
		case 1:
			gen_new(d, q);
			q->session = unknown_sid(d);
			return 0;
		case 2: {
			static const int8_t bad[] = { -1, 6, 7, 100, -128, 127, -2 };
			gen_new(d, q);
			q->mode = bad[rnd(d, sizeof(bad))];
			q->flags &= ~LW_LKF_EXPEDITE;
			return 0;
		}
		case 3:
			gen_new(d, q);
			q->namelen = 0;
			return 0;
		case 4:
			gen_new(d, q);
			q->namelen = (uint8_t)(LW_RESNAME_MAXLEN + 1 + rnd(d, 255 - LW_RESNAME_MAXLEN));
			return 0;
		case 5:
			gen_new(d, q);
			q->flags |= chance(d, 50) ? LW_LKF_NODLCKBLK : (1u << (19 + rnd(d, 13)));
			return 0;
		case 6:
			gen_new(d, q);
			q->flags |= LW_LKF_CANCEL;
			return 0;
		case 7:
			gen_new(d, q);
			q->flags |= LW_LKF_FORCEUNLOCK;
			return 0;
		case 8:
			gen_new(d, q);
			q->flags |= LW_LKF_QUECVT;
			return 0;
		case 9:
			gen_new(d, q);
			q->flags |= LW_LKF_CONVDEADLK;
			return 0;
		case 10:
			gen_new(d, q);
			q->mode = (int8_t)(1 + rnd(d, 5));
			q->flags |= LW_LKF_EXPEDITE;
			return 0;
		case 11:
			gen_new(d, q);
			q->flags &= ~LW_LKF_NOQUEUE;
			q->flags |= LW_LKF_NOQUEUEBAST;
			return 0;
		case 12:
			gen_new(d, q);
			q->flags |= LW_LKF_ALTPR | LW_LKF_ALTCW;
			return 0;
		case 13:
			gen_new(d, q);
			q->flags &= ~(LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST);
			q->flags |= LW_LKF_TIMEOUT;
			q->timeout_us = 0;
			return 0;
		case 14:
			gen_new(d, q);
			q->flags |= LW_LKF_TIMEOUT | LW_LKF_NOQUEUE;
			q->timeout_us = pick_timeout(d);
			return 0;
		/* conversions */
		case 15:
			h = pick_lock(d, is_granted_owned);
			if (h < 0)
				continue;
			gen_conv(d, q, h);
			q->flags &= ~LW_LKF_QUECVT;
			q->lkid = unknown_lkid(d);
			return 0;
		case 16:
			h = pick_lock(d, is_granted_owned);
			if (h < 0 || d->m.nsess < 2)
				continue;
			gen_conv(d, q, h);
			other = (d->m.lk[h].sess + 1 + (int)rnd(d, (uint32_t)d->m.nsess - 1)) % d->m.nsess;
			q->session = chance(d, 80) ? d->m.sid[other] : unknown_sid(d);
			return 0;
		case 17:
			h = pick_lock(d, is_orphan);
			if (h < 0)
				continue;
			gen_conv(d, q, h);
			q->flags &= ~LW_LKF_QUECVT;
			q->session = d->m.sid[rnd(d, (uint32_t)d->m.nsess)];
			return 0;
		case 18: {
			static const int8_t bad[] = { -1, 6, 9, -128, 127 };
			h = pick_lock(d, is_granted_owned);
			if (h < 0)
				continue;
			gen_conv(d, q, h);
			q->flags &= ~LW_LKF_QUECVT;
			q->mode = bad[rnd(d, sizeof(bad))];
			return 0;
		}
		case 19: case 20: case 21: case 22: case 23: case 24: case 25: case 26: case 27:
		{
			int which = (int)rnd(d, 9);
			h = pick_lock(d, is_granted_owned);
			if (h < 0)
				continue;
			gen_conv(d, q, h);
			switch (which) {
			case 0: q->flags |= chance(d, 50) ? LW_LKF_NODLCKBLK : (1u << (19 + rnd(d, 13))); break;
			case 1: q->flags |= chance(d, 50) ? LW_LKF_CANCEL : LW_LKF_FORCEUNLOCK; break;
			case 2: q->flags |= LW_LKF_EXPEDITE; if (chance(d, 50)) q->mode = NL; break;
			case 3: q->flags |= LW_LKF_ORPHAN; break;
			case 4: q->flags &= ~LW_LKF_NOQUEUE; q->flags |= LW_LKF_NOQUEUEBAST; break;
			case 5: q->flags |= LW_LKF_ALTPR | LW_LKF_ALTCW; break;
			case 6:
				q->flags &= ~(LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST);
				q->flags |= LW_LKF_TIMEOUT;
				q->timeout_us = 0;
				break;
			case 7:
				q->flags |= LW_LKF_TIMEOUT | LW_LKF_NOQUEUE;
				q->timeout_us = pick_timeout(d);
				break;
			default: {
				/* QUECVT on a conversion that is not up */
				int gr = d->m.lk[h].gr, mode, tries = 0;
				do
					mode = rand_mode(d);
				while (!quecvt_down(gr, mode) && ++tries < 50);
				if (!quecvt_down(gr, mode))
					continue;
				q->mode = (int8_t)mode;
				q->flags |= LW_LKF_QUECVT;
				break;
			}
			}
			return 0;
		}
		case 28:
			h = pick_lock(d, is_pending_owned);
			if (h < 0)
				continue;
			gen_conv(d, q, h);
			q->flags &= ~LW_LKF_QUECVT;
			return 0;
		/* unlocks */
		case 29:
			h = pick_lock(d, is_owned);
			if (h < 0)
				continue;
			gen_unlock(d, q, h, 0);
			{
				static const uint32_t badf[] = {
					LW_LKF_NOQUEUE, LW_LKF_CONVERT, LW_LKF_QUECVT, LW_LKF_PERSISTENT,
					LW_LKF_HEADQUE, LW_LKF_TIMEOUT, LW_LKF_ORPHAN, LW_LKF_NODLCKBLK,
					LW_LKF_EXPEDITE, LW_LKF_ALTPR, 1u << 25,
				};
				q->flags |= badf[rnd(d, sizeof(badf) / sizeof(badf[0]))];
			}
			return 0;
		case 30:
			h = pick_lock(d, is_owned);
			if (h < 0)
				continue;
			gen_unlock(d, q, h, LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK);
			return 0;
		case 31:
			h = pick_lock(d, is_granted_owned);
			if (h < 0)
				continue;
			gen_unlock(d, q, h, chance(d, 30) ? LW_LKF_FORCEUNLOCK :
				   chance(d, 30) ? LW_LKF_CANCEL : 0);
			q->lkid = unknown_lkid(d);
			return 0;
		case 32:
			h = pick_lock(d, is_owned);
			if (h < 0 || d->m.nsess < 2)
				continue;
			gen_unlock(d, q, h, chance(d, 30) ? LW_LKF_FORCEUNLOCK :
				   chance(d, 30) ? LW_LKF_CANCEL : 0);
			other = (d->m.lk[h].sess + 1 + (int)rnd(d, (uint32_t)d->m.nsess - 1)) % d->m.nsess;
			q->session = chance(d, 80) ? d->m.sid[other] : unknown_sid(d);
			return 0;
		case 33:
			h = pick_lock(d, is_orphan);
			if (h < 0)
				continue;
			gen_unlock(d, q, h, chance(d, 50) ? LW_LKF_CANCEL : 0);
			return 0;
		case 34:
			h = pick_lock(d, is_pending_owned);
			if (h < 0)
				continue;
			gen_unlock(d, q, h, 0);
			return 0;
		case 35:
			h = pick_lock(d, is_granted_owned);
			if (h < 0)
				continue;
			gen_unlock(d, q, h, LW_LKF_CANCEL);
			return 0;
		case 36:
			*close_sid = unknown_sid(d);
			return 1;
		default: {
			static const int8_t bad[] = { -1, 6, 100 };
			gen_new(d, q);
			q->flags = LW_LKF_ORPHAN;
			q->mode = bad[rnd(d, sizeof(bad))];
			return 0;
		}
		}
	}
}

/* An ORPHAN adoption request (valid flags). */
static void
gen_adopt(struct drv *d, struct lw_req *q)
{
	int h = pick_lock(d, is_orphan);

	gen_new(d, q);
	q->flags &= ~(LW_LKF_EXPEDITE | LW_LKF_TIMEOUT);
	q->flags |= LW_LKF_ORPHAN;
	if (chance(d, 85))
		q->flags &= ~(LW_LKF_VALBLK | LW_LKF_IVVALBLK);
	if (h >= 0 && chance(d, 85)) {
		set_res(d, q, d->m.lk[h].res);
		if (chance(d, 75))
			q->mode = (int8_t)d->m.lk[h].gr;
	}
	if (q->mode == NL && chance(d, 20))
		q->flags |= LW_LKF_EXPEDITE;
}

/* --- one step -------------------------------------------------------------- */

static int
do_submit(struct drv *d, struct lw_req *q)
{
	struct lw_req eq = *q;
	int mrc;
	uint32_t n;

	describe_req(d, q);
	d->out.n = 0;
	d->m.nev = 0;
	n = lw_engine_submit(d->e, &eq, 1, d->now, &d->out);
	if (n != 1)
		return fail(d, NULL, 0, NULL, 0, "lw_engine_submit returned %u", n);
	mrc = m_submit(&d->m, q, eq.lkid, d->now);
	log_append(d, " -> rc %s", statusname(eq.rc));
	if (eq.rc == 0 && q->op == LW_REQ_LOCK && !(q->flags & LW_LKF_CONVERT))
		log_append(d, " lkid 0x%08x", eq.lkid);
	if (eq.rc != mrc)
		return fail(d, d->m.ev, d->m.nev, d->out.ev, (int)d->out.n,
			    "rc: engine %s, model %s", statusname(eq.rc), statusname(mrc));
	if (mrc != 0) {
		d->n_rejected++;
		g_cov[C_REJECT]++;
	}
	if (mrc == 0 && q->op == LW_REQ_LOCK && !(q->flags & LW_LKF_CONVERT) &&
	    !(q->flags & LW_LKF_ORPHAN)) {
		/* the new id must be fresh */
		int cnt = 0;
		if (eq.lkid == 0)
			return fail(d, NULL, 0, NULL, 0, "new lock got lkid 0");
		for (int h = 0; h < POOL; h++)
			cnt += d->m.lk[h].used && d->m.lk[h].lkid == eq.lkid;
		if (cnt > 1)
			return fail(d, NULL, 0, NULL, 0, "new lkid 0x%08x is already live", eq.lkid);
	}
	return compare_events(d);
}

static int
do_close(struct drv *d, uint32_t sid)
{
	int slot = m_find_sess(&d->m, sid);
	int rc, mrc = slot < 0 ? -ENOENT : 0;

	logf_step(d, "SESSION_CLOSE sid %u (s%d)", sid, slot);
	g_cov[C_CLOSE]++;
	d->out.n = 0;
	d->m.nev = 0;
	rc = lw_engine_session_close(d->e, sid, d->now, &d->out);
	if (slot >= 0)
		m_session_close(&d->m, slot);
	log_append(d, " -> rc %s", statusname(rc));
	if (rc != mrc)
		return fail(d, NULL, 0, NULL, 0, "session_close rc: engine %s, model %s",
			    statusname(rc), statusname(mrc));
	if (compare_events(d) != 0)
		return -1;
	if (slot >= 0) {
		uint32_t nsid;
		d->old_sids[d->nold_sids++ % 8] = sid;
		rc = lw_engine_session_open(d->e, &nsid);
		if (rc != 0 || nsid == 0)
			return fail(d, NULL, 0, NULL, 0, "session_open rc %d sid %u", rc, nsid);
		if (m_find_sess(&d->m, nsid) >= 0)
			return fail(d, NULL, 0, NULL, 0, "session_open gave sid %u, already open", nsid);
		d->m.sid[slot] = nsid;
		log_append(d, "; reopened as sid %u", nsid);
	}
	return 0;
}

static int
do_tick(struct drv *d)
{
	uint32_t n;
	int mn;

	logf_step(d, "TICK");
	d->out.n = 0;
	d->m.nev = 0;
	n = lw_engine_tick(d->e, d->now, &d->out);
	mn = m_tick(&d->m, d->now);
	d->n_timeouts += (uint64_t)mn;
	log_append(d, " -> %u timed out", n);
	if ((int)n != mn)
		return fail(d, d->m.ev, d->m.nev, NULL, 0, "tick: engine ended %u, model %d", n, mn);
	return compare_events(d);
}

static int
step(struct drv *d)
{
	struct lw_req q;
	int live = m_live(&d->m);
	int r = (int)rnd(d, 100);
	int h;
	uint32_t sid;

	logf_step(d, "(nothing to do)");
	d->now += rnd(d, 4000);
	if (r < 27) {
		if (live < d->maxlive) {
			gen_new(d, &q);
			return do_submit(d, &q);
		}
		r = 27;
	}
	if (r < 50) {
		h = pick_lock(d, is_granted_owned);
		if (h < 0 || chance(d, 3))
			h = pick_lock(d, is_owned);
		if (h < 0) {
			if (live >= d->maxlive)
				return 0;
			gen_new(d, &q);
			return do_submit(d, &q);
		}
		gen_conv(d, &q, h);
		if (d->m.lk[h].state != QS_GRANTED)
			q.flags &= ~LW_LKF_QUECVT;
		return do_submit(d, &q);
	}
	if (r < 63) {
		h = pick_lock(d, is_granted_owned);
		if (h < 0)
			return 0;
		gen_unlock(d, &q, h, 0);
		return do_submit(d, &q);
	}
	if (r < 71) {
		h = pick_lock(d, is_pending_owned);
		if (h < 0)
			return 0;
		gen_unlock(d, &q, h, LW_LKF_CANCEL);
		return do_submit(d, &q);
	}
	if (r < 75) {
		h = pick_lock(d, NULL);
		if (h < 0)
			return 0;
		gen_unlock(d, &q, h, LW_LKF_FORCEUNLOCK);
		return do_submit(d, &q);
	}
	if (r < 78) {
		gen_adopt(d, &q);
		return do_submit(d, &q);
	}
	if (r < 87) {
		uint64_t next = m_next_deadline(&d->m);
		if (next != UINT64_MAX && next > d->now && chance(d, 30))
			d->now = next - (chance(d, 25) ? 1 : 0);   /* right at (or just before) a deadline */
		else if (chance(d, 80))
			d->now += (uint64_t)rnd(d, 300) * 1000 + rnd(d, 1000);
		return do_tick(d);
	}
	if (r < 89)
		return do_close(d, d->m.sid[rnd(d, (uint32_t)d->m.nsess)]);
	if (gen_invalid(d, &q, &sid))
		return do_close(d, sid);
	return do_submit(d, &q);
}

/* --- one run ----------------------------------------------------------------- */

static int
run_seed(uint64_t seed, int steps, int verbose)
{
	static unsigned int seq;
	struct drv *d = calloc(1, sizeof(*d));
	struct model *m;
	struct lw_engine_conf conf;
	char name[32];
	int rc = 0;

	if (d == NULL) {
		CU_FAIL("out of memory");
		return -1;
	}
	m = &d->m;
	d->seed = seed;
	d->rng = seed * 0x2545f4914f6cdd1dull + 12345;
	d->verbose = verbose;
	d->now = 1000000000ull + rnd(d, 1000000);
	d->step = -1;
	d->maxlive = 6 + (int)rnd(d, MAXLIVE - 5);
	d->hot = (int)rnd(d, 60);

	snprintf(name, sizeof(name), "lwm%u", seq++);
	memset(&conf, 0, sizeof(conf));
	conf.name = name;
	conf.max_resources = 64;
	conf.max_locks = 256;
	conf.max_sessions = 16;
	conf.max_lockspaces = 4;
	conf.worker = rnd(d, LW_ENGINE_MAX_WORKERS);
	conf.socket_id = -1;
	d->e = lw_engine_create(&conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d->e);
	CU_ASSERT_EQUAL_FATAL(lw_evbuf_init(&d->out, 4), 0);
	CU_ASSERT_EQUAL_FATAL(lw_engine_ls_open(d->e, "lsA", 3, &m->lsid[0]), 0);
	CU_ASSERT_EQUAL_FATAL(lw_engine_ls_open(d->e, "lsB", 3, &m->lsid[1]), 0);
	CU_ASSERT_NOT_EQUAL_FATAL(m->lsid[0], m->lsid[1]);

	m->nsess = 2 + (int)rnd(d, MAXSESS - 1);
	for (int i = 0; i < m->nsess; i++)
		CU_ASSERT_EQUAL_FATAL(lw_engine_session_open(d->e, &m->sid[i]), 0);

	/*
	 * Resources: even ones in lsA, odd ones in lsB; the same names in both
	 * lockspaces, and names that differ only in length.
	 */
	m->nres = 1 + (int)rnd(d, MAXRES);
	for (int ri = 0; ri < m->nres; ri++) {
		static const uint8_t lens[] = { 1, 2, 64, 17 };
		int k = ri / 2;
		m->rls[ri] = m->lsid[ri & 1];
		m->rlen[ri] = lens[k];
		memset(m->rname[ri], 0, LW_RESNAME_MAXLEN);
		m->rname[ri][0] = 'A';
		if (k == 2)
			for (int i = 1; i < 64; i++)
				m->rname[ri][i] = (uint8_t)(i * 7);
		if (k == 3)
			memcpy(m->rname[ri], "resource-number-3", 17);
		m->res[ri].valid = 1;
	}

	for (d->step = 0; d->step < steps; d->step++) {
		if (step(d) != 0) {
			rc = -1;
			break;
		}
		if ((d->step % 16 == 15 || d->step == steps - 1) && compare_state(d) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && verbose)
		fprintf(stderr, "seed %" PRIu64 ": %d steps, %" PRIu64 " events, %" PRIu64
			" rejected, %" PRIu64 " timeouts\n", seed, steps, d->n_events, d->n_rejected,
			d->n_timeouts);
	if (rc != 0)
		CU_FAIL("engine and model differ (see stderr)");
	lw_evbuf_fini(&d->out);
	lw_engine_free(d->e);
	free(d);
	return rc;
}

static int
env_int(const char *name, int dflt)
{
	const char *s = getenv(name);

	return s != NULL && *s ? atoi(s) : dflt;
}

static void
run_seeds(uint64_t first, int nseeds, int steps)
{
	int keep = env_int("LW_MODEL_KEEPGOING", 0);
	int bad = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < nseeds; i++) {
		if (run_seed(first + (uint64_t)i, steps, 0) != 0) {
			bad++;
			if (!keep)
				break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "test_model: seeds %" PRIu64 "..%" PRIu64 " x %d steps: %d failed, %.2f s\n ",
		first, first + (uint64_t)nseeds - 1, steps, bad,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (int i = 0; i < C_NCOV; i++)
		fprintf(stderr, " %s=%" PRIu64, cov_names[i], g_cov[i]);
	fprintf(stderr, "\n");
	memset(g_cov, 0, sizeof(g_cov));
}

static void
test_model_seed(void)
{
	const char *s = getenv("LW_MODEL_SEED");

	if (s == NULL || *s == 0)
		return;
	run_seed(strtoull(s, NULL, 0), env_int("LW_MODEL_STEPS", 3000), env_int("LW_MODEL_VERBOSE", 0));
}

static void
test_model_short(void)
{
	if (getenv("LW_MODEL_SEED") != NULL)
		return;
	run_seeds(1, env_int("LW_MODEL_SEEDS", 300), env_int("LW_MODEL_STEPS", 3000));
}

static void
test_model_long(void)
{
	if (getenv("LW_MODEL_SEED") != NULL)
		return;
	run_seeds(100001, 5, 20000);
}

int
main(int argc, char **argv)
{
	(void)argc;
	g_accept &= ~(unsigned int)env_int("LW_MODEL_NOACCEPT", 0);
	lwt_eal_init(argv[0]);
	lwt_suite("model",
		  "seed_from_env", test_model_seed,
		  "seeds_1_to_300_x3000", test_model_short,
		  "seeds_100001_to_100005_x20000", test_model_long,
		  NULL);
	return lwt_run();
}
