/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_api.c — the rules of the public API (include/lockwire.h, API.md,
 * docs/engine.md) checked through liblockwire against a running cluster of
 * one or three lockwired nodes (scripts/cluster.sh; run_clients.sh starts
 * it). Two sessions that should meet on one resource are put on different
 * nodes when there are three (client a on node 1, b on node 2, c on node 3),
 * so every rule is seen across the wire too.
 *
 *   test_api --lwctl PATH SOCKET [SOCKET2 SOCKET3]
 *   test_api --node-death --lwctl PATH SOCKET   (stops that node: run alone)
 *
 * Here: the 6x6 compatibility matrix with NOQUEUE; NOQUEUE (and
 * NOQUEUEBAST) of new locks and conversions; conversions up and down,
 * waiting conversions, conversion deadlock (-EDEADLK, CONVDEADLK's
 * demotion, NODLCKWT), QUECVT, HEADQUE, NOORDER; CANCEL (also before any
 * answer, and racing a grant), FORCEUNLOCK of one's own lock; the LVB
 * (writes by PW/EX holders on down-conversion and unlock, reads by VALBLK
 * grants, IVVALBLK); TIMEOUT; blocking callbacks, callbacks only in
 * lw_dispatch / *_wait and what they may call; ALTPR/ALTCW, EXPEDITE. In
 * test_api_session.c: bad arguments, lock handles running out, lw_fd with
 * epoll, clients that die, PERSISTENT and orphans, lw_disconnect, a node
 * that stops (--node-death).
 *
 * Waits are bounded (API_WAIT_MS) and only ever wait for something that
 * must happen; no assertion depends on time. Where a NOQUEUE probe has to
 * be granted, the prober is on the holder's node, because another node
 * may still cache a mode there (see test "noqueue: free after remote use").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "api.h"

const char *socks[3];
unsigned int nsock;
const char *lwctl_path;
static int name_seq;                 /* resource names are fresh in every test */
static int ast_seq;                  /* order of completion callbacks */

static const char *const mode_names[] = { "NL", "CR", "CW", "PR", "PW", "EX" };

/* VMS compatibility: compat[held][wanted]. */
static const bool compat[6][6] = {
	/*        NL CR CW PR PW EX */
	/* NL */ { 1, 1, 1, 1, 1, 1 },
	/* CR */ { 1, 1, 1, 1, 1, 0 },
	/* CW */ { 1, 1, 1, 0, 0, 0 },
	/* PR */ { 1, 1, 0, 1, 0, 0 },
	/* PW */ { 1, 1, 0, 0, 0, 0 },
	/* EX */ { 1, 0, 0, 0, 0, 0 },
};

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
rname(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s-%d", what, ++name_seq);
}

/* ---- clients and requests ------------------------------------------------ */

void
cl_open(struct cl *x, unsigned int node)
{
	x->node = node % nsock;
	x->ls = NULL;
	x->c = lw_connect(socks[x->node]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->c);
	CU_ASSERT_EQUAL_FATAL(lw_ls_open(x->c, "api", &x->ls), 0);
}

void
cl_close(struct cl *x)
{
	lw_disconnect(x->c);
	x->c = NULL;
	x->ls = NULL;
}

/* cl_close each of a NULL-terminated list. */
void
cl_close_all(struct cl *x, ...)
{
	va_list ap;

	va_start(ap, x);
	for (; x != NULL; x = va_arg(ap, struct cl *))
		cl_close(x);
	va_end(ap);
}

void
on_ast(void *arg)
{
	struct req *r = arg;

	r->done++;
	r->status = r->lksb.sb_status;
	if (r->done <= 4)
		r->hist[r->done - 1] = r->status;
	r->sbflags = r->lksb.sb_flags;
	r->seq = ++ast_seq;
}

void
on_bast(void *arg, int mode)
{
	struct req *r = arg;

	r->nbast++;
	r->bast_mode = mode;
}

void
req_init(struct req *r, struct cl *x)
{
	memset(r, 0, sizeof(*r));
	r->x = x;
	r->lksb.sb_lvbptr = r->lvb;
	r->bast_mode = LW_LOCK_IV;
}

/* cl_open, then a first request of that client. */
void
cl_req(struct cl *x, unsigned int node, struct req *r)
{
	cl_open(x, node);
	req_init(r, x);
}

/* lw_lock for r (a new lock on name, or with CONVERT of r's lock: name may be NULL). */
int
submit_o(struct req *r, int mode, uint32_t flags, const char *name,
	 const struct lw_lock_opts *o)
{
	r->done = 0;
	return lw_lock(r->x->ls, mode, &r->lksb, flags, name, name ? strlen(name) : 0, 0,
		       on_ast, r, on_bast, o);
}

int
submit(struct req *r, int mode, uint32_t flags, const char *name)
{
	return submit_o(r, mode, flags, name, NULL);
}

/* Dispatch r's client until r's completion ran. @return its status, or NO_ANSWER. */
int
wait_done(struct req *r)
{
	uint64_t end = now_ms() + API_WAIT_MS;

	while (r->done == 0 && now_ms() < end)
		if (lw_dispatch(r->x->c, 50) < 0)
			break;
	return r->done ? r->status : NO_ANSWER;
}

