/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_util.c — the shared half of lw-bench and lw-redis-bench (see
 * bench_util.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

/* ---- clock and randomness ---------------------------------------------- */

uint64_t
lwb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
lwb_sleep_ns(uint64_t ns, volatile const bool *stop)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		if (stop != NULL && *stop)
			return;
}

uint64_t
lwb_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint64_t
lwb_seed(uint64_t seed, uint64_t stream)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ull + stream * 0xbf58476d1ce4e5b9ull + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z != 0 ? z : 0x5bd1e995ull;
}

double
lwb_unit(uint64_t *s)
{
	return (double)(lwb_rand(s) >> 11) * 0x1.0p-53;
}

/* ---- zipf ----------------------------------------------------------------
 * Rejection-inversion (W. Hoermann, G. Derflinger, "Rejection-inversion to
 * generate variates from monotone discrete distributions", 1996): O(1) per
 * draw, no table. h(x) = x^-s; H is its integral, taken with log1p/expm1
 * so that s close to 1 stays exact.
 */

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
zh(const struct lwb_zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double
zh_int(const struct lwb_zipf *z, double x)
{
	double lx = log(x);

	return expm1_over_x((1.0 - z->s) * lx) * lx;
}

static double
zh_int_inv(const struct lwb_zipf *z, double x)
{
	double t = x * (1.0 - z->s);

	if (t < -1.0)
		t = -1.0;
	return exp(log1p_over_x(t) * x);
}

void
lwb_zipf_init(struct lwb_zipf *z, uint32_t n, double s)
{
	z->n = n;
	z->s = s;
	z->h_x1 = zh_int(z, 1.5) - 1.0;
	z->h_n = zh_int(z, (double)n + 0.5);
	z->cut = 2.0 - zh_int_inv(z, zh_int(z, 2.5) - zh(z, 2.0));
}

uint32_t
lwb_zipf_draw(const struct lwb_zipf *z, uint64_t *rng)
{
	for (;;) {
		double u = z->h_n + lwb_unit(rng) * (z->h_x1 - z->h_n);
		double x = zh_int_inv(z, u);
		double kd = floor(x + 0.5);
		uint32_t k;

		if (kd < 1.0)
			kd = 1.0;
		else if (kd > (double)z->n)
			kd = (double)z->n;
		k = (uint32_t)kd;
		if (kd - x <= z->cut || u >= zh_int(z, kd + 0.5) - zh(z, kd))
			return k - 1;
	}
}

/* ---- histogram ------------------------------------------------------------ */

static unsigned int
hist_idx(uint64_t v)
{
	unsigned int e;

	if (v < 64)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);
	if (e > 45)
		return LWB_HIST_N - 1;
	return 64u + (e - 6u) * LWB_HIST_SUB + (unsigned int)((v >> (e - 5)) & (LWB_HIST_SUB - 1));
}

static uint64_t
hist_upper(unsigned int i)
{
	unsigned int e, sub;

	if (i < 64)
		return i;
	e = (i - 64u) / LWB_HIST_SUB + 6u;
	sub = (i - 64u) % LWB_HIST_SUB;
	return ((uint64_t)(LWB_HIST_SUB + sub + 1) << (e - 5)) - 1;
}

void
lwb_hist_add(struct lwb_hist *h, uint64_t ns)
{
	h->n[hist_idx(ns)]++;
	h->count++;
	if (ns > h->max)
		h->max = ns;
}

void
lwb_hist_add_n(struct lwb_hist *h, uint64_t ns, uint64_t count)
{
	h->n[hist_idx(ns)] += count;
	h->count += count;
	if (count > 0 && ns > h->max)
		h->max = ns;
}

