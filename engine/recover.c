/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * recover.c — views, recovery and leases at one site.
 *
 * DESIGN
 * The membership layer decides views; a site applies them here
 * (docs/recovery.md has the rules):
 *
 *   lw_site_view_change()
 *     -> check: epoch newer (-ESTALE), a valid map with this site in it,
 *        its own node not lost (-EINVAL)
 *     -> every bucket whose master changed (another site, or a lost one)
 *        is "moved": unsettled here until its master's RESUMED, and
 *        messages about it from before the view are stale (moved_epoch)
 *     -> master side: moved-in buckets frozen (stale records dropped);
 *        moved-out buckets (a live move away from this site) forgotten at
 *        once, with their kept messages, nothing sent; lost sites'
 *        pending requests dropped now (lw_master_drop_lost), their
 *        holdings at fence_until (rec_poll)
 *     -> shadow side: requests to a master that changed forgotten
 *        (lw_shadow_forget), send_report() of each held mode whose bucket
 *        moved or is still unsettled, send_report_done() to every site,
 *        then the usual update asks the new masters again
 *     -> replay the messages kept for this view (replay_future)
 *   receive_report()      -> lw_master_receive_report (master.c)
 *   receive_report_done() -> done[src]; resume when every site is done
 *   receive_resumed()     -> the sender's buckets are settled
 *   lw_rec_poll() (end of every entry point)
 *     -> fence_until passed: purge lost sites' holdings
 *     -> frozen, every REPORT_DONE in, fence_until passed: resume():
 *        LVB rule, replay kept REQUEST/DOWNGRADE/CANCEL, send_resumed()
 *   lw_rec_fence() (lease ran out, or lw_site_fence): every local lock ends
 *     with -ENOLCK, everything known is forgotten, nothing is sent.
 *
 * Stale messages (lw_rec_stale_to_master/_to_shadow): a message about a
 * bucket that moved since its sender's epoch was meant for a master or a
 * shadow state that is gone; its sender reports and asks again after its
 * own view change, so it is dropped (drops_stale).
 * Messages of a view the site has not applied yet wait in futureq (with
 * every later message of their source, to keep each pair in order);
 * master messages for frozen buckets wait in frozenq. One thread owns a
 * site; nothing here does I/O or reads a clock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "site_priv.h"

static const char *const phase_names[] = {
	[LW_REC_STABLE] = "stable", [LW_REC_REBUILD] = "rebuild",
	[LW_REC_FENCE] = "fence", [LW_REC_FENCED] = "fenced",
};

const char *
lw_rec_phase_name(int phase)
{
	if (phase < 0 || phase > LW_REC_FENCED)
		return "?";
	return phase_names[phase];
}

int
lw_rec_init(struct lw_site *s)
{
	struct lw_rec *rc = &s->rec;

	rc->lease_until = UINT64_MAX;
	if (lw_msgbuf_init(&rc->frozenq, 16) < 0 || lw_msgbuf_init(&rc->futureq, 16) < 0)
		return -ENOMEM;
	lw_rec_set_map(s, &s->map);
	return 0;
}

void
lw_rec_fini(struct lw_site *s)
{
	lw_msgbuf_fini(&s->rec.frozenq);
	lw_msgbuf_fini(&s->rec.futureq);
}

void
lw_rec_set_map(struct lw_site *s, const struct lw_map *map)
{
	if (map != &s->map)
		s->map = *map;
	memset(s->rec.insite, 0, sizeof(s->rec.insite));
	for (unsigned int i = 0; i < s->map.nsites; i++)
		if (s->map.sites[i] < LW_SITE_IDS)
			bit_set(s->rec.insite, s->map.sites[i]);
}

static bool
node_lost(const struct lw_view_change *vc, uint16_t site)
{
	unsigned int n = lw_site_node(site);

	return (vc->lost[n / 64] >> (n % 64)) & 1u;
}

static uint32_t
msg_bucket(const struct lw_msg *m)
{
	return lw_bucket_of(lw_res_hash(m->gid, m->name, m->namelen));
}

/* --- kept messages ------------------------------------------------------------ */

/* A message of a newer view, or behind one from the same site: kept. */
bool
lw_rec_keep(struct lw_site *s, const struct lw_msg *m)
{
	struct lw_rec *rc = &s->rec;
	struct lw_msg *k;

	if (m->h.src >= LW_SITE_IDS ||
	    (m->h.epoch <= s->map.epoch && !bit_get(rc->kept_src, m->h.src)))
		return false;
	k = lw_msgbuf_push(&rc->futureq);
	if (k == NULL) {
		s->st.drops_bad++;
		return true;
	}
	*k = *m;
	bit_set(rc->kept_src, m->h.src);
	return true;
}

