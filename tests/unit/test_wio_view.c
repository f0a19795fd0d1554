/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_wio_view.c — pktio/wio.h across view changes: incarnations (a peer
 * restarted, a frame of or for an earlier run), lw_wio_forget_node, and
 * the control frames of the membership protocol.
 *
 * DESIGN
 * Two nodes (1 and 2) of two workers each in one process, joined by a
 * split ring pair (queue q to queue q), and node 3 in both views that
 * never answers (the wire drops what is sent to it). One thread drives
 * everything in virtual time, as test_wio.c does: each round the traffic
 * generator queues messages, every worker polls and flushes, then the
 * test moves the frames across the wire, or drops those to and from node 2
 * while it is down. A node restarts in place: its workers and its struct
 * lw_pio are freed and made again with a new incarnation (the port and the
 * mempool stay). Every message numbers itself per (source, destination)
 * pair; the receiver checks that each arrives once and in order. When a
 * pair starts again after a restart, both ends' numbering restarts at a
 * new base: nothing of the old run may arrive after it.
 *
 * Tests: restart (node 2 dies with traffic queued and unacked at node 1,
 * comes back with a higher incarnation; node 1's workers reset their
 * channels, one on the new node's data, the other on its answer to a frame
 * for the earlier run; data flows again in order; a frame of the earlier
 * run and one for an earlier us are dropped as STALE_INC); forget (a dead
 * node 3 fills a window and makes the worker busy; lw_wio_forget_node
 * empties it while node 2's traffic goes on; a node forgotten on both
 * sides rejoins with a lower incarnation and is taken); control (payloads
 * each way with their bytes and source node, bad arguments, a full queue,
 * a full receive ring counted); packing (the default framing puts in each
 * frame as many messages as fit 1432 bytes of a 1500-byte MTU, encoded
 * compactly, and they decode to what was sent).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "lwt.h"
#include "lwt_ev.h"
#include "frame.h"
#include "port.h"
#include "site.h"
#include "wio.h"

#define US          1000ull
#define ROUND_NS    (5 * US)
#define POOL_N      4095u
#define BASE_PORT   7700
#define CLUSTER     0x6c78u
#define EPOCH       3u
#define NW          2u
#define NSITES      96u        /* site ids of nodes 1 and 2 */
#define BATCH       32u
#define OFF_LW      LW_FRAME_L2L4_LEN

struct node {
	unsigned int id;
	uint32_t inc;
	uint16_t port;
	struct rte_mempool *pool;
	struct lw_pio *pio;
	struct lw_wio *w[NW];
	char rname[32];
};

struct world {
	char name[16];
	uint64_t now, round;
	struct node n[2];
	struct lw_port_ring_tap tap;
	struct lw_chan_cfg chan;
	uint32_t busy;
	bool down2;                       /* node 2 is down: its frames are lost */
	struct lw_msgbuf in;
	/* per [src][dst]: messages still to send, next number to send and to get */
	uint32_t left[NSITES][NSITES];
	uint32_t sent[NSITES][NSITES];
	uint32_t got[NSITES][NSITES];
	uint64_t delivered, errors, to3;
};

static void
mac_of(uint8_t mac[6], unsigned int node)
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0x78, 0 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)node;
}

/* Node n's workers and pio with incarnation inc; false on failure (checked). */
/* lw_pio_conf.rx_loss_ppm of the nodes started next (test_loss) */
static uint32_t rx_loss_ppm;

static bool
node_start(struct world *x, struct node *n, uint32_t inc)
{
	struct lw_pio_conf c;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	snprintf(n->rname, sizeof(n->rname), "%s_n%u", x->name, n->id);
	c.name = n->rname;
	c.cluster = CLUSTER;
	c.epoch = EPOCH;
	c.incarnation = inc;
	c.node = (uint8_t)n->id;
	c.nworkers = NW;
	c.base_port = BASE_PORT;
	c.busy_msgs = x->busy;
	c.socket = SOCKET_ID_ANY;
	c.nb_ports = 1;
	c.ports[0].port_id = n->port;
	c.ports[0].nb_queues = NW;
	for (i = 1; i <= 3; i++) {
		c.nodes[i].present = 1;
		c.nodes[i].workers = (uint8_t)(i == 3 ? 1 : NW);
		mac_of(c.nodes[i].mac, i);
		c.nodes[i].ipv4 = 0x0a780000u | i;
	}
	for (i = 0; i < NW; i++)
		c.pools[i] = n->pool;
	c.chan = x->chan;
	c.rx_loss_ppm = rx_loss_ppm;
	n->inc = inc;
	n->pio = lw_pio_create(&c);
	LWT_CHECK(n->pio != NULL, "lw_pio_create node %u: %s", n->id, strerror(errno));
	if (n->pio == NULL)
		return false;
	CU_ASSERT_EQUAL(lw_pio_incarnation(n->pio), inc);
	for (i = 0; i < NW; i++) {
		n->w[i] = lw_wio_create(n->pio, i);
		if (n->w[i] == NULL)
			return false;
	}
	return true;
}

