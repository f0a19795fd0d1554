/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_site.c — the master/shadow protocol between a few sites, messages
 * carried by hand (in order per pair): remote grants, cached modes, BAST
 * and DOWNGRADE, NOQUEUE at the master, the LVB through the master,
 * conversion deadlock between sites, cancel of a request at the master
 * (its COMPLETE waits for the master's answer, also when messages cross),
 * malformed messages, eviction and REDIRECT. Introspection: test_site_info.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lockq.h"
#include "site_net.h"

static void
test_remote_grant_then_cached(void)
{
	uint64_t c1, c2, c3;
	const char *r;
	int lk;

	net_init(2);
	r = name_mastered_by(1);
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c1);
	CU_ASSERT(lk > 0);
	CU_ASSERT_PTR_NULL(completion(c1));       /* waits for the master */
	CU_ASSERT_EQUAL(N.tail - N.head, 1);      /* one REQUEST */
	settle();
	EXPECT_STATUS(c1, 0, LW_LOCK_EX);
	CU_ASSERT_EQUAL(N.delivered, 2);          /* REQUEST, GRANT */
	CU_ASSERT_EQUAL(lw_site_held(N.site[0], N.lsid[0], r, strlen(r)), LW_LOCK_EX);
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c2);
	EXPECT_STATUS(c2, LW_EUNLOCK, LW_LOCK_IV);
	/* Cached: the next lock costs no message at all. */
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c3);
	EXPECT_STATUS(c3, 0, LW_LOCK_PR);
	CU_ASSERT_EQUAL(N.tail - N.head, 0);
	settle();
	CU_ASSERT_EQUAL(N.delivered, 2);
	net_fini(2);
}

static void
test_bast_takes_cached_mode_back(void)
{
	uint64_t c1, c2, c3;
	const char *r;
	int lk;

	net_init(3);
	r = name_mastered_by(2);
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c1);
	settle();
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c2);
	/* Site 1 wants PR: the master BASTs site 0, which gives its EX back. */
	req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c3);
	settle();
	EXPECT_STATUS(c3, 0, LW_LOCK_PR);
	CU_ASSERT_EQUAL(lw_site_held(N.site[0], N.lsid[0], r, strlen(r)), LW_LOCK_IV);
	CU_ASSERT_EQUAL(lw_site_held(N.site[1], N.lsid[1], r, strlen(r)), LW_LOCK_PR);
	net_fini(3);
}

static void
test_bast_waits_for_local_holder(void)
{
	uint64_t c1, c2, c3;
	const char *r;
	int lk;

	net_init(2);
	r = name_mastered_by(1);
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c1);
	settle();
	req(1, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c2);
	settle();
	CU_ASSERT_PTR_NULL(completion(c2));
	CU_ASSERT_EQUAL(blocking_of((uint32_t)lk), 1);   /* the local holder is told */
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c3);
	settle();
	EXPECT_STATUS(c2, 0, LW_LOCK_EX);
	net_fini(2);
}

/*
 * A local lock above a BAST's target converts up within what the site
 * holds: granted at once (the site cannot give way before that lock does,
 * so waiting for the downgrade would wait forever); then down, then the
 * downgrade goes and the remote request is granted.
 */
static void
test_conversion_under_bast(void)
{
	uint64_t c1, c2, c3, c4, c5, c6;
	const char *r;
	int lk, lk0;

	net_init(2);
	r = name_mastered_by(1);
	lk0 = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c1);
	settle();
	EXPECT_STATUS(c1, 0, LW_LOCK_EX);
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk0, NULL, &c2);
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_PW, 0, 0, NULL, &c3);   /* cached EX covers it */
	EXPECT_STATUS(c3, 0, LW_LOCK_PW);
	req(1, LW_REQ_LOCK, r, LW_LOCK_CW, 0, 0, NULL, &c4);        /* BAST to site 0: CW */
	settle();
	CU_ASSERT_PTR_NULL(completion(c4));
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)lk, NULL, &c5);
	settle();
	EXPECT_STATUS(c5, 0, LW_LOCK_EX);                           /* not stuck */
	CU_ASSERT_PTR_NULL(completion(c4));
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_PW, LW_LKF_CONVERT, (uint32_t)lk, NULL, &c6);
	EXPECT_STATUS(c6, 0, LW_LOCK_PW);                           /* down: at once */
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c2);
	settle();
	EXPECT_STATUS(c4, 0, LW_LOCK_CW);
	CU_ASSERT_EQUAL(lw_site_check(N.site[0]), 0);
	CU_ASSERT_EQUAL(lw_site_check(N.site[1]), 0);
	net_fini(2);
}