/* Dispatch r's client until r got a blocking callback. @return its mode, or NO_ANSWER. */
int
wait_bast(struct req *r)
{
	uint64_t end = now_ms() + API_WAIT_MS;

	while (r->nbast == 0 && now_ms() < end)
		if (lw_dispatch(r->x->c, 50) < 0)
			break;
	return r->nbast ? r->bast_mode : NO_ANSWER;
}

/* Request and wait: the status, a -errno of lw_lock, or NO_ANSWER. */
int
lock(struct req *r, int mode, uint32_t flags, const char *name)
{
	int rc = submit(r, mode, flags, name);

	return rc != 0 ? rc : wait_done(r);
}

int
convert(struct req *r, int mode, uint32_t flags)
{
	return lock(r, mode, flags | LW_LKF_CONVERT, NULL);
}

/* Unlock (or cancel, ...) r's lock with its own lksb and ast. @return the status. */
int
unlock(struct req *r, uint32_t flags)
{
	int rc;

	r->done = 0;
	rc = lw_unlock(r->x->ls, r->lksb.sb_lkid, flags, NULL, NULL);
	return rc != 0 ? rc : wait_done(r);
}

/* A NOQUEUE request for mode on name by x, released when granted. @return its status. */
int
probe(struct cl *x, int mode, const char *name)
{
	struct req p;
	int st;

	req_init(&p, x);
	st = lock(&p, mode, LW_LKF_NOQUEUE, name);
	if (st == 0)
		CU_ASSERT_EQUAL(unlock(&p, 0), LW_EUNLOCK);
	return st;
}

/* ---- sessions, lockspaces ------------------------------------------------ */

static void
test_connect(void)
{
	struct lw_client *c, *d;
	struct lw_ls *ls = NULL, *ls2 = NULL;
	struct cl x;
	struct req r;
	char n[40];
	unsigned int k;

	for (k = 0; k < nsock; k++) {
		c = lw_connect(socks[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(lw_client_node(c), (int)k + 1);
		CU_ASSERT(lw_fd(c) >= 0);
		lw_disconnect(c);
	}
	d = lw_connect(NULL);                   /* $LOCKWIRE_SOCKET: node 1 */
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(lw_client_node(d), 1);
	CU_ASSERT_EQUAL(lw_ls_open(d, "api-connect", &ls), 0);
	CU_ASSERT_EQUAL(lw_ls_open(d, "api-connect-2", &ls2), 0);
	CU_ASSERT_EQUAL(lw_ls_close(ls2), 0);
	x = (struct cl){ .c = d, .ls = ls, .node = 0 };
	req_init(&r, &x);
	rname(n, sizeof(n), "connect");
	CU_ASSERT_EQUAL(lock(&r, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL(lw_ls_close(ls), -EBUSY);   /* it has a lock */
	CU_ASSERT_EQUAL(unlock(&r, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lw_ls_close(ls), 0);
	lw_disconnect(d);

	errno = 0;
	CU_ASSERT_PTR_NULL(lw_connect("/nonexistent/lockwire.sock"));
	CU_ASSERT(errno == ENOENT || errno == ECONNREFUSED);
}

/* ---- modes --------------------------------------------------------------- */

/* a holds m1, b asks for m2 with NOQUEUE: granted exactly when compatible. */
static void
compat_matrix(unsigned int bnode)
{
	struct cl a, b;
	int m1, m2;

	cl_open(&a, 0);
	cl_open(&b, bnode);
	for (m1 = LW_LOCK_NL; m1 <= LW_LOCK_EX; m1++) {
		for (m2 = LW_LOCK_NL; m2 <= LW_LOCK_EX; m2++) {
			struct req ra, rb;
			char n[40];
			int st;

			req_init(&ra, &a);
			req_init(&rb, &b);
			rname(n, sizeof(n), "compat");
			CU_ASSERT_EQUAL_FATAL(lock(&ra, m1, 0, n), 0);
			st = lock(&rb, m2, LW_LKF_NOQUEUE, n);
			CU_ASSERT_EQUAL(st, compat[m1][m2] ? 0 : -EAGAIN);
			CU_ASSERT_EQUAL(rb.done, 1);
			if (st != (compat[m1][m2] ? 0 : -EAGAIN))
				printf("\n  %s held (node %u), %s asked (node %u): %d\n",
				       mode_names[m1], a.node + 1, mode_names[m2], b.node + 1, st);
			if (st == 0)
				CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
			CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
		}
	}
	cl_close_all(&a, &b, NULL);
}

static void
test_compat_same_node(void)
{
	compat_matrix(0);
}

static void
test_compat_other_node(void)
{
	compat_matrix(1);
}

/* NOQUEUE: a new lock that can't be granted ends (-EAGAIN); a conversion keeps its mode. */
static void
test_noqueue(void)
{
	struct cl a, b, c;
	struct req ra, rb, rc;
	uint32_t lkid;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	cl_req(&c, 2, &rc);
	rname(n, sizeof(n), "noqueue");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_CR, LW_LKF_NOQUEUE, n), -EAGAIN);
	CU_ASSERT_EQUAL(rb.lksb.sb_status, -EAGAIN);
	lkid = rb.lksb.sb_lkid;
	CU_ASSERT_EQUAL(lw_unlock(b.ls, lkid, 0, NULL, NULL), -ENOENT);   /* the lock is gone */
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);

	/* a conversion with NOQUEUE keeps its granted mode */
	rname(n, sizeof(n), "noqueue-cvt");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL(convert(&rb, LW_LOCK_EX, LW_LKF_NOQUEUE), -EAGAIN);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(probe(&c, LW_LOCK_EX, n), -EAGAIN);    /* b still holds PR */
	CU_ASSERT_EQUAL(probe(&b, LW_LOCK_PR, n), 0);          /* PR, not more */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, &c, NULL);
}

/* NOQUEUEBAST: a NOQUEUE request that fails still tells the holder what it wanted. */
static void
test_noqueuebast(void)
{
	struct cl a, b;
	struct req ra, rb;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "noqueuebast");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_EX, LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST, n), -EAGAIN);
	CU_ASSERT_EQUAL(wait_bast(&ra), LW_LOCK_EX);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/*
 * Once every lock on a resource is released (or down-converted), a NOQUEUE
 * request for what is free now is granted, from any node. Another node may
 * still cache the mode its last lock had: the first NOQUEUE request is then
 * refused, and the refusal hints that node to give the cached mode back, so
 * a retry soon after is granted (docs/engine.md, NOQUEUE). A trylock loop
 * never starves on a cached mode.
 */
