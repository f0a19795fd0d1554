/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_membership.c — recovery/membership: several nodes on an in-memory
 * network with virtual time, loss, duplication, reordering, partitions,
 * crashes and restarts.
 *
 * DESIGN
 * struct net holds up to NET_MAX nodes (ids 1..n), each a struct lw_ms or
 * down. Time advances in steps of 100 us: messages due are delivered (each
 * after a random delay of 50-500 us, so they reorder), every running node
 * ticks, its output goes on the wire (lost with loss_pct, duplicated with
 * dup_pct, dropped across partitions), and new views are taken. After each
 * step the invariants are checked: two views with one epoch are the same
 * view; the owner table follows from the member set; a node excluded by a
 * view whose fence_until has passed has no valid lease in that incarnation;
 * fence_until is 0 exactly when every lost node left cleanly (lw_ms_leave).
 * A failing random run prints its seed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwt.h"
#include "membership.h"

#define NET_MAX   7u
#define STEP_NS   100000ull
#define MS_NS     1000000ull
#define MAX_MSGS  8192u
#define MAX_EPOCH 4096u
#define MAX_FENCE 1024u

struct net_msg {
	uint64_t at;
	uint8_t  src, dst;
	uint16_t len;
	uint8_t  buf[LW_MS_MSG_MAX];
};

struct view_rec {
	bool     seen;
	uint32_t epoch;
	uint64_t members[4];
	uint32_t inc[256];
	uint8_t  owner[256];
};

/* Node `node`, incarnation `inc`, was lost by a view that fences at `until`. */
struct fence_rec {
	uint64_t until;
	uint8_t  node;
	uint32_t inc;
};

struct net {
	unsigned int n;
	uint64_t now, rng;
	unsigned int loss_pct, dup_pct;
	bool auto_rejoin;
	uint32_t next_inc;
	struct lw_ms *ms[NET_MAX + 1];
	uint32_t inc[NET_MAX + 1];
	uint8_t group[NET_MAX + 1];           /* partition: delivered within a group only */
	bool mute[NET_MAX + 1];               /* what the node sends is lost (one-way link) */
	bool has_view[NET_MAX + 1];
	struct lw_ms_view view[NET_MAX + 1];  /* last view taken */
	unsigned int nviews[NET_MAX + 1];
	uint64_t fenced_at[NET_MAX + 1];
	uint64_t rejoin_at[NET_MAX + 1];
	bool leaving[NET_MAX + 1];            /* lw_ms_leave called: not counted in converged() */
	uint64_t lost_acc[NET_MAX + 1];       /* union of lost (word 0) of the views taken */
	uint64_t left_acc[NET_MAX + 1];       /* union of left (word 0) of the views taken */
	unsigned int nmsgs;
	struct net_msg *msgs;
	struct view_rec *epochs;
	unsigned int nfence;
	struct fence_rec fence[MAX_FENCE];
	unsigned int violations;
	uint64_t seed;
};

static struct lw_ms_out outbuf[LW_MS_OUT_MAX];

static uint64_t
rnd(struct net *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

static void
conf_of(const struct net *t, unsigned int id, uint32_t inc, struct lw_ms_conf *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->self = (uint8_t)id;
	c->incarnation = inc;
	for (i = 1; i <= t->n; i++)
		lw_ms_add(c->nodes, i);
}

static void
node_start(struct net *t, unsigned int id)
{
	struct lw_ms_conf c;

	t->inc[id] = ++t->next_inc;
	conf_of(t, id, t->inc[id], &c);
	t->ms[id] = lw_ms_create(&c, t->now);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->ms[id]);
	t->has_view[id] = false;
	t->nviews[id] = 0;
	t->fenced_at[id] = 0;
	t->rejoin_at[id] = 0;
	t->leaving[id] = false;
}

static void
node_crash(struct net *t, unsigned int id)
{
	lw_ms_free(t->ms[id]);
	t->ms[id] = NULL;
	t->has_view[id] = false;
}

static void
net_init(struct net *t, unsigned int n, uint64_t seed)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->seed = seed;
	t->rng = seed * 0x9e3779b97f4a7c15ull + 1;
	t->now = 1000 * MS_NS;
	t->next_inc = 100;
	t->auto_rejoin = true;
	t->msgs = calloc(MAX_MSGS, sizeof(*t->msgs));
	t->epochs = calloc(MAX_EPOCH, sizeof(*t->epochs));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->msgs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->epochs);
	for (i = 1; i <= n; i++)
		node_start(t, i);
}

static void
net_fini(struct net *t)
{
	unsigned int i;

	for (i = 1; i <= t->n; i++)
		lw_ms_free(t->ms[i]);
	free(t->msgs);
	free(t->epochs);
}

static void
violation(struct net *t, const char *what, unsigned int node)
{
	if (t->violations++ < 5)
		fprintf(stderr, "seed %llu t=%llu us node %u: %s\n", (unsigned long long)t->seed,
			(unsigned long long)(t->now / 1000), node, what);
}

static void
wire(struct net *t, unsigned int src)
{
	unsigned int k, i, copies;

	while ((k = lw_ms_take_out(t->ms[src], outbuf, LW_MS_OUT_MAX)) > 0)
		for (i = 0; i < k; i++) {
			if (outbuf[i].len > LW_MS_MSG_MAX || outbuf[i].dst == src)
				violation(t, "bad output", src);
			copies = rnd(t) % 100 < t->dup_pct ? 2 : 1;
			while (copies--) {
				struct net_msg *m;

				if (rnd(t) % 100 < t->loss_pct || t->nmsgs == MAX_MSGS)
					continue;
				m = &t->msgs[t->nmsgs++];
				m->at = t->now + 50000 + rnd(t) % 450000;
				m->src = (uint8_t)src;
				m->dst = outbuf[i].dst;
				m->len = outbuf[i].len;
				memcpy(m->buf, outbuf[i].buf, m->len);
			}
		}
}

/*
 * The owner table a view must carry: members own themselves, each other
 * configured node goes to the member owning fewest, ties to the lowest id.
 */
static void
expected_owners(const struct net *t, const struct lw_ms_view *v, uint8_t owner[256])
{
	unsigned int cnt[NET_MAX + 1] = {0};
	unsigned int x, m, best;

	for (x = 1; x <= t->n; x++)
		if (lw_ms_has(v->members, x)) {
			owner[x] = (uint8_t)x;
			cnt[x] = 1;
		}
	for (x = 1; x <= t->n; x++) {
		if (lw_ms_has(v->members, x))
			continue;
		best = 0;
		for (m = 1; m <= t->n; m++)
			if (lw_ms_has(v->members, m) && (best == 0 || cnt[m] < cnt[best]))
				best = m;
		owner[x] = (uint8_t)best;
		cnt[best]++;
	}
}

