/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_engine_flags.c — every request flag of docs/engine.md through the
 * engine, alone and in the combinations that matter: NOQUEUE(BAST), QUECVT,
 * conversion deadlock (CONVDEADLK, NODLCKWT), EXPEDITE, HEADQUE, NOORDER,
 * ALTPR/ALTCW, PERSISTENT/ORPHAN, FORCEUNLOCK, CANCEL. Queue order,
 * blocking notices and TIMEOUT are in test_engine_order.c.
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

/* --- NOQUEUE, NOQUEUEBAST ------------------------------------------------ */

static void
test_noqueue(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2, lk3, lk4;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "R", PR, LW_LKF_NOQUEUE, &lk2, 2), 0);
	EXPECT_NEV(&t, 1);
	EXPECT_DONE_LK(&t, 2, -EAGAIN, IV, 0, lk2);
	EXPECT_GONE(&t, lk2);
	EXPECT_BAST(&t, lk1, -1, 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 1);
	/* compatible with the granted PR but a waiter is ahead: -EAGAIN */
	lk3 = GRANT_NEW(&t, t.s1, "S", PR, 3);
	WAIT_NEW(&t, t.s2, "S", EX, 0, 4);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "S", PR, LW_LKF_NOQUEUE, &lk4, 5), 0);
	EXPECT_NEV(&t, 1);
	EXPECT_DONE_LK(&t, 5, -EAGAIN, IV, 0, lk4);
	EXPECT_GRANTED(&t, lk3, PR);
	lwt_env_fini(&t);
}

static void
test_noqueue_convert(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s1, lk1, EX, LW_LKF_NOQUEUE, 3), 0);
	EXPECT_NEV(&t, 1);
	EXPECT_DONE_LK(&t, 3, -EAGAIN, PR, 0, lk1);
	EXPECT_GRANTED(&t, lk1, PR);
	EXPECT_GRANTED(&t, lk2, PR);
	lwt_env_fini(&t);
}

static void
test_noqueuebast(void)
{
	const uint32_t f = LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST;
	struct lwt_env t;
	uint32_t lk1, lk2, lk3, x;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", CR, 2);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", EX, f, &x, 3), 0);
	EXPECT_DONE(&t, 3, -EAGAIN, IV, 0);
	EXPECT_BAST(&t, lk1, EX, 1);
	EXPECT_BAST(&t, lk2, EX, 1);
	EXPECT_NEV(&t, 3);
	/* highbast: the same mode again, or a lower one, sends nothing */
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", EX, f, &x, 4), 0);
	EXPECT_DONE(&t, 4, -EAGAIN, IV, 0);
	EXPECT_NEV(&t, 1);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", PW, f, &x, 5), 0);
	EXPECT_DONE(&t, 5, -EAGAIN, IV, 0);
	EXPECT_NEV(&t, 1);
	/* a rising mode is notified again */
	lk3 = GRANT_NEW(&t, t.s1, "S", PR, 6);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "S", PW, f, &x, 7), 0);
	EXPECT_BAST(&t, lk3, PW, 1);
	EXPECT_NEV(&t, 2);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "S", EX, f, &x, 8), 0);
	EXPECT_BAST(&t, lk3, EX, 1);
	EXPECT_NEV(&t, 2);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 3);
	lwt_env_fini(&t);
}

static void
test_noqueuebast_convert(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s2, lk2, EX, LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST, 3), 0);
	EXPECT_DONE_LK(&t, 3, -EAGAIN, PR, 0, lk2);
	EXPECT_BAST(&t, lk1, EX, 1);
	EXPECT_BAST(&t, lk2, -1, 0);
	EXPECT_NEV(&t, 2);
	EXPECT_GRANTED(&t, lk2, PR);
	lwt_env_fini(&t);
}

/* --- QUECVT -------------------------------------------------------------- */

static void
test_quecvt(void)
{
	struct lwt_env t;
	uint32_t lkc, lka, lkb;

	lwt_env_init(&t, 16, 16);
	lkc = GRANT_NEW(&t, t.s3, "R", CR, 1);
	lka = GRANT_NEW(&t, t.s1, "R", CR, 2);
	lkb = GRANT_NEW(&t, t.s2, "R", NL, 3);
	WAIT_CVT(&t, t.s1, lka, CR, EX, 0, 10);
	lwt_clear(&t);
	/* compatible with every granted mode, but queued behind lka */
	WAIT_CVT(&t, t.s2, lkb, NL, CR, LW_LKF_QUECVT, 11);
	EXPECT_NEV(&t, 0);
	/* the cancel of lka's conversion lets lkb go */
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s1, lka, LW_LKF_CANCEL, 12), 0);
	EXPECT_DONE_LK(&t, 10, LW_ECANCEL, CR, 0, lka);
	EXPECT_DONE_LK(&t, 11, 0, CR, 0, lkb);
	EXPECT_NO_DONE(&t, 12);
	EXPECT_NEV(&t, 2);
	EXPECT_GRANTED(&t, lka, CR);
	EXPECT_GRANTED(&t, lkb, CR);
	/* convert queue empty: QUECVT is granted at once */
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s2, lkb, CW, LW_LKF_QUECVT, 13), 0);
	EXPECT_NEV(&t, 1);
	EXPECT_DONE_LK(&t, 13, 0, CW, 0, lkb);
	EXPECT_GRANTED(&t, lkc, CR);
	lwt_env_fini(&t);
}