static int
probe_retry(struct cl *x, int mode, const char *name, int *tries)
{
	int st = -EAGAIN;

	for (*tries = 1; *tries <= 200; (*tries)++) {
		st = probe(x, mode, name);
		if (st != -EAGAIN)
			break;
		usleep(1000);
	}
	return st;
}

static void
test_noqueue_free_after_remote_use(void)
{
	struct cl a, b;
	struct req ra;
	char n[40];
	int tries;

	cl_req(&a, 0, &ra);
	cl_open(&b, 1);
	rname(n, sizeof(n), "nq-free");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(probe_retry(&b, LW_LOCK_EX, n, &tries), 0);   /* nobody holds it */
	CU_ASSERT(tries <= 200);
	rname(n, sizeof(n), "nq-down");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_PR, 0), 0);
	CU_ASSERT_EQUAL(probe_retry(&b, LW_LOCK_PR, n, &tries), 0);   /* PR is compatible with PR */
	CU_ASSERT_EQUAL(probe(&b, LW_LOCK_EX, n), -EAGAIN);          /* the PR lock is real */
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/* The weakest mode incompatible with m (IV for NL) and the strongest compatible one. */
static const int weakest_conflict[6] = { LW_LOCK_IV, LW_LOCK_EX, LW_LOCK_PR, LW_LOCK_CW,
					 LW_LOCK_CW, LW_LOCK_CR };
static const int ceiling[6] = { LW_LOCK_EX, LW_LOCK_PW, LW_LOCK_CW, LW_LOCK_PR,
				LW_LOCK_CR, LW_LOCK_NL };

/* Conversions up and down: after each one, others see exactly the new mode. */
static void
test_convert_up_down(void)
{
	static const int path[] = { LW_LOCK_CR, LW_LOCK_CW, LW_LOCK_PW, LW_LOCK_EX,
				    LW_LOCK_PR, LW_LOCK_CR, LW_LOCK_NL, LW_LOCK_PR };
	struct cl a, same, other;
	struct req ra;
	uint32_t lkid;
	unsigned int i;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_open(&same, 0);
	cl_open(&other, 1);
	rname(n, sizeof(n), "convert");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_NL, 0, n), 0);
	lkid = ra.lksb.sb_lkid;
	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		int m = path[i];

		CU_ASSERT_EQUAL(convert(&ra, m, 0), 0);
		CU_ASSERT_EQUAL(ra.lksb.sb_lkid, lkid);
		if (weakest_conflict[m] != LW_LOCK_IV)
			CU_ASSERT_EQUAL(probe(&other, weakest_conflict[m], n), -EAGAIN);
		CU_ASSERT_EQUAL(probe(&same, ceiling[m], n), 0);
	}
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	cl_close_all(&a, &same, &other, NULL);
}

/* A conversion that must wait is granted when the holder in the way lets go. */
static void
test_convert_wait(void)
{
	struct cl a, b;
	struct req ra, rb;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "cvt-wait");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, LW_LKF_CONVERT, NULL), 0);
	CU_ASSERT_EQUAL(wait_bast(&ra), LW_LOCK_EX);       /* b's conversion waits for a */
	CU_ASSERT_EQUAL(rb.done, 0);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&rb), 0);
	CU_ASSERT_EQUAL(probe(&a, LW_LOCK_CR, n), -EAGAIN); /* b holds EX */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/*
 * a and b hold PR; a's conversion to EX waits for b; b's conversion to EX
 * then closes a cycle: -EDEADLK (b keeps PR), or with CONVDEADLK b drops
 * to NL (LW_SBF_DEMOTED) and is granted EX after a.
 */
