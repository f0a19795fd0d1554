/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool.c — per-socket packet mempools (see pool.h).
 */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "log.h"
#include "pool.h"

#define POOL_CACHE 32u

int
lw_socket_pool_name(char *buf, size_t len, const char *prefix, unsigned int socket)
{
	int n;

	if (buf == NULL || prefix == NULL || len == 0)
		return -EINVAL;
	n = snprintf(buf, len, "%s_s%u", prefix, socket);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len || n >= (int)RTE_MEMPOOL_NAMESIZE)
		return -ENAMETOOLONG;
	return 0;
}

void
lw_socket_pools_free(struct rte_mempool *pools[LW_TOPO_MAX_SOCKETS])
{
	unsigned int s;

	if (pools == NULL)
		return;
	for (s = 0; s < LW_TOPO_MAX_SOCKETS; s++) {
		rte_mempool_free(pools[s]);
		pools[s] = NULL;
	}
}

static struct rte_mempool *
pool_on_socket(const char *name, unsigned int nb_mbufs, unsigned int socket)
{
	unsigned int cache = nb_mbufs / 2 < POOL_CACHE ? 0 : POOL_CACHE;
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, nb_mbufs, cache, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, (int)socket);
	/* No memory there, or a socket EAL does not know (a fake one). */
	if (mp != NULL || (rte_errno != ENOMEM && rte_errno != EINVAL))
		return mp;
	NUMA_LOG(INFO, "%s: no memory on socket %u, using any socket", name, socket);
	return rte_pktmbuf_pool_create(name, nb_mbufs, cache, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
}

int
lw_socket_pools_create(const struct lw_placement *p, const char *prefix,
		       unsigned int nb_mbufs,
		       struct rte_mempool *pools[LW_TOPO_MAX_SOCKETS])
{
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned int si, s;
	int rc;

	if (p == NULL || prefix == NULL || pools == NULL || nb_mbufs == 0)
		return -EINVAL;
	for (s = 0; s < LW_TOPO_MAX_SOCKETS; s++)
		pools[s] = NULL;
	for (si = 0; si < p->nb_sockets; si++) {
		s = p->socket_ids[si];
		if (s >= LW_TOPO_MAX_SOCKETS) {
			rc = -ERANGE;
			goto fail;
		}
		rc = lw_socket_pool_name(name, sizeof(name), prefix, s);
		if (rc < 0)
			goto fail;
		pools[s] = pool_on_socket(name, nb_mbufs, s);
		if (pools[s] == NULL) {
			rc = -rte_errno;
			NUMA_LOG(DEBUG, "%s: %s", name, rte_strerror(rte_errno));
			goto fail;
		}
	}
	return 0;
fail:
	lw_socket_pools_free(pools);
	return rc;
}