/* The same situation without QUECVT: granted at once despite the converter. */
static void
test_quecvt_control(void)
{
	struct lwt_env t;
	uint32_t lka, lkb;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s3, "R", CR, 1);
	lka = GRANT_NEW(&t, t.s1, "R", CR, 2);
	lkb = GRANT_NEW(&t, t.s2, "R", NL, 3);
	WAIT_CVT(&t, t.s1, lka, CR, EX, 0, 10);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s2, lkb, CR, 0, 11), 0);
	EXPECT_DONE_LK(&t, 11, 0, CR, 0, lkb);
	/* granted anew, lkb hears that it blocks the EX conversion */
	EXPECT_NEV(&t, 2);
	CU_ASSERT_EQUAL(lwt_count_blocking(&t, lkb, EX), 1);
	EXPECT_CONVERTING(&t, lka, CR, EX);
	lwt_env_fini(&t);
}

/*
 * QUECVT with NOORDER: "NOORDER does not override QUECVT" at once, but the
 * queued entry has NOORDER, so a later grant-pending pass grants it ahead
 * of the blocked head of the convert queue.
 */
static void
test_quecvt_noorder(void)
{
	struct lwt_env t;
	uint32_t lky, lka, lkb;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s3, "R", CR, 1);
	lky = GRANT_NEW(&t, t.s3, "R", PR, 2);
	lka = GRANT_NEW(&t, t.s1, "R", CR, 3);
	lkb = GRANT_NEW(&t, t.s2, "R", NL, 4);
	WAIT_CVT(&t, t.s1, lka, CR, EX, 0, 10);
	WAIT_CVT(&t, t.s2, lkb, NL, CR, LW_LKF_QUECVT | LW_LKF_NOORDER, 11);
	lwt_clear(&t);
	/* a down-conversion runs grant pending: the head still can't go */
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s3, lky, CR, 0, 12), 0);
	EXPECT_DONE_LK(&t, 12, 0, CR, 0, lky);
	EXPECT_DONE_LK(&t, 11, 0, CR, 0, lkb);
	EXPECT_NO_DONE(&t, 10);
	EXPECT_CONVERTING(&t, lka, CR, EX);
	EXPECT_GRANTED(&t, lkb, CR);
	lwt_env_fini(&t);
}

/* A QUECVT conversion that must queue is checked for conversion deadlock
 * like any other: lkb (CR) would wait behind lka, which wants EX. */
static void
test_quecvt_deadlock(void)
{
	struct lwt_env t;
	uint32_t lka, lkb;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s3, "R", CR, 1);
	lka = GRANT_NEW(&t, t.s1, "R", CR, 2);
	lkb = GRANT_NEW(&t, t.s2, "R", CR, 3);
	WAIT_CVT(&t, t.s1, lka, CR, EX, 0, 10);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s2, lkb, CW, LW_LKF_QUECVT, 11), 0);
	EXPECT_DONE_LK(&t, 11, -EDEADLK, CR, 0, lkb);
	EXPECT_NEV(&t, 1);
	EXPECT_GRANTED(&t, lkb, CR);
	lwt_env_fini(&t);
}

/* --- conversion deadlock ------------------------------------------------- */

/* s1 and s2 hold PR; s1 waits to convert to EX. */
static void
deadlock_setup(struct lwt_env *t, uint32_t *lk1, uint32_t *lk2)
{
	*lk1 = GRANT_NEW(t, t->s1, "R", PR, 1);
	*lk2 = GRANT_NEW(t, t->s2, "R", PR, 2);
	WAIT_CVT(t, t->s1, *lk1, PR, EX, 0, 10);
	EXPECT_BAST(t, *lk2, EX, 1);
	lwt_clear(t);
}

