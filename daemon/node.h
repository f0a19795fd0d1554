/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * node.h — lockwired's context: one node of a cluster, what its files share.
 *
 * DESIGN
 * main (lockwired.c) loads the configuration, starts EAL, sets up ports,
 * pools and the node-wide pktio part, then one struct lw_worker per worker
 * lcore (worker.c: site + wio + optional built-in driver, a busy or
 * adaptive polling loop) and runs the control loop (control.c) on the main
 * lcore: heartbeats, member liveness, the client socket. Telemetry handlers
 * (telemetry.c) run on DPDK's telemetry thread.
 *
 * Threads and sharing: each struct lw_worker is written only by its lcore,
 * except the fields marked "control" (written by the control loop, read by
 * the worker) and the request slot (telemetry thread <-> worker, a
 * handshake through two atomics). Counters are read racily by telemetry;
 * 64-bit loads are atomic on the targets we build for.
 */
#ifndef LW_DAEMON_NODE_H
#define LW_DAEMON_NODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#include "config.h"
#include "driver.h"
#include "membership.h"
#include "session.h"
#include "site.h"
#include "wio.h"

extern int lw_logtype_daemon;
#define LW_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, lw_logtype_daemon, "lockwired: " fmt "\n", ##__VA_ARGS__)

/* What the telemetry thread may ask a worker (handled between two polls). */
enum lw_wreq_kind {
	LW_WREQ_NONE = 0,
	LW_WREQ_RES_INFO,      /* name -> res info of every open lockspace */
	LW_WREQ_LOCKDUMP,      /* one bounded lockdump step from cursor (lw_site_lockdump) */
};

#define LW_WREQ_MAX_FOUND 16     /* resources in one answer */
#define LW_WREQ_MAX_LS    16u    /* lockspaces named in a LOCKDUMP answer */
#define LW_WREQ_DUMP_SCAN 512u   /* records a LOCKDUMP step looks at, at most */

struct lw_wreq {
	uint32_t kind;
	uint32_t gid;          /* the lockspace's cluster-wide id; 0: every lockspace open here */
	char name[LW_RESNAME_MAXLEN + 1];
	uint8_t namelen;
	int rc;
	uint32_t nfound;
	uint64_t cursor;       /* LOCKDUMP: where to start; then where the next step starts */
	uint64_t pos[LW_WREQ_MAX_FOUND];         /* LOCKDUMP: the cursor of info[i] */
	uint32_t nls;          /* LOCKDUMP: the lockspaces open at the worker (first ones) */
	struct lw_ls_entry ls[LW_WREQ_MAX_LS];
	struct lw_res_info info[LW_WREQ_MAX_FOUND];
};

struct lw_node;

struct lw_worker {
	struct lw_node *node;
	unsigned int idx;
	unsigned int lcore;
	int socket;
	struct lw_site *site;
	struct lw_wio *wio;
	struct lw_site_out out;
	struct lw_msgbuf in;
	struct lw_driver *drv;               /* NULL: no built-in load */
	/* client sessions (client_io.c); cs_ring: control -> worker attach/detach */
	struct rte_ring *cs_ring;
	struct lw_csess **cs;                /* active sessions, cs[0..ncs) */
	unsigned int ncs;
	unsigned int cs_cap;
	struct lw_csess **cs_by_sid;         /* engine session slot -> session (NULL: none / driver) */
	uint32_t cs_by_sid_n;
	struct lw_req *cs_batch;             /* requests gathered from the rings */
	struct lw_csess **cs_batch_from;
	uint32_t *cs_batch_handle;           /* the request's handle, tag and cflags */
	uint64_t *cs_batch_tag;
	uint8_t *cs_batch_cflags;
	volatile uint32_t nsessions;         /* attached (control reads it to balance) */
	/* control -> worker */
	volatile uint32_t hb_want;           /* heartbeat number to send (worker 0) */
	uint32_t hb_sent;
	struct rte_ring *view_ring;          /* views to apply (view.c) */
	uint32_t fence_seen;                 /* node->fence_seq handled */
	uint64_t lease_cur;                  /* the lease the site has */
	uint64_t lease_fenced;               /* lease_cur + 1 once fenced for it */
	uint8_t drv_fenced;                  /* the driver heard of a fence since the last view */
	uint8_t drv_done;                    /* it finished and went to its results' writer */
	uint8_t drv_writing;                 /* drv_writer is that writer (to join) */
	pthread_t drv_writer;
	volatile uint32_t view_epoch;        /* the view the site applied last */
	volatile uint64_t view_errors;       /* views the site refused */
	struct lw_rec_info rec;              /* refreshed with sst */
	/* telemetry <-> worker: req_seq != done_seq while a request waits */
	volatile uint32_t req_seq;
	volatile uint32_t done_seq;
	struct lw_wreq req;
	/* worker -> everyone (racy reads) */
	volatile uint64_t loops;
	volatile uint64_t busy_loops;
	volatile uint64_t sleeps;
	struct lw_site_stats sst;            /* refreshed every few ms */
	volatile uint64_t sst_at;
	volatile int running;
} __rte_cache_aligned;

