/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_client.c — liblockwire (client/) against a fake node.
 *
 * DESIGN
 * The test plays the node itself, without EAL: a thread listens on a
 * socket in a mkdtemp directory, answers the hello (or refuses it, or sends
 * a broken header, as each test asks), makes the memfd region with
 * rte_ring_init'ed rings exactly as client/proto.h says, and then, while
 * "serve" is on, answers requests as a trivial worker (grants everything,
 * answers lockspace ops, ORPHAN and raw FORCEUNLOCK by a small script).
 * With serve off the test is the worker, step by step: fk_take() reads the
 * next request, fk_push() writes a record and wakes the client the way
 * the worker does (hdr->waiting, eventfd). A mutex keeps the two sides of
 * the fake from using the rings at once.
 *
 * The program has its own small runner instead of lwt.c's, which starts
 * and cleans up EAL: nothing here may touch EAL, as the library does not.
 * LWT_VERBOSE=1 in the environment lists every test.
 */
#include <errno.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <rte_common.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "lockwire.h"
#include "proto.h"

#define FK_NODE    7u
#define FK_LOCKS   64u       /* handles granted when the client asks for the default */
#define RAW_MISSING 0xdeadu  /* the engine lkid the fake has no orphan for */

enum fk_welcome {
	FK_W_OK = 0,
	FK_W_REFUSE,     /* status refuse_status, no fds */
	FK_W_BADMAGIC,   /* region header with a wrong magic */
	FK_W_BADRING,    /* completion ring outside the region */
	FK_W_NOFDS,      /* status 0 but no fds */
	FK_W_BADWELCOME, /* welcome with a wrong magic */
	FK_W_CLOSE,      /* hang up without an answer */
};

struct fk {
	char dir[64];
	char path[128];
	int lsock, csock, memfd, evfd;
	void *shm;
	size_t size;
	struct lw_shm_hdr *hdr;
	struct rte_ring *req, *comp;
	pthread_t th;
	pthread_mutex_t mu;
	int stop;                /* mu */
	int serve;               /* mu: the thread answers requests */
	int welcome;             /* enum fk_welcome */
	int32_t refuse_status;
	uint32_t req_slots;      /* 0: lw_proto_req_slots() */
	struct lw_hello hello;
	int got_hello;
	uint16_t next_lsid;
	int die_on_lock;         /* serve: a LOCK request kills the session */
	struct lw_creq last;     /* serve: the last request answered */
	uint8_t lvb[LW_LVB_LEN];
};

static struct fk F;
static struct lw_client *C;
static struct lw_ls *LS;

/* ---- the fake node --------------------------------------------------------- */

