/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_engine_bad.c — bad input (docs/engine.md "Requests"): every refused
 * request gets the documented rc, no event, and changes nothing (stats,
 * queues, timers, lw_engine_check); full tables; stale lock ids; the
 * lockspace and session API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwt.h"
#include "lwt_ev.h"

#define NL LW_LOCK_NL
#define CR LW_LOCK_CR
#define CW LW_LOCK_CW
#define PR LW_LOCK_PR
#define PW LW_LOCK_PW
#define EX LW_LOCK_EX
#define IV LW_LOCK_IV

/* --- request builders ---------------------------------------------------- */

static struct lw_req
mk_lock(const struct lwt_env *t, uint32_t s, const char *name, int m, uint32_t fl)
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
	r.want_bast = 1;
	r.cookie = 0xbad;
	r.timeout_us = (fl & LW_LKF_TIMEOUT) ? 100 : 0;
	return r;
}

static struct lw_req
mk_cvt(const struct lwt_env *t, uint32_t s, uint32_t lk, int m, uint32_t fl)
{
	struct lw_req r = mk_lock(t, s, "", m, fl | LW_LKF_CONVERT);

	r.lkid = lk;
	return r;
}

static struct lw_req
mk_unlock(const struct lwt_env *t, uint32_t s, uint32_t lk, uint32_t fl)
{
	struct lw_req r = mk_lock(t, s, "", NL, fl);

	r.op = LW_REQ_UNLOCK;
	r.mode = 0;
	r.timeout_us = 0;
	r.lkid = lk;
	return r;
}

/* Submit r; it must be refused with want and change nothing. */
static void
reject_at(struct lwt_env *t, struct lw_req r, int want, int line)
{
	uint32_t n = t->out.n;
	uint64_t dl = lw_engine_next_deadline(t->e);
	struct lw_engine_stats a = lwt_stats(t), b;

	CU_ASSERT_EQUAL(lw_engine_submit(t->e, &r, 1, t->now, &t->out), 1);
	b = lwt_stats(t);
	lwt_check_at(r.rc == want, line, __FILE__, "rc %d, want %d (op %d mode %d flags %#x)",
		     r.rc, want, r.op, r.mode, r.flags);
	lwt_check_at(t->out.n == n, line, __FILE__, "%u events appended", t->out.n - n);
	lwt_check_at(b.locks == a.locks && b.orphans == a.orphans, line, __FILE__,
		     "locks %u->%u orphans %u->%u", a.locks, b.locks, a.orphans, b.orphans);
	lwt_check_at(b.res_resident == a.res_resident && b.res_created == a.res_created &&
		     b.res_reclaimed == a.res_reclaimed, line, __FILE__,
		     "resources changed: resident %u->%u", a.res_resident, b.res_resident);
	lwt_check_at(b.requests == a.requests && b.rejected == a.rejected + 1, line, __FILE__,
		     "requests %llu->%llu rejected %llu->%llu",
		     (unsigned long long)a.requests, (unsigned long long)b.requests,
		     (unsigned long long)a.rejected, (unsigned long long)b.rejected);
	lwt_check_at(b.grants == a.grants && b.queued == a.queued && b.blocking == a.blocking,
		     line, __FILE__, "grants/queued/blocking changed");
	lwt_check_at(lw_engine_next_deadline(t->e) == dl, line, __FILE__, "timer changed");
	lwt_check_at(lw_engine_check(t->e) == 0, line, __FILE__, "lw_engine_check failed");
}

#define REJECT(t, r, want) reject_at((t), (r), (want), __LINE__)

/* s1 EX on "R" (lk1), s2 waits PR on "R" (lk2); a busy table to refuse against. */
static void
busy_setup(struct lwt_env *t, uint32_t *lk1, uint32_t *lk2)
{
	*lk1 = GRANT_NEW(t, t->s1, "R", EX, 1);
	*lk2 = WAIT_NEW(t, t->s2, "R", PR, LW_LKF_TIMEOUT, 2);
	lwt_clear(t);
}

/* --- new locks ----------------------------------------------------------- */

