/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_recover2.c — cancels whose COMPLETE waits for the master, a head
 * conversion asked again after a DENY -EDEADLK, and the LVB of a resource
 * in a bucket whose master was lost (also when its last writer is lost
 * too before the bucket resumes), on the three hand-wired sites of
 * site_net.h (nodes 1..3, worker 0).
 *
 * DESIGN
 * Each test drives the sites step by step: requests with req(), messages
 * with settle() (or settle_live(), which drops what goes to or comes from
 * a dead site), views with view_without() or view_lost() (a lost node's
 * buckets go to node 1). Checks are on the COMPLETEs the clients get, on
 * return codes, and on what lw_site_res_info and lw_site_rec_info show.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwt.h"
#include "mode.h"
#include "site_net.h"

static bool dead[NSITES];

/* settle(), but a dead site neither receives nor sends anything. */
static void
settle_live(void)
{
	while (N.head != N.tail) {
		struct lw_msg m = N.q[N.head++ % QCAP];
		int d = idx_of(m.h.dst), src = idx_of(m.h.src);

		CU_ASSERT_FATAL(d >= 0 && src >= 0);
		if (dead[d] || dead[src])
			continue;
		N.now += 1000;
		lw_site_receive(N.site[d], &m, 1, N.now, &N.out[d]);
		collect(d);
	}
}

static void
tick_live(uint64_t now)
{
	for (int i = 0; i < NSITES; i++) {
		if (dead[i])
			continue;
		lw_site_tick(N.site[i], now, &N.out[i]);
		collect(i);
	}
	settle_live();
}

static unsigned int
ncomplete(uint64_t cookie)
{
	unsigned int n = 0;

	for (unsigned int k = 0; k < N.nev; k++)
		n += N.ev[k].type == LW_EV_COMPLETE && N.ev[k].cookie == cookie;
	return n;
}

/* Every live site applies vc (1 us apart), then the traffic settles. */
static void
apply_live(const struct lw_view_change *vc)
{
	for (int i = 0; i < NSITES; i++) {
		if (dead[i])
			continue;
		N.now += 1000;
		CU_ASSERT_EQUAL(lw_site_view_change(N.site[i], vc, N.now, &N.out[i]), 0);
		collect(i);
	}
	settle_live();
}

/*
 * View `epoch`: node `away`'s buckets are at node 1; `lost` (0: none) is
 * lost and dead from now on, a dead node back in the view lives again.
 */
static void
view_at(uint32_t epoch, int away, int lost, uint64_t fence_until)
{
	uint16_t ids[NSITES];
	uint8_t owner[256];
	uint64_t members[4] = { 0 };
	struct lw_map m;
	struct lw_view_change vc = { .map = &m, .fence_until = fence_until };

	for (int i = 0; i < 256; i++)
		owner[i] = (uint8_t)i;
	for (int i = 0; i < NSITES; i++) {
		ids[i] = lw_site_self(N.site[i]);
		if (i + 1 != lost)
			members[0] |= 1ull << (i + 1);
	}
	owner[away] = 1;
	CU_ASSERT_EQUAL_FATAL(lw_map_from_owners(&m, epoch, ids, NSITES, owner, members), 0);
	if (lost != 0) {
		vc.lost[0] = 1ull << lost;
		dead[lost - 1] = true;
	} else {
		memset(dead, 0, sizeof(dead));
	}
	apply_live(&vc);
}

static void
view_without(int node, uint64_t fence_until)
{
	view_at(2, node, node, fence_until);
}

/*
 * View `epoch`: `lost` is lost and dead from now on; every dead node's
 * buckets are at node 1, and only live nodes are members.
 */
