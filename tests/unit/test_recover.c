/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_recover.c — views, recovery and leases (engine/recover.c) on a
 * hand-wired network of up to 8 sites (nodes x workers) where a node can
 * die: messages to it vanish, the survivors apply a view built with
 * lw_map_from_owners (a lost node's buckets go to the lowest live node)
 * or lw_map_for_members (buckets at home while their node is a member).
 * Messages can be parked (held back) by a filter to order deliveries.
 * Watched resources: after every delivery and view change, the modes the
 * live sites hold on them must be compatible.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwt.h"
#include "mode.h"
#include "site.h"
#include "site_net.h"

#define RMAX  8
#define RQCAP 8192

static struct {
	struct lw_site *site[RMAX];
	struct lw_site_out out[RMAX];
	uint16_t lsid[RMAX];
	uint32_t sess[RMAX];
	bool dead[RMAX];
	int n, nodes, workers;
	uint16_t ids[RMAX];
	struct lw_map map;
	uint8_t owner[256];
	struct lw_msg q[RQCAP];
	unsigned int head, tail;
	struct lw_msg park[RQCAP];
	unsigned int npark;
	struct lw_event ev[RQCAP];
	uint8_t evsite[RQCAP];          /* the site index an event came from */
	unsigned int nev;
	uint64_t now, cookie;
} R;

/* parked instead of delivered while it returns true */
static bool (*park_if)(const struct lw_msg *m);

static char watch[8][16];
static unsigned int nwatch;

static const char *
r_watch(const char *name)
{
	CU_ASSERT_FATAL(nwatch < 8);
	snprintf(watch[nwatch], sizeof(watch[0]), "%s", name);
	return watch[nwatch++];
}

static void r_check_held(void);

static int
r_idx(uint16_t site)
{
	for (int i = 0; i < R.n; i++)
		if (R.ids[i] == site)
			return i;
	return -1;
}

static void
r_collect(int i)
{
	struct lw_site_out *o = &R.out[i];

	for (uint32_t k = 0; k < o->msg.n; k++) {
		CU_ASSERT_FATAL(R.tail - R.head < RQCAP);
		R.q[R.tail++ % RQCAP] = o->msg.m[k];
	}
	for (uint32_t k = 0; k < o->ev.n && R.nev < RQCAP; k++) {
		R.evsite[R.nev] = (uint8_t)i;
		R.ev[R.nev++] = o->ev.ev[k];
	}
	o->msg.n = 0;
	o->ev.n = 0;
}

static void
r_deliver(const struct lw_msg *m)
{
	int d = r_idx(m->h.dst);

	CU_ASSERT_FATAL(d >= 0);
	if (R.dead[d])
		return;
	R.now += 1000;
	lw_site_receive(R.site[d], m, 1, R.now, &R.out[d]);
	r_collect(d);
	r_check_held();
}

static void
r_settle(void)
{
	while (R.head != R.tail) {
		struct lw_msg m = R.q[R.head++ % RQCAP];

		if (park_if != NULL && park_if(&m)) {
			CU_ASSERT_FATAL(R.npark < RQCAP);
			R.park[R.npark++] = m;
			continue;
		}
		r_deliver(&m);
	}
}

/* Parked messages back, in order, ahead of the queue (sent first: pairs stay in order); settle. */
static void
r_unpark(void)
{
	unsigned int n = R.npark;

	park_if = NULL;
	R.npark = 0;
	CU_ASSERT_FATAL(R.tail - R.head + n <= RQCAP);
	for (unsigned int k = n; k-- > 0;)
		R.q[--R.head % RQCAP] = R.park[k];
	r_settle();
}

static void
r_init(int nodes, int workers)
{
	char name[16];

	memset(&R, 0, sizeof(R));
	park_if = NULL;
	nwatch = 0;
	R.nodes = nodes;
	R.workers = workers;
	for (int nd = 1; nd <= nodes; nd++)
		for (int w = 0; w < workers; w++)
			R.ids[R.n++] = lw_site_id(nd, w);
	for (int nd = 1; nd <= nodes; nd++)
		R.owner[nd] = (uint8_t)nd;
	CU_ASSERT_EQUAL_FATAL(lw_map_static(&R.map, 1, R.ids, R.n), 0);
	for (int i = 0; i < R.n; i++) {
		static unsigned int seq;
		struct lw_site_conf c = {
			.engine = { .name = name, .max_resources = 256, .max_locks = 256,
				    .max_sessions = 8, .max_lockspaces = 4, .socket_id = -1,
				    .worker = lw_site_worker(R.ids[i]) },
			.node = lw_site_node(R.ids[i]),
			.max_master_resources = 256,
		};

		snprintf(name, sizeof(name), "tr%u", seq++);
		R.site[i] = lw_site_create(&c, &R.map);
		CU_ASSERT_PTR_NOT_NULL_FATAL(R.site[i]);
		CU_ASSERT_EQUAL_FATAL(lw_site_out_init(&R.out[i]), 0);
		CU_ASSERT_EQUAL_FATAL(lw_site_ls_open(R.site[i], "ls", 2, &R.lsid[i]), 0);
		CU_ASSERT_EQUAL_FATAL(lw_site_session_open(R.site[i], &R.sess[i]), 0);
	}
	R.now = 1000;
}

/* No two live sites hold incompatible modes on a watched resource. */
static void
r_check_held(void)
{
	for (unsigned int k = 0; k < nwatch; k++) {
		for (int i = 0; i < R.n; i++) {
			int a = R.dead[i] ? LW_LOCK_IV :
				lw_site_held(R.site[i], R.lsid[i], watch[k], strlen(watch[k]));

			for (int j = i + 1; j < R.n && a != LW_LOCK_IV; j++) {
				int b = R.dead[j] ? LW_LOCK_IV :
					lw_site_held(R.site[j], R.lsid[j], watch[k], strlen(watch[k]));

				if (b != LW_LOCK_IV && !lw_mode_compat(a, b)) {
					fprintf(stderr, "%s: site %d holds %s, site %d %s\n", watch[k],
						i, lw_mode_name(a), j, lw_mode_name(b));
					CU_FAIL("incompatible modes held");
				}
			}
		}
	}
}

static void
r_check_all(void)
{
	for (int i = 0; i < R.n; i++)
		CU_ASSERT_EQUAL(lw_site_check(R.site[i]), 0);
}

static void
r_fini(void)
{
	r_check_all();
	for (int i = 0; i < R.n; i++) {
		lw_site_free(R.site[i]);
		lw_site_out_fini(&R.out[i]);
	}
}

/* A resource name whose master in the current map is site index m (k-th such name). */
static const char *
r_name(int m, unsigned int k)
{
	static char buf[4][16];
	static int slot;
	uint32_t gid = lw_ls_gid("ls", 2);
	char *b = buf[slot++ % 4];

	for (unsigned int i = 0;; i++) {
		snprintf(b, 16, "res%u", i);
		if (R.map.bucket[lw_bucket_of(lw_res_hash(gid, b, strlen(b)))] == R.ids[m] &&
		    k-- == 0)
			return b;
	}
}

static int
r_req(int i, int op, const char *name, int mode, uint32_t flags, uint32_t lkid,
      const uint8_t *lvb, uint64_t *cookie)
{
	struct lw_req r;

	req_fill(&r, op, name, mode, flags, lkid, lvb);
	r.lsid = R.lsid[i];
	r.session = R.sess[i];
	r.cookie = ++R.cookie;
	R.now += 1000;
	lw_site_submit(R.site[i], &r, 1, R.now, &R.out[i]);
	r_collect(i);
	if (cookie != NULL)
		*cookie = r.cookie;
	return r.rc == 0 ? (int)r.lkid : r.rc;
}

static const struct lw_event *
r_done(uint64_t cookie)
{
	for (unsigned int k = 0; k < R.nev; k++)
		if (R.ev[k].type == LW_EV_COMPLETE && R.ev[k].cookie == cookie)
			return &R.ev[k];
	return NULL;
}

/* Lock ids are per site: events are told apart by the site that emitted them. */
static int
r_ncomplete(int i, uint32_t lkid, int status)
{
	int n = 0;

	for (unsigned int k = 0; k < R.nev; k++)
		n += R.evsite[k] == i && R.ev[k].type == LW_EV_COMPLETE && R.ev[k].lkid == lkid &&
		     R.ev[k].status == status;
	return n;
}

static int
r_nblocking(int i, uint32_t lkid)
{
	int n = 0;

	for (unsigned int k = 0; k < R.nev; k++)
		n += R.evsite[k] == i && R.ev[k].type == LW_EV_BLOCKING && R.ev[k].lkid == lkid;
	return n;
}

#define EXPECT_DONE(c, st, md) do {                                       \
		const struct lw_event *ev_ = r_done(c);                   \
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev_);                        \
		CU_ASSERT_EQUAL(ev_->status, (st));                       \
		CU_ASSERT_EQUAL(ev_->mode, (md));                         \
	} while (0)

