/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_frame.c — pktio/frame.h: the lockwire wire format.
 *
 * DESIGN
 * Build/parse round trips; the wire form of one message (exact bytes and
 * lengths: with and without an LVB, names of 0..64 bytes, decoding back to
 * the whole struct lw_msg), the cursor, frames filled to an MTU; one test
 * per drop reason, each made by editing one field of a valid frame (fixing the IPv4 checksum when the edit is in
 * the IPv4 header, so that the intended check is the one that fires), each
 * counted in struct lw_frame_drops; every truncation of a valid frame; and
 * a seeded fuzz loop (random bytes, truncations, bit flips) over heap
 * buffers of the exact length, so that ASan sees any read past the end.
 * A parse that succeeds must describe a frame consistent with its bytes.
 * Incarnations (src_inc/dst_inc, a frame for an earlier us) and CONTROL
 * frames (round trip, build errors, malformed ones) have their own tests.
 * The fuzz frames carry messages of random sizes (name length, LVB or not),
 * and some iterations edit one message's length or namelen.
 * LW_SEED=<n> in the environment replays a fuzz run; the seed is printed
 * on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwt.h"
#include "lwt_ev.h"
#include "frame.h"

#define CLUSTER   0xC0FFEE01u
#define EPOCH     7u
#define BASE_PORT 7400

static const struct lw_frame_addr A = {
	.mac = { 0x02, 0, 0, 0, 0, 0x01 }, .base_port = BASE_PORT,
	.ipv4 = 0x0a000001, .node = 1, .worker = 0, .inc = 0x1234,
};
static const struct lw_frame_addr B = {
	.mac = { 0x02, 0, 0, 0, 0, 0x02 }, .base_port = BASE_PORT,
	.ipv4 = 0x0a000002, .node = 2, .worker = 3, .inc = 0xabcd0001,
};

static struct lw_frame_expect
expect_b(void)
{
	struct lw_frame_expect ex = {
		.cluster = CLUSTER, .epoch = EPOCH, .base_port = BASE_PORT,
		.nworkers = 4, .my_node = 2, .my_inc = 0xabcd0001,
	};

	lw_frame_expect_node(&ex, 1, 1);
	lw_frame_expect_node(&ex, 2, 1);
	return ex;
}

static void
fill_msgs(struct lw_msg *m, int n, uint32_t first)
{
	memset(m, 0, sizeof(*m) * (size_t)n);
	for (int i = 0; i < n; i++) {
		m[i].h.version = LW_PROTO_VERSION;
		m[i].h.type = (uint8_t)(LW_MSG_REQUEST + i % (LW_MSG_NTYPES - 1));
		m[i].h.len = sizeof(struct lw_msg);
		m[i].h.src = 1;
		m[i].h.dst = 2;
		m[i].seq = first + (uint32_t)i;
		m[i].namelen = 4;
		memcpy(m[i].name, "res", 4);
	}
}

/* A valid frame A -> B with n messages in buf; returns its length. */
static int
build_ab(uint8_t *buf, size_t cap, int n)
{
	struct lw_msg m[16];

	fill_msgs(m, n, 100);
	return lw_frame_build(buf, cap, &A, &B, CLUSTER, EPOCH, 42, 41, 0, m, (uint16_t)n);
}

/* The wire bytes of fill_msgs' messages (56 fixed + a 4-byte name: 64). */
#define FILL_WIRE 64

/* Make m the largest message: an LVB and a 64-byte name (152 bytes on the wire). */
static void
make_big(struct lw_msg *m, uint32_t k)
{
	m->lvbf = LW_MSG_LVB_PRESENT;
	m->namelen = LW_RESNAME_MAXLEN;
	for (int i = 0; i < LW_LVB_LEN; i++)
		m->lvb[i] = (uint8_t)(k + (uint32_t)i * 3u + 1u);
	for (int i = 0; i < LW_RESNAME_MAXLEN; i++)
		m->name[i] = (uint8_t)('a' + (k + (uint32_t)i) % 26);
}

/* The sum of the wire lengths of n messages (by the rule, not by the library). */
static int
wire_sum(const struct lw_msg *m, int n)
{
	int sum = 0;

	for (int i = 0; i < n; i++) {
		bool lvb = m[i].lvbf != 0;

		for (int k = 0; k < LW_LVB_LEN; k++)
			lvb = lvb || m[i].lvb[k] != 0;
		sum += (56 + (lvb ? 32 : 0) + m[i].namelen + 7) / 8 * 8;
	}
	return sum;
}

static void
fix_ip_csum(uint8_t *f)
{
	uint8_t *ip = f + LW_FRAME_ETH_LEN;
	uint32_t sum = 0;

	ip[10] = ip[11] = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
}

static uint8_t *
hdr_of(uint8_t *f)
{
	return f + LW_FRAME_L2L4_LEN;
}

static void
test_roundtrip(void)
{
	static uint8_t buf[70000];
	static struct lw_msg m[LW_FRAME_MAX_MSGS];
	struct lw_frame_expect ex = expect_b();
	const int counts[] = { 0, 1, 9, 16, LW_FRAME_MAX_MSGS };

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		int n = counts[c];
		struct lw_frame_view v;
		struct lw_msg got;

		fill_msgs(m, n, 1000);
		if (n == LW_FRAME_MAX_MSGS)      /* the most: only the smallest fit */
			for (int i = 0; i < n; i++) {
				m[i].namelen = 0;
				memset(m[i].name, 0, sizeof(m[i].name));
			}
		else if (n == 16)                /* every size there is */
			for (int i = 0; i < n; i += 2)
				make_big(&m[i], (uint32_t)i);
		int want = LW_FRAME_MIN_LEN + wire_sum(m, n);
		int len = lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH + 1,
					 0xfffffffe, 17, 0, m, (uint16_t)n);
		LWT_CHECK(len == want, "n=%d: len %d, want %d", n, len, want);
		CU_ASSERT(len <= LW_FRAME_LEN(n));
		int rc = lw_frame_parse(buf, (size_t)len, &ex, &v);
		LWT_CHECK(rc == 0, "n=%d: parse %d (%s)", n, rc, lw_frame_drop_name(rc));
		if (rc != 0)
			continue;
		CU_ASSERT_EQUAL(v.nmsgs, n);
		CU_ASSERT_EQUAL(v.seq, 0xfffffffe);
		CU_ASSERT_EQUAL(v.ack, 17);
		CU_ASSERT_EQUAL(v.epoch, EPOCH + 1);
		CU_ASSERT_EQUAL(v.cluster, CLUSTER);
		CU_ASSERT_EQUAL(v.src_node, 1);
		CU_ASSERT_EQUAL(v.src_worker, 0);
		CU_ASSERT_EQUAL(v.dst_node, 2);
		CU_ASSERT_EQUAL(v.dst_worker, 3);
		CU_ASSERT_EQUAL(v.src_ipv4, A.ipv4);
		CU_ASSERT_EQUAL(v.src_inc, A.inc);
		CU_ASSERT_EQUAL(v.dst_inc, B.inc);
		CU_ASSERT_EQUAL(v.payload_len, want - LW_FRAME_MIN_LEN);
		CU_ASSERT_EQUAL(v.len, (uint32_t)len);
		CU_ASSERT_EQUAL(memcmp(v.src_mac, A.mac, 6), 0);
		for (int i = 0; i < n; i++) {
			CU_ASSERT_EQUAL(lw_frame_msg(&v, (uint16_t)i, &got), 0);
			CU_ASSERT_EQUAL(memcmp(&got, &m[i], sizeof(got)), 0);
		}
		CU_ASSERT_EQUAL(lw_frame_msg(&v, (uint16_t)n, &got), -ERANGE);
	}
	/* the wire bytes: ports, DF, TTL, magic */
	int len = build_ab(buf, sizeof(buf), 1);
	CU_ASSERT_EQUAL(len, LW_FRAME_MIN_LEN + FILL_WIRE);
	CU_ASSERT_EQUAL(buf[12] << 8 | buf[13], 0x0800);
	CU_ASSERT_EQUAL(buf[14], 0x45);
	CU_ASSERT_EQUAL(buf[20], 0x40);            /* DF */
	CU_ASSERT_EQUAL(buf[22], 64);              /* TTL */
	CU_ASSERT_EQUAL(buf[23], 17);              /* UDP */
	CU_ASSERT_EQUAL(buf[34] << 8 | buf[35], BASE_PORT + 0);
	CU_ASSERT_EQUAL(buf[36] << 8 | buf[37], BASE_PORT + 3);
	CU_ASSERT_EQUAL(memcmp(buf + 42, "LWR1", 4), 0);
	CU_ASSERT_EQUAL(buf[LW_FRAME_L2L4_LEN + 4], LW_FRAME_VERSION);
	CU_ASSERT_EQUAL(LW_FRAME_VERSION, 2);
	CU_ASSERT_EQUAL(LW_FRAME_PAYLOAD_PER_MTU(1500), 1432);
	CU_ASSERT_EQUAL(LW_FRAME_MIN_LEN + LW_FRAME_PAYLOAD_PER_MTU(1500), 1514);
	CU_ASSERT_EQUAL(LW_FRAME_MSGS_PER_MTU(1500), 25);
	CU_ASSERT_EQUAL(LW_FRAME_MAX_MSGS, 1169);
}

