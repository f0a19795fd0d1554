/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lwctl.c — daemon/lwctl_fmt.c: the pure half of lwctl. Where the
 * telemetry socket is, the checks of greetings and replies (bad JSON, wrong
 * key, null, integers above 2^63), and the text of status, members, stats
 * and the generic rendering, compared with the exact expected output.
 * Output goes to open_memstream(); no sockets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lwctl_fmt.h"
#include "lwt.h"

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
		  "members table", test_members,
		  "generic rendering", test_generic,
		  "JSON output", test_json,
		  NULL);
	return lwt_run();
}
