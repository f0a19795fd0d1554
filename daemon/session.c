/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * session.c — the control thread's half of client sessions: the Unix
 * socket, the handshake, the shared region, hang-ups (session.h has the
 * states; client/proto.h the handshake).
 *
 * DESIGN
 * Every control round lw_sessions_poll
 *   - waits (ppoll, up to the round's time) for the client socket or a
 *     welcomed session's socket to be readable;
 *   - accepts new connections (non-blocking) as HELLO sessions;
 *   - reads each waiting hello (at most LW_HELLO_WAIT_NS after accept),
 *     makes the region (memfd: header, request ring, completion ring,
 *     rte_ring_init on that memory) and an eventfd, picks a worker on the
 *     client's NUMA socket with the fewest sessions (any worker if none is
 *     on that socket) and hands the session over (ATTACH);
 *   - welcomes sessions the worker made ACTIVE (fds by SCM_RIGHTS), and
 *     refuses those it could not attach (FAILED) with the reason;
 *   - polls the sockets of welcomed sessions at once: a hang-up, or any
 *     byte after the hello (the protocol has none), ends the session: the
 *     worker gets a detach order; a session the worker CUT gets one too;
 *   - frees sessions the worker is DONE with.
 * A bad hello (size, magic, version) is answered with -EPROTO and closed;
 * nothing a client sends can stall the loop (every socket is non-blocking).
 *
 * The session list is guarded by a mutex only against the telemetry
 * thread (/lockwire/sessions); workers never see the list.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_telemetry.h>

#include "node.h"

#define LW_HELLO_WAIT_NS 2000000000ull   /* a client has 2 s to say hello */
#define LW_SHM_ALIGN     4096u

static pthread_mutex_t sess_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lw_node *tel_node;

static const char *
state_name(uint32_t st)
{
	static const char *const names[] = { "hello", "attach", "active", "done", "failed", "cut" };

	return st < RTE_DIM(names) ? names[st] : "?";
}

/* ---- the shared region --------------------------------------------------- */

