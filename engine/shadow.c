/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * shadow.c — the shadow side of a site: what the masters granted it, and
 * when to ask them for more or give back.
 *
 * DESIGN
 * A shadow resource is the engine's resource (engine/res.c) plus `held`,
 * the mode its master granted this site. Local requests are queued by the
 * engine under a ceiling: held, lowered to meet(held, target) while a BAST
 * is owed (never below NL: NL locks need no master). After every change,
 * lw_shadow_update():
 *   apply_bast()    -> tell local holders above the target; once the local
 *                      locks fit, send_downgrade() (IV when nothing is left)
 *   maybe_request() -> head local request blocked only by the ceiling:
 *                      send_request(join(held, its mode)), one at a time;
 *                      its lock gone while the REQUEST is out: send_cancel()
 * Messages from masters:
 *   receive_grant()  -> held = mode; the LVB unless we were its writer
 *   receive_deny()   -> -EAGAIN ends a NOQUEUE lock; -EDEADLK fails (or with
 *                       CONVDEADLK demotes) the local conversion, or holds
 *                       new requests back until we have given way (not a
 *                       conversion keeping that from happening)
 *   receive_bast()   -> owe a downgrade to meet(held, target); a hint (a
 *                       refused NOQUEUE) gives back a mode only cached
 *   receive_redirect() -> ask the site the master named
 * Each answer to the site's request first lets go of a cancel's COMPLETE
 * held back for it (release_held()).
 * Recovery (recover.c): lw_shadow_forget() drops what was under way with a
 * lost master (or everything, when the site fences itself) and
 * lw_shadow_report() sends the held mode to a bucket's new master.
 * A single-site engine (no site) holds EX on everything and never sends.
 */
#include <errno.h>
#include <string.h>

#include "site_priv.h"

#define SITE_FLAGS (LW_LKF_QUECVT | LW_LKF_HEADQUE | LW_LKF_NOORDER | LW_LKF_NODLCKWT)
#define MAX_REDIRECTS 3

/* Every change of a shadow's held mode goes here: the site counts holdings. */
static void
set_held(struct lw_site *s, struct lw_res *r, int mode)
{
	s->nheld += (mode != LW_LOCK_IV) - (r->held != LW_LOCK_IV);
	r->held = (int8_t)mode;
	if (mode == LW_LOCK_IV && !r->inflight)
		r->redirects = 0;	/* holding nothing: next time the map decides */
}

void
lw_shadow_init_res(struct lw_engine *e, struct lw_res *r)
{
	r->held = e->site != NULL ? LW_LOCK_IV : LW_LOCK_EX;
	r->q.ceiling = e->site != NULL ? LW_LOCK_NL : LW_LOCK_EX;
	r->q.cap = r->q.ceiling;
	r->bast_target = LW_LOCK_IV;
	r->bast_heads = 0;
	r->inflight = 0;
	r->cancel_sent = 0;
	r->dl_block = 0;
	r->master = 0;
	r->redirects = 0;
	r->seq = 0;
	r->trigger = 0;
	r->idle_since = UINT64_MAX;
	r->on_cached = 0;
	r->lvbseq = 0;
	r->lvb_dirty = 0;
	r->cxl.lkid = 0;
}

static int
ceiling_of(const struct lw_res *r)
{
	int c = r->held;

	if (r->bast_target != LW_LOCK_IV)
		c = lw_mode_meet(c, r->bast_target);
	return c == LW_LOCK_IV ? LW_LOCK_NL : c;
}

static void
update_ceiling(struct lw_engine *e, struct lw_res *r)
{
	int c = ceiling_of(r);
	int8_t cap = r->held == LW_LOCK_IV ? LW_LOCK_NL : r->held;

	if (c != r->q.ceiling || cap != r->q.cap) {
		r->q.cap = cap;
		lw_lockq_set_ceiling(&r->q, c, &lw_engine_qops, e);
	}
}

static struct lw_msg *
shadow_msg(struct lw_site *s, int type, const struct lw_engine *e, const struct lw_res *r,
	   uint16_t dst)
{
	struct lw_msg *m = lw_site_msg(s, type, dst);

	if (m == NULL)
		return NULL;
	m->gid = e->ls[r->lsid - 1].gid;
	m->namelen = r->namelen;
	memcpy(m->name, r->name, r->namelen);
	m->seq = r->seq;
	return m;
}

/* The bucket map's master, unless a REDIRECT named another one. */
static uint16_t
master_of(const struct lw_site *s, const struct lw_res *r)
{
	return r->redirects ? r->master : s->map.bucket[lw_bucket_of(r->hash)];
}