static void
view_lost(uint32_t epoch, int lost, uint64_t fence_until)
{
	uint16_t ids[NSITES];
	uint8_t owner[256];
	uint64_t members[4] = { 0 };
	struct lw_map m;
	struct lw_view_change vc = { .map = &m, .fence_until = fence_until };

	dead[lost - 1] = true;
	vc.lost[0] = 1ull << lost;
	for (int i = 0; i < 256; i++)
		owner[i] = (uint8_t)i;
	for (int i = 0; i < NSITES; i++) {
		ids[i] = lw_site_self(N.site[i]);
		if (dead[i])
			owner[i + 1] = 1;
		else
			members[0] |= 1ull << (i + 1);
	}
	CU_ASSERT_EQUAL_FATAL(lw_map_from_owners(&m, epoch, ids, NSITES, owner, members), 0);
	apply_live(&vc);
}

/* The k-th name (from 0) whose master is site m before any view change. */
static void
name_at(int m, unsigned int k, char *buf, size_t len)
{
	uint16_t ids[NSITES];
	uint32_t gid = lw_ls_gid("ls", 2);
	struct lw_map map;

	for (int i = 0; i < NSITES; i++)
		ids[i] = lw_site_self(N.site[i]);
	CU_ASSERT_EQUAL_FATAL(lw_map_static(&map, 1, ids, NSITES), 0);
	for (unsigned int j = 0;; j++) {
		snprintf(buf, len, "nm%u", j);
		if (map.bucket[lw_bucket_of(lw_res_hash(gid, buf, strlen(buf)))] == ids[m] &&
		    k-- == 0)
			return;
	}
}

/* The end of a test with lost sites (net_fini would check them too). */
static void
free_sites(void)
{
	for (int i = 0; i < NSITES; i++) {
		lw_site_free(N.site[i]);
		lw_site_out_fini(&N.out[i]);
	}
	memset(dead, 0, sizeof(dead));
}

/*
 * A cancel that retracts the request out at the master completes with the
 * master's answer; until then the lock counts as pending for its client
 * (a CANCEL or UNLOCK gets -EBUSY) and its id names no other lock.
 */
static void
test_cancel_held_keeps_lkid(void)
{
	const char *r;
	uint64_t c[8];
	int l2, l0, lx, rc;

	net_init(NSITES);
	r = name_mastered_by(1);
	l2 = req(2, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	settle();
	EXPECT_STATUS(c[0], 0, LW_LOCK_EX);
	l0 = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[1]);
	settle();
	CU_ASSERT(l0 > 0);
	CU_ASSERT_PTR_NULL(completion(c[1]));           /* queued at site 1 behind site 2 */
	CU_ASSERT_EQUAL(req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)l0, NULL, &c[2]),
			l0);
	CU_ASSERT_PTR_NULL(completion(c[1]));           /* held for the master's answer */
	/* the cancel is under way: -EBUSY (not -ENOENT) for the same lock */
	CU_ASSERT_EQUAL(req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)l0, NULL, &c[3]),
			-EBUSY);
	CU_ASSERT_EQUAL(req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l0, NULL, &c[3]), -EBUSY);
	CU_ASSERT_EQUAL(req(0, LW_REQ_LOCK, NULL, LW_LOCK_PR, LW_LKF_CONVERT, (uint32_t)l0, NULL,
			    &c[3]), -EBUSY);
	/* a new lock does not get the id while its COMPLETE is held */
	lx = req(0, LW_REQ_LOCK, "other", LW_LOCK_NL, 0, 0, NULL, &c[4]);
	CU_ASSERT(lx > 0 && lx != l0);
	CU_ASSERT_EQUAL(lw_site_check(N.site[0]), 0);
	settle();
	EXPECT_STATUS(c[1], LW_ECANCEL, LW_LOCK_IV);
	CU_ASSERT_EQUAL(ncomplete(c[1]), 1);
	/* delivered: the lock is gone */
	rc = req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)l0, NULL, &c[5]);
	CU_ASSERT_EQUAL(rc, -ENOENT);
	req(2, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l2, NULL, &c[6]);
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lx, NULL, &c[7]);
	settle();
	EXPECT_STATUS(c[7], LW_EUNLOCK, LW_LOCK_IV);
	net_fini(NSITES);
}