static void
node_stop(struct node *n)
{
	for (unsigned int i = 0; i < NW; i++) {
		lw_wio_free(n->w[i]);
		n->w[i] = NULL;
	}
	lw_pio_free(n->pio);
	n->pio = NULL;
}

static void
world_free(struct world *x)
{
	for (unsigned int i = 0; i < 2; i++)
		node_stop(&x->n[i]);
	lw_port_ring_pair_free(x->name);
	for (unsigned int i = 0; i < 2; i++) {
		if (x->n[i].pool == NULL)
			continue;
		LWT_CHECK(rte_mempool_avail_count(x->n[i].pool) == POOL_N,
			  "%s node %u: %u mbufs back, want %u", x->name, i + 1,
			  rte_mempool_avail_count(x->n[i].pool), POOL_N);
		rte_mempool_free(x->n[i].pool);
	}
	lw_msgbuf_fini(&x->in);
	free(x);
}

static struct world *
world_new(const char *name, const struct lw_chan_cfg *chan, uint32_t busy)
{
	struct world *x = calloc(1, sizeof(*x));
	uint16_t ports[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->now = 1000 * US;
	x->chan = *chan;
	x->busy = busy;
	CU_ASSERT_EQUAL_FATAL(lw_msgbuf_init(&x->in, 256), 0);
	CU_ASSERT_EQUAL_FATAL(lw_port_ring_pair_split(name, NW, SOCKET_ID_ANY, &ports[0],
						      &ports[1], &x->tap), 0);
	for (unsigned int i = 0; i < 2; i++) {
		struct node *n = &x->n[i];
		struct lw_port_conf pc = { .port_id = ports[i], .nb_queues = NW, .promisc = 1 };
		struct lw_port_info info;
		char pname[RTE_MEMPOOL_NAMESIZE], err[256];

		n->id = i + 1;
		n->port = ports[i];
		snprintf(pname, sizeof(pname), "%s_p%u", name, n->id);
		n->pool = rte_pktmbuf_pool_create(pname, POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						  SOCKET_ID_ANY);
		pc.pool = n->pool;
		if (n->pool == NULL || lw_port_setup(&pc, &info, err, sizeof(err)) != 0 ||
		    !node_start(x, n, 100 + n->id)) {
			world_free(x);
			CU_FAIL_FATAL("world set-up");
		}
	}
	return x;
}

/* ---- traffic ------------------------------------------------------------ */

static void
msg_make(struct lw_msg *m, uint16_t src, uint16_t dst, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->h.version = LW_PROTO_VERSION;
	m->h.type = LW_MSG_REQUEST;
	m->h.len = sizeof(*m);
	m->h.src = src;
	m->h.dst = dst;
	m->h.epoch = EPOCH;
	m->gid = (uint32_t)src << 16 | dst;
	m->seq = seq;
}

static void
msg_check(struct world *x, uint16_t at, const struct lw_msg *m)
{
	uint16_t src = m->h.src;

	if (m->h.dst == at && src < NSITES && m->seq == x->got[src][at] &&
	    m->gid == ((uint32_t)src << 16 | at)) {
		x->got[src][at]++;
		x->delivered++;
		return;
	}
	if (x->errors++ < 8)
		fprintf(stderr, "\n%s round %llu: %#x -> %#x (at %#x) seq %u, want %u\n",
			x->name, (unsigned long long)x->round, src, m->h.dst, at, m->seq,
			src < NSITES ? x->got[src][at] : 0);
}

/* n more messages from s to d. */
static void
want(struct world *x, uint16_t s, uint16_t d, uint32_t n)
{
	x->left[s][d] += n;
}

/* The pair s -> d starts again at number base (a restart on one side). */
static void
pair_restart(struct world *x, uint16_t s, uint16_t d, uint32_t base)
{
	x->left[s][d] = 0;
	x->sent[s][d] = base;
	x->got[s][d] = base;
}

static struct lw_wio *
wio_of(struct world *x, uint16_t site)
{
	return x->n[lw_site_node(site) - 1].w[lw_site_worker(site)];
}

static void
traffic(struct world *x)
{
	struct lw_msg b[BATCH];

	for (uint16_t s = 0; s < NSITES; s++)
		for (uint16_t d = 0; d < NSITES; d++) {
			uint32_t k = RTE_MIN(x->left[s][d], 8u);

			if (k == 0)
				continue;
			for (uint32_t i = 0; i < k; i++)
				msg_make(&b[i], s, d, x->sent[s][d] + i);
			CU_ASSERT_EQUAL(lw_wio_send(wio_of(x, s), b, k, x->now), k);
			x->sent[s][d] += k;
			x->left[s][d] -= k;
		}
}

/* Move what one side sent; drop frames to node 3, and node 2's while it is down. */
static void
wire_dir(struct world *x, struct rte_ring *const *from, struct rte_ring *const *to)
{
	struct rte_mbuf *m[32];

	for (unsigned int q = 0; q < NW; q++) {
		unsigned int k;

		while ((k = rte_ring_dequeue_burst(from[q], (void **)m, 32, NULL)) > 0)
			for (unsigned int i = 0; i < k; i++) {
				const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);
				uint8_t dn = p[OFF_LW + offsetof(struct lw_frame_hdr, dst_node)];

				if (dn == 3)
					x->to3++;
				if (dn == 3 || x->down2 || rte_ring_enqueue(to[q], m[i]) != 0)
					rte_pktmbuf_free(m[i]);
			}
	}
}

