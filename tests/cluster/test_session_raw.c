/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_session_raw.c — lockwired's client sessions spoken raw, without
 * liblockwire: the handshake of client/proto.h by hand, the request and
 * completion rings with rte_ring *_elem calls on the mapped region (no
 * EAL). A misbehaving client must get an answer or be cut off, and never
 * harm the node or another session:
 *   - garbage requests (unknown op, handle 0 or past max_locks, a
 *     lockspace never opened, CONVERT or UNLOCK of a free handle, a new
 *     lock on a handle in use, names and modes out of range) each get
 *     LW_CC_REJECT with the right errno and the tag echoed, also when they
 *     come in one burst with the LOCK they refer to;
 *   - a bad hello (magic, version, size) gets a welcome with -EPROTO and
 *     no fds; a client that never says hello is dropped (about 2 s);
 *   - a client that never reads its completion ring is cut off (hdr->dead,
 *     the socket closed by the node, /lockwire/sessions "cut" + 1), and its
 *     locks are released;
 *   - a byte on the socket after the hello, or a hang-up, ends the session.
 * After each case another session takes and releases a lock on the node.
 *
 *   test_session_raw --lwctl PATH SOCKET
 *
 * Every wait is bounded (RAW_WAIT_MS); no assertion depends on timing.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <jansson.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "proto.h"

#define RAW_WAIT_MS   10000   /* safety bound of one wait */
#define RAW_FLOOD_MS  60000   /* safety bound of the flood */

static const char *sock_path;
static const char *lwctl_path;
static unsigned int nrejects;   /* expect_reject calls so far */

/* ---- a raw session -------------------------------------------------------- */

struct raw {
	int sock;
	int evfd;
	void *base;
	size_t size;
	struct lw_shm_hdr *hdr;
	struct rte_ring *req;
	struct rte_ring *comp;
	struct lw_welcome wm;
	uint64_t tag;
	uint16_t lsid;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
fill_hello(struct lw_hello *h, uint32_t max_locks)
{
	memset(h, 0, sizeof(*h));
	h->magic = LW_CLIENT_MAGIC;
	h->version = LW_CLIENT_VERSION;
	h->pid = (int32_t)getpid();
	h->numa = -1;
	h->max_locks = max_locks;
	snprintf(h->name, sizeof(h->name), "test_session_raw");
}

/*
 * Wait (bounded) for the welcome on fd: *wm gets it, fds[] the descriptors
 * that came with it (-1 when none). @return bytes received, 0 at EOF, -1.
 */
static ssize_t
recv_welcome(int fd, struct lw_welcome *wm, int fds[2])
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = wm, .iov_len = sizeof(*wm) };
	struct msghdr mh;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t got;

	fds[0] = fds[1] = -1;
	if (poll(&p, 1, RAW_WAIT_MS) != 1)
		return -1;
	memset(&mh, 0, sizeof(mh));
	memset(wm, 0, sizeof(*wm));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	got = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	for (c = CMSG_FIRSTHDR(&mh); got > 0 && c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(2 * sizeof(int)))
			memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
	return got;
}

