/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lwctl.c — daemon/lwctl_fmt.c: the pure half of lwctl. Where the
 * telemetry socket is, the checks of greetings and replies (bad JSON, wrong
 * key, null, integers above 2^63), and the text of status, members, stats
 * and the generic rendering, compared with the exact expected output.
 * The lockdump half (lwctl_dump.c): paging through canned pages of two
 * workers, the text and the --json document, the empty table, names that
 * need hex, and malformed answers (a clear error, the state untouched).
 * And the engine's bounded lockdump step (lw_site_lockdump) on one site.
 * Output goes to open_memstream(); no sockets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lockq.h"
#include "lwctl_dump.h"
#include "lwctl_fmt.h"
#include "lwt.h"
#include "site.h"

/* Print with fn into a new string; *rc gets fn's return value. */
typedef int (*printer)(FILE *out, const json_t *v);

static char *
render(printer fn, const char *json, int *rc)
{
	json_error_t je;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &je);
	char *s = NULL;
	size_t n;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	f = open_memstream(&s, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	*rc = fn(f, v);
	fclose(f);
	json_decref(v);
	return s;
}

static int
print_generic(FILE *out, const json_t *v)
{
	return lwctl_print_value(out, v, 0);
}

/* fn renders json as exactly want, returning 0. */
static void
check_render(printer fn, const char *json, const char *want)
{
	int rc;
	char *got = render(fn, json, &rc);

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n--- want\n%s--- got\n%s---\n", want, got);
	free(got);
}

/* fn refuses json with -EINVAL and prints nothing. */
static void
check_refused(printer fn, const char *json)
{
	int rc;
	char *got = render(fn, json, &rc);

	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_STRING_EQUAL(got, "");
	free(got);
}

static void
test_path(void)
{
	char p[108];

	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), "/tmp/c/node1.sock", NULL, NULL, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(p, "/tmp/c/node1.sock.telemetry");
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), NULL, "lw1", NULL, "/run/user/5", 0), 0);
	CU_ASSERT_STRING_EQUAL(p, "/var/run/dpdk/lw1/dpdk_telemetry.v2");
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), NULL, "lw1", NULL, "/run/user/5", 5), 0);
	CU_ASSERT_STRING_EQUAL(p, "/run/user/5/dpdk/lw1/dpdk_telemetry.v2");
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), NULL, "lw1", NULL, NULL, 5), 0);
	CU_ASSERT_STRING_EQUAL(p, "/tmp/dpdk/lw1/dpdk_telemetry.v2");
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), NULL, "lw1", "/srv/rt", "/x", 0), 0);
	CU_ASSERT_STRING_EQUAL(p, "/srv/rt/dpdk/lw1/dpdk_telemetry.v2");
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), NULL, NULL, NULL, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), "", NULL, NULL, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), NULL, "a/b", NULL, NULL, 0), -EINVAL);
	/* 98 characters + ".telemetry" do not fit sun_path (108 with the NUL) */
	char longp[99];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), longp, NULL, NULL, NULL, 0), -ENAMETOOLONG);
	longp[97] = '\0';     /* 97 + 10 = 107: fits */
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, sizeof(p), longp, NULL, NULL, NULL, 0), 0);
	CU_ASSERT_EQUAL(lwctl_telemetry_path(p, 10, "/tmp/x", NULL, NULL, NULL, 0), -ENAMETOOLONG);
}

