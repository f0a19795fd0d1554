/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry.c — lockwired's rte_telemetry commands.
 *
 *   /lockwire/node            this node: cluster, id, epoch, state, members up
 *   /lockwire/members         every member: up, heartbeats, last heartbeat age
 *   /lockwire/view            the view, lease, members' states, workers' recovery
 *   /lockwire/stats[,W]       counters summed over workers (or worker W)
 *   /lockwire/resource,NAME   one resource at every worker of this node;
 *                             NAME alone searches the lockspaces open here,
 *                             LOCKSPACE:NAME also finds master resources of
 *                             a lockspace not open on this node
 *   /lockwire/lockdump,W[,CURSOR[,LOCKSPACE]]
 *                             one page of the resources in use at worker W
 *                             (local locks, or site holdings where W masters)
 *
 * A resource is a dict (the same in both commands):
 *   worker, gid, ls (lockspace name; absent when not open at the worker),
 *   name, bucket, master (the site asked: the map's or a REDIRECT's),
 *   map_master, where ("shadow", "master", "shadow+master");
 *   shadow side: held, ceiling, bast_target, inflight (and rq_site, rq_lkid,
 *     rq_mode while a REQUEST is out), cancel_sent, dl_block, redirects (only
 *     when set), seq, cached, lvb_valid, lvb_dirty, lvbseq, lvb (32 bytes,
 *     hex), nlocks, locks: granted, converting, waiting, each in queue order,
 *     "lkid=0x0000002a sess=3 gr=PR rq=EX st=converting pers=0 xid=7"
 *     (sess 0: an orphan);
 *   master side: m_lvb_valid, m_lvbseq, m_lvb, nholders, holders in the
 *     same order, "site=n2w0 gr=PR rq=- st=granted seq=4 bast=NL".
 * Modes are NL..EX, "-" for none. ls and name are strings when printable
 * (no '"' or '\\'); otherwise ls_bytes / name_bytes, an array of byte values.
 * Lists stop at 64 entries (nlocks, nholders give the counts).
 *
 * /lockwire/resource answers {name, r0.., found, listed}. /lockwire/lockdump
 * answers {worker, cursor, [lockspace], r0.., count, end, next}: CURSOR is
 * 0 to start, then the previous page's next, until end is 1. A page is cut
 * to fit DPDK's 16 KB answer and to about 50 ms of work. LOCKSPACE keeps
 * that lockspace only.
 *
 * DESIGN
 * Handlers run on DPDK's telemetry threads (one per client). Counters are
 * read racily from the workers' structs (each a 64-bit load); the resource
 * and lockdump commands ask a worker through its request slot (worker.c),
 * one request at a time (call_lock), and wait at most 200 ms per request,
 * so the data path never takes a lock for telemetry. A lockdump step costs
 * the worker at most LW_WREQ_DUMP_SCAN records and LW_WREQ_MAX_FOUND
 * resources (engine/inspect.c, lw_site_lockdump); a page is many steps.
 * The walk takes no snapshot: a resource that moves while the pages are
 * read may be missed or listed twice. DPDK 22.11 callbacks have no user
 * argument: the node is kept in a file static.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "frame.h"
#include "mode.h"
#include "node.h"

static struct lw_node *tnode;

static const char *
mode_str(int m)
{
	static const char *const names[] = { "NL", "CR", "CW", "PR", "PW", "EX" };

	return m >= 0 && m <= 5 ? names[m] : "IV";
}

static void
site_str(uint16_t site, char *buf, size_t len)
{
	snprintf(buf, len, "n%uw%u", lw_site_node(site), lw_site_worker(site));
}