static void
test_build_errors(void)
{
	static uint8_t buf[2048];
	struct lw_msg m[2];

	fill_msgs(m, 2, 0);
	CU_ASSERT_EQUAL(lw_frame_build(buf, LW_FRAME_MIN_LEN + 2 * FILL_WIRE - 1, &A, &B, CLUSTER,
				       EPOCH, 1, 0, 0, m, 2), -ENOSPC);
	CU_ASSERT_EQUAL(lw_frame_build(buf, LW_FRAME_MIN_LEN + 2 * FILL_WIRE, &A, &B, CLUSTER,
				       EPOCH, 1, 0, 0, m, 2), LW_FRAME_MIN_LEN + 2 * FILL_WIRE);
	CU_ASSERT_EQUAL(lw_frame_build(buf, 1u << 20, &A, &B, CLUSTER, EPOCH, 1, 0, 0, m,
				       LW_FRAME_MAX_MSGS + 1), -ENOSPC);
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 1, 0,
				       LW_FRAME_F_ACKONLY, m, 1), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 1, 0,
				       0x80, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 1, 0,
				       0, NULL, 1), -EINVAL);
	m[1].h.len = 151;
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 1, 0,
				       0, m, 2), -EINVAL);
	m[1].h.len = 64;           /* the wire length is not an in-memory one */
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 1, 0,
				       0, m, 2), -EINVAL);
	m[1].h.len = sizeof(struct lw_msg);
	m[1].namelen = LW_RESNAME_MAXLEN + 1;
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 1, 0,
				       0, m, 2), -EINVAL);
	m[1].namelen = LW_RESNAME_MAXLEN;
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 1, 0,
				       0, m, 2), LW_FRAME_MIN_LEN + FILL_WIRE + 120);
	/* ack-only: no messages */
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 0, 9,
				       LW_FRAME_F_ACKONLY, NULL, 0), LW_FRAME_MIN_LEN);
	/* heartbeat: no messages, not both unsequenced kinds */
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 1, 0,
				       LW_FRAME_F_HEARTBEAT, m, 1), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 1, 0,
				       LW_FRAME_F_HEARTBEAT | LW_FRAME_F_ACKONLY, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 77, 0,
				       LW_FRAME_F_HEARTBEAT, NULL, 0), LW_FRAME_MIN_LEN);
	{
		struct lw_frame_expect hex = expect_b();
		struct lw_frame_view hv;

		CU_ASSERT_EQUAL(lw_frame_parse(buf, LW_FRAME_MIN_LEN, &hex, &hv), 0);
		CU_ASSERT_EQUAL(hv.flags, LW_FRAME_F_HEARTBEAT);
		CU_ASSERT_EQUAL(hv.seq, 77);
		CU_ASSERT_EQUAL(hv.nmsgs, 0);
		/* both unsequenced flags on the wire: BAD_FLAGS */
		buf[LW_FRAME_L2L4_LEN + 5] = LW_FRAME_F_HEARTBEAT | LW_FRAME_F_ACKONLY;
		CU_ASSERT_EQUAL(lw_frame_parse(buf, LW_FRAME_MIN_LEN, &hex, &hv),
				-LW_FRAME_BAD_FLAGS);
	}
	CU_ASSERT_EQUAL(lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH, 0, 9,
				       LW_FRAME_F_ACKONLY, NULL, 0), LW_FRAME_MIN_LEN);
	/* set_ack rewrites in place */
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_view v;
	CU_ASSERT_EQUAL(lw_frame_set_ack(buf, LW_FRAME_MIN_LEN, 12345), 0);
	CU_ASSERT_EQUAL(lw_frame_parse(buf, LW_FRAME_MIN_LEN, &ex, &v), 0);
	CU_ASSERT_EQUAL(v.ack, 12345);
	CU_ASSERT_EQUAL(v.flags, LW_FRAME_F_ACKONLY);
	CU_ASSERT_EQUAL(lw_frame_set_ack(buf, LW_FRAME_MIN_LEN - 1, 1), -EINVAL);
	buf[LW_FRAME_L2L4_LEN] ^= 1;
	CU_ASSERT_EQUAL(lw_frame_set_ack(buf, LW_FRAME_MIN_LEN, 1), -EINVAL);
}

static void
test_truncated(void)
{
	uint8_t full[2048];
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_drops d = { 0 };
	struct lw_frame_view v;
	struct lw_msg big[2];
	uint64_t cuts = 0;

	fill_msgs(big, 2, 5);
	make_big(&big[0], 1);
	big[1].lvb[31] = 9;        /* an LVB and a short name */
	for (int n = 0; n <= 3; n++) {
		int len = n < 3 ? build_ab(full, sizeof(full), n) :
			  lw_frame_build(full, sizeof(full), &A, &B, CLUSTER, EPOCH, 42, 41, 0,
					 big, 2);

		for (int l = 0; l < len; l++) {
			uint8_t *b = malloc((size_t)(l > 0 ? l : 1));

			memcpy(b, full, (size_t)l);
			int rc = lw_frame_parse(b, (size_t)l, &ex, &v);
			LWT_CHECK(rc == -LW_FRAME_TRUNCATED, "n=%d len %d of %d: %d (%s)", n, l,
				  len, rc, lw_frame_drop_name(rc));
			lw_frame_drop_count(&d, rc);
			free(b);
		}
		cuts += (uint64_t)len;
		CU_ASSERT_EQUAL(lw_frame_parse(full, (size_t)len, &ex, &v), 0);
	}
	CU_ASSERT_EQUAL(d.n[LW_FRAME_TRUNCATED], cuts);
	CU_ASSERT_EQUAL(cuts, (uint64_t)(4 * LW_FRAME_MIN_LEN + 3 * FILL_WIRE + 152 + 96));
	/* an IP total length shorter than IP + UDP */
	int len = build_ab(full, sizeof(full), 0);
	full[16] = 0;
	full[17] = 24;
	fix_ip_csum(full);
	CU_ASSERT_EQUAL(lw_frame_parse(full, (size_t)len, &ex, &v), -LW_FRAME_TRUNCATED);
	/* UDP says fewer bytes than our header */
	len = build_ab(full, sizeof(full), 0);
	full[16] = 0;
	full[17] = 20 + 8 + 39;
	fix_ip_csum(full);
	full[38] = 0;
	full[39] = 8 + 39;
	CU_ASSERT_EQUAL(lw_frame_parse(full, (size_t)len, &ex, &v), -LW_FRAME_TRUNCATED);
}

