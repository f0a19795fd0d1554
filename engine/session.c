/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * session.c — an engine's life: creation, lockspaces, client sessions and
 * their end (orphans), statistics, introspection and the consistency check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_priv.h"

#define DEF_RESOURCES   65536u
#define DEF_LOCKS       65536u
#define DEF_SESSIONS    1024u
#define DEF_LOCKSPACES  64u
#define MAX_SESSIONS    65535u
#define MAX_LOCKSPACES  4096u

struct lw_engine *
lw_engine_create(const struct lw_engine_conf *conf)
{
	struct lw_engine *e;

	if (conf == NULL || conf->name == NULL || conf->name[0] == '\0' ||
	    strlen(conf->name) > 20 || conf->worker >= LW_ENGINE_MAX_WORKERS ||
	    conf->max_locks > LW_ENGINE_MAX_LOCKS || conf->max_sessions > MAX_SESSIONS ||
	    conf->max_lockspaces > MAX_LOCKSPACES) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	e->conf = *conf;
	snprintf(e->name, sizeof(e->name), "%s", conf->name);
	e->conf.name = e->name;
	if (e->conf.max_resources == 0)
		e->conf.max_resources = DEF_RESOURCES;
	if (e->conf.max_locks == 0)
		e->conf.max_locks = DEF_LOCKS;
	if (e->conf.max_sessions == 0)
		e->conf.max_sessions = DEF_SESSIONS;
	if (e->conf.max_lockspaces == 0)
		e->conf.max_lockspaces = DEF_LOCKSPACES;

	e->sess = calloc(e->conf.max_sessions, sizeof(*e->sess));
	e->ls = calloc(e->conf.max_lockspaces, sizeof(*e->ls));
	if (e->sess == NULL || e->ls == NULL)
		goto fail;
	for (uint32_t i = 0; i < e->conf.max_sessions; i++)
		TAILQ_INIT(&e->sess[i].locks);
	TAILQ_INIT(&e->cached);
	if (lw_lkb_pool_init(e) < 0 || lw_timer_init(e) < 0 || lw_res_table_init(e) < 0)
		goto fail;
	return e;
fail:
	lw_engine_free(e);
	errno = ENOMEM;
	return NULL;
}

void
lw_engine_free(struct lw_engine *e)
{
	if (e == NULL)
		return;
	if (e->rtab != NULL)
		lw_res_table_fini(e);
	lw_timer_fini(e);
	lw_lkb_pool_fini(e);
	free(e->sess);
	free(e->ls);
	free(e);
}

/* --- lockspaces ------------------------------------------------------------- */

int
lw_engine_ls_open(struct lw_engine *e, const void *name, size_t len, uint16_t *lsid)
{
	struct lw_lspace *free_slot = NULL;

	if (name == NULL || len == 0 || len > LW_LSNAME_MAXLEN || lsid == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < e->conf.max_lockspaces; i++) {
		struct lw_lspace *ls = &e->ls[i];

		if (!ls->used) {
			if (free_slot == NULL)
				free_slot = ls;
			continue;
		}
		if (ls->namelen == len && memcmp(ls->name, name, len) == 0) {
			ls->opens++;
			*lsid = (uint16_t)(i + 1);
			return 0;
		}
	}
	if (free_slot == NULL)
		return -ENOSPC;
	memset(free_slot, 0, sizeof(*free_slot));
	memcpy(free_slot->name, name, len);
	free_slot->namelen = (uint8_t)len;
	free_slot->gid = lw_ls_gid(name, len);
	free_slot->used = 1;
	free_slot->opens = 1;
	*lsid = (uint16_t)(free_slot - e->ls + 1);
	return 0;
}

int
lw_engine_ls_close(struct lw_engine *e, uint16_t lsid)
{
	struct lw_lspace *ls;

	if (lsid == 0 || lsid > e->conf.max_lockspaces || !e->ls[lsid - 1].used)
		return -ENOENT;
	ls = &e->ls[lsid - 1];
	if (ls->opens == 1 && ls->nlocks != 0)
		return -EBUSY;
	if (--ls->opens == 0) {
		lw_res_purge_ls(e, lsid);
		ls->used = 0;
	}
	return 0;
}

/* --- sessions --------------------------------------------------------------- */

struct lw_session *
lw_session_get(struct lw_engine *e, uint32_t sid)
{
	uint32_t idx = (sid & 0xffff) - 1;
	struct lw_session *s;

	if ((sid & 0xffff) == 0 || idx >= e->conf.max_sessions)
		return NULL;
	s = &e->sess[idx];
	if (!s->open || s->gen != (sid >> 16))
		return NULL;
	return s;
}

