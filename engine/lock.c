/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock.c — the request, convert and unlock state machine of one site.
 *
 * DESIGN
 * The stages of a request (docs/engine.md has the rules):
 *
 *   lw_engine_submit()
 *     -> validate (check_lock_args / check_unlock_args)    rc < 0: nothing changes
 *     -> do_request()  new lock:  res_get, lkb_alloc -> lw_lockq_request()
 *     -> do_adopt()    ORPHAN:    an orphan of the mode becomes the caller's
 *     -> do_convert()  CONVERT:   lvb_write -> lw_lockq_convert()
 *     -> do_unlock()   UNLOCK:    lvb_write -> lw_lockq_release()
 *     -> do_cancel()   CANCEL:    lw_lockq_cancel()
 *   lockq callbacks:
 *     on_granted()  -> COMPLETE 0 (LVB read, timer off)
 *     on_blocking() -> BLOCKING
 *   lw_engine_tick() -> timed-out requests -> cancel with -ETIMEDOUT
 *
 * Every accepted request gets exactly one COMPLETE; a cancelled pending
 * request gets its COMPLETE (LW_ECANCEL / -ETIMEDOUT) from the cancel, or,
 * when the cancel retracts the site's request at its master, from the
 * master's answer (lw_shadow_hold_cancel in shadow.c).
 */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_prefetch.h>

#include "engine_priv.h"

#define LOCK_ONLY_FLAGS (LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK)
#define CONVERT_ONLY_FLAGS (LW_LKF_QUECVT | LW_LKF_CONVDEADLK)
#define UNLOCK_FLAGS (LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK | LW_LKF_VALBLK | LW_LKF_IVVALBLK)

void
lw_lock_emit_complete(struct lw_engine *e, const struct lw_lkb *lkb, uint32_t session,
		      int status, int mode, uint8_t sbflags, uint64_t cookie)
{
	struct lw_event *ev;

	if (session == 0 || session == e->mute_sid)
		return;
	ev = lw_evbuf_push(e->out);
	if (unlikely(ev == NULL))
		return;
	ev->type = LW_EV_COMPLETE;
	ev->mode = (int8_t)mode;
	ev->sbflags = sbflags;
	ev->has_lvb = 0;
	ev->status = status;
	ev->lkid = lkb->lkid;
	ev->session = session;
	ev->cookie = cookie;
}

/* A transition out of PW/EX to a mode that does not cover it writes the LVB. */
static inline bool
lvb_writes(int from, int to)
{
	return from >= LW_LOCK_PW && !lw_mode_covers(to, from);
}

static void
lvb_write(struct lw_res *r, uint32_t flags, const uint8_t *lvb)
{
	if (flags & LW_LKF_IVVALBLK) {
		r->lvb_valid = 0;
		r->lvb_dirty = 1;
	} else if (flags & LW_LKF_VALBLK) {
		memcpy(r->lvb, lvb, LW_LVB_LEN);
		r->lvb_valid = 1;
		r->lvb_dirty = 1;
	}
}

static void
on_granted(void *ctx, struct lw_qent *q, int prev)
{
	struct lw_engine *e = ctx;
	struct lw_lkb *lkb = lkb_of(q);
	struct lw_res *r = lkb->res;
	struct lw_event *ev;

	lw_timer_del(e, lkb);
	e->st.grants++;
	lw_shadow_granted(e, lkb);
	if (lvb_writes(prev, q->grmode))
		lvb_write(r, q->flags, lkb->lvb);
	if (lkb->session == 0 || lkb->session == e->mute_sid)
		return;	/* an orphan, or a session being closed: nobody to tell */
	ev = lw_evbuf_push(e->out);
	if (unlikely(ev == NULL))
		return;
	ev->type = LW_EV_COMPLETE;
	ev->mode = q->grmode;
	ev->sbflags = q->sbflags;
	ev->status = 0;
	ev->lkid = lkb->lkid;
	ev->session = lkb->session;
	ev->cookie = lkb->cookie;
	ev->has_lvb = 0;
	if ((q->flags & LW_LKF_VALBLK) && !lvb_writes(prev, q->grmode)) {
		ev->has_lvb = 1;
		memcpy(ev->lvb, r->lvb, LW_LVB_LEN);
		if (!r->lvb_valid)
			ev->sbflags |= LW_SBF_VALNOTVALID;
	}
}