/* Connect, say hello, map the region. @return 0, or -1 (r->wm.status may say why). */
static int
raw_open(struct raw *r, uint32_t max_locks)
{
	struct lw_hello h;
	int fds[2];

	memset(r, 0, sizeof(*r));
	r->evfd = -1;
	r->sock = unix_connect(sock_path);
	if (r->sock < 0)
		return -1;
	fill_hello(&h, max_locks);
	if (send(r->sock, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		return -1;
	if (recv_welcome(r->sock, &r->wm, fds) != (ssize_t)sizeof(r->wm) || r->wm.status != 0 ||
	    fds[0] < 0)
		return -1;
	r->evfd = fds[1];
	r->size = r->wm.shm_size;
	r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	close(fds[0]);
	if (r->base == MAP_FAILED) {
		r->base = NULL;
		return -1;
	}
	r->hdr = r->base;
	r->req = (struct rte_ring *)((char *)r->base + r->hdr->req_off);
	r->comp = (struct rte_ring *)((char *)r->base + r->hdr->comp_off);
	return 0;
}

static void
raw_close(struct raw *r)
{
	if (r->base != NULL)
		munmap(r->base, r->size);
	if (r->evfd >= 0)
		close(r->evfd);
	if (r->sock >= 0)
		close(r->sock);
	memset(r, 0, sizeof(*r));
	r->sock = r->evfd = -1;
}

/* Enqueue one request (tag assigned when 0). @return 0, or -1 when the ring stays full. */
static int
raw_send(struct raw *r, struct lw_creq *q)
{
	uint64_t end = now_ms() + RAW_WAIT_MS;

	if (q->tag == 0)
		q->tag = ++r->tag;
	while (rte_ring_sp_enqueue_elem(r->req, q, sizeof(*q)) != 0) {
		if (now_ms() > end)
			return -1;
		usleep(100);
	}
	return 0;
}

/* The next completion record, sleeping on the eventfd (protocol rule 3). @return 0 or -1. */
static int
raw_next(struct raw *r, struct lw_ccomp *cc)
{
	uint64_t end = now_ms() + RAW_WAIT_MS;

	for (;;) {
		struct pollfd p = { .fd = r->evfd, .events = POLLIN };
		uint64_t v, now;

		if (rte_ring_sc_dequeue_elem(r->comp, cc, sizeof(*cc)) == 0)
			return 0;
		__atomic_store_n(&r->hdr->waiting, 1, __ATOMIC_SEQ_CST);
		if (rte_ring_sc_dequeue_elem(r->comp, cc, sizeof(*cc)) == 0)
			return 0;
		now = now_ms();
		if (now >= end || r->hdr->dead != 0)
			return -1;
		if (poll(&p, 1, (int)(end - now)) == 1)
			(void)!read(r->evfd, &v, sizeof(v));
	}
}

/* The next record, which must be of type for handle. @return 0 or -1. */
static int
raw_expect(struct raw *r, uint8_t type, uint32_t handle, struct lw_ccomp *cc)
{
	if (raw_next(r, cc) != 0) {
		fprintf(stderr, "\n  no record (type %u, handle %#x)\n", type, handle);
		return -1;
	}
	if (cc->type != type || cc->handle != handle) {
		fprintf(stderr, "\n  record type %u handle %#x status %d, wanted type %u handle %#x\n",
			cc->type, cc->handle, cc->status, type, handle);
		return -1;
	}
	return 0;
}

static void
make_lock(struct lw_creq *q, uint16_t lsid, uint32_t handle, int mode, uint32_t flags,
	  const char *name)
{
	memset(q, 0, sizeof(*q));
	q->op = LW_COP_LOCK;
	q->mode = (int8_t)mode;
	q->lsid = lsid;
	q->handle = handle;
	q->flags = flags;
	q->namelen = (uint8_t)strlen(name);
	memcpy(q->name, name, q->namelen);
}

static void
make_unlock(struct lw_creq *q, uint16_t lsid, uint32_t handle, uint32_t flags)
{
	memset(q, 0, sizeof(*q));
	q->op = LW_COP_UNLOCK;
	q->lsid = lsid;
	q->handle = handle;
	q->flags = flags;
}

/* Open lockspace name. @return the LW_CC_LS status; r->lsid gets the id. */
static int
raw_ls_open(struct raw *r, const char *name)
{
	struct lw_creq q;
	struct lw_ccomp cc;

	memset(&q, 0, sizeof(q));
	q.op = LW_COP_LS_OPEN;
	q.namelen = (uint8_t)strlen(name);
	memcpy(q.name, name, q.namelen);
	if (raw_send(r, &q) != 0 || raw_expect(r, LW_CC_LS, 0, &cc) != 0 || cc.tag != q.tag)
		return -EIO;
	r->lsid = cc.lsid;
	return cc.status;
}

/* A lock request answered by its COMPLETE. @return its status, or -EIO. */
static int
raw_lock(struct raw *r, uint32_t handle, int mode, uint32_t flags, const char *name)
{
	struct lw_creq q;
	struct lw_ccomp cc;

	make_lock(&q, r->lsid, handle, mode, flags, name);
	if (raw_send(r, &q) != 0 || raw_expect(r, LW_CC_COMPLETE, handle, &cc) != 0)
		return -EIO;
	return cc.status;
}

/* An unlock answered by its COMPLETE. @return its status, or -EIO. */
static int
raw_unlock(struct raw *r, uint32_t handle)
{
	struct lw_creq q;
	struct lw_ccomp cc;

	make_unlock(&q, r->lsid, handle, 0);
	if (raw_send(r, &q) != 0 || raw_expect(r, LW_CC_COMPLETE, handle, &cc) != 0)
		return -EIO;
	return cc.status;
}

/* The request q must be refused: one LW_CC_REJECT with status want and q's tag. */
static void
expect_reject(struct raw *r, struct lw_creq *q, int want)
{
	struct lw_ccomp cc;

	q->tag = 0;
	nrejects++;
	CU_ASSERT_EQUAL_FATAL(raw_send(r, q), 0);
	CU_ASSERT_EQUAL_FATAL(raw_next(r, &cc), 0);
	CU_ASSERT_EQUAL(cc.type, LW_CC_REJECT);
	CU_ASSERT_EQUAL(cc.status, want);
	CU_ASSERT_EQUAL(cc.tag, q->tag);
	CU_ASSERT_EQUAL(cc.handle, q->handle);
	if (cc.type != LW_CC_REJECT || cc.status != want)
		fprintf(stderr, "\n  op %u handle %#x: record type %u status %d, wanted REJECT %d\n",
			q->op, q->handle, cc.type, cc.status, want);
}

/* ---- the node stays well ---------------------------------------------------- */

/* A fresh session on the node takes EX on name (NOQUEUE) and releases it. */
static void
check_node_serves(const char *name)
{
	struct raw b;

	CU_ASSERT_EQUAL_FATAL(raw_open(&b, 0), 0);
	CU_ASSERT_EQUAL(raw_ls_open(&b, "raw"), 0);
	CU_ASSERT_EQUAL(raw_lock(&b, 1, LW_LOCK_EX, LW_LKF_NOQUEUE, name), 0);
	CU_ASSERT_EQUAL(raw_unlock(&b, 1), LW_EUNLOCK);
	raw_close(&b);
}

/* A counter of /lockwire/sessions ("cut", "refused", "sessions"); -1 when unknown. */
static long long
sessions_counter(const char *key)
{
	char cmd[1024], buf[65536];
	json_error_t je;
	json_t *v, *k;
	long long val = -1;
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' --json query /lockwire/sessions",
		 lwctl_path, sock_path);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, p);
	pclose(p);
	buf[n] = '\0';
	v = json_loads(buf, 0, &je);
	k = json_object_get(v, key);
	if (json_is_integer(k))
		val = json_integer_value(k);
	json_decref(v);
	return val;
}

