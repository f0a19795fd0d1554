/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wio.c — a worker's data-plane I/O (see wio.h for the design).
 *
 * Per destination site a struct dest: a queue of messages waiting to be
 * framed (a power-of-2 ring of struct lw_msg that doubles when full), and
 * either a reliable channel and the frame addresses (another node) or the
 * message ring to that worker (this node). Destinations with queued
 * messages are on the pending list; remote destinations are all on the
 * remote list, which lw_wio_flush walks when a channel timer is due.
 *
 * Frames for the NIC collect in a per-port TX buffer, sent with one
 * rte_eth_tx_burst per port per flush; what the NIC does not take stays in
 * the buffer for the next flush (up to TXBUF frames, then freed and
 * counted: data frames are still held by their channel and resent).
 *
 * Incarnations: peer_inc[node] is what this worker knows of each peer's
 * incarnation (0: nothing yet); node_forget() drops a node's queued and
 * unacked traffic and resets the channels, on a restart seen in a frame
 * and on lw_wio_forget_node. Control payloads are fixed-size records
 * (struct ctl_rec) in two rings of the pio: ctl_tx (control thread ->
 * worker 0, SPSC) and ctl_rx (any worker -> control thread, MPSC).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "site.h"
#include "wio.h"

#define TXBUF        512u
#define QUEUE_INIT   64u
#define QUEUE_MAX    (1u << 22)
#define DEF_RING     2048u
#define DEF_BUSY     16384u
#define INC_BASE_S   1704067200ull   /* 2024-01-01: derived incarnations count from it */
#define WIO_FRAME_PAYLOAD LW_FRAME_PAYLOAD_PER_MTU(1500)  /* message bytes per frame: 1432 */

/* A control payload in a ring (its size is a multiple of 4, as rings need). */
struct ctl_rec {
	uint8_t node;                     /* destination (ctl_tx) or source (ctl_rx) */
	uint8_t pad;
	uint16_t len;
	uint8_t data[LW_PIO_CTL_MAX];
};

static_assert(sizeof(struct ctl_rec) % 4 == 0, "ring elements are multiples of 4 bytes");

struct lw_pio {
	struct lw_pio_conf c;
	struct lw_frame_expect ex;
	struct rte_ring *ctl_tx;          /* control thread -> worker 0 */
	struct rte_ring *ctl_rx;          /* workers -> control thread */
	struct rte_ring *msg[LW_PIO_MAX_WORKERS][LW_PIO_MAX_WORKERS];  /* [from][to] lw_msg */
	struct rte_ring *rxh[LW_PIO_MAX_WORKERS][LW_PIO_MAX_WORKERS];  /* [from][to] mbuf */
	struct rte_ring *txh[LW_PIO_MAX_WORKERS][LW_PIO_MAX_WORKERS];  /* [from][to] mbuf */
};

struct dest {
	uint16_t site;
	bool remote;
	bool pending;             /* on the pending list */
	struct lw_msg *q;         /* queue: q[(head + i) & mask] */
	uint32_t mask;
	uint32_t head;
	uint32_t n;
	struct lw_chan *ch;       /* remote */
	struct lw_frame_addr dst; /* remote */
	uint16_t port;            /* remote: index into ports */
	struct rte_ring *ring;    /* local: to that worker */
	struct dest *next_pending;
};

struct txbuf {
	uint16_t n;
	struct rte_mbuf *m[TXBUF];
};

struct lw_wio {
	struct lw_pio *p;
	unsigned int worker;
	uint16_t self;                     /* site id */
	uint16_t mpf;                      /* messages per frame at most (bytes: an MTU) */
	struct lw_frame_addr src;
	struct rte_mempool *pool;
	struct dest *dest[LW_MAX_NODES + 1][LW_PIO_MAX_WORKERS];
	struct dest **remote;              /* every remote dest */
	unsigned int nremote;
	unsigned int cap_remote;
	struct dest *pending;              /* dests with queued messages */
	uint64_t timer_at;                 /* next channel timer (retransmit / ack) */
	uint64_t loss_rng;                 /* rx_loss_ppm's generator state */
	struct txbuf tx[LW_PIO_MAX_PORTS];
	struct ctl_rec ctl;                /* one control payload */
	uint32_t peer_inc[LW_PIO_MAX_NODES]; /* peers' incarnations as known; 0: not yet */
	struct lw_wio_stats st;
} __rte_cache_aligned;

/* ---- node-wide part ----------------------------------------------------- */

