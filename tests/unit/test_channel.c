/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_channel.c — pktio/channel.h: the reliable ordered channel.
 *
 * DESIGN
 * Unit checks of the window (push back at 64 unacked, acks free slots,
 * bogus and old acks), the retransmission timer (RTO, doubling, cap, reset
 * on progress) and the receiver (in-order delivery, duplicates, standalone
 * ack after the delay). Then two sites A and B, each with a channel, talk
 * through an in-memory wire that loses 10% of the frames, duplicates 5%
 * and delays each by a random 5..55 us (so frames reorder), both ways, in
 * virtual time: 20,000 messages each way, packed 1..9 per real lockwire
 * frame (lw_frame_build/parse; each message's name length and LVB follow
 * from its number, so frames are of every size and the receiver checks
 * the decoded bytes), sent only while the window has room, with
 * early frames kept by the receiver (and once without: go-back-N). Every
 * message must arrive exactly once and in order. Deterministic from the
 * seed (LW_SEED=<n> replays), which is printed on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwt.h"
#include "lwt_ev.h"
#include "channel.h"
#include "frame.h"

#define US 1000ull

static void
test_create(void)
{
	struct lw_chan_cfg cfg = { .window = 48 };
	struct lw_chan *ch;
	uint8_t big[4096] = { 0 };

	errno = 0;
	CU_ASSERT_PTR_NULL(lw_chan_create(&cfg));
	CU_ASSERT_EQUAL(errno, EINVAL);
	cfg.window = 2048;
	CU_ASSERT_PTR_NULL(lw_chan_create(&cfg));
	cfg = (struct lw_chan_cfg){ .rto_ns = 10 * US, .rto_max_ns = 5 * US };
	CU_ASSERT_PTR_NULL(lw_chan_create(&cfg));
	ch = lw_chan_create(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(lw_chan_send(ch, big, sizeof(big), 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(lw_chan_send(ch, big, 0, 0), -EMSGSIZE);
	CU_ASSERT_EQUAL(lw_chan_send(ch, NULL, 10, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_chan_send(ch, big, LW_CHAN_DEF_SLOT, 0), 0);
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), LW_CHAN_DEF_RTO_NS);
	lw_chan_free(ch);
	lw_chan_free(NULL);
}

static void
test_window_pushback(void)
{
	struct lw_chan_cfg cfg = { .isn = 0xfffffff0u };
	struct lw_chan *ch = lw_chan_create(&cfg);
	uint8_t f[100];
	uint32_t isn = cfg.isn;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	for (int i = 0; i < 64; i++) {
		CU_ASSERT_TRUE(lw_chan_can_send(ch));
		CU_ASSERT_EQUAL(lw_chan_next_seq(ch), isn + (uint32_t)i);
		memset(f, i, sizeof(f));
		CU_ASSERT_EQUAL(lw_chan_send(ch, f, sizeof(f), 0), 0);
	}
	CU_ASSERT_FALSE(lw_chan_can_send(ch));
	CU_ASSERT_EQUAL(lw_chan_inflight(ch), 64);
	CU_ASSERT_EQUAL(lw_chan_send(ch, f, sizeof(f), 0), -ENOBUFS);
	CU_ASSERT_EQUAL(lw_chan_stats(ch)->pushback, 1);
	CU_ASSERT_EQUAL(lw_chan_inflight(ch), 64);
	/* old ack (before anything), bogus ack (beyond what was sent) */
	CU_ASSERT_EQUAL(lw_chan_ack_in(ch, isn - 1, 1), 0);
	CU_ASSERT_EQUAL(lw_chan_ack_in(ch, isn + 64, 1), -ERANGE);
	CU_ASSERT_EQUAL(lw_chan_stats(ch)->bad_acks, 1);
	/* ten acked (across the seq wrap): ten more fit */
	CU_ASSERT_EQUAL(lw_chan_ack_in(ch, isn + 9, 1), 10);
	CU_ASSERT_EQUAL(lw_chan_ack_in(ch, isn + 9, 1), 0);
	CU_ASSERT_EQUAL(lw_chan_ack_in(ch, isn + 3, 1), 0);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(lw_chan_send(ch, f, sizeof(f), 2), 0);
	CU_ASSERT_EQUAL(lw_chan_send(ch, f, sizeof(f), 2), -ENOBUFS);
	CU_ASSERT_EQUAL(lw_chan_ack_in(ch, isn + 73, 3), 64);
	CU_ASSERT_EQUAL(lw_chan_inflight(ch), 0);
	CU_ASSERT_EQUAL(lw_chan_stats(ch)->acked, 74);
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), UINT64_MAX);
	lw_chan_free(ch);
}