enum edit {
	E_ETHERTYPE, E_IP_VERSION, E_IP_IHL, E_IP_CSUM, E_IP_FRAG, E_IP_TOTAL_SHORT,
	E_PROTO, E_PORT_LOW, E_PORT_WORKERS, E_PORT_MISMATCH, E_MAGIC, E_VERSION,
	E_FLAGS, E_CLUSTER, E_UNKNOWN_NODE, E_NOT_FOR_ME, E_STALE, E_NMSGS_BIG,
	E_NMSGS_HUGE, E_PAYLOAD_LEN, E_UDP_LEN, E_HDR_LEN, E_ACKONLY_MSGS, E_MSG_LEN,
	E_CTL_MSGS, E_CTL_ACKONLY, E_DST_INC, E_MSG_LEN_WRONG, E_MSG_LEN_SHORT, E_MSG_NAMELEN,
	E_MSG_PAST, E_NMSGS_SMALL, E_COUNT
};

/* The second message of build_ab(2) (each FILL_WIRE bytes, namelen 4). */
#define MSG2 (LW_FRAME_MIN_LEN + FILL_WIRE)

static const int edit_want[E_COUNT] = {
	[E_ETHERTYPE] = LW_FRAME_NOT_IPV4, [E_IP_VERSION] = LW_FRAME_NOT_IPV4,
	[E_IP_IHL] = LW_FRAME_NOT_IPV4, [E_IP_CSUM] = LW_FRAME_BAD_IP,
	[E_IP_FRAG] = LW_FRAME_BAD_IP, [E_IP_TOTAL_SHORT] = LW_FRAME_BAD_IP,
	[E_PROTO] = LW_FRAME_NOT_UDP, [E_PORT_LOW] = LW_FRAME_BAD_PORT,
	[E_PORT_WORKERS] = LW_FRAME_BAD_PORT, [E_PORT_MISMATCH] = LW_FRAME_BAD_PORT,
	[E_MAGIC] = LW_FRAME_BAD_MAGIC, [E_VERSION] = LW_FRAME_BAD_VERSION,
	[E_FLAGS] = LW_FRAME_BAD_FLAGS, [E_CLUSTER] = LW_FRAME_BAD_CLUSTER,
	[E_UNKNOWN_NODE] = LW_FRAME_UNKNOWN_NODE, [E_NOT_FOR_ME] = LW_FRAME_NOT_FOR_ME,
	[E_STALE] = LW_FRAME_STALE_EPOCH, [E_NMSGS_BIG] = LW_FRAME_BAD_LENGTH,
	[E_NMSGS_HUGE] = LW_FRAME_BAD_LENGTH, [E_PAYLOAD_LEN] = LW_FRAME_BAD_LENGTH,
	[E_UDP_LEN] = LW_FRAME_BAD_LENGTH, [E_HDR_LEN] = LW_FRAME_BAD_LENGTH,
	[E_ACKONLY_MSGS] = LW_FRAME_BAD_LENGTH, [E_MSG_LEN] = LW_FRAME_BAD_MSG,
	[E_CTL_MSGS] = LW_FRAME_BAD_LENGTH, [E_CTL_ACKONLY] = LW_FRAME_BAD_FLAGS,
	[E_DST_INC] = LW_FRAME_STALE_INC, [E_MSG_LEN_WRONG] = LW_FRAME_BAD_MSG,
	[E_MSG_LEN_SHORT] = LW_FRAME_BAD_MSG, [E_MSG_NAMELEN] = LW_FRAME_BAD_MSG,
	[E_MSG_PAST] = LW_FRAME_BAD_LENGTH, [E_NMSGS_SMALL] = LW_FRAME_BAD_LENGTH,
};

static void
apply_edit(uint8_t *f, int e, struct lw_frame_expect *ex)
{
	struct lw_frame_hdr h;
	uint16_t port;

	memcpy(&h, hdr_of(f), sizeof(h));
	switch (e) {
	case E_ETHERTYPE: f[12] = 0x86; f[13] = 0xdd; break;
	case E_IP_VERSION: f[14] = 0x65; fix_ip_csum(f); break;
	case E_IP_IHL: f[14] = 0x46; fix_ip_csum(f); break;
	case E_IP_CSUM: f[24] ^= 0x10; break;
	case E_IP_FRAG: f[20] |= 0x20; fix_ip_csum(f); break;
	case E_IP_TOTAL_SHORT: f[16] = 0; f[17] = 19; fix_ip_csum(f); break;
	case E_PROTO: f[23] = 6; fix_ip_csum(f); break;
	case E_PORT_LOW: port = BASE_PORT - 1; goto set_port;
	case E_PORT_WORKERS: port = BASE_PORT + 4; goto set_port;
	case E_PORT_MISMATCH: port = BASE_PORT + 2;
set_port:
		f[36] = (uint8_t)(port >> 8);
		f[37] = (uint8_t)port;
		break;
	case E_MAGIC: h.magic = 0x3252574Cu; break;
	case E_VERSION: h.version = LW_FRAME_VERSION + 1; break;
	case E_FLAGS: h.flags = 0x40; break;
	case E_CLUSTER: h.cluster = CLUSTER + 1; break;
	case E_UNKNOWN_NODE: h.src_node = 77; break;
	case E_NOT_FOR_ME: h.dst_node = 1; break;
	case E_STALE: ex->epoch = EPOCH + 1; break;
	case E_NMSGS_BIG: h.nmsgs = 3; break;
	case E_NMSGS_HUGE: h.nmsgs = 60000; h.payload_len = (uint16_t)(60000u * 152u); break;
	case E_PAYLOAD_LEN: h.payload_len = 152; break;
	case E_UDP_LEN: f[39] -= 8; break;
	case E_HDR_LEN: h.hdr_len = 48; break;
	case E_ACKONLY_MSGS: h.flags = LW_FRAME_F_ACKONLY; break;
	case E_MSG_LEN: f[MSG2 + 2] = FILL_WIRE + 1; break;       /* not a multiple of 8 */
	case E_MSG_LEN_WRONG: f[MSG2 + 2] = FILL_WIRE + 8; break; /* neither 64 nor 96 */
	case E_MSG_LEN_SHORT: f[MSG2 + 2] = 56; break;           /* namelen 0's */
	case E_MSG_NAMELEN: f[MSG2 + 50] = LW_RESNAME_MAXLEN + 1; break;
	case E_MSG_PAST: f[MSG2 + 2] = FILL_WIRE + 32; break;    /* says LVB: past the end */
	case E_CTL_MSGS: h.flags = LW_FRAME_F_CONTROL; break;   /* nmsgs 2 */
	case E_CTL_ACKONLY: h.flags = LW_FRAME_F_CONTROL | LW_FRAME_F_ACKONLY; break;
	case E_DST_INC: h.dst_inc = B.inc - 1; break;
	case E_NMSGS_SMALL: h.nmsgs = 1; break;                  /* 64 bytes left over */
	}
	if (e >= E_MAGIC && e != E_MSG_LEN && e != E_UDP_LEN)
		memcpy(hdr_of(f), &h, sizeof(h));
}

