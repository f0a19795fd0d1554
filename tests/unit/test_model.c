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
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lwt.h"

/* ------------------------------------------------------------------------ */
/* Modes: our own tables, written from docs/engine.md                        */

#define IV LW_LOCK_IV
#define NL LW_LOCK_NL
#define CR LW_LOCK_CR
#define CW LW_LOCK_CW
#define PR LW_LOCK_PR
#define PW LW_LOCK_PW
#define EX LW_LOCK_EX

/* NL with all; CR with all but EX; CW with NL CR CW; PR with NL CR PR; PW with NL CR; EX with NL. */
static const uint8_t m_compat_tab[6][6] = {
	/*        NL CR CW PR PW EX */
	/* NL */ { 1, 1, 1, 1, 1, 1 },
	/* CR */ { 1, 1, 1, 1, 1, 0 },
	/* CW */ { 1, 1, 1, 0, 0, 0 },
	/* PR */ { 1, 1, 0, 1, 0, 0 },
	/* PW */ { 1, 1, 0, 0, 0, 0 },
	/* EX */ { 1, 0, 0, 0, 0, 0 },
};

/* a covers b: NL < CR < {CW, PR} < PW < EX. */
static const uint8_t m_covers_tab[6][6] = {
	/*        NL CR CW PR PW EX */
	/* NL */ { 1, 0, 0, 0, 0, 0 },
	/* CR */ { 1, 1, 0, 0, 0, 0 },
	/* CW */ { 1, 1, 1, 0, 0, 0 },
	/* PR */ { 1, 1, 0, 1, 0, 0 },
	/* PW */ { 1, 1, 1, 1, 1, 0 },
	/* EX */ { 1, 1, 1, 1, 1, 1 },
};

static int
m_compat(int a, int b)
{
	return m_compat_tab[a][b];
}

static int
m_covers(int a, int b)
{
	if (b == IV)
		return 1;
	if (a == IV)
		return 0;
	return m_covers_tab[a][b];
}

static int
m_mode_ok(int m)
{
	return m >= NL && m <= EX;
}

static const char *
mname(int m)
{
	static const char *const n[] = { "NL", "CR", "CW", "PR", "PW", "EX" };
	static char buf[8][16];
	static int k;

	if (m == IV)
		return "IV";
	if (m_mode_ok(m))
		return n[m];
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "?%d", m);
	return buf[k];
}

/* ------------------------------------------------------------------------ */
/* Documented rules kept as switches (see the header).                       */

/* CONVDEADLK demotion (docs/engine.md): only the convert queue is scanned
 * (no wait queue, no blocking notices) before L is tried again; a full grant
 * pending follows whether L is granted or queued. Off: a full grant pending
 * before the retry. */
#define ACC_DEMOTE       0x4u
/* QUECVT before NOORDER (docs/engine.md): a QUECVT conversion is granted at
 * once only when the convert queue is empty, NOORDER or not. */
#define ACC_QUECVT_NOORDER 0x20u

static unsigned int g_accept = ACC_DEMOTE | ACC_QUECVT_NOORDER;

/* What the runs exercised (printed after each batch of seeds). */
enum {
	C_GRANT_NOW, C_GRANT_PENDING, C_QUEUED_WAIT, C_QUEUED_CONV, C_EAGAIN, C_EDEADLK,
	C_DEMOTED, C_ALT, C_BAST, C_NQBAST, C_CANCEL, C_FORCE_PENDING, C_TIMEOUT,
	C_LVB_WRITE, C_LVB_INVAL, C_LVB_READ, C_LVB_NOTVALID, C_ORPHANED, C_ADOPT,
	C_ADOPT_EAGAIN, C_ADOPT_ENOENT, C_CLOSE, C_REJECT, C_NCOV
};
static const char *const cov_names[C_NCOV] = {
	"grant_now", "grant_pending", "queued_wait", "queued_conv", "eagain", "edeadlk",
	"demoted", "alt", "bast", "nqbast", "cancel", "force_pending", "timeout",
	"lvb_write", "lvb_inval", "lvb_read", "lvb_notvalid", "orphaned", "adopt",
	"adopt_eagain", "adopt_enoent", "close", "rejected",
};
static uint64_t g_cov[C_NCOV];

