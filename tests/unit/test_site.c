/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_site.c — the master/shadow protocol between a few sites, messages
 * carried by hand (in order per pair): remote grants, cached modes, BAST
 * and DOWNGRADE, NOQUEUE at the master, the LVB through the master,
 * conversion deadlock between sites, cancel of a request at the master,
 * malformed messages, and the read-only introspection of engine/inspect.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lockq.h"
#include "lwt.h"
#include "site.h"

#define NSITES 3
#define QCAP   4096

struct net {
	struct lw_site *site[NSITES];
	struct lw_site_out out[NSITES];
	uint16_t lsid[NSITES];
	uint32_t sess[NSITES];
	struct lw_msg q[QCAP];
	unsigned int head, tail;
	unsigned int delivered;
	struct lw_event ev[QCAP];
	unsigned int nev;
	uint64_t now;
	uint64_t cookie;
};

static struct net N;

static int
idx_of(uint16_t site)
{
	for (int i = 0; i < NSITES; i++)
		if (lw_site_self(N.site[i]) == site)
			return i;
	return -1;
}

/* Move what site i produced: messages into the network, events aside. */
static void
collect(int i)
{
	struct lw_site_out *o = &N.out[i];

	for (uint32_t k = 0; k < o->msg.n; k++) {
		CU_ASSERT_FATAL(N.tail - N.head < QCAP);
		N.q[N.tail++ % QCAP] = o->msg.m[k];
	}
	for (uint32_t k = 0; k < o->ev.n && N.nev < QCAP; k++)
		N.ev[N.nev++] = o->ev.ev[k];
	o->msg.n = 0;
	o->ev.n = 0;
}

/* Deliver every message (one global FIFO keeps each pair in order). */
static void
settle(void)
{
	while (N.head != N.tail) {
		struct lw_msg m = N.q[N.head++ % QCAP];
		int d = idx_of(m.h.dst);

		CU_ASSERT_FATAL(d >= 0);
		N.now += 1000;
		lw_site_receive(N.site[d], &m, 1, N.now, &N.out[d]);
		N.delivered++;
		collect(d);
	}
}

static uint32_t net_max_res = 256;

static void
net_init(int nsites)
{
	uint16_t ids[NSITES];
	struct lw_map map;
	char name[16];

	memset(&N, 0, sizeof(N));
	for (int i = 0; i < nsites; i++)
		ids[i] = lw_site_id(i + 1, 0);
	CU_ASSERT_EQUAL_FATAL(lw_map_static(&map, 1, ids, nsites), 0);
	for (int i = 0; i < nsites; i++) {
		static unsigned int seq;
		struct lw_site_conf c = {
			.engine = { .name = name, .max_resources = net_max_res, .max_locks = 256,
				    .max_sessions = 8, .max_lockspaces = 4, .socket_id = -1 },
			.node = i + 1,
			.max_master_resources = 256,
		};

		snprintf(name, sizeof(name), "ts%u", seq++);
		N.site[i] = lw_site_create(&c, &map);
		CU_ASSERT_PTR_NOT_NULL_FATAL(N.site[i]);
		CU_ASSERT_EQUAL_FATAL(lw_site_out_init(&N.out[i]), 0);
		CU_ASSERT_EQUAL_FATAL(lw_site_ls_open(N.site[i], "ls", 2, &N.lsid[i]), 0);
		CU_ASSERT_EQUAL_FATAL(lw_site_session_open(N.site[i], &N.sess[i]), 0);
	}
	N.now = 1000;
}

static void
net_fini(int nsites)
{
	for (int i = 0; i < nsites; i++) {
		CU_ASSERT_EQUAL(lw_site_check(N.site[i]), 0);
		lw_site_free(N.site[i]);
		lw_site_out_fini(&N.out[i]);
	}
}

/* A resource name whose master is site m. */
static const char *
name_mastered_by(int m)
{
	static char buf[16];
	uint16_t want = lw_site_self(N.site[m]);
	uint32_t gid = lw_ls_gid("ls", 2);
	struct lw_map map;
	uint16_t ids[NSITES];
	int n = 0;

	while (n < NSITES && N.site[n] != NULL)
		n++;
	for (int i = 0; i < n; i++)
		ids[i] = lw_site_self(N.site[i]);
	lw_map_static(&map, 1, ids, n);
	for (unsigned int k = 0;; k++) {
		snprintf(buf, sizeof(buf), "res%u", k);
		if (map.bucket[lw_bucket_of(lw_res_hash(gid, buf, strlen(buf)))] == want)
			return buf;
	}
}

static uint64_t req_xid;   /* the xid of the next requests (0: the session) */

static int
req(int i, int op, const char *name, int mode, uint32_t flags, uint32_t lkid,
    const uint8_t *lvb, uint64_t *cookie)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = (uint8_t)op;
	r.mode = (int8_t)mode;
	if (name != NULL) {
		r.namelen = (uint8_t)strlen(name);
		memcpy(r.name, name, r.namelen);
	}
	r.lsid = N.lsid[i];
	r.session = N.sess[i];
	r.flags = flags;
	r.lkid = lkid;
	r.want_bast = 1;
	r.cookie = ++N.cookie;
	r.xid = req_xid;
	if (lvb != NULL)
		memcpy(r.lvb, lvb, LW_LVB_LEN);
	N.now += 1000;
	lw_site_submit(N.site[i], &r, 1, N.now, &N.out[i]);
	collect(i);
	if (cookie != NULL)
		*cookie = r.cookie;
	return r.rc == 0 ? (int)r.lkid : r.rc;
}