static void
test_conversion_deadlock(void)
{
	struct cl a, b;
	struct req ra, rb;
	char n[40];
	int demote;

	cl_open(&a, 0);
	cl_open(&b, 1);
	for (demote = 0; demote <= 1; demote++) {
		req_init(&ra, &a);
		req_init(&rb, &b);
		rname(n, sizeof(n), demote ? "convdeadlk" : "cvt-deadlock");
		CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
		CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_PR, 0, n), 0);
		CU_ASSERT_EQUAL_FATAL(submit(&ra, LW_LOCK_EX, LW_LKF_CONVERT, NULL), 0);
		CU_ASSERT_EQUAL_FATAL(wait_bast(&rb), LW_LOCK_EX);   /* a waits at the master */
		if (!demote) {
			CU_ASSERT_EQUAL(convert(&rb, LW_LOCK_EX, 0), -EDEADLK);
			CU_ASSERT_EQUAL(ra.done, 0);
			CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);  /* still granted (PR) */
			CU_ASSERT_EQUAL(wait_done(&ra), 0);
			CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, LW_LKF_CONVERT | LW_LKF_CONVDEADLK,
					     NULL), 0);
		CU_ASSERT_EQUAL(wait_done(&ra), 0);          /* b's PR went: a gets EX */
		CU_ASSERT_EQUAL(lw_dispatch(b.c, 0) >= 0, 1);
		CU_ASSERT_EQUAL(rb.done, 0);                 /* b waits for a's EX */
		CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
		CU_ASSERT_EQUAL(wait_done(&rb), 0);
		CU_ASSERT(rb.sbflags & LW_SBF_DEMOTED);
		CU_ASSERT_EQUAL(probe(&a, LW_LOCK_CR, n), -EAGAIN);  /* b holds EX */
		CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	}
	cl_close_all(&a, &b, NULL);
}

/*
 * NODLCKWT: the conversion that closes a conversion deadlock waits instead
 * of failing; when the other side gives way (cancels its conversion, then
 * unlocks), it is granted.
 */
static void
test_nodlckwt(void)
{
	struct cl a, b;
	struct req ra, rb;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "nodlckwt");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&ra, LW_LOCK_EX, LW_LKF_CONVERT, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&rb), LW_LOCK_EX);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, LW_LKF_CONVERT | LW_LKF_NODLCKWT, NULL), 0);
	CU_ASSERT_EQUAL(wait_bast(&ra), LW_LOCK_EX);          /* b waits, for a */
	CU_ASSERT_EQUAL(unlock(&ra, LW_LKF_CANCEL), LW_ECANCEL);
	CU_ASSERT(lw_dispatch(b.c, 0) >= 0);
	CU_ASSERT_EQUAL(rb.done, 0);                          /* a still holds PR */
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&rb), 0);
	CU_ASSERT_EQUAL(probe(&a, LW_LOCK_CR, n), -EAGAIN);   /* b holds EX */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/*
 * A conversion that was cancelled is gone: once b's cancel completed and b
 * unlocked, a's conversion to EX has nobody to deadlock with, every time.
 */
static void
test_convert_after_cancel(void)
{
	struct cl a, b;
	struct req ra, rb;
	int i, st = 0;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	for (i = 0; i < 100 && st == 0; i++) {
		rname(n, sizeof(n), "cvt-after-cancel");
		CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
		CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_PR, 0, n), 0);
		CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, LW_LKF_CONVERT, NULL), 0);
		CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_EX);
		ra.nbast = 0;
		CU_ASSERT_EQUAL(unlock(&rb, LW_LKF_CANCEL), LW_ECANCEL);
		CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
		st = convert(&ra, LW_LOCK_EX, 0);
		CU_ASSERT_EQUAL(st, 0);
		if (st != 0)
			printf("\n  round %d: a's PR->EX after b's cancel and unlock: %d\n", i, st);
		CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	}
	cl_close_all(&a, &b, NULL);
}

/*
 * QUECVT: a conversion that could be granted at once queues behind the
 * conversion already waiting. a holds PR; b (NL) converts to EX and waits;
 * c's NL->CR with QUECVT waits behind it, so b gets EX when a lets go, and
 * c gets CR only after b's unlock. Without QUECVT (same node, one queue)
 * the same CR is granted at once.
 */
static void
test_quecvt(void)
{
	struct cl a, b, c;
	struct req ra, rb, rc;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	cl_req(&c, 2, &rc);
	rname(n, sizeof(n), "quecvt");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_NL, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rc, LW_LOCK_NL, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, LW_LKF_CONVERT, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_EX);
	CU_ASSERT_EQUAL_FATAL(submit(&rc, LW_LOCK_CR, LW_LKF_CONVERT | LW_LKF_QUECVT, NULL), 0);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&rb), 0);                 /* c's CR did not go first */
	CU_ASSERT(lw_dispatch(c.c, 0) >= 0);
	CU_ASSERT_EQUAL(rc.done, 0);
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&rc), 0);
	CU_ASSERT(rc.seq > rb.seq);
	CU_ASSERT_EQUAL(unlock(&rc, 0), LW_EUNLOCK);
	cl_close(&c);

	/* the same without QUECVT, all on a's node: c's CR goes at once */
	cl_open(&c, 0);
	req_init(&rb, &a);
	req_init(&rc, &c);
	rname(n, sizeof(n), "quecvt-not");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_NL, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rc, LW_LOCK_NL, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, LW_LKF_CONVERT, NULL), 0);
	CU_ASSERT_EQUAL(convert(&rc, LW_LOCK_CR, 0), 0);
	CU_ASSERT_EQUAL(rb.done, 0);
	CU_ASSERT_EQUAL(unlock(&rc, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&rb), 0);
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, &c, NULL);
}

