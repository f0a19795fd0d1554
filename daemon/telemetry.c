/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry.c — lockwired's rte_telemetry commands.
 *
 *   /lockwire/node            this node: cluster, id, epoch, state, members up
 *   /lockwire/members         every member: up, heartbeats, last heartbeat age
 *   /lockwire/stats[,W]       counters summed over workers (or worker W)
 *   /lockwire/resource,NAME   one resource at every worker of this node;
 *                             NAME alone searches the lockspaces open here,
 *                             LOCKSPACE:NAME also finds master resources of
 *                             a lockspace not open on this node
 *
 * DESIGN
 * Handlers run on DPDK's telemetry thread. Counters are read racily from
 * the workers' structs (each a 64-bit load); the resource command asks each
 * worker through its request slot (worker.c) and waits at most 200 ms per
 * worker, so the data path never takes a lock for telemetry. DPDK 22.11
 * callbacks have no user argument: the node is kept in a file static.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
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
	U("queued_msgs", io->queued);
	U("queued_msgs_max", io->queued_max);
	U("queue_grow", io->queue_grow);
	U("lost", io->lost);
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

/* One resource at one worker, under keys prefixed "wN_" when several answer. */
static void
put_res(struct rte_tel_data *d, unsigned int worker, const struct lw_res_info *r)
{
	struct rte_tel_data *locks = str_array(), *holders = str_array();
	char key[64], buf[128], s1[16], s2[16];
	unsigned int i;

#define K(k) (snprintf(key, sizeof(key), "w%u_%s", worker, k), key)
	rte_tel_data_add_dict_u64(d, K("gid"), r->gid);
	rte_tel_data_add_dict_u64(d, K("bucket"), r->bucket);
	site_str(r->master, s1, sizeof(s1));
	rte_tel_data_add_dict_string(d, K("master"), s1);
	rte_tel_data_add_dict_string(d, K("where"), r->where == (LW_RES_SHADOW | LW_RES_MASTER) ?
				     "shadow+master" : r->where & LW_RES_MASTER ? "master" : "shadow");
	if (r->where & LW_RES_SHADOW) {
		rte_tel_data_add_dict_string(d, K("held"), mode_str(r->held));
		rte_tel_data_add_dict_string(d, K("ceiling"), mode_str(r->ceiling));
		rte_tel_data_add_dict_string(d, K("bast_target"), mode_str(r->bast_target));
		rte_tel_data_add_dict_u64(d, K("inflight"), r->inflight);
		rte_tel_data_add_dict_u64(d, K("cached"), r->cached);
		rte_tel_data_add_dict_u64(d, K("lvb_valid"), r->lvb_valid);
		rte_tel_data_add_dict_u64(d, K("lvbseq"), r->lvbseq);
		rte_tel_data_add_dict_u64(d, K("nlocks"), r->nlocks);
		for (i = 0; locks != NULL && i < r->nlocks_listed && i < 32; i++) {
			const struct lw_lock_info *l = &r->locks[i];

			snprintf(buf, sizeof(buf), "lkid=0x%08x session=%u gr=%s rq=%s %s%s",
				 l->lkid, l->session, mode_str(l->grmode), mode_str(l->rqmode),
				 lw_qstate_name(l->state), l->persistent ? " persistent" : "");
			rte_tel_data_add_array_string(locks, buf);
		}
		if (locks != NULL) {
			rte_tel_data_add_dict_container(d, K("locks"), locks, 0);
			locks = NULL;
		}
	}
	if (r->where & LW_RES_MASTER) {
		rte_tel_data_add_dict_u64(d, K("master_lvb_valid"), r->m_lvb_valid);
		rte_tel_data_add_dict_u64(d, K("master_lvbseq"), r->m_lvbseq);
		rte_tel_data_add_dict_u64(d, K("nholders"), r->nholders);
		for (i = 0; holders != NULL && i < r->nholders_listed && i < 32; i++) {
			const struct lw_holder_info *h = &r->holders[i];

			site_str(h->site, s2, sizeof(s2));
			snprintf(buf, sizeof(buf), "%s gr=%s rq=%s %s seq=%u bast=%s", s2,
				 mode_str(h->grmode), mode_str(h->rqmode), lw_qstate_name(h->state),
				 h->seq, mode_str(h->bast_target));
			rte_tel_data_add_array_string(holders, buf);
		}
		if (holders != NULL) {
			rte_tel_data_add_dict_container(d, K("holders"), holders, 0);
			holders = NULL;
		}
	}
#undef K
	rte_tel_data_free(locks);
	rte_tel_data_free(holders);
}

static int
cmd_resource(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct lw_node *n = tnode;
	const char *colon, *name;
	struct lw_wreq *r;
	unsigned int i, j, found = 0;

	(void)cmd;
	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->kind = LW_WREQ_RES_INFO;
	colon = strchr(params, ':');
	name = params;
	if (colon != NULL && colon != params && colon - params <= LW_LSNAME_MAXLEN) {
		r->gid = lw_ls_gid(params, (size_t)(colon - params));
		name = colon + 1;
	}
	if (strlen(name) == 0 || strlen(name) > LW_RESNAME_MAXLEN) {
		free(r);
		return -EINVAL;
	}
	r->namelen = (uint8_t)strlen(name);
	memcpy(r->name, name, r->namelen);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", name);
	for (i = 0; i < n->nworkers; i++) {
		struct lw_wreq q = *r;

		if (lw_worker_call(n->workers[i], &q, 200) != 0 || q.rc != 0)
			continue;
		for (j = 0; j < q.nfound; j++, found++)
			put_res(d, i, &q.info[j]);
	}
	rte_tel_data_add_dict_u64(d, "found", found);
	free(r);
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
	rc |= rte_telemetry_register_cmd("/lockwire/stats", cmd_stats,
		"Counters summed over workers. Parameter: worker index (optional).");
	rc |= rte_telemetry_register_cmd("/lockwire/resource", cmd_resource,
		"One resource at every worker. Parameter: NAME or LOCKSPACE:NAME.");
	return rc != 0 ? -EINVAL : 0;
}
