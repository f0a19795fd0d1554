/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * membership.c — heartbeats, views and leases of one node (sans-IO).
 *
 * DESIGN
 * Messages (all start with struct ms_hdr; little-endian, versioned,
 * length-checked):
 *   send_hb()      -> receive_hb()       every hb_interval to every node:
 *                                         installed epoch, send time, echo;
 *                                         SHUNNED when the destination's
 *                                         incarnation is excluded here
 *   send_propose() -> receive_propose()  leader to proposed members, resent
 *                                         every hb_interval until acked
 *   send_ack()     -> receive_ack()      accept, or refuse: STALE (the
 *                                         proposal's base is older than a view
 *                                         the member knows; that view follows
 *                                         as a COMMIT) or SHUN (the proposal
 *                                         holds incarnations the member
 *                                         excluded; they are listed)
 *   send_commit()  -> receive_commit()   leader to members once all acked;
 *                                         any member to a member whose HB
 *                                         shows an older epoch; any node to a
 *                                         proposer whose base is stale
 * A node learns it is excluded (SHUNNED in a heartbeat, a SHUN refusal, a
 * committed view without it, a proposal that marks it joining while it is
 * installed, or a committed view derived from a base older than its
 * installed view) and fences: it rejoins as a new incarnation with fresh
 * state, since no view will ever hold the old one again.
 * Leave (lw_ms_leave, after the caller stopped granting): the node's HBs
 * carry LEAVING and echo nobody; it never proposes, accepts or fences.
 * Whoever hears it records (node, incarnation) as left and shuns it at
 * once; the leader proposes without it and lists it in the view's left, so
 * members that missed the HB still know; a lost node that left sets no
 * fence_until. A member whose view excludes it answers its LEAVING HBs with
 * that view's COMMIT, which tells the leaver it has left (lw_ms_left).
 * State of a node: alive peers (heard within suspect_ns), the installed
 * view, the base (newest committed view known, installed or not), the
 * highest proposal accepted, the shunned incarnations (excluded by an
 * accepted proposal: never echoed, never alive, never accepted in a view
 * again), and, at the leader, the proposal out and who acked it. A peer
 * heard before counts as alive until suspect_ns after the later of its last
 * message and our own start, so a node that just rejoined does not propose
 * to drop members it simply has not heard yet.
 * A committed view is one all its members accepted, so two committed views
 * never share an epoch (each needs a majority, a node accepts one proposal
 * per epoch). Only the owner of the struct lw_ms touches it.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "membership.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wire structs are little-endian");

#define MS_MAGIC    0x534d574cu   /* "LWMS" */
#define MS_VERSION  2u
#define MS_NONE     UINT64_MAX

enum { MS_HB = 1, MS_PROPOSE = 2, MS_ACK = 3, MS_COMMIT = 4 };
enum { ACK_OK = 0, ACK_STALE = 1, ACK_SHUN = 2 };

struct ms_hdr {
	uint32_t magic;
	uint8_t  version;
	uint8_t  type;
	uint16_t len;          /* whole message */
	uint8_t  src;
	uint8_t  rsvd[3];
	uint32_t inc;          /* sender's incarnation */
};
static_assert(offsetof(struct ms_hdr, type) == 5, "hdr");
static_assert(offsetof(struct ms_hdr, len) == 6, "hdr");
static_assert(offsetof(struct ms_hdr, src) == 8, "hdr");
static_assert(offsetof(struct ms_hdr, inc) == 12, "hdr");
static_assert(sizeof(struct ms_hdr) == 16, "hdr");

struct ms_hb {
	struct ms_hdr h;
	uint32_t epoch;        /* sender's installed view (0: none) */
	uint32_t dst_inc;      /* incarnation of the destination the echo is for */
	uint64_t ts;           /* sender's now */
	uint64_t echo;         /* ts of the destination's last HB (0: no echo) */
	uint32_t flags;        /* HB_F_* */
	uint32_t rsvd;
};
static_assert(offsetof(struct ms_hb, epoch) == 16, "hb");
static_assert(offsetof(struct ms_hb, dst_inc) == 20, "hb");
static_assert(offsetof(struct ms_hb, ts) == 24, "hb");
static_assert(offsetof(struct ms_hb, echo) == 32, "hb");
static_assert(offsetof(struct ms_hb, flags) == 40, "hb");
static_assert(sizeof(struct ms_hb) == 48, "hb");

/* The destination's incarnation (dst_inc) is excluded here: it must rejoin. */
#define HB_F_SHUNNED 1u
/* The sender (this incarnation) is leaving: it stopped granting; drop it at once. */
#define HB_F_LEAVING 2u

/* PROPOSE and COMMIT: this, then uint32_t inc[nmembers] (ascending member
 * ids), then uint8_t owner[nconf] (ascending configured ids), then uint8_t
 * left[nleft] (ascending ids). joining: the members not in the leader's
 * newest committed view with this incarnation. left: the members of the
 * base view (base_epoch) that this view drops because they left cleanly
 * (not members again, so members + left <= nconf; one back with a new
 * incarnation is judged on what each node heard itself). */
struct ms_viewmsg {
	struct ms_hdr h;
	uint32_t epoch;
	uint32_t base_epoch;   /* the committed view the owner table derives from */
	uint8_t  leader;
	uint8_t  nmembers;
	uint8_t  nconf;
	uint8_t  nleft;
	uint32_t rsvd2;
	uint64_t members[4];
	uint64_t joining[4];
};
static_assert(offsetof(struct ms_viewmsg, epoch) == 16, "view");
static_assert(offsetof(struct ms_viewmsg, base_epoch) == 20, "view");
static_assert(offsetof(struct ms_viewmsg, leader) == 24, "view");
static_assert(offsetof(struct ms_viewmsg, nconf) == 26, "view");
static_assert(offsetof(struct ms_viewmsg, members) == 32, "view");
static_assert(offsetof(struct ms_viewmsg, joining) == 64, "view");
static_assert(sizeof(struct ms_viewmsg) == 96, "view");
/* members + left <= nconf: 4 * members + nconf + left <= 5 * nconf */
static_assert(sizeof(struct ms_viewmsg) + 5 * LW_MS_MAX_CONF <= LW_MS_MSG_MAX, "a view fits a message");

