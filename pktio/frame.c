/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frame.c — build and parse lockwire frames (see frame.h for the layout).
 *
 * DESIGN
 * Build writes the headers field by field, network order for L2-L4 and the
 * little-endian struct lw_frame_hdr for ours, and encodes each message in
 * its wire form (frame.h): the 56 fixed bytes with h.len = the wire length,
 * the LVB when it carries one, the name's namelen bytes, zeros to a
 * multiple of 8. lw_msg_encode and lw_frame_finish let a sender encode
 * straight into its packet buffer and write the headers last.
 * Parse walks the frame outside in, and checks each length against the
 * bytes present before it reads what the length covers: Ethernet, IPv4
 * (version, IHL, total length <= bytes, checksum, no fragment), UDP (length
 * == IP payload, port in range), lockwire header (magic, version, flags,
 * hdr_len, cluster, nodes, epoch, worker port, payload_len == UDP payload
 * - header; a CONTROL frame: nmsgs 0 and 0 < payload_len <=
 * LW_FRAME_CTL_MAX; else nmsgs <= LW_FRAME_MAX_MSGS and nmsgs * 56 <=
 * payload_len <= nmsgs * 152), then the messages one after another: each
 * needs 56 bytes left (BAD_LENGTH), a namelen <= LW_RESNAME_MAXLEN and an
 * h.len that is one of the two its namelen allows (BAD_MSG), and to fit in
 * what is left of payload_len (BAD_LENGTH); after nmsgs messages exactly
 * payload_len bytes are used (BAD_LENGTH). Last dst_inc. The first failed
 * check names the drop reason. Decoding (lw_frame_msg_next) checks each
 * message again, so a view never makes it read past payload_len. No state;
 * thread-safe. No DPDK headers: the tests and tools use it as plain C.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "frame.h"

/* Messages and our header are copied as bytes: the host must be little-endian. */
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "lockwire needs a little-endian host");

#define ETHERTYPE_IPV4 0x0800
#define IPPROTO_UDP_   17
#define IP_DF          0x4000
#define IP_MF          0x2000
#define IP_OFFMASK     0x1fff
#define IP_TTL         64