static void
round_run(struct world *x)
{
	traffic(x);
	for (unsigned int i = 0; i < 2; i++)
		for (unsigned int k = 0; k < NW; k++) {
			struct lw_wio *w = x->n[i].w[k];

			x->in.n = 0;
			lw_wio_rx(w, x->now, &x->in);
			for (uint32_t j = 0; j < x->in.n; j++)
				msg_check(x, lw_site_id(i + 1, k), &x->in.m[j]);
			lw_wio_flush(w, x->now);
		}
	wire_dir(x, x->tap.a_tx, x->tap.b_rx);
	wire_dir(x, x->tap.b_tx, x->tap.a_rx);
	x->now += ROUND_NS;
	x->round++;
}

static bool
settled(const struct world *x)
{
	for (unsigned int s = 0; s < NSITES; s++)
		for (unsigned int d = 0; d < NSITES; d++)
			if (x->left[s][d] != 0 || x->got[s][d] != x->sent[s][d])
				return false;
	return true;
}

/* Rounds until every message is delivered and nodes 1 and 2 are idle. */
static bool
run_to_end(struct world *x, unsigned int max)
{
	while (max-- > 0) {
		bool idle = true;

		round_run(x);
		for (unsigned int i = 0; i < 2; i++)
			for (unsigned int k = 0; k < NW; k++)
				idle = idle && lw_wio_idle(x->n[i].w[k]);
		if (idle && settled(x))
			return true;
	}
	return false;
}

static uint64_t
drops(const struct node *n, int reason)
{
	uint64_t s = 0;

	for (unsigned int k = 0; k < NW; k++)
		s += lw_wio_stats(n->w[k])->drops.n[reason];
	return s;
}

/* f(x, s, d, n) for every pair (s, d) between the sites of nodes 1 and 2, both ways. */
static void
each_cross(struct world *x, void (*f)(struct world *, uint16_t, uint16_t, uint32_t), uint32_t n)
{
	for (unsigned int i = 0; i < NW; i++)
		for (unsigned int j = 0; j < NW; j++) {
			f(x, lw_site_id(1, i), lw_site_id(2, j), n);
			f(x, lw_site_id(2, j), lw_site_id(1, i), n);
		}
}

/* Every pair between the sites of nodes 1 and 2, n messages each way. */
static void
want_cross(struct world *x, uint32_t n)
{
	each_cross(x, want, n);
}

/* Every pair between the sites of nodes 1 and 2 starts again at number base. */
static void
restart_pairs(struct world *x, uint32_t base)
{
	each_cross(x, pair_restart, base);
}

/* Rounds (at most max) until every worker of node 1 knows node 2 as inc. */
static bool
learn_inc(struct world *x, uint32_t inc, unsigned int max)
{
	for (;;) {
		if (lw_wio_peer_inc(x->n[0].w[0], 2) == inc && lw_wio_peer_inc(x->n[0].w[1], 2) == inc)
			return true;
		if (max-- == 0)
			return false;
		round_run(x);
	}
}

/* ---- tests -------------------------------------------------------------- */