static void
on_blocking(void *ctx, struct lw_qent *q, int mode)
{
	struct lw_engine *e = ctx;
	struct lw_lkb *lkb = lkb_of(q);
	struct lw_event *ev;

	if (lkb->session == 0 || lkb->session == e->mute_sid)
		return;
	ev = lw_evbuf_push(e->out);
	if (unlikely(ev == NULL))
		return;
	ev->type = LW_EV_BLOCKING;
	ev->mode = (int8_t)mode;
	ev->sbflags = 0;
	ev->has_lvb = 0;
	ev->status = 0;
	ev->lkid = lkb->lkid;
	ev->session = lkb->session;
	ev->cookie = lkb->cookie;
	e->st.blocking++;
}

const struct lw_lockq_ops lw_engine_qops = {
	.granted = on_granted,
	.blocking = on_blocking,
};

/* --- argument checks ------------------------------------------------------ */

static int
check_flag_rules(const struct lw_req *rq)
{
	uint32_t f = rq->flags;

	if (f & ~LW_LKF_ALL)
		return -EINVAL;
	if (f & LOCK_ONLY_FLAGS)
		return -EINVAL;
	if ((f & LW_LKF_NOQUEUEBAST) && !(f & LW_LKF_NOQUEUE))
		return -EINVAL;
	if ((f & LW_LKF_ALTPR) && (f & LW_LKF_ALTCW))
		return -EINVAL;
	if ((f & LW_LKF_TIMEOUT) && (rq->timeout_us == 0 || (f & LW_LKF_NOQUEUE)))
		return -EINVAL;
	if (f & LW_LKF_CONVERT) {
		if (f & (LW_LKF_EXPEDITE | LW_LKF_ORPHAN))
			return -EINVAL;
	} else {
		if (f & CONVERT_ONLY_FLAGS)
			return -EINVAL;
		if ((f & LW_LKF_EXPEDITE) && rq->mode != LW_LOCK_NL)
			return -EINVAL;
	}
	return 0;
}

static int
check_lock_args(struct lw_engine *e, const struct lw_req *rq)
{
	if (!lw_mode_valid(rq->mode))
		return -EINVAL;
	if (lw_session_get(e, rq->session) == NULL)
		return -EINVAL;
	if (rq->lsid == 0 || rq->lsid > e->conf.max_lockspaces || !e->ls[rq->lsid - 1].used)
		return -EINVAL;
	if (!(rq->flags & LW_LKF_CONVERT) &&
	    (rq->namelen == 0 || rq->namelen > LW_RESNAME_MAXLEN))
		return -EINVAL;
	return check_flag_rules(rq);
}

/* --- requests --------------------------------------------------------------- */

/*
 * A NOQUEUE request that only the mode this site holds stands in the way of
 * is asked of the master (with NOQUEUE) instead of failing at once; it
 * waits here for the answer. Returns the flags to queue it with.
 */
static uint32_t
noqueue_via_master(struct lw_engine *e, struct lw_res *r, struct lw_lkb *lkb,
		   int mode, uint32_t flags)
{
	if (!(flags & LW_LKF_NOQUEUE) || !lw_shadow_can_ask(e, r) ||
	    lw_lockq_would_grant(&r->q, &lkb->q, mode, flags, r->q.ceiling) ||
	    !lw_lockq_would_grant(&r->q, &lkb->q, mode, flags, LW_LOCK_EX))
		return flags;
	lkb->nq = 1;
	lkb->nqbast = !!(flags & LW_LKF_NOQUEUEBAST);
	return flags & ~(LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST);
}

