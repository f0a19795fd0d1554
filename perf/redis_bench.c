/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * redis_bench.c — lw-redis-bench: the lw-bench workload against a Redis
 * server, locking the way Redis users lock, as the baseline that
 * scripts/bench-vs-redis.sh compares lockwire with.
 *
 *   lw-redis-bench [--host H] [--port P] [--threads T] [--depth D]
 *                  [--resources R] [--dist uniform|zipf] [--hold-us H]
 *                  [--seconds S] [--warmup S] [--json] ...
 *
 * DESIGN
 * T threads, each one connection (hiredis, blocking, TCP_NODELAY), each
 * keeping D commands in flight (pipelining: D = 1 is a round trip per
 * command). A slot acquires a lock with `SET key owner NX PX 10000`
 * (owner unique per acquisition), holds it --hold-us, and releases it with
 * the compare-and-delete script
 *   if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
 *   return 0
 * run by EVALSHA (SCRIPT LOAD once at start). An acquire that finds the
 * key taken (a nil reply) is an answered op and is retried at once on the
 * same key: Redis has no queue, so a client that wants the lock polls.
 *
 * Keys: "lwb:s<rank>", rank by --dist over --resources (the names of the
 * client mode's shared set). Every lock is exclusive (SET NX has no shared
 * mode), so --mix is taken but not used, and --locality means nothing on
 * one server; scripts/bench-vs-redis.sh runs both sides with ex=100.
 *
 * Counting as in lw-bench: an op is one acquire or release answered in
 * the measured phase; latency is per acquire command (each attempt, from
 * its append to its reply); errors are error replies and releases that
 * found the key no longer theirs. Replies come back in command order, so
 * a FIFO of slots in flight says which slot each reply answers.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "bench_util.h"

#define LOCK_TTL_MS   "10000"
#define KEY_PREFIX    "lwb:s"
#define SLICE_NS      (50ull * 1000000ull)
#define DRAIN_NS      (10ull * 1000000000ull)

static const char release_lua[] =
	"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end "
	"return 0";

enum phase { P_WARMUP, P_MEASURE, P_STOP };
enum slot_state { S_IDLE, S_ACQUIRING, S_HOLD, S_RELEASING, S_STOPPED };

struct conf {
	struct lwb_opts o;
	const char *host;
	int port;
	char sha[48];
	char cmdline[2048];
};

struct rslot {
	uint8_t st;
	uint32_t rank;
	uint64_t t_sub, hold_until, seq;
	char key[LWB_NAME_MAX];
	char owner[48];
};

struct shared {
	const struct conf *c;
	struct lwb_zipf zipf;
	_Atomic int phase;
	atomic_uint ready, failed;
};

struct loader {
	struct shared *sh;
	unsigned int idx;
	pthread_t tid;
	redisContext *rc;
	struct rslot *slots;
	struct lwb_fifo ready, hold, flight;
	uint32_t active;
	uint64_t rng;
	bool measuring, stopping;
	uint64_t stop_deadline;
	uint64_t ops, acquires, acquired, nx_failed, errors;
	struct lwb_hist hist;
	char err[256];
};

static volatile bool interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = true;
}

/* ---- commands and replies -------------------------------------------------- */

static void
append_acquire(struct loader *l, uint32_t i, uint64_t now)
{
	struct rslot *s = &l->slots[i];
	const char *argv[] = { "SET", s->key, s->owner, "NX", "PX", LOCK_TTL_MS };
	size_t len[] = { 3, strlen(s->key), 0, 2, 2, strlen(LOCK_TTL_MS) };

	len[2] = (size_t)snprintf(s->owner, sizeof(s->owner), "t%us%un%" PRIu64, l->idx, i,
				  ++s->seq);
	redisAppendCommandArgv(l->rc, 6, argv, len);
	s->st = S_ACQUIRING;
	s->t_sub = now;
	lwb_fifo_push(&l->flight, i);
}

static void
append_release(struct loader *l, uint32_t i)
{
	struct rslot *s = &l->slots[i];
	const char *argv[] = { "EVALSHA", l->sh->c->sha, "1", s->key, s->owner };
	size_t len[] = { 7, strlen(l->sh->c->sha), 1, strlen(s->key), strlen(s->owner) };

	redisAppendCommandArgv(l->rc, 5, argv, len);
	s->st = S_RELEASING;
	lwb_fifo_push(&l->flight, i);
}

