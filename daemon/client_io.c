/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * client_io.c — the worker's half of client sessions: requests from the
 * sessions' rings into the site, the site's events back to the sessions.
 *
 * DESIGN
 * Each poll iteration the worker
 *   1. takes attach and detach orders from control (cs_ring): attach opens
 *      an engine session and starts polling the session's request ring;
 *      detach closes the engine session (the engine releases its locks and
 *      orphans PERSISTENT ones) and hands the session back (DONE);
 *   2. dequeues up to LW_CIO_BURST requests per session and checks each:
 *      op, handle slot, lockspace opened by this session, a CONVERT or
 *      UNLOCK naming a handle that holds a lock, a new lock on a free
 *      handle. Good ones are translated (handle -> engine lkid) into one
 *      batch for lw_site_submit; bad ones get LW_CC_REJECT at once.
 *      Lockspace ops and NOPs are answered in order with the batch;
 *   3. turns the site's events of client sessions into completion records:
 *      the engine's cookie of every client request is its handle, so
 *      records need no lookup but the session's (by engine session slot);
 *   4. at the end of the iteration writes the eventfd of sessions that got
 *      records while their client sleeps (hdr->waiting).
 * A full completion ring never loses a record: it waits in the session's
 * backlog, and a client that lets the backlog pass LW_CSESS_BACKLOG_MAX is
 * cut off (it is not reading; its locks are released).
 *
 * Nothing here allocates after set-up except backlog growth, and the only
 * syscall is the eventfd write for a client that asked to be woken.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "node.h"

/* lk[] while a new LOCK waits in the batch. No engine lkid has all bits set:
 * that needs index 2^20 - 1, and workers get at most 2^20 - 1 locks. */
#define LK_PENDING    UINT32_MAX

#define LW_CIO_BURST  32u
#define LW_CIO_BATCH  128u
#define LW_CIO_CTL    64u