/* Check a view just taken against the previous one of the node and the others. */
static void
check_view(struct net *t, unsigned int id, const struct lw_ms_view *v)
{
	const struct lw_ms_view *prev = t->has_view[id] ? &t->view[id] : NULL;
	uint8_t owner[256];
	struct view_rec *r;
	unsigned int x;

	if (!lw_ms_has(v->members, id) || v->inc[id] != t->inc[id])
		violation(t, "view without self", id);
	expected_owners(t, v, owner);
	for (x = 1; x <= t->n; x++)
		if (v->owner[x] != owner[x])
			violation(t, "owner table does not follow from the members", id);
	for (x = t->n + 1; x < 256; x++)
		if (v->owner[x] != 0)
			violation(t, "owner of a node not configured", id);
	for (x = 0; x < 4; x++)
		if (v->left[x] & ~v->lost[x])
			violation(t, "left but not lost", id);
	if (((v->lost[0] & ~v->left[0]) | (v->lost[1] & ~v->left[1]) |
	     (v->lost[2] & ~v->left[2]) | (v->lost[3] & ~v->left[3])) == 0) {
		if (v->fence_until != 0)
			violation(t, "fence_until without lost nodes that did not leave", id);
	} else if (v->fence_until <= v->installed_ns) {
		violation(t, "fence_until not after install", id);
	}
	if (prev != NULL) {
		if (v->epoch <= prev->epoch)
			violation(t, "epoch went back", id);
		for (x = 1; x <= t->n; x++) {
			bool gone = lw_ms_has(prev->members, x) &&
				    (!lw_ms_has(v->members, x) || v->inc[x] != prev->inc[x]);

			if (gone != lw_ms_has(v->lost, x))
				violation(t, "lost set wrong", id);
			if (gone && t->nfence < MAX_FENCE)
				t->fence[t->nfence++] = (struct fence_rec){
					.until = v->fence_until, .node = (uint8_t)x, .inc = prev->inc[x] };
		}
	}
	/*
	 * A restart of every node of a view forgets its epochs: the views of two
	 * such lifetimes share no incarnation and may reuse epochs.
	 */
	r = &t->epochs[v->epoch % MAX_EPOCH];
	if (r->seen && r->epoch == v->epoch) {
		bool shared = false;

		for (x = 1; x <= t->n; x++)
			if (lw_ms_has(r->members, x) && lw_ms_has(v->members, x) && r->inc[x] == v->inc[x])
				shared = true;
		if (!shared)
			r->seen = false;
	}
	if (!r->seen || r->epoch != v->epoch) {
		r->seen = true;
		r->epoch = v->epoch;
		memcpy(r->members, v->members, sizeof(r->members));
		memcpy(r->inc, v->inc, sizeof(r->inc));
		memcpy(r->owner, v->owner, sizeof(r->owner));
	} else if (memcmp(r->members, v->members, sizeof(r->members)) != 0 ||
		   memcmp(r->inc, v->inc, sizeof(r->inc)) != 0 ||
		   memcmp(r->owner, v->owner, sizeof(r->owner)) != 0) {
		violation(t, "two views with the same epoch", id);
		if (getenv("MS_DEBUG"))
			fprintf(stderr, "  epoch %u: %llx inc3 %u owner %u%u%u%u%u / %llx inc3 %u owner %u%u%u%u%u\n",
				v->epoch, (unsigned long long)r->members[0], r->inc[3], r->owner[1], r->owner[2],
				r->owner[3], r->owner[4], r->owner[5], (unsigned long long)v->members[0], v->inc[3],
				v->owner[1], v->owner[2], v->owner[3], v->owner[4], v->owner[5]);
	}
}

/* No node holds a valid lease in an incarnation a passed fence_until excluded. */
static void
check_leases(struct net *t)
{
	unsigned int i;

	for (i = 0; i < t->nfence; i++) {
		const struct fence_rec *f = &t->fence[i];

		if (t->now < f->until || t->ms[f->node] == NULL || t->inc[f->node] != f->inc)
			continue;
		if (lw_ms_lease_until(t->ms[f->node]) > t->now && !lw_ms_fenced(t->ms[f->node]))
			violation(t, "lease valid past fence_until of a view that lost it", f->node);
	}
}

static void
step(struct net *t)
{
	struct lw_ms_view v;
	unsigned int i, id;
	uint64_t d;

	t->now += STEP_NS;
	for (i = 0; i < t->nmsgs;) {
		struct net_msg *m = &t->msgs[i];

		if (m->at > t->now) {
			i++;
			continue;
		}
		if (t->ms[m->dst] != NULL && t->group[m->src] == t->group[m->dst] && !t->mute[m->src] &&
		    lw_ms_receive(t->ms[m->dst], m->src, m->buf, m->len, t->now) != 0)
			violation(t, "a valid message refused", m->dst);
		*m = t->msgs[--t->nmsgs];
	}
	for (id = 1; id <= t->n; id++) {
		if (t->ms[id] == NULL)
			continue;
		if (t->rejoin_at[id] && t->now >= t->rejoin_at[id]) {
			t->inc[id] = ++t->next_inc;
			CU_ASSERT_EQUAL(lw_ms_rejoin(t->ms[id], t->inc[id], t->now), 0);
			t->rejoin_at[id] = 0;
			t->has_view[id] = false;
		}
		lw_ms_tick(t->ms[id], t->now);
		d = lw_ms_next_deadline(t->ms[id]);
		if (d <= t->now && !lw_ms_fenced(t->ms[id]))
			violation(t, "deadline not in the future after a tick", id);
		wire(t, id);
		if (lw_ms_take_view(t->ms[id], &v)) {
			check_view(t, id, &v);
			t->lost_acc[id] |= v.lost[0];
			t->left_acc[id] |= v.left[0];
			t->view[id] = v;
			t->has_view[id] = true;
			t->nviews[id]++;
			if (getenv("MS_DEBUG"))
				fprintf(stderr, "t=%llu us node %u inc %u: view %u leader %u members %llx lost %llx\n",
					(unsigned long long)(t->now / 1000), id, t->inc[id], v.epoch, v.leader,
					(unsigned long long)v.members[0], (unsigned long long)v.lost[0]);
		}
		if (lw_ms_fenced(t->ms[id]) && t->fenced_at[id] == 0) {
			t->fenced_at[id] = t->now;
			t->has_view[id] = false;
			if (t->auto_rejoin)
				t->rejoin_at[id] = t->now + 5 * MS_NS;
		}
		if (!lw_ms_fenced(t->ms[id]))
			t->fenced_at[id] = 0;
	}
	check_leases(t);
}