static void
r_kill(int node)
{
	for (int i = 0; i < R.n; i++)
		if ((int)lw_site_node(R.ids[i]) == node)
			R.dead[i] = true;
}

static bool
r_node_dead(unsigned int node)
{
	for (int i = 0; i < R.n; i++)
		if (lw_site_node(R.ids[i]) == node && !R.dead[i])
			return false;
	return true;
}

/*
 * The next view: dead nodes' buckets go to their owner if it lives, else
 * to the lowest live node. lost: the nodes that died since the last view.
 */
static void
r_make_view(struct lw_map *m, uint64_t members[4])
{
	unsigned int low = 0;

	memset(members, 0, 4 * sizeof(uint64_t));
	for (int nd = R.nodes; nd >= 1; nd--)
		if (!r_node_dead(nd)) {
			low = nd;
			members[nd / 64] |= 1ull << (nd % 64);
		}
	for (int nd = 1; nd <= R.nodes; nd++)
		if (r_node_dead(R.owner[nd]))
			R.owner[nd] = (uint8_t)low;
	CU_ASSERT_EQUAL_FATAL(lw_map_from_owners(m, R.map.epoch + 1, R.ids, R.n, R.owner, members),
			      0);
}

/* Apply the next view at the live sites in `only` (bit = index; 0: all). */
static void
r_view_at(const struct lw_map *m, uint64_t lost_nodes, uint64_t fence_until, unsigned int only)
{
	struct lw_view_change vc = { .map = m, .fence_until = fence_until };

	vc.lost[0] = lost_nodes;
	for (int i = 0; i < R.n; i++) {
		if (R.dead[i] || (only != 0 && !(only & (1u << i))))
			continue;
		R.now += 1000;
		CU_ASSERT_EQUAL(lw_site_view_change(R.site[i], &vc, R.now, &R.out[i]), 0);
		r_collect(i);
		r_check_held();
	}
}

static void
r_view(uint64_t lost_nodes, uint64_t fence_until)
{
	uint64_t members[4];

	r_make_view(&R.map, members);
	r_view_at(&R.map, lost_nodes, fence_until, 0);
}

static void
r_tick_all(uint64_t now)
{
	R.now = now;
	for (int i = 0; i < R.n; i++) {
		if (R.dead[i])
			continue;
		lw_site_tick(R.site[i], now, &R.out[i]);
		r_collect(i);
	}
	r_settle();
}

static struct lw_rec_info
r_info(int i)
{
	struct lw_rec_info ri;

	lw_site_rec_info(R.site[i], &ri);
	return ri;
}

/* --- lw_map_from_owners ------------------------------------------------------------- */

static void
test_map_from_owners(void)
{
	uint16_t all[6], shuffled[6];
	uint8_t owner[256] = { 0 };
	uint64_t members[4] = { 0 };
	struct lw_map st, m, m2;
	int n = 0;

	for (int nd = 1; nd <= 3; nd++)
		for (int w = 0; w < 2; w++)
			all[n++] = lw_site_id(nd, w);
	for (int i = 0; i < 6; i++)
		shuffled[i] = all[(i * 5 + 3) % 6];
	for (int nd = 1; nd <= 3; nd++) {
		owner[nd] = (uint8_t)nd;
		members[0] |= 1ull << nd;
	}
	/* Everyone owns itself: the static map. */
	CU_ASSERT_EQUAL_FATAL(lw_map_static(&st, 7, all, 6), 0);
	CU_ASSERT_EQUAL_FATAL(lw_map_from_owners(&m, 7, shuffled, 6, owner, members), 0);
	CU_ASSERT_EQUAL(m.epoch, 7);
	CU_ASSERT_EQUAL(m.nsites, 6);
	CU_ASSERT_EQUAL(memcmp(m.bucket, st.bucket, sizeof(st.bucket)), 0);
	CU_ASSERT_EQUAL(memcmp(m.sites, st.sites, sizeof(st.sites)), 0);
	/* Node 3 gone, owned by node 1: its buckets go to node 1's same worker. */
	owner[3] = 1;
	members[0] &= ~(1ull << 3);
	CU_ASSERT_EQUAL_FATAL(lw_map_from_owners(&m, 8, all, 6, owner, members), 0);
	CU_ASSERT_EQUAL_FATAL(lw_map_from_owners(&m2, 8, shuffled, 6, owner, members), 0);
	CU_ASSERT_EQUAL(memcmp(&m, &m2, sizeof(m)), 0);     /* order of sites does not matter */
	CU_ASSERT_EQUAL(m.nsites, 4);
	for (unsigned int i = 0; i < m.nsites; i++)
		CU_ASSERT_NOT_EQUAL(lw_site_node(m.sites[i]), 3);
	for (uint32_t b = 0; b < LW_BUCKETS; b++) {
		uint16_t home = st.bucket[b];

		uint16_t want = lw_site_node(home) == 3 ? lw_site_id(1, lw_site_worker(home)) : home;

		CU_ASSERT_EQUAL(m.bucket[b], want);
	}
	/* An owner node with one worker takes both workers' buckets. */
	{
		uint16_t five[5] = { lw_site_id(1, 0), lw_site_id(2, 0), lw_site_id(2, 1),
				     lw_site_id(3, 0), lw_site_id(3, 1) };

		CU_ASSERT_EQUAL_FATAL(lw_map_static(&st, 1, five, 5), 0);
		CU_ASSERT_EQUAL_FATAL(lw_map_from_owners(&m, 2, five, 5, owner, members), 0);
		for (uint32_t b = 0; b < LW_BUCKETS; b++)
			if (lw_site_node(st.bucket[b]) == 3)
				CU_ASSERT_EQUAL(m.bucket[b], lw_site_id(1, 0));
	}
	/* Errors. */
	owner[3] = 2;
	members[0] &= ~(1ull << 2);        /* owner 2 is not a member */
	CU_ASSERT_EQUAL(lw_map_from_owners(&m, 9, all, 6, owner, members), -EINVAL);
	members[0] |= 1ull << 2;
	members[0] |= 1ull << 4;           /* member 4 has no configured site */
	CU_ASSERT_EQUAL(lw_map_from_owners(&m, 9, all, 6, owner, members), -EINVAL);
	members[0] &= ~(1ull << 4);
	owner[3] = 0;                      /* nobody owns node 3 */
	CU_ASSERT_EQUAL(lw_map_from_owners(&m, 9, all, 6, owner, members), -EINVAL);
	owner[3] = 2;
	CU_ASSERT_EQUAL(lw_map_from_owners(&m, 9, all, 6, owner, members), 0);
	shuffled[0] = shuffled[1];         /* a site twice */
	CU_ASSERT_EQUAL(lw_map_from_owners(&m, 9, shuffled, 6, owner, members), -EINVAL);
	CU_ASSERT_EQUAL(lw_map_from_owners(NULL, 9, all, 6, owner, members), -EINVAL);
	CU_ASSERT_EQUAL(lw_map_from_owners(&m, 9, all, 0, owner, members), -EINVAL);
}

/* --- a node dies -------------------------------------------------------------------- */

/*
 * Node 3 (site index s3) dies holding EX on a (mastered by site 0) and PR
 * on b (mastered by site 1, which site 0 also holds PR on), while its
 * master side holds site 1's request for c (site 0 holds PR on c) and site
 * 0's cancelled request for d. Site 0 waits for a (blocked by node 3's EX).
 */