static const struct lw_event *
completion(uint64_t cookie)
{
	for (unsigned int k = 0; k < N.nev; k++)
		if (N.ev[k].type == LW_EV_COMPLETE && N.ev[k].cookie == cookie)
			return &N.ev[k];
	return NULL;
}

static int
blocking_of(uint32_t lkid)
{
	int n = 0;

	for (unsigned int k = 0; k < N.nev; k++)
		n += N.ev[k].type == LW_EV_BLOCKING && N.ev[k].lkid == lkid;
	return n;
}

#define EXPECT_STATUS(c, st, md) do {                                     \
		const struct lw_event *ev_ = completion(c);               \
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev_);                        \
		CU_ASSERT_EQUAL(ev_->status, (st));                       \
		CU_ASSERT_EQUAL(ev_->mode, (md));                         \
	} while (0)

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
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(lw_site_check(N.site[i]), 0);
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

/* --- introspection (engine/inspect.c) ------------------------------------------ */

static int
info_at(int i, const char *name, struct lw_res_info *in)
{
	return lw_site_res_info(N.site[i], N.lsid[i], name, strlen(name), in);
}

/* A name of lockspace `ls` whose master is site m (of the first n sites). */
static const char *
name_in_ls_mastered_by(const char *ls, int m, int n, const char *prefix, unsigned int *k)
{
	static char buf[24];
	uint32_t gid = lw_ls_gid(ls, strlen(ls));
	uint16_t ids[NSITES];
	struct lw_map map;

	for (int i = 0; i < n; i++)
		ids[i] = lw_site_self(N.site[i]);
	lw_map_static(&map, 1, ids, n);
	for (;; (*k)++) {
		snprintf(buf, sizeof(buf), "%s%u", prefix, *k);
		if (map.bucket[lw_bucket_of(lw_res_hash(gid, buf, strlen(buf)))] == ids[m]) {
			(*k)++;
			return buf;
		}
	}
}