/* REQUEST, DOWNGRADE, CANCEL for a frozen bucket wait for its resume. */
bool
lw_rec_keep_frozen(struct lw_site *s, const struct lw_msg *m)
{
	struct lw_msg *k;

	if (!lw_rec_frozen(s, msg_bucket(m)))
		return false;
	k = lw_msgbuf_push(&s->rec.frozenq);
	if (k != NULL)
		*k = *m;
	else
		s->st.drops_bad++;
	return true;
}

/*
 * REQUEST, DOWNGRADE, CANCEL, REPORT sent before the bucket last moved, or
 * from an older view to a site that does not master the bucket: the
 * sender asks again (or reports again) after its own view change.
 */
bool
lw_rec_stale_to_master(struct lw_site *s, const struct lw_msg *m)
{
	uint32_t b = msg_bucket(m);

	if (m->h.epoch < s->rec.moved_epoch[b] ||
	    (m->h.epoch < s->map.epoch && s->map.bucket[b] != s->self)) {
		s->st.drops_stale++;
		return true;
	}
	return false;
}

/*
 * GRANT, DENY, BAST, REDIRECT sent before the bucket last moved, or from an
 * older view by a site that is not the resource's master (master: the
 * site asked; 0 when the resource is not known here): this site forgot
 * what it answers, reported its holding and asked the new master again.
 */
bool
lw_rec_stale_to_shadow(struct lw_site *s, const struct lw_msg *m, uint16_t master)
{
	uint32_t b = msg_bucket(m);

	if (m->h.epoch < s->rec.moved_epoch[b] ||
	    (master != 0 && m->h.epoch < s->map.epoch && m->h.src != master)) {
		s->st.drops_stale++;
		return true;
	}
	return false;
}

/* Drop kept messages from sites no longer in the view (with lost: or lost). */
static void
filter_kept(struct lw_site *s, struct lw_msgbuf *q, bool lost)
{
	uint32_t keep = 0;

	for (uint32_t i = 0; i < q->n; i++) {
		uint16_t src = q->m[i].h.src;

		if (src < LW_SITE_IDS && !(lost && bit_get(s->rec.lost, src)) &&
		    lw_site_in_map(s, src))
			q->m[keep++] = q->m[i];
		else
			s->rec.ri.purged++;
	}
	q->n = keep;
}

/* Kept messages for buckets that moved away from this site: stale now. */
static void
filter_moved_out(struct lw_site *s, const uint64_t *out)
{
	struct lw_msgbuf *q = &s->rec.frozenq;
	uint32_t keep = 0;

	for (uint32_t i = 0; i < q->n; i++) {
		if (!bit_get(out, msg_bucket(&q->m[i])))
			q->m[keep++] = q->m[i];
		else
			s->st.drops_stale++;
	}
	q->n = keep;
}

/*
 * The view changed: the kept messages go through the usual path again, in
 * order; those still ahead of the site's view are kept again (and, behind
 * them, the rest from the same source).
 */
static void
replay_future(struct lw_site *s)
{
	struct lw_rec *rc = &s->rec;
	uint32_t n0 = rc->futureq.n;

	if (n0 == 0)
		return;
	memset(rc->kept_src, 0, sizeof(rc->kept_src));
	for (uint32_t i = 0; i < n0; i++) {
		struct lw_msg m = rc->futureq.m[i];

		lw_site_dispatch(s, &m);
	}
	memmove(rc->futureq.m, rc->futureq.m + n0, (rc->futureq.n - n0) * sizeof(struct lw_msg));
	rc->futureq.n -= n0;
}

/* --- sends ---------------------------------------------------------------------- */

static void
send_to_all(struct lw_site *s, int type)
{
	for (unsigned int i = 0; i < s->map.nsites; i++)
		lw_site_msg(s, type, s->map.sites[i]);
}

static void
send_report_done(struct lw_site *s)
{
	send_to_all(s, LW_MSG_REPORT_DONE);
}

static void
send_resumed(struct lw_site *s)
{
	send_to_all(s, LW_MSG_RESUMED);
}

/* --- receives ------------------------------------------------------------------- */

