/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool.h — one packet mempool per socket that has workers.
 *
 * DESIGN
 *   Pools are named "<prefix>_s<socket>" and created on their socket; when
 *   that socket has no memory or EAL does not know it (a fake socket,
 *   --no-huge) the pool is created with SOCKET_ID_ANY instead and the
 *   fallback is logged. The caller owns the array, indexed by socket id;
 *   sockets without workers stay NULL. Create and free from the control lcore.
 */
#ifndef LW_NUMA_POOL_H
#define LW_NUMA_POOL_H

#include <stddef.h>

#include "place.h"

struct rte_mempool;

/**
 * Write "<prefix>_s<socket>" to buf.
 * @return 0; -EINVAL: buf or prefix NULL; -ENAMETOOLONG: it does not fit
 *   in len or in a mempool name (RTE_MEMPOOL_NAMESIZE).
 */
int lw_socket_pool_name(char *buf, size_t len, const char *prefix, unsigned int socket);

/**
 * Create one rte_pktmbuf pool of nb_mbufs for every socket of p that has
 * workers; pools[socket] gets it, every other entry is set to NULL.
 * On failure nothing stays created.
 * @return 0; -EINVAL: NULL argument or nb_mbufs 0; -ENAMETOOLONG: prefix
 *   too long; otherwise -rte_errno of rte_pktmbuf_pool_create (-ENOMEM,
 *   -EEXIST: a pool of that name exists).
 */
int lw_socket_pools_create(const struct lw_placement *p, const char *prefix,
			   unsigned int nb_mbufs,
			   struct rte_mempool *pools[LW_TOPO_MAX_SOCKETS]);

/** Free every pool of the array and set its entries to NULL; NULL is a no-op. */
void lw_socket_pools_free(struct rte_mempool *pools[LW_TOPO_MAX_SOCKETS]);

#endif /* LW_NUMA_POOL_H */