static void
test_greeting(void)
{
	const char *g = "{\"version\":\"DPDK 22.11.11\",\"pid\":20166,\"max_output_len\":16384}";
	char err[128] = "";
	size_t max = 0;

	CU_ASSERT_EQUAL(lwctl_parse_greeting(g, strlen(g), &max, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(max, 16384);
	g = "{\"version\":\"x\",\"max_output_len\":65536}";
	CU_ASSERT_EQUAL(lwctl_parse_greeting(g, strlen(g), &max, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(max, 65536);
	g = "{\"version\":\"x\"}";
	CU_ASSERT_EQUAL(lwctl_parse_greeting(g, strlen(g), &max, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(max, LWCTL_DEF_OUTPUT_LEN);
	g = "{\"version\":";
	CU_ASSERT_EQUAL(lwctl_parse_greeting(g, strlen(g), &max, err, sizeof(err)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not JSON"));
	g = "[1]";
	CU_ASSERT_EQUAL(lwctl_parse_greeting(g, strlen(g), &max, err, sizeof(err)), -EBADMSG);
	g = "{\"max_output_len\":\"big\"}";
	CU_ASSERT_EQUAL(lwctl_parse_greeting(g, strlen(g), &max, err, sizeof(err)), -EBADMSG);
	g = "{\"max_output_len\":0}";
	CU_ASSERT_EQUAL(lwctl_parse_greeting(g, strlen(g), &max, NULL, 0), -EBADMSG);
}

static void
test_reply(void)
{
	const char *r = "{\"/lockwire/stats\":{\"rx\":1}}";
	char err[256] = "";
	json_t *v = NULL;
	int approx = -1;

	CU_ASSERT_EQUAL(lwctl_parse_reply(r, strlen(r), "/lockwire/stats,3", &v, &approx,
					  err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(approx, 0);
	CU_ASSERT_TRUE(json_is_object(v));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "rx")), 1);
	json_decref(v);

	/* the key must be the command, without its parameter */
	CU_ASSERT_EQUAL(lwctl_parse_reply(r, strlen(r), "/lockwire/node", &v, NULL, err, sizeof(err)), -EBADMSG);
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/lockwire/stats"));
	CU_ASSERT_EQUAL(lwctl_parse_reply(r, strlen(r), "/lockwire/stat", &v, NULL, err, sizeof(err)), -EBADMSG);

	r = "{\"/nope\":null}";
	CU_ASSERT_EQUAL(lwctl_parse_reply(r, strlen(r), "/nope", &v, NULL, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NULL(v);

	/* bad JSON of every kind: a reply cut short, garbage, empty, two keys, an array */
	static const char *const bad[] = {
		"{\"/x\":[1,", "garbage", "", "{\"/x\":1,\"/y\":2}", "[\"/x\"]", "{\"/x\":1}}",
		"{\"/x\":\"\xff\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(lwctl_parse_reply(bad[i], strlen(bad[i]), "/x", &v, NULL,
						  err, sizeof(err)), -EBADMSG);
		CU_ASSERT_PTR_NULL(v);
		CU_ASSERT_NOT_EQUAL(err[0], '\0');
	}
	/* the length is honoured: bytes after len are not read */
	r = "{\"/x\":7}TRAILING";
	CU_ASSERT_EQUAL(lwctl_parse_reply(r, 8, "/x", &v, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(json_integer_value(v), 7);
	json_decref(v);
}

static void
test_big_ints(void)
{
	const char *r = "{\"/s\":{\"never\":18446744073709551615,\"n\":5,"
			"\"neg\":-9223372036854775808,\"s\":\"99999999999999999999\",\"r\":1.5e3}}";
	json_t *v = NULL;
	int approx = 0;

	CU_ASSERT_EQUAL(lwctl_parse_reply(r, strlen(r), "/s", &v, &approx, NULL, 0), 0);
	CU_ASSERT_EQUAL(approx, 1);
	CU_ASSERT_TRUE(json_is_real(json_object_get(v, "never")));
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(v, "never")), 18446744073709551615.0, 1e4);
	CU_ASSERT_TRUE(json_is_integer(json_object_get(v, "n")));       /* the others stay exact */
	CU_ASSERT_TRUE(json_is_integer(json_object_get(v, "neg")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "s")), "99999999999999999999");
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(v, "r")), 1500.0, 1e-9);
	json_decref(v);
}

static void
test_age(void)
{
	static const struct { double us; const char *s; } c[] = {
		{0, "0us"}, {850, "850us"}, {1234, "1.2ms"}, {999000, "999.0ms"},
		{4250000, "4.25s"}, {61000000, "1m01s"}, {3725e6, "1h02m"},
		{90061e6, "1d01h"}, {-1, "-"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		lwctl_fmt_age(buf, sizeof(buf), c[i].us);
		CU_ASSERT_STRING_EQUAL(buf, c[i].s);
	}
}

static void
test_sessions(void)
{
	check_render(lwctl_print_sessions,
		"{\"sessions\":1,\"accepted\":3,\"refused\":1,\"cut\":1,\"list\":{\"1\":"
		"{\"session\":65537,\"worker\":0,\"pid\":4242,\"name\":\"lw-bench\","
		"\"state\":\"active\",\"requests\":10,\"completions\":12,\"rejected\":0}}}",
		"1 client session(s); since start: 3 accepted, 1 refused, 1 cut off\n"
		"  SESSION    WORKER PID      PROGRAM          STATE     REQUESTS COMPLETIONS REJECTED\n"
		"  0x10001    0      4242     lw-bench         active          10          12        0\n");
	check_render(lwctl_print_sessions,
		"{\"sessions\":0,\"accepted\":0,\"refused\":0,\"cut\":0,\"list\":{}}",
		"0 client session(s); since start: 0 accepted, 0 refused, 0 cut off\n");
	check_refused(lwctl_print_sessions, "[1]");
	check_refused(lwctl_print_sessions, "{\"list\":[1]}");
	check_refused(lwctl_print_sessions, "{\"list\":{\"1\":2}}");
}

static void
test_status(void)
{
	check_render(lwctl_print_status,
		"{\"node\":1,\"cluster\":\"lab\",\"cluster_id\":7701,\"epoch\":1,\"state\":\"up\","
		"\"workers\":2,\"poll\":\"adaptive\",\"socket\":\"/tmp/c/node1.sock\","
		"\"uptime_s\":12,\"members\":3,\"members_up\":3}",
		"node 1 of cluster lab (id 7701): up, epoch 1, 2 workers, members up 3/3\n"
		"  poll      adaptive\n"
		"  socket    /tmp/c/node1.sock\n"
		"  uptime_s  12\n");
	/* members as a list, one worker, an unknown nested key, missing fields */
	check_render(lwctl_print_status,
		"{\"node\":2,\"state\":\"joining\",\"workers\":1,\"members\":[1,2,3],"
		"\"members_up\":1,\"lease\":{\"valid\":true,\"left_ms\":250}}",
		"node 2 of cluster ? (id ?): joining, epoch ?, 1 worker, members up 1/3\n"
		"  members  1, 2, 3\n"
		"  lease:\n"
		"    valid    true\n"
		"    left_ms  250\n");
	check_refused(lwctl_print_status, "[1,2]");
	check_refused(lwctl_print_status, "\"up\"");
}

static void
test_members(void)
{
	/* sorted by node id as a number, this node without an age, an unknown key as a column */
	check_render(lwctl_print_members,
		"{\"1\":{\"self\":true,\"up\":true,\"heartbeats_rx\":0,\"heartbeats_tx\":120,"
		"\"last_heartbeat_us\":0},"
		"\"10\":{\"self\":false,\"up\":false,\"heartbeats_rx\":5,\"heartbeats_tx\":120,"
		"\"last_heartbeat_us\":61000000,\"incarnation\":2},"
		"\"2\":{\"self\":false,\"up\":true,\"heartbeats_rx\":118,\"heartbeats_tx\":120,"
		"\"last_heartbeat_us\":1234}}",
		"NODE  SELF  UP   HB RX  HB TX    LAST HB  incarnation\n"
		"   1  yes   yes      0    120          -            -\n"
		"   2  no    yes    118    120  1.2ms ago            -\n"
		"  10  no    no       5    120  1m01s ago            2\n");
	/* DPDK 22.11 has no booleans: 0/1 integers for self and up */
	check_render(lwctl_print_members,
		"{\"2\":{\"self\":0,\"up\":1,\"heartbeats_rx\":9,\"heartbeats_tx\":9,"
		"\"last_heartbeat_us\":850},"
		"\"1\":{\"self\":1,\"up\":1,\"heartbeats_rx\":0,\"heartbeats_tx\":9,"
		"\"last_heartbeat_us\":0}}",
		"NODE  SELF  UP   HB RX  HB TX    LAST HB\n"
		"   1  yes   yes      0      9          -\n"
		"   2  no    yes      9      9  850us ago\n");
	/* missing fields print '?', a never-heard node '-' */
	check_render(lwctl_print_members,
		"{\"3\":{\"up\":false,\"last_heartbeat_us\":null},"
		"\"4\":{\"up\":0,\"heartbeats_rx\":0,\"last_heartbeat_us\":0}}",
		"NODE  SELF  UP  HB RX  HB TX  LAST HB\n"
		"   3  ?     no      ?      ?        -\n"
		"   4  ?     no      0      ?        -\n");
	check_render(lwctl_print_members, "{}", "NODE  SELF  UP  HB RX  HB TX  LAST HB\n");
	check_refused(lwctl_print_members, "{\"1\":5}");
	check_refused(lwctl_print_members, "[{\"self\":true}]");
}

static void
test_generic(void)
{
	/* keys padded per level, numbers right-aligned per level, nesting indented */
	check_render(lwctl_print_stats,
		"{\"rx_frames\":123456789,\"tx\":5,\"ratio\":0.25,\"name\":\"w0\","
		"\"per_type\":{\"request\":3,\"grant\":40},\"q\":[1,2,3],\"none\":[],"
		"\"empty\":{},\"blank\":\"\",\"flag\":false,\"nothing\":null}",
		"rx_frames  123456789\n"
		"tx                 5\n"
		"ratio           0.25\n"
		"name       w0\n"
		"per_type:\n"
		"  request   3\n"
		"  grant    40\n"
		"q          1, 2, 3\n"
		"none       []\n"
		"empty      {}\n"
		"blank      \"\"\n"
		"flag       false\n"
		"nothing    null\n");
	/* arrays of containers become [i] entries */
	check_render(print_generic,
		"{\"name\":\"foo\",\"holders\":[{\"site\":\"1.0\",\"mode\":\"EX\"},[7,[8]]]}",
		"name  foo\n"
		"holders:\n"
		"  [0]:\n"
		"    site  1.0\n"
		"    mode  EX\n"
		"  [1]:\n"
		"    [0]  7\n"
		"    [1]  8\n");
	check_render(print_generic, "42", "42\n");
	check_render(print_generic, "[0]", "0\n");
	check_render(print_generic, "\"x y\"", "x y\n");
	check_refused(lwctl_print_stats, "[1]");
}

static int
print_compact(FILE *out, const json_t *v)
{
	return lwctl_print_json(out, v, 1);
}

static int
print_indented(FILE *out, const json_t *v)
{
	return lwctl_print_json(out, v, 0);
}

static void
test_json(void)
{
	char buf[16];
	json_t *v;

	check_render(print_compact, "{\"a\":[1,2],\"b\":\"c\",\"r\":0.1}",
		     "{\"a\":[1,2],\"b\":\"c\",\"r\":0.1}\n");
	check_render(print_indented, "{\"a\":1}", "{\n  \"a\": 1\n}\n");
	check_render(print_compact, "null", "null\n");
	/* scalars as text, cut to the buffer */
	v = json_string("a long string value");
	lwctl_fmt_scalar(buf, sizeof(buf), v);
	CU_ASSERT_STRING_EQUAL(buf, "a long string v");
	json_decref(v);
	v = json_real(3.5);
	lwctl_fmt_scalar(buf, sizeof(buf), v);
	CU_ASSERT_STRING_EQUAL(buf, "3.5");
	json_decref(v);
}

/* --- lockdump (lwctl_dump.c) ------------------------------------------------------------ */

#define Z16 "0000000000000000"
#define LVB0 Z16 Z16 Z16 Z16

/* r7 at worker 0, on both sides: holders and client locks in every state, a cut list. */
#define R_BOTH "{\"worker\":0,\"gid\":7,\"ls\":\"app\",\"name\":\"r7\",\"bucket\":12," \
	"\"master\":\"n1w0\",\"map_master\":\"n1w0\",\"where\":\"shadow+master\"," \
	"\"held\":\"PR\",\"ceiling\":\"PR\",\"bast_target\":\"NL\",\"inflight\":1," \
	"\"rq_site\":\"n1w0\",\"rq_lkid\":18,\"rq_mode\":\"EX\",\"cancel_sent\":1,\"seq\":3," \
	"\"cached\":0,\"lvb_valid\":1,\"lvb_dirty\":1,\"lvbseq\":9," \
	"\"lvb\":\"0102030405060708090a00000000" Z16 Z16 "0000\",\"nlocks\":4," \
	"\"locks\":[\"lkid=0x00000011 sess=3 gr=PR rq=- st=granted pers=0 xid=3\"," \
	"\"lkid=0x00000012 sess=4 gr=PR rq=EX st=converting pers=0 xid=4\"," \
	"\"lkid=0x00000013 sess=0 gr=- rq=EX st=waiting pers=1 xid=9\"]," \
	"\"m_lvb_valid\":0,\"m_lvbseq\":8,\"m_lvb\":\"" LVB0 "\",\"nholders\":3," \
	"\"holders\":[\"site=n2w0 gr=PR rq=- st=granted seq=5 bast=NL\"," \
	"\"site=n1w0 gr=PR rq=EX st=converting seq=2 bast=-\"," \
	"\"site=n3w0 gr=- rq=EX st=waiting seq=0 bast=-\"]}"

/* "a b" at worker 1: a cached mode, redirected; no "ls" (filled from r7's gid). */
#define R_CACHED "{\"worker\":1,\"gid\":7,\"name\":\"a b\",\"bucket\":40,\"master\":\"n2w0\"," \
	"\"map_master\":\"n2w1\",\"where\":\"shadow\",\"held\":\"EX\",\"ceiling\":\"EX\"," \
	"\"bast_target\":\"-\",\"inflight\":0,\"redirects\":1,\"seq\":1,\"cached\":1," \
	"\"lvb_valid\":0,\"lvb_dirty\":0,\"lvbseq\":0,\"lvb\":\"" LVB0 "\",\"nlocks\":0,\"locks\":[]}"

/* A binary name mastered at worker 1. */
#define R_HEX "{\"worker\":1,\"gid\":7,\"name_bytes\":[0,255,65],\"bucket\":3,\"master\":\"n1w1\"," \
	"\"map_master\":\"n1w1\",\"where\":\"master\",\"m_lvb_valid\":1,\"m_lvbseq\":2," \
	"\"m_lvb\":\"ffffffffffffffff\",\"nholders\":1," \
	"\"holders\":[\"site=n3w0 gr=EX rq=- st=granted seq=1 bast=-\"]}"

/* A binary lockspace name. */
#define R_LSHEX "{\"worker\":1,\"gid\":99,\"ls_bytes\":[1,2],\"name\":\"z\",\"bucket\":5," \
	"\"master\":\"n1w1\",\"map_master\":\"n1w1\",\"where\":\"shadow\",\"held\":\"-\"," \
	"\"ceiling\":\"NL\",\"bast_target\":\"-\",\"inflight\":0,\"seq\":0,\"cached\":0," \
	"\"lvb_valid\":0,\"lvbseq\":0,\"lvb\":\"" LVB0 "\",\"nlocks\":1," \
	"\"locks\":[\"lkid=0x00000100 sess=2 gr=- rq=CR st=waiting pers=0 xid=2\"]}"

/* Two workers, two pages each. */
static const char *const pages[] = {
	"{\"worker\":0,\"cursor\":0,\"r0\":" R_BOTH ",\"count\":1,\"end\":0,\"next\":37}",
	"{\"worker\":0,\"cursor\":37,\"count\":0,\"end\":1,\"next\":0}",
	"{\"worker\":1,\"cursor\":0,\"r0\":" R_CACHED ",\"r1\":" R_HEX ",\"count\":2,\"end\":0,"
	"\"next\":600}",
	"{\"worker\":1,\"cursor\":600,\"r0\":" R_LSHEX ",\"count\":1,\"end\":1,\"next\":0}",
};

static const char *const page_reqs[] = {
	"/lockwire/lockdump,0,0", "/lockwire/lockdump,0,37",
	"/lockwire/lockdump,1,0", "/lockwire/lockdump,1,600",
};

static json_t *
load(const char *s)
{
	json_error_t je;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &je);

	if (v == NULL)
		fprintf(stderr, "\nbad test JSON: %s at %d\n", je.text, je.position);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	return v;
}

/* Run the dump of workers 0..1 over the canned pages; its grouped resources. */
static json_t *
dump_all(void)
{
	struct lwctl_dump st;
	char req[128], err[256];
	json_t *res;
	size_t i = 0;

	CU_ASSERT_EQUAL_FATAL(lwctl_dump_init(&st, 0, 1, NULL), 0);
	while (lwctl_dump_request(&st, req, sizeof(req)) == 1 && i < 4) {
		json_t *p = load(pages[i]);

		CU_ASSERT_STRING_EQUAL(req, page_reqs[i]);
		CU_ASSERT_EQUAL(lwctl_dump_feed(&st, p, err, sizeof(err)), 0);
		json_decref(p);
		i++;
	}
	CU_ASSERT_EQUAL(i, 4);
	CU_ASSERT_EQUAL(st.done, 1);
	CU_ASSERT_EQUAL(st.pages, 4);
	CU_ASSERT_EQUAL(json_array_size(st.views), 4);
	res = lwctl_dump_group(st.views);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	lwctl_dump_fini(&st);
	return res;
}

static void
test_dump_paging(void)
{
	struct lwctl_dump st;
	char req[64], err[256];
	json_t *p;

	json_decref(dump_all());

	/* one worker, a lockspace: its name rides on every request */
	CU_ASSERT_EQUAL(lwctl_dump_init(&st, 3, 3, "app"), 0);
	CU_ASSERT_EQUAL(lwctl_dump_request(&st, req, sizeof(req)), 1);
	CU_ASSERT_STRING_EQUAL(req, "/lockwire/lockdump,3,0,app");
	p = load("{\"worker\":3,\"cursor\":0,\"lockspace\":\"app\",\"count\":0,\"end\":0,\"next\":512}");
	CU_ASSERT_EQUAL(lwctl_dump_feed(&st, p, err, sizeof(err)), 0);
	json_decref(p);
	CU_ASSERT_EQUAL(lwctl_dump_request(&st, req, sizeof(req)), 1);
	CU_ASSERT_STRING_EQUAL(req, "/lockwire/lockdump,3,512,app");
	p = load("{\"worker\":3,\"cursor\":512,\"count\":0,\"end\":1,\"next\":0,\"extra\":[1]}");
	CU_ASSERT_EQUAL(lwctl_dump_feed(&st, p, err, sizeof(err)), 0);    /* unknown keys pass */
	CU_ASSERT_EQUAL(lwctl_dump_request(&st, req, sizeof(req)), 0);   /* done */
	CU_ASSERT_EQUAL(lwctl_dump_feed(&st, p, err, sizeof(err)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "after the end"));
	json_decref(p);
	CU_ASSERT_EQUAL(json_array_size(st.views), 0);
	lwctl_dump_fini(&st);

	CU_ASSERT_EQUAL(lwctl_dump_init(&st, 2, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lwctl_dump_init(&st, 0, 0, NULL), 0);
	CU_ASSERT_EQUAL(lwctl_dump_request(&st, req, 10), -ENAMETOOLONG);
	lwctl_dump_fini(&st);
}

static void
test_dump_text(void)
{
	json_t *res = dump_all();
	char *got = NULL;
	size_t n;
	FILE *f = open_memstream(&got, &n);
	const char *want =
		"\"a b\"  lockspace app (gid 7), bucket 40, master n2w0 (the map says n2w1)\n"
		"  shadow at w1: held EX, cached (no client lock)\n"
		"    LVB NOT VALID, seq 0: 0000000000000000...\n"
		"    redirected 1 time\n"
		"\n"
		"r7  lockspace app (gid 7), bucket 12, master n1w0\n"
		"  master side at w0: LVB NOT VALID, seq 8: 0000000000000000...\n"
		"    SITE      STATE       GRANTED  REQUESTED  BAST  SEQ\n"
		"    n2w0      granted     PR       -          NL    5\n"
		"    n1w0      converting  PR       EX         -     2\n"
		"    n3w0      waiting     -        EX         -     0\n"
		"  shadow at w0: held PR\n"
		"    LVB valid, written here, seq 9: 0102030405060708...\n"
		"    request out to n1w0: lock 0x00000012 wants EX, cancel sent\n"
		"    blocking: the master asked to go down to NL\n"
		"    LKID        SESSION  STATE       GRANTED  REQUESTED  FLAGS       XID\n"
		"    0x00000011        3  granted     PR       -                      3\n"
		"    0x00000012        4  converting  PR       EX                     4\n"
		"    0x00000013   orphan  waiting     -        EX         persistent  9\n"
		"    ... 1 more not listed\n"
		"\n"
		"hex:00ff41  lockspace app (gid 7), bucket 3, master n1w1\n"
		"  master side at w1: LVB valid, seq 2: ffffffffffffffff\n"
		"    SITE      STATE       GRANTED  REQUESTED  BAST  SEQ\n"
		"    n3w0      granted     EX       -          -     1\n"
		"\n"
		"z  lockspace hex:0102 (gid 99), bucket 5, master n1w1\n"
		"  shadow at w1: no mode held\n"
		"    LVB NOT VALID, seq 0: 0000000000000000...\n"
		"    LKID        SESSION  STATE       GRANTED  REQUESTED  FLAGS       XID\n"
		"    0x00000100        2  waiting     -        CR                     2\n"
		"\n"
		"4 resources; 5 client locks, 4 site holdings at masters here\n";

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(lwctl_print_lockdump(f, res, 1), 0);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n--- want\n%s--- got\n%s---\n", want, got);
	free(got);
	json_decref(res);
}

/* The --json document: types a script can rely on. */
static void
test_dump_json(void)
{
	json_t *res = dump_all(), *r7, *sh, *l, *h;
	char *got;

	CU_ASSERT_EQUAL_FATAL(json_array_size(res), 4);
	r7 = json_array_get(res, 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r7, "name")), "r7");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r7, "lockspace")), "app");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r7, "shadows")), 1);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r7, "master_sides")), 1);
	sh = json_array_get(json_object_get(r7, "shadows"), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(sh, "worker")), 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(sh, "cancel_sent")));
	CU_ASSERT_TRUE(json_is_false(json_object_get(sh, "cached")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(sh, "inflight"), "lkid")), 18);
	CU_ASSERT_TRUE(json_is_true(json_object_get(json_object_get(sh, "lvb"), "dirty")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(sh, "nlocks")), 4);
	l = json_array_get(json_object_get(sh, "locks"), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(l, "lkid")), 0x13);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(l, "session")), 0);
	CU_ASSERT_TRUE(json_is_null(json_object_get(l, "granted")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(l, "requested")), "EX");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(l, "state")), "waiting");
	CU_ASSERT_TRUE(json_is_true(json_object_get(l, "persistent")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(l, "xid")), 9);
	h = json_array_get(json_object_get(json_array_get(json_object_get(r7, "master_sides"), 0),
					   "holders"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h, "site")), "n2w0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(h, "bast_target")), "NL");

	/* one whole resource, exactly */
	got = json_dumps(json_array_get(res, 2), JSON_COMPACT | JSON_PRESERVE_ORDER);
	CU_ASSERT_STRING_EQUAL(got,
		"{\"lockspace\":\"app\",\"gid\":7,\"name\":null,\"name_hex\":\"00ff41\",\"bucket\":3,\"master\":\"n1w1\","
		"\"map_master\":\"n1w1\",\"shadows\":[],\"master_sides\":[{\"worker\":1,"
		"\"lvb\":{\"valid\":true,\"seq\":2,\"hex\":\"ffffffffffffffff\"},\"nholders\":1,"
		"\"holders\":[{\"site\":\"n3w0\",\"granted\":\"EX\",\"requested\":null,"
		"\"state\":\"granted\",\"seq\":1,\"bast_target\":null}]}]}");
	free(got);
	json_decref(res);
}

