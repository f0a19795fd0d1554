/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_frame.c — pktio/frame.h: the lockwire wire format.
 *
 * DESIGN
 * Build/parse round trips; one test per drop reason, each made by editing
 * one field of a valid frame (fixing the IPv4 checksum when the edit is in
 * the IPv4 header, so that the intended check is the one that fires), each
 * counted in struct lw_frame_drops; every truncation of a valid frame; and
 * a seeded fuzz loop (random bytes, truncations, bit flips) over heap
 * buffers of the exact length, so that ASan sees any read past the end.
 * A parse that succeeds must describe a frame consistent with its bytes.
 * Incarnations (src_inc/dst_inc, a frame for an earlier us) and CONTROL
 * frames (round trip, build errors, malformed ones) have their own tests.
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
		int len = lw_frame_build(buf, sizeof(buf), &A, &B, CLUSTER, EPOCH + 1,
					 0xfffffffe, 17, 0, m, (uint16_t)n);
		LWT_CHECK(len == LW_FRAME_LEN(n), "n=%d: len %d, want %d", n, len, LW_FRAME_LEN(n));
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
		CU_ASSERT_EQUAL(v.payload_len, n * (int)sizeof(struct lw_msg));
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
	CU_ASSERT_EQUAL(len, LW_FRAME_LEN(1));
	CU_ASSERT_EQUAL(buf[12] << 8 | buf[13], 0x0800);
	CU_ASSERT_EQUAL(buf[14], 0x45);
	CU_ASSERT_EQUAL(buf[20], 0x40);            /* DF */
	CU_ASSERT_EQUAL(buf[22], 64);              /* TTL */
	CU_ASSERT_EQUAL(buf[23], 17);              /* UDP */
	CU_ASSERT_EQUAL(buf[34] << 8 | buf[35], BASE_PORT + 0);
	CU_ASSERT_EQUAL(buf[36] << 8 | buf[37], BASE_PORT + 3);
	CU_ASSERT_EQUAL(memcmp(buf + 42, "LWR1", 4), 0);
	CU_ASSERT_EQUAL(LW_FRAME_MSGS_PER_MTU(1500), 9);
	CU_ASSERT(LW_FRAME_LEN(9) <= 1514);
}

static void
test_build_errors(void)
{
	static uint8_t buf[2048];
	struct lw_msg m[2];

	fill_msgs(m, 2, 0);
	CU_ASSERT_EQUAL(lw_frame_build(buf, LW_FRAME_LEN(2) - 1, &A, &B, CLUSTER, EPOCH, 1, 0,
				       0, m, 2), -ENOSPC);
	CU_ASSERT_EQUAL(lw_frame_build(buf, LW_FRAME_LEN(2), &A, &B, CLUSTER, EPOCH, 1, 0,
				       0, m, 2), LW_FRAME_LEN(2));
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

	for (int n = 0; n <= 2; n++) {
		int len = build_ab(full, sizeof(full), n);

		for (int l = 0; l < len; l++) {
			uint8_t *b = malloc((size_t)(l > 0 ? l : 1));

			memcpy(b, full, (size_t)l);
			int rc = lw_frame_parse(b, (size_t)l, &ex, &v);
			LWT_CHECK(rc == -LW_FRAME_TRUNCATED, "n=%d len %d of %d: %d (%s)", n, l,
				  len, rc, lw_frame_drop_name(rc));
			lw_frame_drop_count(&d, rc);
			free(b);
		}
		CU_ASSERT_EQUAL(lw_frame_parse(full, (size_t)len, &ex, &v), 0);
	}
	CU_ASSERT_EQUAL(d.n[LW_FRAME_TRUNCATED],
			(uint64_t)(LW_FRAME_LEN(0) + LW_FRAME_LEN(1) + LW_FRAME_LEN(2)));
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
	E_CTL_MSGS, E_CTL_ACKONLY, E_DST_INC, E_COUNT
};

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
	[E_DST_INC] = LW_FRAME_STALE_INC,
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
	case E_VERSION: h.version = 2; break;
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
	case E_MSG_LEN: f[LW_FRAME_MIN_LEN + 152 + 2] = 151; break;
	case E_CTL_MSGS: h.flags = LW_FRAME_F_CONTROL; break;   /* nmsgs 2 */
	case E_CTL_ACKONLY: h.flags = LW_FRAME_F_CONTROL | LW_FRAME_F_ACKONLY; break;
	case E_DST_INC: h.dst_inc = B.inc - 1; break;
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
	CU_ASSERT_EQUAL_FATAL(len, LW_FRAME_LEN(2));
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
	/* ...an oversize payload (8 messages' bytes, nmsgs 0) */
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
	struct lw_msg m;

	if (v->flags & LW_FRAME_F_CONTROL) {
		if (v->nmsgs != 0 || v->payload_len == 0 || v->payload_len > LW_FRAME_CTL_MAX ||
		    v->len != (uint32_t)LW_FRAME_MIN_LEN + v->payload_len)
			return false;
	} else if (v->len != (uint32_t)LW_FRAME_LEN(v->nmsgs) ||
		   v->payload_len != v->nmsgs * sizeof(struct lw_msg)) {
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
	for (uint16_t i = 0; i < v->nmsgs; i++)
		if (lw_frame_msg(v, i, &m) != 0 || m.h.len != sizeof(m))
			return false;
	return true;
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
	int fails = 0;

	for (int it = 0; it < 30000 && fails < 5; it++) {
		int n = (int)(rnd(&s) % 10);
		int vlen = build_ab(valid, sizeof(valid), n);
		size_t len;
		uint8_t *b;
		int mode = (int)(rnd(&s) % 4);

		if (mode == 0) {             /* random bytes */
			len = rnd(&s) % 1600;
			b = malloc(len ? len : 1);
			for (size_t i = 0; i < len; i++)
				b[i] = (uint8_t)rnd(&s);
			if (len >= 14 && (rnd(&s) & 1))   /* often get past Ethernet */
				memcpy(b, valid, len < 50 ? len : 50);
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
	/* the loop reached both outcomes */
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
		  "incarnation", test_incarnation,
		  "control", test_control,
		  "fuzz", test_fuzz,
		  NULL);
	return lwt_run();
}