/* The same after a TIMEOUT, then a FORCEUNLOCK whose COMPLETE follows it. */
static void
test_timeout_held_then_forceunlock(void)
{
	const char *r;
	uint64_t c[8];
	struct lw_req q;
	int l2, l0;

	net_init(NSITES);
	r = name_mastered_by(1);
	l2 = req(2, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	settle();
	memset(&q, 0, sizeof(q));
	q.op = LW_REQ_LOCK;
	q.mode = LW_LOCK_EX;
	q.namelen = (uint8_t)strlen(r);
	memcpy(q.name, r, q.namelen);
	q.lsid = N.lsid[0];
	q.session = N.sess[0];
	q.flags = LW_LKF_TIMEOUT;
	q.timeout_us = 10;
	q.cookie = c[1] = ++N.cookie;
	lw_site_submit(N.site[0], &q, 1, N.now, &N.out[0]);
	collect(0);
	l0 = (int)q.lkid;
	CU_ASSERT_EQUAL(q.rc, 0);
	settle();
	CU_ASSERT_PTR_NULL(completion(c[1]));
	/* the timeout sends a CANCEL; nothing is delivered yet */
	N.now += 20000;
	lw_site_tick(N.site[0], N.now, &N.out[0]);
	collect(0);
	CU_ASSERT_PTR_NULL(completion(c[1]));
	CU_ASSERT_EQUAL(req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)l0, NULL, &c[2]),
			-EBUSY);
	CU_ASSERT_EQUAL(req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_FORCEUNLOCK, (uint32_t)l0, NULL,
			    &c[3]), l0);
	CU_ASSERT_EQUAL(req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_FORCEUNLOCK, (uint32_t)l0, NULL,
			    &c[4]), -EBUSY);
	CU_ASSERT_PTR_NULL(completion(c[3]));
	CU_ASSERT_EQUAL(lw_site_check(N.site[0]), 0);
	settle();
	EXPECT_STATUS(c[1], -ETIMEDOUT, LW_LOCK_IV);
	EXPECT_STATUS(c[3], LW_EUNLOCK, LW_LOCK_IV);
	CU_ASSERT_EQUAL(ncomplete(c[1]) + ncomplete(c[3]), 2);
	CU_ASSERT_EQUAL(req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_FORCEUNLOCK, (uint32_t)l0, NULL,
			    &c[5]), -ENOENT);
	req(2, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l2, NULL, &c[6]);
	settle();
	net_fini(NSITES);
}

/*
 * Site 0 holds CR for locks a and b; a's CR->PW is queued at site 1
 * behind site 1's PR; site 2's CR->EX then queues too and site 0 owes NL.
 * b asks CR->CW at the head: site 0 takes a's request back and asks CW,
 * which deadlocks with site 2's conversion (b ends -EDEADLK). a, still
 * converting and keeping the downgrade from happening, must be asked again
 * (and is answered), not left waiting for ever.
 */
static void
test_head_conversion_after_deadlock(void)
{
	const char *r;
	uint64_t c[12];
	int lp, la, lb, lc;

	net_init(NSITES);
	r = name_mastered_by(1);
	lp = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	la = req(0, LW_REQ_LOCK, r, LW_LOCK_CR, 0, 0, NULL, &c[1]);
	settle();
	lb = req(0, LW_REQ_LOCK, r, LW_LOCK_CR, 0, 0, NULL, &c[2]);
	lc = req(2, LW_REQ_LOCK, r, LW_LOCK_CR, 0, 0, NULL, &c[3]);
	settle();
	for (int i = 0; i < 4; i++)
		EXPECT_STATUS(c[i], 0, i == 0 ? LW_LOCK_PR : LW_LOCK_CR);
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_PW, LW_LKF_CONVERT, (uint32_t)la, NULL, &c[4]);
	settle();
	CU_ASSERT_PTR_NULL(completion(c[4]));           /* waits for site 1's PR */
	req(2, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)lc, NULL, &c[5]);
	settle();
	CU_ASSERT_PTR_NULL(completion(c[5]));
	CU_ASSERT(blocking_of((uint32_t)lb) >= 1);      /* site 0 owes NL */
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_CW, LW_LKF_CONVERT | LW_LKF_HEADQUE, (uint32_t)lb,
	    NULL, &c[6]);
	settle();
	EXPECT_STATUS(c[6], -EDEADLK, LW_LOCK_CR);
	/* a's conversion was asked again and answered */
	CU_ASSERT_PTR_NOT_NULL(completion(c[4]));
	/* and everything ends once the holders let go */
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lb, NULL, &c[7]);
	if (completion(c[4]) != NULL && completion(c[4])->status != 0)
		req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)la, NULL, &c[8]);
	req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lp, NULL, &c[9]);
	settle();
	EXPECT_STATUS(c[9], LW_EUNLOCK, LW_LOCK_IV);
	for (int i = 0; i < NSITES; i++)
		CU_ASSERT_EQUAL(lw_site_check(N.site[i]), 0);
	net_fini(NSITES);
}

