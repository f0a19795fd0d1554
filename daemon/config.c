/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.c — load and validate the lockwired INI file (see config.h).
 *
 * DESIGN: three passes, each stopping at the first error with one message
 * "<path>: [section] key = value: what is wrong".
 *   1. scan_lines(): a syntax check of every line with its line number.
 *      rte_cfgfile skips lines that are neither "[section]" nor
 *      "key = value" and truncates long names; here such lines are errors.
 *   2. rte_cfgfile_load(), then check_section(): every section and key is
 *      known and appears once (sections are read by index, so a repeated
 *      section is seen).
 *   3. parse_*(): the values, their ranges, and the cross-checks (this node
 *      is a member, no duplicate MAC or IP).
 * Called once at start-up from the main thread; no state outside c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cfgfile.h>

#include "config.h"

#define LINE_MAX_LEN (CFG_NAME_LEN + CFG_VALUE_LEN + 2)

struct ctx {
	const char *path;
	char *err;
	size_t errlen;
};

/* Write "<path>: <message>" into err; returns rc. */
static int __attribute__((format(printf, 3, 4)))
fail(struct ctx *x, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->err == NULL || x->errlen == 0)
		return rc;
	n = snprintf(x->err, x->errlen, "%s: ", x->path);
	if (n < 0 || (size_t)n >= x->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - n, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- pass 1: lines ------------------------------------------------------ */

static char *
strip(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
scan_line(struct ctx *x, unsigned int ln, char *line, char *sect)
{
	char *s, *eq, *key, *val, *end;

	s = strchr(line, ';');
	if (s != NULL)
		*s = '\0';
	s = strip(line);
	if (*s == '\0')
		return 0;
	if (*s == '#')
		return fail(x, -EINVAL, "line %u: comments start with ';', not '#'", ln);
	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != '\0')
			return fail(x, -EINVAL, "line %u: expected '[section]': %.40s", ln, s);
		*end = '\0';
		s = strip(s + 1);
		if (*s == '\0')
			return fail(x, -EINVAL, "line %u: empty section name", ln);
		if (strlen(s) >= CFG_NAME_LEN)
			return fail(x, -EINVAL, "line %u: section name too long", ln);
		strcpy(sect, s);
		return 0;
	}
	eq = strchr(s, '=');
	if (eq == NULL)
		return fail(x, -EINVAL, "line %u: expected 'key = value' or '[section]': %.40s",
			    ln, s);
	*eq = '\0';
	key = strip(s);
	val = strip(eq + 1);
	if (*key == '\0')
		return fail(x, -EINVAL, "line %u: no key before '='", ln);
	if (sect[0] == '\0')
		return fail(x, -EINVAL, "line %u: %.40s: key outside any section", ln, key);
	if (strlen(key) >= CFG_NAME_LEN)
		return fail(x, -EINVAL, "line %u: [%s] key too long", ln, sect);
	if (*val == '\0')
		return fail(x, -EINVAL, "line %u: [%s] %s: empty value", ln, sect, key);
	if (strlen(val) >= CFG_VALUE_LEN)
		return fail(x, -EINVAL, "line %u: [%s] %s: value too long", ln, sect, key);
	return 0;
}

static int
scan_lines(struct ctx *x)
{
	char line[LINE_MAX_LEN + 2];
	char sect[CFG_NAME_LEN] = "";
	unsigned int ln = 0;
	size_t len;
	FILE *f;
	int rc = 0;

	f = fopen(x->path, "r");
	if (f == NULL) {
		rc = -errno;
		return fail(x, rc, "cannot open: %s", strerror(-rc));
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		ln++;
		len = strlen(line);
		if (len > LINE_MAX_LEN && line[len - 1] != '\n')
			rc = fail(x, -EINVAL, "line %u: too long", ln);
		else
			rc = scan_line(x, ln, line, sect);
	}
	if (rc == 0 && ferror(f))
		rc = fail(x, -EIO, "read error");
	fclose(f);
	return rc;
}

/* ---- pass 2: sections and keys ------------------------------------------ */

enum sect { S_CLUSTER, S_NODE, S_MEMBER };

static const char *const cluster_keys[] = { "name", "id", "heartbeat_us", "suspect_us", "lease_us",
	NULL };
