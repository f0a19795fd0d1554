/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_engine_lvb.c — lock value blocks (docs/engine.md "Lock value
 * blocks"): a PW/EX holder going down or away with VALBLK writes the LVB,
 * every other grant with VALBLK reads it, IVVALBLK invalidates it until the
 * next write, other VALBLK/IVVALBLK uses are ignored, and idle resources
 * keep their LVB until evicted.
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

static const uint8_t zero[LW_LVB_LEN];

static void
pattern(uint8_t *b, uint8_t seed)
{
	for (int i = 0; i < LW_LVB_LEN; i++)
		b[i] = (uint8_t)(seed + 7 * i);
}

/* --- requests with an lvb (the lwt helpers leave it zero) ---------------- */

static int
submit(struct lwt_env *t, struct lw_req *r)
{
	lw_engine_submit(t->e, r, 1, t->now, &t->out);
	return r->rc;
}

static void
req_init(struct lwt_env *t, struct lw_req *r, uint8_t op, uint32_t s, uint32_t fl,
	 const uint8_t *lvb, uint64_t ck)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->lsid = t->ls;
	r->session = s;
	r->flags = fl;
	r->want_bast = 1;
	r->cookie = ck;
	if (lvb != NULL)
		memcpy(r->lvb, lvb, LW_LVB_LEN);
}

static int
lvb_lock(struct lwt_env *t, uint32_t s, const char *name, int m, uint32_t fl,
	 uint64_t ck, uint32_t *lk)
{
	struct lw_req r;

	req_init(t, &r, LW_REQ_LOCK, s, fl, NULL, ck);
	r.mode = (int8_t)m;
	r.namelen = (uint8_t)strlen(name);
	memcpy(r.name, name, r.namelen);
	*lk = submit(t, &r) == 0 ? r.lkid : 0;
	return r.rc;
}

static int
lvb_convert(struct lwt_env *t, uint32_t s, uint32_t lk, int m, uint32_t fl,
	    const uint8_t *lvb, uint64_t ck)
{
	struct lw_req r;

	req_init(t, &r, LW_REQ_LOCK, s, fl | LW_LKF_CONVERT, lvb, ck);
	r.mode = (int8_t)m;
	r.lkid = lk;
	return submit(t, &r);
}

static int
lvb_unlock(struct lwt_env *t, uint32_t s, uint32_t lk, uint32_t fl, const uint8_t *lvb,
	   uint64_t ck)
{
	struct lw_req r;

	req_init(t, &r, LW_REQ_UNLOCK, s, fl, lvb, ck);
	r.lkid = lk;
	return submit(t, &r);
}

/* --- checks -------------------------------------------------------------- */

/* The resource's LVB is want (NULL: don't look) and valid is as given. */
static void
res_lvb_at(struct lwt_env *t, const char *name, const uint8_t *want, bool valid, int line)
{
	uint8_t lvb[LW_LVB_LEN];
	bool v = !valid;
	int rc = lwt_res_lvb(t, t->ls, name, lvb, &v);

	if (!lwt_check_at(rc == 0, line, __FILE__, "res_lvb(%s) rc %d", name, rc))
		return;
	lwt_check_at(v == valid, line, __FILE__, "res_lvb(%s) valid %d, want %d", name, v, valid);
	if (want != NULL)
		lwt_check_at(memcmp(lvb, want, LW_LVB_LEN) == 0, line, __FILE__,
			     "res_lvb(%s) contents differ (first byte %#x, want %#x)",
			     name, lvb[0], want[0]);
}

#define EXPECT_RES_LVB(t, name, want, valid) res_lvb_at((t), (name), (want), (valid), __LINE__)