static void
test_drop_reasons(void)
{
	uint8_t f[2048];
	struct lw_frame_drops d = { 0 };
	struct lw_frame_view v;

	for (int e = 0; e < E_COUNT; e++) {
		struct lw_frame_expect ex = expect_b();
		int len = build_ab(f, sizeof(f), 2);

		apply_edit(f, e, &ex);
		int rc = lw_frame_parse(f, (size_t)len, &ex, &v);
		LWT_CHECK(rc == -edit_want[e], "edit %d: %d (%s), want %s", e, rc,
			  lw_frame_drop_name(rc), lw_frame_drop_name(edit_want[e]));
		lw_frame_drop_count(&d, rc);
	}
	uint64_t want[LW_FRAME_NDROPS] = { 0 };
	for (int e = 0; e < E_COUNT; e++)
		want[edit_want[e]]++;
	for (int r = 0; r < LW_FRAME_NDROPS; r++)
		LWT_CHECK(d.n[r] == want[r], "drops[%s] = %llu, want %llu",
			  lw_frame_drop_name(r), (unsigned long long)d.n[r],
			  (unsigned long long)want[r]);
	for (int r = LW_FRAME_TRUNCATED; r < LW_FRAME_NDROPS; r++)
		LWT_CHECK(strcmp(lw_frame_drop_name(r), "?") != 0, "reason %d has no name", r);
	CU_ASSERT_STRING_EQUAL(lw_frame_drop_name(-LW_FRAME_STALE_EPOCH), "STALE_EPOCH");
	CU_ASSERT_STRING_EQUAL(lw_frame_drop_name(LW_FRAME_NDROPS), "?");

	/* accepted: a newer epoch, and Ethernet padding past the IP length */
	struct lw_frame_expect ex = expect_b();
	int len = build_ab(f, sizeof(f), 0);
	ex.epoch = EPOCH - 1;
	memset(f + len, 0, 30);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len + 30, &ex, &v), 0);
	CU_ASSERT_EQUAL(v.len, (uint32_t)len);
	lw_frame_drop_count(&d, 0);
	CU_ASSERT_EQUAL(d.n[LW_FRAME_OK], 1);
	/* forgetting a node */
	ex = expect_b();
	lw_frame_expect_node(&ex, 1, 0);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_UNKNOWN_NODE);
}

static void
test_msg_counters(void)
{
	enum { N = LW_MSG_NTYPES };     /* every known type once, then one unknown */
	uint8_t f[LW_FRAME_LEN(N)];
	struct lw_msg m[N];
	struct lw_msg_counters c = { 0 };
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_view v;

	fill_msgs(m, N, 0);
	m[N - 1].h.type = 200;
	make_big(&m[2], 2);            /* counted by walking lengths, not by a stride */
	m[4].namelen = 0;
	m[5].lvbf = LW_MSG_LVB_INVALID;
	int len = lw_frame_build(f, sizeof(f), &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, N);
	CU_ASSERT_EQUAL_FATAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	lw_msg_count_tx(&c, m, N);
	lw_msg_count_rx(&c, &v);
	for (int t = LW_MSG_REQUEST; t < LW_MSG_NTYPES; t++) {
		CU_ASSERT_EQUAL(c.tx[t], 1);
		CU_ASSERT_EQUAL(c.rx[t], 1);
	}
	CU_ASSERT_EQUAL(c.tx[0], 1);
	CU_ASSERT_EQUAL(c.rx[0], 1);
}

/* --- the wire form of one message ---------------------------------------- */

/* A REQUEST from site 1 to site 2 named name (namelen bytes), no LVB. */
static void
msg_named(struct lw_msg *m, const char *name, uint8_t namelen)
{
	fill_msgs(m, 1, 77);
	m->h.lamport = 0x0102030405060708ull;
	m->gid = 0xdeadbeef;
	m->lvbseq = 12;
	m->mode = 3;
	m->mode2 = -1;
	m->site2 = 0x4142;
	m->namelen = namelen;
	memset(m->name, 0, sizeof(m->name));
	memcpy(m->name, name, namelen);
}

/*
 * Encode m, check the bytes one by one against the rule (the fixed 56 with
 * h.len = want, the LVB when lvb, the name, zero padding), decode them back
 * and compare with m (h.len sizeof, the LVB zeros when not sent).
 */
static void
check_wire(const struct lw_msg *m, bool lvb, int want)
{
	uint8_t w[LW_MSG_WIRE_MAX + 8];
	struct lw_msg exp = *m, got;
	int name_at = 56 + (lvb ? 32 : 0);
	uint16_t len;

	memset(w, 0xee, sizeof(w));
	LWT_CHECK(lw_msg_wire_len(m) == want, "namelen %u lvb %d: wire len %u, want %d",
		  m->namelen, lvb, lw_msg_wire_len(m), want);
	LWT_CHECK(lw_msg_wire_has_lvb(m) == lvb, "namelen %u: has_lvb %d", m->namelen, !lvb);
	CU_ASSERT_EQUAL_FATAL(lw_msg_encode(w, m), (size_t)want);
	CU_ASSERT_EQUAL(want % 8, 0);
	CU_ASSERT_EQUAL(w[want], 0xee);                           /* nothing past it */
	memcpy(&len, w + 2, sizeof(len));
	CU_ASSERT_EQUAL(len, want);
	CU_ASSERT_EQUAL(memcmp(w, m, 2), 0);
	CU_ASSERT_EQUAL(memcmp(w + 4, (const uint8_t *)m + 4, 52), 0);
	if (lvb)
		CU_ASSERT_EQUAL(memcmp(w + 56, m->lvb, 32), 0);
	CU_ASSERT_EQUAL(memcmp(w + name_at, m->name, m->namelen), 0);
	for (int i = name_at + m->namelen; i < want; i++)
		LWT_CHECK(w[i] == 0, "namelen %u: padding byte %d is %#x", m->namelen, i, w[i]);

	/* decoded through a frame: the whole struct comes back */
	uint8_t f[LW_FRAME_LEN(1)];
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_view v;
	uint32_t off = 0;
	int flen = lw_frame_build(f, sizeof(f), &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 1);

	CU_ASSERT_EQUAL_FATAL(flen, LW_FRAME_MIN_LEN + want);
	CU_ASSERT_EQUAL(memcmp(f + LW_FRAME_MIN_LEN, w, (size_t)want), 0);
	CU_ASSERT_EQUAL_FATAL(lw_frame_parse(f, (size_t)flen, &ex, &v), 0);
	CU_ASSERT_EQUAL(v.payload_len, want);
	memset(&got, 0x5a, sizeof(got));
	CU_ASSERT_EQUAL_FATAL(lw_frame_msg_next(&v, &off, &got), 0);
	CU_ASSERT_EQUAL(off, (uint32_t)want);
	memset(exp.name + exp.namelen, 0, sizeof(exp.name) - exp.namelen);
	LWT_CHECK(memcmp(&got, &exp, sizeof(got)) == 0, "namelen %u lvb %d: decoded differs",
		  m->namelen, lvb);
	CU_ASSERT_EQUAL(got.h.len, sizeof(struct lw_msg));
	CU_ASSERT_EQUAL(lw_frame_msg_next(&v, &off, &got), -ERANGE);
}