/* ------------------------------------------------------------------------ */
/* The model                                                                 */

#define POOL     64     /* lock slots of the model */
#define MAXRES   8
#define MAXSESS  4
#define MAXLIVE  40     /* the driver keeps at most this many locks */
#define MAXEV    4096

/* Values of enum lw_qstate (engine/lockq.h), as lw_lock_info reports them. */
enum { QS_NONE = 0, QS_GRANTED = 1, QS_CONVERT = 2, QS_WAIT = 3 };
/* Queue indexes. */
enum { QG = 0, QC = 1, QW = 2 };

struct mlock {
	int      used;
	int      res;
	int      sess;        /* session slot; -1: orphan */
	int      state;       /* QS_* */
	int      gr;          /* granted mode or IV */
	int      rq;          /* requested mode (pending) */
	uint32_t flags;       /* flags of the latest accepted LOCK request */
	int      want_bast;
	int      highbast;    /* -1: unset */
	int      persistent;
	int      demoted;     /* the current conversion was demoted to NL */
	int      has_timer;
	uint64_t deadline;
	uint64_t cookie;      /* latest accepted LOCK request */
	uint8_t  lvb[LW_LVB_LEN]; /* lvb of that request */
	uint32_t lkid;        /* the engine's id of this lock */
};

struct mres {
	int      q[3][POOL];
	int      n[3];
	uint8_t  lvb[LW_LVB_LEN];
	int      valid;
	int      created;
};

struct model {
	struct mlock lk[POOL];
	struct mres  res[MAXRES];
	int      nres;
	uint16_t lsid[2];
	uint16_t rls[MAXRES];                       /* lsid of each resource */
	uint8_t  rname[MAXRES][LW_RESNAME_MAXLEN];
	uint8_t  rlen[MAXRES];
	uint32_t sid[MAXSESS];                      /* engine session id of each slot */
	int      nsess;
	struct lw_event ev[MAXEV];                  /* events of the current step */
	int      nev;
	int      overflow;
	uint32_t freed[32];                         /* recently freed lkids */
	int      nfreed;
};

static int
qi_of(int state)
{
	switch (state) {
	case QS_GRANTED: return QG;
	case QS_CONVERT: return QC;
	case QS_WAIT:    return QW;
	}
	abort();
}

static void
q_del(struct mres *r, int qi, int h)
{
	int *q = r->q[qi];

	for (int i = 0; i < r->n[qi]; i++) {
		if (q[i] == h) {
			memmove(&q[i], &q[i + 1], (size_t)(r->n[qi] - i - 1) * sizeof(int));
			r->n[qi]--;
			return;
		}
	}
	fprintf(stderr, "model bug: lock %d not on queue %d\n", h, qi);
	abort();
}

static void
q_add(struct mres *r, int qi, int h, int head)
{
	int *q = r->q[qi];

	if (head) {
		memmove(&q[1], &q[0], (size_t)r->n[qi] * sizeof(int));
		q[0] = h;
	} else {
		q[r->n[qi]] = h;
	}
	r->n[qi]++;
}

static int
m_alloc(struct model *m)
{
	for (int h = 0; h < POOL; h++) {
		if (!m->lk[h].used) {
			memset(&m->lk[h], 0, sizeof(m->lk[h]));
			m->lk[h].used = 1;
			return h;
		}
	}
	fprintf(stderr, "model bug: pool full\n");
	abort();
}

static void
m_free(struct model *m, int h)
{
	m->freed[m->nfreed++ % 32] = m->lk[h].lkid;
	m->lk[h].used = 0;
}

