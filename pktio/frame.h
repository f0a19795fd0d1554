/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frame.h — the lockwire wire format: one Ethernet/IPv4/UDP frame carrying
 * a lockwire header and a batch of protocol messages (struct lw_msg).
 *
 * DESIGN
 *   Ethernet (14) | IPv4 (20, no options, DF, TTL 64) | UDP (8) |
 *   struct lw_frame_hdr (40) | nmsgs messages, each in its wire form
 *
 * - Ethernet, IPv4 and UDP fields are big-endian (network order); the
 *   lockwire header is little-endian and naturally aligned, each offset
 *   static_asserted.
 * - A message's wire form (the engine keeps using struct lw_msg in memory;
 *   a little-endian host is asserted, so its fields are copied as bytes):
 *     bytes 0..55  the fixed fields of struct lw_msg as they are, except
 *                  h.len, which holds the wire length;
 *     32 bytes     the LVB, only when the message carries one: lvbf != 0
 *                  or any LVB byte nonzero (a nonzero LVB is never lost);
 *     namelen      the name's bytes (namelen <= LW_RESNAME_MAXLEN);
 *     0..7 zeros   padding to a multiple of 8.
 *   So wire len = align8(56 + (LVB ? 32 : 0) + namelen), 56..152 bytes.
 *   The two lengths a namelen allows always differ by 32, so the decoder
 *   knows from h.len alone whether the LVB is there; any other h.len is a
 *   bad message. Decoding gives back a whole struct lw_msg: LVB zeros when
 *   absent, name bytes past namelen zero, h.len = sizeof(struct lw_msg).
 * - payload_len is the sum of the messages' wire lengths; the messages
 *   must tile it exactly (LW_FRAME_BAD_LENGTH otherwise, LW_FRAME_BAD_MSG
 *   for a message whose namelen or h.len is not valid in itself).
 * - UDP destination port = base port + destination worker (NIC steering);
 *   source port = base port + source worker. The UDP checksum is 0 (allowed
 *   over IPv4) and is not verified; the IPv4 header checksum is.
 * - seq numbers the frame on its (source site, destination site) channel;
 *   ack is cumulative: the highest in-order seq received from the peer.
 *   An ack-only frame (LW_FRAME_F_ACKONLY) has no messages and its seq is
 *   not part of the sequence (the channel neither stores nor acks it).
 * - Incarnations: src_inc is the sender's incarnation (a number that grows
 *   with every start of its daemon), dst_inc the receiver's incarnation as
 *   the sender knows it (0: not known yet). A frame whose dst_inc is not 0
 *   and not the receiver's incarnation was meant for an earlier run of the
 *   receiver: it is dropped (LW_FRAME_STALE_INC). What a higher or lower
 *   src_inc means is up to the receiver (pktio/wio.c: the peer restarted, or
 *   a frame of its earlier run).
 * - A CONTROL frame (LW_FRAME_F_CONTROL) carries one opaque payload of
 *   1..LW_FRAME_CTL_MAX bytes for the control threads (membership) instead
 *   of messages: nmsgs 0, payload_len its length; it is not sequenced (seq
 *   and ack are 0) and takes no other flag.
 * - Decoding never trusts a length: every field is checked against the
 *   bytes actually present before it is used, and the frame is read with
 *   memcpy (it sits at an odd offset in a packet buffer).
 *
 * Pure functions, no state: any thread may call them.
 */
#ifndef LW_FRAME_H
#define LW_FRAME_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "msg.h"

#define LW_FRAME_MAGIC    0x3152574Cu  /* "LWR1" as bytes on the wire */
#define LW_FRAME_VERSION  2     /* 2: compact messages (1: whole struct lw_msg) */

#define LW_FRAME_F_ACKONLY   0x01u     /* no messages; seq is not sequenced */
#define LW_FRAME_F_HEARTBEAT 0x02u     /* control core liveness: no messages, not
					  sequenced; seq = sender's heartbeat count */