/*
 * Node 3 masters r and wrote its value last, then is lost; no survivor
 * held or cached r, so no REPORT rebuilds it at node 1. r's value there is
 * not valid until a writer writes one.
 */
static void
test_lost_master_unreported_lvb(void)
{
	const char *r;
	uint8_t v[LW_LVB_LEN] = "node-3", w[LW_LVB_LEN] = "node-2";
	const struct lw_event *ev;
	uint64_t c[8], fence;
	int l2, l1;

	memset(dead, 0, sizeof(dead));
	net_init(NSITES);
	r = name_mastered_by(2);
	l2 = req(2, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	settle();
	EXPECT_STATUS(c[0], 0, LW_LOCK_EX);
	req(2, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)l2, v, &c[1]);
	settle();
	fence = N.now + 1000000;
	view_without(3, fence);
	tick_live(fence);
	/* a reader at node 2: the value was lost with node 3 */
	l1 = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[2]);
	settle_live();
	EXPECT_STATUS(c[2], 0, LW_LOCK_PR);
	ev = completion(c[2]);
	CU_ASSERT(ev->sbflags & LW_SBF_VALNOTVALID);
	/* a writer makes it valid again */
	req(1, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT | LW_LKF_VALBLK, (uint32_t)l1, NULL,
	    &c[3]);
	settle_live();
	EXPECT_STATUS(c[3], 0, LW_LOCK_EX);
	req(1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)l1, w, &c[4]);
	settle_live();
	req(0, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[5]);
	settle_live();
	EXPECT_STATUS(c[5], 0, LW_LOCK_PR);
	ev = completion(c[5]);
	CU_ASSERT_FALSE(ev->sbflags & LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, w, sizeof(w)), 0);
	/* a resource no one ever wrote, in a bucket that never moved: valid */
	req(0, LW_REQ_LOCK, name_mastered_by(1), LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[6]);
	settle_live();
	EXPECT_STATUS(c[6], 0, LW_LOCK_PR);
	CU_ASSERT_FALSE(completion(c[6])->sbflags & LW_SBF_VALNOTVALID);
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(lw_site_check(N.site[i]), 0);
	free_sites();
}

/*
 * Node 3 masters r and wrote it twice (its copy is at version 2), is lost
 * and comes back after fencing itself; r's bucket stays at node 1, where
 * r starts again (version 0) and node 2 writes it (version 1). Node 3's
 * reader gets node 2's value, not its own older copy that looks newer.
 */
