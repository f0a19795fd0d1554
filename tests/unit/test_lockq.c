/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lockq.c — the queue algorithm on its own, with entries that are not
 * client locks (as a master queues sites): grant order, conversions,
 * deadlock, blocking notices, the ceiling of a shadow, and wrong calls.
 */
#include <errno.h>
#include <string.h>

#include "lockq.h"
#include "lwt.h"

#define NENT 8

struct rec {
	int granted[NENT * 4];
	int gmode[NENT * 4];
	int ng;
	int bast[NENT * 4];
	int bmode[NENT * 4];
	int nb;
};

static struct lw_qent ent[NENT];
static struct lw_lockq q;
static struct rec rec;

static int
idx(const struct lw_qent *e)
{
	return (int)(e - ent);
}

static void
on_granted(void *ctx, struct lw_qent *e, int prev)
{
	struct rec *r = ctx;

	(void)prev;
	r->granted[r->ng] = idx(e);
	r->gmode[r->ng++] = e->grmode;
}

static void
on_blocking(void *ctx, struct lw_qent *h, int mode)
{
	struct rec *r = ctx;

	r->bast[r->nb] = idx(h);
	r->bmode[r->nb++] = mode;
}

static const struct lw_lockq_ops ops = { on_granted, on_blocking };

static void
reset(void)
{
	lw_lockq_init(&q);
	for (int i = 0; i < NENT; i++)
		lw_qent_init(&ent[i], true);
	memset(&rec, 0, sizeof(rec));
}

static int
req(int i, int mode, uint32_t flags)
{
	return lw_lockq_request(&q, &ent[i], mode, flags, &ops, &rec);
}

static int
cvt(int i, int mode, uint32_t flags)
{
	return lw_lockq_convert(&q, &ent[i], mode, flags, &ops, &rec);
}

static void
test_fifo_and_compatible_followers(void)
{
	reset();
	CU_ASSERT_EQUAL(req(0, LW_LOCK_EX, 0), 0);
	CU_ASSERT_EQUAL(req(1, LW_LOCK_PR, 0), 0);
	CU_ASSERT_EQUAL(req(2, LW_LOCK_PR, 0), 0);
	CU_ASSERT_EQUAL(req(3, LW_LOCK_EX, 0), 0);
	CU_ASSERT_EQUAL(req(4, LW_LOCK_PR, 0), 0);
	CU_ASSERT_EQUAL(rec.ng, 1);
	CU_ASSERT_EQUAL(ent[3].state, LW_QS_WAIT);
	/* The holder hears of PR, then once more when EX (stronger) queues. */
	CU_ASSERT_EQUAL(rec.nb, 2);
	CU_ASSERT_EQUAL(rec.bast[0], 0);
	CU_ASSERT_EQUAL(rec.bmode[0], LW_LOCK_PR);
	CU_ASSERT_EQUAL(rec.bast[1], 0);
	CU_ASSERT_EQUAL(rec.bmode[1], LW_LOCK_EX);
	rec.ng = 0;
	CU_ASSERT_EQUAL(lw_lockq_release(&q, &ent[0], &ops, &rec), 0);
	/* Head PR, then the next PR; EX stops the scan, the PR behind it waits. */
	CU_ASSERT_EQUAL(rec.ng, 2);
	CU_ASSERT_EQUAL(rec.granted[0], 1);
	CU_ASSERT_EQUAL(rec.granted[1], 2);
	CU_ASSERT_EQUAL(ent[4].state, LW_QS_WAIT);
	CU_ASSERT_EQUAL(lw_lockq_granted_join(&q), LW_LOCK_PR);
	CU_ASSERT_EQUAL(lw_lockq_release(&q, &ent[0], &ops, &rec), -EBUSY);
}