static int
cmd_node(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct lw_node *n = tnode;
	unsigned int i, members = 0;

	(void)cmd;
	(void)params;
	for (i = 1; i < LW_PIO_MAX_NODES; i++)
		members += n->members[i].present;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "node", n->cfg.node_id);
	rte_tel_data_add_dict_string(d, "cluster", n->cfg.cluster_name);
	rte_tel_data_add_dict_u64(d, "cluster_id", n->cfg.cluster_id);
	rte_tel_data_add_dict_u64(d, "epoch", n->epoch);
	rte_tel_data_add_dict_string(d, "state", n->stop ? "stopping" :
				     n->all_up ? "up" : "joining");
	rte_tel_data_add_dict_u64(d, "workers", n->nworkers);
	rte_tel_data_add_dict_string(d, "poll", lw_config_poll_name(n->cfg.poll));
	rte_tel_data_add_dict_string(d, "socket", n->cfg.socket_path);
	rte_tel_data_add_dict_u64(d, "uptime_s", (lw_now_ns() - n->start_ns) / 1000000000u);
	rte_tel_data_add_dict_u64(d, "members", members);
	rte_tel_data_add_dict_u64(d, "members_up", n->members_up);
	rte_tel_data_add_dict_u64(d, "ports", n->nports);
	rte_tel_data_add_dict_u64(d, "driver", n->drv.enabled);
	return 0;
}

/* /lockwire/view: the installed view, its members, the lease, each worker's recovery. */
static int
cmd_view(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct lw_node *n = tnode;
	const struct lw_ms_info *mi = &n->msi;
	uint64_t now = lw_now_ns(), lease = n->lease_until;
	struct rte_tel_data *c;
	unsigned int id, i;
	char key[16];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "epoch", mi->epoch);
	rte_tel_data_add_dict_u64(d, "leader", mi->leader);
	rte_tel_data_add_dict_string(d, "phase", lw_ms_phase_name(mi->phase));
	rte_tel_data_add_dict_u64(d, "incarnation", mi->incarnation);
	rte_tel_data_add_dict_u64(d, "lease_left_us", lease > now ? (lease - now) / 1000u : 0);
	rte_tel_data_add_dict_u64(d, "views", mi->views);
	rte_tel_data_add_dict_u64(d, "fences", mi->fences);
	rte_tel_data_add_dict_u64(d, "proposals", mi->proposals);
	rte_tel_data_add_dict_u64(d, "bad_msgs", mi->bad_msgs);
	rte_tel_data_add_dict_u64(d, "ctl_drops", n->ctl_drops);
	for (id = 1; id < LW_PIO_MAX_NODES; id++) {
		const struct lw_ms_node_info *ni = &mi->node[id];

		if (!n->members[id].present)
			continue;
		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "state", id == n->cfg.node_id ? "self" :
					     lw_ms_node_state_name(ni->state));
		rte_tel_data_add_dict_u64(c, "in_view", lw_ms_has(mi->members, id));
		rte_tel_data_add_dict_u64(c, "incarnation", ni->inc);
		rte_tel_data_add_dict_u64(c, "epoch", ni->epoch);
		rte_tel_data_add_dict_u64(c, "owner", n->view.owner[id]);
		rte_tel_data_add_dict_u64(c, "heard_us", ni->heard_ns && now > ni->heard_ns ?
					  (now - ni->heard_ns) / 1000u : 0);
		snprintf(key, sizeof(key), "node%u", id);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	for (i = 0; i < n->nworkers; i++) {
		const struct lw_worker *w = n->workers[i];
		const struct lw_rec_info *r = &w->rec;

		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "epoch", r->epoch);
		rte_tel_data_add_dict_string(c, "phase", lw_rec_phase_name(r->phase));
		rte_tel_data_add_dict_u64(c, "frozen_buckets", r->frozen_buckets);
		rte_tel_data_add_dict_u64(c, "unsettled_buckets", r->unsettled_buckets);
		rte_tel_data_add_dict_u64(c, "done_missing", r->done_missing);
		rte_tel_data_add_dict_u64(c, "kept_msgs", r->kept_msgs);
		rte_tel_data_add_dict_u64(c, "views", r->views);
		rte_tel_data_add_dict_u64(c, "view_errors", w->view_errors);
		rte_tel_data_add_dict_u64(c, "reports_tx", r->reports_tx);
		rte_tel_data_add_dict_u64(c, "reports_rx", r->reports_rx);
		rte_tel_data_add_dict_u64(c, "purged", r->purged);
		rte_tel_data_add_dict_u64(c, "lvb_invalidated", r->lvb_invalidated);
		rte_tel_data_add_dict_u64(c, "resends", r->resends);
		rte_tel_data_add_dict_u64(c, "fenced", r->fenced);
		rte_tel_data_add_dict_u64(c, "revoked", r->revoked);
		snprintf(key, sizeof(key), "worker%u", i);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}