static void
run_ms(struct net *t, uint64_t ms)
{
	uint64_t end = t->now + ms * MS_NS;

	while (t->now < end)
		step(t);
}

/* All running nodes installed one view with exactly the running nodes. */
static bool
converged(const struct net *t)
{
	uint64_t up[4] = {0};
	uint32_t epoch = 0;
	unsigned int id;

	for (id = 1; id <= t->n; id++)
		if (t->ms[id] != NULL && !t->leaving[id])
			lw_ms_add(up, id);
	for (id = 1; id <= t->n; id++) {
		struct lw_ms_info *in;
		bool ok;

		if (t->ms[id] == NULL || t->leaving[id])
			continue;
		in = malloc(sizeof(*in));
		lw_ms_info(t->ms[id], in);
		ok = in->phase == LW_MS_PHASE_INSTALLED && memcmp(in->members, up, sizeof(up)) == 0 &&
		     (epoch == 0 || in->epoch == epoch) && lw_ms_lease_until(t->ms[id]) > t->now;
		epoch = in->epoch;
		free(in);
		if (!ok)
			return false;
	}
	return true;
}

static bool
run_until_converged(struct net *t, uint64_t max_ms)
{
	uint64_t end = t->now + max_ms * MS_NS;

	while (t->now < end) {
		step(t);
		if (converged(t))
			return true;
	}
	return false;
}

static uint32_t
epoch_of(const struct net *t, unsigned int id)
{
	return t->has_view[id] ? t->view[id].epoch : 0;
}

/* --- tests --------------------------------------------------------------- */

static void
form(unsigned int n)
{
	struct net t;
	struct lw_ms_info *in = malloc(sizeof(*in));
	unsigned int id, x;

	net_init(&t, n, 1);
	CU_ASSERT_TRUE(run_until_converged(&t, 200));
	for (id = 1; id <= n; id++) {
		const struct lw_ms_view *v = &t.view[id];

		CU_ASSERT_TRUE(t.has_view[id]);
		CU_ASSERT_EQUAL(v->epoch, t.view[1].epoch);
		CU_ASSERT_EQUAL(v->leader, 1);
		CU_ASSERT_EQUAL(v->fence_until, 0);
		CU_ASSERT_EQUAL(v->lost[0], 0);
		for (x = 1; x <= n; x++) {
			CU_ASSERT_EQUAL(v->owner[x], x);
			CU_ASSERT_EQUAL(v->inc[x], t.inc[x]);
		}
		CU_ASSERT_EQUAL(v->owner[n + 1], 0);
		lw_ms_info(t.ms[id], in);
		CU_ASSERT_EQUAL(in->phase, LW_MS_PHASE_INSTALLED);
		CU_ASSERT_EQUAL(in->leader, 1);
		for (x = 1; x <= n; x++)
			CU_ASSERT_EQUAL(in->node[x].state, LW_MS_NODE_MEMBER);
		CU_ASSERT_EQUAL(in->node[n + 1].state, LW_MS_NODE_NONE);
		CU_ASSERT(in->hb_rx > 0 && in->hb_tx > 0);
		CU_ASSERT_EQUAL(in->bad_msgs, 0);
		CU_ASSERT_EQUAL(in->fences, 0);
	}
	lw_ms_info(t.ms[1], in);
	CU_ASSERT(in->proposals >= 1);
	/* Stable: no new view, leases keep being renewed. */
	run_ms(&t, 300);
	for (id = 1; id <= n; id++) {
		CU_ASSERT_EQUAL(t.nviews[id], 1);
		CU_ASSERT(lw_ms_lease_until(t.ms[id]) > t.now);
		CU_ASSERT(lw_ms_lease_until(t.ms[id]) <= t.now + 30 * MS_NS);
	}
	CU_ASSERT_EQUAL(t.violations, 0);
	free(in);
	net_fini(&t);
}

static void test_form3(void) { form(3); }
static void test_form5(void) { form(5); }

static void
test_crash(void)
{
	struct net t;
	uint64_t crash_at;
	unsigned int id;

	net_init(&t, 5, 2);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 200));
	run_ms(&t, 20);
	crash_at = t.now;
	node_crash(&t, 3);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	for (id = 1; id <= 5; id++) {
		const struct lw_ms_view *v = &t.view[id];

		if (id == 3)
			continue;
		CU_ASSERT_FALSE(lw_ms_has(v->members, 3));
		CU_ASSERT_EQUAL(v->lost[0], 1ull << 3);
		CU_ASSERT_EQUAL(v->fence_until, v->installed_ns + 30 * MS_NS + 2 * MS_NS + 30 * MS_NS / 8);
		CU_ASSERT(v->installed_ns >= crash_at + 30 * MS_NS);
		/* All own one node: 3's goes to the lowest id. */
		CU_ASSERT_EQUAL(v->owner[1], 1);
		CU_ASSERT_EQUAL(v->owner[2], 2);
		CU_ASSERT_EQUAL(v->owner[3], 1);
		CU_ASSERT_EQUAL(v->owner[4], 4);
		CU_ASSERT_EQUAL(v->owner[5], 5);
	}
	/* From the member set alone: 2's goes to 1, then 3's to 4. */
	node_crash(&t, 2);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	for (id = 1; id <= 5; id++) {
		const struct lw_ms_view *v = &t.view[id];

		if (id == 2 || id == 3)
			continue;
		CU_ASSERT_EQUAL(v->lost[0], 1ull << 2);
		CU_ASSERT_EQUAL(v->owner[1], 1);
		CU_ASSERT_EQUAL(v->owner[2], 1);
		CU_ASSERT_EQUAL(v->owner[3], 4);
		CU_ASSERT_EQUAL(v->owner[4], 4);
		CU_ASSERT_EQUAL(v->owner[5], 5);
	}
	/* Two left of five: no view can form, and the two lose their lease. */
	node_crash(&t, 4);
	run_ms(&t, 200);
	for (id = 1; id <= 5; id += 4) {
		struct lw_ms_info *in = malloc(sizeof(*in));

		lw_ms_info(t.ms[id], in);
		CU_ASSERT_NOT_EQUAL(in->phase, LW_MS_PHASE_INSTALLED);
		CU_ASSERT_EQUAL(in->fences, 1);
		CU_ASSERT_EQUAL(lw_ms_lease_until(t.ms[id]), 0);
		CU_ASSERT_TRUE(lw_ms_has(t.view[id].members, 4));
		free(in);
	}
	CU_ASSERT_EQUAL(t.violations, 0);
	net_fini(&t);
}

