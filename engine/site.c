/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * site.c — one site of a cluster: the entry points, the bucket map, the
 * messages a site sends (to others, or to itself) and their checks on
 * arrival, Lamport clocks and statistics.
 *
 * Every entry point sets the output and the time, does its work, then
 * handles the messages the site sent to itself (in order) before it
 * returns, so a site that masters a resource it also uses runs exactly the
 * protocol two sites would. Recovery (views, leases, fencing) is in
 * recover.c: an entry point first fences a site whose lease ran out, and
 * ends by letting recovery purge and resume what is due.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site_priv.h"

static const char *const msg_names[LW_MSG_NTYPES] = {
	[LW_MSG_REQUEST] = "REQUEST", [LW_MSG_GRANT] = "GRANT", [LW_MSG_DENY] = "DENY",
	[LW_MSG_BAST] = "BAST", [LW_MSG_DOWNGRADE] = "DOWNGRADE", [LW_MSG_CANCEL] = "CANCEL",
	[LW_MSG_REDIRECT] = "REDIRECT", [LW_MSG_REPORT] = "REPORT",
	[LW_MSG_REPORT_DONE] = "REPORT_DONE", [LW_MSG_RESUMED] = "RESUMED",
};

const char *
lw_msg_type_name(int type)
{
	if (type <= 0 || type >= LW_MSG_NTYPES)
		return "?";
	return msg_names[type];
}

int
lw_site_out_init(struct lw_site_out *o)
{
	if (lw_evbuf_init(&o->ev, 256) < 0)
		return -ENOMEM;
	if (lw_msgbuf_init(&o->msg, 256) < 0) {
		lw_evbuf_fini(&o->ev);
		return -ENOMEM;
	}
	return 0;
}

void
lw_site_out_fini(struct lw_site_out *o)
{
	lw_evbuf_fini(&o->ev);
	lw_msgbuf_fini(&o->msg);
}

/* --- the map ------------------------------------------------------------------- */

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

int
lw_map_static(struct lw_map *m, uint32_t epoch, const uint16_t *sites, unsigned int n)
{
	if (m == NULL || sites == NULL || n == 0 || n > LW_MAX_SITES)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	memcpy(m->sites, sites, n * sizeof(*sites));
	qsort(m->sites, n, sizeof(*sites), cmp_u16);
	for (unsigned int i = 0; i < n; i++) {
		if (lw_site_node(m->sites[i]) == 0 || (i > 0 && m->sites[i] == m->sites[i - 1]))
			return -EINVAL;
	}
	m->epoch = epoch;
	m->nsites = (uint16_t)n;
	for (uint32_t b = 0; b < LW_BUCKETS; b++)
		m->bucket[b] = m->sites[b % n];
	return 0;
}

/*
 * The map of a view, computed alike at every node from the owner table:
 * each bucket's home site is lw_map_static's over every configured site;
 * a home node that owns itself keeps its buckets, otherwise they go to the
 * owner node's sites, by the home site's worker number.
 */
