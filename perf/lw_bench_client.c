/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lw_bench_client.c — lw-bench's client mode: one loader per thread, each
 * its own liblockwire session on a node's socket, keeping --depth requests
 * in flight.
 *
 * DESIGN
 * A loader runs D slots. A slot is a small state machine: IDLE -> (lw_lock)
 * LOCKING -> (granted) HOLD -> (hold over; lw_unlock) UNLOCKING -> IDLE.
 * Slots wait in one of two FIFOs: ready (act now) or hold (act when the
 * hold time is over; every hold lasts hold_us, so FIFO order is expiry
 * order); a slot waiting for an answer is in neither. The completion
 * callback (on_ast, run inside lw_dispatch in this thread) only moves the
 * slot along and counts; requests are submitted from the loop, never from
 * a callback.
 *
 * Each slot is its own transaction (lw_lock_opts.xid unique per slot), so
 * two slots of one session on the same resource simply queue, as two
 * transactions of an application would, and are never taken for a
 * deadlock of the session with itself.
 *
 * Names: with probability --locality a slot draws "p<node>.<rank>" (a set
 * private to the node of the socket: only its own clients touch it, so its
 * site keeps the modes cached and grants them with no message), else
 * "s<rank>" (shared by every client of every node). The rank follows
 * --dist within either set. Modes follow --mix: EX, PR, the rest CR.
 *
 * Counting: a completion counts when it arrives during the measured phase
 * (the main thread flips the phase; the loader reads it once per loop). An
 * op is one lock or unlock answered; latency is per lock request, from
 * just before lw_lock to the completion callback. Errors: any status other
 * than 0 for a lock or LW_EUNLOCK for an unlock, and requests refused at
 * once for another reason than a full ring (those are retried).
 *
 * Polling (--poll): spin calls lw_dispatch(c, 0) in a loop; block waits in
 * lw_dispatch when nothing is ready (up to the next hold expiry, at most
 * 100 ms, so the phase is seen); adaptive spins --spin empty rounds first.
 *
 * At the end (phase STOP) idle slots stop, held locks are unlocked, and the
 * loader waits for every answer (at most 10 s, then the unanswered count as
 * errors) before it closes its session.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockwire.h"
#include "lw_bench.h"

#define DRAIN_NS      (10ull * 1000000000ull)
#define MAX_BLOCK_MS  100

enum slot_state { S_IDLE, S_LOCKING, S_HOLD, S_UNLOCKING, S_STOPPED };

struct slot {
	struct lw_lksb lksb;
	struct lw_lock_opts opts;
	struct lwb_loader *l;
	uint32_t idx;
	uint8_t st;
	uint64_t t_sub;
	uint64_t hold_until;
};

struct lwb_loader {
	struct lwb_shared *sh;
	const struct lwb_conf *c;
	unsigned int idx, node;
	pthread_t tid;
	struct lw_client *cl;
	struct lw_ls *ls;
	struct slot *slots;
	uint32_t nslots, active, waiting;
	struct lwb_fifo ready, hold;
	uint64_t rng;
	bool measuring, stopping;
	uint64_t stop_deadline;
	uint64_t ops, locks, errors, busy;
	struct lwb_hist hist;
	int rc;
	char err[192];
};

/* ---- completions ----------------------------------------------------------- */

static void
fail(struct lwb_loader *l, int rc, const char *what)
{
	if (l->rc == 0) {
		l->rc = rc;
		snprintf(l->err, sizeof(l->err), "thread %u (socket %s): %s: %s", l->idx,
			 l->c->sockets[l->node], what, strerror(rc < 0 ? -rc : rc));
	}
}

static void
to_ready(struct lwb_loader *l, struct slot *s, uint8_t st)
{
	s->st = st;
	lwb_fifo_push(&l->ready, s->idx);
}