static void
lost_node_scenario(int w)
{
	int s0 = 0, s1 = w, s3 = 2 * w;         /* node 1, node 2, node 3 (worker 0) */
	uint64_t c[16], fence;
	struct lw_site_stats st;
	struct lw_rec_info ri;
	const char *a, *b, *cc, *d;
	int la3, lb3, lb0, lc0, lc1, la0, ld0, ld1, lx;
	uint8_t v[LW_LVB_LEN] = "b-value";
	const struct lw_event *ev;

	a = r_name(s0, 0);
	b = r_name(s1, 0);
	cc = r_name(s3, 0);
	d = r_name(s3, 1);
	la3 = r_req(s3, LW_REQ_LOCK, a, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	/* b: site 1 writes a value, then both site 0 and node 3 read it (PR) */
	lx = r_req(s1, LW_REQ_LOCK, b, LW_LOCK_EX, 0, 0, NULL, &c[1]);
	r_settle();
	r_req(s1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)lx, v, &c[1]);
	lb3 = r_req(s3, LW_REQ_LOCK, b, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[2]);
	lb0 = r_req(s0, LW_REQ_LOCK, b, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[3]);
	lc0 = r_req(s0, LW_REQ_LOCK, cc, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[4]);
	ld1 = r_req(s1, LW_REQ_LOCK, d, LW_LOCK_EX, 0, 0, NULL, &c[5]);
	r_settle();
	EXPECT_DONE(c[0], 0, LW_LOCK_EX);
	EXPECT_DONE(c[2], 0, LW_LOCK_PR);
	EXPECT_DONE(c[3], 0, LW_LOCK_PR);
	EXPECT_DONE(c[4], 0, LW_LOCK_PR);
	EXPECT_DONE(c[5], 0, LW_LOCK_EX);
	lc1 = r_req(s1, LW_REQ_LOCK, cc, LW_LOCK_EX, 0, 0, NULL, &c[6]);   /* queued at node 3 */
	la0 = r_req(s0, LW_REQ_LOCK, a, LW_LOCK_EX, LW_LKF_VALBLK, 0, NULL, &c[7]); /* behind node 3 */
	ld0 = r_req(s0, LW_REQ_LOCK, d, LW_LOCK_PR, 0, 0, NULL, &c[8]);    /* queued at node 3 */
	r_settle();
	CU_ASSERT_PTR_NULL(r_done(c[6]));
	CU_ASSERT_PTR_NULL(r_done(c[7]));
	CU_ASSERT_PTR_NULL(r_done(c[8]));
	CU_ASSERT(lb3 > 0 && lc1 > 0 && la0 > 0 && ld0 > 0);
	/* site 0 cancels d: the CANCEL goes to node 3, which dies before it arrives */
	CU_ASSERT_EQUAL(r_req(s0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)ld0, NULL, &c[9]),
			ld0);
	CU_ASSERT_PTR_NULL(r_done(c[8]));       /* held until the master answers */
	r_kill(3);
	r_settle();
	CU_ASSERT_PTR_NULL(r_done(c[8]));

	fence = R.now + 50000000;
	r_view(1ull << 3, fence);
	EXPECT_DONE(c[8], LW_ECANCEL, LW_LOCK_IV); /* the cancel completed with the view */
	r_settle();
	lw_site_get_stats(R.site[s1], &st);
	ri = r_info(s1);
	CU_ASSERT(ri.resends >= 1);                 /* c asked again of its new master */
	CU_ASSERT_EQUAL(ri.epoch, 2);
	CU_ASSERT_EQUAL(ri.views, 1);
	/* Before fence_until: nothing of node 3's is granted to anyone. */
	CU_ASSERT_PTR_NULL(r_done(c[6]));
	CU_ASSERT_PTR_NULL(r_done(c[7]));
	ri = r_info(s0);
	CU_ASSERT_EQUAL(ri.phase, LW_REC_FENCE);
	CU_ASSERT(ri.frozen_buckets > 0);       /* node 3's buckets with worker 0 came here */
	CU_ASSERT_EQUAL(ri.done_missing, 0);
	CU_ASSERT(ri.kept_msgs >= 1);           /* site 1's REQUEST for c */
	CU_ASSERT(ri.reports_rx >= 1);
	CU_ASSERT_EQUAL(lw_site_next_deadline(R.site[s0]), fence);
	r_tick_all(fence - 1);
	CU_ASSERT_PTR_NULL(r_done(c[6]));
	CU_ASSERT_PTR_NULL(r_done(c[7]));
	r_check_all();
	/* At fence_until: node 3's EX on a goes, site 0 gets a; c resumes. */
	r_tick_all(fence);
	EXPECT_DONE(c[7], 0, LW_LOCK_EX);
	ev = r_done(c[7]);
	CU_ASSERT(ev->sbflags & LW_SBF_VALNOTVALID);   /* node 3 held EX: its writes are lost */
	ri = r_info(s0);
	CU_ASSERT_EQUAL(ri.phase, LW_REC_STABLE);
	CU_ASSERT_EQUAL(ri.frozen_buckets, 0);
	CU_ASSERT_EQUAL(ri.kept_msgs, 0);
	CU_ASSERT(ri.purged >= 1);
	CU_ASSERT(ri.lvb_invalidated >= 1);
	CU_ASSERT_EQUAL(ri.last_resume_ns, fence);
	for (int i = 0; i < R.n; i++)
		if (!R.dead[i])
			CU_ASSERT_EQUAL(r_info(i).unsettled_buckets, 0);
	/* c: site 1's request waits for site 0's PR (reported, so known) */
	CU_ASSERT_PTR_NULL(r_done(c[6]));
	r_req(s0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lc0, NULL, &c[10]);
	r_settle();
	EXPECT_DONE(c[6], 0, LW_LOCK_EX);
	/* b stayed at site 1: site 0's PR and value stay; node 3's PR went */
	r_req(s0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lb0, NULL, &c[11]);
	r_req(s1, LW_REQ_LOCK, b, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[12]);
	r_settle();
	EXPECT_DONE(c[12], 0, LW_LOCK_PR);
	ev = r_done(c[12]);
	CU_ASSERT(ev->has_lvb);
	CU_ASSERT_FALSE(ev->sbflags & LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, v, sizeof(v)), 0);
	/* d (moved): site 1 still holds EX there; no second COMPLETE for the cancel */
	CU_ASSERT_EQUAL(r_ncomplete(s0, (uint32_t)ld0, LW_ECANCEL), 1);
	CU_ASSERT_EQUAL(lw_site_held(R.site[s1], R.lsid[s1], d, strlen(d)), LW_LOCK_EX);
	r_req(s1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)ld1, NULL, &c[13]);
	r_req(s0, LW_REQ_LOCK, d, LW_LOCK_PR, 0, 0, NULL, &c[14]);
	r_settle();
	EXPECT_DONE(c[14], 0, LW_LOCK_PR);
	lw_site_get_stats(R.site[s0], &st);
	CU_ASSERT_EQUAL(st.drops_bad, 0);
	(void)la3;
	r_check_all();
}

static void
test_lost_node(void)
{
	r_init(3, 1);
	lost_node_scenario(1);
	r_fini();
}

static void
test_lost_node_two_workers(void)
{
	r_init(3, 2);
	lost_node_scenario(2);
	/* the other workers saw the view too and settled */
	for (int i = 0; i < R.n; i++)
		if (!R.dead[i]) {
			CU_ASSERT_EQUAL(r_info(i).epoch, 2);
			CU_ASSERT_EQUAL(r_info(i).phase, LW_REC_STABLE);
		}
	r_fini();
}

/* --- the LVB of a moved resource ---------------------------------------------------- */

static void
test_moved_lvb(void)
{
	uint8_t v[LW_LVB_LEN] = "moved";
	uint64_t c[10];
	const char *p, *q;
	const struct lw_event *ev;
	int lk, lp1, lq1;

	r_init(3, 1);
	p = r_name(2, 0);
	q = r_name(2, 1);
	/* p: site 0 writes, site 1 reads (PR, kept) */
	lk = r_req(0, LW_REQ_LOCK, p, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	r_settle();
	r_req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)lk, v, &c[1]);
	lp1 = r_req(1, LW_REQ_LOCK, p, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[2]);
	/* q: site 0 writes, site 1 reads in CR only (no reporter can vouch for the value) */
	lk = r_req(0, LW_REQ_LOCK, q, LW_LOCK_EX, 0, 0, NULL, &c[3]);
	r_settle();
	r_req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)lk, v, &c[4]);
	lq1 = r_req(1, LW_REQ_LOCK, q, LW_LOCK_CR, LW_LKF_VALBLK, 0, NULL, &c[5]);
	r_settle();
	EXPECT_DONE(c[2], 0, LW_LOCK_PR);
	ev = r_done(c[2]);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, v, sizeof(v)), 0);
	EXPECT_DONE(c[5], 0, LW_LOCK_CR);
	ev = r_done(c[5]);
	CU_ASSERT_FALSE(ev->sbflags & LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, v, sizeof(v)), 0);
	/* site 0 gave its EX back on both (BASTs) */
	CU_ASSERT_EQUAL(lw_site_held(R.site[0], R.lsid[0], p, strlen(p)), LW_LOCK_IV);
	CU_ASSERT_EQUAL(lw_site_held(R.site[0], R.lsid[0], q, strlen(q)), LW_LOCK_IV);
	CU_ASSERT_EQUAL(lw_site_held(R.site[1], R.lsid[1], q, strlen(q)), LW_LOCK_CR);
	r_kill(3);
	r_view(1ull << 3, R.now);               /* leases already out */
	r_settle();
	CU_ASSERT_EQUAL(r_info(0).phase, LW_REC_STABLE);
	/* p: site 1's PR vouches for the value */
	r_req(0, LW_REQ_LOCK, p, LW_LOCK_CR, LW_LKF_VALBLK, 0, NULL, &c[8]);
	r_settle();
	EXPECT_DONE(c[8], 0, LW_LOCK_CR);
	ev = r_done(c[8]);
	CU_ASSERT_FALSE(ev->sbflags & LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, v, sizeof(v)), 0);
	/* q: only a CR holder reported: not valid */
	r_req(0, LW_REQ_LOCK, q, LW_LOCK_CR, LW_LKF_VALBLK, 0, NULL, &c[9]);
	r_settle();
	EXPECT_DONE(c[9], 0, LW_LOCK_CR);
	CU_ASSERT(r_done(c[9])->sbflags & LW_SBF_VALNOTVALID);
	(void)lp1;
	(void)lq1;
	r_fini();
}