static void
test_convdeadlk(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	deadlock_setup(&t, &lk1, &lk2);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s2, lk2, EX, LW_LKF_CONVDEADLK, 11), 0);
	/* lk2 drops to NL, lk1 gets EX, lk2 waits for EX holding NL */
	EXPECT_DONE_LK(&t, 10, 0, EX, 0, lk1);
	EXPECT_NO_DONE(&t, 11);
	EXPECT_BAST(&t, lk1, EX, 1);
	EXPECT_NEV(&t, 2);
	EXPECT_GRANTED(&t, lk1, EX);
	EXPECT_CONVERTING(&t, lk2, NL, EX);
	CU_ASSERT_EQUAL(lwt_stats(&t).deadlocks, 1);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 12);
	EXPECT_DONE_LK(&t, 11, 0, EX, LW_SBF_DEMOTED, lk2);
	EXPECT_NEV(&t, 2);
	EXPECT_GRANTED(&t, lk2, EX);
	lwt_env_fini(&t);
}

/* After the demotion the demoted lock itself can go at once. */
static void
test_convdeadlk_granted_now(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	WAIT_CVT(&t, t.s1, lk1, PR, CW, 0, 10);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s2, lk2, CW, LW_LKF_CONVDEADLK, 11), 0);
	EXPECT_DONE_LK(&t, 10, 0, CW, 0, lk1);
	EXPECT_DONE_LK(&t, 11, 0, CW, LW_SBF_DEMOTED, lk2);
	EXPECT_NEV(&t, 2);
	EXPECT_GRANTED(&t, lk1, CW);
	EXPECT_GRANTED(&t, lk2, CW);
	lwt_env_fini(&t);
}

static void
test_deadlock_edeadlk(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	deadlock_setup(&t, &lk1, &lk2);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s2, lk2, EX, 0, 11), 0);
	EXPECT_DONE_LK(&t, 11, -EDEADLK, PR, 0, lk2);
	EXPECT_NEV(&t, 1);
	EXPECT_GRANTED(&t, lk2, PR);
	EXPECT_CONVERTING(&t, lk1, PR, EX);
	CU_ASSERT_EQUAL(lwt_stats(&t).deadlocks, 1);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s2, lk2, 12);
	EXPECT_DONE_LK(&t, 10, 0, EX, 0, lk1);
	EXPECT_NEV(&t, 2);
	lwt_env_fini(&t);
}

static void
test_nodlckwt(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	deadlock_setup(&t, &lk1, &lk2);
	WAIT_CVT(&t, t.s2, lk2, PR, EX, LW_LKF_NODLCKWT, 11);
	EXPECT_BAST(&t, lk1, EX, 1);
	EXPECT_NEV(&t, 1);
	EXPECT_CONVERTING(&t, lk1, PR, EX);
	/* the other side gives way */
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s1, lk1, LW_LKF_CANCEL, 12), 0);
	EXPECT_DONE_LK(&t, 10, LW_ECANCEL, PR, 0, lk1);
	EXPECT_NO_DONE(&t, 11);
	EXPECT_CONVERTING(&t, lk2, PR, EX);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 13);
	EXPECT_DONE_LK(&t, 11, 0, EX, 0, lk2);
	EXPECT_NEV(&t, 2);
	lwt_env_fini(&t);
}

/* --- EXPEDITE, HEADQUE, NOORDER ------------------------------------------ */

static void
test_expedite(void)
{
	struct lwt_env t;
	uint32_t lk3, lk4, x;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s1, "R", EX, 1);
	WAIT_NEW(&t, t.s2, "R", PR, 0, 2);
	/* a plain NL waits behind the PR; an expedited one does not */
	lk3 = WAIT_NEW(&t, t.s3, "R", NL, 0, 3);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", NL, LW_LKF_EXPEDITE, &lk4, 4), 0);
	EXPECT_DONE_LK(&t, 4, 0, NL, 0, lk4);
	EXPECT_NEV(&t, 1);
	EXPECT_WAITING(&t, lk3, NL);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", PR, LW_LKF_EXPEDITE, &x, 5), -EINVAL);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s3, lk4, NL, LW_LKF_EXPEDITE, 6), -EINVAL);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s3, lk4, CR, LW_LKF_EXPEDITE, 7), -EINVAL);
	EXPECT_NEV(&t, 0);
	EXPECT_GRANTED(&t, lk4, NL);
	lwt_env_fini(&t);
}

/* EXPEDITE goes ahead of a pending conversion too. */
static void
test_expedite_convert_queue(void)
{
	struct lwt_env t;
	uint32_t lk1, lk3, lk4;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	GRANT_NEW(&t, t.s2, "R", PR, 2);
	WAIT_CVT(&t, t.s1, lk1, PR, EX, 0, 3);
	lk3 = WAIT_NEW(&t, t.s3, "R", NL, 0, 4);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", NL, LW_LKF_EXPEDITE, &lk4, 5), 0);
	EXPECT_DONE_LK(&t, 5, 0, NL, 0, lk4);
	EXPECT_NEV(&t, 1);
	EXPECT_WAITING(&t, lk3, NL);
	EXPECT_CONVERTING(&t, lk1, PR, EX);
	lwt_env_fini(&t);
}

