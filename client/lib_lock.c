/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib_lock.c — liblockwire's requests: lw_lock, lw_unlock and their
 * synchronous wrappers, the handle table, and the request ring.
 *
 * DESIGN
 * Every request is checked here first, by the rules the engine applies
 * (docs/engine.md: "New lock", "ORPHAN", "Conversion", "Unlock, cancel,
 * force-unlock"), plus what only the library knows: which handles are
 * live, in which lockspace, and what each has in flight. A request that
 * fails a check returns -errno with nothing sent and nothing changed; one
 * that passes is enqueued as one struct lw_creq and returns 0, and its
 * answer comes back through lib_dispatch.c:
 *
 *   lw_lock   -> check_lock -> new_lock  -> lwc_send  (ORPHAN: orphan_wait)
 *                           -> convert   -> lwc_send
 *   lw_unlock -> check_unlock -> unlock  -> lwc_send
 *                (not our lkid, FORCEUNLOCK) -> raw_force -> lwc_send, wait
 *
 * The handle's state changes only once its request is in the ring, so a
 * full ring (-EAGAIN) leaves everything as it was.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "lib_priv.h"

#define UNLOCK_FLAGS (LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK | LW_LKF_VALBLK | LW_LKF_IVVALBLK)

/* covers[a][b]: holding a gives every right of b (the lattice order). */
static const uint8_t covers[LW_LOCK_NMODES][LW_LOCK_NMODES] = {
	/*            NL CR CW PR PW EX */
	[LW_LOCK_NL] = { 1, 0, 0, 0, 0, 0 },
	[LW_LOCK_CR] = { 1, 1, 0, 0, 0, 0 },
	[LW_LOCK_CW] = { 1, 1, 1, 0, 0, 0 },
	[LW_LOCK_PR] = { 1, 1, 0, 1, 0, 0 },
	[LW_LOCK_PW] = { 1, 1, 1, 1, 1, 0 },
	[LW_LOCK_EX] = { 1, 1, 1, 1, 1, 1 },
};

/* One lw_lock / lw_lock_wait call. */
struct lock_args {
	struct lw_ls *ls;
	int mode;
	struct lw_lksb *lksb;
	uint32_t flags;
	const void *name;
	unsigned int namelen;
	uint32_t parent;
	lw_ast_fn ast;
	void *astarg;
	lw_bast_fn bast;
	void *bastarg;
	const struct lw_lock_opts *opts;
};

/* ---- handles ------------------------------------------------------------------ */

struct lwc_handle *
lwc_handle_alloc(struct lw_client *c)
{
	struct lwc_handle *h;
	uint32_t slot, id;

	if (c->fq_n == 0)
		return NULL;
	slot = c->freeq[c->fq_head];
	c->fq_head = (c->fq_head + 1) % c->max_locks;
	c->fq_n--;
	h = &c->h[slot];
	id = h->id;
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->grmode = LW_LOCK_IV;
	return h;
}

void
lwc_handle_free(struct lw_client *c, struct lwc_handle *h)
{
	uint32_t slot = LW_HANDLE_IDX(h->id);
	uint32_t gen = ((h->id >> LW_HANDLE_IDX_BITS) + 1) & LWC_GEN_MASK;

	if (h->state == LWC_H_LOCK)
		h->ls->nlocks--;
	h->state = LWC_H_FREE;
	h->id = gen << LW_HANDLE_IDX_BITS | slot;
	c->freeq[(c->fq_head + c->fq_n) % c->max_locks] = slot;
	c->fq_n++;
}

struct lwc_handle *
lwc_handle_get(struct lw_client *c, uint32_t id)
{
	uint32_t slot = LW_HANDLE_IDX(id);
	struct lwc_handle *h;

	if (slot == 0 || slot > c->max_locks)
		return NULL;
	h = &c->h[slot];
	return h->state != LWC_H_FREE && h->id == id ? h : NULL;
}

/* An application's lock named lkid, or NULL. */
static struct lwc_handle *
lock_of(struct lw_client *c, uint32_t lkid)
{
	struct lwc_handle *h = lwc_handle_get(c, lkid);

	return h != NULL && h->state == LWC_H_LOCK ? h : NULL;
}

/* ---- the request ring ------------------------------------------------------------ */

int
lwc_send(struct lw_client *c, const struct lw_creq *q)
{
	uint64_t until;

	if (rte_ring_enqueue_elem(c->req, (void *)(uintptr_t)q, sizeof(*q)) == 0)
		return 0;
	/* Should not happen (the ring has room for every handle's requests). */
	until = lwc_now_ns() + LWC_SEND_WAIT_US * 1000ull;
	do {
		sched_yield();
		if (!lwc_alive(c))
			return -ENOTCONN;
		if (rte_ring_enqueue_elem(c->req, (void *)(uintptr_t)q, sizeof(*q)) == 0)
			return 0;
	} while (lwc_now_ns() < until);
	return -EAGAIN;
}

static uint64_t
next_tag(struct lw_client *c)
{
	return ++c->tag;
}

static void
creq_init(struct lw_creq *q, uint8_t op, const struct lw_ls *ls, uint32_t handle,
	  uint32_t flags, uint64_t tag)
{
	memset(q, 0, offsetof(struct lw_creq, lvb));
	q->op = op;
	q->mode = LW_LOCK_IV;
	q->lsid = ls->lsid;
	q->flags = flags;
	q->handle = handle;
	q->tag = tag;
	memset(q->lvb, 0, sizeof(q->lvb));
}

/* VALBLK / IVVALBLK: the caller's value block goes with the request. */
static void
creq_lvb(struct lw_creq *q, const struct lw_lksb *lksb)
{
	if ((q->flags & LW_LKF_VALBLK) && lksb != NULL && lksb->sb_lvbptr != NULL)
		memcpy(q->lvb, lksb->sb_lvbptr, LW_LVB_LEN);
}

/* ---- lw_lock ----------------------------------------------------------------------- */

/* The flag rules of docs/engine.md, in the engine's order. */
static int
check_flags(int mode, uint32_t f, const struct lw_lock_opts *o)
{
	if (f & ~LW_LKF_ALL)
		return -EINVAL;
	if (f & (LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK))
		return -EINVAL;
	if ((f & LW_LKF_NOQUEUEBAST) && !(f & LW_LKF_NOQUEUE))
		return -EINVAL;
	if ((f & LW_LKF_ALTPR) && (f & LW_LKF_ALTCW))
		return -EINVAL;
	if ((f & LW_LKF_TIMEOUT) && (o == NULL || o->timeout_us == 0 || (f & LW_LKF_NOQUEUE)))
		return -EINVAL;
	if (f & LW_LKF_CONVERT)
		return (f & (LW_LKF_EXPEDITE | LW_LKF_ORPHAN)) ? -EINVAL : 0;
	if (f & (LW_LKF_QUECVT | LW_LKF_CONVDEADLK))
		return -EINVAL;
	if ((f & LW_LKF_EXPEDITE) && mode != LW_LOCK_NL)
		return -EINVAL;
	return 0;
}

static int
check_lock(const struct lock_args *a)
{
	if (a->ls == NULL || a->lksb == NULL)
		return -EINVAL;
	if (!lwc_alive(a->ls->c))
		return -ENOTCONN;
	if (a->mode < LW_LOCK_NL || a->mode > LW_LOCK_EX || a->parent != 0)
		return -EINVAL;
	if (!(a->flags & LW_LKF_CONVERT) &&
	    (a->name == NULL || a->namelen == 0 || a->namelen > LW_RESNAME_MAXLEN))
		return -EINVAL;
	if ((a->flags & LW_LKF_VALBLK) && a->lksb->sb_lvbptr == NULL)
		return -EINVAL;
	return check_flags(a->mode, a->flags, a->opts);
}

static void
lock_creq(struct lw_creq *q, const struct lock_args *a, uint32_t handle, uint64_t tag)
{
	const struct lw_lock_opts *o = a->opts;

	creq_init(q, LW_COP_LOCK, a->ls, handle, a->flags, tag);
	q->mode = (int8_t)a->mode;
	q->want_bast = a->bast != NULL;
	if (o != NULL) {
		q->timeout_us = o->timeout_us;
		q->priority = o->priority;
		q->lease_ms = o->lease_ms;
		q->xid = o->xid;
	}
	if (!(a->flags & LW_LKF_CONVERT)) {
		q->namelen = (uint8_t)a->namelen;
		memcpy(q->name, a->name, a->namelen);
	}
	creq_lvb(q, a->lksb);
}

static void
set_callbacks(struct lwc_handle *h, const struct lock_args *a)
{
	h->lksb = a->lksb;
	h->ast = a->ast;
	h->astarg = a->astarg;
	h->bast = a->bast;
	h->bastarg = a->bastarg;
}

static void
set_waiter(struct lw_client *c, uint32_t id, uint32_t what)
{
	if (what == 0)
		return;
	c->w_id = id;
	c->w_what = what;
	c->w_done = false;
	c->w_status = 0;
}

/* ORPHAN: the node says at once whether an orphan was adopted. */
static int
orphan_wait(struct lw_client *c, struct lwc_handle *h, uint64_t tag)
{
	struct lw_ccomp r;
	int rc;

	rc = lwc_wait_answer(c, tag, 0, &r);
	if (rc == 0 && r.type == LW_CC_ACK && r.status == 0)
		return 0;
	if (rc == 0)
		rc = r.status < 0 ? r.status : -EPROTO;
	if (c->w_id == h->id)
		c->w_id = 0;
	lwc_handle_free(c, h);
	return rc;
}

static int
new_lock(struct lw_client *c, const struct lock_args *a, uint32_t waited)
{
	struct lwc_handle *h;
	struct lw_creq q;
	int rc;

	h = lwc_handle_alloc(c);
	if (h == NULL)
		return -ENOMEM;
	lock_creq(&q, a, h->id, next_tag(c));
	if (a->flags & LW_LKF_ORPHAN)
		q.cflags = LW_CREQ_ACK;
	rc = lwc_send(c, &q);
	if (rc != 0) {
		lwc_handle_free(c, h);
		return rc;
	}
	h->state = LWC_H_LOCK;
	h->ls = a->ls;
	a->ls->nlocks++;
	h->pend = LWC_P_NEW;
	h->req_tag = q.tag;
	set_callbacks(h, a);
	a->lksb->sb_lkid = h->id;
	set_waiter(c, h->id, waited);
	if (a->flags & LW_LKF_ORPHAN)
		return orphan_wait(c, h, q.tag);
	return 0;
}

static int
convert(struct lw_client *c, const struct lock_args *a, uint32_t waited)
{
	struct lwc_handle *h = lock_of(c, a->lksb->sb_lkid);
	struct lw_creq q;
	int rc;

	if (h == NULL)
		return -ENOENT;
	if (h->ls != a->ls)
		return -EINVAL;
	if (h->pend != LWC_P_NONE || h->unl != LWC_U_NONE)
		return -EBUSY;
	if ((a->flags & LW_LKF_QUECVT) && h->grmode >= LW_LOCK_NL &&
	    covers[h->grmode][a->mode])
		return -EINVAL;
	lock_creq(&q, a, h->id, next_tag(c));
	rc = lwc_send(c, &q);
	if (rc != 0)
		return rc;
	h->pend = LWC_P_CONVERT;
	h->req_tag = q.tag;
	set_callbacks(h, a);
	set_waiter(c, h->id, waited);
	return 0;
}

static int
do_lock(const struct lock_args *a, uint32_t waited)
{
	int rc = check_lock(a);

	if (rc != 0)
		return rc;
	if (a->flags & LW_LKF_CONVERT)
		return convert(a->ls->c, a, waited);
	return new_lock(a->ls->c, a, waited);
}

int
lw_lock(struct lw_ls *ls, int mode, struct lw_lksb *lksb, uint32_t flags,
	const void *name, unsigned int namelen, uint32_t parent,
	lw_ast_fn ast, void *astarg, lw_bast_fn bast,
	const struct lw_lock_opts *opts)
{
	struct lock_args a = {
		.ls = ls, .mode = mode, .lksb = lksb, .flags = flags,
		.name = name, .namelen = namelen, .parent = parent,
		.ast = ast, .astarg = astarg, .bast = bast, .bastarg = astarg,
		.opts = opts,
	};

	return do_lock(&a, 0);
}

/* ---- lw_unlock ------------------------------------------------------------------------ */

/*
 * FORCEUNLOCK of an engine lkid (an orphan's): a temporary handle names the
 * request; wait for its REJECT or its LW_EUNLOCK. No ast.
 */
static int
raw_force(struct lw_ls *ls, uint32_t lkid, uint32_t flags, struct lw_lksb *lksb,
	  uint32_t waited)
{
	struct lw_client *c = ls->c;
	struct lwc_handle *h;
	struct lw_ccomp r;
	struct lw_creq q;
	int rc;

	if ((flags & LW_LKF_VALBLK) && (lksb == NULL || lksb->sb_lvbptr == NULL))
		return -EINVAL;
	h = lwc_handle_alloc(c);
	if (h == NULL)
		return -ENOMEM;
	h->state = LWC_H_RAW;
	h->ls = ls;
	memset(&r, 0, sizeof(r));
	creq_init(&q, LW_COP_UNLOCK, ls, h->id, flags, next_tag(c));
	q.cflags = LW_CREQ_ACK | LW_CREQ_RAWLKID;
	q.lkid = lkid;
	creq_lvb(&q, lksb);
	rc = lwc_send(c, &q);
	while (rc == 0) {
		rc = lwc_wait_answer(c, q.tag, h->id, &r);
		if (rc != 0 || r.type == LW_CC_REJECT || (r.type == LW_CC_ACK && r.status < 0))
			break;
		if (r.type == LW_CC_COMPLETE && r.status != LW_ECANCEL)
			break;
	}
	lwc_handle_free(c, h);
	if (rc != 0)
		return rc;
	if (r.type != LW_CC_COMPLETE)
		return r.status < 0 ? r.status : -EPROTO;
	if (lksb != NULL) {
		lksb->sb_status = r.status;
		lksb->sb_lkid = lkid;
		lksb->sb_flags = r.sbflags;
	}
	if (waited) {
		c->w_id = 0;
		c->w_done = true;
		c->w_status = r.status;
	}
	return r.status == LW_EUNLOCK ? 0 : r.status;
}

static int
check_unlock(const struct lwc_handle *h, const struct lw_ls *ls, uint32_t flags,
	     const struct lw_lksb *lksb)
{
	if (h->ls != ls)
		return -EINVAL;
	if (flags & LW_LKF_CANCEL) {
		if (h->pend == LWC_P_NONE || h->cancel || h->unl != LWC_U_NONE)
			return -EBUSY;
	} else if (h->unl != LWC_U_NONE ||
		   (h->pend != LWC_P_NONE && !(flags & LW_LKF_FORCEUNLOCK))) {
		return -EBUSY;
	}
	if ((flags & LW_LKF_VALBLK) && (lksb == NULL || lksb->sb_lvbptr == NULL))
		return -EINVAL;
	return 0;
}

static int
do_unlock(struct lw_ls *ls, uint32_t lkid, uint32_t flags, struct lw_lksb *lksb,
	  void *astarg, uint32_t waited)
{
	struct lw_client *c;
	struct lwc_handle *h;
	struct lw_creq q;
	int rc;

	if (ls == NULL)
		return -EINVAL;
	c = ls->c;
	if (!lwc_alive(c))
		return -ENOTCONN;
	if ((flags & ~UNLOCK_FLAGS) ||
	    ((flags & LW_LKF_CANCEL) && (flags & LW_LKF_FORCEUNLOCK)))
		return -EINVAL;
	h = lock_of(c, lkid);
	if (h == NULL)
		return (flags & LW_LKF_FORCEUNLOCK) ? raw_force(ls, lkid, flags, lksb, waited)
						    : -ENOENT;
	if (lksb == NULL)
		lksb = h->lksb;
	rc = check_unlock(h, ls, flags, lksb);
	if (rc != 0)
		return rc;
	creq_init(&q, LW_COP_UNLOCK, ls, h->id, flags, next_tag(c));
	creq_lvb(&q, lksb);
	rc = lwc_send(c, &q);
	if (rc != 0)
		return rc;
	h->u_lksb = lksb;
	h->u_astarg = astarg != NULL ? astarg : h->astarg;
	h->u_noast = waited != 0;
	if (flags & LW_LKF_CANCEL) {
		h->cancel = 1;
		h->cancel_tag = q.tag;
		set_waiter(c, h->id, waited ? LWC_W_REQ : 0);
	} else {
		h->unl = (flags & LW_LKF_FORCEUNLOCK) ? LWC_U_FORCE : LWC_U_UNLOCK;
		h->unl_tag = q.tag;
		set_waiter(c, h->id, waited ? LWC_W_UNL : 0);
	}
	return 0;
}

int
lw_unlock(struct lw_ls *ls, uint32_t lkid, uint32_t flags, struct lw_lksb *lksb, void *astarg)
{
	return do_unlock(ls, lkid, flags, lksb, astarg, 0);
}

/* ---- the synchronous wrappers ------------------------------------------------------- */

/* Dispatch until the request registered by set_waiter() completes. */
static int
wait_done(struct lw_client *c)
{
	int rc;

	while (!c->w_done) {
		rc = lwc_dispatch(c, -1, LWC_SPIN_US);
		if (rc < 0 && !c->w_done) {
			c->w_id = 0;
			return rc;
		}
	}
	c->w_id = 0;
	return c->w_status;
}

int
lw_lock_wait(struct lw_ls *ls, int mode, struct lw_lksb *lksb, uint32_t flags,
	     const void *name, unsigned int namelen,
	     lw_bast_fn bast, void *bastarg, const struct lw_lock_opts *opts)
{
	struct lock_args a = {
		.ls = ls, .mode = mode, .lksb = lksb, .flags = flags,
		.name = name, .namelen = namelen,
		.bast = bast, .bastarg = bastarg, .opts = opts,
	};
	int rc;

	if (ls != NULL && ls->c->in_dispatch)
		return -EDEADLK;
	rc = do_lock(&a, LWC_W_REQ);
	if (rc != 0)
		return rc;
	return wait_done(ls->c);
}

int
lw_unlock_wait(struct lw_ls *ls, uint32_t lkid, uint32_t flags, struct lw_lksb *lksb)
{
	int rc;

	if (ls != NULL && ls->c->in_dispatch)
		return -EDEADLK;
	rc = do_unlock(ls, lkid, flags, lksb, NULL, LWC_W_UNL);
	if (rc != 0)
		return rc;
	return wait_done(ls->c);
}