static void
test_noqueue_at_master(void)
{
	uint64_t c1, c2, c3;
	const char *r;
	int lk;

	net_init(2);
	r = name_mastered_by(1);
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_PW, 0, 0, NULL, &c1);
	settle();
	req(1, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_NOQUEUE, 0, NULL, &c2);
	settle();
	EXPECT_STATUS(c2, -EAGAIN, LW_LOCK_IV);
	CU_ASSERT_EQUAL(blocking_of((uint32_t)lk), 0);
	req(1, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST, 0, NULL, &c3);
	settle();
	EXPECT_STATUS(c3, -EAGAIN, LW_LOCK_IV);
	CU_ASSERT_EQUAL(blocking_of((uint32_t)lk), 1);
	/* A compatible NOQUEUE request is granted through the master. */
	req(1, LW_REQ_LOCK, r, LW_LOCK_CR, LW_LKF_NOQUEUE, 0, NULL, &c3);
	settle();
	EXPECT_STATUS(c3, 0, LW_LOCK_CR);
	net_fini(2);
}

/*
 * A NOQUEUE request refused because another site caches a conflicting mode
 * hints that site: the cached mode goes back and a retry is granted. A site
 * whose local lock is in the way ignores the hint: no blocking callback.
 */
static void
test_noqueue_hint(void)
{
	uint64_t c1, c2, c3, c4, c5, c6;
	const char *r;
	int lk, lk2;

	net_init(3);
	r = name_mastered_by(2);
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c1);
	settle();
	EXPECT_STATUS(c1, 0, LW_LOCK_EX);
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c2);    /* site 0 caches EX */
	settle();
	req(1, LW_REQ_LOCK, r, LW_LOCK_EX, LW_LKF_NOQUEUE, 0, NULL, &c3);
	settle();
	EXPECT_STATUS(c3, -EAGAIN, LW_LOCK_IV);                        /* the cache was in the way */
	lk = req(1, LW_REQ_LOCK, r, LW_LOCK_EX, LW_LKF_NOQUEUE, 0, NULL, &c4);
	settle();
	EXPECT_STATUS(c4, 0, LW_LOCK_EX);                              /* the hint gave it back */
	req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c2);
	lk2 = req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c5);     /* a real holder now */
	settle();
	EXPECT_STATUS(c5, 0, LW_LOCK_PR);
	req(1, LW_REQ_LOCK, r, LW_LOCK_EX, LW_LKF_NOQUEUE, 0, NULL, &c6);
	settle();
	EXPECT_STATUS(c6, -EAGAIN, LW_LOCK_IV);
	CU_ASSERT_EQUAL(blocking_of((uint32_t)lk2), 0);                /* NOQUEUE: no callback */
	req(1, LW_REQ_LOCK, r, LW_LOCK_EX, LW_LKF_NOQUEUE, 0, NULL, &c6);
	settle();
	EXPECT_STATUS(c6, -EAGAIN, LW_LOCK_IV);                        /* the PR lock stays */
	req(1, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_NOQUEUE, 0, NULL, &c6);
	settle();
	EXPECT_STATUS(c6, 0, LW_LOCK_PR);
	net_fini(3);
}