static void
test_bad_mode(void)
{
	static const int modes[] = { -2, IV, 6, 7, 100, 127, -128 };
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	busy_setup(&t, &lk1, &lk2);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		REJECT(&t, mk_lock(&t, t.s3, "R", modes[i], 0), -EINVAL);
		REJECT(&t, mk_lock(&t, t.s3, "N", modes[i], 0), -EINVAL);
		REJECT(&t, mk_cvt(&t, t.s1, lk1, modes[i], 0), -EINVAL);
	}
	EXPECT_GRANTED(&t, lk1, EX);
	EXPECT_WAITING(&t, lk2, PR);
	lwt_env_fini(&t);
}

static void
test_bad_name(void)
{
	struct lwt_env t;
	struct lw_req r;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	busy_setup(&t, &lk1, &lk2);
	r = mk_lock(&t, t.s3, "R", PR, 0);
	r.namelen = 0;
	REJECT(&t, r, -EINVAL);
	memset(r.name, 'x', sizeof(r.name));
	r.namelen = LW_RESNAME_MAXLEN + 1;
	REJECT(&t, r, -EINVAL);
	r.namelen = 255;
	REJECT(&t, r, -EINVAL);
	/* a conversion does not look at the name */
	struct lw_req c = mk_cvt(&t, t.s1, lk1, EX, 0);
	c.namelen = 255;
	CU_ASSERT_EQUAL(lw_engine_submit(t.e, &c, 1, t.now, &t.out), 1);
	CU_ASSERT_EQUAL(c.rc, 0);
	EXPECT_DONE_LK(&t, 0xbad, 0, EX, 0, lk1);
	lwt_clear(&t);
	/* 64 is fine */
	r.namelen = LW_RESNAME_MAXLEN;
	CU_ASSERT_EQUAL(lw_engine_submit(t.e, &r, 1, t.now, &t.out), 1);
	CU_ASSERT_EQUAL(r.rc, 0);
	EXPECT_DONE_LK(&t, 0xbad, 0, PR, 0, r.lkid);
	lwt_env_fini(&t);
}

static void
test_bad_flag_bits(void)
{
	static const uint32_t bits[] = {
		LW_LKF_NODLCKBLK, 0x80000u, 0x100000u, 0x40000000u, 0x80000000u,
		~LW_LKF_ALL,
	};
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	busy_setup(&t, &lk1, &lk2);
	CU_ASSERT_EQUAL(LW_LKF_ALL & LW_LKF_NODLCKBLK, 0);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		REJECT(&t, mk_lock(&t, t.s3, "R", NL, bits[i]), -EINVAL);
		REJECT(&t, mk_lock(&t, t.s3, "N", NL, bits[i]), -EINVAL);
		REJECT(&t, mk_cvt(&t, t.s1, lk1, PR, bits[i]), -EINVAL);
		REJECT(&t, mk_unlock(&t, t.s1, lk1, bits[i]), -EINVAL);
	}
	EXPECT_GRANTED(&t, lk1, EX);
	lwt_env_fini(&t);
}

static void
test_bad_new_combos(void)
{
	static const struct { int mode; uint32_t fl; } bad[] = {
		{ PR, LW_LKF_CANCEL },
		{ PR, LW_LKF_FORCEUNLOCK },
		{ PR, LW_LKF_QUECVT },
		{ PR, LW_LKF_CONVDEADLK },
		{ PR, LW_LKF_EXPEDITE },
		{ CR, LW_LKF_EXPEDITE },
		{ EX, LW_LKF_EXPEDITE },
		{ PR, LW_LKF_NOQUEUEBAST },
		{ EX, LW_LKF_ALTPR | LW_LKF_ALTCW },
		{ PR, LW_LKF_TIMEOUT | LW_LKF_NOQUEUE },
		{ NL, LW_LKF_EXPEDITE | LW_LKF_CANCEL },
	};
	struct lwt_env t;
	struct lw_req r;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	busy_setup(&t, &lk1, &lk2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		REJECT(&t, mk_lock(&t, t.s3, "R", bad[i].mode, bad[i].fl), -EINVAL);
		REJECT(&t, mk_lock(&t, t.s3, "N", bad[i].mode, bad[i].fl), -EINVAL);
	}
	r = mk_lock(&t, t.s3, "R", PR, LW_LKF_TIMEOUT);
	r.timeout_us = 0;
	REJECT(&t, r, -EINVAL);
	/* the valid neighbours are accepted */
	r = mk_lock(&t, t.s3, "R", NL, LW_LKF_EXPEDITE);
	CU_ASSERT_EQUAL(lw_engine_submit(t.e, &r, 1, t.now, &t.out), 1);
	CU_ASSERT_EQUAL(r.rc, 0);
	r = mk_lock(&t, t.s3, "R", PR, LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST);
	CU_ASSERT_EQUAL(lw_engine_submit(t.e, &r, 1, t.now, &t.out), 1);
	CU_ASSERT_EQUAL(r.rc, 0);
	lwt_env_fini(&t);
}

