/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lockq.h — the queue algorithm of a VMS-style lock manager, written once.
 *
 * DESIGN
 * A lockq is the three queues of one resource: granted, converting and
 * waiting. Entries (struct lw_qent) are embedded by the caller: client lock
 * blocks at a site, or site holdings at a master. The algorithm follows
 * OpenVMS / Linux DLM:
 *  - a request is granted at once when it is compatible with every granted
 *    mode (converting entries keep their granted mode) and, for a new
 *    request, when nothing waits; conversions go before new requests, FIFO
 *    within each queue (HEADQUE queues at the head, NOORDER ignores order,
 *    QUECVT queues a compatible conversion behind the others, EXPEDITE
 *    grants a new NL request ahead of every queue);
 *  - after a release or a down-conversion the head is granted, then every
 *    later entry that is compatible too;
 *  - ALTPR / ALTCW grant the alternative mode when the requested one can't;
 *  - conversion deadlock is found when a conversion would queue behind one
 *    that its own granted mode blocks: -EDEADLK, or with CONVDEADLK the
 *    granted mode is demoted to NL (LW_SBF_DEMOTED);
 *  - each holder that blocks a pending request gets one blocking notice
 *    naming the strongest pending mode it blocks, not repeated until that
 *    mode rises or the holder is granted anew.
 * A ceiling caps every grant (a shadow may grant no more than its site
 * holds); it is LW_LOCK_EX where there is no cap.
 *
 * The queue takes no locks and allocates nothing; one thread owns it.
 * Results come back through lw_lockq_ops callbacks, called synchronously.
 */
#ifndef LW_LOCKQ_H
#define LW_LOCKQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "mode.h"

enum lw_qstate {
	LW_QS_NONE = 0,    /**< on no queue */
	LW_QS_GRANTED,     /**< holds grmode */
	LW_QS_CONVERT,     /**< holds grmode, waits for rqmode */
	LW_QS_WAIT,        /**< holds nothing, waits for rqmode */
};

struct lw_qent {
	TAILQ_ENTRY(lw_qent) link;
	int8_t   grmode;    /**< granted mode, LW_LOCK_IV when none */
	int8_t   rqmode;    /**< requested mode while converting/waiting */
	int8_t   qmode;     /**< rqmode as counted in the pending tally */
	int8_t   highbast;  /**< strongest mode a blocking notice named since the last grant */
	uint8_t  state;     /**< enum lw_qstate */
	uint8_t  sbflags;   /**< LW_SBF_ALTMODE / LW_SBF_DEMOTED of the latest decision */
	uint8_t  want_bast; /**< deliver blocking notices to this entry */
	int8_t   dlmode;    /**< mode to judge conversion deadlock by, when not grmode (IV) */
	uint32_t flags;     /**< LW_LKF_* of the current request */
};

TAILQ_HEAD(lw_qlist, lw_qent);

struct lw_lockq {
	/* what an uncontended request reads first, together */
	int8_t   ceiling;                  /**< no grant above this mode */
	int8_t   cap;                      /**< a conversion of a lock already above the
					        ceiling may go up to this (a shadow: held) */
	uint32_t nconvert;
	uint32_t nwait;
	uint32_t nnoorder;                 /**< pending entries with NOORDER */
	uint32_t gcnt[LW_LOCK_NMODES];     /**< granted modes (granted + converting entries) */
	struct lw_qlist grant;
	struct lw_qlist convert;
	struct lw_qlist wait;
	uint32_t pcnt[LW_LOCK_NMODES];     /**< pending modes (converting + waiting entries) */
};

struct lw_lockq_ops {
	/** e was granted e->grmode; prev is the mode it held before (IV: new). */
	void (*granted)(void *ctx, struct lw_qent *e, int prev);
	/** holder h blocks a pending request for mode. */
	void (*blocking)(void *ctx, struct lw_qent *h, int mode);
};

/** Empty queues, no ceiling. */
void lw_lockq_init(struct lw_lockq *q);

/** Reset an entry before its first request. */
void lw_qent_init(struct lw_qent *e, bool want_bast);

