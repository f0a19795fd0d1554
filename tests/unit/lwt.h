/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwt.h — what the CUnit programs share: EAL start-up without hugepages,
 * a runner that prints the CUnit summary and sets the exit code, and small
 * helpers to drive an engine.
 */
#ifndef LWT_H
#define LWT_H

#include <CUnit/CUnit.h>
#include <stdint.h>

#include "engine.h"

/** Start EAL (--no-huge, a unique file prefix) once per process; exits on failure. */
void lwt_eal_init(const char *prog);
/** rte_eal_cleanup, and remove the runtime directory it leaves. */
void lwt_eal_cleanup(void);

/** Run every registered suite; returns the process exit code (0 all passed). */
int lwt_run(void);

/** Add a suite with its tests; NULL-terminated pairs of name and function. */
void lwt_suite(const char *name, ...);

/* --- engine helpers ------------------------------------------------------ */

/** An engine with small tables, one lockspace "ls" and sessions; set up per test. */
struct lwt_env {
	struct lw_engine *e;
	struct lw_evbuf out;
	uint16_t ls;
	uint32_t s1, s2, s3;
	uint64_t now;
};

void lwt_env_init(struct lwt_env *t, uint32_t max_res, uint32_t max_locks);
void lwt_env_fini(struct lwt_env *t);

/** Submit one LOCK request; returns rc and sets *lkid (0 when rejected). Events go to t->out. */
int lwt_lock(struct lwt_env *t, uint32_t sess, const char *name, int mode,
	     uint32_t flags, uint32_t *lkid, uint64_t cookie);
/** Submit one CONVERT of lkid; returns rc. */
int lwt_convert(struct lwt_env *t, uint32_t sess, uint32_t lkid, int mode,
		uint32_t flags, uint64_t cookie);
/** Submit one UNLOCK of lkid with flags; returns rc. */
int lwt_unlock(struct lwt_env *t, uint32_t sess, uint32_t lkid, uint32_t flags,
	       uint64_t cookie);

/** Find the COMPLETE event for cookie in t->out; NULL when absent. */
const struct lw_event *lwt_find_complete(const struct lwt_env *t, uint64_t cookie);
/** Count BLOCKING events for lkid in t->out (mode >= 0: only that mode). */
int lwt_count_blocking(const struct lwt_env *t, uint32_t lkid, int mode);
/** Forget the events gathered so far. */
void lwt_clear(struct lwt_env *t);

#endif /* LWT_H */
