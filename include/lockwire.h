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

#ifdef __cplusplus
}
#endif

#endif /* LOCKWIRE_H */
