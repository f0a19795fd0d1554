/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib_priv.h — liblockwire's private layout: the session, its lockspaces,
 * the handle table, and what the library's files call in each other.
 *
 * DESIGN
 * The library is three files around one struct lw_client:
 *
 *   lib_conn.c      lw_connect -> sock_open -> handshake -> map_region
 *                   (checks the node's header and rings) -> make_epoll ->
 *                   make_tables; lw_disconnect, lw_fd, lw_client_node
 *   lib_lock.c      lw_lock / lw_unlock: the synchronous checks, handles,
 *                   lwc_send() into the request ring; ORPHAN and the
 *                   FORCEUNLOCK of an orphan's engine lkid wait for their
 *                   answer (lwc_wait_answer) before returning
 *   lib_dispatch.c  records out of the completion ring (through the
 *                   backlog) -> run_complete / run_blocking / run_reject ->
 *                   lksb, ast, bast; sleeping on the eventfd; the end of
 *                   the session; lw_dispatch, the *_wait wrappers,
 *                   lw_ls_open / lw_ls_close
 *
 * Handles. A lock's lkid is its handle: slot (1..max_locks) in the low
 * LW_HANDLE_IDX_BITS, a generation above. Free slots wait in a FIFO, so a
 * slot comes back late and a stale lkid is refused (-ENOENT) until its
 * slot has been reused 4096 times. Per handle the library tracks at most
 * one lock or conversion request (pend), one CANCEL and one unlock (unl)
 * in flight, each with the tag it was sent with; a REJECT names the
 * request by that tag.
 *
 * Records that a synchronous call reads while waiting for its own answer
 * go to the backlog, a FIFO that lw_dispatch empties before it reads the
 * ring again; so records always run in the order the worker wrote them,
 * and never inside the synchronous call.
 *
 * Threads: one at a time per struct lw_client; no global state.
 */
#ifndef LW_CLIENT_LIB_PRIV_H
#define LW_CLIENT_LIB_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockwire.h"
#include "proto.h"

struct rte_ring;

#define LWC_MAX_LOCKS_ENV  "LOCKWIRE_MAX_LOCKS"
#define LWC_GEN_MASK       ((1u << (32 - LW_HANDLE_IDX_BITS)) - 1u)
#define LWC_SPIN_US        30u      /* *_wait: look at the ring this long before sleeping */
#define LWC_SEND_WAIT_US   2000u    /* a full request ring: retry this long, then -EAGAIN */
#define LWC_LIVE_CHECK_NS  1000000u /* lw_dispatch(0) looks at the socket at most this often */
#define LWC_HELLO_TIMEOUT  10       /* seconds to wait for the welcome */
#define LWC_BACKLOG_INIT   256u

/* Epoll tags of the internal epoll fd. */
#define LWC_EV_EVENTFD 1u
#define LWC_EV_SOCKET  2u

enum lwc_hstate {
	LWC_H_FREE = 0,
	LWC_H_LOCK,      /* an application's lock */
	LWC_H_RAW,       /* a temporary handle: FORCEUNLOCK of an engine lkid */
};

enum lwc_pend {
	LWC_P_NONE = 0,
	LWC_P_NEW,       /* a new lock (or ORPHAN adoption) not answered yet */
	LWC_P_CONVERT,   /* a conversion not answered yet; grmode still held */
};

enum lwc_unl {
	LWC_U_NONE = 0,
	LWC_U_UNLOCK,
	LWC_U_FORCE,
};

/* What a *_wait waits for (struct lw_client.w_what). */
#define LWC_W_REQ 0x1u   /* the completion of the lock/convert request */
#define LWC_W_UNL 0x2u   /* the completion of the unlock */

struct lwc_handle {
	uint32_t id;               /* the lkid: generation << IDX_BITS | slot */
	uint8_t state;             /* enum lwc_hstate */
	uint8_t pend;              /* enum lwc_pend */
	uint8_t unl;               /* enum lwc_unl */
	uint8_t cancel;            /* a CANCEL is in flight */
	uint8_t u_noast;           /* lw_unlock_wait: its completions run no ast */
	int8_t grmode;             /* granted mode as far as known; LW_LOCK_IV none */
	struct lw_ls *ls;
	struct lw_lksb *lksb;      /* the lock's */
	lw_ast_fn ast;
	void *astarg;
	lw_bast_fn bast;
	void *bastarg;
	struct lw_lksb *u_lksb;    /* the unlock's / cancel's completion */
	void *u_astarg;
	uint64_t req_tag;
	uint64_t unl_tag;
	uint64_t cancel_tag;
};

struct lw_ls {
	struct lw_client *c;
	struct lw_ls *prev, *next;
	uint32_t nlocks;           /* LWC_H_LOCK handles in this lockspace */
	uint16_t lsid;
	char name[LW_LSNAME_MAXLEN + 1];
};

struct lw_client {
	/* the session */
	struct lw_shm_hdr *hdr;
	struct rte_ring *req;      /* we produce */
	struct rte_ring *comp;     /* we consume */
	size_t shm_size;
	int sock;
	int evfd;
	int epfd;
	uint32_t node, worker, session;
	uint32_t max_locks;
	/* handles: h[1..max_locks]; free slots in freeq[fq_head ..] */
	struct lwc_handle *h;
	uint32_t *freeq;
	uint32_t fq_head, fq_n;
	/* records read but not run yet (power-of-two FIFO) */
	struct lw_ccomp *bl;
	uint32_t bl_head, bl_n, bl_cap;
	uint64_t tag;              /* last request tag */
	struct lw_ls *ls_head;
	/* state */
	int gone;                  /* errno why the session is over; 0 alive */
	bool gone_done;            /* pending requests got their -ENOLCK */
	bool in_dispatch;          /* callbacks are running */
	bool fd_used;              /* lw_fd() was asked: keep the wake-up armed */
	uint64_t live_ns;          /* last look at the socket */
	/* the one *_wait in progress */
	uint32_t w_id;
	uint32_t w_what;           /* LWC_W_* */
	bool w_done;
	int w_status;
};

/* lib_conn.c */
uint64_t lwc_now_ns(void);

/* lib_lock.c */
struct lwc_handle *lwc_handle_alloc(struct lw_client *c);
void lwc_handle_free(struct lw_client *c, struct lwc_handle *h);
/** The live handle named id (state LOCK or RAW), or NULL. */
struct lwc_handle *lwc_handle_get(struct lw_client *c, uint32_t id);
int lwc_send(struct lw_client *c, const struct lw_creq *q);

/* lib_dispatch.c */
/** The session can take requests (not over, hdr->dead not set). */
bool lwc_alive(struct lw_client *c);
/** lw_dispatch without the nesting check; spin_us: look at the ring this long before sleeping. */
int lwc_dispatch(struct lw_client *c, int timeout_ms, unsigned int spin_us);
/** lw_fd users: ask the worker for a wake-up; make the fd readable if work is here already. */
void lwc_arm(struct lw_client *c);
/** Wait for the ACK/REJECT/LS record tagged tag, or (handle != 0) a COMPLETE of handle. */
int lwc_wait_answer(struct lw_client *c, uint64_t tag, uint32_t handle, struct lw_ccomp *out);

#endif /* LW_CLIENT_LIB_PRIV_H */