static void
receive_report_done(struct lw_site *s, const struct lw_msg *m)
{
	if (m->h.epoch == s->map.epoch)
		bit_set(s->rec.done, m->h.src);
	/* an older epoch's: that view's reports are in, the current one's are awaited */
}

static void
receive_resumed(struct lw_site *s, const struct lw_msg *m)
{
	struct lw_rec *rc = &s->rec;

	if (rc->nunsettled == 0)
		return;
	for (uint32_t b = 0; b < LW_BUCKETS; b++) {
		if (bit_get(rc->unsettled, b) && s->map.bucket[b] == m->h.src &&
		    rc->unsettled_epoch[b] <= m->h.epoch) {
			bit_clr(rc->unsettled, b);
			rc->nunsettled--;
		}
	}
}

void
lw_rec_receive(struct lw_site *s, const struct lw_msg *m)
{
	switch (m->h.type) {
	case LW_MSG_REPORT:
		lw_master_receive_report(s, m);
		break;
	case LW_MSG_REPORT_DONE:
		receive_report_done(s, m);
		break;
	case LW_MSG_RESUMED:
		receive_resumed(s, m);
		break;
	}
}

/* --- resume --------------------------------------------------------------------- */

static unsigned int
done_missing(const struct lw_site *s)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < s->map.nsites; i++)
		n += !bit_get(s->rec.done, s->map.sites[i]);
	return n;
}

/* Every report is in and the lost leases ran out: the frozen buckets grant again. */
static void
resume(struct lw_site *s)
{
	struct lw_rec *rc = &s->rec;
	uint64_t buckets[BITS_WORDS(LW_BUCKETS)];
	uint32_t n0;

	memcpy(buckets, rc->frozen, sizeof(buckets));
	memset(rc->frozen, 0, sizeof(rc->frozen));
	rc->nfrozen = 0;
	lw_master_resume(s, buckets);
	/* the requests kept meanwhile, in the order they came (nothing is frozen now) */
	n0 = rc->frozenq.n;
	for (uint32_t i = 0; i < n0; i++) {
		struct lw_msg m = rc->frozenq.m[i];

		lw_master_receive(s, &m);
	}
	rc->frozenq.n = 0;
	send_resumed(s);
	rc->ri.last_resume_ns = s->now;
}

/* What is due now; true when it did something (messages to self may follow). */
bool
lw_rec_poll(struct lw_site *s)
{
	struct lw_rec *rc = &s->rec;

	if (rc->fenced || s->now < rc->fence_until)
		return false;
	if (rc->purge_due) {
		lw_master_drop_lost(s, rc->lost, true);
		memset(rc->lost, 0, sizeof(rc->lost));
		rc->purge_due = 0;
		return true;
	}
	if (rc->nfrozen != 0 && done_missing(s) == 0) {
		resume(s);
		return true;
	}
	return false;
}

uint64_t
lw_rec_deadline(const struct lw_site *s)
{
	const struct lw_rec *rc = &s->rec;
	uint64_t d;

	if (rc->fenced)
		return UINT64_MAX;
	d = rc->lease_until;
	if ((rc->purge_due || (rc->nfrozen != 0 && done_missing(s) == 0)) && rc->fence_until < d)
		d = rc->fence_until;
	return d;
}

/* --- fencing -------------------------------------------------------------------- */

/* Every lock on r ends with -ENOLCK (orphans silently); the shadow forgets all. */
static uint32_t
revoke_res(struct lw_site *s, struct lw_res *r)
{
	struct lw_engine *e = s->e;
	struct lw_qlist *lists[3] = { &r->q.grant, &r->q.convert, &r->q.wait };
	uint32_t n = 0;

	lw_shadow_release_held(e, r);	/* a held cancel or unlock completes as it would have */
	for (int i = 0; i < 3; i++) {
		struct lw_qent *q;

		while ((q = TAILQ_FIRST(lists[i])) != NULL) {
			struct lw_lkb *lkb = lkb_of(q);

			if (lkb->session != 0) {
				lw_lock_emit_complete(e, lkb, lkb->session, -ENOLCK, LW_LOCK_IV, 0,
						      lkb->cookie);
				n++;
			}
			if (q->state == LW_QS_CONVERT || q->state == LW_QS_WAIT)
				lw_lockq_dequeue(&r->q, q);
			if (q->state == LW_QS_GRANTED)
				lw_lockq_remove(&r->q, q);
			lw_lock_destroy(e, lkb);
		}
	}
	lw_shadow_forget(s, r, true);
	return n;
}