static void
test_fenced_copy_is_not_newer(void)
{
	const char *r;
	uint8_t v[LW_LVB_LEN] = "old", w[LW_LVB_LEN] = "new";
	const struct lw_event *ev;
	uint64_t c[12], fence;
	int l, l1;

	memset(dead, 0, sizeof(dead));
	net_init(NSITES);
	r = name_mastered_by(2);
	for (int k = 0; k < 2; k++) {
		/* write, then a refused NOQUEUE request makes node 3 give EX back */
		l = req(2, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[0]);
		settle();
		EXPECT_STATUS(c[0], 0, LW_LOCK_EX);
		req(2, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)l, v, &c[1]);
		req(1, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST, 0, NULL,
		    &c[2]);
		settle();
		EXPECT_STATUS(c[2], -EAGAIN, LW_LOCK_IV);
		CU_ASSERT_EQUAL(lw_site_held(N.site[2], N.lsid[2], r, strlen(r)), LW_LOCK_IV);
	}
	fence = N.now + 1000000;
	view_without(3, fence);
	tick_live(fence);
	lw_site_fence(N.site[2], N.now, &N.out[2]);
	collect(2);
	view_at(3, 3, 0, fence);
	tick_live(N.now + 1000);
	l1 = req(1, LW_REQ_LOCK, r, LW_LOCK_EX, LW_LKF_VALBLK, 0, NULL, &c[3]);
	settle_live();
	EXPECT_STATUS(c[3], 0, LW_LOCK_EX);
	CU_ASSERT(completion(c[3])->sbflags & LW_SBF_VALNOTVALID);
	req(1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)l1, w, &c[4]);
	req(2, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[5]);
	settle_live();
	EXPECT_STATUS(c[5], 0, LW_LOCK_PR);
	ev = completion(c[5]);
	CU_ASSERT_FALSE(ev->sbflags & LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, w, sizeof(w)), 0);
	net_fini(NSITES);
	memset(dead, 0, sizeof(dead));
}

/*
 * Every site starts fenced (a daemon grants nothing before its first view)
 * and takes the first view with every node in it: nothing was ever lost,
 * so a new resource's LVB is valid. A site fenced out of a running view
 * and taken back does count its buckets' values as possibly lost.
 */
static void
test_born_fenced_lvb_valid(void)
{
	uint64_t c[4];

	memset(dead, 0, sizeof(dead));
	net_init(NSITES);
	for (int i = 0; i < NSITES; i++) {
		lw_site_fence(N.site[i], N.now, &N.out[i]);
		collect(i);
	}
	view_at(2, 0, 0, 0);
	settle();
	for (int k = 1; k <= NSITES; k++) {
		req(k - 1, LW_REQ_LOCK, name_mastered_by(k - 1), LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL,
		    &c[k - 1]);
		settle();
		EXPECT_STATUS(c[k - 1], 0, LW_LOCK_PR);
		CU_ASSERT_FALSE(completion(c[k - 1])->sbflags & LW_SBF_VALNOTVALID);
	}
	/* node 1 (site 0) fenced out, then back: what it masters may have lost values */
	lw_site_fence(N.site[0], N.now, &N.out[0]);
	collect(0);
	view_at(3, 0, 0, 0);
	settle();
	req(1, LW_REQ_LOCK, name_mastered_by(0), LW_LOCK_CR, LW_LKF_VALBLK, 0, NULL, &c[3]);
	settle();
	EXPECT_STATUS(c[3], 0, LW_LOCK_CR);
	CU_ASSERT(completion(c[3])->sbflags & LW_SBF_VALNOTVALID);
	for (int i = 0; i < NSITES; i++)
		CU_ASSERT_EQUAL(lw_site_check(N.site[i]), 0);
	net_fini(NSITES);
	memset(dead, 0, sizeof(dead));
}

/* What node 2, the last writer of r, did before it was lost too. */
enum last_write {
	GAVE_BACK,      /* wrote, unlocked, gave PW back: the DOWNGRADE waits, frozen */
	CACHED,         /* wrote, unlocked, still caches PW: nothing sent */
	HOLDING,        /* still holds its PW lock: nothing written */
};

static struct lw_res_info info;

/*
 * Node 3 masters r; node 2 holds PW on it. Node 3 is lost: r's bucket goes
 * to node 1, frozen until `fence`, where node 2's REPORT rebuilds its PW.
 * Node 2 then does `how` and is lost as well, before the bucket resumes.
 * After the resume a reader at node 1 gets the value node 2 wrote when
 * the DOWNGRADE carrying it reached node 1 (GAVE_BACK), and a value not
 * valid when node 2's writes were lost with it (CACHED, HOLDING).
 * Returns the reader's COMPLETE.
 */