static void
test_restart_one_step(void)
{
	struct net t;
	uint64_t restart_at;
	uint32_t old;
	unsigned int id;

	net_init(&t, 3, 3);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 200));
	old = t.inc[3];
	restart_at = t.now;
	node_crash(&t, 3);
	node_start(&t, 3);
	CU_ASSERT(t.inc[3] > old);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 100));
	for (id = 1; id <= 2; id++) {
		const struct lw_ms_view *v = &t.view[id];

		CU_ASSERT_EQUAL(v->epoch, t.view[3].epoch);
		CU_ASSERT_EQUAL(v->lost[0], 1ull << 3);
		CU_ASSERT(v->fence_until > v->installed_ns);
		CU_ASSERT_EQUAL(v->inc[3], t.inc[3]);
		CU_ASSERT_EQUAL(v->owner[3], 3);
		/* Faster than suspicion: the new incarnation was heard at once. */
		CU_ASSERT(v->installed_ns < restart_at + 30 * MS_NS);
	}
	CU_ASSERT_EQUAL(t.view[3].members[0], 1ull << 1 | 1ull << 2 | 1ull << 3);
	CU_ASSERT_EQUAL(t.view[3].inc[3], t.inc[3]);
	CU_ASSERT_EQUAL(t.view[3].lost[0], 0);
	CU_ASSERT_EQUAL(t.view[3].fence_until, 0);
	CU_ASSERT_EQUAL(t.view[3].owner[3], 3);
	/* The new incarnation's first view is the one with it. */
	CU_ASSERT_EQUAL(t.nviews[3], 1);
	CU_ASSERT_EQUAL(t.violations, 0);
	net_fini(&t);
}

static void
test_restart_two_steps(void)
{
	struct net t;
	uint32_t e;

	net_init(&t, 3, 4);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 200));
	node_crash(&t, 3);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	CU_ASSERT_EQUAL(t.view[1].lost[0], 1ull << 3);
	CU_ASSERT_EQUAL(t.view[1].owner[3], 1);
	e = t.view[1].epoch;
	node_start(&t, 3);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 100));
	CU_ASSERT(t.view[1].epoch > e);
	CU_ASSERT_EQUAL(t.view[1].lost[0], 0);      /* gone already */
	CU_ASSERT_EQUAL(t.view[1].fence_until, 0);
	CU_ASSERT_EQUAL(t.view[1].owner[3], 3);
	CU_ASSERT_EQUAL(t.view[2].owner[3], 3);
	CU_ASSERT_EQUAL(t.violations, 0);
	net_fini(&t);
}

/* Partition minority from majority; the minority fences before fence_until. */
static void
partition(unsigned int n, uint64_t minority, uint64_t seed)
{
	struct net t;
	uint64_t fence_until = 0;
	uint32_t e0;
	unsigned int id, maj = 0;

	net_init(&t, n, seed);
	t.auto_rejoin = false;
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 200));
	run_ms(&t, 10);
	e0 = t.view[1].epoch;
	for (id = 1; id <= n; id++) {
		t.group[id] = (minority >> id & 1) ? 1 : 0;
		if (!t.group[id] && maj == 0)
			maj = id;
	}
	run_ms(&t, 300);
	for (id = 1; id <= n; id++) {
		if (t.group[id]) {
			/* No view for the minority; fenced by its lease. */
			CU_ASSERT_EQUAL(epoch_of(&t, id), 0);  /* has_view cleared when fenced */
			CU_ASSERT_TRUE(lw_ms_fenced(t.ms[id]));
			CU_ASSERT_EQUAL(lw_ms_lease_until(t.ms[id]), 0);
			CU_ASSERT(t.fenced_at[id] != 0);
			continue;
		}
		CU_ASSERT(t.view[id].epoch > e0);
		CU_ASSERT_EQUAL(t.view[id].lost[0], minority);
		CU_ASSERT_EQUAL(t.view[id].leader, maj);
		CU_ASSERT_FALSE(lw_ms_fenced(t.ms[id]));
		if (fence_until == 0 || t.view[id].fence_until < fence_until)
			fence_until = t.view[id].fence_until;
	}
	CU_ASSERT(fence_until != 0);
	for (id = 1; id <= n; id++)
		if (t.group[id]) {
			CU_ASSERT(t.fenced_at[id] < fence_until);
			if (t.fenced_at[id] >= fence_until)
				fprintf(stderr, "node %u fenced at %llu, fence_until %llu\n", id,
					(unsigned long long)t.fenced_at[id],
					(unsigned long long)fence_until);
		}
	/* Heal: the fenced nodes rejoin as new incarnations, as do later ones. */
	memset(t.group, 0, sizeof(t.group));
	t.auto_rejoin = true;
	for (id = 1; id <= n; id++)
		if (lw_ms_fenced(t.ms[id])) {
			t.inc[id] = ++t.next_inc;
			CU_ASSERT_EQUAL(lw_ms_rejoin(t.ms[id], t.inc[id], t.now), 0);
			CU_ASSERT_FALSE(lw_ms_fenced(t.ms[id]));
		}
	CU_ASSERT_TRUE(run_until_converged(&t, 200));
	for (id = 1; id <= n; id++)
		if (minority >> id & 1) {
			CU_ASSERT_EQUAL(t.view[id].lost[0], 0);
			CU_ASSERT_EQUAL(t.view[id].inc[id], t.inc[id]);
			CU_ASSERT_EQUAL(t.view[id].owner[id], id);
		}
	CU_ASSERT_EQUAL(t.violations, 0);
	net_fini(&t);
}

static void test_partition_minority(void) { partition(5, 1u << 4 | 1u << 5, 5); }
static void test_partition_leader(void) { partition(5, 1u << 1 | 1u << 2, 6); }
static void test_partition_3(void) { partition(3, 1u << 1, 7); }

/* Two halves of four: no majority anywhere, everyone fences. */
static void
test_partition_even(void)
{
	struct net t;
	unsigned int id;

	net_init(&t, 4, 8);
	t.auto_rejoin = false;
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 200));
	t.group[3] = t.group[4] = 1;
	run_ms(&t, 200);
	for (id = 1; id <= 4; id++)
		CU_ASSERT_TRUE(lw_ms_fenced(t.ms[id]));
	memset(t.group, 0, sizeof(t.group));
	for (id = 1; id <= 4; id++) {
		t.inc[id] = ++t.next_inc;
		CU_ASSERT_EQUAL(lw_ms_rejoin(t.ms[id], t.inc[id], t.now), 0);
	}
	CU_ASSERT_TRUE(run_until_converged(&t, 200));
	CU_ASSERT_EQUAL(t.violations, 0);
	net_fini(&t);
}