struct ms_shun {
	uint32_t inc;
	uint8_t  node;
	uint8_t  rsvd[3];
};

#define MS_ACK_SHUN_MAX 64u

struct ms_ack {
	struct ms_hdr h;
	uint32_t epoch;        /* the proposal's */
	uint8_t  status;       /* ACK_* */
	uint8_t  nshun;        /* ACK_SHUN: entries that follow */
	uint16_t rsvd;
	uint32_t base_epoch;   /* sender's newest committed view */
	uint32_t max_epoch;    /* highest epoch the sender saw */
	struct ms_shun shun[];
};
static_assert(offsetof(struct ms_ack, status) == 20, "ack");
static_assert(offsetof(struct ms_ack, base_epoch) == 24, "ack");
static_assert(sizeof(struct ms_ack) == 32, "ack");
static_assert(sizeof(struct ms_shun) == 8, "ack");
static_assert(sizeof(struct ms_ack) + MS_ACK_SHUN_MAX * sizeof(struct ms_shun) <= LW_MS_MSG_MAX, "ack");

/* A view, proposed or committed. */
struct ms_view {
	uint32_t epoch;
	uint32_t base_epoch;
	uint8_t  leader;
	uint64_t members[4];
	uint64_t joining[4];   /* members new to the leader's base (fresh state) */
	uint64_t left[4];      /* base members dropped because they left cleanly */
	uint32_t inc[256];
	uint8_t  owner[256];
};

struct ms_peer {
	uint32_t inc;          /* last incarnation heard (0: never) */
	uint32_t epoch;        /* installed epoch of its last HB */
	uint64_t heard;        /* now of its last message */
	uint64_t ts_rx;        /* highest ts of its HBs: what we echo */
	uint64_t echo_rx;      /* highest echo of our ts (our current incarnation) */
};

struct lw_ms {
	struct lw_ms_conf c;
	unsigned int nconf, majority;
	struct ms_peer peer[256];
	uint32_t shun[256];           /* incarnations <= shun[n] of node n are excluded */
	uint32_t left_inc[256];       /* incarnation of node n known to have left (0: none) */
	uint64_t next_hb;
	uint64_t start_ns;            /* create or rejoin: silence is measured from here at most */

	bool installed, fenced;
	bool leaving, left;           /* lw_ms_leave called; a view without us is committed */
	struct ms_view inst;
	uint64_t install_ns, grace;   /* grace: a new member's first lease must come by then */
	uint64_t lease_until;

	bool have_base;
	struct ms_view base;          /* newest committed view known */
	uint32_t max_epoch;
	bool have_acc;
	struct ms_view acc;           /* highest proposal accepted */

	bool proposing;               /* leader with prop out */
	bool prop_retry;              /* refused: propose again at the next step */
	struct ms_view prop;
	uint64_t acked[4];
	uint64_t prop_start, prop_sent;

	bool view_new;                /* for lw_ms_take_view */
	uint64_t plost[4], pleft[4], pfence;

	uint64_t last_now;            /* latest now given, for lw_ms_info */
	struct lw_ms_info st;         /* counters only */
	unsigned int out_head, out_n;
	struct lw_ms_out out[LW_MS_OUT_MAX];
};

/* --- sets ---------------------------------------------------------------- */

static unsigned int
set_count(const uint64_t s[4])
{
	return (unsigned int)(__builtin_popcountll(s[0]) + __builtin_popcountll(s[1]) +
			      __builtin_popcountll(s[2]) + __builtin_popcountll(s[3]));
}

static bool
set_sub(const uint64_t a[4], const uint64_t b[4])
{
	return !(a[0] & ~b[0]) && !(a[1] & ~b[1]) && !(a[2] & ~b[2]) && !(a[3] & ~b[3]);
}

/* Same members with the same incarnations. */
static bool
view_same_members(const struct ms_view *v, const uint64_t m[4], const uint32_t *inc)
{
	unsigned int n;

	if (memcmp(v->members, m, sizeof(v->members)) != 0)
		return false;
	for (n = 1; n < 256; n++)
		if (lw_ms_has(m, n) && v->inc[n] != inc[n])
			return false;
	return true;
}

static bool
view_has(const struct ms_view *v, unsigned int n, uint32_t inc)
{
	return lw_ms_has(v->members, n) && v->inc[n] == inc;
}

static bool
shunned(const struct lw_ms *ms, unsigned int n, uint32_t inc)
{
	return inc != 0 && inc <= ms->shun[n];
}

static void
shun(struct lw_ms *ms, unsigned int n, uint32_t inc)
{
	if (n != ms->c.self && inc > ms->shun[n])
		ms->shun[n] = inc;
}

/* When a peer heard before is suspected: silent for suspect_ns, counted from our start. */
static uint64_t
suspect_at(const struct lw_ms *ms, const struct ms_peer *p)
{
	return (p->heard > ms->start_ns ? p->heard : ms->start_ns) + ms->c.suspect_ns;
}

static bool
alive(const struct lw_ms *ms, unsigned int n, uint64_t now)
{
	const struct ms_peer *p = &ms->peer[n];

	if (n == ms->c.self)
		return true;
	if (p->inc == 0 || shunned(ms, n, p->inc))
		return false;
	return now < suspect_at(ms, p);
}