static int
m_live(const struct model *m)
{
	int n = 0;

	for (int h = 0; h < POOL; h++)
		n += m->lk[h].used;
	return n;
}

static int
m_find_lkid(const struct model *m, uint32_t lkid)
{
	for (int h = 0; h < POOL; h++)
		if (m->lk[h].used && m->lk[h].lkid == lkid)
			return h;
	return -1;
}

static int
m_find_sess(const struct model *m, uint32_t sid)
{
	if (sid == 0)
		return -1;
	for (int i = 0; i < m->nsess; i++)
		if (m->sid[i] == sid)
			return i;
	return -1;
}

static int
m_find_res(const struct model *m, uint16_t lsid, const uint8_t *name, int len)
{
	for (int i = 0; i < m->nres; i++)
		if (m->rls[i] == lsid && m->rlen[i] == len && memcmp(m->rname[i], name, (size_t)len) == 0)
			return i;
	return -1;
}

static struct lw_event *
m_ev(struct model *m, int type, const struct mlock *l, uint32_t session)
{
	static struct lw_event dummy;
	struct lw_event *ev;

	if (m->nev == MAXEV) {
		m->overflow = 1;
		return &dummy;
	}
	ev = &m->ev[m->nev++];
	memset(ev, 0, sizeof(*ev));
	ev->type = (uint8_t)type;
	ev->lkid = l->lkid;
	ev->session = session;
	return ev;
}

static uint32_t
m_owner_sid(const struct model *m, const struct mlock *l)
{
	return l->sess >= 0 ? m->sid[l->sess] : 0;
}

static void
m_complete(struct model *m, const struct mlock *l, int status, int mode, int sb,
	   uint64_t cookie, uint32_t session)
{
	struct lw_event *ev = m_ev(m, LW_EV_COMPLETE, l, session);

	ev->status = status;
	ev->mode = (int8_t)mode;
	ev->sbflags = (uint8_t)sb;
	ev->cookie = cookie;
}

/* Does some other lock on the granted or convert queue hold a mode incompatible with mode? */
static int
m_conflicts(const struct model *m, const struct mres *r, int h, int mode)
{
	for (int qi = QG; qi <= QC; qi++)
		for (int i = 0; i < r->n[qi]; i++) {
			int x = r->q[qi][i];
			if (x != h && !m_compat(m->lk[x].gr, mode))
				return 1;
		}
	return 0;
}

enum { K_NEW, K_CONV, K_PEND };

/* May lock h be granted mode now, as a new request, a conversion, or a pending entry? */
static int
m_ok(const struct model *m, int h, int mode, int kind)
{
	const struct mlock *l = &m->lk[h];
	const struct mres *r = &m->res[l->res];
	uint32_t f = l->flags;

	if (m_conflicts(m, r, h, mode))
		return 0;
	if (kind == K_CONV && (f & LW_LKF_QUECVT) && (g_accept & ACC_QUECVT_NOORDER))
		return r->n[QC] == 0;
	if (f & LW_LKF_NOORDER)
		return 1;
	switch (kind) {
	case K_NEW:
		if (f & LW_LKF_EXPEDITE)
			return 1;
		return r->n[QC] == 0 && r->n[QW] == 0;
	case K_CONV:
		if (!(f & LW_LKF_QUECVT))
			return 1;
		return r->n[QC] == 0;
	default:
		if (l->state == QS_CONVERT)
			return r->q[QC][0] == h;
		return r->n[QC] == 0 && r->q[QW][0] == h;
	}
}

/* The mode h gets now (rqmode, or the ALT mode with *alt = 1); -1 none. */
static int
m_pick(const struct model *m, int h, int kind, int *alt)
{
	const struct mlock *l = &m->lk[h];

	*alt = 0;
	if (m_ok(m, h, l->rq, kind))
		return l->rq;
	if ((l->flags & LW_LKF_ALTPR) && l->rq != PR && m_ok(m, h, PR, kind)) {
		*alt = 1;
		return PR;
	}
	if ((l->flags & LW_LKF_ALTCW) && l->rq != CW && m_ok(m, h, CW, kind)) {
		*alt = 1;
		return CW;
	}
	return -1;
}