static void
test_loss(void)
{
	struct net t;
	struct lw_ms_info *in = malloc(sizeof(*in));
	unsigned int id, views[NET_MAX + 1];

	net_init(&t, 5, 9);
	t.loss_pct = 10;
	t.dup_pct = 5;
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 500));
	memcpy(views, t.nviews, sizeof(views));
	run_ms(&t, 2000);
	for (id = 1; id <= 5; id++) {
		CU_ASSERT_EQUAL(t.nviews[id], views[id]);
		lw_ms_info(t.ms[id], in);
		CU_ASSERT_EQUAL(in->fences, 0);
		CU_ASSERT_EQUAL(in->phase, LW_MS_PHASE_INSTALLED);
	}
	/* A crash under loss still converges. */
	node_crash(&t, 2);
	CU_ASSERT_TRUE(run_until_converged(&t, 500));
	CU_ASSERT_EQUAL(t.view[1].lost[0], 1ull << 2);
	CU_ASSERT_EQUAL(t.violations, 0);
	free(in);
	net_fini(&t);
}

static void
test_leader_crash_proposing(void)
{
	struct net t;
	struct lw_ms_info *in = malloc(sizeof(*in));
	uint32_t prop_epoch;
	unsigned int id, guard = 0;

	net_init(&t, 5, 10);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 200));
	node_crash(&t, 5);
	do {
		step(&t);
		lw_ms_info(t.ms[1], in);
	} while (in->phase != LW_MS_PHASE_PROPOSING && ++guard < 10000);
	CU_ASSERT_EQUAL_FATAL(in->phase, LW_MS_PHASE_PROPOSING);
	prop_epoch = in->max_epoch;
	node_crash(&t, 1);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	for (id = 2; id <= 4; id++) {
		CU_ASSERT_EQUAL(t.view[id].leader, 2);
		CU_ASSERT(t.view[id].epoch > prop_epoch);
		CU_ASSERT_EQUAL(t.view[id].members[0], 1ull << 2 | 1ull << 3 | 1ull << 4);
		CU_ASSERT_EQUAL(t.view[id].owner[1], 2);
		CU_ASSERT_EQUAL(t.view[id].owner[5], 3);
		CU_ASSERT_EQUAL(t.view[id].owner[2], 2);
		CU_ASSERT_EQUAL(t.view[id].owner[3], 3);
		CU_ASSERT_EQUAL(t.view[id].owner[4], 4);
	}
	CU_ASSERT_EQUAL(t.violations, 0);
	free(in);
	net_fini(&t);
}

/* A message as node 2 of a 3-node cluster would build it. */
static size_t
good_hb(uint8_t *b)
{
	struct lw_ms_conf c;
	struct lw_ms *ms;
	struct net t = { .n = 3 };
	unsigned int k;
	size_t len = 0;

	conf_of(&t, 2, 7, &c);
	ms = lw_ms_create(&c, 0);
	lw_ms_tick(ms, 0);
	k = lw_ms_take_out(ms, outbuf, LW_MS_OUT_MAX);
	CU_ASSERT_EQUAL(k, 2);
	if (k) {
		len = outbuf[0].len;
		memcpy(b, outbuf[0].buf, len);
	}
	lw_ms_free(ms);
	return len;
}

static void
test_bad_messages(void)
{
	struct net t;
	struct lw_ms_conf c;
	struct lw_ms_info *in = malloc(sizeof(*in));
	uint8_t good[LW_MS_MSG_MAX], b[LW_MS_MSG_MAX];
	size_t len = good_hb(good);
	unsigned int i, bad = 0;
	uint64_t r = 12345;

	CU_ASSERT_EQUAL_FATAL(len, 48);
	net_init(&t, 3, 11);
	/* The well-formed one is taken. */
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, good, len, t.now), 0);
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, good, 10, t.now), -EBADMSG); bad++;
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, good, len - 1, t.now), -EBADMSG); bad++;
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, NULL, len, t.now), -EBADMSG); bad++;
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 9, good, len, t.now), -EBADMSG); bad++;  /* unknown */
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 3, good, len, t.now), -EBADMSG); bad++;  /* src differs */
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[2], 2, good, len, t.now), -EBADMSG); bad++;  /* from self */
	memcpy(b, good, len); b[0] ^= 1;
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, b, len, t.now), -EBADMSG); bad++;     /* magic */
	memcpy(b, good, len); b[4] = 9;
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, b, len, t.now), -EBADMSG); bad++;     /* version */
	memcpy(b, good, len); b[5] = 77;
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, b, len, t.now), -EBADMSG); bad++;     /* type */
	memcpy(b, good, len); b[5] = 2;
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, b, len, t.now), -EBADMSG); bad++;     /* short PROPOSE */
	memcpy(b, good, len); b[5] = 3;
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, b, len, t.now), -EBADMSG); bad++;     /* ACK, wrong length */
	memcpy(b, good, len); b[6] = 41;
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, b, len, t.now), -EBADMSG); bad++;     /* length field */
	memcpy(b, good, len); memset(b + 12, 0, 4);
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, b, len, t.now), -EBADMSG); bad++;     /* incarnation 0 */
	lw_ms_info(t.ms[1], in);
	CU_ASSERT_EQUAL(in->bad_msgs, bad - 1);  /* the one to ms[2] was counted there */
	lw_ms_info(t.ms[2], in);
	CU_ASSERT_EQUAL(in->bad_msgs, 1);

	/* Garbage with a valid header: never a crash, counted or harmless. */
	for (i = 0; i < 20000; i++) {
		size_t l;
		unsigned int j;

		r ^= r << 13; r ^= r >> 7; r ^= r << 17;
		l = 16 + r % (LW_MS_MSG_MAX - 16);
		for (j = 0; j < l; j++) {
			r ^= r << 13; r ^= r >> 7; r ^= r << 17;
			b[j] = (uint8_t)r;
		}
		memcpy(b, good, 16);
		b[5] = (uint8_t)(1 + i % 4);
		b[6] = (uint8_t)l;
		b[7] = (uint8_t)(l >> 8);
		if (i % 3 == 0) {        /* a plausible view: configured members */
			l = 96 + 12 + 3;
			b[6] = (uint8_t)l;
			b[7] = 0;
			memset(b + 16, 0, 80);
			b[16] = (uint8_t)(1 + i % 50);          /* epoch */
			b[24] = (uint8_t)(1 + r % 3);           /* leader */
			b[25] = 3;
			b[26] = 3;
			b[32] = 0x0e;
			memcpy(b + 100, good + 12, 4);         /* node 2's incarnation */
			if (i % 2)
				memset(b + 108, 1 + (int)(r % 3), 3);   /* owners */
		}
		(void)lw_ms_receive(t.ms[1], 2, b, l, t.now);
	}
	lw_ms_info(t.ms[1], in);
	CU_ASSERT(in->bad_msgs > bad);
	/* And the cluster still forms. */
	t.now += 100 * MS_NS;
	CU_ASSERT_TRUE(run_until_converged(&t, 300));

	/* Bad configurations. */
	conf_of(&t, 4, 1, &c);
	errno = 0;
	CU_ASSERT_PTR_NULL(lw_ms_create(&c, 0));         /* self not configured */
	CU_ASSERT_EQUAL(errno, EINVAL);
	conf_of(&t, 1, 0, &c);
	CU_ASSERT_PTR_NULL(lw_ms_create(&c, 0));         /* incarnation 0 */
	conf_of(&t, 1, 1, &c);
	lw_ms_add(c.nodes, 0);
	CU_ASSERT_PTR_NULL(lw_ms_create(&c, 0));         /* node 0 */
	conf_of(&t, 1, 1, &c);
	memset(c.nodes, 0xff, sizeof(c.nodes));
	c.nodes[0] &= ~1ull;
	CU_ASSERT_PTR_NULL(lw_ms_create(&c, 0));         /* too many */
	CU_ASSERT_EQUAL(lw_ms_rejoin(t.ms[1], t.inc[1], t.now), -EINVAL);
	CU_ASSERT_EQUAL(lw_ms_rejoin(t.ms[1], t.inc[1] - 1, t.now), -EINVAL);
	CU_ASSERT_STRING_EQUAL(lw_ms_phase_name(LW_MS_PHASE_FENCED), "fenced");
	CU_ASSERT_STRING_EQUAL(lw_ms_node_state_name(LW_MS_NODE_SUSPECTED), "suspected");
	CU_ASSERT_STRING_EQUAL(lw_ms_node_state_name(99), "?");
	free(in);
	net_fini(&t);
}