/* CANCEL of a waiting request (the lock ends) and of a waiting conversion (it keeps its mode). */
static void
test_cancel(void)
{
	struct cl a, b;
	struct req ra, rb;
	uint32_t lkid;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "cancel");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_EX);
	CU_ASSERT_EQUAL(unlock(&rb, LW_LKF_CANCEL), LW_ECANCEL);
	CU_ASSERT_EQUAL(rb.done, 1);
	lkid = rb.lksb.sb_lkid;
	CU_ASSERT_EQUAL(lw_unlock(b.ls, lkid, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock(b.ls, lkid, LW_LKF_CANCEL, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_EX, 0, n), 0);    /* nothing of it is left */
	CU_ASSERT_EQUAL(lw_unlock(b.ls, rb.lksb.sb_lkid, LW_LKF_CANCEL, NULL, NULL), -EBUSY);
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);

	/* a conversion */
	rname(n, sizeof(n), "cancel-cvt");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, LW_LKF_CONVERT, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_EX);
	CU_ASSERT_EQUAL(lw_unlock_wait(b.ls, rb.lksb.sb_lkid, LW_LKF_CANCEL, NULL), LW_ECANCEL);
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_EX, LW_LKF_NOQUEUE), -EAGAIN);  /* b: PR */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/*
 * lksb.sb_lkid names a request before any answer: a CANCEL right after
 * lw_lock works. A CANCEL that races a grant ends one way or the other:
 * LW_ECANCEL (the lock is gone) or 0 (granted first: the lock is held),
 * with exactly one completion of the request.
 */
static void
test_cancel_unanswered(void)
{
	struct cl a, b;
	struct req ra, rb;
	char n[40];
	int st, i;

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "cancel-early");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, 0, n), 0);
	st = unlock(&rb, LW_LKF_CANCEL);
	CU_ASSERT_EQUAL(st, LW_ECANCEL);
	if (st == NO_ANSWER) {   /* the CANCEL was lost; again, to go on cleanly */
		printf("\n  CANCEL right after lw_lock: no answer; again: %d\n",
		       unlock(&rb, LW_LKF_CANCEL));
	}
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	for (i = 0; i < 20; i++) {
		rname(n, sizeof(n), "cancel-race");
		CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, 0, n), 0);
		st = lw_unlock_wait(b.ls, rb.lksb.sb_lkid, LW_LKF_CANCEL, NULL);
		CU_ASSERT(st == LW_ECANCEL || st == 0);
		CU_ASSERT(lw_dispatch(b.c, 0) >= 0);
		CU_ASSERT(rb.done <= 1);
		if (st == 0) {
			CU_ASSERT_EQUAL(lw_unlock_wait(b.ls, rb.lksb.sb_lkid, 0, NULL), LW_EUNLOCK);
		} else {
			CU_ASSERT_EQUAL(lw_unlock(b.ls, rb.lksb.sb_lkid, 0, NULL, NULL), -ENOENT);
		}
	}
	cl_close_all(&a, &b, NULL);
}

/*
 * HEADQUE puts a waiting request ahead of the others; NOORDER grants a
 * compatible request although others wait before it.
 */
static void
test_headque_noorder(void)
{
	struct cl a, b, c;
	struct req ra, rb, rc;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	cl_req(&c, 2, &rc);
	rname(n, sizeof(n), "headque");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_PR);
	ra.nbast = 0;
	CU_ASSERT_EQUAL_FATAL(submit(&rc, LW_LOCK_EX, LW_LKF_HEADQUE, n), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_EX);    /* c waits too */
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&rc), 0);                  /* c went first */
	CU_ASSERT(lw_dispatch(b.c, 0) >= 0);
	CU_ASSERT_EQUAL(rb.done, 0);
	CU_ASSERT_EQUAL(unlock(&rc, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&rb), 0);

	/* b holds PR; a waits for EX; c's PR with NOORDER does not wait behind a */
	CU_ASSERT_EQUAL_FATAL(submit(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&rb), LW_LOCK_EX);
	CU_ASSERT_EQUAL(lock(&rc, LW_LOCK_PR, LW_LKF_NOORDER, n), 0);
	CU_ASSERT_EQUAL(ra.done, 0);
	CU_ASSERT_EQUAL(unlock(&rc, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&ra), 0);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, &c, NULL);
}

/* Dispatch r's client until r's completions ran n times (bounded). @return how many ran. */
static int
wait_n(struct req *r, int n)
{
	uint64_t end = now_ms() + API_WAIT_MS;

	while (r->done < n && now_ms() < end)
		if (lw_dispatch(r->x->c, 50) < 0)
			break;
	return r->done;
}

