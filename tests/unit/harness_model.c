/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * harness_model.c — the brute-force reference model of the lock engine used by
 * test_model.c: its own mode tables, queues, grant rules, blocking notices,
 * LVBs, timers, sessions and orphans, written from docs/engine.md (plain
 * arrays, O(n^2) scans). See test_model.c's header for the choices the
 * model makes where the doc is silent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* ------------------------------------------------------------------------ */
/* Modes: our own tables, written from docs/engine.md                        */

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

int
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

const char *
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
/* Documented rules kept as switches (see test_model.c's header).          */

/* CONVDEADLK demotion (docs/engine.md): only the convert queue is scanned
 * (no wait queue, no blocking notices) before L is tried again; a full grant
 * pending follows whether L is granted or queued. Off: a full grant pending
 * before the retry. */
#define ACC_DEMOTE       0x4u
/* QUECVT before NOORDER (docs/engine.md): a QUECVT conversion is granted at
 * once only when the convert queue is empty, NOORDER or not. */
#define ACC_QUECVT_NOORDER 0x20u

unsigned int g_accept = ACC_DEMOTE | ACC_QUECVT_NOORDER;

/* What the runs exercised (counters in model.h; printed by the driver). */
const char *const cov_names[C_NCOV] = {
	"grant_now", "grant_pending", "queued_wait", "queued_conv", "eagain", "edeadlk",
	"demoted", "alt", "bast", "nqbast", "cancel", "force_pending", "timeout",
	"lvb_write", "lvb_inval", "lvb_read", "lvb_notvalid", "orphaned", "adopt",
	"adopt_eagain", "adopt_enoent", "close", "rejected",
};
uint64_t g_cov[C_NCOV];

/* ------------------------------------------------------------------------ */
/* The model                                                                 */

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

int
m_live(const struct model *m)
{
	int n = 0;

	for (int h = 0; h < POOL; h++)
		n += m->lk[h].used;
	return n;
}

int
m_find_lkid(const struct model *m, uint32_t lkid)
{
	for (int h = 0; h < POOL; h++)
		if (m->lk[h].used && m->lk[h].lkid == lkid)
			return h;
	return -1;
}

int
m_find_sess(const struct model *m, uint32_t sid)
{
	if (sid == 0)
		return -1;
	for (int i = 0; i < m->nsess; i++)
		if (m->sid[i] == sid)
			return i;
	return -1;
}

int
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

uint32_t
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

int
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

void
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

int
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

uint64_t
m_next_deadline(const struct model *m)
{
	uint64_t d = UINT64_MAX;

	for (int h = 0; h < POOL; h++)
		if (m->lk[h].used && m->lk[h].has_timer && m->lk[h].deadline < d)
			d = m->lk[h].deadline;
	return d;
}

int
m_deadline_used(const struct model *m, uint64_t dl)
{
	for (int h = 0; h < POOL; h++)
		if (m->lk[h].used && m->lk[h].has_timer && m->lk[h].deadline == dl)
			return 1;
	return 0;
}
