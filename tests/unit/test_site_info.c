/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_site_info.c — the read-only introspection of engine/inspect.c
 * (lw_site_res_info, lw_site_res_walk) on a few hand-wired sites.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lockq.h"
#include "site_net.h"

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
	uint16_t ids[NSITES] = { 0 };
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
	lwt_suite("site_info",
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
