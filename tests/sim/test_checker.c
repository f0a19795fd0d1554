/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_checker.c — the simulator's checker must fail when it should: feed it
 * synthetic requests and events (no sites, no EAL) and look at what it flags.
 * A checker that never fires would make every simulator run pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "site.h"

static int failures;

#define LW_CHECK(cond, ...)                                                       \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			failures++;                                             \
		}                                                               \
	} while (0)

#define S1 ((uint16_t)lw_site_id(1, 0))
#define S2 ((uint16_t)lw_site_id(2, 0))
#define S3 ((uint16_t)lw_site_id(2, 1))

static uint64_t now = 1000;

static struct sim_chk *
fresh(void)
{
	struct sim_chk *c = sim_chk_new();

	if (c == NULL)
		abort();
	sim_chk_set_quiet(c, true);
	sim_chk_res(c, 0, "r0");
	sim_chk_res(c, 1, "r1");
	now = 1000;
	sim_chk_now(c, now);
	return c;
}

static void
tick(struct sim_chk *c, uint64_t dt)
{
	now += dt;
	sim_chk_now(c, now);
}

/* submit a new lock; rc 0, lkid as given */
static void
sub_new(struct sim_chk *c, uint16_t site, uint32_t sess, uint32_t res, uint32_t lkid, int mode,
	uint32_t flags, uint64_t cookie)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_LOCK;
	r.mode = (int8_t)mode;
	r.flags = flags;
	r.session = sess;
	r.lkid = lkid;
	r.cookie = cookie;
	r.rc = 0;
	sim_chk_submit(c, site, res, &r);
}

static void
sub_conv(struct sim_chk *c, uint16_t site, uint32_t sess, uint32_t lkid, int mode,
	 uint32_t flags, uint64_t cookie, uint64_t lvbval)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_LOCK;
	r.mode = (int8_t)mode;
	r.flags = flags | LW_LKF_CONVERT;
	r.session = sess;
	r.lkid = lkid;
	r.cookie = cookie;
	memcpy(r.lvb, &lvbval, sizeof(lvbval));
	sim_chk_submit(c, site, 0, &r);
}

static void
sub_unlock(struct sim_chk *c, uint16_t site, uint32_t sess, uint32_t lkid, uint32_t flags,
	   uint64_t cookie, uint64_t lvbval)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_UNLOCK;
	r.flags = flags;
	r.session = sess;
	r.lkid = lkid;
	r.cookie = cookie;
	memcpy(r.lvb, &lvbval, sizeof(lvbval));
	sim_chk_submit(c, site, 0, &r);
}

static void
done(struct sim_chk *c, uint16_t site, uint32_t sess, uint32_t lkid, int status, int mode,
     uint8_t sbf, uint64_t cookie)
{
	struct lw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = LW_EV_COMPLETE;
	ev.status = status;
	ev.mode = (int8_t)mode;
	ev.sbflags = sbf;
	ev.session = sess;
	ev.lkid = lkid;
	ev.cookie = cookie;
	sim_chk_event(c, site, &ev);
}

static void
done_lvb(struct sim_chk *c, uint16_t site, uint32_t sess, uint32_t lkid, int mode,
	 uint64_t cookie, uint64_t lvbval, uint8_t sbf)
{
	struct lw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = LW_EV_COMPLETE;
	ev.status = 0;
	ev.mode = (int8_t)mode;
	ev.session = sess;
	ev.lkid = lkid;
	ev.cookie = cookie;
	ev.has_lvb = 1;
	ev.sbflags = sbf;
	memcpy(ev.lvb, &lvbval, sizeof(lvbval));
	sim_chk_event(c, site, &ev);
}

static void
bast(struct sim_chk *c, uint16_t site, uint32_t sess, uint32_t lkid, int mode)
{
	struct lw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = LW_EV_BLOCKING;
	ev.mode = (int8_t)mode;
	ev.session = sess;
	ev.lkid = lkid;
	sim_chk_event(c, site, &ev);
}

