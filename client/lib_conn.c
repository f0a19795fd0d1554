/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib_conn.c — liblockwire's session: connecting to the node, mapping the
 * shared region, and tearing it all down.
 *
 * DESIGN
 * lw_connect() runs one linear script, each step undone by client_free()
 * on failure (nothing leaks, errno says why):
 *
 *   sock_open()   SOCK_SEQPACKET connect to the node's socket
 *   handshake()   send struct lw_hello; receive struct lw_welcome and, with
 *                 it, [memfd, eventfd] (SCM_RIGHTS)
 *   map_region()  mmap the memfd (MAP_SHARED) and check the header: magic,
 *                 version, size, max_locks, and that each ring lies inside
 *                 the region, apart from the header and the other ring,
 *                 with the geometry its slot count implies
 *   make_epoll()  one epoll fd holding the eventfd and the socket: readable
 *                 when the worker woke us or the node hung up (lw_fd)
 *   make_tables() the handle table and the backlog
 *
 * The library never writes to the socket after the hello: the node reads
 * any data or a hang-up there as the end of the session. The rings are
 * used with rte_ring's inline functions only; EAL is never started.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "lib_priv.h"

#define SHM_MAX_SIZE (1ull << 34)   /* 16 GiB: far above any session the node makes */

uint64_t
lwc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
client_free(struct lw_client *c)
{
	struct lw_ls *ls, *next;

	for (ls = c->ls_head; ls != NULL; ls = next) {
		next = ls->next;
		free(ls);
	}
	if (c->hdr != NULL)
		munmap(c->hdr, c->shm_size);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->evfd >= 0)
		close(c->evfd);
	if (c->sock >= 0)
		close(c->sock);
	free(c->h);
	free(c->freeq);
	free(c->bl);
	free(c);
}

/* ---- the handshake --------------------------------------------------------- */

static const char *
socket_path(const char *path)
{
	const char *env;

	if (path != NULL)
		return path;
	env = getenv(LW_SOCKET_ENV);
	return env != NULL && env[0] != '\0' ? env : LW_DEFAULT_SOCKET;
}

static int
sock_open(struct lw_client *c, const char *path)
{
	struct sockaddr_un sa;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->sock < 0)
		return -errno;
	if (connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -errno;
	return 0;
}

/* $LOCKWIRE_MAX_LOCKS: unset or empty is 0 (the node's default); junk is -EINVAL. */
static int
env_max_locks(uint32_t *out)
{
	const char *s = getenv(LWC_MAX_LOCKS_ENV);
	unsigned long long v;
	char *end;

	*out = 0;
	if (s == NULL || s[0] == '\0')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] == '-' || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int
send_hello(struct lw_client *c)
{
	struct lw_hello hm;
	unsigned int cpu, numa;
	int rc;

	memset(&hm, 0, sizeof(hm));
	hm.magic = LW_CLIENT_MAGIC;
	hm.version = LW_CLIENT_VERSION;
	hm.pid = (int32_t)getpid();
	hm.numa = syscall(SYS_getcpu, &cpu, &numa, NULL) == 0 ? (int32_t)numa : -1;
	rc = env_max_locks(&hm.max_locks);
	if (rc != 0)
		return rc;
	strncpy(hm.name, program_invocation_short_name, sizeof(hm.name) - 1);
	if (send(c->sock, &hm, sizeof(hm), MSG_NOSIGNAL) != (ssize_t)sizeof(hm))
		return errno != 0 ? -errno : -EIO;
	return 0;
}

/* Take the fds of an SCM_RIGHTS message: up to two kept in fds[], the rest closed. */
static int
take_fds(struct msghdr *mh, int fds[2])
{
	struct cmsghdr *cm;
	int n = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t k, cnt;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			if (n < 2)
				fds[n] = fd;
			else
				close(fd);
			n++;
		}
	}
	return n;
}

