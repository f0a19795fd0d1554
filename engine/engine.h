/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine.h — the lock engine of one site, sans-IO.
 *
 * DESIGN
 * An engine owns the lock table of one site: lockspaces, resources found
 * by a 64-bit hash of (lockspace, name), lock blocks (lkbs) with ids that
 * are unique per node, client sessions, and the timers of TIMEOUT requests.
 * It does no I/O and reads no clock: requests come in batches with the
 * current time (nanoseconds, any epoch, never going back), and every
 * result is an event appended to a caller-provided buffer:
 *   - COMPLETE: the answer to one accepted request (exactly one each);
 *   - BLOCKING: a granted lock blocks a request for `mode`.
 * Rejected requests (bad arguments) get rc < 0 in the request itself, no
 * event, and change nothing.
 *
 * Threads: an engine belongs to one thread (its worker lcore). Nothing is
 * shared; nothing here locks. After warm-up, the request path allocates
 * nothing: lkbs and resources come from free lists sized at creation, and
 * an event buffer only grows past its largest size so far.
 *
 * Semantics follow Linux DLM / OpenVMS; docs/engine.md spells them out,
 * including the order of events within one batch.
 */
#ifndef LW_ENGINE_H
#define LW_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockwire.h"

struct lw_engine;

/** Creation parameters; zero fields take the defaults noted. */
struct lw_engine_conf {
	const char *name;         /**< unique among engines of the process (DPDK object names) */
	uint32_t max_resources;   /**< resources resident at once; default 65536 */
	uint32_t max_locks;       /**< lkbs at once, at most LW_ENGINE_MAX_LOCKS; default 65536 */
	uint32_t max_sessions;    /**< default 1024 */
	uint32_t max_lockspaces;  /**< default 64 */
	uint32_t worker;          /**< this site's worker index, 0..31, encoded in lkids */
	int      socket_id;       /**< NUMA socket for tables (SOCKET_ID_ANY = -1) */
};

#define LW_ENGINE_MAX_LOCKS   (1u << 20)
#define LW_ENGINE_MAX_WORKERS 32u

/** What a request asks. */
enum lw_req_op {
	LW_REQ_LOCK = 1,    /**< new lock, or CONVERT of lkid, or ORPHAN adoption */
	LW_REQ_UNLOCK = 2,  /**< unlock lkid; CANCEL / FORCEUNLOCK as flags say */
};

/** One request. The caller fills the inputs; the engine writes rc and lkid. */
struct lw_req {
	uint8_t  op;          /**< enum lw_req_op */
	int8_t   mode;        /**< LW_LOCK_NL..EX (LOCK) */
	uint8_t  namelen;     /**< 1..LW_RESNAME_MAXLEN (new locks) */
	uint8_t  want_bast;   /**< deliver BLOCKING events for this lock */
	uint16_t lsid;        /**< from lw_engine_ls_open */
	uint16_t rsvd;
	uint32_t flags;       /**< LW_LKF_* */
	uint32_t lkid;        /**< in: CONVERT / UNLOCK target; out: the lock's id */
	uint32_t session;     /**< from lw_engine_session_open */
	uint32_t timeout_us;  /**< with LW_LKF_TIMEOUT */
	int32_t  priority;
	int32_t  rc;          /**< out: 0 accepted (one COMPLETE will follow), or -errno */
	uint64_t xid;         /**< owner (transaction); 0 = the session */
	uint64_t cookie;      /**< echoed in this request's COMPLETE event */
	uint8_t  lvb[LW_LVB_LEN];            /**< written with VALBLK by a PW/EX holder going down */
	uint8_t  name[LW_RESNAME_MAXLEN];
};

enum lw_event_type {
	LW_EV_COMPLETE = 1,
	LW_EV_BLOCKING = 2,
};

/** One output of the engine. */
struct lw_event {
	uint8_t  type;        /**< enum lw_event_type */
	int8_t   mode;        /**< COMPLETE: mode now granted (IV: none); BLOCKING: mode wanted */
	uint8_t  sbflags;     /**< LW_SBF_* (COMPLETE) */
	uint8_t  has_lvb;     /**< lvb holds the resource's value block (VALBLK read) */
	int32_t  status;      /**< COMPLETE: 0, -EAGAIN, -EDEADLK, -ETIMEDOUT, LW_ECANCEL, LW_EUNLOCK */
	uint32_t lkid;
	uint32_t session;
	uint64_t cookie;      /**< COMPLETE: the answered request's; BLOCKING: the lock's latest request's */
	uint8_t  lvb[LW_LVB_LEN];
};

/** A growable batch of events. */
struct lw_evbuf {
	struct lw_event *ev;
	uint32_t n;
	uint32_t cap;
	uint64_t lost;        /**< events that could not be stored (out of memory) */
};