static void
send_downgrade(struct lw_site *s, struct lw_engine *e, struct lw_res *r, int mode)
{
	struct lw_msg *m = shadow_msg(s, LW_MSG_DOWNGRADE, e, r, master_of(s, r));

	if (m != NULL) {
		m->mode = (int8_t)mode;
		m->mode2 = r->held;
		if (r->held >= LW_LOCK_PW) {
			if (r->lvb_dirty) {
				r->lvbseq++;
				r->lvb_dirty = 0;
			}
			m->lvbf = r->lvb_valid ? LW_MSG_LVB_PRESENT : LW_MSG_LVB_INVALID;
			m->lvbseq = r->lvbseq;
			memcpy(m->lvb, r->lvb, LW_LVB_LEN);
		}
	}
	set_held(s, r, mode);
	r->dl_block = 0;
	r->bast_heads = 0;
	update_ceiling(e, r);
}

static void
send_request(struct lw_site *s, struct lw_engine *e, struct lw_res *r,
	     const struct lw_lkb *lkb, int want)
{
	struct lw_msg *m;
	uint32_t f = lkb->q.flags & SITE_FLAGS;

	r->master = master_of(s, r);
	m = shadow_msg(s, LW_MSG_REQUEST, e, r, r->master);
	if (m == NULL)
		return;
	/* An ALT mode must still cover what this site holds for others. */
	if (lw_mode_covers(LW_LOCK_CR, r->held == LW_LOCK_IV ? LW_LOCK_NL : r->held))
		f |= lkb->q.flags & (LW_LKF_ALTPR | LW_LKF_ALTCW);
	if (lkb->nq)
		f |= LW_LKF_NOQUEUE | (lkb->nqbast ? LW_LKF_NOQUEUEBAST : 0);
	if (r->held == LW_LOCK_IV)
		f &= ~LW_LKF_QUECVT;
	m->mode = (int8_t)want;
	m->mode2 = r->held;
	m->dlmode = lkb->q.grmode == LW_LOCK_IV ? LW_LOCK_NL : lkb->q.grmode;
	m->flags = f;
	r->inflight = 1;
	r->cancel_sent = 0;
	r->trigger = lkb->lkid;
}

static void
send_cancel(struct lw_site *s, struct lw_engine *e, struct lw_res *r)
{
	shadow_msg(s, LW_MSG_CANCEL, e, r, r->master);
	r->cancel_sent = 1;
}

/*
 * Local holders above the target hear of the strongest remote request
 * they block (of those the BASTs named), once each, as at one site.
 */
static void
notify_holders(struct lw_engine *e, struct lw_res *r, int target)
{
	struct lw_qlist *lists[2] = { &r->q.grant, &r->q.convert };
	struct lw_qent *q;

	for (int i = 0; i < 2; i++) {
		TAILQ_FOREACH(q, lists[i], link) {
			int m = LW_LOCK_IV;

			if (lw_mode_covers(target, q->grmode) || !q->want_bast)
				continue;
			for (int k = LW_LOCK_EX; k > LW_LOCK_NL && m == LW_LOCK_IV; k--)
				if ((r->bast_heads & (1u << k)) && !lw_mode_compat(q->grmode, k))
					m = k;
			if (m == LW_LOCK_IV || (q->highbast != LW_LOCK_IV && q->highbast >= m))
				continue;
			q->highbast = (int8_t)m;
			lw_engine_qops.blocking(e, q, m);
		}
	}
}

static void
apply_bast(struct lw_site *s, struct lw_engine *e, struct lw_res *r)
{
	int target, join, mode;

	if (r->bast_target == LW_LOCK_IV)
		return;
	if (r->held == LW_LOCK_IV || lw_mode_covers(r->bast_target, r->held)) {
		r->bast_target = LW_LOCK_IV;	/* owed nothing any more */
		r->bast_heads = 0;
		return;
	}
	target = lw_mode_meet(r->held, r->bast_target);
	notify_holders(e, r, target);
	update_ceiling(e, r);
	join = lw_lockq_granted_join(&r->q);
	if (join != LW_LOCK_IV && !lw_mode_covers(target, join)) {
		/*
		 * Local holders first, but what none of them holds goes back
		 * now. The master judges a conversion of ours by the converting
		 * lock's own mode (dlmode), and may queue it behind a request
		 * only the cached excess blocks: kept, that excess would wait
		 * for the conversion and the conversion for it. The master
		 * BASTs again for what is still owed.
		 */
		if (join == r->held)
			return;
		r->bast_target = LW_LOCK_IV;
		send_downgrade(s, e, r, join);
		return;
	}
	mode = target;
	if (!r->inflight && r->q.nconvert == 0 && r->q.nwait == 0 &&
	    (join == LW_LOCK_IV || join == LW_LOCK_NL))
		mode = LW_LOCK_IV;
	r->bast_target = LW_LOCK_IV;
	send_downgrade(s, e, r, mode);
}