/* Offsets within the frame. */
#define OFF_IP   LW_FRAME_ETH_LEN
#define OFF_UDP  (OFF_IP + LW_FRAME_IP_LEN)
#define OFF_LW   LW_FRAME_L2L4_LEN
#define OFF_MSGS (OFF_LW + (int)sizeof(struct lw_frame_hdr))

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The Internet checksum of an IPv4 header (20 bytes, network order). */
static uint16_t
ip_csum(const uint8_t *ip)
{
	uint32_t sum = 0;

	for (int i = 0; i < LW_FRAME_IP_LEN; i += 2)
		sum += get_be16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t
msg_len_at(const uint8_t *m)
{
	uint16_t len;

	memcpy(&len, m + offsetof(struct lw_msg_hdr, len), sizeof(len));
	return len;
}

static uint8_t
msg_type_at(const uint8_t *m)
{
	return m[offsetof(struct lw_msg_hdr, type)];
}

/* The wire length of a message without an LVB; with one it is 32 more. */
static uint16_t
wire_len_nolvb(uint8_t namelen)
{
	return (uint16_t)LW_ALIGN8(LW_MSG_WIRE_FIXED + namelen);
}

/*
 * The wire length of the message at p, left bytes from p to the end of the
 * payload; -(drop reason) when it is not a valid message there. Reads only
 * the bytes present.
 */
static int
msg_wire_check(const uint8_t *p, size_t left)
{
	uint16_t len, lo;
	uint8_t namelen;

	if (left < LW_MSG_WIRE_FIXED)
		return -LW_FRAME_BAD_LENGTH;
	len = msg_len_at(p);
	namelen = p[offsetof(struct lw_msg, namelen)];
	if (namelen > LW_RESNAME_MAXLEN)
		return -LW_FRAME_BAD_MSG;
	lo = wire_len_nolvb(namelen);
	if (len != lo && len != lo + LW_LVB_LEN)
		return -LW_FRAME_BAD_MSG;
	if (len > left)
		return -LW_FRAME_BAD_LENGTH;
	return len;
}

/* Decode the message at p, of wire length len (checked), into a whole *m. */
static void
msg_decode(const uint8_t *p, uint16_t len, struct lw_msg *m)
{
	uint8_t namelen = p[offsetof(struct lw_msg, namelen)];
	const uint8_t *name = p + LW_MSG_WIRE_FIXED;

	memcpy(m, p, LW_MSG_WIRE_FIXED);
	m->h.len = sizeof(*m);
	if (len != wire_len_nolvb(namelen)) {
		memcpy(m->lvb, name, LW_LVB_LEN);
		name += LW_LVB_LEN;
	} else {
		memset(m->lvb, 0, LW_LVB_LEN);
	}
	memcpy(m->name, name, namelen);
	memset(m->name + namelen, 0, LW_RESNAME_MAXLEN - namelen);
}

size_t
lw_msg_encode(uint8_t *p, const struct lw_msg *m)
{
	uint16_t len = lw_msg_wire_len(m);
	size_t off = LW_MSG_WIRE_FIXED;

	if (len == 0)
		return 0;
	memcpy(p, m, LW_MSG_WIRE_FIXED);
	memcpy(p + offsetof(struct lw_msg_hdr, len), &len, sizeof(len));
	if (len != wire_len_nolvb(m->namelen)) {
		memcpy(p + off, m->lvb, LW_LVB_LEN);
		off += LW_LVB_LEN;
	}
	memcpy(p + off, m->name, m->namelen);
	off += m->namelen;
	memset(p + off, 0, len - off);
	return len;
}

/* The Ethernet, IPv4, UDP and lockwire headers of a frame of total bytes. */
static void
put_headers(uint8_t *p, size_t total, const struct lw_frame_addr *src,
	    const struct lw_frame_addr *dst, const struct lw_frame_hdr *tmpl)
{
	struct lw_frame_hdr h = *tmpl;

	/* Ethernet */
	memcpy(p, dst->mac, 6);
	memcpy(p + 6, src->mac, 6);
	put_be16(p + 12, ETHERTYPE_IPV4);

	/* IPv4 */
	uint8_t *ip = p + OFF_IP;
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(total - OFF_IP));
	put_be16(ip + 4, 0);              /* id: DF is set, never fragmented */
	put_be16(ip + 6, IP_DF);
	ip[8] = IP_TTL;
	ip[9] = IPPROTO_UDP_;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, src->ipv4);
	put_be32(ip + 16, dst->ipv4);
	put_be16(ip + 10, ip_csum(ip));

	/* UDP */
	uint8_t *udp = p + OFF_UDP;
	put_be16(udp, (uint16_t)(src->base_port + src->worker));
	put_be16(udp + 2, (uint16_t)(dst->base_port + dst->worker));
	put_be16(udp + 4, (uint16_t)(total - OFF_UDP));
	put_be16(udp + 6, 0);

	/* lockwire header */
	h.magic = LW_FRAME_MAGIC;
	h.version = LW_FRAME_VERSION;
	h.hdr_len = sizeof(h);
	h.src_node = src->node;
	h.src_worker = src->worker;
	h.dst_node = dst->node;
	h.dst_worker = dst->worker;
	h.src_inc = src->inc;
	h.dst_inc = dst->inc;
	memcpy(p + OFF_LW, &h, sizeof(h));
}

/* At most one flag, and only known ones. */
static bool
flags_ok(uint8_t flags)
{
	return (flags & ~LW_FRAME_F_ALL) == 0 && (flags & (flags - 1)) == 0;
}