static void
test_restart(void)
{
	struct world *x = world_new("wv_rs", &(struct lw_chan_cfg){ .window = 4 }, 0);
	uint16_t a0 = lw_site_id(1, 0), a1 = lw_site_id(1, 1);
	uint16_t b0 = lw_site_id(2, 0), b1 = lw_site_id(2, 1);
	struct rte_mbuf *old = NULL;
	uint64_t queued, st0, rep0;
	uint8_t buf[LW_FRAME_LEN(1)];
	int len;

	want_cross(x, 300);
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	CU_ASSERT_EQUAL(x->errors, 0);
	CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[0].w[0], 2), 102);
	CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[0].w[1], 2), 102);
	CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[1].w[1], 1), 101);

	/* node 2 goes down; one of its last frames stays on the wire (a copy) */
	want(x, b0, a1, 5);
	round_run(x);
	for (unsigned int q = 0; q < NW && old == NULL; q++) {
		struct rte_mbuf *m;

		if (rte_ring_dequeue(x->tap.a_rx[q], (void **)&m) == 0) {
			old = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
			rte_pktmbuf_free(m);
		}
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(old);
	x->down2 = true;
	want(x, a0, b0, 100);
	want(x, a1, b1, 100);
	for (unsigned int r = 0; r < 40; r++)
		round_run(x);
	queued = lw_wio_stats(x->n[0].w[0])->queued + lw_wio_stats(x->n[0].w[1])->queued;
	CU_ASSERT(queued > 0);
	CU_ASSERT_FALSE(lw_wio_busy(x->n[0].w[0]));          /* busy_msgs 16384 */
	CU_ASSERT_FALSE(lw_wio_idle(x->n[0].w[0]));

	/* it comes back, a higher incarnation; every pair with it starts over */
	node_stop(&x->n[1]);
	CU_ASSERT_TRUE_FATAL(node_start(x, &x->n[1], 103));
	x->down2 = false;
	restart_pairs(x, 1000000);
	/* the new node 2 talks to 1.0 only: 1.1 learns from the answer to its resends */
	want(x, b0, a0, 50);
	want(x, b1, a0, 50);
	CU_ASSERT_TRUE(learn_inc(x, 103, 4000));
	for (unsigned int k = 0; k < NW; k++) {
		const struct lw_wio_stats *s = lw_wio_stats(x->n[0].w[k]);

		CU_ASSERT_EQUAL(s->peer_restarts, 1);
		CU_ASSERT(s->forgot_frames > 0);
		CU_ASSERT_EQUAL(s->queued, 0);
	}
	CU_ASSERT_EQUAL(lw_wio_stats(x->n[0].w[0])->forgot_msgs +
			lw_wio_stats(x->n[0].w[1])->forgot_msgs, queued);
	CU_ASSERT(lw_wio_stats(x->n[1].w[0])->stale_replies +
		  lw_wio_stats(x->n[1].w[1])->stale_replies > 0);
	CU_ASSERT(drops(&x->n[1], LW_FRAME_STALE_INC) > 0);

	/* data flows again, both ways, in order from the new base */
	want_cross(x, 200);
	CU_ASSERT_TRUE(run_to_end(x, 40000));
	CU_ASSERT_EQUAL(x->errors, 0);
	/* the new node 2 learned node 1's incarnation from what it received */
	CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[1].w[0], 1), 101);
	CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[1].w[1], 1), 101);
	CU_ASSERT_EQUAL(x->got[a1][b1], 1000200);
	CU_ASSERT_EQUAL(x->got[b0][a0], 1000250);

	/* a frame of node 2's earlier run: dropped, nothing delivered */
	st0 = drops(&x->n[0], LW_FRAME_STALE_INC);
	CU_ASSERT_EQUAL(rte_ring_enqueue(x->tap.a_rx[0], old), 0);
	round_run(x);
	CU_ASSERT_EQUAL(drops(&x->n[0], LW_FRAME_STALE_INC) - st0, 1);
	CU_ASSERT_EQUAL(lw_wio_stats(x->n[0].w[1])->peer_restarts, 1);

	/* a frame for node 2's earlier run: dropped and answered (a data frame) */
	{
		struct lw_frame_addr s = { .base_port = BASE_PORT, .ipv4 = 0x0a780001, .node = 1,
					   .worker = 0, .inc = 101 };
		struct lw_frame_addr d = { .base_port = BASE_PORT, .ipv4 = 0x0a780002, .node = 2,
					   .worker = 0, .inc = 102 };
		struct lw_msg m;

		mac_of(s.mac, 1);
		mac_of(d.mac, 2);
		msg_make(&m, a0, b0, 7);
		len = lw_frame_build(buf, sizeof(buf), &s, &d, CLUSTER, EPOCH, 12345, 0, 0, &m, 1);
		CU_ASSERT_EQUAL_FATAL(len, LW_FRAME_MIN_LEN + 56);  /* no name, no LVB */
		st0 = drops(&x->n[1], LW_FRAME_STALE_INC);
		rep0 = lw_wio_stats(x->n[1].w[0])->stale_replies;
		struct rte_mbuf *mb = rte_pktmbuf_alloc(x->n[0].pool);

		CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
		memcpy(rte_pktmbuf_append(mb, (uint16_t)len), buf, (size_t)len);
		CU_ASSERT_EQUAL(rte_ring_enqueue(x->tap.b_rx[0], mb), 0);
		round_run(x);
		CU_ASSERT_EQUAL(drops(&x->n[1], LW_FRAME_STALE_INC) - st0, 1);
		CU_ASSERT_EQUAL(lw_wio_stats(x->n[1].w[0])->stale_replies - rep0, 1);
	}
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	CU_ASSERT_EQUAL(x->errors, 0);
	printf("\n    %s: %llu msgs in %llu rounds, forgot %llu msgs\n", x->name,
	       (unsigned long long)x->delivered, (unsigned long long)x->round,
	       (unsigned long long)queued);
	world_free(x);
}

