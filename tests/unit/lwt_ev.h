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

/** The COMPLETE for cookie exists with this status, mode and sbflags (and lkid unless 0). */
static inline const struct lw_event *
lwt_expect_done_at(const struct lwt_env *t, uint64_t ck, int status, int mode,
		   unsigned int sbf, uint32_t lk, int line, const char *file)
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
	if (lk != 0)
		lwt_check_at(ev->lkid == lk, line, file, "cookie %llu: lkid %#x, want %#x",
			     (unsigned long long)ck, ev->lkid, lk);
	return ev;
}

#define EXPECT_DONE(t, ck, st, md, sbf) \
	lwt_expect_done_at((t), (ck), (st), (md), (sbf), 0, __LINE__, __FILE__)

/** Like EXPECT_DONE, and the event names lkid. */
#define EXPECT_DONE_LK(t, ck, st, md, sbf, lk) \
	lwt_expect_done_at((t), (ck), (st), (md), (sbf), (lk), __LINE__, __FILE__)

/** No COMPLETE for cookie so far. */
#define EXPECT_NO_DONE(t, ck) \
	LWT_CHECK(lwt_find_complete((t), (ck)) == NULL, "unexpected COMPLETE for cookie %llu", \
		  (unsigned long long)(ck))

/** Exactly n events gathered since the last lwt_clear(). */
#define EXPECT_NEV(t, want) \
	LWT_CHECK((t)->out.n == (uint32_t)(want), "%u events, want %u", (t)->out.n, (unsigned)(want))

/** Exactly n BLOCKING events for lkid (mode -1: any mode). */
#define EXPECT_BAST(t, lk, md, want) \
	LWT_CHECK(lwt_count_blocking((t), (lk), (md)) == (want), "lkid %#x: %d BLOCKING(%s), want %d", \
		  (unsigned)(lk), lwt_count_blocking((t), (lk), (md)), \
		  (md) < 0 ? "any" : lw_mode_name(md), (want))

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

/* --- request steps that must go a given way (events are kept) ----------- */

/** A new lock granted at once; returns its lkid. */
static inline uint32_t
lwt_grant_new_at(struct lwt_env *t, uint32_t s, const char *name, int m, uint64_t ck,
		 int line, const char *file)
{
	uint32_t lk = 0;
	int rc = lwt_lock(t, s, name, m, 0, &lk, ck);

	lwt_check_at(rc == 0, line, file, "lock %s %s: rc %d", name, lw_mode_name(m), rc);
	lwt_expect_done_at(t, ck, 0, m, 0, lk, line, file);
	return lk;
}

/** A new lock (with flags) that is queued; returns its lkid. */
static inline uint32_t
lwt_wait_new_at(struct lwt_env *t, uint32_t s, const char *name, int m, uint32_t fl,
		uint64_t ck, int line, const char *file)
{
	uint32_t lk = 0;
	int rc = lwt_lock(t, s, name, m, fl, &lk, ck);

	lwt_check_at(rc == 0, line, file, "lock %s %s: rc %d", name, lw_mode_name(m), rc);
	lwt_check_at(lwt_find_complete(t, ck) == NULL, line, file,
		     "lock %s %s: completed, should wait", name, lw_mode_name(m));
	lwt_expect_lock_at(t, lk, LW_QS_WAIT, LW_LOCK_IV, m, line, file);
	return lk;
}

/** A conversion of lk (granted gr) to m that is queued. */
static inline void
lwt_wait_cvt_at(struct lwt_env *t, uint32_t s, uint32_t lk, int gr, int m, uint32_t fl,
		uint64_t ck, int line, const char *file)
{
	int rc = lwt_convert(t, s, lk, m, fl, ck);

	lwt_check_at(rc == 0, line, file, "convert %#x to %s: rc %d", lk, lw_mode_name(m), rc);
	lwt_check_at(lwt_find_complete(t, ck) == NULL, line, file,
		     "convert %#x to %s: completed, should wait", lk, lw_mode_name(m));
	lwt_expect_lock_at(t, lk, LW_QS_CONVERT, gr, m, line, file);
}

/** A plain unlock that completes with LW_EUNLOCK. */
static inline void
lwt_unlock_ok_at(struct lwt_env *t, uint32_t s, uint32_t lk, uint64_t ck, int line,
		 const char *file)
{
	int rc = lwt_unlock(t, s, lk, 0, ck);

	lwt_check_at(rc == 0, line, file, "unlock %#x: rc %d", lk, rc);
	lwt_expect_done_at(t, ck, LW_EUNLOCK, LW_LOCK_IV, 0, lk, line, file);
}

#define GRANT_NEW(t, s, n, m, ck) lwt_grant_new_at((t), (s), (n), (m), (ck), __LINE__, __FILE__)
#define WAIT_NEW(t, s, n, m, fl, ck) \
	lwt_wait_new_at((t), (s), (n), (m), (fl), (ck), __LINE__, __FILE__)
#define WAIT_CVT(t, s, lk, gr, m, fl, ck) \
	lwt_wait_cvt_at((t), (s), (lk), (gr), (m), (fl), (ck), __LINE__, __FILE__)
#define UNLOCK_OK(t, s, lk, ck) lwt_unlock_ok_at((t), (s), (lk), (ck), __LINE__, __FILE__)

/** A LOCK request built by hand (timeout and want_bast chosen); returns rc. */
static inline int
lwt_req_lock(struct lwt_env *t, uint32_t s, const char *name, int m, uint32_t fl,
	     uint32_t tmo_us, int want_bast, uint64_t ck, uint32_t *lkid)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_LOCK;
	r.mode = (int8_t)m;
	r.namelen = (uint8_t)strlen(name);
	memcpy(r.name, name, r.namelen);
	r.lsid = t->ls;
	r.session = s;
	r.flags = fl;
	r.timeout_us = tmo_us;
	r.want_bast = (uint8_t)want_bast;
	r.cookie = ck;
	lw_engine_submit(t->e, &r, 1, t->now, &t->out);
	*lkid = r.rc == 0 ? r.lkid : 0;
	return r.rc;
}

/*
 * lw_engine_res_lvb on a name copied into a full-size buffer: the engine's
 * hash (rte_jhash) reads whole 32-bit words, up to 3 bytes past the name;
 * test_engine_bad.c "res_lvb_exact_buffer" checks that case on its own.
 */
static inline int
lwt_res_lvb(const struct lwt_env *t, uint16_t ls, const char *name, uint8_t *lvb, bool *valid)
{
	char buf[LW_RESNAME_MAXLEN] = { 0 };
	size_t len = strlen(name);

	memcpy(buf, name, len);
	return lw_engine_res_lvb(t->e, ls, buf, len, lvb, valid);
}

static inline struct lw_engine_stats
lwt_stats(const struct lwt_env *t)
{
	struct lw_engine_stats st;

	memset(&st, 0, sizeof(st));
	lw_engine_get_stats(t->e, &st);
	return st;
}

#endif /* LWT_EV_H */
