/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inspect.c — read-only views of a site for operators: one resource
 * (lw_site_res_info), the open lockspaces (lw_site_ls_list), a walk over
 * every resident resource (lw_site_res_walk) and the bounded steps of a
 * lockdump (lw_site_lockdump: the resources in use, described in full).
 *
 * DESIGN
 * Nothing here writes to the site. Lookups go through the hash tables'
 * lookup calls (rte_hash_lookup_data reads only) and the lkb array; the
 * idle and cached lists are left as they are, so looking at a resource
 * neither refreshes its place nor evicts anything, and no message or event
 * is produced.
 *
 * The walk runs over the two record arrays, which live as long as the site:
 * the shadow records (engine's e->res) first, then the master records
 * (s->mres). The cursor is the index of the next record in that combined
 * order, so it stays meaningful whatever happens between two calls: a
 * record reused for another resource in the meantime makes the walk miss
 * the old one or see the new one twice, never read freed memory. A
 * resource resident on both sides is listed once, with its shadow record.
 * A lockdump step walks the same order but looks at no more than a budget
 * of records per call, so a worker answering it between two polls does a
 * bounded amount of work whatever the table's size or occupancy.
 *
 * The owning thread calls these, like every other lw_site_* call.
 */
#include <errno.h>
#include <string.h>

#include "site_priv.h"

static const char *const qstate_names[] = {
	[LW_QS_NONE] = "none",
	[LW_QS_GRANTED] = "granted",
	[LW_QS_CONVERT] = "converting",
	[LW_QS_WAIT] = "waiting",
};

const char *
lw_qstate_name(int state)
{
	if (state < 0 || state >= (int)RTE_DIM(qstate_names))
		return "?";
	return qstate_names[state];
}

/* --- lookups (read only) ------------------------------------------------------ */

/* The local lockspace with this cluster-wide id (0: none open here). */
static uint16_t
lsid_of_gid(const struct lw_engine *e, uint32_t gid)
{
	for (uint32_t i = 0; i < e->conf.max_lockspaces; i++)
		if (e->ls[i].used && e->ls[i].gid == gid)
			return (uint16_t)(i + 1);
	return 0;
}

static const struct lw_mres *
master_find(const struct lw_site *s, uint32_t gid, const uint8_t *name, uint8_t len,
	    uint64_t hash)
{
	const struct lw_mres *r = lw_hash_head(s->mtab, hash);

	for (; r != NULL; r = r->hnext)
		if (r->gid == gid && r->namelen == len && memcmp(r->name, name, len) == 0)
			return r;
	return NULL;
}

static const struct lw_res *
shadow_find(struct lw_engine *e, uint16_t lsid, const uint8_t *name, uint8_t len,
	    uint64_t hash)
{
	if (lsid == 0)
		return NULL;
	return lw_res_find(e, lsid, name, len, hash);
}

/* --- one resource ----------------------------------------------------------------- */

static void
lock_info_of(const struct lw_lkb *lkb, struct lw_lock_info *li)
{
	li->lkid = lkb->lkid;
	li->session = lkb->session;
	li->grmode = lkb->q.grmode;
	li->rqmode = lkb->q.rqmode;
	li->state = lkb->q.state;
	li->persistent = lkb->persistent;
	li->xid = lkb->xid;
}

/* The local locks: granted, then converting, then waiting, each in queue order. */
static void
list_locks(const struct lw_res *r, struct lw_res_info *info)
{
	const struct lw_qlist *lists[3] = { &r->q.grant, &r->q.convert, &r->q.wait };
	const struct lw_qent *q;

	for (int i = 0; i < 3; i++) {
		TAILQ_FOREACH(q, lists[i], link) {
			if (info->nlocks_listed < LW_INFO_MAX_LOCKS)
				lock_info_of((const struct lw_lkb *)q,
					     &info->locks[info->nlocks_listed++]);
			info->nlocks++;
		}
	}
}

static void
fill_shadow(const struct lw_site *s, const struct lw_res *r, struct lw_res_info *info)
{
	const struct lw_lkb *lkb;

	info->where |= LW_RES_SHADOW;
	info->held = r->held;
	info->ceiling = r->q.ceiling;
	info->bast_target = r->bast_target;
	info->bast_heads = r->bast_heads;
	info->inflight = r->inflight;
	info->cancel_sent = r->cancel_sent;
	info->dl_block = r->dl_block;
	info->redirects = r->redirects;
	if (r->redirects)
		info->master = r->master;
	if (r->inflight) {
		info->rq_site = r->master;
		info->rq_lkid = r->trigger;
		lkb = lw_lkb_find(s->e, r->trigger);
		if (lkb != NULL && lkb->res == r &&
		    (lkb->q.state == LW_QS_WAIT || lkb->q.state == LW_QS_CONVERT))
			info->rq_mode = lkb->q.rqmode;
	}
	info->seq = r->seq;
	info->cached = r->nlocks == 0 && r->held != LW_LOCK_IV;
	info->lvb_valid = r->lvb_valid;
	info->lvb_dirty = r->lvb_dirty;
	info->lvbseq = r->lvbseq;
	memcpy(info->lvb, r->lvb, LW_LVB_LEN);
	list_locks(r, info);
}

/* The sites at the master: granted, then converting, then waiting, each in queue order. */
static void
fill_master(const struct lw_mres *r, struct lw_res_info *info)
{
	const struct lw_qlist *lists[3] = { &r->q.grant, &r->q.convert, &r->q.wait };
	const struct lw_qent *q;

	info->where |= LW_RES_MASTER;
	info->m_lvb_valid = r->lvb_valid;
	info->m_lvbseq = r->lvbseq;
	memcpy(info->m_lvb, r->lvb, LW_LVB_LEN);
	for (int i = 0; i < 3; i++) {
		TAILQ_FOREACH(q, lists[i], link) {
			const struct lw_mhold *h = (const struct lw_mhold *)q;
			struct lw_holder_info *hi;

			info->nholders++;
			if (info->nholders_listed == LW_INFO_MAX_HOLDERS)
				continue;
			hi = &info->holders[info->nholders_listed++];
			hi->site = h->site;
			hi->grmode = q->grmode;
			hi->rqmode = q->rqmode;
			hi->state = q->state;
			hi->bast_target = h->sent_target;
			hi->highbast = q->highbast;
			hi->seq = h->seq;
		}
	}
}

/* Both sides of (gid, name); the shadow side under lsid (0: look it up by gid). */
static int
res_info(struct lw_site *s, uint32_t gid, uint16_t lsid, const void *name, size_t len,
	 struct lw_res_info *info)
{
	uint64_t hash = lw_res_hash(gid, name, len);
	const struct lw_res *r = shadow_find(s->e, lsid, name, (uint8_t)len, hash);
	const struct lw_mres *m = master_find(s, gid, name, (uint8_t)len, hash);

	if (r == NULL && m == NULL)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->gid = gid;
	info->lsid = lsid;
	info->namelen = (uint8_t)len;
	memcpy(info->name, name, len);
	info->hash = hash;
	info->bucket = lw_bucket_of(hash);
	info->map_master = s->map.bucket[info->bucket];
	info->master = info->map_master;
	info->held = LW_LOCK_IV;
	info->ceiling = LW_LOCK_IV;
	info->bast_target = LW_LOCK_IV;
	info->rq_mode = LW_LOCK_IV;
	if (r != NULL)
		fill_shadow(s, r, info);
	if (m != NULL)
		fill_master(m, info);
	return 0;
}

int
lw_site_res_info(struct lw_site *s, uint16_t lsid, const void *name, size_t len,
		 struct lw_res_info *info)
{
	const struct lw_engine *e;

	if (s == NULL || name == NULL || info == NULL || len == 0 || len > LW_RESNAME_MAXLEN)
		return -EINVAL;
	e = s->e;
	if (lsid == 0 || lsid > e->conf.max_lockspaces)
		return -EINVAL;
	if (!e->ls[lsid - 1].used)
		return -ENOENT;
	return res_info(s, e->ls[lsid - 1].gid, lsid, name, len, info);
}

int
lw_site_res_info_gid(struct lw_site *s, uint32_t gid, const void *name, size_t len,
		     struct lw_res_info *info)
{
	if (s == NULL || name == NULL || info == NULL || gid == 0 || len == 0 ||
	    len > LW_RESNAME_MAXLEN)
		return -EINVAL;
	return res_info(s, gid, lsid_of_gid(s->e, gid), name, len, info);
}

/* --- lockspaces ---------------------------------------------------------------------- */

int
lw_site_ls_list(struct lw_site *s, struct lw_ls_entry *out, unsigned int max)
{
	const struct lw_engine *e;
	unsigned int n = 0;

	if (s == NULL || (out == NULL && max != 0))
		return -EINVAL;
	e = s->e;
	for (uint32_t i = 0; i < e->conf.max_lockspaces; i++) {
		const struct lw_lspace *ls = &e->ls[i];
		struct lw_ls_entry *o;

		if (!ls->used)
			continue;
		if (n < max) {
			o = &out[n];
			memset(o, 0, sizeof(*o));
			o->lsid = (uint16_t)(i + 1);
			o->namelen = ls->namelen;
			o->gid = ls->gid;
			o->opens = ls->opens;
			o->nlocks = ls->nlocks;
			memcpy(o->name, ls->name, ls->namelen);
		}
		n++;
	}
	return (int)n;
}

/* --- the lockdump walk ------------------------------------------------------------------ */

static void
name_of(struct lw_res_name *o, uint32_t gid, uint16_t lsid, const uint8_t *name, uint8_t len,
	uint8_t where)
{
	memset(o, 0, sizeof(*o));
	o->gid = gid;
	o->lsid = lsid;
	o->namelen = len;
	o->where = where;
	memcpy(o->name, name, len);
}

/* Shadow record i: false when not resident. */
static bool
walk_shadow(struct lw_site *s, uint32_t i, struct lw_res_name *o)
{
	struct lw_engine *e = s->e;
	const struct lw_res *r = &e->res[i];
	uint8_t where = LW_RES_SHADOW;
	uint32_t gid;

	if (!r->resident || r->lsid == 0 || r->lsid > e->conf.max_lockspaces)
		return false;
	gid = e->ls[r->lsid - 1].gid;
	if (master_find(s, gid, r->name, r->namelen, r->hash) != NULL)
		where |= LW_RES_MASTER;
	name_of(o, gid, r->lsid, r->name, r->namelen, where);
	return true;
}

/* Master record i: false when not resident, or listed with its shadow record. */
static bool
walk_master(struct lw_site *s, uint32_t i, struct lw_res_name *o)
{
	const struct lw_mres *m = &s->mres[i];
	uint16_t lsid;

	if (!m->resident)
		return false;
	lsid = lsid_of_gid(s->e, m->gid);
	if (shadow_find(s->e, lsid, m->name, m->namelen, m->hash) != NULL)
		return false;
	name_of(o, m->gid, lsid, m->name, m->namelen, LW_RES_MASTER);
	return true;
}

int
lw_site_res_walk(struct lw_site *s, uint64_t *cursor, struct lw_res_name *out,
		 unsigned int max)
{
	uint64_t nres, end, c;
	unsigned int n = 0;

	if (s == NULL || cursor == NULL || out == NULL || max == 0)
		return -EINVAL;
	nres = s->e->conf.max_resources;
	end = nres + s->max_mres;
	for (c = *cursor; c < end && n < max; c++) {
		if (c < nres ? walk_shadow(s, (uint32_t)c, &out[n])
			     : walk_master(s, (uint32_t)(c - nres), &out[n]))
			n++;
	}
	*cursor = c;
	return (int)n;
}

/* --- the bounded lockdump step ------------------------------------------------------------ */

/* Shadow record i in use (local locks, or holdings at its master here): its info. */
static bool
dump_shadow(struct lw_site *s, uint32_t i, uint32_t gid, struct lw_res_info *info)
{
	struct lw_engine *e = s->e;
	const struct lw_res *r = &e->res[i];
	const struct lw_mres *m;
	uint32_t g;

	if (!r->resident || r->lsid == 0 || r->lsid > e->conf.max_lockspaces)
		return false;
	g = e->ls[r->lsid - 1].gid;
	if (gid != 0 && g != gid)
		return false;
	if (r->nlocks == 0) {
		m = master_find(s, g, r->name, r->namelen, r->hash);
		if (m == NULL || m->nholders == 0)
			return false;
	}
	return res_info(s, g, r->lsid, r->name, r->namelen, info) == 0;
}

/* Master record i in use and not resident on the shadow side too: its info. */
static bool
dump_master(struct lw_site *s, uint32_t i, uint32_t gid, struct lw_res_info *info)
{
	const struct lw_mres *m = &s->mres[i];
	uint16_t lsid;

	if (!m->resident || m->nholders == 0 || (gid != 0 && m->gid != gid))
		return false;
	lsid = lsid_of_gid(s->e, m->gid);
	if (shadow_find(s->e, lsid, m->name, m->namelen, m->hash) != NULL)
		return false;       /* its shadow record lists it */
	return res_info(s, m->gid, lsid, m->name, m->namelen, info) == 0;
}

int
lw_site_lockdump(struct lw_site *s, uint64_t *cursor, uint32_t gid, unsigned int budget,
		 struct lw_res_info *infos, uint64_t *pos, unsigned int max)
{
	uint64_t nres, end, c, stop;
	unsigned int n = 0;
	bool hit;

	if (s == NULL || cursor == NULL || infos == NULL || pos == NULL || budget == 0 || max == 0)
		return -EINVAL;
	nres = s->e->conf.max_resources;
	end = nres + s->max_mres;
	c = *cursor;
	stop = c < end && end - c > budget ? c + budget : end;
	for (; c < stop && n < max; c++) {
		hit = c < nres ? dump_shadow(s, (uint32_t)c, gid, &infos[n])
			       : dump_master(s, (uint32_t)(c - nres), gid, &infos[n]);
		if (hit)
			pos[n++] = c;
	}
	*cursor = c >= end ? LW_WALK_END : c;
	return (int)n;
}
