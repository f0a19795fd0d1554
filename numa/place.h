/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * place.h — put workers on lcores, NIC queues on workers, buckets on
 * workers and client sessions on workers, all socket-local when possible.
 *
 * DESIGN
 *   Workers are taken from every socket in turn (never the main lcore), so
 *   they spread evenly over sockets; they are then numbered by socket, so
 *   the workers of one socket are consecutive. Each worker gets one RX/TX
 *   queue on a port of its own socket (the least-loaded one); when its
 *   socket has no port it gets a queue on the least-loaded port anywhere
 *   and is flagged remote. The LW_NUMA_BUCKETS buckets are cut into one
 *   contiguous range per worker, in worker order, of equal size (+1 for the
 *   first ones), so each socket's share is proportional to its workers and
 *   is itself contiguous.
 *
 *   Pure computation on a struct lw_topo; no DPDK call. The client cursor
 *   of lw_place_worker_for_client is not thread-safe: call it from the
 *   control lcore.
 */
#ifndef LW_NUMA_PLACE_H
#define LW_NUMA_PLACE_H

#include <stdbool.h>
#include <stdint.h>

#include "topo.h"

#define LW_NUMA_BUCKETS   4096u          /* = LW_BUCKETS of engine/site.h */
#define LW_PLACE_MAX_WORKERS LW_TOPO_MAX_LCORES
#define LW_PLACE_NO_PORT  UINT16_MAX     /* the topology has no port */

struct lw_place_worker {
	unsigned int lcore;
	unsigned int socket;        /**< socket id of the lcore */
	uint16_t port;              /**< DPDK port id, or LW_PLACE_NO_PORT */
	uint16_t queue;             /**< queue index on that port */
	bool remote;                /**< port is on another socket */
	uint32_t bucket_first;      /**< buckets [first, first + count) */
	uint32_t bucket_count;
};

struct lw_placement {
	unsigned int nb_workers;
	struct lw_place_worker workers[LW_PLACE_MAX_WORKERS];   /**< ordered by socket */
	uint16_t bucket_worker[LW_NUMA_BUCKETS];               /**< bucket -> worker index */
	uint16_t port_queues[LW_TOPO_MAX_PORTS];               /**< queues used per port id */
	unsigned int nb_sockets;                               /**< sockets with workers */
	unsigned int socket_ids[LW_TOPO_MAX_SOCKETS];
	unsigned int socket_next[LW_TOPO_MAX_SOCKETS];         /**< client round-robin cursors */
	unsigned int any_next;
};

/**
 * Place nb_workers workers on t (0: one on every lcore but the main one).
 * @return 0; -EINVAL: t or p NULL; -ENODEV: no lcore besides the main one;
 *   -ENOSPC: nb_workers exceeds the lcores besides the main one.
 */
int lw_place(const struct lw_topo *t, unsigned int nb_workers, struct lw_placement *p);

/**
 * A worker for a client on socket: the workers of that socket in turn,
 * or, when it has none, all workers in turn.
 * @return the worker index; -EINVAL: p NULL; -ENOENT: p has no worker.
 */
int lw_place_worker_for_client(struct lw_placement *p, unsigned int socket);

#endif /* LW_NUMA_PLACE_H */