/* FORCEUNLOCK of one's own lock with a conversion waiting: LW_ECANCEL, then LW_EUNLOCK. */
static void
test_forceunlock_own(void)
{
	struct cl a, b;
	struct req ra, rb;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "force-own");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, LW_LKF_CONVERT, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_EX);
	rb.done = 0;
	CU_ASSERT_EQUAL_FATAL(lw_unlock(b.ls, rb.lksb.sb_lkid, LW_LKF_FORCEUNLOCK, NULL, NULL), 0);
	CU_ASSERT_EQUAL(wait_n(&rb, 2), 2);
	CU_ASSERT_EQUAL(rb.hist[0], LW_ECANCEL);             /* the conversion */
	CU_ASSERT_EQUAL(rb.hist[1], LW_EUNLOCK);             /* then the lock */
	CU_ASSERT_EQUAL(lw_unlock(b.ls, rb.lksb.sb_lkid, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_EX, 0), 0);       /* nobody else holds it */
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/* What an ast may do: new requests yes; a nested dispatch or wait, no (-EDEADLK). */
struct nest {
	struct req r;        /* first member: on_ast's argument */
	struct req inner;
	int rc_dispatch, rc_wait, rc_lock;
	const char *name;
};

static void
nest_ast(void *arg)
{
	struct nest *t = arg;
	struct lw_lksb lk = { 0 };

	on_ast(&t->r);
	t->rc_dispatch = lw_dispatch(t->r.x->c, 0);
	t->rc_wait = lw_lock_wait(t->r.x->ls, LW_LOCK_NL, &lk, 0, t->name, strlen(t->name),
				  NULL, NULL, NULL);
	t->rc_lock = submit(&t->inner, LW_LOCK_CR, 0, t->name);
}

static void
test_reentrancy(void)
{
	struct nest t;
	struct cl a;
	char n[40];

	cl_open(&a, 0);
	memset(&t, 0, sizeof(t));
	req_init(&t.r, &a);
	req_init(&t.inner, &a);
	rname(n, sizeof(n), "nest");
	t.name = n;
	CU_ASSERT_EQUAL_FATAL(lw_lock(a.ls, LW_LOCK_PR, &t.r.lksb, 0, n, strlen(n), 0, nest_ast,
				      &t, NULL, NULL), 0);
	CU_ASSERT_EQUAL(wait_done(&t.r), 0);
	CU_ASSERT_EQUAL(t.rc_dispatch, -EDEADLK);
	CU_ASSERT_EQUAL(t.rc_wait, -EDEADLK);
	CU_ASSERT_EQUAL(t.rc_lock, 0);                        /* made from the callback */
	CU_ASSERT_EQUAL(wait_done(&t.inner), 0);
	CU_ASSERT_EQUAL(unlock(&t.inner, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lw_unlock_wait(a.ls, t.r.lksb.sb_lkid, 0, NULL), LW_EUNLOCK);
	cl_close(&a);
}

/* ---- lock value blocks --------------------------------------------------- */

static void
lvb_set(struct req *r, const char *s)
{
	memset(r->lvb, 0, LW_LVB_LEN);
	snprintf(r->lvb, LW_LVB_LEN, "%s", s);
}

static bool
lvb_is(const struct req *r, const char *s)
{
	char want[LW_LVB_LEN];

	memset(want, 0, sizeof(want));
	snprintf(want, sizeof(want), "%s", s);
	if (memcmp(r->lvb, want, LW_LVB_LEN) == 0)
		return true;
	printf("\n  LVB \"%.*s\", wanted \"%s\"\n", LW_LVB_LEN, r->lvb, s);
	return false;
}

/*
 * Written by a PW/EX holder on down-conversion or unlock with VALBLK, read
 * by the next grant with VALBLK, on every node; a PR holder's unlock writes
 * nothing. Readers ask for PR (docs/protocol.md: a CR read may be stale).
 */
static void
test_lvb(void)
{
	struct cl a, b, c;
	struct req ra, rb, rc;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	cl_req(&c, 2, &rc);
	rname(n, sizeof(n), "lvb");
	memset(ra.lvb, 0x5a, LW_LVB_LEN);
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, LW_LKF_VALBLK, n), 0);
	CU_ASSERT(lvb_is(&ra, ""));                     /* a new resource: zero, valid */
	CU_ASSERT_EQUAL(ra.sbflags & LW_SBF_VALNOTVALID, 0);
	lvb_set(&ra, "lvb-one");
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_NL, LW_LKF_VALBLK), 0);       /* write */
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_PR, LW_LKF_VALBLK, n), 0);
	CU_ASSERT(lvb_is(&rb, "lvb-one"));
	CU_ASSERT_EQUAL(rb.sbflags & LW_SBF_VALNOTVALID, 0);
	lvb_set(&rb, "not-written");
	CU_ASSERT_EQUAL(unlock(&rb, LW_LKF_VALBLK), LW_EUNLOCK);          /* PR: no write */
	CU_ASSERT_EQUAL(lock(&rc, LW_LOCK_PW, LW_LKF_VALBLK, n), 0);
	CU_ASSERT(lvb_is(&rc, "lvb-one"));
	lvb_set(&rc, "lvb-two");
	CU_ASSERT_EQUAL(unlock(&rc, LW_LKF_VALBLK), LW_EUNLOCK);          /* write */
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_EX, LW_LKF_VALBLK), 0);
	CU_ASSERT(lvb_is(&ra, "lvb-two"));
	lvb_set(&ra, "lvb-three");
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_PR, LW_LKF_VALBLK), 0);       /* write, keep PR */
	CU_ASSERT(lvb_is(&ra, "lvb-three"));
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_PR, LW_LKF_VALBLK, n), 0);
	CU_ASSERT(lvb_is(&rb, "lvb-three"));
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	/* a grant without VALBLK leaves the caller's buffer alone */
	memset(rc.lvb, 0x5a, LW_LVB_LEN);
	CU_ASSERT_EQUAL(lock(&rc, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL(rc.lvb[0], 0x5a);
	CU_ASSERT_EQUAL(unlock(&rc, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, &c, NULL);
}

/* IVVALBLK on an EX unlock: the next VALBLK grants say LW_SBF_VALNOTVALID until a write. */
static void
test_lvb_invalid(void)
{
	struct cl a, b;
	struct req ra, rb;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "lvb-inval");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, LW_LKF_VALBLK, n), 0);
	lvb_set(&ra, "before");
	CU_ASSERT_EQUAL(unlock(&ra, LW_LKF_IVVALBLK), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_PR, LW_LKF_VALBLK, n), 0);
	CU_ASSERT(rb.sbflags & LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lock(&ra, LW_LOCK_EX, LW_LKF_VALBLK, n), 0);
	CU_ASSERT(ra.sbflags & LW_SBF_VALNOTVALID);
	lvb_set(&ra, "valid-again");
	CU_ASSERT_EQUAL(unlock(&ra, LW_LKF_VALBLK), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_PR, LW_LKF_VALBLK, n), 0);
	CU_ASSERT_EQUAL(rb.sbflags & LW_SBF_VALNOTVALID, 0);
	CU_ASSERT(lvb_is(&rb, "valid-again"));
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/* ---- timeouts, blocking callbacks, alternative modes ----------------------- */

