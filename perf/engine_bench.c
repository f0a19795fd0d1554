/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine_bench.c — lw-engine-bench: the lock engine of one site, alone on
 * one pinned core, driven with batches of lock and unlock requests.
 *
 * DESIGN
 * One engine, one session, one or more lockspaces, N resources named
 * "r0".."rN-1" (resource i lives in lockspace i % lockspaces). Before the
 * clock starts every resource is touched once (lock PR + unlock), so the
 * table is full and warm. Then, until the time is up:
 *   1. a batch of B new LOCK requests, each on a resource drawn from the
 *      distribution (uniform, or zipf with s = 0.99) in mode EX or PR (even
 *      odds), goes to lw_engine_submit;
 *   2. a batch of UNLOCK requests for every lock granted so far goes in;
 *      requests that were queued behind another lock of the same batch
 *      are granted by these unlocks and are unlocked in one more round.
 * An op is one request answered: one COMPLETE event. Resources and modes
 * are drawn before the clock starts (a sequence of 4 M draws, cycled), so
 * the timed loop holds only the engine and the copying of requests.
 *
 * Latency: the time of each lw_engine_submit call divided by the number of
 * requests it carried (the cost of a request within a batch, not the time
 * a lone request would take); p50/p99/p999 over all calls, thinned to at
 * most 1 M samples.
 *
 * Output: a readable summary, or with --json one JSON object with the keys
 * of docs PERF.md (ops, seconds, ops_per_sec, lat_ns, msgs_per_op,
 * local_grant_ratio, errors, cmdline, build) and the parameters. Exit code
 * 0 when every request was answered as expected, 1 otherwise.
 *
 * EAL runs without hugepages or PCI, with a file prefix unique to the pid,
 * on one lcore (--lcore, by default the last CPU this process may use).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>

#include "engine.h"

#ifndef LW_BUILD_INFO
#define LW_BUILD_INFO "unknown"
#endif

#define SEQ_LEN      (1u << 22)   /* pre-drawn (resource, mode) pairs */
#define SEQ_EX_BIT   (1u << 31)   /* draw asks for EX (else PR) */
#define MAX_BATCH    4096u
#define MAX_RES      (1u << 28)
#define MAX_SAMPLES  (1u << 20)
#define ZIPF_S       0.99

struct opts {
	uint32_t resources;
	bool zipf;
	double seconds;
	uint32_t batch;
	bool json;
	uint64_t seed;
	uint32_t lockspaces;
	int lcore;                   /* -1: last allowed CPU */
	uint32_t mem_mb;             /* 0: sized from resources */
};

/* Latency samples (ns per request), thinned by doubling the stride when full. */
struct samples {
	float *v;
	uint32_t n;
	uint32_t stride;
	uint32_t skip;
};

struct bench {
	struct opts o;
	struct lw_engine *e;
	struct lw_evbuf out;
	uint16_t lsid[64];
	uint32_t sid;
	uint32_t *seq;
	uint32_t seq_pos;
	struct lw_req *lreq;         /* lock batch */
	struct lw_req *ureq;         /* unlock batch */
	uint32_t *held;              /* granted lkids not yet unlocked */
	uint32_t nheld;
	uint32_t *next;              /* granted during an unlock round */
	uint32_t nnext;
	uint32_t cap;                /* room in held, next and ureq */
	uint64_t pending;            /* accepted locks not yet granted */
	uint64_t ops;
	uint64_t errors;
	uint64_t locks;
	uint64_t unlocks;
	uint64_t submits;
	uint64_t tsc_base;
	uint64_t hz;
	struct samples lat;
};

/* --- randomness -------------------------------------------------------- */

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double
unit_rand(uint64_t *s)
{
	return (double)(splitmix64(s) >> 11) * 0x1.0p-53;
}

/* CDF of zipf(s) over ranks 0..n-1: cdf[i] = P(rank <= i). */
static double *
zipf_cdf(uint32_t n, double s)
{
	double *cdf = malloc(sizeof(*cdf) * n);
	double sum = 0;

	if (cdf == NULL)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		sum += 1.0 / pow((double)i + 1, s);
		cdf[i] = sum;
	}
	for (uint32_t i = 0; i < n; i++)
		cdf[i] /= sum;
	cdf[n - 1] = 1.0;
	return cdf;
}

/*
 * Inverse of the CDF by binary search, started from a guide table: guide[k]
 * is the first rank whose cdf reaches k / g, so the search spans a few ranks.
 */
