/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proto.h — what a client (liblockwire) and its node (lockwired) share:
 * the session handshake on the Unix socket and the layout of the session's
 * shared memory. Internal to lockwire; applications use lockwire.h.
 *
 * DESIGN
 * 1. The client connects to the node's socket (SOCK_SEQPACKET) and sends one
 *    struct lw_hello. The control thread picks a worker (on the client's
 *    NUMA socket, fewest sessions), makes a memfd holding a struct
 *    lw_shm_hdr, a request ring and a completion ring (rte_ring_init on
 *    that memory), and an eventfd; it answers with one struct lw_welcome
 *    and, in the same message (SCM_RIGHTS), the two fds: memfd first, then
 *    the eventfd. status < 0 in the welcome means refused (no fds).
 * 2. The client maps the memfd (MAP_SHARED) and from then on talks through
 *    the rings only: it enqueues struct lw_creq (single producer) and
 *    dequeues struct lw_ccomp (single consumer); the worker is the other
 *    end of each. The socket stays open and says that the client lives:
 *    when it closes, the session ends (locks released, PERSISTENT ones
 *    orphaned).
 * 3. Wake-ups: before the client sleeps on the eventfd it stores 1 in
 *    hdr->waiting (then looks at the completion ring once more); a worker
 *    that enqueued completions and finds waiting == 1 swaps it to 0 and
 *    writes the eventfd. A worker that cuts a session off sets hdr->dead
 *    and writes the eventfd too. Each side needs a full barrier between
 *    its store and its load (store-load order): the client stores waiting
 *    with __ATOMIC_SEQ_CST before it reads the ring; the worker must put
 *    rte_atomic_thread_fence(__ATOMIC_SEQ_CST) between its enqueue (a
 *    release store of the ring's tail) and its load of waiting, or both
 *    can miss the other's store and the client sleeps with records queued.
 *    A client that uses lw_fd() leaves waiting at 1 between dispatches.
 *
 * Lock handles: the client names its locks with handles it chooses
 * (LW_HANDLE_IDX bits: slot 1..max_locks of its own table; the rest a
 * generation). The worker keeps handle slot -> engine lkid for the
 * session; every request carries the handle, and the engine's cookie for
 * it is the handle, so each completion and blocking record names the
 * handle again. A handle is the lkid an application sees (lksb.sb_lkid).
 *
 * Everything in the shared region is untrusted by the worker: each request
 * is checked (op, handle range, lockspace opened by this session) before
 * the engine sees it, and the engine checks the rest.
 *
 * Byte order: native (both ends run on one machine).
 */
#ifndef LW_CLIENT_PROTO_H
#define LW_CLIENT_PROTO_H

#include <stdint.h>

#include "lockwire.h"

#define LW_CLIENT_MAGIC    0x4c57434cu   /* "LWCL" */
#define LW_CLIENT_VERSION  1u

#define LW_DEFAULT_SOCKET "/run/lockwire/lockwired.sock"
#define LW_SOCKET_ENV     "LOCKWIRE_SOCKET"

/* Handles: low LW_HANDLE_IDX_BITS are the slot (1..max_locks), the rest a generation. */
#define LW_HANDLE_IDX_BITS 20u
#define LW_HANDLE_IDX_MASK ((1u << LW_HANDLE_IDX_BITS) - 1u)
#define LW_HANDLE_IDX(h)   ((h) & LW_HANDLE_IDX_MASK)

#define LW_SESSION_MIN_LOCKS 64u
#define LW_SESSION_MAX_LOCKS 262144u
#define LW_SESSION_DEF_LOCKS 4096u

/** First message, client -> node. */
struct lw_hello {
	uint32_t magic;          /**< LW_CLIENT_MAGIC */
	uint32_t version;        /**< LW_CLIENT_VERSION */
	int32_t  pid;
	int32_t  numa;           /**< the client's NUMA socket, -1 unknown */
	uint32_t max_locks;      /**< handles wanted; 0: default (clamped to MIN..MAX) */
	uint32_t rsvd;
	char     name[32];       /**< program name, for lwctl (NUL padded) */
};

/** The answer, node -> client, with [memfd, eventfd] as SCM_RIGHTS when status == 0. */
struct lw_welcome {
	uint32_t magic;
	uint32_t version;
	int32_t  status;         /**< 0 or -errno (EPROTO bad hello, EBUSY no session slot, ENOMEM ...) */
	uint32_t node;           /**< this node's id */
	uint32_t worker;         /**< the worker serving the session */
	uint32_t session;        /**< the engine's session id (for lwctl lockdump) */
	uint64_t shm_size;       /**< bytes to map */
	uint32_t max_locks;      /**< handles granted (slots 1..max_locks) */
	uint32_t rsvd;
};

/* Request ops. */
enum lw_cop {
	LW_COP_LOCK = 1,         /**< new lock / CONVERT / ORPHAN adoption */
	LW_COP_UNLOCK = 2,       /**< unlock, CANCEL, FORCEUNLOCK */
	LW_COP_LS_OPEN = 3,      /**< open a lockspace: name, namelen; answered by LW_CC_LS */
	LW_COP_LS_CLOSE = 4,     /**< close: lsid; answered by LW_CC_LS */
	LW_COP_NOP = 5,          /**< answered by LW_CC_ACK (tests, wake-up checks) */
};

/* creq.cflags */
#define LW_CREQ_ACK     0x01u   /**< answer LW_CC_ACK (rc, lkid) as soon as the engine took it */
#define LW_CREQ_RAWLKID 0x02u   /**< UNLOCK with FORCEUNLOCK: lkid is an engine lkid (an orphan's) */

/** One request, client -> worker (an element of the request ring). */
struct lw_creq {
	uint8_t  op;             /**< enum lw_cop */
	int8_t   mode;           /**< LOCK: LW_LOCK_NL..EX */
	uint8_t  namelen;        /**< LOCK (new) and LS_OPEN: 1..64 */
	uint8_t  want_bast;      /**< LOCK: deliver LW_CC_BLOCKING for this lock */
	uint16_t lsid;           /**< LOCK/UNLOCK/LS_CLOSE: as LW_CC_LS gave it */
	uint8_t  cflags;         /**< LW_CREQ_* */
	uint8_t  rsvd;
	uint32_t flags;          /**< LW_LKF_* */
	uint32_t handle;         /**< the client's name for the lock (all ops; echoed) */
	uint32_t lkid;           /**< LW_CREQ_RAWLKID: the engine lkid */
	uint32_t timeout_us;     /**< with LW_LKF_TIMEOUT */
	int32_t  priority;
	uint32_t lease_ms;       /**< lw_lock_opts.lease_ms (not enforced yet) */
	uint64_t xid;            /**< 0: the session */
	uint64_t tag;            /**< echoed in LW_CC_ACK / LW_CC_LS / LW_CC_REJECT */
	uint8_t  lvb[LW_LVB_LEN];
	uint8_t  name[LW_RESNAME_MAXLEN];
};

/* Completion record types. */
enum lw_cc_type {
	LW_CC_COMPLETE = 1,      /**< a request of lock `handle` ended: status, mode, sbflags, lvb */
	LW_CC_BLOCKING = 2,      /**< lock `handle` blocks a request for `mode` */
	LW_CC_REJECT = 3,        /**< the request (handle, tag) was refused: status = -errno, no COMPLETE follows */
	LW_CC_ACK = 4,           /**< LW_CREQ_ACK / NOP: accepted; lkid = the engine's lkid */
	LW_CC_LS = 5,            /**< LS_OPEN / LS_CLOSE answered: status, lsid */
};

/** One record, worker -> client (an element of the completion ring). */
struct lw_ccomp {
	uint8_t  type;           /**< enum lw_cc_type */
	int8_t   mode;           /**< COMPLETE: mode now granted (IV none); BLOCKING: mode wanted */
	uint8_t  sbflags;        /**< LW_SBF_* */
	uint8_t  has_lvb;        /**< lvb holds the value block (VALBLK read) */
	int32_t  status;         /**< COMPLETE: sb_status; REJECT/ACK/LS: 0 or -errno */
	uint32_t handle;
	uint32_t lkid;           /**< the engine's lkid (ACK, COMPLETE) */
	uint16_t lsid;           /**< LS */
	uint16_t rsvd;
	uint32_t rsvd2;
	uint64_t tag;            /**< the request's tag (REJECT, ACK, LS) */
	uint8_t  lvb[LW_LVB_LEN];
};

/*
 * The shared region: header at offset 0, the request ring at req_off, the
 * completion ring at comp_off (each an rte_ring initialised by the node
 * with rte_ring_init, SP/SC, element size sizeof(struct lw_creq) /
 * sizeof(struct lw_ccomp); use the *_elem functions).
 */
struct lw_shm_hdr {
	uint32_t magic;          /**< LW_CLIENT_MAGIC */
	uint32_t version;
	uint64_t size;           /**< of the whole region */
	uint64_t req_off;        /**< offset of the request ring (cache-line aligned) */
	uint64_t comp_off;       /**< offset of the completion ring */
	uint32_t req_slots;      /**< ring size given to rte_ring_init (power of two; holds req_slots - 1) */
	uint32_t comp_slots;
	uint32_t max_locks;
	uint32_t rsvd;
	/* written by the client, read by the worker */
	volatile uint32_t waiting __attribute__((aligned(64)));  /**< the client sleeps on the eventfd */
	/* written by the worker / node */
	volatile uint32_t dead __attribute__((aligned(64)));     /**< session cut off: reason (errno) */
	volatile uint64_t rejected;     /**< requests refused by the worker's checks */
};

_Static_assert(sizeof(struct lw_creq) % 8 == 0, "lw_creq size");
_Static_assert(sizeof(struct lw_ccomp) % 8 == 0, "lw_ccomp size");
_Static_assert(sizeof(struct lw_creq) == 144, "lw_creq layout");
_Static_assert(sizeof(struct lw_ccomp) == 64, "lw_ccomp layout");

/*
 * Ring sizes for max_locks handles: a handle has at most one request and
 * one CANCEL in the request ring at once, plus a few lockspace ops; the
 * completion ring holds as many, and the worker keeps what does not fit
 * (blocking records) in a bounded backlog of its own.
 */
static inline uint32_t
lw_proto_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static inline uint32_t lw_proto_req_slots(uint32_t max_locks) { return lw_proto_pow2(2 * max_locks + 64); }
static inline uint32_t lw_proto_comp_slots(uint32_t max_locks) { return lw_proto_pow2(2 * max_locks + 64); }

#endif /* LW_CLIENT_PROTO_H */