static void
test_clean(void)
{
	struct sim_chk *c = fresh();

	/* PR on two sites, CR on a third, then up/down conversions and unlocks */
	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_PR, 0, 1);
	done(c, S1, 1, 0x11, 0, LW_LOCK_PR, 0, 1);
	sub_new(c, S2, 2, 0, 0x21, LW_LOCK_PR, 0, 2);
	done(c, S2, 2, 0x21, 0, LW_LOCK_PR, 0, 2);
	sub_new(c, S3, 3, 0, 0x31, LW_LOCK_CR, LW_LKF_NOQUEUE, 3);
	done(c, S3, 3, 0x31, 0, LW_LOCK_CR, 0, 3);
	bast(c, S1, 1, 0x11, LW_LOCK_EX);                 /* PR blocks EX */
	sub_conv(c, S2, 2, 0x21, LW_LOCK_EX, 0, 4, 0);
	tick(c, 10);
	sub_unlock(c, S1, 1, 0x11, 0, 5, 0);
	done(c, S1, 1, 0x11, LW_EUNLOCK, LW_LOCK_IV, 0, 5);
	sub_unlock(c, S3, 3, 0x31, 0, 6, 0);
	done(c, S3, 3, 0x31, LW_EUNLOCK, LW_LOCK_IV, 0, 6);
	done(c, S2, 2, 0x21, 0, LW_LOCK_EX, 0, 4);
	/* EX -> NL writes the value block; a later PR read sees it */
	sub_conv(c, S2, 2, 0x21, LW_LOCK_NL, LW_LKF_VALBLK, 7, 0x1234);
	done(c, S2, 2, 0x21, 0, LW_LOCK_NL, 0, 7);
	sub_new(c, S1, 1, 0, 0x12, LW_LOCK_PR, LW_LKF_VALBLK, 8);
	done_lvb(c, S1, 1, 0x12, LW_LOCK_PR, 8, 0x1234, 0);
	/* a failed NOQUEUE conversion keeps the mode */
	sub_conv(c, S2, 2, 0x21, LW_LOCK_EX, LW_LKF_NOQUEUE, 9, 0);
	done(c, S2, 2, 0x21, -EAGAIN, LW_LOCK_NL, 0, 9);
	/* a cancelled new request */
	sub_new(c, S3, 3, 0, 0x32, LW_LOCK_EX, 0, 10);
	sub_unlock(c, S3, 3, 0x32, LW_LKF_CANCEL, 11, 0);
	done(c, S3, 3, 0x32, LW_ECANCEL, LW_LOCK_IV, 0, 10);
	/* ALTPR: asked EX, got PR */
	sub_new(c, S3, 3, 1, 0x33, LW_LOCK_EX, LW_LKF_ALTPR, 12);
	done(c, S3, 3, 0x33, 0, LW_LOCK_PR, LW_SBF_ALTMODE, 12);
	sub_unlock(c, S3, 3, 0x33, 0, 13, 0);
	done(c, S3, 3, 0x33, LW_EUNLOCK, LW_LOCK_IV, 0, 13);
	sub_unlock(c, S1, 1, 0x12, 0, 14, 0);
	done(c, S1, 1, 0x12, LW_EUNLOCK, LW_LOCK_IV, 0, 14);
	sub_unlock(c, S2, 2, 0x21, 0, 15, 0);
	done(c, S2, 2, 0x21, LW_EUNLOCK, LW_LOCK_IV, 0, 15);
	sim_chk_finish(c);
	LW_CHECK(sim_chk_nviol(c) == 0, "clean run flagged %u violations", sim_chk_nviol(c));
	sim_chk_free(c);
}

static void
test_conflict(void)
{
	struct sim_chk *c = fresh();

	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_PR, 0, 1);
	done(c, S1, 1, 0x11, 0, LW_LOCK_PR, 0, 1);
	sub_new(c, S2, 2, 0, 0x21, LW_LOCK_PW, 0, 2);
	done(c, S2, 2, 0x21, 0, LW_LOCK_PW, 0, 2);        /* PW with PR: conflict */
	LW_CHECK(sim_chk_nkind(c, SV_CONFLICT) == 1, "conflict flagged %u times",
	       sim_chk_nkind(c, SV_CONFLICT));
	/* the same lkid on two sites is two locks; a conversion conflict too */
	sub_new(c, S3, 3, 1, 0x11, LW_LOCK_CR, 0, 3);
	done(c, S3, 3, 0x11, 0, LW_LOCK_CR, 0, 3);
	sub_new(c, S1, 1, 1, 0x12, LW_LOCK_NL, 0, 4);
	done(c, S1, 1, 0x12, 0, LW_LOCK_NL, 0, 4);
	sub_conv(c, S1, 1, 0x12, LW_LOCK_EX, 0, 5, 0);
	done(c, S1, 1, 0x12, 0, LW_LOCK_EX, 0, 5);        /* EX with CR: conflict */
	LW_CHECK(sim_chk_nkind(c, SV_CONFLICT) == 2, "conversion conflict flagged %u times",
	       sim_chk_nkind(c, SV_CONFLICT) - 1);
	sim_chk_free(c);
}