static void
test_ceiling_caps_grants(void)
{
	reset();
	lw_lockq_set_ceiling(&q, LW_LOCK_PR, &ops, &rec);
	CU_ASSERT_EQUAL(req(0, LW_LOCK_CR, 0), 0);
	CU_ASSERT_EQUAL(ent[0].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(req(1, LW_LOCK_CW, 0), 0);      /* CW is not under PR */
	CU_ASSERT_EQUAL(ent[1].state, LW_QS_WAIT);
	CU_ASSERT_EQUAL(req(2, LW_LOCK_PR, LW_LKF_NOQUEUE), -EAGAIN); /* behind a waiter */
	CU_ASSERT_EQUAL(ent[2].state, LW_QS_NONE);
	rec.ng = 0;
	lw_lockq_set_ceiling(&q, LW_LOCK_EX, &ops, &rec);
	CU_ASSERT_EQUAL(rec.ng, 1);
	CU_ASSERT_EQUAL(rec.granted[0], 1);
	CU_ASSERT_EQUAL(lw_lockq_granted_join(&q), LW_LOCK_CW);
}

static void
test_conversion_deadlock(void)
{
	reset();
	CU_ASSERT_EQUAL(req(0, LW_LOCK_PR, 0), 0);
	CU_ASSERT_EQUAL(req(1, LW_LOCK_PR, 0), 0);
	CU_ASSERT_EQUAL(cvt(0, LW_LOCK_EX, 0), 0);
	CU_ASSERT_EQUAL(ent[0].state, LW_QS_CONVERT);
	CU_ASSERT_EQUAL(cvt(1, LW_LOCK_EX, 0), -EDEADLK);
	CU_ASSERT_EQUAL(ent[1].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(ent[1].grmode, LW_LOCK_PR);
	rec.ng = 0;
	CU_ASSERT_EQUAL(cvt(1, LW_LOCK_EX, LW_LKF_CONVDEADLK), 0);
	/* 1 dropped to NL: 0 gets EX, 1 waits at NL. */
	CU_ASSERT_EQUAL(rec.ng, 1);
	CU_ASSERT_EQUAL(rec.granted[0], 0);
	CU_ASSERT_EQUAL(ent[0].grmode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(ent[1].state, LW_QS_CONVERT);
	CU_ASSERT_EQUAL(ent[1].grmode, LW_LOCK_NL);
	CU_ASSERT(ent[1].sbflags & LW_SBF_DEMOTED);
	CU_ASSERT_EQUAL(cvt(1, LW_LOCK_PR, 0), -EBUSY);
	CU_ASSERT_EQUAL(lw_lockq_cancel(&q, &ent[1], &ops, &rec), LW_QS_CONVERT);
	CU_ASSERT_EQUAL(lw_lockq_cancel(&q, &ent[1], &ops, &rec), -EBUSY);
	CU_ASSERT_EQUAL(ent[1].grmode, LW_LOCK_NL);
}

static void
test_down_conversion_grants_waiters(void)
{
	reset();
	CU_ASSERT_EQUAL(req(0, LW_LOCK_EX, 0), 0);
	CU_ASSERT_EQUAL(req(1, LW_LOCK_CR, 0), 0);
	CU_ASSERT_EQUAL(req(2, LW_LOCK_CW, 0), 0);
	rec.ng = 0;
	CU_ASSERT_EQUAL(cvt(0, LW_LOCK_CR, 0), 0);
	CU_ASSERT_EQUAL(rec.ng, 3);
	CU_ASSERT_EQUAL(rec.granted[0], 0);
	CU_ASSERT_EQUAL(rec.granted[1], 1);
	CU_ASSERT_EQUAL(rec.granted[2], 2);
	CU_ASSERT_EQUAL(lw_lockq_granted_join(&q), LW_LOCK_CW);
}

static void
test_bast_not_repeated(void)
{
	reset();
	ent[1].want_bast = false;
	CU_ASSERT_EQUAL(req(0, LW_LOCK_PR, 0), 0);
	CU_ASSERT_EQUAL(req(1, LW_LOCK_PR, 0), 0);
	CU_ASSERT_EQUAL(req(2, LW_LOCK_PW, 0), 0);
	CU_ASSERT_EQUAL(rec.nb, 1);            /* 1 did not ask for notices */
	CU_ASSERT_EQUAL(rec.bast[0], 0);
	CU_ASSERT_EQUAL(rec.bmode[0], LW_LOCK_PW);
	CU_ASSERT_EQUAL(req(3, LW_LOCK_CW, 0), 0);
	CU_ASSERT_EQUAL(rec.nb, 1);            /* PW >= CW: not repeated */
	CU_ASSERT_EQUAL(req(4, LW_LOCK_EX, 0), 0);
	CU_ASSERT_EQUAL(rec.nb, 2);            /* a stronger mode is news */
	CU_ASSERT_EQUAL(rec.bmode[1], LW_LOCK_EX);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("lockq",
		  "fifo_and_compatible_followers", test_fifo_and_compatible_followers,
		  "ceiling_caps_grants", test_ceiling_caps_grants,
		  "conversion_deadlock", test_conversion_deadlock,
		  "down_conversion_grants_waiters", test_down_conversion_grants_waiters,
		  "bast_not_repeated", test_bast_not_repeated,
		  NULL);
	return lwt_run();
}