/* --- conversions --------------------------------------------------------- */

static void
test_bad_convert_target(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	busy_setup(&t, &lk1, &lk2);
	REJECT(&t, mk_cvt(&t, t.s1, 0, PR, 0), -ENOENT);
	REJECT(&t, mk_cvt(&t, t.s1, 0x12345, PR, 0), -ENOENT);
	REJECT(&t, mk_cvt(&t, t.s1, lk1 ^ (1u << 20), PR, 0), -ENOENT);
	REJECT(&t, mk_cvt(&t, t.s1, lk1 + 1000, PR, 0), -ENOENT);
	/* not the session's lock; unknown session */
	REJECT(&t, mk_cvt(&t, t.s2, lk1, PR, 0), -EINVAL);
	REJECT(&t, mk_cvt(&t, t.s3, lk1, NL, 0), -EINVAL);
	REJECT(&t, mk_cvt(&t, 999, lk1, NL, 0), -EINVAL);
	REJECT(&t, mk_cvt(&t, 0, lk1, NL, 0), -EINVAL);
	/* a waiting lock can't convert */
	REJECT(&t, mk_cvt(&t, t.s2, lk2, CR, 0), -EBUSY);
	EXPECT_GRANTED(&t, lk1, EX);
	EXPECT_WAITING(&t, lk2, PR);
	lwt_env_fini(&t);
}

static void
test_bad_convert_flags(void)
{
	static const struct { int mode; uint32_t fl; } bad[] = {
		{ NL, LW_LKF_ORPHAN },
		{ PR, LW_LKF_ORPHAN },
		{ NL, LW_LKF_EXPEDITE },
		{ EX, LW_LKF_CANCEL },
		{ EX, LW_LKF_FORCEUNLOCK },
		{ EX, LW_LKF_NOQUEUEBAST },
		{ EX, LW_LKF_ALTPR | LW_LKF_ALTCW },
		{ EX, LW_LKF_TIMEOUT | LW_LKF_NOQUEUE },
		{ NL, LW_LKF_QUECVT },   /* down */
		{ CR, LW_LKF_QUECVT },   /* down */
	};
	struct lwt_env t;
	struct lw_req r;
	uint32_t lk1, lk2, lk3;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	lk3 = WAIT_NEW(&t, t.s3, "R", EX, 0, 3);
	lwt_clear(&t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REJECT(&t, mk_cvt(&t, t.s1, lk1, bad[i].mode, bad[i].fl), -EINVAL);
	r = mk_cvt(&t, t.s1, lk1, EX, LW_LKF_TIMEOUT);
	r.timeout_us = 0;
	REJECT(&t, r, -EINVAL);
	EXPECT_GRANTED(&t, lk1, PR);
	/* already converting: -EBUSY, and the pending conversion is untouched */
	WAIT_CVT(&t, t.s1, lk1, PR, PW, 0, 4);
	lwt_clear(&t);
	REJECT(&t, mk_cvt(&t, t.s1, lk1, EX, 0), -EBUSY);
	REJECT(&t, mk_cvt(&t, t.s1, lk1, NL, 0), -EBUSY);
	EXPECT_CONVERTING(&t, lk1, PR, PW);
	EXPECT_GRANTED(&t, lk2, PR);
	EXPECT_WAITING(&t, lk3, EX);
	lwt_env_fini(&t);
}

/* --- unlocks ------------------------------------------------------------- */

static void
test_bad_unlock(void)
{
	static const uint32_t badfl[] = {
		LW_LKF_NOQUEUE, LW_LKF_CONVERT, LW_LKF_QUECVT, LW_LKF_PERSISTENT,
		LW_LKF_TIMEOUT, LW_LKF_ORPHAN, LW_LKF_EXPEDITE, LW_LKF_NOORDER,
		LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK,
	};
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	busy_setup(&t, &lk1, &lk2);
	for (size_t i = 0; i < sizeof(badfl) / sizeof(badfl[0]); i++) {
		REJECT(&t, mk_unlock(&t, t.s1, lk1, badfl[i]), -EINVAL);
		REJECT(&t, mk_unlock(&t, t.s2, lk2, badfl[i]), -EINVAL);
	}
	REJECT(&t, mk_unlock(&t, t.s1, 0, 0), -ENOENT);
	REJECT(&t, mk_unlock(&t, t.s1, 0x7654321, 0), -ENOENT);
	REJECT(&t, mk_unlock(&t, t.s2, lk1, 0), -EINVAL);
	REJECT(&t, mk_unlock(&t, t.s2, lk1, LW_LKF_FORCEUNLOCK), -EINVAL);
	REJECT(&t, mk_unlock(&t, t.s1, lk2, LW_LKF_CANCEL), -EINVAL);
	REJECT(&t, mk_unlock(&t, 999, lk1, 0), -EINVAL);
	/* waiting: only CANCEL/FORCEUNLOCK; granted: nothing to cancel */
	REJECT(&t, mk_unlock(&t, t.s2, lk2, 0), -EBUSY);
	REJECT(&t, mk_unlock(&t, t.s2, lk2, LW_LKF_VALBLK), -EBUSY);
	REJECT(&t, mk_unlock(&t, t.s1, lk1, LW_LKF_CANCEL), -EBUSY);
	EXPECT_GRANTED(&t, lk1, EX);
	EXPECT_WAITING(&t, lk2, PR);
	/* converting: -EBUSY too */
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s1, lk1, LW_LKF_VALBLK, 5), 0);
	EXPECT_DONE_LK(&t, 5, LW_EUNLOCK, IV, 0, lk1);
	EXPECT_DONE_LK(&t, 2, 0, PR, 0, lk2);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 6);
	WAIT_CVT(&t, t.s2, lk2, PR, EX, 0, 7);
	REJECT(&t, mk_unlock(&t, t.s2, lk2, 0), -EBUSY);
	EXPECT_CONVERTING(&t, lk2, PR, EX);
	lwt_env_fini(&t);
}