struct zipf {
	double *cdf;
	uint32_t *guide;
	uint32_t n;
	uint32_t g;
};

static int
zipf_init(struct zipf *z, uint32_t n, double s)
{
	z->n = n;
	z->g = n;
	z->cdf = zipf_cdf(n, s);
	z->guide = malloc(sizeof(*z->guide) * ((size_t)z->g + 1));
	if (z->cdf == NULL || z->guide == NULL)
		return -ENOMEM;
	uint32_t i = 0;
	for (uint32_t k = 0; k <= z->g; k++) {
		double edge = (double)k / z->g;
		while (i < n - 1 && z->cdf[i] < edge)
			i++;
		z->guide[k] = i;
	}
	return 0;
}

static void
zipf_fini(struct zipf *z)
{
	free(z->cdf);
	free(z->guide);
}

static uint32_t
zipf_draw(const struct zipf *z, double u)
{
	uint32_t k = (uint32_t)(u * z->g);
	uint32_t lo = z->guide[k], hi = z->guide[RTE_MIN(k + 1, z->g)];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Draw the whole sequence of (resource, mode) before timing. */
static int
draw_sequence(struct bench *b)
{
	struct zipf z = { 0 };
	uint64_t s = b->o.seed;
	int rc = 0;

	b->seq = malloc(sizeof(*b->seq) * SEQ_LEN);
	if (b->seq == NULL)
		return -ENOMEM;
	if (b->o.zipf)
		rc = zipf_init(&z, b->o.resources, ZIPF_S);
	for (uint32_t i = 0; rc == 0 && i < SEQ_LEN; i++) {
		uint64_t r = splitmix64(&s);
		uint32_t res;

		if (b->o.zipf)
			res = zipf_draw(&z, unit_rand(&s));
		else
			res = (uint32_t)(((r & 0xffffffffu) * b->o.resources) >> 32);
		b->seq[i] = res | ((r >> 63) ? SEQ_EX_BIT : 0);
	}
	zipf_fini(&z);
	return rc;
}

/* --- latency samples --------------------------------------------------- */

static void
sample_add(struct samples *sm, double ns)
{
	if (sm->skip > 0) {
		sm->skip--;
		return;
	}
	if (sm->n == MAX_SAMPLES) {
		for (uint32_t i = 0; i < MAX_SAMPLES / 2; i++)
			sm->v[i] = sm->v[2 * i];
		sm->n = MAX_SAMPLES / 2;
		sm->stride *= 2;
	}
	sm->v[sm->n++] = (float)ns;
	sm->skip = sm->stride - 1;
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static double
percentile(const struct samples *sm, double p)
{
	if (sm->n == 0)
		return 0;
	uint32_t i = (uint32_t)(p * (sm->n - 1) + 0.5);
	return sm->v[i];
}

/* --- the engine side --------------------------------------------------- */

static uint64_t
now_ns(const struct bench *b, uint64_t tsc)
{
	return (uint64_t)((unsigned __int128)(tsc - b->tsc_base) * 1000000000u / b->hz);
}

/*
 * "r<res>" written straight into the request: a table of a million names
 * would cost the benchmark a cache miss per request of its own.
 */
static uint8_t
format_name(uint8_t *out, uint32_t res)
{
	char digits[10];
	int n = 0;

	do {
		digits[n++] = (char)('0' + res % 10);
		res /= 10;
	} while (res != 0);
	out[0] = 'r';
	for (int i = 0; i < n; i++)
		out[1 + i] = (uint8_t)digits[n - 1 - i];
	return (uint8_t)(n + 1);
}

static void
set_lock_req(struct bench *b, struct lw_req *r, uint32_t res, int mode)
{
	r->op = LW_REQ_LOCK;
	r->mode = (int8_t)mode;
	r->namelen = format_name(r->name, res);
	r->lsid = b->lsid[res % b->o.lockspaces];
	r->session = b->sid;
	r->flags = 0;
	r->lkid = 0;
	r->cookie = res;
}

/* Account for the events of one submit: grants go to `to`. */
static void
take_events(struct bench *b, uint32_t *to, uint32_t *nto)
{
	for (uint32_t i = 0; i < b->out.n; i++) {
		const struct lw_event *ev = &b->out.ev[i];

		if (ev->type != LW_EV_COMPLETE)
			continue;
		b->ops++;
		if (ev->status == 0 && ev->mode > LW_LOCK_NL && *nto < b->cap) {
			to[(*nto)++] = ev->lkid;
			b->pending--;
			b->locks++;
		} else if (ev->status == LW_EUNLOCK) {
			b->unlocks++;
		} else {
			b->errors++;
		}
	}
	if (b->out.lost != 0) {
		b->errors += b->out.lost;
		b->out.lost = 0;
	}
	b->out.n = 0;
}

static void
take_rcs(struct bench *b, const struct lw_req *r, uint32_t n, bool lock)
{
	for (uint32_t i = 0; i < n; i++) {
		if (r[i].rc < 0)
			b->errors++;
		else if (lock)
			b->pending++;
	}
}

/* Submit n requests, timing the call; returns the TSC after it. */
static uint64_t
submit(struct bench *b, struct lw_req *r, uint32_t n, bool timed)
{
	uint64_t t0 = rte_rdtsc();

	lw_engine_submit(b->e, r, n, now_ns(b, t0), &b->out);
	uint64_t t1 = rte_rdtsc();
	if (timed)
		sample_add(&b->lat, (double)(t1 - t0) * 1e9 / (double)b->hz / n);
	b->submits++;
	return t1;
}

/* Unlock everything held, round after round, until nothing is granted. */
static void
unlock_all(struct bench *b, bool timed)
{
	while (b->nheld > 0) {
		uint32_t n = b->nheld;

		for (uint32_t i = 0; i < n; i++) {
			b->ureq[i].lkid = b->held[i];
			b->ureq[i].rc = 0;
		}
		submit(b, b->ureq, n, timed);
		take_rcs(b, b->ureq, n, false);
		b->nnext = 0;
		take_events(b, b->next, &b->nnext);
		uint32_t *t = b->held;
		b->held = b->next;
		b->next = t;
		b->nheld = b->nnext;
	}
}

/* One lock batch and its unlocks. */
static void
cycle(struct bench *b, bool timed)
{
	uint32_t n = b->o.batch;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t d = b->seq[b->seq_pos];

		b->seq_pos = (b->seq_pos + 1) & (SEQ_LEN - 1);
		set_lock_req(b, &b->lreq[i], d & ~SEQ_EX_BIT,
			     (d & SEQ_EX_BIT) ? LW_LOCK_EX : LW_LOCK_PR);
	}
	submit(b, b->lreq, n, timed);
	take_rcs(b, b->lreq, n, true);
	b->nheld = 0;
	take_events(b, b->held, &b->nheld);
	unlock_all(b, timed);
}

/* Touch every resource once: lock PR, unlock, in batches. */
static void
warm_up(struct bench *b)
{
	for (uint32_t base = 0; base < b->o.resources; base += b->o.batch) {
		uint32_t n = RTE_MIN(b->o.batch, b->o.resources - base);

		for (uint32_t i = 0; i < n; i++)
			set_lock_req(b, &b->lreq[i], base + i, LW_LOCK_PR);
		submit(b, b->lreq, n, false);
		take_rcs(b, b->lreq, n, true);
		b->nheld = 0;
		take_events(b, b->held, &b->nheld);
		unlock_all(b, false);
	}
}

static int
bench_open(struct bench *b)
{
	uint32_t maxres = 1;
	char ls[16];

	while (maxres < b->o.resources)
		maxres <<= 1;
	struct lw_engine_conf conf = {
		.name = "bench",
		.max_resources = maxres,
		.max_locks = RTE_MAX(b->o.batch * 2, 256u),
		.max_sessions = 4,
		.max_lockspaces = RTE_MAX(b->o.lockspaces, 4u),
		.worker = 0,
		.socket_id = (int)rte_socket_id(),
	};
	b->e = lw_engine_create(&conf);
	if (b->e == NULL)
		return -errno;
	for (uint32_t i = 0; i < b->o.lockspaces; i++) {
		int n = snprintf(ls, sizeof(ls), "bench%u", i);
		int rc = lw_engine_ls_open(b->e, ls, (size_t)n, &b->lsid[i]);
		if (rc < 0)
			return rc;
	}
	return lw_engine_session_open(b->e, &b->sid);
}

static int
bench_alloc(struct bench *b)
{
	uint32_t cap = b->o.batch * 2;

	b->cap = cap;
	b->lreq = calloc(b->o.batch, sizeof(*b->lreq));
	b->ureq = calloc(cap, sizeof(*b->ureq));
	b->held = malloc(sizeof(*b->held) * cap);
	b->next = malloc(sizeof(*b->next) * cap);
	b->lat.v = malloc(sizeof(*b->lat.v) * MAX_SAMPLES);
	b->lat.stride = 1;
	if (b->lreq == NULL ||
	    b->ureq == NULL || b->held == NULL || b->next == NULL || b->lat.v == NULL)
		return -ENOMEM;
	if (lw_evbuf_init(&b->out, cap * 2) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < cap; i++) {
		b->ureq[i].op = LW_REQ_UNLOCK;
		b->ureq[i].session = b->sid;
		b->ureq[i].lsid = b->lsid[0];
	}
	return draw_sequence(b);
}

static void
bench_free(struct bench *b)
{
	if (b->e != NULL)
		lw_engine_free(b->e);
	lw_evbuf_fini(&b->out);
	free(b->lreq);
	free(b->ureq);
	free(b->held);
	free(b->next);
	free(b->lat.v);
	free(b->seq);
}

/* --- output ------------------------------------------------------------ */

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
report(const struct bench *b, double secs, const char *cmdline,
       const struct lw_engine_stats *st)
{
	double ops_s = secs > 0 ? (double)b->ops / secs : 0;
	double p50 = percentile(&b->lat, 0.50), p99 = percentile(&b->lat, 0.99);
	double p999 = percentile(&b->lat, 0.999);
	const char *dist = b->o.zipf ? "zipf" : "uniform";

	if (!b->o.json) {
		printf("lw-engine-bench: %u resources, %s, batch %u, %u lockspace(s), lcore %u\n",
		       b->o.resources, dist, b->o.batch, b->o.lockspaces, rte_lcore_id());
		printf("  ops        %" PRIu64 " in %.3f s = %.2f M ops/s\n", b->ops, secs, ops_s / 1e6);
		printf("  ns/request p50 %.1f  p99 %.1f  p999 %.1f (submit time / batch size)\n",
		       p50, p99, p999);
		printf("  queued     %" PRIu64 " requests had to wait (a resource drawn twice in a batch)\n",
		       st->queued);
		printf("  resident   %u resources, %" PRIu64 " evicted\n", st->res_resident,
		       st->res_reclaimed);
		printf("  errors     %" PRIu64 "\n", b->errors);
		printf("  build      %s\n", LW_BUILD_INFO);
		return;
	}
	printf("{\"bench\":\"lw-engine-bench\",\"ops\":%" PRIu64 ",\"seconds\":%.6f,"
	       "\"ops_per_sec\":%.1f,\"lat_ns\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f},"
	       "\"lat_method\":\"submit_time_per_request\","
	       "\"msgs_per_op\":0,\"local_grant_ratio\":1.0,\"errors\":%" PRIu64 ",",
	       b->ops, secs, ops_s, p50, p99, p999, b->errors);
	printf("\"cmdline\":");
	json_string(stdout, cmdline);
	printf(",\"build\":");
	json_string(stdout, LW_BUILD_INFO);
	printf(",\"resources\":%u,\"dist\":\"%s\",\"zipf_s\":%.2f,\"batch\":%u,"
	       "\"lockspaces\":%u,\"seed\":%" PRIu64 ",\"lcore\":%u,"
	       "\"locks\":%" PRIu64 ",\"unlocks\":%" PRIu64 ",\"queued\":%" PRIu64 ","
	       "\"resident\":%u,\"evicted\":%" PRIu64 ",\"submits\":%" PRIu64 "}\n",
	       b->o.resources, dist, b->o.zipf ? ZIPF_S : 0.0, b->o.batch, b->o.lockspaces,
	       b->o.seed, rte_lcore_id(), b->locks, b->unlocks, st->queued,
	       st->res_resident, st->res_reclaimed, b->submits);
}

/* --- command line and EAL ---------------------------------------------- */

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--resources N] [--dist uniform|zipf] [--seconds S]\n"
		"          [--batch B] [--json] [--seed X] [--lockspaces L]\n"
		"          [--lcore C] [--mem MB]\n"
		"defaults: 1000 resources, uniform, 2 s, batch 32, seed 1, 1 lockspace,\n"
		"          the last CPU allowed, memory sized from N\n", prog);
}

