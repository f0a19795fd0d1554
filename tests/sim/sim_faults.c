/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_faults.c — node faults in the simulator and the membership oracle
 * that answers them (lw-sim --faults).
 *
 * DESIGN
 * A fault plan is chosen per seed from the --faults scenarios the shape
 * allows (a majority of the configured nodes always survives, so a view can
 * always form). The first fault starts when a random 15-45% of the load has
 * been submitted; the rest follow in virtual time:
 *   crash     the node's sites stop at once (freed: no call reaches them);
 *             of each (src, dst) channel out of it a random suffix of what is
 *             in flight is lost (the prefix still arrives, in order);
 *             messages to it are dropped; its clients' locks and requests
 *             vanish (sim_chk_node_lost).
 *   detect    1-5 ms later the oracle forms the next view: epoch + 1, the
 *             live members, the owner table (home node -> node mastering
 *             its buckets) with the lost node's entries given to live nodes
 *             (home k to the (k mod n)-th live node), the map from
 *             lw_map_from_owners over every configured site, fence_until =
 *             loss + LEASE_NS + FENCE_MARGIN. Each live node
 *             applies it after its own 0-2 ms delay, so new-epoch messages
 *             reach sites still in the old view.
 *   restart   a crashed node comes back as a new incarnation: fresh sites
 *             created in the view that adds it with no buckets; its actors
 *             start again with nothing.
 *   cut       one node's messages to and from the others are held (and,
 *             since the node can only come back as a new incarnation, dropped
 *             at healing); its lease ends LEASE_NS after the cut, when its
 *             sites must fence themselves (every lock ends with -ENOLCK);
 *             the majority forms a view without it as for a crash.
 *   heal      the cut node rejoins as a new incarnation with its fenced,
 *             empty sites; messages of the old incarnation are dropped.
 * Scenarios: crash; crash during recovery (a second crash before the first
 * recovery's fence time); two crashes (the second once the first
 * recovered); restart (crash, then rejoin); partition (cut, then heal).
 *
 * Recovery is over ("stable") when every live node applied the newest view
 * and every live site reports phase stable with nothing frozen, unsettled
 * or kept. Liveness checks (cancel deadlines, stalls) wait for that; safety
 * checks run throughout. Counted: recoveries and their virtual duration,
 * the time from a loss to the first grant on a moved bucket once its new
 * master resumed, -ENOLCK completions, messages lost, held and dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_priv.h"

enum {
	FA_CRASH = 1, FA_DETECT, FA_APPLY, FA_RESTART, FA_CUT, FA_LEASE_MARK, FA_LEASE_END,
	FA_HEAL, FA_POLL
};

#define POLL_NS (200 * US)

static const struct {
	const char *name;
	uint32_t bit;
} fs_names[] = {
	{"crash", FS_CRASH}, {"crash-recovery", FS_CRASH_REC}, {"two", FS_TWO},
	{"restart", FS_RESTART}, {"partition", FS_PARTITION}, {"random", FS_RANDOM},
};

uint32_t
sim_faults_parse(const char *spec)
{
	char buf[128], *save = NULL, *tok;
	uint32_t bits = 0;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(fs_names) / sizeof(fs_names[0]); i++)
			if (strcmp(tok, fs_names[i].name) == 0)
				break;
		if (i == sizeof(fs_names) / sizeof(fs_names[0]))
			return 0;
		bits |= fs_names[i].bit;
	}
	if (bits & FS_RANDOM)
		bits = FS_CRASH | FS_CRASH_REC | FS_TWO | FS_RESTART | FS_PARTITION;
	return bits;
}

static const char *
fs_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(fs_names) / sizeof(fs_names[0]); i++)
		if (fs_names[i].bit == bit)
			return fs_names[i].name;
	return "?";
}

static void
fpush(struct sim *S, uint64_t t, int action, unsigned int node, uint64_t arg)
{
	sim_push(S, t, EV_FAULT, (uint32_t)action | node << 8, arg);
}

static unsigned int
popcount64(uint64_t x)
{
	return (unsigned int)__builtin_popcountll(x);
}

static struct sview *
cur_view(struct sim *S)
{
	return &S->F.view[S->F.nviews - 1];
}

/* --- set-up -------------------------------------------------------------- */

