/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_engine_order.c — queue order and blocking notices of docs/engine.md
 * ("Queues", "Blocking notices"): FIFO among waiters, conversions before
 * new requests, the grant run (head, then every compatible later entry,
 * stopping at the first that can't go), one BLOCKING per holder per
 * strongest pending mode, highbast reset by a grant; TIMEOUT ("Timeouts").
 */
#include <stdio.h>
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

#define TMO_NS (100u * 1000u)   /* lwt_lock's timeout_us = 100 */

/* --- queue order --------------------------------------------------------- */

static void
test_fifo(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2, lk3;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	lk2 = WAIT_NEW(&t, t.s2, "R", EX, 0, 2);
	lk3 = WAIT_NEW(&t, t.s3, "R", EX, 0, 3);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 4);
	EXPECT_DONE_LK(&t, 2, 0, EX, 0, lk2);
	EXPECT_NO_DONE(&t, 3);
	EXPECT_WAITING(&t, lk3, EX);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s2, lk2, 5);
	EXPECT_DONE_LK(&t, 3, 0, EX, 0, lk3);
	EXPECT_NEV(&t, 2);
	lwt_env_fini(&t);
}

static void
test_convert_before_wait(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2, lk3;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	lk3 = WAIT_NEW(&t, t.s3, "R", EX, 0, 3);
	WAIT_CVT(&t, t.s2, lk2, PR, EX, 0, 4);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 5);
	EXPECT_DONE_LK(&t, 4, 0, EX, 0, lk2);
	EXPECT_NO_DONE(&t, 3);
	EXPECT_WAITING(&t, lk3, EX);
	EXPECT_BAST(&t, lk2, EX, 1);
	EXPECT_NEV(&t, 3);
	lwt_env_fini(&t);
}

/* The head and every later compatible entry go; the scan stops at the
 * first one that can't, even if a later one could. */
static void
test_grant_run(void)
{
	struct lwt_env t;
	uint32_t lk1, lk[5];
	static const int m[5] = { PR, CR, PR, EX, CR };

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	for (int i = 0; i < 5; i++)
		lk[i] = WAIT_NEW(&t, i & 1 ? t.s3 : t.s2, "R", m[i], 0, 10 + i);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 2);
	for (int i = 0; i < 3; i++)
		EXPECT_DONE_LK(&t, 10 + i, 0, m[i], 0, lk[i]);
	EXPECT_NO_DONE(&t, 13);
	EXPECT_NO_DONE(&t, 14);
	EXPECT_WAITING(&t, lk[3], EX);
	EXPECT_WAITING(&t, lk[4], CR);
	EXPECT_BAST(&t, lk[0], EX, 1);
	EXPECT_BAST(&t, lk[1], EX, 1);
	EXPECT_BAST(&t, lk[2], EX, 1);
	EXPECT_NEV(&t, 7);
	lwt_env_fini(&t);
}

/* --- blocking notices ---------------------------------------------------- */

static void
test_bast_once(void)
{
	struct lwt_env t;
	uint32_t lk0, lk1, lk2;

	lwt_env_init(&t, 16, 16);
	lk0 = GRANT_NEW(&t, t.s3, "R", NL, 1);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 2);
	lk2 = GRANT_NEW(&t, t.s2, "R", CR, 3);
	lwt_clear(&t);
	WAIT_NEW(&t, t.s3, "R", EX, 0, 4);
	EXPECT_BAST(&t, lk1, EX, 1);
	EXPECT_BAST(&t, lk2, EX, 1);
	EXPECT_BAST(&t, lk0, -1, 0);
	EXPECT_NEV(&t, 2);
	lwt_clear(&t);
	WAIT_NEW(&t, t.s3, "R", EX, 0, 5);
	WAIT_NEW(&t, t.s2, "R", PW, 0, 6);
	WAIT_NEW(&t, t.s1, "R", EX, 0, 7);
	EXPECT_NEV(&t, 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).blocking, 2);
	lwt_env_fini(&t);
}