static void
test_forget(void)
{
	struct world *x = world_new("wv_fg", &(struct lw_chan_cfg){ .window = 4 }, 64);
	uint16_t a0 = lw_site_id(1, 0), b0 = lw_site_id(2, 0), b1 = lw_site_id(2, 1);
	uint16_t c0 = lw_site_id(3, 0);
	struct lw_wio *w = x->n[0].w[0];
	const struct lw_wio_stats *s = lw_wio_stats(w);
	struct lw_msg m[BATCH];
	uint64_t q;

	/* node 3 never answers: its window fills, its queue grows, 1.0 is busy */
	for (unsigned int k = 0; k < 6; k++) {
		for (unsigned int i = 0; i < BATCH; i++)
			msg_make(&m[i], a0, c0, k * BATCH + i);
		CU_ASSERT_EQUAL(lw_wio_send(w, m, BATCH, x->now), BATCH);
	}
	want(x, a0, b0, 400);
	want(x, b1, a0, 400);
	for (unsigned int r = 0; r < 20; r++)
		round_run(x);
	CU_ASSERT_TRUE(lw_wio_busy(w));
	CU_ASSERT(x->to3 > 0);
	/* node 2's traffic is done, 1.0 is still not idle: node 3's frames wait */
	CU_ASSERT_FALSE(run_to_end(x, 3000));
	CU_ASSERT_TRUE(settled(x));
	CU_ASSERT_FALSE(lw_wio_idle(w));
	CU_ASSERT_TRUE(lw_wio_idle(x->n[0].w[1]));
	q = s->queued;
	/* 4 frames of 25 messages (56 bytes each: 1400 of the 1432 a frame takes) */
	CU_ASSERT_EQUAL(q, 6 * BATCH - 4 * (uint64_t)LW_FRAME_MSGS_PER_MTU(1500));

	lw_wio_forget_node(w, 3);
	CU_ASSERT_EQUAL(s->forgot_msgs, q);
	CU_ASSERT_EQUAL(s->forgot_frames, 4);
	CU_ASSERT_EQUAL(s->queued, 0);
	CU_ASSERT_FALSE(lw_wio_busy(w));
	CU_ASSERT_TRUE(lw_wio_idle(w));
	CU_ASSERT_EQUAL(lw_wio_peer_inc(w, 2), 102);      /* other peers: as they were */
	/* forgetting this node, or no node, does nothing */
	lw_wio_forget_node(w, 1);
	lw_wio_forget_node(w, 0);
	lw_wio_forget_node(w, 300);
	CU_ASSERT_EQUAL(s->forgot_msgs, q);

	/* node 2's traffic goes on unharmed */
	want(x, a0, b0, 300);
	want(x, b0, a0, 300);
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	CU_ASSERT_EQUAL(x->errors, 0);
	CU_ASSERT_EQUAL(x->got[a0][b0], 700);

	/* node 3 may rejoin: sends are taken again */
	CU_ASSERT_EQUAL(lw_wio_send(w, m, 3, x->now), 3);
	CU_ASSERT_EQUAL(s->queued, 3);
	lw_wio_forget_node(w, 3);
	CU_ASSERT_EQUAL(s->forgot_msgs, q + 3);

	/* node 2 leaves the view of node 1 and node 1 that of node 2 ... */
	for (unsigned int k = 0; k < NW; k++) {
		lw_wio_forget_node(x->n[0].w[k], 2);
		CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[0].w[k], 2), 0);
	}
	node_stop(&x->n[1]);
	/* ... and rejoins with a lower incarnation (a clock set back): taken */
	CU_ASSERT_TRUE_FATAL(node_start(x, &x->n[1], 50));
	pair_restart(x, a0, b0, 5000);
	pair_restart(x, b0, a0, 5000);
	want(x, b0, a0, 100);
	want(x, a0, b0, 100);
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	CU_ASSERT_EQUAL(x->errors, 0);
	CU_ASSERT_EQUAL(lw_wio_peer_inc(w, 2), 50);
	CU_ASSERT_EQUAL(x->got[b0][a0], 5100);
	CU_ASSERT_EQUAL(x->got[a0][b0], 5100);
	CU_ASSERT_EQUAL(s->peer_restarts, 0);
	world_free(x);
}

