/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib_dispatch.c — liblockwire's answers: completion records into lksbs
 * and callbacks, sleeping and waking, the end of a session, lockspaces.
 *
 * DESIGN
 * Records leave the completion ring in bursts into the backlog (a FIFO
 * that synchronous calls also fill with what they read while waiting for
 * their own answer), and run one at a time from there:
 *
 *   lw_dispatch -> lwc_dispatch -> run_due -> next_record -> run_record
 *        run_complete  COMPLETE: lksb (status, lkid, flags, LVB), ast;
 *                      a lock that ended frees its handle first
 *        run_blocking  BLOCKING: bast(bastarg, mode) if the lock has one
 *        run_reject    REJECT: the request it names (by tag) completes
 *                      with the error; a refused CANCEL is dropped
 *   nothing due -> spin (wrappers) -> sleep_ring: hdr->waiting = 1, look
 *        again, epoll_wait on the eventfd and the socket
 *   hdr->dead or a socket hang-up -> (ring drained) finish_dead: every
 *        request still pending completes once with -ENOLCK; then every
 *        call returns -ENOTCONN
 *
 * Callbacks may call lw_lock / lw_unlock (and the synchronous ORPHAN,
 * force-unlock and lockspace calls, which only add to the backlog); a
 * nested lw_dispatch or *_wait returns -EDEADLK. The state a callback
 * could see is settled before it is called: each run_* reads the record,
 * updates the handle (freeing it when the lock ended), then calls out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <rte_common.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "lib_priv.h"

#define RUN_BURST   32u      /* records taken from the ring at once */
#define RUN_BUDGET  1024u    /* records run per pass of run_due */
#define SLEEP_SLICE 100      /* ms: a sleeper looks at the ring at least this often */

/* ---- liveness ---------------------------------------------------------------- */

bool
lwc_alive(struct lw_client *c)
{
	return c->gone == 0 && __atomic_load_n(&c->hdr->dead, __ATOMIC_ACQUIRE) == 0;
}

static void
note_dead(struct lw_client *c)
{
	uint32_t why;

	if (c->gone != 0)
		return;
	why = __atomic_load_n(&c->hdr->dead, __ATOMIC_ACQUIRE);
	if (why != 0)
		c->gone = why < 4096 ? (int)why : ENOTCONN;
}

static void
check_socket(struct lw_client *c, uint32_t events)
{
	char buf[64];
	ssize_t n;

	if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
		c->gone = ENOTCONN;
		return;
	}
	/* The node never writes after the welcome: read what it sent anyway. */
	n = recv(c->sock, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		c->gone = ENOTCONN;
}

/* Look at the eventfd and the socket for up to timeout_ms. */
static void
poll_node(struct lw_client *c, int timeout_ms)
{
	struct epoll_event ev[2];
	uint64_t v;
	int i, n;

	n = epoll_wait(c->epfd, ev, 2, timeout_ms);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u32 == LWC_EV_EVENTFD) {
			if (read(c->evfd, &v, sizeof(v)) < 0)
				v = 0;   /* raced with nothing: the counter is clear */
		} else {
			check_socket(c, ev[i].events);
		}
	}
	c->live_ns = lwc_now_ns();
}

static bool
ring_has_work(struct lw_client *c)
{
	return rte_ring_count(c->comp) > 0 ||
	       __atomic_load_n(&c->hdr->dead, __ATOMIC_ACQUIRE) != 0;
}

/* The wake-up protocol (proto.h): announce the sleep, look again, sleep. */
static void
sleep_ring(struct lw_client *c, int timeout_ms)
{
	__atomic_store_n(&c->hdr->waiting, 1, __ATOMIC_SEQ_CST);
	if (!ring_has_work(c))
		poll_node(c, timeout_ms);
	if (!c->fd_used)
		__atomic_store_n(&c->hdr->waiting, 0, __ATOMIC_RELAXED);
}

static bool
spin(struct lw_client *c, unsigned int us)
{
	uint64_t until;
	unsigned int i;

	if (us == 0)
		return false;
	until = lwc_now_ns() + us * 1000ull;
	do {
		for (i = 0; i < 64; i++) {
			if (ring_has_work(c))
				return true;
			rte_pause();
		}
	} while (lwc_now_ns() < until);
	return false;
}

void
lwc_arm(struct lw_client *c)
{
	uint64_t one = 1;

	__atomic_store_n(&c->hdr->waiting, 1, __ATOMIC_SEQ_CST);
	if (c->bl_n > 0 || ring_has_work(c)) {
		if (write(c->evfd, &one, sizeof(one)) < 0)
			one = 0;   /* the counter is full: readable anyway */
	}
}

/* ---- the backlog --------------------------------------------------------------- */