/* --- a frozen bucket waits for every REPORT_DONE ------------------------------------ */

static uint16_t park_src;

static bool
park_done_from(const struct lw_msg *m)
{
	return m->h.type == LW_MSG_REPORT_DONE && m->h.src == park_src;
}

static void
test_frozen_keeps_request(void)
{
	struct lw_rec_info ri;
	uint64_t c[4];
	const char *x;
	int l1;

	r_init(3, 1);
	x = r_name(2, 0);                       /* moves to site 0 */
	l1 = r_req(1, LW_REQ_LOCK, x, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	r_settle();
	EXPECT_DONE(c[0], 0, LW_LOCK_PR);
	r_kill(3);
	park_src = R.ids[1];
	park_if = park_done_from;               /* site 1's REPORT_DONE is late */
	r_view(1ull << 3, R.now);
	r_req(0, LW_REQ_LOCK, x, LW_LOCK_EX, 0, 0, NULL, &c[1]);
	r_settle();
	ri = r_info(0);
	CU_ASSERT_EQUAL(ri.phase, LW_REC_REBUILD);
	CU_ASSERT_EQUAL(ri.done_missing, 1);
	CU_ASSERT(ri.kept_msgs >= 1);
	CU_ASSERT_EQUAL(r_info(1).unsettled_buckets, r_info(0).frozen_buckets);
	CU_ASSERT_PTR_NULL(r_done(c[1]));
	r_tick_all(R.now + 100000000);
	CU_ASSERT_PTR_NULL(r_done(c[1]));       /* time alone does not resume it */
	CU_ASSERT_EQUAL(r_nblocking(1, (uint32_t)l1), 0);
	r_unpark();
	/* resumed: the kept REQUEST runs, site 1 (PR, reported) is asked to give way */
	CU_ASSERT_EQUAL(r_info(0).phase, LW_REC_STABLE);
	CU_ASSERT_EQUAL(r_info(1).unsettled_buckets, 0);
	CU_ASSERT_EQUAL(r_nblocking(1, (uint32_t)l1), 1);
	CU_ASSERT_PTR_NULL(r_done(c[1]));
	r_req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l1, NULL, &c[2]);
	r_settle();
	EXPECT_DONE(c[1], 0, LW_LOCK_EX);
	r_fini();
}

/* --- a second node dies during recovery --------------------------------------------- */

static bool
park_node3(const struct lw_msg *m)
{
	return lw_site_node(m->h.src) == 3;
}

static void
test_second_view_during_recovery(void)
{
	uint64_t c[8], fence;
	const char *x, *y;
	int lx3, ly1;

	r_init(4, 1);
	x = r_name(3, 0);                       /* node 4's: goes to node 1 */
	y = r_name(2, 0);                       /* node 3's: goes to node 1 in the second view */
	lx3 = r_req(2, LW_REQ_LOCK, x, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	ly1 = r_req(1, LW_REQ_LOCK, y, LW_LOCK_PR, 0, 0, NULL, &c[1]);
	r_settle();
	EXPECT_DONE(c[0], 0, LW_LOCK_EX);
	EXPECT_DONE(c[1], 0, LW_LOCK_PR);
	r_req(0, LW_REQ_LOCK, x, LW_LOCK_PR, 0, 0, NULL, &c[2]);
	r_req(0, LW_REQ_LOCK, y, LW_LOCK_EX, 0, 0, NULL, &c[3]);
	r_settle();
	CU_ASSERT_PTR_NULL(r_done(c[2]));
	CU_ASSERT_EQUAL(r_nblocking(1, (uint32_t)ly1), 1);
	r_kill(4);
	fence = R.now + 10000000;
	park_if = park_node3;                   /* node 3's REPORT and REPORT_DONE never come */
	r_view(1ull << 4, fence);
	r_settle();
	CU_ASSERT_EQUAL(r_info(0).phase, LW_REC_REBUILD);
	r_kill(3);
	R.npark = 0;
	park_if = NULL;
	r_view(1ull << 3, fence + 10000000);
	r_settle();
	CU_ASSERT_EQUAL(r_info(0).epoch, 3);
	CU_ASSERT_EQUAL(r_info(0).phase, LW_REC_FENCE);
	r_tick_all(fence + 5000000);
	CU_ASSERT_PTR_NULL(r_done(c[2]));
	r_tick_all(fence + 10000000);
	/* node 3's EX on x is gone; y: site 1's PR was reported twice, site 0 waits for it */
	EXPECT_DONE(c[2], 0, LW_LOCK_PR);
	CU_ASSERT_PTR_NULL(r_done(c[3]));
	CU_ASSERT_EQUAL(r_nblocking(1, (uint32_t)ly1), 1);     /* told once (node 3 asked first) */
	r_req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)ly1, NULL, &c[4]);
	r_settle();
	EXPECT_DONE(c[3], 0, LW_LOCK_EX);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(r_info(i).phase, LW_REC_STABLE);
		CU_ASSERT_EQUAL(r_info(i).unsettled_buckets, 0);
		CU_ASSERT_EQUAL(r_info(i).views, 2);
	}
	(void)lx3;
	r_fini();
}

/* --- messages of a view not applied yet --------------------------------------------- */