static void
start_timer(struct lw_engine *e, struct lw_lkb *lkb, const struct lw_req *rq, uint64_t now)
{
	if ((rq->flags & LW_LKF_TIMEOUT) && lkb->q.state != LW_QS_GRANTED &&
	    lkb->q.state != LW_QS_NONE)
		lw_timer_add(e, lkb, now + (uint64_t)rq->timeout_us * 1000u);
}

static void
note_result(struct lw_engine *e, const struct lw_lkb *lkb)
{
	if (lkb->q.state == LW_QS_WAIT || lkb->q.state == LW_QS_CONVERT)
		e->st.queued++;
	else
		e->st.grants_now++;
}

static int
do_request(struct lw_engine *e, struct lw_req *rq, struct lw_res *r, uint64_t now)
{
	struct lw_session *s = lw_session_get(e, rq->session);
	struct lw_lkb *lkb;
	int rc;

	lkb = lw_lkb_alloc(e);
	if (lkb == NULL)
		return -ENOMEM;
	if (r == NULL) {
		uint64_t h = lw_res_hash(e->ls[rq->lsid - 1].gid, rq->name, rq->namelen);
		r = lw_res_get(e, rq->lsid, rq->name, rq->namelen, h);
		if (r == NULL) {
			lw_lkb_free(e, lkb);
			return -ENOMEM;
		}
	}
	lw_qent_init(&lkb->q, rq->want_bast);
	lkb->res = r;
	lkb->session = rq->session;
	lkb->xid = rq->xid ? rq->xid : rq->session;
	lkb->cookie = rq->cookie;
	lkb->priority = rq->priority;
	lkb->persistent = !!(rq->flags & LW_LKF_PERSISTENT);
	lkb->lsid = rq->lsid;
	lw_res_attach(e, r);
	TAILQ_INSERT_TAIL(&s->locks, lkb, slink);
	s->nlocks++;
	e->ls[rq->lsid - 1].nlocks++;
	rq->lkid = lkb->lkid;
	rq->rc = 0;
	lkb->nq = 0;

	rc = lw_lockq_request(&r->q, &lkb->q, rq->mode,
			      noqueue_via_master(e, r, lkb, rq->mode, rq->flags),
			      &lw_engine_qops, e);
	if (rc < 0) {
		lw_lock_emit_complete(e, lkb, lkb->session, rc, LW_LOCK_IV, 0, lkb->cookie);
		lw_lock_destroy(e, lkb);
	} else {
		note_result(e, lkb);
		start_timer(e, lkb, rq, now);
	}
	lw_shadow_update(e, r);
	return 0;
}

static int
do_adopt(struct lw_engine *e, struct lw_req *rq, struct lw_res *r)
{
	struct lw_session *s = lw_session_get(e, rq->session);
	struct lw_lkb *lkb, *other = NULL;

	if (r == NULL)
		r = lw_res_find(e, rq->lsid, rq->name, rq->namelen,
				lw_res_hash(e->ls[rq->lsid - 1].gid, rq->name, rq->namelen));
	if (r == NULL)
		return -ENOENT;
	TAILQ_FOREACH(lkb, &e->orphans, slink) {
		if (lkb->res != r)
			continue;
		if (lkb->q.grmode == rq->mode)
			break;
		other = lkb;
	}
	if (lkb == NULL)
		return other != NULL ? -EAGAIN : -ENOENT;
	TAILQ_REMOVE(&e->orphans, lkb, slink);
	e->st.orphans--;
	lkb->session = rq->session;
	lkb->xid = rq->xid ? rq->xid : rq->session;
	lkb->cookie = rq->cookie;
	lkb->q.want_bast = rq->want_bast;
	lkb->q.highbast = LW_LOCK_IV;
	lkb->persistent = 1;
	TAILQ_INSERT_TAIL(&s->locks, lkb, slink);
	s->nlocks++;
	rq->lkid = lkb->lkid;
	lw_lock_emit_complete(e, lkb, lkb->session, 0, lkb->q.grmode, 0, rq->cookie);
	e->st.grants_now++;
	return 0;
}

