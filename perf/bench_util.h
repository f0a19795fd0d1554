/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_util.h — what lw-bench and lw-redis-bench share, so that both
 * generate the same workload and report it the same way: the clock, a
 * random generator, the zipf sampler, the latency histogram, the workload
 * (resource names, lock modes), the options both take and the JSON of
 * docs PERF.md.
 *
 * DESIGN
 * Nothing here allocates after set-up or takes a lock: each load thread
 * owns its generator and its histogram; the zipf sampler and the options
 * are read-only once the threads run. The histogram is log-bucketed (64
 * exact buckets below 64 ns, then 32 buckets per power of two: at most 3 %
 * error) with the layout of lockwired's built-in driver, so histograms from
 * the driver's JSON merge exactly.
 */
#ifndef LW_PERF_BENCH_UTIL_H
#define LW_PERF_BENCH_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef LW_BUILD_INFO
#define LW_BUILD_INFO "unknown"
#endif

#define LWB_ZIPF_S       0.99
#define LWB_MAX_RESOURCES (1u << 24)
#define LWB_MAX_THREADS  1024u
#define LWB_MAX_DEPTH    1024u
#define LWB_NAME_MAX     64u

/* ---- clock and randomness ---------------------------------------------- */

/** CLOCK_MONOTONIC in ns. */
uint64_t lwb_now_ns(void);

/** Sleep ns (nanosleep, restarted on EINTR unless *stop becomes true). */
void lwb_sleep_ns(uint64_t ns, volatile const bool *stop);

/** xorshift64* step; the state must not be 0 (lwb_seed never returns 0). */
uint64_t lwb_rand(uint64_t *s);
uint64_t lwb_seed(uint64_t seed, uint64_t stream);
/** Uniform in [0, 1). */
double lwb_unit(uint64_t *s);

/* ---- zipf: rejection-inversion sampling (Hoermann & Derflinger) ---------- */

struct lwb_zipf {
	uint32_t n;
	double s, h_x1, h_n, cut;
};

void lwb_zipf_init(struct lwb_zipf *z, uint32_t n, double s);
/** A rank 0..n-1, rank 0 the most frequent. */
uint32_t lwb_zipf_draw(const struct lwb_zipf *z, uint64_t *rng);

/* ---- latency histogram ------------------------------------------------- */

/* A FIFO of slot numbers (power-of-two ring; the caller never pushes more than n). */
struct lwb_fifo {
	uint32_t *v;
	uint32_t mask, head, n;
};

/** Room for n entries. @return 0 or -ENOMEM. */
static inline int
lwb_fifo_init(struct lwb_fifo *f, uint32_t n)
{
	uint32_t cap = 1;

	while (cap < n)
		cap <<= 1;
	f->v = calloc(cap, sizeof(*f->v));
	f->mask = cap - 1;
	f->head = f->n = 0;
	return f->v == NULL ? -ENOMEM : 0;
}

static inline void
lwb_fifo_push(struct lwb_fifo *f, uint32_t x)
{
	f->v[(f->head + f->n++) & f->mask] = x;
}

static inline uint32_t
lwb_fifo_peek(const struct lwb_fifo *f)
{
	return f->v[f->head];
}

static inline uint32_t
lwb_fifo_pop(struct lwb_fifo *f)
{
	uint32_t x = f->v[f->head];

	f->head = (f->head + 1) & f->mask;
	f->n--;
	return x;
}

#define LWB_HIST_SUB 32u
#define LWB_HIST_N   (64u + 40u * LWB_HIST_SUB)

struct lwb_hist {
	uint64_t n[LWB_HIST_N];
	uint64_t count, max;
};

void lwb_hist_add(struct lwb_hist *h, uint64_t ns);
void lwb_hist_merge(struct lwb_hist *dst, const struct lwb_hist *src);
/** Add count samples of value ns (merging a histogram read from JSON). */
void lwb_hist_add_n(struct lwb_hist *h, uint64_t ns, uint64_t count);
/** The upper bound (ns) of the bucket holding quantile q (0..1); 0 when empty. */
uint64_t lwb_hist_pct(const struct lwb_hist *h, double q);
/** [[upper_ns, count], ...] over the non-empty buckets. */
void lwb_hist_json(const struct lwb_hist *h, FILE *f);

/* ---- workload ---------------------------------------------------------- */

enum lwb_dist { LWB_UNIFORM, LWB_ZIPF };

/** What both generators take on the command line. */
struct lwb_opts {
	uint32_t threads;        /**< client threads (connections); default 1 */
	uint32_t depth;          /**< requests in flight per thread; default 16 */
	uint32_t resources;      /**< names per set; default 1000 */
	enum lwb_dist dist;      /**< default uniform */
	uint32_t ex_pct;         /**< default 50 */
	uint32_t pr_pct;         /**< default 50 (rest CR) */
	double locality;         /**< 0..1, default 0 */
	uint32_t hold_us;        /**< default 0 */
	double seconds;          /**< default 5 */
	double warmup;           /**< default 1 */
	uint64_t seed;           /**< default 1 */
	bool json;
};