static void
test_lvb_through_master(void)
{
	uint8_t v[LW_LVB_LEN];
	uint64_t c1, c2, c3;
	const struct lw_event *ev;
	const char *r;
	int lk;

	net_init(3);
	r = name_mastered_by(2);
	memset(v, 0x5a, sizeof(v));
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, LW_LKF_VALBLK, 0, NULL, &c1);
	settle();
	req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)lk, v, &c2);
	/* The value stays at site 0 until the BAST takes its EX back. */
	req(1, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c3);
	settle();
	ev = completion(c3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(ev->status, 0);
	CU_ASSERT(ev->has_lvb);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, v, LW_LVB_LEN), 0);
	CU_ASSERT_FALSE(ev->sbflags & LW_SBF_VALNOTVALID);
	net_fini(3);
}

static void
test_conversion_deadlock_between_sites(void)
{
	uint64_t c[6];
	const char *r;
	int a, b;

	net_init(3);
	r = name_mastered_by(2);
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	b = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[1]);
	settle();
	EXPECT_STATUS(c[0], 0, LW_LOCK_PR);
	EXPECT_STATUS(c[1], 0, LW_LOCK_PR);
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)a, NULL, &c[2]);
	settle();
	req(1, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)b, NULL, &c[3]);
	settle();
	EXPECT_STATUS(c[3], -EDEADLK, LW_LOCK_PR);   /* b closes the cycle: it keeps PR */
	CU_ASSERT_PTR_NULL(completion(c[2]));
	req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)b, NULL, &c[4]);
	settle();
	EXPECT_STATUS(c[2], 0, LW_LOCK_EX);
	net_fini(3);
}

/*
 * Site 0 caches PR on a resource site 2 masters, under one local CR lock
 * (*y); site 1 holds PR (*a) and asks PW behind it (*b); site 2 asks EX
 * (*z), which BASTs sites 0 and 1 down to NL once delivered. Returns the
 * resource's name. c[0..5] are the cookies used.
 */
static const char *
cached_excess(uint64_t *c, int *y, int *a, int *b, int *z)
{
	const char *r;
	int x;

	net_init(3);
	r = name_mastered_by(2);
	x = req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	settle();
	EXPECT_STATUS(c[0], 0, LW_LOCK_PR);
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)x, NULL, &c[1]);
	*y = req(0, LW_REQ_LOCK, r, LW_LOCK_CR, 0, 0, NULL, &c[2]);
	EXPECT_STATUS(c[2], 0, LW_LOCK_CR);              /* under the cached PR */
	*a = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[3]);
	settle();
	EXPECT_STATUS(c[3], 0, LW_LOCK_PR);
	*b = req(1, LW_REQ_LOCK, r, LW_LOCK_PW, 0, 0, NULL, &c[4]);   /* waits for a */
	*z = req(2, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[5]);
	return r;
}

/*
 * A site caches more than its local locks hold (PR, its one lock CR) and
 * owes a downgrade to NL that the lock keeps from happening. It gives back
 * what no local lock holds (PR down to CR) at once: the master judges the
 * site's later conversion by that lock's CR, and queues it behind another
 * site's NL -> PW that only the cached PR blocks. Waiting for the local
 * lock instead would leave both conversions queued for ever.
 */
static void
test_bast_gives_back_unused_part(void)
{
	uint64_t c[12];
	const char *r;
	int y, a, b, z;

	r = cached_excess(c, &y, &a, &b, &z);
	settle();
	CU_ASSERT_PTR_NULL(completion(c[4]));
	CU_ASSERT_PTR_NULL(completion(c[5]));
	CU_ASSERT_EQUAL(lw_site_held(N.site[0], N.lsid[0], r, strlen(r)), LW_LOCK_CR);
	/* site 1 gives way to NL and converts to PW, which CR does not block */
	req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)a, NULL, &c[6]);
	settle();
	EXPECT_STATUS(c[4], 0, LW_LOCK_PW);
	/* site 0's conversion queues behind site 1's PW, and is granted after it */
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT | LW_LKF_QUECVT, (uint32_t)y,
	    NULL, &c[7]);
	settle();
	CU_ASSERT_PTR_NULL(completion(c[7]));
	req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)b, NULL, &c[8]);
	settle();
	EXPECT_STATUS(c[7], 0, LW_LOCK_EX);
	CU_ASSERT_PTR_NULL(completion(c[5]));
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)y, NULL, &c[9]);
	settle();
	EXPECT_STATUS(c[5], 0, LW_LOCK_EX);
	req(2, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)z, NULL, &c[10]);
	settle();
	net_fini(3);
}

