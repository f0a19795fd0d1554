/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lockq.c — grant, convert and wait queues of one resource.
 *
 * DESIGN
 * The map of a request through this file:
 *
 *   lw_lockq_request()  -> can_grant(now) -> grant()            granted at once
 *                                         -> enqueue(wait)      waits
 *   lw_lockq_convert()  -> can_grant(now) -> grant()            converted at once
 *                                         -> deadlock / demote  -EDEADLK or NL
 *                                         -> enqueue(convert)   waits
 *   lw_lockq_cancel()   -> dequeue -> grant_pending()
 *   lw_lockq_release()  -> remove  -> grant_pending()
 *   grant_pending()     -> convert queue until stable, wait queue in order,
 *                          then send_blocking()
 *
 * Conflicts are found in O(modes): gcnt[] counts the granted modes of the
 * granted and converting entries, so "does rq conflict with anyone but e"
 * is a mask test. pcnt[] counts pending requested modes for the blocking
 * notices. Both are kept exact by the few functions that move entries.
 */
#include <errno.h>
#include <stddef.h>

#include "lockq.h"

/* Bit m set when mode m is incompatible with the index mode. */
static const uint8_t incompat_mask[LW_LOCK_NMODES] = {
	[LW_LOCK_NL] = 0,
	[LW_LOCK_CR] = 1u << LW_LOCK_EX,
	[LW_LOCK_CW] = (1u << LW_LOCK_PR) | (1u << LW_LOCK_PW) | (1u << LW_LOCK_EX),
	[LW_LOCK_PR] = (1u << LW_LOCK_CW) | (1u << LW_LOCK_PW) | (1u << LW_LOCK_EX),
	[LW_LOCK_PW] = (1u << LW_LOCK_CW) | (1u << LW_LOCK_PR) | (1u << LW_LOCK_PW) |
		       (1u << LW_LOCK_EX),
	[LW_LOCK_EX] = 0x3eu,
};

void
lw_lockq_init(struct lw_lockq *q)
{
	TAILQ_INIT(&q->grant);
	TAILQ_INIT(&q->convert);
	TAILQ_INIT(&q->wait);
	q->nconvert = 0;
	q->nwait = 0;
	q->nnoorder = 0;
	for (int m = 0; m < LW_LOCK_NMODES; m++) {
		q->gcnt[m] = 0;
		q->pcnt[m] = 0;
	}
	q->ceiling = LW_LOCK_EX;
	q->cap = LW_LOCK_EX;
}

void
lw_qent_init(struct lw_qent *e, bool want_bast)
{
	e->grmode = LW_LOCK_IV;
	e->rqmode = LW_LOCK_IV;
	e->qmode = LW_LOCK_IV;
	e->highbast = LW_LOCK_IV;
	e->state = LW_QS_NONE;
	e->sbflags = 0;
	e->want_bast = want_bast;
	e->dlmode = LW_LOCK_IV;
	e->flags = 0;
}

/* Mask of modes held by entries other than e. */
static inline unsigned int
held_mask(const struct lw_lockq *q, const struct lw_qent *e)
{
	unsigned int mask = 0;

	for (int m = 0; m < LW_LOCK_NMODES; m++) {
		uint32_t c = q->gcnt[m];
		if (m == e->grmode)
			c--;
		if (c != 0)
			mask |= 1u << m;
	}
	return mask;
}

static inline bool
conflicts(const struct lw_lockq *q, const struct lw_qent *e, int rq)
{
	return (held_mask(q, e) & incompat_mask[rq]) != 0;
}

/*
 * The VMS rules for one mode (Linux's _can_be_granted): now is true in the
 * call that makes the request, false for an entry already queued.
 */
static bool
can_grant_mode(const struct lw_lockq *q, const struct lw_qent *e, int rq, bool now)
{
	bool conv = e->grmode != LW_LOCK_IV;

	/*
	 * The ceiling caps what the site may grant, except for a conversion
	 * of a lock whose granted mode is already above it: its site cannot
	 * give way until that lock does, so holding the conversion back would
	 * make the lock wait for the site and the site for the lock. Such a
	 * conversion may go up to cap (what the site holds); a conversion
	 * down only gives back and is never held by the ceiling.
	 */
	if (!lw_mode_covers(q->ceiling, rq) &&
	    !(conv && (lw_mode_covers(e->grmode, rq) ||
		       (!lw_mode_covers(q->ceiling, e->grmode) && lw_mode_covers(q->cap, rq)))))
		return false;
	if (e->flags & LW_LKF_EXPEDITE)
		return true;
	if (conflicts(q, e, rq))
		return false;
	if (now && conv)
		return !(e->flags & LW_LKF_QUECVT) || q->nconvert == 0;
	if (e->flags & LW_LKF_NOORDER)
		return true;
	if (conv)
		return !now && TAILQ_FIRST(&q->convert) == e;
	if (q->nconvert != 0)
		return false;
	if (now)
		return q->nwait == 0;
	return TAILQ_FIRST(&q->wait) == e;
}