/* Grant mode to h (new, converting, waiting, or a conversion at once). */
static void
m_grant(struct model *m, int h, int mode, int alt)
{
	struct mlock *l = &m->lk[h];
	struct mres *r = &m->res[l->res];
	int old = l->gr;
	int sb = 0, has = 0;
	struct lw_event *ev;

	g_cov[l->state == QS_CONVERT || l->state == QS_WAIT ? C_GRANT_PENDING : C_GRANT_NOW]++;
	if (alt)
		g_cov[C_ALT]++;
	if (l->state != QS_NONE)
		q_del(r, qi_of(l->state), h);
	l->gr = mode;
	l->state = QS_GRANTED;
	q_add(r, QG, h, 0);
	l->highbast = -1;
	l->has_timer = 0;
	if (alt)
		sb |= LW_SBF_ALTMODE;
	if (l->demoted)
		sb |= LW_SBF_DEMOTED;
	if ((old == PW || old == EX) && !m_covers(mode, old)) {
		/* a write */
		if (l->flags & LW_LKF_IVVALBLK) {
			r->valid = 0;
			g_cov[C_LVB_INVAL]++;
		} else if (l->flags & LW_LKF_VALBLK) {
			memcpy(r->lvb, l->lvb, LW_LVB_LEN);
			r->valid = 1;
			g_cov[C_LVB_WRITE]++;
		}
	} else if (l->flags & LW_LKF_VALBLK) {
		/* a read */
		has = 1;
		g_cov[C_LVB_READ]++;
		if (!r->valid) {
			sb |= LW_SBF_VALNOTVALID;
			g_cov[C_LVB_NOTVALID]++;
		}
	}
	ev = m_ev(m, LW_EV_COMPLETE, l, m_owner_sid(m, l));
	ev->status = 0;
	ev->mode = (int8_t)mode;
	ev->sbflags = (uint8_t)sb;
	ev->cookie = l->cookie;
	if (has) {
		ev->has_lvb = 1;
		memcpy(ev->lvb, r->lvb, LW_LVB_LEN);
	}
	l->demoted = 0;
}

/* Blocking notices on resource ri (highbast rule). */
static void
m_bast(struct model *m, int ri)
{
	struct mres *r = &m->res[ri];

	for (int qi = QG; qi <= QC; qi++)
		for (int i = 0; i < r->n[qi]; i++) {
			int h = r->q[qi][i];
			struct mlock *l = &m->lk[h];
			int best = -1;

			if (!l->want_bast || l->sess < 0)
				continue;
			for (int qj = QC; qj <= QW; qj++)
				for (int j = 0; j < r->n[qj]; j++) {
					int p = r->q[qj][j];
					if (p == h)
						continue;
					if (!m_compat(l->gr, m->lk[p].rq) && m->lk[p].rq > best)
						best = m->lk[p].rq;
				}
			if (best >= 0 && l->highbast < best) {
				g_cov[C_BAST]++;
				struct lw_event *ev = m_ev(m, LW_EV_BLOCKING, l, m_owner_sid(m, l));
				ev->mode = (int8_t)best;
				ev->cookie = l->cookie;
				l->highbast = best;
			}
		}
}

/* NOQUEUEBAST: notices for mode to the holders that block it. */
static void
m_nqbast(struct model *m, int ri, int h, int mode)
{
	struct mres *r = &m->res[ri];

	for (int qi = QG; qi <= QC; qi++)
		for (int i = 0; i < r->n[qi]; i++) {
			int x = r->q[qi][i];
			struct mlock *l = &m->lk[x];

			if (x == h || !l->want_bast || l->sess < 0)
				continue;
			if (!m_compat(l->gr, mode) && l->highbast < mode) {
				g_cov[C_NQBAST]++;
				struct lw_event *ev = m_ev(m, LW_EV_BLOCKING, l, m_owner_sid(m, l));
				ev->mode = (int8_t)mode;
				ev->cookie = l->cookie;
				l->highbast = mode;
			}
		}
}

