/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lw_bench.c — lw-bench, lockwire's load generator.
 *
 *   lw-bench --socket PATH [--socket PATH ...] [--threads T] [--depth D]
 *            [--resources R] [--dist uniform|zipf] [--mix ex=E,pr=P]
 *            [--locality L] [--hold-us H] [--seconds S] [--warmup S] [--json]
 *            [--poll spin|adaptive|block] [--spin N]
 *   lw-bench --embedded [--nodes N] [--workers W] [--build DIR] [...same load flags]
 *
 * DESIGN
 * Client mode (the default): T threads, each one liblockwire session on
 * the sockets taken in turn (thread i on socket i % count; each socket is
 * one node), each keeping D asynchronous requests in flight
 * (lw_bench_client.c says how a slot runs). The main thread lets the load
 * run --warmup seconds, reads every node's /lockwire/stats, opens the
 * measured phase for --seconds, reads the counters again, ends the load
 * and waits for every answer. Throughput counts locks and unlocks answered
 * in the measured phase; latency is per lock request; msgs_per_op and
 * local_grant_ratio come from the daemons' counters over that time
 * (lw_bench_tel.c).
 *
 * Embedded mode: the same load generated inside lockwired's workers by
 * the built-in driver, for peak numbers without client threads competing
 * for the cores (lw_bench_embedded.c).
 *
 * Output: readable lines, or with --json one JSON object with the keys of
 * docs PERF.md (bench_util.h). Exit code 0 when the run went through with
 * no error, 1 when requests failed or a thread gave up, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lw_bench.h"

#ifndef LW_SOURCE_ROOT
#define LW_SOURCE_ROOT "."
#endif
#ifndef LW_BUILD_ROOT
#define LW_BUILD_ROOT "build/release"
#endif

#define START_TIMEOUT_NS (15ull * 1000000000ull)
#define SLICE_NS         (50ull * 1000000ull)

static volatile bool interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = true;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: lw-bench --socket PATH [--socket PATH ...] [options]\n"
		"       lw-bench --embedded [--nodes N] [--workers W] [options]\n"
		"\n"
		"the load (both modes):\n"
		LWB_COMMON_HELP
		"\n"
		"client mode:\n"
		"  --socket PATH        a node's client socket; repeat for several nodes\n"
		"                       (thread i connects to socket i %% count)\n"
		"  --poll spin|adaptive|block  how threads wait for answers (default adaptive)\n"
		"  --spin N             adaptive: empty polls before blocking (default 500\n"
		"                       when threads < CPUs, else 0: more threads than CPUs\n"
		"                       would only take turns spinning)\n"
		"\n"
		"embedded mode (load inside lockwired's workers, built-in driver):\n"
		"  --embedded           start a cluster with scripts/cluster.sh, run, stop it\n"
		"  --nodes N            nodes (default 1)\n"
		"  --workers W          workers per node (default 1); each runs T x D slots\n"
		"                       (at most 1024)\n"
		"  --transport memif|tap  (default memif)\n"
		"  --build DIR          build directory (default %s)\n"
		"  --cluster-script P   (default %s/scripts/cluster.sh)\n"
		"  --dir DIR            cluster directory (default: a new /tmp/lwb-XXXXXX)\n"
		"  --keep               keep the cluster directory (logs, driver files)\n",
		LW_BUILD_ROOT, LW_SOURCE_ROOT);
#ifndef LWB_HAVE_CLIENT
	fprintf(f, "\nthis lw-bench was built without liblockwire: only --embedded works\n");
#endif
}

enum { O_SOCKET = 1, O_POLL, O_SPIN, O_EMBEDDED, O_NODES, O_WORKERS, O_BUILD, O_SCRIPT,
       O_DIR, O_TRANSPORT, O_KEEP, O_HELP };