/* The COMPLETE for ck carries the LVB want (NULL: no LVB at all). */
static void
done_lvb_at(struct lwt_env *t, uint64_t ck, const uint8_t *want, unsigned int sbf, int line)
{
	const struct lw_event *ev = lwt_find_complete(t, ck);

	if (!lwt_check_at(ev != NULL, line, __FILE__, "no COMPLETE for cookie %llu",
			  (unsigned long long)ck))
		return;
	lwt_check_at(ev->status == 0, line, __FILE__, "cookie %llu: status %d",
		     (unsigned long long)ck, ev->status);
	lwt_check_at(ev->sbflags == sbf, line, __FILE__, "cookie %llu: sbflags %#x, want %#x",
		     (unsigned long long)ck, ev->sbflags, sbf);
	if (want == NULL) {
		lwt_check_at(!ev->has_lvb, line, __FILE__, "cookie %llu: has_lvb set",
			     (unsigned long long)ck);
		return;
	}
	if (lwt_check_at(ev->has_lvb, line, __FILE__, "cookie %llu: no lvb",
			 (unsigned long long)ck) && !(sbf & LW_SBF_VALNOTVALID))
		lwt_check_at(memcmp(ev->lvb, want, LW_LVB_LEN) == 0, line, __FILE__,
			     "cookie %llu: lvb differs (first byte %#x, want %#x)",
			     (unsigned long long)ck, ev->lvb[0], want[0]);
}

#define EXPECT_DONE_LVB(t, ck, want, sbf) done_lvb_at((t), (ck), (want), (sbf), __LINE__)

/* --- tests --------------------------------------------------------------- */

static void
test_fresh_zero(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;
	uint8_t lvb[LW_LVB_LEN];
	bool v;

	lwt_env_init(&t, 16, 16);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "R", lvb, &v), -ENOENT);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", PR, LW_LKF_VALBLK, 1, &lk1), 0);
	EXPECT_DONE_LVB(&t, 1, zero, 0);
	EXPECT_RES_LVB(&t, "R", zero, true);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "R", CR, 0, 2, &lk2), 0);
	EXPECT_DONE_LVB(&t, 2, NULL, 0);
	lwt_env_fini(&t);
}

static void
test_write_on_unlock(void)
{
	struct lwt_env t;
	uint32_t lk1, lk2;
	uint8_t a[LW_LVB_LEN];

	lwt_env_init(&t, 16, 16);
	pattern(a, 0x11);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, LW_LKF_VALBLK, 1, &lk1), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk1, LW_LKF_VALBLK, a, 2), 0);
	EXPECT_DONE(&t, 2, LW_EUNLOCK, IV, 0);
	EXPECT_RES_LVB(&t, "R", a, true);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "R", PR, LW_LKF_VALBLK, 3, &lk2), 0);
	EXPECT_DONE_LVB(&t, 3, a, 0);
	/* a PW unlock writes too */
	pattern(a, 0x22);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "S", PW, 0, 4, &lk1), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk1, LW_LKF_VALBLK, a, 5), 0);
	EXPECT_RES_LVB(&t, "S", a, true);
	lwt_env_fini(&t);
}

/* From PW/EX to every mode that does not cover it: a write. */
static void
test_write_on_down_convert(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN];
	char name[16];
	uint64_t ck = 1;
	uint32_t lk, lk2;

	lwt_env_init(&t, 64, 64);
	for (int from = PW; from <= EX; from++)
		for (int to = NL; to < from; to++) {
			snprintf(name, sizeof(name), "d%d%d", from, to);
			pattern(a, (uint8_t)(16 * from + to));
			CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, name, from, 0, ck++, &lk), 0);
			CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, to, LW_LKF_VALBLK, a, ck), 0);
			EXPECT_DONE_LK(&t, ck, 0, to, 0, lk);
			ck++;
			EXPECT_RES_LVB(&t, name, a, true);
			/* and a reader sees it */
			CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, name, NL, LW_LKF_VALBLK, ck, &lk2), 0);
			EXPECT_DONE_LVB(&t, ck, a, 0);
			ck++;
			lwt_clear(&t);
		}
	lwt_env_fini(&t);
}

/* What counts is the mode granted: PW -> EX with ALTPR granted as PR is a
 * transition from PW to a mode that does not cover it, so a write. */