/* The headers of a data (or ACKONLY, HEARTBEAT) frame of payload bytes of messages. */
static int
put_data_headers(uint8_t *p, const struct lw_frame_addr *src, const struct lw_frame_addr *dst,
		 uint32_t cluster, uint32_t epoch, uint32_t seq, uint32_t ack, uint8_t flags,
		 uint16_t n, size_t payload)
{
	struct lw_frame_hdr h;

	memset(&h, 0, sizeof(h));
	h.flags = flags;
	h.cluster = cluster;
	h.epoch = epoch;
	h.seq = seq;
	h.ack = ack;
	h.nmsgs = n;
	h.payload_len = (uint16_t)payload;
	put_headers(p, (size_t)OFF_MSGS + payload, src, dst, &h);
	return OFF_MSGS + (int)payload;
}

int
lw_frame_build(void *buf, size_t cap, const struct lw_frame_addr *src,
	       const struct lw_frame_addr *dst, uint32_t cluster, uint32_t epoch,
	       uint32_t seq, uint32_t ack, uint8_t flags,
	       const struct lw_msg *msgs, uint16_t n)
{
	uint8_t *p = buf;
	size_t payload = 0, off = OFF_MSGS;

	if (buf == NULL || src == NULL || dst == NULL || (n > 0 && msgs == NULL))
		return -EINVAL;
	if (!flags_ok(flags) || (flags & LW_FRAME_F_CONTROL) ||
	    ((flags & LW_FRAME_F_NOSEQ) && n != 0))
		return -EINVAL;
	if (n > LW_FRAME_MAX_MSGS)
		return -ENOSPC;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t wl = lw_msg_wire_len(&msgs[i]);

		if (wl == 0)
			return -EINVAL;
		payload += wl;
	}
	if (payload > (size_t)LW_FRAME_PAYLOAD_PER_MTU(65535) || (size_t)OFF_MSGS + payload > cap)
		return -ENOSPC;
	for (uint16_t i = 0; i < n; i++)
		off += lw_msg_encode(p + off, &msgs[i]);
	return put_data_headers(p, src, dst, cluster, epoch, seq, ack, flags, n, payload);
}

int
lw_frame_finish(void *buf, const struct lw_frame_addr *src,
		const struct lw_frame_addr *dst, uint32_t cluster, uint32_t epoch,
		uint32_t seq, uint32_t ack, uint16_t nmsgs, uint16_t payload_len)
{
	if (buf == NULL || src == NULL || dst == NULL || nmsgs == 0)
		return -EINVAL;
	if (nmsgs > LW_FRAME_MAX_MSGS || payload_len > LW_FRAME_PAYLOAD_PER_MTU(65535))
		return -ENOSPC;
	if (payload_len < (size_t)nmsgs * LW_MSG_WIRE_MIN ||
	    payload_len > (size_t)nmsgs * LW_MSG_WIRE_MAX)
		return -EINVAL;
	return put_data_headers(buf, src, dst, cluster, epoch, seq, ack, 0, nmsgs, payload_len);
}

int
lw_frame_build_ctl(void *buf, size_t cap, const struct lw_frame_addr *src,
		   const struct lw_frame_addr *dst, uint32_t cluster, uint32_t epoch,
		   const void *payload, uint16_t len)
{
	struct lw_frame_hdr h;
	size_t total = (size_t)OFF_MSGS + len;

	if (buf == NULL || src == NULL || dst == NULL || payload == NULL || len == 0 ||
	    len > LW_FRAME_CTL_MAX)
		return -EINVAL;
	if (total > cap)
		return -ENOSPC;
	memset(&h, 0, sizeof(h));
	h.flags = LW_FRAME_F_CONTROL;
	h.cluster = cluster;
	h.epoch = epoch;
	h.payload_len = len;
	put_headers(buf, total, src, dst, &h);
	memcpy((uint8_t *)buf + OFF_MSGS, payload, len);
	return (int)total;
}

static bool
node_known(const struct lw_frame_expect *ex, uint8_t node)
{
	return (ex->known_nodes[node >> 6] >> (node & 63)) & 1;
}