static const char *const node_keys[] = { "id", "workers", "udp_base_port", "poll",
	"socket", "max_resources", "max_locks", "max_sessions", "cache_idle_us", "port", NULL };
static const char *const member_keys[] = { "mac", "ip", "workers", "port", NULL };

#define MAX_KEYS 11

/* A section's values by key index of its table; NULL when absent. */
struct section {
	const char *name;
	const char *const *keys;
	const char *val[MAX_KEYS];
};

static int
key_index(const char *const *keys, const char *k)
{
	int i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], k) == 0)
			return i;
	return -1;
}

/* Check the entries of one section against keys; fill s->val. */
static int
check_section(struct ctx *x, struct section *s, const struct rte_cfgfile_entry *ent, int n)
{
	char known[160];
	size_t off = 0;
	int i, k;

	for (i = 0; i < n; i++) {
		k = key_index(s->keys, ent[i].name);
		if (k < 0) {
			for (k = 0; s->keys[k] != NULL; k++)
				off += snprintf(known + off, sizeof(known) - off, "%s%s",
						k ? ", " : "", s->keys[k]);
			return fail(x, -EINVAL, "[%s] %s: unknown key (known: %s)",
				    s->name, ent[i].name, known);
		}
		if (s->val[k] != NULL)
			return fail(x, -EINVAL, "[%s] %s: given twice", s->name, ent[i].name);
		s->val[k] = ent[i].value;
	}
	return 0;
}

/* ---- pass 3: values ----------------------------------------------------- */