/* The node closes fd (EOF after any pending messages) within the bound. @return true. */
static bool
wait_eof(int fd)
{
	uint64_t end = now_ms() + RAW_WAIT_MS;
	char buf[256];

	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
		ssize_t got;

		if (poll(&p, 1, 200) != 1)
			continue;
		got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
	return false;
}

/* Sessions of the node drop to want within the bound. @return true. */
static bool
wait_sessions(long long want)
{
	uint64_t end = now_ms() + RAW_WAIT_MS;

	while (now_ms() < end) {
		if (sessions_counter("sessions") == want)
			return true;
		usleep(20000);
	}
	return false;
}

/* ---- tests ---------------------------------------------------------------- */

/* The welcome and the region say what proto.h promises; a NOP is answered by an ACK. */
static void
test_handshake(void)
{
	struct lw_creq q;
	struct lw_ccomp cc;
	struct raw r;

	CU_ASSERT_EQUAL_FATAL(raw_open(&r, 1), 0);
	CU_ASSERT_EQUAL(r.wm.magic, LW_CLIENT_MAGIC);
	CU_ASSERT_EQUAL(r.wm.version, LW_CLIENT_VERSION);
	CU_ASSERT_EQUAL(r.wm.node, 1);
	CU_ASSERT_EQUAL(r.wm.max_locks, LW_SESSION_MIN_LOCKS);   /* 1 is clamped */
	CU_ASSERT_EQUAL(r.hdr->magic, LW_CLIENT_MAGIC);
	CU_ASSERT_EQUAL(r.hdr->version, LW_CLIENT_VERSION);
	CU_ASSERT_EQUAL(r.hdr->size, r.wm.shm_size);
	CU_ASSERT_EQUAL(r.hdr->max_locks, r.wm.max_locks);
	CU_ASSERT_EQUAL(r.hdr->req_slots, lw_proto_req_slots(r.wm.max_locks));
	CU_ASSERT_EQUAL(r.hdr->comp_slots, lw_proto_comp_slots(r.wm.max_locks));
	CU_ASSERT(r.hdr->comp_off + 64 <= r.hdr->size && r.hdr->req_off < r.hdr->comp_off);
	CU_ASSERT_EQUAL(r.hdr->dead, 0);
	memset(&q, 0, sizeof(q));
	q.op = LW_COP_NOP;
	q.handle = 77;
	CU_ASSERT_EQUAL_FATAL(raw_send(&r, &q), 0);
	CU_ASSERT_EQUAL_FATAL(raw_expect(&r, LW_CC_ACK, 77, &cc), 0);
	CU_ASSERT_EQUAL(cc.status, 0);
	CU_ASSERT_EQUAL(cc.tag, q.tag);
	raw_close(&r);

	CU_ASSERT_EQUAL_FATAL(raw_open(&r, 0), 0);
	CU_ASSERT_EQUAL(r.wm.max_locks, LW_SESSION_DEF_LOCKS);   /* 0: the default */
	CU_ASSERT_EQUAL(r.hdr->max_locks, LW_SESSION_DEF_LOCKS);
	raw_close(&r);
}