struct lw_member {
	uint8_t present;
	uint8_t up;
	uint64_t last_hb_ns;
	uint64_t hb_rx;
};

struct lw_node {
	struct lw_config cfg;
	const char *config_path;
	unsigned int nworkers;
	struct lw_worker *workers[LW_PIO_MAX_WORKERS];
	struct lw_pio *pio;
	struct lw_map map;
	unsigned int nports;
	uint16_t ports[LW_PIO_MAX_PORTS];
	uint16_t gid_default;
	struct lw_driver_conf drv;           /* built-in load (drv.enabled) */
	const char *drv_out;                 /* file prefix for driver results */
	/* control */
	volatile int stop;
	volatile int stop_req;               /* SIGTERM/SIGINT: leave the view, then stop */
	int leaving;                         /* control: 1 fencing, 2 announced (view.c) */
	uint64_t leave_deadline;
	volatile int all_up;                 /* every member heard from */
	uint32_t epoch;
	uint64_t start_ns;
	uint64_t hb_interval_ns;
	uint64_t hb_tx;
	struct lw_member members[LW_PIO_MAX_NODES];
	/* membership (view.c) */
	struct lw_ms *ms;
	uint32_t incarnation;
	struct lw_ms_view view;              /* the installed view (epoch 0: none) */
	uint16_t all_sites[LW_MAX_SITES];    /* every configured site */
	unsigned int nall_sites;
	volatile uint64_t lease_until;       /* workers may grant until then */
	volatile uint32_t fence_seq;         /* bumped: every worker fences */
	uint64_t views, fences, ctl_drops;
	struct lw_ms_info msi;               /* control's copy of lw_ms_info, each round */
	unsigned int members_up;
	int listen_fd;
	struct lw_csess *sessions;           /* control: every session from accept to free */
	unsigned int nsess;
	uint64_t sess_accepted;
	uint64_t sess_refused;
	uint64_t sess_cut;
	char telemetry_link[LW_CONFIG_SOCKET_LEN + 16];
};

/* Nanoseconds from the TSC (set up by lw_clock_init in main). */
uint64_t lw_now_ns(void);
void lw_clock_init(void);

/* worker.c */
int  lw_worker_setup(struct lw_node *n, unsigned int idx, unsigned int lcore);
void lw_worker_free(struct lw_worker *w);
int  lw_worker_main(void *arg);
/* Ask worker w to run r (from a non-worker thread); wait up to timeout_ms. */
int  lw_worker_call(struct lw_worker *w, struct lw_wreq *r, unsigned int timeout_ms);

/* control.c */
void lw_control_loop(struct lw_node *n);
int  lw_control_listen(struct lw_node *n);
void lw_control_close(struct lw_node *n);

/* view.c */
uint32_t lw_view_new_incarnation(void);
int  lw_view_setup(struct lw_node *n);
void lw_view_free(struct lw_node *n);
void lw_view_poll(struct lw_node *n, uint64_t now);
bool lw_view_leave(struct lw_node *n, uint64_t now);
bool lw_view_worker_poll(struct lw_worker *w, uint64_t now);

/* telemetry.c */
int  lw_telemetry_register(struct lw_node *n);

#endif /* LW_DAEMON_NODE_H */