static void
test_write_on_alt_down(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN];
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	pattern(a, 0xd1);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "R", CR, 0, 1, &lk2), 0);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", PW, 0, 2, &lk1), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk1, EX, LW_LKF_ALTPR | LW_LKF_VALBLK, a, 3), 0);
	EXPECT_DONE_LK(&t, 3, 0, PR, LW_SBF_ALTMODE, lk1);
	EXPECT_RES_LVB(&t, "R", a, true);
	lwt_env_fini(&t);
}

/* Up-conversions and conversions from weaker modes do not write; with
 * VALBLK they read. */
static void
test_no_write_up(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN], b[LW_LVB_LEN];
	uint32_t lk;

	lwt_env_init(&t, 16, 16);
	pattern(a, 0x31);
	pattern(b, 0x77);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, 0, 1, &lk), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, NL, LW_LKF_VALBLK, a, 2), 0);
	EXPECT_RES_LVB(&t, "R", a, true);
	/* NL -> PW (read), PW -> EX (read, not a write) */
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, PW, LW_LKF_VALBLK, b, 3), 0);
	EXPECT_DONE_LVB(&t, 3, a, 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, EX, LW_LKF_VALBLK, b, 4), 0);
	EXPECT_DONE_LVB(&t, 4, a, 0);
	EXPECT_RES_LVB(&t, "R", a, true);
	/* PR -> NL and CW -> NL are not writes */
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, PR, LW_LKF_VALBLK, b, 5), 0);
	EXPECT_RES_LVB(&t, "R", b, true);   /* EX -> PR was the write */
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, NL, LW_LKF_VALBLK, a, 6), 0);
	EXPECT_RES_LVB(&t, "R", b, true);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, CW, 0, NULL, 7), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, NL, LW_LKF_VALBLK, a, 8), 0);
	EXPECT_RES_LVB(&t, "R", b, true);
	/* a same-mode conversion of EX is no write either */
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, EX, 0, NULL, 9), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, EX, LW_LKF_VALBLK, a, 10), 0);
	EXPECT_DONE_LVB(&t, 10, b, 0);
	EXPECT_RES_LVB(&t, "R", b, true);
	lwt_env_fini(&t);
}

/* Without VALBLK a write does not happen; VALBLK on a PR unlock is ignored. */
static void
test_ignored(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN], b[LW_LVB_LEN];
	uint32_t lk1, lk2;

	lwt_env_init(&t, 16, 16);
	pattern(a, 0x41);
	pattern(b, 0x99);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, 0, 1, &lk1), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk1, PW, LW_LKF_VALBLK, a, 2), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk1, NL, 0, b, 3), 0);
	EXPECT_RES_LVB(&t, "R", a, true);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk1, EX, 0, NULL, 4), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk1, 0, b, 5), 0);
	EXPECT_DONE(&t, 5, LW_EUNLOCK, IV, 0);
	EXPECT_RES_LVB(&t, "R", a, true);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "R", PR, 0, 6, &lk2), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s2, lk2, LW_LKF_VALBLK, b, 7), 0);
	EXPECT_DONE(&t, 7, LW_EUNLOCK, IV, 0);
	EXPECT_RES_LVB(&t, "R", a, true);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "R", CW, 0, 8, &lk2), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s2, lk2, LW_LKF_VALBLK | LW_LKF_IVVALBLK, b, 9), 0);
	EXPECT_RES_LVB(&t, "R", a, true);
	lwt_env_fini(&t);
}

/* A grant of a queued request reads the LVB its blocker just wrote. */
static void
test_read_on_pending_grant(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN], c[LW_LVB_LEN];
	uint32_t lk1, lk2, lk3;

	lwt_env_init(&t, 16, 16);
	pattern(a, 0x51);
	pattern(c, 0x61);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, 0, 1, &lk1), 0);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "R", PR, LW_LKF_VALBLK, 2, &lk2), 0);
	EXPECT_NO_DONE(&t, 2);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk1, LW_LKF_VALBLK, a, 3), 0);
	EXPECT_DONE_LVB(&t, 2, a, 0);
	/* a waiting conversion likewise */
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s3, "S", EX, 0, 4, &lk1), 0);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "S", NL, 0, 5, &lk3), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk3, PR, LW_LKF_VALBLK, NULL, 6), 0);
	EXPECT_NO_DONE(&t, 6);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s3, lk1, NL, LW_LKF_VALBLK, c, 7), 0);
	EXPECT_DONE_LK(&t, 7, 0, NL, 0, lk1);
	EXPECT_DONE_LVB(&t, 6, c, 0);
	lwt_env_fini(&t);
}