static void
test_headque_wait(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2, lk3;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	lk2 = WAIT_NEW(&t, t.s2, "R", EX, 0, 2);
	lk3 = WAIT_NEW(&t, t.s3, "R", PR, LW_LKF_HEADQUE, 3);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 4);
	EXPECT_DONE_LK(&t, 3, 0, PR, 0, lk3);
	EXPECT_NO_DONE(&t, 2);
	EXPECT_WAITING(&t, lk2, EX);
	EXPECT_BAST(&t, lk3, EX, 1);
	EXPECT_NEV(&t, 3);
	/* control: at the tail, the EX goes first */
	lk1 = GRANT_NEW(&t, t.s1, "S", EX, 11);
	lk2 = WAIT_NEW(&t, t.s2, "S", EX, 0, 12);
	lk3 = WAIT_NEW(&t, t.s3, "S", PR, 0, 13);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 14);
	EXPECT_DONE_LK(&t, 12, 0, EX, 0, lk2);
	EXPECT_NO_DONE(&t, 13);
	lwt_env_fini(&t);
}

/* s3 holds EX; lka NL->PR then lkb NL->PW (flags fl) wait; s3 unlocks. */
static void
headque_convert_case(struct lwt_env *t, const char *name, uint32_t fl)
{
	uint32_t lkx, lka, lkb;

	lkx = GRANT_NEW(t, t->s3, name, EX, 1);
	lka = GRANT_NEW(t, t->s1, name, NL, 2);
	lkb = GRANT_NEW(t, t->s2, name, NL, 3);
	WAIT_CVT(t, t->s1, lka, NL, PR, 0, 10);
	WAIT_CVT(t, t->s2, lkb, NL, PW, fl, 11);
	lwt_clear(t);
	UNLOCK_OK(t, t->s3, lkx, 12);
	if (fl & LW_LKF_HEADQUE) {
		EXPECT_DONE_LK(t, 11, 0, PW, 0, lkb);
		EXPECT_NO_DONE(t, 10);
		EXPECT_CONVERTING(t, lka, NL, PR);
	} else {
		EXPECT_DONE_LK(t, 10, 0, PR, 0, lka);
		EXPECT_NO_DONE(t, 11);
		EXPECT_CONVERTING(t, lkb, NL, PW);
	}
	lwt_clear(t);
}

static void
test_headque_convert(void)
{
	struct lwt_env t;

	lwt_env_init(&t, 16, 16);
	headque_convert_case(&t, "R", LW_LKF_HEADQUE);
	headque_convert_case(&t, "S", 0);
	lwt_env_fini(&t);
}

static void
test_noorder_now(void)
{
	struct lwt_env t;
	uint32_t lk3, lk4;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s1, "R", PR, 1);
	WAIT_NEW(&t, t.s2, "R", EX, 0, 2);
	lk3 = WAIT_NEW(&t, t.s3, "R", PR, 0, 3);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", PR, LW_LKF_NOORDER, &lk4, 4), 0);
	EXPECT_DONE_LK(&t, 4, 0, PR, 0, lk4);
	/* granted past the EX waiter, lk4 hears that it blocks it */
	EXPECT_NEV(&t, 2);
	CU_ASSERT_EQUAL(lwt_count_blocking(&t, lk4, EX), 1);
	EXPECT_WAITING(&t, lk3, PR);
	lwt_env_fini(&t);
}

/* A waiting NOORDER entry is granted past a blocked head. */
static void
noorder_pending_case(struct lwt_env *t, const char *name, uint32_t fl)
{
	uint32_t lk1, lk2, lk3;

	lk1 = GRANT_NEW(t, t->s1, name, PW, 1);
	lk2 = WAIT_NEW(t, t->s2, name, EX, 0, 2);
	lk3 = WAIT_NEW(t, t->s3, name, PR, fl, 3);
	lwt_clear(t);
	CU_ASSERT_EQUAL(lwt_convert(t, t->s1, lk1, CR, 0, 4), 0);
	EXPECT_DONE_LK(t, 4, 0, CR, 0, lk1);
	EXPECT_NO_DONE(t, 2);
	EXPECT_WAITING(t, lk2, EX);
	if (fl & LW_LKF_NOORDER) {
		EXPECT_DONE_LK(t, 3, 0, PR, 0, lk3);
	} else {
		EXPECT_NO_DONE(t, 3);
		EXPECT_WAITING(t, lk3, PR);
	}
	lwt_clear(t);
}