/* The alive set with incarnations; @return the leader (0: no majority). */
static unsigned int
alive_set(const struct lw_ms *ms, uint64_t now, uint64_t set[4], uint32_t *inc)
{
	unsigned int n, lead = 0;

	memset(set, 0, 4 * sizeof(uint64_t));
	for (n = 1; n < 256; n++) {
		if (!lw_ms_has(ms->c.nodes, n) || !alive(ms, n, now))
			continue;
		lw_ms_add(set, n);
		inc[n] = n == ms->c.self ? ms->c.incarnation : ms->peer[n].inc;
		if (lead == 0)
			lead = n;
	}
	return set_count(set) >= ms->majority ? lead : 0;
}

/* --- output -------------------------------------------------------------- */

static struct lw_ms_out *
out_slot(struct lw_ms *ms, unsigned int dst, uint8_t type, size_t len)
{
	struct lw_ms_out *o;
	struct ms_hdr h = {
		.magic = MS_MAGIC, .version = MS_VERSION, .type = type,
		.len = (uint16_t)len, .src = ms->c.self, .inc = ms->c.incarnation,
	};

	if (ms->out_n == LW_MS_OUT_MAX) {
		ms->st.out_drops++;
		return NULL;
	}
	o = &ms->out[(ms->out_head + ms->out_n++) % LW_MS_OUT_MAX];
	memset(o, 0, offsetof(struct lw_ms_out, buf));
	o->dst = (uint8_t)dst;
	o->len = (uint16_t)len;
	memset(o->buf, 0, len);
	memcpy(o->buf, &h, sizeof(h));
	return o;
}

static void
send_hb(struct lw_ms *ms, unsigned int dst, uint64_t now)
{
	const struct ms_peer *p = &ms->peer[dst];
	struct ms_hb hb;
	struct lw_ms_out *o = out_slot(ms, dst, MS_HB, sizeof(hb));

	if (o == NULL)
		return;
	memcpy(&hb, o->buf, sizeof(hb.h));
	hb.epoch = ms->installed ? ms->inst.epoch : 0;
	hb.dst_inc = p->inc;
	hb.ts = now;
	hb.echo = 0;
	hb.flags = 0;
	hb.rsvd = 0;
	if (ms->leaving) {
		/* Echo nobody: our view is gone for us. */
		hb.flags = HB_F_LEAVING;
		memcpy(o->buf, &hb, sizeof(hb));
		ms->st.hb_tx++;
		return;
	}
	if (p->inc != 0 && shunned(ms, dst, p->inc))
		hb.flags |= HB_F_SHUNNED;
	/* Echo only a member of our view, this incarnation, never excluded. */
	if (ms->installed && p->inc != 0 && view_has(&ms->inst, dst, p->inc) &&
	    !shunned(ms, dst, p->inc))
		hb.echo = p->ts_rx;
	memcpy(o->buf, &hb, sizeof(hb));
	ms->st.hb_tx++;
}

static void
send_view(struct lw_ms *ms, unsigned int dst, uint8_t type, const struct ms_view *v)
{
	struct ms_viewmsg m;
	struct lw_ms_out *o;
	uint8_t *p;
	unsigned int n, nm = set_count(v->members), nl = set_count(v->left);
	size_t len = sizeof(m) + 4 * nm + ms->nconf + nl;

	o = out_slot(ms, dst, type, len);
	if (o == NULL)
		return;
	memcpy(&m, o->buf, sizeof(m.h));
	m.epoch = v->epoch;
	m.base_epoch = v->base_epoch;
	m.leader = v->leader;
	m.nmembers = (uint8_t)nm;
	m.nconf = (uint8_t)ms->nconf;
	m.nleft = (uint8_t)nl;
	m.rsvd2 = 0;
	memcpy(m.members, v->members, sizeof(m.members));
	memcpy(m.joining, v->joining, sizeof(m.joining));
	memcpy(o->buf, &m, sizeof(m));
	p = o->buf + sizeof(m);
	for (n = 1; n < 256; n++)
		if (lw_ms_has(v->members, n)) {
			memcpy(p, &v->inc[n], 4);
			p += 4;
		}
	for (n = 1; n < 256; n++)
		if (lw_ms_has(ms->c.nodes, n))
			*p++ = v->owner[n];
	for (n = 1; n < 256; n++)
		if (lw_ms_has(v->left, n))
			*p++ = (uint8_t)n;
	if (type == MS_COMMIT)
		ms->st.commits_tx++;
}

static void
send_ack(struct lw_ms *ms, unsigned int dst, uint32_t epoch, uint8_t status,
	 const struct ms_shun *sh, unsigned int nsh)
{
	struct ms_ack a;
	struct lw_ms_out *o = out_slot(ms, dst, MS_ACK, sizeof(a) + nsh * sizeof(*sh));

	if (o == NULL)
		return;
	memcpy(&a, o->buf, sizeof(a.h));
	a.epoch = epoch;
	a.status = status;
	a.nshun = (uint8_t)nsh;
	a.rsvd = 0;
	a.base_epoch = ms->have_base ? ms->base.epoch : 0;
	a.max_epoch = ms->max_epoch;
	memcpy(o->buf, &a, sizeof(a));
	if (nsh)
		memcpy(o->buf + sizeof(a), sh, nsh * sizeof(*sh));
	if (status == ACK_OK)
		ms->st.acks_tx++;
	else
		ms->st.refusals_tx++;
}

/* --- lease and views ----------------------------------------------------- */