/*
 * One-way link: node 3 hears the others, they do not hear it. Their echoes
 * of it stop, so it fences when its lease runs out, before the fence_until
 * of the view that excludes it; it stays shunned and rejoins as a new
 * incarnation once its link works again.
 */
static void
test_one_way(void)
{
	struct net t;
	struct lw_ms_info *in = malloc(sizeof(*in));
	uint32_t old;

	net_init(&t, 3, 13);
	t.auto_rejoin = false;
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 200));
	old = t.inc[3];
	t.mute[3] = true;
	run_ms(&t, 100);
	CU_ASSERT_TRUE_FATAL(lw_ms_fenced(t.ms[3]));
	CU_ASSERT_EQUAL(t.view[1].lost[0], 1ull << 3);
	CU_ASSERT(t.fenced_at[3] != 0 && t.fenced_at[3] < t.view[1].fence_until);
	lw_ms_info(t.ms[1], in);
	CU_ASSERT_EQUAL(in->members[0], 1ull << 1 | 1ull << 2);
	CU_ASSERT_EQUAL(in->node[3].state, LW_MS_NODE_SHUNNED);
	lw_ms_info(t.ms[3], in);
	CU_ASSERT_EQUAL(in->phase, LW_MS_PHASE_FENCED);
	CU_ASSERT_EQUAL(in->fences, 1);
	t.mute[3] = false;
	t.auto_rejoin = true;
	t.rejoin_at[3] = t.now + 5 * MS_NS;
	CU_ASSERT_TRUE(run_until_converged(&t, 200));
	CU_ASSERT(t.inc[3] > old);
	CU_ASSERT_EQUAL(t.view[1].inc[3], t.inc[3]);
	CU_ASSERT_EQUAL(t.violations, 0);
	free(in);
	net_fini(&t);
}

/* A message from an older incarnation is ignored (no echo, no alive). */
static void
test_old_incarnation(void)
{
	struct net t;
	struct lw_ms_info *in = malloc(sizeof(*in));
	uint8_t old[LW_MS_MSG_MAX];
	size_t len = good_hb(old);    /* node 2, incarnation 7 */

	net_init(&t, 3, 12);          /* incarnations from 101 */
	t.auto_rejoin = false;        /* node 1 stays fenced below */
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 200));
	CU_ASSERT_EQUAL(lw_ms_receive(t.ms[1], 2, old, len, t.now), 0);
	lw_ms_info(t.ms[1], in);
	CU_ASSERT_EQUAL(in->node[2].inc, t.inc[2]);
	CU_ASSERT_EQUAL(in->node[2].state, LW_MS_NODE_MEMBER);
	CU_ASSERT_EQUAL(in->node[3].state, LW_MS_NODE_MEMBER);
	/* Node 3 silent: excluded by the next view, then shunned. */
	node_crash(&t, 3);
	run_ms(&t, 100);
	lw_ms_info(t.ms[1], in);
	CU_ASSERT_EQUAL(in->node[3].state, LW_MS_NODE_SHUNNED);
	CU_ASSERT_EQUAL(in->members[0], 1ull << 1 | 1ull << 2);
	/*
	 * Node 2 silent too: suspected, but one of three cannot propose. Its
	 * last HB, in flight for at most 0.5 ms, echoes a ts of node 1 sent
	 * before the crash: node 1's lease ends by crash + 30 ms, and it is
	 * suspected by crash + 30.5 ms.
	 */
	node_crash(&t, 2);
	run_ms(&t, 25);
	lw_ms_info(t.ms[1], in);
	CU_ASSERT_EQUAL(in->node[2].state, LW_MS_NODE_MEMBER);
	CU_ASSERT_FALSE(lw_ms_fenced(t.ms[1]));
	run_ms(&t, 6);
	lw_ms_info(t.ms[1], in);
	CU_ASSERT_EQUAL(in->node[2].state, LW_MS_NODE_SUSPECTED);
	CU_ASSERT_EQUAL(in->leader, 0);
	CU_ASSERT_TRUE(lw_ms_fenced(t.ms[1]));   /* its only echo came from node 2 */
	CU_ASSERT_EQUAL(lw_ms_lease_until(t.ms[1]), 0);
	CU_ASSERT_EQUAL(in->fences, 1);
	CU_ASSERT_EQUAL(t.violations, 0);
	free(in);
	net_fini(&t);
}

/* One random run: crashes, restarts, partitions, loss; then heal and converge. */
/* --- clean leave --------------------------------------------------------- */