#define LW_FRAME_F_CONTROL   0x04u     /* control thread payload, no messages, not
					  sequenced (the payload is not lw_msgs) */
#define LW_FRAME_F_ALL       (LW_FRAME_F_ACKONLY | LW_FRAME_F_HEARTBEAT | LW_FRAME_F_CONTROL)
/* Flags that make a frame unsequenced and free of messages (at most one of them). */
#define LW_FRAME_F_NOSEQ     LW_FRAME_F_ALL

/** Bytes of a CONTROL frame's payload at most. */
#define LW_FRAME_CTL_MAX     1200

#define LW_FRAME_ETH_LEN   14
#define LW_FRAME_IP_LEN    20
#define LW_FRAME_UDP_LEN   8
#define LW_FRAME_L2L4_LEN  (LW_FRAME_ETH_LEN + LW_FRAME_IP_LEN + LW_FRAME_UDP_LEN)

/** The lockwire header, little-endian, after the UDP header. */
struct lw_frame_hdr {
	uint32_t magic;        /* LW_FRAME_MAGIC */
	uint8_t  version;      /* LW_FRAME_VERSION */
	uint8_t  flags;        /* LW_FRAME_F_* */
	uint16_t hdr_len;      /* sizeof(struct lw_frame_hdr) */
	uint32_t cluster;      /* cluster id: frames of another cluster are dropped */
	uint8_t  src_node;
	uint8_t  src_worker;
	uint8_t  dst_node;
	uint8_t  dst_worker;
	uint32_t epoch;        /* sender's view epoch */
	uint32_t seq;          /* this frame's channel seq */
	uint32_t ack;          /* cumulative ack for the reverse direction */
	uint16_t nmsgs;        /* messages that follow */
	uint16_t payload_len;  /* sum of the messages' wire lengths; CONTROL: the payload's bytes */
	uint32_t src_inc;      /* sender's incarnation */
	uint32_t dst_inc;      /* receiver's incarnation as the sender knows it; 0: unknown */
};

static_assert(offsetof(struct lw_frame_hdr, magic) == 0, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, version) == 4, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, flags) == 5, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, hdr_len) == 6, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, cluster) == 8, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, src_node) == 12, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, src_worker) == 13, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, dst_node) == 14, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, dst_worker) == 15, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, epoch) == 16, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, seq) == 20, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, ack) == 24, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, nmsgs) == 28, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, payload_len) == 30, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, src_inc) == 32, "lw_frame_hdr layout");
static_assert(offsetof(struct lw_frame_hdr, dst_inc) == 36, "lw_frame_hdr layout");
static_assert(sizeof(struct lw_frame_hdr) == 40, "lw_frame_hdr layout");

/* A message on the wire (see DESIGN). */
#define LW_MSG_WIRE_FIXED  ((int)offsetof(struct lw_msg, lvb))     /* 56 */
#define LW_MSG_WIRE_ALIGN  8
#define LW_MSG_WIRE_MIN    LW_MSG_WIRE_FIXED                      /* no LVB, no name */
#define LW_MSG_WIRE_MAX    ((int)sizeof(struct lw_msg))            /* LVB and a 64-byte name */
/** x rounded up to a multiple of 8. */
#define LW_ALIGN8(x)       (((x) + 7u) & ~7u)

static_assert(offsetof(struct lw_msg, namelen) == 50, "wire form: namelen in the fixed bytes");
static_assert(offsetof(struct lw_msg, lvbf) == 51, "wire form: lvbf in the fixed bytes");
static_assert(offsetof(struct lw_msg, name) == LW_MSG_WIRE_FIXED + LW_LVB_LEN,
	      "wire form: the LVB, then the name");
static_assert(LW_MSG_WIRE_FIXED % LW_MSG_WIRE_ALIGN == 0, "wire form: aligned fixed part");
static_assert(LW_ALIGN8(LW_MSG_WIRE_FIXED + LW_LVB_LEN + LW_RESNAME_MAXLEN) ==
	      LW_MSG_WIRE_MAX, "wire form: the largest message is struct lw_msg's size");