/* TIMEOUT: a request that waits too long ends with -ETIMEDOUT (a conversion keeps its mode). */
static void
test_timeout(void)
{
	struct lw_lock_opts o = { .timeout_us = 20000 };
	struct cl a, b;
	struct req ra, rb;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "timeout");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit_o(&rb, LW_LOCK_PR, LW_LKF_TIMEOUT, n, &o), 0);
	CU_ASSERT_EQUAL(wait_done(&rb), -ETIMEDOUT);
	CU_ASSERT_EQUAL(lw_unlock(b.ls, rb.lksb.sb_lkid, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_lock_wait(b.ls, LW_LOCK_CR, &rb.lksb, LW_LKF_TIMEOUT, n, strlen(n),
				     NULL, NULL, &o), -ETIMEDOUT);
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_PR, 0), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit_o(&rb, LW_LOCK_EX, LW_LKF_CONVERT | LW_LKF_TIMEOUT, NULL, &o), 0);
	CU_ASSERT_EQUAL(wait_done(&rb), -ETIMEDOUT);
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_EX, LW_LKF_NOQUEUE), -EAGAIN);  /* b: PR */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	/* a TIMEOUT that is not reached changes nothing */
	o.timeout_us = 60000000;
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_EX, LW_LKF_TIMEOUT), -EINVAL);  /* no opts */
	CU_ASSERT_EQUAL(submit_o(&ra, LW_LOCK_EX, LW_LKF_CONVERT | LW_LKF_TIMEOUT, NULL, &o), 0);
	CU_ASSERT_EQUAL(wait_done(&ra), 0);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/*
 * Blocking callbacks name the wanted mode; unlocking lets the waiter in.
 * Callbacks run only inside lw_dispatch / *_wait: never inside lw_lock or
 * lw_unlock, even when the result is already there.
 */