static void
test_rto(void)
{
	struct lw_chan_cfg cfg = { .rto_max_ns = 800 * US };
	struct lw_chan *ch = lw_chan_create(&cfg);
	struct lw_chan_tx tx[4];
	uint8_t f[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	for (size_t i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(lw_chan_send(ch, f, sizeof(f), 0), 0);
	CU_ASSERT_EQUAL(lw_chan_send(ch, f, 10, 100 * US), 0);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 200 * US - 1, tx, 4), 0);
	CU_ASSERT_EQUAL_FATAL(lw_chan_poll(ch, 200 * US, tx, 4), 1);
	CU_ASSERT_EQUAL(tx[0].seq, 0);
	CU_ASSERT_EQUAL(tx[0].len, sizeof(f));
	CU_ASSERT_EQUAL(memcmp(tx[0].frame, f, sizeof(f)), 0);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 300 * US - 1, tx, 4), 0);
	CU_ASSERT_EQUAL_FATAL(lw_chan_poll(ch, 300 * US, tx, 4), 1);
	CU_ASSERT_EQUAL(tx[0].seq, 1);
	CU_ASSERT_EQUAL(tx[0].len, 10);
	/* each frame's RTO doubled: seq 0 due at 200 + 400, seq 1 at 300 + 400 */
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), 600 * US);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 600 * US - 1, tx, 4), 0);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 600 * US, tx, 4), 1);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 700 * US, tx, 4), 1);
	/* capped at 800 us: seq 0 due at 1400, then 2200; seq 1 at 1500 */
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 1400 * US - 1, tx, 4), 0);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 1400 * US, tx, 4), 1);
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), 1500 * US);
	CU_ASSERT_EQUAL(lw_chan_stats(ch)->timeouts, 3);
	CU_ASSERT_EQUAL(lw_chan_stats(ch)->retransmits, 5);
	/* progress resets the RTO of the frames left: seq 1 (sent at 700) due at 900 */
	CU_ASSERT_EQUAL(lw_chan_ack_in(ch, 0, 1450 * US), 1);
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), 900 * US);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 1450 * US, tx, 4), 1);
	CU_ASSERT_EQUAL(tx[0].seq, 1);
	/* max bounds the burst; the rest come next time */
	lw_chan_reset(ch, 7);
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(lw_chan_send(ch, f, 8, 0), 0);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 300 * US, tx, 4), 4);
	CU_ASSERT_EQUAL(tx[0].seq, 7);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 300 * US, tx, 4), 2);
	CU_ASSERT_EQUAL(tx[1].seq, 12);
	lw_chan_free(ch);
}

