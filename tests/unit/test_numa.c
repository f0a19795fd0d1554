/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_numa.c — numa/: fake and discovered topologies, placement of
 * workers, queues, buckets and clients, per-socket mempools.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_mempool.h>

#include "lwt.h"
#include "place.h"
#include "pool.h"
#include "site.h"
#include "topo.h"

static_assert(LW_NUMA_BUCKETS == LW_BUCKETS, "numa and engine bucket counts differ");

/* Placements are large; keep them off the stack. */
static struct lw_topo topo;
static struct lw_placement pl;

static int
socket_of_lcore(const struct lw_topo *t, unsigned int lcore)
{
	unsigned int i, j;

	for (i = 0; i < t->nb_sockets; i++)
		for (j = 0; j < t->sockets[i].nb_lcores; j++)
			if (t->sockets[i].lcores[j] == lcore)
				return (int)t->sockets[i].id;
	return -1;
}

/* Invariants every placement must hold. */
static void
check_placement(const struct lw_topo *t, const struct lw_placement *p)
{
	unsigned int seen[LW_NUMA_BUCKETS] = {0};
	unsigned int w, v, b, si, next = 0;

	CU_ASSERT_FATAL(p->nb_workers > 0);
	for (w = 0; w < p->nb_workers; w++) {
		const struct lw_place_worker *wk = &p->workers[w];

		CU_ASSERT(wk->lcore != t->main_lcore);
		CU_ASSERT(socket_of_lcore(t, wk->lcore) == (int)wk->socket);
		for (v = 0; v < w; v++)
			CU_ASSERT(p->workers[v].lcore != wk->lcore);
		/* Workers numbered by socket: ascending socket ids. */
		if (w > 0)
			CU_ASSERT(p->workers[w - 1].socket <= wk->socket);
		/* Contiguous ranges, in worker order, covering everything. */
		CU_ASSERT(wk->bucket_first == next);
		CU_ASSERT(wk->bucket_count > 0);
		for (b = wk->bucket_first; b < wk->bucket_first + wk->bucket_count &&
		     b < LW_NUMA_BUCKETS; b++) {
			seen[b]++;
			CU_ASSERT(p->bucket_worker[b] == w);
		}
		next = wk->bucket_first + wk->bucket_count;
	}
	CU_ASSERT(next == LW_NUMA_BUCKETS);
	for (b = 0; b < LW_NUMA_BUCKETS; b++)
		CU_ASSERT(seen[b] == 1);

	/* Each socket's share is proportional to its workers (within 1 per worker). */
	for (si = 0; si < p->nb_sockets; si++) {
		unsigned int ws = 0, share = 0;
		double ideal;

		for (w = 0; w < p->nb_workers; w++)
			if (p->workers[w].socket == p->socket_ids[si]) {
				ws++;
				share += p->workers[w].bucket_count;
			}
		CU_ASSERT(ws > 0);
		ideal = (double)LW_NUMA_BUCKETS * ws / p->nb_workers;
		CU_ASSERT(share + ws >= ideal && share <= ideal + ws);
	}
}

static unsigned int
workers_on(const struct lw_placement *p, unsigned int socket)
{
	unsigned int w, n = 0;

	for (w = 0; w < p->nb_workers; w++)
		n += p->workers[w].socket == socket;
	return n;
}

/* --- fake specs ---------------------------------------------------------- */

static void
test_fake_grid(void)
{
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "2x3"), 0);
	CU_ASSERT_EQUAL(topo.nb_sockets, 2);
	CU_ASSERT_EQUAL(topo.nb_lcores, 6);
	CU_ASSERT_EQUAL(topo.main_lcore, 0);
	CU_ASSERT_EQUAL(topo.sockets[0].id, 0);
	CU_ASSERT_EQUAL(topo.sockets[1].id, 1);
	CU_ASSERT_EQUAL(topo.sockets[0].nb_lcores, 3);
	CU_ASSERT_EQUAL(topo.sockets[1].lcores[0], 3);
	CU_ASSERT_EQUAL(topo.sockets[1].lcores[2], 5);
	CU_ASSERT_EQUAL(topo.nb_ports, 0);
	CU_ASSERT_EQUAL(topo.numa_nodes, 0);
}