/* A remote grant as the shadow and the master see it; then the lock turns orphan. */
static void
test_info_remote_grant(void)
{
	struct lw_res_info in;
	uint16_t s0, s1;
	uint64_t c;
	const char *r;
	int lk;

	net_init(2);
	s0 = lw_site_self(N.site[0]);
	s1 = lw_site_self(N.site[1]);
	r = name_mastered_by(1);
	req_xid = 77;
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, LW_LKF_PERSISTENT, 0, NULL, &c);
	req_xid = 0;
	CU_ASSERT_FATAL(lk > 0);
	/* The REQUEST is out: the lock waits at the shadow, the master knows nothing yet. */
	CU_ASSERT_EQUAL_FATAL(info_at(0, r, &in), 0);
	CU_ASSERT_EQUAL(in.where, LW_RES_SHADOW);
	CU_ASSERT_EQUAL(in.lsid, N.lsid[0]);
	CU_ASSERT_EQUAL(in.gid, lw_ls_gid("ls", 2));
	CU_ASSERT_EQUAL(in.namelen, strlen(r));
	CU_ASSERT_EQUAL(memcmp(in.name, r, strlen(r)), 0);
	CU_ASSERT_EQUAL(in.master, s1);
	CU_ASSERT_EQUAL(in.map_master, s1);
	CU_ASSERT_EQUAL(in.held, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.ceiling, LW_LOCK_NL);
	CU_ASSERT_EQUAL(in.inflight, 1);
	CU_ASSERT_EQUAL(in.rq_site, s1);
	CU_ASSERT_EQUAL(in.rq_lkid, (uint32_t)lk);
	CU_ASSERT_EQUAL(in.rq_mode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.nlocks, 1);
	CU_ASSERT_EQUAL(in.nlocks_listed, 1);
	CU_ASSERT_EQUAL(in.locks[0].state, LW_QS_WAIT);
	CU_ASSERT_EQUAL(in.locks[0].grmode, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.locks[0].rqmode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.nholders, 0);
	CU_ASSERT_EQUAL(info_at(1, r, &in), -ENOENT);
	settle();
	EXPECT_STATUS(c, 0, LW_LOCK_EX);

	/* The shadow: EX held, the lock granted, nothing out. */
	CU_ASSERT_EQUAL_FATAL(info_at(0, r, &in), 0);
	CU_ASSERT_EQUAL(in.where, LW_RES_SHADOW);
	CU_ASSERT_EQUAL(in.held, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.ceiling, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.bast_target, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.inflight, 0);
	CU_ASSERT_EQUAL(in.rq_mode, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.seq, 1);
	CU_ASSERT_EQUAL(in.cached, 0);
	CU_ASSERT_EQUAL_FATAL(in.nlocks, 1);
	CU_ASSERT_EQUAL(in.locks[0].lkid, (uint32_t)lk);
	CU_ASSERT_EQUAL(in.locks[0].session, N.sess[0]);
	CU_ASSERT_EQUAL(in.locks[0].grmode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.locks[0].rqmode, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.locks[0].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(in.locks[0].persistent, 1);
	CU_ASSERT_EQUAL(in.locks[0].xid, 77);
	CU_ASSERT_STRING_EQUAL(lw_qstate_name(in.locks[0].state), "granted");

	/* The master: one site holds EX, GRANT number 1; no local lock there. */
	CU_ASSERT_EQUAL_FATAL(info_at(1, r, &in), 0);
	CU_ASSERT_EQUAL(in.where, LW_RES_MASTER);
	CU_ASSERT_EQUAL(in.lsid, N.lsid[1]);
	CU_ASSERT_EQUAL(in.master, s1);
	CU_ASSERT_EQUAL(in.held, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.nlocks, 0);
	CU_ASSERT_EQUAL(in.m_lvb_valid, 1);
	CU_ASSERT_EQUAL(in.m_lvbseq, 0);
	CU_ASSERT_EQUAL_FATAL(in.nholders, 1);
	CU_ASSERT_EQUAL(in.nholders_listed, 1);
	CU_ASSERT_EQUAL(in.holders[0].site, s0);
	CU_ASSERT_EQUAL(in.holders[0].grmode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.holders[0].rqmode, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.holders[0].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(in.holders[0].seq, 1);
	CU_ASSERT_EQUAL(in.holders[0].bast_target, LW_LOCK_IV);

	/* The session goes: the PERSISTENT lock stays as an orphan (session 0). */
	CU_ASSERT_EQUAL(lw_site_session_close(N.site[0], N.sess[0], N.now, &N.out[0]), 0);
	collect(0);
	CU_ASSERT_EQUAL_FATAL(info_at(0, r, &in), 0);
	CU_ASSERT_EQUAL_FATAL(in.nlocks, 1);
	CU_ASSERT_EQUAL(in.locks[0].lkid, (uint32_t)lk);
	CU_ASSERT_EQUAL(in.locks[0].session, 0);
	CU_ASSERT_EQUAL(in.locks[0].persistent, 1);
	CU_ASSERT_EQUAL(in.locks[0].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(lw_site_check(N.site[0]), 0);
	net_fini(2);
}

/* Waiting requests in queue order, locally and at the master, and the BAST in force. */
static void
test_info_waiting_order(void)
{
	struct lw_res_info in, sh;
	uint16_t s[3];
	uint64_t c[5];
	const char *r;
	int a, b, w1, w2;

	net_init(3);
	for (int i = 0; i < 3; i++)
		s[i] = lw_site_self(N.site[i]);
	r = name_mastered_by(2);
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[0]);
	settle();
	b = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[1]);
	settle();
	w1 = req(2, LW_REQ_LOCK, r, LW_LOCK_CW, 0, 0, NULL, &c[2]);
	w2 = req(2, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[3]);
	settle();
	CU_ASSERT_FATAL(a > 0 && b > 0 && w1 > 0 && w2 > 0);
	CU_ASSERT_PTR_NULL(completion(c[1]));
	CU_ASSERT_PTR_NULL(completion(c[2]));

	/* Site 2 both masters r and waits on it: two local waiters, in order. */
	CU_ASSERT_EQUAL_FATAL(info_at(2, r, &in), 0);
	CU_ASSERT_EQUAL(in.where, LW_RES_SHADOW | LW_RES_MASTER);
	CU_ASSERT_EQUAL(in.master, s[2]);
	CU_ASSERT_EQUAL_FATAL(in.nlocks, 2);
	CU_ASSERT_EQUAL(in.locks[0].lkid, (uint32_t)w1);
	CU_ASSERT_EQUAL(in.locks[0].state, LW_QS_WAIT);
	CU_ASSERT_EQUAL(in.locks[0].rqmode, LW_LOCK_CW);
	CU_ASSERT_EQUAL(in.locks[1].lkid, (uint32_t)w2);
	CU_ASSERT_EQUAL(in.locks[1].state, LW_QS_WAIT);
	CU_ASSERT_EQUAL(in.locks[1].rqmode, LW_LOCK_PR);
	CU_ASSERT_STRING_EQUAL(lw_qstate_name(in.locks[1].state), "waiting");
	CU_ASSERT_EQUAL(in.inflight, 1);
	CU_ASSERT_EQUAL(in.rq_lkid, (uint32_t)w1);
	CU_ASSERT_EQUAL(in.rq_mode, LW_LOCK_CW);
	CU_ASSERT_EQUAL(in.rq_site, s[2]);
	/* At the master: site 0 granted, then sites 1 and 2 waiting, in arrival order. */
	CU_ASSERT_EQUAL_FATAL(in.nholders, 3);
	CU_ASSERT_EQUAL(in.holders[0].site, s[0]);
	CU_ASSERT_EQUAL(in.holders[0].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(in.holders[0].grmode, LW_LOCK_EX);
	CU_ASSERT_NOT_EQUAL(in.holders[0].bast_target, LW_LOCK_IV);
	CU_ASSERT(lw_mode_compat(in.holders[0].bast_target, LW_LOCK_PR));
	CU_ASSERT_EQUAL(in.holders[1].site, s[1]);
	CU_ASSERT_EQUAL(in.holders[1].state, LW_QS_WAIT);
	CU_ASSERT_EQUAL(in.holders[1].grmode, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.holders[1].rqmode, LW_LOCK_PR);
	CU_ASSERT_EQUAL(in.holders[1].bast_target, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.holders[2].site, s[2]);
	CU_ASSERT_EQUAL(in.holders[2].state, LW_QS_WAIT);
	CU_ASSERT_EQUAL(in.holders[2].rqmode, LW_LOCK_CW);

	/* Site 0 owes what the master's BAST asked: its ceiling drops to the target. */
	CU_ASSERT_EQUAL_FATAL(info_at(0, r, &sh), 0);
	CU_ASSERT_EQUAL(sh.held, LW_LOCK_EX);
	CU_ASSERT_EQUAL(sh.bast_target, in.holders[0].bast_target);
	CU_ASSERT(sh.bast_heads & (1u << LW_LOCK_PR));
	CU_ASSERT_EQUAL(sh.ceiling, sh.bast_target);
	CU_ASSERT_EQUAL(sh.nlocks, 1);
	CU_ASSERT_EQUAL(sh.locks[0].lkid, (uint32_t)a);

	/* Site 1 waits for the master alone. */
	CU_ASSERT_EQUAL_FATAL(info_at(1, r, &sh), 0);
	CU_ASSERT_EQUAL(sh.held, LW_LOCK_IV);
	CU_ASSERT_EQUAL(sh.inflight, 1);
	CU_ASSERT_EQUAL(sh.rq_lkid, (uint32_t)b);
	CU_ASSERT_EQUAL(sh.rq_site, s[2]);
	CU_ASSERT_EQUAL(sh.master, s[2]);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(lw_site_check(N.site[i]), 0);

	/* Site 0 lets go: PR goes to site 1, the master's queue moves on. */
	req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)a, NULL, &c[4]);
	settle();
	EXPECT_STATUS(c[1], 0, LW_LOCK_PR);
	CU_ASSERT_EQUAL_FATAL(info_at(2, r, &in), 0);
	CU_ASSERT_EQUAL(in.holders[0].site, s[1]);
	CU_ASSERT_EQUAL(in.holders[0].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(in.holders[0].grmode, LW_LOCK_PR);
	for (uint32_t k = 0; k < in.nholders_listed; k++)
		CU_ASSERT_NOT_EQUAL(in.holders[k].site, s[0]);
	net_fini(3);
}