/* --- lock ids ------------------------------------------------------------ */

static void
test_stale_lkid(void)
{
	struct lwt_env t;
	uint32_t ids[120];
	int n = (int)(sizeof(ids) / sizeof(ids[0]));

	lwt_env_init(&t, 16, 2);
	for (int i = 0; i < n; i++) {
		ids[i] = GRANT_NEW(&t, t.s1, "R", EX, 100 + i);
		LWT_CHECK(ids[i] != 0, "lkid 0");
		LWT_CHECK(ids[i] >> 27 == 0, "worker bits of %#x", ids[i]);
		for (int j = 0; j < i; j++)
			LWT_CHECK(ids[j] != ids[i], "lkid %#x reused after %d locks", ids[i], i - j);
		UNLOCK_OK(&t, t.s1, ids[i], 1000 + i);
		lwt_clear(&t);
	}
	for (int i = 0; i < n; i++) {
		REJECT(&t, mk_cvt(&t, t.s1, ids[i], PR, 0), -ENOENT);
		REJECT(&t, mk_unlock(&t, t.s1, ids[i], 0), -ENOENT);
		EXPECT_GONE(&t, ids[i]);
	}
	/* a live lock in the reused slot is not reachable by the stale id */
	uint32_t lk = GRANT_NEW(&t, t.s1, "R", PR, 5000);
	for (int i = 0; i < n; i++)
		LWT_CHECK(lk != ids[i], "fresh lkid %#x equals a stale one", lk);
	REJECT(&t, mk_unlock(&t, t.s1, ids[n - 1], 0), -ENOENT);
	EXPECT_GRANTED(&t, lk, PR);
	lwt_env_fini(&t);
}

/* --- full tables --------------------------------------------------------- */

