/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lw_bench.h — the parts of lw-bench (perf/lw_bench*.c): the run's
 * configuration, the client-mode load threads, the daemons' counters read
 * over telemetry, the embedded mode. Internal to perf/.
 */
#ifndef LW_PERF_LW_BENCH_H
#define LW_PERF_LW_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench_util.h"

#define LWB_MAX_SOCKETS 32u
#define LWB_LS_NAME     "lwbench"

enum lwb_poll { LWB_POLL_SPIN, LWB_POLL_ADAPTIVE, LWB_POLL_BLOCK };

/* Phases of a client-mode run, set by the main thread, read by the loaders. */
enum lwb_phase { LWB_WARMUP, LWB_MEASURE, LWB_STOP };

struct lwb_conf {
	struct lwb_opts o;
	const char *sockets[LWB_MAX_SOCKETS];
	unsigned int nsockets;
	enum lwb_poll poll;
	uint32_t spin;           /**< adaptive: empty polls before blocking */
	bool embedded;
	/* embedded mode */
	unsigned int nodes, workers;
	const char *build;       /**< build directory with daemon/lockwired */
	const char *cluster_sh;  /**< scripts/cluster.sh */
	const char *dir;         /**< cluster directory; NULL: a new one in /tmp */
	const char *transport;
	bool keep;               /**< keep the cluster directory */
	char cmdline[2048];
};

/* ---- client mode: load threads (lw_bench_client.c) ---------------------- */

struct lwb_loader;

/** Shared by the main thread and the loaders. */
struct lwb_shared {
	const struct lwb_conf *conf;
	struct lwb_zipf zipf;
	_Atomic int phase;
	atomic_uint ready;       /**< loaders connected and running */
	atomic_uint failed;      /**< loaders that gave up */
};

/** One loader per thread, on socket index idx % nsockets. NULL with errno. */
struct lwb_loader *lwb_loader_start(struct lwb_shared *sh, unsigned int idx);
/** Join; add its counters into r. @return 0, or -1 when it failed (message printed). */
int lwb_loader_join(struct lwb_loader *l, struct lwb_result *r);

/* ---- the daemons' counters (lw_bench_tel.c) ----------------------------- */

struct lwb_node_stats {
	bool ok;
	uint64_t msgs;           /**< protocol messages sent (sum of tx_<TYPE>) */
	uint64_t local_grants;
	uint64_t remote_grants;
};

/**
 * /lockwire/stats of the node whose client socket is sock (its telemetry
 * socket is sock + ".telemetry"). @return 0 or -errno (ok false).
 */
int lwb_node_stats(const char *sock, struct lwb_node_stats *st);

/**
 * msgs_per_op and local_grant_ratio in r from the counters of n nodes
 * before and after (unknown, -1, when one of them could not be read).
 */
void lwb_stats_delta(const struct lwb_node_stats *before, const struct lwb_node_stats *after,
		     unsigned int n, struct lwb_result *r);

/* ---- embedded mode (lw_bench_embedded.c) -------------------------------- */

/**
 * Run the load inside lockwired (built-in driver) and print the result;
 * *stop (a signal came) ends the run early. @return the exit code.
 */
int lwb_embedded_run(const struct lwb_conf *c, volatile bool *stop);

#endif /* LW_PERF_LW_BENCH_H */