/* A conversion waits at the master; the other holder shows the BAST it owes. */
static void
test_info_converting(void)
{
	struct lw_res_info in;
	uint16_t s0, s1;
	uint64_t c[4];
	const char *r;
	int a, b;

	net_init(2);
	s0 = lw_site_self(N.site[0]);
	s1 = lw_site_self(N.site[1]);
	r = name_mastered_by(1);
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[0]);
	b = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, 0, 0, NULL, &c[1]);
	settle();
	req(0, LW_REQ_LOCK, NULL, LW_LOCK_EX, LW_LKF_CONVERT, (uint32_t)a, NULL, &c[2]);
	settle();
	CU_ASSERT_PTR_NULL(completion(c[2]));

	CU_ASSERT_EQUAL_FATAL(info_at(0, r, &in), 0);
	CU_ASSERT_EQUAL(in.held, LW_LOCK_PR);
	CU_ASSERT_EQUAL(in.inflight, 1);
	CU_ASSERT_EQUAL(in.rq_lkid, (uint32_t)a);
	CU_ASSERT_EQUAL(in.rq_mode, LW_LOCK_EX);
	CU_ASSERT_EQUAL_FATAL(in.nlocks, 1);
	CU_ASSERT_EQUAL(in.locks[0].lkid, (uint32_t)a);
	CU_ASSERT_EQUAL(in.locks[0].state, LW_QS_CONVERT);
	CU_ASSERT_EQUAL(in.locks[0].grmode, LW_LOCK_PR);
	CU_ASSERT_EQUAL(in.locks[0].rqmode, LW_LOCK_EX);
	CU_ASSERT_STRING_EQUAL(lw_qstate_name(in.locks[0].state), "converting");

	/* Master (site 1): its own PR granted, site 0 converting PR -> EX. */
	CU_ASSERT_EQUAL_FATAL(info_at(1, r, &in), 0);
	CU_ASSERT_EQUAL(in.where, LW_RES_SHADOW | LW_RES_MASTER);
	CU_ASSERT_EQUAL_FATAL(in.nholders, 2);
	CU_ASSERT_EQUAL(in.holders[0].site, s1);
	CU_ASSERT_EQUAL(in.holders[0].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(in.holders[0].grmode, LW_LOCK_PR);
	CU_ASSERT_EQUAL(in.holders[0].bast_target, LW_LOCK_NL);   /* only NL goes with EX */
	CU_ASSERT_EQUAL(in.holders[1].site, s0);
	CU_ASSERT_EQUAL(in.holders[1].state, LW_QS_CONVERT);
	CU_ASSERT_EQUAL(in.holders[1].grmode, LW_LOCK_PR);
	CU_ASSERT_EQUAL(in.holders[1].rqmode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.holders[1].bast_target, LW_LOCK_IV);
	/* ... and its shadow side owes NL while its local PR lock holds on. */
	CU_ASSERT_EQUAL(in.held, LW_LOCK_PR);
	CU_ASSERT_EQUAL(in.bast_target, LW_LOCK_NL);
	CU_ASSERT_EQUAL(in.ceiling, LW_LOCK_NL);
	CU_ASSERT(in.bast_heads & (1u << LW_LOCK_EX));
	CU_ASSERT_EQUAL_FATAL(in.nlocks, 1);
	CU_ASSERT_EQUAL(in.locks[0].lkid, (uint32_t)b);
	CU_ASSERT_EQUAL(in.locks[0].state, LW_QS_GRANTED);

	/* b goes: site 1 gives its PR back, a is granted EX (GRANT number 2). */
	req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)b, NULL, &c[3]);
	settle();
	EXPECT_STATUS(c[2], 0, LW_LOCK_EX);
	CU_ASSERT_EQUAL_FATAL(info_at(0, r, &in), 0);
	CU_ASSERT_EQUAL(in.held, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.inflight, 0);
	CU_ASSERT_EQUAL(in.seq, 2);
	CU_ASSERT_EQUAL(in.locks[0].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(in.locks[0].grmode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.locks[0].rqmode, LW_LOCK_IV);
	CU_ASSERT_EQUAL_FATAL(info_at(1, r, &in), 0);
	CU_ASSERT_EQUAL(in.held, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.bast_target, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.nlocks, 0);
	CU_ASSERT_EQUAL_FATAL(in.nholders, 1);
	CU_ASSERT_EQUAL(in.holders[0].site, s0);
	CU_ASSERT_EQUAL(in.holders[0].grmode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(in.holders[0].seq, 2);
	net_fini(2);
}

/* The LVB at the writer, at the master and at a reader: value, validity, version. */
static void
test_info_lvb(void)
{
	uint8_t v[LW_LVB_LEN], zero[LW_LVB_LEN];
	struct lw_res_info in;
	uint64_t c[8];
	const char *r;
	int a, b;

	net_init(3);
	r = name_mastered_by(2);
	memset(v, 0xa5, sizeof(v));
	memset(zero, 0, sizeof(zero));
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, LW_LKF_VALBLK, 0, NULL, &c[0]);
	settle();
	req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_VALBLK, (uint32_t)a, v, &c[1]);
	/* The writer keeps the new value (not sent yet: version 0, dirty), EX cached. */
	CU_ASSERT_EQUAL_FATAL(info_at(0, r, &in), 0);
	CU_ASSERT_EQUAL(in.lvb_valid, 1);
	CU_ASSERT_EQUAL(in.lvb_dirty, 1);
	CU_ASSERT_EQUAL(in.lvbseq, 0);
	CU_ASSERT_EQUAL(memcmp(in.lvb, v, LW_LVB_LEN), 0);
	CU_ASSERT_EQUAL(in.cached, 1);
	CU_ASSERT_EQUAL(in.nlocks, 0);
	CU_ASSERT_EQUAL_FATAL(info_at(2, r, &in), 0);
	CU_ASSERT_EQUAL(in.where, LW_RES_MASTER);
	CU_ASSERT_EQUAL(in.m_lvb_valid, 1);
	CU_ASSERT_EQUAL(in.m_lvbseq, 0);
	CU_ASSERT_EQUAL(memcmp(in.m_lvb, zero, LW_LVB_LEN), 0);

	/* A reader elsewhere: the BAST brings the value to the master as version 1. */
	b = req(1, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[2]);
	settle();
	EXPECT_STATUS(c[2], 0, LW_LOCK_PR);
	CU_ASSERT_EQUAL_FATAL(info_at(2, r, &in), 0);
	CU_ASSERT_EQUAL(in.m_lvb_valid, 1);
	CU_ASSERT_EQUAL(in.m_lvbseq, 1);
	CU_ASSERT_EQUAL(memcmp(in.m_lvb, v, LW_LVB_LEN), 0);
	CU_ASSERT_EQUAL_FATAL(info_at(1, r, &in), 0);
	CU_ASSERT_EQUAL(in.lvb_valid, 1);
	CU_ASSERT_EQUAL(in.lvb_dirty, 0);
	CU_ASSERT_EQUAL(in.lvbseq, 1);
	CU_ASSERT_EQUAL(memcmp(in.lvb, v, LW_LVB_LEN), 0);
	CU_ASSERT_EQUAL_FATAL(info_at(0, r, &in), 0);   /* gave its EX back, still resident */
	CU_ASSERT_EQUAL(in.held, LW_LOCK_IV);
	CU_ASSERT_EQUAL(in.cached, 0);
	CU_ASSERT_EQUAL(in.lvbseq, 1);
	CU_ASSERT_EQUAL(in.lvb_dirty, 0);

	/* The writer invalidates it: not valid, bytes kept, version 2 at the master. */
	req(1, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)b, NULL, &c[3]);
	a = req(0, LW_REQ_LOCK, r, LW_LOCK_EX, 0, 0, NULL, &c[4]);
	settle();
	EXPECT_STATUS(c[4], 0, LW_LOCK_EX);
	req(0, LW_REQ_UNLOCK, NULL, 0, LW_LKF_IVVALBLK, (uint32_t)a, NULL, &c[5]);
	CU_ASSERT_EQUAL_FATAL(info_at(0, r, &in), 0);
	CU_ASSERT_EQUAL(in.lvb_valid, 0);
	CU_ASSERT_EQUAL(in.lvb_dirty, 1);
	CU_ASSERT_EQUAL(memcmp(in.lvb, v, LW_LVB_LEN), 0);
	req(1, LW_REQ_LOCK, r, LW_LOCK_PR, LW_LKF_VALBLK, 0, NULL, &c[6]);
	settle();
	EXPECT_STATUS(c[6], 0, LW_LOCK_PR);
	CU_ASSERT(completion(c[6])->sbflags & LW_SBF_VALNOTVALID);
	CU_ASSERT_EQUAL_FATAL(info_at(2, r, &in), 0);
	CU_ASSERT_EQUAL(in.m_lvb_valid, 0);
	CU_ASSERT_EQUAL(in.m_lvbseq, 2);
	CU_ASSERT_EQUAL_FATAL(info_at(1, r, &in), 0);
	CU_ASSERT_EQUAL(in.lvb_valid, 0);
	CU_ASSERT_EQUAL(in.lvbseq, 2);
	net_fini(3);
}

