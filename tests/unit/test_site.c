/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_site.c — the master/shadow protocol between a few sites, messages
 * carried by hand (in order per pair): remote grants, cached modes, BAST
 * and DOWNGRADE, NOQUEUE at the master, the LVB through the master,
 * conversion deadlock between sites, cancel of a request at the master,
 * and malformed messages.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("site",
		  "remote_grant_then_cached", test_remote_grant_then_cached,
		  "bast_takes_cached_mode_back", test_bast_takes_cached_mode_back,
		  "bast_waits_for_local_holder", test_bast_waits_for_local_holder,
		  "noqueue_at_master", test_noqueue_at_master,
		  "lvb_through_master", test_lvb_through_master,
		  "conversion_deadlock_between_sites", test_conversion_deadlock_between_sites,
		  "convdeadlk_demotes_between_sites", test_convdeadlk_demotes_between_sites,
		  "cancel_at_master", test_cancel_at_master,
		  "bad_messages_dropped", test_bad_messages_dropped,
		  "eviction_gives_back", test_eviction_gives_back,
		  "redirect_wrong_master", test_redirect_wrong_master,
		  "redirect_followed", test_redirect_followed,
		  NULL);
	return lwt_run();
}