static void
test_wire_form(void)
{
	static const uint8_t namelens[] = { 0, 1, 7, 8, 9, 63, 64 };
	struct lw_msg m;

	/* a REQUEST for "r1234" without an LVB: 56 + 5 -> 64 bytes */
	msg_named(&m, "r1234", 5);
	check_wire(&m, false, 64);
	for (size_t i = 0; i < sizeof(namelens); i++) {
		uint8_t nl = namelens[i];
		char name[LW_RESNAME_MAXLEN];
		int plain = (56 + nl + 7) / 8 * 8;

		for (int k = 0; k < nl; k++)
			name[k] = (char)('A' + (k * 5 + nl) % 26);
		msg_named(&m, name, nl);
		check_wire(&m, false, plain);
		/* lvbf set, the LVB all zeros: sent (a valid empty value) */
		m.lvbf = LW_MSG_LVB_PRESENT;
		check_wire(&m, true, plain + 32);
		m.lvbf = LW_MSG_LVB_INVALID;
		check_wire(&m, true, plain + 32);
		/* a nonzero LVB with lvbf 0: never lost */
		m.lvbf = 0;
		m.lvb[nl % 32] = (uint8_t)(nl | 1);
		check_wire(&m, true, plain + 32);
		memset(m.lvb, 0xff, sizeof(m.lvb));
		m.lvbf = LW_MSG_LVB_PRESENT;
		check_wire(&m, true, plain + 32);
	}
	CU_ASSERT_EQUAL(namelens[0], 0);
	/* bytes past namelen in memory are not sent, and come back as zeros */
	msg_named(&m, "abc", 3);
	memset(m.name + 3, 'x', sizeof(m.name) - 3);
	check_wire(&m, false, 64);
	/* the decoder's own h.len, whatever else the fixed part holds */
	msg_named(&m, "r1", 2);
	m.h.rsvd = 0xffffffff;
	m.rsvd3 = 0x55aa55aa;
	m.h.type = 250;
	check_wire(&m, false, 64);
	/* not encodable: nothing written */
	uint8_t w[LW_MSG_WIRE_MAX];
	memset(w, 0xee, sizeof(w));
	msg_named(&m, "r1234", 5);
	m.namelen = LW_RESNAME_MAXLEN + 1;
	CU_ASSERT_EQUAL(lw_msg_wire_len(&m), 0);
	CU_ASSERT_EQUAL(lw_msg_encode(w, &m), 0);
	m.namelen = 255;
	CU_ASSERT_EQUAL(lw_msg_encode(w, &m), 0);
	m.namelen = 5;
	m.h.len = 64;
	CU_ASSERT_EQUAL(lw_msg_encode(w, &m), 0);
	CU_ASSERT_EQUAL(w[0], 0xee);
	CU_ASSERT_EQUAL(w[LW_MSG_WIRE_MAX - 1], 0xee);
}

/* The cursor and lw_frame_msg over messages of every size. */
static void
test_cursor(void)
{
	enum { N = 12 };
	uint8_t f[LW_FRAME_LEN(N)];
	struct lw_msg m[N], got;
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_view v, bad;
	uint32_t off = 0, offs[N + 1];
	int len;

	fill_msgs(m, N, 300);
	for (int i = 0; i < N; i++) {
		m[i].namelen = (uint8_t)(i * 6);        /* 0, 6, ..., 66 -> 64 at most */
		if (m[i].namelen > LW_RESNAME_MAXLEN)
			m[i].namelen = LW_RESNAME_MAXLEN;
		memset(m[i].name, 0, sizeof(m[i].name));
		for (int k = 0; k < m[i].namelen; k++)
			m[i].name[k] = (uint8_t)(i + k + 1);
		if (i % 3 == 1)
			m[i].lvb[i] = (uint8_t)i;
	}
	len = lw_frame_build(f, sizeof(f), &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, N);
	CU_ASSERT_EQUAL_FATAL(len, LW_FRAME_MIN_LEN + wire_sum(m, N));
	CU_ASSERT_EQUAL_FATAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	for (int i = 0; i < N; i++) {
		offs[i] = off;
		CU_ASSERT_EQUAL_FATAL(lw_frame_msg_next(&v, &off, &got), 0);
		CU_ASSERT_EQUAL(memcmp(&got, &m[i], sizeof(got)), 0);
		CU_ASSERT_EQUAL(off - offs[i], lw_msg_wire_len(&m[i]));
	}
	offs[N] = off;
	CU_ASSERT_EQUAL(off, v.payload_len);
	CU_ASSERT_EQUAL(lw_frame_msg_next(&v, &off, &got), -ERANGE);
	CU_ASSERT_EQUAL(off, v.payload_len);
	/* by index, backwards */
	for (int i = N - 1; i >= 0; i--) {
		CU_ASSERT_EQUAL(lw_frame_msg(&v, (uint16_t)i, &got), 0);
		CU_ASSERT_EQUAL(memcmp(&got, &m[i], sizeof(got)), 0);
	}
	CU_ASSERT_EQUAL(lw_frame_msg(&v, N, &got), -ERANGE);
	/* a view not from lw_frame_parse: the cursor still reads only what is there */
	bad = v;
	bad.payload_len = (uint16_t)(offs[1] + 40);      /* message 1 cut */
	off = 0;
	CU_ASSERT_EQUAL(lw_frame_msg_next(&bad, &off, &got), 0);
	CU_ASSERT_EQUAL(lw_frame_msg_next(&bad, &off, &got), -EBADMSG);
	CU_ASSERT_EQUAL(off, offs[1]);
	CU_ASSERT_EQUAL(lw_frame_msg(&bad, 1, &got), -EBADMSG);
	CU_ASSERT_EQUAL(lw_frame_msg(&bad, 5, &got), -EBADMSG);
	/* nothing to decode in a frame without messages */
	len = lw_frame_build_ctl(f, sizeof(f), &A, &B, CLUSTER, EPOCH, "hello, control", 14);
	CU_ASSERT_EQUAL_FATAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	off = 0;
	CU_ASSERT_EQUAL(lw_frame_msg_next(&v, &off, &got), -ERANGE);
	CU_ASSERT_EQUAL(lw_frame_msg(&v, 0, &got), -ERANGE);
}

