/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * master.c — the master side of a site: the resources of the buckets it
 * masters, with the sites that hold or want them.
 *
 * DESIGN
 *   receive_request()   -> find or make the site's holding -> lockq request/convert
 *                          -> GRANT (on_granted) | queued (BAST to blockers) | DENY
 *   receive_downgrade() -> seq check -> LVB write -> lower / release -> grants
 *   receive_cancel()    -> still pending? cancel -> DENY(LW_ECANCEL)
 *   on_granted()        -> send_grant(): seq + 1, mode, LVB
 *   on_blocking()       -> send_bast(): target = strongest mode compatible
 *                          with the pending mode the site blocks
 * A refused NOQUEUE request hints the conflicting holders (hint_holders)
 * that a mode they only cache could go back.
 * The queues are the client-level ones (engine/lockq.c) with sites as
 * entries. Conversion deadlock between sites is answered with DENY
 * -EDEADLK; the shadow applies the lock's own CONVDEADLK or NODLCKWT.
 * Resources with no holder stay resident (with their LVB) on an idle list
 * until the table needs room.
 * Recovery (recover.c decides when): receive_report() rebuilds a site's
 * holding in a frozen bucket; lw_master_drop_lost() takes lost sites'
 * requests out (and, at fence time, their holdings); lw_master_resume()
 * decides the LVB of rebuilt resources; lw_master_hand_over() sends the
 * values of buckets that move away from this live site to their new
 * master, before lw_master_drop_buckets() forgets them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>

#include "site_priv.h"

/* Flags of a site's request that mean something at the master. */
#define MASTER_FLAGS (LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST | LW_LKF_QUECVT | LW_LKF_HEADQUE | \
		      LW_LKF_NOORDER | LW_LKF_NODLCKWT | LW_LKF_ALTPR | LW_LKF_ALTCW)

static inline struct lw_mhold *
hold_of(struct lw_qent *q)
{
	return (struct lw_mhold *)q;
}

int
lw_master_init(struct lw_site *s, uint32_t nres, uint32_t nholds)
{
	s->max_mres = nres;
	s->max_mholds = nholds;
	s->mres = aligned_alloc(RTE_CACHE_LINE_SIZE,
				RTE_ALIGN_CEIL((size_t)nres * sizeof(*s->mres), RTE_CACHE_LINE_SIZE));
	s->mholds = calloc(nholds, sizeof(*s->mholds));
	if (s->mres == NULL || s->mholds == NULL)
		return -ENOMEM;
	memset(s->mres, 0, (size_t)nres * sizeof(*s->mres));
	s->mtab = lw_hash_create("lwm", s->name, nres, s->e->conf.socket_id);
	if (s->mtab == NULL)
		return -ENOMEM;
	s->mres_free = NULL;
	for (uint32_t i = nres; i-- > 0;) {
		s->mres[i].hnext = s->mres_free;
		s->mres_free = &s->mres[i];
	}
	s->mhold_free = NULL;
	for (uint32_t i = nholds; i-- > 0;) {
		s->mholds[i].next = s->mhold_free;
		s->mhold_free = &s->mholds[i];
	}
	TAILQ_INIT(&s->midle);
	return 0;
}

void
lw_master_fini(struct lw_site *s)
{
	rte_hash_free(s->mtab);
	free(s->mres);
	free(s->mholds);
	s->mtab = NULL;
	s->mres = NULL;
	s->mholds = NULL;
}

/* --- the table -------------------------------------------------------------- */

static inline struct lw_mres *
chain_head(struct lw_site *s, uint64_t hash)
{
	return lw_hash_head(s->mtab, hash);
}

static struct lw_mres *
mres_match(struct lw_mres *r, const struct lw_msg *m)
{
	for (; r != NULL; r = r->hnext)
		if (r->gid == m->gid && r->namelen == m->namelen &&
		    memcmp(r->name, m->name, m->namelen) == 0)
			return r;
	return NULL;
}

static void
mres_unhash(struct lw_site *s, struct lw_mres *r)
{
	struct lw_mres *head = chain_head(s, r->hash), **pp;

	if (head == r) {
		lw_hash_set_head(s->mtab, r->hash, r->hnext);
	} else if (head != NULL) {
		for (pp = &head->hnext; *pp != NULL; pp = &(*pp)->hnext) {
			if (*pp == r) {
				*pp = r->hnext;
				break;
			}
		}
	}
	r->resident = 0;
	r->hnext = NULL;
	s->st.master_resources--;
}

