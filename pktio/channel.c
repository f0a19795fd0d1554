/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * channel.c — the reliable ordered channel (see channel.h for the contract).
 *
 * DESIGN
 * Sender state: base (oldest unacked seq) and next (next seq to assign);
 * next - base frames are in flight, at most window. The frame with seq s
 * lives in slot s & (window - 1): window is a power of 2, so the mapping
 * survives the uint32_t wrap. Each slot keeps the frame bytes, its length
 * and the time it was last sent.
 * Memory: two rings of window * slot_size bytes, allocated once at create
 * (malloc; a later DPDK port may put them in rte_zmalloc_socket). Serial arithmetic ((int32_t)(a - b))
 * orders seqs.
 *
 * Receiver state: expect (next seq to deliver); the cumulative ack is
 * expect - 1. Frames up to window - 1 ahead of expect wait in a second ring
 * of slots (same mapping, seq & (window - 1)) until the gap before them is
 * filled; a slot is empty when its len is 0. A pending ack remembers when
 * it became pending, for the standalone-ack delay. The receiver's window
 * must be the sender's (same cfg on both ends) for nothing to be dropped.
 *
 * Each stored frame has its own timeout: rto_ns when first sent, doubled
 * (up to rto_max_ns) at each retransmission, back to rto_ns when an ack
 * makes progress (the peer is alive; the frames left are retransmitted as
 * soon as their first RTO has passed).
 *
 * Timers in O(1) on the fast path: dl_lb is a lower bound of the frames'
 * retransmission deadlines (UINT64_MAX: none in flight) and nboff counts
 * the frames whose RTO was doubled. A send lowers dl_lb to its own
 * deadline; an ack only removes frames (dl_lb stays a lower bound) and has
 * RTOs to reset only when nboff > 0; lw_chan_poll returns at once before
 * dl_lb, and its scan (which visits every frame anyway) sets dl_lb and
 * nboff exactly. Frames are sent in seq order with the same first RTO, so
 * without retransmissions dl_lb is the base frame's deadline. A poll per
 * loop iteration and a deadline per received frame used to walk the whole
 * window each time.
 *
 * Invariants (checked by chan_check in debug builds):
 *   0 <= next - base <= window;  a frame's rto <= rto_max_ns.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"

struct slot_meta {
	uint64_t sent_at;
	uint64_t rto;       /* this frame's timeout: doubles on each retransmission */
	uint32_t len;
	uint32_t seq;
};

struct lw_chan {
	struct lw_chan_cfg cfg;
	uint32_t mask;
	/* sender */
	uint32_t base;
	uint32_t next;
	uint32_t nboff;            /* frames in flight whose rto is not cfg.rto_ns */
	uint64_t dl_lb;            /* <= every in-flight frame's sent_at + rto */
	struct slot_meta *meta;
	uint8_t *slots;
	/* receiver */
	struct slot_meta *rmeta;   /* len 0: empty */
	uint8_t *rslots;
	uint32_t expect;
	bool ack_pending;
	uint64_t ack_since;
	struct lw_chan_stats st;
};

static inline int32_t
seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static inline void
chan_check(const struct lw_chan *ch)
{
	assert(ch->next - ch->base <= ch->cfg.window && "channel: window overrun");
	assert((ch->base == ch->next || ch->meta[ch->base & ch->mask].rto <= ch->cfg.rto_max_ns) &&
	       "channel: rto out of range");
	(void)ch;
}

static uint8_t *
slot_buf(const struct lw_chan *ch, uint32_t seq)
{
	return ch->slots + (size_t)(seq & ch->mask) * ch->cfg.slot_size;
}

static int
cfg_fill(struct lw_chan_cfg *c, const struct lw_chan_cfg *in)
{
	if (in != NULL)
		*c = *in;
	else
		memset(c, 0, sizeof(*c));
	if (c->window == 0)
		c->window = LW_CHAN_DEF_WINDOW;
	if (c->slot_size == 0)
		c->slot_size = LW_CHAN_DEF_SLOT;
	if (c->rto_ns == 0)
		c->rto_ns = LW_CHAN_DEF_RTO_NS;
	if (c->rto_max_ns == 0)
		c->rto_max_ns = c->rto_ns > LW_CHAN_DEF_RTO_MAX_NS ? c->rto_ns : LW_CHAN_DEF_RTO_MAX_NS;
	if (c->ack_delay_ns == 0)
		c->ack_delay_ns = LW_CHAN_DEF_ACK_NS;
	if (c->window > LW_CHAN_MAX_WINDOW || (c->window & (c->window - 1)) != 0)
		return -EINVAL;
	if (c->rto_max_ns < c->rto_ns || c->slot_size > (1u << 20))
		return -EINVAL;
	return 0;
}

