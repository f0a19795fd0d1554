/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.c — ethdev port set-up, rte_flow steering and ring pairs (see port.h).
 *
 * DESIGN
 * lw_port_setup is a linear script: check the arguments, read the device's
 * limits, stop the port if this module started it, configure, adjust the
 * descriptor counts, set up each RX then TX queue, promiscuous mode, start,
 * read back MAC and MTU, then (optionally) steer. The first step that fails
 * writes one line to err and returns its -errno; nothing is undone because
 * a stopped, configured port is harmless and lw_port_close releases it.
 *
 * Closing releases the ethdev (DPDK 22.11 frees the port on close); for a
 * vdev the device itself is then removed from the vdev bus as well, so the
 * same name can be created again (a ring pair, or rte_dev_probe of a memif).
 *
 * Ring pairs are built with rte_eth_from_rings from rings this file creates
 * and names after the pair ("<name>_ab<q>", "<name>_atx<q>"...): the
 * ethdevs only attach to them, so freeing looks the rings up by name, and
 * no table of pairs is kept.
 *
 * State: started[] remembers which ports this file started, so that
 * setting up a running port again stops it first, while a fresh one is not
 * stopped (which DPDK would log). Control lcore only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "port.h"

RTE_LOG_REGISTER(lw_logtype_pktio, lockwire.pktio, INFO);

#define PORT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, lw_logtype_pktio, "pktio: " fmt "\n", ##__VA_ARGS__)

#define LINK_POLL_MS 10u

static bool started[RTE_MAX_ETHPORTS];

/* ---------------------------------------------------------------------- */

/* Write "port N (name): <fmt>" to err (when err is not NULL). */
static void __rte_format_printf(4, 5)
port_err(char *err, size_t errlen, uint16_t port_id, const char *fmt, ...)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return;
	if (rte_eth_dev_is_valid_port(port_id) &&
	    rte_eth_dev_get_name_by_port(port_id, name) == 0)
		n = snprintf(err, errlen, "port %u (%s): ", port_id, name);
	else
		n = snprintf(err, errlen, "port %u: ", port_id);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void
err_clear(char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
}

int
lw_port_by_name(const char *name, uint16_t *port_id)
{
	uint16_t id;

	if (name == NULL || port_id == NULL)
		return -EINVAL;
	if (rte_eth_dev_get_port_by_name(name, &id) != 0)
		return -ENODEV;
	*port_id = id;
	return 0;
}

/* --- set-up ---------------------------------------------------------------- */

/* The MTU to ask for: LW_PORT_MTU unless the device allows less. */
static uint16_t
mtu_for(const struct rte_eth_dev_info *di)
{
	uint16_t mtu = LW_PORT_MTU;

	if (di->max_mtu != 0 && di->max_mtu < mtu)
		mtu = di->max_mtu;
	if (mtu < di->min_mtu)
		mtu = di->min_mtu;
	return mtu;
}

/* Check c and fill the parts of info that need no configuration. */
static int
setup_check(const struct lw_port_conf *c, struct lw_port_info *info,
	    struct rte_eth_dev_info *di, char *err, size_t errlen)
{
	uint16_t p = c->port_id;
	int rc, s;