static const struct lw_event *
lost_writer(enum last_write how, const uint8_t *v)
{
	char r[16], a[16], b[16];
	struct lw_rec_info ri;
	struct lw_site_stats st;
	uint64_t c[8], fence;
	uint64_t tx0;
	int l;

	memset(dead, 0, sizeof(dead));
	net_max_res = 2;                /* node 2's third resource evicts an idle one */
	net_init(NSITES);
	net_max_res = 256;
	snprintf(r, sizeof(r), "%s", name_mastered_by(2));
	name_at(1, 0, a, sizeof(a));
	name_at(1, 1, b, sizeof(b));
	l = req(1, LW_REQ_LOCK, r, LW_LOCK_PW, LW_LKF_VALBLK, 0, NULL, &c[0]);
	settle();
	EXPECT_STATUS(c[0], 0, LW_LOCK_PW);
	CU_ASSERT_FALSE(completion(c[0])->sbflags & LW_SBF_VALNOTVALID);

	fence = N.now + 10000000;
	view_lost(2, 3, fence);
	/* node 1 froze r's bucket and rebuilt node 2's PW from its REPORT */
	lw_site_rec_info(N.site[0], &ri);
	CU_ASSERT_EQUAL(ri.phase, LW_REC_FENCE);
	CU_ASSERT(ri.frozen_buckets > 0);
	CU_ASSERT_EQUAL(ri.kept_msgs, 0);
	CU_ASSERT_EQUAL_FATAL(lw_site_res_info(N.site[0], N.lsid[0], r, strlen(r), &info), 0);
	CU_ASSERT(info.where & LW_RES_MASTER);
	CU_ASSERT_EQUAL_FATAL(info.nholders_listed, 1);
	CU_ASSERT_EQUAL(info.holders[0].site, lw_site_self(N.site[1]));
	CU_ASSERT_EQUAL(info.holders[0].grmode, LW_LOCK_PW);

	if (how != HOLDING) {
		req(1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)l, v, &c[1]);
		settle_live();
		EXPECT_STATUS(c[1], LW_EUNLOCK, LW_LOCK_IV);
		CU_ASSERT_EQUAL(lw_site_held(N.site[1], N.lsid[1], r, strlen(r)), LW_LOCK_PW);
	}
	if (how == GAVE_BACK) {
		lw_site_get_stats(N.site[1], &st);
		tx0 = st.tx[LW_MSG_DOWNGRADE];
		/* two locks at node 2's own buckets: the second takes r's record */
		req(1, LW_REQ_LOCK, a, LW_LOCK_EX, 0, 0, NULL, &c[2]);
		settle_live();
		EXPECT_STATUS(c[2], 0, LW_LOCK_EX);
		req(1, LW_REQ_LOCK, b, LW_LOCK_EX, 0, 0, NULL, &c[3]);
		settle_live();
		EXPECT_STATUS(c[3], 0, LW_LOCK_EX);
		CU_ASSERT_EQUAL(lw_site_held(N.site[1], N.lsid[1], r, strlen(r)), LW_LOCK_IV);
		lw_site_get_stats(N.site[1], &st);
		CU_ASSERT_EQUAL(st.tx[LW_MSG_DOWNGRADE], tx0 + 1);
		/* kept at node 1, the bucket still frozen: the holding is still PW */
		lw_site_rec_info(N.site[0], &ri);
		CU_ASSERT_EQUAL(ri.phase, LW_REC_FENCE);
		CU_ASSERT_EQUAL(ri.kept_msgs, 1);
		CU_ASSERT_EQUAL_FATAL(lw_site_res_info(N.site[0], N.lsid[0], r, strlen(r), &info),
				      0);
		CU_ASSERT_EQUAL(info.nholders_listed, 1);
		CU_ASSERT_EQUAL(info.holders[0].grmode, LW_LOCK_PW);
	}

	/* node 2 is lost too: node 1 alone, r's bucket still frozen until fence */
	view_lost(3, 2, fence);
	lw_site_rec_info(N.site[0], &ri);
	CU_ASSERT_EQUAL(ri.epoch, 3);
	CU_ASSERT_EQUAL(ri.phase, LW_REC_FENCE);
	CU_ASSERT_EQUAL(ri.kept_msgs, 0);
	CU_ASSERT_EQUAL_FATAL(lw_site_res_info(N.site[0], N.lsid[0], r, strlen(r), &info), 0);
	if (how == GAVE_BACK) {
		/* the kept DOWNGRADE counted: node 2 holds nothing, its value is r's */
		CU_ASSERT_EQUAL(info.nholders_listed, 0);
		CU_ASSERT(info.m_lvb_valid);
		CU_ASSERT_EQUAL(memcmp(info.m_lvb, v, LW_LVB_LEN), 0);
	} else {
		/* node 2's PW goes at fence time, with its writes */
		CU_ASSERT_EQUAL(info.nholders_listed, 1);
	}
	tick_live(fence);
	tick_live(fence + 1000);
	lw_site_rec_info(N.site[0], &ri);
	CU_ASSERT_EQUAL(ri.phase, LW_REC_STABLE);
	CU_ASSERT_EQUAL(ri.frozen_buckets, 0);
	CU_ASSERT_EQUAL(ri.lvb_invalidated, how == GAVE_BACK ? 0 : 1);

	/* a reader at node 1, the one survivor */
	req(0, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[4]);
	settle_live();
	EXPECT_STATUS(c[4], 0, LW_LOCK_PR);
	CU_ASSERT(completion(c[4])->has_lvb);
	CU_ASSERT_EQUAL(lw_site_check(N.site[0]), 0);
	return completion(c[4]);
}