static void
test_fake_explicit(void)
{
	struct lw_topo g;

	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "0:0,1;1:2,3"), 0);
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&g, "2x2"), 0);
	CU_ASSERT(memcmp(&topo, &g, sizeof(g)) == 0);

	/* Unordered input is sorted; main is the lowest lcore. */
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "3:9,7;1:5"), 0);
	CU_ASSERT_EQUAL(topo.nb_sockets, 2);
	CU_ASSERT_EQUAL(topo.sockets[0].id, 1);
	CU_ASSERT_EQUAL(topo.sockets[1].id, 3);
	CU_ASSERT_EQUAL(topo.sockets[1].lcores[0], 7);
	CU_ASSERT_EQUAL(topo.sockets[1].lcores[1], 9);
	CU_ASSERT_EQUAL(topo.main_lcore, 5);
	CU_ASSERT_EQUAL(lw_topo_socket_index(&topo, 3), 1);
	CU_ASSERT_EQUAL(lw_topo_socket_index(&topo, 0), -ENOENT);

	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "2x2;p0=1,p1=0"), 0);
	CU_ASSERT_EQUAL(topo.nb_ports, 2);
	CU_ASSERT_EQUAL(topo.ports[0].id, 0);
	CU_ASSERT_EQUAL(topo.ports[0].socket, 1);
	CU_ASSERT_EQUAL(topo.ports[1].socket, 0);
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "0:0,1;1:2,3;p3=1"), 0);
	CU_ASSERT_EQUAL(topo.nb_ports, 1);
	CU_ASSERT_EQUAL(topo.ports[0].id, 3);
}

static void
test_fake_bad(void)
{
	static const char *const bad[] = {
		"", "x", "2x", "x2", "0x2", "2x0", "9x1", "2x100", "2x2x", "2x2 ",
		" 2x2", "-1x2", "2X2", "abc", "2x2;", "2x2,", "2x2;p", "2x2;p0",
		"2x2;p0=", "2x2;p0=2", "2x2;p0=1,", "2x2;p0=1,p0=0", "2x2;q0=1",
		"2x2;p0=1;p1=0", "2x2;p99=0", "2x2;0:4", "0:", "0", "0:,1", "0:0,",
		"0:0,,1", "0:0;", "0:0;;1:1", "0:0;0:1", "0:0;1:0", "0:0,0",
		"0:a", "8:0", "0:128", "0:0;2x2", "0:0;p0", "0:0;1:1;p0=2",
		"0:99999999999", "1:1:1",
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad); i++) {
		int rc = lw_topo_fake(&topo, bad[i]);

		if (rc != -EINVAL)
			fprintf(stderr, "spec \"%s\" accepted (%d)\n", bad[i], rc);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_EQUAL(topo.nb_sockets, 0);
	}
	CU_ASSERT_EQUAL(lw_topo_fake(&topo, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_topo_fake(NULL, "2x2"), -EINVAL);
}

/* --- placement ----------------------------------------------------------- */

static void
test_place_2x2(void)
{
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "2x2;p0=0,p1=1"), 0);
	CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 0, &pl), 0);
	CU_ASSERT_EQUAL(pl.nb_workers, 3);
	check_placement(&topo, &pl);
	CU_ASSERT_EQUAL(workers_on(&pl, 0), 1);
	CU_ASSERT_EQUAL(workers_on(&pl, 1), 2);
	CU_ASSERT_EQUAL(pl.workers[0].lcore, 1);
	/* Each worker on a port of its socket, queues numbered per port. */
	CU_ASSERT_EQUAL(pl.workers[0].port, 0);
	CU_ASSERT_EQUAL(pl.workers[0].queue, 0);
	CU_ASSERT_EQUAL(pl.workers[1].port, 1);
	CU_ASSERT_EQUAL(pl.workers[1].queue, 0);
	CU_ASSERT_EQUAL(pl.workers[2].port, 1);
	CU_ASSERT_EQUAL(pl.workers[2].queue, 1);
	CU_ASSERT(!pl.workers[0].remote && !pl.workers[1].remote && !pl.workers[2].remote);
	CU_ASSERT_EQUAL(pl.port_queues[1], 2);

	/* Two workers: one per socket. */
	CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 2, &pl), 0);
	check_placement(&topo, &pl);
	CU_ASSERT_EQUAL(workers_on(&pl, 0), 1);
	CU_ASSERT_EQUAL(workers_on(&pl, 1), 1);
	CU_ASSERT_EQUAL(pl.workers[0].bucket_count, LW_NUMA_BUCKETS / 2);

	CU_ASSERT_EQUAL(lw_place(&topo, 4, &pl), -ENOSPC);
	CU_ASSERT_EQUAL(lw_place(NULL, 1, &pl), -EINVAL);
	CU_ASSERT_EQUAL(lw_place(&topo, 1, NULL), -EINVAL);
}