static void
test_control(void)
{
	struct world *x = world_new("wv_ct", &(struct lw_chan_cfg){ 0 }, 0);
	struct lw_pio *p1 = x->n[0].pio, *p2 = x->n[1].pio;
	static uint8_t big[LW_PIO_CTL_MAX + 1], got[LW_PIO_CTL_MAX];
	uint8_t src = 0;
	uint16_t len = 0;
	unsigned int n, k;

	for (unsigned int i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + 1);
	CU_ASSERT_EQUAL(lw_pio_ctl_recv(p2, &src, got, &len), 0);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 2, big, LW_PIO_CTL_MAX), 0);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 2, "hello", 5), 0);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p2, 1, "back", 4), 0);
	/* bad node (itself, absent, out of range), bad length */
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 1, big, 4), -EINVAL);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 9, big, 4), -EINVAL);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 0, big, 4), -EINVAL);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 256, big, 4), -EINVAL);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 2, big, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 2, big, LW_PIO_CTL_MAX + 1), -EINVAL);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 2, NULL, 4), -EINVAL);
	for (unsigned int r = 0; r < 4; r++)
		round_run(x);
	CU_ASSERT_EQUAL(lw_pio_ctl_recv(p2, &src, got, &len), 1);
	CU_ASSERT_EQUAL(src, 1);
	CU_ASSERT_EQUAL(len, LW_PIO_CTL_MAX);
	CU_ASSERT_EQUAL(memcmp(got, big, LW_PIO_CTL_MAX), 0);
	CU_ASSERT_EQUAL(lw_pio_ctl_recv(p2, &src, got, &len), 1);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_EQUAL(memcmp(got, "hello", 5), 0);
	CU_ASSERT_EQUAL(lw_pio_ctl_recv(p2, &src, got, &len), 0);
	CU_ASSERT_EQUAL(lw_pio_ctl_recv(p1, &src, got, &len), 1);
	CU_ASSERT_EQUAL(src, 2);
	CU_ASSERT_EQUAL(len, 4);
	CU_ASSERT_EQUAL(memcmp(got, "back", 4), 0);
	CU_ASSERT_EQUAL(lw_wio_stats(x->n[0].w[0])->tx_ctl, 2);
	CU_ASSERT_EQUAL(lw_wio_stats(x->n[0].w[1])->tx_ctl, 0);
	CU_ASSERT_EQUAL(lw_wio_stats(x->n[1].w[0])->rx_ctl, 2);
	/* control frames are not data: nothing delivered, nothing to ack */
	CU_ASSERT_EQUAL(x->delivered, 0);
	CU_ASSERT_TRUE(lw_wio_idle(x->n[0].w[0]));

	/* a full queue pushes back; a full receive ring is a counted drop */
	for (n = 0; lw_pio_ctl_send(p1, 2, big, 8) == 0; n++)
		big[0]++;
	CU_ASSERT_EQUAL(n, LW_PIO_CTL_RING);
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 2, big, 8), -ENOBUFS);
	for (unsigned int r = 0; r < 20; r++)
		round_run(x);
	for (k = 0; k < n; k++)
		CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 2, big, 8), 0);
	for (unsigned int r = 0; r < 20; r++)
		round_run(x);
	CU_ASSERT_EQUAL(lw_wio_stats(x->n[1].w[0])->ctl_drops, n);
	for (k = 0; lw_pio_ctl_recv(p2, &src, got, &len) == 1; k++)
		CU_ASSERT_EQUAL(got[0], (uint8_t)(big[0] - n + k));
	CU_ASSERT_EQUAL(k, n);
	CU_ASSERT_EQUAL(lw_wio_stats(x->n[1].w[0])->rx_ctl, 2 + n);
	/* a control frame to a restarted node carries its incarnation as known */
	node_stop(&x->n[1]);
	CU_ASSERT_TRUE_FATAL(node_start(x, &x->n[1], 200));
	CU_ASSERT_EQUAL(lw_pio_ctl_send(p1, 2, "stale", 5), 0);
	round_run(x);
	round_run(x);
	CU_ASSERT_EQUAL(lw_pio_ctl_recv(x->n[1].pio, &src, got, &len), 0);
	CU_ASSERT_EQUAL(drops(&x->n[1], LW_FRAME_STALE_INC), 1);
	world_free(x);
}

/* The wire length of m by the rule of frame.h (not the library's). */
static uint32_t
wire_len_rule(const struct lw_msg *m)
{
	bool lvb = m->lvbf != 0;

	for (unsigned int k = 0; k < LW_LVB_LEN; k++)
		lvb = lvb || m->lvb[k] != 0;
	return (56u + (lvb ? 32u : 0u) + m->namelen + 7u) / 8u * 8u;
}

/* Default framing: greedy by bytes (1432 per frame), each frame at most 1514. */
static void
test_packing(void)
{
	enum { N = 60 };
	struct world *x = world_new("wv_pk", &(struct lw_chan_cfg){ 0 }, 0);
	uint16_t a0 = lw_site_id(1, 0), b0 = lw_site_id(2, 0);
	struct lw_frame_expect ex = {
		.cluster = CLUSTER, .epoch = EPOCH, .base_port = BASE_PORT, .nworkers = NW,
		.my_node = 2,
	};
	struct lw_msg m[N], got;
	struct rte_mbuf *f[32];
	unsigned int k, i, next = 0, frames = 0, want_frames = 0;
	uint32_t fill = 0;

	lw_frame_expect_node(&ex, 1, 1);
	for (i = 0; i < N; i++) {
		msg_make(&m[i], a0, b0, i);
		m[i].namelen = (uint8_t)(i * 7 % (LW_RESNAME_MAXLEN + 1));
		for (k = 0; k < m[i].namelen; k++)
			m[i].name[k] = (uint8_t)('a' + (i + k) % 26);
		if (i % 3 == 0)
			m[i].lvb[i % LW_LVB_LEN] = (uint8_t)(i + 1);
		if (i % 5 == 0)
			m[i].lvbf = LW_MSG_LVB_INVALID;
		/* the frames a greedy packer makes */
		if (i == 0 || fill + wire_len_rule(&m[i]) > 1432) {
			want_frames++;
			fill = 0;
		}
		fill += wire_len_rule(&m[i]);
	}
	x->sent[a0][b0] = N;
	CU_ASSERT_EQUAL(lw_wio_send(x->n[0].w[0], m, N, x->now), N);
	lw_wio_flush(x->n[0].w[0], x->now);
	k = rte_ring_dequeue_burst(x->tap.a_tx[0], (void **)f, 32, NULL);
	for (unsigned int j = 0; j < k; j++) {
		const uint8_t *p = rte_pktmbuf_mtod(f[j], const uint8_t *);
		struct lw_frame_view v;
		uint32_t off = 0, bytes = 0;

		LWT_CHECK(f[j]->data_len <= 1514, "frame %u: %u bytes", j, f[j]->data_len);
		CU_ASSERT_EQUAL_FATAL(lw_frame_parse(p, f[j]->data_len, &ex, &v), 0);
		frames += v.nmsgs > 0;
		for (i = 0; i < v.nmsgs && next < N; i++, next++) {
			CU_ASSERT_EQUAL_FATAL(lw_frame_msg_next(&v, &off, &got), 0);
			LWT_CHECK(memcmp(&got, &m[next], sizeof(got)) == 0, "message %u differs",
				  next);
			bytes += wire_len_rule(&m[next]);
		}
		CU_ASSERT_EQUAL(v.payload_len, bytes);
		CU_ASSERT_EQUAL(f[j]->data_len, (uint32_t)LW_FRAME_MIN_LEN + bytes);
		if (v.nmsgs > 0 && next < N)      /* the next message did not fit */
			LWT_CHECK(bytes + wire_len_rule(&m[next]) > 1432, "frame %u: %u bytes, "
				  "message %u would fit", j, bytes, next);
		CU_ASSERT_EQUAL(rte_ring_enqueue(x->tap.b_rx[0], f[j]), 0);
	}
	CU_ASSERT_EQUAL(next, N);
	LWT_CHECK(frames == want_frames && frames >= 3, "%u frames, want %u", frames,
		  want_frames);
	CU_ASSERT_EQUAL(lw_wio_stats(x->n[0].w[0])->tx_data, frames);
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	CU_ASSERT_EQUAL(x->got[a0][b0], N);
	CU_ASSERT_EQUAL(x->errors, 0);
	world_free(x);
}

