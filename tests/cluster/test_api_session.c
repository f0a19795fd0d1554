/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_api_session.c — the session half of test_api (api.h): bad
 * arguments and another session's locks, lw_fd with epoll, clients that
 * die, PERSISTENT locks left as orphans (adopted with ORPHAN, or removed
 * with FORCEUNLOCK by the engine lkid that lwctl shows), lw_disconnect,
 * and a node that stops under its clients.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "api.h"

/* ---- lwctl: engine lkids ------------------------------------------------- */

/*
 * The engine lkid of a lock on name at node, from lwctl's resource answer,
 * whose lock lines read "lkid=0x... sess(ion)=S ... pers=1 (or persistent)":
 * an orphan's (session 0, persistent) when orphan, else the first lock.
 * @return 0, or -ENOENT.
 */
static int
engine_lkid(unsigned int node, const char *name, bool orphan, uint32_t *lkid)
{
	char cmd[1024], buf[65536], *s, *end;
	unsigned int id, sess;
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --socket '%s' --json resource '%s' 2>/dev/null",
		 lwctl_path, socks[node], name);
	p = popen(cmd, "r");
	if (p == NULL)
		return -ENOENT;
	n = fread(buf, 1, sizeof(buf) - 1, p);
	pclose(p);
	buf[n] = '\0';
	for (s = buf; (s = strstr(s, "lkid=0x")) != NULL; s = end + 1) {
		const char *ss = strstr(s, "sess");

		end = strchr(s, '"');                /* the end of this lock's line */
		if (end == NULL)
			break;
		*end = '\0';
		if (ss == NULL || sscanf(s, "lkid=0x%x", &id) != 1 ||
		    (ss = strchr(ss, '=')) == NULL || sscanf(ss + 1, "%u", &sess) != 1)
			continue;
		if (orphan && (sess != 0 || (strstr(s, "pers=1") == NULL &&
					     strstr(s, "persistent") == NULL)))
			continue;
		*lkid = id;
		return 0;
	}
	return -ENOENT;
}

/* Wait until an orphan shows on name at node (its session's end is asynchronous). */
static int
wait_orphan(unsigned int node, const char *name, uint32_t *lkid)
{
	uint64_t end = now_ms() + API_WAIT_MS;

	while (now_ms() < end) {
		if (engine_lkid(node, name, true, lkid) == 0)
			return 0;
		usleep(20000);
	}
	return -ENOENT;
}

/* ---- bad arguments ------------------------------------------------------- */

/* lw_lock by z's client (mode, flags, name, namelen, parent, o) must be refused with want. */
static void
refuse(struct req *z, int mode, uint32_t flags, const char *name, unsigned int namelen,
       uint32_t parent, const struct lw_lock_opts *o, int want)
{
	int rc = lw_lock(z->x->ls, mode, &z->lksb, flags, name, namelen, parent, on_ast, z,
			 on_bast, o);

	CU_ASSERT_EQUAL(rc, want);
	if (rc != want)
		printf("\n  lw_lock(mode %d, flags %#x, namelen %u, parent %u): %d, wanted %d\n",
		       mode, flags, namelen, parent, rc, want);
}