static struct lw_mres *
mres_take(struct lw_site *s)
{
	struct lw_mres *r = s->mres_free;

	if (r != NULL) {
		s->mres_free = r->hnext;
		return r;
	}
	while ((r = TAILQ_FIRST(&s->midle)) != NULL) {
		TAILQ_REMOVE(&s->midle, r, idle);
		r->on_idle = 0;
		if (r->nholders == 0)
			break;
	}
	if (r != NULL)
		mres_unhash(s, r);
	return r;
}

static struct lw_mres *
mres_get(struct lw_site *s, const struct lw_msg *m, uint64_t hash)
{
	struct lw_mres *r = mres_match(chain_head(s, hash), m);

	if (r != NULL)
		return r;
	r = mres_take(s);
	if (r == NULL)
		return NULL;
	r->hash = hash;
	r->gid = m->gid;
	r->namelen = m->namelen;
	memcpy(r->name, m->name, m->namelen);
	r->nholders = 0;
	r->holders = NULL;
	/* a lost master may have had a newer value: none is known until written */
	r->lvb_valid = !bit_get(s->rec.lvb_lost, lw_bucket_of(hash));
	r->rebuilt = 0;
	r->lvb_given = 0;
	r->lvbseq = 0;
	memset(r->lvb, 0, sizeof(r->lvb));
	lw_lockq_init(&r->q);
	r->hnext = chain_head(s, hash);
	if (lw_hash_set_head(s->mtab, hash, r) < 0) {
		r->hnext = s->mres_free;
		s->mres_free = r;
		return NULL;
	}
	r->resident = 1;
	r->on_idle = 1;
	TAILQ_INSERT_TAIL(&s->midle, r, idle);
	s->st.master_resources++;
	return r;
}

static struct lw_mhold *
hold_find(struct lw_mres *r, uint16_t site)
{
	struct lw_mhold *h;

	for (h = r->holders; h != NULL; h = h->next)
		if (h->site == site)
			return h;
	return NULL;
}

static struct lw_mhold *
hold_new(struct lw_site *s, struct lw_mres *r, uint16_t site)
{
	struct lw_mhold *h = s->mhold_free;

	if (h == NULL)
		return NULL;
	s->mhold_free = h->next;
	lw_qent_init(&h->q, true);
	h->sent_target = LW_LOCK_IV;
	h->res = r;
	h->site = site;
	h->seq = 0;
	h->next = r->holders;
	r->holders = h;
	r->nholders++;
	return h;
}