void
lw_rec_fence(struct lw_site *s)
{
	struct lw_engine *e = s->e;
	struct lw_rec *rc = &s->rec;
	struct lw_evbuf *saved = e->out;

	if (rc->fenced)
		return;
	e->out = &s->out->ev;
	for (uint32_t i = 0; i < e->conf.max_resources; i++)
		if (e->res[i].resident)
			rc->ri.revoked += revoke_res(s, &e->res[i]);
	e->out = saved;
	lw_master_reset(s);
	rc->frozenq.n = 0;
	rc->futureq.n = 0;
	s->selfq.n = 0;
	s->self_head = 0;
	memset(rc->kept_src, 0, sizeof(rc->kept_src));
	memset(rc->frozen, 0, sizeof(rc->frozen));
	memset(rc->unsettled, 0, sizeof(rc->unsettled));
	memset(rc->lost, 0, sizeof(rc->lost));
	memset(rc->done, 0, sizeof(rc->done));
	rc->nfrozen = 0;
	rc->nunsettled = 0;
	rc->purge_due = 0;
	rc->fenced = 1;
	rc->ri.fenced++;
}

uint32_t
lw_site_fence(struct lw_site *s, uint64_t now, struct lw_site_out *out)
{
	uint64_t before = s->rec.ri.revoked;

	lw_site_begin(s, now, out);
	lw_rec_fence(s);
	lw_site_end(s);
	return (uint32_t)(s->rec.ri.revoked - before);
}

void
lw_site_set_lease(struct lw_site *s, uint64_t until)
{
	s->rec.lease_until = until;
}

/* --- view change ---------------------------------------------------------------- */

static int
map_valid(const struct lw_site *s, const struct lw_map *m)
{
	uint64_t in[BITS_WORDS(LW_SITE_IDS)];
	bool self = false;

	if (m->nsites == 0 || m->nsites > LW_MAX_SITES)
		return -EINVAL;
	memset(in, 0, sizeof(in));
	for (unsigned int i = 0; i < m->nsites; i++) {
		if (lw_site_node(m->sites[i]) == 0 || m->sites[i] >= LW_SITE_IDS ||
		    (i > 0 && m->sites[i] <= m->sites[i - 1]))
			return -EINVAL;
		bit_set(in, m->sites[i]);
		self |= m->sites[i] == s->self;
	}
	if (!self)
		return -EINVAL;
	for (uint32_t b = 0; b < LW_BUCKETS; b++)
		if (m->bucket[b] >= LW_SITE_IDS || !bit_get(in, m->bucket[b]))
			return -EINVAL;
	return 0;
}

/* Any bucket may move (map_valid checked where to); this site's own node is not lost. */
static int
moves_valid(const struct lw_site *s, const struct lw_view_change *vc)
{
	return node_lost(vc, s->self) ? -EINVAL : 0;
}

static void
count_frozen(struct lw_rec *rc)
{
	rc->nfrozen = 0;
	for (unsigned int w = 0; w < BITS_WORDS(LW_BUCKETS); w++)
		rc->nfrozen += (uint32_t)__builtin_popcountll(rc->frozen[w]);
}

/* A fenced site takes the view as it is and starts again, empty. */
static void
restart(struct lw_site *s, const struct lw_view_change *vc)
{
	struct lw_rec *rc = &s->rec;
	/* fenced out of a running cluster (not just created fenced): views went on without it */
	bool missed = rc->ri.views != 0;

	lw_rec_set_map(s, vc->map);
	rc->fenced = 0;
	rc->lease_until = UINT64_MAX;
	rc->fence_until = vc->fence_until;
	/* its buckets were others' meanwhile: rebuilt from their reports */
	for (uint32_t b = 0; b < LW_BUCKETS; b++) {
		if (s->map.bucket[b] == s->self)
			bit_set(rc->frozen, b);
		rc->moved_epoch[b] = s->map.epoch;	/* nothing from before is ours */
		if (missed)
			bit_set(rc->lvb_lost, b);	/* what it missed may have lost a value */
	}
	count_frozen(rc);
	send_report_done(s);
}