static void
node_leave(struct net *t, unsigned int id)
{
	CU_ASSERT_EQUAL(lw_ms_leave(t->ms[id], t->now), 0);
	t->leaving[id] = true;
}

/* Steps until lw_ms_left(who); @return false after max_ms. */
static bool
run_until_left(struct net *t, unsigned int who, uint64_t max_ms)
{
	uint64_t end = t->now + max_ms * MS_NS;

	while (t->now < end && !lw_ms_left(t->ms[who]))
		step(t);
	return lw_ms_left(t->ms[who]);
}

/*
 * Node `who` of n leaves: the others install a view without it well before
 * suspect_ns, with lost = left = {who} and no fence_until; nobody fences;
 * the leaver learns it left and then falls silent.
 */
static void
leave(unsigned int n, unsigned int who, unsigned int loss, uint64_t seed)
{
	struct net t;
	struct lw_ms_info *in = malloc(sizeof(*in));
	uint64_t fences[NET_MAX + 1], start, took, hb_tx;
	unsigned int id, lead = who == 1 ? 2 : 1;

	net_init(&t, n, seed);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	t.loss_pct = loss;
	run_ms(&t, 20);
	for (id = 1; id <= n; id++) {
		lw_ms_info(t.ms[id], in);
		fences[id] = in->fences;
		t.lost_acc[id] = t.left_acc[id] = 0;
	}
	start = t.now;
	node_leave(&t, who);
	CU_ASSERT_EQUAL(lw_ms_leave(t.ms[who], t.now), -EINVAL);    /* twice */
	CU_ASSERT_EQUAL(lw_ms_lease_until(t.ms[who]), 0);
	CU_ASSERT_FALSE(lw_ms_left(t.ms[who]));
	lw_ms_info(t.ms[who], in);
	CU_ASSERT_EQUAL(in->phase, LW_MS_PHASE_LEAVING);
	CU_ASSERT_STRING_EQUAL(lw_ms_phase_name(in->phase), "leaving");

	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 100));
	took = t.now - start;
	CU_ASSERT(took < (loss ? 20 : 12) * MS_NS);   /* suspect_ns is 30 ms */
	if (getenv("MS_DEBUG"))
		fprintf(stderr, "leave %u of %u, %u%% loss: view in %llu us\n", who, n, loss,
			(unsigned long long)(took / 1000));
	for (id = 1; id <= n; id++) {
		const struct lw_ms_view *v = &t.view[id];

		if (id == who)
			continue;
		CU_ASSERT_FALSE(lw_ms_has(v->members, who));
		CU_ASSERT_EQUAL(v->leader, lead);
		CU_ASSERT_EQUAL(t.lost_acc[id], 1ull << who);
		CU_ASSERT_EQUAL(t.left_acc[id], 1ull << who);
		CU_ASSERT_EQUAL(v->fence_until, 0);
		CU_ASSERT_EQUAL(t.fenced_at[id], 0);
		lw_ms_info(t.ms[id], in);
		CU_ASSERT_EQUAL(in->fences, fences[id]);
		CU_ASSERT_EQUAL(in->leader, lead);
		CU_ASSERT_EQUAL(in->node[who].state, LW_MS_NODE_LEFT);
	}
	CU_ASSERT_STRING_EQUAL(lw_ms_node_state_name(LW_MS_NODE_LEFT), "left");

	CU_ASSERT_TRUE(run_until_left(&t, who, 50));
	CU_ASSERT_FALSE(lw_ms_fenced(t.ms[who]));
	CU_ASSERT_EQUAL(lw_ms_lease_until(t.ms[who]), 0);
	CU_ASSERT_EQUAL(lw_ms_next_deadline(t.ms[who]), UINT64_MAX);
	/* Left: it says nothing more, and the others stay as they are. */
	lw_ms_info(t.ms[who], in);
	hb_tx = in->hb_tx;
	run_ms(&t, 100);
	lw_ms_info(t.ms[who], in);
	CU_ASSERT_EQUAL(in->hb_tx, hb_tx);
	CU_ASSERT_EQUAL(in->fences, 0);
	CU_ASSERT_TRUE(converged(&t));
	for (id = 1; id <= n; id++)
		if (id != who)
			CU_ASSERT_EQUAL(t.lost_acc[id], 1ull << who);
	CU_ASSERT_EQUAL(t.violations, 0);
	free(in);
	net_fini(&t);
}

static void test_leave3(void) { leave(3, 3, 0, 21); }
static void test_leave5(void) { leave(5, 4, 0, 22); }
static void test_leave_leader3(void) { leave(3, 1, 0, 23); }
static void test_leave_leader5(void) { leave(5, 1, 0, 24); }

static void
test_leave_loss(void)
{
	uint64_t seed;

	for (seed = 1; seed <= 6; seed++) {     /* every node of 3 and of 5 leaves once */
		leave(3, 1 + seed % 3, 10, 100 + seed);
		leave(5, 1 + seed % 5, 10, 200 + seed);
	}
}

/* One node leaves while another crashes: the crash still costs a lease wait. */
static void
test_leave_and_crash(void)
{
	struct net t;
	uint64_t crash_at;
	unsigned int id;

	net_init(&t, 5, 31);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	run_ms(&t, 20);
	for (id = 1; id <= 5; id++)
		t.lost_acc[id] = t.left_acc[id] = 0;
	crash_at = t.now;
	node_leave(&t, 4);
	node_crash(&t, 5);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	CU_ASSERT(t.now - crash_at >= 30 * MS_NS);     /* the crash waits for suspect_ns */
	for (id = 1; id <= 3; id++) {
		const struct lw_ms_view *v = &t.view[id];

		CU_ASSERT_EQUAL(v->members[0], 0x0eull);
		CU_ASSERT_EQUAL(t.lost_acc[id], 0x30ull);
		CU_ASSERT_EQUAL(t.left_acc[id], 0x10ull);
		CU_ASSERT_FALSE(lw_ms_has(v->left, 5));
		/* The view that lost 5 waits for its lease (4 went in an earlier one or the same). */
		CU_ASSERT_TRUE(lw_ms_has(v->lost, 5));
		CU_ASSERT(v->fence_until >= v->installed_ns + 30 * MS_NS);
		CU_ASSERT_EQUAL(t.fenced_at[id], 0);
	}
	CU_ASSERT_TRUE(run_until_left(&t, 4, 50));
	CU_ASSERT_EQUAL(t.violations, 0);
	net_fini(&t);
}