static void
fk_wake(struct fk *f)
{
	uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&f->hdr->waiting, 0, __ATOMIC_SEQ_CST) != 0)
		CU_ASSERT_EQUAL(write(f->evfd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

static void
put(struct fk *f, const struct lw_ccomp *r)
{
	CU_ASSERT_EQUAL(rte_ring_sp_enqueue_elem(f->comp, (void *)(uintptr_t)r, sizeof(*r)), 0);
}

static struct lw_ccomp
rec(uint8_t type, uint32_t handle, int32_t status, int mode)
{
	struct lw_ccomp r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.handle = handle;
	r.status = status;
	r.mode = (int8_t)mode;
	return r;
}

static struct lw_ccomp
answer(uint8_t type, const struct lw_creq *q, int32_t status)
{
	struct lw_ccomp r = rec(type, q->handle, status, LW_LOCK_IV);

	r.tag = q->tag;
	return r;
}

static void
serve_lock(struct fk *f, const struct lw_creq *q)
{
	struct lw_ccomp r;

	if (f->die_on_lock) {
		__atomic_store_n(&f->hdr->dead, EPIPE, __ATOMIC_RELEASE);
		return;   /* fk_serve wakes the client */
	}
	if (q->flags & LW_LKF_ORPHAN) {
		if (q->namelen == 4 && memcmp(q->name, "none", 4) == 0) {
			put(f, &(struct lw_ccomp){ 0 });   /* junk first: must be skipped */
			r = answer(LW_CC_REJECT, q, -ENOENT);
			put(f, &r);
			return;
		}
		if (q->namelen == 5 && memcmp(q->name, "other", 5) == 0) {
			r = answer(LW_CC_REJECT, q, -EAGAIN);
			put(f, &r);
			return;
		}
		r = answer(LW_CC_ACK, q, 0);
		put(f, &r);
	}
	r = rec(LW_CC_COMPLETE, q->handle, 0, q->mode);
	if (q->flags & LW_LKF_VALBLK) {
		r.has_lvb = 1;
		memcpy(r.lvb, f->lvb, LW_LVB_LEN);
	}
	put(f, &r);
}

static void
serve_unlock(struct fk *f, const struct lw_creq *q)
{
	struct lw_ccomp r;

	if (q->flags & LW_LKF_CANCEL) {
		r = answer(LW_CC_REJECT, q, -EBUSY);
	} else if ((q->cflags & LW_CREQ_RAWLKID) && q->lkid == RAW_MISSING) {
		r = answer(LW_CC_REJECT, q, -ENOENT);
	} else {
		if (q->cflags & LW_CREQ_ACK) {
			r = answer(LW_CC_ACK, q, 0);
			put(f, &r);
		}
		if (q->flags & LW_LKF_VALBLK)
			memcpy(f->lvb, q->lvb, LW_LVB_LEN);
		r = rec(LW_CC_COMPLETE, q->handle, LW_EUNLOCK, LW_LOCK_IV);
	}
	put(f, &r);
}

/* The trivial worker: one burst of requests. Called with f->mu held. */
static void
fk_serve(struct fk *f)
{
	struct lw_creq q;
	struct lw_ccomp r;
	int n = 0;

	while (n < 32 && rte_ring_sc_dequeue_elem(f->req, &q, sizeof(q)) == 0) {
		n++;
		f->last = q;
		switch (q.op) {
		case LW_COP_LS_OPEN:
			r = answer(LW_CC_LS, &q, 0);
			r.lsid = ++f->next_lsid;
			put(f, &r);
			break;
		case LW_COP_LS_CLOSE:
			r = answer(LW_CC_LS, &q, 0);
			r.lsid = q.lsid;
			put(f, &r);
			break;
		case LW_COP_LOCK:
			serve_lock(f, &q);
			break;
		case LW_COP_UNLOCK:
			serve_unlock(f, &q);
			break;
		default:
			r = answer(LW_CC_ACK, &q, 0);
			put(f, &r);
		}
	}
	if (n > 0)
		fk_wake(f);
}

static int
fk_region(struct fk *f, uint32_t max_locks)
{
	uint32_t rq = f->req_slots ? f->req_slots : lw_proto_req_slots(max_locks);
	uint32_t cq = lw_proto_comp_slots(max_locks);
	size_t rqsz = (size_t)rte_ring_get_memsize_elem(sizeof(struct lw_creq), rq);
	size_t cqsz = (size_t)rte_ring_get_memsize_elem(sizeof(struct lw_ccomp), cq);
	size_t req_off = RTE_ALIGN_CEIL(sizeof(struct lw_shm_hdr), RTE_CACHE_LINE_SIZE);
	size_t comp_off = RTE_ALIGN_CEIL(req_off + rqsz, RTE_CACHE_LINE_SIZE);

	f->size = RTE_ALIGN_CEIL(comp_off + cqsz, 4096);
	f->memfd = memfd_create("lwt_client", MFD_CLOEXEC);
	if (f->memfd < 0 || ftruncate(f->memfd, (off_t)f->size) != 0)
		return -1;
	f->shm = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	if (f->shm == MAP_FAILED) {
		f->shm = NULL;
		return -1;
	}
	f->hdr = f->shm;
	f->hdr->magic = f->welcome == FK_W_BADMAGIC ? 0x12345678u : LW_CLIENT_MAGIC;
	f->hdr->version = LW_CLIENT_VERSION;
	f->hdr->size = f->size;
	f->hdr->req_off = req_off;
	f->hdr->comp_off = f->welcome == FK_W_BADRING ? f->size - 64 : comp_off;
	f->hdr->req_slots = rq;
	f->hdr->comp_slots = cq;
	f->hdr->max_locks = max_locks;
	f->req = (struct rte_ring *)((char *)f->shm + req_off);
	f->comp = (struct rte_ring *)((char *)f->shm + comp_off);
	if (rte_ring_init(f->req, "fk_req", rq, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0 ||
	    rte_ring_init(f->comp, "fk_comp", cq, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
		return -1;
	f->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return f->evfd < 0 ? -1 : 0;
}

static void
fk_send_welcome(struct fk *f, int32_t status, bool fds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct lw_welcome wm;
	struct iovec iov = { .iov_base = &wm, .iov_len = sizeof(wm) };
	struct msghdr mh;
	int two[2] = { f->memfd, f->evfd };

	memset(&wm, 0, sizeof(wm));
	wm.magic = f->welcome == FK_W_BADWELCOME ? 0u : LW_CLIENT_MAGIC;
	wm.version = LW_CLIENT_VERSION;
	wm.status = status;
	wm.node = FK_NODE;
	wm.worker = 1;
	wm.session = 42;
	wm.shm_size = f->size;
	wm.max_locks = f->hdr != NULL ? f->hdr->max_locks : 0;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fds) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(two));
		memcpy(CMSG_DATA(cm), two, sizeof(two));
	}
	CU_ASSERT_EQUAL(sendmsg(f->csock, &mh, MSG_NOSIGNAL), (ssize_t)sizeof(wm));
}

static int
fk_handshake(struct fk *f)
{
	uint32_t ml;

	if (recv(f->csock, &f->hello, sizeof(f->hello), 0) != (ssize_t)sizeof(f->hello))
		return -1;
	f->got_hello = 1;
	if (f->welcome == FK_W_CLOSE) {
		close(f->csock);
		f->csock = -1;
		return -1;
	}
	if (f->welcome == FK_W_REFUSE) {
		fk_send_welcome(f, f->refuse_status, false);
		return -1;
	}
	ml = f->hello.max_locks == 0 ? FK_LOCKS : f->hello.max_locks;
	ml = RTE_MAX(ml, LW_SESSION_MIN_LOCKS);
	ml = RTE_MIN(ml, 4096u);
	if (fk_region(f, ml) != 0)
		return -1;
	fk_send_welcome(f, 0, f->welcome != FK_W_NOFDS);
	return 0;
}

static void *
fk_main(void *arg)
{
	struct fk *f = arg;
	int serving;

	f->csock = accept4(f->lsock, NULL, NULL, SOCK_CLOEXEC);
	if (f->csock < 0 || fk_handshake(f) != 0)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		if (f->stop) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		serving = f->serve;
		if (serving)
			fk_serve(f);
		pthread_mutex_unlock(&f->mu);
		usleep(serving ? 50 : 500);
	}
	return NULL;
}

static void
fk_start(struct fk *f, int welcome)
{
	struct sockaddr_un sa;

	memset(f, 0, sizeof(*f));
	f->lsock = f->csock = f->memfd = f->evfd = -1;
	f->welcome = welcome;
	pthread_mutex_init(&f->mu, NULL);
	strcpy(f->dir, "/tmp/lwt_client.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/node.sock", f->dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, f->path);
	f->lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(f->lsock >= 0);
	CU_ASSERT_EQUAL_FATAL(bind(f->lsock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CU_ASSERT_EQUAL_FATAL(listen(f->lsock, 4), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&f->th, NULL, fk_main, f), 0);
}

static void
fk_stop(struct fk *f)
{
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_mutex_unlock(&f->mu);
	shutdown(f->lsock, SHUT_RDWR);   /* a thread still in accept() */
	pthread_join(f->th, NULL);
	if (f->shm != NULL)
		munmap(f->shm, f->size);
	if (f->csock >= 0)
		close(f->csock);
	if (f->memfd >= 0)
		close(f->memfd);
	if (f->evfd >= 0)
		close(f->evfd);
	close(f->lsock);
	unlink(f->path);
	rmdir(f->dir);
	pthread_mutex_destroy(&f->mu);
}

static void
fk_set_serve(struct fk *f, int on)
{
	pthread_mutex_lock(&f->mu);
	f->serve = on;
	pthread_mutex_unlock(&f->mu);
}

/* The next request the client sent (serve off). @return 0, or -1 when there is none. */
static int
fk_take(struct fk *f, struct lw_creq *q)
{
	int rc;

	pthread_mutex_lock(&f->mu);
	rc = rte_ring_sc_dequeue_elem(f->req, q, sizeof(*q)) == 0 ? 0 : -1;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static unsigned int
fk_pending(struct fk *f)
{
	return rte_ring_count(f->req);
}

static void
fk_push(struct fk *f, struct lw_ccomp r)
{
	pthread_mutex_lock(&f->mu);
	put(f, &r);
	fk_wake(f);
	pthread_mutex_unlock(&f->mu);
}

static void
fk_hangup(struct fk *f)
{
	pthread_mutex_lock(&f->mu);
	close(f->csock);
	f->csock = -1;
	pthread_mutex_unlock(&f->mu);
}

/* A session with one lockspace "ls"; the test is the worker afterwards. */
static void
session(void)
{
	fk_start(&F, FK_W_OK);
	C = lw_connect(F.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(C);
	fk_set_serve(&F, 1);
	CU_ASSERT_EQUAL_FATAL(lw_ls_open(C, "ls", &LS), 0);
	fk_set_serve(&F, 0);
}

static void
session_end(void)
{
	lw_disconnect(C);
	C = NULL;
	LS = NULL;
	fk_stop(&F);
}

/* ---- callbacks ------------------------------------------------------------------ */

struct tl {
	struct lw_lksb sb;
	char lvb[LW_LVB_LEN];
	int nast, status;        /* completions, sb_status when the last ran */
	int nbast, bmode;
};

static struct tl *order[64];
static int norder;

static void
tl_init(struct tl *t)
{
	memset(t, 0, sizeof(*t));
	t->sb.sb_lvbptr = t->lvb;
	t->status = 1;
}

static void
t_ast(void *arg)
{
	struct tl *t = arg;

	t->nast++;
	t->status = t->sb.sb_status;
	if (norder < (int)RTE_DIM(order))
		order[norder++] = t;
}

static void
t_bast(void *arg, int mode)
{
	struct tl *t = arg;

	t->nbast++;
	t->bmode = mode;
}

static int
lock(struct tl *t, const char *name, int mode, uint32_t flags, lw_bast_fn bast)
{
	return lw_lock(LS, mode, &t->sb, flags, name, (unsigned int)strlen(name), 0,
		       t_ast, t, bast, NULL);
}

/* A lock granted in mode through the step-by-step worker; @return its lkid. */
static uint32_t
granted(struct tl *t, const char *name, int mode)
{
	struct lw_creq q;

	tl_init(t);
	CU_ASSERT_EQUAL_FATAL(lock(t, name, mode, 0, t_bast), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(q.handle, t->sb.sb_lkid);
	fk_push(&F, rec(LW_CC_COMPLETE, q.handle, 0, mode));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(t->status, 0);
	return t->sb.sb_lkid;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* ---- handshake ---------------------------------------------------------------------- */

static void
expect_refused(int welcome, int32_t status, int err)
{
	struct lw_client *c;

	fk_start(&F, welcome);
	F.refuse_status = status;
	errno = 0;
	c = lw_connect(F.path);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(errno, err);
	lw_disconnect(c);
	fk_stop(&F);
}

static void
test_connect_errors(void)
{
	char longpath[300];
	int fds = count_fds();

	errno = 0;
	CU_ASSERT_PTR_NULL(lw_connect("/nonexistent-lockwire-dir/node.sock"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	errno = 0;
	CU_ASSERT_PTR_NULL(lw_connect(longpath));
	CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
	expect_refused(FK_W_REFUSE, -EBUSY, EBUSY);
	expect_refused(FK_W_REFUSE, -ENOMEM, ENOMEM);
	expect_refused(FK_W_BADMAGIC, 0, EPROTO);
	expect_refused(FK_W_BADRING, 0, EPROTO);
	expect_refused(FK_W_NOFDS, 0, EPROTO);
	expect_refused(FK_W_BADWELCOME, 0, EPROTO);
	expect_refused(FK_W_CLOSE, 0, ECONNRESET);
	/* a bad $LOCKWIRE_MAX_LOCKS */
	setenv("LOCKWIRE_MAX_LOCKS", "many", 1);
	fk_start(&F, FK_W_OK);
	errno = 0;
	CU_ASSERT_PTR_NULL(lw_connect(F.path));
	CU_ASSERT_EQUAL(errno, EINVAL);
	fk_stop(&F);
	unsetenv("LOCKWIRE_MAX_LOCKS");
	CU_ASSERT_EQUAL(count_fds(), fds);   /* nothing leaked */
	lw_disconnect(NULL);
}

static void
test_connect_ok(void)
{
	struct lw_ls *ls2, *bad = NULL;
	char name65[66];

	fk_start(&F, FK_W_OK);
	setenv("LOCKWIRE_SOCKET", F.path, 1);
	setenv("LOCKWIRE_MAX_LOCKS", "100", 1);
	C = lw_connect(NULL);
	unsetenv("LOCKWIRE_SOCKET");
	unsetenv("LOCKWIRE_MAX_LOCKS");
	CU_ASSERT_PTR_NOT_NULL_FATAL(C);
	CU_ASSERT(F.got_hello);
	CU_ASSERT_EQUAL(F.hello.magic, LW_CLIENT_MAGIC);
	CU_ASSERT_EQUAL(F.hello.version, LW_CLIENT_VERSION);
	CU_ASSERT_EQUAL(F.hello.pid, (int32_t)getpid());
	CU_ASSERT_EQUAL(F.hello.max_locks, 100);
	CU_ASSERT(F.hello.numa >= -1);
	CU_ASSERT_STRING_EQUAL(F.hello.name, "test_client");
	CU_ASSERT_EQUAL(lw_client_node(C), (int)FK_NODE);
	CU_ASSERT_EQUAL(lw_client_node(NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_fd(NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_dispatch(NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 0);
	CU_ASSERT_EQUAL(lw_dispatch(C, 20), 0);   /* times out */
	/* lockspaces */
	fk_set_serve(&F, 1);
	memset(name65, 'n', 65);
	name65[65] = '\0';
	CU_ASSERT_EQUAL(lw_ls_open(NULL, "a", &bad), -EINVAL);
	CU_ASSERT_EQUAL(lw_ls_open(C, NULL, &bad), -EINVAL);
	CU_ASSERT_EQUAL(lw_ls_open(C, "a", NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_ls_open(C, "", &bad), -EINVAL);
	CU_ASSERT_EQUAL(lw_ls_open(C, name65, &bad), -EINVAL);
	CU_ASSERT_PTR_NULL(bad);
	CU_ASSERT_EQUAL(lw_ls_open(C, "one", &LS), 0);
	CU_ASSERT_EQUAL(F.last.op, LW_COP_LS_OPEN);
	CU_ASSERT_EQUAL(F.last.namelen, 3);
	CU_ASSERT_EQUAL(memcmp(F.last.name, "one", 3), 0);
	CU_ASSERT_EQUAL(lw_ls_open(C, name65 + 1, &ls2), 0);   /* 64 bytes */
	CU_ASSERT_EQUAL(lw_ls_close(ls2), 0);
	CU_ASSERT_EQUAL(F.last.op, LW_COP_LS_CLOSE);
	CU_ASSERT_EQUAL(F.last.lsid, 2);
	CU_ASSERT_EQUAL(lw_ls_close(NULL), -EINVAL);
	/* LS stays open: lw_disconnect frees it */
	fk_set_serve(&F, 0);
	session_end();
}

/* ---- synchronous checks -------------------------------------------------------------- */

static void
bad_locks(struct tl *t)
{
	struct lw_lock_opts to = { .timeout_us = 100 }, zero = { 0 };
	char *lvbp = t->sb.sb_lvbptr;

#define BAD(rc, ls, mode, lksb, flags, name, len, parent, opts) \
	CU_ASSERT_EQUAL(lw_lock(ls, mode, lksb, flags, name, len, parent, t_ast, t, NULL, opts), rc)
	BAD(-EINVAL, NULL, LW_LOCK_EX, &t->sb, 0, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, NULL, 0, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, 0, NULL, 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, 0, "r", 0, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, 0, "r", LW_RESNAME_MAXLEN + 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_IV, &t->sb, 0, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX + 1, &t->sb, 0, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_NODLCKBLK, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, 0x80000000u, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, 0, "r", 1, 5, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_CANCEL, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_FORCEUNLOCK, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_QUECVT, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_CONVDEADLK, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_PR, &t->sb, LW_LKF_EXPEDITE, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_NOQUEUEBAST, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_ALTPR | LW_LKF_ALTCW, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_TIMEOUT, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_TIMEOUT, "r", 1, 0, &zero);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_TIMEOUT | LW_LKF_NOQUEUE, "r", 1, 0, &to);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_CONVERT | LW_LKF_EXPEDITE, "r", 1, 0, NULL);
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_CONVERT | LW_LKF_ORPHAN, "r", 1, 0, NULL);
	t->sb.sb_lvbptr = NULL;
	BAD(-EINVAL, LS, LW_LOCK_EX, &t->sb, LW_LKF_VALBLK, "r", 1, 0, NULL);
	t->sb.sb_lvbptr = lvbp;
#undef BAD
}

/* Conversions and unlocks of lock a (lkid in a->sb, PW requested, not answered). */
static void
bad_converts_unlocks(struct lw_ls *ls2, struct tl *a, struct tl *t)
{
	uint32_t ka = a->sb.sb_lkid;
	struct lw_creq q;
	struct tl other;

	/* conversions: unknown, other lockspace, pending, QUECVT not up */
	other = *t;
	other.sb.sb_lkid = 12345;
	CU_ASSERT_EQUAL(lock(&other, "r", LW_LOCK_EX, LW_LKF_CONVERT, NULL), -ENOENT);
	other.sb.sb_lkid = ka;
	CU_ASSERT_EQUAL(lw_lock(ls2, LW_LOCK_EX, &other.sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast,
				&other, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &other.sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast,
				&other, NULL, NULL), -EBUSY);
	fk_push(&F, rec(LW_CC_COMPLETE, ka, 0, LW_LOCK_PW));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_PR, &other.sb, LW_LKF_CONVERT | LW_LKF_QUECVT, NULL, 0,
				0, t_ast, &other, NULL, NULL), -EINVAL);
	/* unlocks */
	CU_ASSERT_EQUAL(lw_unlock(NULL, ka, 0, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_NOQUEUE, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(LS, 12345, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock(LS, 0, LW_LKF_CANCEL, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock(ls2, ka, 0, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_CANCEL, NULL, NULL), -EBUSY);   /* granted */
	t->sb.sb_lvbptr = NULL;
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_VALBLK, &t->sb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(fk_pending(&F), 0);
	/* with a conversion pending: unlock is busy, a second cancel too */
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &a->sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast, a, NULL,
				NULL), 0);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, 0, NULL, NULL), -EBUSY);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_CANCEL, NULL, NULL), 0);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_CANCEL, NULL, NULL), -EBUSY);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(q.flags, LW_LKF_CONVERT);
	CU_ASSERT_EQUAL(q.namelen, 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(q.op, LW_COP_UNLOCK);
	CU_ASSERT_EQUAL(q.flags, LW_LKF_CANCEL);
	CU_ASSERT_EQUAL(fk_pending(&F), 0);
	/* an unlock in flight: everything else is busy */
	fk_push(&F, rec(LW_CC_COMPLETE, ka, 0, LW_LOCK_EX));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, 0, NULL, NULL), -EBUSY);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_FORCEUNLOCK, NULL, NULL), -EBUSY);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_NL, &a->sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast, a, NULL,
				NULL), -EBUSY);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(fk_pending(&F), 0);
}