void
lwb_hist_merge(struct lwb_hist *dst, const struct lwb_hist *src)
{
	unsigned int i;

	for (i = 0; i < LWB_HIST_N; i++)
		dst->n[i] += src->n[i];
	dst->count += src->count;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
lwb_hist_pct(const struct lwb_hist *h, double q)
{
	uint64_t want, acc = 0;
	unsigned int i;

	if (h->count == 0)
		return 0;
	want = (uint64_t)(q * (double)h->count);
	if (want >= h->count)
		want = h->count - 1;
	for (i = 0; i < LWB_HIST_N; i++) {
		acc += h->n[i];
		if (acc > want)
			return hist_upper(i) < h->max ? hist_upper(i) : h->max;
	}
	return h->max;
}

void
lwb_hist_json(const struct lwb_hist *h, FILE *f)
{
	bool first = true;
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < LWB_HIST_N; i++) {
		if (h->n[i] == 0)
			continue;
		fprintf(f, "%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",", hist_upper(i), h->n[i]);
		first = false;
	}
	fputc(']', f);
}

/* ---- options ------------------------------------------------------------- */

void
lwb_opts_defaults(struct lwb_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threads = 1;
	o->depth = 16;
	o->resources = 1000;
	o->dist = LWB_UNIFORM;
	o->ex_pct = 50;
	o->pr_pct = 50;
	o->seconds = 5;
	o->warmup = 1;
	o->seed = 1;
}

static int
num(const char *s, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(*v >= lo && *v <= hi))
		return -EINVAL;
	return 0;
}

int
lwb_parse_mix(const char *s, uint32_t *ex, uint32_t *pr)
{
	char buf[64], *tok, *save = NULL;
	double v;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*ex = *pr = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "ex=", 3) == 0 && num(tok + 3, 0, 100, &v) == 0)
			*ex = (uint32_t)v;
		else if (strncmp(tok, "pr=", 3) == 0 && num(tok + 3, 0, 100, &v) == 0)
			*pr = (uint32_t)v;
		else
			return -EINVAL;
	}
	return *ex + *pr <= 100 ? 0 : -EINVAL;
}

/* One option's value; the table follows LWB_COMMON_LONGOPTS. */
static int
common_value(struct lwb_opts *o, int k, const char *arg)
{
	double v;
	int rc = 0;

	switch (k) {
	case 0: rc = num(arg, 1, LWB_MAX_THREADS, &v); o->threads = (uint32_t)v; break;
	case 1: rc = num(arg, 1, LWB_MAX_DEPTH, &v); o->depth = (uint32_t)v; break;
	case 2: rc = num(arg, 1, LWB_MAX_RESOURCES, &v); o->resources = (uint32_t)v; break;
	case 3:
		if (strcmp(arg, "uniform") == 0)
			o->dist = LWB_UNIFORM;
		else if (strcmp(arg, "zipf") == 0)
			o->dist = LWB_ZIPF;
		else
			rc = -EINVAL;
		break;
	case 4: rc = lwb_parse_mix(arg, &o->ex_pct, &o->pr_pct); break;
	case 5: rc = num(arg, 0, 1, &o->locality); break;
	case 6: rc = num(arg, 0, 1e7, &v); o->hold_us = (uint32_t)v; break;
	case 7: rc = num(arg, 0.01, 86400, &o->seconds); break;
	case 8: rc = num(arg, 0, 3600, &o->warmup); break;
	case 9: rc = num(arg, 0, 1e18, &v); o->seed = (uint64_t)v; break;
	case 10: o->json = true; break;
	default: return 0;
	}
	return rc;
}

int
lwb_opt_common(struct lwb_opts *o, int c, const char *arg, const char *prog)
{
	static const char *const names[] = { "threads", "depth", "resources", "dist", "mix",
		"locality", "hold-us", "seconds", "warmup", "seed", "json" };
	int k = c - LWB_OPT_BASE;

	if (k < 0 || k >= (int)(sizeof(names) / sizeof(names[0])))
		return 0;
	if (common_value(o, k, arg) != 0) {
		fprintf(stderr, "%s: bad value for --%s: '%s' (try --help)\n", prog, names[k],
			arg != NULL ? arg : "");
		return -EINVAL;
	}
	return 1;
}

/* ---- workload ------------------------------------------------------------ */

uint32_t
lwb_pick_rank(const struct lwb_opts *o, const struct lwb_zipf *z, uint64_t *rng)
{
	if (o->dist == LWB_ZIPF && z != NULL)
		return lwb_zipf_draw(z, rng);
	return (uint32_t)(lwb_rand(rng) % o->resources);
}