int
lw_cio_setup(struct lw_worker *w)
{
	char name[RTE_RING_NAMESIZE];
	uint32_t nsid = w->node->cfg.max_sessions + 1;

	snprintf(name, sizeof(name), "lw_cs%u", w->idx);
	w->cs_ring = rte_ring_create(name, 1024, w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	w->cs_cap = 64;
	w->cs = calloc(w->cs_cap, sizeof(*w->cs));
	w->cs_by_sid = calloc(nsid, sizeof(*w->cs_by_sid));
	w->cs_by_sid_n = nsid;
	w->cs_batch = rte_zmalloc_socket("lw_cio", LW_CIO_BATCH * sizeof(*w->cs_batch),
					 RTE_CACHE_LINE_SIZE, w->socket);
	w->cs_batch_from = calloc(LW_CIO_BATCH, sizeof(*w->cs_batch_from));
	w->cs_batch_handle = calloc(LW_CIO_BATCH, sizeof(*w->cs_batch_handle));
	w->cs_batch_tag = calloc(LW_CIO_BATCH, sizeof(*w->cs_batch_tag));
	w->cs_batch_cflags = calloc(LW_CIO_BATCH, 1);
	if (w->cs_ring == NULL || w->cs == NULL || w->cs_by_sid == NULL || w->cs_batch == NULL ||
	    w->cs_batch_from == NULL || w->cs_batch_handle == NULL || w->cs_batch_tag == NULL ||
	    w->cs_batch_cflags == NULL)
		return -ENOMEM;
	return 0;
}

void
lw_cio_free(struct lw_worker *w)
{
	rte_ring_free(w->cs_ring);
	free(w->cs);
	free(w->cs_by_sid);
	rte_free(w->cs_batch);
	free(w->cs_batch_from);
	free(w->cs_batch_handle);
	free(w->cs_batch_tag);
	free(w->cs_batch_cflags);
}

/* ---- completion records -------------------------------------------------- */

/* Keep one record beyond the ring; a client whose backlog overflows is cut off (lw_cio_flush). */
static void
backlog_add(struct lw_csess *cs, const struct lw_ccomp *cc)
{
	if (cs->bl_n == cs->bl_cap) {
		uint32_t cap = cs->bl_cap ? cs->bl_cap * 2 : 256;
		struct lw_ccomp *nb;
		uint32_t i;

		if (cap > LW_CSESS_BACKLOG_MAX || (nb = malloc(cap * sizeof(*nb))) == NULL) {
			cs->cut = ENOBUFS;
			return;
		}
		for (i = 0; i < cs->bl_n; i++)
			nb[i] = cs->bl[(cs->bl_head + i) % cs->bl_cap];
		free(cs->bl);
		cs->bl = nb;
		cs->bl_cap = cap;
		cs->bl_head = 0;
	}
	cs->bl[(cs->bl_head + cs->bl_n) % cs->bl_cap] = *cc;
	cs->bl_n++;
}

static void
backlog_flush(struct lw_csess *cs)
{
	while (cs->bl_n > 0) {
		if (rte_ring_sp_enqueue_elem(cs->comp, &cs->bl[cs->bl_head], sizeof(cs->bl[0])) != 0)
			return;
		cs->bl_head = (cs->bl_head + 1) % cs->bl_cap;
		cs->bl_n--;
	}
}

/* The staged records into the ring in one burst, after any backlog; what does not fit waits. */
static void
stage_flush(struct lw_csess *cs)
{
	uint32_t i = 0;

	if (cs->bl_n > 0)
		backlog_flush(cs);
	if (cs->bl_n == 0)
		i = rte_ring_sp_enqueue_burst_elem(cs->comp, cs->st, sizeof(cs->st[0]), cs->nst, NULL);
	for (; i < cs->nst && !cs->cut; i++)
		backlog_add(cs, &cs->st[i]);
	cs->nst = 0;
}

/* Queue one record: staged, and written to the ring in bursts (lw_cio_flush). */
static void
push(struct lw_csess *cs, const struct lw_ccomp *cc)
{
	if (cs->cut)
		return;
	cs->ncomp++;
	cs->pushed = 1;
	if (cs->nst == LW_CSESS_STAGE)
		stage_flush(cs);
	cs->st[cs->nst++] = *cc;
}

static void
push_simple(struct lw_csess *cs, uint8_t type, int32_t status,
	    uint32_t handle, uint64_t tag, uint32_t lkid, uint16_t lsid)
{
	struct lw_ccomp cc;

	memset(&cc, 0, sizeof(cc));
	cc.type = type;
	cc.mode = LW_LOCK_IV;
	cc.status = status;
	cc.handle = handle;
	cc.tag = tag;
	cc.lkid = lkid;
	cc.lsid = lsid;
	if (type == LW_CC_REJECT)
		cs->nreject++;
	push(cs, &cc);
}

static void
wake(struct lw_csess *cs)
{
	uint64_t one = 1;

	/* the records' enqueue (a release store) must be seen before we read
	 * waiting, as the client stores waiting before it looks at the ring */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&cs->hdr->waiting, __ATOMIC_SEQ_CST) != 0 &&
	    __atomic_exchange_n(&cs->hdr->waiting, 0, __ATOMIC_SEQ_CST) != 0) {
		if (write(cs->evfd, &one, sizeof(one)) == sizeof(one))
			cs->nwake++;
	}
}

/* ---- attach, detach, cut off --------------------------------------------- */

static void
cs_remove(struct lw_worker *w, struct lw_csess *cs)
{
	unsigned int i;

	for (i = 0; i < w->ncs; i++)
		if (w->cs[i] == cs) {
			w->cs[i] = w->cs[--w->ncs];
			break;
		}
	if ((cs->sid & 0xffff) < w->cs_by_sid_n && w->cs_by_sid[cs->sid & 0xffff] == cs)
		w->cs_by_sid[cs->sid & 0xffff] = NULL;
	__atomic_store_n(&w->nsessions, w->ncs, __ATOMIC_RELAXED);
}

/* Close the engine session; events for others are routed by the caller's loop. */
static void
end_session(struct lw_worker *w, struct lw_csess *cs, uint64_t now)
{
	cs_remove(w, cs);
	lw_site_session_close(w->site, cs->sid, now, &w->out);
	lw_cio_events(w);
}

/* The client broke the rules: tell it (hdr->dead), end its session, let control reap it. */
static void
cut_off(struct lw_worker *w, struct lw_csess *cs, uint64_t now)
{
	uint64_t one = 1;

	__atomic_store_n(&cs->hdr->dead, (uint32_t)cs->cut, __ATOMIC_RELEASE);
	if (write(cs->evfd, &one, sizeof(one)) == sizeof(one))
		cs->nwake++;
	end_session(w, cs, now);
	__atomic_store_n(&cs->state, LW_CS_CUT, __ATOMIC_RELEASE);
}