static int
handshake(struct lw_client *c, struct lw_welcome *wm, int fds[2])
{
	struct timeval tv = { .tv_sec = LWC_HELLO_TIMEOUT };
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = wm, .iov_len = sizeof(*wm) };
	struct msghdr mh;
	ssize_t n;
	int nfd, rc;

	rc = send_hello(c);
	if (rc != 0)
		return rc;
	if (setsockopt(c->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		return -errno;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	do {
		n = recvmsg(c->sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	nfd = take_fds(&mh, fds);
	if (n == 0)
		return -ECONNRESET;
	if (n != (ssize_t)sizeof(*wm) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    wm->magic != LW_CLIENT_MAGIC || wm->version != LW_CLIENT_VERSION)
		return -EPROTO;
	if (wm->status < 0)
		return wm->status;
	if (wm->status != 0 || nfd != 2)
		return -EPROTO;
	return 0;
}

/* ---- the shared region ------------------------------------------------------ */

/* The ring at off with slots elements of esize bytes, checked; its end in *end. */
static struct rte_ring *
ring_at(struct lw_client *c, uint64_t off, uint32_t slots, unsigned int esize, uint64_t *end)
{
	struct rte_ring *r;
	ssize_t sz;

	if (slots < 2 || (slots & (slots - 1)) != 0 || slots > RTE_RING_SZ_MASK)
		return NULL;
	sz = rte_ring_get_memsize_elem(esize, slots);
	if (sz <= 0)
		return NULL;
	if (off % RTE_CACHE_LINE_SIZE != 0 || off < sizeof(struct lw_shm_hdr) ||
	    off >= c->shm_size || (uint64_t)sz > c->shm_size - off)
		return NULL;
	r = (struct rte_ring *)((char *)c->hdr + off);
	if (r->size != slots || r->mask != slots - 1 || r->capacity == 0 || r->capacity > r->mask)
		return NULL;
	*end = off + (uint64_t)sz;
	return r;
}

static int
check_region(struct lw_client *c, const struct lw_welcome *wm)
{
	const struct lw_shm_hdr *h = c->hdr;
	uint64_t req_end, comp_end;

	if (h->magic != LW_CLIENT_MAGIC || h->version != LW_CLIENT_VERSION ||
	    h->size != c->shm_size || h->max_locks != wm->max_locks ||
	    h->max_locks == 0 || h->max_locks > LW_HANDLE_IDX_MASK)
		return -EPROTO;
	c->req = ring_at(c, h->req_off, h->req_slots, sizeof(struct lw_creq), &req_end);
	c->comp = ring_at(c, h->comp_off, h->comp_slots, sizeof(struct lw_ccomp), &comp_end);
	if (c->req == NULL || c->comp == NULL)
		return -EPROTO;
	if (h->req_off < comp_end && h->comp_off < req_end)
		return -EPROTO;   /* the rings overlap */
	c->max_locks = h->max_locks;
	return 0;
}

static int
map_region(struct lw_client *c, const struct lw_welcome *wm, int memfd)
{
	struct stat st;
	void *p;

	if (wm->shm_size < sizeof(struct lw_shm_hdr) || wm->shm_size > SHM_MAX_SIZE)
		return -EPROTO;
	if (fstat(memfd, &st) != 0)
		return -errno;
	if (st.st_size < 0 || (uint64_t)st.st_size < wm->shm_size)
		return -EPROTO;
	p = mmap(NULL, wm->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->hdr = p;
	c->shm_size = wm->shm_size;
	c->node = wm->node;
	c->worker = wm->worker;
	c->session = wm->session;
	return check_region(c, wm);
}

/* ---- local state --------------------------------------------------------------- */

static int
make_epoll(struct lw_client *c)
{
	struct epoll_event ev;
	int fl;

	fl = fcntl(c->evfd, F_GETFL);
	if (fl < 0 || fcntl(c->evfd, F_SETFL, fl | O_NONBLOCK) != 0)
		return -errno;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0)
		return -errno;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = LWC_EV_EVENTFD;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->evfd, &ev) != 0)
		return -errno;
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.u32 = LWC_EV_SOCKET;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->sock, &ev) != 0)
		return -errno;
	return 0;
}

static int
make_tables(struct lw_client *c)
{
	uint32_t i;

	c->h = calloc((size_t)c->max_locks + 1, sizeof(*c->h));
	c->freeq = malloc((size_t)c->max_locks * sizeof(*c->freeq));
	c->bl_cap = LWC_BACKLOG_INIT;
	c->bl = malloc(c->bl_cap * sizeof(*c->bl));
	if (c->h == NULL || c->freeq == NULL || c->bl == NULL)
		return -ENOMEM;
	for (i = 1; i <= c->max_locks; i++) {
		c->h[i].id = 1u << LW_HANDLE_IDX_BITS | i;
		c->freeq[i - 1] = i;
	}
	c->fq_n = c->max_locks;
	return 0;
}

/* ---- the API ----------------------------------------------------------------- */

struct lw_client *
lw_connect(const char *path)
{
	struct lw_welcome wm;
	int fds[2] = { -1, -1 };
	struct lw_client *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->sock = c->evfd = c->epfd = -1;
	rc = sock_open(c, socket_path(path));
	if (rc == 0)
		rc = handshake(c, &wm, fds);
	if (rc == 0)
		rc = map_region(c, &wm, fds[0]);
	if (rc == 0) {
		c->evfd = fds[1];
		fds[1] = -1;
		rc = make_epoll(c);
	}
	if (rc == 0)
		rc = make_tables(c);
	if (fds[0] >= 0)
		close(fds[0]);   /* the mapping keeps the memory */
	if (fds[1] >= 0)
		close(fds[1]);
	if (rc != 0) {
		client_free(c);
		errno = -rc;
		return NULL;
	}
	return c;
}

void
lw_disconnect(struct lw_client *c)
{
	if (c == NULL)
		return;
	client_free(c);
}

int
lw_fd(struct lw_client *c)
{
	if (c == NULL)
		return -EINVAL;
	c->fd_used = true;
	lwc_arm(c);
	return c->epfd;
}

int
lw_client_node(struct lw_client *c)
{
	if (c == NULL)
		return -EINVAL;
	return (int)c->node;
}