static struct lw_qent *
head_pending(struct lw_res *r)
{
	struct lw_qent *q = TAILQ_FIRST(&r->q.convert);

	return q != NULL ? q : TAILQ_FIRST(&r->q.wait);
}

/*
 * The REQUEST out was made for lkb, but now a conversion of another local
 * lock comes first, and that lock's granted mode keeps the downgrade we owe
 * from happening. The master cannot see it behind our request (which may be
 * queued behind a request our lock blocks): take the request back and ask
 * for the conversion, which the master then orders or finds deadlocked.
 */
static bool
stale_request(struct lw_res *r, const struct lw_lkb *lkb)
{
	const struct lw_qent *q = head_pending(r);

	return q != NULL && q != &lkb->q && q->grmode != LW_LOCK_IV &&
	       r->bast_target != LW_LOCK_IV &&
	       !lw_mode_covers(lw_mode_meet(r->held, r->bast_target), q->grmode);
}

static void
maybe_request(struct lw_site *s, struct lw_engine *e, struct lw_res *r)
{
	struct lw_qent *q;
	struct lw_lkb *lkb;

	if (r->inflight) {
		lkb = lw_lkb_find(e, r->trigger);
		if (!r->cancel_sent && (lkb == NULL || lkb->res != r ||
					(lkb->q.state != LW_QS_WAIT && lkb->q.state != LW_QS_CONVERT)))
			send_cancel(s, e, r);
		else if (!r->cancel_sent && stale_request(r, lkb))
			send_cancel(s, e, r);
		return;
	}
	q = head_pending(r);
	if (q == NULL || !lw_lockq_would_grant(&r->q, q, q->rqmode, q->flags, LW_LOCK_EX))
		return;		/* nothing waits, or it waits for local holders */
	/*
	 * While a downgrade is owed, requests wait for it, except a conversion
	 * whose own granted mode keeps the downgrade from happening: it goes
	 * now, and the master orders it (or finds the deadlock), even after a
	 * DENY -EDEADLK (dl_block): that one ended another lock's conversion,
	 * and this one would otherwise wait for a downgrade it prevents. Nothing
	 * is asked that the held mode already covers: that waits for our own
	 * downgrade, not for the master.
	 */
	if (r->bast_target != LW_LOCK_IV &&
	    (q->grmode == LW_LOCK_IV ||
	     lw_mode_covers(lw_mode_meet(r->held, r->bast_target), q->grmode)))
		return;
	if (r->dl_block && r->bast_target == LW_LOCK_IV)
		return;
	if (lw_mode_join(r->held, q->rqmode) == r->held)
		return;
	send_request(s, e, r, lkb_of(q), lw_mode_join(r->held, q->rqmode));
}

void
lw_shadow_site_update(struct lw_engine *e, struct lw_res *r)
{
	struct lw_site *s = e->site;

	if (r->nlocks != 0)
		r->idle_since = UINT64_MAX;	/* in use */
	else if (r->idle_since == UINT64_MAX)
		r->idle_since = s->now;
	apply_bast(s, e, r);
	maybe_request(s, e, r);
	if (r->nlocks == 0 && r->held != LW_LOCK_IV && !r->on_cached) {
		r->on_cached = 1;
		TAILQ_INSERT_TAIL(&e->cached, r, cached);
	}
}

/*
 * Give back modes nobody here used for idle_ns, oldest first. The list is
 * lazy: shadows used again or released since are dropped from it here.
 */
void
lw_shadow_release_idle(struct lw_engine *e, uint64_t now, uint64_t idle_ns)
{
	struct lw_res *r;
	int moves = 64;

	while ((r = TAILQ_FIRST(&e->cached)) != NULL) {
		if (r->nlocks != 0 || r->held == LW_LOCK_IV || r->inflight) {
			TAILQ_REMOVE(&e->cached, r, cached);
			r->on_cached = 0;
			continue;
		}
		if (r->idle_since > now || now - r->idle_since < idle_ns) {
			/* went idle again later than its place says: to the tail */
			if (moves-- == 0 || TAILQ_NEXT(r, cached) == NULL)
				break;
			TAILQ_REMOVE(&e->cached, r, cached);
			TAILQ_INSERT_TAIL(&e->cached, r, cached);
			continue;
		}
		TAILQ_REMOVE(&e->cached, r, cached);
		r->on_cached = 0;
		r->bast_target = LW_LOCK_IV;
		lw_shadow_evict(e, r);
	}
}