static void
test_newer_epoch_kept(void)
{
	struct lw_site_stats st;
	uint64_t c[4], members[4];
	struct lw_map next;
	const char *x, *z;

	r_init(3, 1);
	x = r_name(2, 0);                       /* moves to site 0 */
	z = r_name(0, 0);                       /* stays at site 0 */
	r_req(1, LW_REQ_LOCK, x, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	r_settle();
	r_kill(3);
	r_make_view(&next, members);
	/* site 1 applies the view first: its REPORT, REPORT_DONE, REQUEST wait at site 0 */
	r_view_at(&next, 1ull << 3, R.now, 1u << 1);
	r_req(1, LW_REQ_LOCK, z, LW_LOCK_EX, 0, 0, NULL, &c[1]);
	r_settle();
	CU_ASSERT_PTR_NULL(r_done(c[1]));
	CU_ASSERT_EQUAL(r_info(0).epoch, 1);
	CU_ASSERT(r_info(0).kept_msgs >= 3);
	lw_site_get_stats(R.site[0], &st);
	CU_ASSERT_EQUAL(st.rx[LW_MSG_REQUEST], 0);
	CU_ASSERT_EQUAL(st.rx[LW_MSG_REPORT], 0);
	CU_ASSERT_EQUAL(st.drops_bad, 0);
	/* site 0 applies it: the kept messages run, in order */
	R.map = next;
	r_view_at(&next, 1ull << 3, R.now, 1u << 0);
	r_settle();
	EXPECT_DONE(c[1], 0, LW_LOCK_EX);
	lw_site_get_stats(R.site[0], &st);
	CU_ASSERT_EQUAL(st.rx[LW_MSG_REPORT], 1);
	CU_ASSERT_EQUAL(st.drops_bad, 0);
	CU_ASSERT_EQUAL(r_info(0).kept_msgs, 0);
	CU_ASSERT_EQUAL(r_info(0).phase, LW_REC_STABLE);
	CU_ASSERT_EQUAL(lw_site_held(R.site[1], R.lsid[1], x, strlen(x)), LW_LOCK_PR);
	/* a message from the lost node, delivered late, is dropped */
	{
		struct lw_msg m;

		memset(&m, 0, sizeof(m));
		m.h.version = LW_PROTO_VERSION;
		m.h.type = LW_MSG_DOWNGRADE;
		m.h.len = sizeof(m);
		m.h.src = R.ids[2];
		m.h.dst = R.ids[0];
		m.h.epoch = 1;
		m.gid = lw_ls_gid("ls", 2);
		m.namelen = (uint8_t)strlen(z);
		memcpy(m.name, z, m.namelen);
		m.mode = LW_LOCK_IV;
		lw_site_receive(R.site[0], &m, 1, R.now, &R.out[0]);
		r_collect(0);
		lw_site_get_stats(R.site[0], &st);
		CU_ASSERT_EQUAL(st.drops_bad, 1);
	}
	r_fini();
}

/* --- leases --------------------------------------------------------------------------- */

static void
test_lease_expiry_fences(void)
{
	struct lw_site_stats st;
	struct lw_rec_info ri;
	uint64_t c[10], lease, members[4];
	const char *a, *b, *e;
	int la, lb, lw, lo, n0;
	unsigned int nev0;

	r_init(3, 1);
	a = r_name(1, 0);
	b = r_name(2, 0);
	e = r_name(0, 0);
	la = r_req(0, LW_REQ_LOCK, a, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	lb = r_req(2, LW_REQ_LOCK, b, LW_LOCK_EX, 0, 0, NULL, &c[1]);
	r_req(1, LW_REQ_LOCK, e, LW_LOCK_PR, 0, 0, NULL, &c[2]);  /* site 0 masters e */
	r_settle();
	lw = r_req(0, LW_REQ_LOCK, b, LW_LOCK_PR, 0, 0, NULL, &c[3]);   /* waits at site 2 */
	lo = r_req(0, LW_REQ_LOCK, a, LW_LOCK_NL, 0, 0, NULL, &c[4]);   /* granted locally */
	r_settle();
	EXPECT_DONE(c[4], 0, LW_LOCK_NL);
	CU_ASSERT_PTR_NULL(r_done(c[3]));
	lease = R.now + 1000000;
	lw_site_set_lease(R.site[0], lease);
	CU_ASSERT_EQUAL(r_info(0).lease_until, lease);
	CU_ASSERT_EQUAL(lw_site_next_deadline(R.site[0]), lease);
	nev0 = R.nev;
	/* the tick at the lease's end fences the site: nothing is sent */
	lw_site_tick(R.site[0], lease, &R.out[0]);
	CU_ASSERT_EQUAL(R.out[0].msg.n, 0);
	r_collect(0);
	CU_ASSERT_EQUAL(r_ncomplete(0, (uint32_t)la, -ENOLCK), 1);
	CU_ASSERT_EQUAL(r_ncomplete(0, (uint32_t)lw, -ENOLCK), 1);
	CU_ASSERT_EQUAL(r_ncomplete(0, (uint32_t)lo, -ENOLCK), 1);
	CU_ASSERT_EQUAL(R.nev - nev0, 3);
	ri = r_info(0);
	CU_ASSERT_EQUAL(ri.phase, LW_REC_FENCED);
	CU_ASSERT_EQUAL(ri.fenced, 1);
	CU_ASSERT_EQUAL(ri.revoked, 3);
	CU_ASSERT_EQUAL(lw_site_held(R.site[0], R.lsid[0], a, strlen(a)), LW_LOCK_IV);
	CU_ASSERT_EQUAL(lw_site_check(R.site[0]), 0);
	lw_site_get_stats(R.site[0], &st);
	CU_ASSERT_EQUAL(st.master_resources, 0);
	/* later requests are refused; messages are dropped; fencing again changes nothing */
	CU_ASSERT_EQUAL(r_req(0, LW_REQ_LOCK, e, LW_LOCK_PR, 0, 0, NULL, &c[5]), -ENOLCK);
	CU_ASSERT_EQUAL(lw_site_fence(R.site[0], R.now, &R.out[0]), 0);
	r_collect(0);
	CU_ASSERT_EQUAL(R.nev - nev0, 3);
	n0 = (int)R.tail - (int)R.head;
	CU_ASSERT_EQUAL(n0, 0);
	/* the others count node 1 lost; then it rejoins with no buckets */
	r_kill(1);
	r_view(1ull << 1, lease);
	r_settle();
	R.dead[0] = false;
	r_make_view(&R.map, members);
	{
		struct lw_view_change vc = { .map = &R.map, .fence_until = lease };

		for (int i = 0; i < R.n; i++) {
			R.now += 1000;
			CU_ASSERT_EQUAL(lw_site_view_change(R.site[i], &vc, R.now, &R.out[i]), 0);
			r_collect(i);
		}
	}
	r_settle();
	CU_ASSERT_EQUAL(r_info(0).phase, LW_REC_STABLE);
	CU_ASSERT_EQUAL(r_info(0).lease_until, UINT64_MAX);
	CU_ASSERT_EQUAL(r_info(0).epoch, 3);
	/* it works again: b (site 2 still holds EX) then a */
	r_req(2, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lb, NULL, &c[6]);
	r_req(0, LW_REQ_LOCK, b, LW_LOCK_PR, 0, 0, NULL, &c[7]);
	r_req(0, LW_REQ_LOCK, a, LW_LOCK_EX, 0, 0, NULL, &c[8]);
	r_settle();
	EXPECT_DONE(c[7], 0, LW_LOCK_PR);
	EXPECT_DONE(c[8], 0, LW_LOCK_EX);
	/* site 1's PR on e moved with site 0's buckets: site 1 still holds it */
	CU_ASSERT_EQUAL(lw_site_held(R.site[1], R.lsid[1], e, strlen(e)), LW_LOCK_PR);
	r_fini();
}

/* --- bad view changes --------------------------------------------------------------- */

static void
test_bad_view_changes(void)
{
	struct lw_view_change vc = { 0 };
	struct lw_map m;
	uint16_t two[2];

	r_init(3, 1);
	vc.map = &R.map;
	CU_ASSERT_EQUAL(lw_site_view_change(R.site[0], NULL, R.now, &R.out[0]), -EINVAL);
	vc.map = NULL;
	CU_ASSERT_EQUAL(lw_site_view_change(R.site[0], &vc, R.now, &R.out[0]), -EINVAL);
	/* same epoch, older epoch */
	m = R.map;
	vc.map = &m;
	CU_ASSERT_EQUAL(lw_site_view_change(R.site[0], &vc, R.now, &R.out[0]), -ESTALE);
	m.epoch = 0;
	CU_ASSERT_EQUAL(lw_site_view_change(R.site[0], &vc, R.now, &R.out[0]), -ESTALE);
	/* a bucket moved between live sites: taken (at site 2), but not with its own node lost */
	m = R.map;
	m.epoch = 2;
	for (uint32_t b = 0; b < LW_BUCKETS; b++)
		if (m.bucket[b] == R.ids[1])
			m.bucket[b] = R.ids[2];
	vc.lost[0] = 1ull << 1;                 /* node 1: site 0's own */
	CU_ASSERT_EQUAL(lw_site_view_change(R.site[0], &vc, R.now, &R.out[0]), -EINVAL);
	vc.lost[0] = 0;
	CU_ASSERT_EQUAL(lw_site_view_change(R.site[2], &vc, R.now, &R.out[2]), 0);
	CU_ASSERT_EQUAL(r_info(2).epoch, 2);
	CU_ASSERT(r_info(2).frozen_buckets > 0);    /* site 1's buckets, to rebuild */
	/* a bucket given to a site not in the map */
	m = R.map;
	m.epoch = 2;
	m.bucket[5] = lw_site_id(9, 0);
	CU_ASSERT_EQUAL(lw_site_view_change(R.site[0], &vc, R.now, &R.out[0]), -EINVAL);
	/* this site missing */
	two[0] = R.ids[1];
	two[1] = R.ids[2];
	CU_ASSERT_EQUAL_FATAL(lw_map_static(&m, 2, two, 2), 0);
	vc.lost[0] = 1ull << 1;
	CU_ASSERT_EQUAL(lw_site_view_change(R.site[0], &vc, R.now, &R.out[0]), -EINVAL);
	/* nothing changed at site 0 */
	CU_ASSERT_EQUAL(r_info(0).epoch, 1);
	CU_ASSERT_EQUAL(r_info(0).views, 0);
	CU_ASSERT_EQUAL(R.out[0].msg.n, 0);
	CU_ASSERT_STRING_EQUAL(lw_rec_phase_name(LW_REC_STABLE), "stable");
	CU_ASSERT_STRING_EQUAL(lw_rec_phase_name(LW_REC_REBUILD), "rebuild");
	CU_ASSERT_STRING_EQUAL(lw_rec_phase_name(LW_REC_FENCE), "fence");
	CU_ASSERT_STRING_EQUAL(lw_rec_phase_name(LW_REC_FENCED), "fenced");
	CU_ASSERT_STRING_EQUAL(lw_rec_phase_name(9), "?");
	CU_ASSERT_STRING_EQUAL(lw_msg_type_name(LW_MSG_REPORT_DONE), "REPORT_DONE");
	r_collect(2);
	R.head = R.tail;
	r_fini();
}

/* --- lw_map_for_members ------------------------------------------------------------- */

static uint64_t
members_of(const int *nodes, int n)
{
	uint64_t w = 0;

	for (int i = 0; i < n; i++)
		w |= 1ull << nodes[i];
	return w;
}

/* Buckets whose master differs between a and b must have been at `node` in a (or go there in b). */
static void
only_node_moved(const struct lw_map *a, const struct lw_map *b, unsigned int node, bool to)
{
	for (uint32_t k = 0; k < LW_BUCKETS; k++)
		if (a->bucket[k] != b->bucket[k])
			CU_ASSERT_EQUAL(lw_site_node(to ? b->bucket[k] : a->bucket[k]), node);
}

static void
test_map_for_members(void)
{
	static const int n123[] = { 1, 2, 3 }, n13[] = { 1, 3 }, n1234[] = { 1, 2, 3, 4 };
	uint16_t all[8], shuffled[8];
	uint64_t mem[4] = { 0 };
	struct lw_map st, m, m2, m123, m13;
	unsigned int subst = 0, home_back = 0;
	int n = 0;

	for (int nd = 1; nd <= 4; nd++)
		for (int w = 0; w < 2; w++)
			all[n++] = lw_site_id(nd, w);
	for (int i = 0; i < 8; i++)
		shuffled[i] = all[(i * 5 + 3) % 8];
	/* every node a member: the static map, whatever the order of sites */
	mem[0] = members_of(n1234, 4);
	CU_ASSERT_EQUAL_FATAL(lw_map_static(&st, 4, all, 8), 0);
	CU_ASSERT_EQUAL_FATAL(lw_map_for_members(&m, 4, shuffled, 8, mem), 0);
	CU_ASSERT_EQUAL(memcmp(&m, &st, sizeof(m)), 0);
	/* node 4 out: its home buckets spread over the member sites, the rest stay home */
	mem[0] = members_of(n123, 3);
	CU_ASSERT_EQUAL_FATAL(lw_map_for_members(&m123, 5, all, 8, mem), 0);
	CU_ASSERT_EQUAL_FATAL(lw_map_for_members(&m2, 5, shuffled, 8, mem), 0);
	CU_ASSERT_EQUAL(memcmp(&m123, &m2, sizeof(m2)), 0);
	CU_ASSERT_EQUAL(m123.nsites, 6);
	CU_ASSERT_EQUAL(m123.sites[0], lw_site_id(1, 0));
	CU_ASSERT_EQUAL(m123.sites[5], lw_site_id(3, 1));
	only_node_moved(&st, &m123, 4, false);
	for (unsigned int i = 0; i < m123.nsites; i++) {
		unsigned int got = 0;

		for (uint32_t b = 0; b < LW_BUCKETS; b++)
			got += lw_site_node(st.bucket[b]) == 4 && m123.bucket[b] == m123.sites[i];
		CU_ASSERT(got > 0);             /* every member site substitutes for some */
	}
	/* node 2 out too: only what node 2 mastered moves (its home buckets and node 4's it had) */
	mem[0] = members_of(n13, 2);
	CU_ASSERT_EQUAL_FATAL(lw_map_for_members(&m13, 6, all, 8, mem), 0);
	only_node_moved(&m123, &m13, 2, false);
	for (uint32_t b = 0; b < LW_BUCKETS; b++)
		subst += lw_site_node(st.bucket[b]) == 4 && lw_site_node(m123.bucket[b]) == 2;
	CU_ASSERT(subst > 0);
	for (uint32_t b = 0; b < LW_BUCKETS; b++)
		if (lw_site_node(st.bucket[b]) == 4 && lw_site_node(m123.bucket[b]) != 2)
			CU_ASSERT_EQUAL(m13.bucket[b], m123.bucket[b]);
	/* node 2 back: it gets its home buckets back, and only buckets go to node 2 */
	mem[0] = members_of(n123, 3);
	CU_ASSERT_EQUAL_FATAL(lw_map_for_members(&m, 7, all, 8, mem), 0);
	only_node_moved(&m13, &m, 2, true);
	for (uint32_t b = 0; b < LW_BUCKETS; b++)
		if (lw_site_node(st.bucket[b]) == 2) {
			CU_ASSERT_EQUAL(m.bucket[b], st.bucket[b]);
			home_back++;
		}
	CU_ASSERT(home_back > 0);
	m.epoch = m123.epoch;                   /* the same map as before node 2 left */
	CU_ASSERT_EQUAL(memcmp(&m, &m123, sizeof(m)), 0);
	/* errors */
	CU_ASSERT_EQUAL(lw_map_for_members(NULL, 1, all, 8, mem), -EINVAL);
	CU_ASSERT_EQUAL(lw_map_for_members(&m, 1, NULL, 8, mem), -EINVAL);
	CU_ASSERT_EQUAL(lw_map_for_members(&m, 1, all, 8, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_map_for_members(&m, 1, all, 0, mem), -EINVAL);
	mem[0] = 0;                             /* nobody */
	CU_ASSERT_EQUAL(lw_map_for_members(&m, 1, all, 8, mem), -EINVAL);
	mem[0] = 1ull << 5;                     /* a member with no configured site */
	CU_ASSERT_EQUAL(lw_map_for_members(&m, 1, all, 8, mem), -EINVAL);
	mem[0] = 1ull << 1 | 1u;                /* node 0 */
	CU_ASSERT_EQUAL(lw_map_for_members(&m, 1, all, 8, mem), -EINVAL);
	mem[0] = 1ull << 1;
	shuffled[0] = shuffled[1];              /* a site twice */
	CU_ASSERT_EQUAL(lw_map_for_members(&m, 1, shuffled, 8, mem), -EINVAL);
	CU_ASSERT_EQUAL(lw_map_for_members(&m, 1, all, 8, mem), 0);
	CU_ASSERT_EQUAL(m.nsites, 2);
	for (uint32_t b = 0; b < LW_BUCKETS; b++)
		CU_ASSERT_EQUAL(lw_site_node(m.bucket[b]), 1);
}

/* --- views from member sets: buckets move between live sites ----------------------- */

/* The next map, from the live nodes (lw_map_for_members). */
static void
r_members_map(void)
{
	uint64_t members[4] = { 0 };

	for (int nd = 1; nd <= R.nodes; nd++)
		if (!r_node_dead(nd))
			members[0] |= 1ull << nd;
	CU_ASSERT_EQUAL_FATAL(lw_map_for_members(&R.map, R.map.epoch + 1, R.ids, R.n, members), 0);
}

/* Apply R.map at the sites of order (indexes), in that order. */
static void
r_apply_lost(uint64_t lost_nodes, uint64_t fence_until, const int *order, int n)
{
	struct lw_view_change vc = { .map = &R.map, .fence_until = fence_until };

	vc.lost[0] = lost_nodes;
	for (int k = 0; k < n; k++) {
		int i = order[k];

		R.now += 1000;
		CU_ASSERT_EQUAL(lw_site_view_change(R.site[i], &vc, R.now, &R.out[i]), 0);
		r_collect(i);
		r_check_held();
	}
}

#define r_apply(order, n) r_apply_lost(0, 0, order, n)

/* The node restarts: a new incarnation that fenced itself (lw_site_fence) and lives again. */
static void
r_restart(unsigned int node)
{
	for (int i = 0; i < R.n; i++) {
		if (lw_site_node(R.ids[i]) != node)
			continue;
		lw_site_fence(R.site[i], R.now, &R.out[i]);
		r_collect(i);
		R.dead[i] = false;
	}
}

#define r_bucket(name) lw_bucket_of(lw_res_hash(lw_ls_gid("ls", 2), (name), strlen(name)))

static struct lw_res_info rinfo;

/* The master-side holding of site index h on name at site index i (IV: none). */
static int
r_master_holds(int i, const char *name, int h)
{
	if (lw_site_res_info(R.site[i], R.lsid[i], name, strlen(name), &rinfo) < 0 ||
	    !(rinfo.where & LW_RES_MASTER))
		return -2;
	for (unsigned int k = 0; k < rinfo.nholders_listed; k++)
		if (rinfo.holders[k].site == R.ids[h])
			return rinfo.holders[k].grmode;
	return LW_LOCK_IV;
}

/*
 * Node 3 dies; its home buckets go to substitutes, which grant them under
 * load; node 3 restarts and rejoins: its home buckets come back, the
 * holders keep their modes (their reports rebuild them at node 3), waiting
 * requests are granted there, and at no time do two sites hold
 * incompatible modes.
 */
static void
test_rejoin_home_buckets(void)
{
	static const int all3[] = { 0, 1 }, rejoin[] = { 2, 1, 0 };
	uint8_t v[LW_LVB_LEN] = "home";
	uint64_t c[16];
	const char *x[4];
	uint16_t sub[4];
	struct lw_site_stats st;
	const struct lw_event *ev;
	int l0, l1a, l1b, l2, lk;

	r_init(3, 1);
	for (int k = 0; k < 4; k++)
		x[k] = r_watch(r_name(2, k));   /* home: node 3 */
	r_kill(3);
	r_members_map();
	r_apply_lost(1ull << 3, R.now, all3, 2);
	r_settle();
	for (int k = 0; k < 4; k++) {
		sub[k] = R.map.bucket[r_bucket(x[k])];
		CU_ASSERT(sub[k] == R.ids[0] || sub[k] == R.ids[1]);
	}
	/* load at the substitutes */
	l0 = r_req(0, LW_REQ_LOCK, x[0], LW_LOCK_EX, 0, 0, NULL, &c[0]);
	l1a = r_req(1, LW_REQ_LOCK, x[1], LW_LOCK_PR, 0, 0, NULL, &c[1]);
	l1b = r_req(0, LW_REQ_LOCK, x[1], LW_LOCK_PR, 0, 0, NULL, &c[2]);
	l2 = r_req(1, LW_REQ_LOCK, x[2], LW_LOCK_EX, 0, 0, NULL, &c[3]);
	lk = r_req(1, LW_REQ_LOCK, x[3], LW_LOCK_EX, 0, 0, NULL, &c[4]);
	r_settle();
	r_req(1, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)lk, v, &c[5]);
	r_req(0, LW_REQ_LOCK, x[3], LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[6]);
	r_req(0, LW_REQ_LOCK, x[2], LW_LOCK_PR, 0, 0, NULL, &c[7]);  /* waits: site 1's EX */
	r_settle();
	EXPECT_DONE(c[0], 0, LW_LOCK_EX);
	EXPECT_DONE(c[1], 0, LW_LOCK_PR);
	EXPECT_DONE(c[2], 0, LW_LOCK_PR);
	EXPECT_DONE(c[3], 0, LW_LOCK_EX);
	EXPECT_DONE(c[6], 0, LW_LOCK_PR);
	CU_ASSERT_PTR_NULL(r_done(c[7]));
	/* node 3 restarts and rejoins; site 1 asks for x0 while site 0 has not seen the view */
	r_restart(3);
	r_members_map();
	r_apply(rejoin, 2);
	r_req(1, LW_REQ_LOCK, x[0], LW_LOCK_CR, 0, 0, NULL, &c[8]);
	r_settle();
	CU_ASSERT_EQUAL(r_info(2).phase, LW_REC_REBUILD);  /* site 0's REPORT_DONE is missing */
	CU_ASSERT(r_info(2).kept_msgs >= 1);
	r_apply(rejoin + 2, 1);
	r_settle();
	for (int k = 0; k < 4; k++)
		CU_ASSERT_EQUAL(R.map.bucket[r_bucket(x[k])], R.ids[2]);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(r_info(i).phase, LW_REC_STABLE);
		CU_ASSERT_EQUAL(r_info(i).unsettled_buckets, 0);
		CU_ASSERT_EQUAL(r_info(i).epoch, 3);
	}
	/* the holders kept their modes; node 3 knows them; the substitutes forgot theirs */
	CU_ASSERT_EQUAL(lw_site_held(R.site[0], R.lsid[0], x[0], strlen(x[0])), LW_LOCK_EX);
	CU_ASSERT_EQUAL(lw_site_held(R.site[1], R.lsid[1], x[1], strlen(x[1])), LW_LOCK_PR);
	CU_ASSERT_EQUAL(lw_site_held(R.site[0], R.lsid[0], x[1], strlen(x[1])), LW_LOCK_PR);
	CU_ASSERT_EQUAL(lw_site_held(R.site[1], R.lsid[1], x[2], strlen(x[2])), LW_LOCK_EX);
	CU_ASSERT_EQUAL(r_master_holds(2, x[0], 0), LW_LOCK_EX);
	CU_ASSERT_EQUAL(r_master_holds(2, x[1], 0), LW_LOCK_PR);
	CU_ASSERT_EQUAL(r_master_holds(2, x[1], 1), LW_LOCK_PR);
	CU_ASSERT_EQUAL(r_master_holds(2, x[2], 1), LW_LOCK_EX);
	for (int k = 0; k < 4; k++) {
		int si = sub[k] == R.ids[0] ? 0 : 1;

		CU_ASSERT_EQUAL(r_master_holds(si, x[k], 0), -2);
	}
	/* waiting requests: the one kept at node 3 BASTed site 0; the older one waits for site 1 */
	CU_ASSERT_EQUAL(r_nblocking(0, (uint32_t)l0), 1);
	CU_ASSERT_PTR_NULL(r_done(c[8]));
	CU_ASSERT_PTR_NULL(r_done(c[7]));
	r_req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l2, NULL, &c[9]);
	r_req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l0, NULL, &c[10]);
	r_settle();
	EXPECT_DONE(c[7], 0, LW_LOCK_PR);
	EXPECT_DONE(c[8], 0, LW_LOCK_CR);
	/* x3's value came back with the move, vouched for by site 0's PR */
	r_req(2, LW_REQ_LOCK, x[3], LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[11]);
	r_settle();
	EXPECT_DONE(c[11], 0, LW_LOCK_PR);
	ev = r_done(c[11]);
	CU_ASSERT_FALSE(ev->sbflags & LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, v, sizeof(v)), 0);
	/* node 3 takes x1 from both readers */
	r_req(2, LW_REQ_LOCK, x[1], LW_LOCK_EX, 0, 0, NULL, &c[12]);
	r_settle();
	CU_ASSERT_PTR_NULL(r_done(c[12]));
	r_req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l1a, NULL, &c[13]);
	r_req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l1b, NULL, &c[14]);
	r_settle();
	EXPECT_DONE(c[12], 0, LW_LOCK_EX);
	for (int i = 0; i < 2; i++) {
		lw_site_get_stats(R.site[i], &st);
		CU_ASSERT_EQUAL(st.drops_bad, 0);
	}
	r_fini();
}