static int
cmd_members(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct lw_node *n = tnode;
	uint64_t now = lw_now_ns();
	unsigned int id;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (id = 1; id < LW_PIO_MAX_NODES; id++) {
		const struct lw_member *m = &n->members[id];
		struct rte_tel_data *c;
		char key[8];

		if (!m->present)
			continue;
		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "self", id == n->cfg.node_id);
		rte_tel_data_add_dict_u64(c, "up", m->up);
		rte_tel_data_add_dict_u64(c, "heartbeats_rx", m->hb_rx);
		rte_tel_data_add_dict_u64(c, "heartbeats_tx",
					  id == n->cfg.node_id ? 0 : n->hb_tx);
		rte_tel_data_add_dict_u64(c, "last_heartbeat_us",
					  m->last_hb_ns && now > m->last_hb_ns ?
					  (now - m->last_hb_ns) / 1000u : 0);
		snprintf(key, sizeof(key), "%u", id);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	return 0;
}

/* Sum (or copy) the counters of the workers in [first, last). */
struct sums {
	struct lw_wio_stats io;
	struct lw_site_stats site;
	uint64_t loops, busy_loops, sleeps;
};

static_assert(sizeof(struct lw_wio_stats) % 8 == 0 &&
	      sizeof(struct lw_frame_drops) == LW_FRAME_NDROPS * 8 &&
	      sizeof(struct lw_chan_stats) == 11 * 8, "lw_wio_stats is summed as uint64_t");

static void
add_u64s(uint64_t *dst, const uint64_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] += src[i];
}

static void
sum_workers(struct lw_node *n, unsigned int first, unsigned int last, struct sums *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = first; i < last; i++) {
		const struct lw_worker *w = n->workers[i];
		const struct lw_wio_stats *io = lw_wio_stats(w->wio);

		const struct lw_site_stats *ws = &w->sst;
		struct lw_site_stats *ss = &s->site;

		/* struct lw_wio_stats is all uint64_t (static_assert below) */
		add_u64s((uint64_t *)&s->io, (const uint64_t *)io, sizeof(*io) / 8);
		ss->engine.requests += ws->engine.requests;
		ss->engine.rejected += ws->engine.rejected;
		ss->engine.grants += ws->engine.grants;
		ss->engine.queued += ws->engine.queued;
		ss->engine.deadlocks += ws->engine.deadlocks;
		ss->engine.timeouts += ws->engine.timeouts;
		ss->engine.res_resident += ws->engine.res_resident;
		ss->engine.locks += ws->engine.locks;
		ss->engine.orphans += ws->engine.orphans;
		ss->local_grants += ws->local_grants;
		ss->remote_grants += ws->remote_grants;
		ss->master_resources += ws->master_resources;
		ss->drops_bad += ws->drops_bad;
		ss->drops_stale += ws->drops_stale;
		ss->drops_unknown += ws->drops_unknown;
		s->loops += w->loops;
		s->busy_loops += w->busy_loops;
		s->sleeps += w->sleeps;
	}
}