static void
test_double_grant(void)
{
	struct sim_chk *c = fresh();

	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_NL, 0, 1);
	done(c, S1, 1, 0x11, 0, LW_LOCK_NL, 0, 1);
	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_NL, 0, 2);    /* same lkid again while live */
	done(c, S1, 1, 0x11, 0, LW_LOCK_NL, 0, 2);
	LW_CHECK(sim_chk_nkind(c, SV_DOUBLE_GRANT) >= 1, "double grant not flagged");
	/* a second COMPLETE for one request */
	sub_new(c, S2, 2, 0, 0x21, LW_LOCK_CR, 0, 3);
	done(c, S2, 2, 0x21, 0, LW_LOCK_CR, 0, 3);
	done(c, S2, 2, 0x21, 0, LW_LOCK_CR, 0, 3);
	LW_CHECK(sim_chk_nkind(c, SV_COMPLETION) == 1, "duplicate COMPLETE flagged %u times",
	       sim_chk_nkind(c, SV_COMPLETION));
	sim_chk_free(c);
}

static void
test_missing(void)
{
	struct sim_chk *c = fresh();

	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_EX, 0, 1);    /* never completes */
	sub_new(c, S2, 2, 1, 0x21, LW_LOCK_EX, 0, 2);
	done(c, S2, 2, 0x21, 0, LW_LOCK_EX, 0, 2);        /* never unlocked */
	sim_chk_finish(c);
	LW_CHECK(sim_chk_nkind(c, SV_MISSING) == 1, "missing completion flagged %u times",
	       sim_chk_nkind(c, SV_MISSING));
	LW_CHECK(sim_chk_nkind(c, SV_LEFT_HELD) == 1, "left-held flagged %u times",
	       sim_chk_nkind(c, SV_LEFT_HELD));
	sim_chk_free(c);
}

static void
test_events(void)
{
	struct sim_chk *c = fresh();

	/* EAGAIN without NOQUEUE; ECANCEL without a cancel; wrong mode */
	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_EX, 0, 1);
	done(c, S1, 1, 0x11, -EAGAIN, LW_LOCK_IV, 0, 1);
	sub_new(c, S1, 1, 0, 0x12, LW_LOCK_EX, 0, 2);
	done(c, S1, 1, 0x12, LW_ECANCEL, LW_LOCK_IV, 0, 2);
	sub_new(c, S1, 1, 0, 0x13, LW_LOCK_PR, 0, 3);
	done(c, S1, 1, 0x13, 0, LW_LOCK_CR, 0, 3);
	LW_CHECK(sim_chk_nkind(c, SV_EVENT) == 3, "bad statuses/modes flagged %u times",
	       sim_chk_nkind(c, SV_EVENT));
	/* BLOCKING for a lock that is not granted, and for a mode it does not block */
	bast(c, S2, 2, 0x99, LW_LOCK_EX);
	bast(c, S1, 1, 0x13, LW_LOCK_CR);                /* CR held, CR compatible */
	LW_CHECK(sim_chk_nkind(c, SV_EVENT) == 4, "BLOCKING of an unknown lock flagged %u times",
	       sim_chk_nkind(c, SV_EVENT) - 3);
	LW_CHECK(sim_chk_nkind(c, SV_BAST) == 1, "BLOCKING for a compatible mode flagged %u times",
	       sim_chk_nkind(c, SV_BAST));
	/* COMPLETE to the wrong session */
	sub_unlock(c, S1, 1, 0x13, 0, 4, 0);
	done(c, S1, 7, 0x13, LW_EUNLOCK, LW_LOCK_IV, 0, 4);
	LW_CHECK(sim_chk_nkind(c, SV_EVENT) == 5, "wrong session not flagged");
	sim_chk_free(c);
}

