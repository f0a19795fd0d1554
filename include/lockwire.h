/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lockwire.h — the public interface of the lockwire distributed lock manager.
 *
 * The names and meanings here follow libdlm and OpenVMS $ENQ: six lock
 * modes (NL, CR, CW, PR, PW, EX), a lock status block (lksb) that receives
 * the result of each request, completion callbacks (ast) and blocking
 * callbacks (bast). Flags mean what the DLM_LKF_ flag of the same name
 * means in Linux DLM.
 *
 * Caveats:
 *  - Requests are asynchronous: a 0 return means "accepted", and the result
 *    arrives later in the lksb, followed by the ast. Callbacks run only
 *    inside lw_dispatch() or the *_wait() wrappers, in the caller's thread.
 *  - A struct lw_client is one session; use it from one thread at a time.
 *
 * This header is a contract: names and values below never change meaning.
 */
#ifndef LOCKWIRE_H
#define LOCKWIRE_H

#include <stdint.h>
#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LW_RESNAME_MAXLEN 64   /**< bytes in a resource name */
#define LW_LSNAME_MAXLEN  64   /**< bytes in a lockspace name */
#define LW_LVB_LEN        32   /**< bytes in a lock value block */

/** Lock modes, weakest to strongest (CW and PR are not ordered). */
enum lw_mode {
	LW_LOCK_IV = -1, /**< invalid / not granted */
	LW_LOCK_NL = 0,  /**< null: compatible with everything */
	LW_LOCK_CR = 1,  /**< concurrent read */
	LW_LOCK_CW = 2,  /**< concurrent write */
	LW_LOCK_PR = 3,  /**< protected read */
	LW_LOCK_PW = 4,  /**< protected write */
	LW_LOCK_EX = 5,  /**< exclusive */
};

#define LW_LOCK_NMODES 6

/*
 * Request flags. Each means what the DLM_LKF_ flag of the same name means
 * in Linux DLM; docs/engine.md gives the details and the combinations that
 * are refused with -EINVAL.
 */
#define LW_LKF_NOQUEUE      0x00000001u /**< fail with -EAGAIN instead of waiting */
#define LW_LKF_CANCEL       0x00000002u /**< lw_unlock: cancel a pending request/conversion */
#define LW_LKF_CONVERT      0x00000004u /**< convert the lock named by lksb->sb_lkid */
#define LW_LKF_VALBLK       0x00000008u /**< read / write the lock value block */
#define LW_LKF_QUECVT       0x00000010u /**< queue an up-conversion behind other conversions */
#define LW_LKF_IVVALBLK     0x00000020u /**< invalidate the lock value block */
#define LW_LKF_CONVDEADLK   0x00000040u /**< resolve conversion deadlock by demoting to NL */
#define LW_LKF_PERSISTENT   0x00000080u /**< survive the session: becomes an orphan */
#define LW_LKF_NODLCKWT     0x00000100u /**< never chosen to break a deadlock */
#define LW_LKF_NODLCKBLK    0x00000200u /**< reserved (Linux value kept free) */
#define LW_LKF_EXPEDITE     0x00000400u /**< new NL request granted ahead of all queues */
#define LW_LKF_NOQUEUEBAST  0x00000800u /**< with NOQUEUE: send blocking callbacks anyway */
#define LW_LKF_HEADQUE      0x00001000u /**< queue at the head instead of the tail */
#define LW_LKF_NOORDER      0x00002000u /**< grant when compatible, ignoring queue order */
#define LW_LKF_ORPHAN       0x00004000u /**< adopt an orphaned PERSISTENT lock */
#define LW_LKF_ALTPR        0x00008000u /**< grant PR instead if the mode can't be granted */
#define LW_LKF_ALTCW        0x00010000u /**< grant CW instead if the mode can't be granted */
#define LW_LKF_FORCEUNLOCK  0x00020000u /**< unlock even while converting/waiting, or an orphan */
#define LW_LKF_TIMEOUT      0x00040000u /**< cancel with -ETIMEDOUT after opts->timeout_us */

/** Every flag bit lw_lock() / lw_unlock() know. */
#define LW_LKF_ALL          0x0007fdffu