static int
print_generic_dump(FILE *out, const json_t *v)
{
	return lwctl_print_lockdump(out, v, 1);
}

static void
test_dump_empty(void)
{
	struct lwctl_dump st;
	char req[64], err[128];
	json_t *p, *res;

	CU_ASSERT_EQUAL(lwctl_dump_init(&st, 0, 0, NULL), 0);
	CU_ASSERT_EQUAL(lwctl_dump_request(&st, req, sizeof(req)), 1);
	p = load("{\"worker\":0,\"cursor\":0,\"count\":0,\"end\":1,\"next\":0}");
	CU_ASSERT_EQUAL(lwctl_dump_feed(&st, p, err, sizeof(err)), 0);
	json_decref(p);
	CU_ASSERT_EQUAL(st.done, 1);
	res = lwctl_dump_group(st.views);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_EQUAL(json_array_size(res), 0);
	check_render(print_generic_dump, "[]", "no locks\n");
	check_render(print_compact, "[]", "[]\n");
	json_decref(res);
	lwctl_dump_fini(&st);
	/* not resources: refused, nothing printed */
	check_refused(print_generic_dump, "{}");
	check_refused(print_generic_dump, "[{\"gid\":1}]");
	check_refused(print_generic_dump, "[1]");
}

/* A bad page is refused with err naming want; the dump stays where it was. */
static void
bad_page(json_t *page, const char *want)
{
	struct lwctl_dump st;
	char req[64], err[256] = "";

	CU_ASSERT_EQUAL_FATAL(lwctl_dump_init(&st, 0, 1, NULL), 0);
	CU_ASSERT_EQUAL(lwctl_dump_feed(&st, page, err, sizeof(err)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (strstr(err, want) == NULL)
		fprintf(stderr, "\nerror \"%s\" does not say \"%s\"\n", err, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "worker 0, page at cursor 0"));
	CU_ASSERT_EQUAL(st.pages, 0);
	CU_ASSERT_EQUAL(json_array_size(st.views), 0);
	CU_ASSERT_EQUAL(lwctl_dump_request(&st, req, sizeof(req)), 1);
	CU_ASSERT_STRING_EQUAL(req, "/lockwire/lockdump,0,0");
	lwctl_dump_fini(&st);
	json_decref(page);
}

/* pages[0] with r0's field k set to v (JSON; NULL removes it). */
static json_t *
page_with(const char *k, const char *v)
{
	json_t *p = load(pages[0]), *r0 = json_object_get(p, "r0");

	if (v == NULL)
		json_object_del(r0, k);
	else
		json_object_set_new(r0, k, load(v));
	return p;
}

/* pages[0] with top-level field k set to v (NULL removes it). */
static json_t *
top_with(const char *k, const char *v)
{
	json_t *p = load(pages[0]);

	if (v == NULL)
		json_object_del(p, k);
	else
		json_object_set_new(p, k, load(v));
	return p;
}

static void
test_dump_malformed(void)
{
	bad_page(load("[]"), "not an object");
	bad_page(top_with("next", NULL), "no \"next\"");
	bad_page(top_with("worker", "1"), "answer for worker 1 at cursor 0");
	bad_page(top_with("cursor", "5"), "answer for worker 0 at cursor 5");
	bad_page(top_with("next", "0"), "does not move on");
	bad_page(top_with("end", "2"), "bad \"end\"");
	bad_page(top_with("count", "\"1\""), "bad \"count\"");
	bad_page(top_with("count", "2"), "r1: missing");
	bad_page(top_with("r0", "7"), "r0: not an object");
	bad_page(page_with("held", "\"XX\""), "r0: \"held\" is not a mode");
	bad_page(page_with("gid", "-1"), "r0: bad \"gid\"");
	bad_page(page_with("master", NULL), "r0: no \"master\"");
	bad_page(page_with("where", "\"both\""), "r0: bad \"where\"");
	bad_page(page_with("worker", "1"), "r0: from worker 1");
	bad_page(page_with("name", NULL), "r0: no \"name\"");
	bad_page(page_with("name", "5"), "r0: bad \"name\"");
	bad_page(page_with("ls", "[1]"), "r0: bad \"ls\"");
	bad_page(page_with("lvb", "\"xyz\""), "r0: bad \"lvb\"");
	bad_page(page_with("nlocks", "1"), "r0: bad \"locks\"");
	bad_page(page_with("locks", "[\"lkid=0x11 garbage\"]"), "locks[0] is not a line of key=value");
	bad_page(page_with("locks", "[7]"), "locks[0] is not a line");
	bad_page(page_with("locks", "[\"lkid=0xZZ sess=1 gr=PR rq=- st=granted\"]"), "bad lkid=");
	bad_page(page_with("locks", "[\"lkid=0x11 sess=1 gr=PR rq=- st=sleeping\"]"), "no queue state");
	bad_page(page_with("locks", "[\"lkid=0x11 sess=1 gr=XX rq=- st=granted\"]"), "no mode gr=");
	bad_page(page_with("locks", "[\"lkid=0x11 gr=PR rq=- st=granted\"]"), "no sess=");
	bad_page(page_with("holders", "[\"gr=PR rq=- st=granted seq=1 bast=-\"]"), "no site=");
	bad_page(page_with("rq_mode", "\"??\""), "r0: \"rq_mode\" is not a mode");
	bad_page(page_with("rq_site", NULL), "r0: no \"rq_site\"");
	bad_page(page_with("nholders", NULL), "r0: no \"nholders\"");

	/* a binary name with a byte out of range, a name too long */
	json_t *p = load(pages[2]), *r1 = json_object_get(p, "r1");

	json_object_set_new(r1, "name_bytes", load("[0,300]"));
	json_object_set_new(p, "worker", json_integer(0));
	json_object_set_new(json_object_get(p, "r0"), "worker", json_integer(0));
	json_object_set_new(r1, "worker", json_integer(0));
	bad_page(p, "r1: bad \"name_bytes\"");
	p = page_with("name", NULL);
	json_object_set_new(json_object_get(p, "r0"), "name_bytes", load(
		"[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
		"1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]"));
	bad_page(p, "r0: bad \"name_bytes\"");
}

/* /lockwire/resource answers. */
static void
test_dump_resource(void)
{
	json_t *views = json_array(), *a, *res;
	char err[256] = "";

	a = load("{\"name\":\"r7\",\"r0\":" R_BOTH ",\"r1\":" R_HEX ",\"found\":3,\"listed\":2}");
	CU_ASSERT_EQUAL(lwctl_dump_resource(a, views, err, sizeof(err)), 0);
	json_decref(a);
	CU_ASSERT_EQUAL(json_array_size(views), 2);
	res = lwctl_dump_group(views);
	CU_ASSERT_EQUAL(json_array_size(res), 2);
	json_decref(res);

	a = load("{\"name\":\"r7\",\"r0\":" R_BOTH ",\"found\":2,\"listed\":2}");
	CU_ASSERT_EQUAL(lwctl_dump_resource(a, views, err, sizeof(err)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "r1: missing"));
	CU_ASSERT_EQUAL(json_array_size(views), 2);         /* nothing added */
	json_decref(a);
	a = load("{\"name\":\"r7\",\"found\":0}");
	CU_ASSERT_EQUAL(lwctl_dump_resource(a, views, err, sizeof(err)), -EBADMSG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no \"listed\""));
	json_decref(a);
	a = load("[]");
	CU_ASSERT_EQUAL(lwctl_dump_resource(a, views, err, sizeof(err)), -EBADMSG);
	json_decref(a);
	a = load("{\"name\":\"nope\",\"found\":0,\"listed\":0}");
	CU_ASSERT_EQUAL(lwctl_dump_resource(a, views, err, sizeof(err)), 0);
	json_decref(a);
	CU_ASSERT_EQUAL(json_array_size(views), 2);
	json_decref(views);
}