struct lw_chan *
lw_chan_create(const struct lw_chan_cfg *cfg)
{
	struct lw_chan *ch;
	struct lw_chan_cfg c;

	if (cfg_fill(&c, cfg) < 0) {
		errno = EINVAL;
		return NULL;
	}
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		goto fail;
	ch->meta = calloc(c.window, sizeof(*ch->meta));
	if (ch->meta == NULL)
		goto fail;
	ch->slots = malloc((size_t)c.window * c.slot_size);
	if (ch->slots == NULL)
		goto fail;
	ch->rmeta = calloc(c.window, sizeof(*ch->rmeta));
	if (ch->rmeta == NULL)
		goto fail;
	ch->rslots = malloc((size_t)c.window * c.slot_size);
	if (ch->rslots == NULL)
		goto fail;
	ch->cfg = c;
	ch->mask = c.window - 1;
	lw_chan_reset(ch, c.isn);
	return ch;
fail:
	lw_chan_free(ch);
	errno = ENOMEM;
	return NULL;
}

void
lw_chan_free(struct lw_chan *ch)
{
	if (ch == NULL)
		return;
	free(ch->rslots);
	free(ch->rmeta);
	free(ch->slots);
	free(ch->meta);
	free(ch);
}

void
lw_chan_reset(struct lw_chan *ch, uint32_t isn)
{
	ch->cfg.isn = isn;
	ch->base = isn;
	ch->next = isn;
	ch->expect = isn;
	ch->ack_pending = false;
	ch->ack_since = 0;
	ch->nboff = 0;
	ch->dl_lb = UINT64_MAX;
	memset(ch->meta, 0, (size_t)ch->cfg.window * sizeof(*ch->meta));
	memset(ch->rmeta, 0, (size_t)ch->cfg.window * sizeof(*ch->rmeta));
	chan_check(ch);
}

bool
lw_chan_can_send(const struct lw_chan *ch)
{
	return ch->next - ch->base < ch->cfg.window;
}

uint32_t
lw_chan_inflight(const struct lw_chan *ch)
{
	return ch->next - ch->base;
}

uint32_t
lw_chan_next_seq(const struct lw_chan *ch)
{
	return ch->next;
}

int
lw_chan_send(struct lw_chan *ch, const void *frame, uint32_t len, uint64_t now)
{
	struct slot_meta *m;

	if (frame == NULL)
		return -EINVAL;
	if (len == 0 || len > ch->cfg.slot_size)
		return -EMSGSIZE;
	if (!lw_chan_can_send(ch)) {
		ch->st.pushback++;
		return -ENOBUFS;
	}
	m = &ch->meta[ch->next & ch->mask];
	memcpy(slot_buf(ch, ch->next), frame, len);
	m->len = len;
	m->seq = ch->next;
	m->sent_at = now;
	m->rto = ch->cfg.rto_ns;
	if (now + m->rto < ch->dl_lb)
		ch->dl_lb = now + m->rto;
	ch->next++;
	ch->st.tx_frames++;
	chan_check(ch);
	return 0;
}

int
lw_chan_ack_in(struct lw_chan *ch, uint32_t ack, uint64_t now)
{
	int32_t n;

	(void)now;
	if (seq_diff(ack, ch->next - 1) > 0) {
		ch->st.bad_acks++;
		return -ERANGE;
	}
	n = seq_diff(ack + 1, ch->base);
	if (n <= 0)
		return 0;
	ch->base = ack + 1;
	if (ch->base == ch->next) {
		ch->dl_lb = UINT64_MAX;
		ch->nboff = 0;
	} else if (ch->nboff > 0) {
		/* progress: the peer is alive, the frames left go back to the first RTO */
		ch->dl_lb = UINT64_MAX;
		for (uint32_t s = ch->base; s != ch->next; s++) {
			struct slot_meta *m = &ch->meta[s & ch->mask];

			m->rto = ch->cfg.rto_ns;
			if (m->sent_at + m->rto < ch->dl_lb)
				ch->dl_lb = m->sent_at + m->rto;
		}
		ch->nboff = 0;
	}
	ch->st.acked += (uint64_t)n;
	chan_check(ch);
	return (int)n;
}