/* Requests the worker's own checks refuse (hdr->rejected counts them). */
static void
reject_worker_checks(struct raw *r, uint32_t held)
{
	uint32_t max = r->wm.max_locks;
	uint64_t before = r->hdr->rejected;
	unsigned int sent = nrejects;
	struct lw_creq q;

	make_lock(&q, r->lsid, 2, LW_LOCK_EX, 0, "garbage");
	q.op = 0;
	expect_reject(r, &q, -EINVAL);              /* unknown op */
	q.op = 99;
	expect_reject(r, &q, -EINVAL);
	make_lock(&q, r->lsid, 0, LW_LOCK_EX, 0, "garbage");
	expect_reject(r, &q, -EINVAL);              /* handle 0 */
	q.handle = 1u << LW_HANDLE_IDX_BITS;
	expect_reject(r, &q, -EINVAL);              /* slot 0 with a generation */
	q.handle = max + 1;
	expect_reject(r, &q, -EINVAL);              /* past max_locks */
	q.handle = LW_HANDLE_IDX_MASK;
	expect_reject(r, &q, -EINVAL);
	make_lock(&q, 200, 2, LW_LOCK_EX, 0, "garbage");
	expect_reject(r, &q, -EINVAL);              /* lockspace never opened */
	q.lsid = 0;
	expect_reject(r, &q, -EINVAL);
	q.lsid = 0xffff;
	expect_reject(r, &q, -EINVAL);
	make_lock(&q, r->lsid, 2, LW_LOCK_EX, LW_LKF_CONVERT, "garbage");
	expect_reject(r, &q, -ENOENT);              /* CONVERT of a free handle */
	make_unlock(&q, r->lsid, 2, 0);
	expect_reject(r, &q, -ENOENT);              /* UNLOCK of a free handle */
	make_unlock(&q, r->lsid, 2, LW_LKF_CANCEL);
	expect_reject(r, &q, -ENOENT);
	make_lock(&q, r->lsid, held, LW_LOCK_PR, 0, "garbage");
	expect_reject(r, &q, -EBUSY);               /* a new lock on a handle in use */
	make_lock(&q, r->lsid, 2, LW_LOCK_EX, 0, "garbage");
	q.namelen = 0;
	expect_reject(r, &q, -EINVAL);
	q.namelen = LW_RESNAME_MAXLEN + 1;
	expect_reject(r, &q, -EINVAL);
	q.namelen = 255;
	expect_reject(r, &q, -EINVAL);
	make_unlock(&q, r->lsid, 2, 0);
	q.cflags = LW_CREQ_RAWLKID;
	expect_reject(r, &q, -EINVAL);              /* raw lkid without FORCEUNLOCK */
	make_unlock(&q, r->lsid, held, LW_LKF_FORCEUNLOCK);
	q.cflags = LW_CREQ_RAWLKID;
	q.lkid = 0x1234;
	expect_reject(r, &q, -EINVAL);              /* raw lkid on a handle in use */
	CU_ASSERT_EQUAL(r->hdr->rejected - before, nrejects - sent);
}

/* Requests that only the engine (or the worker's look at it) can refuse. */
static void
reject_engine_checks(struct raw *r, uint32_t held)
{
	struct lw_creq q;

	make_lock(&q, r->lsid, 2, 6, 0, "garbage");
	expect_reject(r, &q, -EINVAL);              /* mode past EX */
	q.mode = -1;
	expect_reject(r, &q, -EINVAL);
	q.mode = 100;
	expect_reject(r, &q, -EINVAL);
	make_lock(&q, r->lsid, 2, LW_LOCK_EX, 0x80000000u, "garbage");
	expect_reject(r, &q, -EINVAL);              /* unknown flag bit */
	q.flags = LW_LKF_NODLCKBLK;
	expect_reject(r, &q, -EINVAL);
	q.flags = LW_LKF_CANCEL;
	expect_reject(r, &q, -EINVAL);              /* CANCEL on a lock request */
	q.flags = LW_LKF_QUECVT;
	expect_reject(r, &q, -EINVAL);              /* conversion-only flag on a new lock */
	q.flags = LW_LKF_TIMEOUT;
	expect_reject(r, &q, -EINVAL);              /* TIMEOUT with timeout_us 0 */
	make_lock(&q, r->lsid, held, 9, LW_LKF_CONVERT, "garbage");
	expect_reject(r, &q, -EINVAL);              /* CONVERT to a bad mode */
	make_unlock(&q, r->lsid, held, LW_LKF_NOQUEUE);
	expect_reject(r, &q, -EINVAL);              /* a lock flag on an unlock */
	make_unlock(&q, r->lsid, held, LW_LKF_CANCEL);
	expect_reject(r, &q, -EBUSY);               /* nothing to cancel */
	make_unlock(&q, r->lsid, 2, LW_LKF_FORCEUNLOCK);
	q.cflags = LW_CREQ_RAWLKID;
	q.lkid = 0x00012345;
	expect_reject(r, &q, -ENOENT);              /* no such engine lock */
}

