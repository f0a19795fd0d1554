/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.h — set-up of the ethdev ports of the data plane: real NICs and the
 * vdevs lockwire runs on without special hardware (net_memif, net_tap,
 * net_af_packet, net_ring).
 *
 * DESIGN
 * - One RX and one TX queue per worker: queue q belongs to worker q. A port
 *   that has fewer queues than wanted gets as many as it allows
 *   (lw_port_info.nb_queues says how many); the caller then maps several
 *   workers onto one queue or hands frames between workers in software.
 * - No offloads: frames are built and checked by pktio/frame.c. The MTU is
 *   1500 (so 1500-byte IPv4 frames pass) unless the device allows less.
 * - Steering: lw_port_steer() installs one rte_flow rule per queue,
 *   ETH / IPV4 / UDP dst == base + q -> QUEUE q. Devices without rte_flow
 *   (net_ring, net_memif, net_af_packet, net_tap on a kernel without multiq)
 *   refuse it with -ENOTSUP and leave no rule behind; the receiving worker
 *   then hands each frame to its owner through an SPSC ring (see
 *   ARCHITECTURE.md, section 4).
 * - Ring pairs: two net_ring ethdevs in one process joined by rte_rings,
 *   for tests and single-process runs. In a split pair the two directions go
 *   through four sets of rings, so a test can sit in the middle and drop,
 *   duplicate or reorder frames.
 * - Errors: 0 or -errno; set-up functions also write one line to err
 *   ("port 2 (net_memif12): rte_eth_rx_queue_setup queue 1: <strerror>").
 *
 * Control path only: call from the main lcore while no worker polls the
 * port. Nothing here is thread-safe.
 */
#ifndef LW_PORT_H
#define LW_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>

struct rte_mempool;
struct rte_ring;

#define LW_PORT_DEF_RXD          1024
#define LW_PORT_DEF_TXD          1024
#define LW_PORT_MTU              1500   /* IPv4 MTU asked for */
#define LW_PORT_RING_MAX_QUEUES  16     /* net_ring's limit (RTE_PMD_RING_MAX_*_RINGS) */
#define LW_PORT_RING_NAME_MAX    16     /* characters of a ring pair's name */
#define LW_PORT_RING_SIZE        1024   /* slots of each ring of a pair */

/** What lw_port_setup configures. */
struct lw_port_conf {
	uint16_t port_id;
	uint16_t nb_queues;        /* wanted RX and TX queues (one pair per worker) */
	uint16_t nb_rxd, nb_txd;   /* descriptors; 0: LW_PORT_DEF_RXD/TXD, then adjusted to the device */
	struct rte_mempool *pool;  /* RX buffers; their data room must hold a 1518-byte frame */
	int promisc;               /* enable promiscuous mode (failure only noted in info) */
	uint16_t udp_base_port;    /* != 0: lw_port_steer(base, nb_queues) after start */
};

/** What lw_port_setup did. */
struct lw_port_info {
	uint16_t port_id;
	uint16_t nb_queues;        /* queues configured: min(wanted, max_rx_queues, max_tx_queues) */
	uint16_t nb_rxd, nb_txd;   /* descriptors per queue, after adjustment */
	uint16_t mtu;              /* MTU the port runs with */
	int socket;                /* rte_eth_dev_socket_id; SOCKET_ID_ANY -> 0 */
	char name[RTE_ETH_NAME_MAX_LEN];
	char driver[32];           /* "net_memif", "net_ring", "net_ice"... */
	struct rte_ether_addr mac;
	int steered;               /* 1: rte_flow rules steer UDP ports to queues */
	int promisc;               /* 1: the port is in promiscuous mode */
};

/**
 * The port id of the ethdev called name ("net_memif0", "0000:01:00.0").
 * @return 0 and *port_id set; -EINVAL: name or port_id NULL; -ENODEV: no
 *   ethdev has that name (the vdev was not created with --vdev or
 *   rte_dev_probe, or the PCI device is not bound to a DPDK driver).
 */
int lw_port_by_name(const char *name, uint16_t *port_id);

/**
 * Configure port c->port_id with min(wanted, device) RX/TX queue pairs, set
 * up each queue on the port's socket, set promiscuous mode when asked, start
 * it and, when c->udp_base_port != 0, try lw_port_steer (a refusal is not
 * an error: info->steered stays 0). A port this module started is stopped
 * and configured again (its flow rules are flushed). info is filled on
 * success (it may be partly written on failure). On failure the port is
 * left stopped and err (when not NULL) holds one line naming the port, the
 * step and the reason.
 * @return 0;
 *   -EINVAL: c or info NULL, c->nb_queues 0, c->pool NULL, pool buffers too
 *     small for a 1518-byte frame, udp_base_port + nb_queues - 1 beyond
 *     65535, or the device has no queues;
 *   -ENODEV: c->port_id is not a valid port;
 *   -EBUSY: the port was started by other code (rte_eth_dev_configure);
 *   otherwise the negative errno of the DPDK call that failed
 *   (rte_eth_dev_configure, rte_eth_rx_queue_setup, rte_eth_dev_start...).
 */