/* Ethernet, IPv4 and UDP; sets *udp_len (UDP header + data) and *dport. */
static int
parse_l2l4(const uint8_t *p, size_t len, const struct lw_frame_expect *ex,
	   struct lw_frame_view *out, uint16_t *udp_len, uint16_t *dport)
{
	const uint8_t *ip = p + OFF_IP;
	const uint8_t *udp = p + OFF_UDP;
	uint16_t ip_total, frag;

	if (len < LW_FRAME_ETH_LEN)
		return -LW_FRAME_TRUNCATED;
	if (get_be16(p + 12) != ETHERTYPE_IPV4)
		return -LW_FRAME_NOT_IPV4;
	if (len < OFF_UDP)
		return -LW_FRAME_TRUNCATED;
	if (ip[0] != 0x45)
		return -LW_FRAME_NOT_IPV4;
	ip_total = get_be16(ip + 2);
	if (ip_total < LW_FRAME_IP_LEN)
		return -LW_FRAME_BAD_IP;
	if ((size_t)ip_total > len - OFF_IP)
		return -LW_FRAME_TRUNCATED;
	if (ip_csum(ip) != 0)
		return -LW_FRAME_BAD_IP;
	frag = get_be16(ip + 6);
	if ((frag & IP_MF) || (frag & IP_OFFMASK))
		return -LW_FRAME_BAD_IP;
	if (ip[9] != IPPROTO_UDP_)
		return -LW_FRAME_NOT_UDP;
	if (ip_total < LW_FRAME_IP_LEN + LW_FRAME_UDP_LEN)
		return -LW_FRAME_TRUNCATED;
	*udp_len = get_be16(udp + 4);
	if (*udp_len != ip_total - LW_FRAME_IP_LEN)
		return -LW_FRAME_BAD_LENGTH;
	*dport = get_be16(udp + 2);
	if (*dport < ex->base_port || *dport - ex->base_port > 255 ||
	    (ex->nworkers != 0 && *dport - ex->base_port >= ex->nworkers))
		return -LW_FRAME_BAD_PORT;

	memcpy(out->src_mac, p + 6, 6);
	out->src_ipv4 = get_be32(ip + 12);
	out->len = (uint32_t)OFF_IP + ip_total;
	return 0;
}

/* The lockwire header, whose bytes are known to be present. */
static int
check_hdr(const struct lw_frame_hdr *h, const struct lw_frame_expect *ex,
	  uint16_t dport, size_t data_len)
{
	if (h->magic != LW_FRAME_MAGIC)
		return -LW_FRAME_BAD_MAGIC;
	if (h->version != LW_FRAME_VERSION)
		return -LW_FRAME_BAD_VERSION;
	if (!flags_ok(h->flags))
		return -LW_FRAME_BAD_FLAGS;
	if (h->hdr_len != sizeof(*h))
		return -LW_FRAME_BAD_LENGTH;
	if (h->cluster != ex->cluster)
		return -LW_FRAME_BAD_CLUSTER;
	if (!node_known(ex, h->src_node))
		return -LW_FRAME_UNKNOWN_NODE;
	if (h->dst_node != ex->my_node)
		return -LW_FRAME_NOT_FOR_ME;
	if (dport - ex->base_port != h->dst_worker)
		return -LW_FRAME_BAD_PORT;
	if ((int32_t)(h->epoch - ex->epoch) < 0)
		return -LW_FRAME_STALE_EPOCH;
	if (sizeof(*h) + (size_t)h->payload_len != data_len)
		return -LW_FRAME_BAD_LENGTH;
	if (h->flags & LW_FRAME_F_CONTROL)
		return h->nmsgs == 0 && h->payload_len != 0 && h->payload_len <= LW_FRAME_CTL_MAX ?
		       0 : -LW_FRAME_BAD_LENGTH;
	if (h->nmsgs > LW_FRAME_MAX_MSGS ||
	    h->payload_len < (size_t)h->nmsgs * LW_MSG_WIRE_MIN ||
	    h->payload_len > (size_t)h->nmsgs * LW_MSG_WIRE_MAX ||
	    ((h->flags & LW_FRAME_F_NOSEQ) && h->nmsgs != 0))
		return -LW_FRAME_BAD_LENGTH;
	return 0;
}