static int
backlog_push(struct lw_client *c, const struct lw_ccomp *r)
{
	if (c->bl_n == c->bl_cap) {
		uint32_t cap = c->bl_cap * 2, i;
		struct lw_ccomp *nb = malloc(cap * sizeof(*nb));

		if (nb == NULL)
			return -ENOMEM;
		for (i = 0; i < c->bl_n; i++)
			nb[i] = c->bl[(c->bl_head + i) & (c->bl_cap - 1)];
		free(c->bl);
		c->bl = nb;
		c->bl_cap = cap;
		c->bl_head = 0;
	}
	c->bl[(c->bl_head + c->bl_n) & (c->bl_cap - 1)] = *r;
	c->bl_n++;
	return 0;
}

static bool
next_record(struct lw_client *c, struct lw_ccomp *r)
{
	if (c->bl_n == 0) {
		c->bl_head = 0;
		c->bl_n = rte_ring_dequeue_burst_elem(c->comp, c->bl, sizeof(*c->bl),
						      RTE_MIN(RUN_BURST, c->bl_cap), NULL);
		if (c->bl_n == 0)
			return false;
	}
	*r = c->bl[c->bl_head];
	c->bl_head = (c->bl_head + 1) & (c->bl_cap - 1);
	c->bl_n--;
	return true;
}

static bool
is_answer(const struct lw_ccomp *r, uint64_t tag, uint32_t handle)
{
	if (r->type == LW_CC_ACK || r->type == LW_CC_REJECT || r->type == LW_CC_LS)
		return r->tag == tag;
	return handle != 0 && r->type == LW_CC_COMPLETE && r->handle == handle;
}

int
lwc_wait_answer(struct lw_client *c, uint64_t tag, uint32_t handle, struct lw_ccomp *out)
{
	struct lw_ccomp r;
	int rc = 0;

	for (;;) {
		while (rte_ring_dequeue_elem(c->comp, &r, sizeof(r)) == 0) {
			if (is_answer(&r, tag, handle)) {
				*out = r;
				goto done;
			}
			if (backlog_push(c, &r) != 0) {
				c->gone = ENOMEM;   /* a record lost: the session can't go on */
				rc = -ENOTCONN;
				goto done;
			}
		}
		note_dead(c);
		if (c->gone != 0) {
			rc = -ENOTCONN;
			goto done;
		}
		if (!spin(c, LWC_SPIN_US))
			sleep_ring(c, SLEEP_SLICE);
	}
done:
	if (c->fd_used)
		lwc_arm(c);   /* records in the backlog: lw_fd must say so */
	return rc;
}

/* ---- records ---------------------------------------------------------------------- */

static void
fill_lksb(struct lw_lksb *sb, uint32_t id, int status, uint8_t sbflags, const uint8_t *lvb)
{
	if (sb == NULL)
		return;
	sb->sb_status = status;
	sb->sb_lkid = id;
	sb->sb_flags = sbflags;
	if (lvb != NULL && sb->sb_lvbptr != NULL)
		memcpy(sb->sb_lvbptr, lvb, LW_LVB_LEN);
}

static void
wake_waiter(struct lw_client *c, uint32_t id, uint32_t what, int status)
{
	if (what != 0 && c->w_id == id && (c->w_what & what)) {
		c->w_done = true;
		c->w_status = status;
		c->w_id = 0;
	}
}

static struct lwc_handle *
live_lock(struct lw_client *c, uint32_t id)
{
	struct lwc_handle *h = lwc_handle_get(c, id);

	return h != NULL && h->state == LWC_H_LOCK ? h : NULL;
}

static int
run_complete(struct lw_client *c, const struct lw_ccomp *r)
{
	struct lwc_handle *h = live_lock(c, r->handle);
	uint32_t what = 0, id;
	struct lw_lksb *sb;
	lw_ast_fn ast;
	bool ended;
	void *arg;

	if (h == NULL)
		return 0;   /* a lock that ended already */
	id = h->id;
	ast = h->ast;
	sb = h->lksb;
	arg = h->astarg;
	if (r->status == LW_EUNLOCK ||
	    (r->status == LW_ECANCEL && (h->cancel || h->unl != LWC_U_NONE))) {
		sb = h->u_lksb;
		arg = h->u_astarg;
		if (h->u_noast)
			ast = NULL;
	}
	if (r->status == LW_EUNLOCK) {
		what = LWC_W_UNL;
		h->unl = LWC_U_NONE;
		h->grmode = LW_LOCK_IV;
		ended = true;
	} else {
		if (h->pend != LWC_P_NONE)
			what = LWC_W_REQ;
		h->pend = LWC_P_NONE;
		h->cancel = 0;
		h->grmode = r->mode >= LW_LOCK_NL && r->mode <= LW_LOCK_EX ? r->mode : LW_LOCK_IV;
		ended = h->grmode == LW_LOCK_IV && h->unl == LWC_U_NONE;
	}
	fill_lksb(sb, id, r->status, r->sbflags, r->has_lvb ? r->lvb : NULL);
	wake_waiter(c, id, what, r->status);
	if (ended)
		lwc_handle_free(c, h);
	if (ast != NULL)
		ast(arg);
	return 1;
}