static void
test_full_locks(void)
{
	struct lwt_env t;
	uint32_t lk[4], x;
	uint8_t lvb[LW_LVB_LEN];
	bool v;

	lwt_env_init(&t, 16, 4);
	lk[0] = GRANT_NEW(&t, t.s1, "R", NL, 1);
	lk[1] = GRANT_NEW(&t, t.s1, "R", NL, 2);
	lk[3] = GRANT_NEW(&t, t.s2, "Q", EX, 3);
	/* a failed NOQUEUE request gives its lkb back */
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "Q", EX, LW_LKF_NOQUEUE, &x, 4), 0);
	EXPECT_DONE(&t, 4, -EAGAIN, IV, 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 3);
	lk[2] = GRANT_NEW(&t, t.s1, "R", NL, 5);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 4);
	lwt_clear(&t);
	REJECT(&t, mk_lock(&t, t.s3, "R", NL, 0), -ENOMEM);
	REJECT(&t, mk_lock(&t, t.s3, "Q", PR, 0), -ENOMEM);
	REJECT(&t, mk_lock(&t, t.s3, "S", NL, 0), -ENOMEM);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "S", lvb, &v), -ENOENT);
	/* conversions need no new lkb */
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s1, lk[0], PR, 0, 6), 0);
	EXPECT_DONE_LK(&t, 6, 0, PR, 0, lk[0]);
	UNLOCK_OK(&t, t.s1, lk[1], 7);
	x = GRANT_NEW(&t, t.s3, "S", NL, 8);
	CU_ASSERT_NOT_EQUAL(x, 0);
	REJECT(&t, mk_lock(&t, t.s3, "S", NL, 0), -ENOMEM);
	lwt_env_fini(&t);
}

static void
test_full_resources(void)
{
	struct lwt_env t;
	uint32_t la, lb, lw, x;
	uint8_t lvb[LW_LVB_LEN];
	bool v;

	lwt_env_init(&t, 2, 16);
	la = GRANT_NEW(&t, t.s1, "A", EX, 1);
	lb = GRANT_NEW(&t, t.s1, "B", PR, 2);
	lw = WAIT_NEW(&t, t.s2, "A", PR, 0, 3);
	lwt_clear(&t);
	REJECT(&t, mk_lock(&t, t.s2, "C", PR, 0), -ENOMEM);
	REJECT(&t, mk_lock(&t, t.s2, "C", NL, LW_LKF_NOQUEUE), -ENOMEM);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "C", lvb, &v), -ENOENT);
	/* resident resources take more locks */
	x = GRANT_NEW(&t, t.s3, "B", CR, 4);
	UNLOCK_OK(&t, t.s3, x, 5);
	/* B still has a lock: no room */
	REJECT(&t, mk_lock(&t, t.s2, "C", PR, 0), -ENOMEM);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_reclaimed, 0);
	/* B idle: evicted for C */
	UNLOCK_OK(&t, t.s1, lb, 6);
	x = GRANT_NEW(&t, t.s2, "C", PR, 7);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_reclaimed, 1);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_resident, 2);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "B", lvb, &v), -ENOENT);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "A", lvb, &v), 0);
	EXPECT_GRANTED(&t, la, EX);
	EXPECT_WAITING(&t, lw, PR);
	lwt_env_fini(&t);
}

/* Evictions inside one batch: each request sees the table as the ones
 * before it left it. */
