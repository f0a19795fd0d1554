/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frame.c — build and parse lockwire frames (see frame.h for the layout).
 *
 * DESIGN
 * Build writes the headers field by field, network order for L2-L4 and the
 * little-endian struct lw_frame_hdr for ours, then copies the messages.
 * Parse walks the frame outside in, and checks each length against the
 * bytes present before it reads what the length covers: Ethernet, IPv4
 * (version, IHL, total length <= bytes, checksum, no fragment), UDP (length
 * == IP payload, port in range), lockwire header (magic, version, flags,
 * hdr_len, cluster, nodes, epoch, worker port), then nmsgs * 152 ==
 * payload_len == UDP payload - header (a CONTROL frame: nmsgs 0 and
 * 0 < payload_len <= LW_FRAME_CTL_MAX), then each message's h.len, and last
 * dst_inc. The first failed check names the drop reason. No state;
 * thread-safe.
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

int
lw_frame_build(void *buf, size_t cap, const struct lw_frame_addr *src,
	       const struct lw_frame_addr *dst, uint32_t cluster, uint32_t epoch,
	       uint32_t seq, uint32_t ack, uint8_t flags,
	       const struct lw_msg *msgs, uint16_t n)
{
	struct lw_frame_hdr h;
	size_t payload = (size_t)n * sizeof(struct lw_msg);
	size_t total = (size_t)OFF_MSGS + payload;

	if (buf == NULL || src == NULL || dst == NULL || (n > 0 && msgs == NULL))
		return -EINVAL;
	if (!flags_ok(flags) || (flags & LW_FRAME_F_CONTROL) ||
	    ((flags & LW_FRAME_F_NOSEQ) && n != 0))
		return -EINVAL;
	if (n > LW_FRAME_MAX_MSGS || total > cap)
		return -ENOSPC;
	for (uint16_t i = 0; i < n; i++)
		if (msgs[i].h.len != sizeof(struct lw_msg))
			return -EINVAL;

	memset(&h, 0, sizeof(h));
	h.flags = flags;
	h.cluster = cluster;
	h.epoch = epoch;
	h.seq = seq;
	h.ack = ack;
	h.nmsgs = n;
	h.payload_len = (uint16_t)payload;
	put_headers(buf, total, src, dst, &h);
	if (n > 0)
		memcpy((uint8_t *)buf + OFF_MSGS, msgs, payload);
	return (int)total;
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
	    (size_t)h->nmsgs * sizeof(struct lw_msg) != h->payload_len ||
	    ((h->flags & LW_FRAME_F_NOSEQ) && h->nmsgs != 0))
		return -LW_FRAME_BAD_LENGTH;
	return 0;
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
	for (uint16_t i = 0; i < h.nmsgs; i++)
		if (msg_len_at(p + OFF_MSGS + (size_t)i * sizeof(struct lw_msg)) !=
		    sizeof(struct lw_msg))
			return -LW_FRAME_BAD_MSG;

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
lw_frame_msg(const struct lw_frame_view *v, uint16_t i, struct lw_msg *m)
{
	if (i >= v->nmsgs)
		return -ERANGE;
	memcpy(m, v->msgs + (size_t)i * sizeof(*m), sizeof(*m));
	return 0;
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
	for (uint16_t i = 0; i < v->nmsgs; i++) {
		uint8_t t = msg_type_at(v->msgs + (size_t)i * sizeof(struct lw_msg));

		c->rx[t < LW_MSG_NTYPES ? t : 0]++;
	}
}

void
lw_msg_count_tx(struct lw_msg_counters *c, const struct lw_msg *msgs, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		uint8_t t = msgs[i].h.type;

		c->tx[t < LW_MSG_NTYPES ? t : 0]++;
	}
}
