/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * channel.h — a reliable ordered channel between a local site and a remote
 * site, sans-IO: frames are opaque byte buffers, time comes in as ns.
 *
 * DESIGN
 * Sender: lw_chan_next_seq() gives the seq to write into the next frame;
 * lw_chan_send() keeps a copy in a preallocated ring of fixed-size slots
 * (window frames; no allocation per frame) until a cumulative ack covers
 * it. A full window makes lw_chan_can_send() false and lw_chan_send()
 * return -ENOBUFS: the caller keeps its messages (push back), nothing is
 * dropped. lw_chan_poll(now) hands back the stored frames older than the
 * RTO for retransmission; each retransmission doubles that frame's RTO
 * (up to rto_max), and an ack that makes progress sets the RTO of the
 * frames left back to rto. The caller may rewrite a returned frame's ack in place
 * (lw_frame_set_ack) before sending it.
 *
 * Receiver: lw_chan_rx(seq) says whether to deliver a frame: exactly the
 * next expected seq is delivered, once; duplicates are dropped and counted.
 * A frame that arrives early (less than window ahead) is kept as a copy in
 * a second ring of slots, and lw_chan_rx_next() hands the kept frames back
 * in order once the gap before them is filled; frames further ahead are
 * dropped and counted (the sender retransmits them). Every
 * received frame makes an ack pending; lw_chan_ack_take() gives the
 * cumulative ack to piggyback on an outgoing frame (and clears the pending
 * ack), lw_chan_ack_due(now) says when to send an ack-only frame because
 * no data frame carried it within ack_delay.
 *
 * Seqs are uint32_t and wrap (serial arithmetic); both ends start at isn.
 * Ack-only frames are not sequenced: pass their ack to lw_chan_ack_in()
 * and do not call lw_chan_rx().
 *
 * One channel belongs to one worker thread; no locks.
 */
#ifndef LW_CHANNEL_H
#define LW_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#define LW_CHAN_MAX_WINDOW     1024
#define LW_CHAN_DEF_WINDOW     64
#define LW_CHAN_DEF_SLOT       2048
#define LW_CHAN_DEF_RTO_NS     200000ull     /* 200 us */
#define LW_CHAN_DEF_RTO_MAX_NS 50000000ull   /* 50 ms */
#define LW_CHAN_DEF_ACK_NS     20000ull      /* 20 us */

struct lw_chan;

/** Channel parameters; a 0 field takes the default. */
struct lw_chan_cfg {
	uint32_t window;        /* frames unacked at most: a power of 2 <= LW_CHAN_MAX_WINDOW */
	uint32_t slot_size;     /* bytes of the largest frame */
	uint64_t rto_ns;        /* first retransmission timeout */
	uint64_t rto_max_ns;    /* the RTO doubles up to this */
	uint64_t ack_delay_ns;  /* standalone ack after this long without traffic */
	uint32_t isn;           /* first seq, both directions */
};

struct lw_chan_stats {
	uint64_t tx_frames;     /* frames stored by lw_chan_send */
	uint64_t retransmits;   /* frames handed back by lw_chan_poll */
	uint64_t timeouts;      /* retransmissions of the oldest unacked frame */
	uint64_t acked;         /* frames freed by acks */
	uint64_t bad_acks;      /* acks beyond the last seq sent (ignored) */
	uint64_t pushback;      /* lw_chan_send refused: window full */
	uint64_t rx_delivered;  /* frames delivered in order */
	uint64_t rx_dup;        /* already delivered or already kept: dropped */
	uint64_t rx_buffered;   /* arrived early: kept until in order */
	uint64_t rx_ooo;        /* a window or more ahead (or not kept): dropped */
	uint64_t acks_taken;    /* acks handed out by lw_chan_ack_take */
};

/** A stored frame to send again; frame stays valid until the next send/ack/reset. */
struct lw_chan_tx {
	void *frame;
	uint32_t len;
	uint32_t seq;
};

/** Allocate a channel; NULL with errno EINVAL (bad cfg) or ENOMEM. cfg may be NULL. */
struct lw_chan *lw_chan_create(const struct lw_chan_cfg *cfg);

/** Free a channel (NULL is ignored). */
void lw_chan_free(struct lw_chan *ch);

/** Forget every frame and start both directions again at isn (peer restart, new epoch). */
void lw_chan_reset(struct lw_chan *ch, uint32_t isn);

/* --- sender -------------------------------------------------------------- */

/** true when lw_chan_send would take a frame (the window is not full). */
bool lw_chan_can_send(const struct lw_chan *ch);

/** Frames sent and not yet acked. */
uint32_t lw_chan_inflight(const struct lw_chan *ch);

/** The seq the next frame must carry. */
uint32_t lw_chan_next_seq(const struct lw_chan *ch);

/**
 * Take a copy of a frame carrying lw_chan_next_seq(), sent by the caller at
 * now. Returns 0; -ENOBUFS: window full (nothing stored, try again after an
 * ack); -EMSGSIZE: len is 0 or larger than a slot; -EINVAL: frame NULL.
 */
int lw_chan_send(struct lw_chan *ch, const void *frame, uint32_t len, uint64_t now);

/**
 * Take a cumulative ack from the peer (any received frame's ack field).
 * Returns the number of frames newly acked (0 for an old ack), or -ERANGE
 * for an ack beyond the last seq sent (ignored, counted in bad_acks).
 */
int lw_chan_ack_in(struct lw_chan *ch, uint32_t ack, uint64_t now);

/**
 * The stored frames whose RTO expired at now, oldest first, at most max;
 * each one's timer restarts at now. Returns the count written to out.
 */
unsigned int lw_chan_poll(struct lw_chan *ch, uint64_t now, struct lw_chan_tx *out,
			  unsigned int max);

/**
 * No retransmission or standalone ack is due before this time (UINT64_MAX:
 * none pending). For retransmissions it is a lower bound, in O(1): after
 * acks or back-offs, lw_chan_poll at that time may find nothing due yet,
 * and its scan then moves the bound to the exact earliest deadline.
 */
uint64_t lw_chan_deadline(const struct lw_chan *ch);

/* --- receiver ------------------------------------------------------------ */

/**
 * A sequenced frame seq (len bytes at frame) arrived at now. Returns 1:
 * deliver it now (the next in order), then call lw_chan_rx_next until it
 * returns 0; 0: the channel dropped it (a duplicate, or too far ahead) or
 * kept a copy for later (early). Either way an ack is now pending.
 * frame may be NULL: an early frame is then dropped (go-back-N).
 */
int lw_chan_rx(struct lw_chan *ch, uint32_t seq, const void *frame, uint32_t len,
	       uint64_t now);

/**
 * The next kept frame that is now in order: returns 1 and sets *frame and
 * *len (valid until the next lw_chan_rx or reset), or 0 when there is none.
 */
int lw_chan_rx_next(struct lw_chan *ch, const void **frame, uint32_t *len);

/** The cumulative ack (highest in-order seq received), without taking it. */
uint32_t lw_chan_ack_peek(const struct lw_chan *ch);

/** The cumulative ack to put in an outgoing frame; clears the pending ack. */
uint32_t lw_chan_ack_take(struct lw_chan *ch);

/** true when an ack has been pending for ack_delay: send an ack-only frame. */
bool lw_chan_ack_due(const struct lw_chan *ch, uint64_t now);

/** The channel's counters. */
const struct lw_chan_stats *lw_chan_stats(const struct lw_chan *ch);

#endif /* LW_CHANNEL_H */