static void
test_bast_rises(void)
{
	struct lwt_env t;
	uint32_t lk1;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lwt_clear(&t);
	WAIT_NEW(&t, t.s2, "R", PW, 0, 2);
	EXPECT_BAST(&t, lk1, PW, 1);
	EXPECT_NEV(&t, 1);
	WAIT_NEW(&t, t.s3, "R", EX, 0, 3);
	EXPECT_BAST(&t, lk1, EX, 1);
	EXPECT_NEV(&t, 2);
	lwt_env_fini(&t);
}

/* A grant resets highbast: a holder that goes down and still blocks is told again. */
static void
test_bast_after_grant(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = WAIT_NEW(&t, t.s2, "R", EX, 0, 2);
	EXPECT_BAST(&t, lk1, EX, 1);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s1, lk1, CR, 0, 3), 0);
	EXPECT_DONE_LK(&t, 3, 0, CR, 0, lk1);
	EXPECT_BAST(&t, lk1, EX, 1);
	EXPECT_NEV(&t, 2);
	EXPECT_WAITING(&t, lk2, EX);
	lwt_env_fini(&t);
}

/* Converting holders are notified of others' requests, not their own. */
static void
test_bast_converting(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2, lk3 = 0;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	lwt_clear(&t);
	WAIT_CVT(&t, t.s1, lk1, PR, EX, 0, 3);
	EXPECT_BAST(&t, lk2, EX, 1);
	EXPECT_BAST(&t, lk1, -1, 0);
	EXPECT_NEV(&t, 1);
	/* no want_bast: never notified */
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_req_lock(&t, t.s3, "S", PR, 0, 0, 0, 4, &lk3), 0);
	EXPECT_DONE_LK(&t, 4, 0, PR, 0, lk3);
	WAIT_NEW(&t, t.s1, "S", EX, 0, 5);
	EXPECT_BAST(&t, lk3, -1, 0);
	EXPECT_NEV(&t, 1);
	lwt_env_fini(&t);
}

/* A new request waits while a conversion is pending, even when it is
 * compatible with every granted mode. */
static void
test_new_behind_convert(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2, lk3;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", CR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", CR, 2);
	WAIT_CVT(&t, t.s1, lk1, CR, EX, 0, 3);
	lwt_clear(&t);
	lk3 = WAIT_NEW(&t, t.s3, "R", CR, 0, 4);
	EXPECT_NEV(&t, 0);
	/* s2 goes: the conversion is granted, the CR still waits behind EX */
	UNLOCK_OK(&t, t.s2, lk2, 5);
	EXPECT_DONE_LK(&t, 3, 0, EX, 0, lk1);
	EXPECT_NO_DONE(&t, 4);
	EXPECT_BAST(&t, lk1, CR, 1);
	EXPECT_NEV(&t, 3);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 6);
	EXPECT_DONE_LK(&t, 4, 0, CR, 0, lk3);
	EXPECT_NEV(&t, 2);
	lwt_env_fini(&t);
}

/*
 * Only the head of the convert queue (or a NOORDER entry) is granted when
 * pending: B (NL->CR) is compatible once X goes down to PR but waits behind
 * A (NL->PW); when X leaves, A goes and the rescan from the head grants B.
 */
static void
test_convert_head_only(void)
{
	struct lwt_env t;
	uint32_t lkx, lka, lkb;

	lwt_env_init(&t, 16, 16);
	lkx = GRANT_NEW(&t, t.s3, "R", EX, 1);
	lka = GRANT_NEW(&t, t.s1, "R", NL, 2);
	lkb = GRANT_NEW(&t, t.s2, "R", NL, 3);
	WAIT_CVT(&t, t.s1, lka, NL, PW, 0, 10);
	WAIT_CVT(&t, t.s2, lkb, NL, CR, 0, 11);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s3, lkx, PR, 0, 12), 0);
	EXPECT_DONE_LK(&t, 12, 0, PR, 0, lkx);
	EXPECT_NO_DONE(&t, 10);
	EXPECT_NO_DONE(&t, 11);
	EXPECT_CONVERTING(&t, lkb, NL, CR);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s3, lkx, 13);
	EXPECT_DONE_LK(&t, 10, 0, PW, 0, lka);
	EXPECT_DONE_LK(&t, 11, 0, CR, 0, lkb);
	EXPECT_NEV(&t, 3);
	EXPECT_GRANTED(&t, lka, PW);
	EXPECT_GRANTED(&t, lkb, CR);
	lwt_env_fini(&t);
}