static void
fence(struct lw_ms *ms)
{
	if (ms->fenced || ms->leaving)
		return;
	ms->fenced = true;
	ms->proposing = false;
	ms->lease_until = 0;
	ms->st.fences++;
}

static int
cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * The lease: the majority-th most recent echo among the view's members
 * (ourselves at now) plus lease_ns; it never moves back. Fence when it ran
 * out, or when a new member got no lease within lease_ns.
 */
static void
lease_update(struct lw_ms *ms, uint64_t now)
{
	uint64_t val[256], until;
	unsigned int n, k = 0;

	if (!ms->installed || ms->fenced || ms->leaving)
		return;
	for (n = 1; n < 256; n++) {
		if (!lw_ms_has(ms->inst.members, n))
			continue;
		if (n == ms->c.self)
			val[k++] = now;
		else
			val[k++] = ms->peer[n].inc == ms->inst.inc[n] ? ms->peer[n].echo_rx : 0;
	}
	if (k >= ms->majority) {
		qsort(val, k, sizeof(val[0]), cmp_desc);
		if (val[ms->majority - 1] != 0) {
			until = val[ms->majority - 1] + ms->c.lease_ns;
			if (until > ms->lease_until)
				ms->lease_until = until;
		}
	}
	until = ms->lease_until > ms->grace ? ms->lease_until : ms->grace;
	if (now >= until)
		fence(ms);
}

/* Stop echoing, and never accept again, the incarnations a view drops. */
static void
shun_dropped(struct lw_ms *ms, const struct ms_view *from, const struct ms_view *to)
{
	unsigned int n;

	for (n = 1; n < 256; n++)
		if (lw_ms_has(from->members, n) && !view_has(to, n, from->inc[n]))
			shun(ms, n, from->inc[n]);
}

/*
 * The nodes a view says left: the incarnations they had in its base view,
 * when that is a view we know (the one installed, or the newest committed).
 */
static void
learn_left(struct lw_ms *ms, const struct ms_view *v)
{
	const struct ms_view *b = NULL;
	unsigned int n;

	if (ms->installed && ms->inst.epoch == v->base_epoch)
		b = &ms->inst;
	else if (ms->have_base && ms->base.epoch == v->base_epoch)
		b = &ms->base;
	if (b == NULL)
		return;
	for (n = 1; n < 256; n++)
		if (lw_ms_has(v->left, n) && lw_ms_has(b->members, n) && b->inc[n] > ms->left_inc[n])
			ms->left_inc[n] = b->inc[n];
}

/*
 * A lost node that left cleanly had stopped granting before it said so:
 * it counts in lost but needs no lease wait. Any other lost node sets
 * fence_until.
 */
static void
install(struct lw_ms *ms, const struct ms_view *v, uint64_t now)
{
	bool crashed = false;
	unsigned int n;

	learn_left(ms, v);
	if (ms->installed) {
		for (n = 1; n < 256; n++) {
			if (!lw_ms_has(ms->inst.members, n) || view_has(v, n, ms->inst.inc[n]))
				continue;
			lw_ms_add(ms->plost, n);
			if (ms->left_inc[n] == ms->inst.inc[n])
				lw_ms_add(ms->pleft, n);
			else
				crashed = true;
		}
		shun_dropped(ms, &ms->inst, v);
	} else {
		ms->grace = now + ms->c.lease_ns;
	}
	if (crashed && now + ms->c.lease_ns + ms->c.lease_margin_ns > ms->pfence)
		ms->pfence = now + ms->c.lease_ns + ms->c.lease_margin_ns;
	ms->inst = *v;
	ms->installed = true;
	ms->install_ns = now;
	ms->view_new = true;
	ms->st.views++;
	if (!ms->have_base || v->epoch > ms->base.epoch) {
		ms->base = *v;
		ms->have_base = true;
	}
	lease_update(ms, now);
}

/*
 * The owner table of a view, from its member set alone: a member owns
 * itself; the configured non-members go, in ascending order, to the member
 * owning fewest (ties: lowest id).
 */
static void
compute_owners(const struct lw_ms *ms, struct ms_view *p)
{
	unsigned int cnt[256] = {0};
	unsigned int n, m, best;

	memset(p->owner, 0, sizeof(p->owner));
	for (n = 1; n < 256; n++)
		if (lw_ms_has(p->members, n)) {
			p->owner[n] = (uint8_t)n;
			cnt[n] = 1;
		}
	for (n = 1; n < 256; n++) {
		if (!lw_ms_has(ms->c.nodes, n) || p->owner[n])
			continue;
		best = 0;
		for (m = 1; m < 256; m++)
			if (lw_ms_has(p->members, m) && (best == 0 || cnt[m] < cnt[best]))
				best = m;
		p->owner[n] = (uint8_t)best;
		cnt[best]++;
	}
}

/* --- leader -------------------------------------------------------------- */

static void
accept_view(struct lw_ms *ms, const struct ms_view *v)
{
	learn_left(ms, v);
	if (ms->installed)
		shun_dropped(ms, &ms->inst, v);
	if (ms->have_acc)
		shun_dropped(ms, &ms->acc, v);
	ms->acc = *v;
	ms->have_acc = true;
	if (v->epoch > ms->max_epoch)
		ms->max_epoch = v->epoch;
}

static void
send_propose_all(struct lw_ms *ms, uint64_t now)
{
	unsigned int n;

	for (n = 1; n < 256; n++)
		if (lw_ms_has(ms->prop.members, n) && !lw_ms_has(ms->acked, n))
			send_view(ms, n, MS_PROPOSE, &ms->prop);
	ms->prop_sent = now;
}

