/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker.c — a worker lcore: one site (engine/site.h) and its data-plane
 * I/O (pktio/wio.h), and optionally the built-in driver.
 *
 * DESIGN
 * One poll iteration:
 *   1. lw_wio_rx: frames from the NIC queues and handoff rings, messages
 *      from the other workers' rings -> lw_site_receive;
 *   2. client sessions' requests (client_io.c) and the driver's new
 *      requests (held back while the data plane pushes back) ->
 *      lw_site_submit; timers -> lw_site_tick when due;
 *   3. the site's outputs: messages -> lw_wio_send, events -> the client
 *      sessions' completion rings or the driver; sleeping clients woken;
 *   4. lw_wio_flush: staged frames out, retransmissions, acks;
 *   0. orders from control (view.c): fence, views to apply, the lease;
 *   5. a request from the telemetry thread, heartbeats asked by control;
 *   6. idle handling: busy mode spins; adaptive mode pauses after a few
 *      empty iterations, yields the core every IDLE_YIELD of them, and
 *      sleeps (up to 100 us, never past a deadline) after longer
 *      idleness, so several daemons can share a few cores.
 * Nothing in the loop allocates (beyond first contact with a site and
 * queue growth), locks, logs or makes a syscall, except the adaptive
 * yield and sleep (only when idle).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "node.h"

#define IDLE_PAUSE   64u         /* empty iterations before pausing */
#define IDLE_YIELD   64u         /* yield the core every this many empty iterations */
#define IDLE_SLEEP_NS 500000u    /* idle this long before sleeping */
#define SLEEP_MAX_NS 100000u
#define STATS_NS     2000000u    /* refresh the stats snapshot every 2 ms */

