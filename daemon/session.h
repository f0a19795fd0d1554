/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * session.h — client sessions in lockwired: the control thread's half
 * (session.c: the socket, the handshake, the shared memory, hang-ups) and
 * the worker's half (client_io.c: the rings, the engine, the completions).
 *
 * DESIGN
 * A struct lw_csess lives from accept to the end of the session and moves
 * through states; each state has one writer:
 *
 *   HELLO    control: accepted, waiting for the client's lw_hello
 *   ATTACH   control: region made; handed to the worker through its
 *            attach ring
 *   ACTIVE   worker: engine session open, rings polled; control sends the
 *            welcome (with the fds) when it sees this state
 *   DONE     worker: engine session closed (locks released, PERSISTENT
 *            ones orphaned) after control sent the pointer again, tagged
 *            "detach" (bit 0), because the socket hung up or the session
 *            was cut off; control frees everything
 *   FAILED   worker: could not attach (no engine session slot); control
 *            answers the hello with the error and frees
 *   CUT      worker: the client broke the rules (its completion backlog
 *            overflowed); engine session already closed, hdr->dead set;
 *            control closes the socket and sends the detach order
 *
 * The worker owns lk[] (handle slot -> engine lkid), the lockspace table
 * and the backlog; control never touches them after ATTACH. Nothing the
 * client writes into the shared region is trusted.
 */
#ifndef LW_DAEMON_SESSION_H
#define LW_DAEMON_SESSION_H

#include <stdint.h>
#include <sys/types.h>

#include <rte_ring.h>

#include "proto.h"

enum lw_csess_state {
	LW_CS_HELLO = 0,
	LW_CS_ATTACH,
	LW_CS_ACTIVE,
	LW_CS_DONE,
	LW_CS_FAILED,
	LW_CS_CUT,
};

#define LW_CSESS_BACKLOG_MAX 65536u   /* completion records kept beyond the ring */
#define LW_CSESS_MAX_LS      256u     /* lockspace ids a session can open (site lsids) */
#define LW_CSESS_STAGE       32u      /* completion records staged before a burst */

struct lw_csess {
	/* set by control before ATTACH, read-only afterwards */
	struct lw_shm_hdr *hdr;
	struct rte_ring *req;
	struct rte_ring *comp;
	size_t shm_size;
	int sock;
	int memfd;
	int evfd;
	uint32_t max_locks;
	unsigned int worker;
	pid_t pid;
	char name[32];
	uint64_t born_ns;
	uint64_t deadline_ns;             /* HELLO: give up waiting */
	struct lw_csess *next;            /* control's list */
	volatile uint32_t state;          /* enum lw_csess_state */
	int32_t fail_rc;                  /* FAILED: why */
	uint8_t detached;                 /* control: the detach order went out */
	uint8_t welcomed;                 /* control: the welcome went out */
	/* worker-owned after ATTACH */
	uint32_t sid;                     /* engine session */
	uint32_t *lk;                     /* [max_locks]: handle slot -> engine lkid */
	uint8_t ls_open[LW_CSESS_MAX_LS + 1];
	struct lw_ccomp st[LW_CSESS_STAGE]; /* staged this iteration (nst), then one burst */
	uint32_t nst;
	struct lw_ccomp *bl;              /* backlog (ring full): bl_n records from bl_head */
	uint32_t bl_head, bl_n, bl_cap;
	uint8_t pushed;                   /* records went out this iteration: maybe wake */
	uint8_t cut;                      /* errno: cut off at the end of this iteration */
	/* counters (worker writes, telemetry reads) */
	volatile uint64_t nreq;
	volatile uint64_t ncomp;
	volatile uint64_t nreject;
	volatile uint64_t nwake;
};

struct lw_node;
struct lw_worker;

/* session.c (control thread) */
int  lw_sessions_init(struct lw_node *n);
/*
 * Wait up to wait_ns for the client socket or a session's socket, then
 * accept, hello, welcome, hang-ups, reaping. @return how many sessions are
 * between connect and welcome, or being torn down (the caller polls again
 * soon while there are any).
 */
unsigned int lw_sessions_poll(struct lw_node *n, uint64_t wait_ns);
void lw_sessions_fini(struct lw_node *n);     /* at exit, after the workers stopped */
int  lw_sessions_telemetry(struct lw_node *n);

/* client_io.c (worker) */
int  lw_cio_setup(struct lw_worker *w);
void lw_cio_free(struct lw_worker *w);
/* Attach/detach requests, then every active session's requests. @return work done. */
unsigned int lw_cio_poll(struct lw_worker *w, uint64_t now);
/* Deliver client events of w->out.ev (others stay for the driver); compacts the buffer. */
void lw_cio_events(struct lw_worker *w);
/* Flush backlogs, cut off clients that broke the rules, wake sleeping clients. */
void lw_cio_flush(struct lw_worker *w, uint64_t now);

#endif /* LW_DAEMON_SESSION_H */