/*
 * Would e, converting from its granted mode, wait behind a lock it blocks?
 * A site's holding is judged by the mode of the one local lock converting
 * (dlmode): its other local holders are waited for, not waiting.
 */
static bool
conversion_deadlock(const struct lw_lockq *q, const struct lw_qent *e)
{
	int gr = e->dlmode != LW_LOCK_IV ? e->dlmode : e->grmode;
	const struct lw_qent *o;

	TAILQ_FOREACH(o, &q->convert, link)
		if (o != e && !lw_mode_compat(gr, o->rqmode))
			return true;
	return false;
}

static int
alt_mode(const struct lw_qent *e)
{
	if ((e->flags & LW_LKF_ALTPR) && e->rqmode != LW_LOCK_PR)
		return LW_LOCK_PR;
	if ((e->flags & LW_LKF_ALTCW) && e->rqmode != LW_LOCK_CW)
		return LW_LOCK_CW;
	return LW_LOCK_IV;
}

/* Requested mode, or the ALT mode (setting ALTMODE), if grantable; else IV. */
static int
grantable_mode(const struct lw_lockq *q, struct lw_qent *e, bool now)
{
	int alt;

	if (can_grant_mode(q, e, e->rqmode, now))
		return e->rqmode;
	alt = alt_mode(e);
	if (alt != LW_LOCK_IV && can_grant_mode(q, e, alt, now)) {
		e->sbflags |= LW_SBF_ALTMODE;
		return alt;
	}
	return LW_LOCK_IV;
}

static void
pending_add(struct lw_lockq *q, struct lw_qent *e, struct lw_qlist *list, bool head)
{
	if (head)
		TAILQ_INSERT_HEAD(list, e, link);
	else
		TAILQ_INSERT_TAIL(list, e, link);
	e->qmode = e->rqmode;
	q->pcnt[e->qmode]++;
	if (e->flags & LW_LKF_NOORDER)
		q->nnoorder++;
}

static void
pending_del(struct lw_lockq *q, struct lw_qent *e)
{
	if (e->state == LW_QS_CONVERT) {
		TAILQ_REMOVE(&q->convert, e, link);
		q->nconvert--;
	} else {
		TAILQ_REMOVE(&q->wait, e, link);
		q->nwait--;
	}
	q->pcnt[e->qmode]--;
	e->qmode = LW_LOCK_IV;
	if (e->flags & LW_LKF_NOORDER)
		q->nnoorder--;
}

static void
set_grmode(struct lw_lockq *q, struct lw_qent *e, int mode)
{
	if (e->grmode != LW_LOCK_IV)
		q->gcnt[e->grmode]--;
	e->grmode = (int8_t)mode;
	if (mode != LW_LOCK_IV)
		q->gcnt[mode]++;
}

/* Give e the mode; e is on no list or on a pending list. */
static void
grant(struct lw_lockq *q, struct lw_qent *e, int mode,
      const struct lw_lockq_ops *ops, void *ctx)
{
	int prev = e->grmode;

	if (e->state == LW_QS_CONVERT || e->state == LW_QS_WAIT)
		pending_del(q, e);
	if (e->state != LW_QS_GRANTED)
		TAILQ_INSERT_TAIL(&q->grant, e, link);
	e->state = LW_QS_GRANTED;
	set_grmode(q, e, mode);
	e->rqmode = LW_LOCK_IV;
	e->highbast = LW_LOCK_IV;
	ops->granted(ctx, e, prev);
}

/* The strongest pending mode that e's granted mode blocks, e's own excluded. */
static int
blocked_mode(const struct lw_lockq *q, const struct lw_qent *e)
{
	for (int m = LW_LOCK_EX; m > LW_LOCK_NL; m--) {
		uint32_t c = q->pcnt[m];
		if (m == e->qmode)
			c--;
		if (c != 0 && !lw_mode_compat(e->grmode, m))
			return m;
	}
	return LW_LOCK_IV;
}

static void
bast_one(struct lw_qent *h, int m, const struct lw_lockq_ops *ops, void *ctx)
{
	if (m == LW_LOCK_IV || !h->want_bast)
		return;
	if (h->highbast != LW_LOCK_IV && h->highbast >= m)
		return;
	h->highbast = (int8_t)m;
	ops->blocking(ctx, h, m);
}

static void
send_blocking(struct lw_lockq *q, const struct lw_lockq_ops *ops, void *ctx)
{
	struct lw_qent *h;

	if (q->nconvert == 0 && q->nwait == 0)
		return;
	TAILQ_FOREACH(h, &q->grant, link)
		bast_one(h, blocked_mode(q, h), ops, ctx);
	TAILQ_FOREACH(h, &q->convert, link)
		bast_one(h, blocked_mode(q, h), ops, ctx);
}