/*
 * Cancel and timeout complete when the master has answered (as in Linux
 * DLM). A lock whose request is the one out at the master retracts it
 * (send_cancel()); until the master answers that request (DENY, or a GRANT
 * or REDIRECT that crossed the CANCEL) another site could still find the
 * retracted request queued there, and, say, be refused a conversion for a
 * deadlock with a conversion the client already saw end. So the COMPLETE
 * waits on the shadow (r->cxl) and release_held() sends it with the answer;
 * meanwhile the lock counts as pending for its client (-EBUSY), even once
 * it is gone (lw_lock_destroy keeps its lkb and id until release_held()).
 * Cancels of other locks change nothing at the master and complete at once.
 */
bool
lw_shadow_hold_cancel(struct lw_engine *e, const struct lw_lkb *lkb, int status)
{
	struct lw_res *r = lkb->res;
	struct lw_cxl *h = &r->cxl;

	if (e->site == NULL || !r->inflight || r->trigger != lkb->lkid || h->lkid != 0 ||
	    lkb->session == 0 || lkb->session == e->mute_sid)
		return false;
	h->lkid = lkb->lkid;
	h->session = lkb->session;
	h->status = status;
	h->mode = lkb->q.grmode;
	h->sbflags = lkb->q.sbflags;
	h->cookie = lkb->cookie;
	h->unlock = 0;
	return true;
}

/* A FORCEUNLOCK's COMPLETE follows the held-back one of its cancel. */
bool
lw_shadow_hold_unlock(struct lw_res *r, const struct lw_lkb *lkb, uint64_t cookie)
{
	if (!lw_shadow_cancelling(lkb))
		return false;
	r->cxl.unlock = 1;
	r->cxl.ucookie = cookie;
	return true;
}

/* The master answered the site's request: a held-back COMPLETE goes now. */
static void
release_held(struct lw_engine *e, struct lw_res *r)
{
	struct lw_cxl *h = &r->cxl;
	struct lw_lkb k = { .lkid = h->lkid };

	if (h->lkid == 0)
		return;
	h->lkid = 0;
	/* nobody to tell if the session closed meanwhile */
	if (lw_session_get(e, h->session) != NULL) {
		lw_lock_emit_complete(e, &k, h->session, h->status, h->mode, h->sbflags,
				      h->cookie);
		if (h->unlock)
			lw_lock_emit_complete(e, &k, h->session, LW_EUNLOCK, LW_LOCK_IV, 0,
					      h->ucookie);
	}
	lw_lock_free_held_back(e, k.lkid);	/* a lock gone meanwhile: its id is free now */
}

/*
 * The master the request went to is gone (or the site fenced itself): the
 * request out is forgotten (its held cancel completes), and so is what its
 * BASTs asked; with fence, the held mode too.
 */
void
lw_shadow_forget(struct lw_site *s, struct lw_res *r, bool fence)
{
	struct lw_engine *e = s->e;

	release_held(e, r);
	r->inflight = 0;
	r->cancel_sent = 0;
	r->dl_block = 0;
	r->redirects = 0;
	r->bast_target = LW_LOCK_IV;
	r->bast_heads = 0;
	if (fence) {
		/* what it knew of the value is no newer than any master's now */
		set_held(s, r, LW_LOCK_IV);
		r->seq = 0;
		r->lvb_dirty = 0;
		r->lvbseq = 0;
		r->lvb_valid = 0;
	}
	update_ceiling(e, r);
}

/* The site's holding, to rebuild it at the bucket's (new) master. */
void
lw_shadow_report(struct lw_site *s, struct lw_res *r)
{
	struct lw_msg *m = shadow_msg(s, LW_MSG_REPORT, s->e, r, master_of(s, r));

	if (m == NULL)
		return;
	if (r->held >= LW_LOCK_PW && r->lvb_dirty) {
		r->lvbseq++;	/* a writer's value is newer than the one it was granted */
		r->lvb_dirty = 0;
	}
	m->mode = r->held;
	m->lvbf = LW_MSG_LVB_PRESENT | (r->lvb_valid ? 0 : LW_MSG_LVB_INVALID);
	m->lvbseq = r->lvbseq;
	memcpy(m->lvb, r->lvb, LW_LVB_LEN);
	s->rec.ri.reports_tx++;
}

