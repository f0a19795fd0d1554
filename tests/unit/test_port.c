/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_port.c — pktio/port.h: port set-up, steering refusal, link wait,
 * close, and the net_ring pairs (plain and split).
 *
 * DESIGN
 * Every test makes its own ring pair under a unique name, sends lockwire
 * frames (lw_frame_build, dst worker = queue) through it and checks where
 * and how they arrive: same bytes, on the same queue number on the other
 * side, nowhere else. net_ring moves mbufs synchronously, so a frame sent
 * is receivable at once: no waiting, no timing. Each test ends by freeing
 * its pair and checking that every mbuf went back to the pool (nothing
 * leaks through the rings, nothing is freed twice).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "lwt.h"
#include "lwt_ev.h"
#include "frame.h"
#include "port.h"

#define POOL_N     1023u
#define BASE_PORT  7400
#define BURST      32

static struct rte_mempool *pool;

static const struct lw_frame_addr A_ADDR = {
	.mac = { 0x02, 0, 0, 0, 0, 0x0a }, .base_port = BASE_PORT,
	.ipv4 = 0x0a000001, .node = 1,
};
static const struct lw_frame_addr B_ADDR = {
	.mac = { 0x02, 0, 0, 0, 0, 0x0b }, .base_port = BASE_PORT,
	.ipv4 = 0x0a000002, .node = 2,
};

/* The frame for queue q with tag: A -> B, worker q to worker q, seq = tag. */
static int
frame_bytes(uint8_t *buf, size_t cap, uint16_t q, uint32_t tag)
{
	struct lw_frame_addr s = A_ADDR, d = B_ADDR;
	struct lw_msg m;

	memset(&m, 0, sizeof(m));
	m.h.version = LW_PROTO_VERSION;
	m.h.type = LW_MSG_REQUEST;
	m.h.len = sizeof(struct lw_msg);
	m.seq = tag;
	m.namelen = 4;
	memcpy(m.name, "res", 4);
	s.worker = (uint8_t)q;
	d.worker = (uint8_t)q;
	return lw_frame_build(buf, cap, &s, &d, 1, 1, tag, 0, 0, &m, 1);
}