/* --- the engine's bounded lockdump step (engine/inspect.c) ------------------------------- */

#define WALK_RES 64u

struct one_site {
	struct lw_site *s;
	struct lw_site_out out;
	uint16_t ls_a, ls_b;
	uint32_t sess;
	uint64_t now;
};

/* One site that masters every bucket, lockspaces "a" and "b", one session. */
static void
one_site_init(struct one_site *o)
{
	static unsigned int seq;
	char name[16];
	uint16_t self = lw_site_id(1, 0);
	struct lw_map map;
	struct lw_site_conf c = {
		.engine = { .name = name, .max_resources = WALK_RES, .max_locks = 64,
			    .max_sessions = 4, .max_lockspaces = 4, .socket_id = -1 },
		.node = 1,
		.max_master_resources = WALK_RES,
		.cache_idle_ns = 1000,
	};

	snprintf(name, sizeof(name), "tlwd%u", seq++);
	memset(o, 0, sizeof(*o));
	CU_ASSERT_EQUAL_FATAL(lw_map_static(&map, 1, &self, 1), 0);
	o->s = lw_site_create(&c, &map);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o->s);
	CU_ASSERT_EQUAL_FATAL(lw_site_out_init(&o->out), 0);
	CU_ASSERT_EQUAL_FATAL(lw_site_ls_open(o->s, "a", 1, &o->ls_a), 0);
	CU_ASSERT_EQUAL_FATAL(lw_site_ls_open(o->s, "b", 1, &o->ls_b), 0);
	CU_ASSERT_EQUAL_FATAL(lw_site_session_open(o->s, &o->sess), 0);
	o->now = 1000;
}