static void
test_lvb(void)
{
	struct sim_chk *c = fresh();

	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_EX, LW_LKF_VALBLK, 1);
	done_lvb(c, S1, 1, 0x11, LW_LOCK_EX, 1, 0, 0);     /* fresh: zero, valid */
	sub_unlock(c, S1, 1, 0x11, LW_LKF_VALBLK, 2, 42);
	done(c, S1, 1, 0x11, LW_EUNLOCK, LW_LOCK_IV, 0, 2);
	sub_new(c, S2, 2, 0, 0x21, LW_LOCK_PR, LW_LKF_VALBLK, 3);
	done_lvb(c, S2, 2, 0x21, LW_LOCK_PR, 3, 41, 0);    /* stale */
	LW_CHECK(sim_chk_nkind(c, SV_LVB) == 1, "stale LVB flagged %u times",
	       sim_chk_nkind(c, SV_LVB));
	sub_unlock(c, S2, 2, 0x21, 0, 4, 0);
	done(c, S2, 2, 0x21, LW_EUNLOCK, LW_LOCK_IV, 0, 4);
	/* invalidate, then a read that claims valid */
	sub_new(c, S1, 1, 0, 0x12, LW_LOCK_PW, 0, 5);
	done(c, S1, 1, 0x12, 0, LW_LOCK_PW, 0, 5);
	sub_unlock(c, S1, 1, 0x12, LW_LKF_IVVALBLK, 6, 0);
	done(c, S1, 1, 0x12, LW_EUNLOCK, LW_LOCK_IV, 0, 6);
	sub_new(c, S3, 3, 0, 0x31, LW_LOCK_EX, LW_LKF_VALBLK, 7);
	done_lvb(c, S3, 3, 0x31, LW_LOCK_EX, 7, 42, 0);
	LW_CHECK(sim_chk_nkind(c, SV_LVB) == 2, "valid-after-IVVALBLK flagged %u times",
	       sim_chk_nkind(c, SV_LVB) - 1);
	/* CR reads are not compared (a PW holder elsewhere may not have written back) */
	sub_new(c, S2, 2, 0, 0x22, LW_LOCK_CR, LW_LKF_VALBLK, 8);
	done_lvb(c, S2, 2, 0x22, LW_LOCK_CR, 8, 7, 0);
	LW_CHECK(sim_chk_nkind(c, SV_LVB) == 2, "CR read compared");
	sim_chk_free(c);
}

static void
test_convdeadlk(void)
{
	struct sim_chk *c = fresh();

	/* two PR holders convert to EX; one with CONVDEADLK is demoted, the other granted */
	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_PR, 0, 1);
	done(c, S1, 1, 0x11, 0, LW_LOCK_PR, 0, 1);
	sub_new(c, S2, 2, 0, 0x21, LW_LOCK_PR, 0, 2);
	done(c, S2, 2, 0x21, 0, LW_LOCK_PR, 0, 2);
	sub_conv(c, S1, 1, 0x11, LW_LOCK_EX, LW_LKF_CONVDEADLK, 3, 0);
	sub_conv(c, S2, 2, 0x21, LW_LOCK_EX, 0, 4, 0);
	done(c, S2, 2, 0x21, 0, LW_LOCK_EX, 0, 4);        /* ok only if 0x11 was demoted */
	LW_CHECK(sim_chk_nviol(c) == 0, "assumed demotion flagged %u", sim_chk_nviol(c));
	sub_unlock(c, S2, 2, 0x21, 0, 5, 0);
	done(c, S2, 2, 0x21, LW_EUNLOCK, LW_LOCK_IV, 0, 5);
	done(c, S1, 1, 0x11, 0, LW_LOCK_EX, LW_SBF_DEMOTED, 3);
	LW_CHECK(sim_chk_nviol(c) == 0, "confirmed demotion flagged %u", sim_chk_nviol(c));
	sub_unlock(c, S1, 1, 0x11, 0, 6, 0);
	done(c, S1, 1, 0x11, LW_EUNLOCK, LW_LOCK_IV, 0, 6);
	sim_chk_finish(c);
	LW_CHECK(sim_chk_nviol(c) == 0, "flagged %u", sim_chk_nviol(c));
	/* the same, but the conversion completes without DEMOTED: the conflict was real */
	sub_new(c, S1, 1, 0, 0x13, LW_LOCK_PR, 0, 7);
	done(c, S1, 1, 0x13, 0, LW_LOCK_PR, 0, 7);
	sub_new(c, S2, 2, 0, 0x23, LW_LOCK_PR, 0, 8);
	done(c, S2, 2, 0x23, 0, LW_LOCK_PR, 0, 8);
	sub_conv(c, S1, 1, 0x13, LW_LOCK_EX, LW_LKF_CONVDEADLK, 9, 0);
	sub_conv(c, S2, 2, 0x23, LW_LOCK_EX, 0, 10, 0);
	done(c, S2, 2, 0x23, 0, LW_LOCK_EX, 0, 10);
	sub_unlock(c, S1, 1, 0x13, LW_LKF_CANCEL, 11, 0);
	done(c, S1, 1, 0x13, LW_ECANCEL, LW_LOCK_PR, 0, 9);
	LW_CHECK(sim_chk_nkind(c, SV_CONFLICT) == 1, "unconfirmed demotion flagged %u times",
	       sim_chk_nkind(c, SV_CONFLICT));
	sim_chk_free(c);
}