static void
put_stats(struct rte_tel_data *d, const struct sums *s)
{
	const struct lw_wio_stats *io = &s->io;
	const struct lw_site_stats *st = &s->site;
	char key[64];
	int t;

#define U(name, v) rte_tel_data_add_dict_u64(d, name, v)
	U("loops", s->loops);
	U("busy_loops", s->busy_loops);
	U("sleeps", s->sleeps);
	U("requests", st->engine.requests);
	U("rejected", st->engine.rejected);
	U("grants", st->engine.grants);
	U("local_grants", st->local_grants);
	U("remote_grants", st->remote_grants);
	U("queued_requests", st->engine.queued);
	U("deadlocks", st->engine.deadlocks);
	U("timeouts", st->engine.timeouts);
	U("resources", st->engine.res_resident);
	U("master_resources", st->master_resources);
	U("locks", st->engine.locks);
	U("orphans", st->engine.orphans);
	U("site_drops_bad", st->drops_bad);
	U("site_drops_stale", st->drops_stale);
	U("site_drops_unknown", st->drops_unknown);
	U("rx_frames", io->rx_frames);
	U("rx_bytes", io->rx_bytes);
	U("tx_frames", io->tx_frames);
	U("tx_bytes", io->tx_bytes);
	U("tx_data", io->tx_data);
	U("tx_retransmits", io->tx_retransmits);
	U("tx_acks", io->tx_acks);
	U("tx_heartbeats", io->tx_heartbeats);
	U("tx_full", io->tx_full);
	U("tx_dropped", io->tx_dropped);
	U("alloc_fail", io->alloc_fail);
	U("handoff_rx", io->handoff_rx_in);
	U("handoff_tx", io->handoff_tx_in);
	U("handoff_drops", io->handoff_drops);
	U("ring_msgs_tx", io->ring_msgs_tx);
	U("ring_msgs_rx", io->ring_msgs_rx);
	U("msgs_rx", io->msgs_rx);
	U("msgs_tx", io->msgs_tx);
	U("bad_msgs", io->bad_msgs);
	U("multiseg", io->multiseg);
	U("rx_injected", io->rx_injected);
	U("queued_msgs", io->queued);
	U("queued_msgs_max", io->queued_max);
	U("queue_grow", io->queue_grow);
	U("lost", io->lost);
	U("peer_restarts", io->peer_restarts);
	U("restarts", io->restarts);
	U("forgot_msgs", io->forgot_msgs);
	U("forgot_frames", io->forgot_frames);
	U("stale_replies", io->stale_replies);
	U("chan_retransmits", io->chan.retransmits);
	U("chan_pushback", io->chan.pushback);
	U("chan_rx_dup", io->chan.rx_dup);
	U("chan_rx_buffered", io->chan.rx_buffered);
	U("chan_rx_ooo", io->chan.rx_ooo);
	U("frames_ok", io->drops.n[LW_FRAME_OK]);
	for (t = 1; t < LW_FRAME_NDROPS; t++) {
		snprintf(key, sizeof(key), "drop_%s", lw_frame_drop_name(t));
		U(key, io->drops.n[t]);
	}
	for (t = 1; t < LW_MSG_NTYPES; t++) {
		snprintf(key, sizeof(key), "rx_%s", lw_msg_type_name(t));
		U(key, io->msgs.rx[t]);
		snprintf(key, sizeof(key), "tx_%s", lw_msg_type_name(t));
		U(key, io->msgs.tx[t]);
	}
#undef U
}

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct lw_node *n = tnode;
	unsigned int first = 0, last = n->nworkers;
	struct sums *s;

	(void)cmd;
	if (params != NULL && params[0] != '\0') {
		char *end;
		unsigned long w = strtoul(params, &end, 10);

		if (*end != '\0' || w >= n->nworkers)
			return -EINVAL;
		first = (unsigned int)w;
		last = first + 1;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	sum_workers(n, first, last, s);
	rte_tel_data_start_dict(d);
	put_stats(d, s);
	free(s);
	return 0;
}

static struct rte_tel_data *
str_array(void)
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (a != NULL)
		rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
	return a;
}

/*
 * --- resources as JSON: /lockwire/resource and /lockwire/lockdump -----------------
 *
 * DPDK 22.11 writes an answer into 16 KB and silently leaves out a value
 * that does not fit, so every byte added is counted (an upper bound) and a
 * resource that would not fit is left for the next page. One resource
 * always fits an empty page (static_assert below).
 */