static void
test_invalidate(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN], z[LW_LVB_LEN];
	uint32_t lk1, lk2, lk3;

	lwt_env_init(&t, 16, 16);
	pattern(a, 0x71);
	pattern(z, 0x81);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, 0, 1, &lk1), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk1, LW_LKF_IVVALBLK, a, 2), 0);
	EXPECT_DONE(&t, 2, LW_EUNLOCK, IV, 0);
	EXPECT_RES_LVB(&t, "R", NULL, false);
	/* readers see VALNOTVALID; a PR unlock with VALBLK does not fix it */
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "R", PR, LW_LKF_VALBLK, 3, &lk2), 0);
	EXPECT_DONE_LVB(&t, 3, zero, LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s2, lk2, LW_LKF_VALBLK, a, 4), 0);
	EXPECT_RES_LVB(&t, "R", NULL, false);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s3, "R", EX, LW_LKF_VALBLK, 5, &lk3), 0);
	EXPECT_DONE_LVB(&t, 5, zero, LW_SBF_VALNOTVALID);
	/* an up-conversion read still sees it invalid */
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s3, lk3, NL, 0, NULL, 6), 0);
	EXPECT_RES_LVB(&t, "R", NULL, false);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s3, lk3, PW, LW_LKF_VALBLK, NULL, 7), 0);
	EXPECT_DONE_LVB(&t, 7, zero, LW_SBF_VALNOTVALID);
	/* the next write makes it valid again */
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s3, lk3, NL, LW_LKF_VALBLK, z, 8), 0);
	EXPECT_RES_LVB(&t, "R", z, true);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s3, lk3, PR, LW_LKF_VALBLK, NULL, 9), 0);
	EXPECT_DONE_LVB(&t, 9, z, 0);
	lwt_env_fini(&t);
}

/* IVVALBLK wins over VALBLK; it works on a down-conversion; not from PR. */
static void
test_invalidate_rules(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN];
	uint32_t lk;

	lwt_env_init(&t, 16, 16);
	pattern(a, 0x91);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, 0, 1, &lk), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk, LW_LKF_VALBLK | LW_LKF_IVVALBLK, a, 2), 0);
	EXPECT_RES_LVB(&t, "R", NULL, false);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "S", PW, 0, 3, &lk), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, CR, LW_LKF_IVVALBLK, NULL, 4), 0);
	EXPECT_DONE_LK(&t, 4, 0, CR, 0, lk);
	EXPECT_RES_LVB(&t, "S", NULL, false);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "T", PR, 0, 5, &lk), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk, LW_LKF_IVVALBLK, NULL, 6), 0);
	EXPECT_RES_LVB(&t, "T", zero, true);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "T", NL, 0, 7, &lk), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, PR, LW_LKF_IVVALBLK, NULL, 8), 0);
	CU_ASSERT_EQUAL(lvb_convert(&t, t.s1, lk, NL, LW_LKF_IVVALBLK, NULL, 9), 0);
	EXPECT_RES_LVB(&t, "T", zero, true);
	lwt_env_fini(&t);
}

/* Idle resources keep their LVB until the table needs room; the least
 * recently idle goes first, and comes back zero and valid. */