/*
 * The same, with the conversion asked before the other site gives way: it
 * queues behind nothing, and the cached part still goes back at once.
 */
static void
test_bast_gives_back_before_conversion(void)
{
	uint64_t c[12];
	int y, a, b, z;

	cached_excess(c, &y, &a, &b, &z);
	req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)a, NULL, &c[6]);
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT | LW_LKF_QUECVT, (uint32_t)y,
	    NULL, &c[7]);
	settle();
	/* whichever of PW and EX the master grants first, the other follows */
	if (completion(c[4]) != NULL) {
		EXPECT_STATUS(c[4], 0, LW_LOCK_PW);
		req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)b, NULL, &c[8]);
		settle();
		EXPECT_STATUS(c[7], 0, LW_LOCK_EX);
		req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)y, NULL, &c[9]);
	} else {
		EXPECT_STATUS(c[7], 0, LW_LOCK_EX);
		req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)y, NULL, &c[9]);
		settle();
		EXPECT_STATUS(c[4], 0, LW_LOCK_PW);
		req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)b, NULL, &c[8]);
	}
	settle();
	EXPECT_STATUS(c[5], 0, LW_LOCK_EX);
	req(2, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)z, NULL, &c[10]);
	settle();
	net_fini(3);
}

/*
 * A request granted its ALT mode no longer waits for the mode that BASTed
 * the holders: a holder told to go down for it owes nothing now, and its
 * site grants again what it holds.
 */
static void
test_alt_grant_relaxes_bast(void)
{
	uint64_t c[8];
	const char *r;
	int x, w, y, z;

	net_init(3);
	r = name_mastered_by(2);
	x = req(0, LW_REQ_LOCK, r, LW_LOCK_CR, 0, 0, NULL, &c[0]);
	w = req(2, LW_REQ_LOCK, r, LW_LOCK_PW, 0, 0, NULL, &c[1]);
	settle();
	EXPECT_STATUS(c[0], 0, LW_LOCK_CR);
	EXPECT_STATUS(c[1], 0, LW_LOCK_PW);
	y = req(1, LW_REQ_LOCK, r, LW_LOCK_EX, LW_LKF_ALTPR, 0, NULL, &c[2]);
	settle();
	CU_ASSERT_PTR_NULL(completion(c[2]));
	/* x (site 0) and w (site 2) hear of EX: both are the first lock of their site, one id */
	CU_ASSERT_EQUAL(blocking_of((uint32_t)x), 2);
	req(2, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)w, NULL, &c[3]);
	settle();
	EXPECT_STATUS(c[2], 0, LW_LOCK_PR);                /* the ALT mode */
	CU_ASSERT(completion(c[2])->sbflags & LW_SBF_ALTMODE);
	z = req(0, LW_REQ_LOCK, r, LW_LOCK_CR, 0, 0, NULL, &c[4]);
	EXPECT_STATUS(c[4], 0, LW_LOCK_CR);                /* at once, no message */
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)z, NULL, &c[5]);
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)x, NULL, &c[6]);
	req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)y, NULL, &c[7]);
	settle();
	net_fini(3);
}

static void
test_convdeadlk_demotes_between_sites(void)
{
	uint64_t c[6];
	const struct lw_event *ev;
	const char *r;
	int a, b;

	net_init(3);
	r = name_mastered_by(2);
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	b = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[1]);
	settle();
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)a, NULL, &c[2]);
	settle();
	req(1, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT | LW_LKF_CONVDEADLK,
	    (uint32_t)b, NULL, &c[3]);
	settle();
	/* b drops to NL, a gets EX; b then gets EX once a unlocks. */
	EXPECT_STATUS(c[2], 0, LW_LOCK_EX);
	CU_ASSERT_PTR_NULL(completion(c[3]));
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)a, NULL, &c[4]);
	settle();
	ev = completion(c[3]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(ev->status, 0);
	CU_ASSERT_EQUAL(ev->mode, LW_LOCK_EX);
	CU_ASSERT(ev->sbflags & LW_SBF_DEMOTED);
	net_fini(3);
}