static struct lw_lkb *
own_lock(struct lw_engine *e, const struct lw_req *rq, int *rc)
{
	struct lw_lkb *lkb = lw_lkb_find(e, rq->lkid);

	if (lkb == NULL) {
		*rc = -ENOENT;
		return NULL;
	}
	if (lkb->session != rq->session) {
		*rc = -EINVAL;
		return NULL;
	}
	*rc = 0;
	return lkb;
}

static int
do_convert(struct lw_engine *e, struct lw_req *rq, uint64_t now)
{
	struct lw_lkb *lkb;
	int gr, rc;

	lkb = own_lock(e, rq, &rc);
	if (lkb == NULL)
		return rc;
	if (lkb->q.state != LW_QS_GRANTED || lw_shadow_cancelling(lkb))
		return -EBUSY;	/* converting, or its cancel has not completed */
	gr = lkb->q.grmode;
	if ((rq->flags & LW_LKF_QUECVT) && lw_mode_covers(gr, rq->mode))
		return -EINVAL;
	rq->rc = 0;
	lkb->cookie = rq->cookie;
	lkb->q.want_bast = rq->want_bast;
	lkb->priority = rq->priority;
	if (rq->xid)
		lkb->xid = rq->xid;
	if (rq->flags & LW_LKF_PERSISTENT)
		lkb->persistent = 1;
	/* Kept for the grant, which may come later or in an ALT mode. */
	if (gr >= LW_LOCK_PW && (rq->flags & (LW_LKF_VALBLK | LW_LKF_IVVALBLK)))
		memcpy(lkb->lvb, rq->lvb, LW_LVB_LEN);
	lkb->nq = 0;
	rc = lw_lockq_convert(&lkb->res->q, &lkb->q, rq->mode,
			      noqueue_via_master(e, lkb->res, lkb, rq->mode, rq->flags),
			      &lw_engine_qops, e);
	if (rc < 0) {
		if (rc == -EDEADLK)
			e->st.deadlocks++;
		lw_lock_emit_complete(e, lkb, lkb->session, rc, lkb->q.grmode, 0, lkb->cookie);
	} else {
		if (lkb->q.sbflags & LW_SBF_DEMOTED)
			e->st.deadlocks++;
		note_result(e, lkb);
		start_timer(e, lkb, rq, now);
	}
	lw_shadow_update(e, lkb->res);
	return 0;
}

/*
 * Detach and free a lock that holds nothing and waits for nothing. One
 * whose cancel's COMPLETE is still held back (lw_shadow_cancelling) leaves
 * its session but keeps its id and its resource until that COMPLETE goes
 * (lw_lock_free_held_back): meanwhile the id names no other lock, and
 * requests naming it get -EBUSY, as for a lock whose cancel is under way.
 */
void
lw_lock_destroy(struct lw_engine *e, struct lw_lkb *lkb)
{
	if (lkb->held_back)
		return;
	lw_timer_del(e, lkb);
	if (lkb->session != 0) {
		struct lw_session *s = lw_session_slot(e, lkb->session);
		TAILQ_REMOVE(&s->locks, lkb, slink);
		s->nlocks--;
	} else {
		TAILQ_REMOVE(&e->orphans, lkb, slink);
		e->st.orphans--;
	}
	if (lw_shadow_cancelling(lkb)) {
		lkb->held_back = 1;
		return;
	}
	e->ls[lkb->lsid - 1].nlocks--;
	lw_res_detach(e, lkb->res);
	lw_lkb_free(e, lkb);
}

/* The held-back COMPLETE of a destroyed lock went: its id is free now. */
void
lw_lock_free_held_back(struct lw_engine *e, uint32_t lkid)
{
	struct lw_lkb *lkb = lw_lkb_find(e, lkid);

	if (lkb == NULL || !lkb->held_back)
		return;
	lkb->held_back = 0;
	e->ls[lkb->lsid - 1].nlocks--;
	lw_res_detach(e, lkb->res);
	lw_lkb_free(e, lkb);
}

/*
 * End the pending request of lkb with status (LW_ECANCEL, -ETIMEDOUT). A
 * new request that never got a mode frees the lock. notify: emit its
 * COMPLETE.
 */
