/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control.c — lockwired's control loop (main lcore) and client socket.
 *
 * DESIGN
 * Membership runs here (view.c, recovery/membership.h): each round feeds
 * the membership protocol its messages and the time, publishes views and
 * the lease to the workers. A member is "up" while it is in the installed
 * view; all_up (every configured node in the view) starts the built-in
 * driver. Every hb_interval the loop also asks worker 0 to send a
 * HEARTBEAT frame to every peer (data-plane liveness, counted per node).
 *
 * The client socket (a Unix SOCK_SEQPACKET socket at [node] socket) is
 * bound at start so that the path is claimed: a path held by a live process
 * is an error (exit 4), a stale socket file is replaced. Client sessions
 * over it are served by session.c, once per round.
 *
 * Between rounds the loop waits in ppoll on the client socket and the
 * sessions' sockets, so a connecting or departing client wakes it at once.
 * It waits 1 ms while anything is moving (a view change, a node joining
 * or suspected, a session being set up or torn down, a leave), and up to
 * CTL_IDLE_NS (never past the next heartbeat or membership deadline) while
 * the cluster is settled. Each wake-up preempts a worker (this thread runs
 * SCHED_RR) and costs tens of microseconds of kernel time on a VM: at 1 ms
 * rounds that was ~18% of a core per daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "node.h"

#define CTL_TICK_NS 1000000u     /* round while something is moving */
#define CTL_IDLE_NS 5000000u     /* longest wait while settled */

static uint64_t tsc0;
static uint64_t ns_per_tsc_q32;   /* ns per TSC tick, 32.32 fixed point */

void
lw_clock_init(void)
{
	uint64_t hz = rte_get_tsc_hz();

	tsc0 = rte_rdtsc();
	ns_per_tsc_q32 = (uint64_t)(((unsigned __int128)1000000000u << 32) / (hz ? hz : 1));
}

uint64_t
lw_now_ns(void)
{
	return (uint64_t)(((unsigned __int128)(rte_rdtsc() - tsc0) * ns_per_tsc_q32) >> 32);
}

int
lw_control_listen(struct lw_node *n)
{
	struct sockaddr_un a;
	struct stat sb;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path, n->cfg.socket_path);
	if (lstat(a.sun_path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			LW_LOG(ERR, "socket path %s exists and is not a socket", a.sun_path);
			return -EEXIST;
		}
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(fd);
			LW_LOG(ERR, "socket path %s is in use by a running process "
			       "(another lockwired?)", a.sun_path);
			return -EADDRINUSE;
		}
		close(fd);
		LW_LOG(INFO, "removing stale socket %s", a.sun_path);
		unlink(a.sun_path);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0) {
		int e = errno;

		close(fd);
		LW_LOG(ERR, "cannot listen on %s: %s", a.sun_path, strerror(e));
		return e == EADDRINUSE ? -EADDRINUSE : -e;
	}
	n->listen_fd = fd;
	return 0;
}

void
lw_control_close(struct lw_node *n)
{
	if (n->listen_fd >= 0) {
		close(n->listen_fd);
		unlink(n->cfg.socket_path);
		n->listen_fd = -1;
	}
	if (n->telemetry_link[0] != '\0')
		unlink(n->telemetry_link);
}

/*
 * Who is up: a member of the installed view (heartbeat frames are counted
 * too). @return true when membership is settled: a view installed and no
 * newer one seen, every member of it heard, no node outside it heard (one
 * would be joining).
 */
static bool
members_update(struct lw_node *n, uint64_t now)
{
	const struct lw_ms_info *mi = &n->msi;
	unsigned int id, i, up = 0, all = 0;
	bool settled;

	lw_ms_info(n->ms, &n->msi);	/* the telemetry thread reads this copy */
	settled = mi->phase == LW_MS_PHASE_INSTALLED && mi->max_epoch == mi->epoch;

	for (id = 1; id < LW_PIO_MAX_NODES; id++) {
		struct lw_member *m = &n->members[id];
		uint64_t rx = 0, last = 0;
		uint8_t was = m->up;

		if (!m->present)
			continue;
		all++;
		if (id == n->cfg.node_id) {
			m->up = 1;
			up++;
			continue;
		}
		for (i = 0; i < n->nworkers; i++) {
			const struct lw_wio_stats *s = lw_wio_stats(n->workers[i]->wio);

			rx += s->heartbeats_rx[id];
			last = RTE_MAX(last, s->heartbeat_ns[id]);
		}
		m->hb_rx = rx;
		m->last_hb_ns = last;
		m->up = mi->node[id].state == LW_MS_NODE_MEMBER;
		if (m->up)
			up++;
		if (lw_ms_has(mi->members, id) ? !m->up : mi->node[id].state == LW_MS_NODE_ALIVE)
			settled = false;
		if (m->up != was)
			LW_LOG(NOTICE, "node %u is %s", id, m->up ? "up" : "unreachable");
	}
	(void)now;
	(void)all;
	n->members_up = up;
	return settled;
}

/*
 * The control thread renews the lease: starved by busy workers on a shared
 * machine for a lease's length, the node would fence itself though nothing
 * failed. A real-time priority (it waits 1 to 5 ms between rounds, so it takes
 * little) keeps it on time; without the right to it, say so and go on.
 */
static void
control_priority(void)
{
	struct sched_param sp = { .sched_priority = 1 };
	int rc = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);

	if (rc != 0)
		LW_LOG(WARNING, "control thread keeps its normal priority (%s): on a busy "
		       "machine, set [cluster] lease_us with room for scheduling delays",
		       strerror(rc));
}

void
lw_control_loop(struct lw_node *n)
{
	uint64_t next_hb = 0, wait;
	bool moving, sessions_moving = false;

	control_priority();

	while (!n->stop) {
		uint64_t now = lw_now_ns(), dl;

		if (now >= next_hb) {
			n->workers[0]->hb_want++;
			n->hb_tx++;
			next_hb = now + n->hb_interval_ns;
		}
		lw_view_poll(n, now);
		moving = !members_update(n, now) || n->stop_req || sessions_moving;
		if (n->stop_req && lw_view_leave(n, now))
			n->stop = 1;
		wait = CTL_TICK_NS;
		if (!moving) {
			dl = RTE_MIN(next_hb, lw_ms_next_deadline(n->ms));
			now = lw_now_ns();
			wait = dl > now ? RTE_MIN(dl - now, (uint64_t)CTL_IDLE_NS) : 0;
			wait = RTE_MAX(wait, (uint64_t)CTL_TICK_NS);
		}
		if (n->listen_fd >= 0) {
			sessions_moving = lw_sessions_poll(n, wait) > 0;
		} else {
			struct timespec ts = { 0, (long)wait };

			nanosleep(&ts, NULL);
		}
	}
}