/* The site's map before the view, and which of its sites are lost. */
struct view_old {
	struct lw_map map;
	uint64_t lostsite[BITS_WORDS(LW_SITE_IDS)];
	uint64_t moved[BITS_WORDS(LW_BUCKETS)];       /* buckets whose master changed */
	uint64_t moved_in[BITS_WORDS(LW_BUCKETS)];    /* ... to this site */
	uint64_t moved_out[BITS_WORDS(LW_BUCKETS)];   /* ... away from this site */
};

static bool
site_gone(const struct view_old *o, uint16_t site)
{
	return site >= LW_SITE_IDS || bit_get(o->lostsite, site);
}

/*
 * Shadow side: every resource whose master changed (its bucket moved, the
 * site a REDIRECT named or its request went to is gone or is not the
 * master now) forgets its request and BAST state; a held mode is reported
 * to the bucket's new master, and so is one in a bucket still unsettled
 * from an earlier view. Returns in `asked` the resources that must ask
 * again.
 */
static uint32_t
shadow_view(struct lw_site *s, const struct view_old *o, uint32_t *asked)
{
	struct lw_engine *e = s->e;
	uint32_t na = 0;

	for (uint32_t i = 0; i < e->conf.max_resources; i++) {
		struct lw_res *r = &e->res[i];
		uint32_t b;
		uint16_t was;
		bool gone;

		if (!r->resident)
			continue;
		b = lw_bucket_of(r->hash);
		was = r->redirects ? r->master : o->map.bucket[b];
		gone = bit_get(o->moved, b) || site_gone(o, was) || was != s->map.bucket[b] ||
		       (r->inflight && (site_gone(o, r->master) || r->master != s->map.bucket[b]));
		if (gone) {
			lw_shadow_forget(s, r, false);
			asked[na++] = i;
		}
		if ((gone || bit_get(s->rec.unsettled, b)) &&
		    (r->held != LW_LOCK_IV || (bit_get(o->moved, b) && r->lvbseq != 0)))
			lw_shadow_report(s, r);	/* held IV: the LVB only */
	}
	return na;
}

/*
 * A lost site back in the view is a new incarnation: the old one fenced
 * itself (its lease ran out) before it could rejoin, so what it held goes
 * now, not at fence_until, before the new one asks for anything.
 */
static void
rejoined(struct lw_site *s)
{
	struct lw_rec *rc = &s->rec;
	uint64_t back[BITS_WORDS(LW_SITE_IDS)];
	bool any = false;

	for (unsigned int w = 0; w < BITS_WORDS(LW_SITE_IDS); w++) {
		back[w] = rc->lost[w] & rc->insite[w];
		rc->lost[w] &= ~back[w];
		any |= back[w] != 0;
	}
	if (any)
		lw_master_drop_lost(s, back, true);
}