/** Bytes of a frame with no messages (and where its messages start). */
#define LW_FRAME_MIN_LEN   (LW_FRAME_L2L4_LEN + (int)sizeof(struct lw_frame_hdr))
/** Bytes of a frame with n messages at most (each at most sizeof(struct lw_msg)). */
#define LW_FRAME_LEN(n)    (LW_FRAME_MIN_LEN + (n) * (int)sizeof(struct lw_msg))
/** Bytes of messages that fit in one frame for an IP MTU (1500: 1432). */
#define LW_FRAME_PAYLOAD_PER_MTU(mtu) \
	((mtu) - LW_FRAME_IP_LEN - LW_FRAME_UDP_LEN - (int)sizeof(struct lw_frame_hdr))
/**
 * Messages that fit in one frame for an IP MTU when each is the smallest
 * (56 bytes; 1500: 25): the most a sender may put there. Larger ones fit
 * fewer: a sender fills LW_FRAME_PAYLOAD_PER_MTU bytes.
 */
#define LW_FRAME_MSGS_PER_MTU(mtu) (LW_FRAME_PAYLOAD_PER_MTU(mtu) / LW_MSG_WIRE_MIN)
/** The most messages the length fields can describe. */
#define LW_FRAME_MAX_MSGS  LW_FRAME_MSGS_PER_MTU(65535)

/** One end of a frame. */
struct lw_frame_addr {
	uint8_t  mac[6];
	uint16_t base_port;    /* UDP port = base_port + worker */
	uint32_t ipv4;         /* host order */
	uint8_t  node;
	uint8_t  worker;
	uint32_t inc;          /* its incarnation (destination: as known, 0: unknown) */
};

/** What a receiver accepts. */
struct lw_frame_expect {
	uint32_t cluster;
	uint32_t epoch;          /* frames of an older epoch are stale */
	uint64_t known_nodes[4]; /* bitmap of the 256 node ids */
	uint16_t base_port;
	uint16_t nworkers;       /* workers on this node; 0: any (up to 256) */
	uint8_t  my_node;
	uint32_t my_inc;         /* this node's incarnation; 0: dst_inc is not checked */
};

/** A parsed frame. msgs points into the caller's buffer (unaligned): read it
    with lw_frame_msg_next (or lw_frame_msg). */
struct lw_frame_view {
	uint8_t  src_mac[6];
	uint8_t  flags;
	uint8_t  src_node;
	uint8_t  src_worker;
	uint8_t  dst_node;
	uint8_t  dst_worker;
	uint16_t nmsgs;
	uint32_t src_ipv4;       /* host order */
	uint32_t cluster;
	uint32_t epoch;
	uint32_t seq;
	uint32_t ack;
	uint32_t src_inc;
	uint32_t dst_inc;
	uint32_t len;            /* bytes of the frame (without Ethernet padding) */
	uint16_t payload_len;    /* bytes at msgs: nmsgs messages, or a CONTROL payload */
	const uint8_t *msgs;     /* nmsgs messages in their wire form, or the payload */
};

/** Why lw_frame_parse rejected a frame (it returns the negative value). */
enum lw_frame_drop {
	LW_FRAME_OK = 0,
	LW_FRAME_TRUNCATED,      /* fewer bytes than a header or a length says */
	LW_FRAME_NOT_IPV4,       /* not IPv4, or IPv4 with options */
	LW_FRAME_BAD_IP,         /* bad IPv4 checksum, a fragment, or bad total length */
	LW_FRAME_NOT_UDP,
	LW_FRAME_BAD_PORT,       /* not base + a worker, or not dst_worker's port */
	LW_FRAME_BAD_MAGIC,
	LW_FRAME_BAD_VERSION,
	LW_FRAME_BAD_FLAGS,      /* unknown flag bits */
	LW_FRAME_BAD_CLUSTER,
	LW_FRAME_UNKNOWN_NODE,   /* source node not in the view */
	LW_FRAME_NOT_FOR_ME,     /* destination node is not this node */
	LW_FRAME_STALE_EPOCH,
	LW_FRAME_BAD_LENGTH,     /* lengths disagree: UDP, hdr_len, nmsgs, payload_len, or
				    the messages do not tile payload_len exactly */
	LW_FRAME_BAD_MSG,        /* a message's namelen is above LW_RESNAME_MAXLEN, or its
				    h.len is not one of the two its namelen allows */
	LW_FRAME_STALE_INC,      /* for an earlier incarnation of this node, or from an
				    earlier one of the sender (counted by pktio/wio.c) */
	LW_FRAME_NDROPS
};