static void
test_cancel_at_master(void)
{
	struct lw_site_stats st;
	uint64_t c[4];
	const char *r;
	int a, b;

	net_init(2);
	r = name_mastered_by(1);
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	settle();
	b = req(1, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[1]);
	settle();
	CU_ASSERT_EQUAL(req(1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)b, NULL, &c[2]), b);
	EXPECT_STATUS(c[1], LW_ECANCEL, LW_LOCK_IV);
	settle();
	lw_site_get_stats(N.site[1], &st);
	CU_ASSERT_EQUAL(st.tx[LW_MSG_CANCEL], 1);
	CU_ASSERT_EQUAL(st.rx[LW_MSG_DENY], 1);     /* site 1 masters r: CANCEL and DENY to itself */
	/* The master took its BAST back: site 0 keeps EX cached after the unlock. */
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)a, NULL, &c[3]);
	settle();
	CU_ASSERT_EQUAL(lw_site_held(N.site[0], N.lsid[0], r, strlen(r)), LW_LOCK_EX);
	net_fini(2);
}

enum { END_CANCEL, END_TIMEOUT, END_FORCEUNLOCK };

/*
 * a (site 0) and b (site 1) hold PR on r, mastered by site 2. b converts
 * to EX and its REQUEST queues at the master; then b's conversion ends
 * (cancel, timeout, force-unlock) and its client, once it has the COMPLETE,
 * lets go of the lock. Only then does a convert to EX, but a's REQUEST
 * overtakes b's CANCEL if that is still on its way: the master must not see
 * a deadlock the clients never had. The COMPLETE waits for the master's
 * answer, so no CANCEL is left on the way when a asks.
 */
static void
race_end_then_convert(int how)
{
	uint32_t fl = how == END_TIMEOUT ? LW_LKF_TIMEOUT : 0;
	uint64_t c[8];
	const char *r;
	int a, b;

	net_init(3);
	r = name_mastered_by(2);
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	b = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[1]);
	settle();
	EXPECT_STATUS(c[1], 0, LW_LOCK_PR);
	{
		struct lw_req q = { .op = LW_REQ_LOCK, .mode = LW_LOCK_EX, .lsid = N.lsid[1],
				    .session = N.sess[1], .flags = LW_LKF_CONVERT | fl,
				    .lkid = (uint32_t)b, .want_bast = 1, .cookie = ++N.cookie,
				    .timeout_us = 5 };

		N.now += 1000;
		lw_site_submit(N.site[1], &q, 1, N.now, &N.out[1]);
		collect(1);
		CU_ASSERT_EQUAL_FATAL(q.rc, 0);
		c[2] = q.cookie;
	}
	settle();		/* b's conversion waits at the master */
	CU_ASSERT_PTR_NULL(completion(c[2]));
	if (how == END_CANCEL) {
		CU_ASSERT_EQUAL(req(1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)b,
				    NULL, &c[3]), b);
	} else if (how == END_TIMEOUT) {
		N.now += 1000000;
		lw_site_tick(N.site[1], N.now, &N.out[1]);
		collect(1);
	} else {
		CU_ASSERT_EQUAL(req(1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_FORCEUNLOCK, (uint32_t)b,
				    NULL, &c[3]), b);
	}
	/* The client waits for its COMPLETE, which waits for the master. */
	if (completion(c[2]) == NULL) {
		/* meanwhile the lock is still busy for its client */
		if (how != END_FORCEUNLOCK)
			CU_ASSERT_EQUAL(req(1, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT,
					    (uint32_t)b, NULL, NULL), -EBUSY);
		settle();
	}
	EXPECT_STATUS(c[2], how == END_TIMEOUT ? -ETIMEDOUT : LW_ECANCEL, LW_LOCK_PR);
	if (how == END_FORCEUNLOCK)
		EXPECT_STATUS(c[3], LW_EUNLOCK, LW_LOCK_IV);
	else
		req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)b, NULL, &c[4]);
	CU_ASSERT_EQUAL(lw_site_held(N.site[1], N.lsid[1], r, strlen(r)), LW_LOCK_PR);
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)a, NULL, &c[5]);
	deliver_from(0);	/* a's REQUEST before anything b still sends */
	settle();
	/* b's cached PR went back on the BAST; a converted, no deadlock */
	EXPECT_STATUS(c[5], 0, LW_LOCK_EX);
	CU_ASSERT_EQUAL(lw_site_held(N.site[1], N.lsid[1], r, strlen(r)), LW_LOCK_IV);
	net_fini(3);
}