/** True when no entry is on any queue. */
static inline bool
lw_lockq_empty(const struct lw_lockq *q)
{
	return TAILQ_EMPTY(&q->grant) && q->nconvert == 0 && q->nwait == 0;
}

/**
 * A new request of e (state NONE) for mode with flags.
 * @return 0: granted (ops->granted ran) or queued (e->state WAIT);
 *   -EAGAIN: NOQUEUE and not grantable now (e stays NONE).
 */
int lw_lockq_request(struct lw_lockq *q, struct lw_qent *e, int mode,
		     uint32_t flags, const struct lw_lockq_ops *ops, void *ctx);

/**
 * A conversion of the granted entry e to mode with flags.
 * @return 0: granted (ops->granted ran) or queued (e->state CONVERT);
 *   -EAGAIN: NOQUEUE and not grantable now; -EDEADLK: conversion deadlock
 *   (e keeps its granted mode); -EBUSY: e is not in state GRANTED.
 */
int lw_lockq_convert(struct lw_lockq *q, struct lw_qent *e, int mode,
		     uint32_t flags, const struct lw_lockq_ops *ops, void *ctx);

/**
 * Cancel the pending request of e: a conversion returns to its granted
 * mode, a waiting request leaves the queues. Then grants what it unblocks.
 * @return the state e was in (LW_QS_CONVERT or LW_QS_WAIT); -EBUSY when
 *   nothing was pending.
 */
int lw_lockq_cancel(struct lw_lockq *q, struct lw_qent *e,
		    const struct lw_lockq_ops *ops, void *ctx);

/**
 * Like lw_lockq_cancel, but grants nothing: the caller runs
 * lw_lockq_grant_pending once it has taken out all it wants to.
 */
int lw_lockq_dequeue(struct lw_lockq *q, struct lw_qent *e);

/**
 * Release the granted entry e (state GRANTED) and grant what that unblocks.
 * @return 0, or -EBUSY when e is not in state GRANTED.
 */
int lw_lockq_release(struct lw_lockq *q, struct lw_qent *e,
		     const struct lw_lockq_ops *ops, void *ctx);

/** Like lw_lockq_release, but grants nothing (see lw_lockq_dequeue). */
int lw_lockq_remove(struct lw_lockq *q, struct lw_qent *e);

void lw_lockq_grant_pending_slow(struct lw_lockq *q, const struct lw_lockq_ops *ops, void *ctx);

/** Grant every pending entry that can be granted now, then send blocking notices. */
static inline void
lw_lockq_grant_pending(struct lw_lockq *q, const struct lw_lockq_ops *ops, void *ctx)
{
	if (q->nconvert != 0 || q->nwait != 0)
		lw_lockq_grant_pending_slow(q, ops, ctx);
}

/**
 * Change the ceiling and grant what the new ceiling allows. A shadow
 * calls this when its site's held mode changes.
 */
void lw_lockq_set_ceiling(struct lw_lockq *q, int ceiling,
			  const struct lw_lockq_ops *ops, void *ctx);

/**
 * Would e be granted mode (flags) now if the ceiling were `ceiling`? For an
 * entry not on a queue, as a new request (or conversion when granted);
 * for a pending entry, as a pending one. Changes nothing.
 */
bool lw_lockq_would_grant(struct lw_lockq *q, struct lw_qent *e, int mode,
			  uint32_t flags, int ceiling);

/**
 * Lower the granted mode of e (granted or converting) to mode, which its
 * granted mode must cover, and grant what that unblocks; e then hears
 * again (blocking notice) of pending requests it still blocks.
 * @return 0; -EINVAL mode not covered; -EBUSY e holds nothing.
 */
int lw_lockq_lower(struct lw_lockq *q, struct lw_qent *e, int mode,
		   const struct lw_lockq_ops *ops, void *ctx);

/** Bit m set when some pending request other than e's own wants mode m. */
unsigned int lw_lockq_pending_mask(const struct lw_lockq *q, const struct lw_qent *e);

/** The strongest granted mode join (LW_LOCK_IV when nothing is granted). */
int lw_lockq_granted_join(const struct lw_lockq *q);

#endif /* LW_LOCKQ_H */