/** Dropped frames by reason (index enum lw_frame_drop; [LW_FRAME_OK] counts accepted). */
struct lw_frame_drops {
	uint64_t n[LW_FRAME_NDROPS];
};

/** Messages by type, received and sent ([0]: unknown types). */
struct lw_msg_counters {
	uint64_t rx[LW_MSG_NTYPES];
	uint64_t tx[LW_MSG_NTYPES];
};

/** true when m carries an LVB on the wire: lvbf != 0 or any LVB byte nonzero. */
static inline bool
lw_msg_wire_has_lvb(const struct lw_msg *m)
{
	uint64_t w[LW_LVB_LEN / 8];

	memcpy(w, m->lvb, sizeof(w));
	return m->lvbf != 0 || (w[0] | w[1] | w[2] | w[3]) != 0;
}

static_assert(LW_LVB_LEN == 32, "lw_msg_wire_has_lvb reads 4 words");

/**
 * The wire length of m (56..152, a multiple of 8), or 0 when m cannot be
 * encoded: namelen above LW_RESNAME_MAXLEN, or h.len not sizeof(struct lw_msg).
 */
static inline uint16_t
lw_msg_wire_len(const struct lw_msg *m)
{
	if (m->namelen > LW_RESNAME_MAXLEN || m->h.len != sizeof(*m))
		return 0;
	return (uint16_t)LW_ALIGN8(LW_MSG_WIRE_FIXED + (lw_msg_wire_has_lvb(m) ? LW_LVB_LEN : 0) +
				   m->namelen);
}

/**
 * Encode m at p in its wire form: lw_msg_wire_len(m) bytes, which the
 * caller has room for (at most LW_MSG_WIRE_MAX). p needs no alignment.
 * Returns the bytes written, 0 when m cannot be encoded (nothing written).
 */
size_t lw_msg_encode(uint8_t *p, const struct lw_msg *m);

/**
 * Build a frame in buf: headers for src -> dst, then the n messages at
 * msgs, each encoded (lw_msg_encode). flags: LW_FRAME_F_* (ACKONLY or
 * HEARTBEAT, not both, and then n == 0; CONTROL frames are built by
 * lw_frame_build_ctl). src->inc and dst->inc become src_inc and dst_inc.
 * LW_FRAME_LEN(n) bytes are always enough.
 * Returns the frame length (> 0), -ENOSPC when cap is too small or n or
 * the encoded messages too large for the length fields, -EINVAL on bad
 * arguments (a message that cannot be encoded: h.len not sizeof(struct
 * lw_msg) or namelen above LW_RESNAME_MAXLEN; unknown flags; msgs NULL
 * with n > 0).
 */
int lw_frame_build(void *buf, size_t cap, const struct lw_frame_addr *src,
		   const struct lw_frame_addr *dst, uint32_t cluster, uint32_t epoch,
		   uint32_t seq, uint32_t ack, uint8_t flags,
		   const struct lw_msg *msgs, uint16_t n);

/**
 * Finish a data frame whose nmsgs messages were encoded by lw_msg_encode
 * one after another at buf + LW_FRAME_MIN_LEN, payload_len bytes in all:
 * write its headers (flags 0) into the LW_FRAME_MIN_LEN bytes at buf.
 * The messages are not read. Returns the frame length (LW_FRAME_MIN_LEN +
 * payload_len); -EINVAL when buf, src or dst is NULL, nmsgs is 0, or
 * payload_len is not between nmsgs * LW_MSG_WIRE_MIN and nmsgs *
 * LW_MSG_WIRE_MAX; -ENOSPC when nmsgs is above LW_FRAME_MAX_MSGS or the
 * frame too large for the length fields.
 */