static void
test_noorder_pending(void)
{
	struct lwt_env t;

	lwt_env_init(&t, 16, 16);
	noorder_pending_case(&t, "R", LW_LKF_NOORDER);
	noorder_pending_case(&t, "S", 0);
	lwt_env_fini(&t);
}

/* --- ALTPR / ALTCW ------------------------------------------------------- */

static void
test_alt_now(void)
{
	struct lwt_env t;
	uint32_t lk2, lk4, x;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s1, "R", PR, 1);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "R", EX, LW_LKF_ALTPR, &lk2, 2), 0);
	EXPECT_DONE_LK(&t, 2, 0, PR, LW_SBF_ALTMODE, lk2);
	EXPECT_NEV(&t, 1);
	EXPECT_GRANTED(&t, lk2, PR);
	GRANT_NEW(&t, t.s1, "S", CW, 3);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "S", PW, LW_LKF_ALTCW, &lk4, 4), 0);
	EXPECT_DONE_LK(&t, 4, 0, CW, LW_SBF_ALTMODE, lk4);
	EXPECT_NEV(&t, 1);
	EXPECT_GRANTED(&t, lk4, CW);
	/* the alternative blocked too, with NOQUEUE: -EAGAIN */
	GRANT_NEW(&t, t.s1, "T", EX, 5);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "T", PW, LW_LKF_ALTCW | LW_LKF_NOQUEUE, &x, 6), 0);
	EXPECT_DONE(&t, 6, -EAGAIN, IV, 0);
	EXPECT_NEV(&t, 1);
	lwt_env_fini(&t);
}

static void
test_alt_pending(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	lk2 = WAIT_NEW(&t, t.s2, "R", PW, LW_LKF_ALTPR, 2);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s1, lk1, PR, 0, 3), 0);
	EXPECT_DONE_LK(&t, 3, 0, PR, 0, lk1);
	EXPECT_DONE_LK(&t, 2, 0, PR, LW_SBF_ALTMODE, lk2);
	EXPECT_NEV(&t, 2);
	/* the requested mode is preferred when it can go */
	lk1 = GRANT_NEW(&t, t.s1, "S", PW, 4);
	lk2 = WAIT_NEW(&t, t.s2, "S", EX, LW_LKF_ALTPR, 5);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s1, lk1, 6);
	EXPECT_DONE_LK(&t, 5, 0, EX, 0, lk2);
	EXPECT_NEV(&t, 2);
	lwt_env_fini(&t);
}

static void
test_alt_convert(void)
{
	struct lwt_env t;
	uint32_t lk2;

	lwt_env_init(&t, 16, 16);
	GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", CR, 2);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s2, lk2, EX, LW_LKF_ALTPR, 3), 0);
	EXPECT_DONE_LK(&t, 3, 0, PR, LW_SBF_ALTMODE, lk2);
	EXPECT_NEV(&t, 1);
	EXPECT_GRANTED(&t, lk2, PR);
	lwt_env_fini(&t);
}

/* --- PERSISTENT, ORPHAN, FORCEUNLOCK ------------------------------------- */

static void
test_persistent_orphan(void)
{
	struct lwt_env t;
	uint32_t lkp = 0, lks, lkn, lk3, lkw;
	struct lw_lock_info li;

	lwt_env_init(&t, 16, 16);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s1, "R", PR, LW_LKF_PERSISTENT, &lkp, 1), 0);
	EXPECT_DONE_LK(&t, 1, 0, PR, 0, lkp);
	/* sticky: PERSISTENT on one conversion, then a conversion without */
	lks = GRANT_NEW(&t, t.s1, "R4", CR, 2);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s1, lks, PR, LW_LKF_PERSISTENT, 6), 0);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s1, lks, CW, 0, 7), 0);
	EXPECT_DONE_LK(&t, 7, 0, CW, 0, lks);
	lkn = GRANT_NEW(&t, t.s1, "R2", EX, 3);
	lk3 = GRANT_NEW(&t, t.s2, "R3", EX, 4);
	lkw = WAIT_NEW(&t, t.s1, "R3", PR, 0, 5);
	CU_ASSERT_EQUAL(lw_engine_lock_info(t.e, lkn, &li), 0);
	CU_ASSERT_EQUAL(li.persistent, 0);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s1, t.now, &t.out), 0);
	EXPECT_NEV(&t, 0);
	CU_ASSERT_EQUAL_FATAL(lw_engine_lock_info(t.e, lkp, &li), 0);
	CU_ASSERT_EQUAL(li.session, 0);
	CU_ASSERT_EQUAL(li.grmode, PR);
	CU_ASSERT_EQUAL(li.state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(li.persistent, 1);
	CU_ASSERT_EQUAL_FATAL(lw_engine_lock_info(t.e, lks, &li), 0);
	CU_ASSERT_EQUAL(li.session, 0);
	CU_ASSERT_EQUAL(li.grmode, CW);
	CU_ASSERT_EQUAL(li.persistent, 1);
	EXPECT_GONE(&t, lkn);
	EXPECT_GONE(&t, lkw);
	EXPECT_GRANTED(&t, lk3, EX);
	CU_ASSERT_EQUAL(lwt_stats(&t).orphans, 2);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 3);
	lwt_env_fini(&t);
}