static struct rte_ring *
ring_make(const struct lw_pio_conf *c, const char *kind, unsigned int a, unsigned int b,
	  unsigned int esize)
{
	char name[RTE_RING_NAMESIZE];

	if (snprintf(name, sizeof(name), "%s_%s%u_%u", c->name, kind, a, b) >=
	    (int)sizeof(name)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return rte_ring_create_elem(name, esize, c->ring_size, c->socket,
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static int
pio_check(const struct lw_pio_conf *c)
{
	unsigned int i;

	if (c->name == NULL || c->nworkers == 0 || c->nworkers > LW_PIO_MAX_WORKERS ||
	    c->node == 0 || !c->nodes[c->node].present ||
	    c->nodes[c->node].workers != c->nworkers || c->nb_ports > LW_PIO_MAX_PORTS ||
	    c->msgs_per_frame > LW_FRAME_MAX_MSGS ||
	    (c->ring_size & (c->ring_size - 1)) != 0)
		return -EINVAL;
	for (i = 0; i < c->nb_ports; i++)
		if (c->ports[i].nb_queues == 0)
			return -EINVAL;
	for (i = 0; i < c->nworkers; i++)
		if (c->pools[i] == NULL)
			return -EINVAL;
	for (i = 1; i < LW_PIO_MAX_NODES; i++) {
		const struct lw_pio_node *n = &c->nodes[i];

		if (!n->present || i == c->node)
			continue;
		if (n->workers == 0 || n->workers > LW_PIO_MAX_WORKERS || n->port >= c->nb_ports)
			return -EINVAL;
	}
	return 0;
}

/* An incarnation for a node started now: tenths of a second since 2024. */
static uint32_t
inc_derive(void)
{
	struct timespec ts;
	uint32_t inc;

	clock_gettime(CLOCK_REALTIME, &ts);
	inc = (uint32_t)(((uint64_t)ts.tv_sec - INC_BASE_S) * 10 + (uint64_t)ts.tv_nsec / 100000000);
	return inc != 0 ? inc : 1;
}

static int
ctl_rings(struct lw_pio *p)
{
	char name[RTE_RING_NAMESIZE];

	if (snprintf(name, sizeof(name), "%s_ctx", p->c.name) >= (int)sizeof(name))
		return -ENAMETOOLONG;
	p->ctl_tx = rte_ring_create_elem(name, sizeof(struct ctl_rec), LW_PIO_CTL_RING,
					 p->c.socket, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (snprintf(name, sizeof(name), "%s_crx", p->c.name) >= (int)sizeof(name))
		return -ENAMETOOLONG;
	p->ctl_rx = rte_ring_create_elem(name, sizeof(struct ctl_rec), LW_PIO_CTL_RING,
					 p->c.socket, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (p->ctl_tx == NULL || p->ctl_rx == NULL)
		return rte_errno ? -rte_errno : -ENOMEM;
	return 0;
}

struct lw_pio *
lw_pio_create(const struct lw_pio_conf *conf)
{
	struct lw_pio *p;
	unsigned int a, b, i;
	int rc;

	if (conf == NULL || pio_check(conf) != 0) {
		errno = EINVAL;
		return NULL;
	}
	p = rte_zmalloc_socket("lw_pio", sizeof(*p), RTE_CACHE_LINE_SIZE, conf->socket);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->c = *conf;
	if (p->c.ring_size == 0)
		p->c.ring_size = DEF_RING;
	if (p->c.busy_msgs == 0)
		p->c.busy_msgs = DEF_BUSY;
	if (p->c.msgs_per_frame == 0)    /* as many as fit the MTU by bytes */
		p->c.msgs_per_frame = LW_FRAME_MSGS_PER_MTU(1500);
	p->ex.cluster = conf->cluster;
	p->ex.epoch = conf->epoch;
	p->ex.base_port = conf->base_port;
	p->ex.nworkers = conf->nworkers;
	p->ex.my_node = conf->node;
	if (p->c.incarnation == 0)
		p->c.incarnation = inc_derive();
	p->ex.my_inc = 0;	/* dst_inc: judged by the frame's worker against its own (rx_mbuf) */
	for (i = 1; i < LW_PIO_MAX_NODES; i++)
		if (conf->nodes[i].present && i != conf->node)
			lw_frame_expect_node(&p->ex, (uint8_t)i, 1);
	for (a = 0; a < conf->nworkers; a++)
		for (b = 0; b < conf->nworkers; b++) {
			if (a == b)
				continue;
			p->msg[a][b] = ring_make(&p->c, "m", a, b, sizeof(struct lw_msg));
			p->rxh[a][b] = ring_make(&p->c, "r", a, b, sizeof(void *));
			p->txh[a][b] = ring_make(&p->c, "t", a, b, sizeof(void *));
			if (p->msg[a][b] == NULL || p->rxh[a][b] == NULL || p->txh[a][b] == NULL) {
				int e = rte_errno ? rte_errno : ENOMEM;

				lw_pio_free(p);
				errno = e;
				return NULL;
			}
		}
	rc = ctl_rings(p);
	if (rc != 0) {
		lw_pio_free(p);
		errno = -rc;
		return NULL;
	}
	return p;
}

void
lw_pio_free(struct lw_pio *p)
{
	unsigned int a, b;

	if (p == NULL)
		return;
	for (a = 0; a < LW_PIO_MAX_WORKERS; a++)
		for (b = 0; b < LW_PIO_MAX_WORKERS; b++) {
			struct rte_mbuf *m;

			while (p->rxh[a][b] && rte_ring_dequeue(p->rxh[a][b], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			while (p->txh[a][b] && rte_ring_dequeue(p->txh[a][b], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(p->msg[a][b]);
			rte_ring_free(p->rxh[a][b]);
			rte_ring_free(p->txh[a][b]);
		}
	rte_ring_free(p->ctl_tx);
	rte_ring_free(p->ctl_rx);
	rte_free(p);
}

void
lw_pio_set_epoch(struct lw_pio *p, uint32_t epoch)
{
	p->c.epoch = epoch;
	p->ex.epoch = epoch;
}

uint32_t
lw_pio_incarnation(const struct lw_pio *p)
{
	return p->c.incarnation;
}

int
lw_pio_ctl_send(struct lw_pio *p, unsigned int node, const void *buf, uint16_t len)
{
	struct ctl_rec r;

	if (p == NULL || node == 0 || node >= LW_PIO_MAX_NODES || node == p->c.node ||
	    !p->c.nodes[node].present || buf == NULL || len == 0 || len > LW_PIO_CTL_MAX)
		return -EINVAL;
	r.node = (uint8_t)node;
	r.pad = 0;
	r.len = len;
	memcpy(r.data, buf, len);
	return rte_ring_enqueue_elem(p->ctl_tx, &r, sizeof(r)) == 0 ? 0 : -ENOBUFS;
}

int
lw_pio_ctl_recv(struct lw_pio *p, uint8_t *src_node, void *buf, uint16_t *len)
{
	struct ctl_rec r;

	if (rte_ring_dequeue_elem(p->ctl_rx, &r, sizeof(r)) != 0)
		return 0;
	*src_node = r.node;
	*len = r.len;
	memcpy(buf, r.data, r.len);
	return 1;
}

/* ---- worker part -------------------------------------------------------- */

struct lw_wio *
lw_wio_create(struct lw_pio *p, unsigned int worker)
{
	const struct lw_pio_node *me;
	struct lw_wio *w;

	if (p == NULL || worker >= p->c.nworkers) {
		errno = EINVAL;
		return NULL;
	}
	w = rte_zmalloc_socket("lw_wio", sizeof(*w), RTE_CACHE_LINE_SIZE,
			       p->c.pools[worker]->socket_id);
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	me = &p->c.nodes[p->c.node];
	w->p = p;
	w->worker = worker;
	w->loss_rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)p->c.node << 8 | worker);
	w->self = lw_site_id(p->c.node, worker);
	w->mpf = p->c.msgs_per_frame;
	w->pool = p->c.pools[worker];
	memcpy(w->src.mac, me->mac, 6);
	w->src.ipv4 = me->ipv4;
	w->src.base_port = p->c.base_port;
	w->src.node = p->c.node;
	w->src.worker = (uint8_t)worker;
	w->src.inc = p->c.incarnation;
	w->timer_at = UINT64_MAX;
	return w;
}

static void
dest_free(struct dest *d)
{
	if (d == NULL)
		return;
	lw_chan_free(d->ch);
	free(d->q);
	free(d);
}

void
lw_wio_free(struct lw_wio *w)
{
	unsigned int i, j;

	if (w == NULL)
		return;
	for (i = 0; i <= LW_MAX_NODES; i++)
		for (j = 0; j < LW_PIO_MAX_WORKERS; j++)
			dest_free(w->dest[i][j]);
	for (i = 0; i < LW_PIO_MAX_PORTS; i++)
		rte_pktmbuf_free_bulk(w->tx[i].m, w->tx[i].n);
	free(w->remote);
	rte_free(w);
}

/* The destination for site (allocated on first use); NULL: no such site. */
static struct dest *
dest_get(struct lw_wio *w, uint16_t site)
{
	const struct lw_pio_conf *c = &w->p->c;
	unsigned int node = lw_site_node(site), wk = lw_site_worker(site);
	const struct lw_pio_node *n;
	struct dest *d;

	if (node == 0 || node > LW_MAX_NODES)
		return NULL;
	d = w->dest[node][wk];
	if (__builtin_expect(d != NULL, 1))
		return d;
	n = &c->nodes[node];
	if (!n->present || wk >= n->workers || site == w->self)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->q = malloc(QUEUE_INIT * sizeof(*d->q));
	if (d->q == NULL)
		goto fail;
	d->mask = QUEUE_INIT - 1;
	d->site = site;
	if (node == c->node) {
		d->ring = w->p->msg[w->worker][wk];
	} else {
		d->remote = true;
		d->ch = lw_chan_create(&c->chan);
		if (d->ch == NULL)
			goto fail;
		memcpy(d->dst.mac, n->mac, 6);
		d->dst.ipv4 = n->ipv4;
		d->dst.base_port = c->base_port;
		d->dst.node = (uint8_t)node;
		d->dst.worker = (uint8_t)wk;
		d->port = n->port;
		if (w->nremote == w->cap_remote) {
			unsigned int cap = w->cap_remote ? w->cap_remote * 2 : 16;
			struct dest **r = realloc(w->remote, cap * sizeof(*r));

			if (r == NULL)
				goto fail;
			w->remote = r;
			w->cap_remote = cap;
		}
		w->remote[w->nremote++] = d;
	}
	w->dest[node][wk] = d;
	w->st.peers++;
	return d;
fail:
	lw_chan_free(d->ch);
	free(d->q);
	free(d);
	return NULL;
}

/* Room for one more message in d's queue (doubling it when full). */
static int
queue_grow(struct lw_wio *w, struct dest *d)
{
	uint32_t cap = d->mask + 1, i;
	struct lw_msg *q;

	if (cap >= QUEUE_MAX)
		return -ENOSPC;
	q = malloc(2 * (size_t)cap * sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	for (i = 0; i < d->n; i++)
		q[i] = d->q[(d->head + i) & d->mask];
	free(d->q);
	d->q = q;
	d->head = 0;
	d->mask = 2 * cap - 1;
	w->st.queue_grow++;
	return 0;
}

static void
pending_add(struct lw_wio *w, struct dest *d)
{
	if (!d->pending) {
		d->pending = true;
		d->next_pending = w->pending;
		w->pending = d;
	}
}

unsigned int
lw_wio_send(struct lw_wio *w, const struct lw_msg *m, unsigned int n, uint64_t now)
{
	unsigned int i, k = 0;

	(void)now;
	for (i = 0; i < n; i++) {
		struct dest *d = dest_get(w, m[i].h.dst);

		if (d == NULL || (d->n > d->mask && queue_grow(w, d) != 0)) {
			w->st.lost++;
			continue;
		}
		d->q[(d->head + d->n) & d->mask] = m[i];
		d->n++;
		pending_add(w, d);
		w->st.msgs_tx++;
		w->st.queued++;
		k++;
	}
	if (w->st.queued > w->st.queued_max)
		w->st.queued_max = w->st.queued;
	return k;
}

bool
lw_wio_busy(const struct lw_wio *w)
{
	return w->st.queued >= w->p->c.busy_msgs;
}

/* ---- transmit ----------------------------------------------------------- */

/* Queue a frame for the NIC: on our own queue of the port, or via the owner. */
static void
tx_frame(struct lw_wio *w, uint16_t port, struct rte_mbuf *m)
{
	const struct lw_pio_port *pp = &w->p->c.ports[port];
	struct txbuf *t = &w->tx[port];

	w->st.tx_frames++;
	w->st.tx_bytes += m->pkt_len;
	if (w->worker >= pp->nb_queues) {
		unsigned int owner = w->worker % pp->nb_queues;

		m->port = port;
		if (rte_ring_enqueue(w->p->txh[w->worker][owner], m) != 0) {
			rte_pktmbuf_free(m);
			w->st.handoff_drops++;
		} else {
			w->st.handoff_tx_out++;
		}
		return;
	}
	if (t->n == TXBUF) {
		rte_pktmbuf_free(m);
		w->st.tx_dropped++;
		return;
	}
	t->m[t->n++] = m;
}

/* An mbuf holding len bytes copied from frame; NULL when the pool is empty. */
static struct rte_mbuf *
mbuf_of(struct lw_wio *w, const void *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
	char *p;

	if (m == NULL) {
		w->st.alloc_fail++;
		return NULL;
	}
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		w->st.alloc_fail++;
		return NULL;
	}
	memcpy(p, frame, len);
	return m;
}

/* An empty unsequenced frame (ACKONLY or HEARTBEAT) to a site. */
static void
tx_empty(struct lw_wio *w, uint16_t port, const struct lw_frame_addr *dst, uint32_t seq,
	 uint32_t ack, uint8_t flags)
{
	uint8_t buf[LW_FRAME_MIN_LEN];
	struct rte_mbuf *m;
	int len;

	len = lw_frame_build(buf, sizeof(buf), &w->src, dst, w->p->c.cluster, w->p->c.epoch,
			     seq, ack, flags, NULL, 0);
	if (len < 0)
		return;
	m = mbuf_of(w, buf, (uint32_t)len);
	if (m != NULL)
		tx_frame(w, port, m);
}

/* Drop the message at the head of d's queue (it cannot be encoded). */
static void
queue_drop_head(struct lw_wio *w, struct dest *d)
{
	d->head = (d->head + 1) & d->mask;
	d->n--;
	w->st.queued--;
	w->st.lost++;
}

/*
 * How many messages from the head of d's queue go in the next frame (at
 * most mpf, and payload bytes that fit a 1500-byte MTU); *bytes gets their
 * encoded length. Messages that cannot be encoded (the engine never makes
 * them) are dropped and counted as lost.
 */
static uint16_t
frame_take(struct lw_wio *w, struct dest *d, uint32_t *bytes)
{
	uint32_t lim = RTE_MIN(d->n, (uint32_t)w->mpf), sum = 0;
	uint16_t n = 0;

	while (n < lim) {
		uint16_t wl = lw_msg_wire_len(&d->q[(d->head + n) & d->mask]);

		if (wl == 0 && n == 0) {
			queue_drop_head(w, d);
			lim = RTE_MIN(d->n, (uint32_t)w->mpf);
			continue;
		}
		if (wl == 0 || sum + wl > WIO_FRAME_PAYLOAD)
			break;   /* a bad one is dropped when it reaches the head */
		sum += wl;
		n++;
	}
	*bytes = sum;
	return n;
}

/*
 * Frame queued messages of a remote dest (at most mpf, and what fits a
 * 1500-byte MTU), encoded straight into the mbuf; false when it cannot now.
 */
static bool
flush_one_frame(struct lw_wio *w, struct dest *d, uint64_t now)
{
	struct rte_mbuf *m;
	uint32_t seq, bytes, off = 0;
	uint16_t n, i;
	uint8_t *p;
	int len;

	if (!lw_chan_can_send(d->ch))
		return false;
	n = frame_take(w, d, &bytes);
	if (n == 0)
		return false;      /* the queue held only messages that cannot be encoded */
	m = rte_pktmbuf_alloc(w->pool);
	if (m == NULL) {
		w->st.alloc_fail++;
		return false;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(LW_FRAME_MIN_LEN + bytes));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		w->st.alloc_fail++;
		return false;
	}
	for (i = 0; i < n; i++)
		off += (uint32_t)lw_msg_encode(p + LW_FRAME_MIN_LEN + off,
					       &d->q[(d->head + i) & d->mask]);
	seq = lw_chan_next_seq(d->ch);
	d->dst.inc = w->peer_inc[d->dst.node];
	len = lw_frame_finish(p, &w->src, &d->dst, w->p->c.cluster, w->p->c.epoch, seq,
			      lw_chan_ack_take(d->ch), n, (uint16_t)off);
	if (len < 0 || lw_chan_send(d->ch, p, (uint32_t)len, now) != 0) {
		/* cannot happen with checked messages and a free window */
		rte_pktmbuf_free(m);
		return false;
	}
	for (i = 0; i < n; i++)
		lw_msg_count_tx(&w->st.msgs, &d->q[(d->head + i) & d->mask], 1);
	d->head = (d->head + n) & d->mask;
	d->n -= n;
	w->st.queued -= n;
	w->st.tx_data++;
	tx_frame(w, d->port, m);
	return true;
}

/* Move queued messages of a local dest onto its ring; false when the ring is full. */
static bool
flush_ring(struct lw_wio *w, struct dest *d)
{
	while (d->n > 0) {
		uint32_t run = RTE_MIN(d->n, d->mask + 1 - d->head);
		unsigned int k;

		k = rte_ring_enqueue_burst_elem(d->ring, &d->q[d->head], sizeof(struct lw_msg),
						run, NULL);
		lw_msg_count_tx(&w->st.msgs, &d->q[d->head], (uint16_t)k);
		w->st.ring_msgs_tx += k;
		d->head = (d->head + k) & d->mask;
		d->n -= k;
		w->st.queued -= k;
		if (k < run)
			return false;
	}
	return true;
}

/* Retransmissions and standalone acks of one channel. */
static void
chan_timers(struct lw_wio *w, struct dest *d, uint64_t now)
{
	struct lw_chan_tx out[LW_PIO_BURST];
	unsigned int k, i;

	do {
		k = lw_chan_poll(d->ch, now, out, LW_PIO_BURST);
		for (i = 0; i < k; i++) {
			struct rte_mbuf *m;

			lw_frame_set_ack(out[i].frame, out[i].len, lw_chan_ack_peek(d->ch));
			/* framed before a view change or before the peer's incarnation was
			   known: resend it in the current epoch, to the incarnation known */
			lw_frame_restamp(out[i].frame, out[i].len, w->p->c.epoch,
					 w->peer_inc[d->dst.node]);
			m = mbuf_of(w, out[i].frame, out[i].len);
			if (m == NULL)
				return;
			w->st.tx_retransmits++;
			tx_frame(w, d->port, m);
		}
	} while (k == LW_PIO_BURST);
	if (lw_chan_ack_due(d->ch, now)) {
		d->dst.inc = w->peer_inc[d->dst.node];
		tx_empty(w, d->port, &d->dst, 0, lw_chan_ack_take(d->ch), LW_FRAME_F_ACKONLY);
		w->st.tx_acks++;
	}
}

static void
sum_chan_stats(struct lw_wio *w)
{
	struct lw_chan_stats *s = &w->st.chan;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < w->nremote; i++) {
		const struct lw_chan_stats *c = lw_chan_stats(w->remote[i]->ch);

		s->tx_frames += c->tx_frames;
		s->retransmits += c->retransmits;
		s->timeouts += c->timeouts;
		s->acked += c->acked;
		s->bad_acks += c->bad_acks;
		s->pushback += c->pushback;
		s->rx_delivered += c->rx_delivered;
		s->rx_dup += c->rx_dup;
		s->rx_buffered += c->rx_buffered;
		s->rx_ooo += c->rx_ooo;
		s->acks_taken += c->acks_taken;
	}
}

/* Send what each port's buffer holds; keep the rest for the next flush. */
static void
tx_drain(struct lw_wio *w)
{
	unsigned int i;

	for (i = 0; i < w->p->c.nb_ports; i++) {
		struct txbuf *t = &w->tx[i];
		uint16_t k;

		if (t->n == 0)
			continue;
		k = rte_eth_tx_burst(w->p->c.ports[i].port_id, (uint16_t)w->worker, t->m, t->n);
		if (k < t->n) {
			w->st.tx_full += t->n - k;
			memmove(t->m, t->m + k, (t->n - k) * sizeof(t->m[0]));
		}
		t->n -= k;
	}
}

/* Frames other workers gave us to send on our queues. */
static void
take_tx_handoffs(struct lw_wio *w)
{
	struct rte_mbuf *m[LW_PIO_BURST];
	unsigned int from, k, i;

	for (from = 0; from < w->p->c.nworkers; from++) {
		struct rte_ring *r = w->p->txh[from][w->worker];

		if (r == NULL || rte_ring_count(r) == 0)
			continue;
		k = rte_ring_dequeue_burst(r, (void **)m, LW_PIO_BURST, NULL);
		for (i = 0; i < k; i++) {
			struct txbuf *t = &w->tx[m[i]->port];

			w->st.handoff_tx_in++;
			if (t->n == TXBUF) {
				rte_pktmbuf_free(m[i]);
				w->st.tx_dropped++;
			} else {
				t->m[t->n++] = m[i];
			}
		}
	}
}

/* Worker 0 of a peer node, at the incarnation known. */
static void
node0_addr(const struct lw_wio *w, unsigned int node, struct lw_frame_addr *dst)
{
	const struct lw_pio_conf *c = &w->p->c;

	memcpy(dst->mac, c->nodes[node].mac, 6);
	dst->ipv4 = c->nodes[node].ipv4;
	dst->base_port = c->base_port;
	dst->node = (uint8_t)node;
	dst->worker = 0;
	dst->inc = w->peer_inc[node];
}

void
lw_wio_heartbeat(struct lw_wio *w, uint64_t now, uint32_t count)
{
	const struct lw_pio_conf *c = &w->p->c;
	unsigned int node;

	(void)now;
	for (node = 1; node < LW_PIO_MAX_NODES; node++) {
		struct lw_frame_addr dst;

		if (!c->nodes[node].present || node == c->node)
			continue;
		node0_addr(w, node, &dst);
		tx_empty(w, c->nodes[node].port, &dst, count, 0, LW_FRAME_F_HEARTBEAT);
		w->st.tx_heartbeats++;
	}
}

/* Worker 0: the control payloads the control thread queued, as CONTROL frames. */
static void
send_ctl(struct lw_wio *w)
{
	const struct lw_pio_conf *c = &w->p->c;
	unsigned int i;

	for (i = 0; i < LW_PIO_BURST; i++) {
		struct lw_frame_addr dst;
		struct rte_mbuf *m;
		char *buf;
		int len;

		if (rte_ring_dequeue_elem(w->p->ctl_tx, &w->ctl, sizeof(w->ctl)) != 0)
			return;
		m = rte_pktmbuf_alloc(w->pool);
		buf = m ? rte_pktmbuf_append(m, (uint16_t)(LW_FRAME_MIN_LEN + w->ctl.len)) : NULL;
		if (buf == NULL) {
			/* the payload is lost, as it may be on the wire */
			rte_pktmbuf_free(m);
			w->st.alloc_fail++;
			continue;
		}
		node0_addr(w, w->ctl.node, &dst);
		len = lw_frame_build_ctl(buf, LW_FRAME_MIN_LEN + w->ctl.len, &w->src, &dst,
					 c->cluster, c->epoch, w->ctl.data, w->ctl.len);
		if (len < 0) {
			rte_pktmbuf_free(m);    /* cannot happen: lw_pio_ctl_send checked it */
			continue;
		}
		w->st.tx_ctl++;
		tx_frame(w, c->nodes[w->ctl.node].port, m);
	}
}

/* Unlink d from the pending list. */
static void
pending_del(struct lw_wio *w, struct dest *d)
{
	struct dest **pp;

	if (!d->pending)
		return;
	for (pp = &w->pending; *pp != NULL; pp = &(*pp)->next_pending)
		if (*pp == d) {
			*pp = d->next_pending;
			break;
		}
	d->pending = false;
}

/* Drop what is queued or unacked for node's sites and reset the channels. */
static void
node_forget(struct lw_wio *w, unsigned int node)
{
	unsigned int wk;

	for (wk = 0; wk < LW_PIO_MAX_WORKERS; wk++) {
		struct dest *d = w->dest[node][wk];

		if (d == NULL || !d->remote)
			continue;
		w->st.forgot_msgs += d->n;
		w->st.forgot_frames += lw_chan_inflight(d->ch);
		w->st.queued -= d->n;
		d->n = 0;
		d->head = 0;
		pending_del(w, d);
		lw_chan_reset(d->ch, w->p->c.chan.isn);
	}
}

void
lw_wio_forget_node(struct lw_wio *w, unsigned int node)
{
	if (node == 0 || node > LW_MAX_NODES || node == w->p->c.node)
		return;
	node_forget(w, node);
	w->peer_inc[node] = 0;
}

void
lw_wio_node_lost(struct lw_wio *w, unsigned int node, uint32_t back_inc)
{
	/* already talking to the new run: its channels are the ones to keep */
	if (back_inc != 0 && lw_wio_peer_inc(w, node) == back_inc)
		return;
	lw_wio_forget_node(w, node);
}

void
lw_wio_restart(struct lw_wio *w, uint32_t inc)
{
	unsigned int node;

	for (node = 1; node <= LW_MAX_NODES; node++)
		lw_wio_forget_node(w, node);
	if (inc > w->src.inc) {
		w->src.inc = inc;	/* what every frame of this worker carries */
		w->st.restarts++;
	}
}

uint32_t
lw_wio_incarnation(const struct lw_wio *w)
{
	return w->src.inc;
}

uint32_t
lw_wio_peer_inc(const struct lw_wio *w, unsigned int node)
{
	return node < LW_PIO_MAX_NODES ? w->peer_inc[node] : 0;
}

void
lw_wio_flush(struct lw_wio *w, uint64_t now)
{
	struct dest *d = w->pending, *next;
	unsigned int i;

	w->pending = NULL;
	for (; d != NULL; d = next) {
		next = d->next_pending;
		d->pending = false;
		if (d->remote) {
			while (d->n > 0 && flush_one_frame(w, d, now))
				;
		} else {
			flush_ring(w, d);
		}
		if (d->n > 0)
			pending_add(w, d);
		if (d->remote)
			w->timer_at = RTE_MIN(w->timer_at, lw_chan_deadline(d->ch));
	}
	if (now >= w->timer_at) {
		w->timer_at = UINT64_MAX;
		for (i = 0; i < w->nremote; i++) {
			chan_timers(w, w->remote[i], now);
			w->timer_at = RTE_MIN(w->timer_at, lw_chan_deadline(w->remote[i]->ch));
		}
		sum_chan_stats(w);
	}
	if (w->worker == 0)
		send_ctl(w);
	take_tx_handoffs(w);
	tx_drain(w);
}

bool
lw_wio_idle(const struct lw_wio *w)
{
	unsigned int i;

	if (w->pending != NULL || w->st.queued != 0)
		return false;
	for (i = 0; i < LW_PIO_MAX_PORTS; i++)
		if (w->tx[i].n != 0)
			return false;
	/* frames other workers gave us to send */
	for (i = 0; i < w->p->c.nworkers; i++)
		if (w->p->txh[i][w->worker] != NULL && rte_ring_count(w->p->txh[i][w->worker]) != 0)
			return false;
	for (i = 0; i < w->nremote; i++)
		if (lw_chan_inflight(w->remote[i]->ch) != 0 ||
		    lw_chan_deadline(w->remote[i]->ch) != UINT64_MAX)
			return false;
	return true;
}

uint64_t
lw_wio_next_deadline(const struct lw_wio *w)
{
	return w->pending != NULL ? 0 : w->timer_at;
}

const struct lw_wio_stats *
lw_wio_stats(const struct lw_wio *w)
{
	return &w->st;
}

/* ---- receive ------------------------------------------------------------ */

/* Append the messages of a parsed in-order frame from site src. */
static unsigned int
deliver(struct lw_wio *w, const struct lw_frame_view *v, uint16_t src, struct lw_msgbuf *in)
{
	unsigned int i, k = 0;
	uint32_t off = 0;        /* the cursor in the frame's messages */

	for (i = 0; i < v->nmsgs; i++) {
		struct lw_msg *m = lw_msgbuf_push(in);

		if (m == NULL) {
			w->st.lost += v->nmsgs - i;   /* no room: this one and the rest */
			break;
		}
		if (lw_frame_msg_next(v, &off, m) != 0) {
			in->n--;    /* cannot happen: lw_frame_parse checked every message */
			w->st.bad_msgs++;
			break;
		}
		/* counted here, not by a second walk of the frame (lw_msg_count_rx) */
		w->st.msgs.rx[lw_msg_count_slot(m->h.type)]++;
		if (m->h.src != src || m->h.dst != w->self) {
			in->n--;
			w->st.bad_msgs++;
			continue;
		}
		k++;
	}
	w->st.msgs_rx += k;
	return k;
}

/* A CONTROL frame: its payload goes to the control thread. */
static void
receive_ctl(struct lw_wio *w, const struct lw_frame_view *v)
{
	w->ctl.node = v->src_node;
	w->ctl.pad = 0;
	w->ctl.len = v->payload_len;
	memcpy(w->ctl.data, v->msgs, v->payload_len);  /* <= LW_FRAME_CTL_MAX: checked */
	if (rte_ring_enqueue_elem(w->p->ctl_rx, &w->ctl, sizeof(w->ctl)) != 0) {
		w->st.ctl_drops++;
		return;
	}
	w->st.rx_ctl++;
}

/*
 * A data frame meant for an earlier incarnation of this node: its sender
 * has not heard from this one yet. Answer with an ack-only frame, whose
 * higher src_inc tells it we restarted (it then resets its channels).
 */
static void
reply_stale(struct lw_wio *w, const struct lw_frame_view *v)
{
	struct dest *d;

	if (v->flags != 0 || v->src_worker >= LW_PIO_MAX_WORKERS)
		return;
	d = dest_get(w, lw_site_id(v->src_node, v->src_worker));
	if (d == NULL || !d->remote)
		return;
	d->dst.inc = w->peer_inc[v->src_node];
	tx_empty(w, d->port, &d->dst, 0, lw_chan_ack_peek(d->ch), LW_FRAME_F_ACKONLY);
	w->st.stale_replies++;
}

/*
 * The sender's incarnation, for a frame of this worker that parsed (rc 0)
 * or was meant for an earlier us (rc -LW_FRAME_STALE_INC). Returns the
 * frame's fate: rc, or -LW_FRAME_STALE_INC when it comes from an earlier
 * incarnation of its sender.
 */
static int
check_inc(struct lw_wio *w, const struct lw_frame_view *v, int rc)
{
	uint32_t known = w->peer_inc[v->src_node];

	if (v->src_inc != known) {
		if (known != 0 && v->src_inc < known)
			return -LW_FRAME_STALE_INC;
		if (known != 0) {
			/* the peer restarted: what it had of ours is gone */
			node_forget(w, v->src_node);
			w->st.peer_restarts++;
		}
		w->peer_inc[v->src_node] = v->src_inc;
	}
	if (rc == -LW_FRAME_STALE_INC)
		reply_stale(w, v);
	return rc;
}

/* One received frame that belongs to this worker (already parsed). */
static unsigned int
receive_frame(struct lw_wio *w, struct rte_mbuf *mb, const struct lw_frame_view *v,
	      uint64_t now, struct lw_msgbuf *in)
{
	uint16_t src = lw_site_id(v->src_node, v->src_worker);
	struct dest *d;
	const void *fr;
	uint32_t flen;
	unsigned int k = 0;

	if (v->flags & LW_FRAME_F_HEARTBEAT) {
		w->st.heartbeats_rx[v->src_node]++;
		w->st.heartbeat_ns[v->src_node] = now;
		return 0;
	}
	if (v->flags & LW_FRAME_F_CONTROL) {
		receive_ctl(w, v);
		return 0;
	}
	/* worker >= 32 would make another node's site id (node << 5 | worker) */
	d = v->src_worker < LW_PIO_MAX_WORKERS ? dest_get(w, src) : NULL;
	if (d == NULL || !d->remote) {
		w->st.drops.n[LW_FRAME_UNKNOWN_NODE]++;
		return 0;
	}
	if (lw_chan_ack_in(d->ch, v->ack, now) > 0 && d->n > 0)
		pending_add(w, d);
	if (v->flags & LW_FRAME_F_ACKONLY)
		return 0;
	if (lw_chan_rx(d->ch, v->seq, rte_pktmbuf_mtod(mb, void *), v->len, now) == 1) {
		k += deliver(w, v, src, in);
		while (lw_chan_rx_next(d->ch, &fr, &flen) == 1) {
			struct lw_frame_expect ex = w->p->ex;
			struct lw_frame_view kv;

			/* checked when it arrived: an epoch change since must not lose it */
			memcpy(&ex.epoch, (const uint8_t *)fr + LW_FRAME_L2L4_LEN +
			       offsetof(struct lw_frame_hdr, epoch), sizeof(ex.epoch));
			if (lw_frame_parse(fr, flen, &ex, &kv) == 0)
				k += deliver(w, &kv, src, in);
		}
	}
	w->timer_at = RTE_MIN(w->timer_at, lw_chan_deadline(d->ch));
	return k;
}

/* Check a frame; keep it, hand it to its worker, or drop it. */
static unsigned int
rx_mbuf(struct lw_wio *w, struct rte_mbuf *mb, uint64_t now, struct lw_msgbuf *in,
	bool handed)
{
	struct lw_frame_view v;
	unsigned int k = 0;
	int rc;

	w->st.rx_frames++;
	w->st.rx_bytes += mb->pkt_len;
	if (w->p->c.rx_loss_ppm != 0 && !handed) {
		/* xorshift64: a lossy link for tests, no syscall, per worker */
		w->loss_rng ^= w->loss_rng << 13;
		w->loss_rng ^= w->loss_rng >> 7;
		w->loss_rng ^= w->loss_rng << 17;
		if (w->loss_rng % 1000000u < w->p->c.rx_loss_ppm) {
			w->st.rx_injected++;
			rte_pktmbuf_free(mb);
			return 0;
		}
	}
	if (mb->nb_segs != 1) {
		w->st.multiseg++;
		rte_pktmbuf_free(mb);
		return 0;
	}
	rc = lw_frame_parse(rte_pktmbuf_mtod(mb, void *), mb->data_len, &w->p->ex, &v);
	/*
	 * Incarnations are for the frame's worker to judge: it keeps the
	 * peer's, and its own may have gone up (lw_wio_restart) before the
	 * other workers' did. A frame for an earlier run of this node is stale.
	 */
	if (rc == 0 && v.dst_worker == w->worker) {
		if (v.dst_inc != 0 && v.dst_inc != w->src.inc)
			rc = -LW_FRAME_STALE_INC;
		rc = check_inc(w, &v, rc);
	}
	lw_frame_drop_count(&w->st.drops, rc);
	if (rc != 0) {
		rte_pktmbuf_free(mb);
		return 0;
	}
	if (v.dst_worker != w->worker && !handed) {
		if (rte_ring_enqueue(w->p->rxh[w->worker][v.dst_worker], mb) != 0) {
			w->st.handoff_drops++;
			rte_pktmbuf_free(mb);
		} else {
			w->st.handoff_rx_out++;
		}
		return 0;
	}
	if (v.dst_worker == w->worker)
		k = receive_frame(w, mb, &v, now, in);
	rte_pktmbuf_free(mb);
	return k;
}

/* Room for n more messages at the end of b (growing it); false when memory is gone. */
static bool
msgbuf_room(struct lw_msgbuf *b, uint32_t n)
{
	while (b->cap - b->n < n) {
		if (lw_msgbuf_grow(b) == NULL)
			return false;
		b->n--;		/* grow hands out one element: give it back */
	}
	return true;
}

unsigned int
lw_wio_rx(struct lw_wio *w, uint64_t now, struct lw_msgbuf *in)
{
	const struct lw_pio_conf *c = &w->p->c;
	struct rte_mbuf *mb[LW_PIO_BURST];
	unsigned int i, j, k, total = 0;

	for (i = 0; i < c->nb_ports; i++) {
		if (w->worker >= c->ports[i].nb_queues)
			continue;
		k = rte_eth_rx_burst(c->ports[i].port_id, (uint16_t)w->worker, mb, LW_PIO_BURST);
		for (j = 0; j < k; j++)
			total += rx_mbuf(w, mb[j], now, in, false);
	}
	for (i = 0; i < c->nworkers; i++) {
		struct rte_ring *r = w->p->rxh[i][w->worker];

		if (r == NULL || rte_ring_count(r) == 0)
			continue;
		k = rte_ring_dequeue_burst(r, (void **)mb, LW_PIO_BURST, NULL);
		w->st.handoff_rx_in += k;
		for (j = 0; j < k; j++)
			total += rx_mbuf(w, mb[j], now, in, true);
	}
	for (i = 0; i < c->nworkers; i++) {
		struct rte_ring *r = w->p->msg[i][w->worker];
		unsigned int got;

		if (r == NULL || rte_ring_count(r) == 0)
			continue;
		if (!msgbuf_room(in, LW_PIO_BURST))
			return total;
		got = rte_ring_dequeue_burst_elem(r, &in->m[in->n], sizeof(struct lw_msg),
						  LW_PIO_BURST, NULL);
		for (j = 0; j < got; j++)
			w->st.msgs.rx[lw_msg_count_slot(in->m[in->n + j].h.type)]++;
		in->n += got;
		w->st.ring_msgs_rx += got;
		w->st.msgs_rx += got;
		total += got;
	}
	return total;
}