static int
run_blocking(struct lw_client *c, const struct lw_ccomp *r)
{
	struct lwc_handle *h = live_lock(c, r->handle);

	if (h == NULL || h->bast == NULL)
		return 0;
	h->bast(h->bastarg, r->mode);
	return 1;
}

static int
run_reject(struct lw_client *c, const struct lw_ccomp *r)
{
	struct lwc_handle *h = live_lock(c, r->handle);
	int status = r->status < 0 ? r->status : -EPROTO;
	struct lw_lksb *sb;
	uint32_t what, id;
	lw_ast_fn ast;
	bool ended;
	void *arg;

	if (h == NULL)
		return 0;
	ast = h->ast;
	if (h->cancel && r->tag == h->cancel_tag) {
		h->cancel = 0;   /* the request it aimed at completes on its own */
		return 0;
	}
	if (h->pend != LWC_P_NONE && r->tag == h->req_tag) {
		what = LWC_W_REQ;
		sb = h->lksb;
		arg = h->astarg;
		ended = h->pend == LWC_P_NEW && h->unl == LWC_U_NONE;
		h->pend = LWC_P_NONE;
	} else if (h->unl != LWC_U_NONE && r->tag == h->unl_tag) {
		what = LWC_W_UNL;
		sb = h->u_lksb;
		arg = h->u_astarg;
		h->unl = LWC_U_NONE;
		ended = h->grmode == LW_LOCK_IV && h->pend == LWC_P_NONE;
		if (h->u_noast)
			ast = NULL;
	} else {
		return 0;   /* a request answered already */
	}
	id = h->id;
	fill_lksb(sb, id, status, 0, NULL);
	wake_waiter(c, id, what, status);
	if (ended)
		lwc_handle_free(c, h);
	if (ast != NULL)
		ast(arg);
	return 1;
}

static int
run_record(struct lw_client *c, const struct lw_ccomp *r)
{
	switch (r->type) {
	case LW_CC_COMPLETE:
		return run_complete(c, r);
	case LW_CC_BLOCKING:
		return run_blocking(c, r);
	case LW_CC_REJECT:
		return run_reject(c, r);
	default:
		return 0;   /* an ACK or LS answer nobody waits for any more */
	}
}

/* Run up to RUN_BUDGET records; callbacks run are added to *ncb. @return records run. */
static unsigned int
run_due(struct lw_client *c, int *ncb)
{
	struct lw_ccomp r;
	unsigned int n = 0;

	while (n < RUN_BUDGET && next_record(c, &r)) {
		*ncb += run_record(c, &r);
		n++;
	}
	return n;
}

/* The session is over: each request still pending completes with -ENOLCK. */
static int
finish_dead(struct lw_client *c)
{
	uint32_t i, what;
	int n = 0;

	c->gone_done = true;
	for (i = 1; i <= c->max_locks; i++) {
		struct lwc_handle *h = &c->h[i];
		struct lw_lksb *sb;
		lw_ast_fn ast;
		void *arg;

		if (h->state != LWC_H_LOCK || (h->pend == LWC_P_NONE && h->unl == LWC_U_NONE))
			continue;
		sb = h->unl != LWC_U_NONE ? h->u_lksb : h->lksb;
		arg = h->unl != LWC_U_NONE ? h->u_astarg : h->astarg;
		ast = h->unl != LWC_U_NONE && h->u_noast ? NULL : h->ast;
		what = (h->pend != LWC_P_NONE ? LWC_W_REQ : 0) |
		       (h->unl != LWC_U_NONE ? LWC_W_UNL : 0);
		fill_lksb(sb, h->id, -ENOLCK, 0, NULL);
		wake_waiter(c, h->id, what, -ENOLCK);
		lwc_handle_free(c, h);
		if (ast != NULL)
			ast(arg);
		n++;
	}
	return n;
}

/* ---- dispatch ----------------------------------------------------------------------- */

/* Nothing due and no waiting wanted: look at the socket now and then. @return work found. */
static bool
live_check(struct lw_client *c)
{
	if (!c->fd_used && lwc_now_ns() - c->live_ns < LWC_LIVE_CHECK_NS)
		return false;
	poll_node(c, 0);
	return c->gone != 0 || ring_has_work(c);
}