int  lw_evbuf_init(struct lw_evbuf *b, uint32_t cap);
void lw_evbuf_fini(struct lw_evbuf *b);
struct lw_event *lw_evbuf_grow(struct lw_evbuf *b);

/** Room for one more event; NULL (and b->lost counted) only when memory is gone. */
static inline struct lw_event *
lw_evbuf_push(struct lw_evbuf *b)
{
	if (__builtin_expect(b->n == b->cap, 0))
		return lw_evbuf_grow(b);
	return &b->ev[b->n++];
}

/** Counters of one engine. */
struct lw_engine_stats {
	uint64_t requests;        /**< accepted requests */
	uint64_t rejected;        /**< requests with rc < 0 */
	uint64_t grants;          /**< grants of any kind */
	uint64_t grants_now;      /**< granted in the request that asked */
	uint64_t queued;          /**< requests that had to wait */
	uint64_t blocking;        /**< BLOCKING events */
	uint64_t deadlocks;       /**< conversion deadlocks found */
	uint64_t timeouts;        /**< requests ended by TIMEOUT */
	uint64_t res_created;
	uint64_t res_reclaimed;   /**< idle resources evicted to make room */
	uint32_t res_resident;
	uint32_t locks;           /**< lkbs in use */
	uint32_t orphans;
};

/** NULL with errno set (EINVAL bad conf, ENOMEM) on failure. */
struct lw_engine *lw_engine_create(const struct lw_engine_conf *conf);
void lw_engine_free(struct lw_engine *e);

/**
 * Open (creating if missing) the lockspace named by len bytes (1..64).
 * @return 0 and *lsid; -EINVAL bad name; -ENOSPC all lockspace slots in use.
 */
int lw_engine_ls_open(struct lw_engine *e, const void *name, size_t len, uint16_t *lsid);

/**
 * Drop one open of a lockspace. The last close frees it and its idle
 * resources. @return 0; -ENOENT unknown lsid; -EBUSY locks remain (the
 * lockspace stays open).
 */
int lw_engine_ls_close(struct lw_engine *e, uint16_t lsid);

/** @return 0 and *sid (never 0); -ENOSPC no session slot free. */
int lw_engine_session_open(struct lw_engine *e, uint32_t *sid);

/**
 * The session is gone: its pending requests are cancelled and its locks
 * released, except PERSISTENT ones, which become orphans. No event goes to
 * the closed session; events for others (grants it unblocks) are appended.
 * @return 0; -ENOENT unknown session.
 */
int lw_engine_session_close(struct lw_engine *e, uint32_t sid, uint64_t now,
			    struct lw_evbuf *out);

/**
 * Process n requests in order at time now (ns). Each gets rc (0 or -errno,
 * see docs/engine.md) and, when accepted, exactly one COMPLETE event,
 * possibly in a later call (queued requests). @return n.
 */
uint32_t lw_engine_submit(struct lw_engine *e, struct lw_req *reqs, uint32_t n,
			  uint64_t now, struct lw_evbuf *out);

/** End the TIMEOUT requests whose deadline is <= now (COMPLETE -ETIMEDOUT). @return how many. */
uint32_t lw_engine_tick(struct lw_engine *e, uint64_t now, struct lw_evbuf *out);

/** Earliest pending deadline, or UINT64_MAX when no timer runs. */
uint64_t lw_engine_next_deadline(const struct lw_engine *e);

void lw_engine_get_stats(const struct lw_engine *e, struct lw_engine_stats *st);

/** The 64-bit hash of a resource name in a lockspace (key: the lockspace's cluster-wide id). */
uint64_t lw_res_hash(uint32_t key, const void *name, size_t len);

/** The 32-bit cluster-wide id of a lockspace name (messages carry it). */
uint32_t lw_ls_gid(const void *name, size_t len);

/** What one lock looks like now (tests, lockdump). */
struct lw_lock_info {
	uint32_t lkid;
	uint32_t session;      /**< 0: orphan */
	int8_t   grmode;
	int8_t   rqmode;
	uint8_t  state;        /**< enum lw_qstate of engine/lockq.h */
	uint8_t  persistent;
	uint64_t xid;
};

/** @return 0 and *info; -ENOENT unknown lkid. */
int lw_engine_lock_info(const struct lw_engine *e, uint32_t lkid, struct lw_lock_info *info);

/**
 * The resource's value block and whether it is valid.
 * @return 0; -ENOENT the resource is not resident.
 */
int lw_engine_res_lvb(const struct lw_engine *e, uint16_t lsid, const void *name,
		      size_t len, uint8_t lvb[LW_LVB_LEN], bool *valid);

/** Internal consistency check (tests, debug builds). @return 0 or -EFAULT with a message on stderr. */
int lw_engine_check(const struct lw_engine *e);

#endif /* LW_ENGINE_H */