/* Submit one request; returns its lkid (LOCK) or 0, after checking it was taken. */
static uint32_t
one_req(struct one_site *o, int op, uint16_t ls, const char *name, int mode, uint32_t lkid)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = (uint8_t)op;
	r.mode = (int8_t)mode;
	r.lsid = ls;
	r.session = o->sess;
	r.lkid = lkid;
	if (name != NULL) {
		r.namelen = (uint8_t)strlen(name);
		memcpy(r.name, name, r.namelen);
	}
	o->now += 1000;
	lw_site_submit(o->s, &r, 1, o->now, &o->out);
	CU_ASSERT_EQUAL(r.rc, 0);
	o->out.ev.n = 0;
	o->out.msg.n = 0;
	return r.lkid;
}

/* Walk with budget and max; the names found (as "ls:name"), each once, into seen. */
static unsigned int
walk_all(struct one_site *o, uint32_t gid, unsigned int budget, unsigned int max, char *seen,
	 size_t seenlen)
{
	struct lw_res_info *info = calloc(max, sizeof(*info));
	uint64_t pos[16], cur = 0, before;
	unsigned int calls = 0, total = 0;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(info);
	seen[0] = '\0';
	while (cur != LW_WALK_END && calls++ < 10000) {
		before = cur;
		n = lw_site_lockdump(o->s, &cur, gid, budget, info, pos, max);
		CU_ASSERT(n >= 0 && (unsigned int)n <= max);
		CU_ASSERT(cur == LW_WALK_END || (cur > before && cur - before <= budget));
		for (int i = 0; i < n; i++) {
			char one[80];

			CU_ASSERT(pos[i] >= before && (cur == LW_WALK_END || pos[i] < cur));
			CU_ASSERT(i == 0 || pos[i] > pos[i - 1]);
			snprintf(one, sizeof(one), "%s%.*s ", info[i].gid == lw_ls_gid("a", 1) ? "a:" : "b:",
				 info[i].namelen, (const char *)info[i].name);
			strncat(seen, one, seenlen - strlen(seen) - 1);
			total++;
		}
		if (n == (int)max && cur != LW_WALK_END)
			CU_ASSERT_EQUAL(cur, pos[n - 1] + 1);        /* stopped at max */
	}
	free(info);
	return calls;
}

