/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * view.c — membership on the control core, views and leases on the
 * workers: the glue between recovery/membership.h (one struct lw_ms per
 * node) and engine/site.h (one site per worker).
 *
 * DESIGN
 * Control side, once per control round (lw_view_poll):
 *   - membership messages received by any worker (control frames, pktio)
 *     go to lw_ms_receive; lw_ms_tick; what it has to send goes out as
 *     control frames through worker 0;
 *   - a newly installed view becomes a bucket map (lw_map_for_members over
 *     every configured site) and one order per worker, through the
 *     worker's view ring: the worker forgets the lost nodes' channels
 *     (lw_wio_forget_node) and applies the view (lw_site_view_change);
 *   - the lease (lw_ms_lease_until) is published in node->lease_until;
 *     before the first echo of a new view the node may grant for one lease
 *     from the install (it was just acknowledged by every member);
 *   - when the membership says the lease ran out (lw_ms_fenced), every
 *     worker is told to fence (node->fence_seq): its site ends every lock
 *     with -ENOLCK, and its data plane goes on as the node's new
 *     incarnation (lw_wio_restart: channels to every peer start over, at
 *     both ends, since the peers see a restart); the node then rejoins as
 *     that incarnation (lw_ms_rejoin).
 *   - a view's lost nodes are forgotten by each worker's data plane, except
 *     a node the same view has back as an incarnation the worker already
 *     talks to (lw_wio_node_lost).
 * Worker side (lw_view_worker_poll, every poll iteration): a fence order,
 * then view orders, then the lease; a site whose lease ran out fences itself
 * on its next call, and the worker makes that call at once so clients hear
 * -ENOLCK without waiting for traffic.
 *
 * Leave (SIGTERM, lw_view_leave): every worker fences its site (its
 * clients' locks end with -ENOLCK), and once all have, the membership
 * announces the leave (lw_ms_leave): the others drop the node at once and,
 * since it grants nothing any more, with no lease to wait out. The daemon
 * stops when a view without it is committed (lw_ms_left), or after
 * LEAVE_WAIT_NS.
 *
 * Times: lw_now_ns() on every thread (one TSC), so the lease written by
 * control is compared by workers directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ring.h>

#include "membership.h"
#include "node.h"

#define LEAVE_WAIT_NS 1000000000ull   /* a leave gives up on the view after this */

/* One view for one worker. */
struct view_order {
	struct lw_map map;
	uint64_t lost[4];
	uint32_t inc[LW_PIO_MAX_NODES];   /* members' incarnations (0: not a member) */
	uint64_t fence_until;
};

uint32_t
lw_view_new_incarnation(void)
{
	struct timespec ts;
	uint32_t inc;

	/* grows across restarts: 10 ms units of the wall clock (wraps after 1.3 years) */
	clock_gettime(CLOCK_REALTIME, &ts);
	inc = (uint32_t)((uint64_t)ts.tv_sec * 100u + (uint64_t)ts.tv_nsec / 10000000u);
	return inc != 0 ? inc : 1;
}

int
lw_view_setup(struct lw_node *n)
{
	struct lw_ms_conf mc;
	unsigned int id, w;
	char name[RTE_RING_NAMESIZE];

	memset(&mc, 0, sizeof(mc));
	mc.self = (uint8_t)n->cfg.node_id;
	n->nall_sites = 0;
	for (id = 1; id <= LW_CONFIG_MAX_NODES; id++) {
		const struct lw_config_node *m = &n->cfg.nodes[id - 1];

		if (!m->present)
			continue;
		lw_ms_add(mc.nodes, id);
		for (w = 0; w < m->workers && n->nall_sites < LW_MAX_SITES; w++)
			n->all_sites[n->nall_sites++] = lw_site_id(id, w);
	}
	if (n->incarnation == 0)
		n->incarnation = lw_view_new_incarnation();
	mc.incarnation = n->incarnation;
	mc.hb_interval_ns = (uint64_t)n->cfg.heartbeat_us * 1000u;
	mc.suspect_ns = (uint64_t)n->cfg.suspect_us * 1000u;
	mc.lease_ns = (uint64_t)n->cfg.lease_us * 1000u;
	n->ms = lw_ms_create(&mc, lw_now_ns());
	if (n->ms == NULL)
		return -errno;
	for (w = 0; w < n->nworkers; w++) {
		snprintf(name, sizeof(name), "lw_view%u", w);
		n->workers[w]->view_ring = rte_ring_create(name, 64, n->workers[w]->socket,
							   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (n->workers[w]->view_ring == NULL)
			return -ENOMEM;
	}
	n->lease_until = 0;
	return 0;
}

void
lw_view_free(struct lw_node *n)
{
	unsigned int w;
	void *p;

	for (w = 0; w < n->nworkers; w++) {
		struct lw_worker *wk = n->workers[w];

		if (wk == NULL || wk->view_ring == NULL)
			continue;
		while (rte_ring_sc_dequeue(wk->view_ring, &p) == 0)
			free(p);
		rte_ring_free(wk->view_ring);
		wk->view_ring = NULL;
	}
	lw_ms_free(n->ms);
	n->ms = NULL;
}

static void
publish_view(struct lw_node *n, const struct lw_ms_view *v)
{
	struct lw_map *map;
	unsigned int w;
	int rc;

	map = malloc(sizeof(*map));
	if (map == NULL) {
		LW_LOG(ERR, "view %u: out of memory", v->epoch);
		return;
	}
	rc = lw_map_for_members(map, v->epoch, n->all_sites, n->nall_sites, v->members);
	if (rc != 0) {
		LW_LOG(ERR, "view %u: no bucket map for its members: %s", v->epoch, strerror(-rc));
		free(map);
		return;
	}
	for (w = 0; w < n->nworkers; w++) {
		struct view_order *o = malloc(sizeof(*o));

		if (o == NULL) {
			LW_LOG(ERR, "view %u: out of memory", v->epoch);
			continue;
		}
		o->map = *map;
		memcpy(o->lost, v->lost, sizeof(o->lost));
		memcpy(o->inc, v->inc, sizeof(o->inc));
		o->fence_until = v->fence_until;
		if (rte_ring_sp_enqueue(n->workers[w]->view_ring, o) != 0) {
			LW_LOG(ERR, "view %u: worker %u has too many views queued", v->epoch, w);
			free(o);
		}
	}
	free(map);
	n->epoch = v->epoch;
	n->views++;
	{
		int all = 1;

		for (w = 1; w < LW_PIO_MAX_NODES; w++)
			if (n->members[w].present && !lw_ms_has(v->members, w))
				all = 0;
		if (all && !n->all_up)
			LW_LOG(NOTICE, "every configured node is in view %u", v->epoch);
		n->all_up = all;
	}
	{
		char lost[256] = "";
		size_t len = 0;

		for (w = 1; w < 256 && len + 8 < sizeof(lost); w++)
			if (lw_ms_has(v->lost, w))
				len += (size_t)snprintf(lost + len, sizeof(lost) - len, " %u", w);
		LW_LOG(NOTICE, "view %u installed (leader %u)%s%s", v->epoch, v->leader,
		       len ? ", lost:" : "", lost);
	}
}

void
lw_view_poll(struct lw_node *n, uint64_t now)
{
	struct lw_ms_out out[16];
	struct lw_ms_view v;
	uint8_t buf[LW_MS_MSG_MAX];
	uint16_t len;
	uint8_t src;
	unsigned int i, k;
	uint64_t lease;
	bool got;

	while (lw_pio_ctl_recv(n->pio, &src, buf, &len) == 1)
		lw_ms_receive(n->ms, src, buf, len, now);
	lw_ms_tick(n->ms, now);
	if (lw_ms_fenced(n->ms) && n->leaving == 0) {
		/*
		 * Workers fence before anything else they do, and go on as the
		 * new incarnation (lw_wio_restart: read after fence_seq, so it
		 * is written first); then join again.
		 */
		__atomic_store_n(&n->incarnation,
				 RTE_MAX(lw_view_new_incarnation(), n->incarnation + 1),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&n->lease_until, 0, __ATOMIC_RELEASE);
		__atomic_add_fetch(&n->fence_seq, 1, __ATOMIC_RELEASE);
		n->fences++;
		LW_LOG(WARNING, "lease lost: fencing, rejoining as incarnation %u", n->incarnation);
		lw_ms_rejoin(n->ms, n->incarnation, now);
		n->all_up = 0;
		memset(&n->view, 0, sizeof(n->view));
	}
	got = lw_ms_take_view(n->ms, &v) && n->leaving == 0;
	if (got)
		n->view = v;
	/* the lease first: a worker that applies the view must not see an older one */
	lease = lw_ms_lease_until(n->ms);
	if (lease == 0 && n->view.epoch != 0 && !lw_ms_fenced(n->ms))
		lease = n->view.installed_ns + (uint64_t)n->cfg.lease_us * 1000u;
	if (n->leaving != 0)
		lease = 0;
	__atomic_store_n(&n->lease_until, lease, __ATOMIC_RELEASE);
	if (got)
		publish_view(n, &v);
	do {
		k = lw_ms_take_out(n->ms, out, RTE_DIM(out));
		for (i = 0; i < k; i++)
			if (lw_pio_ctl_send(n->pio, out[i].dst, out[i].buf, out[i].len) != 0)
				n->ctl_drops++;
	} while (k == RTE_DIM(out));
}

/* The driver hears of a fence once per view, before the site ends its locks. */
static void
drv_fenced(struct lw_worker *w)
{
	if (w->drv == NULL || w->drv_fenced || w->drv_done || !lw_driver_started(w->drv))
		return;
	w->drv_fenced = 1;
	lw_driver_fenced(w->drv);
}

/* The worker's side: fence orders, views, the lease. @return true when the site was called. */
bool
lw_view_worker_poll(struct lw_worker *w, uint64_t now)
{
	struct lw_node *n = w->node;
	uint32_t fseq = __atomic_load_n(&n->fence_seq, __ATOMIC_ACQUIRE);
	uint64_t lease;
	bool called = false;
	void *p;
	unsigned int id;

	if (fseq != w->fence_seen) {
		drv_fenced(w);
		lw_site_fence(w->site, now, &w->out);
		/*
		 * Every channel starts over at both ends: frames now carry the
		 * new incarnation (a leave keeps the old one), and a peer still
		 * sending on the old channel is told so by the answer to it.
		 */
		lw_wio_restart(w->wio, __atomic_load_n(&n->incarnation, __ATOMIC_RELAXED));
		w->lease_cur = 0;
		called = true;
		/* control waits for this before it announces a leave */
		__atomic_store_n(&w->fence_seen, fseq, __ATOMIC_RELEASE);
	}
	while (rte_ring_sc_dequeue(w->view_ring, &p) == 0) {
		struct view_order *o = p;
		struct lw_view_change vc;
		int rc;

		for (id = 1; id < LW_PIO_MAX_NODES; id++)
			if (lw_ms_has(o->lost, id) && id != n->cfg.node_id)
				lw_wio_node_lost(w->wio, id, o->inc[id]);
		vc.map = &o->map;
		memcpy(vc.lost, o->lost, sizeof(vc.lost));
		vc.fence_until = o->fence_until;
		rc = lw_site_view_change(w->site, &vc, now, &w->out);
		if (rc != 0)
			w->view_errors++;
		else
			w->view_epoch = o->map.epoch;
		free(o);
		called = true;
		w->lease_cur = UINT64_MAX;	/* a view clears the site's lease: set it again */
		w->drv_fenced = 0;		/* and a site fenced before takes grants again */
	}
	lease = __atomic_load_n(&n->lease_until, __ATOMIC_ACQUIRE);
	if (lease != w->lease_cur) {
		w->lease_cur = lease;
		lw_site_set_lease(w->site, lease);
	}
	/* the lease ran out: fence now (once), not at the next request */
	if (now >= w->lease_cur && w->lease_fenced != w->lease_cur + 1) {
		w->lease_fenced = w->lease_cur + 1;
		drv_fenced(w);
		lw_site_tick(w->site, now, &w->out);
		called = true;
	}
	return called;
}

/*
 * One control round of a clean leave. @return true when the daemon may
 * stop: the others committed a view without this node, or the wait ran out.
 */
bool
lw_view_leave(struct lw_node *n, uint64_t now)
{
	unsigned int i;

	if (n->leaving == 0) {
		LW_LOG(NOTICE, "leaving the cluster: fencing the workers");
		n->leaving = 1;
		n->leave_deadline = now + LEAVE_WAIT_NS;
		__atomic_store_n(&n->lease_until, 0, __ATOMIC_RELEASE);
		__atomic_add_fetch(&n->fence_seq, 1, __ATOMIC_RELEASE);
	}
	if (now >= n->leave_deadline) {
		LW_LOG(WARNING, "leave: no view without this node within %llu ms; stopping",
		       (unsigned long long)(LEAVE_WAIT_NS / 1000000u));
		return true;
	}
	if (n->leaving == 1) {
		/* announce only once no site can grant any more */
		for (i = 0; i < n->nworkers; i++)
			if (n->workers[i]->running &&
			    __atomic_load_n(&n->workers[i]->fence_seen, __ATOMIC_ACQUIRE) !=
			    __atomic_load_n(&n->fence_seq, __ATOMIC_ACQUIRE))
				return false;
		if (lw_ms_leave(n->ms, now) != 0)
			return true;	/* never in a view: nothing to leave */
		n->leaving = 2;
	}
	if (lw_ms_left(n->ms)) {
		LW_LOG(NOTICE, "left the cluster");
		return true;
	}
	return false;
}