/* Frames filled to a 1500-byte MTU, and the headers of a payload encoded in place. */
static void
test_mtu_fill(void)
{
	enum { MTU_BYTES = LW_FRAME_MIN_LEN + 1432 };
	static uint8_t f[4096];
	static struct lw_msg m[40];
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_view v;
	int len;

	/* 25 of the smallest (1400 bytes) fit; 26 (1456) do not */
	fill_msgs(m, 40, 0);
	for (int i = 0; i < 40; i++)
		m[i].namelen = 0;
	len = lw_frame_build(f, MTU_BYTES, &A, &B, CLUSTER, EPOCH, 1, 0, 0, m,
			     LW_FRAME_MSGS_PER_MTU(1500));
	CU_ASSERT_EQUAL(len, LW_FRAME_MIN_LEN + 25 * 56);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	CU_ASSERT_EQUAL(v.nmsgs, 25);
	CU_ASSERT_EQUAL(lw_frame_build(f, MTU_BYTES, &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 26),
			-ENOSPC);
	/* "r1234" REQUESTs (64 bytes): 22 fit (1408) */
	for (int i = 0; i < 40; i++)
		msg_named(&m[i], "r1234", 5);
	len = lw_frame_build(f, MTU_BYTES, &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 22);
	CU_ASSERT_EQUAL(len, LW_FRAME_MIN_LEN + 22 * 64);
	CU_ASSERT_EQUAL(lw_frame_build(f, MTU_BYTES, &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 23),
			-ENOSPC);
	/* exactly 1432: 9 of the largest (1368) and one of 64 */
	for (int i = 0; i < 9; i++)
		make_big(&m[i], (uint32_t)i);
	len = lw_frame_build(f, MTU_BYTES, &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 10);
	CU_ASSERT_EQUAL(len, MTU_BYTES);
	CU_ASSERT_EQUAL_FATAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	CU_ASSERT_EQUAL(v.payload_len, 1432);
	for (uint32_t i = 0, off = 0; i < 10; i++) {
		struct lw_msg got;

		CU_ASSERT_EQUAL_FATAL(lw_frame_msg_next(&v, &off, &got), 0);
		CU_ASSERT_EQUAL(memcmp(&got, &m[i], sizeof(got)), 0);
	}
	CU_ASSERT_EQUAL(lw_frame_build(f, MTU_BYTES - 1, &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 10),
			-ENOSPC);
	CU_ASSERT_EQUAL(lw_frame_build(f, MTU_BYTES, &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 11),
			-ENOSPC);

	/* encode in place, headers last: the same bytes as lw_frame_build */
	static uint8_t g[4096];
	uint32_t off = 0;

	memset(g, 0xcc, sizeof(g));
	for (int i = 0; i < 10; i++)
		off += (uint32_t)lw_msg_encode(g + LW_FRAME_MIN_LEN + off, &m[i]);
	CU_ASSERT_EQUAL(off, 1432);
	len = lw_frame_finish(g, &A, &B, CLUSTER, EPOCH, 1, 0, 10, (uint16_t)off);
	CU_ASSERT_EQUAL(len, MTU_BYTES);
	CU_ASSERT_EQUAL(memcmp(f, g, MTU_BYTES), 0);
	CU_ASSERT_EQUAL(g[MTU_BYTES], 0xcc);
	CU_ASSERT_EQUAL(lw_frame_finish(g, &A, &B, CLUSTER, EPOCH, 1, 0, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_finish(NULL, &A, &B, CLUSTER, EPOCH, 1, 0, 1, 56), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_finish(g, &A, &B, CLUSTER, EPOCH, 1, 0, 2, 111), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_finish(g, &A, &B, CLUSTER, EPOCH, 1, 0, 2, 305), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_finish(g, &A, &B, CLUSTER, EPOCH, 1, 0, LW_FRAME_MAX_MSGS + 1,
					65500), -ENOSPC);
	CU_ASSERT_EQUAL(lw_frame_finish(g, &A, &B, CLUSTER, EPOCH, 1, 0, 500, 65500), -ENOSPC);
	/* lengths the u16 fields cannot hold */
	static struct lw_msg big[LW_FRAME_MAX_MSGS];
	static uint8_t huge[LW_FRAME_LEN(LW_FRAME_MAX_MSGS)];
	fill_msgs(big, LW_FRAME_MAX_MSGS, 0);
	CU_ASSERT_EQUAL(lw_frame_build(huge, sizeof(huge), &A, &B, CLUSTER, EPOCH, 1, 0, 0, big,
				       LW_FRAME_MAX_MSGS), -ENOSPC);
}

/* Lengths that agree up to the messages, and messages that do not fill payload_len. */
static void
test_payload_walk(void)
{
	uint8_t f[2048];
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_view v;
	int len = build_ab(f, sizeof(f), 2);

	/* 8 more bytes after the messages, every length field saying so */
	memset(f + len, 0, 8);
	len += 8;
	f[16] = (uint8_t)((len - 14) >> 8);
	f[17] = (uint8_t)(len - 14);
	fix_ip_csum(f);
	f[38] = (uint8_t)((len - 34) >> 8);
	f[39] = (uint8_t)(len - 34);
	uint16_t pl = (uint16_t)(2 * FILL_WIRE + 8);
	memcpy(hdr_of(f) + offsetof(struct lw_frame_hdr, payload_len), &pl, sizeof(pl));
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_BAD_LENGTH);
	/* ...and the same bytes as a third message of 56 (namelen 0) are fine */
	uint16_t n3 = 3;
	len += 48;
	memset(f + len - 56, 0, 56);
	f[len - 56 + 2] = 56;
	f[16] = (uint8_t)((len - 14) >> 8);
	f[17] = (uint8_t)(len - 14);
	fix_ip_csum(f);
	f[38] = (uint8_t)((len - 34) >> 8);
	f[39] = (uint8_t)(len - 34);
	pl = (uint16_t)(2 * FILL_WIRE + 56);
	memcpy(hdr_of(f) + offsetof(struct lw_frame_hdr, payload_len), &pl, sizeof(pl));
	memcpy(hdr_of(f) + offsetof(struct lw_frame_hdr, nmsgs), &n3, sizeof(n3));
	CU_ASSERT_EQUAL_FATAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	CU_ASSERT_EQUAL(v.nmsgs, 3);
	struct lw_msg got;
	CU_ASSERT_EQUAL(lw_frame_msg(&v, 2, &got), 0);
	CU_ASSERT_EQUAL(got.namelen, 0);
	CU_ASSERT_EQUAL(got.h.len, sizeof(struct lw_msg));
	/* a frame of the old version (whole structs) is dropped */
	len = build_ab(f, sizeof(f), 1);
	hdr_of(f)[offsetof(struct lw_frame_hdr, version)] = 1;
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_BAD_VERSION);
}

/* --- incarnations and control frames ------------------------------------- */

