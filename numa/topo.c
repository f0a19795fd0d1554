/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * topo.c — discover the topology from EAL and libnuma, or build a fake one
 * from a spec. See topo.h for the spec grammar.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <numa.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_memory.h>

#include "log.h"
#include "topo.h"

RTE_LOG_REGISTER(lw_logtype_numa, lockwire.numa, INFO);

int
lw_topo_socket_index(const struct lw_topo *t, unsigned int socket)
{
	unsigned int i;

	for (i = 0; i < t->nb_sockets; i++)
		if (t->sockets[i].id == socket)
			return (int)i;
	return -ENOENT;
}

/* Add socket id (kept ascending); returns its index or -errno. */
static int
add_socket(struct lw_topo *t, unsigned int socket)
{
	unsigned int i;
	int idx = lw_topo_socket_index(t, socket);

	if (idx >= 0)
		return idx;
	if (socket >= LW_TOPO_MAX_SOCKETS)
		return -ERANGE;
	for (i = t->nb_sockets; i > 0 && t->sockets[i - 1].id > socket; i--)
		t->sockets[i] = t->sockets[i - 1];
	memset(&t->sockets[i], 0, sizeof(t->sockets[i]));
	t->sockets[i].id = socket;
	t->nb_sockets++;
	return (int)i;
}

static bool
has_lcore(const struct lw_topo *t, unsigned int lcore)
{
	unsigned int i, j;

	for (i = 0; i < t->nb_sockets; i++)
		for (j = 0; j < t->sockets[i].nb_lcores; j++)
			if (t->sockets[i].lcores[j] == lcore)
				return true;
	return false;
}

/* Add lcore to socket index si (kept ascending); -EEXIST, -ERANGE. */
static int
add_lcore(struct lw_topo *t, unsigned int si, unsigned int lcore)
{
	struct lw_topo_socket *s = &t->sockets[si];
	unsigned int i;

	if (lcore >= LW_TOPO_MAX_LCORES)
		return -ERANGE;
	if (has_lcore(t, lcore))
		return -EEXIST;
	for (i = s->nb_lcores; i > 0 && s->lcores[i - 1] > lcore; i--)
		s->lcores[i] = s->lcores[i - 1];
	s->lcores[i] = lcore;
	s->nb_lcores++;
	t->nb_lcores++;
	return 0;
}

static int
add_port(struct lw_topo *t, unsigned int port, unsigned int socket)
{
	unsigned int i;

	if (port >= LW_TOPO_MAX_PORTS || t->nb_ports >= LW_TOPO_MAX_PORTS)
		return -ERANGE;
	for (i = 0; i < t->nb_ports; i++)
		if (t->ports[i].id == port)
			return -EEXIST;
	t->ports[t->nb_ports].id = (uint16_t)port;
	t->ports[t->nb_ports].socket = socket;
	t->nb_ports++;
	return 0;
}

/* --- discover ------------------------------------------------------------ */

int
lw_topo_discover(struct lw_topo *t)
{
	unsigned int lcore, socket;
	uint16_t port;
	int rc, si;

	if (t == NULL)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->main_lcore = rte_get_main_lcore();
	RTE_LCORE_FOREACH(lcore) {
		socket = rte_lcore_to_socket_id(lcore);
		if (socket == (unsigned int)SOCKET_ID_ANY)
			socket = 0;
		si = add_socket(t, socket);
		if (si < 0) {
			NUMA_LOG(ERR, "lcore %u: socket %u out of range", lcore, socket);
			return si;
		}
		rc = add_lcore(t, (unsigned int)si, lcore);
		if (rc < 0)
			return rc;
	}
	if (t->nb_lcores == 0 || t->nb_lcores != rte_lcore_count())
		return -ENODEV;

	RTE_ETH_FOREACH_DEV(port) {
		int s = rte_eth_dev_socket_id(port);

		socket = s < 0 ? 0 : (unsigned int)s;
		rc = add_port(t, port, socket);
		if (rc < 0)
			return rc;
	}
	if (t->nb_ports != rte_eth_dev_count_avail())
		NUMA_LOG(WARNING, "%u ports found, EAL counts %u",
			 t->nb_ports, (unsigned int)rte_eth_dev_count_avail());

	if (numa_available() >= 0) {
		t->numa_nodes = numa_max_node() + 1;
		for (si = 0; si < (int)t->nb_sockets; si++)
			if (t->sockets[si].id >= (unsigned int)t->numa_nodes)
				NUMA_LOG(WARNING, "EAL socket %u but libnuma has %d nodes",
					 t->sockets[si].id, t->numa_nodes);
	}
	NUMA_LOG(DEBUG, "%u sockets, %u lcores, %u ports, main lcore %u",
		 t->nb_sockets, t->nb_lcores, t->nb_ports, t->main_lcore);
	return 0;
}