/*
 * Node 2 wrote r and gave PW back; the DOWNGRADE was kept at node 1 for
 * the frozen bucket when node 2 was lost. It was sent before the loss:
 * the value counts, and the reader gets it, valid.
 */
static void
test_lost_writer_gave_back_value(void)
{
	const uint8_t v[LW_LVB_LEN] = "written by node 2";
	const struct lw_event *ev;

	ev = lost_writer(GAVE_BACK, v);
	CU_ASSERT_FALSE(ev->sbflags & LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, v, LW_LVB_LEN), 0);
	free_sites();
}

/* The value went with node 2 (how it last wrote): the next reader hears it is not valid. */
static void
value_lost(enum last_write how, const char *text)
{
	uint8_t v[LW_LVB_LEN] = { 0 };

	memcpy(v, text, strlen(text));
	CU_ASSERT(lost_writer(how, v)->sbflags & LW_SBF_VALNOTVALID);
	free_sites();
}

/* Node 2 wrote r but still cached PW when it was lost: the value is gone. */
static void
test_lost_writer_cached_value_lost(void)
{
	value_lost(CACHED, "written by node 2");
}

/* Node 2 still held its PW lock when it was lost: it may have written. */
static void
test_lost_writer_holding_value_lost(void)
{
	value_lost(HOLDING, "never written");
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("recover2",
		  "cancel_held_keeps_lkid", test_cancel_held_keeps_lkid,
		  "timeout_held_then_forceunlock", test_timeout_held_then_forceunlock,
		  "head_conversion_after_deadlock", test_head_conversion_after_deadlock,
		  "lost_master_unreported_lvb", test_lost_master_unreported_lvb,
		  "born_fenced_lvb_valid", test_born_fenced_lvb_valid,
		  "fenced_copy_is_not_newer", test_fenced_copy_is_not_newer,
		  "lost_writer_gave_back_value", test_lost_writer_gave_back_value,
		  "lost_writer_cached_value_lost", test_lost_writer_cached_value_lost,
		  "lost_writer_holding_value_lost", test_lost_writer_holding_value_lost,
		  NULL);
	return lwt_run();
}