static void
test_bad_args(void)
{
	struct lw_lock_opts opts = { .xid = 77, .timeout_us = 500, .lease_ms = 9, .priority = -3 };
	struct tl a, b, t;
	struct lw_ls *ls2;
	struct lw_creq q;

	session();
	fk_set_serve(&F, 1);
	CU_ASSERT_EQUAL_FATAL(lw_ls_open(C, "two", &ls2), 0);
	fk_set_serve(&F, 0);
	tl_init(&t);
	bad_locks(&t);
	CU_ASSERT_EQUAL(fk_pending(&F), 0);
	/* the good ones reach the ring with every field */
	tl_init(&a);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_PW, &a.sb, LW_LKF_TIMEOUT | LW_LKF_HEADQUE, "res-a", 5,
				0, t_ast, &a, t_bast, &opts), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(q.op, LW_COP_LOCK);
	CU_ASSERT_EQUAL(q.mode, LW_LOCK_PW);
	CU_ASSERT_EQUAL(q.flags, LW_LKF_TIMEOUT | LW_LKF_HEADQUE);
	CU_ASSERT_EQUAL(q.namelen, 5);
	CU_ASSERT_EQUAL(memcmp(q.name, "res-a", 5), 0);
	CU_ASSERT_EQUAL(q.want_bast, 1);
	CU_ASSERT_EQUAL(q.lsid, 1);
	CU_ASSERT_EQUAL(q.timeout_us, 500);
	CU_ASSERT_EQUAL(q.lease_ms, 9);
	CU_ASSERT_EQUAL(q.priority, -3);
	CU_ASSERT_EQUAL(q.xid, 77);
	CU_ASSERT_EQUAL(q.cflags, 0);
	CU_ASSERT_EQUAL(q.handle, a.sb.sb_lkid);
	CU_ASSERT(LW_HANDLE_IDX(q.handle) >= 1 && LW_HANDLE_IDX(q.handle) <= FK_LOCKS);
	CU_ASSERT(q.tag != 0);
	tl_init(&b);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_NL, &b.sb, LW_LKF_EXPEDITE, "e", 1, 0, t_ast, &b, NULL,
				NULL), 0);
	CU_ASSERT_EQUAL(lock(&b, "nq", LW_LOCK_EX, LW_LKF_NOQUEUE | LW_LKF_NOQUEUEBAST, NULL), 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(q.want_bast, 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(fk_pending(&F), 0);
	bad_converts_unlocks(ls2, &a, &t);
	session_end();
}

/* ---- a lock's life ----------------------------------------------------------------- */

/* Unlock a (lkid k, 3 completions so far); afterwards k names nothing. */
static void
unlock_and_forget(struct tl *a, uint32_t k)
{
	struct lw_creq q;

	/* unlock */
	CU_ASSERT_EQUAL(lw_unlock(LS, k, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(q.op, LW_COP_UNLOCK);
	CU_ASSERT_EQUAL(q.handle, k);
	CU_ASSERT_EQUAL(q.lsid, 1);
	fk_push(&F, rec(LW_CC_COMPLETE, k, LW_EUNLOCK, LW_LOCK_IV));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(a->nast, 4);
	CU_ASSERT_EQUAL(a->status, LW_EUNLOCK);
	/* the handle is gone */
	CU_ASSERT_EQUAL(lw_unlock(LS, k, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &a->sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast, a, NULL,
				NULL), -ENOENT);
	fk_push(&F, rec(LW_CC_COMPLETE, k, 0, LW_LOCK_EX));   /* stale: ignored */
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 0);
	CU_ASSERT_EQUAL(a->nast, 4);
	CU_ASSERT_EQUAL(fk_pending(&F), 0);
}

static void
test_round(void)
{
	struct lw_ccomp r;
	struct lw_creq q;
	struct tl a;
	uint32_t k;

	session();
	tl_init(&a);
	memcpy(a.lvb, "client-lvb-0", 13);
	CU_ASSERT_EQUAL(lock(&a, "round", LW_LOCK_PW, LW_LKF_VALBLK, NULL), 0);
	k = a.sb.sb_lkid;
	CU_ASSERT_EQUAL(a.nast, 0);
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(memcmp(q.lvb, "client-lvb-0", 13), 0);
	r = rec(LW_CC_COMPLETE, k, 0, LW_LOCK_PW);
	r.has_lvb = 1;
	memcpy(r.lvb, "node-lvb-1", 11);
	fk_push(&F, r);
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(a.nast, 1);
	CU_ASSERT_EQUAL(a.status, 0);
	CU_ASSERT_EQUAL(a.sb.sb_lkid, k);
	CU_ASSERT_EQUAL(a.sb.sb_flags, 0);
	CU_ASSERT_STRING_EQUAL(a.lvb, "node-lvb-1");
	/* up to EX, reading a value block that is not valid */
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &a.sb, LW_LKF_CONVERT | LW_LKF_VALBLK, NULL, 0, 0,
				t_ast, &a, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(q.handle, k);
	CU_ASSERT_EQUAL(q.mode, LW_LOCK_EX);
	r = rec(LW_CC_COMPLETE, k, 0, LW_LOCK_EX);
	r.has_lvb = 1;
	r.sbflags = LW_SBF_VALNOTVALID;
	memcpy(r.lvb, "node-lvb-2", 11);
	fk_push(&F, r);
	CU_ASSERT_EQUAL(lw_dispatch(C, -1), 1);
	CU_ASSERT_EQUAL(a.nast, 2);
	CU_ASSERT_EQUAL(a.sb.sb_flags, LW_SBF_VALNOTVALID);
	CU_ASSERT_STRING_EQUAL(a.lvb, "node-lvb-2");
	/* down to NL, writing; no value block comes back */
	strcpy(a.lvb, "written");
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_NL, &a.sb, LW_LKF_CONVERT | LW_LKF_VALBLK, NULL, 0, 0,
				t_ast, &a, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	CU_ASSERT_STRING_EQUAL((char *)q.lvb, "written");
	fk_push(&F, rec(LW_CC_COMPLETE, k, 0, LW_LOCK_NL));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_STRING_EQUAL(a.lvb, "written");
	CU_ASSERT_EQUAL(a.sb.sb_flags, 0);
	unlock_and_forget(&a, k);
	session_end();
}

static void
test_new_lock_not_granted(void)
{
	struct lw_creq q;
	struct tl a;

	session();
	tl_init(&a);
	CU_ASSERT_EQUAL(lock(&a, "busy", LW_LOCK_EX, LW_LKF_NOQUEUE, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	fk_push(&F, rec(LW_CC_COMPLETE, q.handle, -EAGAIN, LW_LOCK_IV));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(a.status, -EAGAIN);
	CU_ASSERT_EQUAL(lw_unlock(LS, q.handle, 0, NULL, NULL), -ENOENT);
	/* a failed conversion keeps the lock */
	granted(&a, "conv", LW_LOCK_PR);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &a.sb, LW_LKF_CONVERT | LW_LKF_NOQUEUE, NULL, 0, 0,
				t_ast, &a, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	fk_push(&F, rec(LW_CC_COMPLETE, q.handle, -EDEADLK, LW_LOCK_PR));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(a.status, -EDEADLK);
	CU_ASSERT_EQUAL(lw_unlock(LS, q.handle, 0, NULL, NULL), 0);
	session_end();
}

static void
test_blocking(void)
{
	struct tl a, b;
	uint32_t ka, kb;

	session();
	ka = granted(&a, "blk", LW_LOCK_PR);
	tl_init(&b);
	CU_ASSERT_EQUAL(lock(&b, "blk2", LW_LOCK_EX, 0, NULL), 0);   /* no bast */
	kb = b.sb.sb_lkid;
	fk_push(&F, rec(LW_CC_COMPLETE, kb, 0, LW_LOCK_EX));
	fk_push(&F, rec(LW_CC_BLOCKING, ka, 0, LW_LOCK_EX));
	fk_push(&F, rec(LW_CC_BLOCKING, kb, 0, LW_LOCK_PR));
	fk_push(&F, rec(LW_CC_BLOCKING, ka + (1u << LW_HANDLE_IDX_BITS), 0, LW_LOCK_CW));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 2);   /* b's completion, a's bast */
	CU_ASSERT_EQUAL(a.nbast, 1);
	CU_ASSERT_EQUAL(a.bmode, LW_LOCK_EX);
	CU_ASSERT_EQUAL(a.nast, 1);
	CU_ASSERT_EQUAL(b.nast, 1);
	CU_ASSERT_EQUAL(b.nbast, 0);
	session_end();
}

/* ---- refusals, cancels, force ----------------------------------------------------- */

static void
test_reject(void)
{
	struct lw_ccomp r;
	struct lw_creq q, qc;
	struct tl a, b;
	uint32_t ka, kb;

	session();
	tl_init(&a);
	CU_ASSERT_EQUAL(lock(&a, "rej", LW_LOCK_EX, 0, NULL), 0);
	ka = a.sb.sb_lkid;
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	r = answer(LW_CC_REJECT, &q, -ENOMEM);
	r.tag = q.tag + 1000;   /* not this request's: ignored */
	fk_push(&F, r);
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 0);
	fk_push(&F, answer(LW_CC_REJECT, &q, -ENOMEM));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(a.nast, 1);
	CU_ASSERT_EQUAL(a.status, -ENOMEM);
	CU_ASSERT_EQUAL(a.sb.sb_lkid, ka);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, 0, NULL, NULL), -ENOENT);   /* freed */
	/* a refused conversion: the lock stays as it was */
	kb = granted(&b, "rej2", LW_LOCK_PR);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &b.sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast, &b, NULL,
				NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	fk_push(&F, answer(LW_CC_REJECT, &q, -EINVAL));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(b.status, -EINVAL);
	/* a refused CANCEL is dropped; the request completes on its own */
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &b.sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast, &b, NULL,
				NULL), 0);
	CU_ASSERT_EQUAL(lw_unlock(LS, kb, LW_LKF_CANCEL, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &qc), 0);
	fk_push(&F, answer(LW_CC_REJECT, &qc, -EINVAL));   /* before the request's end */
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 0);
	CU_ASSERT_EQUAL(lw_unlock(LS, kb, LW_LKF_CANCEL, NULL, NULL), 0);   /* may cancel again */
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &qc), 0);
	fk_push(&F, rec(LW_CC_COMPLETE, kb, 0, LW_LOCK_EX));
	fk_push(&F, answer(LW_CC_REJECT, &qc, -EBUSY));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(b.nast, 3);
	CU_ASSERT_EQUAL(b.status, 0);
	/* a refused unlock: ast with the error, lock kept */
	CU_ASSERT_EQUAL(lw_unlock(LS, kb, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	fk_push(&F, answer(LW_CC_REJECT, &q, -ENOENT));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(b.status, -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock(LS, kb, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	session_end();
}

static void
test_cancel(void)
{
	struct lw_creq q;
	struct tl a, u;
	uint32_t ka;

	session();
	/* a waiting new lock, cancelled: its ast gets the cancel's lksb and astarg */
	tl_init(&a);
	tl_init(&u);
	CU_ASSERT_EQUAL(lock(&a, "cnl", LW_LOCK_EX, 0, NULL), 0);
	ka = a.sb.sb_lkid;
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_CANCEL, &u.sb, &u), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL_FATAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(q.op, LW_COP_UNLOCK);
	CU_ASSERT_EQUAL(q.flags, LW_LKF_CANCEL);
	CU_ASSERT_EQUAL(q.handle, ka);
	fk_push(&F, rec(LW_CC_COMPLETE, ka, LW_ECANCEL, LW_LOCK_IV));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(u.nast, 1);
	CU_ASSERT_EQUAL(u.status, LW_ECANCEL);
	CU_ASSERT_EQUAL(u.sb.sb_lkid, ka);
	CU_ASSERT_EQUAL(a.nast, 0);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, 0, NULL, NULL), -ENOENT);
	/* a cancelled conversion keeps the lock; astarg NULL means the lock's */
	ka = granted(&a, "cnv", LW_LOCK_PR);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &a.sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast, &a, NULL,
				NULL), 0);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_CANCEL, NULL, NULL), 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	fk_push(&F, rec(LW_CC_COMPLETE, ka, LW_ECANCEL, LW_LOCK_PR));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(a.nast, 2);
	CU_ASSERT_EQUAL(a.status, LW_ECANCEL);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	session_end();
}