static void
hold_free(struct lw_site *s, struct lw_mhold *h)
{
	struct lw_mres *r = h->res;
	struct lw_mhold **pp;

	for (pp = &r->holders; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	if (--r->nholders == 0 && !r->on_idle) {
		r->on_idle = 1;
		TAILQ_INSERT_TAIL(&s->midle, r, idle);
	}
	h->res = NULL;
	h->next = s->mhold_free;
	s->mhold_free = h;
}

/* --- sends -------------------------------------------------------------------- */

static struct lw_msg *
reply(struct lw_site *s, int type, const struct lw_mhold *h)
{
	struct lw_msg *m = lw_site_msg(s, type, h->site);

	if (m == NULL)
		return NULL;
	m->gid = h->res->gid;
	m->namelen = h->res->namelen;
	memcpy(m->name, h->res->name, h->res->namelen);
	m->seq = h->seq;
	return m;
}

static void relax_basts(struct lw_site *s, struct lw_mres *r);

static void
on_granted(void *ctx, struct lw_qent *q, int prev)
{
	struct lw_site *s = ctx;
	struct lw_mhold *h = hold_of(q);
	struct lw_msg *m;

	(void)prev;
	h->seq++;
	h->sent_target = LW_LOCK_IV;	/* the site drops what it owed on a GRANT */
	/*
	 * Granted its ALT mode, the request no longer waits for the mode it
	 * asked: holders BASTed for that mode may owe less, or nothing.
	 */
	if (q->sbflags & LW_SBF_ALTMODE)
		relax_basts(s, h->res);
	m = reply(s, LW_MSG_GRANT, h);
	if (m == NULL)
		return;
	m->mode = q->grmode;
	m->sbflags = q->sbflags & LW_SBF_ALTMODE;
	m->lvbf = LW_MSG_LVB_PRESENT | (h->res->lvb_valid ? 0 : LW_MSG_LVB_INVALID);
	m->lvbseq = h->res->lvbseq;
	memcpy(m->lvb, h->res->lvb, LW_LVB_LEN);
}

/*
 * The strongest mode compatible with every pending request h blocks, and
 * (in *head) the strongest of those; IV when it blocks none.
 */
static int
bast_target(const struct lw_mhold *h, int *head)
{
	unsigned int pend = lw_lockq_pending_mask(&h->res->q, &h->q);
	int t = LW_LOCK_IV;

	*head = LW_LOCK_IV;
	for (int m = LW_LOCK_CR; m <= LW_LOCK_EX; m++) {
		if (!(pend & (1u << m)) || lw_mode_compat(h->q.grmode, m))
			continue;
		t = t == LW_LOCK_IV ? lw_mode_ceiling(m) : lw_mode_meet(t, lw_mode_ceiling(m));
		*head = m;
	}
	return t;
}

static void
send_bast(struct lw_site *s, struct lw_mhold *h, int target, int head)
{
	struct lw_msg *m = reply(s, LW_MSG_BAST, h);

	h->sent_target = (int8_t)target;
	if (m == NULL)
		return;
	m->mode = (int8_t)target;
	m->mode2 = (int8_t)head;
}

static void
on_blocking(void *ctx, struct lw_qent *q, int mode)
{
	struct lw_mhold *h = hold_of(q);
	int head, t = bast_target(h, &head);

	/* NOQUEUEBAST: the mode is not pending, but the holders hear of it */
	t = t == LW_LOCK_IV ? lw_mode_ceiling(mode) : lw_mode_meet(t, lw_mode_ceiling(mode));
	send_bast(ctx, h, t, mode);
}

/*
 * Requests left the queue without a grant (cancel, NOQUEUE): a holder owing
 * more than is still wanted hears the weaker target, or that nothing is
 * owed (BAST with no head), so its own site can grant again.
 */
static void
relax_basts(struct lw_site *s, struct lw_mres *r)
{
	for (struct lw_mhold *h = r->holders; h != NULL; h = h->next) {
		int head, t;

		if (h->sent_target == LW_LOCK_IV)
			continue;
		t = bast_target(h, &head);
		if (t == LW_LOCK_IV) {
			h->q.highbast = LW_LOCK_IV;
			send_bast(s, h, LW_LOCK_IV, LW_LOCK_IV);
		} else if (t != h->sent_target && lw_mode_covers(t, h->sent_target)) {
			h->q.highbast = (int8_t)head;
			send_bast(s, h, t, head);
		}
	}
}

/*
 * A NOQUEUE request was refused. A site holding a conflicting mode may hold
 * it only as a cache (no local lock uses it): a hint (a BAST flagged
 * NOQUEUE, after which the site owes nothing) lets such a site give the
 * mode back at once, so that a retry soon after is granted. A site whose
 * local locks are in the way ignores the hint: no blocking callbacks, as
 * NOQUEUE without NOQUEUEBAST promises.
 */
static void
hint_holders(struct lw_site *s, struct lw_mres *r, const struct lw_mhold *asker, int mode,
	     uint32_t flags, int rc)
{
	if (rc != -EAGAIN || !(flags & LW_LKF_NOQUEUE) || (flags & LW_LKF_NOQUEUEBAST))
		return;
	for (struct lw_mhold *h = r->holders; h != NULL; h = h->next) {
		struct lw_msg *m;

		if (h == asker || h->q.grmode == LW_LOCK_IV || lw_mode_compat(h->q.grmode, mode))
			continue;
		m = reply(s, LW_MSG_BAST, h);
		if (m == NULL)
			return;
		m->mode = (int8_t)lw_mode_ceiling(mode);
		m->mode2 = (int8_t)mode;
		m->flags = LW_LKF_NOQUEUE;
	}
}

static const struct lw_lockq_ops master_qops = {
	.granted = on_granted,
	.blocking = on_blocking,
};

static void
send_deny(struct lw_site *s, const struct lw_mhold *h, int status)
{
	struct lw_msg *m = reply(s, LW_MSG_DENY, h);

	if (m == NULL)
		return;
	m->status = status;
	m->mode = h->q.grmode;
}

/* --- receives ------------------------------------------------------------------ */

static void
send_redirect(struct lw_site *s, const struct lw_msg *in, uint16_t master)
{
	struct lw_msg *m = lw_site_msg(s, LW_MSG_REDIRECT, in->h.src);

	if (m == NULL)
		return;
	m->gid = in->gid;
	m->namelen = in->namelen;
	memcpy(m->name, in->name, in->namelen);
	m->site2 = master;
	m->seq = in->seq;
}

static void
receive_request(struct lw_site *s, const struct lw_msg *m)
{
	uint64_t hash = lw_res_hash(m->gid, m->name, m->namelen);
	uint32_t flags = m->flags & MASTER_FLAGS;
	struct lw_mres *r;
	struct lw_mhold *h;
	int rc;

	if (s->map.bucket[lw_bucket_of(hash)] != s->self) {
		send_redirect(s, m, s->map.bucket[lw_bucket_of(hash)]);
		return;
	}
	r = mres_get(s, m, hash);
	if (r == NULL)
		goto nomem;
	h = hold_find(r, m->h.src);
	if (h == NULL) {
		h = hold_new(s, r, m->h.src);
		if (h == NULL)
			goto nomem;
		rc = lw_lockq_request(&r->q, &h->q, m->mode, flags & ~LW_LKF_QUECVT,
				      &master_qops, s);
		if (rc < 0) {
			send_deny(s, h, rc);
			hint_holders(s, r, h, m->mode, flags, rc);
			hold_free(s, h);
			relax_basts(s, r);
		}
		return;
	}
	if (h->q.state != LW_QS_GRANTED) {
		s->st.drops_bad++;	/* a second request in flight: not in the protocol */
		return;
	}
	if (lw_mode_covers(h->q.grmode, m->mode) && m->mode != h->q.grmode)
		flags &= ~LW_LKF_QUECVT;
	h->q.dlmode = lw_mode_valid(m->dlmode) ? m->dlmode : LW_LOCK_IV;
	rc = lw_lockq_convert(&r->q, &h->q, m->mode, flags, &master_qops, s);
	if (rc < 0) {
		send_deny(s, h, rc);
		hint_holders(s, r, h, m->mode, flags, rc);
		relax_basts(s, r);
	}
	return;
nomem:
	/* No room for the resource or the holding: the site tries again later. */
	{
		struct lw_msg *d = lw_site_msg(s, LW_MSG_DENY, m->h.src);

		if (d != NULL) {
			d->gid = m->gid;
			d->namelen = m->namelen;
			memcpy(d->name, m->name, m->namelen);
			d->status = -ENOMEM;
			d->mode = m->mode2;
			d->seq = m->seq;
		}
	}
}

static struct lw_mhold *
holding_of(struct lw_site *s, const struct lw_msg *m)
{
	uint64_t hash = lw_res_hash(m->gid, m->name, m->namelen);
	struct lw_mres *r = mres_match(chain_head(s, hash), m);

	return r != NULL ? hold_find(r, m->h.src) : NULL;
}

/* The value a DOWNGRADE from PW or EX carries, if newer than ours: true if taken. */
static bool
take_writer_lvb(struct lw_mhold *h, const struct lw_msg *m)
{
	struct lw_mres *r = h->res;

	if (h->q.grmode < LW_LOCK_PW || !(m->lvbf & (LW_MSG_LVB_PRESENT | LW_MSG_LVB_INVALID)) ||
	    m->lvbseq <= r->lvbseq)
		return false;
	r->lvb_valid = !(m->lvbf & LW_MSG_LVB_INVALID);
	memcpy(r->lvb, m->lvb, LW_LVB_LEN);
	r->lvbseq = m->lvbseq;
	return true;
}

static void
receive_downgrade(struct lw_site *s, const struct lw_msg *m)
{
	struct lw_mhold *h = holding_of(s, m);
	struct lw_mres *r;

	if (h == NULL || h->q.grmode == LW_LOCK_IV) {
		s->st.drops_unknown++;
		return;
	}
	r = h->res;
	/* A writer's value counts even when the DOWNGRADE crossed a GRANT. */
	take_writer_lvb(h, m);
	if (m->seq != h->seq) {
		s->st.drops_stale++;	/* it crossed a GRANT, which supersedes it */
		return;
	}
	if (m->mode == LW_LOCK_IV && h->q.state == LW_QS_GRANTED) {
		lw_lockq_remove(&r->q, &h->q);
		hold_free(s, h);
		lw_lockq_grant_pending(&r->q, &master_qops, s);
		return;
	}
	h->sent_target = LW_LOCK_IV;	/* the site gave way: it owes nothing now */
	if (lw_lockq_lower(&r->q, &h->q, m->mode == LW_LOCK_IV ? LW_LOCK_NL : m->mode,
			   &master_qops, s) < 0)
		s->st.drops_bad++;
}

static void
receive_cancel(struct lw_site *s, const struct lw_msg *m)
{
	struct lw_mhold *h = holding_of(s, m);
	struct lw_mres *r;
	int was;

	if (h == NULL) {
		s->st.drops_unknown++;
		return;
	}
	if (h->q.state != LW_QS_CONVERT && h->q.state != LW_QS_WAIT)
		return;		/* answered already: the GRANT or DENY is on its way */
	was = lw_lockq_dequeue(&h->res->q, &h->q);
	send_deny(s, h, LW_ECANCEL);
	r = h->res;
	if (was == LW_QS_WAIT)
		hold_free(s, h);
	lw_lockq_grant_pending(&r->q, &master_qops, s);
	relax_basts(s, r);
}

void
lw_master_receive(struct lw_site *s, const struct lw_msg *m)
{
	switch (m->h.type) {
	case LW_MSG_REQUEST:
		receive_request(s, m);
		break;
	case LW_MSG_DOWNGRADE:
		receive_downgrade(s, m);
		break;
	case LW_MSG_CANCEL:
		receive_cancel(s, m);
		break;
	default:
		s->st.drops_bad++;
	}
}

/* --- recovery ------------------------------------------------------------------ */

static void
rebuild_granted(void *ctx, struct lw_qent *q, int prev)
{
	(void)ctx;
	(void)q;
	(void)prev;
}

static void
rebuild_blocking(void *ctx, struct lw_qent *q, int mode)
{
	(void)ctx;
	(void)q;
	(void)mode;
}

/* A holding rebuilt from a REPORT was granted before: nothing is sent. */
static const struct lw_lockq_ops rebuild_qops = {
	.granted = rebuild_granted,
	.blocking = rebuild_blocking,
};

/*
 * REPORT: the site holds m->mode (GRANT number m->seq) on a resource of a
 * bucket frozen here, or (mode IV) holds nothing but has a copy of the LVB
 * (the bucket's old master handing its value over, or a shadow whose last
 * DOWNGRADE may have crossed the move). It replaces the site's holding; the
 * reported LVB counts if it is newer than the best one so far (lvbseq, then
 * valid over invalid). A bucket that resumed already knows the holding:
 * nothing to do.
 */
void
lw_master_receive_report(struct lw_site *s, const struct lw_msg *m)
{
	uint64_t hash = lw_res_hash(m->gid, m->name, m->namelen);
	uint32_t b = lw_bucket_of(hash);
	bool valid = !(m->lvbf & LW_MSG_LVB_INVALID);
	struct lw_mres *r;
	struct lw_mhold *h;

	s->rec.ri.reports_rx++;
	if (s->map.bucket[b] != s->self) {
		s->st.drops_unknown++;
		return;
	}
	if (!lw_rec_frozen(s, b))
		return;
	r = mres_get(s, m, hash);
	if (r == NULL) {
		s->st.drops_unknown++;
		return;
	}
	if (!r->rebuilt) {
		r->rebuilt = 1;		/* no value until a report brings one */
		r->lvb_valid = 0;
		r->lvbseq = 0;
		memset(r->lvb, 0, sizeof(r->lvb));
	}
	h = hold_find(r, m->h.src);
	if (h != NULL && (m->mode == LW_LOCK_IV || h->q.state != LW_QS_GRANTED ||
			  h->q.grmode != m->mode)) {
		lw_lockq_dequeue(&r->q, &h->q);
		if (h->q.state == LW_QS_GRANTED)
			lw_lockq_remove(&r->q, &h->q);
		hold_free(s, h);
		h = NULL;
	}
	if (h == NULL && m->mode != LW_LOCK_IV) {
		h = hold_new(s, r, m->h.src);
		if (h == NULL) {
			s->st.drops_unknown++;
			return;
		}
		if (lw_lockq_request(&r->q, &h->q, m->mode, LW_LKF_NOQUEUE, &rebuild_qops, s) < 0) {
			s->st.drops_bad++;	/* conflicts with another site's holding */
			hold_free(s, h);
			return;
		}
	}
	if (h != NULL) {
		h->seq = m->seq;
		h->sent_target = LW_LOCK_IV;
	}
	if ((m->lvbf & LW_MSG_LVB_PRESENT) &&
	    (m->lvbseq > r->lvbseq || (m->lvbseq == r->lvbseq && valid && !r->lvb_valid))) {
		r->lvb_valid = valid;
		r->lvbseq = m->lvbseq;
		memcpy(r->lvb, m->lvb, LW_LVB_LEN);
	}
}

/*
 * Lost sites (bits of lost): their pending requests and conversions go;
 * with granted, their holdings too (the LVB is invalid where one was PW
 * or EX: its writes are lost). Then what that unblocks is granted, except
 * in frozen buckets, which grant nothing until they resume.
 */
void
lw_master_drop_lost(struct lw_site *s, const uint64_t *lost, bool granted)
{
	for (uint32_t i = 0; i < s->max_mres; i++) {
		struct lw_mres *r = &s->mres[i];
		struct lw_mhold *h, *next;
		bool changed = false;

		if (!r->resident)
			continue;
		for (h = r->holders; h != NULL; h = next) {
			next = h->next;
			if (h->site >= LW_SITE_IDS || !bit_get(lost, h->site))
				continue;
			if (h->q.state == LW_QS_CONVERT || h->q.state == LW_QS_WAIT) {
				changed = true;
				s->rec.ri.purged++;
				if (lw_lockq_dequeue(&r->q, &h->q) == LW_QS_WAIT) {
					hold_free(s, h);
					continue;
				}
			}
			if (!granted)
				continue;
			if (h->q.grmode >= LW_LOCK_PW) {
				r->lvb_valid = 0;
				r->lvbseq++;	/* newer than any copy a survivor has */
				s->rec.ri.lvb_invalidated++;
			}
			lw_lockq_remove(&r->q, &h->q);
			hold_free(s, h);
			s->rec.ri.purged++;
			changed = true;
		}
		if (changed && !lw_rec_frozen(s, lw_bucket_of(r->hash))) {
			lw_lockq_grant_pending(&r->q, &master_qops, s);
			relax_basts(s, r);
		}
	}
}

/* Forget a resource and its holdings. */
static void
mres_drop(struct lw_site *s, struct lw_mres *r)
{
	struct lw_mhold *h;

	while ((h = r->holders) != NULL) {
		r->holders = h->next;
		h->res = NULL;
		h->next = s->mhold_free;
		s->mhold_free = h;
	}
	r->nholders = 0;
	if (r->on_idle) {
		TAILQ_REMOVE(&s->midle, r, idle);
		r->on_idle = 0;
	}
	mres_unhash(s, r);
	r->hnext = s->mres_free;
	s->mres_free = r;
}

/* Buckets that move here: whatever an earlier view left of them is stale. */
void
lw_master_drop_buckets(struct lw_site *s, const uint64_t *buckets)
{
	for (uint32_t i = 0; i < s->max_mres; i++)
		if (s->mres[i].resident && bit_get(buckets, lw_bucket_of(s->mres[i].hash)))
			mres_drop(s, &s->mres[i]);
}

/*
 * Buckets that move away from this site, which stays: the value of each
 * resource that has one goes to the bucket's new master as a REPORT of
 * mode IV (no holding), so that a resource nobody holds keeps its LVB
 * (marked invalid there unless a holder vouches for it). Then
 * lw_master_drop_buckets forgets them.
 */
void
lw_master_hand_over(struct lw_site *s, const uint64_t *buckets)
{
	for (uint32_t i = 0; i < s->max_mres; i++) {
		struct lw_mres *r = &s->mres[i];
		uint32_t b;
		struct lw_msg *m;

		if (!r->resident || !bit_get(buckets, (b = lw_bucket_of(r->hash))) ||
		    (r->lvbseq == 0 && r->lvb_valid))
			continue;
		m = lw_site_msg(s, LW_MSG_REPORT, s->map.bucket[b]);
		if (m == NULL)
			continue;
		m->gid = r->gid;
		m->namelen = r->namelen;
		memcpy(m->name, r->name, r->namelen);
		m->mode = LW_LOCK_IV;
		m->lvbf = LW_MSG_LVB_PRESENT | (r->lvb_valid ? 0 : LW_MSG_LVB_INVALID);
		m->lvbseq = r->lvbseq;
		memcpy(m->lvb, r->lvb, LW_LVB_LEN);
		s->rec.ri.reports_tx++;
	}
}

/* The site fenced itself: it masters nothing it knew. */
void
lw_master_reset(struct lw_site *s)
{
	for (uint32_t i = 0; i < s->max_mres; i++)
		if (s->mres[i].resident)
			mres_drop(s, &s->mres[i]);
}

/*
 * A DOWNGRADE kept for a frozen bucket, from a site lost since: it was sent
 * before the loss, so the value it carries counts (the last writer handed
 * it over: resume keeps it), and a holding it gave up below PW is no
 * writer's any more (the purge would take the value with it). Nothing is
 * granted: the bucket is frozen.
 */
void
lw_master_absorb_lost(struct lw_site *s, const struct lw_msg *m)
{
	struct lw_mhold *h = holding_of(s, m);
	struct lw_mres *r;

	if (m->h.type != LW_MSG_DOWNGRADE || h == NULL || h->q.grmode == LW_LOCK_IV)
		return;
	r = h->res;
	if (take_writer_lvb(h, m))
		r->lvb_given = r->rebuilt;
	if (m->seq != h->seq || m->mode >= LW_LOCK_PW || h->q.state != LW_QS_GRANTED)
		return;
	lw_lockq_remove(&r->q, &h->q);
	hold_free(s, h);
	s->rec.ri.purged++;
}

/*
 * Frozen buckets resume: a rebuilt LVB stays valid only if some site holds
 * CW, PR, PW or EX (no writer could have run since that site's grant);
 * then what is grantable is granted.
 */
void
lw_master_resume(struct lw_site *s, const uint64_t *buckets)
{
	for (uint32_t i = 0; i < s->max_mres; i++) {
		struct lw_mres *r = &s->mres[i];
		bool holds = false;

		if (!r->resident || !bit_get(buckets, lw_bucket_of(r->hash)))
			continue;
		if (r->rebuilt) {
			for (const struct lw_mhold *h = r->holders; h != NULL; h = h->next)
				holds |= h->q.grmode >= LW_LOCK_CW;
			if (!holds && !r->lvb_given && r->lvb_valid) {
				r->lvb_valid = 0;
				s->rec.ri.lvb_invalidated++;
			}
			r->rebuilt = 0;
			r->lvb_given = 0;
		}
		lw_lockq_grant_pending(&r->q, &master_qops, s);
	}
}

int
lw_master_check(struct lw_site *s)
{
	for (uint32_t i = 0; i < s->max_mres; i++) {
		const struct lw_mres *r = &s->mres[i];
		const struct lw_mhold *h;
		uint32_t n = 0;

		if (!r->resident)
			continue;
		for (h = r->holders; h != NULL; h = h->next) {
			n++;
			if (h->res != r || h->q.state == LW_QS_NONE) {
				fprintf(stderr, "lw_master_check(%s): bad holding of site %u\n",
					s->name, h->site);
				return -EFAULT;
			}
		}
		if (n != r->nholders || (n == 0 && !r->on_idle)) {
			fprintf(stderr, "lw_master_check(%s): holder count\n", s->name);
			return -EFAULT;
		}
		for (int a = 0; a < LW_LOCK_NMODES; a++)
			for (int b = 0; b < LW_LOCK_NMODES; b++)
				if (r->q.gcnt[a] && r->q.gcnt[b] && (a != b || r->q.gcnt[a] > 1) &&
				    !lw_mode_compat(a, b)) {
					fprintf(stderr, "lw_master_check(%s): sites hold %s and %s\n",
						s->name, lw_mode_name(a), lw_mode_name(b));
					return -EFAULT;
				}
	}
	return 0;
}