/* A new key for slot i (an acquire that failed keeps its key). */
static void
new_key(struct loader *l, struct rslot *s)
{
	s->rank = lwb_pick_rank(&l->sh->c->o, &l->sh->zipf, &l->rng);
	snprintf(s->key, sizeof(s->key), KEY_PREFIX "%" PRIu32, s->rank);
}

static void
got_acquire(struct loader *l, uint32_t i, const redisReply *r, uint64_t now)
{
	struct rslot *s = &l->slots[i];
	uint32_t hold = l->sh->c->o.hold_us;

	if (l->measuring) {
		l->acquires++;
		lwb_hist_add(&l->hist, now - s->t_sub);
	}
	if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0) {
		l->acquired += l->measuring;
		s->st = S_HOLD;
		if (hold == 0) {
			lwb_fifo_push(&l->ready, i);
		} else {
			s->hold_until = now + (uint64_t)hold * 1000u;
			lwb_fifo_push(&l->hold, i);
		}
		return;
	}
	if (r->type == REDIS_REPLY_NIL)
		l->nx_failed += l->measuring;      /* taken: retry the same key */
	else
		l->errors++;
	s->st = S_IDLE;
	lwb_fifo_push(&l->ready, i);
}

static void
got_reply(struct loader *l, redisReply *r, uint64_t now)
{
	uint32_t i = lwb_fifo_pop(&l->flight);
	struct rslot *s = &l->slots[i];

	l->ops += l->measuring;
	if (s->st == S_ACQUIRING) {
		got_acquire(l, i, r, now);
	} else {
		if (r->type != REDIS_REPLY_INTEGER || r->integer != 1)
			l->errors++;
		s->st = S_IDLE;
		new_key(l, s);
		lwb_fifo_push(&l->ready, i);
	}
	freeReplyObject(r);
}

/* ---- the thread ------------------------------------------------------------ */

/* Append what the ready slots want. */
static void
pump(struct loader *l, uint64_t now)
{
	uint32_t k;

	while (l->hold.n > 0 && l->slots[l->hold.v[l->hold.head]].hold_until <= now)
		lwb_fifo_push(&l->ready, lwb_fifo_pop(&l->hold));
	for (k = l->ready.n; k > 0; k--) {
		uint32_t i = lwb_fifo_pop(&l->ready);
		struct rslot *s = &l->slots[i];

		if (s->st == S_IDLE && l->stopping) {
			s->st = S_STOPPED;
			l->active--;
		} else if (s->st == S_IDLE) {
			append_acquire(l, i, now);
		} else {
			append_release(l, i);
		}
	}
}

/* One blocking reply (this flushes what was appended), then the buffered ones. */
static int
collect(struct loader *l)
{
	void *r = NULL;

	if (redisGetReply(l->rc, &r) != REDIS_OK || r == NULL) {
		snprintf(l->err, sizeof(l->err), "thread %u: %s", l->idx,
			 l->rc->errstr[0] ? l->rc->errstr : "connection lost");
		return -1;
	}
	got_reply(l, r, lwb_now_ns());
	while (l->flight.n > 0) {
		r = NULL;
		if (redisGetReplyFromReader(l->rc, &r) != REDIS_OK) {
			snprintf(l->err, sizeof(l->err), "thread %u: %s", l->idx, l->rc->errstr);
			return -1;
		}
		if (r == NULL)
			break;
		got_reply(l, r, lwb_now_ns());
	}
	return 0;
}

static bool
see_phase(struct loader *l, uint64_t now)
{
	int ph = atomic_load_explicit(&l->sh->phase, memory_order_acquire);

	l->measuring = ph == P_MEASURE;
	if (ph == P_STOP && !l->stopping) {
		l->stopping = true;
		l->stop_deadline = now + DRAIN_NS;
	}
	if (l->stopping && now > l->stop_deadline) {
		snprintf(l->err, sizeof(l->err), "thread %u: no end 10 s after the stop", l->idx);
		return false;
	}
	return true;
}

static int
loader_run(struct loader *l)
{
	for (;;) {
		uint64_t now = lwb_now_ns();

		if (!see_phase(l, now))
			return -1;
		pump(l, now);
		if (l->flight.n > 0) {
			if (collect(l) != 0)
				return -1;
		} else if (l->active == 0) {
			return 0;
		} else if (l->hold.n > 0) {
			uint64_t until = l->slots[l->hold.v[l->hold.head]].hold_until;

			if (until > now)
				lwb_sleep_ns(until - now, NULL);
		}
	}
}