static void
test_batch_evict(void)
{
	static const char names[] = "ABCD";
	struct lwt_env t;
	struct lw_req r[5];
	uint8_t lvb[LW_LVB_LEN];
	bool v;

	lwt_env_init(&t, 4, 16);
	for (int i = 0; i < 4; i++) {
		char n[2] = { names[i], 0 };
		struct lw_req u;
		uint32_t lk = GRANT_NEW(&t, t.s1, n, EX, 1 + i);

		u = mk_unlock(&t, t.s1, lk, LW_LKF_VALBLK);
		memset(u.lvb, 0x10 + i, LW_LVB_LEN);
		lw_engine_submit(t.e, &u, 1, t.now, &t.out);
		CU_ASSERT_EQUAL(u.rc, 0);
	}
	lwt_clear(&t);
	r[0] = mk_lock(&t, t.s2, "E", EX, 0);
	r[1] = mk_lock(&t, t.s2, "A", PR, LW_LKF_VALBLK);
	r[2] = mk_lock(&t, t.s3, "E", PR, LW_LKF_NOQUEUE);
	r[3] = mk_lock(&t, t.s3, "A", EX, LW_LKF_NOQUEUE);
	r[4] = mk_lock(&t, t.s3, "B", PR, LW_LKF_VALBLK);
	for (int i = 0; i < 5; i++)
		r[i].cookie = 10 + i;
	CU_ASSERT_EQUAL(lw_engine_submit(t.e, r, 5, t.now, &t.out), 5);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(r[i].rc, 0);
	EXPECT_NEV(&t, 5);
	EXPECT_DONE_LK(&t, 10, 0, EX, 0, r[0].lkid);
	const struct lw_event *ev = EXPECT_DONE_LK(&t, 11, 0, PR, 0, r[1].lkid);
	if (ev != NULL)
		CU_ASSERT_TRUE(ev->has_lvb && ev->lvb[0] == 0 && ev->lvb[31] == 0);
	EXPECT_DONE(&t, 12, -EAGAIN, IV, 0);
	EXPECT_DONE(&t, 13, -EAGAIN, IV, 0);
	ev = EXPECT_DONE_LK(&t, 14, 0, PR, 0, r[4].lkid);
	if (ev != NULL)
		CU_ASSERT_TRUE(ev->has_lvb && ev->lvb[0] == 0 && ev->lvb[31] == 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_reclaimed, 3);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_resident, 4);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "C", lvb, &v), -ENOENT);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "D", lvb, &v), 0);
	CU_ASSERT_EQUAL(lvb[0], 0x13);
	lwt_env_fini(&t);
}

/* One batch: each request on its own, a bad one in the middle. */
static void
test_batch(void)
{
	struct lwt_env t;
	struct lw_req r[3];

	lwt_env_init(&t, 16, 16);
	r[0] = mk_lock(&t, t.s1, "R", EX, 0);
	r[0].cookie = 1;
	r[1] = mk_lock(&t, t.s2, "R", 9, 0);
	r[1].cookie = 2;
	r[2] = mk_lock(&t, t.s2, "R", PR, LW_LKF_NOQUEUE);
	r[2].cookie = 3;
	CU_ASSERT_EQUAL(lw_engine_submit(t.e, r, 3, t.now, &t.out), 3);
	CU_ASSERT_EQUAL(r[0].rc, 0);
	CU_ASSERT_EQUAL(r[1].rc, -EINVAL);
	CU_ASSERT_EQUAL(r[2].rc, 0);
	EXPECT_NEV(&t, 2);
	EXPECT_DONE_LK(&t, 1, 0, EX, 0, r[0].lkid);
	EXPECT_NO_DONE(&t, 2);
	EXPECT_DONE(&t, 3, -EAGAIN, IV, 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).requests, 2);
	CU_ASSERT_EQUAL(lwt_stats(&t).rejected, 1);
	lwt_env_fini(&t);
}

/* --- lockspaces and sessions --------------------------------------------- */

static void
test_lockspaces(void)
{
	struct lwt_env t;
	char big[LW_LSNAME_MAXLEN + 1];
	uint16_t a, b, c, d;
	uint32_t lk1, lk2 = 0;

	lwt_env_init(&t, 16, 16);
	memset(big, 'l', sizeof(big));
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, "ls", 2, &a), 0);
	CU_ASSERT_EQUAL(a, t.ls);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, "L2", 2, &b), 0);
	CU_ASSERT_NOT_EQUAL(b, t.ls);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, "x", 0, &c), -EINVAL);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, big, sizeof(big), &c), -EINVAL);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, big, LW_LSNAME_MAXLEN, &c), 0);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, "L4", 2, &d), 0);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, "L5", 2, &d), -ENOSPC);   /* max_lockspaces 4 */
	CU_ASSERT_EQUAL(lw_engine_ls_close(t.e, 999), -ENOENT);
	/* same resource name, two lockspaces: two resources */
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	t.ls = b;
	lk2 = GRANT_NEW(&t, t.s2, "R", EX, 2);
	CU_ASSERT_EQUAL(lw_engine_ls_close(t.e, b), -EBUSY);
	EXPECT_GRANTED(&t, lk2, EX);
	UNLOCK_OK(&t, t.s2, lk2, 3);
	CU_ASSERT_EQUAL(lw_engine_ls_close(t.e, b), 0);
	CU_ASSERT_EQUAL(lw_engine_ls_close(t.e, b), -ENOENT);
	lwt_clear(&t);
	REJECT(&t, mk_lock(&t, t.s2, "R", EX, 0), -EINVAL);   /* t.ls is b, closed */
	t.ls = a;
	/* "ls" was opened twice: one close keeps it */
	CU_ASSERT_EQUAL(lw_engine_ls_close(t.e, a), 0);
	EXPECT_GRANTED(&t, lk1, EX);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, "L2", 2, &b), 0);   /* a slot is free again */
	lwt_env_fini(&t);
}