/* At close, a PERSISTENT lock's pending conversion is cancelled and it is
 * orphaned in its granted mode; a PERSISTENT lock still waiting just goes. */
static void
test_persistent_pending_close(void)
{
	struct lwt_env t;
	uint32_t lkp = 0, lkw = 0, lk2;
	struct lw_lock_info li;

	lwt_env_init(&t, 16, 16);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s1, "R", PR, LW_LKF_PERSISTENT, &lkp, 1), 0);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	WAIT_CVT(&t, t.s1, lkp, PR, EX, LW_LKF_TIMEOUT, 3);
	GRANT_NEW(&t, t.s2, "S", EX, 4);
	lkw = WAIT_NEW(&t, t.s1, "S", PR, LW_LKF_PERSISTENT, 5);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s1, t.now, &t.out), 0);
	EXPECT_NEV(&t, 0);
	CU_ASSERT_EQUAL_FATAL(lw_engine_lock_info(t.e, lkp, &li), 0);
	CU_ASSERT_EQUAL(li.session, 0);
	CU_ASSERT_EQUAL(li.state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(li.grmode, PR);
	EXPECT_GONE(&t, lkw);
	EXPECT_GRANTED(&t, lk2, PR);
	CU_ASSERT_EQUAL(lw_engine_next_deadline(t.e), UINT64_MAX);
	CU_ASSERT_EQUAL(lwt_stats(&t).orphans, 1);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 3);
	lwt_env_fini(&t);
}

static void
test_orphan_adopt(void)
{
	struct lwt_env t;
	uint32_t lkp = 0, x;
	struct lw_lock_info li;

	lwt_env_init(&t, 16, 16);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s1, "R", PR, LW_LKF_PERSISTENT, &lkp, 1), 0);
	EXPECT_DONE_LK(&t, 1, 0, PR, 0, lkp);
	GRANT_NEW(&t, t.s3, "Q", PR, 2);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s1, t.now, &t.out), 0);
	lwt_clear(&t);
	/* wrong mode: -EAGAIN; no orphan on the resource: -ENOENT */
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "R", EX, LW_LKF_ORPHAN, &x, 3), -EAGAIN);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "R2", PR, LW_LKF_ORPHAN, &x, 4), -ENOENT);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "Q", PR, LW_LKF_ORPHAN, &x, 5), -ENOENT);
	EXPECT_NEV(&t, 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).orphans, 1);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 2);
	/* same mode: adopted, same lkid */
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "R", PR, LW_LKF_ORPHAN, &x, 6), 0);
	CU_ASSERT_EQUAL(x, lkp);
	EXPECT_DONE_LK(&t, 6, 0, PR, 0, lkp);
	EXPECT_NEV(&t, 1);
	CU_ASSERT_EQUAL_FATAL(lw_engine_lock_info(t.e, lkp, &li), 0);
	CU_ASSERT_EQUAL(li.session, t.s2);
	CU_ASSERT_EQUAL(li.grmode, PR);
	CU_ASSERT_EQUAL(lwt_stats(&t).orphans, 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 2);
	lwt_clear(&t);
	UNLOCK_OK(&t, t.s2, lkp, 7);
	EXPECT_GONE(&t, lkp);
	lwt_env_fini(&t);
}