static void *
loader_main(void *arg)
{
	struct loader *l = arg;
	const struct conf *c = l->sh->c;
	struct timeval tv = { 5, 0 };
	uint32_t i;

	l->rc = redisConnectWithTimeout(c->host, c->port, tv);
	if (l->rc == NULL || l->rc->err) {
		snprintf(l->err, sizeof(l->err), "thread %u: cannot connect to %s:%d: %s", l->idx,
			 c->host, c->port, l->rc ? l->rc->errstr : "out of memory");
		atomic_fetch_add(&l->sh->failed, 1);
		return NULL;
	}
	redisSetTimeout(l->rc, tv);
	for (i = 0; i < c->o.depth; i++) {
		new_key(l, &l->slots[i]);
		lwb_fifo_push(&l->ready, i);
	}
	l->active = c->o.depth;
	atomic_fetch_add(&l->sh->ready, 1);
	if (loader_run(l) != 0)
		atomic_fetch_add(&l->sh->failed, 1);
	return NULL;
}

static struct loader *
loader_new(struct shared *sh, unsigned int idx)
{
	struct loader *l = calloc(1, sizeof(*l));
	uint32_t d = sh->c->o.depth;

	if (l == NULL)
		return NULL;
	l->sh = sh;
	l->idx = idx;
	l->rng = lwb_seed(sh->c->o.seed, idx);
	l->slots = calloc(d, sizeof(*l->slots));
	if (l->slots == NULL || lwb_fifo_init(&l->ready, d) != 0 || lwb_fifo_init(&l->hold, d) != 0 ||
	    lwb_fifo_init(&l->flight, d) != 0 || pthread_create(&l->tid, NULL, loader_main, l) != 0) {
		free(l->slots);
		free(l->ready.v);
		free(l->hold.v);
		free(l->flight.v);
		free(l);
		return NULL;
	}
	return l;
}

/* Join and add up; @return false when the thread failed. */
static bool
loader_join(struct loader *l, struct lwb_result *r, uint64_t *acq, uint64_t *nx)
{
	bool ok;

	pthread_join(l->tid, NULL);
	ok = l->err[0] == '\0';
	if (!ok)
		fprintf(stderr, "lw-redis-bench: %s\n", l->err);
	r->ops += l->ops;
	r->locks += l->acquires;
	r->errors += l->errors;
	*acq += l->acquired;
	*nx += l->nx_failed;
	lwb_hist_merge(&r->hist, &l->hist);
	if (l->rc != NULL)
		redisFree(l->rc);
	free(l->slots);
	free(l->ready.v);
	free(l->hold.v);
	free(l->flight.v);
	free(l);
	return ok;
}

/* ---- main ------------------------------------------------------------------ */