/* a1 (EX), a2 (PR and an EX waiter), b1 (CR); "gone" locked, unlocked, its cached mode released. */
static void
one_site_fill(struct one_site *o)
{
	uint32_t lk;

	one_site_init(o);
	one_req(o, LW_REQ_LOCK, o->ls_a, "a1", LW_LOCK_EX, 0);
	one_req(o, LW_REQ_LOCK, o->ls_a, "a2", LW_LOCK_PR, 0);
	one_req(o, LW_REQ_LOCK, o->ls_a, "a2", LW_LOCK_EX, 0);         /* waits */
	one_req(o, LW_REQ_LOCK, o->ls_b, "b1", LW_LOCK_CR, 0);
	lk = one_req(o, LW_REQ_LOCK, o->ls_a, "gone", LW_LOCK_EX, 0);
	one_req(o, LW_REQ_UNLOCK, 0, NULL, 0, lk);
	o->now += 1000000;
	lw_site_tick(o->s, o->now, &o->out);
	o->out.ev.n = 0;
	o->out.msg.n = 0;
	CU_ASSERT_EQUAL(lw_site_held(o->s, o->ls_a, "gone", 4), LW_LOCK_IV);
}

static void
one_site_fini(struct one_site *o)
{
	CU_ASSERT_EQUAL(lw_site_check(o->s), 0);
	lw_site_free(o->s);
	lw_site_out_fini(&o->out);
}