static void
on_ast(void *arg)
{
	struct slot *s = arg;
	struct lwb_loader *l = s->l;
	int status = s->lksb.sb_status;
	uint64_t now = lwb_now_ns();

	l->waiting--;
	if (l->measuring)
		l->ops++;
	switch (s->st) {
	case S_LOCKING:
		if (l->measuring) {
			l->locks++;
			lwb_hist_add(&l->hist, now - s->t_sub);
		}
		if (status != 0) {
			l->errors++;
			to_ready(l, s, S_IDLE);
		} else if (l->c->o.hold_us == 0) {
			to_ready(l, s, S_HOLD);
		} else {
			s->st = S_HOLD;
			s->hold_until = now + (uint64_t)l->c->o.hold_us * 1000u;
			lwb_fifo_push(&l->hold, s->idx);
		}
		break;
	case S_UNLOCKING:
		if (status != LW_EUNLOCK)
			l->errors++;
		to_ready(l, s, S_IDLE);
		break;
	default:
		l->errors++;    /* an answer nobody waited for */
		l->waiting++;
		break;
	}
}

/* ---- requests -------------------------------------------------------------- */

static int
submit_lock(struct lwb_loader *l, struct slot *s, uint64_t now)
{
	const struct lwb_opts *o = &l->c->o;
	char name[LWB_NAME_MAX];
	uint32_t rank = lwb_pick_rank(o, &l->sh->zipf, &l->rng);
	int len, mode, rc;

	if (o->locality > 0 && lwb_unit(&l->rng) < o->locality)
		len = snprintf(name, sizeof(name), "p%u.%" PRIu32, l->node, rank);
	else
		len = snprintf(name, sizeof(name), "s%" PRIu32, rank);
	mode = lwb_pick_mode(o, &l->rng);
	s->t_sub = now;
	s->lksb.sb_status = 0;
	rc = lw_lock(l->ls, mode, &s->lksb, 0, name, (unsigned int)len, 0, on_ast, s, NULL,
		     &s->opts);
	if (rc == 0)
		s->st = S_LOCKING;
	return rc;
}

static int
submit_unlock(struct lwb_loader *l, struct slot *s)
{
	int rc = lw_unlock(l->ls, s->lksb.sb_lkid, 0, &s->lksb, s);

	if (rc == 0)
		s->st = S_UNLOCKING;
	return rc;
}

static bool
retry_later(int rc)
{
	return rc == -EAGAIN || rc == -ENOBUFS || rc == -ENOMEM || rc == -EBUSY;
}

/* Submit what the ready slots want. @return 0, or -errno when the session is unusable. */
static int
pump(struct lwb_loader *l, uint64_t now)
{
	uint32_t k;
	int rc;

	while (l->hold.n > 0 && l->slots[lwb_fifo_peek(&l->hold)].hold_until <= now)
		lwb_fifo_push(&l->ready, lwb_fifo_pop(&l->hold));
	for (k = l->ready.n; k > 0; k--) {
		struct slot *s = &l->slots[lwb_fifo_peek(&l->ready)];

		if (s->st == S_IDLE && l->stopping) {
			lwb_fifo_pop(&l->ready);
			s->st = S_STOPPED;
			l->active--;
			continue;
		}
		rc = s->st == S_IDLE ? submit_lock(l, s, now) : submit_unlock(l, s);
		if (rc == 0) {
			lwb_fifo_pop(&l->ready);
			l->waiting++;
			continue;
		}
		if (retry_later(rc)) {
			l->busy++;
			return 0;
		}
		l->errors++;
		fail(l, rc, s->st == S_IDLE ? "lw_lock refused" : "lw_unlock refused");
		return rc;
	}
	return 0;
}

/* How long lw_dispatch may wait: 0 while something is ready or due soon. */
static int
wait_ms(const struct lwb_loader *l, uint32_t idle, uint64_t now)
{
	uint64_t until;

	if (l->c->poll == LWB_POLL_SPIN || l->ready.n > 0)
		return 0;
	if (l->c->poll == LWB_POLL_ADAPTIVE && idle < l->c->spin)
		return 0;
	if (l->hold.n == 0)
		return MAX_BLOCK_MS;
	until = l->slots[lwb_fifo_peek(&l->hold)].hold_until;
	if (until <= now + 1000000u)
		return 0;
	until = (until - now) / 1000000u;
	return until > MAX_BLOCK_MS ? MAX_BLOCK_MS : (int)until;
}

/* ---- the thread ------------------------------------------------------------ */