/* Lockspace ops out of range are answered with LW_CC_LS and an error. */
static void
reject_ls_ops(struct raw *r)
{
	struct lw_creq q;
	struct lw_ccomp cc;

	memset(&q, 0, sizeof(q));
	q.op = LW_COP_LS_OPEN;
	q.namelen = 0;
	CU_ASSERT_EQUAL_FATAL(raw_send(r, &q), 0);
	CU_ASSERT_EQUAL_FATAL(raw_expect(r, LW_CC_LS, 0, &cc), 0);
	CU_ASSERT_EQUAL(cc.status, -EINVAL);
	q.tag = 0;
	q.namelen = LW_LSNAME_MAXLEN + 1;
	CU_ASSERT_EQUAL_FATAL(raw_send(r, &q), 0);
	CU_ASSERT_EQUAL_FATAL(raw_expect(r, LW_CC_LS, 0, &cc), 0);
	CU_ASSERT_EQUAL(cc.status, -EINVAL);
	memset(&q, 0, sizeof(q));
	q.op = LW_COP_LS_CLOSE;
	q.lsid = 123;
	CU_ASSERT_EQUAL_FATAL(raw_send(r, &q), 0);
	CU_ASSERT_EQUAL_FATAL(raw_expect(r, LW_CC_LS, 0, &cc), 0);
	CU_ASSERT_EQUAL(cc.status, -ENOENT);
	CU_ASSERT_EQUAL(cc.tag, q.tag);
}

/* Garbage of every kind is refused, changes nothing, and the node keeps serving. */
static void
test_garbage_requests(void)
{
	struct raw r;

	CU_ASSERT_EQUAL_FATAL(raw_open(&r, 64), 0);
	CU_ASSERT_EQUAL_FATAL(raw_ls_open(&r, "raw"), 0);
	CU_ASSERT(r.lsid >= 1);
	CU_ASSERT_EQUAL_FATAL(raw_lock(&r, 5, LW_LOCK_PR, 0, "garbage-held"), 0);
	reject_worker_checks(&r, 5);
	reject_engine_checks(&r, 5);
	reject_ls_ops(&r);
	CU_ASSERT_EQUAL(r.hdr->dead, 0);
	/* nothing changed: handle 2 is free, handle 5 still holds PR */
	CU_ASSERT_EQUAL(raw_lock(&r, 2, LW_LOCK_EX, LW_LKF_NOQUEUE, "garbage"), 0);
	CU_ASSERT_EQUAL(raw_lock(&r, 3, LW_LOCK_EX, LW_LKF_NOQUEUE, "garbage-held"), -EAGAIN);
	CU_ASSERT_EQUAL(raw_lock(&r, 5, LW_LOCK_EX, LW_LKF_CONVERT, "garbage-held"), 0);
	CU_ASSERT_EQUAL(raw_unlock(&r, 5), LW_EUNLOCK);
	CU_ASSERT_EQUAL(raw_unlock(&r, 2), LW_EUNLOCK);
	/* the slot of the refused lock on handle 3 is free again */
	CU_ASSERT_EQUAL(raw_lock(&r, 3, LW_LOCK_EX, LW_LKF_NOQUEUE, "garbage-held"), 0);
	CU_ASSERT_EQUAL(raw_unlock(&r, 3), LW_EUNLOCK);
	check_node_serves("garbage");
	raw_close(&r);
}

/*
 * Requests of one handle in one burst (enqueued together, so the worker
 * takes them in one batch) mean what they mean one by one: a CANCEL right
 * after its LOCK cancels it; a second new lock on the handle is -EBUSY.
 */