/* NOQUEUEBAST: notices for one mode that does not wait. */
static void
send_blocking_for(struct lw_lockq *q, const struct lw_qent *e, int rq,
		  const struct lw_lockq_ops *ops, void *ctx)
{
	struct lw_qent *h;

	TAILQ_FOREACH(h, &q->grant, link)
		if (h != e && !lw_mode_compat(h->grmode, rq))
			bast_one(h, rq, ops, ctx);
	TAILQ_FOREACH(h, &q->convert, link)
		if (h != e && !lw_mode_compat(h->grmode, rq))
			bast_one(h, rq, ops, ctx);
}

static bool
grant_pending_convert(struct lw_lockq *q, const struct lw_lockq_ops *ops, void *ctx)
{
	struct lw_qent *e, *next;
	bool any = false, again;

	do {
		again = false;
		for (e = TAILQ_FIRST(&q->convert); e != NULL; e = next) {
			int mode;

			next = TAILQ_NEXT(e, link);
			mode = grantable_mode(q, e, false);
			if (mode != LW_LOCK_IV) {
				grant(q, e, mode, ops, ctx);
				again = any = true;
				break;
			}
			if (q->nnoorder == 0)
				break;
		}
	} while (again);
	return any;
}

static void
grant_pending_wait(struct lw_lockq *q, const struct lw_lockq_ops *ops, void *ctx)
{
	struct lw_qent *e, *next;

	for (e = TAILQ_FIRST(&q->wait); e != NULL; e = next) {
		int mode;

		next = TAILQ_NEXT(e, link);
		mode = grantable_mode(q, e, false);
		if (mode != LW_LOCK_IV)
			grant(q, e, mode, ops, ctx);
		else if (q->nnoorder == 0)
			break;
	}
}

void
lw_lockq_grant_pending_slow(struct lw_lockq *q, const struct lw_lockq_ops *ops, void *ctx)
{
	grant_pending_convert(q, ops, ctx);
	grant_pending_wait(q, ops, ctx);
	send_blocking(q, ops, ctx);
}

static void
start_request(struct lw_qent *e, int mode, uint32_t flags)
{
	e->rqmode = (int8_t)mode;
	e->flags = flags;
	e->sbflags = 0;
}

int
lw_lockq_request(struct lw_lockq *q, struct lw_qent *e, int mode,
		 uint32_t flags, const struct lw_lockq_ops *ops, void *ctx)
{
	int gm;

	start_request(e, mode, flags);
	gm = grantable_mode(q, e, true);
	if (gm != LW_LOCK_IV) {
		grant(q, e, gm, ops, ctx);
		/* a holder granted past waiters (NOORDER, EXPEDITE) hears of them */
		lw_lockq_grant_pending(q, ops, ctx);
		return 0;
	}
	if (flags & LW_LKF_NOQUEUE) {
		if (flags & LW_LKF_NOQUEUEBAST)
			send_blocking_for(q, e, mode, ops, ctx);
		e->rqmode = LW_LOCK_IV;
		return -EAGAIN;
	}
	e->state = LW_QS_WAIT;
	pending_add(q, e, &q->wait, flags & LW_LKF_HEADQUE);
	q->nwait++;
	send_blocking(q, ops, ctx);
	return 0;
}

/* CONVDEADLK: drop to NL, let others go, then try e once more. */
static bool
demote_and_retry(struct lw_lockq *q, struct lw_qent *e,
		 const struct lw_lockq_ops *ops, void *ctx)
{
	int gm;

	set_grmode(q, e, LW_LOCK_NL);
	e->sbflags |= LW_SBF_DEMOTED;
	grant_pending_convert(q, ops, ctx);
	gm = grantable_mode(q, e, true);
	if (gm == LW_LOCK_IV)
		return false;
	grant(q, e, gm, ops, ctx);
	return true;
}