unsigned int
lw_chan_poll(struct lw_chan *ch, uint64_t now, struct lw_chan_tx *out, unsigned int max)
{
	unsigned int n = 0;
	uint64_t lb = UINT64_MAX;
	uint32_t nboff = 0, s;

	if (now < ch->dl_lb)
		return 0;
	for (s = ch->base; s != ch->next; s++) {
		struct slot_meta *m = &ch->meta[s & ch->mask];

		if (n < max && now >= m->sent_at && now - m->sent_at >= m->rto) {
			if (s == ch->base)
				ch->st.timeouts++;
			out[n].frame = slot_buf(ch, s);
			out[n].len = m->len;
			out[n].seq = s;
			m->sent_at = now;
			m->rto = m->rto * 2 > ch->cfg.rto_max_ns ? ch->cfg.rto_max_ns : m->rto * 2;
			n++;
		}
		if (m->sent_at + m->rto < lb)
			lb = m->sent_at + m->rto;
		if (m->rto != ch->cfg.rto_ns)
			nboff++;
	}
	ch->dl_lb = lb;
	ch->nboff = nboff;
	ch->st.retransmits += n;
	chan_check(ch);
	return n;
}

uint64_t
lw_chan_deadline(const struct lw_chan *ch)
{
	uint64_t d = ch->base == ch->next ? UINT64_MAX : ch->dl_lb;

	if (ch->ack_pending && ch->ack_since + ch->cfg.ack_delay_ns < d)
		d = ch->ack_since + ch->cfg.ack_delay_ns;
	return d;
}

static void
ack_pend(struct lw_chan *ch, uint64_t now)
{
	if (!ch->ack_pending) {
		ch->ack_pending = true;
		ch->ack_since = now;
	}
}

/* Keep a copy of a frame that arrived d > 0 ahead of the next expected. */
static void
rx_buffer(struct lw_chan *ch, uint32_t seq, int32_t d, const void *frame, uint32_t len)
{
	struct slot_meta *m = &ch->rmeta[seq & ch->mask];

	if ((uint32_t)d >= ch->cfg.window || frame == NULL || len == 0 ||
	    len > ch->cfg.slot_size) {
		ch->st.rx_ooo++;
		return;
	}
	if (m->len != 0 && m->seq == seq) {
		ch->st.rx_dup++;
		return;
	}
	memcpy(ch->rslots + (size_t)(seq & ch->mask) * ch->cfg.slot_size, frame, len);
	m->len = len;
	m->seq = seq;
	ch->st.rx_buffered++;
}

int
lw_chan_rx(struct lw_chan *ch, uint32_t seq, const void *frame, uint32_t len, uint64_t now)
{
	int32_t d = seq_diff(seq, ch->expect);
	int deliver = 0;

	if (d == 0) {
		ch->rmeta[seq & ch->mask].len = 0;
		ch->expect++;
		ch->st.rx_delivered++;
		deliver = 1;
	} else if (d < 0) {
		ch->st.rx_dup++;
	} else {
		rx_buffer(ch, seq, d, frame, len);
	}
	ack_pend(ch, now);
	return deliver;
}

int
lw_chan_rx_next(struct lw_chan *ch, const void **frame, uint32_t *len)
{
	struct slot_meta *m = &ch->rmeta[ch->expect & ch->mask];

	if (m->len == 0 || m->seq != ch->expect)
		return 0;
	*frame = ch->rslots + (size_t)(ch->expect & ch->mask) * ch->cfg.slot_size;
	*len = m->len;
	m->len = 0;
	ch->expect++;
	ch->st.rx_delivered++;
	return 1;
}

uint32_t
lw_chan_ack_peek(const struct lw_chan *ch)
{
	return ch->expect - 1;
}

uint32_t
lw_chan_ack_take(struct lw_chan *ch)
{
	ch->ack_pending = false;
	ch->st.acks_taken++;
	return ch->expect - 1;
}

bool
lw_chan_ack_due(const struct lw_chan *ch, uint64_t now)
{
	return ch->ack_pending && now >= ch->ack_since &&
	       now - ch->ack_since >= ch->cfg.ack_delay_ns;
}

const struct lw_chan_stats *
lw_chan_stats(const struct lw_chan *ch)
{
	return &ch->st;
}