/* --- crossings at a live move --------------------------------------------------------- */

/* The next map: name's bucket moves to site index `to`; no node lost. */
static void
r_move_map(const char *name, int to)
{
	R.map.epoch++;
	R.map.bucket[r_bucket(name)] = R.ids[to];
}

static int park_type;
static uint16_t park_from;

static bool
park_type_from(const struct lw_msg *m)
{
	return m->h.type == park_type && m->h.src == park_from;
}

static void
r_park(int type, int from)
{
	park_type = type;
	park_from = R.ids[from];
	park_if = park_type_from;
}

static uint64_t
r_drops_stale(int i)
{
	struct lw_site_stats st;

	lw_site_get_stats(R.site[i], &st);
	return st.drops_stale;
}

/* The old master's GRANT reaches the shadow after the shadow applied the view: dropped. */
static void
crossing_grant_late(void)
{
	static const int o0[] = { 0 }, o21[] = { 2, 1 };
	uint64_t c[4];
	const char *y;
	int l;

	r_init(3, 1);
	y = r_watch(r_name(0, 0));
	r_park(LW_MSG_GRANT, 0);
	l = r_req(2, LW_REQ_LOCK, y, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	r_settle();
	CU_ASSERT_EQUAL(R.npark, 1);
	r_move_map(y, 1);
	r_apply(o0, 1);                         /* site 0 forgets y at once */
	CU_ASSERT_EQUAL(r_master_holds(0, y, 2), -2);
	r_apply(o21, 2);
	CU_ASSERT_EQUAL(r_drops_stale(2), 0);
	r_unpark();                             /* the epoch-1 GRANT from site 0 comes first */
	CU_ASSERT_EQUAL(r_drops_stale(2), 1);
	EXPECT_DONE(c[0], 0, LW_LOCK_EX);       /* from site 1 */
	CU_ASSERT_EQUAL(r_ncomplete(2, (uint32_t)l, 0), 1);
	CU_ASSERT_EQUAL(lw_site_held(R.site[2], R.lsid[2], y, strlen(y)), LW_LOCK_EX);
	CU_ASSERT_EQUAL(r_master_holds(1, y, 2), LW_LOCK_EX);
	CU_ASSERT(r_info(2).resends >= 1);
	/* and it works on: site 0 asks site 1, site 2 gives way */
	r_req(0, LW_REQ_LOCK, y, LW_LOCK_PR, 0, 0, NULL, &c[1]);
	r_settle();
	CU_ASSERT_EQUAL(r_nblocking(2, (uint32_t)l), 1);
	r_req(2, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l, NULL, &c[2]);
	r_settle();
	EXPECT_DONE(c[1], 0, LW_LOCK_PR);
	r_fini();
}

/* The GRANT reaches the shadow before it applied the view: taken, then reported. */
static void
crossing_grant_early(void)
{
	static const int o0[] = { 0 }, o21[] = { 2, 1 };
	uint64_t c[4];
	const char *y;
	int l;

	r_init(3, 1);
	y = r_watch(r_name(0, 0));
	r_park(LW_MSG_GRANT, 0);
	l = r_req(2, LW_REQ_LOCK, y, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	r_settle();
	r_move_map(y, 1);
	r_apply(o0, 1);
	r_unpark();                             /* site 2 is still at epoch 1: it takes EX */
	EXPECT_DONE(c[0], 0, LW_LOCK_EX);
	r_req(0, LW_REQ_LOCK, y, LW_LOCK_PR, 0, 0, NULL, &c[1]);    /* to site 1, kept */
	r_settle();
	r_apply(o21, 2);
	r_settle();
	CU_ASSERT_EQUAL(r_master_holds(1, y, 2), LW_LOCK_EX);       /* from site 2's REPORT */
	CU_ASSERT_PTR_NULL(r_done(c[1]));
	CU_ASSERT_EQUAL(r_nblocking(2, (uint32_t)l), 1);
	r_req(2, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l, NULL, &c[2]);
	r_settle();
	EXPECT_DONE(c[1], 0, LW_LOCK_PR);
	CU_ASSERT_EQUAL(r_ncomplete(2, (uint32_t)l, 0), 1);
	r_fini();
}

/*
 * A writer's DOWNGRADE reaches the old master after it applied the view:
 * dropped there; the writer's copy of the value goes to the new master in
 * a REPORT of mode IV and wins (highest version), but nobody holding CW or
 * more vouches for it: it comes back marked not valid.
 */
static void
crossing_downgrade(void)
{
	static const int o0[] = { 0 }, o21[] = { 2, 1 };
	uint8_t v[LW_LVB_LEN] = "crossed";
	uint64_t c[4];
	const struct lw_event *ev;
	const char *y;
	int l;

	r_init(3, 1);
	y = r_watch(r_name(0, 0));
	l = r_req(2, LW_REQ_LOCK, y, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	r_settle();
	r_req(2, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)l, v, &c[1]);
	r_park(LW_MSG_DOWNGRADE, 2);
	r_req(1, LW_REQ_LOCK, y, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[2]);  /* BAST: site 2 gives back */
	r_settle();
	CU_ASSERT_EQUAL(R.npark, 1);
	CU_ASSERT_EQUAL(lw_site_held(R.site[2], R.lsid[2], y, strlen(y)), LW_LOCK_IV);
	r_move_map(y, 1);
	r_apply(o0, 1);
	r_unpark();
	CU_ASSERT_EQUAL(r_drops_stale(0), 1);
	CU_ASSERT_PTR_NULL(r_done(c[2]));
	r_apply(o21, 2);
	r_settle();
	EXPECT_DONE(c[2], 0, LW_LOCK_PR);
	ev = r_done(c[2]);
	CU_ASSERT_EQUAL(memcmp(ev->lvb, v, sizeof(v)), 0);
	CU_ASSERT(ev->sbflags & LW_SBF_VALNOTVALID);
	r_fini();
}

/* A CANCEL reaches the old master after it applied the view: dropped; the cancel completes once. */
static void
crossing_cancel(void)
{
	static const int o0[] = { 0 }, o21[] = { 2, 1 };
	uint64_t c[4];
	const char *y;
	int l2;

	r_init(3, 1);
	y = r_watch(r_name(0, 0));
	r_req(1, LW_REQ_LOCK, y, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	r_settle();
	l2 = r_req(2, LW_REQ_LOCK, y, LW_LOCK_EX, 0, 0, NULL, &c[1]);  /* waits at site 0 */
	r_settle();
	r_park(LW_MSG_CANCEL, 2);
	CU_ASSERT_EQUAL(r_req(2, LW_REQ_UNLOCK, NULL, 0, LW_LKF_CANCEL, (uint32_t)l2, NULL, &c[2]),
			l2);
	r_settle();
	CU_ASSERT_PTR_NULL(r_done(c[1]));
	r_move_map(y, 1);
	r_apply(o0, 1);
	r_unpark();
	CU_ASSERT_EQUAL(r_drops_stale(0), 1);
	r_apply(o21, 2);                        /* site 2 forgets its request: the cancel completes */
	EXPECT_DONE(c[1], LW_ECANCEL, LW_LOCK_IV);
	r_settle();
	CU_ASSERT_EQUAL(r_ncomplete(2, (uint32_t)l2, LW_ECANCEL), 1);
	CU_ASSERT_EQUAL(lw_site_held(R.site[2], R.lsid[2], y, strlen(y)), LW_LOCK_IV);
	CU_ASSERT_EQUAL(r_master_holds(1, y, 1), LW_LOCK_PR);
	CU_ASSERT_EQUAL(r_master_holds(1, y, 2), LW_LOCK_IV);
	r_fini();
}

static void
test_live_move_crossings(void)
{
	crossing_grant_late();
	crossing_grant_early();
	crossing_downgrade();
	crossing_cancel();
}

/* --- a second view while a live move is rebuilding ---------------------------------- */

static void
test_second_view_during_live_move(void)
{
	static const int all[] = { 0, 1, 2 };
	struct lw_site_stats st;
	uint64_t c[4];
	const char *y;
	int l2;

	r_init(3, 1);
	y = r_watch(r_name(0, 0));
	l2 = r_req(2, LW_REQ_LOCK, y, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	r_settle();
	r_req(0, LW_REQ_LOCK, y, LW_LOCK_EX, 0, 0, NULL, &c[1]);   /* waits for site 2 */
	r_settle();
	CU_ASSERT_EQUAL(r_nblocking(2, (uint32_t)l2), 1);
	/* y moves to site 1, which never hears site 2's REPORT_DONE of that view */
	park_src = R.ids[2];
	park_if = park_done_from;
	r_move_map(y, 1);
	r_apply(all, 3);
	r_settle();
	CU_ASSERT_EQUAL(r_info(1).phase, LW_REC_REBUILD);
	CU_ASSERT_EQUAL(r_master_holds(1, y, 2), LW_LOCK_PR);
	CU_ASSERT(r_info(1).kept_msgs >= 1);    /* site 0's REQUEST */
	/* then to site 2: site 1 forgets what it rebuilt and kept */
	r_move_map(y, 2);
	r_apply(all, 3);
	CU_ASSERT_EQUAL(r_info(1).frozen_buckets, 0);
	CU_ASSERT_EQUAL(r_info(1).kept_msgs, 0);
	CU_ASSERT_EQUAL(r_master_holds(1, y, 2), -2);
	r_settle();
	r_unpark();                             /* the late REPORT_DONEs of epoch 2: no effect */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(r_info(i).phase, LW_REC_STABLE);
		CU_ASSERT_EQUAL(r_info(i).unsettled_buckets, 0);
		CU_ASSERT_EQUAL(r_info(i).epoch, 3);
	}
	CU_ASSERT_EQUAL(r_master_holds(2, y, 2), LW_LOCK_PR);
	CU_ASSERT_PTR_NULL(r_done(c[1]));
	/* the new master BASTs site 2 again; its client was told once already */
	lw_site_get_stats(R.site[2], &st);
	CU_ASSERT_EQUAL(st.rx[LW_MSG_BAST], 2);
	CU_ASSERT_EQUAL(r_nblocking(2, (uint32_t)l2), 1);
	r_req(2, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)l2, NULL, &c[2]);
	r_settle();
	EXPECT_DONE(c[1], 0, LW_LOCK_EX);
	CU_ASSERT_EQUAL(r_master_holds(2, y, 0), LW_LOCK_EX);
	r_fini();
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("recover",
		  "map_from_owners", test_map_from_owners,
		  "lost_node", test_lost_node,
		  "lost_node_two_workers", test_lost_node_two_workers,
		  "moved_lvb", test_moved_lvb,
		  "frozen_keeps_request", test_frozen_keeps_request,
		  "second_view_during_recovery", test_second_view_during_recovery,
		  "newer_epoch_kept", test_newer_epoch_kept,
		  "lease_expiry_fences", test_lease_expiry_fences,
		  "bad_view_changes", test_bad_view_changes,
		  "map_for_members", test_map_for_members,
		  "rejoin_home_buckets", test_rejoin_home_buckets,
		  "live_move_crossings", test_live_move_crossings,
		  "second_view_during_live_move", test_second_view_during_live_move,
		  NULL);
	return lwt_run();
}