static void
attach(struct lw_worker *w, struct lw_csess *cs)
{
	int rc;

	if (w->ncs == w->cs_cap) {
		struct lw_csess **ncs = realloc(w->cs, 2 * w->cs_cap * sizeof(*ncs));

		if (ncs == NULL) {
			cs->fail_rc = -ENOMEM;
			__atomic_store_n(&cs->state, LW_CS_FAILED, __ATOMIC_RELEASE);
			return;
		}
		w->cs = ncs;
		w->cs_cap *= 2;
	}
	rc = lw_site_session_open(w->site, &cs->sid);
	if (rc != 0 || (cs->sid & 0xffff) >= w->cs_by_sid_n) {
		if (rc == 0)
			lw_site_session_close(w->site, cs->sid, 0, &w->out);
		cs->fail_rc = rc != 0 ? rc : -ENOSPC;
		__atomic_store_n(&cs->state, LW_CS_FAILED, __ATOMIC_RELEASE);
		return;
	}
	w->cs_by_sid[cs->sid & 0xffff] = cs;
	w->cs[w->ncs++] = cs;
	__atomic_store_n(&w->nsessions, w->ncs, __ATOMIC_RELAXED);
	__atomic_store_n(&cs->state, LW_CS_ACTIVE, __ATOMIC_RELEASE);
}

/* Orders from control: a session pointer to attach, or one tagged with bit 0 to detach. */
static unsigned int
control_orders(struct lw_worker *w, uint64_t now)
{
	void *p[LW_CIO_CTL];
	unsigned int i, n;

	n = rte_ring_sc_dequeue_burst(w->cs_ring, p, LW_CIO_CTL, NULL);
	for (i = 0; i < n; i++) {
		struct lw_csess *cs = (void *)((uintptr_t)p[i] & ~(uintptr_t)1);

		if (!((uintptr_t)p[i] & 1)) {
			attach(w, cs);
			continue;
		}
		/* detach; a session cut off (CUT) or never attached (FAILED) has no engine session */
		if (cs->state == LW_CS_ACTIVE)
			end_session(w, cs, now);
		__atomic_store_n(&cs->state, LW_CS_DONE, __ATOMIC_RELEASE);
	}
	return n;
}

/* ---- requests ------------------------------------------------------------ */

static bool
handle_ok(const struct lw_csess *cs, uint32_t h)
{
	return LW_HANDLE_IDX(h) >= 1 && LW_HANDLE_IDX(h) <= cs->max_locks;
}

static bool
ls_ok(const struct lw_csess *cs, uint16_t lsid)
{
	return lsid >= 1 && lsid <= LW_CSESS_MAX_LS && cs->ls_open[lsid];
}

/* Lockspace ops and NOP, answered at once. */
static void
ls_op(struct lw_worker *w, struct lw_csess *cs, const struct lw_creq *q)
{
	uint16_t lsid = 0;
	int rc;

	switch (q->op) {
	case LW_COP_LS_OPEN:
		if (q->namelen == 0 || q->namelen > LW_LSNAME_MAXLEN) {
			rc = -EINVAL;
			break;
		}
		rc = lw_site_ls_open(w->site, q->name, q->namelen, &lsid);
		if (rc == 0 && lsid > LW_CSESS_MAX_LS)
			rc = -ENOSPC;
		if (rc == 0)
			cs->ls_open[lsid] = 1;
		break;
	case LW_COP_LS_CLOSE:
		rc = ls_ok(cs, q->lsid) ? 0 : -ENOENT;
		if (rc == 0)
			cs->ls_open[q->lsid] = 0;
		lsid = q->lsid;
		break;
	default:  /* NOP */
		push_simple(cs, LW_CC_ACK, 0, q->handle, q->tag, 0, 0);
		return;
	}
	push_simple(cs, LW_CC_LS, rc, q->handle, q->tag, 0, lsid);
}

static bool
needs_lkid(const struct lw_creq *q)
{
	return (q->op == LW_COP_UNLOCK && !(q->cflags & LW_CREQ_RAWLKID)) ||
	       (q->op == LW_COP_LOCK && (q->flags & LW_LKF_CONVERT));
}

/* A raw lkid (FORCEUNLOCK by engine lkid) may name an orphan only: 0, -ENOENT or -EINVAL. */
static int
orphan_check(struct lw_worker *w, uint32_t lkid)
{
	struct lw_lock_info li;

	if (lw_engine_lock_info(lw_site_engine(w->site), lkid, &li) != 0)
		return -ENOENT;
	return li.session == 0 ? 0 : -EINVAL;
}