static int
make_region(struct lw_csess *cs, uint32_t max_locks)
{
	uint32_t rq = lw_proto_req_slots(max_locks), cq = lw_proto_comp_slots(max_locks);
	ssize_t rqsz = rte_ring_get_memsize_elem(sizeof(struct lw_creq), rq);
	ssize_t cqsz = rte_ring_get_memsize_elem(sizeof(struct lw_ccomp), cq);
	size_t req_off = RTE_ALIGN_CEIL(sizeof(struct lw_shm_hdr), RTE_CACHE_LINE_SIZE);
	size_t comp_off, size;
	struct lw_shm_hdr *h;
	void *m;

	if (rqsz < 0 || cqsz < 0)
		return -EINVAL;
	comp_off = RTE_ALIGN_CEIL(req_off + (size_t)rqsz, RTE_CACHE_LINE_SIZE);
	size = RTE_ALIGN_CEIL(comp_off + (size_t)cqsz, LW_SHM_ALIGN);
	cs->memfd = memfd_create("lockwire-session", MFD_CLOEXEC);
	if (cs->memfd < 0)
		return -errno;
	if (ftruncate(cs->memfd, (off_t)size) != 0)
		return -errno;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, cs->memfd, 0);
	if (m == MAP_FAILED)
		return -errno;
	h = m;
	cs->hdr = h;
	cs->shm_size = size;
	h->magic = LW_CLIENT_MAGIC;
	h->version = LW_CLIENT_VERSION;
	h->size = size;
	h->req_off = req_off;
	h->comp_off = comp_off;
	h->req_slots = rq;
	h->comp_slots = cq;
	h->max_locks = max_locks;
	cs->req = (struct rte_ring *)((char *)m + req_off);
	cs->comp = (struct rte_ring *)((char *)m + comp_off);
	if (rte_ring_init(cs->req, "lw_creq", rq, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0 ||
	    rte_ring_init(cs->comp, "lw_ccomp", cq, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
		return -EINVAL;
	cs->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cs->evfd < 0)
		return -errno;
	cs->max_locks = max_locks;
	cs->lk = calloc(max_locks, sizeof(*cs->lk));
	return cs->lk == NULL ? -ENOMEM : 0;
}

static void
cs_free(struct lw_csess *cs)
{
	if (cs->hdr != NULL)
		munmap(cs->hdr, cs->shm_size);
	if (cs->memfd >= 0)
		close(cs->memfd);
	if (cs->evfd >= 0)
		close(cs->evfd);
	if (cs->sock >= 0)
		close(cs->sock);
	free(cs->lk);
	free(cs->bl);
	free(cs);
}

/* ---- handshake ----------------------------------------------------------- */

static void
send_welcome(struct lw_node *n, struct lw_csess *cs, int status)
{
	struct lw_welcome wm;
	struct msghdr mh;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;

	memset(&wm, 0, sizeof(wm));
	memset(&mh, 0, sizeof(mh));
	wm.magic = LW_CLIENT_MAGIC;
	wm.version = LW_CLIENT_VERSION;
	wm.status = status;
	wm.node = n->cfg.node_id;
	iov.iov_base = &wm;
	iov.iov_len = sizeof(wm);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (status == 0) {
		struct cmsghdr *c;
		int fds[2] = { cs->memfd, cs->evfd };

		wm.worker = cs->worker;
		wm.session = cs->sid;
		wm.shm_size = cs->shm_size;
		wm.max_locks = cs->max_locks;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
	}
	if (sendmsg(cs->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(wm))
		LW_LOG(INFO, "client pid %d: welcome not delivered: %s", (int)cs->pid, strerror(errno));
}

static unsigned int
pick_worker(struct lw_node *n, int numa)
{
	unsigned int load[LW_PIO_MAX_WORKERS] = { 0 };
	unsigned int i, best = 0;
	bool any_local = false;
	struct lw_csess *cs;

	for (cs = n->sessions; cs != NULL; cs = cs->next)
		if (cs->state != LW_CS_HELLO && cs->worker < LW_PIO_MAX_WORKERS)
			load[cs->worker]++;
	for (i = 0; i < n->nworkers; i++)
		if (n->workers[i]->socket == numa)
			any_local = true;
	for (i = 1; i < n->nworkers; i++) {
		bool li = !any_local || n->workers[i]->socket == numa;
		bool lb = !any_local || n->workers[best]->socket == numa;

		if ((li && !lb) || (li == lb && load[i] < load[best]))
			best = i;
	}
	return best;
}

/* The hello of a HELLO session. @return 1 handed to a worker, 0 still waiting, <0 refuse. */
static int
take_hello(struct lw_node *n, struct lw_csess *cs, uint64_t now)
{
	struct lw_hello h;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t got = recvmsg(cs->sock, &mh, MSG_DONTWAIT);
	uint32_t ml;
	int rc;

	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return now > cs->deadline_ns ? -ETIMEDOUT : 0;
	/* a longer message is cut to the hello's size: MSG_TRUNC says so */
	if (got != (ssize_t)sizeof(h) || (mh.msg_flags & MSG_TRUNC) ||
	    h.magic != LW_CLIENT_MAGIC || h.version != LW_CLIENT_VERSION)
		return -EPROTO;
	cs->pid = h.pid;
	memcpy(cs->name, h.name, sizeof(cs->name));
	cs->name[sizeof(cs->name) - 1] = '\0';
	ml = h.max_locks == 0 ? LW_SESSION_DEF_LOCKS : h.max_locks;
	if (ml > LW_SESSION_MAX_LOCKS)
		ml = LW_SESSION_MAX_LOCKS;
	if (ml < LW_SESSION_MIN_LOCKS)
		ml = LW_SESSION_MIN_LOCKS;
	rc = make_region(cs, ml);
	if (rc != 0)
		return rc;
	cs->worker = pick_worker(n, h.numa);
	__atomic_store_n(&cs->state, LW_CS_ATTACH, __ATOMIC_RELEASE);
	if (rte_ring_mp_enqueue(n->workers[cs->worker]->cs_ring, cs) != 0) {
		cs->state = LW_CS_HELLO;
		return -EBUSY;
	}
	return 1;
}

/* ---- the round ----------------------------------------------------------- */

/* @return how many were accepted: they are now the first in n->sessions */
static unsigned int
accept_new(struct lw_node *n, uint64_t now)
{
	unsigned int k = 0;
	int fd;

	while ((fd = accept4(n->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct lw_csess *cs = calloc(1, sizeof(*cs));

		if (cs == NULL) {
			close(fd);
			n->sess_refused++;
			continue;
		}
		cs->sock = fd;
		cs->memfd = -1;
		cs->evfd = -1;
		cs->born_ns = now;
		cs->deadline_ns = now + LW_HELLO_WAIT_NS;
		cs->state = LW_CS_HELLO;
		pthread_mutex_lock(&sess_lock);
		cs->next = n->sessions;
		n->sessions = cs;
		n->nsess++;
		pthread_mutex_unlock(&sess_lock);
		n->sess_accepted++;
		k++;
	}
	return k;
}

static void
detach(struct lw_node *n, struct lw_csess *cs)
{
	if (cs->detached)
		return;
	/* the ring has room for every session's two orders; retry next round if not */
	if (rte_ring_mp_enqueue(n->workers[cs->worker]->cs_ring,
				(void *)((uintptr_t)cs | 1)) == 0)
		cs->detached = 1;
}

/* One session's step. @return true when it can be freed. */
static bool
step(struct lw_node *n, struct lw_csess *cs, short revents, uint64_t now)
{
	uint32_t st = __atomic_load_n(&cs->state, __ATOMIC_ACQUIRE);
	int rc;

	switch (st) {
	case LW_CS_HELLO:
		rc = take_hello(n, cs, now);
		if (rc < 0) {
			send_welcome(n, cs, rc);
			n->sess_refused++;
			LW_LOG(INFO, "client refused: %s", strerror(-rc));
			return true;
		}
		return false;
	case LW_CS_ACTIVE:
		if (!cs->welcomed) {
			send_welcome(n, cs, 0);
			cs->welcomed = 1;
			close(cs->memfd);  /* the mapping stays */
			cs->memfd = -1;
			LW_LOG(DEBUG, "client pid %d (%s): session %#x on worker %u",
			       (int)cs->pid, cs->name, cs->sid, cs->worker);
			return false;
		}
		if (revents != 0)  /* hang-up, or bytes the protocol does not have */
			detach(n, cs);
		return false;
	case LW_CS_FAILED:
		send_welcome(n, cs, cs->fail_rc);
		n->sess_refused++;
		return true;
	case LW_CS_CUT:
		if (!cs->detached) {
			n->sess_cut++;
			LW_LOG(NOTICE, "client pid %d (%s) cut off: %s", (int)cs->pid, cs->name,
			       strerror((int)cs->hdr->dead));
		}
		detach(n, cs);
		return false;
	case LW_CS_DONE:
		return true;
	default:  /* ATTACH: the worker has it */
		return false;
	}
}

unsigned int
lw_sessions_poll(struct lw_node *n, uint64_t wait_ns)
{
	static struct pollfd *pfd;
	static unsigned int pcap;
	struct timespec ts = { (time_t)(wait_ns / 1000000000u), (long)(wait_ns % 1000000000u) };
	uint64_t now;
	struct lw_csess *cs, **pp;
	unsigned int i = 1, moving = 0, fresh;

	if (n->nsess + 1 > pcap) {
		struct pollfd *np = realloc(pfd, (n->nsess + 65) * sizeof(*np));

		if (np == NULL) {
			nanosleep(&ts, NULL);
			return 1;
		}
		pfd = np;
		pcap = n->nsess + 65;
	}
	pfd[0].fd = n->listen_fd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	for (cs = n->sessions; cs != NULL; cs = cs->next, i++) {
		pfd[i].fd = cs->welcomed && !cs->detached ? cs->sock : -1;
		pfd[i].events = POLLIN | POLLRDHUP;
		pfd[i].revents = 0;
	}
	(void)ppoll(pfd, i, &ts, NULL);
	now = lw_now_ns();
	fresh = accept_new(n, now);	/* first in the list, not in pfd */
	i = 1;
	for (pp = &n->sessions; (cs = *pp) != NULL; ) {
		short rev = 0;

		if (fresh > 0)
			fresh--;
		else
			rev = pfd[i++].revents;
		if (!step(n, cs, rev, now)) {
			uint32_t st = __atomic_load_n(&cs->state, __ATOMIC_ACQUIRE);

			if (st != LW_CS_ACTIVE || !cs->welcomed || cs->detached)
				moving++;
			pp = &cs->next;
			continue;
		}
		pthread_mutex_lock(&sess_lock);
		*pp = cs->next;
		n->nsess--;
		pthread_mutex_unlock(&sess_lock);
		cs_free(cs);
	}
	return moving;
}

void
lw_sessions_fini(struct lw_node *n)
{
	struct lw_csess *cs;

	pthread_mutex_lock(&sess_lock);
	while ((cs = n->sessions) != NULL) {
		n->sessions = cs->next;
		cs_free(cs);
	}
	n->nsess = 0;
	pthread_mutex_unlock(&sess_lock);
}

/* ---- telemetry: /lockwire/sessions --------------------------------------- */

#define TEL_MAX_LISTED 64

static int
tel_sessions(const char *cmd __rte_unused, const char *params __rte_unused,
	     struct rte_tel_data *d)
{
	struct lw_node *n = tel_node;
	struct rte_tel_data *list = rte_tel_data_alloc();
	struct lw_csess *cs;
	int listed = 0;

	if (list == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	rte_tel_data_start_dict(list);
	pthread_mutex_lock(&sess_lock);
	rte_tel_data_add_dict_u64(d, "sessions", n->nsess);
	for (cs = n->sessions; cs != NULL && listed < TEL_MAX_LISTED; cs = cs->next) {
		struct rte_tel_data *e = rte_tel_data_alloc();
		char key[24];

		if (e == NULL)
			break;
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_u64(e, "session", cs->sid);
		rte_tel_data_add_dict_u64(e, "worker", cs->worker);
		rte_tel_data_add_dict_int(e, "pid", cs->pid);
		rte_tel_data_add_dict_string(e, "name", cs->name);
		rte_tel_data_add_dict_string(e, "state", state_name(cs->state));
		rte_tel_data_add_dict_u64(e, "max_locks", cs->max_locks);
		rte_tel_data_add_dict_u64(e, "requests", cs->nreq);
		rte_tel_data_add_dict_u64(e, "completions", cs->ncomp);
		rte_tel_data_add_dict_u64(e, "rejected", cs->nreject);
		rte_tel_data_add_dict_u64(e, "wakeups", cs->nwake);
		snprintf(key, sizeof(key), "%u", ++listed);
		rte_tel_data_add_dict_container(list, key, e, 0);
	}
	pthread_mutex_unlock(&sess_lock);
	rte_tel_data_add_dict_u64(d, "accepted", n->sess_accepted);
	rte_tel_data_add_dict_u64(d, "refused", n->sess_refused);
	rte_tel_data_add_dict_u64(d, "cut", n->sess_cut);
	rte_tel_data_add_dict_container(d, "list", list, 0);
	return 0;
}

int
lw_sessions_telemetry(struct lw_node *n)
{
	tel_node = n;
	return rte_telemetry_register_cmd("/lockwire/sessions", tel_sessions,
		"Client sessions of this node: counts and up to 64 sessions (worker, pid, name, state, counters).");
}

int
lw_sessions_init(struct lw_node *n)
{
	n->sessions = NULL;
	n->nsess = 0;
	return 0;
}
