/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config.c — daemon/config.c: the lockwired INI loader. A valid file,
 * the defaults, the shipped examples, and every kind of bad file with the
 * errno and the key its message must name. Files go to a mkdtemp directory
 * under /tmp, removed at the end.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ip.h>

#include "config.h"
#include "engine.h"
#include "lwt.h"

/* a.b.c.d in host order (DPDK 22.11's RTE_IPV4 shifts an int: UB for a >= 128) */
static uint32_t
ip4(unsigned int a, unsigned int b, unsigned int c, unsigned int d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

static_assert(LW_CONFIG_MAX_LOCKS == LW_ENGINE_MAX_LOCKS, "config and engine lock limits differ");
static_assert(LW_CONFIG_MAX_WORKERS == LW_ENGINE_MAX_WORKERS, "config and engine worker limits differ");

static char tmpdir[] = "/tmp/lwt_config.XXXXXX";
static char path[PATH_MAX];
static char err[512];
static struct lw_config cfg;   /* large: off the stack */

#define CLUSTER "[cluster]\nname = lab\nid = 42\n"
#define MEMBERS "[node.1]\nmac = 02:00:00:00:00:01\nip = 10.77.0.1\n" \
		"[node.2]\nmac = 02:00:00:00:00:02\nip = 10.77.0.2\n"
#define NODE "[node]\nid = 1\n"

/* Write text to <tmpdir>/config.ini; path holds its name. */
static void
put(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.ini", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static int
load(const char *text)
{
	put(text);
	memset(err, 0, sizeof(err));
	return lw_config_load(path, &cfg, err, sizeof(err));
}

static void
test_valid(void)
{
	int rc = load("; a full file\n"
		      "[cluster]\n name = lab-1.a_b \nid=4294967295\n\n"
		      "[node]\nid = 3\nworkers = 32\nudp_base_port = 65503\npoll = adaptive\n"
		      "socket = /tmp/lw.sock   ; inline comment\nmax_resources = 1000\n"
		      "max_locks = 1048576\nmax_sessions = 7\ncache_idle_us = 250\n"
		      "[node.3]\nmac = AA:bb:cc:dd:ee:0F\nip = 192.168.1.3\n"
		      "[node.255]\nmac = 02:00:00:00:00:ff\nip = 192.168.1.255\n"
		      "[node.1]\nmac = 02:00:00:00:00:01\nip = 10.0.0.1\n");

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_STRING_EQUAL(cfg.cluster_name, "lab-1.a_b");
	CU_ASSERT_EQUAL(cfg.cluster_id, 4294967295u);
	CU_ASSERT_EQUAL(cfg.node_id, 3);
	CU_ASSERT_EQUAL(cfg.workers, 32);
	CU_ASSERT_EQUAL(cfg.udp_base_port, 65503);
	CU_ASSERT_EQUAL(cfg.poll, LW_POLL_ADAPTIVE);
	CU_ASSERT_STRING_EQUAL(lw_config_poll_name(cfg.poll), "adaptive");
	CU_ASSERT_STRING_EQUAL(cfg.socket_path, "/tmp/lw.sock");
	CU_ASSERT_EQUAL(cfg.max_resources, 1000);
	CU_ASSERT_EQUAL(cfg.max_locks, 1048576);
	CU_ASSERT_EQUAL(cfg.max_sessions, 7);
	CU_ASSERT_EQUAL(cfg.cache_idle_us, 250);
	CU_ASSERT_EQUAL(cfg.nb_nodes, 3);
	for (unsigned int i = 0; i < LW_CONFIG_MAX_NODES; i++) {
		unsigned int id = i + 1;
		int want = id == 1 || id == 3 || id == 255;

		CU_ASSERT_EQUAL(cfg.nodes[i].present, want);
		if (want)
			CU_ASSERT_EQUAL(cfg.nodes[i].id, id);
	}
	const uint8_t mac3[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f };
	const uint8_t mac255[6] = { 0x02, 0, 0, 0, 0, 0xff };
	CU_ASSERT_EQUAL(memcmp(cfg.nodes[2].mac, mac3, 6), 0);
	CU_ASSERT_EQUAL(memcmp(cfg.nodes[254].mac, mac255, 6), 0);
	CU_ASSERT_EQUAL(cfg.nodes[2].ipv4, ip4(192, 168, 1, 3));
	CU_ASSERT_EQUAL(cfg.nodes[254].ipv4, ip4(192, 168, 1, 255));
	CU_ASSERT_EQUAL(cfg.nodes[0].ipv4, ip4(10, 0, 0, 1));
}

static void
check_defaults(const struct lw_config *c)
{
	CU_ASSERT_EQUAL(c->workers, LW_CONFIG_DEF_WORKERS);
	CU_ASSERT_EQUAL(c->udp_base_port, LW_CONFIG_DEF_UDP_BASE_PORT);
	CU_ASSERT_EQUAL(c->poll, LW_POLL_BUSY);
	CU_ASSERT_STRING_EQUAL(c->socket_path, LW_CONFIG_DEF_SOCKET);
	CU_ASSERT_EQUAL(c->max_resources, LW_CONFIG_DEF_RESOURCES);
	CU_ASSERT_EQUAL(c->max_locks, LW_CONFIG_DEF_LOCKS);
	CU_ASSERT_EQUAL(c->max_sessions, LW_CONFIG_DEF_SESSIONS);
	CU_ASSERT_EQUAL(c->cache_idle_us, LW_CONFIG_DEF_CACHE_IDLE_US);
}

static void
test_defaults(void)
{
	lw_config_defaults(&cfg);
	check_defaults(&cfg);
	CU_ASSERT_EQUAL(cfg.cluster_id, 0);
	CU_ASSERT_EQUAL(cfg.nb_nodes, 0);
	CU_ASSERT_STRING_EQUAL(lw_config_poll_name(LW_POLL_BUSY), "busy");

	CU_ASSERT_EQUAL_FATAL(load(CLUSTER NODE MEMBERS), 0);
	check_defaults(&cfg);
	CU_ASSERT_STRING_EQUAL(cfg.cluster_name, "lab");
	CU_ASSERT_EQUAL(cfg.cluster_id, 42);
	CU_ASSERT_EQUAL(cfg.node_id, 1);
	CU_ASSERT_EQUAL(cfg.nb_nodes, 2);
}

static void
test_examples(void)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/node1.ini", LW_DAEMON_EXAMPLES);
	CU_ASSERT_EQUAL_FATAL(lw_config_load(p, &cfg, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.cluster_name, "lab");
	CU_ASSERT_EQUAL(cfg.node_id, 1);
	CU_ASSERT_EQUAL(cfg.workers, 4);
	CU_ASSERT_EQUAL(cfg.poll, LW_POLL_ADAPTIVE);
	CU_ASSERT_EQUAL(cfg.nb_nodes, 3);
	CU_ASSERT_EQUAL(cfg.nodes[2].ipv4, ip4(10, 77, 0, 3));

	snprintf(p, sizeof(p), "%s/node2.ini", LW_DAEMON_EXAMPLES);
	CU_ASSERT_EQUAL_FATAL(lw_config_load(p, &cfg, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cfg.node_id, 2);
	CU_ASSERT_EQUAL(cfg.nb_nodes, 3);
	check_defaults(&cfg);
}

/* load(text) fails with rc and err names the file and each of the words. */
static void
bad(const char *text, int rc, const char *w1, const char *w2)
{
	int got = load(text);

	CU_ASSERT_EQUAL(got, rc);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "config.ini: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, w1));
	if (w2 != NULL)
		CU_ASSERT_PTR_NOT_NULL(strstr(err, w2));
	if (getenv("LWT_VERBOSE") != NULL)
		fprintf(stderr, "  %s\n", err);
	if (got != rc || strstr(err, w1) == NULL || (w2 != NULL && strstr(err, w2) == NULL))
		fprintf(stderr, "\n  got %d \"%s\" (want %d, \"%s\")\n", got, err, rc, w1);
}

static void
test_missing_file(void)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/nonexistent.ini", tmpdir);
	CU_ASSERT_EQUAL(lw_config_load(p, &cfg, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nonexistent.ini"));
	/* no room for a message is fine */
	CU_ASSERT_EQUAL(lw_config_load(p, &cfg, NULL, 0), -ENOENT);
	CU_ASSERT_EQUAL(lw_config_load(NULL, &cfg, err, sizeof(err)), -EINVAL);
}

static void
test_missing(void)
{
	bad("[cluster]\nname = lab\n" NODE MEMBERS, -EINVAL, "[cluster] id", "missing");
	bad("[cluster]\nid = 1\n" NODE MEMBERS, -EINVAL, "[cluster] name", "missing");
	bad(CLUSTER "[node]\nworkers = 2\n" MEMBERS, -EINVAL, "[node] id", "missing");
	bad(CLUSTER NODE "[node.1]\nip = 10.0.0.1\n", -EINVAL, "[node.1] mac", "missing");
	bad(CLUSTER NODE "[node.1]\nmac = 02:00:00:00:00:01\n", -EINVAL, "[node.1] ip", NULL);
	bad(NODE MEMBERS, -EINVAL, "[cluster]", "missing");
	bad(CLUSTER MEMBERS, -EINVAL, "[node]", "missing");
	bad(CLUSTER NODE MEMBERS "[node.3]\nmac =\n", -EINVAL, "[node.3] mac", "empty");
}

static void
test_bad_number(void)
{
	bad(CLUSTER "[node]\nid = 1\nworkers = four\n" MEMBERS, -EINVAL,
	    "[node] workers = four", "number");
	bad(CLUSTER "[node]\nid = 1\nworkers = -1\n" MEMBERS, -EINVAL, "[node] workers", NULL);
	bad(CLUSTER "[node]\nid = 1\nworkers = 0x4\n" MEMBERS, -EINVAL, "[node] workers", NULL);
	bad(CLUSTER "[node]\nid = 1\nmax_locks = 12 k\n" MEMBERS, -EINVAL, "[node] max_locks", NULL);
	bad("[cluster]\nname = lab\nid = 99999999999999999999999\n" NODE MEMBERS, -EINVAL,
	    "[cluster] id", NULL);
}

static void
test_range(void)
{
	bad(CLUSTER "[node]\nid = 1\nworkers = 99\n" MEMBERS, -EINVAL,
	    "config.ini: [node] workers = 99: must be 1..32", NULL);
	bad(CLUSTER "[node]\nid = 1\nworkers = 0\n" MEMBERS, -EINVAL, "[node] workers = 0", "1..32");
	bad("[cluster]\nname = lab\nid = 0\n" NODE MEMBERS, -EINVAL, "[cluster] id = 0", NULL);
	bad("[cluster]\nname = lab\nid = 4294967296\n" NODE MEMBERS, -EINVAL, "[cluster] id", NULL);
	bad(CLUSTER "[node]\nid = 256\n" MEMBERS, -EINVAL, "[node] id = 256", "1..255");
	bad(CLUSTER "[node]\nid = 0\n" MEMBERS, -EINVAL, "[node] id = 0", NULL);
	bad(CLUSTER "[node]\nid = 1\nudp_base_port = 1023\n" MEMBERS, -EINVAL,
	    "[node] udp_base_port = 1023", NULL);
	bad(CLUSTER "[node]\nid = 1\nudp_base_port = 65504\n" MEMBERS, -EINVAL,
	    "[node] udp_base_port", NULL);
	bad(CLUSTER "[node]\nid = 1\nmax_locks = 1048577\n" MEMBERS, -EINVAL,
	    "[node] max_locks", NULL);
	bad(CLUSTER "[node]\nid = 1\nmax_sessions = 0\n" MEMBERS, -EINVAL,
	    "[node] max_sessions", NULL);
	bad(CLUSTER "[node]\nid = 1\npoll = lazy\n" MEMBERS, -EINVAL, "[node] poll = lazy", NULL);
	bad(CLUSTER "[node]\nid = 1\nsocket = rel/path\n" MEMBERS, -EINVAL, "[node] socket", NULL);
	bad(CLUSTER "[node]\nid = 1\nsocket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" MEMBERS, -EINVAL,
	    "[node] socket", "107");
	bad("[cluster]\nname = my lab\nid = 1\n" NODE MEMBERS, -EINVAL, "[cluster] name", NULL);
}

static void
test_bad_mac(void)
{
	static const char *const macs[] = { "02:00:00:00:00", "02:00:00:00:00:0g",
		"02-00-00-00-00-01", "02:00:00:00:00:001", "01:00:5e:00:00:01",
		"00:00:00:00:00:00", "2:0:0:0:0:1" };
	char text[512];

	for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		snprintf(text, sizeof(text), CLUSTER NODE "[node.1]\nmac = %s\nip = 10.0.0.1\n",
			 macs[i]);
		bad(text, -EINVAL, "[node.1] mac", macs[i]);
	}
}

static void
test_bad_ip(void)
{
	static const char *const ips[] = { "10.0.0", "10.0.0.256", "10.0.0.1.2", "10.0.0.x",
		"010.0.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.1", "::1" };
	char text[512];

	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		snprintf(text, sizeof(text),
			 CLUSTER NODE "[node.1]\nmac = 02:00:00:00:00:01\nip = %s\n", ips[i]);
		bad(text, -EINVAL, "[node.1] ip", ips[i]);
	}
}

static void
test_unknown(void)
{
	bad(CLUSTER "[node]\nid = 1\nwokers = 4\n" MEMBERS, -EINVAL, "[node] wokers", "unknown key");
	bad(CLUSTER "[node]\nid = 1\nWorkers = 4\n" MEMBERS, -EINVAL, "Workers", "unknown key");
	bad(CLUSTER NODE MEMBERS "[node.2]\n", -EINVAL, "[node.2]", "twice");
	bad(CLUSTER NODE MEMBERS "[nodes]\nid = 1\n", -EINVAL, "[nodes]", "unknown section");
	bad(CLUSTER NODE MEMBERS "[node.0]\n", -EINVAL, "[node.0]", NULL);
	bad(CLUSTER NODE MEMBERS "[node.256]\n", -EINVAL, "[node.256]", NULL);
	bad(CLUSTER NODE MEMBERS "[node.01]\n", -EINVAL, "[node.01]", NULL);
	bad(CLUSTER NODE MEMBERS "[Cluster]\n", -EINVAL, "[Cluster]", "unknown section");
	bad("[cluster]\nname = lab\nid = 1\nid = 2\n" NODE MEMBERS, -EINVAL, "[cluster] id", "twice");
	bad(CLUSTER NODE MEMBERS CLUSTER, -EINVAL, "[cluster]", "twice");
	/* lines rte_cfgfile would skip or misread */
	bad(CLUSTER "[node]\nid = 1\nworkers 4\n" MEMBERS, -EINVAL, "line 6", "workers 4");
	bad(CLUSTER NODE "# a comment\n" MEMBERS, -EINVAL, "line 6", "';'");
	bad("id = 1\n" CLUSTER NODE MEMBERS, -EINVAL, "line 1", "id");
	bad(CLUSTER "[node\nid = 1\n" MEMBERS, -EINVAL, "line 4", NULL);
}

static void
test_not_listed(void)
{
	bad(CLUSTER "[node]\nid = 3\n" MEMBERS, -EINVAL, "[node] id = 3", "[node.3]");
	bad(CLUSTER NODE, -EINVAL, "[node] id = 1", "[node.1]");
}

static void
test_duplicate(void)
{
	bad(CLUSTER NODE MEMBERS "[node.3]\nmac = 02:00:00:00:00:03\nip = 10.77.0.1\n",
	    -EINVAL, "[node.3] ip = 10.77.0.1", "[node.1]");
	bad(CLUSTER NODE MEMBERS "[node.3]\nmac = 02:00:00:00:00:02\nip = 10.77.0.3\n",
	    -EINVAL, "[node.3] mac = 02:00:00:00:00:02", "[node.2]");
	bad(CLUSTER NODE MEMBERS "[node.3]\nmac = 02:00:00:00:00:03\nip = 10.77.0.3\n"
	    "[node.3]\nmac = 02:00:00:00:00:04\nip = 10.77.0.4\n", -EINVAL, "[node.3]", "twice");
}

static void
test_ports_workers(void)
{
	int rc = load(CLUSTER "[node]\nid = 1\nworkers = 2\nport = net_tap0\n"
		      "[node.1]\nmac = 02:00:00:00:00:01\nip = 10.77.0.1\n"
		      "[node.2]\nmac = 02:00:00:00:00:02\nip = 10.77.0.2\nworkers = 4\n"
		      "port = net_memif2\n"
		      "[node.3]\nmac = 02:00:00:00:00:03\nip = 10.77.0.3\n");

	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(cfg.port, "net_tap0");
	CU_ASSERT_STRING_EQUAL(cfg.nodes[0].port, "");
	CU_ASSERT_STRING_EQUAL(cfg.nodes[1].port, "net_memif2");
	CU_ASSERT_STRING_EQUAL(cfg.nodes[2].port, "");
	CU_ASSERT_EQUAL(cfg.nodes[0].workers, 2);   /* this node: [node] workers */
	CU_ASSERT_EQUAL(cfg.nodes[1].workers, 4);
	CU_ASSERT_EQUAL(cfg.nodes[2].workers, 2);   /* default: as this node */
	rc = load(CLUSTER NODE MEMBERS);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(cfg.port, "");
	bad(CLUSTER "[node]\nid = 1\nport = a b\n" MEMBERS, -EINVAL, "[node] port = a b",
	    "device name");
	bad(CLUSTER "[node]\nid = 1\nport =\n" MEMBERS, -EINVAL, "[node] port", "empty value");
	bad(CLUSTER NODE MEMBERS "[node.3]\nmac = 02:00:00:00:00:03\nip = 10.77.0.3\n"
	    "workers = 33\n", -EINVAL, "[node.3] workers = 33", "1..32");
	bad(CLUSTER "[node]\nid = 1\nworkers = 2\n"
	    "[node.1]\nmac = 02:00:00:00:00:01\nip = 10.77.0.1\nworkers = 3\n",
	    -EINVAL, "[node.1] workers = 3", "this node runs 2");
}

int
main(int argc, char **argv)
{
	int rc;

	(void)argc;
	lwt_eal_init(argv[0]);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	lwt_suite("config",
		  "valid file", test_valid,
		  "defaults", test_defaults,
		  "examples load", test_examples,
		  "missing file", test_missing_file,
		  "missing key", test_missing,
		  "bad number", test_bad_number,
		  "out of range", test_range,
		  "bad mac", test_bad_mac,
		  "bad ip", test_bad_ip,
		  "unknown key or section, bad lines", test_unknown,
		  "this node not listed", test_not_listed,
		  "duplicate ip, mac, section", test_duplicate,
		  "ports and member workers", test_ports_workers,
		  NULL);
	rc = lwt_run();
	unlink(path);
	rmdir(tmpdir);
	return rc;
}