/* The nmsgs messages at p tile exactly payload_len bytes; 0 or -(drop reason). */
static int
check_msgs(const uint8_t *p, uint16_t nmsgs, uint16_t payload_len)
{
	size_t off = 0;

	for (uint16_t i = 0; i < nmsgs; i++) {
		int len = msg_wire_check(p + off, payload_len - off);

		if (len < 0)
			return len;
		off += (size_t)len;
	}
	return off == payload_len ? 0 : -LW_FRAME_BAD_LENGTH;
}

int
lw_frame_parse(const void *buf, size_t len, const struct lw_frame_expect *ex,
	       struct lw_frame_view *out)
{
	const uint8_t *p = buf;
	struct lw_frame_hdr h;
	uint16_t udp_len = 0, dport = 0;
	size_t data_len;
	int rc;

	if (buf == NULL || ex == NULL || out == NULL)
		return -LW_FRAME_TRUNCATED;
	rc = parse_l2l4(p, len, ex, out, &udp_len, &dport);
	if (rc < 0)
		return rc;
	/* udp_len <= the bytes present, checked against ip_total above */
	if (udp_len < LW_FRAME_UDP_LEN + sizeof(h))
		return -LW_FRAME_TRUNCATED;
	data_len = udp_len - LW_FRAME_UDP_LEN;
	memcpy(&h, p + OFF_LW, sizeof(h));
	rc = check_hdr(&h, ex, dport, data_len);
	if (rc < 0)
		return rc;
	if (!(h.flags & LW_FRAME_F_CONTROL)) {
		rc = check_msgs(p + OFF_MSGS, h.nmsgs, h.payload_len);
		if (rc < 0)
			return rc;
	}

	out->flags = h.flags;
	out->src_node = h.src_node;
	out->src_worker = h.src_worker;
	out->dst_node = h.dst_node;
	out->dst_worker = h.dst_worker;
	out->nmsgs = h.nmsgs;
	out->cluster = h.cluster;
	out->epoch = h.epoch;
	out->seq = h.seq;
	out->ack = h.ack;
	out->src_inc = h.src_inc;
	out->dst_inc = h.dst_inc;
	out->payload_len = h.payload_len;
	out->msgs = p + OFF_MSGS;
	if (ex->my_inc != 0 && h.dst_inc != 0 && h.dst_inc != ex->my_inc)
		return -LW_FRAME_STALE_INC;
	return 0;
}

int
lw_frame_msg_next(const struct lw_frame_view *v, uint32_t *off, struct lw_msg *m)
{
	int len;

	if (v->nmsgs == 0 || (v->flags & LW_FRAME_F_CONTROL) || *off >= v->payload_len)
		return -ERANGE;
	len = msg_wire_check(v->msgs + *off, v->payload_len - *off);
	if (len < 0)
		return -EBADMSG;
	msg_decode(v->msgs + *off, (uint16_t)len, m);
	*off += (uint32_t)len;
	return 0;
}

int
lw_frame_msg(const struct lw_frame_view *v, uint16_t i, struct lw_msg *m)
{
	uint32_t off = 0;

	if (i >= v->nmsgs)
		return -ERANGE;
	for (uint16_t k = 0; k < i; k++) {
		int len;

		if (off >= v->payload_len)
			return -EBADMSG;
		len = msg_wire_check(v->msgs + off, v->payload_len - off);
		if (len < 0)
			return -EBADMSG;
		off += (uint32_t)len;
	}
	return lw_frame_msg_next(v, &off, m);
}