static void
test_stall(void)
{
	struct sim_chk *c = fresh();

	/* EX pending while only NL is granted, nothing happens for long: stuck */
	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_NL, 0, 1);
	done(c, S1, 1, 0x11, 0, LW_LOCK_NL, 0, 1);
	sub_new(c, S2, 2, 0, 0x21, LW_LOCK_EX, 0, 2);
	tick(c, 1000);
	LW_CHECK(!sim_chk_stalled(c, 0, 1000000), "stall flagged too early");
	tick(c, 2000000);
	LW_CHECK(sim_chk_stalled(c, 0, 1000000), "stall not flagged");
	LW_CHECK(sim_chk_nkind(c, SV_LIVENESS) == 1, "liveness flagged %u times",
	       sim_chk_nkind(c, SV_LIVENESS));
	/* a request blocked by a holder is not a stall */
	sub_new(c, S1, 1, 1, 0x12, LW_LOCK_PR, 0, 3);
	done(c, S1, 1, 0x12, 0, LW_LOCK_PR, 0, 3);
	sub_new(c, S2, 2, 1, 0x22, LW_LOCK_PW, 0, 4);
	tick(c, 5000000);
	LW_CHECK(!sim_chk_stalled(c, 1, 1000000), "blocked request flagged as a stall");
	sim_chk_free(c);
}

static void
test_map(void)
{
	struct sim_map m;

	LW_CHECK(sim_map_init(&m, 4) == 0, "map init");
	for (uint64_t k = 1; k <= 5000; k++)
		sim_map_put(&m, k * 0x9e3779b9ull, (uint32_t)k);
	for (uint64_t k = 1; k <= 5000; k += 2)
		LW_CHECK(sim_map_del(&m, k * 0x9e3779b9ull), "del %llu", (unsigned long long)k);
	for (uint64_t k = 1; k <= 5000; k++) {
		uint32_t v = 0;
		bool found = sim_map_get(&m, k * 0x9e3779b9ull, &v);
		LW_CHECK(found == (k % 2 == 0) && (!found || v == k), "key %llu", (unsigned long long)k);
	}
	LW_CHECK(m.n == 2500, "n %u", m.n);
	sim_map_fini(&m);
}

/* A crashed node's locks vanish: no conflict with them, nothing missing at the end. */
static void
test_node_lost(void)
{
	struct sim_chk *c = fresh();

	sub_new(c, S2, 2, 0, 0x21, LW_LOCK_EX, 0, 1);
	done(c, S2, 2, 0x21, 0, LW_LOCK_EX, 0, 1);
	sub_new(c, S3, 3, 0, 0x31, LW_LOCK_PR, 0, 2);    /* waits on node 2 */
	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_PR, 0, 3);
	sim_chk_node_lost(c, 2);                         /* S2 and S3 are node 2 */
	done(c, S1, 1, 0x11, 0, LW_LOCK_PR, 0, 3);
	LW_CHECK(sim_chk_nkind(c, SV_CONFLICT) == 0, "conflict with a lost lock");
	done(c, S3, 3, 0x31, 0, LW_LOCK_PR, 0, 2);       /* a COMPLETE from the dead */
	LW_CHECK(sim_chk_nkind(c, SV_COMPLETION) == 1, "completion of a lost request not flagged");
	sub_unlock(c, S1, 1, 0x11, 0, 4, 0);
	done(c, S1, 1, 0x11, LW_EUNLOCK, LW_LOCK_IV, 0, 4);
	sim_chk_finish(c);
	LW_CHECK(sim_chk_nviol(c) == 1, "%u violations, 1 expected", sim_chk_nviol(c));
	/* without the call, the lock of node 1 still conflicts */
	sub_new(c, S1, 1, 1, 0x12, LW_LOCK_EX, 0, 5);
	done(c, S1, 1, 0x12, 0, LW_LOCK_EX, 0, 5);
	sim_chk_node_lost(c, 2);
	sub_new(c, S2, 2, 1, 0x22, LW_LOCK_EX, 0, 6);
	done(c, S2, 2, 0x22, 0, LW_LOCK_EX, 0, 6);
	LW_CHECK(sim_chk_nkind(c, SV_CONFLICT) == 1, "conflict missed after a loss elsewhere");
	sim_chk_free(c);
}