/* An mbuf holding frame_bytes(q, tag); NULL on failure (asserted). */
static struct rte_mbuf *
frame_mbuf(uint16_t q, uint32_t tag)
{
	uint8_t buf[LW_FRAME_LEN(1)];
	struct rte_mbuf *m;
	int len = frame_bytes(buf, sizeof(buf), q, tag);
	char *data;

	CU_ASSERT_EQUAL_FATAL(len, LW_FRAME_MIN_LEN + 64);   /* 56 + a 4-byte name, on the wire */
	m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	data = rte_pktmbuf_append(m, (uint16_t)len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	memcpy(data, buf, (size_t)len);
	return m;
}

/* Send the frame (q, tag) on port's TX queue q; returns frames sent. */
static int
send_frame(uint16_t port, uint16_t q, uint32_t tag)
{
	struct rte_mbuf *m = frame_mbuf(q, tag);
	uint16_t n = rte_eth_tx_burst(port, q, &m, 1);

	if (n == 0)
		rte_pktmbuf_free(m);
	return n;
}

/* true when m holds exactly the bytes of frame (q, tag). */
static bool
frame_is(const struct rte_mbuf *m, uint16_t q, uint32_t tag)
{
	uint8_t want[LW_FRAME_LEN(1)];
	int len = frame_bytes(want, sizeof(want), q, tag);

	return m->nb_segs == 1 && (int)m->pkt_len == len && (int)m->data_len == len &&
	       memcmp(rte_pktmbuf_mtod(m, const void *), want, (size_t)len) == 0;
}

/* Receive the next frame on port's RX queue q and check it is (q, tag). */
static void
expect_frame_at(uint16_t port, uint16_t q, uint32_t tag, int line)
{
	struct rte_mbuf *m = NULL;
	uint16_t n = rte_eth_rx_burst(port, q, &m, 1);

	lwt_check_at(n == 1, line, __FILE__, "port %u queue %u: no frame, want %u", port, q, tag);
	if (n == 1)
		lwt_check_at(frame_is(m, q, tag), line, __FILE__,
			     "port %u queue %u: not frame %u", port, q, tag);
	rte_pktmbuf_free(m);
}
#define expect_frame(port, q, tag) expect_frame_at(port, q, tag, __LINE__)

/* Frames waiting on every RX queue of port (received and freed). */
static unsigned int
drain(uint16_t port, uint16_t nb_queues)
{
	struct rte_mbuf *m[BURST];
	unsigned int total = 0;
	uint16_t n;

	for (uint16_t q = 0; q < nb_queues; q++)
		while ((n = rte_eth_rx_burst(port, q, m, BURST)) > 0) {
			total += n;
			rte_pktmbuf_free_bulk(m, n);
		}
	return total;
}

static struct lw_port_conf
conf_of(uint16_t port, uint16_t nb_queues)
{
	struct lw_port_conf c = {
		.port_id = port, .nb_queues = nb_queues, .pool = pool, .promisc = 1,
	};

	return c;
}

/* Set up port with nb_queues; asserts success. */
static void
setup_ok_at(uint16_t port, uint16_t nb_queues, struct lw_port_info *info, int line)
{
	struct lw_port_conf c = conf_of(port, nb_queues);
	char err[256];
	int rc = lw_port_setup(&c, info, err, sizeof(err));

	lwt_check_at(rc == 0, line, __FILE__, "setup port %u: %d: %s", port, rc, err);
}
#define setup_ok(port, nq, info) setup_ok_at(port, nq, info, __LINE__)

/* Free the pair and check that every mbuf is back in the pool. */
static void
pair_done(const char *name)
{
	lw_port_ring_pair_free(name);
	LWT_CHECK(rte_mempool_avail_count(pool) == POOL_N, "%s: %u mbufs in the pool, want %u",
		  name, rte_mempool_avail_count(pool), POOL_N);
}

/* Send (q, tag) from src on every queue and check dst receives each on q alone. */
static void
check_all_queues(uint16_t src, uint16_t dst, uint16_t nb_queues, uint32_t tag)
{
	for (uint16_t q = 0; q < nb_queues; q++) {
		CU_ASSERT_EQUAL(send_frame(src, q, tag + q), 1);
		expect_frame(dst, q, tag + q);
		/* ...and on no other queue of either side. */
		CU_ASSERT_EQUAL(drain(dst, nb_queues), 0);
		CU_ASSERT_EQUAL(drain(src, nb_queues), 0);
	}
}

/* --- tests ------------------------------------------------------------------ */

static void
test_pair_1q(void)
{
	struct lw_port_info ia, ib;
	uint16_t a = UINT16_MAX, b = UINT16_MAX;

	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("p1", 1, 0, &a, &b), 0);
	CU_ASSERT_NOT_EQUAL(a, b);
	CU_ASSERT(rte_eth_dev_is_valid_port(a));
	CU_ASSERT(rte_eth_dev_is_valid_port(b));
	setup_ok(a, 1, &ia);
	setup_ok(b, 1, &ib);
	CU_ASSERT_EQUAL(ia.port_id, a);
	CU_ASSERT_EQUAL(ia.nb_queues, 1);
	CU_ASSERT_STRING_EQUAL(ia.name, "net_ring_p1_a");
	CU_ASSERT_STRING_EQUAL(ib.name, "net_ring_p1_b");
	CU_ASSERT_STRING_EQUAL(ia.driver, "net_ring");
	CU_ASSERT(ia.socket >= 0);
	CU_ASSERT_EQUAL(ia.mtu, LW_PORT_MTU);
	CU_ASSERT(ia.nb_rxd > 0 && ia.nb_txd > 0);
	CU_ASSERT_EQUAL(ia.steered, 0);
	CU_ASSERT_EQUAL(ia.promisc, rte_eth_promiscuous_get(a) == 1);

	/* A -> B and B -> A, same bytes, several frames in order. */
	for (uint32_t i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(send_frame(a, 0, 100 + i), 1);
	for (uint32_t i = 0; i < 3; i++)
		expect_frame(b, 0, 100 + i);
	CU_ASSERT_EQUAL(send_frame(b, 0, 200), 1);
	expect_frame(a, 0, 200);
	CU_ASSERT_EQUAL(drain(a, 1) + drain(b, 1), 0);
	pair_done("p1");
	CU_ASSERT(!rte_eth_dev_is_valid_port(a));
	CU_ASSERT(!rte_eth_dev_is_valid_port(b));
}

static void
test_pair_4q(void)
{
	struct lw_port_info ia, ib;
	uint16_t a, b;

	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("p4", 4, SOCKET_ID_ANY, &a, &b), 0);
	setup_ok(a, 4, &ia);
	setup_ok(b, 4, &ib);
	CU_ASSERT_EQUAL(ia.nb_queues, 4);
	CU_ASSERT_EQUAL(ib.nb_queues, 4);
	CU_ASSERT_EQUAL(ia.socket, 0);   /* SOCKET_ID_ANY reads as 0 */
	check_all_queues(a, b, 4, 1000);
	check_all_queues(b, a, 4, 2000);

	/* Every queue at once: each frame lands on its own queue number. */
	for (uint16_t q = 0; q < 4; q++)
		CU_ASSERT_EQUAL(send_frame(a, q, 3000 + q), 1);
	for (uint16_t q = 0; q < 4; q++)
		expect_frame(b, q, 3000 + q);

	/* Frames left in the rings are freed with the pair. */
	for (uint16_t q = 0; q < 4; q++) {
		CU_ASSERT_EQUAL(send_frame(a, q, 4000 + q), 1);
		CU_ASSERT_EQUAL(send_frame(b, q, 5000 + q), 1);
	}
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N - 8);
	pair_done("p4");
}