/* Grant pending entries of queues QC..last; then notices when basts. */
static void
m_grant_pending_q(struct model *m, int ri, int last, int basts)
{
	struct mres *r = &m->res[ri];
	int again = 1;

	while (again) {
		again = 0;
		for (int qi = QC; qi <= last && !again; qi++)
			for (int i = 0; i < r->n[qi]; i++) {
				int alt, h = r->q[qi][i];
				int mode = m_pick(m, h, K_PEND, &alt);
				if (mode >= 0) {
					m_grant(m, h, mode, alt);
					again = 1;
					break;
				}
			}
	}
	if (basts && r->n[QC] + r->n[QW] > 0)
		m_bast(m, ri);
}

static void
m_grant_pending(struct model *m, int ri)
{
	m_grant_pending_q(m, ri, QW, 1);
}

/* End the pending request of h with status (no event when quiet). */
static void
m_cancel_pending(struct model *m, int h, int status, int quiet)
{
	struct mlock *l = &m->lk[h];
	struct mres *r = &m->res[l->res];

	l->has_timer = 0;
	if (l->state == QS_CONVERT) {
		q_del(r, QC, h);
		q_add(r, QG, h, 0);
		l->state = QS_GRANTED;
		if (!quiet)
			m_complete(m, l, status, l->gr, l->demoted ? LW_SBF_DEMOTED : 0,
				   l->cookie, m_owner_sid(m, l));
		l->demoted = 0;
	} else if (l->state == QS_WAIT) {
		q_del(r, QW, h);
		if (!quiet)
			m_complete(m, l, status, IV, 0, l->cookie, m_owner_sid(m, l));
		m_free(m, h);
	} else {
		abort();
	}
}

static void
m_queue(struct model *m, int h, int qi, uint64_t now, uint32_t timeout_us)
{
	struct mlock *l = &m->lk[h];

	q_add(&m->res[l->res], qi, h, (l->flags & LW_LKF_HEADQUE) != 0);
	l->state = qi == QC ? QS_CONVERT : QS_WAIT;
	g_cov[qi == QC ? C_QUEUED_CONV : C_QUEUED_WAIT]++;
	if (l->flags & LW_LKF_TIMEOUT) {
		l->has_timer = 1;
		l->deadline = now + (uint64_t)timeout_us * 1000;
	}
	m_bast(m, l->res);
}

/* Flag checks shared by new locks and conversions. */
static int
m_bad_lock_flags(uint32_t f, uint32_t timeout_us)
{
	if (f & ~LW_LKF_ALL)
		return 1;
	if (f & (LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK))
		return 1;
	if ((f & LW_LKF_NOQUEUEBAST) && !(f & LW_LKF_NOQUEUE))
		return 1;
	if ((f & LW_LKF_ALTPR) && (f & LW_LKF_ALTCW))
		return 1;
	if ((f & LW_LKF_TIMEOUT) && (timeout_us == 0 || (f & LW_LKF_NOQUEUE)))
		return 1;
	return 0;
}

static int
m_adopt(struct model *m, const struct lw_req *q, int slot, int ri, uint32_t eng_lkid)
{
	int any = 0, pick = -1;
	struct mlock *l;

	for (int h = 0; h < POOL; h++) {
		if (!m->lk[h].used || m->lk[h].res != ri || m->lk[h].sess >= 0)
			continue;
		any = 1;
		if (m->lk[h].gr != q->mode)
			continue;
		/* Several may fit: follow the engine's pick when it is one of them. */
		if (pick < 0 || m->lk[h].lkid == eng_lkid)
			pick = h;
	}
	if (!any) {
		g_cov[C_ADOPT_ENOENT]++;
		return -ENOENT;
	}
	if (pick < 0) {
		g_cov[C_ADOPT_EAGAIN]++;
		return -EAGAIN;
	}
	g_cov[C_ADOPT]++;
	l = &m->lk[pick];
	l->sess = slot;
	l->highbast = -1;
	l->cookie = q->cookie;
	l->want_bast = q->want_bast;
	l->flags = q->flags;
	memcpy(l->lvb, q->lvb, LW_LVB_LEN);
	m_complete(m, l, 0, l->gr, 0, q->cookie, m->sid[slot]);
	return 0;
}

