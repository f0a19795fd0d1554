/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_engine_modes.c — the compatibility matrix through the engine
 * (docs/engine.md "Modes", "Queues"): for every (held, requested) pair a
 * second session's request is granted at once iff compatible, fails with
 * -EAGAIN under NOQUEUE, or waits and is granted when the holder goes;
 * conversions between every pair of modes.
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

/* Expected compatibility, written from docs/engine.md. */
static const uint8_t compat[6][6] = {
	/*        NL CR CW PR PW EX */
	[NL] = { 1, 1, 1, 1, 1, 1 },
	[CR] = { 1, 1, 1, 1, 1, 0 },
	[CW] = { 1, 1, 1, 0, 0, 0 },
	[PR] = { 1, 1, 0, 1, 0, 0 },
	[PW] = { 1, 1, 0, 0, 0, 0 },
	[EX] = { 1, 0, 0, 0, 0, 0 },
};

/* Expected "covers" (a at least as strong as b). */
static bool
covers(int a, int b)
{
	static const int rank[6] = { 0, 1, 2, 2, 3, 4 };

	if (a == b)
		return true;
	if ((a == CW && b == PR) || (a == PR && b == CW))
		return false;
	return rank[a] > rank[b];
}

static void
resname(char *buf, size_t len, const char *tag, int a, int b)
{
	snprintf(buf, len, "%s-%s-%s", tag, lw_mode_name(a), lw_mode_name(b));
}

/* s takes a new lock in mode m on name, granted at once; returns its lkid. */
static uint32_t
grant_new(struct lwt_env *t, uint32_t s, const char *name, int m, uint64_t ck)
{
	uint32_t lk = 0;

	lwt_clear(t);
	LWT_CHECK(lwt_lock(t, s, name, m, 0, &lk, ck) == 0, "lock %s %s", name, lw_mode_name(m));
	LWT_CHECK(lk != 0, "lkid of %s is 0", name);
	EXPECT_NEV(t, 1);
	EXPECT_DONE_LK(t, ck, 0, m, 0, lk);
	EXPECT_GRANTED(t, lk, m);
	lwt_clear(t);
	return lk;
}

static void
unlock_ok(struct lwt_env *t, uint32_t s, uint32_t lk, uint64_t ck)
{
	LWT_CHECK(lwt_unlock(t, s, lk, 0, ck) == 0, "unlock %#x", lk);
	EXPECT_DONE_LK(t, ck, LW_EUNLOCK, IV, 0, lk);
}

/* NOQUEUE: granted iff compatible, else COMPLETE -EAGAIN and the lock is gone. */
static void
noqueue_pair(struct lwt_env *t, int h, int r)
{
	char name[32];
	uint32_t lk1, lk2 = 0;

	resname(name, sizeof(name), "nq", h, r);
	lk1 = grant_new(t, t->s1, name, h, 1);
	LWT_CHECK(lwt_lock(t, t->s2, name, r, LW_LKF_NOQUEUE, &lk2, 2) == 0,
		  "NOQUEUE %s over %s: rc", lw_mode_name(r), lw_mode_name(h));
	EXPECT_NEV(t, 1);
	EXPECT_BAST(t, lk1, -1, 0);
	if (compat[h][r]) {
		EXPECT_DONE_LK(t, 2, 0, r, 0, lk2);
		EXPECT_GRANTED(t, lk2, r);
		lwt_clear(t);
		unlock_ok(t, t->s2, lk2, 3);
	} else {
		EXPECT_DONE_LK(t, 2, -EAGAIN, IV, 0, lk2);
		EXPECT_GONE(t, lk2);
	}
	EXPECT_GRANTED(t, lk1, h);
	lwt_clear(t);
	unlock_ok(t, t->s1, lk1, 4);
	EXPECT_SANE(t);
}

static void
test_noqueue_matrix(void)
{
	struct lwt_env t;

	lwt_env_init(&t, 64, 64);
	for (int h = NL; h <= EX; h++)
		for (int r = NL; r <= EX; r++)
			noqueue_pair(&t, h, r);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 0);
	lwt_env_fini(&t);
}

/* Without NOQUEUE: an incompatible request waits, the holder gets one
 * BLOCKING for it, and the unlock grants it. */