static int
apply_view(struct lw_site *s, const struct lw_view_change *vc)
{
	struct lw_rec *rc = &s->rec;
	struct lw_engine *e = s->e;
	struct view_old *o;
	uint32_t *asked, na;
	bool any_lost = false;

	o = malloc(sizeof(*o));
	asked = malloc(sizeof(*asked) * (e->conf.max_resources + 1));
	if (o == NULL || asked == NULL) {
		free(o);
		free(asked);
		return -ENOMEM;
	}
	o->map = s->map;
	memset(o->lostsite, 0, sizeof(o->lostsite));
	for (unsigned int i = 0; i < o->map.nsites; i++) {
		uint16_t x = o->map.sites[i];
		bool in_new = false;

		for (unsigned int k = 0; k < vc->map->nsites; k++)
			in_new |= vc->map->sites[k] == x;
		if (x < LW_SITE_IDS && (node_lost(vc, x) || !in_new)) {
			bit_set(o->lostsite, x);
			bit_set(rc->lost, x);
			any_lost = true;
		}
	}
	memset(o->moved, 0, sizeof(o->moved));
	memset(o->moved_in, 0, sizeof(o->moved_in));
	memset(o->moved_out, 0, sizeof(o->moved_out));
	lw_rec_set_map(s, vc->map);
	for (uint32_t b = 0; b < LW_BUCKETS; b++) {
		uint16_t was = o->map.bucket[b];

		if (!site_gone(o, was) && was == s->map.bucket[b])
			continue;
		bit_set(o->moved, b);
		if (site_gone(o, was))
			bit_set(rc->lvb_lost, b);	/* its values may have gone with it */
		if (s->map.bucket[b] == s->self)
			bit_set(o->moved_in, b);
		else if (was == s->self)
			bit_set(o->moved_out, b);
		if (!bit_get(rc->unsettled, b))
			rc->nunsettled++;
		bit_set(rc->unsettled, b);
		rc->unsettled_epoch[b] = s->map.epoch;
		rc->moved_epoch[b] = s->map.epoch;
	}
	memset(rc->done, 0, sizeof(rc->done));
	/* one fence_until: lost leases to wait out; a live move needs none */
	if (any_lost)
		rc->fence_until = rc->purge_due && rc->fence_until > vc->fence_until ?
				  rc->fence_until : vc->fence_until;
	else if (!rc->purge_due)
		rc->fence_until = 0;
	rc->purge_due |= any_lost;

	/*
	 * Master side: buckets moved in are frozen (what an earlier view left
	 * of them is stale); buckets moved out are forgotten now, nothing sent:
	 * the new master rebuilds them from the shadows' reports, and waits for
	 * this site's REPORT_DONE, sent below, after which it grants no more.
	 */
	lw_master_drop_buckets(s, o->moved_in);
	lw_master_hand_over(s, o->moved_out);
	lw_master_drop_buckets(s, o->moved_out);
	for (unsigned int w = 0; w < BITS_WORDS(LW_BUCKETS); w++)
		rc->frozen[w] = (rc->frozen[w] & ~o->moved_out[w]) | o->moved_in[w];
	count_frozen(rc);
	filter_moved_out(s, o->moved_out);
	lw_master_drop_lost(s, rc->lost, false);
	for (uint32_t i = 0; i < rc->frozenq.n; i++) {
		const struct lw_msg *k = &rc->frozenq.m[i];

		if (k->h.src < LW_SITE_IDS && bit_get(rc->lost, k->h.src))
			lw_master_absorb_lost(s, k);
	}
	filter_kept(s, &rc->frozenq, true);
	filter_kept(s, &rc->futureq, false);
	rejoined(s);
	memset(rc->kept_src, 0, sizeof(rc->kept_src));
	for (uint32_t i = 0; i < rc->futureq.n; i++)
		bit_set(rc->kept_src, rc->futureq.m[i].h.src);

	/* shadow side: reports, then the end of them, then ask again */
	na = shadow_view(s, o, asked);
	send_report_done(s);
	for (uint32_t k = 0; k < na; k++) {
		struct lw_res *r = &e->res[asked[k]];

		lw_shadow_update(e, r);
		if (r->inflight)
			rc->ri.resends++;
	}
	free(o);
	free(asked);
	return 0;
}

int
lw_site_view_change(struct lw_site *s, const struct lw_view_change *vc, uint64_t now,
		    struct lw_site_out *out)
{
	int rc;

	if (s == NULL || vc == NULL || vc->map == NULL || out == NULL)
		return -EINVAL;
	if (vc->map->epoch <= s->map.epoch)
		return -ESTALE;
	if (map_valid(s, vc->map) < 0)
		return -EINVAL;
	if (!s->rec.fenced && now < s->rec.lease_until && moves_valid(s, vc) < 0)
		return -EINVAL;
	lw_site_begin(s, now, out);
	s->e->out = &out->ev;
	if (s->rec.fenced) {
		restart(s, vc);
		rc = 0;
	} else {
		rc = apply_view(s, vc);
	}
	if (rc == 0) {
		s->rec.ri.views++;
		replay_future(s);
	}
	lw_site_end(s);
	return rc;
}

/* --- introspection -------------------------------------------------------------- */

void
lw_site_rec_info(const struct lw_site *s, struct lw_rec_info *ri)
{
	const struct lw_rec *rc = &s->rec;
	unsigned int missing = done_missing(s);

	*ri = rc->ri;
	ri->epoch = s->map.epoch;
	if (rc->fenced)
		ri->phase = LW_REC_FENCED;
	else if (rc->nfrozen != 0 && missing != 0)
		ri->phase = LW_REC_REBUILD;
	else if (rc->nfrozen != 0 || rc->purge_due)
		ri->phase = LW_REC_FENCE;
	else
		ri->phase = LW_REC_STABLE;
	memset(ri->rsvd, 0, sizeof(ri->rsvd));
	ri->frozen_buckets = rc->nfrozen;
	ri->unsettled_buckets = rc->nunsettled;
	ri->done_missing = missing;
	ri->kept_msgs = rc->frozenq.n + rc->futureq.n;
	ri->fence_until = rc->fence_until;
	ri->lease_until = rc->lease_until;
}