/* Status codes in lksb.sb_status besides 0 and -errno. */
#define LW_ECANCEL  (-0x10001) /**< the request or conversion was cancelled */
#define LW_EUNLOCK  (-0x10002) /**< the unlock is done */

/* lksb.sb_flags */
#define LW_SBF_DEMOTED      0x01u /**< demoted to NL to break a conversion deadlock */
#define LW_SBF_VALNOTVALID  0x02u /**< the lock value block is not valid */
#define LW_SBF_ALTMODE      0x04u /**< granted in the ALTPR/ALTCW mode */

/** Lock status block: filled in before the completion callback runs. */
struct lw_lksb {
	int       sb_status;  /**< 0, -errno, LW_ECANCEL or LW_EUNLOCK */
	uint32_t  sb_lkid;    /**< the lock's id (set when a request is accepted) */
	uint32_t  sb_flags;   /**< LW_SBF_* */
	char     *sb_lvbptr;  /**< caller's LW_LVB_LEN buffer, or NULL */
};

typedef void (*lw_ast_fn)(void *astarg);            /**< completion */
typedef void (*lw_bast_fn)(void *astarg, int mode); /**< blocking: someone wants mode */

/** Options of one request; NULL means all defaults. */
struct lw_lock_opts {
	uint64_t xid;        /**< transaction (owner) id for deadlock detection; 0 = the session */
	uint32_t timeout_us; /**< with LW_LKF_TIMEOUT */
	uint32_t lease_ms;   /**< time-limited ownership; 0 = none */
	int32_t  priority;   /**< higher wins; deadlock victim is the lowest */
};

struct lw_client;   /**< one connection (session) to the local node */
struct lw_ls;       /**< an open lockspace */

/*
 * Functions. Each returns 0 or a negative errno unless it says otherwise.
 * -ENOTCONN from any of them means the session is over (the node closed it
 * or died); only lw_disconnect() is left to do. docs/client.md has the
 * whole story (handles, callbacks, threads, synchronous cases).
 */

/**
 * Connect to the engine of this node. path NULL: $LOCKWIRE_SOCKET, else the
 * default path (/run/lockwire/lockwired.sock). $LOCKWIRE_MAX_LOCKS: lock
 * handles to ask for (unset or 0: the node's default). NULL with errno set on
 * failure: ENOENT / ECONNREFUSED no node there, ENAMETOOLONG, EINVAL a bad
 * $LOCKWIRE_MAX_LOCKS, EPROTO the node's answer or shared region is not
 * understood, ETIMEDOUT no answer, ENOMEM, or the node's refusal (EBUSY no
 * session slot, ...). Never initialises DPDK's EAL.
 */
struct lw_client *lw_connect(const char *path);

/**
 * End the session and free everything, lockspaces included. The node
 * releases the session's locks, except PERSISTENT ones (they become
 * orphans). NULL is a no-op. Never call it from a callback.
 */
void lw_disconnect(struct lw_client *c);   /* releases the session's locks, except PERSISTENT */

/**
 * Open a lockspace (created if missing); synchronous, runs no callbacks
 * (completions that arrive meanwhile run at the next lw_dispatch()).
 * -EINVAL NULL argument or name length not 1..LW_LSNAME_MAXLEN, -ENOMEM,
 * -ENOTCONN, or the node's refusal (-ENOSPC ...).
 */
int lw_ls_open(struct lw_client *c, const char *name, struct lw_ls **ls);  /* creates if missing */

/**
 * Close a lockspace and free *ls. -EBUSY: the session still has locks in
 * it (nothing changes); -EINVAL NULL; -ENOTCONN (the struct then stays
 * until lw_disconnect()); or the node's refusal.
 */
int lw_ls_close(struct lw_ls *ls);