static void
test_blocking(void)
{
	struct cl a, b;
	struct req ra, rb;
	char n[40];
	int i;

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "bast");
	CU_ASSERT_EQUAL_FATAL(submit(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT(ra.lksb.sb_lkid != 0);                 /* the handle, before any callback */
	for (i = 0; i < 20; i++)                         /* time for the grant to arrive */
		usleep(1000);
	CU_ASSERT_EQUAL(ra.done, 0);                     /* not inside lw_lock */
	CU_ASSERT_EQUAL(wait_done(&ra), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL(wait_bast(&ra), LW_LOCK_EX);
	CU_ASSERT_EQUAL(rb.done, 0);                     /* b's callbacks: only in b's dispatch */
	CU_ASSERT_EQUAL(lw_unlock(a.ls, ra.lksb.sb_lkid, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(ra.done, 1);                     /* not inside lw_unlock */
	ra.done = 0;
	CU_ASSERT_EQUAL(wait_done(&rb), 0);
	CU_ASSERT_EQUAL(wait_done(&ra), LW_EUNLOCK);

	/* the other way: a waits for PR, b (EX) hears of it */
	CU_ASSERT_EQUAL_FATAL(submit(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL(wait_bast(&rb), LW_LOCK_PR);
	CU_ASSERT_EQUAL(rb.nbast, 1);
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&ra), 0);
	/* lw_lock_wait's bast gets its own argument */
	req_init(&rb, &b);
	CU_ASSERT_EQUAL(lw_lock_wait(b.ls, LW_LOCK_CR, &rb.lksb, 0, n, strlen(n), on_bast, &rb,
				     NULL), 0);
	CU_ASSERT_EQUAL(convert(&ra, LW_LOCK_EX, LW_LKF_NOQUEUE), -EAGAIN);
	CU_ASSERT_EQUAL_FATAL(submit(&ra, LW_LOCK_EX, LW_LKF_CONVERT, NULL), 0);
	CU_ASSERT_EQUAL(wait_bast(&rb), LW_LOCK_EX);
	CU_ASSERT_EQUAL(lw_unlock_wait(b.ls, rb.lksb.sb_lkid, 0, NULL), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&ra), 0);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/* ALTPR / ALTCW grant the alternative mode (LW_SBF_ALTMODE); EXPEDITE NL goes at once. */
static void
test_alt_expedite(void)
{
	struct cl a, b, c;
	struct req ra, rb, rc;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	cl_req(&c, 2, &rc);
	rname(n, sizeof(n), "altpr");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_EX, LW_LKF_ALTPR, n), 0);
	CU_ASSERT(rb.sbflags & LW_SBF_ALTMODE);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(probe(&c, LW_LOCK_CW, n), -EAGAIN);  /* b holds PR */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);

	rname(n, sizeof(n), "altcw");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_CW, 0, n), 0);
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_PW, LW_LKF_ALTCW, n), 0);
	CU_ASSERT(rb.sbflags & LW_SBF_ALTMODE);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(probe(&c, LW_LOCK_PR, n), -EAGAIN);  /* b holds CW */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);

	rname(n, sizeof(n), "expedite");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_EX);
	CU_ASSERT_EQUAL(lock(&rc, LW_LOCK_NL, LW_LKF_EXPEDITE, n), 0);
	CU_ASSERT_EQUAL(unlock(&rc, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&rb), 0);
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, &c, NULL);
}

/* ---- main ---------------------------------------------------------------- */

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--node-death] --lwctl PATH SOCKET [SOCKET2 SOCKET3]\n", prog);
	return 2;
}

static const struct {
	const char *name;
	CU_TestFunc fn;
} api_tests[] = {
	{ "connect, lockspaces", test_connect },
	{ "compatibility matrix, same node", test_compat_same_node },
	{ "compatibility matrix, other node", test_compat_other_node },
	{ "noqueue", test_noqueue },
	{ "noqueuebast", test_noqueuebast },
	{ "convert up and down", test_convert_up_down },
	{ "convert: wait", test_convert_wait },
	{ "conversion deadlock, convdeadlk", test_conversion_deadlock },
	{ "nodlckwt", test_nodlckwt },
	{ "convert after the other side cancelled", test_convert_after_cancel },
	{ "quecvt", test_quecvt },
	{ "cancel", test_cancel },
	{ "cancel: unanswered, racing a grant", test_cancel_unanswered },
	{ "headque, noorder", test_headque_noorder },
	{ "forceunlock of one's own lock", test_forceunlock_own },
	{ "callbacks: what they may call", test_reentrancy },
	{ "lvb", test_lvb },
	{ "lvb: ivvalblk", test_lvb_invalid },
	{ "timeout", test_timeout },
	{ "blocking callbacks", test_blocking },
	{ "altpr, altcw, expedite", test_alt_expedite },
	{ "bad arguments", test_bad_args },
	{ "another session's lock", test_other_session },
	{ "lock handles run out", test_handles },
	{ "lw_fd, epoll", test_epoll },
	{ "client death", test_client_death },
	{ "persistent: orphan adopted", test_persistent_adopt },
	{ "persistent: forceunlock", test_persistent_forceunlock },
	{ "lw_disconnect", test_disconnect },
	{ "noqueue: free after remote use", test_noqueue_free_after_remote_use },
};

int
main(int argc, char **argv)
{
	bool death = false;
	unsigned int failed, i;
	CU_pSuite s;
	int a = 1;

	if (a < argc && strcmp(argv[a], "--node-death") == 0) {
		death = true;
		a++;
	}
	if (argc - a < 3 || argc - a > 5 || strcmp(argv[a], "--lwctl") != 0)
		return usage(argv[0]);
	lwctl_path = argv[a + 1];
	for (a += 2; a < argc; a++)
		socks[nsock++] = argv[a];
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(death ? "api: node death" : nsock == 1 ? "api: 1 node" : "api: 3 nodes",
			 NULL, NULL);
	if (s == NULL)
		return 2;
	if (death && CU_add_test(s, "node death", test_node_death) == NULL)
		return 2;
	for (i = 0; !death && i < sizeof(api_tests) / sizeof(api_tests[0]); i++)
		if (CU_add_test(s, api_tests[i].name, api_tests[i].fn) == NULL)
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_tests_run() == 0)
		failed = 1;
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