/* New locks: modes, names, flags and their combinations, NULLs. */
static void
bad_new_locks(struct req *z)
{
	struct lw_lock_opts o0 = { .timeout_us = 0 }, o1 = { .timeout_us = 1000 };
	char big[LW_RESNAME_MAXLEN + 1];
	const char *n = "bad-args";
	unsigned int l = (unsigned int)strlen(n);
	char *keep = z->lksb.sb_lvbptr;

	memset(big, 'x', sizeof(big));
	refuse(z, LW_LOCK_IV, 0, n, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX + 1, 0, n, l, 0, NULL, -EINVAL);
	refuse(z, 100, 0, n, l, 0, NULL, -EINVAL);
	refuse(z, -100, 0, n, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, 0, n, 0, 0, NULL, -EINVAL);                    /* namelen 0 */
	refuse(z, LW_LOCK_EX, 0, big, LW_RESNAME_MAXLEN + 1, 0, NULL, -EINVAL);   /* 65 */
	refuse(z, LW_LOCK_EX, 0, NULL, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, 0, n, l, 1, NULL, -EINVAL);                    /* parent */
	refuse(z, LW_LOCK_EX, 0x80000000u, n, l, 0, NULL, -EINVAL);          /* unknown bits */
	refuse(z, LW_LOCK_EX, 0x00080000u, n, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, LW_LKF_NODLCKBLK, n, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, ~LW_LKF_ALL, n, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, LW_LKF_CANCEL, n, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, LW_LKF_FORCEUNLOCK, n, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, LW_LKF_QUECVT, n, l, 0, NULL, -EINVAL);        /* conversion-only */
	refuse(z, LW_LOCK_EX, LW_LKF_CONVDEADLK, n, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_PR, LW_LKF_EXPEDITE, n, l, 0, NULL, -EINVAL);      /* NL only */
	refuse(z, LW_LOCK_EX, LW_LKF_NOQUEUEBAST, n, l, 0, NULL, -EINVAL);   /* needs NOQUEUE */
	refuse(z, LW_LOCK_EX, LW_LKF_ALTPR | LW_LKF_ALTCW, n, l, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, LW_LKF_TIMEOUT, n, l, 0, NULL, -EINVAL);       /* no opts */
	refuse(z, LW_LOCK_EX, LW_LKF_TIMEOUT, n, l, 0, &o0, -EINVAL);        /* timeout 0 */
	refuse(z, LW_LOCK_EX, LW_LKF_TIMEOUT | LW_LKF_NOQUEUE, n, l, 0, &o1, -EINVAL);
	z->lksb.sb_lvbptr = NULL;
	refuse(z, LW_LOCK_EX, LW_LKF_VALBLK, n, l, 0, NULL, -EINVAL);        /* no LVB buffer */
	z->lksb.sb_lvbptr = keep;
	CU_ASSERT_EQUAL(lw_lock(NULL, LW_LOCK_EX, &z->lksb, 0, n, l, 0, on_ast, z, NULL, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(lw_lock(z->x->ls, LW_LOCK_EX, NULL, 0, n, l, 0, on_ast, z, NULL, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(lw_lock_wait(NULL, LW_LOCK_EX, &z->lksb, 0, n, l, NULL, NULL, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(lw_lock_wait(z->x->ls, LW_LOCK_EX, NULL, 0, n, l, NULL, NULL, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(lw_lock_wait(z->x->ls, 6, &z->lksb, 0, n, l, NULL, NULL, NULL), -EINVAL);
}

/* Conversions: unknown, stale and busy lkids, bad modes and flags. */
static void
bad_conversions(struct req *z, struct req *held, struct req *pend, uint32_t stale)
{
	const uint32_t cvt = LW_LKF_CONVERT;

	z->lksb.sb_lkid = 0x000ffffe;
	refuse(z, LW_LOCK_PR, cvt, NULL, 0, 0, NULL, -ENOENT);
	z->lksb.sb_lkid = 0xdeadbeef;
	refuse(z, LW_LOCK_PR, cvt, NULL, 0, 0, NULL, -ENOENT);
	z->lksb.sb_lkid = stale;
	refuse(z, LW_LOCK_PR, cvt, NULL, 0, 0, NULL, -ENOENT);
	z->lksb.sb_lkid = held->lksb.sb_lkid;
	refuse(z, LW_LOCK_EX + 1, cvt, NULL, 0, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_IV, cvt, NULL, 0, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_PR, cvt | LW_LKF_QUECVT, NULL, 0, 0, NULL, -EINVAL);   /* down */
	refuse(z, LW_LOCK_NL, cvt | LW_LKF_EXPEDITE, NULL, 0, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, cvt | LW_LKF_ORPHAN, NULL, 0, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, cvt | 0x80000000u, NULL, 0, 0, NULL, -EINVAL);
	refuse(z, LW_LOCK_EX, cvt | LW_LKF_CANCEL, NULL, 0, 0, NULL, -EINVAL);
	z->lksb.sb_lkid = pend->lksb.sb_lkid;
	refuse(z, LW_LOCK_PR, cvt, NULL, 0, 0, NULL, -EBUSY);                    /* waiting */
}

/* Unlocks: unknown, stale and busy lkids, flags, NULLs. */
static void
bad_unlocks(struct cl *x, struct req *held, struct req *pend, uint32_t stale)
{
	struct lw_lksb nolvb = { 0 };

	CU_ASSERT_EQUAL(lw_unlock(x->ls, 0x000ffffe, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock(x->ls, stale, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock(x->ls, stale, LW_LKF_CANCEL, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock_wait(x->ls, stale, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock(NULL, held->lksb.sb_lkid, 0, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock_wait(NULL, held->lksb.sb_lkid, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(x->ls, held->lksb.sb_lkid, LW_LKF_NOQUEUE, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(x->ls, held->lksb.sb_lkid, LW_LKF_CONVERT, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(x->ls, held->lksb.sb_lkid, 0x80000000u, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(x->ls, held->lksb.sb_lkid, LW_LKF_CANCEL | LW_LKF_FORCEUNLOCK,
				  NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(x->ls, held->lksb.sb_lkid, LW_LKF_VALBLK, &nolvb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(x->ls, held->lksb.sb_lkid, LW_LKF_CANCEL, NULL, NULL), -EBUSY);
	CU_ASSERT_EQUAL(lw_unlock(x->ls, pend->lksb.sb_lkid, 0, NULL, NULL), -EBUSY);
}

/* The rest of the API with NULLs and bad names. */
static void
bad_misc(struct cl *x)
{
	char big[LW_LSNAME_MAXLEN + 2];
	struct lw_ls *ls = NULL;

	memset(big, 'l', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(lw_dispatch(NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(lw_fd(NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_client_node(NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_ls_open(NULL, "api", &ls), -EINVAL);
	CU_ASSERT_EQUAL(lw_ls_open(x->c, NULL, &ls), -EINVAL);
	CU_ASSERT_EQUAL(lw_ls_open(x->c, "api", NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_ls_open(x->c, "", &ls), -EINVAL);
	CU_ASSERT_EQUAL(lw_ls_open(x->c, big, &ls), -EINVAL);               /* 65 bytes */
	CU_ASSERT_EQUAL(lw_ls_close(NULL), -EINVAL);
	lw_disconnect(NULL);
}

/*
 * Every bad argument of API.md is refused at once (-EINVAL, -ENOENT for an
 * unknown lkid, -EBUSY for a busy one) and nothing else changes: no
 * callback runs for it, the held lock stays held, the waiting one waits
 * and is granted in turn.
 */
void
test_bad_args(void)
{
	struct cl x, y, other;
	struct req held, pend, yh, z, gone;
	char n[40], n2[40];

	cl_req(&x, 0, &held);
	cl_req(&y, 0, &yh);
	cl_open(&other, 1);
	req_init(&pend, &x);
	req_init(&z, &x);
	req_init(&gone, &x);
	rname(n, sizeof(n), "bad-held");
	rname(n2, sizeof(n2), "bad-pend");
	CU_ASSERT_EQUAL_FATAL(lock(&held, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&yh, LW_LOCK_EX, 0, n2), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&pend, LW_LOCK_EX, 0, n2), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&yh), LW_LOCK_EX);
	CU_ASSERT_EQUAL_FATAL(lock(&gone, LW_LOCK_NL, 0, "bad-gone"), 0);
	CU_ASSERT_EQUAL_FATAL(unlock(&gone, 0), LW_EUNLOCK);

	bad_new_locks(&z);
	bad_conversions(&z, &held, &pend, gone.lksb.sb_lkid);
	bad_unlocks(&x, &held, &pend, gone.lksb.sb_lkid);
	bad_misc(&x);

	CU_ASSERT(lw_dispatch(x.c, 0) >= 0);
	CU_ASSERT_EQUAL(z.done, 0);                      /* no callback for a refused request */
	CU_ASSERT_EQUAL(held.done, 1);
	CU_ASSERT_EQUAL(pend.done, 0);
	CU_ASSERT_EQUAL(probe(&other, LW_LOCK_CR, n), -EAGAIN);   /* still EX */
	CU_ASSERT_EQUAL(unlock(&yh, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&pend), 0);            /* granted in turn */
	CU_ASSERT_EQUAL(unlock(&pend, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(unlock(&held, 0), LW_EUNLOCK);
	cl_close_all(&x, &y, &other, NULL);
}

/*
 * A lock of another session (or of another lockspace) can't be touched:
 * its handle means nothing here (-ENOENT), its engine lkid is no orphan
 * (-EINVAL with FORCEUNLOCK), and the lock stays.
 */
void
test_other_session(void)
{
	struct cl a, b;
	struct req rb, ra;
	struct lw_ls *ls2 = NULL;
	uint32_t elkid = 0;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 0, &rb);
	rname(n, sizeof(n), "other");
	CU_ASSERT_EQUAL_FATAL(lock(&rb, LW_LOCK_EX, 0, n), 0);
	/* a holds nothing, so no handle of a can be b's lkid */
	CU_ASSERT_EQUAL(lw_unlock(a.ls, rb.lksb.sb_lkid, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(lw_unlock(a.ls, rb.lksb.sb_lkid, LW_LKF_CANCEL, NULL, NULL), -ENOENT);
	ra.lksb.sb_lkid = rb.lksb.sb_lkid;
	CU_ASSERT_EQUAL(submit(&ra, LW_LOCK_NL, LW_LKF_CONVERT, NULL), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(engine_lkid(a.node, n, false, &elkid), 0);
	CU_ASSERT_EQUAL(lw_unlock(a.ls, elkid, LW_LKF_FORCEUNLOCK, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(probe(&a, LW_LOCK_CR, n), -EAGAIN);       /* b still holds EX */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);

	/* a lock of another lockspace of the same session */
	CU_ASSERT_EQUAL_FATAL(lw_ls_open(a.c, "api-other", &ls2), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL(lw_unlock(ls2, ra.lksb.sb_lkid, 0, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_lock(ls2, LW_LOCK_NL, &ra.lksb, LW_LKF_CONVERT, NULL, 0, 0, on_ast, &ra,
				NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lw_ls_close(ls2), 0);
	cl_close_all(&a, &b, NULL);
}

/*
 * Lock handles run out (-ENOMEM, nothing sent) and come back: a session
 * asks for the fewest ($LOCKWIRE_MAX_LOCKS=64), holds them all, frees one,
 * uses it again; the freed lkid is stale (-ENOENT).
 */
void
test_handles(void)
{
	enum { MAXL = 64 };
	static struct req r[MAXL + 1];
	struct cl x;
	char n[40];
	int i, held = 0;

	setenv("LOCKWIRE_MAX_LOCKS", "64", 1);
	cl_open(&x, 0);
	unsetenv("LOCKWIRE_MAX_LOCKS");
	rname(n, sizeof(n), "handles");
	for (i = 0; i < MAXL; i++) {
		req_init(&r[i], &x);
		if (lock(&r[i], LW_LOCK_NL, 0, n) == 0)
			held++;
	}
	CU_ASSERT_EQUAL(held, MAXL);
	req_init(&r[MAXL], &x);
	CU_ASSERT_EQUAL(submit(&r[MAXL], LW_LOCK_NL, 0, n), -ENOMEM);
	CU_ASSERT_EQUAL(unlock(&r[0], 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lock(&r[MAXL], LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL(lw_unlock(x.ls, r[0].lksb.sb_lkid, 0, NULL, NULL), -ENOENT);
	for (i = 1; i <= MAXL; i++)
		CU_ASSERT_EQUAL(unlock(&r[i], 0), LW_EUNLOCK);
	CU_ASSERT(lw_dispatch(x.c, 0) >= 0);
	CU_ASSERT_EQUAL(r[MAXL].done, 1);
	cl_close(&x);
}

/* ---- lw_fd --------------------------------------------------------------- */

/* epoll on lw_fd says readable (within the bound); lw_dispatch then runs r's ast (or bast). */
static bool
epoll_then_dispatch(int epfd, struct req *r, bool bast)
{
	uint64_t end = now_ms() + API_WAIT_MS;
	struct epoll_event ev;
	bool woke = false;

#define done(r) ((bast ? (r)->nbast : (r)->done) != 0)
	while (!done(r) && now_ms() < end) {
		int n = epoll_wait(epfd, &ev, 1, (int)(end - now_ms()));

		if (n == 1 && (ev.events & EPOLLIN)) {
			woke = true;
			CU_ASSERT(lw_dispatch(r->x->c, 0) >= 0);
		}
	}
	return woke && done(r);
#undef done
}

/* lw_fd in epoll: readable when a grant, a blocking callback, an unlock are due. */
void
test_epoll(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct cl a, b;
	struct req ra, rb;
	int fd, epfd;
	char n[40];

	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "epoll");
	fd = lw_fd(b.c);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(lw_fd(b.c), fd);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	CU_ASSERT_FATAL(epfd >= 0);
	CU_ASSERT_EQUAL_FATAL(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_EX);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT(epoll_then_dispatch(epfd, &rb, false));   /* the grant */
	CU_ASSERT_EQUAL(rb.status, 0);
	CU_ASSERT_EQUAL_FATAL(submit(&ra, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT(epoll_then_dispatch(epfd, &rb, true));  /* a blocking callback */
	CU_ASSERT_EQUAL(rb.bast_mode, LW_LOCK_PR);
	rb.done = 0;
	CU_ASSERT_EQUAL_FATAL(lw_unlock(b.ls, rb.lksb.sb_lkid, 0, NULL, NULL), 0);
	CU_ASSERT(epoll_then_dispatch(epfd, &rb, false));   /* the unlock */
	CU_ASSERT_EQUAL(rb.status, LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&ra), 0);
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	close(epfd);
	cl_close_all(&a, &b, NULL);
}

/* ---- clients that die, PERSISTENT, orphans --------------------------------- */

static int child_basts;

static void
child_bast(void *arg, int mode)
{
	(void)arg;
	(void)mode;
	child_basts++;
}

/*
 * The child: on node, take EX (with flags) on name, write one byte to fd;
 * then, with hold, wait for a blocking callback (bounded), or sleep; then
 * _exit() without unlocking or disconnecting.
 */
static void __attribute__((noreturn))
child_holder(unsigned int node, const char *name, uint32_t flags, int hold, int fd)
{
	struct lw_lksb lk = { 0 };
	struct lw_client *c = lw_connect(socks[node]);
	struct lw_ls *ls = NULL;
	uint64_t end;

	if (c == NULL || lw_ls_open(c, "api", &ls) != 0)
		_exit(2);
	if (lw_lock_wait(ls, LW_LOCK_EX, &lk, flags, name, strlen(name), child_bast, NULL,
			 NULL) != 0)
		_exit(3);
	if (write(fd, "h", 1) != 1)
		_exit(4);
	end = now_ms() + API_WAIT_MS;
	while (hold == 1 && child_basts == 0 && now_ms() < end)
		lw_dispatch(c, 50);
	if (hold == 2)
		usleep(3 * API_WAIT_MS * 1000);
	_exit(hold == 1 && child_basts == 0 ? 5 : 0);
}

/* Fork a child_holder; return its pid once it holds the lock (-1: it failed to). */
static pid_t
spawn_holder(unsigned int node, const char *name, uint32_t flags, int hold)
{
	struct pollfd p;
	int fds[2];
	pid_t pid;
	char ch;

	if (pipe(fds) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_holder(node % nsock, name, flags, hold, fds[1]);
	}
	close(fds[1]);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	if (pid < 0 || poll(&p, 1, API_WAIT_MS) != 1 || read(fds[0], &ch, 1) != 1) {
		close(fds[0]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	close(fds[0]);
	return pid;
}

/* A client that dies holding EX (exit, or SIGKILL) loses it: the waiter gets it. */
void
test_client_death(void)
{
	struct cl b;
	struct req rb;
	char n[40];
	pid_t pid;
	int st = -1;

	cl_req(&b, 1, &rb);
	rname(n, sizeof(n), "death-exit");
	pid = spawn_holder(0, n, 0, 1);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL(wait_done(&rb), 0);
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);    /* it saw b waiting, then died */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);

	rname(n, sizeof(n), "death-kill");
	pid = spawn_holder(0, n, 0, 2);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, 0, n), 0);
	kill(pid, SIGKILL);
	CU_ASSERT_EQUAL(wait_done(&rb), 0);
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	cl_close(&b);
}

/* A child takes PERSISTENT EX on name at node 1 and exits; wait for the orphan. */
static void
make_orphan(const char *name, uint32_t *lkid)
{
	pid_t pid = spawn_holder(0, name, LW_LKF_PERSISTENT, 0);
	int st = -1;

	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CU_ASSERT_EQUAL_FATAL(wait_orphan(0, name, lkid), 0);
}

/* PERSISTENT outlives its client as an orphan; ORPHAN adopts it in its mode only. */
void
test_persistent_adopt(void)
{
	struct cl a, b;
	struct req ra, rb, z;
	uint32_t lkid, other;
	char n[40], none[40];

	rname(n, sizeof(n), "persist");
	rname(none, sizeof(none), "no-orphan");
	make_orphan(n, &lkid);
	cl_req(&a, 0, &ra);
	cl_req(&b, 1, &rb);
	req_init(&z, &a);
	CU_ASSERT_EQUAL(probe(&b, LW_LOCK_EX, n), -EAGAIN);      /* the orphan holds it */
	CU_ASSERT_EQUAL(probe(&a, LW_LOCK_CR, n), -EAGAIN);
	CU_ASSERT_EQUAL(submit(&z, LW_LOCK_PR, LW_LKF_ORPHAN, n), -EAGAIN);  /* not in PR */
	CU_ASSERT_EQUAL(submit(&z, LW_LOCK_EX, LW_LKF_ORPHAN, none), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(submit(&ra, LW_LOCK_EX, LW_LKF_ORPHAN, n), 0);
	CU_ASSERT_EQUAL(wait_done(&ra), 0);
	CU_ASSERT(lw_dispatch(a.c, 0) >= 0);
	CU_ASSERT_EQUAL(z.done, 0);
	CU_ASSERT_EQUAL(engine_lkid(0, n, true, &other), -ENOENT);   /* no orphan any more */
	CU_ASSERT_EQUAL_FATAL(engine_lkid(0, n, false, &other), 0);
	CU_ASSERT_EQUAL(other, lkid);                                /* the same lock, a's now */
	CU_ASSERT_EQUAL(submit(&z, LW_LOCK_EX, LW_LKF_ORPHAN, n), -ENOENT);
	CU_ASSERT_EQUAL(probe(&b, LW_LOCK_CR, n), -EAGAIN);          /* a holds EX */
	CU_ASSERT_EQUAL(unlock(&ra, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lock(&rb, LW_LOCK_EX, 0, n), 0);             /* free now */
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/* An orphan removed by FORCEUNLOCK of its engine lkid (learnt from lwctl); the waiter gets in. */
void
test_persistent_forceunlock(void)
{
	struct lw_lksb lk = { 0 };
	struct cl a, b;
	struct req rb;
	uint32_t lkid;
	char n[40];

	rname(n, sizeof(n), "persist-force");
	make_orphan(n, &lkid);
	cl_open(&a, 0);
	cl_req(&b, 1, &rb);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_PR, 0, n), 0);
	CU_ASSERT_EQUAL(lw_unlock(a.ls, lkid, LW_LKF_FORCEUNLOCK | LW_LKF_CANCEL, &lk, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(lw_unlock(a.ls, lkid, LW_LKF_FORCEUNLOCK, &lk, NULL), 0);
	CU_ASSERT_EQUAL(lk.sb_status, LW_EUNLOCK);
	CU_ASSERT_EQUAL(wait_done(&rb), 0);
	lk.sb_status = 0;
	CU_ASSERT_EQUAL(lw_unlock(a.ls, lkid, LW_LKF_FORCEUNLOCK, &lk, NULL), -ENOENT);
	CU_ASSERT_EQUAL(engine_lkid(0, n, true, &lkid), -ENOENT);
	CU_ASSERT_EQUAL(unlock(&rb, 0), LW_EUNLOCK);
	cl_close_all(&a, &b, NULL);
}

/*
 * lw_disconnect releases the session's locks and pending requests; its
 * PERSISTENT lock stays as an orphan (adopted and released at the end).
 */
void
test_disconnect(void)
{
	struct cl a, b, c;
	struct req r1, r2, r3, w1, h3;
	uint32_t lkid;
	char n1[40], n2[40], n3[40];

	cl_req(&a, 0, &r1);
	cl_req(&b, 1, &w1);
	req_init(&r2, &a);
	req_init(&r3, &a);
	req_init(&h3, &b);
	rname(n1, sizeof(n1), "disc-ex");
	rname(n2, sizeof(n2), "disc-persist");
	rname(n3, sizeof(n3), "disc-wait");
	CU_ASSERT_EQUAL_FATAL(lock(&r1, LW_LOCK_EX, 0, n1), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&r2, LW_LOCK_PR, LW_LKF_PERSISTENT, n2), 0);
	CU_ASSERT_EQUAL_FATAL(lock(&h3, LW_LOCK_EX, 0, n3), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&r3, LW_LOCK_PR, 0, n3), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&h3), LW_LOCK_PR);
	CU_ASSERT_EQUAL_FATAL(submit(&w1, LW_LOCK_EX, 0, n1), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&r1), LW_LOCK_EX);
	lw_disconnect(a.c);
	CU_ASSERT_EQUAL(wait_done(&w1), 0);                  /* a's EX went */
	CU_ASSERT_EQUAL(probe(&b, LW_LOCK_EX, n2), -EAGAIN);  /* the orphan holds PR */
	CU_ASSERT_EQUAL(unlock(&h3, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lock(&h3, LW_LOCK_EX, 0, n3), 0);    /* a's PR request went too */
	CU_ASSERT_EQUAL(unlock(&h3, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(unlock(&w1, 0), LW_EUNLOCK);

	cl_req(&c, 0, &r2);
	CU_ASSERT_EQUAL_FATAL(wait_orphan(0, n2, &lkid), 0);
	CU_ASSERT_EQUAL(lock(&r2, LW_LOCK_PR, LW_LKF_ORPHAN, n2), 0);
	CU_ASSERT_EQUAL(unlock(&r2, 0), LW_EUNLOCK);
	CU_ASSERT_EQUAL(lock(&w1, LW_LOCK_EX, 0, n2), 0);
	CU_ASSERT_EQUAL(unlock(&w1, 0), LW_EUNLOCK);
	cl_close_all(&b, &c, NULL);
}

/* ---- a node that stops (run alone: --node-death) ---------------------------- */

/* The pid of node 1, from the pid file scripts/cluster.sh keeps next to its socket. */
static pid_t
node_pid(void)
{
	char path[512];
	size_t l = strlen(socks[0]);
	long pid = -1;
	FILE *f;

	if (l < 5 || l >= sizeof(path) || strcmp(socks[0] + l - 5, ".sock") != 0)
		return -1;
	snprintf(path, sizeof(path), "%.*s.pid", (int)(l - 5), socks[0]);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return (pid_t)pid;
}

/* When the node goes, pending requests complete with -ENOLCK, then calls say -ENOTCONN. */
void
test_node_death(void)
{
	struct cl a, b;
	struct req ra, rb, z;
	uint64_t end;
	pid_t pid = node_pid();
	char n[40];

	CU_ASSERT_FATAL(pid > 0);
	cl_req(&a, 0, &ra);
	cl_req(&b, 0, &rb);
	req_init(&z, &a);
	rname(n, sizeof(n), "death");
	CU_ASSERT_EQUAL_FATAL(lock(&ra, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(submit(&rb, LW_LOCK_EX, 0, n), 0);
	CU_ASSERT_EQUAL_FATAL(wait_bast(&ra), LW_LOCK_EX);
	CU_ASSERT_EQUAL_FATAL(kill(pid, SIGTERM), 0);
	CU_ASSERT_EQUAL(wait_done(&rb), -ENOLCK);
	end = now_ms() + API_WAIT_MS;
	while (lw_dispatch(a.c, 50) >= 0 && now_ms() < end)
		;
	CU_ASSERT_EQUAL(lw_dispatch(a.c, 0), -ENOTCONN);
	CU_ASSERT_EQUAL(lw_dispatch(b.c, 0), -ENOTCONN);
	CU_ASSERT_EQUAL(submit(&z, LW_LOCK_NL, 0, n), -ENOTCONN);
	CU_ASSERT_EQUAL(lw_unlock(a.ls, ra.lksb.sb_lkid, 0, NULL, NULL), -ENOTCONN);
	CU_ASSERT_EQUAL(lw_lock_wait(a.ls, LW_LOCK_NL, &z.lksb, 0, n, strlen(n), NULL, NULL, NULL),
			-ENOTCONN);
	CU_ASSERT_EQUAL(z.done, 0);
	cl_close_all(&a, &b, NULL);
}