static void
queue_pair(struct lwt_env *t, int h, int r)
{
	char name[32];
	uint32_t lk1, lk2 = 0;

	resname(name, sizeof(name), "q", h, r);
	lk1 = grant_new(t, t->s1, name, h, 1);
	LWT_CHECK(lwt_lock(t, t->s2, name, r, 0, &lk2, 2) == 0, "lock rc");
	if (compat[h][r]) {
		EXPECT_NEV(t, 1);
		EXPECT_DONE_LK(t, 2, 0, r, 0, lk2);
		lwt_clear(t);
		unlock_ok(t, t->s2, lk2, 3);
		lwt_clear(t);
		unlock_ok(t, t->s1, lk1, 4);
		return;
	}
	EXPECT_NEV(t, 1);
	EXPECT_NO_DONE(t, 2);
	EXPECT_BAST(t, lk1, r, 1);
	EXPECT_WAITING(t, lk2, r);
	EXPECT_GRANTED(t, lk1, h);
	lwt_clear(t);
	unlock_ok(t, t->s1, lk1, 4);
	EXPECT_NEV(t, 2);
	EXPECT_DONE_LK(t, 2, 0, r, 0, lk2);
	EXPECT_GRANTED(t, lk2, r);
	lwt_clear(t);
	unlock_ok(t, t->s2, lk2, 3);
	EXPECT_SANE(t);
}

static void
test_queue_matrix(void)
{
	struct lwt_env t;

	lwt_env_init(&t, 64, 64);
	for (int h = NL; h <= EX; h++)
		for (int r = NL; r <= EX; r++)
			queue_pair(&t, h, r);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 0);
	lwt_env_fini(&t);
}

/* The BLOCKING event names the holder's lock, session and latest cookie. */
static void
test_blocking_event_fields(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	lk1 = grant_new(&t, t.s1, "R", PW, 11);
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "R", PR, 0, &lk2, 12), 0);
	EXPECT_NEV(&t, 1);
	if (t.out.n == 1) {
		const struct lw_event *ev = &t.out.ev[0];

		CU_ASSERT_EQUAL(ev->type, LW_EV_BLOCKING);
		CU_ASSERT_EQUAL(ev->lkid, lk1);
		CU_ASSERT_EQUAL(ev->session, t.s1);
		CU_ASSERT_EQUAL(ev->mode, PR);
		CU_ASSERT_EQUAL(ev->cookie, 11);
	}
	lwt_clear(&t);
	CU_ASSERT_EQUAL(lwt_unlock(&t, t.s1, lk1, 0, 13), 0);
	EXPECT_NEV(&t, 2);
	const struct lw_event *ev = EXPECT_DONE(&t, 12, 0, PR, 0);
	if (ev != NULL)
		CU_ASSERT_EQUAL(ev->session, t.s2);
	ev = EXPECT_DONE(&t, 13, LW_EUNLOCK, IV, 0);
	if (ev != NULL)
		CU_ASSERT_EQUAL(ev->session, t.s1);
	lwt_env_fini(&t);
}

/* A lone lock converts from every mode to every mode at once. */
static void
test_convert_alone(void)
{
	struct lwt_env t;
	char name[32];
	uint64_t ck = 100;

	lwt_env_init(&t, 64, 64);
	for (int a = NL; a <= EX; a++)
		for (int b = NL; b <= EX; b++) {
			resname(name, sizeof(name), "cv", a, b);
			uint32_t lk = grant_new(&t, t.s1, name, a, ck++);

			LWT_CHECK(lwt_convert(&t, t.s1, lk, b, 0, ck) == 0, "convert %s->%s",
				  lw_mode_name(a), lw_mode_name(b));
			EXPECT_NEV(&t, 1);
			EXPECT_DONE_LK(&t, ck, 0, b, 0, lk);
			EXPECT_GRANTED(&t, lk, b);
			ck++;
			lwt_clear(&t);
			unlock_ok(&t, t.s1, lk, ck++);
			lwt_clear(&t);
		}
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 0);
	lwt_env_fini(&t);
}