/* Every resource in use, once, whatever the budget and the page size; none other. */
static void
test_site_lockdump_walk(void)
{
	struct one_site o;
	char seen[512];
	unsigned int calls;

	one_site_fill(&o);
	calls = walk_all(&o, 0, 1000, 16, seen, sizeof(seen));
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(seen, "a:a1 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(seen, "a:a2 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(seen, "b:b1 "));
	CU_ASSERT_PTR_NULL(strstr(seen, "gone"));                   /* resident, in use nowhere */
	CU_ASSERT_EQUAL(strlen(seen), strlen("a:a1 a:a2 b:b1 "));
	calls = walk_all(&o, 0, 5, 1, seen, sizeof(seen));
	CU_ASSERT(calls >= 2 * WALK_RES / 5);                          /* bounded steps */
	CU_ASSERT_EQUAL(strlen(seen), strlen("a:a1 a:a2 b:b1 "));
	walk_all(&o, lw_ls_gid("b", 1), 7, 2, seen, sizeof(seen));     /* one lockspace */
	CU_ASSERT_STRING_EQUAL(seen, "b:b1 ");
	one_site_fini(&o);
}

/* One resource in full; resuming at its position; the end; bad arguments. */
static void
test_site_lockdump_info(void)
{
	struct one_site o;
	struct lw_res_info info[2];
	uint64_t pos[2], cur = 0;

	one_site_fill(&o);
	while (cur != LW_WALK_END &&
	       lw_site_lockdump(o.s, &cur, 0, 1000, info, pos, 1) == 1 &&
	       !(info[0].namelen == 2 && memcmp(info[0].name, "a2", 2) == 0))
		;
	CU_ASSERT_EQUAL_FATAL(info[0].namelen, 2);
	CU_ASSERT_EQUAL(memcmp(info[0].name, "a2", 2), 0);
	CU_ASSERT_EQUAL(info[0].where, LW_RES_SHADOW | LW_RES_MASTER);
	CU_ASSERT_EQUAL(info[0].nlocks, 2);
	CU_ASSERT_EQUAL(info[0].locks[0].state, LW_QS_GRANTED);
	CU_ASSERT_EQUAL(info[0].locks[1].state, LW_QS_WAIT);
	CU_ASSERT_EQUAL(info[0].locks[1].rqmode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(info[0].nholders, 1);
	CU_ASSERT_EQUAL(info[0].holders[0].site, lw_site_id(1, 0));
	cur = pos[0];
	CU_ASSERT_EQUAL(lw_site_lockdump(o.s, &cur, 0, 1, info, pos + 1, 1), 1);
	CU_ASSERT_EQUAL(pos[1], pos[0]);

	cur = LW_WALK_END;
	CU_ASSERT_EQUAL(lw_site_lockdump(o.s, &cur, 0, 10, info, pos, 2), 0);
	CU_ASSERT_EQUAL(cur, LW_WALK_END);
	cur = 5 * WALK_RES;
	CU_ASSERT_EQUAL(lw_site_lockdump(o.s, &cur, 0, 10, info, pos, 2), 0);
	CU_ASSERT_EQUAL(cur, LW_WALK_END);
	cur = 0;
	CU_ASSERT_EQUAL(lw_site_lockdump(o.s, &cur, 0, 0, info, pos, 2), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_lockdump(o.s, &cur, 0, 10, info, pos, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_lockdump(o.s, NULL, 0, 10, info, pos, 2), -EINVAL);
	CU_ASSERT_EQUAL(lw_site_lockdump(o.s, &cur, 0, 10, info, NULL, 2), -EINVAL);
	CU_ASSERT_EQUAL(cur, 0);
	one_site_fini(&o);
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("lwctl_fmt",
		  "telemetry socket path", test_path,
		  "greeting", test_greeting,
		  "reply checks and bad JSON", test_reply,
		  "integers above 2^63", test_big_ints,
		  "ages", test_age,
		  "status line", test_status,
		  "sessions table", test_sessions,
		  "members table", test_members,
		  "generic rendering", test_generic,
		  "JSON output", test_json,
		  NULL);
	lwt_suite("lwctl_dump",
		  "paging through workers", test_dump_paging,
		  "lockdump text", test_dump_text,
		  "lockdump JSON", test_dump_json,
		  "empty table", test_dump_empty,
		  "malformed answers", test_dump_malformed,
		  "resource answers", test_dump_resource,
		  "site lockdump: what a walk finds", test_site_lockdump_walk,
		  "site lockdump: one resource, resume, end", test_site_lockdump_info,
		  NULL);
	return lwt_run();
}