int
sim_faults_init(struct sim *S, uint32_t spec, bool early_fence)
{
	struct sfaults *F = &S->F;
	unsigned int N = S->sh.nodes;
	uint32_t allowed = 0, pick[8], n = 0;

	memset(F, 0, sizeof(*F));
	if (spec == 0)
		return 0;
	/* what the shape allows: a majority must survive every loss */
	if (N >= 3)
		allowed |= FS_CRASH | FS_RESTART | FS_PARTITION;
	if (N >= 5)
		allowed |= FS_CRASH_REC | FS_TWO;
	for (uint32_t b = 1; b < FS_RANDOM; b <<= 1)
		if (spec & allowed & b)
			pick[n++] = b;
	if (n == 0) {
		fprintf(stderr, "lw-sim: --faults needs at least 3 nodes (5 for two failures)\n");
		return -1;
	}
	F->spec = pick[sim_rng_below(&S->rng, n)];
	F->early_fence = early_fence;
	F->trigger_ops = S->sh.ops * sim_rng_range(&S->rng, 15, 45) / 100;
	F->view = calloc(MAX_VIEWS, sizeof(*F->view));
	F->moved = calloc(S->nres, 1);
	if (F->view == NULL || F->moved == NULL)
		return -1;
	F->nviews = 1;
	F->view[0].map = S->map;
	for (unsigned int k = 1; k <= N; k++)
		F->view[0].members |= 1ull << k;
	for (unsigned int k = 1; k <= N; k++)
		F->owner[k] = (uint8_t)k;
	for (unsigned int k = 1; k <= N; k++)
		F->node[k].epoch = 1;
	F->stable_since = 0;
	sim_trail("%12.3f --- fault plan: %s after %" PRIu64 " requests", ts(S), fs_name(F->spec),
		  F->trigger_ops);
	return 0;
}

void
sim_faults_fini(struct sim *S)
{
	free(S->F.view);
	free(S->F.moved);
	free(S->F.slot_inc);
	free(S->F.slot_dead);
	free(S->F.kept);
	memset(&S->F, 0, sizeof(S->F));
}

/* --- the network --------------------------------------------------------- */

void
sim_faults_sent(struct sim *S, uint32_t slot, unsigned int si, unsigned int di)
{
	struct sfaults *F = &S->F;

	if (F->spec == 0)
		return;
	if (slot >= F->slot_cap) {
		uint32_t cap = slot + 1 > F->slot_cap * 2 ? slot + 1 : F->slot_cap * 2;
		uint32_t *inc = realloc(F->slot_inc, cap * sizeof(*inc));
		uint8_t *dead = inc != NULL ? realloc(F->slot_dead, cap) : NULL;
		if (inc == NULL || dead == NULL) {
			fprintf(stderr, "lw-sim: out of memory\n");
			exit(2);
		}
		F->slot_inc = inc;
		F->slot_dead = dead;
		F->slot_cap = cap;
	}
	F->slot_dead[slot] = 0;
	F->slot_inc[slot] = F->node[lw_site_node(S->site[si].id)].inc << 16 |
			    (F->node[lw_site_node(S->site[di].id)].inc & 0xffffu);
}

bool
sim_faults_deliver(struct sim *S, uint32_t slot, unsigned int di)
{
	struct sfaults *F = &S->F;
	const struct lw_msg *m = sim_net_msg(&S->net, slot);
	unsigned int sn, dn;

	if (F->spec == 0)
		return true;
	uint32_t r = sim_res_of_name(S, m->name, m->namelen <= LW_RESNAME_MAXLEN ? m->namelen : 0);
	if (F->slot_dead[slot]) {
		F->lost_msgs++;
		return false;
	}
	sn = lw_site_node(m->h.src);
	dn = lw_site_node(S->site[di].id);
	if (S->site[di].s == NULL || F->node[dn].state == NODE_DOWN ||
	    (F->slot_inc[slot] >> 16) != F->node[sn].inc ||
	    (F->slot_inc[slot] & 0xffffu) != (F->node[dn].inc & 0xffffu)) {
		/* e.g. a GRANT to a crashed node: its master may count it held */
		if (r < S->nres)
			sim_chk_lvb_lost(S->chk, r);
		F->dropped_msgs++;
		return false;
	}
	if (F->cut != 0 && (sn == F->cut) != (dn == F->cut)) {
		/* held across the cut; the cut node only comes back as a new incarnation */
		if (r < S->nres)
			sim_chk_lvb_lost(S->chk, r);
		F->held_msgs++;
		return false;
	}
	return true;
}

static uint32_t res_bucket(const struct sim *S, uint32_t r);

bool
sim_faults_from_view(const struct sim *S, unsigned int di, const struct lw_msg *m)
{
	uint32_t e = S->site[di].epoch;

	return e == 0 || e > S->F.nviews ||
	       (S->F.view[e - 1].members >> lw_site_node(m->h.src) & 1);
}

/*
 * REQUEST accounting across a loss: a site forgets its REQUESTs to masters
 * of lost nodes (and asks the new master again); a fenced site forgets all.
 */
static void
forget_asking(struct sim *S, unsigned int si, const struct lw_map *old, const uint64_t *lost)
{
	for (uint32_t r = 0; r < S->nres; r++) {
		unsigned int mn = lw_site_node(old->bucket[res_bucket(S, r)]);
		if (lost == NULL || (lost[mn / 64] >> (mn % 64) & 1))
			S->asking[(size_t)si * S->nres + r] = 0;
	}
}