static void
commit(struct lw_ms *ms, uint64_t now)
{
	unsigned int n;

	ms->proposing = false;
	install(ms, &ms->prop, now);
	for (n = 1; n < 256; n++)
		if (n != ms->c.self && lw_ms_has(ms->prop.members, n))
			send_view(ms, n, MS_COMMIT, &ms->prop);
}

static void
propose(struct lw_ms *ms, const uint64_t set[4], const uint32_t *inc, uint64_t now)
{
	struct ms_view *p = &ms->prop;
	unsigned int n;

	memset(p, 0, sizeof(*p));
	p->epoch = ++ms->max_epoch;
	p->base_epoch = ms->have_base ? ms->base.epoch : 0;
	p->leader = ms->c.self;
	memcpy(p->members, set, sizeof(p->members));
	for (n = 1; n < 256; n++)
		if (lw_ms_has(set, n)) {
			/* Joining: not in our base with this incarnation, so no state. */
			p->inc[n] = inc[n];
			if (!ms->have_base || !view_has(&ms->base, n, inc[n]))
				lw_ms_add(p->joining, n);
		}
	for (n = 1; n < 256 && ms->have_base; n++)
		if (lw_ms_has(ms->base.members, n) && !lw_ms_has(p->members, n) &&
		    ms->left_inc[n] == ms->base.inc[n])
			lw_ms_add(p->left, n);
	compute_owners(ms, p);
	accept_view(ms, p);
	memset(ms->acked, 0, sizeof(ms->acked));
	lw_ms_add(ms->acked, ms->c.self);
	ms->proposing = true;
	ms->prop_retry = false;
	ms->prop_start = now;
	ms->st.proposals++;
	if (set_count(set) == 1)
		commit(ms, now);
	else
		send_propose_all(ms, now);
}

/* Propose when the alive set differs from the newest view; retry, resend. */
static void
leader_step(struct lw_ms *ms, uint64_t now)
{
	uint64_t set[4];
	uint32_t inc[256];
	unsigned int lead;

	if (ms->fenced || ms->leaving)
		return;
	lead = alive_set(ms, now, set, inc);
	if (lead != ms->c.self) {
		ms->proposing = false;
		return;
	}
	if (ms->proposing) {
		if (!view_same_members(&ms->prop, set, inc) || ms->prop_retry ||
		    (ms->have_base && ms->prop.base_epoch != ms->base.epoch) ||
		    now - ms->prop_start >= ms->c.propose_timeout_ns)
			propose(ms, set, inc, now);
		else if (now - ms->prop_sent >= ms->c.hb_interval_ns)
			send_propose_all(ms, now);
		return;
	}
	if (!ms->have_base || !view_same_members(&ms->base, set, inc))
		propose(ms, set, inc, now);
}

/* --- receive ------------------------------------------------------------- */

/* Decode and check a view message. @return 0 or -EBADMSG. */
static int
decode_view(const struct lw_ms *ms, const uint8_t *buf, size_t len, struct ms_view *v)
{
	struct ms_viewmsg m;
	const uint8_t *p;
	unsigned int n, nm;

	if (len < sizeof(m))
		return -EBADMSG;
	memcpy(&m, buf, sizeof(m));
	nm = set_count(m.members);
	if (m.epoch == 0 || m.nconf != ms->nconf || m.nmembers != nm ||
	    len != sizeof(m) + 4 * (size_t)nm + ms->nconf + m.nleft ||
	    !set_sub(m.members, ms->c.nodes) || !set_sub(m.joining, m.members) ||
	    !lw_ms_has(m.members, m.leader) ||
	    nm < ms->majority)
		return -EBADMSG;
	memset(v, 0, sizeof(*v));
	v->epoch = m.epoch;
	v->base_epoch = m.base_epoch;
	v->leader = m.leader;
	memcpy(v->members, m.members, sizeof(v->members));
	memcpy(v->joining, m.joining, sizeof(v->joining));
	p = buf + sizeof(m);
	for (n = 1; n < 256; n++)
		if (lw_ms_has(v->members, n)) {
			memcpy(&v->inc[n], p, 4);
			p += 4;
			if (v->inc[n] == 0)
				return -EBADMSG;
		}
	for (n = 1; n < 256; n++)
		if (lw_ms_has(ms->c.nodes, n)) {
			v->owner[n] = *p++;
			if (!lw_ms_has(v->members, v->owner[n]))
				return -EBADMSG;
		}
	for (n = 0; n < m.nleft; n++, p++) {
		if (!lw_ms_has(ms->c.nodes, *p) || lw_ms_has(v->members, *p) || lw_ms_has(v->left, *p))
			return -EBADMSG;
		lw_ms_add(v->left, *p);
	}
	return 0;
}

static void
receive_hb(struct lw_ms *ms, unsigned int src, const struct ms_hb *hb, uint64_t now)
{
	struct ms_peer *p = &ms->peer[src];

	ms->st.hb_rx++;
	if (hb->ts > p->ts_rx)
		p->ts_rx = hb->ts;
	if (hb->epoch > p->epoch)
		p->epoch = hb->epoch;
	if (hb->epoch > ms->max_epoch)
		ms->max_epoch = hb->epoch;
	if (hb->flags & HB_F_LEAVING) {
		/* Not alive from now on, never echoed or accepted again. */
		if (hb->h.inc > ms->left_inc[src])
			ms->left_inc[src] = hb->h.inc;
		shun(ms, src, hb->h.inc);
		/* Tell it a view without it is committed, until it stops asking. */
		if (ms->installed && !view_has(&ms->inst, src, hb->h.inc) && hb->epoch < ms->inst.epoch)
			send_view(ms, src, MS_COMMIT, &ms->inst);
		return;
	}
	/* An echo is one of our own send times: never in our future. */
	if (hb->dst_inc == ms->c.incarnation && (hb->flags & HB_F_SHUNNED)) {
		fence(ms);     /* excluded: this incarnation can never be a member again */
		return;
	}
	if (hb->dst_inc == ms->c.incarnation && hb->echo <= now && hb->echo > p->echo_rx)
		p->echo_rx = hb->echo;
	lease_update(ms, now);
}