/* Unknown names and lockspaces, bad arguments; lockspace list; lookup by gid. */
static void
test_info_not_found(void)
{
	struct lw_ls_entry ls[4];
	struct lw_res_info in;
	struct lw_res_name nm[8];
	uint64_t cur, c;
	uint16_t other, keep;
	unsigned int k = 0;
	const char *r;
	int lk, n;

	net_init(2);
	CU_ASSERT_EQUAL(info_at(0, "nosuch", &in), -ENOENT);
	CU_ASSERT_EQUAL(lw_site_res_info(N.site[0], N.lsid[0] + 1, "x", 1, &in), -ENOENT);
	CU_ASSERT_EQUAL(lw_site_res_info(N.site[0], 0, "x", 1, &in), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_res_info(N.site[0], 5, "x", 1, &in), -EINVAL);  /* max_lockspaces 4 */
	CU_ASSERT_EQUAL(lw_site_res_info(N.site[0], N.lsid[0], "x", 0, &in), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_res_info(N.site[0], N.lsid[0], "x", LW_RESNAME_MAXLEN + 1, &in),
			-EINVAL);
	CU_ASSERT_EQUAL(lw_site_res_info(N.site[0], N.lsid[0], NULL, 1, &in), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_res_info(N.site[0], N.lsid[0], "x", 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_res_info_gid(N.site[0], 0, "x", 1, &in), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_res_info_gid(N.site[0], lw_ls_gid("ls", 2), "x", 1, &in), -ENOENT);

	/* Lockspaces: "ls" and "other" at site 0, by lsid; a short list still counts all. */
	CU_ASSERT_EQUAL_FATAL(lw_site_ls_open(N.site[0], "other", 5, &other), 0);
	CU_ASSERT_EQUAL_FATAL(lw_site_ls_list(N.site[0], ls, 4), 2);
	CU_ASSERT_EQUAL(ls[0].lsid, N.lsid[0]);
	CU_ASSERT_EQUAL(ls[0].namelen, 2);
	CU_ASSERT_EQUAL(memcmp(ls[0].name, "ls", 2), 0);
	CU_ASSERT_EQUAL(ls[0].gid, lw_ls_gid("ls", 2));
	CU_ASSERT_EQUAL(ls[0].opens, 1);
	CU_ASSERT_EQUAL(ls[1].lsid, other);
	CU_ASSERT_EQUAL(ls[1].namelen, 5);
	CU_ASSERT_EQUAL(memcmp(ls[1].name, "other", 5), 0);
	CU_ASSERT_EQUAL(ls[1].gid, lw_ls_gid("other", 5));
	memset(ls, 0, sizeof(ls));
	CU_ASSERT_EQUAL(lw_site_ls_list(N.site[0], ls, 1), 2);
	CU_ASSERT_EQUAL(ls[0].lsid, N.lsid[0]);
	CU_ASSERT_EQUAL(ls[1].lsid, 0);                 /* not written */
	CU_ASSERT_EQUAL(lw_site_ls_list(N.site[0], NULL, 0), 2);
	CU_ASSERT_EQUAL(lw_site_ls_list(N.site[0], NULL, 1), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_ls_list(N.site[1], ls, 4), 1);

	/* A resource of "other", mastered by site 1, which never opened "other". */
	r = name_in_ls_mastered_by("other", 1, 2, "o", &k);
	keep = N.lsid[0];
	N.lsid[0] = other;
	lk = req(0, LW_REQ_LOCK, r, LW_LOCK_PW, 0, 0, NULL, &c);
	N.lsid[0] = keep;
	settle();
	EXPECT_STATUS(c, 0, LW_LOCK_PW);
	CU_ASSERT_EQUAL(info_at(0, r, &in), -ENOENT);   /* not in "ls" */
	CU_ASSERT_EQUAL(info_at(1, r, &in), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(lw_site_res_info(N.site[0], other, r, strlen(r), &in), 0);
	CU_ASSERT_EQUAL(in.lsid, other);
	CU_ASSERT_EQUAL(in.held, LW_LOCK_PW);
	CU_ASSERT_EQUAL(in.locks[0].lkid, (uint32_t)lk);
	CU_ASSERT_EQUAL_FATAL(lw_site_res_info_gid(N.site[1], lw_ls_gid("other", 5), r, strlen(r),
						   &in), 0);
	CU_ASSERT_EQUAL(in.where, LW_RES_MASTER);
	CU_ASSERT_EQUAL(in.lsid, 0);
	CU_ASSERT_EQUAL(in.gid, lw_ls_gid("other", 5));
	CU_ASSERT_EQUAL_FATAL(in.nholders, 1);
	CU_ASSERT_EQUAL(in.holders[0].site, lw_site_self(N.site[0]));
	CU_ASSERT_EQUAL(in.holders[0].grmode, LW_LOCK_PW);
	/* The walk at site 1 finds it too, with no local lockspace. */
	cur = 0;
	n = lw_site_res_walk(N.site[1], &cur, nm, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(nm[0].lsid, 0);
	CU_ASSERT_EQUAL(nm[0].gid, lw_ls_gid("other", 5));
	CU_ASSERT_EQUAL(nm[0].where, LW_RES_MASTER);
	CU_ASSERT_EQUAL(nm[0].namelen, strlen(r));
	CU_ASSERT_EQUAL(memcmp(nm[0].name, r, strlen(r)), 0);
	CU_ASSERT_EQUAL(lw_site_res_walk(N.site[1], &cur, nm, 8), 0);
	CU_ASSERT_STRING_EQUAL(lw_qstate_name(LW_QS_NONE), "none");
	CU_ASSERT_STRING_EQUAL(lw_qstate_name(9), "?");
	CU_ASSERT_STRING_EQUAL(lw_qstate_name(-1), "?");
	net_fini(2);
}

#define WALK_N 100

/* Mark the "w<k>" names of a walk's batch; @return how many it held. */
static unsigned int
mark_walked(const struct lw_res_name *nm, int n, uint16_t lsid, unsigned int *seen,
	    uint8_t *where)
{
	unsigned int hits = 0, k;
	char buf[LW_RESNAME_MAXLEN + 1];

	for (int i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(nm[i].lsid, lsid);
		memcpy(buf, nm[i].name, nm[i].namelen);
		buf[nm[i].namelen] = '\0';
		if (sscanf(buf, "w%u", &k) == 1 && k < WALK_N) {
			seen[k]++;
			where[k] = nm[i].where;
			hits++;
		}
	}
	return hits;
}

/* A lockdump walk returns every resident resource, and survives changes between calls. */
static void
test_res_walk_many(void)
{
	unsigned int seen[WALK_N], total, calls, k = 0;
	struct lw_res_name nm[7];
	uint8_t where[WALK_N];
	char names[WALK_N][16];
	uint16_t ids[2];
	struct lw_map map;
	uint64_t cur, c;
	int lk, n;

	net_init(2);
	ids[0] = lw_site_self(N.site[0]);
	ids[1] = lw_site_self(N.site[1]);
	lw_map_static(&map, 1, ids, 2);
	for (int i = 0; i < WALK_N; i++) {
		snprintf(names[i], sizeof(names[i]), "w%d", i);
		lk = req(0, LW_REQ_LOCK, names[i], LW_LOCK_PR, 0, 0, NULL, &c);
		settle();
		EXPECT_STATUS(c, 0, LW_LOCK_PR);
		if (i % 2)
			req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c);
	}
	settle();

	/* Site 0: every name exactly once (nothing changed); both bits where it masters. */
	memset(seen, 0, sizeof(seen));
	cur = 0;
	total = 0;
	for (calls = 0; calls < 1000 && (n = lw_site_res_walk(N.site[0], &cur, nm, 7)) > 0; calls++) {
		CU_ASSERT(n <= 7);
		total += mark_walked(nm, n, N.lsid[0], seen, where);
	}
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(total, WALK_N);
	CU_ASSERT(calls >= WALK_N / 7);
	for (int i = 0; i < WALK_N; i++) {
		uint16_t m = map.bucket[lw_bucket_of(lw_res_hash(lw_ls_gid("ls", 2), names[i],
								  strlen(names[i])))];

		CU_ASSERT_EQUAL(seen[i], 1);
		CU_ASSERT_EQUAL(where[i], m == ids[0] ? (LW_RES_SHADOW | LW_RES_MASTER) : LW_RES_SHADOW);
	}
	CU_ASSERT_EQUAL(lw_site_res_walk(N.site[0], &cur, nm, 7), 0);   /* stays at the end */

	/* Site 1 has only the master side of the names it masters. */
	memset(seen, 0, sizeof(seen));
	cur = 0;
	total = 0;
	while ((n = lw_site_res_walk(N.site[1], &cur, nm, 3)) > 0)
		total += mark_walked(nm, n, N.lsid[1], seen, where);
	for (int i = 0; i < WALK_N; i++) {
		uint16_t m = map.bucket[lw_bucket_of(lw_res_hash(lw_ls_gid("ls", 2), names[i],
								  strlen(names[i])))];

		CU_ASSERT_EQUAL(seen[i], m == ids[1] ? 1u : 0u);
		if (seen[i])
			CU_ASSERT_EQUAL(where[i], LW_RES_MASTER);
	}

	/* The table changes between calls: new resources, locks going. Still safe, still all. */
	memset(seen, 0, sizeof(seen));
	cur = 0;
	for (calls = 0; calls < 1000 && (n = lw_site_res_walk(N.site[0], &cur, nm, 5)) > 0; calls++) {
		const char *x = name_in_ls_mastered_by("ls", (int)(calls % 2), 2, "x", &k);

		mark_walked(nm, n, N.lsid[0], seen, where);
		lk = req(0, LW_REQ_LOCK, x, LW_LOCK_EX, 0, 0, NULL, &c);
		settle();
		if (calls % 3 == 0)
			req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c);
		CU_ASSERT_EQUAL(lw_site_check(N.site[0]), 0);
	}
	CU_ASSERT(calls < 1000);
	for (int i = 0; i < WALK_N; i++)
		CU_ASSERT(seen[i] >= 1);

	/* Bad arguments; a cursor past the end is the end. */
	cur = 0;
	CU_ASSERT_EQUAL(lw_site_res_walk(N.site[0], &cur, nm, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_res_walk(N.site[0], NULL, nm, 7), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_res_walk(N.site[0], &cur, NULL, 7), -EINVAL);
	cur = UINT64_MAX;
	CU_ASSERT_EQUAL(lw_site_res_walk(N.site[0], &cur, nm, 7), 0);
	net_fini(2);
}

/* The counters and outputs that a read-only call must leave alone. */
static void
expect_same_stats(const struct lw_site_stats *a, const struct lw_site_stats *b)
{
	CU_ASSERT_EQUAL(memcmp(a->tx, b->tx, sizeof(a->tx)), 0);
	CU_ASSERT_EQUAL(memcmp(a->rx, b->rx, sizeof(a->rx)), 0);
	CU_ASSERT_EQUAL(a->engine.requests, b->engine.requests);
	CU_ASSERT_EQUAL(a->engine.res_created, b->engine.res_created);
	CU_ASSERT_EQUAL(a->engine.res_reclaimed, b->engine.res_reclaimed);
	CU_ASSERT_EQUAL(a->engine.res_resident, b->engine.res_resident);
	CU_ASSERT_EQUAL(a->engine.locks, b->engine.locks);
	CU_ASSERT_EQUAL(a->master_resources, b->master_resources);
	CU_ASSERT_EQUAL(a->drops_unknown, b->drops_unknown);
	CU_ASSERT_EQUAL(a->lamport, b->lamport);
}

/* Looking changes nothing: no message, no event, no counter, and no LRU refresh. */
static void
test_info_read_only(void)
{
	struct lw_site_stats before[2], after[2];
	struct lw_res_name nm[4];
	struct lw_ls_entry ls[2];
	struct lw_res_info in;
	char names[3][24];
	unsigned int k = 0;
	uint64_t c, cur;
	int lk;

	net_max_res = 2;
	net_init(2);
	for (int i = 0; i < 3; i++)
		snprintf(names[i], sizeof(names[i]), "%s", name_in_ls_mastered_by("ls", 1, 2, "ro", &k));
	for (int i = 0; i < 2; i++) {
		lk = req(0, LW_REQ_LOCK, names[i], LW_LOCK_EX, 0, 0, NULL, &c);
		settle();
		EXPECT_STATUS(c, 0, LW_LOCK_EX);
		req(0, LW_REQ_UNLOCK, NULL, 0, 0, (uint32_t)lk, NULL, &c);
		settle();
	}
	for (int i = 0; i < 2; i++)
		lw_site_get_stats(N.site[i], &before[i]);
	/* Look hard at the oldest idle resource, names[0], and at everything else. */
	for (int rep = 0; rep < 3; rep++) {
		for (int i = 0; i < 2; i++) {
			CU_ASSERT_EQUAL(info_at(i, names[0], &in), 0);
			CU_ASSERT_EQUAL(info_at(i, names[1], &in), 0);
			CU_ASSERT_EQUAL(info_at(i, names[2], &in), -ENOENT);
			CU_ASSERT(lw_site_ls_list(N.site[i], ls, 2) == 1);
			cur = 0;
			while (lw_site_res_walk(N.site[i], &cur, nm, 4) > 0)
				;
		}
	}
	for (int i = 0; i < 2; i++) {
		lw_site_get_stats(N.site[i], &after[i]);
		expect_same_stats(&before[i], &after[i]);
		CU_ASSERT_EQUAL(N.out[i].msg.n, 0);
		CU_ASSERT_EQUAL(N.out[i].ev.n, 0);
		CU_ASSERT_EQUAL(lw_site_check(N.site[i]), 0);
	}
	CU_ASSERT_EQUAL(N.tail, N.head);
	/* A third resource evicts the oldest idle one: still names[0], looked at or not. */
	lk = req(0, LW_REQ_LOCK, names[2], LW_LOCK_EX, 0, 0, NULL, &c);
	settle();
	EXPECT_STATUS(c, 0, LW_LOCK_EX);
	CU_ASSERT_EQUAL(info_at(0, names[0], &in), -ENOENT);
	CU_ASSERT_EQUAL(lw_site_held(N.site[0], N.lsid[0], names[1], strlen(names[1])), LW_LOCK_EX);
	CU_ASSERT_EQUAL(info_at(0, names[1], &in), 0);
	CU_ASSERT_EQUAL(in.cached, 1);
	net_fini(2);
	net_max_res = 256;
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
		  "cancel_at_master", test_cancel_at_master,
		  "bad_messages_dropped", test_bad_messages_dropped,
		  "eviction_gives_back", test_eviction_gives_back,
		  "redirect_wrong_master", test_redirect_wrong_master,
		  "redirect_followed", test_redirect_followed,
		  "info_remote_grant", test_info_remote_grant,
		  "info_waiting_order", test_info_waiting_order,
		  "info_converting", test_info_converting,
		  "info_lvb", test_info_lvb,
		  "info_not_found", test_info_not_found,
		  "res_walk_many", test_res_walk_many,
		  "info_read_only", test_info_read_only,
		  NULL);
	return lwt_run();
}