int lw_frame_finish(void *buf, const struct lw_frame_addr *src,
		    const struct lw_frame_addr *dst, uint32_t cluster, uint32_t epoch,
		    uint32_t seq, uint32_t ack, uint16_t nmsgs, uint16_t payload_len);

/**
 * Build a CONTROL frame in buf: headers for src -> dst (seq and ack 0),
 * then the len bytes at payload. Returns the frame length (> 0), -ENOSPC
 * when cap is too small, -EINVAL when len is 0 or above LW_FRAME_CTL_MAX
 * or an argument is NULL.
 */
int lw_frame_build_ctl(void *buf, size_t cap, const struct lw_frame_addr *src,
		       const struct lw_frame_addr *dst, uint32_t cluster, uint32_t epoch,
		       const void *payload, uint16_t len);

/**
 * Parse and check the len bytes at buf against ex; fill *out.
 * Returns 0, or -(enum lw_frame_drop) saying why the frame is dropped.
 * Ethernet padding after the IPv4 total length is allowed and ignored.
 * The incarnation is checked last: on -LW_FRAME_STALE_INC *out is filled
 * (the frame is otherwise good), so the receiver may answer its sender.
 */
int lw_frame_parse(const void *buf, size_t len, const struct lw_frame_expect *ex,
		   struct lw_frame_view *out);

/**
 * Decode the message at byte *off of a parsed frame's messages into *m (a
 * whole struct lw_msg, h.len = sizeof(struct lw_msg)) and advance *off to
 * the next one. Start with *off = 0; O(1) per message.
 * Returns 0; -ERANGE past the last message (and for a frame without
 * messages, such as a CONTROL frame); -EBADMSG when the bytes at *off are
 * not a valid message (never for a view filled by lw_frame_parse).
 */
int lw_frame_msg_next(const struct lw_frame_view *v, uint32_t *off, struct lw_msg *m);

/**
 * Decode message i of a parsed frame into *m (walks the i messages before
 * it: prefer lw_frame_msg_next in a loop). Returns 0, -ERANGE when
 * i >= nmsgs, -EBADMSG as lw_frame_msg_next.
 */
int lw_frame_msg(const struct lw_frame_view *v, uint16_t i, struct lw_msg *m);

/**
 * Rewrite the ack of a built frame in place (a retransmission carries the
 * current ack). Returns 0, -EINVAL when buf is not a lockwire frame.
 */
int lw_frame_set_ack(void *buf, size_t len, uint32_t ack);

/**
 * Rewrite the epoch and dst_inc of a built frame in place (a retransmission
 * goes out in the current view, to the incarnation now known).
 * Returns 0, -EINVAL when buf is not a lockwire frame.
 */
int lw_frame_restamp(void *buf, size_t len, uint32_t epoch, uint32_t dst_inc);

/** Mark node as known (or not) in ex->known_nodes. */
void lw_frame_expect_node(struct lw_frame_expect *ex, uint8_t node, int known);

/** Count the result rc of lw_frame_parse (0 or negative). */
void lw_frame_drop_count(struct lw_frame_drops *d, int rc);

/** Name of a drop reason ("TRUNCATED"...), "?" when unknown. */
const char *lw_frame_drop_name(int reason);

/** The counter slot of a message type (0 for a type not known). */
static inline unsigned int
lw_msg_count_slot(uint8_t type)
{
	return type < LW_MSG_NTYPES ? type : 0;
}

/** Count the messages of a parsed frame as received, by type. */
void lw_msg_count_rx(struct lw_msg_counters *c, const struct lw_frame_view *v);

/** Count n messages as sent, by type. */
void lw_msg_count_tx(struct lw_msg_counters *c, const struct lw_msg *msgs, uint16_t n);

#endif /* LW_FRAME_H */