static void
test_incarnation(void)
{
	uint8_t f[2048];
	struct lw_frame_addr b = B;
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_view v;
	struct lw_msg m[2];
	int len;

	fill_msgs(m, 2, 0);
	/* the receiver's incarnation not known yet: taken */
	b.inc = 0;
	len = lw_frame_build(f, sizeof(f), &A, &b, CLUSTER, EPOCH, 5, 4, 0, m, 2);
	CU_ASSERT_EQUAL_FATAL(len, LW_FRAME_MIN_LEN + 2 * FILL_WIRE);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	CU_ASSERT_EQUAL(v.src_inc, 0x1234);
	CU_ASSERT_EQUAL(v.dst_inc, 0);
	/* meant for an earlier (or a later) us: stale, and the view is filled */
	b.inc = B.inc - 1;
	len = lw_frame_build(f, sizeof(f), &A, &b, CLUSTER, EPOCH, 5, 4, 0, m, 2);
	memset(&v, 0, sizeof(v));
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_STALE_INC);
	CU_ASSERT_EQUAL(v.src_inc, 0x1234);
	CU_ASSERT_EQUAL(v.dst_inc, B.inc - 1);
	CU_ASSERT_EQUAL(v.src_node, 1);
	CU_ASSERT_EQUAL(v.seq, 5);
	CU_ASSERT_EQUAL(v.nmsgs, 2);
	b.inc = B.inc + 1;
	len = lw_frame_build(f, sizeof(f), &A, &b, CLUSTER, EPOCH, 5, 4, 0, m, 2);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_STALE_INC);
	/* a receiver without an incarnation checks nothing */
	ex.my_inc = 0;
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	ex.my_inc = B.inc;
	/* restamp: the current epoch and incarnation on a stored frame */
	CU_ASSERT_EQUAL(lw_frame_restamp(f, (size_t)len, EPOCH + 3, B.inc), 0);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	CU_ASSERT_EQUAL(v.epoch, EPOCH + 3);
	CU_ASSERT_EQUAL(v.dst_inc, B.inc);
	CU_ASSERT_EQUAL(v.seq, 5);
	CU_ASSERT_EQUAL(lw_frame_restamp(f, LW_FRAME_MIN_LEN - 1, 1, 1), -EINVAL);
	f[LW_FRAME_L2L4_LEN + 1] ^= 1;
	CU_ASSERT_EQUAL(lw_frame_restamp(f, (size_t)len, 1, 1), -EINVAL);
	/* every kind carries them: a heartbeat for an earlier us is stale too */
	b.inc = 7;
	len = lw_frame_build(f, sizeof(f), &A, &b, CLUSTER, EPOCH, 9, 0, LW_FRAME_F_HEARTBEAT,
			     NULL, 0);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_STALE_INC);
	CU_ASSERT_STRING_EQUAL(lw_frame_drop_name(LW_FRAME_STALE_INC), "STALE_INC");
}

/* Set the flags of frame f and rewrite nothing else. */
static void
set_flags(uint8_t *f, uint8_t flags)
{
	f[LW_FRAME_L2L4_LEN + offsetof(struct lw_frame_hdr, flags)] = flags;
}

static void
test_control(void)
{
	static uint8_t f[2048], pl[LW_FRAME_CTL_MAX + 1];
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_view v;
	struct lw_msg m[8];
	const uint16_t sizes[] = { 1, 13, 600, LW_FRAME_CTL_MAX };
	int len;

	for (unsigned int i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 7 + 3);
	for (unsigned int k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint16_t n = sizes[k];

		len = lw_frame_build_ctl(f, sizeof(f), &A, &B, CLUSTER, EPOCH, pl, n);
		LWT_CHECK(len == LW_FRAME_MIN_LEN + n, "ctl %u: len %d", n, len);
		int rc = lw_frame_parse(f, (size_t)len, &ex, &v);
		LWT_CHECK(rc == 0, "ctl %u: parse %s", n, lw_frame_drop_name(rc));
		if (rc != 0)
			continue;
		CU_ASSERT_EQUAL(v.flags, LW_FRAME_F_CONTROL);
		CU_ASSERT_EQUAL(v.nmsgs, 0);
		CU_ASSERT_EQUAL(v.payload_len, n);
		CU_ASSERT_EQUAL(v.seq, 0);
		CU_ASSERT_EQUAL(v.ack, 0);
		CU_ASSERT_EQUAL(v.src_inc, A.inc);
		CU_ASSERT_EQUAL(v.dst_inc, B.inc);
		CU_ASSERT_EQUAL(v.len, (uint32_t)len);
		CU_ASSERT_EQUAL(memcmp(v.msgs, pl, n), 0);
	}
	/* build errors */
	CU_ASSERT_EQUAL(lw_frame_build_ctl(f, sizeof(f), &A, &B, CLUSTER, EPOCH, pl, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_build_ctl(f, sizeof(f), &A, &B, CLUSTER, EPOCH, pl,
					   LW_FRAME_CTL_MAX + 1), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_build_ctl(f, sizeof(f), &A, &B, CLUSTER, EPOCH, NULL, 4), -EINVAL);
	CU_ASSERT_EQUAL(lw_frame_build_ctl(f, LW_FRAME_MIN_LEN + 3, &A, &B, CLUSTER, EPOCH, pl, 4),
			-ENOSPC);
	CU_ASSERT_EQUAL(lw_frame_build(f, sizeof(f), &A, &B, CLUSTER, EPOCH, 0, 0,
				       LW_FRAME_F_CONTROL, NULL, 0), -EINVAL);
	/* malformed on the wire: CONTROL with another flag */
	len = lw_frame_build_ctl(f, sizeof(f), &A, &B, CLUSTER, EPOCH, pl, 40);
	set_flags(f, LW_FRAME_F_CONTROL | LW_FRAME_F_HEARTBEAT);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_BAD_FLAGS);
	set_flags(f, LW_FRAME_F_CONTROL | LW_FRAME_F_ACKONLY);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_BAD_FLAGS);
	/* ...with messages (a data frame's header saying CONTROL) */
	fill_msgs(m, 8, 0);
	len = lw_frame_build(f, sizeof(f), &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 1);
	set_flags(f, LW_FRAME_F_CONTROL);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_BAD_LENGTH);
	/* ...an oversize payload (8 of the largest messages' bytes, nmsgs 0) */
	for (int i = 0; i < 8; i++)
		make_big(&m[i], (uint32_t)i);
	len = lw_frame_build(f, sizeof(f), &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 8);
	CU_ASSERT(len - LW_FRAME_MIN_LEN > LW_FRAME_CTL_MAX);
	set_flags(f, LW_FRAME_F_CONTROL);
	f[LW_FRAME_L2L4_LEN + offsetof(struct lw_frame_hdr, nmsgs)] = 0;
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_BAD_LENGTH);
	/* ...the same with 7 messages' bytes (1064) passes: the limit is the size */
	len = lw_frame_build(f, sizeof(f), &A, &B, CLUSTER, EPOCH, 1, 0, 0, m, 7);
	set_flags(f, LW_FRAME_F_CONTROL);
	f[LW_FRAME_L2L4_LEN + offsetof(struct lw_frame_hdr, nmsgs)] = 0;
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), 0);
	CU_ASSERT_EQUAL(v.payload_len, 7 * sizeof(struct lw_msg));
	/* ...an empty payload */
	len = lw_frame_build(f, sizeof(f), &A, &B, CLUSTER, EPOCH, 0, 0, LW_FRAME_F_ACKONLY,
			     NULL, 0);
	set_flags(f, LW_FRAME_F_CONTROL);
	CU_ASSERT_EQUAL(lw_frame_parse(f, (size_t)len, &ex, &v), -LW_FRAME_BAD_LENGTH);
}