void
lw_lock_cancel_pending(struct lw_engine *e, struct lw_lkb *lkb, int status, bool notify)
{
	int was;

	lw_timer_del(e, lkb);
	was = lw_lockq_cancel(&lkb->res->q, &lkb->q, &lw_engine_qops, e);
	if (notify && !lw_shadow_hold_cancel(e, lkb, status))
		lw_lock_emit_complete(e, lkb, lkb->session, status, lkb->q.grmode,
				      lkb->q.sbflags, lkb->cookie);
	if (was == LW_QS_WAIT)
		lw_lock_destroy(e, lkb);
}

static void
release(struct lw_engine *e, struct lw_lkb *lkb, const struct lw_req *rq)
{
	if (lkb->q.grmode >= LW_LOCK_PW)
		lvb_write(lkb->res, rq->flags, rq->lvb);
	if (!lw_shadow_hold_unlock(lkb->res, lkb, rq->cookie))
		lw_lock_emit_complete(e, lkb, rq->session, LW_EUNLOCK, LW_LOCK_IV, 0, rq->cookie);
	lw_lockq_release(&lkb->res->q, &lkb->q, &lw_engine_qops, e);
	lw_lock_destroy(e, lkb);
}

static int do_unlock_one(struct lw_engine *e, struct lw_req *rq);

static int
do_unlock(struct lw_engine *e, struct lw_req *rq)
{
	struct lw_lkb *lkb = lw_lkb_find(e, rq->lkid);
	struct lw_res *r = lkb != NULL ? lkb->res : NULL;
	int rc = do_unlock_one(e, rq);

	if (rc == 0 && r != NULL)
		lw_shadow_update(e, r);
	return rc;
}

static int
do_unlock_one(struct lw_engine *e, struct lw_req *rq)
{
	struct lw_lkb *lkb = lw_lkb_find(e, rq->lkid);
	uint32_t f = rq->flags;
	bool pending;

	if ((f & ~UNLOCK_FLAGS) || ((f & LW_LKF_CANCEL) && (f & LW_LKF_FORCEUNLOCK)))
		return -EINVAL;
	if (lw_session_get(e, rq->session) == NULL)
		return -EINVAL;
	if (lkb == NULL)
		return -ENOENT;
	if (lkb->session != rq->session &&
	    !(lkb->session == 0 && (f & LW_LKF_FORCEUNLOCK)))
		return -EINVAL;
	if (lkb->held_back) {
		/* destroyed, its COMPLETE held back: at most a FORCEUNLOCK follows */
		if (!(f & LW_LKF_FORCEUNLOCK) || lkb->res->cxl.unlock)
			return -EBUSY;
		rq->rc = 0;
		lw_shadow_hold_unlock(lkb->res, lkb, rq->cookie);
		return 0;
	}
	pending = lkb->q.state == LW_QS_CONVERT || lkb->q.state == LW_QS_WAIT;
	if (f & LW_LKF_CANCEL) {
		if (!pending)
			return -EBUSY;	/* nothing to cancel, or its cancel is under way */
		rq->rc = 0;
		lw_lock_cancel_pending(e, lkb, LW_ECANCEL, true);
		return 0;
	}
	/* A lock whose cancel has not completed counts as pending: FORCEUNLOCK only. */
	if ((pending || lw_shadow_cancelling(lkb)) && !(f & LW_LKF_FORCEUNLOCK))
		return -EBUSY;
	rq->rc = 0;
	if (pending) {
		bool waiting = lkb->q.state == LW_QS_WAIT;
		/* The unlock's own COMPLETE must name the lock even once it is freed. */
		struct lw_lkb copy = *lkb;

		lw_lock_cancel_pending(e, lkb, LW_ECANCEL, true);
		if (waiting) {
			if (!lw_shadow_hold_unlock(copy.res, &copy, rq->cookie))
				lw_lock_emit_complete(e, &copy, rq->session, LW_EUNLOCK,
						      LW_LOCK_IV, 0, rq->cookie);
			return 0;
		}
	}
	release(e, lkb, rq);
	return 0;
}