/* One lock walks the whole lattice up and down, keeping its lkid. */
static void
test_convert_chain(void)
{
	static const int path[] = { CR, CW, PW, EX, PR, CR, NL, PR, EX, NL, EX, CW, NL };
	struct lwt_env t;
	uint32_t lk;

	lwt_env_init(&t, 16, 16);
	lk = grant_new(&t, t.s1, "chain", NL, 1);
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		LWT_CHECK(lwt_convert(&t, t.s1, lk, path[i], 0, 10 + i) == 0, "step %zu", i);
		EXPECT_NEV(&t, 1);
		EXPECT_DONE_LK(&t, 10 + i, 0, path[i], 0, lk);
		EXPECT_GRANTED(&t, lk, path[i]);
		lwt_clear(&t);
	}
	unlock_ok(&t, t.s1, lk, 99);
	lwt_env_fini(&t);
}

/*
 * s2 holds h; s1 holds NL and converts to r with NOQUEUE: granted iff
 * compatible, else COMPLETE -EAGAIN keeping NL.
 */
static void
convert_noqueue_pair(struct lwt_env *t, int h, int r)
{
	char name[32];
	uint32_t lk1, lk2;

	resname(name, sizeof(name), "cnq", h, r);
	lk2 = grant_new(t, t->s2, name, h, 1);
	lk1 = grant_new(t, t->s1, name, NL, 2);
	LWT_CHECK(lwt_convert(t, t->s1, lk1, r, LW_LKF_NOQUEUE, 3) == 0, "convert rc");
	EXPECT_NEV(t, 1);
	if (compat[h][r]) {
		EXPECT_DONE_LK(t, 3, 0, r, 0, lk1);
		EXPECT_GRANTED(t, lk1, r);
	} else {
		EXPECT_DONE_LK(t, 3, -EAGAIN, NL, 0, lk1);
		EXPECT_GRANTED(t, lk1, NL);
	}
	EXPECT_GRANTED(t, lk2, h);
	lwt_clear(t);
	unlock_ok(t, t->s1, lk1, 4);
	lwt_clear(t);
	unlock_ok(t, t->s2, lk2, 5);
	lwt_clear(t);
}

static void
test_convert_noqueue_matrix(void)
{
	struct lwt_env t;

	lwt_env_init(&t, 64, 64);
	for (int h = NL; h <= EX; h++)
		for (int r = NL; r <= EX; r++)
			convert_noqueue_pair(&t, h, r);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 0);
	lwt_env_fini(&t);
}

/* Same without NOQUEUE: an incompatible conversion waits, keeping NL,
 * and is granted when the holder unlocks. */
static void
convert_queue_pair(struct lwt_env *t, int h, int r)
{
	char name[32];
	uint32_t lk1, lk2;

	resname(name, sizeof(name), "cq", h, r);
	lk2 = grant_new(t, t->s2, name, h, 1);
	lk1 = grant_new(t, t->s1, name, NL, 2);
	LWT_CHECK(lwt_convert(t, t->s1, lk1, r, 0, 3) == 0, "convert rc");
	if (compat[h][r]) {
		EXPECT_NEV(t, 1);
		EXPECT_DONE_LK(t, 3, 0, r, 0, lk1);
	} else {
		EXPECT_NEV(t, 1);
		EXPECT_BAST(t, lk2, r, 1);
		EXPECT_CONVERTING(t, lk1, NL, r);
		lwt_clear(t);
		unlock_ok(t, t->s2, lk2, 5);
		EXPECT_NEV(t, 2);
		EXPECT_DONE_LK(t, 3, 0, r, 0, lk1);
	}
	EXPECT_GRANTED(t, lk1, r);
	lwt_clear(t);
	unlock_ok(t, t->s1, lk1, 4);
	if (compat[h][r]) {
		lwt_clear(t);
		unlock_ok(t, t->s2, lk2, 5);
	}
	lwt_clear(t);
	EXPECT_SANE(t);
}

static void
test_convert_queue_matrix(void)
{
	struct lwt_env t;

	lwt_env_init(&t, 64, 64);
	for (int h = NL; h <= EX; h++)
		for (int r = NL; r <= EX; r++)
			convert_queue_pair(&t, h, r);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 0);
	lwt_env_fini(&t);
}

/*
 * s1 holds a, s2 waits for w (incompatible with a); s1 converts down to b:
 * granted at once, and s2 is granted iff w is compatible with b.
 */
