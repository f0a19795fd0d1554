/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * place.c — worker, queue, bucket and client placement (see place.h).
 */
#include <errno.h>
#include <string.h>

#include "place.h"

/* Pick the workers' lcores: socket by socket in turn, skipping main. */
static void
pick_lcores(const struct lw_topo *t, unsigned int n, struct lw_placement *p)
{
	unsigned int next[LW_TOPO_MAX_SOCKETS] = {0};
	unsigned int taken[LW_TOPO_MAX_SOCKETS][LW_TOPO_MAX_LCORES];
	unsigned int nb_taken[LW_TOPO_MAX_SOCKETS] = {0};
	unsigned int si, got = 0, w = 0, i;

	while (got < n) {
		for (si = 0; si < t->nb_sockets && got < n; si++) {
			const struct lw_topo_socket *s = &t->sockets[si];

			while (next[si] < s->nb_lcores && s->lcores[next[si]] == t->main_lcore)
				next[si]++;
			if (next[si] == s->nb_lcores)
				continue;
			taken[si][nb_taken[si]++] = s->lcores[next[si]++];
			got++;
		}
	}
	/* Number them by socket so a socket's workers are consecutive. */
	for (si = 0; si < t->nb_sockets; si++) {
		if (nb_taken[si] == 0)
			continue;
		p->socket_ids[p->nb_sockets++] = t->sockets[si].id;
		for (i = 0; i < nb_taken[si]; i++, w++) {
			p->workers[w].lcore = taken[si][i];
			p->workers[w].socket = t->sockets[si].id;
		}
	}
	p->nb_workers = w;
}

/* The least-loaded port on socket (any socket when local is false); -1: none. */
static int
least_loaded_port(const struct lw_topo *t, const struct lw_placement *p,
		  unsigned int socket, bool local)
{
	int best = -1;
	unsigned int i;

	for (i = 0; i < t->nb_ports; i++) {
		if (local && t->ports[i].socket != socket)
			continue;
		if (best < 0 || p->port_queues[t->ports[i].id] <
				p->port_queues[t->ports[best].id])
			best = (int)i;
	}
	return best;
}

static void
assign_queues(const struct lw_topo *t, struct lw_placement *p)
{
	unsigned int w;

	for (w = 0; w < p->nb_workers; w++) {
		struct lw_place_worker *wk = &p->workers[w];
		int pi = least_loaded_port(t, p, wk->socket, true);

		wk->remote = false;
		if (pi < 0) {
			pi = least_loaded_port(t, p, wk->socket, false);
			wk->remote = pi >= 0;
		}
		if (pi < 0) {
			wk->port = LW_PLACE_NO_PORT;
			wk->queue = 0;
			continue;
		}
		wk->port = t->ports[pi].id;
		wk->queue = p->port_queues[wk->port]++;
	}
}

static void
assign_buckets(struct lw_placement *p)
{
	uint32_t first = 0, b;
	unsigned int w, n = p->nb_workers;

	for (w = 0; w < n; w++) {
		uint32_t count = LW_NUMA_BUCKETS / n + (w < LW_NUMA_BUCKETS % n ? 1 : 0);

		p->workers[w].bucket_first = first;
		p->workers[w].bucket_count = count;
		for (b = first; b < first + count; b++)
			p->bucket_worker[b] = (uint16_t)w;
		first += count;
	}
}

int
lw_place(const struct lw_topo *t, unsigned int nb_workers, struct lw_placement *p)
{
	unsigned int si, avail = 0;

	if (t == NULL || p == NULL)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	for (si = 0; si < t->nb_sockets; si++) {
		unsigned int i;

		for (i = 0; i < t->sockets[si].nb_lcores; i++)
			if (t->sockets[si].lcores[i] != t->main_lcore)
				avail++;
	}
	if (avail == 0)
		return -ENODEV;
	if (nb_workers == 0)
		nb_workers = avail;
	if (nb_workers > avail || nb_workers > LW_PLACE_MAX_WORKERS)
		return -ENOSPC;
	pick_lcores(t, nb_workers, p);
	assign_queues(t, p);
	assign_buckets(p);
	return 0;
}

int
lw_place_worker_for_client(struct lw_placement *p, unsigned int socket)
{
	unsigned int si, w, k, n = 0, first = 0;

	if (p == NULL)
		return -EINVAL;
	if (p->nb_workers == 0)
		return -ENOENT;
	for (si = 0; si < p->nb_sockets; si++)
		if (p->socket_ids[si] == socket)
			break;
	if (si == p->nb_sockets) {
		w = p->any_next++ % p->nb_workers;
		return (int)w;
	}
	/* Workers of a socket are consecutive: find their range. */
	for (w = 0; w < p->nb_workers; w++) {
		if (p->workers[w].socket != socket)
			continue;
		if (n++ == 0)
			first = w;
	}
	k = p->socket_next[si]++ % n;
	return (int)(first + k);
}
