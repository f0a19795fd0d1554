/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_check.c — the checker of the cluster simulator.
 *
 * It sees every request submitted to every site (with the rc the site gave)
 * and every event that came out of a site, in the order the simulation made
 * them (which respects causality: a release is seen before any grant it
 * allowed, because that grant needed a message sent after the release).
 *
 * State: the accepted requests still waiting for their COMPLETE (by cookie),
 * and the client locks cluster-wide (by (site, lkid)) with the mode the
 * checker believes each holds, listed per resource. Checks:
 *  - every grant is compatible with every other granted lock on the resource,
 *    on any site (the simulator's own compatibility table);
 *  - a (site, lkid) is never granted twice as a new lock;
 *  - every accepted request gets exactly one COMPLETE, to its session, with a
 *    status its flags allow (-EAGAIN only with NOQUEUE, -ETIMEDOUT only with
 *    TIMEOUT, LW_ECANCEL only after an accepted cancel) and a mode that is the
 *    one asked (or its ALT mode with LW_SBF_ALTMODE); a failed conversion
 *    keeps the mode held;
 *  - BLOCKING names a granted lock of that session and a mode it blocks;
 *  - value blocks: the checker keeps the resource's LVB as the last write
 *    (docs/engine.md: a PW/EX holder going below PW/EX with VALBLK or
 *    IVVALBLK) and every VALBLK read granted in CW, PR, PW or EX must return
 *    exactly it (NL and CR may coexist with a PW writer on another site, whose
 *    write stays in that site's cache until it gives PW up, so they are only
 *    counted when older: docs/protocol.md allows it; CW is held to the rule
 *    although the doc would allow it too, since no writer can coexist with a
 *    CW holding and a new CW holding comes with the master's value);
 *  - at the end nothing is pending and nothing is granted.
 *
 * CONVDEADLK: a conversion that closes a conversion deadlock may be demoted
 * to NL while it stays pending, with no event until it completes. When a
 * grant conflicts only with locks that have such a conversion pending, the
 * checker assumes the demotion happened (the lock counts as NL from then on)
 * and requires that conversion's COMPLETE to carry LW_SBF_DEMOTED.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "site.h"

struct creq {                 /* an accepted request waiting for its COMPLETE */
	uint64_t cookie;
	uint64_t t;           /* submit time */
	uint32_t lock;        /* index + 1 of its lock record */
	uint32_t session;
	uint32_t flags;
	uint16_t site;
	uint8_t  op;
	uint8_t  conv;
	int8_t   mode;
	uint8_t  cancelled;   /* an accepted CANCEL names it */
	uint8_t  used;
	uint8_t  lvb[LW_LVB_LEN];
	uint32_t next_free;
};

struct clk {                  /* a client lock as the checker sees it */
	uint64_t since;       /* granted (or created) at */
	uint32_t lkid;
	uint32_t session;
	uint32_t res;
	uint32_t pend;        /* index + 1 of its pending LOCK request */
	uint32_t unl;         /* index + 1 of its pending UNLOCK */
	uint32_t prev, next;  /* resource list (index + 1) */
	uint32_t next_free;
	uint16_t site;
	int8_t   mode;        /* LW_LOCK_IV while not granted */
	uint8_t  demoted;     /* assumed demoted to NL by CONVDEADLK */
	uint8_t  used;
	uint8_t  gone;        /* ended with -ENOLCK; its unlock still to complete */
};

struct cres {
	char name[LW_RESNAME_MAXLEN + 1];
	uint32_t head;        /* first lock (index + 1) */
	uint32_t nlocks;
	uint64_t last_change;
	uint64_t writes;
	uint8_t  lvb_valid;
	uint8_t  lvb_lost;    /* a loss may have made the value not valid */
	uint8_t  lvb[LW_LVB_LEN];
};

struct sim_chk {
	struct creq *req;
	uint32_t nreq, capreq, req_free, npending;
	struct clk *lk;
	uint32_t nlk, caplk, lk_free, nlive;
	struct cres *res;
	uint32_t nres;
	struct sim_map by_cookie;  /* cookie -> req index + 1 */
	struct sim_map by_lock;    /* site << 32 | lkid -> lock index + 1 */
	uint64_t now;
	unsigned int nviol;
	unsigned int kinds[SV_NKINDS];
	uint32_t viol_res;         /* resource of the latest violation */
	uint32_t cur_res;          /* resource of what is being looked at */
	uint64_t stale_weak;       /* NL/CR reads older than the last write (allowed) */
	uint64_t lease_end[256];   /* node -> -ENOLCK allowed from then (0: never set) */
	uint64_t enolck;
	uint64_t lvb_lost_reads;
	bool quiet;
};

static const char *viol_names[SV_NKINDS] = {
	[SV_CONFLICT] = "conflict",
	[SV_DOUBLE_GRANT] = "double-grant",
	[SV_COMPLETION] = "completion",
	[SV_MISSING] = "missing-completion",
	[SV_LEFT_HELD] = "left-held",
	[SV_EVENT] = "bad-event",
	[SV_LVB] = "lvb",
	[SV_COUNTER] = "counter",
	[SV_SITE_CHECK] = "site-check",
	[SV_LIVENESS] = "liveness",
	[SV_REJECT] = "rejected",
	[SV_CACHE] = "cache",
	[SV_HELD] = "held",
	[SV_BAST] = "bast-mode",
};

const char *
sim_viol_name(int kind)
{
	return kind >= 0 && kind < SV_NKINDS ? viol_names[kind] : "?";
}

static inline uint64_t
lock_key(uint16_t site, uint32_t lkid)
{
	return (uint64_t)site << 32 | lkid | (1ull << 63);
}

struct sim_chk *
sim_chk_new(void)
{
	struct sim_chk *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->viol_res = SIM_NO_RES;
	c->cur_res = SIM_NO_RES;
	if (sim_map_init(&c->by_cookie, 1024) < 0 || sim_map_init(&c->by_lock, 1024) < 0) {
		sim_chk_free(c);
		return NULL;
	}
	return c;
}

void
sim_chk_free(struct sim_chk *c)
{
	if (c == NULL)
		return;
	sim_map_fini(&c->by_cookie);
	sim_map_fini(&c->by_lock);
	free(c->req);
	free(c->lk);
	free(c->res);
	free(c);
}

void
sim_chk_set_quiet(struct sim_chk *c, bool quiet)
{
	c->quiet = quiet;
}

void
sim_chk_now(struct sim_chk *c, uint64_t now)
{
	c->now = now;
}

unsigned int
sim_chk_nviol(const struct sim_chk *c)
{
	return c->nviol;
}

unsigned int
sim_chk_nkind(const struct sim_chk *c, int kind)
{
	return kind >= 0 && kind < SV_NKINDS ? c->kinds[kind] : 0;
}

uint64_t
sim_chk_stale_weak(const struct sim_chk *c)
{
	return c->stale_weak;
}

void
sim_chk_set_res(struct sim_chk *c, uint32_t res)
{
	c->cur_res = res;
}

uint32_t
sim_chk_viol_res(const struct sim_chk *c)
{
	return c->viol_res;
}

uint32_t
sim_chk_lock_res(const struct sim_chk *c, uint16_t site, uint32_t lkid)
{
	uint32_t v;

	if (!sim_map_get(&c->by_lock, (uint64_t)site << 32 | lkid | (1ull << 63), &v))
		return SIM_NO_RES;
	return c->lk[v - 1].res;
}

void
sim_chk_fail(struct sim_chk *c, int kind, const char *fmt, ...)
{
	va_list ap;

	c->nviol++;
	if (c->cur_res != SIM_NO_RES)
		c->viol_res = c->cur_res;
	if (kind >= 0 && kind < SV_NKINDS)
		c->kinds[kind]++;
	if (c->quiet)
		return;
	fprintf(stderr, "VIOLATION [%s] t=%" PRIu64 "ns: ", sim_viol_name(kind), c->now);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static struct cres *
res_at(struct sim_chk *c, uint32_t res)
{
	if (res >= c->nres) {
		uint32_t n = res + 1 > c->nres * 2 ? res + 1 : c->nres * 2;
		struct cres *r = realloc(c->res, n * sizeof(*r));

		if (r == NULL) {
			fprintf(stderr, "sim_check: out of memory\n");
			abort();
		}
		memset(r + c->nres, 0, (n - c->nres) * sizeof(*r));
		for (uint32_t i = c->nres; i < n; i++) {
			snprintf(r[i].name, sizeof(r[i].name), "#%u", i);
			r[i].lvb_valid = 1;
		}
		c->res = r;
		c->nres = n;
	}
	return &c->res[res];
}

int
sim_chk_res(struct sim_chk *c, uint32_t res, const char *name)
{
	struct cres *r = res_at(c, res);

	snprintf(r->name, sizeof(r->name), "%s", name);
	return 0;
}

/* --- pools --------------------------------------------------------------- */

static uint32_t
req_new(struct sim_chk *c)
{
	uint32_t i;

	if (c->req_free != 0) {
		i = c->req_free - 1;
		c->req_free = c->req[i].next_free;
	} else {
		if (c->nreq == c->capreq) {
			uint32_t n = c->capreq ? c->capreq * 2 : 256;
			struct creq *p = realloc(c->req, n * sizeof(*p));
			if (p == NULL)
				abort();
			c->req = p;
			c->capreq = n;
		}
		i = c->nreq++;
	}
	memset(&c->req[i], 0, sizeof(c->req[i]));
	c->req[i].used = 1;
	c->npending++;
	return i;
}

static void
req_del(struct sim_chk *c, uint32_t i)
{
	sim_map_del(&c->by_cookie, c->req[i].cookie);
	c->req[i].used = 0;
	c->req[i].next_free = c->req_free;
	c->req_free = i + 1;
	c->npending--;
}

static uint32_t
lk_new(struct sim_chk *c, uint16_t site, uint32_t lkid, uint32_t res)
{
	uint32_t i;
	struct cres *r = res_at(c, res);

	if (c->lk_free != 0) {
		i = c->lk_free - 1;
		c->lk_free = c->lk[i].next_free;
	} else {
		if (c->nlk == c->caplk) {
			uint32_t n = c->caplk ? c->caplk * 2 : 256;
			struct clk *p = realloc(c->lk, n * sizeof(*p));
			if (p == NULL)
				abort();
			c->lk = p;
			c->caplk = n;
		}
		i = c->nlk++;
	}
	struct clk *l = &c->lk[i];
	memset(l, 0, sizeof(*l));
	l->used = 1;
	l->site = site;
	l->lkid = lkid;
	l->res = res;
	l->mode = LW_LOCK_IV;
	l->since = c->now;
	l->next = r->head;
	if (r->head != 0)
		c->lk[r->head - 1].prev = i + 1;
	r->head = i + 1;
	r->nlocks++;
	c->nlive++;
	sim_map_put(&c->by_lock, lock_key(site, lkid), i + 1);
	return i;
}

static void
lk_del(struct sim_chk *c, uint32_t i)
{
	struct clk *l = &c->lk[i];
	struct cres *r = &c->res[l->res];
	uint32_t v;

	if (sim_map_get(&c->by_lock, lock_key(l->site, l->lkid), &v) && v == i + 1)
		sim_map_del(&c->by_lock, lock_key(l->site, l->lkid));
	if (l->prev != 0)
		c->lk[l->prev - 1].next = l->next;
	else
		r->head = l->next;
	if (l->next != 0)
		c->lk[l->next - 1].prev = l->prev;
	r->nlocks--;
	l->used = 0;
	l->next_free = c->lk_free;
	c->lk_free = i + 1;
	c->nlive--;
}

static struct clk *
lk_find(struct sim_chk *c, uint16_t site, uint32_t lkid)
{
	uint32_t v;

	if (!sim_map_get(&c->by_lock, lock_key(site, lkid), &v))
		return NULL;
	return &c->lk[v - 1];
}

static inline int
eff_mode(const struct clk *l)
{
	if (l->mode == LW_LOCK_IV)
		return LW_LOCK_IV;
	return l->demoted ? LW_LOCK_NL : l->mode;
}

static const char *
lk_desc(const struct sim_chk *c, const struct clk *l, char *buf, size_t len)
{
	char sn[16];

	snprintf(buf, len, "%s lkid %#x (session %u, %s on %s%s)", sim_site_name(l->site, sn),
		 l->lkid, l->session, sim_mode_name(l->mode), c->res[l->res].name,
		 l->demoted ? ", assumed demoted" : "");
	return buf;
}

/* --- requests ------------------------------------------------------------ */

void
sim_chk_submit(struct sim_chk *c, uint16_t site, uint32_t res, const struct lw_req *req)
{
	char sn[16], d[160];
	struct clk *l;
	uint32_t ri, li;

	if (req->rc != 0)
		return;
	l = lk_find(c, site, req->lkid);
	c->cur_res = l != NULL && (req->op == LW_REQ_UNLOCK || (req->flags & LW_LKF_CONVERT)) ?
		     l->res : res;
	if (req->op == LW_REQ_UNLOCK && (req->flags & LW_LKF_CANCEL)) {
		if (l == NULL || l->pend == 0) {
			sim_chk_fail(c, SV_EVENT, "%s accepted a CANCEL of lkid %#x, which has no "
				     "pending request (it should be -EBUSY/-ENOENT: no COMPLETE will say so)",
				     sim_site_name(site, sn), req->lkid);
			return;
		}
		c->req[l->pend - 1].cancelled = 1;
		return;
	}
	if (sim_map_get(&c->by_cookie, req->cookie, NULL)) {
		sim_chk_fail(c, SV_EVENT, "cookie %" PRIu64 " submitted twice while pending",
			     req->cookie);
		return;
	}
	ri = req_new(c);
	struct creq *q = &c->req[ri];
	q->cookie = req->cookie;
	q->t = c->now;
	q->session = req->session;
	q->flags = req->flags;
	q->site = site;
	q->op = req->op;
	q->conv = req->op == LW_REQ_LOCK && (req->flags & LW_LKF_CONVERT);
	q->mode = req->mode;
	memcpy(q->lvb, req->lvb, LW_LVB_LEN);
	sim_map_put(&c->by_cookie, req->cookie, ri + 1);

	if (req->op == LW_REQ_LOCK && !q->conv) {
		l = lk_find(c, site, req->lkid);
		if (l != NULL) {
			sim_chk_fail(c, SV_DOUBLE_GRANT, "%s gave lkid %#x to a new lock (cookie %"
				     PRIu64 ") while it is live: %s", sim_site_name(site, sn),
				     req->lkid, req->cookie, lk_desc(c, l, d, sizeof(d)));
			lk_del(c, (uint32_t)(l - c->lk));
		}
		li = lk_new(c, site, req->lkid, res);
		c->lk[li].session = req->session;
		c->lk[li].pend = ri + 1;
		q->lock = li + 1;
		c->res[res].last_change = c->now;
		return;
	}
	l = lk_find(c, site, req->lkid);
	if (l == NULL) {
		sim_chk_fail(c, SV_EVENT, "%s accepted %s of unknown lkid %#x (cookie %" PRIu64 ")",
			     sim_site_name(site, sn), q->conv ? "a conversion" : "an unlock",
			     req->lkid, req->cookie);
		req_del(c, ri);
		return;
	}
	q->lock = (uint32_t)(l - c->lk) + 1;
	if (l->mode == LW_LOCK_IV || l->pend != 0 || l->unl != 0) {
		sim_chk_fail(c, SV_EVENT, "%s accepted %s (cookie %" PRIu64 ") of %s, which is %s",
			     sim_site_name(site, sn), q->conv ? "a conversion" : "an unlock",
			     req->cookie, lk_desc(c, l, d, sizeof(d)),
			     l->mode == LW_LOCK_IV ? "not granted" : "busy with another request");
	}
	if (q->conv)
		l->pend = ri + 1;
	else
		l->unl = ri + 1;
	c->res[l->res].last_change = c->now;
}

/* --- value blocks -------------------------------------------------------- */

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
lvb_write(struct sim_chk *c, struct cres *r, uint32_t flags, const uint8_t *lvb)
{
	if (flags & (LW_LKF_IVVALBLK | LW_LKF_VALBLK))
		r->lvb_lost = 0;     /* written after the loss was settled */
	if (flags & LW_LKF_IVVALBLK) {
		r->lvb_valid = 0;
		r->writes++;
	} else if (flags & LW_LKF_VALBLK) {
		r->lvb_valid = 1;
		memcpy(r->lvb, lvb, LW_LVB_LEN);
		r->writes++;
	}
	(void)c;
}

static void
lvb_read(struct sim_chk *c, const struct clk *l, const struct lw_event *ev)
{
	struct cres *r = &c->res[l->res];
	char d[160];

	/* NL and CR may legitimately see an older value (see the top comment) */
	if (ev->mode != LW_LOCK_CW && ev->mode != LW_LOCK_PR && ev->mode != LW_LOCK_PW &&
	    ev->mode != LW_LOCK_EX) {
		if (ev->has_lvb && r->lvb_valid && !(ev->sbflags & LW_SBF_VALNOTVALID) &&
		    memcmp(ev->lvb, r->lvb, LW_LVB_LEN) != 0)
			c->stale_weak++;
		return;
	}
	if (!ev->has_lvb) {
		sim_chk_fail(c, SV_LVB, "VALBLK grant with no value block: %s",
			     lk_desc(c, l, d, sizeof(d)));
		return;
	}
	if (r->lvb_valid && r->lvb_lost && (ev->sbflags & LW_SBF_VALNOTVALID)) {
		r->lvb_valid = 0;    /* the value went with the lost node: unknown until written */
		r->lvb_lost = 0;
		c->lvb_lost_reads++;
	} else if (r->lvb_valid) {
		if (ev->sbflags & LW_SBF_VALNOTVALID)
			sim_chk_fail(c, SV_LVB, "value block reported not valid, but the last write "
				     "(%" PRIu64 " writes) was valid (%#" PRIx64 "): %s", r->writes,
				     le64(r->lvb), lk_desc(c, l, d, sizeof(d)));
		else if (memcmp(ev->lvb, r->lvb, LW_LVB_LEN) != 0)
			sim_chk_fail(c, SV_LVB, "value block read %#" PRIx64 ", last written %#"
				     PRIx64 " (%" PRIu64 " writes): %s", le64(ev->lvb), le64(r->lvb),
				     r->writes, lk_desc(c, l, d, sizeof(d)));
	} else if (!(ev->sbflags & LW_SBF_VALNOTVALID)) {
		sim_chk_fail(c, SV_LVB, "value block reported valid (%#" PRIx64 ") after an "
			     "IVVALBLK invalidated it: %s", le64(ev->lvb), lk_desc(c, l, d, sizeof(d)));
	}
}

/* --- events -------------------------------------------------------------- */

static bool
granted_mode_ok(const struct creq *q, const struct lw_event *ev)
{
	if (ev->mode == q->mode && !(ev->sbflags & LW_SBF_ALTMODE))
		return true;
	if (!(ev->sbflags & LW_SBF_ALTMODE))
		return false;
	if ((q->flags & LW_LKF_ALTPR) && ev->mode == LW_LOCK_PR)
		return true;
	if ((q->flags & LW_LKF_ALTCW) && ev->mode == LW_LOCK_CW)
		return true;
	return false;
}

/* l is granted mode m: compare with every other lock on the resource */
static void
check_grant(struct sim_chk *c, struct clk *l, int m)
{
	struct cres *r = &c->res[l->res];
	char d1[160], d2[160];

	for (uint32_t i = r->head; i != 0; i = c->lk[i - 1].next) {
		struct clk *o = &c->lk[i - 1];
		int om = eff_mode(o);

		if (o == l || om == LW_LOCK_IV || sim_compat(m, om))
			continue;
		if (o->pend != 0 && c->req[o->pend - 1].conv &&
		    (c->req[o->pend - 1].flags & LW_LKF_CONVDEADLK)) {
			o->demoted = 1;   /* must be confirmed by LW_SBF_DEMOTED */
			continue;
		}
		sim_chk_fail(c, SV_CONFLICT, "%s granted %s on %s while %s holds %s",
			     lk_desc(c, l, d1, sizeof(d1)), sim_mode_name(m), r->name,
			     lk_desc(c, o, d2, sizeof(d2)), sim_mode_name(om));
	}
}

static void
event_blocking(struct sim_chk *c, uint16_t site, const struct lw_event *ev)
{
	struct clk *l = lk_find(c, site, ev->lkid);
	char sn[16], d[160];

	c->cur_res = l != NULL ? l->res : SIM_NO_RES;
	if (l == NULL || l->mode == LW_LOCK_IV) {
		sim_chk_fail(c, SV_EVENT, "%s: BLOCKING (%s) for lkid %#x, which is not granted",
			     sim_site_name(site, sn), sim_mode_name(ev->mode), ev->lkid);
		return;
	}
	LW_CHECK_EVENTS(c, ev->session == l->session, SV_EVENT, "BLOCKING for %s went to session %u",
		     lk_desc(c, l, d, sizeof(d)), ev->session);
	if (ev->mode < LW_LOCK_NL || ev->mode > LW_LOCK_EX)
		sim_chk_fail(c, SV_EVENT, "BLOCKING with mode %d for %s", ev->mode,
			     lk_desc(c, l, d, sizeof(d)));
	else if (!l->demoted && sim_compat(ev->mode, l->mode))
		sim_chk_fail(c, SV_BAST, "BLOCKING for %s, which does not block %s",
			     lk_desc(c, l, d, sizeof(d)), sim_mode_name(ev->mode));
}

/* The site fenced itself (its lease ran out): the lock is gone. */
static void
event_enolck(struct sim_chk *c, uint16_t site, const struct lw_event *ev)
{
	struct clk *l = lk_find(c, site, ev->lkid);
	unsigned int node = lw_site_node(site);
	char sn[16], d[160];

	c->cur_res = l != NULL ? l->res : SIM_NO_RES;
	if (c->lease_end[node] == 0 || c->now < c->lease_end[node]) {
		sim_chk_fail(c, SV_EVENT, "%s: COMPLETE -ENOLCK (lkid %#x, cookie %" PRIu64 ") but its "
			     "node's lease has not run out", sim_site_name(site, sn), ev->lkid,
			     ev->cookie);
		return;
	}
	if (l == NULL || l->gone) {
		sim_chk_fail(c, SV_COMPLETION, "%s: COMPLETE -ENOLCK for lkid %#x, which is not a "
			     "live lock (cookie %" PRIu64 ")", sim_site_name(site, sn), ev->lkid,
			     ev->cookie);
		return;
	}
	LW_CHECK_EVENTS(c, ev->mode == LW_LOCK_IV, SV_EVENT, "-ENOLCK with mode %s: %s",
			sim_mode_name(ev->mode), lk_desc(c, l, d, sizeof(d)));
	LW_CHECK_EVENTS(c, ev->session == l->session, SV_EVENT, "-ENOLCK for %s went to session %u",
			lk_desc(c, l, d, sizeof(d)), ev->session);
	c->enolck++;
	c->res[l->res].last_change = c->now;
	if (l->pend != 0) {
		req_del(c, l->pend - 1);
		l->pend = 0;
	}
	if (l->unl != 0) {
		l->mode = LW_LOCK_IV;   /* the unlock held back completes as it would have */
		l->gone = 1;
		return;
	}
	lk_del(c, (uint32_t)(l - c->lk));
}

void
sim_chk_node_lost(struct sim_chk *c, unsigned int node)
{
	for (uint32_t i = 0; i < c->nlk; i++) {
		struct clk *l = &c->lk[i];

		if (!l->used || lw_site_node(l->site) != node)
			continue;
		if (l->pend != 0)
			req_del(c, l->pend - 1);
		if (l->unl != 0)
			req_del(c, l->unl - 1);
		c->res[l->res].last_change = c->now;
		lk_del(c, i);
	}
}

void
sim_chk_node_lease(struct sim_chk *c, unsigned int node, uint64_t until)
{
	if (node < 256)
		c->lease_end[node] = until;
}

void
sim_chk_node_fenced(struct sim_chk *c, unsigned int node)
{
	if (node >= 256)
		return;
	if (c->lease_end[node] == 0 || c->lease_end[node] > c->now)
		sim_chk_node_lease(c, node, c->now);
	/* which values it wrote or mastered is not in the logs: any may be lost */
	for (uint32_t i = 0; i < c->nres; i++)
		sim_chk_lvb_lost(c, i);
}

void
sim_chk_lvb_lost(struct sim_chk *c, uint32_t res)
{
	res_at(c, res)->lvb_lost = 1;
}

bool
sim_chk_lvb_relaxed(const struct sim_chk *c, uint32_t res)
{
	return res < c->nres && c->res[res].lvb_lost;
}

uint64_t
sim_chk_enolck(const struct sim_chk *c)
{
	return c->enolck;
}

uint64_t
sim_chk_lvb_lost_reads(const struct sim_chk *c)
{
	return c->lvb_lost_reads;
}

static bool
status_allowed(const struct creq *q, int status)
{
	switch (status) {
	case -EAGAIN:
		return q->flags & LW_LKF_NOQUEUE;
	case -ETIMEDOUT:
		return q->flags & LW_LKF_TIMEOUT;
	case LW_ECANCEL:
		return q->cancelled;
	case -EDEADLK:
		return true;
	default:
		return false;
	}
}

void
sim_chk_event(struct sim_chk *c, uint16_t site, const struct lw_event *ev)
{
	char sn[16], sn2[16], d[160];
	uint32_t ri;

	if (ev->type == LW_EV_BLOCKING) {
		event_blocking(c, site, ev);
		return;
	}
	if (ev->type != LW_EV_COMPLETE) {
		sim_chk_fail(c, SV_EVENT, "%s: event of unknown type %u", sim_site_name(site, sn),
			     ev->type);
		return;
	}
	if (ev->status == -ENOLCK) {
		event_enolck(c, site, ev);
		return;
	}
	if (!sim_map_get(&c->by_cookie, ev->cookie, &ri)) {
		sim_chk_fail(c, SV_COMPLETION, "%s: COMPLETE (lkid %#x, %s, %s) for cookie %" PRIu64
			     ", which has no pending request (duplicate or unknown)",
			     sim_site_name(site, sn), ev->lkid, sim_status_name(ev->status),
			     sim_mode_name(ev->mode), ev->cookie);
		return;
	}
	ri--;
	struct creq q = c->req[ri];   /* copy: the pools may move below */
	req_del(c, ri);
	struct clk *l = &c->lk[q.lock - 1];
	uint32_t li = q.lock - 1;
	struct cres *r = &c->res[l->res];

	c->cur_res = l->res;
	r->last_change = c->now;
	LW_CHECK_EVENTS(c, site == q.site, SV_EVENT, "COMPLETE for cookie %" PRIu64 " came out of %s; the "
		     "request went to %s", ev->cookie, sim_site_name(site, sn),
		     sim_site_name(q.site, sn2));
	LW_CHECK_EVENTS(c, ev->session == q.session, SV_EVENT, "COMPLETE for cookie %" PRIu64 " went to session %u, "
		     "the request's is %u", ev->cookie, ev->session, q.session);
	LW_CHECK_EVENTS(c, ev->lkid == l->lkid, SV_EVENT, "COMPLETE for cookie %" PRIu64 " names lkid %#x, the "
		     "request's lock is %#x", ev->cookie, ev->lkid, l->lkid);

	if (q.op == LW_REQ_UNLOCK) {
		l->unl = 0;
		if (ev->status != LW_EUNLOCK) {
			sim_chk_fail(c, SV_EVENT, "unlock (cookie %" PRIu64 ") completed with %s: %s",
				     ev->cookie, sim_status_name(ev->status), lk_desc(c, l, d, sizeof(d)));
			return;
		}
		int prev = l->mode;
		if (prev == LW_LOCK_PW || prev == LW_LOCK_EX)
			lvb_write(c, r, q.flags, q.lvb);
		if (l->pend != 0) {
			/* FORCEUNLOCK of a lock with a pending request: it must have completed */
			sim_chk_fail(c, SV_MISSING, "unlock of %s completed before its pending "
				     "request (cookie %" PRIu64 ")", lk_desc(c, l, d, sizeof(d)),
				     c->req[l->pend - 1].cookie);
			req_del(c, l->pend - 1);
		}
		lk_del(c, li);
		return;
	}

	l->pend = 0;
	if (!q.conv) {
		if (ev->status == 0) {
			if (l->mode != LW_LOCK_IV) {
				sim_chk_fail(c, SV_DOUBLE_GRANT, "new lock granted twice: %s (cookie %"
					     PRIu64 ")", lk_desc(c, l, d, sizeof(d)), ev->cookie);
			}
			LW_CHECK_EVENTS(c, granted_mode_ok(&q, ev), SV_EVENT, "new lock asked %s%s, granted %s (sbflags %#x): %s",
				     sim_mode_name(q.mode),
				     q.flags & (LW_LKF_ALTPR | LW_LKF_ALTCW) ? " with ALT" : "",
				     sim_mode_name(ev->mode), ev->sbflags,
				     lk_desc(c, l, d, sizeof(d)));
			if (ev->mode < LW_LOCK_NL || ev->mode > LW_LOCK_EX) {
				lk_del(c, li);
				return;
			}
			check_grant(c, l, ev->mode);
			l->mode = ev->mode;
			l->since = c->now;
			if (q.flags & LW_LKF_VALBLK)
				lvb_read(c, l, ev);
			return;
		}
		LW_CHECK_EVENTS(c, status_allowed(&q, ev->status), SV_EVENT, "new lock (cookie %" PRIu64 ", %s, flags %#x%s) "
			     "ended with %s", ev->cookie, sim_mode_name(q.mode), q.flags,
			     q.cancelled ? ", cancelled" : "", sim_status_name(ev->status));
		LW_CHECK_EVENTS(c, ev->mode == LW_LOCK_IV, SV_EVENT, "new lock (cookie %" PRIu64 ") failed with %s but "
			     "the event says mode %s", ev->cookie, sim_status_name(ev->status),
			     sim_mode_name(ev->mode));
		lk_del(c, li);
		return;
	}

	/* conversion */
	bool was_assumed = l->demoted;
	int prev = (ev->sbflags & LW_SBF_DEMOTED) ? LW_LOCK_NL : l->mode;

	l->demoted = 0;
	LW_CHECK_EVENTS(c, !(was_assumed && !(ev->sbflags & LW_SBF_DEMOTED)), SV_CONFLICT, "an earlier grant conflicted with %s, whose CONVDEADLK "
		     "conversion (cookie %" PRIu64 ") then completed (%s) without "
		     "LW_SBF_DEMOTED: the conflict was real", lk_desc(c, l, d, sizeof(d)),
		     ev->cookie, sim_status_name(ev->status));
	LW_CHECK_EVENTS(c, !((ev->sbflags & LW_SBF_DEMOTED) && !(q.flags & LW_LKF_CONVDEADLK)), SV_EVENT, "conversion without CONVDEADLK completed DEMOTED: %s",
		     lk_desc(c, l, d, sizeof(d)));
	if (ev->status == 0) {
		LW_CHECK_EVENTS(c, granted_mode_ok(&q, ev), SV_EVENT, "conversion asked %s, granted %s (sbflags %#x): %s",
			     sim_mode_name(q.mode), sim_mode_name(ev->mode), ev->sbflags,
			     lk_desc(c, l, d, sizeof(d)));
		if (ev->mode < LW_LOCK_NL || ev->mode > LW_LOCK_EX)
			return;
		check_grant(c, l, ev->mode);
		l->mode = ev->mode;
		l->since = c->now;
		if ((prev == LW_LOCK_PW || prev == LW_LOCK_EX) && !sim_covers(ev->mode, prev))
			lvb_write(c, r, q.flags, q.lvb);
		else if (q.flags & LW_LKF_VALBLK)
			lvb_read(c, l, ev);
		return;
	}
	LW_CHECK_EVENTS(c, status_allowed(&q, ev->status), SV_EVENT, "conversion (cookie %" PRIu64 ", to %s, flags %#x%s) "
		     "ended with %s", ev->cookie, sim_mode_name(q.mode), q.flags,
		     q.cancelled ? ", cancelled" : "", sim_status_name(ev->status));
	LW_CHECK_EVENTS(c, ev->mode == prev, SV_EVENT, "failed conversion (cookie %" PRIu64 ", %s) reports mode "
		     "%s, the lock held %s", ev->cookie, sim_status_name(ev->status),
		     sim_mode_name(ev->mode), sim_mode_name(prev));
	l->mode = (int8_t)prev;
}

/* --- liveness and the end ------------------------------------------------ */

bool
sim_chk_stalled(struct sim_chk *c, uint32_t res, uint64_t quiet_ns)
{
	struct cres *r;
	uint32_t npend = 0;
	char d[160];

	if (res >= c->nres)
		return false;
	c->cur_res = res;
	r = &c->res[res];
	if (c->now - r->last_change < quiet_ns)
		return false;
	for (uint32_t i = r->head; i != 0; i = c->lk[i - 1].next) {
		struct clk *x = &c->lk[i - 1];

		if (x->pend == 0)
			continue;
		npend++;
		int want = c->req[x->pend - 1].mode;
		for (uint32_t j = r->head; j != 0; j = c->lk[j - 1].next) {
			struct clk *g = &c->lk[j - 1];
			if (g != x && !sim_compat(want, eff_mode(g)))
				return false;   /* someone waits for a holder: not stuck */
		}
	}
	if (npend == 0)
		return false;
	sim_chk_fail(c, SV_LIVENESS, "%s: %u pending request(s), none blocked by a granted lock "
		     "anywhere, nothing changed for %" PRIu64 " ns", r->name, npend,
		     c->now - r->last_change);
	if (c->quiet)
		return true;
	for (uint32_t i = r->head; i != 0; i = c->lk[i - 1].next) {
		struct clk *x = &c->lk[i - 1];
		const char *what = "granted";

		if (x->pend != 0) {
			const struct creq *q = &c->req[x->pend - 1];
			fprintf(stderr, "  pending: %s wants %s (cookie %" PRIu64 ", flags %#x, %" PRIu64
				" ns%s)\n", lk_desc(c, x, d, sizeof(d)), sim_mode_name(q->mode),
				q->cookie, q->flags, c->now - q->t, q->cancelled ? ", cancel sent" : "");
			continue;
		}
		fprintf(stderr, "  %s: %s\n", what, lk_desc(c, x, d, sizeof(d)));
	}
	return true;
}

void
sim_chk_dump_pending(const struct sim_chk *c, FILE *f)
{
	char sn[16];

	for (uint32_t i = 0; i < c->nreq; i++) {
		const struct creq *q = &c->req[i];
		if (!q->used)
			continue;
		const struct clk *l = &c->lk[q->lock - 1];
		fprintf(f, "  pending: %s lkid %#x session %u %s %s on %s (holds %s), cookie %" PRIu64
			", flags %#x, submitted at %" PRIu64 " (%" PRIu64 " ns ago)%s\n",
			sim_site_name(q->site, sn), l->lkid, q->session,
			q->op == LW_REQ_UNLOCK ? "unlock" : q->conv ? "convert to" : "new",
			q->op == LW_REQ_UNLOCK ? "" : sim_mode_name(q->mode), c->res[l->res].name,
			sim_mode_name(l->mode), q->cookie, q->flags, q->t, c->now - q->t,
			q->cancelled ? ", cancel accepted" : "");
	}
}

int
sim_chk_site_uncovered(struct sim_chk *c, uint16_t site, uint32_t res, int held)
{
	int worst = LW_LOCK_IV;

	if (res >= c->nres)
		return worst;
	for (uint32_t i = c->res[res].head; i != 0; i = c->lk[i - 1].next) {
		struct clk *l = &c->lk[i - 1];
		int m = eff_mode(l);

		if (l->site != site || m == LW_LOCK_IV || m == LW_LOCK_NL || sim_covers(held, m))
			continue;
		if (l->pend != 0 && c->req[l->pend - 1].conv &&
		    (c->req[l->pend - 1].flags & LW_LKF_CONVDEADLK)) {
			l->demoted = 1;   /* must be confirmed by LW_SBF_DEMOTED */
			continue;
		}
		worst = sim_join(worst, m);
	}
	return worst;
}

void
sim_chk_finish(struct sim_chk *c)
{
	char d[160];

	if (c->npending != 0) {
		sim_chk_fail(c, SV_MISSING, "%u accepted request(s) never completed", c->npending);
		if (!c->quiet)
			sim_chk_dump_pending(c, stderr);
	}
	for (uint32_t i = 0; i < c->nlk; i++) {
		struct clk *l = &c->lk[i];
		LW_CHECK_EVENTS(c, !(l->used && l->mode != LW_LOCK_IV), SV_LEFT_HELD, "still granted at the end: %s",
			     lk_desc(c, l, d, sizeof(d)));
	}
}