/*
 * Asynchronous. 0 = accepted: the result arrives later through ast (lksb filled
 * in first). -errno = rejected at once (EINVAL bad arguments, ENOTCONN, ENOMEM ...),
 * and then no ast will run. With LW_LKF_CONVERT, lksb->sb_lkid names the lock.
 * parent: 0 (resource trees may come later).
 *
 * A new lock gets its lkid in lksb->sb_lkid before lw_lock() returns 0.
 * Refused at once, nothing sent: -EINVAL (NULL ls or lksb, NULL name or
 * namelen 0 or > LW_RESNAME_MAXLEN on a new lock, mode out of range,
 * parent != 0, unknown flags, a flag combination docs/engine.md refuses,
 * TIMEOUT without opts->timeout_us, VALBLK with a NULL sb_lvbptr, CONVERT
 * of a lock of another lockspace); -ENOENT CONVERT of an unknown lkid;
 * -EBUSY CONVERT while the lock has a request pending; -ENOMEM no free
 * lock handle; -EAGAIN the request ring stayed full; -ENOTCONN.
 * bast is called as bast(astarg, mode). ORPHAN is synchronous: -EAGAIN
 * (orphans there, none in that mode) or -ENOENT (no orphan) at once,
 * else 0 and the completion follows.
 */
int lw_lock(struct lw_ls *ls, int mode, struct lw_lksb *lksb, uint32_t flags,
	    const void *name, unsigned int namelen, uint32_t parent,
	    lw_ast_fn ast, void *astarg, lw_bast_fn bast,
	    const struct lw_lock_opts *opts);

/*
 * Unlock (sb_status LW_EUNLOCK) or, with LW_LKF_CANCEL, cancel a pending
 * request or conversion (sb_status LW_ECANCEL on the cancelled request).
 *
 * flags: CANCEL, FORCEUNLOCK, VALBLK, IVVALBLK. lksb NULL: the lock's own;
 * astarg NULL: the lock's own; else they serve the completion(s) this call
 * causes. The lock's ast runs. -EINVAL (NULL ls, other flags, CANCEL with
 * FORCEUNLOCK, a lock of another lockspace, VALBLK without sb_lvbptr),
 * -ENOENT unknown lkid, -EBUSY (unlock while a request or an unlock is
 * in flight, CANCEL with nothing to cancel), -ENOTCONN, -EAGAIN ring full.
 * FORCEUNLOCK of an lkid that is not one of this session's names an
 * orphan by its engine lkid: synchronous, no ast; lksb (if given) gets
 * LW_EUNLOCK and 0 is returned, or the node's -errno (-ENOENT, -EINVAL).
 */
int lw_unlock(struct lw_ls *ls, uint32_t lkid, uint32_t flags,
	      struct lw_lksb *lksb, void *astarg);

/*
 * Run due completion and blocking callbacks in the caller's thread. Waits up to
 * timeout_ms for the first (0: no wait, -1: forever). Returns how many ran, or -errno.
 *
 * "How many" counts completions delivered (lksb filled, ast called if
 * set) and blocking callbacks. -EDEADLK when called from a callback;
 * -ENOTCONN once the session is over (the dispatch that finds it over
 * first completes every pending request with -ENOLCK); -EINVAL NULL.
 */
int lw_dispatch(struct lw_client *c, int timeout_ms);

/**
 * An fd for epoll/poll, readable when lw_dispatch has work or the session
 * ended. Owned by the library. Once it was asked for, every lw_dispatch()
 * re-arms the wake-up before returning. -EINVAL NULL.
 */
int lw_fd(struct lw_client *c);   /* readable when lw_dispatch has work (epoll) */

/*
 * Synchronous wrappers: return sb_status (or -errno if not accepted).
 * They dispatch (other callbacks may run) until this request completes.
 * A lock made by lw_lock_wait has no ast (its bast, if any, is called as
 * bast(bastarg, mode)); the completions lw_unlock_wait causes run no ast.
 * -EDEADLK from a callback. lw_unlock_wait with CANCEL returns the status
 * of the cancelled request (LW_ECANCEL, or 0 when it was granted first).
 */
int lw_lock_wait(struct lw_ls *ls, int mode, struct lw_lksb *lksb, uint32_t flags,
		 const void *name, unsigned int namelen,
		 lw_bast_fn bast, void *bastarg, const struct lw_lock_opts *opts);
int lw_unlock_wait(struct lw_ls *ls, uint32_t lkid, uint32_t flags, struct lw_lksb *lksb);

/** The id of the node the session is on (1..255), or -EINVAL for NULL. */
int lw_client_node(struct lw_client *c);

#ifdef __cplusplus
}
#endif

#endif /* LOCKWIRE_H */