/* The site fences itself: a held-back COMPLETE goes first, as it would have. */
void
lw_shadow_release_held(struct lw_engine *e, struct lw_res *r)
{
	release_held(e, r);
}

uint16_t
lw_shadow_master(const struct lw_site *s, const struct lw_res *r)
{
	return master_of(s, r);
}

bool
lw_shadow_can_ask(struct lw_engine *e, struct lw_res *r)
{
	return e->site != NULL && !r->inflight && r->bast_target == LW_LOCK_IV && !r->dl_block;
}

bool
lw_shadow_evictable(struct lw_engine *e, struct lw_res *r)
{
	(void)e;
	return !r->inflight;
}

void
lw_shadow_evict(struct lw_engine *e, struct lw_res *r)
{
	if (e->site != NULL && r->held != LW_LOCK_IV)
		send_downgrade(e->site, e, r, LW_LOCK_IV);
}

void
lw_shadow_site_granted(struct lw_engine *e, struct lw_lkb *lkb)
{
	struct lw_site *s = e->site;

	(void)lkb;
	if (s->granting_remote)
		s->st.remote_grants++;
	else
		s->st.local_grants++;
}

/* --- messages from masters ---------------------------------------------------- */

static struct lw_res *
shadow_of(struct lw_engine *e, const struct lw_msg *m)
{
	for (uint32_t i = 0; i < e->conf.max_lockspaces; i++) {
		const struct lw_lspace *ls = &e->ls[i];

		if (ls->used && ls->gid == m->gid)
			return lw_res_find(e, (uint16_t)(i + 1), m->name, m->namelen,
					   lw_res_hash(m->gid, m->name, m->namelen));
	}
	return NULL;
}

/* We do not know the resource (any more): give back what the master thinks we hold. */
static void
give_back(struct lw_site *s, const struct lw_msg *m)
{
	struct lw_msg *d = lw_site_msg(s, LW_MSG_DOWNGRADE, m->h.src);

	s->st.drops_unknown++;
	if (d == NULL)
		return;
	d->gid = m->gid;
	d->namelen = m->namelen;
	memcpy(d->name, m->name, m->namelen);
	d->seq = m->seq;
	d->mode = LW_LOCK_IV;
}

/* The LVB of a GRANT replaces ours unless ours is newer (written here since). */
static void
grant_lvb(struct lw_res *r, const struct lw_msg *m)
{
	if ((m->lvbf & LW_MSG_LVB_PRESENT) &&
	    (m->lvbseq > r->lvbseq || (m->lvbseq == r->lvbseq && !r->lvb_dirty))) {
		memcpy(r->lvb, m->lvb, LW_LVB_LEN);
		r->lvb_valid = !(m->lvbf & LW_MSG_LVB_INVALID);
		r->lvbseq = m->lvbseq;
		r->lvb_dirty = 0;
	}
}

static void
receive_grant(struct lw_site *s, struct lw_engine *e, struct lw_res *r, const struct lw_msg *m)
{
	grant_lvb(r, m);
	set_held(s, r, m->mode);
	r->seq = m->seq;
	r->inflight = 0;
	r->cancel_sent = 0;
	release_held(e, r);
	r->bast_target = LW_LOCK_IV;	/* the master BASTs again after a grant if need be */
	r->bast_heads = 0;
	s->granting_remote = 1;
	update_ceiling(e, r);
	lw_lockq_grant_pending(&r->q, &lw_engine_qops, e);
	s->granting_remote = 0;
}

static void
receive_deny(struct lw_site *s, struct lw_engine *e, struct lw_res *r, const struct lw_msg *m)
{
	struct lw_lkb *lkb = lw_lkb_find(e, r->trigger);
	bool pending = lkb != NULL && lkb->res == r &&
		       (lkb->q.state == LW_QS_WAIT || lkb->q.state == LW_QS_CONVERT);

	(void)s;
	r->inflight = 0;
	r->cancel_sent = 0;
	release_held(e, r);
	if (!pending)
		return;
	if ((m->status == -EAGAIN && lkb->nq) || m->status == -ENOMEM) {
		lw_lock_cancel_pending(e, lkb, m->status, true);
	} else if (m->status == -EDEADLK && lkb->q.grmode != LW_LOCK_IV) {
		if (lkb->q.flags & LW_LKF_CONVDEADLK) {
			lkb->q.sbflags |= LW_SBF_DEMOTED;
			lw_lockq_lower(&r->q, &lkb->q, LW_LOCK_NL, &lw_engine_qops, e);
			e->st.deadlocks++;
		} else {
			e->st.deadlocks++;
			lw_lock_cancel_pending(e, lkb, -EDEADLK, true);
		}
	}
	if (m->status == -EDEADLK) {
		/*
		 * Give way first, then ask again. The BAST of the request we
		 * deadlocked with came before this DENY: if none is owed now,
		 * we have given way already.
		 */
		r->dl_block = r->bast_target != LW_LOCK_IV;
	}
}

