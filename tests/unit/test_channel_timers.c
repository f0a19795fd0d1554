/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_channel_timers.c — the channel's retransmission timers against a
 * reference model.
 *
 * DESIGN
 * The model keeps, per frame in flight, its last send time and its RTO,
 * and applies the contract of channel.h literally: a send starts the frame
 * at rto; lw_chan_poll hands back, oldest first and at most max, the
 * frames whose RTO has passed and doubles their RTO (up to rto_max); an
 * ack that makes progress frees the frames it covers and sets the RTO of
 * those left back to rto. Random sends, acks (old, new, beyond), polls
 * with random max and time steps drive both. Checked after every step:
 *   - lw_chan_poll returns exactly the model's frames, in order;
 *   - lw_chan_deadline is never later than the model's earliest deadline
 *     (no retransmission is ever late), and is UINT64_MAX when nothing is
 *     in flight;
 *   - a poll that returned fewer than max leaves a deadline after now
 *     (the bound is exact after a scan: a caller that sleeps until the
 *     deadline does not spin).
 * The window wraps (isn near 2^32) in one of the runs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwt.h"
#include "channel.h"

#define WINDOW  16u
#define RTO     200u
#define RTO_MAX 1600u

struct mframe {
	uint64_t sent_at;
	uint64_t rto;
};

struct model {
	uint32_t base, next;
	struct mframe f[WINDOW];     /* seq & (WINDOW - 1) */
};

static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static uint64_t
model_earliest(const struct model *m)
{
	uint64_t d = UINT64_MAX;

	for (uint32_t s = m->base; s != m->next; s++) {
		const struct mframe *f = &m->f[s & (WINDOW - 1)];

		if (f->sent_at + f->rto < d)
			d = f->sent_at + f->rto;
	}
	return d;
}

static void
model_ack(struct model *m, uint32_t ack)
{
	if ((int32_t)(ack - (m->next - 1)) > 0 || (int32_t)(ack + 1 - m->base) <= 0)
		return;
	m->base = ack + 1;
	for (uint32_t s = m->base; s != m->next; s++)
		m->f[s & (WINDOW - 1)].rto = RTO;
}

static unsigned int
model_poll(struct model *m, uint64_t now, uint32_t *seqs, unsigned int max)
{
	unsigned int n = 0;

	for (uint32_t s = m->base; s != m->next && n < max; s++) {
		struct mframe *f = &m->f[s & (WINDOW - 1)];

		if (now - f->sent_at < f->rto)
			continue;
		seqs[n++] = s;
		f->sent_at = now;
		f->rto = f->rto * 2 > RTO_MAX ? RTO_MAX : f->rto * 2;
	}
	return n;
}

static void
run(uint64_t seed, uint32_t isn, unsigned int steps)
{
	struct lw_chan_cfg cfg = { .window = WINDOW, .slot_size = 64, .rto_ns = RTO,
				   .rto_max_ns = RTO_MAX, .ack_delay_ns = 50, .isn = isn };
	struct lw_chan *ch = lw_chan_create(&cfg);
	struct model m = { .base = isn, .next = isn };
	uint64_t now = 1000;
	unsigned int bad_poll = 0, late = 0, spin = 0, empty = 0, polled = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	rng = seed | 1;
	for (unsigned int i = 0; i < steps; i++) {
		uint32_t op = rnd(100), frame = i;

		if (op < 35) {
			int rc = lw_chan_send(ch, &frame, sizeof(frame), now);

			if (m.next - m.base < WINDOW) {
				CU_ASSERT_EQUAL(rc, 0);
				m.f[m.next & (WINDOW - 1)] = (struct mframe){ now, RTO };
				m.next++;
			} else {
				CU_ASSERT_EQUAL(rc, -ENOBUFS);
			}
		} else if (op < 55) {
			/* an ack anywhere from old to one beyond what was sent */
			uint32_t span = m.next - m.base + 2;
			uint32_t ack = m.base - 2 + rnd(span + 1);
			int rc = lw_chan_ack_in(ch, ack, now);

			if ((int32_t)(ack - (m.next - 1)) > 0) {
				CU_ASSERT_EQUAL(rc, -ERANGE);
			} else {
				CU_ASSERT(rc >= 0);
			}
			model_ack(&m, ack);
		} else if (op < 85) {
			struct lw_chan_tx out[WINDOW];
			uint32_t want[WINDOW];
			unsigned int max = 1 + rnd(WINDOW), k, kw;

			k = lw_chan_poll(ch, now, out, max);
			kw = model_poll(&m, now, want, max);
			polled++;
			if (k != kw)
				bad_poll++;
			for (unsigned int j = 0; j < k && j < kw; j++)
				if (out[j].seq != want[j])
					bad_poll++;
			if (kw < max && lw_chan_deadline(ch) <= now)
				spin++;
			if (kw == 0)
				empty++;
		} else {
			now += rnd(op < 95 ? 150 : 2000);
		}
		if (lw_chan_deadline(ch) > model_earliest(&m))
			late++;
		CU_ASSERT_EQUAL(lw_chan_inflight(ch), m.next - m.base);
	}
	CU_ASSERT_EQUAL(bad_poll, 0);
	CU_ASSERT_EQUAL(late, 0);
	CU_ASSERT_EQUAL(spin, 0);
	/* the run exercised both outcomes of a poll */
	CU_ASSERT(polled > empty && empty > 0);
	CU_ASSERT(lw_chan_stats(ch)->retransmits > 0 && lw_chan_stats(ch)->acked > 0);
	lw_chan_free(ch);
}

static void
test_model_seeds(void)
{
	for (uint64_t seed = 1; seed <= 40; seed++)
		run(seed * 0x9e3779b97f4a7c15ull, (uint32_t)seed * 977u, 4000);
}

static void
test_model_wrap(void)
{
	for (uint64_t seed = 1; seed <= 10; seed++)
		run(seed * 0xbf58476d1ce4e5b9ull, 0xfffffff0u, 4000);
}

/* Nothing in flight: no retransmission deadline; one frame: its RTO. */
static void
test_deadline_basic(void)
{
	struct lw_chan_cfg cfg = { .window = 8, .slot_size = 16, .rto_ns = 100, .rto_max_ns = 400 };
	struct lw_chan *ch = lw_chan_create(&cfg);
	struct lw_chan_tx out[8];
	uint32_t x = 7;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), UINT64_MAX);
	CU_ASSERT_EQUAL(lw_chan_send(ch, &x, sizeof(x), 1000), 0);
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), 1100);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 1099, out, 8), 0);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 1100, out, 8), 1);
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), 1300);    /* doubled */
	CU_ASSERT_EQUAL(lw_chan_send(ch, &x, sizeof(x), 1150), 0);
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), 1250);    /* the newer frame is due first */
	CU_ASSERT_EQUAL(lw_chan_ack_in(ch, 0, 1200), 1);
	/* the first frame acked: the second keeps its first RTO */
	CU_ASSERT(lw_chan_deadline(ch) <= 1250);
	CU_ASSERT_EQUAL(lw_chan_poll(ch, 1250, out, 8), 1);
	CU_ASSERT_EQUAL(out[0].seq, 1);
	CU_ASSERT_EQUAL(lw_chan_ack_in(ch, 1, 1260), 1);
	CU_ASSERT_EQUAL(lw_chan_deadline(ch), UINT64_MAX);
	lw_chan_free(ch);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("channel_timers",
		  "deadline_basic", test_deadline_basic,
		  "model_seeds", test_model_seeds,
		  "model_wrap", test_model_wrap,
		  NULL);
	return lwt_run();
}