int
lw_map_from_owners(struct lw_map *m, uint32_t epoch, const uint16_t *sites, unsigned int n,
		   const uint8_t owner[256], const uint64_t members[4])
{
	struct lw_map *all;
	uint16_t start[256], cnt[256];
	int rc = 0;

	if (m == NULL || sites == NULL || owner == NULL || members == NULL)
		return -EINVAL;
	all = malloc(sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	if (lw_map_static(all, epoch, sites, n) < 0) {
		rc = -EINVAL;
		goto out;
	}
	memset(cnt, 0, sizeof(cnt));
	for (unsigned int i = all->nsites; i-- > 0;) {
		unsigned int node = lw_site_node(all->sites[i]);

		start[node] = (uint16_t)i;	/* sorted: a node's sites are together */
		cnt[node]++;
	}
	memset(m, 0, sizeof(*m));
	m->epoch = epoch;
	for (unsigned int node = 1; node < 256; node++) {
		bool member = (members[node / 64] >> (node % 64)) & 1u;
		unsigned int o = owner[node];

		if (member && cnt[node] == 0) {
			rc = -EINVAL;
			goto out;
		}
		if (cnt[node] != 0 && (o == 0 || !((members[o / 64] >> (o % 64)) & 1u) ||
				       cnt[o] == 0)) {
			rc = -EINVAL;
			goto out;
		}
		for (unsigned int k = 0; member && k < cnt[node]; k++)
			m->sites[m->nsites++] = all->sites[start[node] + k];
	}
	for (uint32_t b = 0; b < LW_BUCKETS; b++) {
		uint16_t home = all->bucket[b];
		unsigned int o = owner[lw_site_node(home)];

		m->bucket[b] = o == lw_site_node(home) ? home :
			       all->sites[start[o] + lw_site_worker(home) % cnt[o]];
	}
out:
	free(all);
	return rc;
}

/*
 * The rank of site for bucket b among substitutes (highest random weight):
 * a bucket's substitute is the member site of highest rank, so a change of
 * members moves only the buckets of the sites that came or went.
 */
static uint64_t
subst_rank(uint32_t b, uint16_t site)
{
	uint64_t x = ((uint64_t)b << 16 | site) + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * The map of a member set, the same at every node whatever views it saw:
 * a bucket stays at its home site (lw_map_static's over every configured
 * site) while that site's node is a member, else goes to the member site
 * that ranks highest for it.
 */
int
lw_map_for_members(struct lw_map *m, uint32_t epoch, const uint16_t *sites, unsigned int n,
		   const uint64_t members[4])
{
	struct lw_map *all;
	uint16_t cnt[256];
	int rc = 0;

	if (m == NULL || sites == NULL || members == NULL)
		return -EINVAL;
	all = malloc(sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	if (lw_map_static(all, epoch, sites, n) < 0) {
		rc = -EINVAL;
		goto out;
	}
	memset(cnt, 0, sizeof(cnt));
	for (unsigned int i = 0; i < all->nsites; i++)
		cnt[lw_site_node(all->sites[i])]++;
	memset(m, 0, sizeof(*m));
	m->epoch = epoch;
	for (unsigned int node = 1; node < 256; node++)
		if (((members[node / 64] >> (node % 64)) & 1u) && cnt[node] == 0) {
			rc = -EINVAL;	/* a member with no configured site */
			goto out;
		}
	if ((members[0] & 1u) != 0) {
		rc = -EINVAL;		/* node 0 does not exist */
		goto out;
	}
	for (unsigned int i = 0; i < all->nsites; i++) {
		unsigned int node = lw_site_node(all->sites[i]);

		if ((members[node / 64] >> (node % 64)) & 1u)
			m->sites[m->nsites++] = all->sites[i];	/* ascending, as all's */
	}
	if (m->nsites == 0) {
		rc = -EINVAL;
		goto out;
	}
	for (uint32_t b = 0; b < LW_BUCKETS; b++) {
		uint16_t home = all->bucket[b];
		unsigned int node = lw_site_node(home);
		uint64_t best = 0;

		if ((members[node / 64] >> (node % 64)) & 1u) {
			m->bucket[b] = home;
			continue;
		}
		for (unsigned int i = 0; i < m->nsites; i++) {
			uint64_t r = subst_rank(b, m->sites[i]);

			if (i == 0 || r > best) {
				best = r;
				m->bucket[b] = m->sites[i];
			}
		}
	}
out:
	if (rc < 0)
		memset(m, 0, sizeof(*m));
	free(all);
	return rc;
}

/* --- messages -------------------------------------------------------------------- */

struct lw_msg *
lw_site_msg(struct lw_site *s, int type, uint16_t dst)
{
	struct lw_msg *m;

	if (dst != s->self && !lw_site_in_map(s, dst)) {
		s->st.drops_nodest++;	/* gone from the view */
		return NULL;
	}
	m = dst == s->self ? lw_msgbuf_push(&s->selfq) : lw_msgbuf_push(&s->out->msg);
	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->h.version = LW_PROTO_VERSION;
	m->h.type = (uint8_t)type;
	m->h.len = sizeof(*m);
	m->h.src = s->self;
	m->h.dst = dst;
	m->h.epoch = s->map.epoch;
	m->h.lamport = ++s->lamport;
	m->mode = LW_LOCK_IV;
	m->mode2 = LW_LOCK_IV;
	s->st.tx[type]++;
	return m;
}

/* The header, before a message is kept for a later view. */
static bool
hdr_valid(const struct lw_site *s, const struct lw_msg *m)
{
	return m->h.version == LW_PROTO_VERSION && m->h.len == sizeof(*m) &&
	       m->h.dst == s->self && m->h.type != 0 && m->h.type < LW_MSG_NTYPES;
}

/* What the receiver checks before it acts on a message; false: dropped and counted. */
static bool
msg_valid(struct lw_site *s, const struct lw_msg *m)
{
	if (!lw_site_in_map(s, m->h.src))
		return false;
	if (m->h.type == LW_MSG_REPORT_DONE || m->h.type == LW_MSG_RESUMED)
		return true;	/* about the view, not a resource */
	if (m->namelen == 0 || m->namelen > LW_RESNAME_MAXLEN || m->gid == 0)
		return false;
	switch (m->h.type) {
	case LW_MSG_REQUEST:
		return lw_mode_valid(m->mode) && (m->mode2 == LW_LOCK_IV || lw_mode_valid(m->mode2)) &&
		       (m->dlmode == LW_LOCK_IV || lw_mode_valid(m->dlmode));
	case LW_MSG_GRANT:
		return lw_mode_valid(m->mode);
	case LW_MSG_REPORT:
		return m->mode == LW_LOCK_IV || lw_mode_valid(m->mode);	/* IV: the LVB only */
	case LW_MSG_BAST:
		/* no head: nothing is owed any more */
		return m->mode2 == LW_LOCK_IV ? m->mode == LW_LOCK_IV : lw_mode_valid(m->mode);
	case LW_MSG_DOWNGRADE:
	case LW_MSG_DENY:
		return m->mode == LW_LOCK_IV || lw_mode_valid(m->mode);
	default:
		return true;
	}
}

void
lw_site_dispatch(struct lw_site *s, const struct lw_msg *m)
{
	if (!hdr_valid(s, m)) {
		s->st.drops_bad++;
		return;
	}
	if (lw_rec_keep(s, m))
		return;		/* of a view this site has not applied yet (fenced or not) */
	if (s->rec.fenced) {
		s->st.drops_bad++;	/* of the views it was fenced out of */
		return;
	}
	if (!msg_valid(s, m)) {
		s->st.drops_bad++;
		return;
	}
	s->st.rx[m->h.type]++;
	if (m->h.lamport > s->lamport_high)
		s->lamport_high = m->h.lamport;
	if (m->h.lamport > s->lamport)
		s->lamport = m->h.lamport;
	s->lamport++;
	switch (m->h.type) {
	case LW_MSG_REQUEST:
	case LW_MSG_DOWNGRADE:
	case LW_MSG_CANCEL:
		if (lw_rec_stale_to_master(s, m))
			break;	/* its bucket moved since: the sender asks again */
		if (s->rec.nfrozen != 0 && lw_rec_keep_frozen(s, m))
			break;	/* its bucket is being rebuilt here */
		lw_master_receive(s, m);
		break;
	case LW_MSG_REPORT:
		if (lw_rec_stale_to_master(s, m))
			break;	/* a later view made the sender report again */
		lw_rec_receive(s, m);
		break;
	case LW_MSG_REPORT_DONE:
	case LW_MSG_RESUMED:
		lw_rec_receive(s, m);
		break;
	default:
		lw_shadow_receive(s, m);
	}
}

/* Messages to ourselves, in the order sent, until none is left. */
static void
drain_self(struct lw_site *s)
{
	while (s->self_head < s->selfq.n) {
		struct lw_msg m = s->selfq.m[s->self_head++];

		lw_site_dispatch(s, &m);
	}
	s->selfq.n = 0;
	s->self_head = 0;
}

/* Every entry point: a site whose lease ran out fences itself first. */
void
lw_site_begin(struct lw_site *s, uint64_t now, struct lw_site_out *out)
{
	s->out = out;
	s->now = now;
	if (!s->rec.fenced && now >= s->rec.lease_until)
		lw_rec_fence(s);
}

void
lw_site_end(struct lw_site *s)
{
	s->e->out = &s->out->ev;
	do
		drain_self(s);
	while (lw_rec_poll(s));
	s->e->out = NULL;
	s->out = NULL;
}


/* --- entry points -------------------------------------------------------------------- */

struct lw_site *
lw_site_create(const struct lw_site_conf *conf, const struct lw_map *map)
{
	struct lw_site *s;
	uint32_t nres, nholds;

	if (conf == NULL || map == NULL || conf->node == 0 || conf->node > LW_MAX_NODES ||
	    conf->engine.worker >= LW_ENGINE_MAX_WORKERS || conf->engine.name == NULL) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%.20s", conf->engine.name);
	s->self = lw_site_id(conf->node, conf->engine.worker);
	s->map = *map;
	s->cache_idle_ns = conf->cache_idle_ns;
	nres = conf->max_master_resources ? conf->max_master_resources : 65536;
	nholds = conf->max_master_holders ? conf->max_master_holders : 4 * nres;
	s->e = lw_engine_create(&conf->engine);
	if (s->e == NULL)
		goto fail;
	s->e->site = s;
	/* the engine made no resources yet: nothing to re-init */
	if (lw_master_init(s, nres, nholds) < 0 || lw_msgbuf_init(&s->selfq, 64) < 0 ||
	    lw_rec_init(s) < 0)
		goto fail;
	return s;
fail:
	lw_site_free(s);
	errno = ENOMEM;
	return NULL;
}

void
lw_site_free(struct lw_site *s)
{
	if (s == NULL)
		return;
	lw_engine_free(s->e);
	lw_master_fini(s);
	lw_msgbuf_fini(&s->selfq);
	lw_rec_fini(s);
	free(s);
}

uint16_t
lw_site_self(const struct lw_site *s)
{
	return s->self;
}

struct lw_engine *
lw_site_engine(struct lw_site *s)
{
	return s->e;
}

int
lw_site_ls_open(struct lw_site *s, const void *name, size_t len, uint16_t *lsid)
{
	return lw_engine_ls_open(s->e, name, len, lsid);
}

int
lw_site_session_open(struct lw_site *s, uint32_t *sid)
{
	return lw_engine_session_open(s->e, sid);
}

int
lw_site_session_close(struct lw_site *s, uint32_t sid, uint64_t now, struct lw_site_out *out)
{
	int rc;

	lw_site_begin(s, now, out);
	rc = lw_engine_session_close(s->e, sid, now, &out->ev);
	lw_site_end(s);
	return rc;
}

uint32_t
lw_site_submit(struct lw_site *s, struct lw_req *reqs, uint32_t n, uint64_t now,
	       struct lw_site_out *out)
{
	lw_site_begin(s, now, out);
	if (s->rec.fenced) {
		/* no lease: nothing can be granted until the next view */
		for (uint32_t i = 0; i < n; i++) {
			reqs[i].rc = -ENOLCK;
			s->e->st.rejected++;
		}
	} else {
		lw_engine_submit(s->e, reqs, n, now, &out->ev);
	}
	lw_site_end(s);
	return n;
}

uint32_t
lw_site_receive(struct lw_site *s, const struct lw_msg *msgs, uint32_t n, uint64_t now,
		struct lw_site_out *out)
{
	lw_site_begin(s, now, out);
	s->e->out = &out->ev;
	for (uint32_t i = 0; i < n; i++)
		lw_site_dispatch(s, &msgs[i]);
	lw_site_end(s);
	return n;
}

uint32_t
lw_site_tick(struct lw_site *s, uint64_t now, struct lw_site_out *out)
{
	uint32_t n;

	lw_site_begin(s, now, out);
	n = lw_engine_tick(s->e, now, &out->ev);
	s->e->out = &out->ev;
	if (s->cache_idle_ns != 0 && !s->rec.fenced)
		lw_shadow_release_idle(s->e, now, s->cache_idle_ns);
	s->last_tick = now;
	lw_site_end(s);
	return n;
}

uint64_t
lw_site_next_deadline(const struct lw_site *s)
{
	uint64_t d = lw_engine_next_deadline(s->e), r = lw_rec_deadline(s);

	if (s->cache_idle_ns != 0 && s->nheld != 0) {
		uint64_t c = s->last_tick + s->cache_idle_ns / 2;
		if (c < d)
			d = c;
	}
	return r < d ? r : d;
}

void
lw_site_get_stats(const struct lw_site *s, struct lw_site_stats *st)
{
	*st = s->st;
	lw_engine_get_stats(s->e, &st->engine);
	st->lamport = s->lamport;
	st->lamport_high = s->lamport_high;
}

int
lw_site_held(struct lw_site *s, uint16_t lsid, const void *name, size_t len)
{
	struct lw_engine *e = s->e;
	struct lw_res *r;

	if (lsid == 0 || lsid > e->conf.max_lockspaces || !e->ls[lsid - 1].used ||
	    len == 0 || len > LW_RESNAME_MAXLEN)
		return LW_LOCK_IV;
	r = lw_res_find(e, lsid, name, (uint8_t)len, lw_res_hash(e->ls[lsid - 1].gid, name, len));
	return r != NULL ? r->held : LW_LOCK_IV;
}

int
lw_site_check(struct lw_site *s)
{
	struct lw_engine *e = s->e;

	if (lw_engine_check(e) < 0 || lw_master_check(s) < 0)
		return -EFAULT;
	for (uint32_t i = 0; i < e->conf.max_resources; i++) {
		const struct lw_res *r = &e->res[i];
		int join;

		if (!r->resident)
			continue;
		join = lw_lockq_granted_join(&r->q);
		/* Local NL locks need no holding; anything else must be covered. */
		if (join != LW_LOCK_IV && join != LW_LOCK_NL && !lw_mode_covers(r->held, join)) {
			fprintf(stderr, "lw_site_check(%s): local %s above held %s\n", s->name,
				lw_mode_name(join), lw_mode_name(r->held));
			return -EFAULT;
		}
	}
	return 0;
}