static void
test_receiver_ack(void)
{
	struct lw_chan_cfg cfg = { .isn = 100 };
	struct lw_chan *ch = lw_chan_create(&cfg);
	const void *fr;
	uint32_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(lw_chan_ack_peek(ch), 99);
	CU_ASSERT_FALSE(lw_chan_ack_due(ch, 1000 * US));
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 100, NULL, 0, 1000 * US), 1);
	CU_ASSERT_EQUAL(lw_chan_ack_peek(ch), 100);
	CU_ASSERT_FALSE(lw_chan_ack_due(ch, 1000 * US));
	CU_ASSERT_FALSE(lw_chan_ack_due(ch, 1020 * US - 1));
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), 1020 * US);
	CU_ASSERT_TRUE(lw_chan_ack_due(ch, 1020 * US));
	CU_ASSERT_EQUAL(lw_chan_ack_take(ch), 100);
	CU_ASSERT_FALSE(lw_chan_ack_due(ch, 5000 * US));
	/* a duplicate, and an early frame (kept): not delivered, but acked */
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 100, "f100", 5, 2000 * US), 0);
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 105, "f105", 5, 2001 * US), 0);
	CU_ASSERT_TRUE(lw_chan_ack_due(ch, 2020 * US));
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 101, "f101", 5, 2002 * US), 1);
	CU_ASSERT_EQUAL(lw_chan_rx_next(ch, &fr, &len), 0);     /* 102 is missing */
	CU_ASSERT_EQUAL(lw_chan_ack_take(ch), 101);
	/* a piggybacked ack taken before the delay: no standalone ack */
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 102, "f102", 5, 3000 * US), 1);
	CU_ASSERT_EQUAL(lw_chan_ack_take(ch), 102);
	CU_ASSERT_FALSE(lw_chan_ack_due(ch, 3100 * US));
	/* 104 kept (twice: one dup), 103 fills the gap, then 104 and 105 come out */
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 104, "f104", 5, 4000 * US), 0);
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 104, "f104", 5, 4001 * US), 0);
	CU_ASSERT_EQUAL(lw_chan_ack_peek(ch), 102);
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 103, "f103", 5, 4002 * US), 1);
	CU_ASSERT_EQUAL_FATAL(lw_chan_rx_next(ch, &fr, &len), 1);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_STRING_EQUAL(fr, "f104");
	CU_ASSERT_EQUAL_FATAL(lw_chan_rx_next(ch, &fr, &len), 1);
	CU_ASSERT_STRING_EQUAL(fr, "f105");
	CU_ASSERT_EQUAL(lw_chan_rx_next(ch, &fr, &len), 0);
	CU_ASSERT_EQUAL(lw_chan_ack_peek(ch), 105);
	/* a window ahead, or no frame to keep: dropped */
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 106 + 64, "far", 4, 5000 * US), 0);
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 107, NULL, 0, 5000 * US), 0);
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 106 + 63, "end", 4, 5000 * US), 0);
	CU_ASSERT_EQUAL(lw_chan_rx_next(ch, &fr, &len), 0);
	CU_ASSERT_EQUAL(lw_chan_stats(ch)->rx_delivered, 6);
	CU_ASSERT_EQUAL(lw_chan_stats(ch)->rx_dup, 2);
	CU_ASSERT_EQUAL(lw_chan_stats(ch)->rx_buffered, 3);
	CU_ASSERT_EQUAL(lw_chan_stats(ch)->rx_ooo, 2);
	/* reset forgets the kept frames */
	lw_chan_reset(ch, 168);
	CU_ASSERT_EQUAL(lw_chan_rx(ch, 168, NULL, 0, 6000 * US), 1);
	CU_ASSERT_EQUAL(lw_chan_rx_next(ch, &fr, &len), 0);
	lw_chan_free(ch);
}

/* --- two sites over a lossy wire ----------------------------------------- */

#define NMSG      20000
#define PKT_MAX   LW_FRAME_LEN(9)     /* at most: 9 of the largest messages */
#define WIRE_CAP  4096
#define CLUSTER   77u
#define BASE_PORT 9000

struct pkt {
	uint64_t at;
	uint32_t len;
	uint8_t buf[PKT_MAX];
};

struct wire {
	struct pkt *q;
	unsigned int n;
	uint64_t lost, duped, sent;
};