static void
test_sessions(void)
{
	struct lwt_env t;
	uint32_t sid[16], extra;
	int n = 0;

	lwt_env_init(&t, 16, 16);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, 999, t.now, &t.out), -ENOENT);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, 0, t.now, &t.out), -ENOENT);
	while (n < 16 && lw_engine_session_open(t.e, &sid[n]) == 0) {
		LWT_CHECK(sid[n] != 0, "session id 0");
		LWT_CHECK(sid[n] != t.s1 && sid[n] != t.s2 && sid[n] != t.s3, "session id reused");
		n++;
	}
	CU_ASSERT_EQUAL(n, 13);   /* max_sessions 16, three in use */
	CU_ASSERT_EQUAL(lw_engine_session_open(t.e, &extra), -ENOSPC);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s3, t.now, &t.out), 0);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s3, t.now, &t.out), -ENOENT);
	EXPECT_NEV(&t, 0);
	REJECT(&t, mk_lock(&t, t.s3, "R", PR, 0), -EINVAL);
	REJECT(&t, mk_lock(&t, 999, "R", PR, 0), -EINVAL);
	REJECT(&t, mk_lock(&t, 0, "R", PR, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_engine_session_open(t.e, &extra), 0);
	CU_ASSERT_NOT_EQUAL(extra, 0);
	lwt_env_fini(&t);
}

/* Closing a session releases its locks, cancels its requests without
 * events, and grants other sessions' waiters (events only for them). */
static void
test_session_close_grants(void)
{
	struct lwt_env t;
	uint32_t l1, lq, lw1, lw2, lt1, lt2, lt3;

	lwt_env_init(&t, 16, 16);
	l1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	lw1 = WAIT_NEW(&t, t.s2, "R", PR, 0, 2);
	lw2 = WAIT_NEW(&t, t.s3, "R", CR, LW_LKF_TIMEOUT, 3);
	GRANT_NEW(&t, t.s2, "Q", EX, 4);
	lq = WAIT_NEW(&t, t.s1, "Q", PR, LW_LKF_TIMEOUT, 5);
	lt1 = GRANT_NEW(&t, t.s1, "T", PR, 6);
	lt2 = GRANT_NEW(&t, t.s2, "T", PR, 7);
	WAIT_CVT(&t, t.s1, lt1, PR, EX, 0, 8);
	lt3 = WAIT_NEW(&t, t.s3, "T", EX, 0, 9);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s1, t.now, &t.out), 0);
	EXPECT_DONE_LK(&t, 2, 0, PR, 0, lw1);
	EXPECT_DONE_LK(&t, 3, 0, CR, 0, lw2);
	EXPECT_NEV(&t, 2);
	for (uint32_t i = 0; i < t.out.n; i++)
		CU_ASSERT_NOT_EQUAL(t.out.ev[i].session, t.s1);
	EXPECT_GONE(&t, l1);
	EXPECT_GONE(&t, lq);
	EXPECT_GONE(&t, lt1);
	EXPECT_GRANTED(&t, lt2, PR);
	EXPECT_WAITING(&t, lt3, EX);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), UINT64_MAX);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 5);
	lwt_env_fini(&t);
}

/*
 * Pending requests of the closing session are gone before anything is
 * granted: s2's grant must not come with a BLOCKING for s1's waiting EX.
 */
static void
test_session_close_no_stale_bast(void)
{
	struct lwt_env t;
	uint32_t l1, l2, l3;

	lwt_env_init(&t, 16, 16);
	l1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	l2 = WAIT_NEW(&t, t.s2, "R", PR, 0, 2);
	l3 = WAIT_NEW(&t, t.s1, "R", EX, 0, 3);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s1, t.now, &t.out), 0);
	EXPECT_DONE_LK(&t, 2, 0, PR, 0, l2);
	EXPECT_BAST(&t, l2, -1, 0);
	EXPECT_NEV(&t, 1);
	EXPECT_GONE(&t, l1);
	EXPECT_GONE(&t, l3);
	lwt_env_fini(&t);
}