	if (!rte_eth_dev_is_valid_port(p)) {
		port_err(err, errlen, p, "no such port");
		return -ENODEV;
	}
	if (c->nb_queues == 0) {
		port_err(err, errlen, p, "no queues wanted");
		return -EINVAL;
	}
	if (c->pool == NULL) {
		port_err(err, errlen, p, "no mempool for RX buffers");
		return -EINVAL;
	}
	if (rte_pktmbuf_data_room_size(c->pool) < RTE_PKTMBUF_HEADROOM + RTE_ETHER_MAX_LEN) {
		port_err(err, errlen, p, "mempool %s: buffers of %u bytes cannot hold a %u-byte frame",
			 c->pool->name, rte_pktmbuf_data_room_size(c->pool), RTE_ETHER_MAX_LEN);
		return -EINVAL;
	}
	if (c->udp_base_port != 0 && (uint32_t)c->udp_base_port + c->nb_queues - 1 > UINT16_MAX) {
		port_err(err, errlen, p, "UDP ports %u + %u queues go beyond 65535",
			 c->udp_base_port, c->nb_queues);
		return -EINVAL;
	}
	rc = rte_eth_dev_info_get(p, di);
	if (rc != 0) {
		port_err(err, errlen, p, "rte_eth_dev_info_get: %s", strerror(-rc));
		return rc;
	}
	memset(info, 0, sizeof(*info));
	info->port_id = p;
	rte_eth_dev_get_name_by_port(p, info->name);
	snprintf(info->driver, sizeof(info->driver), "%s",
		 di->driver_name != NULL ? di->driver_name : "?");
	s = rte_eth_dev_socket_id(p);
	info->socket = s < 0 ? 0 : s;
	info->nb_queues = c->nb_queues;
	if (di->max_rx_queues < info->nb_queues)
		info->nb_queues = di->max_rx_queues;
	if (di->max_tx_queues < info->nb_queues)
		info->nb_queues = di->max_tx_queues;
	if (info->nb_queues == 0) {
		port_err(err, errlen, p, "the device has no RX or TX queue");
		return -EINVAL;
	}
	if (info->nb_queues < c->nb_queues)
		PORT_LOG(INFO, "port %u (%s): %u queues wanted, the device allows %u",
			 p, info->name, c->nb_queues, info->nb_queues);
	return 0;
}

/* Stop a port this file started (flushing its rules), then configure it. */
static int
setup_configure(const struct lw_port_conf *c, const struct rte_eth_dev_info *di,
		struct lw_port_info *info, char *err, size_t errlen)
{
	uint16_t p = c->port_id;
	struct rte_eth_conf conf;
	struct rte_flow_error fe;
	int rc;