int
lw_worker_setup(struct lw_node *n, unsigned int idx, unsigned int lcore)
{
	struct lw_site_conf sc;
	struct lw_worker *w;
	char name[32];
	int sock = (int)rte_lcore_to_socket_id(lcore);

	w = rte_zmalloc_socket("lw_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, sock);
	if (w == NULL)
		return -ENOMEM;
	w->node = n;
	w->idx = idx;
	w->lcore = lcore;
	w->socket = sock;
	w->lease_cur = UINT64_MAX;	/* the first poll sets the site's lease: 0, fenced until a view */
	n->workers[idx] = w;
	memset(&sc, 0, sizeof(sc));
	snprintf(name, sizeof(name), "lw_s%u", idx);
	sc.engine.name = name;
	sc.engine.max_resources = n->cfg.max_resources;
	/* one short of the engine's limit: lkid 0xffffffff stays free (client_io.c LK_PENDING) */
	sc.engine.max_locks = RTE_MIN(n->cfg.max_locks, LW_ENGINE_MAX_LOCKS - 1);
	sc.engine.max_sessions = n->cfg.max_sessions;
	sc.engine.worker = idx;
	sc.engine.socket_id = sock;
	sc.node = n->cfg.node_id;
	sc.max_master_resources = n->cfg.max_resources;
	sc.cache_idle_ns = n->cfg.cache_idle_us * 1000u;
	w->site = lw_site_create(&sc, &n->map);
	if (w->site == NULL)
		return -errno;
	if (lw_site_out_init(&w->out) != 0 || lw_msgbuf_init(&w->in, 256) != 0)
		return -ENOMEM;
	w->wio = lw_wio_create(n->pio, idx);
	if (w->wio == NULL)
		return -errno;
	if (lw_cio_setup(w) != 0)
		return -ENOMEM;
	if (n->drv.enabled) {
		w->drv = lw_driver_new(&n->drv, w->site, &n->map, n->cfg.node_id, idx);
		if (w->drv == NULL)
			return -errno;
	}
	return 0;
}

void
lw_worker_free(struct lw_worker *w)
{
	if (w == NULL)
		return;
	lw_driver_free(w->drv);
	lw_cio_free(w);
	lw_wio_free(w->wio);
	lw_site_out_fini(&w->out);
	lw_msgbuf_fini(&w->in);
	lw_site_free(w->site);
	rte_free(w);
}

/*
 * Answer the telemetry thread's request (between two polls). Bounded work:
 * a few lookups, or one lockdump step of at most LW_WREQ_DUMP_SCAN records
 * and LW_WREQ_MAX_FOUND resources; results go into the request slot.
 */
static void
serve_request(struct lw_worker *w)
{
	struct lw_wreq *r = &w->req;
	uint32_t i;
	int n;

	r->rc = 0;
	r->nfound = 0;
	n = lw_site_ls_list(w->site, r->ls, LW_WREQ_MAX_LS);
	r->nls = n < 0 ? 0 : RTE_MIN((uint32_t)n, LW_WREQ_MAX_LS);
	if (r->kind == LW_WREQ_LOCKDUMP) {
		n = lw_site_lockdump(w->site, &r->cursor, r->gid, LW_WREQ_DUMP_SCAN,
				     r->info, r->pos, LW_WREQ_MAX_FOUND);
		r->rc = n < 0 ? n : 0;
		r->nfound = n < 0 ? 0 : (uint32_t)n;
	} else if (r->kind == LW_WREQ_RES_INFO && r->gid != 0) {
		if (lw_site_res_info_gid(w->site, r->gid, r->name, r->namelen, &r->info[0]) == 0)
			r->nfound = 1;
		else
			r->rc = -ENOENT;
	} else if (r->kind == LW_WREQ_RES_INFO) {
		for (i = 0; i < r->nls && r->nfound < LW_WREQ_MAX_FOUND; i++)
			if (lw_site_res_info(w->site, r->ls[i].lsid, r->name, r->namelen,
					     &r->info[r->nfound]) == 0)
				r->nfound++;
		if (r->nfound == 0)
			r->rc = -ENOENT;
	} else {
		r->rc = -EINVAL;
	}
	__atomic_store_n(&w->done_seq, w->req_seq, __ATOMIC_RELEASE);
}

int
lw_worker_call(struct lw_worker *w, struct lw_wreq *r, unsigned int timeout_ms)
{
	uint32_t seq;
	unsigned int i;

	if (!w->running)
		return -ESRCH;
	if (w->req_seq != w->done_seq)
		return -EBUSY;
	w->req = *r;
	seq = w->req_seq + 1;
	__atomic_store_n(&w->req_seq, seq, __ATOMIC_RELEASE);
	for (i = 0; i < timeout_ms * 10u; i++) {
		if (__atomic_load_n(&w->done_seq, __ATOMIC_ACQUIRE) == seq) {
			*r = w->req;
			return 0;
		}
		rte_delay_us_sleep(100);
	}
	return -ETIMEDOUT;
}

/* Events go to client sessions, the rest to the driver (none: dropped). */
static void
route_outputs(struct lw_worker *w, uint64_t now)
{
	if (w->out.msg.n > 0) {
		lw_wio_send(w->wio, w->out.msg.m, w->out.msg.n, now);
		w->out.msg.n = 0;
	}
	if (w->out.ev.n > 0 && w->ncs > 0)
		lw_cio_events(w);
	if (w->out.ev.n > 0) {
		if (w->drv != NULL && !w->drv_done)
			lw_driver_events(w->drv, w->out.ev.ev, w->out.ev.n, now);
		w->out.ev.n = 0;
	}
}

/* when the current run of empty iterations began (this lcore's worker) */
static __thread uint64_t idle_since;

static void
idle_wait(struct lw_worker *w, unsigned int idle, uint64_t now)
{
	uint64_t dl, ns;
	struct timespec ts;

	if (idle == 1)
		idle_since = now;
	if (w->node->cfg.poll == LW_POLL_BUSY || idle < IDLE_PAUSE)
		return;
	/*
	 * Sleep after a time, not a count of iterations: an empty iteration
	 * takes ~80 ns here, so 2048 of them were ~150 us, shorter than one
	 * sleep's own overshoot on a VM; the peer, delayed by our sleep, then
	 * went to sleep too, and each sleep added ~300 us to the ops in flight.
	 */
	if (now - idle_since < IDLE_SLEEP_NS) {
		/*
		 * With more runnable threads than cores (several daemons and
		 * their clients on a small machine), the thread we wait for may
		 * be the one waiting for this core: give it up now and then.
		 */
		if (idle % IDLE_YIELD == 0)
			sched_yield();
		else
			rte_pause();
		return;
	}
	dl = RTE_MIN(lw_site_next_deadline(w->site), lw_wio_next_deadline(w->wio));
	ns = SLEEP_MAX_NS;
	if (dl != UINT64_MAX)
		ns = dl <= now ? 0 : RTE_MIN(dl - now, (uint64_t)SLEEP_MAX_NS);
	if (ns < 2000)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)ns;
	nanosleep(&ts, NULL);
	w->sleeps++;
}

