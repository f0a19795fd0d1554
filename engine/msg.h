/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msg.h — the master/shadow protocol messages, as the engine sees them.
 *
 * DESIGN
 * One struct for every message, with one common header. The engine takes
 * and produces these in memory; pktio encodes them on the wire (and the
 * simulator passes them as they are). Names follow "send_X / receive_X":
 *
 *   shadow (site)                      master
 *   REQUEST   (want mode, from held) -> queue the site's request
 *             <- GRANT  (now hold mode, seq, LVB)
 *             <- DENY   (request failed: -EAGAIN, -EDEADLK, LW_ECANCEL)
 *             <- BAST   (reduce to at most mode; head request mode2)
 *   DOWNGRADE (now hold mode, LVB)   -> lower the site's holding
 *   CANCEL    (drop my pending request) -> DENY(LW_ECANCEL) if still pending
 *             <- REDIRECT (not the master of that bucket in this epoch)
 *
 * Recovery (engine/recover.c, after lw_site_view_change):
 *   REPORT    (held mode, seq, LVB)  -> rebuild the site's holding at a new master
 *             (mode IV: a copy of the LVB only, from a live old master or a shadow)
 *   REPORT_DONE (epoch)              -> to every site of the view: no more REPORTs
 *             <- RESUMED (epoch)     the new master's moved buckets grant again
 *
 * lvbseq: one site at a time can write the LVB (it holds PW or EX), so a
 * version number orders values: a writer's DOWNGRADE carries its version + 1,
 * a master keeps the highest it saw (even from a DOWNGRADE that crossed a
 * GRANT), and a site takes a GRANT's value only when it is not older than
 * its own copy.
 *
 * seq: the master numbers each GRANT to a site for a resource; BASTs and
 * DENYs carry the current number; REQUEST, DOWNGRADE and CANCEL echo the
 * number the site last saw. A DOWNGRADE whose echo is older than the
 * master's number crossed a GRANT and is ignored (the GRANT supersedes it).
 *
 * Every message carries the sender's Lamport time.
 */
#ifndef LW_MSG_H
#define LW_MSG_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "lockwire.h"

#define LW_PROTO_VERSION 1

enum lw_msg_type {
	LW_MSG_REQUEST = 1,
	LW_MSG_GRANT = 2,
	LW_MSG_DENY = 3,
	LW_MSG_BAST = 4,
	LW_MSG_DOWNGRADE = 5,
	LW_MSG_CANCEL = 6,
	LW_MSG_REDIRECT = 7,
	LW_MSG_REPORT = 8,      /* recovery: a shadow's holding, to a bucket's new master */
	LW_MSG_REPORT_DONE = 9, /* recovery: every REPORT of this site for this epoch is sent */
	LW_MSG_RESUMED = 10,    /* recovery: the sender's moved buckets grant again */
	LW_MSG_NTYPES
};

/* lvbf bits */
#define LW_MSG_LVB_PRESENT  0x01u  /* lvb holds a value (GRANT read, DOWNGRADE write) */
#define LW_MSG_LVB_INVALID  0x02u  /* GRANT: the value is not valid; DOWNGRADE: invalidate */

struct lw_msg_hdr {
	uint8_t  version;     /* LW_PROTO_VERSION */
	uint8_t  type;        /* enum lw_msg_type */
	uint16_t len;         /* sizeof(struct lw_msg) */
	uint16_t src;         /* sending site */
	uint16_t dst;         /* receiving site */
	uint32_t epoch;       /* sender's map epoch */
	uint32_t rsvd;
	uint64_t lamport;     /* sender's logical clock */
};

struct lw_msg {
	struct lw_msg_hdr h;
	uint32_t gid;         /* lockspace (global id) */
	uint32_t flags;       /* REQUEST: LW_LKF_* that matter at the master */
	uint32_t seq;         /* see above */
	int32_t  status;      /* DENY */
	uint32_t lvbseq;      /* version of lvb (GRANT, DOWNGRADE): a higher one is newer */
	uint32_t rsvd3;
	int8_t   mode;        /* REQUEST want, GRANT/DENY/DOWNGRADE hold, BAST target */
	int8_t   mode2;       /* REQUEST from (held), BAST head request's mode */
	uint8_t  namelen;
	uint8_t  lvbf;        /* LW_MSG_LVB_* */
	uint16_t site2;       /* BAST: head request's site; REDIRECT: the master */
	uint8_t  sbflags;     /* GRANT: LW_SBF_ALTMODE */
	int8_t   dlmode;      /* REQUEST: the asking local lock's own granted mode (NL: new) */
	uint8_t  lvb[LW_LVB_LEN];
	uint8_t  name[LW_RESNAME_MAXLEN];
};

static_assert(sizeof(struct lw_msg_hdr) == 24, "lw_msg_hdr layout");
static_assert(offsetof(struct lw_msg, gid) == 24, "lw_msg layout");
static_assert(offsetof(struct lw_msg, lvbseq) == 40, "lw_msg layout");
static_assert(offsetof(struct lw_msg, mode) == 48, "lw_msg layout");
static_assert(offsetof(struct lw_msg, lvb) == 56, "lw_msg layout");
static_assert(offsetof(struct lw_msg, name) == 88, "lw_msg layout");
static_assert(sizeof(struct lw_msg) == 152, "lw_msg layout");

/** A growable batch of messages (grows only; see lw_evbuf). */
struct lw_msgbuf {
	struct lw_msg *m;
	uint32_t n;
	uint32_t cap;
	uint64_t lost;
};

int  lw_msgbuf_init(struct lw_msgbuf *b, uint32_t cap);
void lw_msgbuf_fini(struct lw_msgbuf *b);
struct lw_msg *lw_msgbuf_grow(struct lw_msgbuf *b);

static inline struct lw_msg *
lw_msgbuf_push(struct lw_msgbuf *b)
{
	if (__builtin_expect(b->n == b->cap, 0))
		return lw_msgbuf_grow(b);
	return &b->m[b->n++];
}

/** Name of a message type ("REQUEST"...), "?" when unknown. */
const char *lw_msg_type_name(int type);

#endif /* LW_MSG_H */