static int
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || x < lo || x > hi)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static int
parse_opt(struct opts *o, int c, const char *arg)
{
	uint32_t v;
	char *end;

	switch (c) {
	case 'r': return parse_u32(arg, 1, MAX_RES, &o->resources);
	case 'b': return parse_u32(arg, 1, MAX_BATCH, &o->batch);
	case 'l': return parse_u32(arg, 1, 64, &o->lockspaces);
	case 'm': return parse_u32(arg, 64, 1u << 20, &o->mem_mb);
	case 'j': o->json = true; return 0;
	case 'c':
		if (parse_u32(arg, 0, RTE_MAX_LCORE - 1, &v) < 0)
			return -EINVAL;
		o->lcore = (int)v;
		return 0;
	case 'd':
		if (strcmp(arg, "uniform") != 0 && strcmp(arg, "zipf") != 0)
			return -EINVAL;
		o->zipf = strcmp(arg, "zipf") == 0;
		return 0;
	case 's':
		o->seconds = strtod(arg, &end);
		return (*end != '\0' || !(o->seconds > 0) || o->seconds > 86400) ? -EINVAL : 0;
	case 'x':
		errno = 0;
		o->seed = strtoull(arg, &end, 0);
		return (errno != 0 || *end != '\0') ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "resources", required_argument, NULL, 'r' },
		{ "dist", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "seed", required_argument, NULL, 'x' },
		{ "lockspaces", required_argument, NULL, 'l' },
		{ "lcore", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .resources = 1000, .seconds = 2, .batch = 32, .seed = 1,
			    .lockspaces = 1, .lcore = -1 };
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (c == 'h' || c == '?' || parse_opt(o, c, optarg) < 0)
			return -EINVAL;
	}
	if (optind != argc)
		return -EINVAL;
	if (o->mem_mb == 0) {
		/* --no-huge memory is mapped, not touched: be generous. */
		uint64_t mb = 2048 + (uint64_t)(o->resources >> 20) * 1536;
		o->mem_mb = (uint32_t)RTE_MIN(mb, (uint64_t)1 << 20);
	}
	return 0;
}