static int
parse_u64(struct ctx *x, const struct section *s, int k, uint64_t min, uint64_t max,
	  uint64_t *out)
{
	const char *v = s->val[k];
	uint64_t n = 0;
	const char *p;

	for (p = v; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return fail(x, -EINVAL, "[%s] %s = %s: not a decimal number",
				    s->name, s->keys[k], v);
		if (n > (UINT64_MAX - 9) / 10)
			return fail(x, -EINVAL, "[%s] %s = %s: must be %llu..%llu", s->name,
				    s->keys[k], v, (unsigned long long)min,
				    (unsigned long long)max);
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (n < min || n > max)
		return fail(x, -EINVAL, "[%s] %s = %s: must be %llu..%llu", s->name,
			    s->keys[k], v, (unsigned long long)min, (unsigned long long)max);
	*out = n;
	return 0;
}

/* An optional number: keeps *out when absent. */
static int
opt_u32(struct ctx *x, const struct section *s, const char *key, uint32_t min,
	uint32_t max, uint32_t *out)
{
	int k = key_index(s->keys, key);
	uint64_t n;
	int rc;

	if (s->val[k] == NULL)
		return 0;
	rc = parse_u64(x, s, k, min, max, &n);
	if (rc == 0)
		*out = (uint32_t)n;
	return rc;
}

static int
need(struct ctx *x, const struct section *s, const char *key)
{
	if (s->val[key_index(s->keys, key)] == NULL)
		return fail(x, -EINVAL, "[%s] %s: missing (required)", s->name, key);
	return 0;
}

static int
parse_cluster(struct ctx *x, const struct section *s, struct lw_config *c)
{
	const char *name = s->val[0];
	const char *p;
	int rc;

	rc = need(x, s, "name");
	if (rc == 0)
		rc = need(x, s, "id");
	if (rc != 0)
		return rc;
	if (strlen(name) >= sizeof(c->cluster_name))
		return fail(x, -EINVAL, "[cluster] name = %s: longer than %zu characters",
			    name, sizeof(c->cluster_name) - 1);
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return fail(x, -EINVAL,
				    "[cluster] name = %s: only letters, digits, '.', '_', '-'",
				    name);
	strcpy(c->cluster_name, name);
	c->cluster_id = 0;
	rc = opt_u32(x, s, "id", 1, UINT32_MAX, &c->cluster_id);
	if (rc == 0)
		rc = opt_u32(x, s, "heartbeat_us", LW_CONFIG_MIN_TIMING_US, LW_CONFIG_MAX_TIMING_US,
			     &c->heartbeat_us);
	if (rc == 0)
		rc = opt_u32(x, s, "suspect_us", LW_CONFIG_MIN_TIMING_US, LW_CONFIG_MAX_TIMING_US,
			     &c->suspect_us);
	if (rc == 0)
		rc = opt_u32(x, s, "lease_us", LW_CONFIG_MIN_TIMING_US, LW_CONFIG_MAX_TIMING_US,
			     &c->lease_us);
	if (rc == 0 && c->suspect_us < 2 * c->heartbeat_us)
		rc = fail(x, -EINVAL, "[cluster] suspect_us = %u: must be at least twice "
			  "heartbeat_us (%u)", c->suspect_us, c->heartbeat_us);
	if (rc == 0 && c->lease_us < 2 * c->heartbeat_us)
		rc = fail(x, -EINVAL, "[cluster] lease_us = %u: must be at least twice "
			  "heartbeat_us (%u)", c->lease_us, c->heartbeat_us);
	return rc;
}

/* A DPDK device name (may be absent: dst stays empty). */
static int
port_name(struct ctx *x, const struct section *s, const char *v, char dst[LW_CONFIG_PORT_NAME_LEN])
{
	const char *p;

	if (v == NULL)
		return 0;
	if (v[0] == '\0' || strlen(v) >= LW_CONFIG_PORT_NAME_LEN)
		return fail(x, -EINVAL, "[%s] port = %s: must be 1..%d characters", s->name, v,
			    LW_CONFIG_PORT_NAME_LEN - 1);
	for (p = v; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == ',' || *p == ';')
			return fail(x, -EINVAL, "[%s] port = %s: not a device name", s->name, v);
	strcpy(dst, v);
	return 0;
}

static int
parse_node(struct ctx *x, const struct section *s, struct lw_config *c)
{
	const char *poll = s->val[key_index(node_keys, "poll")];
	const char *sock = s->val[key_index(node_keys, "socket")];
	const char *dev = s->val[key_index(node_keys, "port")];
	uint32_t id = 0, port = c->udp_base_port;
	int rc;

	rc = need(x, s, "id");
	if (rc == 0)
		rc = opt_u32(x, s, "id", 1, LW_CONFIG_MAX_NODES, &id);
	if (rc == 0)
		rc = opt_u32(x, s, "workers", 1, LW_CONFIG_MAX_WORKERS, &c->workers);
	if (rc == 0)
		rc = opt_u32(x, s, "udp_base_port", LW_CONFIG_PORT_MIN, LW_CONFIG_PORT_MAX,
			     &port);
	if (rc == 0)
		rc = opt_u32(x, s, "max_resources", 1, LW_CONFIG_MAX_RESOURCES,
			     &c->max_resources);
	if (rc == 0)
		rc = opt_u32(x, s, "max_locks", 1, LW_CONFIG_MAX_LOCKS, &c->max_locks);
	if (rc == 0)
		rc = opt_u32(x, s, "max_sessions", 1, LW_CONFIG_MAX_SESSIONS,
			     &c->max_sessions);
	if (rc == 0 && s->val[key_index(node_keys, "cache_idle_us")] != NULL)
		rc = parse_u64(x, s, key_index(node_keys, "cache_idle_us"), 0,
			       LW_CONFIG_MAX_CACHE_IDLE_US, &c->cache_idle_us);
	if (rc != 0)
		return rc;
	c->node_id = (uint8_t)id;
	c->udp_base_port = (uint16_t)port;
	if (poll != NULL) {
		if (strcmp(poll, "busy") == 0)
			c->poll = LW_POLL_BUSY;
		else if (strcmp(poll, "adaptive") == 0)
			c->poll = LW_POLL_ADAPTIVE;
		else
			return fail(x, -EINVAL, "[node] poll = %s: must be busy or adaptive",
				    poll);
	}
	if (sock != NULL) {
		if (sock[0] != '/')
			return fail(x, -EINVAL, "[node] socket = %s: must be an absolute path",
				    sock);
		if (strlen(sock) >= sizeof(c->socket_path))
			return fail(x, -EINVAL, "[node] socket = %.40s...: longer than %zu bytes",
				    sock, sizeof(c->socket_path) - 1);
		strcpy(c->socket_path, sock);
	}
	return port_name(x, s, dev, c->port);
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* "aa:bb:cc:dd:ee:ff", exactly. */
static bool
parse_mac(const char *v, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(v) != 17)
		return false;
	for (i = 0; i < 6; i++) {
		hi = hexval(v[3 * i]);
		lo = hexval(v[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && v[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static int
parse_member(struct ctx *x, const struct section *s, unsigned int id, struct lw_config *c)
{
	struct lw_config_node *n = &c->nodes[id - 1];
	static const uint8_t zero[6];
	struct in_addr a;
	unsigned int i;
	int rc;

	rc = need(x, s, "mac");
	if (rc == 0)
		rc = need(x, s, "ip");
	if (rc != 0)
		return rc;
	if (!parse_mac(s->val[0], n->mac))
		return fail(x, -EINVAL, "[%s] mac = %s: expected aa:bb:cc:dd:ee:ff",
			    s->name, s->val[0]);
	if ((n->mac[0] & 1) != 0 || memcmp(n->mac, zero, 6) == 0)
		return fail(x, -EINVAL, "[%s] mac = %s: must be a unicast, nonzero address",
			    s->name, s->val[0]);
	if (inet_pton(AF_INET, s->val[1], &a) != 1)
		return fail(x, -EINVAL, "[%s] ip = %s: expected a dotted IPv4 address (a.b.c.d)",
			    s->name, s->val[1]);
	n->ipv4 = ntohl(a.s_addr);
	rc = opt_u32(x, s, "workers", 1, LW_CONFIG_MAX_WORKERS, &n->workers);
	if (rc == 0)
		rc = port_name(x, s, s->val[key_index(member_keys, "port")], n->port);
	if (rc != 0)
		return rc;
	if (n->ipv4 == 0 || n->ipv4 == UINT32_MAX || (n->ipv4 >> 28) == 0xe)
		return fail(x, -EINVAL, "[%s] ip = %s: must be a unicast address",
			    s->name, s->val[1]);
	for (i = 0; i < LW_CONFIG_MAX_NODES; i++) {
		const struct lw_config_node *o = &c->nodes[i];

		if (!o->present)
			continue;
		if (memcmp(o->mac, n->mac, 6) == 0)
			return fail(x, -EINVAL, "[%s] mac = %s: same address as [node.%u]",
				    s->name, s->val[0], o->id);
		if (o->ipv4 == n->ipv4)
			return fail(x, -EINVAL, "[%s] ip = %s: same address as [node.%u]",
				    s->name, s->val[1], o->id);
	}
	n->id = (uint8_t)id;
	n->present = 1;
	c->nb_nodes++;
	return 0;
}

/* ---- the sections ------------------------------------------------------- */

/* Which section name is this: cluster, node or node.N (*id = N). */
static int
classify(struct ctx *x, const char *name, unsigned int *id)
{
	const char *p;
	unsigned int n = 0;

	if (strcmp(name, "cluster") == 0)
		return S_CLUSTER;
	if (strcmp(name, "node") == 0)
		return S_NODE;
	if (strncmp(name, "node.", 5) == 0) {
		p = name + 5;
		if (*p == '0' || *p == '\0')
			goto bad_id;
		for (; *p != '\0'; p++) {
			if (*p < '0' || *p > '9' || n > LW_CONFIG_MAX_NODES)
				goto bad_id;
			n = n * 10 + (unsigned int)(*p - '0');
		}
		if (n > LW_CONFIG_MAX_NODES)
			goto bad_id;
		*id = n;
		return S_MEMBER;
	}
	return fail(x, -EINVAL, "[%s]: unknown section (known: cluster, node, node.N)", name);
bad_id:
	return fail(x, -EINVAL, "[%s]: N of [node.N] must be 1..255, no leading zero", name);
}

static int
load_sections(struct ctx *x, struct rte_cfgfile *cfg, struct lw_config *c)
{
	struct rte_cfgfile_entry *ent = NULL;
	char name[CFG_NAME_LEN];
	struct section s;
	bool have_cluster = false, have_node = false;
	uint8_t seen[LW_CONFIG_MAX_NODES] = { 0 };
	int nsec, i, n, kind, rc = 0;
	unsigned int id = 0;

	nsec = rte_cfgfile_num_sections(cfg, "", 0);
	for (i = 0; rc == 0 && i < nsec; i++) {
		n = rte_cfgfile_section_num_entries_by_index(cfg, name, i);
		if (n < 0) {
			rc = fail(x, -EINVAL, "cannot read section %d", i);
			break;
		}
		free(ent);
		ent = calloc(n > 0 ? n : 1, sizeof(*ent));
		if (ent == NULL) {
			rc = fail(x, -ENOMEM, "out of memory");
			break;
		}
		n = rte_cfgfile_section_entries_by_index(cfg, i, name, ent, n);
		kind = classify(x, name, &id);
		if (kind < 0) {
			rc = kind;
			break;
		}
		memset(&s, 0, sizeof(s));
		s.name = name;
		s.keys = kind == S_CLUSTER ? cluster_keys :
			 kind == S_NODE ? node_keys : member_keys;
		if ((kind == S_CLUSTER && have_cluster) || (kind == S_NODE && have_node) ||
		    (kind == S_MEMBER && seen[id - 1]))
			rc = fail(x, -EINVAL, "[%s]: section given twice", name);
		if (rc == 0)
			rc = check_section(x, &s, ent, n);
		if (rc != 0)
			break;
		/* s.val points into ent: parse before the next section */
		if (kind == S_CLUSTER) {
			rc = parse_cluster(x, &s, c);
			have_cluster = true;
		} else if (kind == S_NODE) {
			rc = parse_node(x, &s, c);
			have_node = true;
		} else {
			rc = parse_member(x, &s, id, c);
			seen[id - 1] = 1;
		}
	}
	free(ent);
	if (rc != 0)
		return rc;
	if (!have_cluster)
		return fail(x, -EINVAL, "[cluster]: missing section (name, id)");
	if (!have_node)
		return fail(x, -EINVAL, "[node]: missing section (id, ...)");
	if (!c->nodes[c->node_id - 1].present)
		return fail(x, -EINVAL, "[node] id = %u: this node has no [node.%u] section",
			    c->node_id, c->node_id);
	for (id = 0; id < LW_CONFIG_MAX_NODES; id++) {
		struct lw_config_node *m = &c->nodes[id];

		if (!m->present)
			continue;
		if (m->workers == 0)
			m->workers = c->workers;
		else if (m->id == c->node_id && m->workers != c->workers)
			return fail(x, -EINVAL,
				    "[node.%u] workers = %u: this node runs %u ([node] workers)",
				    m->id, m->workers, c->workers);
	}
	return 0;
}

/* ---- API ---------------------------------------------------------------- */

void
lw_config_defaults(struct lw_config *c)
{
	memset(c, 0, sizeof(*c));
	c->workers = LW_CONFIG_DEF_WORKERS;
	c->udp_base_port = LW_CONFIG_DEF_UDP_BASE_PORT;
	c->poll = LW_POLL_BUSY;
	strcpy(c->socket_path, LW_CONFIG_DEF_SOCKET);
	c->max_resources = LW_CONFIG_DEF_RESOURCES;
	c->max_locks = LW_CONFIG_DEF_LOCKS;
	c->max_sessions = LW_CONFIG_DEF_SESSIONS;
	c->cache_idle_us = LW_CONFIG_DEF_CACHE_IDLE_US;
	c->heartbeat_us = LW_CONFIG_DEF_HEARTBEAT_US;
	c->suspect_us = LW_CONFIG_DEF_SUSPECT_US;
	c->lease_us = LW_CONFIG_DEF_LEASE_US;
}

const char *
lw_config_poll_name(enum lw_poll_mode m)
{
	switch (m) {
	case LW_POLL_BUSY:
		return "busy";
	case LW_POLL_ADAPTIVE:
		return "adaptive";
	}
	return "?";
}

int
lw_config_load(const char *path, struct lw_config *c, char *err, size_t errlen)
{
	struct ctx x = { .path = path != NULL ? path : "(null)", .err = err, .errlen = errlen };
	struct rte_cfgfile *cfg;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || c == NULL)
		return fail(&x, -EINVAL, "no path or no config");
	lw_config_defaults(c);
	rc = scan_lines(&x);
	if (rc != 0)
		return rc;
	cfg = rte_cfgfile_load(path, 0);
	if (cfg == NULL)
		return fail(&x, -EINVAL, "cannot parse the file");
	rc = load_sections(&x, cfg, c);
	rte_cfgfile_close(cfg);
	return rc;
}