/* Long options both take: codes LWB_OPT_BASE.. (see lwb_opt_common). */
#define LWB_OPT_BASE 0x1000
#define LWB_COMMON_LONGOPTS \
	{ "threads", required_argument, NULL, LWB_OPT_BASE + 0 }, \
	{ "depth", required_argument, NULL, LWB_OPT_BASE + 1 }, \
	{ "resources", required_argument, NULL, LWB_OPT_BASE + 2 }, \
	{ "dist", required_argument, NULL, LWB_OPT_BASE + 3 }, \
	{ "mix", required_argument, NULL, LWB_OPT_BASE + 4 }, \
	{ "locality", required_argument, NULL, LWB_OPT_BASE + 5 }, \
	{ "hold-us", required_argument, NULL, LWB_OPT_BASE + 6 }, \
	{ "seconds", required_argument, NULL, LWB_OPT_BASE + 7 }, \
	{ "warmup", required_argument, NULL, LWB_OPT_BASE + 8 }, \
	{ "seed", required_argument, NULL, LWB_OPT_BASE + 9 }, \
	{ "json", no_argument, NULL, LWB_OPT_BASE + 10 }

#define LWB_COMMON_HELP \
	"  --threads T          client threads, one session/connection each (default 1)\n" \
	"  --depth D            requests in flight per thread (default 16; 1: round trips)\n" \
	"  --resources R        resource names per set (default 1000)\n" \
	"  --dist uniform|zipf  how names are drawn (zipf: skew 0.99, name 0 hottest)\n" \
	"  --mix ex=E,pr=P      percent of EX and PR locks; the rest CR (default ex=50,pr=50)\n" \
	"  --locality L         0..1: share of locks on the node's private set (default 0)\n" \
	"  --hold-us H          hold each granted lock H us (default 0)\n" \
	"  --seconds S          measured time (default 5)\n" \
	"  --warmup S           unmeasured time before it (default 1)\n" \
	"  --seed X             random seed (default 1)\n" \
	"  --json               one JSON object on stdout (keys of PERF.md)\n"

void lwb_opts_defaults(struct lwb_opts *o);

/**
 * Handle option code c (one of LWB_COMMON_LONGOPTS) with argument arg.
 * @return 1 handled, 0 not a common option, -EINVAL bad value (a message
 * on stderr naming prog).
 */
int lwb_opt_common(struct lwb_opts *o, int c, const char *arg, const char *prog);

/** Parse "ex=E,pr=P" (either may be missing: 0). @return 0 or -EINVAL. */
int lwb_parse_mix(const char *s, uint32_t *ex, uint32_t *pr);

/** A rank by the distribution (zipf may be NULL for uniform). */
uint32_t lwb_pick_rank(const struct lwb_opts *o, const struct lwb_zipf *z, uint64_t *rng);

/** A lock mode by the mix: 5 EX, 3 PR, 1 CR (lockwire's mode numbers). */
int lwb_pick_mode(const struct lwb_opts *o, uint64_t *rng);

/* ---- output ------------------------------------------------------------ */

/** argv joined by spaces, into buf. */
void lwb_cmdline(int argc, char **argv, char *buf, size_t len);

/** s as a JSON string, escaped. */
void lwb_json_string(FILE *f, const char *s);

/** What every benchmark reports (PERF.md). */
struct lwb_result {
	uint64_t ops;            /**< requests answered: locks + unlocks */
	uint64_t locks;          /**< lock requests answered */
	uint64_t errors;         /**< unexpected statuses */
	double seconds;          /**< measured time */
	double msgs_per_op;      /**< < 0: unknown (JSON null) */
	double local_grant_ratio;/**< < 0: unknown (JSON null) */
	struct lwb_hist hist;    /**< lock latency, ns */
};

/**
 * Print the PERF.md keys as the start of a JSON object (no closing brace):
 * {"bench":NAME,"ops":..,"seconds":..,"ops_per_sec":..,"lat_ns":{..},
 *  "msgs_per_op":..,"local_grant_ratio":..,"errors":..,"cmdline":..,
 *  "build":.., then the workload options. The caller adds its own keys
 * (each starting with a comma), then calls lwb_json_end.
 */
void lwb_json_begin(FILE *f, const char *name, const struct lwb_result *r,
		    const struct lwb_opts *o, const char *cmdline);
/** ,"hist":[...]} and a newline. */
void lwb_json_end(FILE *f, const struct lwb_result *r);

/** A few readable lines with the same figures. */
void lwb_print_text(FILE *f, const char *name, const struct lwb_result *r,
		    const struct lwb_opts *o);

#endif /* LW_PERF_BENCH_UTIL_H */
