/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lw_bench_embedded.c — lw-bench --embedded: the load generated inside
 * lockwired's workers by the built-in driver (daemon/driver.h), for peak
 * figures on a small machine where client threads would compete with the
 * workers for the cores.
 *
 * DESIGN
 * The flags become a driver spec: seconds, outstanding = threads x depth
 * per worker (at most 1024), resources, dist, ex, pr, locality, hold-us;
 * conversions, NOQUEUE and value blocks off (the client mode does none of
 * them). scripts/cluster.sh starts N nodes x W workers (memif mesh) with
 * "--driver SPEC --driver-out DIR/res"; lw-bench waits for every worker's
 * DIR/res.nK.wJ.json, reads each node's /lockwire/stats while the nodes
 * still run (the driver was their only load, so the totals are the run's),
 * stops the cluster, and merges the files: ops and locks summed, seconds
 * the longest worker's run, latency histograms merged bucket by bucket
 * (the same layout as bench_util.h), msgs_per_op and local_grant_ratio
 * from the counters (else from the files, weighted by ops).
 *
 * Differences from the client mode: no warm-up (the driver measures from
 * its start; the first locks of each name are cold), and the private set
 * of --locality holds names mastered on the node itself (the driver knows
 * the bucket map), not only names no other node uses.
 *
 * The cluster is stopped on every path, also after a signal; the
 * directory is removed unless --dir or --keep was given, or the run failed
 * (its logs tell why).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "lw_bench.h"

#define MAX_SLOTS      1024u
#define EXTRA_WAIT_NS  (90ull * 1000000000ull)

struct emb {
	const struct lwb_conf *c;
	volatile bool *stop;
	char dir[256];
	char spec[512];
	uint32_t outstanding;
	bool started;
};

/* Run argv with stdout sent to stderr; @return its exit status, or -1. */
static int
run(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(2, 1);
		execv(argv[0], argv);
		fprintf(stderr, "lw-bench: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
cluster_start(struct emb *e)
{
	const struct lwb_conf *c = e->c;
	char nodes[16], workers[16], dargs[1024];
	char *argv[] = { (char *)c->cluster_sh, "start", "--nodes", nodes, "--workers", workers,
			 "--transport", (char *)c->transport, "--dir", e->dir, "--build",
			 (char *)c->build, "--timeout", "60", "--daemon-args", dargs, NULL };

	snprintf(nodes, sizeof(nodes), "%u", c->nodes);
	snprintf(workers, sizeof(workers), "%u", c->workers);
	snprintf(dargs, sizeof(dargs), "--driver %s --driver-out %s/res", e->spec, e->dir);
	e->started = true;
	return run(argv) == 0 ? 0 : -1;
}

static void
cluster_stop(struct emb *e)
{
	char *argv[] = { (char *)e->c->cluster_sh, "stop", "--dir", e->dir, NULL };

	if (e->started && run(argv) != 0)
		fprintf(stderr, "lw-bench: scripts/cluster.sh stop --dir %s reported a problem\n",
			e->dir);
	e->started = false;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
make_spec(struct emb *e)
{
	const struct lwb_opts *o = &e->c->o;
	uint64_t slots = (uint64_t)o->threads * o->depth;

	e->outstanding = slots > MAX_SLOTS ? MAX_SLOTS : (uint32_t)slots;
	snprintf(e->spec, sizeof(e->spec),
		 "seconds=%g,outstanding=%u,resources=%u,dist=%s,ex=%u,pr=%u,locality=%g,"
		 "hold-us=%u,convert=0,noqueue=0,lvb=0,seed=%" PRIu64,
		 o->seconds, e->outstanding, o->resources, o->dist == LWB_ZIPF ? "zipf" : "uniform",
		 o->ex_pct, o->pr_pct, o->locality, o->hold_us, o->seed);
}

static void
res_path(const struct emb *e, unsigned int node, unsigned int worker, char *buf, size_t len)
{
	snprintf(buf, len, "%s/res.n%u.w%u.json", e->dir, node, worker);
}

/* Wait for every worker's result file. @return 0, or -1 (timeout, signal, a node died). */
static int
wait_results(struct emb *e)
{
	uint64_t end = lwb_now_ns() + (uint64_t)(e->c->o.seconds * 1e9) + EXTRA_WAIT_NS;
	char path[512];
	unsigned int k, w, have;

	for (;;) {
		have = 0;
		for (k = 1; k <= e->c->nodes; k++)
			for (w = 0; w < e->c->workers; w++) {
				res_path(e, k, w, path, sizeof(path));
				have += access(path, R_OK) == 0;
			}
		if (have == e->c->nodes * e->c->workers)
			return 0;
		for (k = 1; k <= e->c->nodes; k++) {
			snprintf(path, sizeof(path), "%s/node%u.exit", e->dir, k);
			if (access(path, F_OK) == 0) {
				fprintf(stderr, "lw-bench: node %u ended during the run (log %s/node%u.log)\n",
					k, e->dir, k);
				return -1;
			}
		}
		if (*e->stop || lwb_now_ns() > end) {
			fprintf(stderr, "lw-bench: %s with %u of %u result files\n",
				*e->stop ? "interrupted" : "timed out", have,
				e->c->nodes * e->c->workers);
			return -1;
		}
		lwb_sleep_ns(100000000u, e->stop);
	}
}

static uint64_t
ju64(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

/* Add one worker's file into r; msgs/grant ratios weighted by ops into wm, wl. */
static int
merge_file(const char *path, struct lwb_result *r, double *wm, double *wl)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr), *h, *pair;
	double secs, ops;
	size_t i;

	if (j == NULL) {
		fprintf(stderr, "lw-bench: %s: %s\n", path, jerr.text);
		return -1;
	}
	ops = (double)ju64(j, "ops");
	r->ops += ju64(j, "ops");
	r->locks += ju64(j, "locks");
	r->errors += ju64(j, "errors");
	secs = json_number_value(json_object_get(j, "seconds"));
	if (secs > r->seconds)
		r->seconds = secs;
	*wm += ops * json_number_value(json_object_get(j, "msgs_per_op"));
	*wl += ops * json_number_value(json_object_get(j, "local_grant_ratio"));
	h = json_object_get(j, "hist");
	json_array_foreach(h, i, pair)
		lwb_hist_add_n(&r->hist, (uint64_t)json_integer_value(json_array_get(pair, 0)),
			       (uint64_t)json_integer_value(json_array_get(pair, 1)));
	json_decref(j);
	return 0;
}

/* Merge the files; their own msgs_per_op and local_grant_ratio go to fallback[2]. */
static int
merge_results(const struct emb *e, struct lwb_result *r, double fallback[2])
{
	double wm = 0, wl = 0;
	char path[512];
	unsigned int k, w;

	for (k = 1; k <= e->c->nodes; k++)
		for (w = 0; w < e->c->workers; w++) {
			res_path(e, k, w, path, sizeof(path));
			if (merge_file(path, r, &wm, &wl) != 0)
				return -1;
		}
	fallback[0] = r->ops > 0 ? wm / (double)r->ops : -1;
	fallback[1] = r->ops > 0 ? wl / (double)r->ops : -1;
	return 0;
}

/* Every node's counters (the run's totals: the driver was the only load). */
static void
read_counters(const struct emb *e, struct lwb_node_stats *zero, struct lwb_node_stats *after)
{
	char sock[300];
	unsigned int k;

	for (k = 1; k <= e->c->nodes; k++) {
		snprintf(sock, sizeof(sock), "%s/node%u.sock", e->dir, k);
		if (lwb_node_stats(sock, &after[k - 1]) != 0)
			fprintf(stderr, "lw-bench: cannot read /lockwire/stats of node %u\n", k);
		zero[k - 1].ok = true;
	}
}

static void
report(const struct emb *e, const struct lwb_result *r)
{
	const struct lwb_conf *c = e->c;
	struct lwb_opts o = c->o;

	o.warmup = 0;   /* the driver has none */
	if (!c->o.json) {
		lwb_print_text(stdout, "lw-bench (embedded: lockwired's built-in driver)", r, &o);
		printf("  cluster  %u node(s) x %u worker(s), %u slots per worker, driver %s\n",
		       c->nodes, c->workers, e->outstanding, e->spec);
		return;
	}
	lwb_json_begin(stdout, "lw-bench", r, &o, c->cmdline);
	printf(",\"mode\":\"embedded\",\"nodes\":%u,\"workers\":%u,\"outstanding_per_worker\":%u,"
	       "\"driver_spec\":", c->nodes, c->workers, e->outstanding);
	lwb_json_string(stdout, e->spec);
	lwb_json_end(stdout, r);
}

int
lwb_embedded_run(const struct lwb_conf *c, volatile bool *stop)
{
	struct lwb_node_stats after[LWB_MAX_SOCKETS] = { 0 }, zero[LWB_MAX_SOCKETS] = { 0 };
	struct lwb_result *r = calloc(1, sizeof(*r));
	struct emb e = { .c = c, .stop = stop };
	double fallback[2] = { -1, -1 };
	unsigned int k;
	int rc = -1;

	if (r == NULL || c->nodes > LWB_MAX_SOCKETS)
		return 1;
	if (c->dir != NULL) {
		snprintf(e.dir, sizeof(e.dir), "%s", c->dir);
		mkdir(e.dir, 0755);
	} else {
		snprintf(e.dir, sizeof(e.dir), "/tmp/lwb-XXXXXX");
		if (mkdtemp(e.dir) == NULL) {
			fprintf(stderr, "lw-bench: mkdtemp: %s\n", strerror(errno));
			free(r);
			return 1;
		}
	}
	make_spec(&e);
	if (cluster_start(&e) == 0 && wait_results(&e) == 0) {
		read_counters(&e, zero, after);
		cluster_stop(&e);
		rc = merge_results(&e, r, fallback);
	}
	if (rc == 0) {
		lwb_stats_delta(zero, after, c->nodes, r);
		if (r->msgs_per_op < 0)
			r->msgs_per_op = fallback[0];
		if (r->local_grant_ratio < 0)
			r->local_grant_ratio = fallback[1];
	}
	cluster_stop(&e);
	if (rc == 0)
		report(&e, r);
	else if (!*stop)
		fprintf(stderr, "lw-bench: embedded run failed; files in %s\n", e.dir);
	if ((rc == 0 || *stop) && c->dir == NULL && !c->keep)
		nftw(e.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	k = rc == 0 && r->errors == 0 ? 0 : 1;
	free(r);
	return (int)k;
}