static void
test_forceunlock(void)
{
	struct lw_creq q;
	struct tl a, u;
	uint32_t ka;

	session();
	/* our own waiting lock: the request is cancelled, then the lock released */
	tl_init(&a);
	tl_init(&u);
	norder = 0;
	CU_ASSERT_EQUAL(lock(&a, "frc", LW_LOCK_EX, 0, NULL), 0);
	ka = a.sb.sb_lkid;
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_FORCEUNLOCK, NULL, &u), 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(q.flags, LW_LKF_FORCEUNLOCK);
	CU_ASSERT_EQUAL(q.cflags, 0);
	fk_push(&F, rec(LW_CC_COMPLETE, ka, LW_ECANCEL, LW_LOCK_IV));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(a.sb.sb_status, LW_ECANCEL);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, LW_LKF_CANCEL, NULL, NULL), -EBUSY);   /* still there */
	fk_push(&F, rec(LW_CC_COMPLETE, ka, LW_EUNLOCK, LW_LOCK_IV));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(u.nast, 2);
	CU_ASSERT_EQUAL(a.sb.sb_status, LW_EUNLOCK);
	CU_ASSERT_EQUAL(lw_unlock(LS, ka, 0, NULL, NULL), -ENOENT);
	/* an orphan's engine lkid: synchronous, no ast */
	fk_set_serve(&F, 1);
	tl_init(&u);
	CU_ASSERT_EQUAL(lw_unlock(LS, 0x7123456u, LW_LKF_FORCEUNLOCK, &u.sb, NULL), 0);
	CU_ASSERT_EQUAL(u.sb.sb_status, LW_EUNLOCK);
	CU_ASSERT_EQUAL(u.sb.sb_lkid, 0x7123456u);
	CU_ASSERT_EQUAL(F.last.cflags, LW_CREQ_ACK | LW_CREQ_RAWLKID);
	CU_ASSERT_EQUAL(F.last.lkid, 0x7123456u);
	CU_ASSERT_EQUAL(u.nast, 0);
	CU_ASSERT_EQUAL(lw_unlock(LS, RAW_MISSING, LW_LKF_FORCEUNLOCK, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock_wait(LS, 0x7000001u, LW_LKF_FORCEUNLOCK, NULL), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 0);
	CU_ASSERT_EQUAL(u.nast, 0);
	fk_set_serve(&F, 0);
	session_end();
}