static int
m_new(struct model *m, const struct lw_req *q, uint32_t eng_lkid, uint64_t now)
{
	uint32_t f = q->flags;
	int slot, ri, h, alt, mode;
	struct mlock *l;

	if (q->lsid != m->lsid[0] && q->lsid != m->lsid[1])
		return -EINVAL;
	slot = m_find_sess(m, q->session);
	if (slot < 0)
		return -EINVAL;
	if (!m_mode_ok(q->mode))
		return -EINVAL;
	if (q->namelen == 0 || q->namelen > LW_RESNAME_MAXLEN)
		return -EINVAL;
	if (m_bad_lock_flags(f, q->timeout_us))
		return -EINVAL;
	if (f & (LW_LKF_QUECVT | LW_LKF_CONVDEADLK))
		return -EINVAL;
	if ((f & LW_LKF_EXPEDITE) && q->mode != NL)
		return -EINVAL;
	ri = m_find_res(m, q->lsid, q->name, q->namelen);
	if (ri < 0) {
		fprintf(stderr, "driver bug: unknown resource\n");
		abort();
	}
	if (f & LW_LKF_ORPHAN)
		return m_adopt(m, q, slot, ri, eng_lkid);

	h = m_alloc(m);
	l = &m->lk[h];
	l->lkid = eng_lkid;
	l->res = ri;
	l->sess = slot;
	l->state = QS_NONE;
	l->gr = IV;
	l->rq = q->mode;
	l->flags = f;
	l->want_bast = q->want_bast;
	l->highbast = -1;
	l->persistent = (f & LW_LKF_PERSISTENT) != 0;
	l->cookie = q->cookie;
	memcpy(l->lvb, q->lvb, LW_LVB_LEN);
	m->res[ri].created = 1;

	mode = m_pick(m, h, K_NEW, &alt);
	if (mode >= 0) {
		m_grant(m, h, mode, alt);
		m_grant_pending(m, ri);   /* grants nothing more; sends the notices */
	} else if (f & LW_LKF_NOQUEUE) {
		g_cov[C_EAGAIN]++;
		m_complete(m, l, -EAGAIN, IV, 0, l->cookie, m->sid[slot]);
		if (f & LW_LKF_NOQUEUEBAST)
			m_nqbast(m, ri, h, q->mode);
		m_free(m, h);
	} else {
		m_queue(m, h, QW, now, q->timeout_us);
	}
	return 0;
}