/* rx_loss_ppm drops received frames; the channels still deliver all, once, in order. */
static void
test_loss(void)
{
	struct world *x;
	uint64_t injected = 0, frames = 0, resent = 0;

	rx_loss_ppm = 100000;	/* 10% */
	x = world_new("wv_ls", &(struct lw_chan_cfg){ 0 }, 0);
	rx_loss_ppm = 0;
	want_cross(x, 300);
	CU_ASSERT_TRUE(run_to_end(x, 200000));
	CU_ASSERT_EQUAL(x->errors, 0);
	for (unsigned int i = 0; i < 2; i++)
		for (unsigned int k = 0; k < NW; k++) {
			const struct lw_wio_stats *s = lw_wio_stats(x->n[i].w[k]);

			injected += s->rx_injected;
			frames += s->rx_frames;
			resent += s->tx_retransmits;
			CU_ASSERT_EQUAL(s->lost, 0);
		}
	for (unsigned int i = 0; i < NW; i++)
		for (unsigned int j = 0; j < NW; j++) {
			CU_ASSERT_EQUAL(x->got[lw_site_id(1, i)][lw_site_id(2, j)], 300);
			CU_ASSERT_EQUAL(x->got[lw_site_id(2, j)][lw_site_id(1, i)], 300);
		}
	/* about a tenth of what came in was dropped, and the channels made up for it */
	LWT_CHECK(injected * 20 > frames && injected * 6 < frames,
		  "injected %" PRIu64 " of %" PRIu64 " frames", injected, frames);
	CU_ASSERT_TRUE(resent > 0);
	world_free(x);
}

/*
 * Node 2's lease runs out and it goes on in place as a new incarnation
 * (lw_wio_restart on each worker; the process, its pio and its port stay)
 * while node 1 still sends on the channels of the earlier run. Those
 * frames are stale at node 2 and answered, node 1 resets its channels, and
 * both ends start over together: nothing of the earlier run is delivered
 * after the restart, and everything after it is, once, in order.
 */
