/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * topo.h — the machine's shape: NUMA sockets, the lcores of each socket and
 * the socket of every NIC port.
 *
 * DESIGN
 *   A struct lw_topo is plain data, filled either from the running EAL
 *   (lw_topo_discover, cross-checked against libnuma) or from a text spec
 *   (lw_topo_fake) so that tests and the simulator can place work on many
 *   sockets on a machine that has one. Sockets are kept in ascending id
 *   order; lcores of a socket in ascending id order. The main (control)
 *   lcore is recorded and never used as a worker (see place.h).
 *
 *   Caveats: socket ids must be < LW_TOPO_MAX_SOCKETS; a port whose socket
 *   is unknown (SOCKET_ID_ANY) counts as socket 0.
 *
 * Not thread-safe while being filled; read-only afterwards.
 */
#ifndef LW_NUMA_TOPO_H
#define LW_NUMA_TOPO_H

#include <stdint.h>

#include <rte_config.h>

#define LW_TOPO_MAX_SOCKETS 8u              /* socket ids 0..7 */
#define LW_TOPO_MAX_LCORES  RTE_MAX_LCORE   /* lcore ids 0..RTE_MAX_LCORE-1 */
#define LW_TOPO_MAX_PORTS   RTE_MAX_ETHPORTS

/** One NUMA socket and its lcores. */
struct lw_topo_socket {
	unsigned int id;                          /**< socket (NUMA node) id */
	unsigned int nb_lcores;
	unsigned int lcores[LW_TOPO_MAX_LCORES];  /**< ascending lcore ids */
};

/** One NIC port and the socket it is attached to. */
struct lw_topo_port {
	uint16_t id;                              /**< DPDK port id */
	unsigned int socket;                      /**< socket id (ANY -> 0) */
};

struct lw_topo {
	unsigned int nb_sockets;
	struct lw_topo_socket sockets[LW_TOPO_MAX_SOCKETS]; /**< ascending ids */
	unsigned int main_lcore;                  /**< control lcore, never a worker */
	unsigned int nb_lcores;                   /**< over all sockets */
	unsigned int nb_ports;
	struct lw_topo_port ports[LW_TOPO_MAX_PORTS];
	int numa_nodes;                           /**< libnuma nodes; 0: not known (fake or no libnuma) */
};

/**
 * Fill t from the running EAL: every enabled lcore (main included) and its
 * socket, every available ethdev port and its socket. libnuma, when
 * available, gives numa_nodes; a socket id beyond it is logged.
 * @return 0; -EINVAL: t is NULL; -ENODEV: EAL reports no lcore;
 *   -ERANGE: a socket id >= LW_TOPO_MAX_SOCKETS.
 */
int lw_topo_discover(struct lw_topo *t);

/**
 * Fill t from a spec (the main lcore is the lowest lcore id):
 *   "SxL"              S sockets (ids 0..S-1) of L lcores each, lcore ids
 *                      0..S*L-1 in socket order; e.g. "2x2".
 *   "id:l,l;id:l,..."  explicit sockets and their lcores; e.g. "0:0,1;1:2,3".
 * optionally followed by ";pP=S,pP=S" giving port P on socket S (the socket
 * must be one of the topology's); e.g. "2x2;p0=1,p1=0".
 * Ids are decimal; socket ids and lcore ids are unique; every socket has at
 * least one lcore.
 * @return 0; -EINVAL: t or spec NULL, or the spec is malformed, out of
 *   range or has duplicates (t is then left zeroed).
 */
int lw_topo_fake(struct lw_topo *t, const char *spec);

/** Index of socket id in t->sockets; -ENOENT when t has no such socket. */
int lw_topo_socket_index(const struct lw_topo *t, unsigned int socket);

#endif /* LW_NUMA_TOPO_H */