struct site {
	struct lw_chan *ch;
	struct lw_frame_addr me, peer;
	struct lw_frame_expect ex;
	uint32_t sent;          /* messages handed to the channel */
	uint32_t recv;          /* messages delivered: the next one expected */
	uint64_t pushbacks;     /* steps the window was full */
	bool keep;              /* keep early frames (else go-back-N) */
	int errors;
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
wire_put(struct wire *w, uint64_t *rng, const void *buf, uint32_t len, uint64_t now)
{
	int copies = 1;

	w->sent++;
	if (rnd(rng) % 100 < 10) {
		w->lost++;
		return;
	}
	if (rnd(rng) % 100 < 5) {
		copies = 2;
		w->duped++;
	}
	for (int c = 0; c < copies && w->n < WIRE_CAP; c++) {
		struct pkt *p = &w->q[w->n++];

		p->at = now + 5 * US + rnd(rng) % (50 * US);
		p->len = len;
		memcpy(p->buf, buf, len);
	}
}

static void
site_init(struct site *s, uint8_t node, uint8_t peer, uint32_t isn)
{
	struct lw_chan_cfg cfg = { .isn = isn };

	memset(s, 0, sizeof(*s));
	s->ch = lw_chan_create(&cfg);
	s->me = (struct lw_frame_addr){ .mac = { 2, 0, 0, 0, 0, node }, .base_port = BASE_PORT,
					.ipv4 = 0x0a000000u | node, .node = node, .worker = 1 };
	s->peer = (struct lw_frame_addr){ .mac = { 2, 0, 0, 0, 0, peer }, .base_port = BASE_PORT,
					  .ipv4 = 0x0a000000u | peer, .node = peer, .worker = 1 };
	s->ex = (struct lw_frame_expect){ .cluster = CLUSTER, .epoch = 1, .base_port = BASE_PORT,
					  .nworkers = 2, .my_node = node };
	lw_frame_expect_node(&s->ex, peer, 1);
}

/* Message number seq's name and LVB: a name of seq % 65 bytes, an LVB for every third. */
static void
msg_body(struct lw_msg *m, uint32_t seq)
{
	m->namelen = (uint8_t)(seq % (LW_RESNAME_MAXLEN + 1));
	for (unsigned int i = 0; i < m->namelen; i++)
		m->name[i] = (uint8_t)(seq + i * 13u + 1u);
	if (seq % 3 == 0)
		for (unsigned int i = 0; i < LW_LVB_LEN; i++)
			m->lvb[i] = (uint8_t)(seq >> (i % 4 * 8));
	m->lvbf = seq % 3 == 0 ? LW_MSG_LVB_PRESENT : 0;
}

/* One step of s at now: new frames while the window has room, retransmits, acks. */
static void
site_send(struct site *s, struct wire *out, uint64_t *rng, uint64_t now)
{
	uint8_t f[PKT_MAX];
	struct lw_msg m[9];
	struct lw_chan_tx tx[64];
	int len;

	for (int k = 0; k < 2 && s->sent < NMSG; k++) {
		if (!lw_chan_can_send(s->ch)) {
			s->pushbacks++;
			if (lw_chan_send(s->ch, f, 64, now) != -ENOBUFS)
				s->errors++;
			break;
		}
		uint32_t n = 1 + (uint32_t)(rnd(rng) % 9);
		if (n > NMSG - s->sent)
			n = NMSG - s->sent;
		memset(m, 0, sizeof(m));
		for (uint32_t i = 0; i < n; i++) {
			m[i].h.version = LW_PROTO_VERSION;
			m[i].h.type = LW_MSG_REQUEST;
			m[i].h.len = sizeof(struct lw_msg);
			m[i].h.src = s->me.node;
			m[i].seq = s->sent + i;
			msg_body(&m[i], m[i].seq);
		}
		len = lw_frame_build(f, sizeof(f), &s->me, &s->peer, CLUSTER, 1,
				     lw_chan_next_seq(s->ch), lw_chan_ack_take(s->ch), 0, m,
				     (uint16_t)n);
		if (len < 0 || lw_chan_send(s->ch, f, (uint32_t)len, now) != 0) {
			s->errors++;
			return;
		}
		s->sent += n;
		wire_put(out, rng, f, (uint32_t)len, now);
	}
	unsigned int r = lw_chan_poll(s->ch, now, tx, 64);
	for (unsigned int i = 0; i < r; i++) {
		lw_frame_set_ack(tx[i].frame, tx[i].len, lw_chan_ack_take(s->ch));
		wire_put(out, rng, tx[i].frame, tx[i].len, now);
	}
	if (lw_chan_ack_due(s->ch, now)) {
		len = lw_frame_build(f, sizeof(f), &s->me, &s->peer, CLUSTER, 1, 0,
				     lw_chan_ack_take(s->ch), LW_FRAME_F_ACKONLY, NULL, 0);
		if (len < 0)
			s->errors++;
		else
			wire_put(out, rng, f, (uint32_t)len, now);
	}
}

/* The messages of an in-order frame: each must be the next one expected. */
static void
site_deliver(struct site *s, const struct lw_frame_view *v, uint64_t seed)
{
	struct lw_msg m, want;
	uint32_t off = 0;

	for (uint16_t k = 0; k < v->nmsgs; k++) {
		if (lw_frame_msg_next(v, &off, &m) != 0) {
			if (s->errors++ == 0)
				fprintf(stderr, "seed %#llx: node %u: message %u of a frame does "
					"not decode\n", (unsigned long long)seed, s->me.node, k);
			return;
		}
		if (m.seq != s->recv && s->errors++ == 0)
			fprintf(stderr, "seed %#llx: node %u: got message %u, want %u\n",
				(unsigned long long)seed, s->me.node, m.seq, s->recv);
		memset(&want, 0, sizeof(want));
		msg_body(&want, m.seq);
		if ((m.h.len != sizeof(m) || m.namelen != want.namelen || m.lvbf != want.lvbf ||
		     memcmp(m.name, want.name, sizeof(m.name)) != 0 ||
		     memcmp(m.lvb, want.lvb, sizeof(m.lvb)) != 0) && s->errors++ == 0)
			fprintf(stderr, "seed %#llx: node %u: message %u decoded wrong\n",
				(unsigned long long)seed, s->me.node, m.seq);
		s->recv = m.seq + 1;
	}
	if (off != v->payload_len && s->errors++ == 0)
		fprintf(stderr, "seed %#llx: node %u: %u of %u payload bytes used\n",
			(unsigned long long)seed, s->me.node, off, v->payload_len);
}

/* Deliver to s the frames of in due at now, in a random order among them. */
static void
site_recv(struct site *s, struct wire *in, uint64_t *rng, uint64_t now, uint64_t seed)
{
	unsigned int i = in->n ? (unsigned int)(rnd(rng) % in->n) : 0;

	for (unsigned int left = in->n; left > 0; left--) {
		if (i >= in->n)
			i = 0;
		struct pkt *p = &in->q[i];
		if (p->at > now) {
			i++;
			continue;
		}
		struct lw_frame_view v;
		int rc = lw_frame_parse(p->buf, p->len, &s->ex, &v);

		if (rc != 0 || lw_chan_ack_in(s->ch, v.ack, now) < 0) {
			if (s->errors++ == 0)
				fprintf(stderr, "seed %#llx: node %u: parse %d ack %u\n",
					(unsigned long long)seed, s->me.node, rc, v.ack);
		} else if (!(v.flags & LW_FRAME_F_ACKONLY) &&
			   lw_chan_rx(s->ch, v.seq, s->keep ? p->buf : NULL, p->len, now)) {
			const void *fr;
			uint32_t len;

			site_deliver(s, &v, seed);
			while (lw_chan_rx_next(s->ch, &fr, &len)) {
				if (lw_frame_parse(fr, len, &s->ex, &v) != 0)
					s->errors++;
				else
					site_deliver(s, &v, seed);
			}
		}
		*p = in->q[--in->n];    /* p now holds an unseen packet: look at i again */
	}
}

static void
lossy_run(uint64_t seed, uint32_t isn, bool keep)
{
	uint64_t rng = seed | 1;
	struct site a, b;
	struct wire ab = { 0 }, ba = { 0 };
	uint64_t now = 0, end = 10000000 * US;   /* 10 s virtual */

	ab.q = malloc(sizeof(struct pkt) * WIRE_CAP);
	ba.q = malloc(sizeof(struct pkt) * WIRE_CAP);
	site_init(&a, 1, 2, isn);
	site_init(&b, 2, 1, isn);
	a.keep = b.keep = keep;
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.ch);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.ch);
	for (; now < end; now += US) {
		site_send(&a, &ab, &rng, now);
		site_send(&b, &ba, &rng, now);
		site_recv(&b, &ab, &rng, now, seed);
		site_recv(&a, &ba, &rng, now, seed);
		if (a.errors || b.errors)
			break;
		if (a.recv == NMSG && b.recv == NMSG && lw_chan_inflight(a.ch) == 0 &&
		    lw_chan_inflight(b.ch) == 0)
			break;
	}
	const struct lw_chan_stats *sa = lw_chan_stats(a.ch), *sb = lw_chan_stats(b.ch);
	LWT_CHECK(a.errors == 0 && b.errors == 0, "seed %#llx: errors a %d b %d",
		  (unsigned long long)seed, a.errors, b.errors);
	LWT_CHECK(a.recv == NMSG && b.recv == NMSG,
		  "seed %#llx: delivered a %u b %u of %u by %llu us",
		  (unsigned long long)seed, a.recv, b.recv, NMSG,
		  (unsigned long long)(now / US));
	LWT_CHECK(sa->retransmits > 0 && sb->retransmits > 0, "seed %#llx: retransmits %llu %llu",
		  (unsigned long long)seed, (unsigned long long)sa->retransmits,
		  (unsigned long long)sb->retransmits);
	LWT_CHECK(a.pushbacks > 0 && b.pushbacks > 0, "seed %#llx: no window pushback",
		  (unsigned long long)seed);
	LWT_CHECK(sa->rx_dup > 0 && sb->rx_dup > 0 &&
		  (keep ? sa->rx_buffered > 0 && sb->rx_buffered > 0 :
			  sa->rx_ooo > 0 && sb->rx_ooo > 0),
		  "seed %#llx: no duplicates or reordering seen", (unsigned long long)seed);
	LWT_CHECK(ab.lost > 0 && ab.duped > 0 && ba.lost > 0 && ba.duped > 0,
		  "seed %#llx: the wire was not lossy", (unsigned long long)seed);
	LWT_CHECK(sa->acked == sa->tx_frames && sb->acked == sb->tx_frames,
		  "seed %#llx: frames left unacked", (unsigned long long)seed);
	if (getenv("LW_VERBOSE"))
		printf("\nseed %#llx isn %#x keep %d: %llu us virtual; a: %llu frames, %llu rexmit, "
		       "%llu timeouts, %llu dup, %llu kept, %llu ooo, %llu pushback\n",
		       (unsigned long long)seed, isn, keep, (unsigned long long)(now / US),
		       (unsigned long long)sa->tx_frames, (unsigned long long)sa->retransmits,
		       (unsigned long long)sa->timeouts, (unsigned long long)sa->rx_dup,
		       (unsigned long long)sa->rx_buffered, (unsigned long long)sa->rx_ooo, (unsigned long long)a.pushbacks);
	if (a.errors || b.errors || a.recv != NMSG || b.recv != NMSG)
		fprintf(stderr, "test_channel: failing seed %#llx (LW_SEED=%#llx)\n",
			(unsigned long long)seed, (unsigned long long)seed);
	lw_chan_free(a.ch);
	lw_chan_free(b.ch);
	free(ab.q);
	free(ba.q);
}

static uint64_t
seed_base(void)
{
	const char *env = getenv("LW_SEED");

	return env ? strtoull(env, NULL, 0) : 0x10c4317eull;
}

static void
test_lossy(void)
{
	lossy_run(seed_base(), 1, true);
}

static void
test_lossy_gbn(void)
{
	lossy_run(seed_base() * 17 + 3, 1, false);
}

static void
test_lossy_wrap(void)
{
	lossy_run(seed_base() * 31 + 7, 0xffffff00u, true);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("channel",
		  "create", test_create,
		  "window_pushback", test_window_pushback,
		  "rto", test_rto,
		  "receiver_ack", test_receiver_ack,
		  "lossy", test_lossy,
		  "lossy_gbn", test_lossy_gbn,
		  "lossy_wrap", test_lossy_wrap,
		  NULL);
	return lwt_run();
}