static int
loader_open(struct lwb_loader *l)
{
	const char *path = l->c->sockets[l->node];
	uint32_t i;
	int rc;

	l->cl = lw_connect(path);
	if (l->cl == NULL) {
		fail(l, -errno, "lw_connect");
		return l->rc;
	}
	rc = lw_ls_open(l->cl, LWB_LS_NAME, &l->ls);
	if (rc != 0) {
		fail(l, rc, "lw_ls_open " LWB_LS_NAME);
		return rc;
	}
	for (i = 0; i < l->nslots; i++)
		lwb_fifo_push(&l->ready, i);
	l->active = l->nslots;
	return 0;
}

static void
loader_close(struct lwb_loader *l)
{
	if (l->ls != NULL)
		lw_ls_close(l->ls);
	if (l->cl != NULL)
		lw_disconnect(l->cl);
	l->ls = NULL;
	l->cl = NULL;
}

/* Read the phase; on STOP start draining, and give up when that takes too long. */
static bool
see_phase(struct lwb_loader *l, uint64_t now)
{
	int ph = atomic_load_explicit(&l->sh->phase, memory_order_acquire);

	l->measuring = ph == LWB_MEASURE;
	if (ph == LWB_STOP && !l->stopping) {
		l->stopping = true;
		l->stop_deadline = now + DRAIN_NS;
	}
	if (l->stopping && now > l->stop_deadline) {
		l->errors += l->waiting;
		fail(l, -ETIMEDOUT, "requests unanswered 10 s after the end");
		return false;
	}
	return true;
}

static void *
loader_main(void *arg)
{
	struct lwb_loader *l = arg;
	uint32_t idle = 0;
	int n;

	if (loader_open(l) != 0) {
		atomic_fetch_add(&l->sh->failed, 1);
		loader_close(l);
		return NULL;
	}
	atomic_fetch_add(&l->sh->ready, 1);
	for (;;) {
		uint64_t now = lwb_now_ns();

		if (!see_phase(l, now) || pump(l, now) != 0)
			break;
		if (l->active == 0 && l->waiting == 0)
			break;
		n = lw_dispatch(l->cl, wait_ms(l, idle, now));
		if (n < 0) {
			fail(l, n, "lw_dispatch");
			break;
		}
		idle = n > 0 ? 0 : idle + 1;
	}
	if (l->rc != 0)
		atomic_fetch_add(&l->sh->failed, 1);
	loader_close(l);
	return NULL;
}

static void
loader_free(struct lwb_loader *l)
{
	free(l->slots);
	free(l->ready.v);
	free(l->hold.v);
	free(l);
}

struct lwb_loader *
lwb_loader_start(struct lwb_shared *sh, unsigned int idx)
{
	struct lwb_loader *l = calloc(1, sizeof(*l));
	uint32_t i;
	int rc;

	if (l == NULL)
		return NULL;
	l->sh = sh;
	l->c = sh->conf;
	l->idx = idx;
	l->node = idx % sh->conf->nsockets;
	l->nslots = sh->conf->o.depth;
	l->rng = lwb_seed(sh->conf->o.seed, idx);
	l->slots = calloc(l->nslots, sizeof(*l->slots));
	if (l->slots == NULL || lwb_fifo_init(&l->ready, l->nslots) != 0 ||
	    lwb_fifo_init(&l->hold, l->nslots) != 0) {
		loader_free(l);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < l->nslots; i++) {
		l->slots[i].l = l;
		l->slots[i].idx = i;
		/* one transaction per slot, distinct across threads and processes */
		l->slots[i].opts.xid = ((uint64_t)getpid() << 32) | ((uint64_t)idx << 12) | (i + 1);
	}
	rc = pthread_create(&l->tid, NULL, loader_main, l);
	if (rc != 0) {
		loader_free(l);
		errno = rc;
		return NULL;
	}
	return l;
}

int
lwb_loader_join(struct lwb_loader *l, struct lwb_result *r)
{
	int rc;

	pthread_join(l->tid, NULL);
	r->ops += l->ops;
	r->locks += l->locks;
	r->errors += l->errors;
	lwb_hist_merge(&r->hist, &l->hist);
	if (l->rc != 0)
		fprintf(stderr, "lw-bench: %s\n", l->err);
	rc = l->rc != 0 ? -1 : 0;
	loader_free(l);
	return rc;
}