/* Among several orphans on a resource, the one in the asked mode is adopted. */
static void
test_orphan_adopt_choice(void)
{
	struct lwt_env t;
	uint32_t lpr = 0, lcr = 0, x;

	lwt_env_init(&t, 16, 16);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s1, "R", PR, LW_LKF_PERSISTENT, &lpr, 1), 0);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s1, "R", CR, LW_LKF_PERSISTENT, &lcr, 2), 0);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s1, t.now, &t.out), 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).orphans, 2);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "R", CW, LW_LKF_ORPHAN, &x, 3), -EAGAIN);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "R", CR, LW_LKF_ORPHAN, &x, 4), 0);
	CU_ASSERT_EQUAL(x, lcr);
	EXPECT_DONE_LK(&t, 4, 0, CR, 0, lcr);
	/* adoption reads no LVB, even with VALBLK */
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", PR, LW_LKF_ORPHAN | LW_LKF_VALBLK, &x, 5), 0);
	CU_ASSERT_EQUAL(x, lpr);
	const struct lw_event *ev = EXPECT_DONE_LK(&t, 5, 0, PR, 0, lpr);
	if (ev != NULL)
		CU_ASSERT_EQUAL(ev->has_lvb, 0);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", PR, LW_LKF_ORPHAN, &x, 6), -ENOENT);
	EXPECT_NEV(&t, 2);
	CU_ASSERT_EQUAL(lwt_stats(&t).orphans, 0);
	lwt_env_fini(&t);
}

/* Orphans get no BLOCKING; the adopter does (highbast reset on adoption). */
static void
test_orphan_adopt_bast(void)
{
	struct lwt_env t;
	uint32_t lkp = 0, x;

	lwt_env_init(&t, 16, 16);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s1, "R", PR, LW_LKF_PERSISTENT, &lkp, 1), 0);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s1, t.now, &t.out), 0);
	lwt_clear(&t);
	WAIT_NEW(&t, t.s2, "R", EX, 0, 2);
	EXPECT_NEV(&t, 0);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s3, "R", PR, LW_LKF_ORPHAN, &x, 3), 0);
	EXPECT_DONE_LK(&t, 3, 0, PR, 0, lkp);
	EXPECT_NEV(&t, 1);
	lwt_clear(&t);
	WAIT_NEW(&t, t.s2, "R", PW, 0, 4);
	EXPECT_BAST(&t, lkp, EX, 1);
	EXPECT_NEV(&t, 1);
	lwt_env_fini(&t);
}

static void
test_forceunlock_waiting(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", EX, 1);
	lk2 = WAIT_NEW(&t, t.s2, "R", PR, 0, 2);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s2, lk2, LW_LKF_FORCEUNLOCK, 3), 0);
	EXPECT_DONE_LK(&t, 2, LW_ECANCEL, IV, 0, lk2);
	EXPECT_DONE_LK(&t, 3, LW_EUNLOCK, IV, 0, lk2);
	EXPECT_NEV(&t, 2);
	EXPECT_GONE(&t, lk2);
	EXPECT_GRANTED(&t, lk1, EX);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 1);
	lwt_env_fini(&t);
}

static void
test_forceunlock_converting(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2, lk3;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	WAIT_CVT(&t, t.s2, lk2, PR, EX, 0, 3);
	lk3 = WAIT_NEW(&t, t.s3, "R", CW, 0, 4);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s2, lk2, LW_LKF_FORCEUNLOCK, 5), 0);
	EXPECT_DONE_LK(&t, 3, LW_ECANCEL, PR, 0, lk2);
	EXPECT_DONE_LK(&t, 5, LW_EUNLOCK, IV, 0, lk2);
	EXPECT_NO_DONE(&t, 4);
	EXPECT_GONE(&t, lk2);
	EXPECT_GRANTED(&t, lk1, PR);
	EXPECT_WAITING(&t, lk3, CW);
	/* and of a granted lock: releases it and grants the waiter */
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s1, lk1, LW_LKF_FORCEUNLOCK, 6), 0);
	EXPECT_DONE_LK(&t, 6, LW_EUNLOCK, IV, 0, lk1);
	EXPECT_DONE_LK(&t, 4, 0, CW, 0, lk3);
	EXPECT_NEV(&t, 2);
	lwt_env_fini(&t);
}

static void
test_forceunlock_orphan(void)
{
	struct lwt_env t;
	uint32_t lkp = 0, lk2;

	lwt_env_init(&t, 16, 16);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s1, "R", EX, LW_LKF_PERSISTENT, &lkp, 1), 0);
	lk2 = WAIT_NEW(&t, t.s2, "R", PR, 0, 2);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lw_engine_session_close(t.e, t.s1, t.now, &t.out), 0);
	EXPECT_NEV(&t, 0);
	EXPECT_WAITING(&t, lk2, PR);
	/* only FORCEUNLOCK may touch an orphan */
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s3, lkp, 0, 3), -EINVAL);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s3, lkp, LW_LKF_CANCEL, 4), -EINVAL);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s3, lkp, NL, 0, 5), -EINVAL);
	EXPECT_NEV(&t, 0);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s3, lkp, LW_LKF_FORCEUNLOCK, 6), 0);
	const struct lw_event *ev = EXPECT_DONE_LK(&t, 6, LW_EUNLOCK, IV, 0, lkp);
	/* the answer goes to the session that asked (an orphan has none) */
	if (ev != NULL)
		LWT_CHECK(ev->session == t.s3, "EUNLOCK of an orphan: session %#x, want %#x",
			  ev->session, t.s3);
	EXPECT_DONE_LK(&t, 2, 0, PR, 0, lk2);
	EXPECT_NEV(&t, 2);
	EXPECT_GONE(&t, lkp);
	CU_ASSERT_EQUAL(lwt_stats(&t).orphans, 0);
	lwt_env_fini(&t);
}