static int
dispatch_loop(struct lw_client *c, int timeout_ms, unsigned int spin_us)
{
	uint64_t deadline = 0, now;
	unsigned int nrec;
	int ncb = 0, ms;

	if (timeout_ms > 0)
		deadline = lwc_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	if (c->fd_used)
		poll_node(c, 0);   /* clear the eventfd: lw_fd readable means new work */
	for (;;) {
		nrec = run_due(c, &ncb);
		note_dead(c);
		if (c->gone != 0 && c->bl_n == 0 && rte_ring_count(c->comp) == 0) {
			ncb += finish_dead(c);
			return ncb > 0 ? ncb : -ENOTCONN;
		}
		if (ncb > 0)
			return ncb;
		if (nrec > 0 || c->gone != 0)
			continue;
		if (timeout_ms == 0) {
			if (live_check(c))
				continue;
			return 0;
		}
		if (spin(c, spin_us))
			continue;
		ms = SLEEP_SLICE;
		if (timeout_ms > 0) {
			now = lwc_now_ns();
			if (now >= deadline)
				return 0;
			ms = (int)RTE_MIN((deadline - now + 999999) / 1000000, (uint64_t)SLEEP_SLICE);
		}
		sleep_ring(c, ms);
	}
}

int
lwc_dispatch(struct lw_client *c, int timeout_ms, unsigned int spin_us)
{
	int n;

	if (c->gone_done)
		return -ENOTCONN;
	c->in_dispatch = true;
	n = dispatch_loop(c, timeout_ms, spin_us);
	c->in_dispatch = false;
	if (c->fd_used && !c->gone_done)
		lwc_arm(c);
	return n;
}

int
lw_dispatch(struct lw_client *c, int timeout_ms)
{
	if (c == NULL)
		return -EINVAL;
	if (c->in_dispatch)
		return -EDEADLK;
	return lwc_dispatch(c, timeout_ms, 0);
}

/* ---- lockspaces ------------------------------------------------------------------------ */

/* Send a lockspace op and wait for its answer; @return 0 or -errno. */
static int
ls_call(struct lw_client *c, struct lw_creq *q, struct lw_ccomp *r)
{
	int rc;

	q->tag = ++c->tag;
	rc = lwc_send(c, q);
	if (rc == 0)
		rc = lwc_wait_answer(c, q->tag, 0, r);
	if (rc != 0)
		return rc;
	if (r->type != LW_CC_LS && r->type != LW_CC_REJECT)
		return -EPROTO;
	if (r->status > 0 || (r->type == LW_CC_REJECT && r->status == 0))
		return -EPROTO;
	return r->status;
}

int
lw_ls_open(struct lw_client *c, const char *name, struct lw_ls **lsp)
{
	struct lw_ccomp r;
	struct lw_creq q;
	struct lw_ls *ls;
	size_t len;
	int rc;

	if (c == NULL || name == NULL || lsp == NULL)
		return -EINVAL;
	len = strnlen(name, LW_LSNAME_MAXLEN + 1);
	if (len == 0 || len > LW_LSNAME_MAXLEN)
		return -EINVAL;
	if (!lwc_alive(c))
		return -ENOTCONN;
	ls = calloc(1, sizeof(*ls));
	if (ls == NULL)
		return -ENOMEM;
	memset(&q, 0, sizeof(q));
	q.op = LW_COP_LS_OPEN;
	q.mode = LW_LOCK_IV;
	q.namelen = (uint8_t)len;
	memcpy(q.name, name, len);
	rc = ls_call(c, &q, &r);
	if (rc == 0 && r.lsid == 0)
		rc = -EPROTO;
	if (rc != 0) {
		free(ls);
		return rc;
	}
	ls->c = c;
	ls->lsid = r.lsid;
	memcpy(ls->name, name, len);
	ls->next = c->ls_head;
	if (c->ls_head != NULL)
		c->ls_head->prev = ls;
	c->ls_head = ls;
	*lsp = ls;
	return 0;
}

int
lw_ls_close(struct lw_ls *ls)
{
	struct lw_client *c;
	struct lw_ccomp r;
	struct lw_creq q;
	int rc;

	if (ls == NULL)
		return -EINVAL;
	c = ls->c;
	if (!lwc_alive(c))
		return -ENOTCONN;
	if (ls->nlocks > 0)
		return -EBUSY;
	memset(&q, 0, sizeof(q));
	q.op = LW_COP_LS_CLOSE;
	q.mode = LW_LOCK_IV;
	q.lsid = ls->lsid;
	rc = ls_call(c, &q, &r);
	if (rc != 0)
		return rc;
	if (ls->prev != NULL)
		ls->prev->next = ls->next;
	else
		c->ls_head = ls->next;
	if (ls->next != NULL)
		ls->next->prev = ls->prev;
	free(ls);
	return 0;
}