static void
receive_propose(struct lw_ms *ms, unsigned int src, const struct ms_view *v)
{
	const struct ms_view *known = ms->have_base ? &ms->base : NULL;
	struct ms_shun sh[MS_ACK_SHUN_MAX];
	unsigned int n, nsh = 0;

	if (v->epoch > ms->max_epoch)
		ms->max_epoch = v->epoch;
	if (v->leader != src || !view_has(v, ms->c.self, ms->c.incarnation))
		return;
	if (ms->have_acc && v->epoch <= ms->acc.epoch) {
		/* A resend of the proposal we accepted: answer again. */
		if (v->epoch == ms->acc.epoch && ms->acc.leader == src &&
		    view_same_members(&ms->acc, v->members, v->inc))
			send_ack(ms, src, v->epoch, ACK_OK, NULL, 0);
		else
			send_ack(ms, src, v->epoch, ACK_STALE, NULL, 0);
		return;
	}
	if (known != NULL && known->epoch > v->base_epoch) {
		send_ack(ms, src, v->epoch, ACK_STALE, NULL, 0);
		send_view(ms, src, MS_COMMIT, known);
		return;
	}
	if (ms->installed && lw_ms_has(v->joining, ms->c.self)) {
		/* A view we missed went on without us: our state is stale. */
		fence(ms);
		return;
	}

	for (n = 1; n < 256 && nsh < MS_ACK_SHUN_MAX; n++)
		if (lw_ms_has(v->members, n) && shunned(ms, n, v->inc[n]))
			sh[nsh++] = (struct ms_shun){ .inc = ms->shun[n], .node = (uint8_t)n };
	if (nsh) {
		send_ack(ms, src, v->epoch, ACK_SHUN, sh, nsh);
		return;
	}
	accept_view(ms, v);
	send_ack(ms, src, v->epoch, ACK_OK, NULL, 0);
}

static int
receive_ack(struct lw_ms *ms, unsigned int src, uint32_t inc, const uint8_t *buf, size_t len,
	    uint64_t now)
{
	struct ms_ack a;
	struct ms_shun sh;
	unsigned int i;

	if (len < sizeof(a))
		return -EBADMSG;
	memcpy(&a, buf, sizeof(a));
	if (a.status > ACK_SHUN || a.nshun > MS_ACK_SHUN_MAX ||
	    len != sizeof(a) + a.nshun * sizeof(sh) || (a.status != ACK_SHUN && a.nshun))
		return -EBADMSG;
	if (a.status == ACK_OK)
		ms->st.acks_rx++;
	else
		ms->st.refusals_rx++;
	if (a.max_epoch > ms->max_epoch)
		ms->max_epoch = a.max_epoch;
	if (a.status == ACK_SHUN)
		for (i = 0; i < a.nshun; i++) {
			memcpy(&sh, buf + sizeof(a) + i * sizeof(sh), sizeof(sh));
			if (sh.node == ms->c.self && sh.inc >= ms->c.incarnation) {
				/* We were excluded: rejoin as a new incarnation. */
				fence(ms);
				return 0;
			} else if (lw_ms_has(ms->c.nodes, sh.node)) {
				shun(ms, sh.node, sh.inc);
			}
		}
	if (!ms->proposing || a.epoch != ms->prop.epoch || !view_has(&ms->prop, src, inc))
		return 0;
	if (a.status != ACK_OK) {
		ms->prop_retry = true;   /* leader_step proposes again with what we learned */
		return 0;
	}
	lw_ms_add(ms->acked, src);
	if (memcmp(ms->acked, ms->prop.members, sizeof(ms->acked)) == 0)
		commit(ms, now);
	return 0;
}

static void
receive_commit(struct lw_ms *ms, const struct ms_view *v, uint64_t now)
{
	ms->st.commits_rx++;
	learn_left(ms, v);
	if (v->epoch > ms->max_epoch)
		ms->max_epoch = v->epoch;
	if (!ms->have_base || v->epoch > ms->base.epoch) {
		ms->base = *v;
		ms->have_base = true;
	}
	if (ms->installed && v->epoch <= ms->inst.epoch)
		return;
	if (ms->installed && (!view_has(v, ms->c.self, ms->c.incarnation) ||
			      v->base_epoch < ms->inst.epoch || lw_ms_has(v->joining, ms->c.self)))
		fence(ms);     /* without us, or derived from before our view */
	else if (view_has(v, ms->c.self, ms->c.incarnation))
		install(ms, v, now);
}