/* --- CANCEL -------------------------------------------------------------- */

static void
test_cancel_waiting(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2, lk3, lk4;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = WAIT_NEW(&t, t.s2, "R", EX, 0, 2);
	lk3 = WAIT_NEW(&t, t.s3, "R", PR, 0, 3);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s2, lk2, LW_LKF_CANCEL, 4), 0);
	EXPECT_DONE_LK(&t, 2, LW_ECANCEL, IV, 0, lk2);
	EXPECT_NO_DONE(&t, 4);
	EXPECT_DONE_LK(&t, 3, 0, PR, 0, lk3);   /* unblocked by the cancel */
	EXPECT_NEV(&t, 2);
	EXPECT_GONE(&t, lk2);
	EXPECT_GRANTED(&t, lk1, PR);
	/* granted now: nothing to cancel */
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s3, lk3, LW_LKF_CANCEL, 5), -EBUSY);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s1, lk1, LW_LKF_CANCEL, 6), -EBUSY);
	EXPECT_NEV(&t, 0);
	lk4 = GRANT_NEW(&t, t.s2, "R", CR, 7);
	EXPECT_GRANTED(&t, lk4, CR);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 3);
	lwt_env_fini(&t);
}

static void
test_cancel_convert(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	lk1 = GRANT_NEW(&t, t.s1, "R", PR, 1);
	lk2 = GRANT_NEW(&t, t.s2, "R", PR, 2);
	WAIT_CVT(&t, t.s2, lk2, PR, EX, 0, 3);
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s2, lk2, LW_LKF_CANCEL, 4), 0);
	EXPECT_DONE_LK(&t, 3, LW_ECANCEL, PR, 0, lk2);
	EXPECT_NO_DONE(&t, 4);
	EXPECT_NEV(&t, 1);
	EXPECT_GRANTED(&t, lk2, PR);
	EXPECT_GRANTED(&t, lk1, PR);
	/* and the lock can convert again */
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_convert(&t, t.s2, lk2, CR, 0, 5), 0);
	EXPECT_DONE_LK(&t, 5, 0, CR, 0, lk2);
	lwt_env_fini(&t);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("noqueue",
		  "noqueue", test_noqueue,
		  "noqueue_convert", test_noqueue_convert,
		  "noqueuebast", test_noqueuebast,
		  "noqueuebast_convert", test_noqueuebast_convert,
		  NULL);
	lwt_suite("convert",
		  "quecvt", test_quecvt,
		  "quecvt_control", test_quecvt_control,
		  "quecvt_noorder", test_quecvt_noorder,
		  "quecvt_deadlock", test_quecvt_deadlock,
		  "convdeadlk", test_convdeadlk,
		  "convdeadlk_granted_now", test_convdeadlk_granted_now,
		  "deadlock_edeadlk", test_deadlock_edeadlk,
		  "nodlckwt", test_nodlckwt,
		  NULL);
	lwt_suite("order_flags",
		  "expedite", test_expedite,
		  "expedite_convert_queue", test_expedite_convert_queue,
		  "headque_wait", test_headque_wait,
		  "headque_convert", test_headque_convert,
		  "noorder_now", test_noorder_now,
		  "noorder_pending", test_noorder_pending,
		  "alt_now", test_alt_now,
		  "alt_pending", test_alt_pending,
		  "alt_convert", test_alt_convert,
		  NULL);
	lwt_suite("persist_cancel",
		  "persistent_orphan", test_persistent_orphan,
		  "persistent_pending_close", test_persistent_pending_close,
		  "orphan_adopt", test_orphan_adopt,
		  "orphan_adopt_choice", test_orphan_adopt_choice,
		  "orphan_adopt_bast", test_orphan_adopt_bast,
		  "forceunlock_waiting", test_forceunlock_waiting,
		  "forceunlock_converting", test_forceunlock_converting,
		  "forceunlock_orphan", test_forceunlock_orphan,
		  "cancel_waiting", test_cancel_waiting,
		  "cancel_convert", test_cancel_convert,
		  NULL);
	return lwt_run();
}