static void
downconvert_case(struct lwt_env *t, int a, int b, int w)
{
	char name[40];
	uint32_t lk1, lk2;

	snprintf(name, sizeof(name), "dc-%s-%s-%s", lw_mode_name(a), lw_mode_name(b),
		 lw_mode_name(w));
	lk1 = grant_new(t, t->s1, name, a, 1);
	CU_ASSERT_EQUAL(lwt_lock(t, t->s2, name, w, 0, &lk2, 2), 0);
	EXPECT_WAITING(t, lk2, w);
	lwt_clear(t);
	CU_ASSERT_EQUAL(lwt_convert(t, t->s1, lk1, b, 0, 3), 0);
	EXPECT_DONE_LK(t, 3, 0, b, 0, lk1);
	EXPECT_GRANTED(t, lk1, b);
	if (compat[b][w]) {
		EXPECT_NEV(t, 2);
		EXPECT_DONE_LK(t, 2, 0, w, 0, lk2);
		EXPECT_GRANTED(t, lk2, w);
	} else {
		/* the grant reset highbast and w still waits: a fresh notice */
		EXPECT_NEV(t, 2);
		EXPECT_NO_DONE(t, 2);
		EXPECT_BAST(t, lk1, w, 1);
		EXPECT_WAITING(t, lk2, w);
	}
	lwt_clear(t);
	unlock_ok(t, t->s1, lk1, 4);
	lwt_clear(t);
	if (!compat[b][w])
		EXPECT_GRANTED(t, lk2, w);
	CU_ASSERT_EQUAL(lwt_unlock(t, t->s2, lk2, 0, 5), 0);
	lwt_clear(t);
	EXPECT_SANE(t);
}

static void
test_downconvert_grants(void)
{
	struct lwt_env t;

	lwt_env_init(&t, 256, 64);
	for (int a = CR; a <= EX; a++)
		for (int b = NL; b <= EX; b++) {
			if (b == a || !covers(a, b))
				continue;
			for (int w = NL; w <= EX; w++)
				if (!compat[a][w])
					downconvert_case(&t, a, b, w);
		}
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 0);
	lwt_env_fini(&t);
}

/* Every granted mode coexists: NL, CR, CW together; NL, CR, PR, PR together. */
static void
test_group_modes(void)
{
	struct lwt_env t;
	uint32_t lk[4];

	lwt_env_init(&t, 16, 16);
	lk[0] = grant_new(&t, t.s1, "G", NL, 1);
	lk[1] = grant_new(&t, t.s2, "G", CR, 2);
	lk[2] = grant_new(&t, t.s3, "G", CW, 3);
	lk[3] = grant_new(&t, t.s1, "G", CW, 4);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 4);
	/* PR now waits behind the CWs; an unlock of one CW is not enough */
	uint32_t lpr;
	CU_ASSERT_EQUAL(lwt_lock(&t, t.s2, "G", PR, 0, &lpr, 5), 0);
	EXPECT_WAITING(&t, lpr, PR);
	EXPECT_BAST(&t, lk[2], PR, 1);
	EXPECT_BAST(&t, lk[3], PR, 1);
	EXPECT_BAST(&t, lk[0], -1, 0);
	EXPECT_BAST(&t, lk[1], -1, 0);
	lwt_clear(&t);
	unlock_ok(&t, t.s3, lk[2], 6);
	EXPECT_NEV(&t, 1);
	EXPECT_WAITING(&t, lpr, PR);
	lwt_clear(&t);
	unlock_ok(&t, t.s1, lk[3], 7);
	EXPECT_NEV(&t, 2);
	EXPECT_DONE_LK(&t, 5, 0, PR, 0, lpr);
	lwt_clear(&t);
	unlock_ok(&t, t.s1, lk[0], 8);
	unlock_ok(&t, t.s2, lk[1], 9);
	unlock_ok(&t, t.s2, lpr, 10);
	CU_ASSERT_EQUAL(lwt_stats(&t).locks, 0);
	lwt_env_fini(&t);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("engine_modes",
		  "noqueue_matrix", test_noqueue_matrix,
		  "queue_matrix", test_queue_matrix,
		  "blocking_event_fields", test_blocking_event_fields,
		  "convert_alone", test_convert_alone,
		  "convert_chain", test_convert_chain,
		  "convert_noqueue_matrix", test_convert_noqueue_matrix,
		  "convert_queue_matrix", test_convert_queue_matrix,
		  "downconvert_grants", test_downconvert_grants,
		  "group_modes", test_group_modes,
		  NULL);
	return lwt_run();
}