static void
test_orphan(void)
{
	struct tl a, b;

	session();
	fk_set_serve(&F, 1);
	tl_init(&a);
	CU_ASSERT_EQUAL(lock(&a, "orph", LW_LOCK_PR, LW_LKF_ORPHAN | LW_LKF_PERSISTENT, NULL), 0);
	CU_ASSERT_EQUAL(F.last.cflags, LW_CREQ_ACK);
	CU_ASSERT_EQUAL(a.nast, 0);
	CU_ASSERT_EQUAL(lw_dispatch(C, 1000), 1);   /* the COMPLETE follows the ACK */
	CU_ASSERT_EQUAL(a.status, 0);
	tl_init(&b);
	CU_ASSERT_EQUAL(lock(&b, "none", LW_LOCK_PR, LW_LKF_ORPHAN, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lock(&b, "other", LW_LOCK_PR, LW_LKF_ORPHAN, NULL), -EAGAIN);
	CU_ASSERT_EQUAL(lw_unlock(LS, b.sb.sb_lkid, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_dispatch(C, 10), 0);
	CU_ASSERT_EQUAL(b.nast, 0);
	CU_ASSERT_EQUAL(lw_unlock_wait(LS, a.sb.sb_lkid, 0, NULL), LW_EUNLOCK);
	fk_set_serve(&F, 0);
	session_end();
}

/* ---- waking and waiting ------------------------------------------------------------ */

static int
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0);
}