static void
test_same_burst(void)
{
	struct lw_creq q[2];
	struct lw_ccomp cc;
	struct raw a, b;

	CU_ASSERT_EQUAL_FATAL(raw_open(&a, 0), 0);
	CU_ASSERT_EQUAL_FATAL(raw_ls_open(&a, "raw"), 0);
	CU_ASSERT_EQUAL_FATAL(raw_open(&b, 0), 0);
	CU_ASSERT_EQUAL_FATAL(raw_ls_open(&b, "raw"), 0);
	CU_ASSERT_EQUAL_FATAL(raw_lock(&b, 1, LW_LOCK_EX, 0, "burst"), 0);
	make_lock(&q[0], a.lsid, 1, LW_LOCK_EX, 0, "burst");      /* waits for b */
	make_unlock(&q[1], a.lsid, 1, LW_LKF_CANCEL);
	q[0].tag = ++a.tag;
	q[1].tag = ++a.tag;
	CU_ASSERT_EQUAL_FATAL(rte_ring_sp_enqueue_bulk_elem(a.req, q, sizeof(q[0]), 2, NULL), 2);
	CU_ASSERT_EQUAL_FATAL(raw_next(&a, &cc), 0);
	CU_ASSERT_EQUAL(cc.type, LW_CC_COMPLETE);
	CU_ASSERT_EQUAL(cc.status, LW_ECANCEL);
	if (cc.type != LW_CC_COMPLETE)
		printf("\n  LOCK + CANCEL in one burst: record type %u status %d for the CANCEL\n",
		       cc.type, cc.status);
	if (cc.type == LW_CC_REJECT) {   /* the lock still waits: cancel it now */
		make_unlock(&q[1], a.lsid, 1, LW_LKF_CANCEL);
		CU_ASSERT_EQUAL(raw_send(&a, &q[1]), 0);
		CU_ASSERT_EQUAL(raw_expect(&a, LW_CC_COMPLETE, 1, &cc), 0);
		CU_ASSERT_EQUAL(cc.status, LW_ECANCEL);
	}
	CU_ASSERT_EQUAL(raw_unlock(&b, 1), LW_EUNLOCK);

	make_lock(&q[0], a.lsid, 2, LW_LOCK_NL, 0, "burst");
	make_lock(&q[1], a.lsid, 2, LW_LOCK_NL, 0, "burst-other");
	q[0].tag = ++a.tag;
	q[1].tag = ++a.tag;
	CU_ASSERT_EQUAL_FATAL(rte_ring_sp_enqueue_bulk_elem(a.req, q, sizeof(q[0]), 2, NULL), 2);
	CU_ASSERT_EQUAL_FATAL(raw_expect(&a, LW_CC_COMPLETE, 2, &cc), 0);
	CU_ASSERT_EQUAL(cc.status, 0);
	CU_ASSERT_EQUAL_FATAL(raw_next(&a, &cc), 0);
	CU_ASSERT_EQUAL(cc.type, LW_CC_REJECT);                    /* handle 2 is in use */
	CU_ASSERT_EQUAL(cc.status, -EBUSY);
	CU_ASSERT_EQUAL(cc.tag, q[1].tag);
	if (cc.type != LW_CC_REJECT)
		printf("\n  two new locks on one handle in one burst: both taken (status %d)\n",
		       cc.status);
	raw_close(&a);
	raw_close(&b);
	check_node_serves("burst");
}

/* Send hello bytes of length len; expect a welcome with -EPROTO, no fds, then EOF. */
static void
bad_hello(const void *hello, size_t len)
{
	struct lw_welcome wm;
	int fd = unix_connect(sock_path), fds[2];

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(send(fd, hello, len, MSG_NOSIGNAL), (ssize_t)len);
	CU_ASSERT_EQUAL(recv_welcome(fd, &wm, fds), (ssize_t)sizeof(wm));
	CU_ASSERT_EQUAL(wm.magic, LW_CLIENT_MAGIC);
	CU_ASSERT_EQUAL(wm.status, -EPROTO);
	CU_ASSERT_EQUAL(fds[0], -1);
	CU_ASSERT_EQUAL(fds[1], -1);
	CU_ASSERT(wait_eof(fd));
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	close(fd);
}

static void
test_bad_hello(void)
{
	long long refused = sessions_counter("refused");
	struct lw_hello h;

	CU_ASSERT_FATAL(refused >= 0);
	fill_hello(&h, 0);
	h.magic = 0xdeadbeef;
	bad_hello(&h, sizeof(h));
	fill_hello(&h, 0);
	h.version = LW_CLIENT_VERSION + 1;
	bad_hello(&h, sizeof(h));
	fill_hello(&h, 0);
	bad_hello(&h, sizeof(h) - 1);                 /* short */
	bad_hello(&h, 1);
	CU_ASSERT_EQUAL(sessions_counter("refused"), refused + 4);
	check_node_serves("bad-hello");
}