bool
sim_faults_keep_answer(struct sim *S, unsigned int di, uint32_t res, const struct lw_msg *m)
{
	struct sfaults *F = &S->F;

	if (m->h.epoch <= S->site[di].epoch)
		return false;
	if (F->nkept == F->capkept) {
		uint32_t cap = F->capkept ? F->capkept * 2 : 64;
		void *p = realloc(F->kept, cap * sizeof(*F->kept));
		if (p == NULL)
			exit(2);
		F->kept = p;
		F->capkept = cap;
	}
	F->kept[F->nkept].si = di;
	F->kept[F->nkept].res = res;
	F->kept[F->nkept].epoch = m->h.epoch;
	F->nkept++;
	return true;
}

/* Site si applied view epoch: the answers it kept for it arrive now. */
static void
kept_answers(struct sim *S, unsigned int si, uint32_t epoch)
{
	struct sfaults *F = &S->F;
	char sn[16];

	for (uint32_t i = 0; i < F->nkept; ) {
		if (F->kept[i].si != si || F->kept[i].epoch > epoch) {
			i++;
			continue;
		}
		int16_t *a = &S->asking[(size_t)si * S->nres + F->kept[i].res];
		sim_chk_set_res(S->chk, F->kept[i].res);
		LW_CHECK(S, *a > 0, SV_EVENT, "%s got an answer for %s (kept for epoch %u), which it "
			 "did not ask for", sim_site_name(S->site[si].id, sn), S->rname[F->kept[i].res],
			 F->kept[i].epoch);
		if (*a > 0)
			(*a)--;
		/* answered now, as a delivery would be: a CANCEL the replay provokes is fine */
		if (S->nanswered < sizeof(S->answered) / sizeof(S->answered[0]))
			S->answered[S->nanswered++] = F->kept[i].res;
		F->kept[i] = F->kept[--F->nkept];
	}
}

/* --- what a loss may have taken with it ---------------------------------- */

static uint32_t
res_bucket(const struct sim *S, uint32_t r)
{
	static uint32_t gid;

	if (gid == 0)
		gid = lw_ls_gid("sim", 3);
	return lw_bucket_of(lw_res_hash(gid, S->rname[r], strlen(S->rname[r])));
}

/*
 * The resources whose value block a loss of node may invalidate: mastered
 * there (in the node's view or the newest), held PW/EX there, or named by a
 * message to or from it in flight.
 */
static void
mark_lvb_at_risk(struct sim *S, unsigned int node)
{
	const struct lw_map *m = &cur_view(S)->map;
	const struct lw_map *mine = &S->F.view[S->F.node[node].epoch - 1].map;

	for (uint32_t r = 0; r < S->nres; r++) {
		uint32_t b = res_bucket(S, r);
		bool risk = lw_site_node(m->bucket[b]) == node || lw_site_node(mine->bucket[b]) == node;

		for (unsigned int i = 0; i < S->nsites && !risk; i++) {
			struct ssite *ss = &S->site[i];
			if (lw_site_node(ss->id) != node || ss->s == NULL)
				continue;
			int h = lw_site_held(ss->s, ss->lsid, S->rname[r], strlen(S->rname[r]));
			risk = h == LW_LOCK_PW || h == LW_LOCK_EX;
		}
		if (risk)
			sim_chk_lvb_lost(S->chk, r);
	}
	for (uint32_t i = 0; i < S->heap.n; i++) {
		const struct sim_ev *e = &S->heap.v[i];
		if (e->type != EV_MSG)
			continue;
		const struct lw_msg *msg = sim_net_msg(&S->net, (uint32_t)e->b);
		if (lw_site_node(msg->h.src) != node && lw_site_node(msg->h.dst) != node)
			continue;
		uint32_t r = sim_res_of_name(S, msg->name,
					     msg->namelen <= LW_RESNAME_MAXLEN ? msg->namelen : 0);
		if (r < S->nres)
			sim_chk_lvb_lost(S->chk, r);
	}
}