static void
test_evict(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN], lvb[LW_LVB_LEN];
	uint32_t lk, lkt;
	bool v;

	lwt_env_init(&t, 2, 16);
	pattern(a, 0xa1);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, 0, 1, &lk), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk, LW_LKF_VALBLK, a, 2), 0);
	EXPECT_RES_LVB(&t, "R", a, true);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "S", EX, 0, 3, &lk), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk, LW_LKF_VALBLK, a, 4), 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_resident, 2);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_reclaimed, 0);
	/* T needs a slot: R (idle longest) is evicted, S stays */
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "T", PR, 0, 5, &lkt), 0);
	EXPECT_DONE_LK(&t, 5, 0, PR, 0, lkt);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "R", lvb, &v), -ENOENT);
	EXPECT_RES_LVB(&t, "S", a, true);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_reclaimed, 1);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_resident, 2);
	/* R again: S goes, R starts over zero and valid */
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "R", PR, LW_LKF_VALBLK, 6, &lk), 0);
	EXPECT_DONE_LVB(&t, 6, zero, 0);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "S", lvb, &v), -ENOENT);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_reclaimed, 2);
	lwt_env_fini(&t);
}

/* "Least recently idle": a resource used again goes to the back of the line. */
static void
test_evict_lru(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN], lvb[LW_LVB_LEN];
	uint32_t lk;
	bool v;

	lwt_env_init(&t, 2, 16);
	pattern(a, 0xc1);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, 0, 1, &lk), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk, 0, NULL, 2), 0);     /* R idle */
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "S", EX, 0, 3, &lk), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk, 0, NULL, 4), 0);     /* S idle */
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, 0, 5, &lk), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk, LW_LKF_VALBLK, a, 6), 0);  /* R idle again */
	CU_ASSERT_EQUAL(lwt_stats(&t).res_reclaimed, 0);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s2, "T", PR, 0, 7, &lk), 0);
	EXPECT_DONE_LK(&t, 7, 0, PR, 0, lk);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_reclaimed, 1);
	/* R went idle first and keeps that place although it was used since. */
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "R", lvb, &v), -ENOENT);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "S", lvb, &v), 0);
	CU_ASSERT(v);
	/* A busy resource is never evicted: T is busy, R gone, S idle. */
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "U", PR, 0, 8, &lk), 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_reclaimed, 2);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, t.ls, "S", lvb, &v), -ENOENT);
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "V", PR, 0, 9, &lk), -ENOMEM);
	lwt_env_fini(&t);
}

/* The last close of a lockspace drops its idle resources and their LVBs. */
static void
test_ls_close_drops(void)
{
	struct lwt_env t;
	uint8_t a[LW_LVB_LEN], lvb[LW_LVB_LEN];
	uint16_t l2, l2b;
	uint32_t lk;
	bool v;

	lwt_env_init(&t, 16, 16);
	pattern(a, 0xb1);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, "L2", 2, &l2), 0);
	t.ls = l2;
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", EX, 0, 1, &lk), 0);
	CU_ASSERT_EQUAL(lvb_unlock(&t, t.s1, lk, LW_LKF_VALBLK, a, 2), 0);
	EXPECT_RES_LVB(&t, "R", a, true);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_resident, 1);
	CU_ASSERT_EQUAL(lw_engine_ls_close(t.e, l2), 0);
	CU_ASSERT_EQUAL(lwt_stats(&t).res_resident, 0);
	CU_ASSERT_EQUAL(lw_engine_ls_open(t.e, "L2", 2, &l2b), 0);
	CU_ASSERT_EQUAL(lwt_res_lvb(&t, l2b, "R", lvb, &v), -ENOENT);
	t.ls = l2b;
	CU_ASSERT_EQUAL(lvb_lock(&t, t.s1, "R", PR, LW_LKF_VALBLK, 3, &lk), 0);
	EXPECT_DONE_LVB(&t, 3, zero, 0);
	lwt_env_fini(&t);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("lvb",
		  "fresh_zero", test_fresh_zero,
		  "write_on_unlock", test_write_on_unlock,
		  "write_on_down_convert", test_write_on_down_convert,
		  "write_on_alt_down", test_write_on_alt_down,
		  "no_write_up", test_no_write_up,
		  "ignored", test_ignored,
		  "read_on_pending_grant", test_read_on_pending_grant,
		  "invalidate", test_invalidate,
		  "invalidate_rules", test_invalidate_rules,
		  "evict", test_evict,
		  "evict_lru", test_evict_lru,
		  "ls_close_drops", test_ls_close_drops,
		  NULL);
	return lwt_run();
}