/* A hello longer than struct lw_hello is no hello either (session.c: "size"). */
static void
test_long_hello(void)
{
	long long refused = sessions_counter("refused");
	char big[sizeof(struct lw_hello) + 16];
	struct lw_hello h;

	fill_hello(&h, 0);
	memset(big, 0, sizeof(big));
	memcpy(big, &h, sizeof(h));
	bad_hello(big, sizeof(big));
	CU_ASSERT_EQUAL(sessions_counter("refused"), refused + 1);
	check_node_serves("long-hello");
}

/* A client that connects and says nothing is dropped, and harms nobody. */
static void
test_no_hello(void)
{
	long long refused = sessions_counter("refused");
	uint64_t t0 = now_ms();
	struct lw_welcome wm;
	int fd = unix_connect(sock_path), fds[2];
	ssize_t got;

	CU_ASSERT_FATAL(fd >= 0);
	check_node_serves("no-hello");               /* while it is silent */
	got = recv_welcome(fd, &wm, fds);
	/* the node says why (a welcome with an error) or just closes */
	CU_ASSERT(got == 0 || (got == (ssize_t)sizeof(wm) && wm.status < 0));
	CU_ASSERT_EQUAL(fds[0], -1);
	if (got > 0)
		CU_ASSERT(wait_eof(fd));
	printf("\n  silent client dropped after %llu ms (welcome status %d)\n",
	       (unsigned long long)(now_ms() - t0), got > 0 ? wm.status : 0);
	close(fd);
	CU_ASSERT_EQUAL(sessions_counter("refused"), refused + 1);
	check_node_serves("no-hello");
}

/* Enqueue NOPs, never reading a completion, until the node cuts r off. @return NOPs sent. */
static uint64_t
flood(struct raw *r)
{
	uint64_t end = now_ms() + RAW_FLOOD_MS, sent = 0, next_check = 16384;
	struct lw_creq q[32];
	unsigned int i;

	memset(q, 0, sizeof(q));
	for (i = 0; i < RTE_DIM(q); i++)
		q[i].op = LW_COP_NOP;
	while (__atomic_load_n(&r->hdr->dead, __ATOMIC_ACQUIRE) == 0 && now_ms() < end) {
		unsigned int n;

		for (i = 0; i < RTE_DIM(q); i++)
			q[i].tag = ++r->tag;
		n = rte_ring_sp_enqueue_burst_elem(r->req, q, sizeof(q[0]), RTE_DIM(q), NULL);
		sent += n;
		if (n == 0)
			usleep(50);
		if (sent >= next_check) {   /* others are served meanwhile */
			check_node_serves("flood-other");
			next_check += 16384;
		}
	}
	return sent;
}