/*
 * The master's latest BAST says all that is owed now (its target covers every
 * request waiting there that we block); one with no head says nothing is.
 */
/*
 * A hint (BAST flagged NOQUEUE: a NOQUEUE request was refused because of
 * our mode): give back what no local lock needs, if nothing else is under
 * way; otherwise nothing changes (no callbacks, no ceiling, nothing owed).
 */
static void
receive_hint(struct lw_site *s, struct lw_engine *e, struct lw_res *r, const struct lw_msg *m)
{
	int join = lw_lockq_granted_join(&r->q);

	if (r->held == LW_LOCK_IV || r->inflight || r->bast_target != LW_LOCK_IV ||
	    r->q.nconvert != 0 || r->q.nwait != 0 || lw_mode_covers(m->mode, r->held))
		return;
	if (join == LW_LOCK_IV || join == LW_LOCK_NL)
		send_downgrade(s, e, r, LW_LOCK_IV);
	else if (lw_mode_covers(m->mode, join))
		send_downgrade(s, e, r, lw_mode_meet(r->held, m->mode));
}

static void
receive_bast(struct lw_engine *e, struct lw_res *r, const struct lw_msg *m)
{
	if (m->flags & LW_LKF_NOQUEUE) {
		receive_hint(e->site, e, r, m);
		return;
	}
	if (m->mode2 == LW_LOCK_IV || r->held == LW_LOCK_IV || lw_mode_covers(m->mode, r->held)) {
		r->bast_target = LW_LOCK_IV;
		r->bast_heads = 0;
		r->dl_block = 0;
		update_ceiling(e, r);
		return;
	}
	r->bast_target = m->mode;
	r->bast_heads |= 1u << m->mode2;
}

/*
 * The site we asked does not master the bucket (its map is newer or older
 * than ours) and names the one it knows: ask that one, a few times at most;
 * past that the request cannot be placed and completes with -EAGAIN.
 */
static void
receive_redirect(struct lw_site *s, struct lw_engine *e, struct lw_res *r, const struct lw_msg *m)
{
	struct lw_lkb *lkb = lw_lkb_find(e, r->trigger);
	bool known = false;

	r->inflight = 0;
	r->cancel_sent = 0;
	release_held(e, r);
	for (unsigned int i = 0; i < s->map.nsites; i++)
		known |= s->map.sites[i] == m->site2;
	if (lkb == NULL || lkb->res != r ||
	    (lkb->q.state != LW_QS_WAIT && lkb->q.state != LW_QS_CONVERT))
		return;
	if (!known || m->site2 == m->h.src || r->redirects >= MAX_REDIRECTS) {
		s->st.drops_unknown++;
		r->redirects = 0;
		lw_lock_cancel_pending(e, lkb, -EAGAIN, true);
		return;
	}
	r->redirects++;
	r->master = m->site2;
}

void
lw_shadow_receive(struct lw_site *s, const struct lw_msg *m)
{
	struct lw_engine *e = s->e;
	struct lw_res *r = shadow_of(e, m);

	if (lw_rec_stale_to_shadow(s, m, r != NULL ? master_of(s, r) : 0))
		return;		/* from a master of before the bucket moved */
	if (r == NULL) {
		if (m->h.type == LW_MSG_GRANT)
			give_back(s, m);
		else
			s->st.drops_unknown++;
		return;
	}
	switch (m->h.type) {
	case LW_MSG_GRANT:
		receive_grant(s, e, r, m);
		break;
	case LW_MSG_DENY:
		receive_deny(s, e, r, m);
		break;
	case LW_MSG_BAST:
		receive_bast(e, r, m);
		break;
	case LW_MSG_REDIRECT:
		receive_redirect(s, e, r, m);
		break;
	}
	lw_shadow_update(e, r);
}
