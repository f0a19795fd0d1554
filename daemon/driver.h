/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * driver.h — lockwired's built-in workload: load generated inside a worker,
 * straight into its site (no client library), for cluster tests, the
 * embedded benchmark and the demo.
 *
 * DESIGN
 * A driver runs `outstanding` slots, each a small state machine with its
 * own session: pick a resource ("r<i>" in lockspace "lwdrv") and a mode,
 * LOCK, hold it for hold_us, then sometimes CONVERT (up or down) and hold
 * again, then UNLOCK; repeat. EX locks carry a counter in the LVB (VALBLK):
 * read at the grant, written + 1 at the unlock, so lost updates show.
 * Some locks ask NOQUEUE (they may fail with -EAGAIN). Resources can be
 * restricted to those mastered on another node (remote=1) or on this
 * node's sites (local=1). Names are drawn uniformly or by zipf (dist=zipf,
 * skew 0.99, the first name of the set the hottest). With pr=P the modes
 * of new locks are EX (ex %), PR (P %) and CR (the rest) instead of the
 * default mixture. locality=L draws a share L of the names from a set
 * private to this node: names no other node uses, all mastered here, so
 * after the first lock the site grants them from its cached mode (lw-bench
 * --embedded uses these keys).
 *
 * When the time or the op count is up, slots finish what they hold and
 * stop; the driver is "done" when every slot is idle. Results: ops (locks
 * and unlocks answered), errors (unexpected statuses), a latency histogram
 * of lock requests (submit to COMPLETE), and optionally a log of every
 * submit and event (daemon/dlog.h) for lw-logcheck.
 *
 * A fence (lw_driver_fenced, then -ENOLCK for its locks) is logged; a slot
 * whose lock it ended starts a new one, and requests refused while the
 * site is fenced wait FENCE_WAIT_NS and ask again (not counted as ops), so
 * a node that rejoins finishes its run.
 *
 * One driver belongs to one worker; the spec is parsed once in main. Once
 * done, the worker hands it to a thread that writes the results
 * (worker.c) and calls it no more.
 */
#ifndef LW_DAEMON_DRIVER_H
#define LW_DAEMON_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"

struct lw_site;
struct lw_site_out;
struct lw_map;

#define LW_DRIVER_MAX_SLOTS 1024u

struct lw_driver_conf {
	bool     enabled;
	uint32_t resources;      /**< distinct names; default 64 */
	uint64_t ops;            /**< lock requests per worker; 0: until seconds */
	double   seconds;        /**< 0: until ops (one of them must be set) */
	uint32_t outstanding;    /**< slots per worker; default 8 */
	uint32_t ex_pct;         /**< share of EX among new locks (rest: PR, CW, PW, CR mixed); default 50 */
	uint32_t convert_pct;    /**< share of holds followed by a conversion; default 10 */
	uint32_t noqueue_pct;    /**< share of new locks with NOQUEUE; default 5 */
	uint32_t hold_us;        /**< time a granted lock is held; default 0 */
	bool     lvb;            /**< EX counter in the LVB; default on */
	bool     remote;         /**< only resources mastered on other nodes */
	bool     local;          /**< only resources mastered on this node */
	bool     log;            /**< keep a dlog of everything */
	uint32_t only_node;      /**< 0: every node drives; else only this node */
	bool     zipf;           /**< names by zipf (skew 0.99), else uniform */
	int32_t  pr_pct;         /**< -1: default mixture; else PR share (EX ex_pct, rest CR) */
	double   locality;       /**< share of names from the node's private set; default 0 */
	uint64_t seed;
	double   start_delay;    /**< seconds to wait after all members are up; default 0.2 */
};

/** Defaults of every field (enabled false). */
void lw_driver_defaults(struct lw_driver_conf *c);

/**
 * Parse "key=value,key=value" into c (defaults first). Keys: resources,
 * ops, seconds, outstanding, ex, convert, noqueue, hold-us, lvb, remote,
 * local, log, only-node, seed, delay, dist (uniform|zipf), pr, locality
 * (0..1). ex + pr must not exceed 100.
 * @return 0, or -EINVAL with one line in err naming the key.
 */
int lw_driver_parse(struct lw_driver_conf *c, const char *spec, char *err, size_t errlen);

struct lw_driver;

/** NULL with errno. The site must outlive the driver. */
struct lw_driver *lw_driver_new(const struct lw_driver_conf *c, struct lw_site *site,
				const struct lw_map *map, unsigned int node, unsigned int worker);
void lw_driver_free(struct lw_driver *d);

/**
 * Submit what the slots want now. busy: the data plane pushes back, start
 * no new lock. Events go to out as usual (feed them back with
 * lw_driver_event). @return requests submitted.
 */
unsigned int lw_driver_step(struct lw_driver *d, uint64_t now, bool busy,
			    struct lw_site_out *out);

/** Take the site's events (all of them: the driver owns every session). */
void lw_driver_events(struct lw_driver *d, const struct lw_event *ev, unsigned int n,
		      uint64_t now);

/** Start the clock (all members are up). */
void lw_driver_start(struct lw_driver *d, uint64_t now);

bool lw_driver_started(const struct lw_driver *d);

/**
 * The worker's site is fenced (lease ran out, fence order, leave) and is
 * about to end its locks with -ENOLCK: counted, and logged (LW_DLOG_FENCE)
 * when the driver runs. Each slot whose lock ends so starts a new one.
 */
void lw_driver_fenced(struct lw_driver *d);

/** true when the run is over and every slot is idle. */
bool lw_driver_done(const struct lw_driver *d);

struct lw_driver_result {
	uint64_t ops;            /**< locks and unlocks answered */
	uint64_t locks;          /**< lock requests answered (new and conversions) */
	uint64_t granted;
	uint64_t again;          /**< NOQUEUE refusals */
	uint64_t errors;         /**< unexpected statuses or refused requests */
	uint64_t enolck;         /**< locks the site ended with -ENOLCK (fenced; in errors too) */
	uint64_t fences;         /**< times the site was fenced while the driver ran */
	uint64_t fenced_refusals; /**< requests refused while fenced (-ENOLCK; waited, asked again) */
	uint64_t run_ns;         /**< from start to the last answer */
	uint64_t lat_p50, lat_p99, lat_p999, lat_max;  /**< ns, lock requests */
	uint64_t lvb_checks;     /**< EX grants whose counter was read */
};

void lw_driver_result(const struct lw_driver *d, struct lw_driver_result *r);

/** The latency histogram as JSON pairs "[[upper_ns, count], ...]". */
void lw_driver_hist_json(const struct lw_driver *d, FILE *f);

/**
 * Write the results (JSON) to prefix.nN.wW.json, and the log to
 * prefix.nN.wW.dlog when logging. The JSON file appears last, whole
 * (written to a temporary name, then renamed). @return 0 or -errno.
 */
int lw_driver_write(const struct lw_driver *d, const char *prefix, const char *cmdline);

#endif /* LW_DAEMON_DRIVER_H */