static int
m_convert(struct model *m, const struct lw_req *q, uint64_t now)
{
	uint32_t f = q->flags;
	int slot, h, alt, mode, old, dl;
	struct mlock *l;
	struct mres *r;

	h = m_find_lkid(m, q->lkid);
	if (h < 0)
		return -ENOENT;
	l = &m->lk[h];
	r = &m->res[l->res];
	slot = m_find_sess(m, q->session);
	if (slot < 0 || l->sess != slot)
		return -EINVAL;
	if (!m_mode_ok(q->mode))
		return -EINVAL;
	if (m_bad_lock_flags(f, q->timeout_us))
		return -EINVAL;
	if (f & (LW_LKF_EXPEDITE | LW_LKF_ORPHAN))
		return -EINVAL;
	if (l->state != QS_GRANTED)
		return -EBUSY;
	/* QUECVT only on a conversion that is up: the old mode does not cover the new */
	if ((f & LW_LKF_QUECVT) && m_covers(l->gr, q->mode))
		return -EINVAL;

	l->flags = f;
	l->rq = q->mode;
	l->cookie = q->cookie;
	l->want_bast = q->want_bast;
	l->demoted = 0;
	if (f & LW_LKF_PERSISTENT)
		l->persistent = 1;
	memcpy(l->lvb, q->lvb, LW_LVB_LEN);

	old = l->gr;
	mode = m_pick(m, h, K_CONV, &alt);
	if (mode >= 0) {
		m_grant(m, h, mode, alt);
		(void)old;
		m_grant_pending(m, l->res);
		return 0;
	}
	if (f & LW_LKF_NOQUEUE) {
		g_cov[C_EAGAIN]++;
		m_complete(m, l, -EAGAIN, l->gr, 0, l->cookie, m->sid[slot]);
		if (f & LW_LKF_NOQUEUEBAST)
			m_nqbast(m, l->res, h, q->mode);
		return 0;
	}
	dl = 0;
	for (int i = 0; i < r->n[QC]; i++)
		if (!m_compat(m->lk[r->q[QC][i]].rq, l->gr))
			dl = 1;
	if (dl) {
		if ((f & LW_LKF_CONVDEADLK) && (g_accept & ACC_DEMOTE)) {
			/* the documented flow (Linux's): see ACC_DEMOTE */
			l->gr = NL;
			l->demoted = 1;
			g_cov[C_DEMOTED]++;
			m_grant_pending_q(m, l->res, QC, 0);
			mode = m_pick(m, h, K_CONV, &alt);
			if (mode >= 0) {
				m_grant(m, h, mode, alt);
				m_grant_pending(m, l->res);
				return 0;
			}
			q_del(r, QG, h);
			q_add(r, QC, h, (f & LW_LKF_HEADQUE) != 0);
			l->state = QS_CONVERT;
			if (f & LW_LKF_TIMEOUT) {
				l->has_timer = 1;
				l->deadline = now + (uint64_t)q->timeout_us * 1000;
			}
			m_grant_pending(m, l->res);
			return 0;
		} else if (f & LW_LKF_CONVDEADLK) {
			l->gr = NL;
			l->demoted = 1;
			g_cov[C_DEMOTED]++;
			m_grant_pending(m, l->res);
			mode = m_pick(m, h, K_CONV, &alt);
			if (mode >= 0) {
				m_grant(m, h, mode, alt);
				return 0;
			}
		} else if (!(f & LW_LKF_NODLCKWT)) {
			g_cov[C_EDEADLK]++;
			m_complete(m, l, -EDEADLK, l->gr, 0, l->cookie, m->sid[slot]);
			return 0;
		}
	}
	q_del(r, QG, h);
	m_queue(m, h, QC, now, q->timeout_us);
	return 0;
}

/* Release granted h (LVB write per the unlock's flags); no event. */
static void
m_release(struct model *m, int h, uint32_t f, const uint8_t *lvb)
{
	struct mlock *l = &m->lk[h];
	struct mres *r = &m->res[l->res];

	if (l->gr == PW || l->gr == EX) {
		if (f & LW_LKF_IVVALBLK) {
			r->valid = 0;
		} else if (f & LW_LKF_VALBLK) {
			memcpy(r->lvb, lvb, LW_LVB_LEN);
			r->valid = 1;
		}
	}
	q_del(r, QG, h);
	m_free(m, h);
}