static void
test_place_remote_port(void)
{
	/* Socket 0 has no port: its worker uses socket 1's, flagged remote. */
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "2x2;p0=1"), 0);
	CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 0, &pl), 0);
	check_placement(&topo, &pl);
	CU_ASSERT_EQUAL(pl.workers[0].socket, 0);
	CU_ASSERT_EQUAL(pl.workers[0].port, 0);
	CU_ASSERT(pl.workers[0].remote);
	CU_ASSERT(!pl.workers[1].remote && !pl.workers[2].remote);
	CU_ASSERT_EQUAL(pl.port_queues[0], 3);

	/* No port at all. */
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "2x2"), 0);
	CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 0, &pl), 0);
	CU_ASSERT_EQUAL(pl.workers[0].port, LW_PLACE_NO_PORT);
	CU_ASSERT(!pl.workers[0].remote);
}

static void
test_place_1x4(void)
{
	unsigned int w;

	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "1x4;p0=0"), 0);
	CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 0, &pl), 0);
	CU_ASSERT_EQUAL(pl.nb_workers, 3);
	check_placement(&topo, &pl);
	for (w = 0; w < pl.nb_workers; w++) {
		CU_ASSERT_EQUAL(pl.workers[w].lcore, w + 1);
		CU_ASSERT_EQUAL(pl.workers[w].queue, w);
	}
	/* 4096 = 1366 + 1365 + 1365. */
	CU_ASSERT_EQUAL(pl.workers[0].bucket_count, 1366);
	CU_ASSERT_EQUAL(pl.workers[2].bucket_count, 1365);

	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "1x1"), 0);
	CU_ASSERT_EQUAL(lw_place(&topo, 0, &pl), -ENODEV);
}

static void
test_place_2x3(void)
{
	unsigned int n;

	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "2x3;p0=0,p1=1"), 0);
	for (n = 1; n <= 5; n++) {
		CU_ASSERT_EQUAL_FATAL(lw_place(&topo, n, &pl), 0);
		CU_ASSERT_EQUAL(pl.nb_workers, n);
		check_placement(&topo, &pl);
		/* Spread evenly while both sockets have lcores left. */
		CU_ASSERT(abs((int)workers_on(&pl, 0) - (int)workers_on(&pl, 1)) <= 1);
	}
	CU_ASSERT_EQUAL(workers_on(&pl, 0), 2);
	CU_ASSERT_EQUAL(workers_on(&pl, 1), 3);
	CU_ASSERT_EQUAL(lw_place(&topo, 6, &pl), -ENOSPC);

	/* Uneven sockets: shares follow workers, not sockets. */
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "0:0,1;1:2,3,4,5,6"), 0);
	CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 0, &pl), 0);
	check_placement(&topo, &pl);
	CU_ASSERT_EQUAL(workers_on(&pl, 0), 1);
	CU_ASSERT_EQUAL(workers_on(&pl, 1), 5);
	CU_ASSERT(pl.workers[0].bucket_first == 0 && pl.workers[0].bucket_count == 683);
}

static void
test_client_binding(void)
{
	int w, i;

	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "2x3"), 0);
	CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 4, &pl), 0);
	/* Workers 0,1 on socket 0; 2,3 on socket 1. */
	for (i = 0; i < 4; i++) {
		w = lw_place_worker_for_client(&pl, 1);
		CU_ASSERT_EQUAL(w, 2 + i % 2);
		w = lw_place_worker_for_client(&pl, 0);
		CU_ASSERT_EQUAL(w, i % 2);
	}
	/* A socket without workers: any worker, in turn. */
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(lw_place_worker_for_client(&pl, 5), i % 4);

	/* All workers on socket 1 (main lcore alone on socket 0). */
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "0:0;1:1,2"), 0);
	CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 0, &pl), 0);
	check_placement(&topo, &pl);
	w = lw_place_worker_for_client(&pl, 0);
	CU_ASSERT(w >= 0 && pl.workers[w].socket == 1);

	CU_ASSERT_EQUAL(lw_place_worker_for_client(NULL, 0), -EINVAL);
	memset(&pl, 0, sizeof(pl));
	CU_ASSERT_EQUAL(lw_place_worker_for_client(&pl, 0), -ENOENT);
}

/* --- real EAL ------------------------------------------------------------ */

static void
test_discover(void)
{
	unsigned int lcore, n = 0;

	CU_ASSERT_EQUAL(lw_topo_discover(NULL), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(lw_topo_discover(&topo), 0);
	CU_ASSERT(topo.nb_sockets >= 1);
	CU_ASSERT_EQUAL(topo.nb_lcores, rte_lcore_count());
	CU_ASSERT_EQUAL(topo.main_lcore, rte_get_main_lcore());
	RTE_LCORE_FOREACH(lcore) {
		unsigned int s = rte_lcore_to_socket_id(lcore);

		CU_ASSERT_EQUAL(socket_of_lcore(&topo, lcore),
				(int)(s == (unsigned int)SOCKET_ID_ANY ? 0 : s));
		n++;
	}
	CU_ASSERT_EQUAL(n, topo.nb_lcores);
	CU_ASSERT_EQUAL(topo.nb_ports, 0);      /* --no-pci */
	if (topo.nb_lcores > 1) {
		CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 0, &pl), 0);
		check_placement(&topo, &pl);
	} else {
		CU_ASSERT_EQUAL(lw_place(&topo, 0, &pl), -ENODEV);
	}
}