int
lwb_pick_mode(const struct lwb_opts *o, uint64_t *rng)
{
	uint32_t p = (uint32_t)(lwb_rand(rng) % 100);

	if (p < o->ex_pct)
		return 5;       /* EX */
	if (p < o->ex_pct + o->pr_pct)
		return 3;       /* PR */
	return 1;               /* CR */
}

/* ---- output -------------------------------------------------------------- */

void
lwb_cmdline(int argc, char **argv, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < argc && off + 1 < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

void
lwb_json_string(FILE *f, const char *s)
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
json_ratio(FILE *f, const char *key, double v)
{
	if (v < 0)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%.4f", key, v);
}

void
lwb_json_begin(FILE *f, const char *name, const struct lwb_result *r,
	       const struct lwb_opts *o, const char *cmdline)
{
	fprintf(f, "{\"bench\":\"%s\",\"ops\":%" PRIu64 ",\"seconds\":%.6f,\"ops_per_sec\":%.1f,"
		"\"lat_ns\":{\"p50\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64
		",\"max\":%" PRIu64 "}",
		name, r->ops, r->seconds, r->seconds > 0 ? (double)r->ops / r->seconds : 0.0,
		lwb_hist_pct(&r->hist, 0.50), lwb_hist_pct(&r->hist, 0.99),
		lwb_hist_pct(&r->hist, 0.999), r->hist.max);
	json_ratio(f, "msgs_per_op", r->msgs_per_op);
	json_ratio(f, "local_grant_ratio", r->local_grant_ratio);
	fprintf(f, ",\"errors\":%" PRIu64 ",\"cmdline\":", r->errors);
	lwb_json_string(f, cmdline);
	fputs(",\"build\":", f);
	lwb_json_string(f, LW_BUILD_INFO);
	fprintf(f, ",\"locks\":%" PRIu64 ",\"threads\":%u,\"depth\":%u,\"resources\":%u,"
		"\"dist\":\"%s\",\"zipf_s\":%.2f,\"ex_pct\":%u,\"pr_pct\":%u,\"locality\":%.3f,"
		"\"hold_us\":%u,\"warmup\":%.3f,\"seed\":%" PRIu64,
		r->locks, o->threads, o->depth, o->resources,
		o->dist == LWB_ZIPF ? "zipf" : "uniform", o->dist == LWB_ZIPF ? LWB_ZIPF_S : 0.0,
		o->ex_pct, o->pr_pct, o->locality, o->hold_us, o->warmup, o->seed);
}

void
lwb_json_end(FILE *f, const struct lwb_result *r)
{
	fputs(",\"hist\":", f);
	lwb_hist_json(&r->hist, f);
	fputs("}\n", f);
}

void
lwb_print_text(FILE *f, const char *name, const struct lwb_result *r,
	       const struct lwb_opts *o)
{
	double rate = r->seconds > 0 ? (double)r->ops / r->seconds : 0.0;

	fprintf(f, "%s: %u thread(s) x depth %u, %u resources %s, ex=%u%% pr=%u%%, "
		"locality %.2f, hold %u us\n", name, o->threads, o->depth, o->resources,
		o->dist == LWB_ZIPF ? "zipf 0.99" : "uniform", o->ex_pct, o->pr_pct,
		o->locality, o->hold_us);
	fprintf(f, "  ops      %" PRIu64 " in %.3f s = %.1f K ops/s (%" PRIu64 " locks)\n",
		r->ops, r->seconds, rate / 1e3, r->locks);
	fprintf(f, "  lock latency p50 %.1f us  p99 %.1f us  p999 %.1f us  max %.1f us\n",
		(double)lwb_hist_pct(&r->hist, 0.50) / 1e3, (double)lwb_hist_pct(&r->hist, 0.99) / 1e3,
		(double)lwb_hist_pct(&r->hist, 0.999) / 1e3, (double)r->hist.max / 1e3);
	if (r->msgs_per_op >= 0)
		fprintf(f, "  msgs/op  %.3f\n", r->msgs_per_op);
	if (r->local_grant_ratio >= 0)
		fprintf(f, "  local grants %.1f %%\n", 100.0 * r->local_grant_ratio);
	fprintf(f, "  errors   %" PRIu64 "\n  build    %s\n", r->errors, LW_BUILD_INFO);
}