	if (started[p]) {
		rte_flow_flush(p, &fe);
		rc = rte_eth_dev_stop(p);
		if (rc != 0) {
			port_err(err, errlen, p, "rte_eth_dev_stop: %s", strerror(-rc));
			return rc;
		}
		started[p] = false;
	}
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	conf.rxmode.mtu = mtu_for(di);
	conf.txmode.mq_mode = RTE_ETH_MQ_TX_NONE;
	rc = rte_eth_dev_configure(p, info->nb_queues, info->nb_queues, &conf);
	if (rc != 0) {
		port_err(err, errlen, p, "rte_eth_dev_configure %u queues, MTU %u: %s",
			 info->nb_queues, conf.rxmode.mtu, strerror(-rc));
		return rc;
	}
	info->nb_rxd = c->nb_rxd != 0 ? c->nb_rxd : LW_PORT_DEF_RXD;
	info->nb_txd = c->nb_txd != 0 ? c->nb_txd : LW_PORT_DEF_TXD;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p, &info->nb_rxd, &info->nb_txd);
	if (rc != 0) {
		port_err(err, errlen, p, "rte_eth_dev_adjust_nb_rx_tx_desc: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

/* Set up every RX queue then every TX queue on the port's socket. */
static int
setup_queues(const struct lw_port_conf *c, const struct lw_port_info *info,
	     char *err, size_t errlen)
{
	uint16_t p = c->port_id;
	int s = rte_eth_dev_socket_id(p);
	unsigned int socket = s < 0 ? (unsigned int)SOCKET_ID_ANY : (unsigned int)s;
	int rc;

	for (uint16_t q = 0; q < info->nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(p, q, info->nb_rxd, socket, NULL, c->pool);
		if (rc != 0) {
			port_err(err, errlen, p, "rte_eth_rx_queue_setup queue %u: %s",
				 q, strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < info->nb_queues; q++) {
		rc = rte_eth_tx_queue_setup(p, q, info->nb_txd, socket, NULL);
		if (rc != 0) {
			port_err(err, errlen, p, "rte_eth_tx_queue_setup queue %u: %s",
				 q, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* Promiscuous mode, start, then MAC, MTU and steering into info. */
static int
setup_start(const struct lw_port_conf *c, struct lw_port_info *info,
	    char *err, size_t errlen)
{
	uint16_t p = c->port_id;
	uint16_t mtu = 0;
	int rc;

	if (c->promisc) {
		rc = rte_eth_promiscuous_enable(p);
		if (rc != 0)
			PORT_LOG(INFO, "port %u (%s): no promiscuous mode: %s",
				 p, info->name, strerror(-rc));
	}
	rc = rte_eth_dev_start(p);
	if (rc != 0) {
		port_err(err, errlen, p, "rte_eth_dev_start: %s", strerror(-rc));
		return rc;
	}
	started[p] = true;
	info->promisc = rte_eth_promiscuous_get(p) == 1;
	rc = rte_eth_macaddr_get(p, &info->mac);
	if (rc != 0)
		memset(&info->mac, 0, sizeof(info->mac));
	if (rte_eth_dev_get_mtu(p, &mtu) == 0)
		info->mtu = mtu;
	if (c->udp_base_port != 0) {
		char why[160];

		rc = lw_port_steer(p, c->udp_base_port, info->nb_queues, why, sizeof(why));
		info->steered = rc == 0;
		if (rc != 0)
			PORT_LOG(INFO, "%s; frames are handed to their workers in software", why);
	}
	return 0;
}

int
lw_port_setup(const struct lw_port_conf *c, struct lw_port_info *info,
	      char *err, size_t errlen)
{
	struct rte_eth_dev_info di;
	int rc;

	err_clear(err, errlen);
	if (c == NULL || info == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "lw_port_setup: no %s",
				 c == NULL ? "configuration" : "info to fill");
		return -EINVAL;
	}
	rc = setup_check(c, info, &di, err, errlen);
	if (rc == 0)
		rc = setup_configure(c, &di, info, err, errlen);
	if (rc == 0)
		rc = setup_queues(c, info, err, errlen);
	if (rc == 0)
		rc = setup_start(c, info, err, errlen);
	if (rc == 0)
		PORT_LOG(DEBUG, "port %u (%s, %s): %u queues, %u/%u descriptors, MTU %u, socket %d",
			 c->port_id, info->name, info->driver, info->nb_queues,
			 info->nb_rxd, info->nb_txd, info->mtu, info->socket);
	return rc;
}

int
lw_port_wait_link(uint16_t port_id, unsigned int timeout_ms)
{
	struct rte_eth_link link;
	unsigned int waited = 0;
	int rc;

	if (!rte_eth_dev_is_valid_port(port_id))
		return -ENODEV;
	for (;;) {
		memset(&link, 0, sizeof(link));
		rc = rte_eth_link_get_nowait(port_id, &link);
		if (rc != 0)
			return rc;
		if (link.link_status == RTE_ETH_LINK_UP)
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		rte_delay_us_sleep(LINK_POLL_MS * 1000u);
		waited += LINK_POLL_MS;
	}
}

/* --- steering -------------------------------------------------------------- */

/* Validate then create the rule UDP dst == udp_port -> queue q. */
static int
steer_one(uint16_t port_id, uint16_t udp_port, uint16_t q, struct rte_flow **flow,
	  char *err, size_t errlen)
{
	const struct rte_flow_attr attr = { .ingress = 1 };
	const struct rte_flow_item_udp spec = { .hdr.dst_port = rte_cpu_to_be_16(udp_port) };
	const struct rte_flow_item_udp mask = { .hdr.dst_port = RTE_BE16(0xffff) };
	const struct rte_flow_item pattern[] = {
		{ .type = RTE_FLOW_ITEM_TYPE_ETH },
		{ .type = RTE_FLOW_ITEM_TYPE_IPV4 },
		{ .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &spec, .mask = &mask },
		{ .type = RTE_FLOW_ITEM_TYPE_END },
	};
	const struct rte_flow_action_queue queue = { .index = q };
	const struct rte_flow_action actions[] = {
		{ .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &queue },
		{ .type = RTE_FLOW_ACTION_TYPE_END },
	};
	struct rte_flow_error fe;
	const char *step = "rte_flow_validate";
	int rc;

	memset(&fe, 0, sizeof(fe));
	rc = rte_flow_validate(port_id, &attr, pattern, actions, &fe);
	if (rc == 0) {
		step = "rte_flow_create";
		*flow = rte_flow_create(port_id, &attr, pattern, actions, &fe);
		rc = *flow != NULL ? 0 : -(rte_errno != 0 ? rte_errno : ENOTSUP);
	}
	if (rc != 0 && (fe.message == NULL || strcmp(fe.message, strerror(-rc)) == 0))
		port_err(err, errlen, port_id, "%s UDP port %u -> queue %u: %s", step,
			 udp_port, q, strerror(-rc));
	else if (rc != 0)
		port_err(err, errlen, port_id, "%s UDP port %u -> queue %u: %s (%s)", step,
			 udp_port, q, fe.message, strerror(-rc));
	return rc;
}

int
lw_port_steer(uint16_t port_id, uint16_t udp_base_port, uint16_t nb_queues,
	      char *err, size_t errlen)
{
	struct rte_eth_dev_info di;
	struct rte_flow_error fe;
	struct rte_flow **flows;
	uint16_t q;
	int rc;

	err_clear(err, errlen);
	if (!rte_eth_dev_is_valid_port(port_id)) {
		port_err(err, errlen, port_id, "no such port");
		return -ENODEV;
	}
	if (nb_queues == 0 || (uint32_t)udp_base_port + nb_queues - 1 > UINT16_MAX) {
		port_err(err, errlen, port_id, "cannot steer UDP ports %u + %u queues",
			 udp_base_port, nb_queues);
		return -EINVAL;
	}
	rc = rte_eth_dev_info_get(port_id, &di);
	if (rc != 0) {
		port_err(err, errlen, port_id, "rte_eth_dev_info_get: %s", strerror(-rc));
		return -ENOTSUP;
	}
	if (nb_queues > di.nb_rx_queues) {
		port_err(err, errlen, port_id, "cannot steer to %u queues: %u RX queues configured",
			 nb_queues, di.nb_rx_queues);
		return -EINVAL;
	}
	flows = calloc(nb_queues, sizeof(*flows));
	if (flows == NULL) {
		port_err(err, errlen, port_id, "no memory for %u flow handles", nb_queues);
		return -ENOMEM;
	}
	for (q = 0; q < nb_queues; q++)
		if (steer_one(port_id, (uint16_t)(udp_base_port + q), q, &flows[q], err, errlen) != 0)
			break;
	if (q < nb_queues) {
		while (q-- > 0)
			rte_flow_destroy(port_id, flows[q], &fe);
		free(flows);
		return -ENOTSUP;
	}
	free(flows);
	return 0;
}

/* --- close ----------------------------------------------------------------- */

/* true when dev sits on the vdev bus and no ethdev port uses it any more. */
static bool
vdev_unused(const struct rte_device *dev)
{
	const struct rte_bus *bus = dev != NULL ? rte_dev_bus(dev) : NULL;
	uint16_t p;

	if (bus == NULL || strcmp(rte_bus_name(bus), "vdev") != 0)
		return false;
	RTE_ETH_FOREACH_DEV_OF(p, dev)
		return false;
	return true;
}

void
lw_port_close(uint16_t port_id)
{
	struct rte_eth_dev_info di;
	struct rte_device *dev = NULL;
	struct rte_flow_error fe;
	int rc;

	if (!rte_eth_dev_is_valid_port(port_id))
		return;
	if (rte_eth_dev_info_get(port_id, &di) == 0)
		dev = di.device;
	rte_flow_flush(port_id, &fe);
	/* Stop even when this file did not start it: a started port cannot be closed. */
	rc = rte_eth_dev_stop(port_id);
	if (rc != 0)
		PORT_LOG(WARNING, "port %u: rte_eth_dev_stop: %s", port_id, strerror(-rc));
	started[port_id] = false;
	rc = rte_eth_dev_close(port_id);
	if (rc != 0)
		PORT_LOG(WARNING, "port %u: rte_eth_dev_close: %s", port_id, strerror(-rc));
	if (vdev_unused(dev)) {
		rc = rte_dev_remove(dev);
		if (rc != 0)
			PORT_LOG(WARNING, "port %u: rte_dev_remove: %s", port_id, strerror(-rc));
	}
}

/* --- ring pairs ------------------------------------------------------------ */

/* Ring tags: plain pair (ab: A->B, ba: B->A), split pair (four sets). */
static const char *const ring_tags[] = { "ab", "ba", "atx", "brx", "btx", "arx" };
#define NTAGS (sizeof(ring_tags) / sizeof(ring_tags[0]))

static int
ring_name(char *buf, size_t len, const char *pair, const char *tag, unsigned int q)
{
	int n = snprintf(buf, len, "%s_%s%u", pair, tag, q);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void
dev_name(char *buf, size_t len, const char *pair, char side)
{
	snprintf(buf, len, "net_ring_%s_%c", pair, side);
}

/* Check a pair name and that nothing of that name exists. */
static int
pair_check(const char *name, uint16_t nb_queues, const uint16_t *a, const uint16_t *b)
{
	char rn[RTE_RING_NAMESIZE], dn[RTE_ETH_NAME_MAX_LEN];
	uint16_t p;

	if (name == NULL || name[0] == '\0' || a == NULL || b == NULL ||
	    nb_queues == 0 || nb_queues > LW_PORT_RING_MAX_QUEUES)
		return -EINVAL;
	if (strlen(name) > LW_PORT_RING_NAME_MAX)
		return -ENAMETOOLONG;
	for (unsigned int t = 0; t < NTAGS; t++)
		for (unsigned int q = 0; q < LW_PORT_RING_MAX_QUEUES; q++) {
			if (ring_name(rn, sizeof(rn), name, ring_tags[t], q) != 0)
				return -ENAMETOOLONG;
			if (rte_ring_lookup(rn) != NULL)
				return -EEXIST;
		}
	dev_name(dn, sizeof(dn), name, 'a');
	if (rte_eth_dev_get_port_by_name(dn, &p) == 0)
		return -EEXIST;
	dev_name(dn, sizeof(dn), name, 'b');
	if (rte_eth_dev_get_port_by_name(dn, &p) == 0)
		return -EEXIST;
	return 0;
}

/* Create rings "<name>_<tag><q>" for q < n into r[]. */
static int
rings_make(const char *name, const char *tag, uint16_t n, int socket, struct rte_ring **r)
{
	char rn[RTE_RING_NAMESIZE];

	for (uint16_t q = 0; q < n; q++) {
		ring_name(rn, sizeof(rn), name, tag, q);
		r[q] = rte_ring_create(rn, LW_PORT_RING_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (r[q] == NULL)
			return rte_errno == EEXIST ? -EEXIST : -ENOMEM;
	}
	return 0;
}

/* The ethdev "net_ring_<name>_<side>" on rings rx[] and tx[]. */
static int
pair_dev(const char *name, char side, uint16_t n, int socket, struct rte_ring *const *rx,
	 struct rte_ring *const *tx, uint16_t *port_id)
{
	char dn[RTE_ETH_NAME_MAX_LEN];
	unsigned int node = socket < 0 ? (unsigned int)SOCKET_ID_ANY : (unsigned int)socket;
	int p;

	snprintf(dn, sizeof(dn), "%s_%c", name, side);
	p = rte_eth_from_rings(dn, rx, n, tx, n, node);
	if (p < 0 || p >= RTE_MAX_ETHPORTS)
		return -ENOMEM;
	*port_id = (uint16_t)p;
	return 0;
}

/* Make the rings of a pair (split or not) and both ethdevs. */
static int
pair_make(const char *name, uint16_t n, int socket, uint16_t *a, uint16_t *b,
	  struct lw_port_ring_tap *t)
{
	struct lw_port_ring_tap own;
	int rc;

	rc = pair_check(name, n, a, b);
	if (rc != 0)
		return rc;
	if (t == NULL)
		t = &own;
	memset(t, 0, sizeof(*t));
	t->nb_queues = n;
	if (t == &own) {
		/* A's TX ring is B's RX ring, and the other way round. */
		rc = rings_make(name, "ab", n, socket, t->a_tx);
		if (rc == 0)
			rc = rings_make(name, "ba", n, socket, t->b_tx);
		memcpy(t->b_rx, t->a_tx, sizeof(t->b_rx));
		memcpy(t->a_rx, t->b_tx, sizeof(t->a_rx));
	} else {
		rc = rings_make(name, "atx", n, socket, t->a_tx);
		if (rc == 0)
			rc = rings_make(name, "brx", n, socket, t->b_rx);
		if (rc == 0)
			rc = rings_make(name, "btx", n, socket, t->b_tx);
		if (rc == 0)
			rc = rings_make(name, "arx", n, socket, t->a_rx);
	}
	if (rc == 0)
		rc = pair_dev(name, 'a', n, socket, t->a_rx, t->a_tx, a);
	if (rc == 0)
		rc = pair_dev(name, 'b', n, socket, t->b_rx, t->b_tx, b);
	if (rc != 0) {
		lw_port_ring_pair_free(name);
		if (t != &own)
			memset(t, 0, sizeof(*t));
	}
	return rc;
}

int
lw_port_ring_pair(const char *name, uint16_t nb_queues, int socket, uint16_t *a, uint16_t *b)
{
	return pair_make(name, nb_queues, socket, a, b, NULL);
}

int
lw_port_ring_pair_split(const char *name, uint16_t nb_queues, int socket,
			uint16_t *a, uint16_t *b, struct lw_port_ring_tap *t)
{
	if (t == NULL)
		return -EINVAL;
	return pair_make(name, nb_queues, socket, a, b, t);
}

/* Free the mbufs left in r, then r. */
static void
ring_drain_free(struct rte_ring *r)
{
	void *objs[32];
	unsigned int n;

	while ((n = rte_ring_dequeue_burst(r, objs, RTE_DIM(objs), NULL)) > 0)
		rte_pktmbuf_free_bulk((struct rte_mbuf **)objs, n);
	rte_ring_free(r);
}

void
lw_port_ring_pair_free(const char *name)
{
	char rn[RTE_RING_NAMESIZE], dn[RTE_ETH_NAME_MAX_LEN];
	struct rte_ring *r;
	uint16_t p;

	if (name == NULL || name[0] == '\0' || strlen(name) > LW_PORT_RING_NAME_MAX)
		return;
	dev_name(dn, sizeof(dn), name, 'a');
	if (rte_eth_dev_get_port_by_name(dn, &p) == 0)
		lw_port_close(p);
	dev_name(dn, sizeof(dn), name, 'b');
	if (rte_eth_dev_get_port_by_name(dn, &p) == 0)
		lw_port_close(p);
	for (unsigned int t = 0; t < NTAGS; t++)
		for (unsigned int q = 0; q < LW_PORT_RING_MAX_QUEUES; q++) {
			if (ring_name(rn, sizeof(rn), name, ring_tags[t], q) != 0)
				continue;
			r = rte_ring_lookup(rn);
			if (r != NULL)
				ring_drain_free(r);
		}
}