/* Many events in one call (past the event buffer's first capacity). */
static void
test_many_grants(void)
{
	enum { N = 40 };
	struct lwt_env t;
	uint32_t lk1, lk[N];

	lwt_env_init(&t, 16, 64);
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	for (int i = 0; i < N; i++)
		lk[i] = WAIT_NEW(&t, i & 1 ? t.s2 : t.s3, "R", i % 3 ? PR : CR, 0, 100 + i);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 2);
	EXPECT_NEV(&t, N + 1);
	for (int i = 0; i < N; i++)
		EXPECT_DONE_LK(&t, 100 + i, 0, i % 3 ? PR : CR, 0, lk[i]);
	CU_ASSERT_EQUAL(t.out.lost, 0);
	lwt_env_fini(&t);
}

/* The counters follow what happened. */
static void
test_stats(void)
{
	struct lwt_env t;
	struct lw_engine_stats st;
	uint32_t lk1, x;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);            /* grant now */
	WAIT_NEW(&t, t.s2, "R", PR, 0, 2);                /* queued, 1 bast */
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", PR, LW_LKF_NOQUEUE, &x, 3), 0);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", 77, 0, &x, 4), -EINVAL);
	UNLOCK_OK(&t, t.s1, lk1, 5);                      /* grants the PR */
	st = lwt_stats(&t);
	CU_ASSERT_EQUAL(st.requests, 4);
	CU_ASSERT_EQUAL(st.rejected, 1);
	CU_ASSERT_EQUAL(st.grants, 2);
	CU_ASSERT_EQUAL(st.grants_now, 1);
	CU_ASSERT_EQUAL(st.queued, 1);
	CU_ASSERT_EQUAL(st.blocking, 1);
	CU_ASSERT_EQUAL(st.res_created, 1);
	CU_ASSERT_EQUAL(st.res_resident, 1);
	CU_ASSERT_EQUAL(st.locks, 1);
	CU_ASSERT_EQUAL(st.orphans, 0);
	lwt_env_fini(&t);
}

/* --- TIMEOUT ------------------------------------------------------------- */

static void
test_timeout(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;
	uint64_t dl = 1000 + TMO_NS;

	lwt_env_init(&t, 16, 16);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), UINT64_MAX);
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	lk2 = WAIT_NEW(&t, t.s2, "R", PR, LW_LKF_TIMEOUT, 2);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), dl);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_tick(t.e, dl - 1, &t.out), 0);
	EXPECT_NEV(&t, 0);
	EXPECT_WAITING(&t, lk2, PR);
	CU_ASSERT_EQUAL(lw_engine_tick(t.e, dl, &t.out), 1);
	EXPECT_DONE_LK(&t, 2, -ETIMEDOUT, IV, 0, lk2);
	EXPECT_NEV(&t, 1);
	EXPECT_GONE(&t, lk2);
	EXPECT_GRANTED(&t, lk1, EX);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), UINT64_MAX);
	CU_ASSERT_EQUAL(lw_engine_tick(t.e, dl + 1000000, &t.out), 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).timeouts, 1);
	lwt_env_fini(&t);
}

static void
test_timeout_grants_behind(void)
{
	struct lwt_env t;
	uint32_t lk2, lk3;
	uint64_t dl = 1000 + TMO_NS;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = WAIT_NEW(&t, t.s2, "R", EX, LW_LKF_TIMEOUT, 2);
	lk3 = WAIT_NEW(&t, t.s3, "R", PR, 0, 3);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_tick(t.e, dl + 5, &t.out), 1);
	EXPECT_DONE_LK(&t, 2, -ETIMEDOUT, IV, 0, lk2);
	EXPECT_DONE_LK(&t, 3, 0, PR, 0, lk3);
	EXPECT_NEV(&t, 2);
	lwt_env_fini(&t);
}