static void
test_cancel_then_convert_elsewhere(void)
{
	race_end_then_convert(END_CANCEL);
}

static void
test_timeout_then_convert_elsewhere(void)
{
	race_end_then_convert(END_TIMEOUT);
}

static void
test_forceunlock_then_convert_elsewhere(void)
{
	race_end_then_convert(END_FORCEUNLOCK);
}

/*
 * The master grants b's conversion while b's CANCEL is on its way: b's
 * cancel completes with the GRANT (the lock keeps PR, the site holds EX
 * cached), and the late CANCEL changes nothing.
 */
static void
test_grant_crosses_cancel(void)
{
	struct lw_site_stats st;
	uint64_t c[6];
	const char *r;
	int a, b;

	net_init(3);
	r = name_mastered_by(2);
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	b = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[1]);
	settle();
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)a, NULL, &c[2]);	/* a keeps PR cached */
	req(1, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)b, NULL, &c[3]);
	deliver_from(1);	/* b's REQUEST: the master BASTs a */
	CU_ASSERT_EQUAL(req(1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)b, NULL, &c[4]),
			b);
	CU_ASSERT_PTR_NULL(completion(c[3]));
	deliver_from(2);	/* the BAST */
	deliver_from(0);	/* a's DOWNGRADE: the master grants b EX */
	CU_ASSERT_PTR_NULL(completion(c[3]));	/* the GRANT is on its way */
	CU_ASSERT_EQUAL(req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)b, NULL, NULL), -EBUSY);
	settle();
	EXPECT_STATUS(c[3], LW_ECANCEL, LW_LOCK_PR);
	CU_ASSERT_EQUAL(lw_site_held(N.site[1], N.lsid[1], r, strlen(r)), LW_LOCK_EX);
	lw_site_get_stats(N.site[1], &st);
	CU_ASSERT_EQUAL(st.rx[LW_MSG_DENY], 0);
	/* the mode the GRANT brought serves the next conversion with no message */
	req(1, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)b, NULL, &c[5]);
	EXPECT_STATUS(c[5], 0, LW_LOCK_EX);
	net_fini(3);
}

/* b's session closes while its cancel waits for the master: no event for it later. */
static void
test_session_closes_while_cancelling(void)
{
	uint64_t c[4];
	const char *r;
	int a, b;
	unsigned int nev;

	net_init(3);
	r = name_mastered_by(2);
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	b = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[1]);
	settle();
	req(1, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)b, NULL, &c[2]);
	settle();
	req(1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)b, NULL, &c[3]);
	CU_ASSERT_PTR_NULL(completion(c[2]));
	CU_ASSERT_EQUAL(lw_site_session_close(N.site[1], N.sess[1], N.now, &N.out[1]), 0);
	collect(1);
	nev = N.nev;
	settle();
	for (unsigned int k = nev; k < N.nev; k++)
		CU_ASSERT_NOT_EQUAL(N.ev[k].session, N.sess[1]);
	CU_ASSERT_PTR_NULL(completion(c[2]));
	CU_ASSERT_EQUAL(lw_engine_check(lw_site_engine(N.site[1])), 0);
	(void)a;
	net_fini(3);
}