static void
test_pool_name(void)
{
	char buf[RTE_MEMPOOL_NAMESIZE];
	char small[6];
	char longp[RTE_MEMPOOL_NAMESIZE + 1];

	CU_ASSERT_EQUAL(lw_socket_pool_name(buf, sizeof(buf), "mb", 3), 0);
	CU_ASSERT_STRING_EQUAL(buf, "mb_s3");
	CU_ASSERT_EQUAL(lw_socket_pool_name(small, sizeof(small), "mb", 12), -ENAMETOOLONG);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	CU_ASSERT_EQUAL(lw_socket_pool_name(buf, sizeof(buf), longp, 0), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(lw_socket_pool_name(NULL, 8, "mb", 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_socket_pool_name(buf, sizeof(buf), NULL, 0), -EINVAL);
}

static void
test_pools(void)
{
	struct rte_mempool *pools[LW_TOPO_MAX_SOCKETS];
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned int s;

	/* Fake two sockets: socket 1 has no memory here, so it falls back. */
	CU_ASSERT_EQUAL_FATAL(lw_topo_fake(&topo, "2x2"), 0);
	CU_ASSERT_EQUAL_FATAL(lw_place(&topo, 0, &pl), 0);
	CU_ASSERT_EQUAL_FATAL(lw_socket_pools_create(&pl, "tn", 64, pools), 0);
	for (s = 0; s < LW_TOPO_MAX_SOCKETS; s++) {
		if (s < 2) {
			CU_ASSERT_PTR_NOT_NULL_FATAL(pools[s]);
			CU_ASSERT_EQUAL(lw_socket_pool_name(name, sizeof(name), "tn", s), 0);
			CU_ASSERT_PTR_EQUAL(rte_mempool_lookup(name), pools[s]);
			CU_ASSERT_EQUAL(rte_mempool_avail_count(pools[s]), 64);
		} else {
			CU_ASSERT_PTR_NULL(pools[s]);
		}
	}
	/* Same names again: -EEXIST, and nothing of the second try remains. */
	{
		struct rte_mempool *again[LW_TOPO_MAX_SOCKETS];

		CU_ASSERT_EQUAL(lw_socket_pools_create(&pl, "tn", 64, again), -EEXIST);
		for (s = 0; s < LW_TOPO_MAX_SOCKETS; s++)
			CU_ASSERT_PTR_NULL(again[s]);
	}
	lw_socket_pools_free(pools);
	for (s = 0; s < LW_TOPO_MAX_SOCKETS; s++)
		CU_ASSERT_PTR_NULL(pools[s]);
	CU_ASSERT_PTR_NULL(rte_mempool_lookup("tn_s0"));
	CU_ASSERT_PTR_NULL(rte_mempool_lookup("tn_s1"));
	lw_socket_pools_free(NULL);

	/* The real topology's sockets. */
	CU_ASSERT_EQUAL_FATAL(lw_topo_discover(&topo), 0);
	if (lw_place(&topo, 0, &pl) == 0) {
		CU_ASSERT_EQUAL(lw_socket_pools_create(&pl, "tr", 64, pools), 0);
		for (s = 0; s < pl.nb_sockets; s++)
			CU_ASSERT_PTR_NOT_NULL(pools[pl.socket_ids[s]]);
		lw_socket_pools_free(pools);
	}
	CU_ASSERT_EQUAL(lw_socket_pools_create(&pl, "tr", 0, pools), -EINVAL);
	CU_ASSERT_EQUAL(lw_socket_pools_create(NULL, "tr", 8, pools), -EINVAL);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("numa",
		  "fake grid", test_fake_grid,
		  "fake explicit", test_fake_explicit,
		  "fake bad specs", test_fake_bad,
		  "place 2x2", test_place_2x2,
		  "place remote port", test_place_remote_port,
		  "place 1x4", test_place_1x4,
		  "place 2x3", test_place_2x3,
		  "client binding", test_client_binding,
		  "discover", test_discover,
		  "pool name", test_pool_name,
		  "pools per socket", test_pools,
		  NULL);
	return lwt_run();
}