struct lw_session *
lw_session_slot(struct lw_engine *e, uint32_t sid)
{
	return &e->sess[(sid & 0xffff) - 1];
}

int
lw_engine_session_open(struct lw_engine *e, uint32_t *sid)
{
	for (uint32_t i = 0; i < e->conf.max_sessions; i++) {
		struct lw_session *s = &e->sess[i];

		if (s->open)
			continue;
		s->gen = s->gen == 255 ? 1 : s->gen + 1;
		s->open = 1;
		s->nlocks = 0;
		TAILQ_INIT(&s->locks);
		*sid = (uint32_t)s->gen << 16 | (i + 1);
		return 0;
	}
	return -ENOSPC;
}

/* A PERSISTENT granted lock outlives its session as an orphan. */
static void
orphan(struct lw_engine *e, struct lw_session *s, struct lw_lkb *lkb)
{
	TAILQ_REMOVE(&s->locks, lkb, slink);
	s->nlocks--;
	lkb->session = 0;
	lkb->q.want_bast = 0;
	TAILQ_INSERT_TAIL(&e->orphans, lkb, slink);
	e->st.orphans++;
}

int
lw_engine_session_close(struct lw_engine *e, uint32_t sid, uint64_t now,
			struct lw_evbuf *out)
{
	struct lw_session *s = lw_session_get(e, sid);
	struct lw_res *touched = NULL;
	struct lw_lkb *lkb;

	(void)now;
	if (s == NULL)
		return -ENOENT;
	e->out = out;
	/* Muted first, so nothing unblocked below is told to this session. */
	e->mute_sid = sid;
	/*
	 * Take every pending request off its queue and every lock out (or
	 * into the orphans) before granting anything, so no request of the
	 * session is granted on the way; then grant on what it touched.
	 */
	TAILQ_FOREACH(lkb, &s->locks, slink) {
		struct lw_res *r = lkb->res;

		lw_timer_del(e, lkb);
		lw_lockq_dequeue(&r->q, &lkb->q);
		if (!r->touched) {
			r->touched = 1;
			r->tnext = touched;
			touched = r;
		}
	}
	while ((lkb = TAILQ_FIRST(&s->locks)) != NULL) {
		if (lkb->q.state == LW_QS_GRANTED && lkb->persistent) {
			orphan(e, s, lkb);
			continue;
		}
		lw_lockq_remove(&lkb->res->q, &lkb->q);
		lw_lock_destroy(e, lkb);
	}
	for (struct lw_res *r = touched; r != NULL; r = r->tnext) {
		r->touched = 0;
		lw_lockq_grant_pending(&r->q, &lw_engine_qops, e);
		lw_shadow_update(e, r);
	}
	s->open = 0;
	e->mute_sid = 0;
	e->out = NULL;
	return 0;
}

/* --- introspection ------------------------------------------------------------ */

void
lw_engine_get_stats(const struct lw_engine *e, struct lw_engine_stats *st)
{
	*st = e->st;
}

int
lw_engine_lock_info(const struct lw_engine *e, uint32_t lkid, struct lw_lock_info *info)
{
	const struct lw_lkb *lkb = lw_lkb_find(e, lkid);

	if (lkb == NULL)
		return -ENOENT;
	info->lkid = lkb->lkid;
	info->session = lkb->session;
	info->grmode = lkb->q.grmode;
	info->rqmode = lkb->q.rqmode;
	info->state = lkb->q.state;
	info->persistent = lkb->persistent;
	info->xid = lkb->xid;
	return 0;
}

int
lw_engine_res_lvb(const struct lw_engine *e, uint16_t lsid, const void *name,
		  size_t len, uint8_t lvb[LW_LVB_LEN], bool *valid)
{
	const struct lw_res *r;

	if (name == NULL || len == 0 || len > LW_RESNAME_MAXLEN)
		return -ENOENT;
	if (lsid == 0 || lsid > e->conf.max_lockspaces || !e->ls[lsid - 1].used)
		return -ENOENT;
	r = lw_res_find((struct lw_engine *)e, lsid, name, (uint8_t)len,
			lw_res_hash(e->ls[lsid - 1].gid, name, len));
	if (r == NULL)
		return -ENOENT;
	memcpy(lvb, r->lvb, LW_LVB_LEN);
	*valid = r->lvb_valid;
	return 0;
}

#define CHECK(cond, ...) do {                                          \
		if (!(cond)) {                                         \
			fprintf(stderr, "lw_engine_check(%s): ", e->name); \
			fprintf(stderr, __VA_ARGS__);                  \
			fputc('\n', stderr);                           \
			return -EFAULT;                                \
		}                                                      \
	} while (0)

