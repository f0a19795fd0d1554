/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * site_net.h — a few sites wired by hand for the site tests (test_site.c,
 * test_site_info.c): messages in one queue, delivered in order per pair
 * (settle) or one site's first (deliver_from); events kept aside.
 */
#ifndef LW_TEST_SITE_NET_H
#define LW_TEST_SITE_NET_H

#include <stdint.h>

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

extern struct net N;
extern uint32_t net_max_res;   /* master resources per site in net_init */
extern uint64_t req_xid;       /* the xid of the next requests (0: the session) */

int idx_of(uint16_t site);
void collect(int i);
void settle(void);
void deliver_from(int i);
void net_init(int nsites);
void net_fini(int nsites);
const char *name_mastered_by(int m);
/** A request with its arguments filled, no site or session yet (want_bast set). */
void req_fill(struct lw_req *r, int op, const char *name, int mode, uint32_t flags,
	      uint32_t lkid, const uint8_t *lvb);
int req(int i, int op, const char *name, int mode, uint32_t flags, uint32_t lkid,
	const uint8_t *lvb, uint64_t *cookie);
const struct lw_event *completion(uint64_t cookie);
int blocking_of(uint32_t lkid);

#define EXPECT_STATUS(c, st, md) do {                                     \
		const struct lw_event *ev_ = completion(c);               \
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev_);                        \
		CU_ASSERT_EQUAL(ev_->status, (st));                       \
		CU_ASSERT_EQUAL(ev_->mode, (md));                         \
	} while (0)

#endif /* LW_TEST_SITE_NET_H */
