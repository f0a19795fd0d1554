/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lw_bench_tel.c — lw-bench reads each node's /lockwire/stats over DPDK
 * telemetry, before and after the measured time, for msgs_per_op and
 * local_grant_ratio.
 *
 * DESIGN
 * lockwired links "<client socket>.telemetry" to its telemetry socket
 * (SOCK_SEQPACKET, telemetry v2): the server greets with a JSON object
 * holding max_output_len, then answers "/lockwire/stats" with one message
 * {"/lockwire/stats": {...}}. One connection per read, 2 s at most.
 * Messages = the sum of the per-type counters "tx_<TYPE>" (REQUEST, GRANT,
 * BAST, DOWNGRADE ... : protocol messages a worker sent to another site,
 * on the wire or on a ring; a site's messages to itself are not counted);
 * grants = local_grants (no message needed) + remote_grants.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "lw_bench.h"

#define TEL_SUFFIX   ".telemetry"
#define TEL_TIMEOUT  2000
#define TEL_CMD      "/lockwire/stats"

static int
tel_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s%s", sock, TEL_SUFFIX) >=
	    (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* One message into buf (NUL-terminated). @return its length or -errno. */
static ssize_t
tel_recv(int fd, char *buf, size_t cap)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;
	int rc;

	do
		rc = poll(&pfd, 1, TEL_TIMEOUT);
	while (rc < 0 && errno == EINTR);
	if (rc <= 0)
		return rc == 0 ? -ETIMEDOUT : -errno;
	n = recv(fd, buf, cap - 1, 0);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : -errno;
	buf[n] = '\0';
	return n;
}

static uint64_t
u64_of(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) > 0 ?
	       (uint64_t)json_integer_value(v) : 0;
}

/* The counters out of the reply's value. */
static int
take_stats(const json_t *stats, struct lwb_node_stats *st)
{
	const char *key;
	json_t *v;

	if (!json_is_object(stats))
		return -EPROTO;
	json_object_foreach((json_t *)stats, key, v) {
		if (strncmp(key, "tx_", 3) == 0 && isupper((unsigned char)key[3]))
			st->msgs += u64_of(v);
	}
	st->local_grants = u64_of(json_object_get(stats, "local_grants"));
	st->remote_grants = u64_of(json_object_get(stats, "remote_grants"));
	st->ok = json_object_get(stats, "local_grants") != NULL;
	return st->ok ? 0 : -EPROTO;
}

/* Ask, and parse the answer in buf. */
static int
tel_ask(int fd, char *buf, size_t cap, struct lwb_node_stats *st)
{
	json_t *root, *stats;
	ssize_t n;
	int rc;

	if (send(fd, TEL_CMD, strlen(TEL_CMD), MSG_NOSIGNAL) != (ssize_t)strlen(TEL_CMD))
		return -errno;
	n = tel_recv(fd, buf, cap);
	if (n < 0)
		return (int)n;
	root = json_loadb(buf, (size_t)n, 0, NULL);
	if (root == NULL)
		return -EPROTO;
	stats = json_object_get(root, TEL_CMD);
	rc = take_stats(stats, st);
	json_decref(root);
	return rc;
}

int
lwb_node_stats(const char *sock, struct lwb_node_stats *st)
{
	size_t cap = 4096;
	char *buf = NULL;
	json_t *greet;
	ssize_t n;
	int fd, rc;

	memset(st, 0, sizeof(*st));
	fd = tel_connect(sock);
	if (fd < 0)
		return fd;
	buf = malloc(cap);
	rc = buf == NULL ? -ENOMEM : 0;
	n = rc == 0 ? tel_recv(fd, buf, cap) : rc;
	if (n < 0)
		rc = (int)n;
	if (rc == 0) {
		greet = json_loadb(buf, (size_t)n, 0, NULL);
		if (json_is_integer(json_object_get(greet, "max_output_len")))
			cap = (size_t)json_integer_value(json_object_get(greet, "max_output_len"));
		json_decref(greet);
		cap = (cap < 16384 ? 16384 : cap) + 64;
		free(buf);
		buf = malloc(cap);
		rc = buf == NULL ? -ENOMEM : tel_ask(fd, buf, cap, st);
	}
	free(buf);
	close(fd);
	return rc;
}

void
lwb_stats_delta(const struct lwb_node_stats *before, const struct lwb_node_stats *after,
		unsigned int n, struct lwb_result *r)
{
	uint64_t msgs = 0, local = 0, remote = 0;
	unsigned int i;

	r->msgs_per_op = -1;
	r->local_grant_ratio = -1;
	for (i = 0; i < n; i++) {
		if (!before[i].ok || !after[i].ok)
			return;
		msgs += after[i].msgs - before[i].msgs;
		local += after[i].local_grants - before[i].local_grants;
		remote += after[i].remote_grants - before[i].remote_grants;
	}
	if (r->ops > 0)
		r->msgs_per_op = (double)msgs / (double)r->ops;
	if (local + remote > 0)
		r->local_grant_ratio = (double)local / (double)(local + remote);
}