/* A node that left restarts as a new incarnation and is a member again. */
static void
test_leave_rejoin(void)
{
	struct net t;
	uint32_t old;
	unsigned int id;

	net_init(&t, 3, 41);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	old = t.inc[2];
	node_leave(&t, 2);
	CU_ASSERT_TRUE_FATAL(run_until_left(&t, 2, 50));
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 100));
	node_crash(&t, 2);
	run_ms(&t, 10);
	for (id = 1; id <= 3; id++)
		t.lost_acc[id] = t.left_acc[id] = 0;
	node_start(&t, 2);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	CU_ASSERT(t.inc[2] > old);
	for (id = 1; id <= 3; id++) {
		CU_ASSERT_EQUAL(t.view[id].members[0], 0x0eull);
		CU_ASSERT_EQUAL(t.view[id].inc[2], t.inc[2]);
		CU_ASSERT_EQUAL(t.lost_acc[id], 0);
		CU_ASSERT_EQUAL(t.view[id].fence_until, 0);
	}
	/* The same process may also rejoin after leaving, as a new incarnation. */
	node_leave(&t, 3);
	CU_ASSERT_TRUE_FATAL(run_until_left(&t, 3, 50));
	t.inc[3] = ++t.next_inc;
	CU_ASSERT_EQUAL(lw_ms_rejoin(t.ms[3], t.inc[3], t.now), 0);
	t.leaving[3] = false;
	t.has_view[3] = false;
	CU_ASSERT_FALSE(lw_ms_left(t.ms[3]));
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	CU_ASSERT_EQUAL(t.view[1].inc[3], t.inc[3]);
	CU_ASSERT_EQUAL(t.violations, 0);
	net_fini(&t);
}

/* Leaving before any view: left at once. Leaving when fenced: refused. */
static void
test_leave_edges(void)
{
	struct net t;

	net_init(&t, 3, 51);
	CU_ASSERT_EQUAL(lw_ms_leave(NULL, t.now), -EINVAL);
	CU_ASSERT_FALSE(lw_ms_left(NULL));
	node_leave(&t, 3);
	CU_ASSERT_TRUE(lw_ms_left(t.ms[3]));
	CU_ASSERT_EQUAL(lw_ms_next_deadline(t.ms[3]), UINT64_MAX);
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	CU_ASSERT_EQUAL(t.view[1].members[0], 0x06ull);
	net_fini(&t);

	net_init(&t, 3, 52);
	t.auto_rejoin = false;
	CU_ASSERT_TRUE_FATAL(run_until_converged(&t, 300));
	t.group[3] = 1;
	run_ms(&t, 100);
	CU_ASSERT_TRUE_FATAL(lw_ms_fenced(t.ms[3]));
	CU_ASSERT_EQUAL(lw_ms_leave(t.ms[3], t.now), -EINVAL);
	CU_ASSERT_FALSE(lw_ms_left(t.ms[3]));
	CU_ASSERT_EQUAL(t.violations, 0);
	net_fini(&t);
}

static bool
random_run(uint64_t seed)
{
	struct net t;
	unsigned int n, ev, id, i;
	bool ok;

	n = 3 + (unsigned int)((seed * 2654435761u >> 7) % 3);
	net_init(&t, n, seed);
	t.loss_pct = (unsigned int)(rnd(&t) % 16);
	t.dup_pct = (unsigned int)(rnd(&t) % 6);
	run_ms(&t, 50 + rnd(&t) % 100);
	for (ev = 0; ev < 6; ev++) {
		switch (rnd(&t) % 4) {
		case 0:
			id = 1 + (unsigned int)(rnd(&t) % n);
			if (t.ms[id] != NULL)
				node_crash(&t, id);
			break;
		case 1:
			for (id = 1; id <= n; id++)
				if (t.ms[id] == NULL)
					node_start(&t, id);
			break;
		case 2:
			for (id = 1; id <= n; id++)
				t.group[id] = (uint8_t)(rnd(&t) % 2);
			break;
		default:
			memset(t.group, 0, sizeof(t.group));
			break;
		}
		run_ms(&t, rnd(&t) % 120);
	}
	memset(t.group, 0, sizeof(t.group));
	for (id = 1; id <= n; id++)
		if (t.ms[id] == NULL)
			node_start(&t, id);
	ok = run_until_converged(&t, 1500);
	if (!ok) {
		fprintf(stderr, "seed %llu: no convergence (n=%u loss=%u)\n",
			(unsigned long long)seed, n, t.loss_pct);
		for (i = 1; i <= n; i++) {
			struct lw_ms_info *in = malloc(sizeof(*in));

			lw_ms_info(t.ms[i], in);
			fprintf(stderr, "  node %u inc %u phase %s epoch %u max %u members %llx leader %u\n",
				i, in->incarnation, lw_ms_phase_name(in->phase), in->epoch,
				in->max_epoch, (unsigned long long)in->members[0], in->leader);
			free(in);
		}
	}
	ok = ok && t.violations == 0;
	net_fini(&t);
	return ok;
}

static void
test_random_seeds(void)
{
	unsigned int seed, nseeds = 200, failed = 0;

	if (getenv("MS_SEED")) {
		CU_ASSERT_TRUE(random_run(strtoull(getenv("MS_SEED"), NULL, 0)));
		return;
	}
	if (getenv("MS_SEEDS"))     /* a longer soak: MS_SEEDS=1000 */
		nseeds = (unsigned int)strtoul(getenv("MS_SEEDS"), NULL, 0);
	for (seed = 1; seed <= nseeds; seed++)
		if (!random_run(seed))
			failed++;
	if (failed)
		fprintf(stderr, "%u of %u random runs failed\n", failed, nseeds);
	CU_ASSERT_EQUAL(failed, 0);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("membership",
		  "form 3", test_form3,
		  "form 5", test_form5,
		  "crash", test_crash,
		  "restart one step", test_restart_one_step,
		  "restart two steps", test_restart_two_steps,
		  "partition minority", test_partition_minority,
		  "partition with the leader", test_partition_leader,
		  "partition 1 of 3", test_partition_3,
		  "partition even", test_partition_even,
		  "10% loss", test_loss,
		  "leader crash while proposing", test_leader_crash_proposing,
		  "bad messages", test_bad_messages,
		  "old incarnation", test_old_incarnation,
		  "one-way link", test_one_way,
		  "leave 3", test_leave3,
		  "leave 5", test_leave5,
		  "leader leaves, 3", test_leave_leader3,
		  "leader leaves, 5", test_leave_leader5,
		  "leave with 10% loss", test_leave_loss,
		  "leave and crash", test_leave_and_crash,
		  "leave and rejoin", test_leave_rejoin,
		  "leave before a view, leave fenced", test_leave_edges,
		  "200 random seeds", test_random_seeds,
		  NULL);
	return lwt_run();
}