/* Translate one lock request; @return 0 or the -errno to reject it with. */
static int
to_req(struct lw_worker *w, const struct lw_csess *cs, const struct lw_creq *q, struct lw_req *r)
{
	uint32_t idx = LW_HANDLE_IDX(q->handle);
	uint32_t cur;

	if (!handle_ok(cs, q->handle) || !ls_ok(cs, q->lsid))
		return -EINVAL;
	cur = cs->lk[idx - 1];
	memset(r, 0, offsetof(struct lw_req, lvb));
	r->op = q->op == LW_COP_LOCK ? LW_REQ_LOCK : LW_REQ_UNLOCK;
	r->mode = q->mode;
	r->want_bast = q->want_bast ? 1 : 0;
	r->lsid = q->lsid;
	r->flags = q->flags;
	r->session = cs->sid;
	r->timeout_us = q->timeout_us;
	r->priority = q->priority;
	r->xid = q->xid;
	r->cookie = q->handle;
	memcpy(r->lvb, q->lvb, LW_LVB_LEN);
	if (q->op == LW_COP_UNLOCK && (q->cflags & LW_CREQ_RAWLKID)) {
		if (!(q->flags & LW_LKF_FORCEUNLOCK) || cur != 0)
			return -EINVAL;
		r->lkid = q->lkid;
		return orphan_check(w, q->lkid);
	}
	if (q->op == LW_COP_UNLOCK || (q->flags & LW_LKF_CONVERT)) {
		if (cur == 0)
			return -ENOENT;
		r->lkid = cur;
		return 0;
	}
	if (cur != 0)
		return -EBUSY;  /* a new lock on a handle in use (or in this batch) */
	if (q->namelen == 0 || q->namelen > LW_RESNAME_MAXLEN)
		return -EINVAL;
	r->namelen = q->namelen;
	memcpy(r->name, q->name, q->namelen);
	return 0;
}

static void
submit_batch(struct lw_worker *w, uint32_t n, uint64_t now)
{
	uint32_t i;

	if (n == 0)
		return;
	lw_site_submit(w->site, w->cs_batch, n, now, &w->out);
	for (i = 0; i < n; i++) {
		struct lw_req *r = &w->cs_batch[i];
		struct lw_csess *cs = w->cs_batch_from[i];
		uint32_t h = w->cs_batch_handle[i];

		if (cs->state != LW_CS_ACTIVE)
			continue;
		if (r->op == LW_REQ_LOCK && !(r->flags & LW_LKF_CONVERT))
			cs->lk[LW_HANDLE_IDX(h) - 1] = r->rc == 0 ? r->lkid : 0;
		if (r->rc != 0) {
			push_simple(cs, LW_CC_REJECT, r->rc, h, w->cs_batch_tag[i], 0, 0);
			continue;
		}
		if (w->cs_batch_cflags[i] & LW_CREQ_ACK)
			push_simple(cs, LW_CC_ACK, 0, h, w->cs_batch_tag[i], r->lkid, 0);
	}
	/* events after the ACKs and REJECTs of the same batch */
	lw_cio_events(w);
}