#define TEL_OUTPUT_LEN  16384u           /* DPDK 22.11's MAX_OUTPUT_LEN */
#define PAGE_BUDGET     (TEL_OUTPUT_LEN - 1024u)  /* the rest: command, page scalars */
#define LOCK_LINE_LEN   96u              /* one lock's line, NUL included */
#define HOLDER_LINE_LEN 72u              /* one holding's line, NUL included */
#define RES_FIXED_MAX   2048u            /* a resource but its lock and holder lines */
#define DUMP_CALLS_MAX  256u             /* worker steps in one page */
#define DUMP_PAGE_NS    50000000u        /* time spent on one page, at most */
#define CALL_TIMEOUT_MS 200u
#define PAGE_MAX_RES    200u             /* under RTE_TEL_MAX_DICT_ENTRIES */

static_assert(LW_INFO_MAX_LOCKS * (LOCK_LINE_LEN + 2) +
	      LW_INFO_MAX_HOLDERS * (HOLDER_LINE_LEN + 2) + RES_FIXED_MAX <= PAGE_BUDGET,
	      "one resource must fit an empty page");

/* Handlers run on one thread per telemetry client: one worker request at a time. */
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;

/* A dict being filled and the JSON bytes it will take, at most. */
struct tdict {
	struct rte_tel_data *d;
	size_t len;
};

static const char *
mode_or_none(int m)
{
	return m == LW_LOCK_IV ? "-" : mode_str(m);
}

static void
td_u64(struct tdict *t, const char *k, uint64_t v)
{
	size_t digits = 1;

	rte_tel_data_add_dict_u64(t->d, k, v);
	while (v >= 10) {
		v /= 10;
		digits++;
	}
	t->len += strlen(k) + digits + 4;       /* "k":v, */
}

static void
td_str(struct tdict *t, const char *k, const char *v)
{
	rte_tel_data_add_dict_string(t->d, k, v);
	t->len += strlen(k) + strlen(v) + 6;
}

/* Printable bytes that need no JSON escape. */
static bool
json_safe(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] < 0x20 || b[i] > 0x7e || b[i] == '"' || b[i] == '\\')
			return false;
	return true;
}