static int
own_option(struct lwb_conf *c, int opt, const char *arg)
{
	char *end;
	unsigned long v;

	switch (opt) {
	case O_SOCKET:
		if (c->nsockets == LWB_MAX_SOCKETS)
			return -EINVAL;
		c->sockets[c->nsockets++] = arg;
		return 0;
	case O_POLL:
		if (strcmp(arg, "spin") == 0)
			c->poll = LWB_POLL_SPIN;
		else if (strcmp(arg, "adaptive") == 0)
			c->poll = LWB_POLL_ADAPTIVE;
		else if (strcmp(arg, "block") == 0)
			c->poll = LWB_POLL_BLOCK;
		else
			return -EINVAL;
		return 0;
	case O_EMBEDDED: c->embedded = true; return 0;
	case O_BUILD: c->build = arg; return 0;
	case O_SCRIPT: c->cluster_sh = arg; return 0;
	case O_DIR: c->dir = arg; return 0;
	case O_TRANSPORT: c->transport = arg; return 0;
	case O_KEEP: c->keep = true; return 0;
	default: break;
	}
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0')
		return -EINVAL;
	if (opt == O_SPIN && v <= 100000000)
		c->spin = (uint32_t)v;
	else if (opt == O_NODES && v >= 1 && v <= 32)
		c->nodes = (unsigned int)v;
	else if (opt == O_WORKERS && v >= 1 && v <= 32)
		c->workers = (unsigned int)v;
	else
		return -EINVAL;
	return 0;
}

static const char *
opt_name(const struct option *opts, int code)
{
	for (; opts->name != NULL; opts++)
		if (opts->val == code)
			return opts->name;
	return "?";
}