/* One session's burst; lockspace ops flush the batch first to keep order. */
static uint32_t
take_requests(struct lw_worker *w, struct lw_csess *cs, uint32_t nb, uint64_t now)
{
	struct lw_creq q[LW_CIO_BURST];
	unsigned int i, n;

	n = rte_ring_sc_dequeue_burst_elem(cs->req, q, sizeof(q[0]), LW_CIO_BURST, NULL);
	cs->nreq += n;
	for (i = 0; i < n && cs->state == LW_CS_ACTIVE; i++) {
		int rc;

		if (q[i].op != LW_COP_LOCK && q[i].op != LW_COP_UNLOCK) {
			submit_batch(w, nb, now);
			nb = 0;
			if (q[i].op < LW_COP_LS_OPEN || q[i].op > LW_COP_NOP) {
				push_simple(cs, LW_CC_REJECT, -EINVAL, q[i].handle, q[i].tag,
					    0, 0);
				__atomic_fetch_add(&cs->hdr->rejected, 1, __ATOMIC_RELAXED);
				continue;
			}
			ls_op(w, cs, &q[i]);
			continue;
		}
		/* an UNLOCK or CONVERT right behind its new LOCK in this batch:
		 * the lock's lkid is known once the batch is in */
		if (nb > 0 && needs_lkid(&q[i]) && handle_ok(cs, q[i].handle) &&
		    cs->lk[LW_HANDLE_IDX(q[i].handle) - 1] == LK_PENDING) {
			submit_batch(w, nb, now);
			nb = 0;
		}
		rc = to_req(w, cs, &q[i], &w->cs_batch[nb]);
		if (rc != 0) {
			/* answers stay in request order: the batch goes first */
			submit_batch(w, nb, now);
			nb = 0;
			push_simple(cs, LW_CC_REJECT, rc, q[i].handle, q[i].tag, 0, 0);
			__atomic_fetch_add(&cs->hdr->rejected, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (q[i].op == LW_COP_LOCK && !(q[i].flags & LW_LKF_CONVERT))
			cs->lk[LW_HANDLE_IDX(q[i].handle) - 1] = LK_PENDING;
		w->cs_batch_from[nb] = cs;
		w->cs_batch_handle[nb] = q[i].handle;
		w->cs_batch_tag[nb] = q[i].tag;
		w->cs_batch_cflags[nb] = q[i].cflags;
		if (++nb == LW_CIO_BATCH) {
			submit_batch(w, nb, now);
			nb = 0;
		}
	}
	return nb;
}

unsigned int
lw_cio_poll(struct lw_worker *w, uint64_t now)
{
	unsigned int work = 0, i;
	uint32_t nb = 0;

	if (rte_ring_count(w->cs_ring) > 0)
		work += control_orders(w, now);
	for (i = 0; i < w->ncs; i++) {
		struct lw_csess *cs = w->cs[i];

		if (rte_ring_count(cs->req) == 0)
			continue;
		work++;
		if (nb + LW_CIO_BURST > LW_CIO_BATCH) {
			submit_batch(w, nb, now);
			nb = 0;
		}
		nb = take_requests(w, cs, nb, now);
	}
	submit_batch(w, nb, now);
	return work;
}

/* ---- events -------------------------------------------------------------- */

static struct lw_csess *
session_of(const struct lw_worker *w, uint32_t sid)
{
	struct lw_csess *cs;

	if ((sid & 0xffff) >= w->cs_by_sid_n)
		return NULL;
	cs = w->cs_by_sid[sid & 0xffff];
	return cs != NULL && cs->sid == sid ? cs : NULL;
}

static void
deliver(struct lw_csess *cs, const struct lw_event *ev)
{
	struct lw_ccomp cc;
	uint32_t h = (uint32_t)ev->cookie;

	memset(&cc, 0, offsetof(struct lw_ccomp, lvb));
	cc.type = ev->type == LW_EV_COMPLETE ? LW_CC_COMPLETE : LW_CC_BLOCKING;
	cc.mode = ev->mode;
	cc.sbflags = ev->sbflags;
	cc.has_lvb = ev->has_lvb;
	cc.status = ev->status;
	cc.handle = h;
	cc.lkid = ev->lkid;
	if (ev->has_lvb)
		memcpy(cc.lvb, ev->lvb, LW_LVB_LEN);
	else
		memset(cc.lvb, 0, LW_LVB_LEN);
	/* the lock is gone: the handle's slot is free again */
	if (ev->type == LW_EV_COMPLETE && handle_ok(cs, h) &&
	    (ev->status == LW_EUNLOCK || ev->mode == LW_LOCK_IV) &&
	    cs->lk[LW_HANDLE_IDX(h) - 1] == ev->lkid)
		cs->lk[LW_HANDLE_IDX(h) - 1] = 0;
	push(cs, &cc);
}

void
lw_cio_events(struct lw_worker *w)
{
	struct lw_evbuf *b = &w->out.ev;
	uint32_t i, keep = 0;

	if (w->ncs == 0 && w->cs_by_sid_n == 0)
		return;
	for (i = 0; i < b->n; i++) {
		struct lw_csess *cs = session_of(w, b->ev[i].session);

		if (cs == NULL) {
			if (keep != i)
				b->ev[keep] = b->ev[i];
			keep++;
		} else if (cs->state == LW_CS_ACTIVE) {
			deliver(cs, &b->ev[i]);
		}
	}
	b->n = keep;
}

void
lw_cio_flush(struct lw_worker *w, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < w->ncs; i++) {
		struct lw_csess *cs = w->cs[i];

		if (cs->cut) {
			cut_off(w, cs, now);
			i--;  /* cs_remove moved the last session here */
			continue;
		}
		if (cs->nst > 0 || cs->bl_n > 0)
			stage_flush(cs);
		if (cs->cut)
			continue;  /* cut off next iteration */
		if (cs->pushed) {
			cs->pushed = 0;
			wake(cs);
		}
	}
}