int lw_port_setup(const struct lw_port_conf *c, struct lw_port_info *info,
		  char *err, size_t errlen);

/**
 * Wait until the link of port_id is up, polling rte_eth_link_get_nowait()
 * every 10 ms (timeout_ms 0: look once).
 * @return 0: link up; -ETIMEDOUT: still down after timeout_ms;
 *   -ENODEV: port_id is not a valid port; other negative errno from
 *   rte_eth_link_get_nowait (-ENOTSUP: the device cannot tell).
 */
int lw_port_wait_link(uint16_t port_id, unsigned int timeout_ms);

/**
 * Steer UDP destination port udp_base_port + q to RX queue q, for q in
 * [0, nb_queues): one ingress rte_flow rule per queue, each validated before
 * it is created. On any failure the rules made so far are destroyed.
 * Call on a started port.
 * @return 0: every rule is in place;
 *   -EINVAL: nb_queues 0, more than the port's RX queues, or
 *     udp_base_port + nb_queues - 1 beyond 65535;
 *   -ENODEV: port_id is not a valid port;
 *   -ENOTSUP: the device refused a rule (no rte_flow, or not this pattern);
 *     nothing is left installed and the caller steers in software;
 *   -ENOMEM: no memory for the rule handles.
 *   err (when not NULL) says why on failure.
 */
int lw_port_steer(uint16_t port_id, uint16_t udp_base_port, uint16_t nb_queues,
		  char *err, size_t errlen);

/**
 * Flush the port's flow rules, stop it and close it, which releases the
 * ethdev (port_id becomes invalid and may be reused by a new port); a vdev
 * (net_ring, net_memif...) left without ports is also removed from the vdev
 * bus, so a device of the same name can be created again. Safe on a port
 * never set up, and a no-op on an invalid port id.
 */
void lw_port_close(uint16_t port_id);

/* --- ring pairs (one process) ---------------------------------------------- */

/**
 * Two ethdevs "net_ring_<name>_a" and "net_ring_<name>_b" joined by rings:
 * what A sends on TX queue q arrives on B's RX queue q, and the other way
 * round. The rings are single-producer single-consumer: one thread per
 * queue on each side. Set up each port with lw_port_setup; release with
 * lw_port_ring_pair_free.
 * socket: NUMA socket of the rings and ethdevs; < 0 for SOCKET_ID_ANY.
 * @return 0 and *a, *b set;
 *   -EINVAL: name, a or b NULL, name empty, nb_queues 0 or above
 *     LW_PORT_RING_MAX_QUEUES;
 *   -ENAMETOOLONG: name longer than LW_PORT_RING_NAME_MAX;
 *   -EEXIST: a pair (or its rings, or an ethdev) of that name exists;
 *   -ENOMEM: no memory for a ring or an ethdev.
 *   On failure nothing stays created.
 */
int lw_port_ring_pair(const char *name, uint16_t nb_queues, int socket,
		      uint16_t *a, uint16_t *b);

/** The rings in the middle of a split pair; index by queue. */
struct lw_port_ring_tap {
	struct rte_ring *a_tx[LW_PORT_RING_MAX_QUEUES];  /* A sends on TX q: lands here */
	struct rte_ring *b_rx[LW_PORT_RING_MAX_QUEUES];  /* B receives on RX q from here */
	struct rte_ring *b_tx[LW_PORT_RING_MAX_QUEUES];  /* B sends on TX q: lands here */
	struct rte_ring *a_rx[LW_PORT_RING_MAX_QUEUES];  /* A receives on RX q from here */
	uint16_t nb_queues;
};

/**
 * As lw_port_ring_pair, but nothing crosses by itself: the frames A sends
 * on TX queue q wait in t->a_tx[q] and B receives only what is put in
 * t->b_rx[q] (symmetrically b_tx -> a_rx). The party in the middle moves,
 * drops (rte_pktmbuf_free), duplicates (rte_pktmbuf_copy) or reorders the
 * mbufs, one thread per ring. Rings hold LW_PORT_RING_SIZE - 1 mbufs.
 * @return as lw_port_ring_pair; -EINVAL also when t is NULL.
 */
int lw_port_ring_pair_split(const char *name, uint16_t nb_queues, int socket,
			    uint16_t *a, uint16_t *b, struct lw_port_ring_tap *t);

/**
 * Release the pair called name (plain or split): close both ports if they
 * are still open, remove their vdevs, free the mbufs still in the rings and
 * the rings. Call before freeing the mempool the frames came from. Safe to
 * call twice, or for a name that was never made.
 */
void lw_port_ring_pair_free(const char *name);

#endif /* LW_PORT_H */