int
lw_ms_receive(struct lw_ms *ms, uint8_t src, const void *buf, size_t len, uint64_t now)
{
	struct ms_hdr h;
	struct ms_peer *p;
	struct ms_view v;
	struct ms_hb hb;
	int rc = 0;

	if (ms == NULL)
		return -EINVAL;
	if (buf == NULL || len < sizeof(h) || len > LW_MS_MSG_MAX)
		goto bad;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != MS_MAGIC || h.version != MS_VERSION || h.len != len || h.src != src ||
	    src == ms->c.self || !lw_ms_has(ms->c.nodes, src) || h.inc == 0)
		goto bad;
	switch (h.type) {
	case MS_HB:
		if (len != sizeof(hb))
			goto bad;
		memcpy(&hb, buf, sizeof(hb));
		break;
	case MS_PROPOSE:
	case MS_COMMIT:
		if (decode_view(ms, buf, len, &v) != 0)
			goto bad;
		if (h.type == MS_PROPOSE && v.inc[src] != h.inc)
			goto bad;
		break;
	case MS_ACK:
		break;
	default:
		goto bad;
	}
	p = &ms->peer[src];
	if (h.inc < p->inc)
		return 0;           /* an older incarnation: dead */
	if (h.inc > p->inc)
		*p = (struct ms_peer){ .inc = h.inc };
	p->heard = now;
	if (now > ms->last_now)
		ms->last_now = now;
	if (ms->fenced)
		return 0;
	if (ms->leaving) {
		/* Left once a view above ours is committed without us. */
		if (h.type == MS_COMMIT) {
			ms->st.commits_rx++;
			if (!view_has(&v, ms->c.self, ms->c.incarnation) &&
			    (!ms->installed || v.epoch > ms->inst.epoch))
				ms->left = true;
		}
		return 0;
	}
	switch (h.type) {
	case MS_HB:
		receive_hb(ms, src, &hb, now);
		break;
	case MS_PROPOSE:
		receive_propose(ms, src, &v);
		break;
	case MS_COMMIT:
		receive_commit(ms, &v, now);
		break;

	case MS_ACK:
		rc = receive_ack(ms, src, h.inc, buf, len, now);
		if (rc != 0)
			goto bad;
		break;
	}
	return 0;
bad:
	ms->st.bad_msgs++;
	return -EBADMSG;
}

/* --- time ---------------------------------------------------------------- */