int
lw_frame_set_ack(void *buf, size_t len, uint32_t ack)
{
	uint8_t *p = buf;
	uint32_t magic;

	if (buf == NULL || len < (size_t)OFF_MSGS)
		return -EINVAL;
	memcpy(&magic, p + OFF_LW + offsetof(struct lw_frame_hdr, magic), sizeof(magic));
	if (magic != LW_FRAME_MAGIC)
		return -EINVAL;
	memcpy(p + OFF_LW + offsetof(struct lw_frame_hdr, ack), &ack, sizeof(ack));
	return 0;
}

int
lw_frame_restamp(void *buf, size_t len, uint32_t epoch, uint32_t dst_inc)
{
	uint8_t *p = buf;
	uint32_t magic;

	if (buf == NULL || len < (size_t)OFF_MSGS)
		return -EINVAL;
	memcpy(&magic, p + OFF_LW + offsetof(struct lw_frame_hdr, magic), sizeof(magic));
	if (magic != LW_FRAME_MAGIC)
		return -EINVAL;
	memcpy(p + OFF_LW + offsetof(struct lw_frame_hdr, epoch), &epoch, sizeof(epoch));
	memcpy(p + OFF_LW + offsetof(struct lw_frame_hdr, dst_inc), &dst_inc, sizeof(dst_inc));
	return 0;
}

void
lw_frame_expect_node(struct lw_frame_expect *ex, uint8_t node, int known)
{
	uint64_t bit = UINT64_C(1) << (node & 63);

	if (known)
		ex->known_nodes[node >> 6] |= bit;
	else
		ex->known_nodes[node >> 6] &= ~bit;
}

void
lw_frame_drop_count(struct lw_frame_drops *d, int rc)
{
	int reason = -rc;

	if (reason < 0 || reason >= LW_FRAME_NDROPS)
		return;
	d->n[reason]++;
}

const char *
lw_frame_drop_name(int reason)
{
	static const char *const names[LW_FRAME_NDROPS] = {
		[LW_FRAME_OK] = "OK",
		[LW_FRAME_TRUNCATED] = "TRUNCATED",
		[LW_FRAME_NOT_IPV4] = "NOT_IPV4",
		[LW_FRAME_BAD_IP] = "BAD_IP",
		[LW_FRAME_NOT_UDP] = "NOT_UDP",
		[LW_FRAME_BAD_PORT] = "BAD_PORT",
		[LW_FRAME_BAD_MAGIC] = "BAD_MAGIC",
		[LW_FRAME_BAD_VERSION] = "BAD_VERSION",
		[LW_FRAME_BAD_FLAGS] = "BAD_FLAGS",
		[LW_FRAME_BAD_CLUSTER] = "BAD_CLUSTER",
		[LW_FRAME_UNKNOWN_NODE] = "UNKNOWN_NODE",
		[LW_FRAME_NOT_FOR_ME] = "NOT_FOR_ME",
		[LW_FRAME_STALE_EPOCH] = "STALE_EPOCH",
		[LW_FRAME_BAD_LENGTH] = "BAD_LENGTH",
		[LW_FRAME_BAD_MSG] = "BAD_MSG",
		[LW_FRAME_STALE_INC] = "STALE_INC",
	};

	if (reason < 0)
		reason = -reason;
	if (reason >= LW_FRAME_NDROPS || names[reason] == NULL)
		return "?";
	return names[reason];
}

void
lw_msg_count_rx(struct lw_msg_counters *c, const struct lw_frame_view *v)
{
	uint32_t off = 0;

	for (uint16_t i = 0; i < v->nmsgs && off < v->payload_len; i++) {
		int len = msg_wire_check(v->msgs + off, v->payload_len - off);
		uint8_t t;

		if (len < 0)
			break;         /* not from lw_frame_parse: count what is valid */
		t = msg_type_at(v->msgs + off);
		c->rx[lw_msg_count_slot(t)]++;
		off += (uint32_t)len;
	}
}

void
lw_msg_count_tx(struct lw_msg_counters *c, const struct lw_msg *msgs, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		c->tx[lw_msg_count_slot(msgs[i].h.type)]++;
	}
}
