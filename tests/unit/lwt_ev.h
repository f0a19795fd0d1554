/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwt_ev.h — assertions on engine events and lock state for the engine
 * CUnit programs. Header-only (static inline) so that no build change is
 * needed; each check reports the caller's line and a message with the
 * values seen.
 */
#ifndef LWT_EV_H
#define LWT_EV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "lwt.h"
#include "lockq.h"
#include "mode.h"

static inline bool __attribute__((format(printf, 4, 5)))
lwt_check_at(bool ok, int line, const char *file, const char *fmt, ...)
{
	char msg[256] = "";

	if (!ok) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned int)line, msg,
				file, "", CU_FALSE);
	return ok;
}

/** CU_ASSERT with a printf message (formatted only on failure). */
#define LWT_CHECK(cond, ...) lwt_check_at(!!(cond), __LINE__, __FILE__, __VA_ARGS__)

/** The COMPLETE for cookie exists with this status, mode and sbflags. */
static inline const struct lw_event *
lwt_expect_done_at(const struct lwt_env *t, uint64_t ck, int status, int mode,
		   unsigned int sbf, int line, const char *file)
{
	const struct lw_event *ev = lwt_find_complete(t, ck);

	if (!lwt_check_at(ev != NULL, line, file, "no COMPLETE for cookie %llu",
			  (unsigned long long)ck))
		return NULL;
	lwt_check_at(ev->status == status, line, file, "cookie %llu: status %d, want %d",
		     (unsigned long long)ck, ev->status, status);
	lwt_check_at(ev->mode == mode, line, file, "cookie %llu: mode %s, want %s",
		     (unsigned long long)ck, lw_mode_name(ev->mode), lw_mode_name(mode));
	lwt_check_at(ev->sbflags == sbf, line, file, "cookie %llu: sbflags %#x, want %#x",
		     (unsigned long long)ck, ev->sbflags, sbf);
	return ev;
}

#define EXPECT_DONE(t, ck, st, md, sbf) \
	lwt_expect_done_at((t), (ck), (st), (md), (sbf), __LINE__, __FILE__)

/** Like EXPECT_DONE, and the event names lkid. */
#define EXPECT_DONE_LK(t, ck, st, md, sbf, lk) do { \
	const struct lw_event *ev_ = EXPECT_DONE(t, ck, st, md, sbf); \
	if (ev_ != NULL) \
		LWT_CHECK(ev_->lkid == (lk), "cookie %llu: lkid %#x, want %#x", \
			  (unsigned long long)(ck), ev_->lkid, (unsigned)(lk)); \
} while (0)

/** No COMPLETE for cookie so far. */
#define EXPECT_NO_DONE(t, ck) \
	LWT_CHECK(lwt_find_complete((t), (ck)) == NULL, "unexpected COMPLETE for cookie %llu", \
		  (unsigned long long)(ck))

/** Exactly n events gathered since the last lwt_clear(). */
#define EXPECT_NEV(t, n) \
	LWT_CHECK((t)->out.n == (uint32_t)(n), "%u events, want %u", (t)->out.n, (unsigned)(n))

/** Exactly n BLOCKING events for lkid (mode -1: any mode). */
#define EXPECT_BAST(t, lk, md, n) \
	LWT_CHECK(lwt_count_blocking((t), (lk), (md)) == (n), "lkid %#x: %d BLOCKING(%s), want %d", \
		  (unsigned)(lk), lwt_count_blocking((t), (lk), (md)), lw_mode_name(md), (n))

static inline int
lwt_count_type(const struct lwt_env *t, int type)
{
	int n = 0;

	for (uint32_t i = 0; i < t->out.n; i++)
		n += t->out.ev[i].type == type;
	return n;
}

/** Lock lkid exists in state st with granted mode gr (and rqmode rq unless rq < -1). */
static inline void
lwt_expect_lock_at(const struct lwt_env *t, uint32_t lk, int st, int gr, int rq,
		   int line, const char *file)
{
	struct lw_lock_info li;
	int rc = lw_engine_lock_info(t->e, lk, &li);

	if (!lwt_check_at(rc == 0, line, file, "lock_info(%#x) rc %d", lk, rc))
		return;
	lwt_check_at(li.lkid == lk, line, file, "lock_info(%#x).lkid %#x", lk, li.lkid);
	lwt_check_at(li.state == st, line, file, "lock %#x: state %d, want %d", lk, li.state, st);
	lwt_check_at(li.grmode == gr, line, file, "lock %#x: grmode %s, want %s", lk,
		     lw_mode_name(li.grmode), lw_mode_name(gr));
	if (rq >= LW_LOCK_IV)
		lwt_check_at(li.rqmode == rq, line, file, "lock %#x: rqmode %s, want %s", lk,
			     lw_mode_name(li.rqmode), lw_mode_name(rq));
}

#define LWT_ANY (-2)
#define EXPECT_LOCK(t, lk, st, gr, rq) lwt_expect_lock_at((t), (lk), (st), (gr), (rq), __LINE__, __FILE__)
#define EXPECT_GRANTED(t, lk, gr) EXPECT_LOCK(t, lk, LW_QS_GRANTED, gr, LWT_ANY)
#define EXPECT_WAITING(t, lk, rq) EXPECT_LOCK(t, lk, LW_QS_WAIT, LW_LOCK_IV, rq)
#define EXPECT_CONVERTING(t, lk, gr, rq) EXPECT_LOCK(t, lk, LW_QS_CONVERT, gr, rq)

/** The lock is gone (lw_engine_lock_info says -ENOENT). */
#define EXPECT_GONE(t, lk) do { \
	struct lw_lock_info li_; \
	int rc_ = lw_engine_lock_info((t)->e, (lk), &li_); \
	LWT_CHECK(rc_ == -ENOENT, "lock %#x: lock_info rc %d, want -ENOENT", (unsigned)(lk), rc_); \
} while (0)

/** lw_engine_check passes. */
#define EXPECT_SANE(t) LWT_CHECK(lw_engine_check((t)->e) == 0, "lw_engine_check failed")

static inline struct lw_engine_stats
lwt_stats(const struct lwt_env *t)
{
	struct lw_engine_stats st;

	memset(&st, 0, sizeof(st));
	lw_engine_get_stats(t->e, &st);
	return st;
}

#endif /* LWT_EV_H */