/*
 * The results of a finished driver are written by a thread of their own:
 * a log is megabytes, and worker 0 carries the node's control frames, so
 * a worker writing it would hold back the heartbeats that keep the lease
 * (every node lost its lease at once when the drivers finished together).
 * The worker touches the driver no more once it is handed over.
 */
static void *
results_writer(void *arg)
{
	struct lw_worker *w = arg;
	int rc = lw_driver_write(w->drv, w->node->drv_out, w->node->config_path);

	LW_LOG(INFO, "worker %u: driver done, results %s (%s)", w->idx, w->node->drv_out,
	       rc == 0 ? "written" : strerror(-rc));
	return NULL;
}

static void
results_start(struct lw_worker *w)
{
	int rc = pthread_create(&w->drv_writer, NULL, results_writer, w);

	w->drv_done = 1;
	if (rc != 0) {
		LW_LOG(WARNING, "worker %u: no thread to write the results (%s): writing them here",
		       w->idx, strerror(rc));
		results_writer(w);
		return;
	}
	w->drv_writing = 1;
}

/* The driver: start when every member is up, write results when done. */
static void
drive(struct lw_worker *w, uint64_t now, bool *did)
{
	struct lw_node *n = w->node;

	if (!lw_driver_started(w->drv)) {
		/* every node in the view, and this site has applied that view */
		if (n->all_up && w->view_epoch == n->epoch && w->lease_cur > now &&
		    now - n->start_ns > (uint64_t)(n->drv.start_delay * 1e9)) {
			lw_driver_start(w->drv, now);
			LW_LOG(INFO, "worker %u: driver started", w->idx);
		}
		return;
	}
	if (lw_driver_step(w->drv, now, lw_wio_busy(w->wio), &w->out) > 0)
		*did = true;
}

int
lw_worker_main(void *arg)
{
	struct lw_worker *w = arg;
	struct lw_node *n = w->node;
	unsigned int idle = 0;

	w->running = 1;
	while (!n->stop) {
		uint64_t now = lw_now_ns();
		bool did = false;

		w->in.n = 0;
		if (lw_view_worker_poll(w, now)) {
			route_outputs(w, now);
			did = true;
		}
		/* outputs are routed after each site call, so the driver sees
		 * (and logs) a call's events before anything else happens */
		if (lw_wio_rx(w->wio, now, &w->in) > 0) {
			lw_site_receive(w->site, w->in.m, w->in.n, now, &w->out);
			route_outputs(w, now);
			did = true;
		}
		if (lw_cio_poll(w, now) > 0) {
			route_outputs(w, now);
			did = true;
		}
		if (w->drv != NULL && !w->drv_done) {
			drive(w, now, &did);
			route_outputs(w, now);
		}
		if (lw_site_next_deadline(w->site) <= now) {
			lw_site_tick(w->site, now, &w->out);
			if (w->out.msg.n > 0 || w->out.ev.n > 0)
				did = true;
			route_outputs(w, now);
		}
		if (w->ncs > 0) {
			lw_cio_flush(w, now);
			route_outputs(w, now);
		}
		lw_wio_flush(w->wio, now);
		if (w->req_seq != w->done_seq)
			serve_request(w);
		if (w->hb_want != w->hb_sent) {
			w->hb_sent = w->hb_want;
			lw_wio_heartbeat(w->wio, now, w->hb_sent);
		}
		if (w->drv != NULL && !w->drv_done && lw_driver_done(w->drv) && n->drv_out != NULL)
			results_start(w);
		w->loops++;
		if (now - w->sst_at > STATS_NS) {
			lw_site_get_stats(w->site, &w->sst);
			lw_site_rec_info(w->site, &w->rec);
			w->sst_at = now;
		}
		if (did) {
			w->busy_loops++;
			idle = 0;
		} else {
			idle_wait(w, ++idle, now);
		}
	}
	if (w->drv_writing) {
		pthread_join(w->drv_writer, NULL);
		w->drv_writing = 0;
	}
	if (w->drv != NULL && !w->drv_done && lw_driver_started(w->drv) && n->drv_out != NULL) {
		/* stopped first: what it did, and that it did not finish ("done": false) */
		int rc = lw_driver_write(w->drv, n->drv_out, n->config_path);

		LW_LOG(WARNING, "worker %u: driver stopped before it finished, results %s (%s)",
		       w->idx, n->drv_out, rc == 0 ? "written" : strerror(-rc));
	}
	lw_site_get_stats(w->site, &w->sst);
	w->running = 0;
	return 0;
}