static void
test_bad_messages_dropped(void)
{
	struct lw_site_stats st;
	struct lw_msg m;

	net_init(2);
	memset(&m, 0, sizeof(m));
	m.h.version = LW_PROTO_VERSION;
	m.h.type = LW_MSG_REQUEST;
	m.h.len = sizeof(m);
	m.h.src = lw_site_self(N.site[1]);
	m.h.dst = lw_site_self(N.site[0]);
	m.gid = lw_ls_gid("ls", 2);
	m.namelen = 1;
	m.name[0] = 'x';
	m.mode = 9;                                  /* bad mode */
	lw_site_receive(N.site[0], &m, 1, N.now, &N.out[0]);
	m.mode = LW_LOCK_EX;
	m.h.version = 7;                             /* bad version */
	lw_site_receive(N.site[0], &m, 1, N.now, &N.out[0]);
	m.h.version = LW_PROTO_VERSION;
	m.h.src = lw_site_id(9, 0);                  /* unknown site */
	lw_site_receive(N.site[0], &m, 1, N.now, &N.out[0]);
	m.h.src = lw_site_self(N.site[1]);
	m.namelen = 65;                              /* bad length */
	lw_site_receive(N.site[0], &m, 1, N.now, &N.out[0]);
	lw_site_get_stats(N.site[0], &st);
	CU_ASSERT_EQUAL(st.drops_bad, 4);
	CU_ASSERT_EQUAL(N.out[0].msg.n, 0);
	net_fini(2);
}

/* A full shadow table evicts a cached mode, giving it back to its master first. */
static void
test_eviction_gives_back(void)
{
	struct lw_site_stats st;
	char names[3][16];
	uint64_t c;
	int lk;

	net_max_res = 2;
	net_init(2);
	for (int i = 0, k = 0; i < 3; k++) {
		uint16_t ids[2] = { lw_site_self(N.site[0]), lw_site_self(N.site[1]) };
		struct lw_map map;

		lw_map_static(&map, 1, ids, 2);
		snprintf(names[i], sizeof(names[i]), "ev%d", k);
		if (map.bucket[lw_bucket_of(lw_res_hash(lw_ls_gid("ls", 2), names[i],
							strlen(names[i])))] == ids[1])
			i++;
	}
	for (int i = 0; i < 3; i++) {
		lk = req(0, LW_REQ_LOCK, names[i], LW_LOCK_EX, 0, 0, NULL, &c);
		settle();
		EXPECT_STATUS(c, 0, LW_LOCK_EX);
		req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c);
		settle();
	}
	/* The first name's EX went back to its master when its slot was needed. */
	CU_ASSERT_EQUAL(lw_site_held(N.site[0], N.lsid[0], names[0], strlen(names[0])), LW_LOCK_IV);
	lw_site_get_stats(N.site[0], &st);
	CU_ASSERT_EQUAL(st.engine.res_reclaimed, 1);
	CU_ASSERT_EQUAL(st.tx[LW_MSG_DOWNGRADE], 1);
	/* Site 1 can now have it with no BAST to site 0. */
	lk = req(1, LW_REQ_LOCK, names[0], LW_LOCK_EX, LW_LKF_NOQUEUE, 0, NULL, &c);
	settle();
	EXPECT_STATUS(c, 0, LW_LOCK_EX);
	net_fini(2);
	net_max_res = 256;
}

/* A REQUEST to a site that is not the bucket's master gets a REDIRECT. */
static void
test_redirect_wrong_master(void)
{
	struct lw_site_stats st;
	const char *r;
	struct lw_msg m;

	net_init(2);
	r = name_mastered_by(1);
	memset(&m, 0, sizeof(m));
	m.h.version = LW_PROTO_VERSION;
	m.h.type = LW_MSG_REQUEST;
	m.h.len = sizeof(m);
	m.h.src = lw_site_self(N.site[1]);
	m.h.dst = lw_site_self(N.site[0]);
	m.h.epoch = 1;
	m.h.lamport = 1000;
	m.gid = lw_ls_gid("ls", 2);
	m.namelen = (uint8_t)strlen(r);
	memcpy(m.name, r, m.namelen);
	m.mode = LW_LOCK_EX;
	m.mode2 = LW_LOCK_IV;
	m.dlmode = LW_LOCK_NL;
	lw_site_receive(N.site[0], &m, 1, N.now, &N.out[0]);
	CU_ASSERT_EQUAL_FATAL(N.out[0].msg.n, 1);
	CU_ASSERT_EQUAL(N.out[0].msg.m[0].h.type, LW_MSG_REDIRECT);
	CU_ASSERT_EQUAL(N.out[0].msg.m[0].site2, lw_site_self(N.site[1]));
	/* Lamport: the reply is stamped after the time it received. */
	CU_ASSERT(N.out[0].msg.m[0].h.lamport > 1000);
	lw_site_get_stats(N.site[0], &st);
	CU_ASSERT_EQUAL(st.lamport_high, 1000);
	CU_ASSERT(st.lamport > 1000);
	CU_ASSERT_EQUAL(st.master_resources, 0);
	N.out[0].msg.n = 0;
	net_fini(2);
}