int
lw_lockq_convert(struct lw_lockq *q, struct lw_qent *e, int mode,
		 uint32_t flags, const struct lw_lockq_ops *ops, void *ctx)
{
	int prev = e->grmode, gm;

	if (e->state != LW_QS_GRANTED)
		return -EBUSY;
	start_request(e, mode, flags);
	gm = grantable_mode(q, e, true);
	if (gm != LW_LOCK_IV) {
		grant(q, e, gm, ops, ctx);
		/*
		 * Down: others may go now. Up: the lock was granted anew, so it
		 * hears again of the requests it blocks (as Linux's
		 * do_convert_effects). Both are one grant-pending pass.
		 */
		(void)prev;
		lw_lockq_grant_pending(q, ops, ctx);
		return 0;
	}
	if (flags & LW_LKF_NOQUEUE) {
		if (flags & LW_LKF_NOQUEUEBAST)
			send_blocking_for(q, e, mode, ops, ctx);
		e->rqmode = LW_LOCK_IV;
		return -EAGAIN;
	}
	if (conversion_deadlock(q, e)) {
		if (flags & LW_LKF_CONVDEADLK) {
			if (demote_and_retry(q, e, ops, ctx)) {
				lw_lockq_grant_pending(q, ops, ctx);
				return 0;
			}
		} else if (!(flags & LW_LKF_NODLCKWT)) {
			e->rqmode = LW_LOCK_IV;
			return -EDEADLK;
		}
	}
	TAILQ_REMOVE(&q->grant, e, link);
	e->state = LW_QS_CONVERT;
	pending_add(q, e, &q->convert, flags & LW_LKF_HEADQUE);
	q->nconvert++;
	if (e->sbflags & LW_SBF_DEMOTED)
		lw_lockq_grant_pending(q, ops, ctx);
	else
		send_blocking(q, ops, ctx);
	return 0;
}

int
lw_lockq_dequeue(struct lw_lockq *q, struct lw_qent *e)
{
	int was = e->state;

	if (was != LW_QS_CONVERT && was != LW_QS_WAIT)
		return -EBUSY;
	pending_del(q, e);
	e->rqmode = LW_LOCK_IV;
	if (was == LW_QS_CONVERT) {
		TAILQ_INSERT_TAIL(&q->grant, e, link);
		e->state = LW_QS_GRANTED;
	} else {
		e->state = LW_QS_NONE;
	}
	return was;
}

int
lw_lockq_cancel(struct lw_lockq *q, struct lw_qent *e,
		const struct lw_lockq_ops *ops, void *ctx)
{
	int was = lw_lockq_dequeue(q, e);

	if (was >= 0)
		lw_lockq_grant_pending(q, ops, ctx);
	return was;
}

int
lw_lockq_remove(struct lw_lockq *q, struct lw_qent *e)
{
	if (e->state != LW_QS_GRANTED)
		return -EBUSY;
	TAILQ_REMOVE(&q->grant, e, link);
	set_grmode(q, e, LW_LOCK_IV);
	e->state = LW_QS_NONE;
	return 0;
}

int
lw_lockq_release(struct lw_lockq *q, struct lw_qent *e,
		 const struct lw_lockq_ops *ops, void *ctx)
{
	int rc = lw_lockq_remove(q, e);

	if (rc == 0)
		lw_lockq_grant_pending(q, ops, ctx);
	return rc;
}

void
lw_lockq_set_ceiling(struct lw_lockq *q, int ceiling,
		     const struct lw_lockq_ops *ops, void *ctx)
{
	q->ceiling = (int8_t)ceiling;
	lw_lockq_grant_pending(q, ops, ctx);
}

bool
lw_lockq_would_grant(struct lw_lockq *q, struct lw_qent *e, int mode,
		     uint32_t flags, int ceiling)
{
	struct lw_qent save = *e;
	int8_t cl = q->ceiling;
	bool now = e->state == LW_QS_NONE || e->state == LW_QS_GRANTED;
	int gm;

	q->ceiling = (int8_t)ceiling;
	e->rqmode = (int8_t)mode;
	e->flags = flags;
	gm = grantable_mode(q, e, now);
	q->ceiling = cl;
	*e = save;
	return gm != LW_LOCK_IV;
}

int
lw_lockq_lower(struct lw_lockq *q, struct lw_qent *e, int mode,
	       const struct lw_lockq_ops *ops, void *ctx)
{
	if (e->state != LW_QS_GRANTED && e->state != LW_QS_CONVERT)
		return -EBUSY;
	if (!lw_mode_valid(mode) || !lw_mode_covers(e->grmode, mode))
		return -EINVAL;
	set_grmode(q, e, mode);
	/* a new holding: it hears again of what it still blocks */
	e->highbast = LW_LOCK_IV;
	lw_lockq_grant_pending(q, ops, ctx);
	return 0;
}

unsigned int
lw_lockq_pending_mask(const struct lw_lockq *q, const struct lw_qent *e)
{
	unsigned int mask = 0;

	for (int m = 0; m < LW_LOCK_NMODES; m++) {
		uint32_t c = q->pcnt[m];
		if (e != NULL && m == e->qmode)
			c--;
		if (c != 0)
			mask |= 1u << m;
	}
	return mask;
}

int
lw_lockq_granted_join(const struct lw_lockq *q)
{
	int j = LW_LOCK_IV;

	for (int m = 0; m < LW_LOCK_NMODES; m++)
		if (q->gcnt[m] != 0)
			j = lw_mode_join(j, m);
	return j;
}
