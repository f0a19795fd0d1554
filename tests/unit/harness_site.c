/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * harness_site.c — the hand-wired network of sites the site tests share
 * (site_net.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "site_net.h"

struct net N;

int
idx_of(uint16_t site)
{
	for (int i = 0; i < NSITES; i++)
		if (lw_site_self(N.site[i]) == site)
			return i;
	return -1;
}

/* Move what site i produced: messages into the network, events aside. */
void
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
void
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

/*
 * Deliver the messages site i has sent so far, ahead of the others' (each
 * pair stays in order); what they cause waits in the network.
 */
void
deliver_from(int i)
{
	uint16_t src = lw_site_self(N.site[i]);
	unsigned int end = N.tail, keep = N.head;

	for (unsigned int k = N.head; k != end; k++) {
		struct lw_msg m = N.q[k % QCAP];
		int d = idx_of(m.h.dst);

		if (m.h.src != src) {
			N.q[keep++ % QCAP] = m;
			continue;
		}
		CU_ASSERT_FATAL(d >= 0);
		N.now += 1000;
		lw_site_receive(N.site[d], &m, 1, N.now, &N.out[d]);
		N.delivered++;
		/* their answers go behind what is left of the queue */
		for (uint32_t j = 0; j < N.out[d].msg.n; j++) {
			CU_ASSERT_FATAL(N.tail - keep < QCAP);
			N.q[N.tail++ % QCAP] = N.out[d].msg.m[j];
		}
		N.out[d].msg.n = 0;
		collect(d);
	}
	/* close the gap the delivered ones left */
	for (unsigned int k = end; k != N.tail; k++)
		N.q[keep++ % QCAP] = N.q[k % QCAP];
	N.tail = keep;
}

uint32_t net_max_res = 256;

void
net_init(int nsites)
{
	uint16_t ids[NSITES] = { 0 };
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

void
net_fini(int nsites)
{
	for (int i = 0; i < nsites; i++) {
		CU_ASSERT_EQUAL(lw_site_check(N.site[i]), 0);
		lw_site_free(N.site[i]);
		lw_site_out_fini(&N.out[i]);
	}
}

/* A resource name whose master is site m. */
const char *
name_mastered_by(int m)
{
	static char buf[16];
	uint16_t want = lw_site_self(N.site[m]);
	uint32_t gid = lw_ls_gid("ls", 2);
	struct lw_map map;
	uint16_t ids[NSITES] = { 0 };
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

uint64_t req_xid;   /* the xid of the next requests (0: the session) */

void
req_fill(struct lw_req *r, int op, const char *name, int mode, uint32_t flags, uint32_t lkid,
	 const uint8_t *lvb)
{
	memset(r, 0, sizeof(*r));
	r->op = (uint8_t)op;
	r->mode = (int8_t)mode;
	if (name != NULL) {
		r->namelen = (uint8_t)strlen(name);
		memcpy(r->name, name, r->namelen);
	}
	r->flags = flags;
	r->lkid = lkid;
	r->want_bast = 1;
	if (lvb != NULL)
		memcpy(r->lvb, lvb, LW_LVB_LEN);
}

int
req(int i, int op, const char *name, int mode, uint32_t flags, uint32_t lkid,
    const uint8_t *lvb, uint64_t *cookie)
{
	struct lw_req r;

	req_fill(&r, op, name, mode, flags, lkid, lvb);
	r.lsid = N.lsid[i];
	r.session = N.sess[i];
	r.cookie = ++N.cookie;
	r.xid = req_xid;
	N.now += 1000;
	lw_site_submit(N.site[i], &r, 1, N.now, &N.out[i]);
	collect(i);
	if (cookie != NULL)
		*cookie = r.cookie;
	return r.rc == 0 ? (int)r.lkid : r.rc;
}

const struct lw_event *
completion(uint64_t cookie)
{
	for (unsigned int k = 0; k < N.nev; k++)
		if (N.ev[k].type == LW_EV_COMPLETE && N.ev[k].cookie == cookie)
			return &N.ev[k];
	return NULL;
}

int
blocking_of(uint32_t lkid)
{
	int n = 0;

	for (unsigned int k = 0; k < N.nev; k++)
		n += N.ev[k].type == LW_EV_BLOCKING && N.ev[k].lkid == lkid;
	return n;
}