/* --- fake ---------------------------------------------------------------- */

/* Parse a decimal number <= max at *s (digits only); advances *s. */
static int
parse_uint(const char **s, unsigned int max, unsigned int *out)
{
	const char *p = *s;
	unsigned long v = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -EINVAL;
		p++;
	}
	*s = p;
	*out = (unsigned int)v;
	return 0;
}

/* "SxL" up to the end of the group; *s is left at ';' or NUL. */
static int
parse_grid(struct lw_topo *t, const char **s)
{
	unsigned int ns, nl, i, j;
	int si;

	if (parse_uint(s, LW_TOPO_MAX_SOCKETS, &ns) < 0 || **s != 'x')
		return -EINVAL;
	(*s)++;
	if (parse_uint(s, LW_TOPO_MAX_LCORES, &nl) < 0)
		return -EINVAL;
	if (ns == 0 || nl == 0 || ns * nl > LW_TOPO_MAX_LCORES)
		return -EINVAL;
	if (**s != ';' && **s != '\0')
		return -EINVAL;
	for (i = 0; i < ns; i++) {
		si = add_socket(t, i);
		if (si < 0)
			return -EINVAL;
		for (j = 0; j < nl; j++)
			if (add_lcore(t, (unsigned int)si, i * nl + j) < 0)
				return -EINVAL;
	}
	return 0;
}

/* "id:l,l,..." one socket group; *s is left at ';' or NUL. */
static int
parse_socket(struct lw_topo *t, const char **s)
{
	unsigned int id, lcore;
	int si;

	if (parse_uint(s, LW_TOPO_MAX_SOCKETS - 1, &id) < 0 || **s != ':')
		return -EINVAL;
	(*s)++;
	if (lw_topo_socket_index(t, id) >= 0)
		return -EINVAL;   /* socket listed twice */
	si = add_socket(t, id);
	if (si < 0)
		return -EINVAL;
	for (;;) {
		if (parse_uint(s, LW_TOPO_MAX_LCORES - 1, &lcore) < 0 ||
		    add_lcore(t, (unsigned int)si, lcore) < 0)
			return -EINVAL;
		if (**s != ',')
			break;
		(*s)++;
	}
	return (**s == ';' || **s == '\0') ? 0 : -EINVAL;
}

/* "pP=S,pP=S" to the end of the spec. */
static int
parse_ports(struct lw_topo *t, const char *s)
{
	unsigned int port, socket;

	for (;;) {
		if (*s++ != 'p' || parse_uint(&s, LW_TOPO_MAX_PORTS - 1, &port) < 0 ||
		    *s++ != '=' || parse_uint(&s, LW_TOPO_MAX_SOCKETS - 1, &socket) < 0)
			return -EINVAL;
		if (lw_topo_socket_index(t, socket) < 0 || add_port(t, port, socket) < 0)
			return -EINVAL;
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			return -EINVAL;
	}
}

static int
parse_spec(struct lw_topo *t, const char *s)
{
	const char *grid = s;
	int rc;

	while (*grid >= '0' && *grid <= '9')
		grid++;
	if (*grid == 'x') {
		rc = parse_grid(t, &s);
	} else {
		for (;;) {
			rc = parse_socket(t, &s);
			if (rc < 0 || *s == '\0' || s[1] == 'p')
				break;
			s++;     /* ';' then the next socket group */
		}
	}
	if (rc < 0)
		return rc;
	if (*s == '\0')
		return 0;
	return parse_ports(t, s + 1);   /* skip ';' */
}

int
lw_topo_fake(struct lw_topo *t, const char *spec)
{
	unsigned int i;
	int rc;

	if (t == NULL)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	if (spec == NULL)
		return -EINVAL;
	rc = parse_spec(t, spec);
	if (rc < 0 || t->nb_sockets == 0) {
		memset(t, 0, sizeof(*t));
		return -EINVAL;
	}
	t->main_lcore = LW_TOPO_MAX_LCORES;
	for (i = 0; i < t->nb_sockets; i++)
		if (t->sockets[i].lcores[0] < t->main_lcore)
			t->main_lcore = t->sockets[i].lcores[0];
	return 0;
}