static void
test_fence_restart(void)
{
	struct world *x = world_new("wv_fr", &(struct lw_chan_cfg){ .window = 4 }, 0);
	uint16_t a0 = lw_site_id(1, 0), a1 = lw_site_id(1, 1);
	uint16_t b0 = lw_site_id(2, 0), b1 = lw_site_id(2, 1);
	uint64_t stale0 = 0, rep = 0;

	want_cross(x, 300);
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	/* node 1's traffic to node 2 is on the wire and queued when node 2 fences */
	want(x, a0, b0, 100);
	want(x, a1, b1, 100);
	for (unsigned int r = 0; r < 5; r++)
		round_run(x);
	CU_ASSERT(x->got[a0][b0] < 400 && x->got[a1][b1] < 400);
	CU_ASSERT_FALSE(lw_wio_idle(x->n[0].w[0]));
	for (unsigned int k = 0; k < NW; k++) {
		struct lw_wio *w = x->n[1].w[k];

		CU_ASSERT_EQUAL(lw_wio_incarnation(w), 102);
		lw_wio_restart(w, 103);
		CU_ASSERT_EQUAL(lw_wio_incarnation(w), 103);
		CU_ASSERT_EQUAL(lw_wio_stats(w)->restarts, 1);
		CU_ASSERT_EQUAL(lw_wio_peer_inc(w, 1), 0);
		CU_ASSERT_TRUE(lw_wio_idle(w));
		stale0 += lw_wio_stats(w)->drops.n[LW_FRAME_STALE_INC];
	}
	CU_ASSERT_EQUAL(lw_pio_incarnation(x->n[1].pio), 102);  /* the pio's: where it started */
	restart_pairs(x, 1000000);
	/* node 2 talks to 1.0 only: 1.1 learns from the answer to its resends */
	want(x, b0, a0, 50);
	CU_ASSERT_TRUE(learn_inc(x, 103, 4000));
	for (unsigned int k = 0; k < NW; k++) {
		const struct lw_wio_stats *s = lw_wio_stats(x->n[0].w[k]);

		CU_ASSERT_EQUAL(s->peer_restarts, 1);
		CU_ASSERT_EQUAL(s->queued, 0);
		rep += lw_wio_stats(x->n[1].w[k])->stale_replies;
	}
	CU_ASSERT(rep > 0);
	CU_ASSERT(drops(&x->n[1], LW_FRAME_STALE_INC) > stale0);

	want_cross(x, 200);
	CU_ASSERT_TRUE(run_to_end(x, 40000));
	CU_ASSERT_EQUAL(x->errors, 0);
	CU_ASSERT_EQUAL(x->got[a1][b1], 1000200);
	CU_ASSERT_EQUAL(x->got[b0][a0], 1000250);
	CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[1].w[1], 1), 101);
	/* not above the current one: the channels reset, the incarnation stays */
	lw_wio_restart(x->n[1].w[0], 103);
	CU_ASSERT_EQUAL(lw_wio_incarnation(x->n[1].w[0]), 103);
	CU_ASSERT_EQUAL(lw_wio_stats(x->n[1].w[0])->restarts, 1);
	CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[1].w[0], 1), 0);
	world_free(x);
}

/* What a worker dropped for peers it forgot: messages queued, frames unacked. */
static uint64_t
forgotten(const struct lw_wio *w)
{
	return lw_wio_stats(w)->forgot_msgs + lw_wio_stats(w)->forgot_frames;
}

/*
 * A view drops node 2's earlier run and has it back as the one node 1's
 * workers already talk to (lw_wio_node_lost with that incarnation): the
 * channels stay, and data goes on where it was. Any other incarnation, or
 * none, forgets the node as lw_wio_forget_node does.
 */
static void
test_lost_back(void)
{
	struct world *x = world_new("wv_lb", &(struct lw_chan_cfg){ .window = 4 }, 0);
	uint16_t b0 = lw_site_id(2, 0), b1 = lw_site_id(2, 1);
	uint16_t a0 = lw_site_id(1, 0), a1 = lw_site_id(1, 1);
	uint64_t forgot = 0;

	want_cross(x, 100);
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	for (unsigned int k = 0; k < NW; k++)
		lw_wio_restart(x->n[1].w[k], 103);
	restart_pairs(x, 1000000);
	want(x, b0, a0, 50);
	want(x, b1, a1, 50);
	CU_ASSERT_TRUE(learn_inc(x, 103, 4000));
	want_cross(x, 100);
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	/* the view: node 2 lost (its run 102) and back as 103, with traffic on the wire */
	want_cross(x, 100);
	round_run(x);
	for (unsigned int k = 0; k < NW; k++)
		forgot += forgotten(x->n[0].w[k]);
	CU_ASSERT_FALSE(lw_wio_idle(x->n[0].w[0]));
	for (unsigned int k = 0; k < NW; k++) {
		lw_wio_node_lost(x->n[0].w[k], 2, 103);
		CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[0].w[k], 2), 103);
	}
	CU_ASSERT_EQUAL(forgotten(x->n[0].w[0]) + forgotten(x->n[0].w[1]), forgot);
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	CU_ASSERT_EQUAL(x->errors, 0);
	CU_ASSERT_EQUAL(x->got[a1][b0], 1000200);
	CU_ASSERT_EQUAL(x->got[b1][a1], 1000250);

	/* back as another run than the one heard, or not back: forgotten */
	lw_wio_node_lost(x->n[0].w[0], 2, 104);
	lw_wio_node_lost(x->n[0].w[1], 2, 0);
	lw_wio_node_lost(x->n[0].w[1], 0, 0);
	lw_wio_node_lost(x->n[0].w[1], 300, 0);
	for (unsigned int k = 0; k < NW; k++) {
		CU_ASSERT_EQUAL(lw_wio_peer_inc(x->n[0].w[k], 2), 0);
		lw_wio_forget_node(x->n[1].w[k], 1);	/* and node 2 dropped node 1 */
	}
	restart_pairs(x, 2000000);
	want_cross(x, 50);
	CU_ASSERT_TRUE(run_to_end(x, 20000));
	CU_ASSERT_EQUAL(x->errors, 0);
	CU_ASSERT_EQUAL(x->got[a0][b1], 2000050);
	world_free(x);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("wio_view",
		  "restart", test_restart,
		  "forget", test_forget,
		  "fence_restart", test_fence_restart,
		  "lost_back", test_lost_back,
		  "control", test_control,
		  "loss", test_loss,
		  "packing", test_packing,
		  NULL);
	return lwt_run();
}