static void
test_fd(void)
{
	struct tl a;
	uint64_t one = 1;
	int fd;

	session();
	tl_init(&a);
	CU_ASSERT_EQUAL(lock(&a, "fd", LW_LOCK_EX, 0, NULL), 0);
	fd = lw_fd(C);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(readable(fd), 0);
	CU_ASSERT_EQUAL(F.hdr->waiting, 1);   /* lw_fd armed the wake-up */
	CU_ASSERT_EQUAL(write(F.evfd, &one, sizeof(one)), (ssize_t)sizeof(one));
	CU_ASSERT_EQUAL(readable(fd), 1);
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 0);
	CU_ASSERT_EQUAL(readable(fd), 0);
	CU_ASSERT_EQUAL(F.hdr->waiting, 1);   /* dispatch re-armed it */
	/* the worker's wake-up after a record */
	fk_push(&F, rec(LW_CC_COMPLETE, a.sb.sb_lkid, 0, LW_LOCK_EX));
	CU_ASSERT_EQUAL(F.hdr->waiting, 0);
	CU_ASSERT_EQUAL(readable(fd), 1);
	{
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN }, out;

		CU_ASSERT_EQUAL(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
		CU_ASSERT_EQUAL(epoll_wait(ep, &out, 1, 1000), 1);
		CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
		CU_ASSERT_EQUAL(F.hdr->waiting, 1);   /* re-armed for the next record */
		CU_ASSERT_EQUAL(epoll_wait(ep, &out, 1, 0), 0);
		close(ep);
	}
	CU_ASSERT_EQUAL(a.status, 0);
	session_end();
}