/* Creation parameters: bad ones refused; the worker index is in every lkid. */
static void
test_conf(void)
{
	struct lw_engine_conf c = { .name = "lwtconf", .max_resources = 8, .max_locks = 8,
				    .max_sessions = 4, .max_lockspaces = 2, .worker = 5,
				    .socket_id = -1 };
	struct lw_engine_conf bad;
	struct lwt_env t;
	uint32_t lk;

	bad = c;
	bad.worker = LW_ENGINE_MAX_WORKERS;
	errno = 0;
	CU_ASSERT_PTR_NULL(lw_engine_create(&bad));
	CU_ASSERT_EQUAL(errno, EINVAL);
	bad = c;
	bad.max_locks = LW_ENGINE_MAX_LOCKS + 1;
	errno = 0;
	CU_ASSERT_PTR_NULL(lw_engine_create(&bad));
	CU_ASSERT_EQUAL(errno, EINVAL);
	/* a worker-5 engine under the usual helpers */
	lwt_env_init(&t, 8, 8);
	lw_engine_free(t.e);
	t.e = lw_engine_create(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.e);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, "ls", 2, &t.ls), 0);
	CU_ASSERT_EQUAL(lw_engine_session_open(t.e, &t.s1), 0);
	lk = GRANT_NEW(&t, t.s1, "R", EX, 1);
	CU_ASSERT_EQUAL(lk >> 27, 5);
	UNLOCK_OK(&t, t.s1, lk, 2);
	/* the hash depends on lockspace and name, and on nothing else */
	static const char r[8] = "R", r2[8] = "R", s[8] = "S", rr[8] = "RR";
	CU_ASSERT_EQUAL(lw_res_hash(1, r, 1), lw_res_hash(1, r2, 1));
	CU_ASSERT_NOT_EQUAL(lw_res_hash(1, r, 1), lw_res_hash(2, r, 1));
	CU_ASSERT_NOT_EQUAL(lw_res_hash(1, r, 1), lw_res_hash(1, s, 1));
	CU_ASSERT_NOT_EQUAL(lw_res_hash(1, rr, 1), lw_res_hash(1, rr, 2));
	lwt_env_fini(&t);
}

/*
 * The public lookups take (name, len): they must read only len bytes. Run
 * under AddressSanitizer this catches a hash that reads past the name.
 */
static void
test_res_lvb_exact_buffer(void)
{
	struct lwt_env t;
	uint8_t lvb[LW_LVB_LEN];
	char *name = malloc(1);
	bool v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(name);
	name[0] = 'R';
	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s1, "R", EX, 1);
	CU_ASSERT_EQUAL(lw_engine_res_lvb(t.e, t.ls, name, 1, lvb, &v), 0);
	CU_ASSERT_EQUAL(lw_res_hash(lw_ls_gid("ls", 2), name, 1),
			lw_res_hash(lw_ls_gid("ls", 2), "R", 1));
	free(name);
	lwt_env_fini(&t);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("bad_requests",
		  "bad_mode", test_bad_mode,
		  "bad_name", test_bad_name,
		  "bad_flag_bits", test_bad_flag_bits,
		  "bad_new_combos", test_bad_new_combos,
		  "bad_convert_target", test_bad_convert_target,
		  "bad_convert_flags", test_bad_convert_flags,
		  "bad_unlock", test_bad_unlock,
		  "stale_lkid", test_stale_lkid,
		  "batch", test_batch,
		  NULL);
	lwt_suite("tables",
		  "full_locks", test_full_locks,
		  "full_resources", test_full_resources,
		  "batch_evict", test_batch_evict,
		  NULL);
	lwt_suite("api",
		  "lockspaces", test_lockspaces,
		  "sessions", test_sessions,
		  "session_close_grants", test_session_close_grants,
		  "session_close_no_stale_bast", test_session_close_no_stale_bast,
		  "conf", test_conf,
		  "res_lvb_exact_buffer", test_res_lvb_exact_buffer,
		  NULL);
	return lwt_run();
}