static int
parse_args(int argc, char **argv, struct lwb_conf *c)
{
	static const struct option opts[] = {
		LWB_COMMON_LONGOPTS,
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "poll", required_argument, NULL, O_POLL },
		{ "spin", required_argument, NULL, O_SPIN },
		{ "embedded", no_argument, NULL, O_EMBEDDED },
		{ "nodes", required_argument, NULL, O_NODES },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "build", required_argument, NULL, O_BUILD },
		{ "cluster-script", required_argument, NULL, O_SCRIPT },
		{ "dir", required_argument, NULL, O_DIR },
		{ "transport", required_argument, NULL, O_TRANSPORT },
		{ "keep", no_argument, NULL, O_KEEP },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	memset(c, 0, sizeof(*c));
	lwb_opts_defaults(&c->o);
	c->poll = LWB_POLL_ADAPTIVE;
	c->spin = UINT32_MAX;   /* auto: see client_run */
	c->nodes = c->workers = 1;
	c->build = LW_BUILD_ROOT;
	c->cluster_sh = LW_SOURCE_ROOT "/scripts/cluster.sh";
	c->transport = "memif";
	lwb_cmdline(argc, argv, c->cmdline, sizeof(c->cmdline));
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == O_HELP) {
			usage(stdout);
			exit(0);
		}
		if (opt == '?' || opt == ':') {
			fprintf(stderr, "lw-bench: unknown option or missing value: '%s' (try --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
		rc = lwb_opt_common(&c->o, opt, optarg, "lw-bench");
		if (rc < 0)
			return rc;
		if (rc == 0 && own_option(c, opt, optarg) != 0) {
			fprintf(stderr, "lw-bench: bad value for --%s: '%s' (try --help)\n",
				opt_name(opts, opt), optarg != NULL ? optarg : "");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lw-bench: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!c->embedded && c->nsockets == 0) {
		fprintf(stderr, "lw-bench: give --socket PATH (client mode) or --embedded\n");
		return -EINVAL;
	}
	return 0;
}

/* ---- client mode ----------------------------------------------------------- */

#ifndef LWB_HAVE_CLIENT
static int
client_run(struct lwb_conf *c)
{
	(void)c;
	fprintf(stderr, "lw-bench: built without liblockwire: only --embedded works\n");
	return 1;
}
#else

/* Sleep ns unless a loader fails or a signal comes. @return false then. */
static bool
run_for(struct lwb_shared *sh, uint64_t ns)
{
	uint64_t end = lwb_now_ns() + ns, now;

	while ((now = lwb_now_ns()) < end) {
		if (interrupted || atomic_load(&sh->failed) > 0)
			return false;
		lwb_sleep_ns(end - now < SLICE_NS ? end - now : SLICE_NS, &interrupted);
	}
	return !interrupted && atomic_load(&sh->failed) == 0;
}

/* Wait until every loader connected (or one failed). */
static bool
all_connected(struct lwb_shared *sh, unsigned int n)
{
	uint64_t end = lwb_now_ns() + START_TIMEOUT_NS;

	while (atomic_load(&sh->ready) + atomic_load(&sh->failed) < n) {
		if (interrupted || lwb_now_ns() > end)
			return false;
		lwb_sleep_ns(1000000, &interrupted);
	}
	return atomic_load(&sh->failed) == 0;
}

static void
read_stats(const struct lwb_conf *c, struct lwb_node_stats *st)
{
	unsigned int i;
	int rc;

	for (i = 0; i < c->nsockets; i++) {
		rc = lwb_node_stats(c->sockets[i], &st[i]);
		if (rc != 0)
			fprintf(stderr, "lw-bench: cannot read /lockwire/stats of %s: %s\n",
				c->sockets[i], strerror(-rc));
	}
}

/* The load: warm-up, measured phase, end. @return false when it went wrong. */
static bool
drive(const struct lwb_conf *c, struct lwb_shared *sh, struct lwb_node_stats *before,
      struct lwb_node_stats *after, struct lwb_result *r)
{
	uint64_t t0, t1;

	if (!all_connected(sh, c->o.threads))
		return false;
	if (!run_for(sh, (uint64_t)(c->o.warmup * 1e9)))
		return false;
	read_stats(c, before);
	t0 = lwb_now_ns();
	atomic_store(&sh->phase, LWB_MEASURE);
	run_for(sh, (uint64_t)(c->o.seconds * 1e9));
	atomic_store(&sh->phase, LWB_STOP);
	t1 = lwb_now_ns();
	read_stats(c, after);
	r->seconds = (double)(t1 - t0) / 1e9;
	return !interrupted && atomic_load(&sh->failed) == 0;
}

static int
client_run(struct lwb_conf *c)
{
	struct lwb_node_stats before[LWB_MAX_SOCKETS] = { 0 }, after[LWB_MAX_SOCKETS] = { 0 };
	struct lwb_loader **ls = calloc(c->o.threads, sizeof(*ls));
	struct lwb_shared sh = { .conf = c };
	struct lwb_result *r = calloc(1, sizeof(*r));
	unsigned int i, started = 0, bad = 0;
	bool ok = false;

	if (ls == NULL || r == NULL) {
		fprintf(stderr, "lw-bench: out of memory\n");
		return 1;
	}
	lwb_zipf_init(&sh.zipf, c->o.resources, LWB_ZIPF_S);
	atomic_init(&sh.phase, LWB_WARMUP);
	if (c->spin == UINT32_MAX)
		c->spin = c->o.threads < (unsigned int)sysconf(_SC_NPROCESSORS_ONLN) ? 500 : 0;
	for (i = 0; i < c->o.threads; i++, started++) {
		ls[i] = lwb_loader_start(&sh, i);
		if (ls[i] == NULL) {
			fprintf(stderr, "lw-bench: thread %u: %s\n", i, strerror(errno));
			break;
		}
	}
	if (started == c->o.threads)
		ok = drive(c, &sh, before, after, r);
	atomic_store(&sh.phase, LWB_STOP);
	for (i = 0; i < started; i++)
		bad += lwb_loader_join(ls[i], r) != 0;
	free(ls);
	if (ok && bad == 0) {
		lwb_stats_delta(before, after, c->nsockets, r);
		if (c->o.json) {
			lwb_json_begin(stdout, "lw-bench", r, &c->o, c->cmdline);
			static const char *const polls[] = { "spin", "adaptive", "block" };

			printf(",\"mode\":\"client\",\"nodes\":%u,\"poll\":\"%s\",\"spin\":%u",
			       c->nsockets, polls[c->poll], c->spin);
			lwb_json_end(stdout, r);
		} else {
			lwb_print_text(stdout, "lw-bench (client mode)", r, &c->o);
		}
	} else {
		fprintf(stderr, "lw-bench: %s\n", interrupted ? "interrupted" :
			"the run did not complete (see above)");
	}
	i = ok && bad == 0 && r->errors == 0 ? 0 : 1;
	free(r);
	return (int)i;
}

#endif /* LWB_HAVE_CLIENT */

int
main(int argc, char **argv)
{
	struct lwb_conf *c = calloc(1, sizeof(*c));
	struct sigaction sa = { .sa_handler = on_signal };
	int rc;

	if (c == NULL)
		return 1;
	if (parse_args(argc, argv, c) != 0) {
		free(c);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = c->embedded ? lwb_embedded_run(c, &interrupted) : client_run(c);
	free(c);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