/* Bytes under k as a string when json_safe, else under k_bytes as an array of numbers. */
static int
td_bytes(struct tdict *t, const char *k, const uint8_t *b, size_t n)
{
	struct rte_tel_data *a;
	char s[LW_RESNAME_MAXLEN + 1], key[32];
	size_t i;

	if (n < sizeof(s) && json_safe(b, n)) {
		memcpy(s, b, n);
		s[n] = '\0';
		td_str(t, k, s);
		return 0;
	}
	a = rte_tel_data_alloc();
	if (a == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (i = 0; i < n; i++)
		rte_tel_data_add_array_u64(a, b[i]);
	snprintf(key, sizeof(key), "%s_bytes", k);
	rte_tel_data_add_dict_container(t->d, key, a, 0);
	t->len += strlen(key) + 6 + 4 * n;
	return 0;
}

static void
td_hex(struct tdict *t, const char *k, const uint8_t *b, size_t n)
{
	char s[2 * LW_LVB_LEN + 1];
	size_t i;

	for (i = 0; i < n && i < LW_LVB_LEN; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[2 * i] = '\0';
	td_str(t, k, s);
}

/* An array of lines under k; lines[i] is len bytes apart. */
static int
td_lines(struct tdict *t, const char *k, const char *lines, size_t len, unsigned int n)
{
	struct rte_tel_data *a = str_array();
	unsigned int i;

	if (a == NULL)
		return -ENOMEM;
	t->len += strlen(k) + 6;
	for (i = 0; i < n; i++) {
		rte_tel_data_add_array_string(a, lines + i * len);
		t->len += strlen(lines + i * len) + 2;
	}
	rte_tel_data_add_dict_container(t->d, k, a, 0);
	return 0;
}

static int
put_locks(struct tdict *t, const struct lw_res_info *r)
{
	char lines[LW_INFO_MAX_LOCKS][LOCK_LINE_LEN];
	unsigned int i, n = RTE_MIN(r->nlocks_listed, (uint32_t)LW_INFO_MAX_LOCKS);

	for (i = 0; i < n; i++) {
		const struct lw_lock_info *l = &r->locks[i];

		snprintf(lines[i], LOCK_LINE_LEN,
			 "lkid=0x%08x sess=%u gr=%s rq=%s st=%s pers=%u xid=%" PRIu64,
			 l->lkid, l->session, mode_or_none(l->grmode), mode_or_none(l->rqmode),
			 lw_qstate_name(l->state), l->persistent ? 1u : 0u, l->xid);
	}
	return td_lines(t, "locks", lines[0], LOCK_LINE_LEN, n);
}

static int
put_holders(struct tdict *t, const struct lw_res_info *r)
{
	char lines[LW_INFO_MAX_HOLDERS][HOLDER_LINE_LEN];
	unsigned int i, n = RTE_MIN(r->nholders_listed, (uint32_t)LW_INFO_MAX_HOLDERS);
	char site[16];

	for (i = 0; i < n; i++) {
		const struct lw_holder_info *h = &r->holders[i];

		site_str(h->site, site, sizeof(site));
		snprintf(lines[i], HOLDER_LINE_LEN, "site=%s gr=%s rq=%s st=%s seq=%u bast=%s",
			 site, mode_or_none(h->grmode), mode_or_none(h->rqmode),
			 lw_qstate_name(h->state), h->seq, mode_or_none(h->bast_target));
	}
	return td_lines(t, "holders", lines[0], HOLDER_LINE_LEN, n);
}

static int
put_shadow(struct tdict *t, const struct lw_res_info *r)
{
	char site[16];

	td_str(t, "held", mode_or_none(r->held));
	td_str(t, "ceiling", mode_or_none(r->ceiling));
	td_str(t, "bast_target", mode_or_none(r->bast_target));
	td_u64(t, "inflight", r->inflight);
	if (r->inflight) {
		site_str(r->rq_site, site, sizeof(site));
		td_str(t, "rq_site", site);
		td_u64(t, "rq_lkid", r->rq_lkid);
		td_str(t, "rq_mode", mode_or_none(r->rq_mode));
	}
	if (r->cancel_sent)
		td_u64(t, "cancel_sent", 1);
	if (r->dl_block)
		td_u64(t, "dl_block", 1);
	if (r->redirects)
		td_u64(t, "redirects", r->redirects);
	td_u64(t, "seq", r->seq);
	td_u64(t, "cached", r->cached);
	td_u64(t, "lvb_valid", r->lvb_valid);
	td_u64(t, "lvb_dirty", r->lvb_dirty);
	td_u64(t, "lvbseq", r->lvbseq);
	td_hex(t, "lvb", r->lvb, LW_LVB_LEN);
	td_u64(t, "nlocks", r->nlocks);
	return put_locks(t, r);
}

static int
put_master(struct tdict *t, const struct lw_res_info *r)
{
	td_u64(t, "m_lvb_valid", r->m_lvb_valid);
	td_u64(t, "m_lvbseq", r->m_lvbseq);
	td_hex(t, "m_lvb", r->m_lvb, LW_LVB_LEN);
	td_u64(t, "nholders", r->nholders);
	return put_holders(t, r);
}

/* The lockspace gid's entry in ls (NULL: not open at the worker, or past the list). */
static const struct lw_ls_entry *
ls_of(const struct lw_wreq *q, uint32_t gid)
{
	uint32_t i;

	for (i = 0; i < q->nls && i < LW_WREQ_MAX_LS; i++)
		if (q->ls[i].gid == gid)
			return &q->ls[i];
	return NULL;
}

/* Resource i of worker w's answer q as a new dict; *len: its JSON bytes (at most). */
static struct rte_tel_data *
res_dict(unsigned int w, const struct lw_wreq *q, unsigned int i, size_t *len)
{
	const struct lw_res_info *r = &q->info[i];
	const struct lw_ls_entry *ls = ls_of(q, r->gid);
	struct tdict t = { rte_tel_data_alloc(), 0 };
	char s1[16], s2[16];
	int rc = 0;

	if (t.d == NULL)
		return NULL;
	rte_tel_data_start_dict(t.d);
	td_u64(&t, "worker", w);
	td_u64(&t, "gid", r->gid);
	if (ls != NULL)
		rc |= td_bytes(&t, "ls", ls->name, ls->namelen <= LW_LSNAME_MAXLEN ? ls->namelen : 0);
	rc |= td_bytes(&t, "name", r->name, r->namelen <= LW_RESNAME_MAXLEN ? r->namelen : 0);
	td_u64(&t, "bucket", r->bucket);
	site_str(r->master, s1, sizeof(s1));
	site_str(r->map_master, s2, sizeof(s2));
	td_str(&t, "master", s1);
	td_str(&t, "map_master", s2);
	td_str(&t, "where", r->where == (LW_RES_SHADOW | LW_RES_MASTER) ? "shadow+master" :
	       r->where & LW_RES_MASTER ? "master" : "shadow");
	if (r->where & LW_RES_SHADOW)
		rc |= put_shadow(&t, r);
	if (r->where & LW_RES_MASTER)
		rc |= put_master(&t, r);
	if (rc != 0) {
		rte_tel_data_free(t.d);
		return NULL;
	}
	*len = t.len + 8;               /* "rNN":{...}, */
	return t.d;
}

/* Add answer q's resources from first to d as "r<count>" while they fit; @return added. */
static unsigned int
put_found(struct rte_tel_data *d, unsigned int w, const struct lw_wreq *q, unsigned int first,
	  unsigned int *count, size_t *used)
{
	unsigned int i;
	size_t len = 0;
	char key[16];

	for (i = first; i < q->nfound && i < LW_WREQ_MAX_FOUND; i++) {
		struct rte_tel_data *c;

		if (*count >= PAGE_MAX_RES)
			break;
		c = res_dict(w, q, i, &len);
		if (c == NULL)
			break;
		if (*used + len > PAGE_BUDGET) {
			rte_tel_data_free(c);
			break;
		}
		snprintf(key, sizeof(key), "r%u", *count);
		rte_tel_data_add_dict_container(d, key, c, 0);
		*used += len;
		(*count)++;
	}
	return i - first;
}

static int
cmd_resource(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct lw_node *n = tnode;
	unsigned int i, found = 0, listed = 0;
	const char *colon, *name;
	struct lw_wreq *q;
	size_t used = 0;

	(void)cmd;
	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	colon = strchr(params, ':');
	name = params;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	if (colon != NULL && colon != params && colon - params <= LW_LSNAME_MAXLEN) {
		q->gid = lw_ls_gid(params, (size_t)(colon - params));
		name = colon + 1;
	}
	if (strlen(name) == 0 || strlen(name) > LW_RESNAME_MAXLEN) {
		free(q);
		return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", name);
	pthread_mutex_lock(&call_lock);
	for (i = 0; i < n->nworkers; i++) {
		q->kind = LW_WREQ_RES_INFO;
		q->namelen = (uint8_t)strlen(name);
		memcpy(q->name, name, q->namelen);
		if (lw_worker_call(n->workers[i], q, CALL_TIMEOUT_MS) != 0 || q->rc != 0)
			continue;
		found += q->nfound;
		put_found(d, i, q, 0, &listed, &used);
	}
	pthread_mutex_unlock(&call_lock);
	rte_tel_data_add_dict_u64(d, "found", found);
	rte_tel_data_add_dict_u64(d, "listed", listed);
	free(q);
	return 0;
}

/* "W[,CURSOR[,LOCKSPACE]]" -> worker, cursor, lockspace (NULL: all). */
static int
dump_params(const char *p, unsigned int nworkers, unsigned int *w, uint64_t *cursor,
	    const char **ls)
{
	unsigned long long v;
	char *end;

	*cursor = 0;
	*ls = NULL;
	if (p == NULL || !isdigit((unsigned char)p[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0 || v >= nworkers)
		return -EINVAL;
	*w = (unsigned int)v;
	if (*end == '\0')
		return 0;
	if (*end != ',' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	v = strtoull(end + 1, &end, 10);
	if (errno != 0 || v == LW_WALK_END)
		return -EINVAL;
	*cursor = v;
	if (*end == '\0')
		return 0;
	if (*end != ',' || end[1] == '\0' || strlen(end + 1) > LW_LSNAME_MAXLEN)
		return -EINVAL;
	*ls = end + 1;
	return 0;
}

/*
 * Fill a page: worker steps from *cursor until the page is full, the walk
 * is over, or the page's time or step budget is spent. *cursor ends where
 * the next page starts (LW_WALK_END: the walk is over).
 * @return the resources listed; -errno when the first step failed.
 */
static int
dump_page(struct rte_tel_data *d, unsigned int w, uint32_t gid, uint64_t *cursor,
	  struct lw_wreq *q)
{
	struct lw_worker *wk = tnode->workers[w];
	uint64_t t0 = lw_now_ns();
	unsigned int calls, count = 0, added;
	size_t used = 0;
	int rc;

	for (calls = 0; calls < DUMP_CALLS_MAX && lw_now_ns() - t0 < DUMP_PAGE_NS; calls++) {
		q->kind = LW_WREQ_LOCKDUMP;
		q->gid = gid;
		q->cursor = *cursor;
		rc = lw_worker_call(wk, q, CALL_TIMEOUT_MS);
		if (rc == 0)
			rc = q->rc;
		if (rc != 0)
			return calls == 0 ? rc : (int)count;
		added = put_found(d, w, q, 0, &count, &used);
		if (added < q->nfound) {        /* the page is full: resume at the first left out */
			*cursor = q->pos[added];
			break;
		}
		*cursor = q->cursor;
		if (*cursor == LW_WALK_END)
			break;
	}
	return (int)count;
}

static int
cmd_lockdump(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct lw_node *n = tnode;
	uint64_t cursor, start;
	struct lw_wreq *q;
	unsigned int w;
	const char *ls;
	int rc;

	(void)cmd;
	if (dump_params(params, n->nworkers, &w, &cursor, &ls) != 0)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	start = cursor;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "worker", w);
	rte_tel_data_add_dict_u64(d, "cursor", start);
	if (ls != NULL)
		rte_tel_data_add_dict_string(d, "lockspace", ls);
	pthread_mutex_lock(&call_lock);
	rc = dump_page(d, w, ls != NULL ? lw_ls_gid(ls, strlen(ls)) : 0, &cursor, q);
	pthread_mutex_unlock(&call_lock);
	free(q);
	if (rc < 0)
		return rc;
	rte_tel_data_add_dict_u64(d, "count", (uint64_t)rc);
	rte_tel_data_add_dict_u64(d, "end", cursor == LW_WALK_END);
	rte_tel_data_add_dict_u64(d, "next", cursor == LW_WALK_END ? 0 : cursor);
	return 0;
}

int
lw_telemetry_register(struct lw_node *n)
{
	int rc = 0;

	tnode = n;
	rc |= rte_telemetry_register_cmd("/lockwire/node", cmd_node,
		"This node: cluster, id, epoch, state, workers, members up. No parameters.");
	rc |= rte_telemetry_register_cmd("/lockwire/members", cmd_members,
		"Cluster members: up, heartbeats received/sent, last heartbeat age. No parameters.");
	rc |= rte_telemetry_register_cmd("/lockwire/view", cmd_view,
		"View: epoch, leader, lease left, members, workers' recovery. No parameters.");
	rc |= rte_telemetry_register_cmd("/lockwire/stats", cmd_stats,
		"Counters summed over workers. Parameter: worker index (optional).");
	rc |= rte_telemetry_register_cmd("/lockwire/resource", cmd_resource,
		"One resource at every worker. Parameter: NAME or LOCKSPACE:NAME.");
	rc |= rte_telemetry_register_cmd("/lockwire/lockdump", cmd_lockdump,
		"Resources in use at a worker, paged. W[,CURSOR[,LOCKSPACE]].");
	return rc != 0 ? -EINVAL : 0;
}