static int
last_allowed_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	for (int c = RTE_MIN(CPU_SETSIZE, RTE_MAX_LCORE) - 1; c >= 0; c--)
		if (CPU_ISSET(c, &set))
			return c;
	return 0;
}

static int
eal_start(const char *prog, const struct opts *o)
{
	char lcore[16], mem[16], prefix[48];

	snprintf(lcore, sizeof(lcore), "%d", o->lcore >= 0 ? o->lcore : last_allowed_cpu());
	snprintf(mem, sizeof(mem), "%u", o->mem_mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=lwbench%d", (int)getpid());
	char *argv[] = {
		(char *)prog, "-l", lcore, "--no-huge", "-m", mem, "--no-pci", prefix,
		"--log-level=error", "--no-telemetry", NULL,
	};
	return rte_eal_init((int)RTE_DIM(argv) - 1, argv);
}

static char *
join_cmdline(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (s == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* Run until the time is up; returns the seconds measured. */
static double
run(struct bench *b)
{
	uint64_t start = rte_rdtsc();
	uint64_t end = start + (uint64_t)(b->o.seconds * (double)b->hz);
	uint64_t t;

	b->ops = b->errors = b->locks = b->unlocks = b->submits = 0;
	do {
		cycle(b, true);
		t = rte_rdtsc();
	} while (t < end);
	return (double)(t - start) / (double)b->hz;
}

int
main(int argc, char **argv)
{
	struct bench b = { 0 };
	struct lw_engine_stats st;
	char *cmdline = join_cmdline(argc, argv);
	int rc;

	if (cmdline == NULL || parse_args(argc, argv, &b.o) < 0) {
		usage(argv[0]);
		return 2;
	}
	if (eal_start(argv[0], &b.o) < 0)
		rte_exit(EXIT_FAILURE, "rte_eal_init failed\n");
	b.hz = rte_get_tsc_hz();
	b.tsc_base = rte_rdtsc();
	rc = bench_open(&b);
	if (rc == 0)
		rc = bench_alloc(&b);
	if (rc < 0)
		rte_exit(EXIT_FAILURE, "engine set-up failed: %s\n", strerror(-rc));

	warm_up(&b);
	uint64_t warm_errors = b.errors;
	double secs = run(&b);
	b.errors += warm_errors;
	if (b.pending != 0)
		b.errors += b.pending;   /* requests never answered */
	if (lw_engine_check(b.e) < 0)
		b.errors++;
	lw_engine_get_stats(b.e, &st);
	qsort(b.lat.v, b.lat.n, sizeof(*b.lat.v), cmp_float);
	report(&b, secs, cmdline, &st);

	rc = (b.errors == 0 && b.ops > 0) ? 0 : 1;
	bench_free(&b);
	free(cmdline);
	rte_eal_cleanup();
	return rc;
}