static int
m_unlock(struct model *m, const struct lw_req *q)
{
	uint32_t f = q->flags;
	int slot, h, ri;
	struct mlock *l, copy;

	if (f & ~(LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK | LW_LKF_VALBLK | LW_LKF_IVVALBLK))
		return -EINVAL;
	if ((f & LW_LKF_CANCEL) && (f & LW_LKF_FORCEUNLOCK))
		return -EINVAL;
	h = m_find_lkid(m, q->lkid);
	if (h < 0)
		return -ENOENT;
	l = &m->lk[h];
	ri = l->res;
	slot = m_find_sess(m, q->session);
	if (slot < 0)
		return -EINVAL;
	if (l->sess != slot && !(l->sess < 0 && (f & LW_LKF_FORCEUNLOCK)))
		return -EINVAL;

	if (f & LW_LKF_CANCEL) {
		if (l->state != QS_CONVERT && l->state != QS_WAIT)
			return -EBUSY;
		g_cov[C_CANCEL]++;
		m_cancel_pending(m, h, LW_ECANCEL, 0);
		m_grant_pending(m, ri);
		return 0;
	}
	if (!(f & LW_LKF_FORCEUNLOCK) && l->state != QS_GRANTED)
		return -EBUSY;
	copy = *l;
	if (l->state == QS_CONVERT || l->state == QS_WAIT) {
		g_cov[C_FORCE_PENDING]++;
		m_cancel_pending(m, h, LW_ECANCEL, 0);
		m_grant_pending(m, ri);
	}
	if (m->lk[h].used && m->lk[h].lkid == copy.lkid)
		m_release(m, h, f, q->lvb);
	m_complete(m, &copy, LW_EUNLOCK, IV, 0, q->cookie,
		   q->session);
	m_grant_pending(m, ri);
	return 0;
}

static int
m_submit(struct model *m, const struct lw_req *q, uint32_t eng_lkid, uint64_t now)
{
	if (q->op == LW_REQ_UNLOCK)
		return m_unlock(m, q);
	if (q->flags & LW_LKF_CONVERT) {
		if (q->flags & LW_LKF_ORPHAN)
			return -EINVAL;
		return m_convert(m, q, now);
	}
	return m_new(m, q, eng_lkid, now);
}

static void
m_session_close(struct model *m, int slot)
{
	int touched[MAXRES] = { 0 };

	for (int h = 0; h < POOL; h++) {
		struct mlock *l = &m->lk[h];
		if (!l->used || l->sess != slot)
			continue;
		touched[l->res] = 1;
		if (l->state == QS_CONVERT || l->state == QS_WAIT)
			m_cancel_pending(m, h, 0, 1);
	}
	for (int h = 0; h < POOL; h++) {
		struct mlock *l = &m->lk[h];
		if (!l->used || l->sess != slot)
			continue;
		if (l->persistent) {
			l->sess = -1;
			g_cov[C_ORPHANED]++;
		} else {
			q_del(&m->res[l->res], QG, h);
			m_free(m, h);
		}
	}
	for (int ri = 0; ri < m->nres; ri++)
		if (touched[ri])
			m_grant_pending(m, ri);
}

static int
m_tick(struct model *m, uint64_t now)
{
	int n = 0;

	for (;;) {
		int best = -1;
		for (int h = 0; h < POOL; h++) {
			const struct mlock *l = &m->lk[h];
			if (l->used && l->has_timer && l->deadline <= now &&
			    (best < 0 || l->deadline < m->lk[best].deadline))
				best = h;
		}
		if (best < 0)
			return n;
		int ri = m->lk[best].res;
		m_cancel_pending(m, best, -ETIMEDOUT, 0);
		g_cov[C_TIMEOUT]++;
		m_grant_pending(m, ri);
		n++;
	}
}

static uint64_t
m_next_deadline(const struct model *m)
{
	uint64_t d = UINT64_MAX;

	for (int h = 0; h < POOL; h++)
		if (m->lk[h].used && m->lk[h].has_timer && m->lk[h].deadline < d)
			d = m->lk[h].deadline;
	return d;
}

static int
m_deadline_used(const struct model *m, uint64_t dl)
{
	for (int h = 0; h < POOL; h++)
		if (m->lk[h].used && m->lk[h].has_timer && m->lk[h].deadline == dl)
			return 1;
	return 0;
}

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