void
lw_ms_tick(struct lw_ms *ms, uint64_t now)
{
	unsigned int n;

	if (ms == NULL)
		return;
	if (now > ms->last_now)
		ms->last_now = now;
	if (ms->fenced)
		return;
	if (ms->leaving) {
		if (!ms->left && now >= ms->next_hb) {
			for (n = 1; n < 256; n++)
				if (n != ms->c.self && lw_ms_has(ms->c.nodes, n))
					send_hb(ms, n, now);
			ms->next_hb += ms->c.hb_interval_ns;
			if (ms->next_hb <= now)
				ms->next_hb = now + ms->c.hb_interval_ns;
		}
		return;
	}
	lease_update(ms, now);
	if (ms->fenced)
		return;
	if (now >= ms->next_hb) {
		for (n = 1; n < 256; n++) {
			if (n == ms->c.self || !lw_ms_has(ms->c.nodes, n))
				continue;
			send_hb(ms, n, now);
			/* A member behind our view gets it again. */
			if (ms->installed && ms->peer[n].inc != 0 &&
			    view_has(&ms->inst, n, ms->peer[n].inc) &&
			    ms->peer[n].epoch < ms->inst.epoch && alive(ms, n, now))
				send_view(ms, n, MS_COMMIT, &ms->inst);
		}
		ms->next_hb += ms->c.hb_interval_ns;
		if (ms->next_hb <= now)
			ms->next_hb = now + ms->c.hb_interval_ns;
	}
	leader_step(ms, now);
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t
lw_ms_next_deadline(const struct lw_ms *ms)
{
	uint64_t t, d;
	unsigned int n;

	if (ms == NULL || ms->fenced || ms->left)
		return MS_NONE;
	if (ms->leaving)
		return ms->next_hb;
	d = ms->next_hb;
	if (ms->proposing)
		d = min64(d, min64(ms->prop_sent + ms->c.hb_interval_ns,
				   ms->prop_start + ms->c.propose_timeout_ns));
	if (ms->installed)
		d = min64(d, ms->lease_until > ms->grace ? ms->lease_until : ms->grace);
	for (n = 1; n < 256; n++) {
		if (n == ms->c.self || ms->peer[n].inc == 0)
			continue;
		t = suspect_at(ms, &ms->peer[n]);
		if (t > ms->last_now)     /* the moment it becomes suspected */
			d = min64(d, t);
	}
	return d;
}

/* --- API ----------------------------------------------------------------- */

struct lw_ms *
lw_ms_create(const struct lw_ms_conf *conf, uint64_t now)
{
	struct lw_ms *ms;

	if (conf == NULL || conf->self == 0 || conf->incarnation == 0 ||
	    !lw_ms_has(conf->nodes, conf->self) || (conf->nodes[0] & 1) ||
	    set_count(conf->nodes) > LW_MS_MAX_CONF) {
		errno = EINVAL;
		return NULL;
	}
	ms = calloc(1, sizeof(*ms));
	if (ms == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ms->c = *conf;
	if (ms->c.hb_interval_ns == 0)
		ms->c.hb_interval_ns = 2000000;
	if (ms->c.suspect_ns == 0)
		ms->c.suspect_ns = 30000000;
	if (ms->c.lease_ns == 0)
		ms->c.lease_ns = 30000000;
	if (ms->c.lease_margin_ns == 0)
		ms->c.lease_margin_ns = 2000000 + ms->c.lease_ns / 8;
	if (ms->c.propose_timeout_ns == 0)
		ms->c.propose_timeout_ns = 4 * ms->c.hb_interval_ns;
	ms->nconf = set_count(conf->nodes);
	ms->majority = ms->nconf / 2 + 1;
	ms->next_hb = now;
	ms->start_ns = now;
	ms->last_now = now;
	return ms;
}

void
lw_ms_free(struct lw_ms *ms)
{
	free(ms);
}

unsigned int
lw_ms_take_out(struct lw_ms *ms, struct lw_ms_out *out, unsigned int max)
{
	unsigned int k = 0;

	if (ms == NULL || out == NULL)
		return 0;
	while (k < max && ms->out_n) {
		const struct lw_ms_out *o = &ms->out[ms->out_head];

		memcpy(&out[k], o, offsetof(struct lw_ms_out, buf) + o->len);
		k++;
		ms->out_head = (ms->out_head + 1) % LW_MS_OUT_MAX;
		ms->out_n--;
	}
	return k;
}

bool
lw_ms_take_view(struct lw_ms *ms, struct lw_ms_view *v)
{
	if (ms == NULL || !ms->view_new || !ms->installed)
		return false;
	memset(v, 0, sizeof(*v));
	v->epoch = ms->inst.epoch;
	v->leader = ms->inst.leader;
	memcpy(v->members, ms->inst.members, sizeof(v->members));
	memcpy(v->inc, ms->inst.inc, sizeof(v->inc));
	memcpy(v->owner, ms->inst.owner, sizeof(v->owner));
	memcpy(v->lost, ms->plost, sizeof(v->lost));
	memcpy(v->left, ms->pleft, sizeof(v->left));
	v->fence_until = ms->pfence;
	v->installed_ns = ms->install_ns;
	ms->view_new = false;
	memset(ms->plost, 0, sizeof(ms->plost));
	memset(ms->pleft, 0, sizeof(ms->pleft));
	ms->pfence = 0;
	return true;
}

uint64_t
lw_ms_lease_until(const struct lw_ms *ms)
{
	return ms != NULL && ms->installed && !ms->fenced && !ms->leaving ? ms->lease_until : 0;
}

bool
lw_ms_fenced(const struct lw_ms *ms)
{
	return ms != NULL && ms->fenced;
}

int
lw_ms_leave(struct lw_ms *ms, uint64_t now)
{
	if (ms == NULL || ms->leaving || ms->fenced)
		return -EINVAL;
	ms->leaving = true;
	ms->proposing = false;
	ms->lease_until = 0;
	ms->next_hb = now;
	/* No view can hold us unless we accepted one: we never accept again. */
	ms->left = !ms->installed && !(ms->have_acc && view_has(&ms->acc, ms->c.self, ms->c.incarnation));
	if (now > ms->last_now)
		ms->last_now = now;
	return 0;
}

bool
lw_ms_left(const struct lw_ms *ms)
{
	return ms != NULL && ms->left;
}

int
lw_ms_rejoin(struct lw_ms *ms, uint32_t inc, uint64_t now)
{
	unsigned int n;

	if (ms == NULL || inc <= ms->c.incarnation)
		return -EINVAL;
	ms->c.incarnation = inc;
	ms->installed = false;
	ms->fenced = false;
	ms->leaving = false;
	ms->left = false;
	ms->proposing = false;
	ms->lease_until = 0;
	ms->grace = 0;
	ms->view_new = false;
	memset(ms->plost, 0, sizeof(ms->plost));
	memset(ms->pleft, 0, sizeof(ms->pleft));
	ms->pfence = 0;
	for (n = 0; n < 256; n++)
		ms->peer[n].echo_rx = 0;
	ms->next_hb = now;
	ms->start_ns = now;
	return 0;
}

static const char *const node_state_names[] = {
	"none", "configured", "alive", "suspected", "member", "shunned", "left",
};
static const char *const phase_names[] = { "none", "proposing", "installed", "fenced", "leaving" };

const char *
lw_ms_node_state_name(int state)
{
	return state >= 0 && state < 7 ? node_state_names[state] : "?";
}

const char *
lw_ms_phase_name(int phase)
{
	return phase >= 0 && phase < 5 ? phase_names[phase] : "?";
}

/* Alive and suspected are judged at the latest now given to a call. */
void
lw_ms_info(const struct lw_ms *ms, struct lw_ms_info *info)
{
	uint64_t set[4], last = ms->last_now;
	uint32_t inc[256];
	unsigned int n;

	*info = ms->st;
	memset(info->node, 0, sizeof(info->node));
	info->self = ms->c.self;
	info->incarnation = ms->c.incarnation;
	info->leader = (uint8_t)alive_set(ms, last, set, inc);
	info->phase = ms->fenced ? LW_MS_PHASE_FENCED : ms->leaving ? LW_MS_PHASE_LEAVING :
		      ms->proposing ? LW_MS_PHASE_PROPOSING :
		      ms->installed ? LW_MS_PHASE_INSTALLED : LW_MS_PHASE_NONE;
	info->epoch = ms->installed ? ms->inst.epoch : 0;
	info->max_epoch = ms->max_epoch;
	if (ms->installed)
		memcpy(info->members, ms->inst.members, sizeof(info->members));
	info->lease_until = lw_ms_lease_until(ms);
	for (n = 1; n < 256; n++) {
		struct lw_ms_node_info *ni = &info->node[n];
		const struct ms_peer *p = &ms->peer[n];

		if (!lw_ms_has(ms->c.nodes, n))
			continue;
		ni->inc = n == ms->c.self ? ms->c.incarnation : p->inc;
		ni->epoch = n == ms->c.self ? info->epoch : p->epoch;
		ni->heard_ns = p->heard;
		ni->echo_ns = p->echo_rx;
		if (n != ms->c.self && p->inc == 0)
			ni->state = LW_MS_NODE_CONFIGURED;
		else if (n != ms->c.self && shunned(ms, n, p->inc))
			ni->state = ms->left_inc[n] == p->inc ? LW_MS_NODE_LEFT : LW_MS_NODE_SHUNNED;
		else if (!lw_ms_has(set, n))
			ni->state = LW_MS_NODE_SUSPECTED;
		else if (ms->installed && view_has(&ms->inst, n, ni->inc))
			ni->state = LW_MS_NODE_MEMBER;
		else
			ni->state = LW_MS_NODE_ALIVE;
	}
}