/* A client that never reads its completions is cut off; its locks go, others go on. */
static void
test_flood_cut(void)
{
	long long cut = sessions_counter("cut");
	struct pollfd p;
	struct lw_creq q;
	struct lw_ccomp cc;
	struct raw v, b;
	uint64_t sent;

	CU_ASSERT_FATAL(cut >= 0);
	CU_ASSERT_EQUAL_FATAL(raw_open(&v, 64), 0);
	CU_ASSERT_EQUAL_FATAL(raw_ls_open(&v, "raw"), 0);
	CU_ASSERT_EQUAL_FATAL(raw_lock(&v, 1, LW_LOCK_EX, 0, "flood"), 0);
	CU_ASSERT_EQUAL_FATAL(raw_open(&b, 0), 0);
	CU_ASSERT_EQUAL_FATAL(raw_ls_open(&b, "raw"), 0);
	make_lock(&q, b.lsid, 1, LW_LOCK_EX, 0, "flood");   /* waits for v */
	CU_ASSERT_EQUAL_FATAL(raw_send(&b, &q), 0);

	sent = flood(&v);
	printf("\n  cut off after %llu NOPs (dead %u)\n", (unsigned long long)sent, v.hdr->dead);
	CU_ASSERT_EQUAL(v.hdr->dead, ENOBUFS);
	CU_ASSERT(sent > v.hdr->comp_slots);   /* the ring filled first */
	p = (struct pollfd){ .fd = v.evfd, .events = POLLIN };
	CU_ASSERT_EQUAL(poll(&p, 1, RAW_WAIT_MS), 1);      /* woken to see dead */
	CU_ASSERT(wait_eof(v.sock));                        /* the node closed the socket */
	CU_ASSERT_EQUAL(sessions_counter("cut"), cut + 1);

	/* v's EX was released: b's waiting request is granted */
	CU_ASSERT_EQUAL_FATAL(raw_expect(&b, LW_CC_COMPLETE, 1, &cc), 0);
	CU_ASSERT_EQUAL(cc.status, 0);
	CU_ASSERT_EQUAL(cc.mode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(raw_unlock(&b, 1), LW_EUNLOCK);
	raw_close(&v);
	raw_close(&b);
	check_node_serves("flood");
}

/* v holds EX on name, b waits for it; end v with how(); b must be granted. */
static void
end_holder(const char *name, void (*how)(struct raw *v))
{
	long long base = sessions_counter("sessions");
	struct lw_creq q;
	struct lw_ccomp cc;
	struct raw v, b;

	CU_ASSERT_EQUAL_FATAL(raw_open(&v, 0), 0);
	CU_ASSERT_EQUAL_FATAL(raw_ls_open(&v, "raw"), 0);
	CU_ASSERT_EQUAL_FATAL(raw_lock(&v, 1, LW_LOCK_EX, 0, name), 0);
	CU_ASSERT_EQUAL_FATAL(raw_open(&b, 0), 0);
	CU_ASSERT_EQUAL_FATAL(raw_ls_open(&b, "raw"), 0);
	CU_ASSERT_EQUAL_FATAL(raw_lock(&b, 1, LW_LOCK_EX, 0, "other"), 0);
	/* v also waits for what b holds: that request must die with v */
	make_lock(&q, v.lsid, 2, LW_LOCK_PR, 0, "other");
	CU_ASSERT_EQUAL_FATAL(raw_send(&v, &q), 0);
	make_lock(&q, b.lsid, 2, LW_LOCK_EX, 0, name);
	CU_ASSERT_EQUAL_FATAL(raw_send(&b, &q), 0);
	how(&v);
	CU_ASSERT_EQUAL_FATAL(raw_expect(&b, LW_CC_COMPLETE, 2, &cc), 0);
	CU_ASSERT_EQUAL(cc.status, 0);
	CU_ASSERT_EQUAL(raw_unlock(&b, 1), LW_EUNLOCK);
	/* v's PR request is gone: nobody else holds "other" */
	CU_ASSERT_EQUAL(raw_lock(&b, 1, LW_LOCK_EX, LW_LKF_NOQUEUE, "other"), 0);
	CU_ASSERT_EQUAL(raw_unlock(&b, 1), LW_EUNLOCK);
	CU_ASSERT_EQUAL(raw_unlock(&b, 2), LW_EUNLOCK);
	raw_close(&v);
	raw_close(&b);
	CU_ASSERT(wait_sessions(base));
}

static void
send_stray_byte(struct raw *v)
{
	CU_ASSERT_EQUAL(send(v->sock, "x", 1, MSG_NOSIGNAL), 1);
	CU_ASSERT(wait_eof(v->sock));   /* the protocol has no bytes after the hello */
}

static void
hang_up(struct raw *v)
{
	shutdown(v->sock, SHUT_RDWR);
}

/* A byte after the hello ends the session (and releases its locks). */
static void
test_stray_bytes(void)
{
	end_holder("stray", send_stray_byte);
}

/* A hang-up ends the session: locks released, pending requests removed. */
static void
test_hang_up(void)
{
	end_holder("hangup", hang_up);
}

/* ---- main ----------------------------------------------------------------- */

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s --lwctl PATH SOCKET\n", prog);
	return 2;
}

int
main(int argc, char **argv)
{
	CU_pSuite s;
	unsigned int failed;

	if (argc != 4 || strcmp(argv[1], "--lwctl") != 0)
		return usage(argv[0]);
	lwctl_path = argv[2];
	sock_path = argv[3];
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("session_raw", NULL, NULL);
	if (s == NULL ||
	    CU_add_test(s, "handshake", test_handshake) == NULL ||
	    CU_add_test(s, "garbage requests", test_garbage_requests) == NULL ||
	    CU_add_test(s, "one handle, one burst", test_same_burst) == NULL ||
	    CU_add_test(s, "bad hello", test_bad_hello) == NULL ||
	    CU_add_test(s, "long hello", test_long_hello) == NULL ||
	    CU_add_test(s, "no hello", test_no_hello) == NULL ||
	    CU_add_test(s, "stray bytes", test_stray_bytes) == NULL ||
	    CU_add_test(s, "hang-up", test_hang_up) == NULL ||
	    CU_add_test(s, "flood: cut off", test_flood_cut) == NULL)
		return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_tests_run() == 0)
		failed = 1;
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