/* --- fuzz ----------------------------------------------------------------- */

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A successful parse must agree with the bytes and the expectations. */
static bool
consistent(const uint8_t *b, size_t len, const struct lw_frame_expect *ex,
	   const struct lw_frame_view *v)
{
	struct lw_msg m, last;
	uint32_t off = 0;

	if (v->len != (uint32_t)LW_FRAME_MIN_LEN + v->payload_len)
		return false;
	if (v->flags & LW_FRAME_F_CONTROL) {
		if (v->nmsgs != 0 || v->payload_len == 0 || v->payload_len > LW_FRAME_CTL_MAX)
			return false;
	} else if (v->payload_len < v->nmsgs * 56u || v->payload_len > v->nmsgs * 152u) {
		return false;
	}
	if (v->len > len || (v->flags & (v->flags - 1)) != 0)
		return false;
	if (v->dst_inc != 0 && v->dst_inc != ex->my_inc)
		return false;
	if (v->msgs != b + LW_FRAME_MIN_LEN)
		return false;
	if (v->dst_node != ex->my_node || v->cluster != ex->cluster ||
	    !((ex->known_nodes[v->src_node >> 6] >> (v->src_node & 63)) & 1))
		return false;
	if ((int32_t)(v->epoch - ex->epoch) < 0 || v->dst_worker >= ex->nworkers)
		return false;
	if ((v->flags & LW_FRAME_F_NOSEQ) && v->nmsgs != 0)
		return false;
	if ((v->flags & LW_FRAME_F_NOSEQ) == LW_FRAME_F_NOSEQ)
		return false;
	/* the messages tile the payload; each decodes to a whole struct */
	for (uint16_t i = 0; i < v->nmsgs; i++) {
		uint32_t at = off;

		if (lw_frame_msg_next(v, &off, &m) != 0 || m.h.len != sizeof(m) ||
		    m.namelen > LW_RESNAME_MAXLEN || off - at < 56 || off - at > 152 ||
		    (off - at) % 8 != 0)
			return false;
		for (int k = m.namelen; k < LW_RESNAME_MAXLEN; k++)
			if (m.name[k] != 0)
				return false;
		last = m;
	}
	if (off != v->payload_len || lw_frame_msg_next(v, &off, &m) != -ERANGE)
		return false;
	if (v->nmsgs > 0 && (lw_frame_msg(v, (uint16_t)(v->nmsgs - 1), &m) != 0 ||
			     memcmp(&m, &last, sizeof(m)) != 0))
		return false;
	return true;
}

/* A valid frame A -> B of n messages of random sizes (name, LVB or not). */
static int
build_rand(uint8_t *buf, size_t cap, int n, uint64_t *s, struct lw_msg *m)
{
	fill_msgs(m, n, (uint32_t)rnd(s));
	for (int i = 0; i < n; i++) {
		uint64_t r = rnd(s);

		m[i].namelen = (uint8_t)(r % (LW_RESNAME_MAXLEN + 1));
		for (int k = 0; k < m[i].namelen; k++)
			m[i].name[k] = (uint8_t)(r >> (k % 8 * 8));
		if ((r >> 8) % 3 == 0)
			m[i].lvbf = LW_MSG_LVB_PRESENT;
		else if ((r >> 8) % 3 == 1)
			m[i].lvb[(r >> 16) % LW_LVB_LEN] = (uint8_t)((r >> 24) | 1);
	}
	return lw_frame_build(buf, cap, &A, &B, CLUSTER, EPOCH, 42, 41, 0, m, (uint16_t)n);
}

/* The offset in a frame of message i of n (its bytes as built). */
static size_t
msg_off(const struct lw_msg *m, int i)
{
	return (size_t)LW_FRAME_MIN_LEN + (size_t)wire_sum(m, i);
}

static void
test_fuzz(void)
{
	const char *env = getenv("LW_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed0f7a11ull;
	uint64_t s = seed | 1;
	uint8_t valid[2048];
	struct lw_frame_expect ex = expect_b();
	struct lw_frame_drops d = { 0 };
	struct lw_msg_counters c = { 0 };
	int fails = 0, edited = 0;

	for (int it = 0; it < 30000 && fails < 5; it++) {
		int n = (int)(rnd(&s) % 10);
		struct lw_msg m[10];
		int vlen = (it & 1) ? build_ab(valid, sizeof(valid), n) :
			   build_rand(valid, sizeof(valid), n, &s, m);
		size_t len;
		uint8_t *b;
		int mode = (int)(rnd(&s) % 5);

		if (mode == 0) {             /* random bytes */
			len = rnd(&s) % 1600;
			b = malloc(len ? len : 1);
			for (size_t i = 0; i < len; i++)
				b[i] = (uint8_t)rnd(&s);
			if (len >= 14 && (rnd(&s) & 1))   /* often get past Ethernet */
				memcpy(b, valid, len < 50 ? len : 50);
		} else if (mode == 4 && n > 0 && !(it & 1)) {   /* one message's len or namelen */
			size_t at = msg_off(m, (int)(rnd(&s) % (uint64_t)n));

			len = (size_t)vlen;
			if (at + 56 > len)   /* only with a wrong encoder: stay inside b */
				at = LW_FRAME_MIN_LEN;
			b = malloc(len);
			memcpy(b, valid, len);
			if (rnd(&s) & 1)
				b[at + 2] = (uint8_t)(rnd(&s) % 3 == 0 ? rnd(&s) : b[at + 2] ^ 32);
			else
				b[at + 50] = (uint8_t)(rnd(&s) % 80);
			edited++;
		} else {                     /* a valid frame, cut, extended, flipped */
			len = (size_t)vlen;
			if (mode == 1)
				len = rnd(&s) % (size_t)(vlen + 1);
			else if (mode == 2)
				len = (size_t)vlen + rnd(&s) % 64;
			b = malloc(len ? len : 1);
			for (size_t i = 0; i < len; i++)
				b[i] = i < (size_t)vlen ? valid[i] : (uint8_t)rnd(&s);
			int flips = (int)(rnd(&s) % 4);
			for (int k = 0; k < flips && len > 0; k++)
				b[rnd(&s) % len] ^= (uint8_t)(1u << (rnd(&s) % 8));
		}
		struct lw_frame_view v;
		int rc = lw_frame_parse(b, len, &ex, &v);
		lw_frame_drop_count(&d, rc);
		if (rc == 0) {
			lw_msg_count_rx(&c, &v);
			if (!consistent(b, len, &ex, &v)) {
				fails++;
				LWT_CHECK(0, "seed %#llx iteration %d: inconsistent parse",
					  (unsigned long long)seed, it);
			}
		} else if (rc <= -LW_FRAME_NDROPS || rc > 0) {
			fails++;
			LWT_CHECK(0, "seed %#llx iteration %d: rc %d", (unsigned long long)seed,
				  it, rc);
		}
		free(b);
	}
	/* the loop reached every outcome that matters here */
	LWT_CHECK(edited > 1000 && d.n[LW_FRAME_BAD_MSG] > 0 && d.n[LW_FRAME_BAD_LENGTH] > 0,
		  "seed %#llx: edited %d bad_msg %llu bad_length %llu", (unsigned long long)seed,
		  edited, (unsigned long long)d.n[LW_FRAME_BAD_MSG],
		  (unsigned long long)d.n[LW_FRAME_BAD_LENGTH]);
	LWT_CHECK(d.n[LW_FRAME_OK] > 0 && d.n[LW_FRAME_TRUNCATED] > 0,
		  "seed %#llx: ok %llu truncated %llu", (unsigned long long)seed,
		  (unsigned long long)d.n[LW_FRAME_OK],
		  (unsigned long long)d.n[LW_FRAME_TRUNCATED]);
	if (fails)
		fprintf(stderr, "test_fuzz: failing seed %#llx (LW_SEED=%#llx)\n",
			(unsigned long long)seed, (unsigned long long)seed);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("frame",
		  "roundtrip", test_roundtrip,
		  "build_errors", test_build_errors,
		  "truncated", test_truncated,
		  "drop_reasons", test_drop_reasons,
		  "msg_counters", test_msg_counters,
		  "wire_form", test_wire_form,
		  "cursor", test_cursor,
		  "mtu_fill", test_mtu_fill,
		  "payload_walk", test_payload_walk,
		  "incarnation", test_incarnation,
		  "control", test_control,
		  "fuzz", test_fuzz,
		  NULL);
	return lwt_run();
}