/* -ENOLCK ends a lock only after the node's lease ran out. */
static void
test_enolck(void)
{
	struct sim_chk *c = fresh();

	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_EX, 0, 1);
	done(c, S1, 1, 0x11, 0, LW_LOCK_EX, 0, 1);
	sub_new(c, S1, 1, 1, 0x12, LW_LOCK_PR, 0, 2);    /* pending */
	done(c, S1, 1, 0x11, -ENOLCK, LW_LOCK_IV, 0, 0);  /* no lease set: not allowed */
	LW_CHECK(sim_chk_nkind(c, SV_EVENT) == 1, "-ENOLCK with no lease end accepted");
	sim_chk_node_lease(c, 1, now + 100);
	done(c, S1, 1, 0x11, -ENOLCK, LW_LOCK_IV, 0, 0);  /* before the lease end */
	LW_CHECK(sim_chk_nkind(c, SV_EVENT) == 2, "-ENOLCK before the lease end accepted");
	tick(c, 100);
	done(c, S1, 1, 0x11, -ENOLCK, LW_LOCK_IV, 0, 0);
	done(c, S1, 1, 0x12, -ENOLCK, LW_LOCK_IV, 0, 2);
	LW_CHECK(sim_chk_enolck(c) == 2, "%llu -ENOLCK counted", (unsigned long long)sim_chk_enolck(c));
	done(c, S1, 1, 0x12, -ENOLCK, LW_LOCK_IV, 0, 2);  /* twice */
	LW_CHECK(sim_chk_nkind(c, SV_COMPLETION) == 1, "second -ENOLCK for a lock not flagged");
	/* the lock is gone: another site may take EX */
	sub_new(c, S2, 2, 0, 0x21, LW_LOCK_EX, 0, 3);
	done(c, S2, 2, 0x21, 0, LW_LOCK_EX, 0, 3);
	LW_CHECK(sim_chk_nkind(c, SV_CONFLICT) == 0, "a fenced lock still conflicts");
	sub_unlock(c, S2, 2, 0x21, 0, 4, 0);
	done(c, S2, 2, 0x21, LW_EUNLOCK, LW_LOCK_IV, 0, 4);
	sim_chk_finish(c);
	LW_CHECK(sim_chk_nviol(c) == 3, "%u violations, 3 expected", sim_chk_nviol(c));
	sim_chk_free(c);
}

/* A daemon's FENCE record: -ENOLCK allowed from then on, every value may be lost once. */
static void
test_fenced(void)
{
	struct sim_chk *c = fresh();

	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_EX, 0, 1);
	done(c, S1, 1, 0x11, 0, LW_LOCK_EX, 0, 1);
	LW_CHECK(!sim_chk_lvb_relaxed(c, 0) && !sim_chk_lvb_relaxed(c, 1), "relaxed before a fence");
	tick(c, 50);
	sim_chk_node_fenced(c, 1);
	sim_chk_node_fenced(c, 300);                      /* no such node: ignored */
	LW_CHECK(sim_chk_lvb_relaxed(c, 0) && sim_chk_lvb_relaxed(c, 1), "a fence relaxed no value");
	done(c, S1, 1, 0x11, -ENOLCK, LW_LOCK_IV, 0, 0);
	LW_CHECK(sim_chk_nviol(c) == 0 && sim_chk_enolck(c) == 1,
		 "-ENOLCK after a fence: %u violations, %llu counted", sim_chk_nviol(c),
		 (unsigned long long)sim_chk_enolck(c));
	/* node 2 is not fenced: its -ENOLCK is wrong, before its lease end too ... */
	sub_new(c, S2, 2, 1, 0x21, LW_LOCK_PR, 0, 3);
	done(c, S2, 2, 0x21, 0, LW_LOCK_PR, 0, 3);
	sim_chk_node_lease(c, 2, now + 1000);
	done(c, S2, 2, 0x21, -ENOLCK, LW_LOCK_IV, 0, 0);
	LW_CHECK(sim_chk_nkind(c, SV_EVENT) == 1, "node 2's -ENOLCK before a fence accepted");
	/* ... and its fence brings that lease end forward to now */
	sim_chk_node_fenced(c, 2);
	done(c, S2, 2, 0x21, -ENOLCK, LW_LOCK_IV, 0, 0);
	LW_CHECK(sim_chk_nkind(c, SV_EVENT) == 1 && sim_chk_enolck(c) == 2,
		 "node 2's -ENOLCK after its fence: %u event violations, %llu counted",
		 sim_chk_nkind(c, SV_EVENT), (unsigned long long)sim_chk_enolck(c));
	sim_chk_free(c);
}