/* One resource's queues against its tallies and the lkbs' states. */
static int
check_queues(const struct lw_engine *e, const struct lw_res *r, uint32_t *nlkb)
{
	uint32_t g[LW_LOCK_NMODES] = {0}, p[LW_LOCK_NMODES] = {0}, nc = 0, nw = 0, n = 0;
	const struct lw_qent *q;

	TAILQ_FOREACH(q, &r->q.grant, link) {
		CHECK(q->state == LW_QS_GRANTED && lw_mode_valid(q->grmode), "bad granted entry");
		/* a shadow's holders may sit above a ceiling lowered by a BAST */
		CHECK(e->site != NULL || lw_mode_covers(r->q.ceiling, q->grmode),
		      "grant above ceiling");
		g[q->grmode]++;
		n++;
	}
	TAILQ_FOREACH(q, &r->q.convert, link) {
		CHECK(q->state == LW_QS_CONVERT && lw_mode_valid(q->grmode) &&
		      lw_mode_valid(q->qmode), "bad converting entry");
		g[q->grmode]++;
		p[q->qmode]++;
		nc++;
		n++;
	}
	TAILQ_FOREACH(q, &r->q.wait, link) {
		CHECK(q->state == LW_QS_WAIT && q->grmode == LW_LOCK_IV &&
		      lw_mode_valid(q->qmode), "bad waiting entry");
		p[q->qmode]++;
		nw++;
		n++;
	}
	CHECK(nc == r->q.nconvert && nw == r->q.nwait, "queue lengths");
	if (r->cxl.lkid != 0) {
		const struct lw_lkb *lkb = lw_lkb_find(e, r->cxl.lkid);

		if (lkb != NULL && lkb->held_back) {
			CHECK(lkb->res == r && lkb->q.state == LW_QS_NONE,
			      "held-back lkb %#x", lkb->lkid);
			n++;	/* destroyed, kept for its COMPLETE */
		}
	}
	CHECK(memcmp(g, r->q.gcnt, sizeof(g)) == 0, "granted tally");
	CHECK(memcmp(p, r->q.pcnt, sizeof(p)) == 0, "pending tally");
	CHECK(n == r->nlocks, "resource lock count %u != %u", n, r->nlocks);
	/* No two granted modes may conflict. */
	for (int a = 0; a < LW_LOCK_NMODES; a++)
		for (int b = 0; b < LW_LOCK_NMODES; b++)
			CHECK(!g[a] || !g[b] || (a == b && g[a] == 1) || lw_mode_compat(a, b),
			      "incompatible grants %s and %s", lw_mode_name(a), lw_mode_name(b));
	*nlkb += n;
	return 0;
}

int
lw_engine_check(const struct lw_engine *e)
{
	uint32_t nlkb = 0, inuse = 0;
	const struct lw_res *r;

	for (uint32_t i = 0; i < e->conf.max_resources; i++) {
		r = &e->res[i];
		if (!r->resident)
			continue;
		if (check_queues(e, r, &nlkb) < 0)
			return -EFAULT;
	}
	TAILQ_FOREACH(r, &e->idle, idle)
		CHECK(r->on_idle && r->resident, "idle list holds a dead resource");
	for (uint32_t i = 0; i < e->conf.max_resources; i++)
		CHECK(!e->res[i].resident || e->res[i].nlocks != 0 || e->res[i].on_idle,
		      "an idle resource is off the idle list");
	for (uint32_t i = 0; i < e->conf.max_locks; i++) {
		const struct lw_lkb *lkb = &e->lkbs[i];

		if (lkb->lkid == 0)
			continue;
		inuse++;
		CHECK(lkb->res != NULL && lkb->res->resident, "lkb %#x without resource", lkb->lkid);
		CHECK(lkb->tslot == 0 || lkb->q.state == LW_QS_WAIT ||
		      lkb->q.state == LW_QS_CONVERT, "timer on a settled lock %#x", lkb->lkid);
		CHECK(lkb->tslot == 0 || e->heap[lkb->tslot - 1] == lkb, "timer slot %#x", lkb->lkid);
	}
	for (uint32_t i = 1; i < e->nheap; i++)
		CHECK(e->heap[(i - 1) / 2]->deadline <= e->heap[i]->deadline, "timer heap order");
	CHECK(inuse == nlkb && inuse == e->st.locks, "lkbs in use %u, on queues %u, counted %u",
	      inuse, nlkb, e->st.locks);
	return 0;
}