static void
test_clamp(void)
{
	struct rte_eth_dev_info di;
	struct lw_port_info ia, ib;
	uint16_t a, b;

	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("clamp", 2, 0, &a, &b), 0);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_info_get(a, &di), 0);
	CU_ASSERT_EQUAL(di.max_rx_queues, 2);
	CU_ASSERT_EQUAL(di.max_tx_queues, 2);
	setup_ok(a, 4, &ia);
	setup_ok(b, 8, &ib);
	CU_ASSERT_EQUAL(ia.nb_queues, 2);
	CU_ASSERT_EQUAL(ib.nb_queues, 2);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_info_get(a, &di), 0);
	CU_ASSERT_EQUAL(di.nb_rx_queues, 2);
	CU_ASSERT_EQUAL(di.nb_tx_queues, 2);
	check_all_queues(a, b, 2, 10);
	pair_done("clamp");

	/* Fewer wanted than the device has: only those are configured. */
	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("fewer", 4, 0, &a, &b), 0);
	setup_ok(a, 3, &ia);
	CU_ASSERT_EQUAL(ia.nb_queues, 3);
	CU_ASSERT_EQUAL_FATAL(rte_eth_dev_info_get(a, &di), 0);
	CU_ASSERT_EQUAL(di.nb_rx_queues, 3);
	pair_done("fewer");
}

static void
test_by_name(void)
{
	uint16_t a, b, p = UINT16_MAX;

	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("byname", 1, 0, &a, &b), 0);
	CU_ASSERT_EQUAL(lw_port_by_name("net_ring_byname_a", &p), 0);
	CU_ASSERT_EQUAL(p, a);
	CU_ASSERT_EQUAL(lw_port_by_name("net_ring_byname_b", &p), 0);
	CU_ASSERT_EQUAL(p, b);
	p = 77;
	CU_ASSERT_EQUAL(lw_port_by_name("net_memif_nothere", &p), -ENODEV);
	CU_ASSERT_EQUAL(p, 77);                        /* untouched on failure */
	CU_ASSERT_EQUAL(lw_port_by_name("", &p), -ENODEV);
	CU_ASSERT_EQUAL(lw_port_by_name(NULL, &p), -EINVAL);
	CU_ASSERT_EQUAL(lw_port_by_name("net_ring_byname_a", NULL), -EINVAL);
	pair_done("byname");
	CU_ASSERT_EQUAL(lw_port_by_name("net_ring_byname_a", &p), -ENODEV);
}