/* After a loss, a read may say "not valid" once; a valid read must still be the last write. */
static void
test_lvb_lost(void)
{
	struct sim_chk *c = fresh();

	sub_new(c, S1, 1, 0, 0x11, LW_LOCK_EX, 0, 1);
	done(c, S1, 1, 0x11, 0, LW_LOCK_EX, 0, 1);
	sub_unlock(c, S1, 1, 0x11, LW_LKF_VALBLK, 2, 42);
	done(c, S1, 1, 0x11, LW_EUNLOCK, LW_LOCK_IV, 0, 2);
	/* not relaxed: not valid is wrong */
	sub_new(c, S2, 2, 0, 0x21, LW_LOCK_PR, LW_LKF_VALBLK, 3);
	done_lvb(c, S2, 2, 0x21, LW_LOCK_PR, 3, 0, LW_SBF_VALNOTVALID);
	LW_CHECK(sim_chk_nkind(c, SV_LVB) == 1, "not-valid read without a loss accepted");
	sub_unlock(c, S2, 2, 0x21, 0, 4, 0);
	done(c, S2, 2, 0x21, LW_EUNLOCK, LW_LOCK_IV, 0, 4);
	sim_chk_lvb_lost(c, 0);
	LW_CHECK(sim_chk_lvb_relaxed(c, 0) && !sim_chk_lvb_relaxed(c, 1), "relaxed set wrong");
	/* relaxed: a stale valid value is still wrong */
	sub_new(c, S2, 2, 0, 0x22, LW_LOCK_PR, LW_LKF_VALBLK, 5);
	done_lvb(c, S2, 2, 0x22, LW_LOCK_PR, 5, 41, 0);
	LW_CHECK(sim_chk_nkind(c, SV_LVB) == 2, "stale read after a loss accepted");
	/* not valid: allowed, counted; then a read claiming valid with no write is wrong */
	sub_new(c, S3, 3, 0, 0x31, LW_LOCK_PR, LW_LKF_VALBLK, 6);
	done_lvb(c, S3, 3, 0x31, LW_LOCK_PR, 6, 0, LW_SBF_VALNOTVALID);
	LW_CHECK(sim_chk_nkind(c, SV_LVB) == 2 && sim_chk_lvb_lost_reads(c) == 1,
		 "not-valid read after a loss: %u lvb violations, %llu counted",
		 sim_chk_nkind(c, SV_LVB), (unsigned long long)sim_chk_lvb_lost_reads(c));
	sub_new(c, S1, 1, 0, 0x13, LW_LOCK_PR, LW_LKF_VALBLK, 7);
	done_lvb(c, S1, 1, 0x13, LW_LOCK_PR, 7, 42, 0);
	LW_CHECK(sim_chk_nkind(c, SV_LVB) == 3, "valid read after a not-valid one accepted");
	sim_chk_free(c);
}

int
main(void)
{
	test_map();
	test_clean();
	test_conflict();
	test_double_grant();
	test_missing();
	test_events();
	test_lvb();
	test_convdeadlk();
	test_stall();
	test_node_lost();
	test_enolck();
	test_fenced();
	test_lvb_lost();
	if (failures != 0) {
		fprintf(stderr, "test_checker: %d check(s) failed\n", failures);
		return 1;
	}
	printf("test_checker: all checks passed\n");
	return 0;
}