/* Swap the REQUEST in flight for a REDIRECT from its addressee naming `to`. */
static void
forge_redirect(uint16_t to)
{
	struct lw_msg *m = &N.q[N.head % QCAP];
	uint16_t addressee = m->h.dst;

	CU_ASSERT_EQUAL_FATAL(N.tail - N.head, 1);
	CU_ASSERT_EQUAL_FATAL(m->h.type, LW_MSG_REQUEST);
	m->h.type = LW_MSG_REDIRECT;
	m->site2 = to;
	m->h.dst = m->h.src;
	m->h.src = addressee;
}

/* A REDIRECT sends the request where it names; a bad one ends it with -EAGAIN. */
static void
test_redirect_followed(void)
{
	struct lw_site_stats st;
	const char *r;
	uint64_t c;

	net_init(3);
	r = name_mastered_by(1);
	req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c);
	forge_redirect(lw_site_self(N.site[2]));   /* wrong: site 2 redirects back to 1 */
	settle();
	EXPECT_STATUS(c, 0, LW_LOCK_EX);
	lw_site_get_stats(N.site[0], &st);
	CU_ASSERT_EQUAL(st.rx[LW_MSG_REDIRECT], 2);
	CU_ASSERT_EQUAL(st.tx[LW_MSG_REQUEST], 3);
	CU_ASSERT_EQUAL(lw_site_held(N.site[0], N.lsid[0], r, strlen(r)), LW_LOCK_EX);
	/* A REDIRECT naming a site outside the map cannot be followed. */
	r = name_mastered_by(2);
	req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c);
	forge_redirect(lw_site_id(9, 0));
	settle();
	EXPECT_STATUS(c, -EAGAIN, LW_LOCK_IV);
	net_fini(3);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("site",
		  "remote_grant_then_cached", test_remote_grant_then_cached,
		  "bast_takes_cached_mode_back", test_bast_takes_cached_mode_back,
		  "bast_waits_for_local_holder", test_bast_waits_for_local_holder,
		  "conversion_under_bast", test_conversion_under_bast,
		  "noqueue_hint", test_noqueue_hint,
		  "noqueue_at_master", test_noqueue_at_master,
		  "lvb_through_master", test_lvb_through_master,
		  "conversion_deadlock_between_sites", test_conversion_deadlock_between_sites,
		  "convdeadlk_demotes_between_sites", test_convdeadlk_demotes_between_sites,
		  "bast_gives_back_unused_part", test_bast_gives_back_unused_part,
		  "bast_gives_back_before_conversion", test_bast_gives_back_before_conversion,
		  "alt_grant_relaxes_bast", test_alt_grant_relaxes_bast,
		  "cancel_at_master", test_cancel_at_master,
		  "cancel_then_convert_elsewhere", test_cancel_then_convert_elsewhere,
		  "timeout_then_convert_elsewhere", test_timeout_then_convert_elsewhere,
		  "forceunlock_then_convert_elsewhere", test_forceunlock_then_convert_elsewhere,
		  "grant_crosses_cancel", test_grant_crosses_cancel,
		  "session_closes_while_cancelling", test_session_closes_while_cancelling,
		  "bad_messages_dropped", test_bad_messages_dropped,
		  "eviction_gives_back", test_eviction_gives_back,
		  "redirect_wrong_master", test_redirect_wrong_master,
		  "redirect_followed", test_redirect_followed,
		  NULL);
	return lwt_run();
}
