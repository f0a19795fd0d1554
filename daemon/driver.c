/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * driver.c — lockwired's built-in workload (see driver.h).
 *
 * Slots wait in one of two FIFOs: ready (act now) or hold (act when the
 * hold time is over; every hold lasts hold_us, so FIFO order is expiry
 * order). A slot is in at most one FIFO, or waiting for a COMPLETE, so
 * both FIFOs hold at most nslots entries. Requests are batched: one
 * lw_site_submit per step.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dlog.h"
#include "driver.h"
#include "site.h"

#define LS_NAME      "lwdrv"
#define BATCH        32u
#define HIST_SUB     32u
#define HIST_N       (64u + 40u * HIST_SUB)
#define DRIVER_ZIPF_S 0.99
#define FENCE_WAIT_NS 1000000u   /* a slot refused while fenced asks again after this */

enum slot_state { S_IDLE, S_LOCKING, S_HOLD, S_CONVERTING, S_UNLOCKING, S_STOPPED };

struct slot {
	uint8_t  st;
	int8_t   mode;
	uint8_t  converted;
	uint32_t sess;
	uint32_t lkid;
	uint32_t res;
	uint64_t counter;       /* LVB counter read at the EX grant */
	uint64_t t_sub;         /* lock request submitted (for latency) */
	uint64_t hold_until;
};

struct fifo {
	uint32_t *v;
	uint32_t mask, head, n;
};

/* Zipf by rejection-inversion (Hoermann & Derflinger 1996): O(1), no table. */
struct zipf {
	uint32_t n;
	double s, h_x1, h_n, cut;
};

struct lw_driver {
	struct lw_driver_conf c;
	struct lw_site *site;
	unsigned int node, worker;
	uint16_t self;
	uint16_t lsid;
	uint64_t cookie_base;    /* node and worker: cookies are unique cluster-wide */
	uint32_t nslots;
	struct slot *slots;
	struct fifo ready, hold;
	uint32_t *resv;          /* eligible resource numbers */
	uint32_t *privv;         /* locality > 0: this node's private set */
	struct zipf zipf;
	uint64_t rng;
	bool started, stopping;
	uint64_t t_start, t_end, t_last;
	uint64_t locks_sent;
	uint32_t active;         /* slots not stopped */
	struct lw_dlog *log;
	struct lw_driver_result r;
	uint64_t hist[HIST_N];
	struct lw_req batch[BATCH];
	uint32_t batch_slot[BATCH];
};

/* ---- configuration ------------------------------------------------------ */

void
lw_driver_defaults(struct lw_driver_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->resources = 64;
	c->outstanding = 8;
	c->ex_pct = 50;
	c->convert_pct = 10;
	c->noqueue_pct = 5;
	c->lvb = true;
	c->seed = 1;
	c->start_delay = 0.2;
	c->pr_pct = -1;
}