static void
test_timeout_order(void)
{
	struct lwt_env t;
	uint32_t lk2, lk3;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s1, "R", EX, 1);
	CU_ASSERT_EQUAL(lwt_req_lock(&t, t.s2, "R", PR, LW_LKF_TIMEOUT, 200, 1, 2, &lk2), 0);
	t.now = 2000;
	CU_ASSERT_EQUAL(lwt_req_lock(&t, t.s3, "R", PR, LW_LKF_TIMEOUT, 100, 1, 3, &lk3), 0);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), 2000 + 100000);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_tick(t.e, 150000, &t.out), 1);
	EXPECT_DONE_LK(&t, 3, -ETIMEDOUT, IV, 0, lk3);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), 1000 + 200000);
	EXPECT_WAITING(&t, lk2, PR);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_tick(t.e, 201000, &t.out), 1);
	EXPECT_DONE_LK(&t, 2, -ETIMEDOUT, IV, 0, lk2);
	/* two due at one tick: earliest first */
	t.now = 300000;
	CU_ASSERT_EQUAL(lwt_req_lock(&t, t.s2, "R", PR, LW_LKF_TIMEOUT, 300, 1, 4, &lk2), 0);
	CU_ASSERT_EQUAL(lwt_req_lock(&t, t.s3, "R", PR, LW_LKF_TIMEOUT, 50, 1, 5, &lk3), 0);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_tick(t.e, 1000000, &t.out), 2);
	EXPECT_NEV(&t, 2);
	if (t.out.n == 2) {
		CU_ASSERT_EQUAL(t.out.ev[0].cookie, 5);
		CU_ASSERT_EQUAL(t.out.ev[1].cookie, 4);
	}
	lwt_env_fini(&t);
}

static void
test_timeout_cleared(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2, lk3, lk4;

	lwt_env_init(&t, 16, 16);
	/* granted at once: no timer */
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s1, "S", PR, LW_LKF_TIMEOUT, &lk4, 9), 0);
	EXPECT_DONE_LK(&t, 9, 0, PR, 0, lk4);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), UINT64_MAX);
	/* granted before the deadline: timer gone */
	lk2 = WAIT_NEW(&t, t.s2, "R", PR, LW_LKF_TIMEOUT, 2);
	CU_ASSERT_NOT_EQUAL(lw_engine_next_deadline(t.e), UINT64_MAX);
	UNLOCK_OK(&t, t.s1, lk1, 3);
	EXPECT_DONE_LK(&t, 2, 0, PR, 0, lk2);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), UINT64_MAX);
	/* cancelled before the deadline: timer gone */
	lk3 = WAIT_NEW(&t, t.s3, "R", EX, LW_LKF_TIMEOUT, 4);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s3, lk3, LW_LKF_CANCEL, 5), 0);
	EXPECT_DONE_LK(&t, 4, LW_ECANCEL, IV, 0, lk3);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), UINT64_MAX);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_tick(t.e, 1000000000, &t.out), 0);
	EXPECT_NEV(&t, 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).timeouts, 0);
	lwt_env_fini(&t);
}

static void
test_timeout_convert(void)
{
	struct lwt_env t;
	uint32_t lk2;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	t.now = 5000;
	WAIT_CVT(&t, t.s2, lk2, PR, EX, LW_LKF_TIMEOUT, 3);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), 5000 + TMO_NS);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_tick(t.e, 5000 + TMO_NS, &t.out), 1);
	EXPECT_DONE_LK(&t, 3, -ETIMEDOUT, PR, 0, lk2);
	EXPECT_NEV(&t, 1);
	EXPECT_GRANTED(&t, lk2, PR);
	lwt_env_fini(&t);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("queue_order",
		  "fifo", test_fifo,
		  "convert_before_wait", test_convert_before_wait,
		  "grant_run", test_grant_run,
		  "new_behind_convert", test_new_behind_convert,
		  "convert_head_only", test_convert_head_only,
		  "many_grants", test_many_grants,
		  "stats", test_stats,
		  NULL);
	lwt_suite("blocking",
		  "bast_once", test_bast_once,
		  "bast_rises", test_bast_rises,
		  "bast_after_grant", test_bast_after_grant,
		  "bast_converting", test_bast_converting,
		  NULL);
	lwt_suite("timeout",
		  "timeout", test_timeout,
		  "timeout_grants_behind", test_timeout_grants_behind,
		  "timeout_order", test_timeout_order,
		  "timeout_cleared", test_timeout_cleared,
		  "timeout_convert", test_timeout_convert,
		  NULL);
	return lwt_run();
}