/* --- the batch entry point -------------------------------------------------- */

static void
one_request(struct lw_engine *e, struct lw_req *rq, struct lw_res *head, uint64_t now)
{
	int rc;

	if (rq->op == LW_REQ_UNLOCK) {
		rc = do_unlock(e, rq);
		goto out;
	}
	if (rq->op != LW_REQ_LOCK) {
		rc = -EINVAL;
		goto out;
	}
	rc = check_lock_args(e, rq);
	if (rc < 0)
		goto out;
	if (rq->flags & LW_LKF_CONVERT) {
		rc = do_convert(e, rq, now);
	} else {
		struct lw_res *r = head ? lw_res_match(head, rq->lsid, rq->name, rq->namelen) : NULL;
		if (rq->flags & LW_LKF_ORPHAN)
			rc = do_adopt(e, rq, r);
		else
			rc = do_request(e, rq, r, now);
	}
out:
	rq->rc = rc;
	if (rc < 0)
		e->st.rejected++;
	else
		e->st.requests++;
}

#define SUBMIT_CHUNK 32

uint32_t
lw_engine_submit(struct lw_engine *e, struct lw_req *reqs, uint32_t n,
		 uint64_t now, struct lw_evbuf *out)
{
	uint64_t hashes[SUBMIT_CHUNK];
	struct lw_res *heads[SUBMIT_CHUNK];
	uint32_t idx[SUBMIT_CHUNK];

	e->out = out;
	for (uint32_t base = 0; base < n; base += SUBMIT_CHUNK) {
		uint32_t k = RTE_MIN(n - base, (uint32_t)SUBMIT_CHUNK), nl = 0;
		uint64_t reclaimed = e->st.res_reclaimed;

		/* Look up the names of new locks in bulk, prefetching the records. */
		for (uint32_t i = 0; i < k; i++) {
			struct lw_req *rq = &reqs[base + i];

			idx[i] = UINT32_MAX;
			rq->rc = 0;
			if (rq->op != LW_REQ_LOCK || (rq->flags & LW_LKF_CONVERT) ||
			    rq->namelen == 0 || rq->namelen > LW_RESNAME_MAXLEN ||
			    rq->lsid == 0 || rq->lsid > e->conf.max_lockspaces)
				continue;
			hashes[nl] = lw_res_hash(e->ls[rq->lsid - 1].gid, rq->name, rq->namelen);
			idx[i] = nl++;
		}
		if (nl > 0)
			lw_res_lookup_bulk(e, hashes, nl, heads);
		for (uint32_t i = 0; i < k; i++) {
			struct lw_res *head = NULL;

			if (i + 1 < k && reqs[base + i + 1].op == LW_REQ_UNLOCK) {
				uint32_t li = reqs[base + i + 1].lkid & (LW_ENGINE_MAX_LOCKS - 1);
				if (li < e->conf.max_locks)
					rte_prefetch0(&e->lkbs[li]);
			}
			/* An eviction in this chunk may have recycled a looked-up record. */
			if (idx[i] != UINT32_MAX && e->st.res_reclaimed == reclaimed)
				head = heads[idx[i]];
			one_request(e, &reqs[base + i], head, now);
		}
	}
	e->out = NULL;
	return n;
}

uint32_t
lw_engine_tick(struct lw_engine *e, uint64_t now, struct lw_evbuf *out)
{
	struct lw_lkb *lkb;
	uint32_t n = 0;

	e->out = out;
	while ((lkb = lw_timer_peek(e)) != NULL && lkb->deadline <= now) {
		struct lw_res *r = lkb->res;

		lw_lock_cancel_pending(e, lkb, -ETIMEDOUT, true);
		lw_shadow_update(e, r);
		e->st.timeouts++;
		n++;
	}
	e->out = NULL;
	return n;
}

uint64_t
lw_engine_next_deadline(const struct lw_engine *e)
{
	const struct lw_lkb *lkb = lw_timer_peek(e);

	return lkb != NULL ? lkb->deadline : UINT64_MAX;
}