static int
ev_cmp(const void *a, const void *b)
{
	const struct sim_ev *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Of each channel out of node, a random suffix of what is in flight is lost. */
static void
lose_suffixes(struct sim *S, unsigned int node)
{
	struct sim_ev *v = malloc((S->heap.n + 1) * sizeof(*v));
	uint32_t n = 0;

	if (v == NULL)
		exit(2);
	for (uint32_t i = 0; i < S->heap.n; i++) {
		const struct sim_ev *e = &S->heap.v[i];
		if (e->type == EV_MSG &&
		    lw_site_node(sim_net_msg(&S->net, (uint32_t)e->b)->h.src) == node)
			v[n++] = *e;
	}
	qsort(v, n, sizeof(*v), ev_cmp);
	for (unsigned int si = 0; si < S->nsites; si++) {
		if (lw_site_node(S->site[si].id) != node)
			continue;
		for (unsigned int di = 0; di < S->nsites; di++) {
			uint32_t cnt = 0, keep, seen = 0;
			for (uint32_t i = 0; i < n; i++)
				cnt += sim_net_msg(&S->net, (uint32_t)v[i].b)->h.src == S->site[si].id &&
				       v[i].a == di;
			if (cnt == 0)
				continue;
			keep = (uint32_t)sim_rng_below(&S->rng, cnt + 1);
			for (uint32_t i = 0; i < n; i++) {
				if (sim_net_msg(&S->net, (uint32_t)v[i].b)->h.src != S->site[si].id ||
				    v[i].a != di)
					continue;
				if (seen++ >= keep)
					S->F.slot_dead[v[i].b] = 1;
			}
		}
	}
	free(v);
}

/* --- views --------------------------------------------------------------- */

/*
 * The map of a view, from the owner table over every configured site
 * (lw_map_from_owners). The oracle checks what the engine's views require:
 * the map's sites are those of the members, and a bucket whose master
 * stays a member does not move.
 */
static void
map_from_owners(struct sim *S, struct lw_map *m, uint32_t epoch, uint64_t members)
{
	const struct lw_map *prev = &S->F.view[S->F.nviews - 2].map;
	uint16_t ids[MAX_NODES * MAX_WORKERS];
	uint64_t mem[4] = {members, 0, 0, 0};
	int rc;

	for (unsigned int i = 0; i < S->nsites; i++)
		ids[i] = S->site[i].id;
	rc = lw_map_from_owners(m, epoch, ids, S->nsites, S->F.owner, mem);
	if (rc != 0) {
		sim_fail(S, SV_EVENT, "lw_map_from_owners(epoch %u) = %d", epoch, rc);
		return;
	}
	unsigned int n = 0;
	for (unsigned int i = 0; i < S->nsites; i++)
		n += members >> lw_site_node(S->site[i].id) & 1;
	LW_CHECK(S, m->nsites == n && m->epoch == epoch, SV_EVENT, "lw_map_from_owners: %u sites "
		 "(members have %u), epoch %u", m->nsites, n, m->epoch);
	for (uint32_t b = 0; b < LW_BUCKETS; b++) {
		unsigned int was = lw_site_node(prev->bucket[b]);
		if ((members >> was & 1) && S->F.node[was].inc == S->F.view[S->F.nviews - 2].inc[was]) {
			LW_CHECK(S, m->bucket[b] == prev->bucket[b], SV_EVENT, "lw_map_from_owners moved "
				 "bucket %u from %#x, which stays, to %#x", b, prev->bucket[b],
				 m->bucket[b]);
		}
		LW_CHECK(S, members >> lw_site_node(m->bucket[b]) & 1, SV_EVENT, "lw_map_from_owners "
			 "gave bucket %u to %#x, not a member", b, m->bucket[b]);
	}
}

static void
stagger_apply(struct sim *S, uint32_t epoch, unsigned int except)
{
	uint64_t members = S->F.view[epoch - 1].members;

	for (unsigned int k = 1; k <= S->sh.nodes; k++)
		if ((members >> k & 1) && k != except)
			fpush(S, S->now + sim_rng_range(&S->rng, 0, 2000) * US, FA_APPLY, k, epoch);
}

static void
start_poll(struct sim *S)
{
	S->F.unstable = true;
	if (!S->F.polling) {
		S->F.polling = true;
		fpush(S, S->now + POLL_NS, FA_POLL, 0, 0);
	}
}

/* A new view: members, incarnations; owners already updated. @return its epoch, 0 none. */
static uint32_t
form_view(struct sim *S, uint64_t members, uint64_t fence_until)
{
	struct sfaults *F = &S->F;
	struct sview *prev = cur_view(S), *v;

	if (popcount64(members) * 2 <= S->sh.nodes) {
		sim_trail("%12.3f --- no majority (%u of %u nodes): no view", ts(S),
			  popcount64(members), S->sh.nodes);
		return 0;
	}
	if (F->nviews == MAX_VIEWS) {
		fprintf(stderr, "lw-sim: too many views\n");
		exit(2);
	}
	v = &F->view[F->nviews++];
	v->members = members;
	for (unsigned int k = 1; k <= S->sh.nodes; k++)
		v->inc[k] = F->node[k].inc;
	v->fence_until = fence_until > prev->fence_until ? fence_until : prev->fence_until;
	v->formed_at = S->now;
	map_from_owners(S, &v->map, F->nviews, members);
	F->views++;
	sim_trail("%12.3f --- view %u formed: %u nodes (mask %#" PRIx64 "), fence_until %.3f",
		  ts(S), F->nviews, popcount64(members), members, v->fence_until / 1000.0);
	return F->nviews;
}

/* Node applies view epoch (all its sites at this instant). */
static void
apply_view(struct sim *S, unsigned int node, uint32_t epoch)
{
	struct sfaults *F = &S->F;
	const struct sview *v = &F->view[epoch - 1];
	const struct sview *old = &F->view[F->node[node].epoch - 1];
	struct lw_view_change vc;
	char sn[16];

	if (F->node[node].state != NODE_UP || F->node[node].epoch >= epoch)
		return;
	memset(&vc, 0, sizeof(vc));
	vc.map = &v->map;
	vc.fence_until = v->fence_until;
	for (unsigned int k = 1; k <= S->sh.nodes; k++)
		if (k != node && (old->members >> k & 1) &&
		    (!(v->members >> k & 1) || v->inc[k] != old->inc[k]))
			vc.lost[k / 64] |= 1ull << (k % 64);
	F->node[node].epoch = epoch;
	for (unsigned int i = 0; i < S->nsites; i++) {
		struct ssite *ss = &S->site[i];
		if (lw_site_node(ss->id) != node || ss->s == NULL)
			continue;
		forget_asking(S, i, &old->map, F->node[node].fenced ? NULL : vc.lost);
		kept_answers(S, i, epoch);
		sim_call_begin(S, "lw_site_view_change", ss->id);
		int rc = lw_site_view_change(ss->s, &vc, S->now, &ss->out);
		sim_call_end();
		sim_trail("%12.3f VIEW %s applies epoch %u (lost %#" PRIx64 ") rc=%d", ts(S),
			  sim_site_name(ss->id, sn), epoch, vc.lost[0], rc);
		if (rc != 0)
			sim_fail(S, SV_EVENT, "lw_site_view_change(%s, epoch %u) = %d", sim_site_name(ss->id, sn),
				 epoch, rc);
		struct lw_rec_info ri;
		lw_site_rec_info(ss->s, &ri);
		LW_CHECK(S, ri.epoch == epoch, SV_EVENT, "%s applied view %u but reports epoch %u",
			 sim_site_name(ss->id, sn), epoch, ri.epoch);
		ss->epoch = epoch;
		sim_drain(S, i, false);
		S->nanswered = 0;
	}
}

/* --- faults -------------------------------------------------------------- */

static unsigned int
pick_victim(struct sim *S)
{
	unsigned int live[MAX_NODES], n = 0;

	for (unsigned int k = 1; k <= S->sh.nodes; k++)
		if (S->F.node[k].state == NODE_UP)
			live[n++] = k;
	/* a majority of the configured nodes must stay */
	if ((n - 1) * 2 <= S->sh.nodes)
		return 0;
	return live[sim_rng_below(&S->rng, n)];
}

static void
node_actors(struct sim *S, unsigned int node, bool reset, bool wake)
{
	for (unsigned int i = 0; i < S->nsites; i++) {
		struct ssite *ss = &S->site[i];
		if (lw_site_node(ss->id) != node)
			continue;
		for (uint32_t j = 0; j < ss->na; j++) {
			struct actor *a = &S->act[ss->a0 + j];
			if (reset)
				actor_reset(S, a);
			if (wake) {
				a->done = 0;
				sim_wake(S, a, sim_rng_range(&S->rng, 0, 50) * US);
			}
		}
	}
}

static void
do_crash(struct sim *S, unsigned int node)
{
	struct sfaults *F = &S->F;

	if (node == 0 || F->node[node].state != NODE_UP) {
		sim_trail("%12.3f --- crash skipped (no node may go)", ts(S));
		return;
	}
	sim_trail("%12.3f --- CRASH node %u", ts(S), node);
	mark_lvb_at_risk(S, node);
	lose_suffixes(S, node);
	sim_chk_node_lost(S->chk, node);
	node_actors(S, node, true, false);
	for (unsigned int i = 0; i < S->nsites; i++)
		if (lw_site_node(S->site[i].id) == node) {
			sim_site_drop(S, i);
			memset(&S->asking[(size_t)i * S->nres], 0, S->nres * sizeof(*S->asking));
		}
	F->node[node].state = NODE_DOWN;
	F->node[node].lost_at = S->now;
	F->crashes++;
	F->loss_at = S->now;
	start_poll(S);
	fpush(S, S->now + sim_rng_range(&S->rng, 1000, 5000) * US, FA_DETECT, node, 0);
	if (F->spec == FS_CRASH_REC && F->crashes == 1)
		fpush(S, S->now + sim_rng_range(&S->rng, 500, 10000) * US, FA_CRASH, 0, 0);
}

/*
 * The majority forms a view without node (crashed or cut), and without any
 * other member lost meanwhile (a second crash before this detection).
 */
static void
detect(struct sim *S, unsigned int node)
{
	struct sfaults *F = &S->F;
	unsigned int live[MAX_NODES], n = 0;
	uint64_t members = cur_view(S)->members, gone = 0, fence = 0;

	for (unsigned int k = 1; k <= S->sh.nodes; k++) {
		if (!(members >> k & 1))
			continue;
		if (F->node[k].state == NODE_UP) {
			live[n++] = k;
			continue;
		}
		gone |= 1ull << k;
		uint64_t f = F->node[k].lost_at + (F->early_fence ? 0 : LEASE_NS + FENCE_MARGIN);
		if (f > fence)
			fence = f;
	}
	if (!(gone >> node & 1) || n == 0)
		return;          /* already out of the view */
	members &= ~gone;
	memset(F->moved, 0, S->nres);
	for (unsigned int k = 1; k <= S->sh.nodes; k++)
		if (gone >> F->owner[k] & 1)
			F->owner[k] = (uint8_t)live[k % n];
	for (uint32_t r = 0; r < S->nres; r++)
		F->moved[r] = gone >> lw_site_node(cur_view(S)->map.bucket[res_bucket(S, r)]) & 1;
	uint32_t e = form_view(S, members, fence);
	if (e == 0)
		return;
	F->grant_wait = 1;
	F->grant_epoch = e;
	F->loss_at = F->node[node].lost_at;
	stagger_apply(S, e, 0);
	for (unsigned int k = 1; k <= S->sh.nodes; k++)
		if (F->spec == FS_RESTART && (gone >> k & 1) && F->node[k].state == NODE_DOWN)
			fpush(S, S->now + sim_rng_range(&S->rng, 2000, 20000) * US, FA_RESTART, k, 0);
}

static void
restart(struct sim *S, unsigned int node)
{
	struct sfaults *F = &S->F;
	uint64_t members = cur_view(S)->members | 1ull << node;
	uint32_t prev = F->nviews;

	/* fresh sites in the view they are not in yet; the next view adds them */
	F->node[node].state = NODE_UP;
	F->node[node].inc++;
	for (unsigned int i = 0; i < S->nsites; i++)
		if (lw_site_node(S->site[i].id) == node &&
		    sim_site_make(S, i, &cur_view(S)->map) < 0) {
			fprintf(stderr, "lw-sim: restart: site creation failed\n");
			exit(2);
		}
	F->node[node].epoch = prev;
	uint32_t e = form_view(S, members, 0);
	if (e == 0)
		return;
	sim_trail("%12.3f --- RESTART node %u (incarnation %u, view %u)", ts(S), node,
		  F->node[node].inc, e);
	F->restarts++;
	apply_view(S, node, e);
	node_actors(S, node, true, true);
	start_poll(S);
	stagger_apply(S, e, node);
}

static void
cut(struct sim *S, unsigned int node)
{
	struct sfaults *F = &S->F;

	if (node == 0)
		return;
	sim_trail("%12.3f --- CUT node %u off (lease ends at %.3f)", ts(S), node,
		  (S->now + LEASE_NS) / 1000.0);
	F->cut = node;
	F->cuts++;
	F->node[node].state = NODE_CUT;
	F->node[node].lost_at = S->now;
	F->loss_at = S->now;
	mark_lvb_at_risk(S, node);
	for (unsigned int i = 0; i < S->nsites; i++)
		if (lw_site_node(S->site[i].id) == node)
			lw_site_set_lease(S->site[i].s, S->now + LEASE_NS);
	sim_chk_node_lease(S->chk, node, S->now + LEASE_NS);
	start_poll(S);
	fpush(S, S->now + sim_rng_range(&S->rng, 1000, 5000) * US, FA_DETECT, node, 0);
	fpush(S, S->now + LEASE_NS - 1, FA_LEASE_MARK, node, 0);
	fpush(S, S->now + LEASE_NS, FA_LEASE_END, node, 0);
	fpush(S, S->now + LEASE_NS + sim_rng_range(&S->rng, 2000, 15000) * US, FA_HEAL, node, 0);
}

/* The cut node's lease ran out: any call fences its sites; make one. */
static void
lease_end(struct sim *S, unsigned int node)
{
	char sn[16];

	for (unsigned int i = 0; i < S->nsites; i++) {
		struct ssite *ss = &S->site[i];
		struct lw_rec_info ri;

		if (lw_site_node(ss->id) != node)
			continue;
		forget_asking(S, i, &cur_view(S)->map, NULL);
		sim_call_begin(S, "lw_site_tick (lease end)", ss->id);
		lw_site_tick(ss->s, S->now, &ss->out);
		sim_call_end();
		sim_drain(S, i, false);
		lw_site_rec_info(ss->s, &ri);
		LW_CHECK(S, ri.phase == LW_REC_FENCED, SV_EVENT, "%s: lease ended at %" PRIu64
			 " but its phase is %s", sim_site_name(ss->id, sn), S->now,
			 lw_rec_phase_name(ri.phase));
		for (uint32_t r = 0; r < S->nres; r++) {
			int h = lw_site_held(ss->s, ss->lsid, S->rname[r], strlen(S->rname[r]));
			sim_chk_set_res(S->chk, r);
			LW_CHECK(S, h == LW_LOCK_IV, SV_HELD, "%s still holds %s on %s after its lease "
				 "ended", sim_site_name(ss->id, sn), sim_mode_name(h), S->rname[r]);
		}
	}
	S->F.node[node].fenced = 1;
	S->F.fences++;
	sim_trail("%12.3f --- node %u fenced (lease over)", ts(S), node);
}

static void
heal(struct sim *S, unsigned int node)
{
	struct sfaults *F = &S->F;

	F->cut = 0;
	F->heals++;
	F->node[node].state = NODE_UP;
	F->node[node].inc++;
	uint32_t e = form_view(S, cur_view(S)->members | 1ull << node, 0);
	if (e == 0)
		return;
	sim_trail("%12.3f --- HEAL node %u (incarnation %u, view %u)", ts(S), node,
		  F->node[node].inc, e);
	apply_view(S, node, e);
	F->node[node].fenced = 0;
	sim_chk_node_lease(S->chk, node, UINT64_MAX);
	start_poll(S);
	stagger_apply(S, e, node);
}

/* Recovery is over when every live site says so. */
static bool
all_stable(struct sim *S)
{
	struct sfaults *F = &S->F;

	if (F->cut != 0)
		return false;
	for (unsigned int k = 1; k <= S->sh.nodes; k++) {
		if (F->node[k].state == NODE_UP && F->node[k].epoch != F->nviews)
			return false;
		if (F->node[k].state != NODE_UP && (cur_view(S)->members >> k & 1))
			return false;     /* not detected yet */
	}
	for (unsigned int i = 0; i < S->nsites; i++) {
		struct lw_rec_info ri;
		if (S->site[i].s == NULL)
			continue;
		lw_site_rec_info(S->site[i].s, &ri);
		if (ri.phase != LW_REC_STABLE || ri.frozen_buckets || ri.unsettled_buckets ||
		    ri.kept_msgs)
			return false;
	}
	return true;
}

static void
poll(struct sim *S)
{
	struct sfaults *F = &S->F;

	if (!all_stable(S)) {
		fpush(S, S->now + POLL_NS, FA_POLL, 0, 0);
		return;
	}
	F->polling = false;
	F->unstable = false;
	F->stable_since = S->now;
	F->recoveries++;
	uint64_t d = S->now - F->loss_at;
	F->rec_sum += d;
	if (d > F->rec_max)
		F->rec_max = d;
	sim_trail("%12.3f --- stable again (%.3f ms after the loss)", ts(S), d / 1e6);
	if (F->spec == FS_TWO && F->crashes == 1)
		fpush(S, S->now + sim_rng_range(&S->rng, 1000, 5000) * US, FA_CRASH, 0, 0);
}

void
sim_faults_event(struct sim *S, const struct sim_ev *ev)
{
	unsigned int node = ev->a >> 8;

	switch (ev->a & 0xffu) {
	case FA_CRASH:
		do_crash(S, node != 0 ? node : pick_victim(S));
		break;
	case FA_DETECT:
		detect(S, node);
		break;
	case FA_APPLY:
		apply_view(S, node, (uint32_t)ev->b);
		break;
	case FA_RESTART:
		restart(S, node);
		break;
	case FA_CUT:
		cut(S, node != 0 ? node : pick_victim(S));
		break;
	case FA_LEASE_MARK:
		/* just before the fence: what the cut node wrote meanwhile may be lost */
		mark_lvb_at_risk(S, node);
		break;
	case FA_LEASE_END:
		lease_end(S, node);
		break;
	case FA_HEAL:
		heal(S, node);
		break;
	case FA_POLL:
		poll(S);
		break;
	}
}

void
sim_faults_step(struct sim *S)
{
	struct sfaults *F = &S->F;

	if (F->spec == 0 || F->step != 0 || S->submitted < F->trigger_ops)
		return;
	F->step = 1;
	if (F->spec == FS_PARTITION)
		cut(S, pick_victim(S));
	else
		do_crash(S, pick_victim(S));
}

bool
sim_faults_stable(const struct sim *S, uint64_t for_ns)
{
	return S->F.spec == 0 || (!S->F.unstable && S->now - S->F.stable_since >= for_ns);
}

void
sim_faults_granted(struct sim *S, uint32_t res)
{
	struct sfaults *F = &S->F;
	struct lw_rec_info ri;

	if (F->spec == 0 || !F->grant_wait || res >= S->nres || !F->moved[res])
		return;
	int mi = S->idx_of[cur_view(S)->map.bucket[res_bucket(S, res)]];
	if (mi < 0 || S->site[mi].s == NULL)
		return;
	lw_site_rec_info(S->site[mi].s, &ri);
	if (ri.epoch < F->grant_epoch || ri.frozen_buckets != 0)
		return;
	F->grant_wait = 0;
	uint64_t d = S->now - F->loss_at;
	F->c2g_sum += d;
	F->c2g_n++;
	if (d > F->c2g_max)
		F->c2g_max = d;
}

void
sim_faults_print(const struct sim *S, FILE *f)
{
	const struct sfaults *F = &S->F;

	if (F->spec == 0)
		return;
	fprintf(f, "seed %" PRIu64 ": faults %s: crashes %" PRIu64 ", cuts %" PRIu64 ", restarts %"
		PRIu64 ", heals %" PRIu64 ", views %" PRIu64 ", recoveries %" PRIu64
		" (max %.3f ms), loss to first grant on a moved bucket %.3f ms, -ENOLCK %" PRIu64
		" (+%" PRIu64 " refused), LVB lost %" PRIu64 " (counter taken again %" PRIu64
		"), late cancels %" PRIu64 ", messages lost %" PRIu64 " held %" PRIu64 " dropped %"
		PRIu64 "\n", S->seed, fs_name(F->spec), F->crashes, F->cuts,
		F->restarts, F->heals, F->views, F->recoveries, F->rec_max / 1e6,
		F->c2g_n ? (double)F->c2g_sum / F->c2g_n / 1e6 : -1.0, sim_chk_enolck(S->chk),
		F->enolck_refused, sim_chk_lvb_lost_reads(S->chk), S->ctr_rederived, S->cancels_late,
		F->lost_msgs, F->held_msgs, F->dropped_msgs);
}

/* Where recovery stands (a run that did not quiesce). */
void
sim_faults_dump(const struct sim *S, FILE *f)
{
	const struct sfaults *F = &S->F;
	char sn[16];

	if (F->spec == 0)
		return;
	fprintf(f, "  views formed %u; nodes:", F->nviews);
	for (unsigned int k = 1; k <= S->sh.nodes; k++)
		fprintf(f, " n%u=%s/inc%u/epoch%u", k, F->node[k].state == NODE_UP ? "up" :
			F->node[k].state == NODE_DOWN ? "down" : "cut", F->node[k].inc,
			F->node[k].epoch);
	fprintf(f, "\n");
	for (unsigned int i = 0; i < S->nsites; i++) {
		struct lw_rec_info ri;
		if (S->site[i].s == NULL)
			continue;
		lw_site_rec_info(S->site[i].s, &ri);
		fprintf(f, "  %s: epoch %u %s frozen %u unsettled %u done_missing %u kept %u "
			"fence_until %" PRIu64 " views %" PRIu64 " reports %" PRIu64 "/%" PRIu64
			" purged %" PRIu64 " resends %" PRIu64 "\n", sim_site_name(S->site[i].id, sn),
			ri.epoch, lw_rec_phase_name(ri.phase), ri.frozen_buckets, ri.unsettled_buckets,
			ri.done_missing, ri.kept_msgs, ri.fence_until, ri.views, ri.reports_tx,
			ri.reports_rx, ri.purged, ri.resends);
	}
}

/* The end of a run: the planned faults must have happened and been recovered from. */
void
sim_faults_check_done(struct sim *S)
{
	const struct sfaults *F = &S->F;
	bool ok;

	switch (F->spec) {
	case FS_CRASH:
		ok = F->crashes == 1 && F->views >= 1;
		break;
	case FS_CRASH_REC:
	case FS_TWO:
		ok = F->crashes == 2 && F->views >= 1;
		break;
	case FS_RESTART:
		ok = F->crashes == 1 && F->restarts == 1 && F->views == 2;
		break;
	case FS_PARTITION:
		ok = F->cuts == 1 && F->fences == 1 && F->heals == 1 && F->views == 2;
		break;
	default:
		return;
	}
	LW_CHECK(S, ok && F->recoveries >= 1 && !F->unstable, SV_LIVENESS, "the fault plan (%s) did "
		 "not run to the end: crashes %" PRIu64 ", cuts %" PRIu64 ", fences %" PRIu64
		 ", heals %" PRIu64 ", restarts %" PRIu64 ", views %" PRIu64 ", recoveries %" PRIu64
		 "%s", fs_name(F->spec), F->crashes, F->cuts, F->fences, F->heals, F->restarts,
		 F->views, F->recoveries, F->unstable ? ", still recovering" : "");
}