static int
parse_num(const char *v, double max, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || x < 0 || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static const struct { const char *k; double max; } keys[] = {
	{ "resources", 1 << 24 }, { "ops", 1e12 }, { "seconds", 86400 },
	{ "outstanding", LW_DRIVER_MAX_SLOTS }, { "ex", 100 }, { "convert", 100 },
	{ "noqueue", 100 }, { "hold-us", 1e7 }, { "lvb", 1 }, { "remote", 1 },
	{ "local", 1 }, { "log", 1 }, { "only-node", 255 }, { "seed", 1e18 },
	{ "delay", 3600 }, { "dist", 0 }, { "pr", 100 }, { "locality", 1 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
#define KEY_DIST 15u

static void
set_key(struct lw_driver_conf *c, unsigned int i, double x)
{
	switch (i) {
	case 0: c->resources = (uint32_t)x; break;
	case 1: c->ops = (uint64_t)x; break;
	case 2: c->seconds = x; break;
	case 3: c->outstanding = (uint32_t)x; break;
	case 4: c->ex_pct = (uint32_t)x; break;
	case 5: c->convert_pct = (uint32_t)x; break;
	case 6: c->noqueue_pct = (uint32_t)x; break;
	case 7: c->hold_us = (uint32_t)x; break;
	case 8: c->lvb = x != 0; break;
	case 9: c->remote = x != 0; break;
	case 10: c->local = x != 0; break;
	case 11: c->log = x != 0; break;
	case 12: c->only_node = (uint32_t)x; break;
	case 13: c->seed = (uint64_t)x; break;
	case 14: c->start_delay = x; break;
	case 16: c->pr_pct = (int32_t)x; break;
	case 17: c->locality = x; break;
	}
}

/* One "key=value" (tok is modified). */
static int
parse_pair(struct lw_driver_conf *c, char *tok, char *err, size_t errlen)
{
	char *eq = strchr(tok, '=');
	unsigned int i;
	double x;

	if (eq == NULL) {
		snprintf(err, errlen, "--driver: '%s': expected key=value", tok);
		return -EINVAL;
	}
	*eq = '\0';
	for (i = 0; i < NKEYS; i++)
		if (strcmp(tok, keys[i].k) == 0)
			break;
	if (i == NKEYS) {
		snprintf(err, errlen, "--driver: unknown key '%s' (resources, ops, seconds, "
			 "outstanding, ex, convert, noqueue, hold-us, lvb, remote, local, "
			 "log, only-node, seed, delay, dist, pr, locality)", tok);
		return -EINVAL;
	}
	if (i == KEY_DIST) {
		if (strcmp(eq + 1, "uniform") != 0 && strcmp(eq + 1, "zipf") != 0) {
			snprintf(err, errlen, "--driver: dist=%s: uniform or zipf", eq + 1);
			return -EINVAL;
		}
		c->zipf = strcmp(eq + 1, "zipf") == 0;
		return 0;
	}
	if (parse_num(eq + 1, keys[i].max, &x) != 0) {
		snprintf(err, errlen, "--driver: %s=%s: must be a number 0..%g", tok,
			 eq + 1, keys[i].max);
		return -EINVAL;
	}
	set_key(c, i, x);
	return 0;
}

/* Combinations refused once every key is read. */
static int
check_conf(const struct lw_driver_conf *c, char *err, size_t errlen)
{
	if (c->resources == 0 || c->outstanding == 0) {
		snprintf(err, errlen, "--driver: resources and outstanding must be at least 1");
		return -EINVAL;
	}
	if (c->ops == 0 && c->seconds == 0) {
		snprintf(err, errlen, "--driver: give ops=N or seconds=S");
		return -EINVAL;
	}
	if (c->log && c->ops == 0) {
		snprintf(err, errlen, "--driver: log=1 needs ops=N (the log is kept in memory)");
		return -EINVAL;
	}
	if (c->remote && c->local) {
		snprintf(err, errlen, "--driver: remote=1 and local=1 exclude each other");
		return -EINVAL;
	}
	if (c->pr_pct >= 0 && c->ex_pct + (uint32_t)c->pr_pct > 100) {
		snprintf(err, errlen, "--driver: ex + pr exceed 100");
		return -EINVAL;
	}
	return 0;
}

int
lw_driver_parse(struct lw_driver_conf *c, const char *spec, char *err, size_t errlen)
{
	char buf[512], *save = NULL, *tok;
	int rc;

	lw_driver_defaults(c);
	c->enabled = true;
	if (spec == NULL || strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "--driver: spec missing or too long");
		return -EINVAL;
	}
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		rc = parse_pair(c, tok, err, errlen);
		if (rc != 0)
			return rc;
	}
	return check_conf(c, err, errlen);
}

/* ---- helpers ------------------------------------------------------------ */

static uint64_t
rnd(struct lw_driver *d)
{
	uint64_t x = d->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	d->rng = x;
	return x;
}

static bool
pct(struct lw_driver *d, uint32_t p)
{
	return rnd(d) % 100 < p;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
fifo_init(struct fifo *f, uint32_t n)
{
	uint32_t cap = 1;

	while (cap < n)
		cap <<= 1;
	f->v = calloc(cap, sizeof(*f->v));
	f->mask = cap - 1;
	f->head = f->n = 0;
	return f->v == NULL ? -ENOMEM : 0;
}

static void
fifo_push(struct fifo *f, uint32_t x)
{
	f->v[(f->head + f->n++) & f->mask] = x;
}

static uint32_t
fifo_pop(struct fifo *f)
{
	uint32_t x = f->v[f->head];

	f->head = (f->head + 1) & f->mask;
	f->n--;
	return x;
}

static unsigned int
hist_idx(uint64_t v)
{
	unsigned int e;

	if (v < 64)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);
	if (e > 45)
		return HIST_N - 1;
	return 64u + (e - 6u) * HIST_SUB + (unsigned int)((v >> (e - 5)) & (HIST_SUB - 1));
}

static uint64_t
hist_upper(unsigned int i)
{
	unsigned int e, sub;

	if (i < 64)
		return i;
	e = (i - 64u) / HIST_SUB + 6u;
	sub = (i - 64u) % HIST_SUB;
	return ((uint64_t)(HIST_SUB + sub + 1) << (e - 5)) - 1;
}

/* "r<res>" in decimal (once per lock: snprintf was ~2% of the worker) */
static void
res_name(uint32_t res, uint8_t *name, uint8_t *len)
{
	char digits[10];
	unsigned int n = 0, i;

	do {
		digits[n++] = (char)('0' + res % 10u);
		res /= 10u;
	} while (res != 0);
	name[0] = 'r';
	for (i = 0; i < n; i++)
		name[1 + i] = (uint8_t)digits[n - 1 - i];
	*len = (uint8_t)(n + 1);
}

/* ---- life cycle --------------------------------------------------------- */

/*
 * Fill v with c.resources numbers from [base, base + span) whose master
 * passes the filter: where < 0 any node, 0 another node, 1 this node.
 */
static int
pick_set(struct lw_driver *d, const struct lw_map *map, uint32_t *v, uint64_t base,
	 int where)
{
	uint32_t gid = lw_ls_gid(LS_NAME, strlen(LS_NAME));
	uint64_t span = (uint64_t)d->c.resources * 64u + 1024u, i;
	uint32_t n = 0;

	if (base + span > UINT32_MAX)
		return -ERANGE;
	for (i = base; n < d->c.resources && i < base + span; i++) {
		uint8_t name[LW_RESNAME_MAXLEN], len;
		unsigned int master;

		res_name((uint32_t)i, name, &len);
		master = lw_site_node(map->bucket[lw_bucket_of(lw_res_hash(gid, name, len))]);
		if ((where == 0 && master == d->node) || (where == 1 && master != d->node))
			continue;
		v[n++] = (uint32_t)i;
	}
	return n < d->c.resources ? -ENOENT : 0;
}

/*
 * The resources this driver may use: every one, or those whose master is
 * remote/local; with locality, also this node's private set: numbers no
 * other node draws (each node scans its own range), mastered here.
 */
static int
pick_resources(struct lw_driver *d, const struct lw_map *map)
{
	uint64_t span = (uint64_t)d->c.resources * 64u + 1024u;
	int rc;

	d->resv = calloc(d->c.resources, sizeof(*d->resv));
	if (d->resv == NULL)
		return -ENOMEM;
	rc = pick_set(d, map, d->resv, 0, d->c.remote ? 0 : d->c.local ? 1 : -1);
	if (rc != 0 || d->c.locality <= 0)
		return rc;
	d->privv = calloc(d->c.resources, sizeof(*d->privv));
	if (d->privv == NULL)
		return -ENOMEM;
	return pick_set(d, map, d->privv, span * d->node, 1);
}

/* ---- zipf ------------------------------------------------------------------ */

static double
log1p_over_x(double x)
{
	return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

static double
expm1_over_x(double x)
{
	return fabs(x) > 1e-8 ? expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

static double
zipf_h(const struct zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double
zipf_hint(const struct zipf *z, double x)       /* the integral of h */
{
	double lx = log(x);

	return expm1_over_x((1.0 - z->s) * lx) * lx;
}

static double
zipf_hint_inv(const struct zipf *z, double x)
{
	double t = x * (1.0 - z->s);

	return exp(log1p_over_x(t < -1.0 ? -1.0 : t) * x);
}

static void
zipf_init(struct zipf *z, uint32_t n, double s)
{
	z->n = n;
	z->s = s;
	z->h_x1 = zipf_hint(z, 1.5) - 1.0;
	z->h_n = zipf_hint(z, (double)n + 0.5);
	z->cut = 2.0 - zipf_hint_inv(z, zipf_hint(z, 2.5) - zipf_h(z, 2.0));
}

/* A rank 0..n-1 (0 the most frequent); u() draws uniformly from [0, 1). */
static uint32_t
zipf_draw(const struct zipf *z, struct lw_driver *d, double (*u)(struct lw_driver *))
{
	for (;;) {
		double v = z->h_n + u(d) * (z->h_x1 - z->h_n);
		double x = zipf_hint_inv(z, v);
		double k = floor(x + 0.5);

		if (k < 1.0)
			k = 1.0;
		else if (k > (double)z->n)
			k = (double)z->n;
		if (k - x <= z->cut || v >= zipf_hint(z, k + 0.5) - zipf_h(z, k))
			return (uint32_t)k - 1;
	}
}

struct lw_driver *
lw_driver_new(const struct lw_driver_conf *c, struct lw_site *site, const struct lw_map *map,
	      unsigned int node, unsigned int worker)
{
	struct lw_driver *d;
	uint32_t i;
	int rc;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->c = *c;
	d->site = site;
	d->node = node;
	d->worker = worker;
	d->self = lw_site_id(node, worker);
	d->cookie_base = (uint64_t)d->self << 32;
	d->nslots = c->outstanding;
	d->rng = (c->seed * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)node << 40) ^
		 ((uint64_t)worker << 32) ^ 0x5bd1e995ull;
	if (d->rng == 0)
		d->rng = 1;
	rc = lw_site_ls_open(site, LS_NAME, strlen(LS_NAME), &d->lsid);
	if (rc == 0)
		rc = pick_resources(d, map);
	zipf_init(&d->zipf, c->resources, DRIVER_ZIPF_S);
	if (rc == 0) {
		d->slots = calloc(d->nslots, sizeof(*d->slots));
		if (d->slots == NULL || fifo_init(&d->ready, d->nslots) != 0 ||
		    fifo_init(&d->hold, d->nslots) != 0)
			rc = -ENOMEM;
	}
	for (i = 0; rc == 0 && i < d->nslots; i++)
		rc = lw_site_session_open(site, &d->slots[i].sess);
	if (rc == 0 && c->log) {
		d->log = lw_dlog_new(node, worker, c->ops * 6u + 4096u);
		if (d->log == NULL)
			rc = -ENOMEM;
	}
	if (rc != 0) {
		lw_driver_free(d);
		errno = -rc;
		return NULL;
	}
	return d;
}

void
lw_driver_free(struct lw_driver *d)
{
	if (d == NULL)
		return;
	lw_dlog_free(d->log);
	free(d->slots);
	free(d->ready.v);
	free(d->hold.v);
	free(d->resv);
	free(d->privv);
	free(d);
}

void
lw_driver_start(struct lw_driver *d, uint64_t now)
{
	uint32_t i;

	if (d->started)
		return;
	d->started = true;
	d->t_start = now;
	d->t_last = now;
	d->active = d->nslots;
	if (d->c.only_node != 0 && d->c.only_node != d->node) {
		d->stopping = true;
		for (i = 0; i < d->nslots; i++)
			d->slots[i].st = S_STOPPED;
		d->active = 0;
		return;
	}
	for (i = 0; i < d->nslots; i++)
		fifo_push(&d->ready, i);
}

void
lw_driver_fenced(struct lw_driver *d)
{
	if (d == NULL || !d->started)
		return;
	d->r.fences++;
	if (d->log)
		lw_dlog_fence(d->log, mono_ns(), d->self);
}

bool
lw_driver_started(const struct lw_driver *d)
{
	return d->started;
}

bool
lw_driver_done(const struct lw_driver *d)
{
	return d->started && d->active == 0;
}

/* ---- requests ----------------------------------------------------------- */

static int8_t
pick_mode(struct lw_driver *d)
{
	static const int8_t others[] = { LW_LOCK_PR, LW_LOCK_PR, LW_LOCK_CR, LW_LOCK_CW,
					 LW_LOCK_PW, LW_LOCK_NL };
	uint32_t p;

	if (d->c.pr_pct >= 0) {
		p = (uint32_t)(rnd(d) % 100);
		return p < d->c.ex_pct ? LW_LOCK_EX :
		       p < d->c.ex_pct + (uint32_t)d->c.pr_pct ? LW_LOCK_PR : LW_LOCK_CR;
	}
	if (pct(d, d->c.ex_pct))
		return LW_LOCK_EX;
	return others[rnd(d) % (sizeof(others) / sizeof(others[0]))];
}

static double
unit(struct lw_driver *d)
{
	return (double)(rnd(d) >> 11) * 0x1.0p-53;
}

/* A resource: from the private set with probability locality, by the distribution. */
static uint32_t
pick_res(struct lw_driver *d)
{
	const uint32_t *set = d->resv;
	uint32_t rank;

	if (d->privv != NULL && unit(d) < d->c.locality)
		set = d->privv;
	rank = d->c.zipf ? zipf_draw(&d->zipf, d, unit) : (uint32_t)(rnd(d) % d->c.resources);
	return set[rank];
}

static void
put_counter(uint8_t lvb[LW_LVB_LEN], uint64_t v)
{
	memset(lvb, 0, LW_LVB_LEN);
	memcpy(lvb, &v, sizeof(v));
}

/* The next request of slot i into the batch; false when the slot has nothing to send. */
static bool
slot_request(struct lw_driver *d, uint32_t i, uint64_t now, struct lw_req *rq)
{
	struct slot *s = &d->slots[i];

	memset(rq, 0, offsetof(struct lw_req, lvb));
	rq->session = s->sess;
	rq->lsid = d->lsid;
	rq->cookie = d->cookie_base | i;
	if (s->st == S_IDLE) {
		if (d->stopping) {
			s->st = S_STOPPED;
			d->active--;
			return false;
		}
		s->res = pick_res(d);
		s->mode = pick_mode(d);
		s->converted = 0;
		rq->op = LW_REQ_LOCK;
		rq->mode = s->mode;
		res_name(s->res, rq->name, &rq->namelen);
		if (s->mode == LW_LOCK_EX && d->c.lvb)
			rq->flags |= LW_LKF_VALBLK;
		if (pct(d, d->c.noqueue_pct))
			rq->flags |= LW_LKF_NOQUEUE;
		s->st = S_LOCKING;
		s->t_sub = now;
		d->locks_sent++;
		if (d->c.ops != 0 && d->locks_sent >= d->c.ops)
			d->stopping = true;
		return true;
	}
	/* S_HOLD: convert once, or unlock */
	if (!d->stopping && !s->converted && pct(d, d->c.convert_pct)) {
		int8_t to = s->mode == LW_LOCK_EX ? LW_LOCK_PR : LW_LOCK_EX;

		rq->op = LW_REQ_LOCK;
		rq->flags = LW_LKF_CONVERT;
		rq->lkid = s->lkid;
		rq->mode = to;
		if (d->c.lvb && (to == LW_LOCK_EX || s->mode == LW_LOCK_EX))
			rq->flags |= LW_LKF_VALBLK;
		if (s->mode == LW_LOCK_EX && d->c.lvb)
			put_counter(rq->lvb, s->counter + 1);
		s->converted = 1;
		s->st = S_CONVERTING;
		s->t_sub = now;
		d->locks_sent++;
		return true;
	}
	rq->op = LW_REQ_UNLOCK;
	rq->lkid = s->lkid;
	if (s->mode == LW_LOCK_EX && d->c.lvb) {
		rq->flags |= LW_LKF_VALBLK;
		put_counter(rq->lvb, s->counter + 1);
	}
	s->st = S_UNLOCKING;
	return true;
}

/* A lock request that was refused before it was made: not one of ops after all. */
static void
uncount_lock(struct lw_driver *d)
{
	d->locks_sent--;
	if (d->c.ops != 0 && d->locks_sent < d->c.ops && d->c.seconds == 0)
		d->stopping = false;
}

static void
submit_batch(struct lw_driver *d, unsigned int n, uint64_t now, struct lw_site_out *out)
{
	uint64_t t = d->log ? mono_ns() : 0;
	unsigned int i;

	lw_site_submit(d->site, d->batch, n, now, out);
	for (i = 0; i < n; i++) {
		struct lw_req *rq = &d->batch[i];
		struct slot *s = &d->slots[d->batch_slot[i]];

		if (d->log)
			lw_dlog_submit(d->log, t, d->self, s->res, rq);
		if (rq->rc == 0) {
			if (rq->op == LW_REQ_LOCK && !(rq->flags & LW_LKF_CONVERT))
				s->lkid = rq->lkid;
			continue;
		}
		if (rq->rc == -ENOLCK) {
			/*
			 * fenced: the node rejoins soon; until then the slot
			 * waits (FENCE_WAIT_NS at a time), starts a new lock
			 * after, and this request does not count as one of ops
			 */
			d->r.fenced_refusals++;
			if (rq->op == LW_REQ_LOCK)
				uncount_lock(d);
			s->st = S_IDLE;
			s->hold_until = now + FENCE_WAIT_NS;
			fifo_push(&d->hold, d->batch_slot[i]);
			continue;
		}
		/*
		 * refused: count it, and put the slot back where it was; an
		 * unlock or conversion refused for anything but -EBUSY means the
		 * lock is gone: start a new one rather than asking again for ever
		 */
		d->r.errors++;
		if (s->st == S_LOCKING || rq->rc != -EBUSY)
			s->st = S_IDLE;
		else
			s->st = S_HOLD;
		fifo_push(&d->ready, d->batch_slot[i]);
	}
}

unsigned int
lw_driver_step(struct lw_driver *d, uint64_t now, bool busy, struct lw_site_out *out)
{
	unsigned int n = 0, total = 0, k;

	if (!d->started)
		return 0;
	if (d->c.seconds > 0 && !d->stopping &&
	    now - d->t_start >= (uint64_t)(d->c.seconds * 1e9))
		d->stopping = true;
	while (d->hold.n > 0 && d->slots[d->hold.v[d->hold.head]].hold_until <= now)
		fifo_push(&d->ready, fifo_pop(&d->hold));
	for (k = d->ready.n; k > 0; k--) {
		uint32_t i = d->ready.v[d->ready.head];

		if (busy && d->slots[i].st == S_IDLE && !d->stopping)
			break;
		fifo_pop(&d->ready);
		if (!slot_request(d, i, now, &d->batch[n]))
			continue;
		d->batch_slot[n++] = i;
		if (n == BATCH) {
			submit_batch(d, n, now, out);
			total += n;
			n = 0;
		}
	}
	if (n > 0)
		submit_batch(d, n, now, out);
	return total + n;
}

/* ---- events ------------------------------------------------------------- */

static void
to_hold(struct lw_driver *d, uint32_t i, uint64_t now)
{
	struct slot *s = &d->slots[i];

	s->st = S_HOLD;
	if (d->c.hold_us == 0) {
		fifo_push(&d->ready, i);
	} else {
		s->hold_until = now + (uint64_t)d->c.hold_us * 1000u;
		fifo_push(&d->hold, i);
	}
}

static void
lock_answered(struct lw_driver *d, struct slot *s, const struct lw_event *ev, uint64_t now)
{
	uint64_t lat = now - s->t_sub;

	d->r.locks++;
	d->hist[hist_idx(lat)]++;
	if (lat > d->r.lat_max)
		d->r.lat_max = lat;
	if (ev->status == 0) {
		d->r.granted++;
		if (ev->has_lvb && ev->mode == LW_LOCK_EX) {
			memcpy(&s->counter, ev->lvb, sizeof(s->counter));
			d->r.lvb_checks++;
		}
	}
}

void
lw_driver_events(struct lw_driver *d, const struct lw_event *ev, unsigned int n, uint64_t now)
{
	uint64_t t = d->log && n > 0 ? mono_ns() : 0;
	unsigned int k;

	for (k = 0; k < n; k++) {
		const struct lw_event *e = &ev[k];
		uint32_t i = (uint32_t)e->cookie;

		if ((e->cookie & ~0xffffffffull) != d->cookie_base)
			i = UINT32_MAX;   /* not ours */
		struct slot *s;

		if (d->log)
			lw_dlog_event(d->log, t, d->self, e);
		if (e->type != LW_EV_COMPLETE || i >= d->nslots)
			continue;
		s = &d->slots[i];
		d->r.ops++;
		d->t_last = now;
		if (e->status == -ENOLCK) {
			/* the site fenced itself: the lock is gone, whatever the slot did */
			d->r.enolck++;
			d->r.errors++;
			switch (s->st) {
			case S_LOCKING:
			case S_CONVERTING:
				lock_answered(d, s, e, now);
				/* fall through */
			case S_UNLOCKING:
				fifo_push(&d->ready, i);	/* in flight: in no queue */
				/* fall through */
			case S_HOLD:
				s->st = S_IDLE;		/* a held slot is queued already */
				break;
			default:
				break;
			}
			continue;
		}
		switch (s->st) {
		case S_LOCKING:
			lock_answered(d, s, e, now);
			if (e->status == 0) {
				s->mode = e->mode;
				to_hold(d, i, now);
			} else {
				if (e->status == -EAGAIN)
					d->r.again++;
				else
					d->r.errors++;
				s->st = S_IDLE;
				fifo_push(&d->ready, i);
			}
			break;
		case S_CONVERTING:
			lock_answered(d, s, e, now);
			if (e->status == 0)
				s->mode = e->mode;
			else if (e->status != -EAGAIN && e->status != -EDEADLK)
				d->r.errors++;
			to_hold(d, i, now);
			break;
		case S_UNLOCKING:
			if (e->status != LW_EUNLOCK)
				d->r.errors++;
			s->st = S_IDLE;
			fifo_push(&d->ready, i);
			break;
		default:
			d->r.errors++;
			break;
		}
	}
}

/* ---- results ------------------------------------------------------------ */

static uint64_t
hist_pct(const struct lw_driver *d, double q)
{
	uint64_t total = 0, want, acc = 0;
	unsigned int i;

	for (i = 0; i < HIST_N; i++)
		total += d->hist[i];
	if (total == 0)
		return 0;
	want = (uint64_t)(q * (double)total);
	if (want >= total)
		want = total - 1;
	for (i = 0; i < HIST_N; i++) {
		acc += d->hist[i];
		if (acc > want)
			return hist_upper(i);
	}
	return hist_upper(HIST_N - 1);
}

void
lw_driver_result(const struct lw_driver *d, struct lw_driver_result *r)
{
	*r = d->r;
	r->run_ns = d->t_last > d->t_start ? d->t_last - d->t_start : 0;
	r->lat_p50 = hist_pct(d, 0.50);
	r->lat_p99 = hist_pct(d, 0.99);
	r->lat_p999 = hist_pct(d, 0.999);
}

void
lw_driver_hist_json(const struct lw_driver *d, FILE *f)
{
	unsigned int i;
	bool first = true;

	fputc('[', f);
	for (i = 0; i < HIST_N; i++) {
		if (d->hist[i] == 0)
			continue;
		fprintf(f, "%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", hist_upper(i),
			d->hist[i]);
		first = false;
	}
	fputc(']', f);
}

/* s as a JSON string (quotes, backslashes and control characters escaped). */
static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int
lw_driver_write(const struct lw_driver *d, const char *prefix, const char *cmdline)
{
	char path[512], tmp[530];
	struct lw_driver_result r;
	struct lw_site_stats st;
	uint64_t msgs = 0, grants;
	unsigned int t;
	FILE *f;
	int rc;

	if (d->log) {
		snprintf(path, sizeof(path), "%s.n%u.w%u.dlog", prefix, d->node, d->worker);
		rc = lw_dlog_write(d->log, path);
		if (rc != 0)
			return rc;
	}
	lw_driver_result(d, &r);
	lw_site_get_stats(d->site, &st);
	for (t = 1; t < LW_MSG_NTYPES; t++)
		msgs += st.tx[t];
	grants = st.local_grants + st.remote_grants;
	snprintf(path, sizeof(path), "%s.n%u.w%u.json", prefix, d->node, d->worker);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "{\"node\":%u,\"worker\":%u,\"ops\":%" PRIu64 ",\"locks\":%" PRIu64
		",\"granted\":%" PRIu64 ",\"again\":%" PRIu64 ",\"errors\":%" PRIu64
		",\"seconds\":%.6f,\"ops_per_sec\":%.1f,\"lat_ns\":{\"p50\":%" PRIu64
		",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64 ",\"max\":%" PRIu64 "}"
		",\"msgs_per_op\":%.4f,\"local_grant_ratio\":%.4f,\"lvb_checks\":%" PRIu64
		",\"log_records\":%" PRIu64 ",\"log_lost\":%" PRIu64
		",\"done\":%s,\"slots_active\":%" PRIu32 ",\"enolck\":%" PRIu64
		",\"fences\":%" PRIu64 ",\"fenced_refusals\":%" PRIu64 ",\"cmdline\":",
		d->node, d->worker, r.ops, r.locks, r.granted, r.again, r.errors,
		(double)r.run_ns / 1e9,
		r.run_ns ? (double)r.ops * 1e9 / (double)r.run_ns : 0.0, r.lat_p50, r.lat_p99,
		r.lat_p999, r.lat_max, r.ops ? (double)msgs / (double)r.ops : 0.0,
		grants ? (double)st.local_grants / (double)grants : 0.0, r.lvb_checks,
		d->log ? lw_dlog_count(d->log) : 0, d->log ? lw_dlog_lost(d->log) : 0,
		lw_driver_done(d) ? "true" : "false", d->active, r.enolck, r.fences,
		r.fenced_refusals);
	json_string(f, cmdline != NULL ? cmdline : "");
#ifdef NDEBUG
	fputs(",\"build\":\"release\",\"hist\":", f);
#else
	fputs(",\"build\":\"debug\",\"hist\":", f);
#endif
	lw_driver_hist_json(d, f);
	fputs("}\n", f);
	if (fclose(f) != 0)
		return -errno;
	if (rename(tmp, path) != 0)
		return -errno;
	return 0;
}