static void
test_steer_ring(void)
{
	struct lw_port_info ia, ib;
	struct lw_port_conf c;
	char err[256];
	uint16_t a, b;

	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("steer", 2, 0, &a, &b), 0);
	setup_ok(a, 2, &ia);
	setup_ok(b, 2, &ib);
	err[0] = '\0';
	CU_ASSERT_EQUAL(lw_port_steer(b, BASE_PORT, 2, err, sizeof(err)), -ENOTSUP);
	LWT_CHECK(strstr(err, "net_ring_steer_b") != NULL && strstr(err, "rte_flow") != NULL,
		  "steer message: \"%s\"", err);
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	/* Argument errors are not refusals. */
	CU_ASSERT_EQUAL(lw_port_steer(b, BASE_PORT, 0, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(lw_port_steer(b, BASE_PORT, 3, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(lw_port_steer(b, 65535, 2, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(lw_port_steer(RTE_MAX_ETHPORTS, BASE_PORT, 1, err, sizeof(err)), -ENODEV);
	CU_ASSERT_EQUAL(lw_port_steer(b, BASE_PORT, 2, NULL, 0), -ENOTSUP);
	/* The port still works. */
	check_all_queues(a, b, 2, 50);
	check_all_queues(b, a, 2, 60);

	/* Steering asked for in the conf: set-up succeeds, not steered. */
	c = conf_of(b, 2);
	c.udp_base_port = BASE_PORT;
	CU_ASSERT_EQUAL(lw_port_setup(&c, &ib, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ib.steered, 0);
	CU_ASSERT_EQUAL(ib.nb_queues, 2);
	check_all_queues(a, b, 2, 70);
	pair_done("steer");
}

static void
test_bad_setup(void)
{
	struct rte_mempool *small;
	struct lw_port_info info;
	struct lw_port_conf c;
	char err[256], want[64];
	uint16_t a, b;

	c = conf_of(RTE_MAX_ETHPORTS - 1, 1);
	CU_ASSERT_EQUAL(lw_port_setup(&c, &info, err, sizeof(err)), -ENODEV);
	snprintf(want, sizeof(want), "port %u: no such port", RTE_MAX_ETHPORTS - 1);
	LWT_CHECK(strcmp(err, want) == 0, "bad port message: \"%s\"", err);
	c.port_id = UINT16_MAX;
	CU_ASSERT_EQUAL(lw_port_setup(&c, &info, err, sizeof(err)), -ENODEV);
	CU_ASSERT(strncmp(err, "port 65535: ", 12) == 0);
	CU_ASSERT_EQUAL(lw_port_setup(&c, &info, NULL, 0), -ENODEV);
	CU_ASSERT_EQUAL(lw_port_setup(NULL, &info, err, sizeof(err)), -EINVAL);
	CU_ASSERT(err[0] != '\0');
	CU_ASSERT_EQUAL(lw_port_setup(&c, NULL, err, sizeof(err)), -EINVAL);

	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("bad", 1, 0, &a, &b), 0);
	c = conf_of(a, 1);
	c.pool = NULL;
	CU_ASSERT_EQUAL(lw_port_setup(&c, &info, err, sizeof(err)), -EINVAL);
	LWT_CHECK(strstr(err, "net_ring_bad_a") != NULL && strstr(err, "mempool") != NULL,
		  "no pool message: \"%s\"", err);
	c = conf_of(a, 0);
	CU_ASSERT_EQUAL(lw_port_setup(&c, &info, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "queues") != NULL);
	c = conf_of(a, 2);
	c.udp_base_port = 65535;
	CU_ASSERT_EQUAL(lw_port_setup(&c, &info, err, sizeof(err)), -EINVAL);
	CU_ASSERT(strstr(err, "65535") != NULL);

	/* Buffers too small for a 1518-byte frame. */
	small = rte_pktmbuf_pool_create("port_small", 63, 0, 0, RTE_PKTMBUF_HEADROOM + 512,
					SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(small);
	c = conf_of(a, 1);
	c.pool = small;
	CU_ASSERT_EQUAL(lw_port_setup(&c, &info, err, sizeof(err)), -EINVAL);
	LWT_CHECK(strstr(err, "port_small") != NULL, "small pool message: \"%s\"", err);
	rte_mempool_free(small);

	/* A port started by other code is not taken over. */
	{
		struct rte_eth_conf ec;

		memset(&ec, 0, sizeof(ec));
		CU_ASSERT_EQUAL_FATAL(rte_eth_dev_configure(b, 1, 1, &ec), 0);
		CU_ASSERT_EQUAL(rte_eth_rx_queue_setup(b, 0, 64, SOCKET_ID_ANY, NULL, pool), 0);
		CU_ASSERT_EQUAL(rte_eth_tx_queue_setup(b, 0, 64, SOCKET_ID_ANY, NULL), 0);
		CU_ASSERT_EQUAL_FATAL(rte_eth_dev_start(b), 0);
		c = conf_of(b, 1);
		CU_ASSERT_EQUAL(lw_port_setup(&c, &info, err, sizeof(err)), -EBUSY);
		LWT_CHECK(strstr(err, "net_ring_bad_b") != NULL &&
			  strstr(err, "rte_eth_dev_configure") != NULL, "busy message: \"%s\"", err);
		CU_ASSERT_EQUAL(rte_eth_dev_stop(b), 0);
	}

	/* After all that the ports still set up and work. */
	setup_ok(a, 1, &info);
	setup_ok(b, 1, &info);
	check_all_queues(a, b, 1, 5);
	pair_done("bad");
}

static void
test_wait_link(void)
{
	struct lw_port_info ia, ib;
	uint16_t a, b;

	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("link", 1, 0, &a, &b), 0);
	/* Not started yet: the link is down. */
	CU_ASSERT_EQUAL(lw_port_wait_link(a, 0), -ETIMEDOUT);
	CU_ASSERT_EQUAL(lw_port_wait_link(a, 30), -ETIMEDOUT);
	setup_ok(a, 1, &ia);
	setup_ok(b, 1, &ib);
	CU_ASSERT_EQUAL(lw_port_wait_link(a, 1000), 0);
	CU_ASSERT_EQUAL(lw_port_wait_link(b, 0), 0);
	CU_ASSERT_EQUAL(lw_port_wait_link(RTE_MAX_ETHPORTS, 10), -ENODEV);
	lw_port_close(a);
	CU_ASSERT_EQUAL(lw_port_wait_link(a, 10), -ENODEV);
	pair_done("link");
}

static void
test_close_resetup(void)
{
	struct lw_port_info ia, ib;
	uint16_t a, b, a2, b2;

	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("again", 4, 0, &a, &b), 0);
	setup_ok(a, 4, &ia);
	setup_ok(b, 4, &ib);
	check_all_queues(a, b, 4, 10);

	/* A running port set up again: stopped, reconfigured, restarted. */
	setup_ok(a, 2, &ia);
	setup_ok(b, 2, &ib);
	CU_ASSERT_EQUAL(ia.nb_queues, 2);
	CU_ASSERT_EQUAL(lw_port_wait_link(a, 0), 0);
	check_all_queues(a, b, 2, 20);
	check_all_queues(b, a, 2, 30);

	/* Close releases the ports; closing again, or a bad id, is harmless. */
	lw_port_close(a);
	lw_port_close(b);
	CU_ASSERT(!rte_eth_dev_is_valid_port(a));
	CU_ASSERT(!rte_eth_dev_is_valid_port(b));
	lw_port_close(a);
	lw_port_close(RTE_MAX_ETHPORTS);
	lw_port_close(UINT16_MAX);
	pair_done("again");
	pair_done("again");
	pair_done("never-made");

	/* The same name again: new ports, set up and working. */
	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("again", 4, 0, &a2, &b2), 0);
	setup_ok(a2, 4, &ia);
	setup_ok(b2, 4, &ib);
	CU_ASSERT_EQUAL(ia.nb_queues, 4);
	CU_ASSERT_STRING_EQUAL(ia.name, "net_ring_again_a");
	check_all_queues(a2, b2, 4, 40);
	check_all_queues(b2, a2, 4, 50);

	/* Close a port that was never set up. */
	pair_done("again");
	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("unused", 1, 0, &a, &b), 0);
	lw_port_close(a);
	CU_ASSERT(!rte_eth_dev_is_valid_port(a));
	CU_ASSERT(rte_eth_dev_is_valid_port(b));
	pair_done("unused");
	CU_ASSERT(!rte_eth_dev_is_valid_port(b));
}

/* Take every mbuf waiting in ring r into m[]; returns the count. */
static unsigned int
take(struct rte_ring *r, struct rte_mbuf **m, unsigned int max)
{
	return rte_ring_dequeue_burst(r, (void **)m, max, NULL);
}

static void
put(struct rte_ring *r, struct rte_mbuf *m)
{
	CU_ASSERT_EQUAL(rte_ring_enqueue(r, m), 0);
}

static void
test_split(void)
{
	struct lw_port_ring_tap t;
	struct lw_port_info ia, ib;
	struct rte_mbuf *m[BURST], *dup;
	uint16_t a, b;
	unsigned int n;

	memset(&t, 0xff, sizeof(t));
	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair_split("split", 2, 0, &a, &b, &t), 0);
	CU_ASSERT_EQUAL(t.nb_queues, 2);
	for (int q = 0; q < 2; q++) {
		CU_ASSERT_PTR_NOT_NULL(t.a_tx[q]);
		CU_ASSERT_PTR_NOT_NULL(t.b_rx[q]);
		CU_ASSERT_PTR_NOT_NULL(t.b_tx[q]);
		CU_ASSERT_PTR_NOT_NULL(t.a_rx[q]);
		CU_ASSERT_PTR_NOT_EQUAL(t.a_tx[q], t.b_rx[q]);
	}
	CU_ASSERT_PTR_NULL(t.a_tx[2]);
	setup_ok(a, 2, &ia);
	setup_ok(b, 2, &ib);

	/* Nothing crosses by itself: A's frames wait in a_tx[1]. */
	for (uint32_t i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(send_frame(a, 1, 10 + i), 1);
	CU_ASSERT_EQUAL(rte_ring_count(t.a_tx[1]), 3);
	CU_ASSERT_EQUAL(rte_ring_count(t.a_tx[0]), 0);
	CU_ASSERT_EQUAL(drain(b, 2), 0);

	/* Move frame 10, drop frame 11, duplicate frame 12. */
	n = take(t.a_tx[1], m, BURST);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	put(t.b_rx[1], m[0]);
	rte_pktmbuf_free(m[1]);
	dup = rte_pktmbuf_copy(m[2], pool, 0, UINT32_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dup);
	CU_ASSERT_PTR_NOT_EQUAL(dup, m[2]);
	put(t.b_rx[1], m[2]);
	put(t.b_rx[1], dup);
	n = rte_eth_rx_burst(b, 1, m, BURST);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT(frame_is(m[0], 1, 10));
	CU_ASSERT(frame_is(m[1], 1, 12));
	CU_ASSERT(frame_is(m[2], 1, 12));
	rte_pktmbuf_free_bulk(m, n);
	CU_ASSERT_EQUAL(drain(b, 2), 0);

	/* B -> A on queue 0, reordered in the middle. */
	CU_ASSERT_EQUAL(send_frame(b, 0, 20), 1);
	CU_ASSERT_EQUAL(send_frame(b, 0, 21), 1);
	CU_ASSERT_EQUAL(rte_ring_count(t.b_tx[0]), 2);
	CU_ASSERT_EQUAL(drain(a, 2), 0);
	n = take(t.b_tx[0], m, BURST);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	put(t.a_rx[0], m[1]);
	put(t.a_rx[0], m[0]);
	expect_frame(a, 0, 21);
	expect_frame(a, 0, 20);

	/* A frame moved to another queue arrives there. */
	CU_ASSERT_EQUAL(send_frame(a, 0, 30), 1);
	n = take(t.a_tx[0], m, BURST);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	put(t.b_rx[1], m[0]);
	CU_ASSERT_EQUAL(rte_eth_rx_burst(b, 0, m, BURST), 0);
	CU_ASSERT_EQUAL(rte_eth_rx_burst(b, 1, m, 1), 1);
	CU_ASSERT(frame_is(m[0], 0, 30));
	rte_pktmbuf_free(m[0]);

	/* Frames left in any of the four ring sets are freed with the pair. */
	CU_ASSERT_EQUAL(send_frame(a, 0, 40), 1);
	CU_ASSERT_EQUAL(send_frame(b, 1, 41), 1);
	put(t.b_rx[0], frame_mbuf(0, 42));
	put(t.a_rx[1], frame_mbuf(1, 43));
	CU_ASSERT_EQUAL(rte_mempool_avail_count(pool), POOL_N - 4);
	pair_done("split");
	CU_ASSERT_PTR_NULL(rte_ring_lookup("split_atx0"));
	CU_ASSERT_EQUAL(lw_port_ring_pair_split("split", 2, 0, &a, &b, NULL), -EINVAL);
}

static void
test_pair_errors(void)
{
	struct lw_port_ring_tap t;
	uint16_t a, b, x, y;

	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair("dup", 1, 0, &a, &b), 0);
	CU_ASSERT_EQUAL(lw_port_ring_pair("dup", 1, 0, &x, &y), -EEXIST);
	CU_ASSERT_EQUAL(lw_port_ring_pair_split("dup", 1, 0, &x, &y, &t), -EEXIST);
	/* The existing pair is untouched by the refusals. */
	CU_ASSERT(rte_eth_dev_is_valid_port(a));
	CU_ASSERT(rte_eth_dev_is_valid_port(b));
	{
		struct lw_port_info ia, ib;

		setup_ok(a, 1, &ia);
		setup_ok(b, 1, &ib);
		check_all_queues(a, b, 1, 1);
	}
	pair_done("dup");

	CU_ASSERT_EQUAL(lw_port_ring_pair("this-name-is-17ch", 1, 0, &a, &b), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(lw_port_ring_pair("sixteen-chars-ok", 1, 0, &a, &b), 0);
	pair_done("sixteen-chars-ok");
	CU_ASSERT_EQUAL(lw_port_ring_pair("q0", 0, 0, &a, &b), -EINVAL);
	CU_ASSERT_EQUAL(lw_port_ring_pair("q17", LW_PORT_RING_MAX_QUEUES + 1, 0, &a, &b), -EINVAL);
	CU_ASSERT_EQUAL(lw_port_ring_pair("q16", LW_PORT_RING_MAX_QUEUES, 0, &a, &b), 0);
	pair_done("q16");
	CU_ASSERT_EQUAL(lw_port_ring_pair(NULL, 1, 0, &a, &b), -EINVAL);
	CU_ASSERT_EQUAL(lw_port_ring_pair("", 1, 0, &a, &b), -EINVAL);
	CU_ASSERT_EQUAL(lw_port_ring_pair("nullb", 1, 0, &a, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_port_by_name("net_ring_q0_a", &x), -ENODEV);
	CU_ASSERT_EQUAL(lw_port_by_name("net_ring_nullb_a", &x), -ENODEV);
	CU_ASSERT_PTR_NULL(rte_ring_lookup("nullb_ab0"));
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	pool = rte_pktmbuf_pool_create("port_test", POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "test_port: rte_pktmbuf_pool_create: %s\n",
			rte_strerror(rte_errno));
		return 2;
	}
	lwt_suite("port",
		  "pair_1q", test_pair_1q,
		  "pair_4q", test_pair_4q,
		  "clamp", test_clamp,
		  "by_name", test_by_name,
		  "steer_ring", test_steer_ring,
		  "bad_setup", test_bad_setup,
		  "wait_link", test_wait_link,
		  "close_resetup", test_close_resetup,
		  "split", test_split,
		  "pair_errors", test_pair_errors,
		  NULL);
	return lwt_run();
}