static int
load_script(struct conf *c)
{
	struct timeval tv = { 5, 0 };
	redisContext *rc = redisConnectWithTimeout(c->host, c->port, tv);
	redisReply *r;
	int ok = -1;

	if (rc == NULL || rc->err) {
		fprintf(stderr, "lw-redis-bench: cannot connect to %s:%d: %s\n", c->host, c->port,
			rc ? rc->errstr : "out of memory");
		if (rc != NULL)
			redisFree(rc);
		return -1;
	}
	redisSetTimeout(rc, tv);
	r = redisCommand(rc, "SCRIPT LOAD %s", release_lua);
	if (r != NULL && r->type == REDIS_REPLY_STRING && r->len < sizeof(c->sha)) {
		memcpy(c->sha, r->str, r->len);
		c->sha[r->len] = '\0';
		ok = 0;
	} else {
		fprintf(stderr, "lw-redis-bench: SCRIPT LOAD failed: %s\n",
			r == NULL ? rc->errstr : r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
	}
	if (r != NULL)
		freeReplyObject(r);
	redisFree(rc);
	return ok;
}

static bool
run_for(struct shared *sh, uint64_t ns)
{
	uint64_t end = lwb_now_ns() + ns, now;

	while ((now = lwb_now_ns()) < end) {
		if (interrupted || atomic_load(&sh->failed) > 0)
			return false;
		lwb_sleep_ns(end - now < SLICE_NS ? end - now : SLICE_NS, &interrupted);
	}
	return !interrupted && atomic_load(&sh->failed) == 0;
}

static bool
drive(const struct conf *c, struct shared *sh, struct lwb_result *r)
{
	uint64_t t0, t1, end = lwb_now_ns() + 15000000000ull;

	while (atomic_load(&sh->ready) + atomic_load(&sh->failed) < c->o.threads) {
		if (interrupted || lwb_now_ns() > end)
			return false;
		lwb_sleep_ns(1000000, &interrupted);
	}
	if (atomic_load(&sh->failed) > 0 || !run_for(sh, (uint64_t)(c->o.warmup * 1e9)))
		return false;
	t0 = lwb_now_ns();
	atomic_store(&sh->phase, P_MEASURE);
	run_for(sh, (uint64_t)(c->o.seconds * 1e9));
	atomic_store(&sh->phase, P_STOP);
	t1 = lwb_now_ns();
	r->seconds = (double)(t1 - t0) / 1e9;
	return !interrupted && atomic_load(&sh->failed) == 0;
}

static void
report(const struct conf *c, const struct lwb_result *r, uint64_t acq, uint64_t nx)
{
	if (!c->o.json) {
		lwb_print_text(stdout, "lw-redis-bench", r, &c->o);
		printf("  acquired %" PRIu64 ", NX refusals (retried) %" PRIu64 ", server %s:%d\n",
		       acq, nx, c->host, c->port);
		return;
	}
	lwb_json_begin(stdout, "lw-redis-bench", r, &c->o, c->cmdline);
	printf(",\"server\":\"redis\",\"host\":");
	lwb_json_string(stdout, c->host);
	printf(",\"port\":%d,\"pipeline\":%u,\"acquired\":%" PRIu64 ",\"nx_failed\":%" PRIu64
	       ",\"acquire\":\"SET key owner NX PX " LOCK_TTL_MS "\","
	       "\"release\":\"EVALSHA compare-and-delete\"", c->port, c->o.depth, acq, nx);
	lwb_json_end(stdout, r);
}

static int
run_bench(struct conf *c)
{
	struct loader **ls = calloc(c->o.threads, sizeof(*ls));
	struct lwb_result *r = calloc(1, sizeof(*r));
	struct shared sh = { .c = c };
	uint64_t acq = 0, nx = 0;
	unsigned int i, started = 0, bad = 0;
	bool ok = false;
	int rc;

	if (ls == NULL || r == NULL)
		return 1;
	lwb_zipf_init(&sh.zipf, c->o.resources, LWB_ZIPF_S);
	atomic_init(&sh.phase, P_WARMUP);
	for (; started < c->o.threads; started++) {
		ls[started] = loader_new(&sh, started);
		if (ls[started] == NULL)
			break;
	}
	if (started == c->o.threads)
		ok = drive(c, &sh, r);
	else
		fprintf(stderr, "lw-redis-bench: cannot start thread %u\n", started);
	atomic_store(&sh.phase, P_STOP);
	for (i = 0; i < started; i++)
		bad += !loader_join(ls[i], r, &acq, &nx);
	r->msgs_per_op = -1;
	r->local_grant_ratio = -1;
	if (ok && bad == 0)
		report(c, r, acq, nx);
	else
		fprintf(stderr, "lw-redis-bench: %s\n", interrupted ? "interrupted" :
			"the run did not complete (see above)");
	rc = ok && bad == 0 && r->errors == 0 ? 0 : 1;
	free(ls);
	free(r);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: lw-redis-bench [--host H] [--port P] [options]\n"
		"  --host H             Redis server address (default 127.0.0.1)\n"
		"  --port P             its TCP port (default 6379)\n"
		LWB_COMMON_HELP
		"every lock is exclusive (SET NX); --mix and --locality are not used.\n"
		"--depth is the pipelining depth per connection.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		LWB_COMMON_LONGOPTS,
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	static struct conf c;
	int opt, rc;

	lwb_opts_defaults(&c.o);
	c.host = "127.0.0.1";
	c.port = 6379;
	lwb_cmdline(argc, argv, c.cmdline, sizeof(c.cmdline));
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		rc = lwb_opt_common(&c.o, opt, optarg, "lw-redis-bench");
		if (rc < 0)
			return 2;
		if (rc > 0)
			continue;
		switch (opt) {
		case 'H': c.host = optarg; break;
		case 'p':
			c.port = atoi(optarg);
			if (c.port <= 0 || c.port > 65535) {
				fprintf(stderr, "lw-redis-bench: bad --port '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "lw-redis-bench: unknown option or missing value: '%s' "
				"(try --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lw-redis-bench: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	c.o.ex_pct = 100;       /* what runs, whatever --mix and --locality said */
	c.o.pr_pct = 0;
	c.o.locality = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (load_script(&c) != 0)
		return 1;
	rc = run_bench(&c);
	return fflush(stdout) == 0 ? rc : 1;
}