static void
test_wait(void)
{
	struct lw_lock_opts opts = { .priority = 5 };
	struct tl a, b;
	uint32_t ka;

	session();
	fk_set_serve(&F, 1);
	tl_init(&a);
	memcpy(F.lvb, "fake-node-lvb", 14);
	CU_ASSERT_EQUAL(lw_lock_wait(LS, LW_LOCK_EX, &a.sb, LW_LKF_VALBLK, "w", 1, t_bast, &b,
				     &opts), 0);
	ka = a.sb.sb_lkid;
	CU_ASSERT_EQUAL(a.sb.sb_status, 0);
	CU_ASSERT_STRING_EQUAL(a.lvb, "fake-node-lvb");
	CU_ASSERT_EQUAL(F.last.priority, 5);
	CU_ASSERT_EQUAL(a.nast, 0);   /* no ast: the wrapper waits */
	/* other callbacks run while waiting */
	tl_init(&b);
	CU_ASSERT_EQUAL(lock(&b, "w2", LW_LOCK_PR, 0, NULL), 0);
	CU_ASSERT_EQUAL(lw_lock_wait(LS, LW_LOCK_PR, &a.sb, LW_LKF_CONVERT, NULL, 0, t_bast, &b,
				     NULL), 0);
	CU_ASSERT_EQUAL(b.nast, 1);
	CU_ASSERT_EQUAL(b.status, 0);
	/* bast gets bastarg (b) */
	fk_set_serve(&F, 0);
	fk_push(&F, rec(LW_CC_BLOCKING, ka, 0, LW_LOCK_EX));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(b.nbast, 1);
	fk_set_serve(&F, 1);
	strcpy(a.lvb, "back");
	CU_ASSERT_EQUAL(lw_unlock_wait(LS, ka, LW_LKF_VALBLK, NULL), LW_EUNLOCK);
	CU_ASSERT_EQUAL(memcmp(F.lvb, "back", 5), 0);
	CU_ASSERT_EQUAL(lw_unlock_wait(LS, ka, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock_wait(LS, b.sb.sb_lkid, LW_LKF_CANCEL, NULL), -EBUSY);
	CU_ASSERT_EQUAL(lw_lock_wait(LS, 9, &a.sb, 0, "w", 1, NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_lock_wait(NULL, 0, &a.sb, 0, "w", 1, NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock_wait(NULL, ka, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock_wait(LS, b.sb.sb_lkid, 0, &b.sb), LW_EUNLOCK);
	CU_ASSERT_EQUAL(b.nast, 1);   /* the wrapper's unlock runs no ast */
	fk_set_serve(&F, 0);
	session_end();
}

/* ---- callbacks that call back ------------------------------------------------------ */

static struct tl re_b;
static int re_rc[6];

static void
reenter_ast(void *arg)
{
	struct tl *t = arg;
	struct lw_ls *ls2 = NULL;

	t->nast++;
	re_rc[0] = lw_dispatch(C, 0);
	re_rc[1] = lw_lock_wait(LS, LW_LOCK_EX, &re_b.sb, 0, "x", 1, NULL, NULL, NULL);
	re_rc[2] = lw_unlock_wait(LS, t->sb.sb_lkid, 0, NULL);
	re_rc[3] = lw_lock(LS, LW_LOCK_EX, &re_b.sb, 0, "inner", 5, 0, t_ast, &re_b, NULL, NULL);
	re_rc[4] = lw_ls_open(C, "inner-ls", &ls2);   /* synchronous: no callbacks inside */
	re_rc[5] = re_b.nast;
	if (ls2 != NULL)
		lw_ls_close(ls2);
}

static void
test_reentrancy(void)
{
	struct tl a;

	session();
	tl_init(&a);
	tl_init(&re_b);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_PR, &a.sb, 0, "outer", 5, 0, reenter_ast, &a, NULL,
				NULL), 0);
	fk_push(&F, rec(LW_CC_COMPLETE, a.sb.sb_lkid, 0, LW_LOCK_PR));
	{
		struct lw_creq q;

		CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	}
	fk_set_serve(&F, 1);   /* grants "inner" and opens "inner-ls" */
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 2);   /* outer's ast, then inner's, in order */
	CU_ASSERT_EQUAL(a.nast, 1);
	CU_ASSERT_EQUAL(re_rc[0], -EDEADLK);
	CU_ASSERT_EQUAL(re_rc[1], -EDEADLK);
	CU_ASSERT_EQUAL(re_rc[2], -EDEADLK);
	CU_ASSERT_EQUAL(re_rc[3], 0);
	CU_ASSERT_EQUAL(re_rc[4], 0);
	CU_ASSERT_EQUAL(re_rc[5], 0);
	CU_ASSERT_EQUAL(re_b.nast, 1);
	CU_ASSERT_EQUAL(re_b.status, 0);
	CU_ASSERT_EQUAL(lw_unlock_wait(LS, a.sb.sb_lkid, 0, NULL), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lw_unlock_wait(LS, re_b.sb.sb_lkid, 0, NULL), LW_EUNLOCK);
	fk_set_serve(&F, 0);
	session_end();
}

static void
test_backlog(void)
{
	struct lw_ls *ls2;
	struct tl a, b;
	int fd;

	session();
	fd = lw_fd(C);
	granted(&a, "bl-a", LW_LOCK_PR);
	tl_init(&b);
	CU_ASSERT_EQUAL(lock(&b, "bl-b", LW_LOCK_EX, 0, NULL), 0);
	{
		struct lw_creq q;

		CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	}
	norder = 0;
	fk_push(&F, rec(LW_CC_BLOCKING, a.sb.sb_lkid, 0, LW_LOCK_EX));
	fk_push(&F, rec(LW_CC_COMPLETE, b.sb.sb_lkid, 0, LW_LOCK_EX));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 2);
	CU_ASSERT_EQUAL(lw_unlock(LS, b.sb.sb_lkid, 0, NULL, NULL), 0);
	{
		struct lw_creq q;

		CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	}
	fk_push(&F, rec(LW_CC_COMPLETE, b.sb.sb_lkid, LW_EUNLOCK, LW_LOCK_IV));
	/* records that arrive during lw_ls_open wait for the next dispatch */
	fk_set_serve(&F, 1);
	CU_ASSERT_EQUAL(lw_ls_open(C, "second", &ls2), 0);
	fk_set_serve(&F, 0);
	CU_ASSERT_EQUAL(b.nast, 1);
	CU_ASSERT_EQUAL(readable(fd), 1);   /* the backlog shows on lw_fd */
	fk_push(&F, rec(LW_CC_BLOCKING, a.sb.sb_lkid, 0, LW_LOCK_CW));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 2);
	CU_ASSERT_EQUAL(b.nast, 2);
	CU_ASSERT_EQUAL(b.status, LW_EUNLOCK);
	CU_ASSERT_EQUAL(a.nbast, 2);
	CU_ASSERT_EQUAL(a.bmode, LW_LOCK_CW);   /* after the backlog, in order */
	fk_set_serve(&F, 1);
	CU_ASSERT_EQUAL(lw_ls_close(ls2), 0);
	fk_set_serve(&F, 0);
	session_end();
}

/* ---- the end of a session ---------------------------------------------------------- */

static void
death_checks(struct tl *t)
{
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), -ENOTCONN);
	CU_ASSERT_EQUAL(lw_dispatch(C, 10), -ENOTCONN);
	CU_ASSERT_EQUAL(lock(t, "late", LW_LOCK_EX, 0, NULL), -ENOTCONN);
	CU_ASSERT_EQUAL(lw_unlock(LS, t->sb.sb_lkid, 0, NULL, NULL), -ENOTCONN);
	CU_ASSERT_EQUAL(lw_lock_wait(LS, LW_LOCK_EX, &t->sb, 0, "late", 4, NULL, NULL, NULL),
			-ENOTCONN);
	CU_ASSERT_EQUAL(lw_ls_close(LS), -ENOTCONN);
	CU_ASSERT_EQUAL(fk_pending(&F), 0);
}

static void
test_death_socket(void)
{
	struct tl a, b, g, u, x;
	struct lw_creq q;
	uint32_t kg, ku;
	int n, rc;

	session();
	kg = granted(&g, "granted", LW_LOCK_PR);
	ku = granted(&u, "unlocking", LW_LOCK_EX);
	CU_ASSERT_EQUAL(lw_unlock(LS, ku, 0, NULL, NULL), 0);
	tl_init(&a);
	tl_init(&b);
	CU_ASSERT_EQUAL(lock(&a, "waiting", LW_LOCK_EX, 0, NULL), 0);
	CU_ASSERT_EQUAL(lock(&b, "answered", LW_LOCK_EX, 0, NULL), 0);
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &g.sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast, &g, NULL,
				NULL), 0);
	while (fk_take(&F, &q) == 0)
		;
	fk_push(&F, rec(LW_CC_COMPLETE, b.sb.sb_lkid, 0, LW_LOCK_EX));   /* before the end */
	fk_hangup(&F);
	n = 0;
	while ((rc = lw_dispatch(C, 2000)) > 0)
		n += rc;
	CU_ASSERT_EQUAL(rc, -ENOTCONN);
	CU_ASSERT_EQUAL(n, 4);   /* b granted (it came first); a, g, u lost */
	CU_ASSERT_EQUAL(b.status, 0);
	CU_ASSERT_EQUAL(a.status, -ENOLCK);
	CU_ASSERT_EQUAL(g.status, -ENOLCK);
	CU_ASSERT_EQUAL(u.status, -ENOLCK);
	CU_ASSERT_EQUAL(a.nast + b.nast + g.nast + u.nast, 1 + 1 + 2 + 2);
	tl_init(&x);
	death_checks(&x);
	CU_ASSERT_EQUAL(a.nast + b.nast + g.nast + u.nast, 6);   /* once */
	CU_ASSERT_EQUAL(x.nast, 0);
	CU_ASSERT_EQUAL(readable(lw_fd(C)), 1);
	CU_ASSERT_EQUAL(lw_unlock(LS, kg, 0, NULL, NULL), -ENOTCONN);
	session_end();
}

static void
test_death_flag(void)
{
	struct tl a, x;
	uint64_t one = 1;

	session();
	tl_init(&a);
	CU_ASSERT_EQUAL(lock(&a, "w", LW_LOCK_EX, 0, NULL), 0);
	__atomic_store_n(&F.hdr->dead, ENOBUFS, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(write(F.evfd, &one, sizeof(one)), (ssize_t)sizeof(one));
	tl_init(&x);
	CU_ASSERT_EQUAL(lock(&x, "x", LW_LOCK_EX, 0, NULL), -ENOTCONN);
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	CU_ASSERT_EQUAL(a.status, -ENOLCK);
	CU_ASSERT_EQUAL(a.nast, 1);
	{
		struct lw_creq q;

		CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	}
	death_checks(&x);
	session_end();
	/* a node that dies while lw_lock_wait sleeps */
	session();
	F.die_on_lock = 1;
	fk_set_serve(&F, 1);
	tl_init(&a);
	CU_ASSERT_EQUAL(lw_lock_wait(LS, LW_LOCK_EX, &a.sb, 0, "d", 1, NULL, NULL, NULL), -ENOLCK);
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), -ENOTCONN);
	fk_set_serve(&F, 0);
	session_end();
}

/* ---- handles --------------------------------------------------------------------- */

static void
test_handles(void)
{
	static struct tl t[FK_LOCKS + 1];
	struct lw_creq q;
	uint32_t first, i;

	session();
	first = granted(&t[0], "h0", LW_LOCK_EX);
	CU_ASSERT_EQUAL(lw_unlock(LS, first, 0, NULL, NULL), 0);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	fk_push(&F, rec(LW_CC_COMPLETE, first, LW_EUNLOCK, LW_LOCK_IV));
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), 1);
	/* take every handle: the freed slot comes back last, with a new generation */
	for (i = 0; i < FK_LOCKS; i++) {
		char name[16];

		tl_init(&t[i]);
		snprintf(name, sizeof(name), "h%u", i);
		CU_ASSERT_EQUAL_FATAL(lock(&t[i], name, LW_LOCK_NL, 0, NULL), 0);
		CU_ASSERT_NOT_EQUAL(t[i].sb.sb_lkid, first);
	}
	CU_ASSERT_EQUAL(LW_HANDLE_IDX(t[FK_LOCKS - 1].sb.sb_lkid), LW_HANDLE_IDX(first));
	CU_ASSERT_EQUAL(t[FK_LOCKS - 1].sb.sb_lkid >> LW_HANDLE_IDX_BITS,
			(first >> LW_HANDLE_IDX_BITS) + 1);
	tl_init(&t[FK_LOCKS]);
	CU_ASSERT_EQUAL(lock(&t[FK_LOCKS], "one-too-many", LW_LOCK_NL, 0, NULL), -ENOMEM);
	CU_ASSERT_EQUAL(fk_pending(&F), FK_LOCKS);
	/* a stale lkid names nothing */
	CU_ASSERT_EQUAL(lw_unlock(LS, first, LW_LKF_CANCEL, NULL, NULL), -ENOENT);
	t[FK_LOCKS].sb.sb_lkid = first;
	CU_ASSERT_EQUAL(lw_lock(LS, LW_LOCK_EX, &t[FK_LOCKS].sb, LW_LKF_CONVERT, NULL, 0, 0, t_ast,
				&t[FK_LOCKS], NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_ls_close(LS), -EBUSY);
	for (i = 0; i < FK_LOCKS; i++) {
		CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
		fk_push(&F, rec(LW_CC_COMPLETE, q.handle, -EAGAIN, LW_LOCK_IV));
	}
	CU_ASSERT_EQUAL(lw_dispatch(C, 0), (int)FK_LOCKS);
	fk_set_serve(&F, 1);
	CU_ASSERT_EQUAL(lw_ls_close(LS), 0);
	LS = NULL;
	fk_set_serve(&F, 0);
	session_end();
}

static void
test_ring_full(void)
{
	static struct tl t[64];
	struct lw_creq q;
	unsigned int i, n = 0;
	int rc = 0;

	fk_start(&F, FK_W_OK);
	F.req_slots = 32;   /* room for 31 requests */
	C = lw_connect(F.path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(C);
	fk_set_serve(&F, 1);
	CU_ASSERT_EQUAL_FATAL(lw_ls_open(C, "ls", &LS), 0);
	fk_set_serve(&F, 0);
	for (i = 0; i < RTE_DIM(t); i++) {
		tl_init(&t[i]);
		rc = lock(&t[i], "full", LW_LOCK_NL, 0, NULL);
		if (rc != 0)
			break;
		n++;
	}
	CU_ASSERT_EQUAL(rc, -EAGAIN);
	CU_ASSERT_EQUAL(n, 31);
	CU_ASSERT_EQUAL(fk_take(&F, &q), 0);
	CU_ASSERT_EQUAL(lock(&t[n], "full", LW_LOCK_NL, 0, NULL), 0);   /* room again */
	session_end();
}

static int
run(void)
{
	unsigned int failed;

	CU_basic_set_mode(getenv("LWT_VERBOSE") ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_tests_run() == 0)
		failed = 1;
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

int
main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "connect: errors, nothing leaked", test_connect_errors },
		{ "connect: hello, environment, lockspaces", test_connect_ok },
		{ "synchronous checks send nothing", test_bad_args },
		{ "lock, convert, unlock with LVB", test_round },
		{ "new lock not granted, failed conversion", test_new_lock_not_granted },
		{ "blocking callbacks", test_blocking },
		{ "refused requests", test_reject },
		{ "cancel", test_cancel },
		{ "force-unlock: own lock and orphan lkid", test_forceunlock },
		{ "ORPHAN adoption", test_orphan },
		{ "lw_fd and the eventfd", test_fd },
		{ "wait wrappers", test_wait },
		{ "callbacks that call back", test_reentrancy },
		{ "records kept during a synchronous call", test_backlog },
		{ "node hangs up", test_death_socket },
		{ "session cut off (hdr->dead)", test_death_flag },
		{ "handles: generations, table full", test_handles },
		{ "request ring full", test_ring_full },
	};
	CU_pSuite s;
	unsigned int i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("client", NULL, NULL);
	if (s == NULL)
		return 2;
	for (i = 0; i < RTE_DIM(tests); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return 2;
	return run();
}
