/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dlog.c — the workload driver's history log (see dlog.h).
 *
 * DESIGN
 * A log is a header-sized struct and one array of records, allocated and
 * zeroed (so every page is touched) at creation. Recording copies one
 * record into the next slot, or counts it lost when the array is full:
 * no allocation, no system call, no branch that depends on anything but
 * the count. Writing and reading happen outside the measured run and use
 * plain POSIX I/O with full error checks; reading trusts nothing in the
 * file: magic, version, record size, the exact file size, each record's
 * kind.
 *
 * Threads: a log belongs to one thread (its worker); lw_dlog_read touches
 * only what it is given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlog.h"

struct lw_dlog {
	struct lw_dlog_rec *rec;
	uint64_t cap;
	uint64_t n;
	uint64_t lost;
	uint32_t node;
	uint32_t worker;
};

struct lw_dlog *
lw_dlog_new(uint32_t node, uint32_t worker, uint64_t capacity)
{
	struct lw_dlog *l;

	if (capacity == 0 || capacity > SIZE_MAX / sizeof(struct lw_dlog_rec)) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	l->rec = malloc((size_t)capacity * sizeof(struct lw_dlog_rec));
	if (l->rec == NULL) {
		free(l);
		errno = ENOMEM;
		return NULL;
	}
	/* touch every page now: recording must not fault memory in */
	memset(l->rec, 0, (size_t)capacity * sizeof(struct lw_dlog_rec));
	l->cap = capacity;
	l->node = node;
	l->worker = worker;
	return l;
}

void
lw_dlog_free(struct lw_dlog *l)
{
	if (l == NULL)
		return;
	free(l->rec);
	free(l);
}

/* The next free slot with its header filled, or NULL (counted lost) when full. */
static inline struct lw_dlog_rec *
rec_next(struct lw_dlog *l, uint64_t t_ns, uint16_t site, uint8_t kind, uint32_t res)
{
	struct lw_dlog_rec *r;

	if (__builtin_expect(l->n == l->cap, 0)) {
		l->lost++;
		return NULL;
	}
	r = &l->rec[l->n++];
	r->t_ns = t_ns;
	r->site = site;
	r->kind = kind;
	r->rsvd = 0;
	r->res = res;
	return r;
}

void
lw_dlog_submit(struct lw_dlog *l, uint64_t t_ns, uint16_t site, uint32_t res,
	       const struct lw_req *req)
{
	struct lw_dlog_rec *r = rec_next(l, t_ns, site, LW_DLOG_SUBMIT, res);

	if (r != NULL)
		memcpy(&r->u.req, req, sizeof(*req));
}

void
lw_dlog_event(struct lw_dlog *l, uint64_t t_ns, uint16_t site, const struct lw_event *ev)
{
	struct lw_dlog_rec *r = rec_next(l, t_ns, site, LW_DLOG_EVENT, 0);

	if (r != NULL) {
		/* the union is larger than an event: keep the rest of the slot zero */
		memset(&r->u, 0, sizeof(r->u));
		memcpy(&r->u.ev, ev, sizeof(*ev));
	}
}

void
lw_dlog_fence(struct lw_dlog *l, uint64_t t_ns, uint16_t site)
{
	struct lw_dlog_rec *r = rec_next(l, t_ns, site, LW_DLOG_FENCE, 0);

	if (r != NULL)
		memset(&r->u, 0, sizeof(r->u));
}

uint64_t
lw_dlog_count(const struct lw_dlog *l)
{
	return l->n;
}

uint64_t
lw_dlog_lost(const struct lw_dlog *l)
{
	return l->lost;
}

/* --- files --------------------------------------------------------------- */

/* Write all len bytes. @return 0 or -errno. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read exactly len bytes. @return 0, -EINVAL end of file first, or -errno. */
static int
read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t r = read(fd, p, len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EINVAL;   /* truncated */
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int
lw_dlog_write(const struct lw_dlog *l, const char *path)
{
	struct lw_dlog_file_hdr h;
	int fd, rc;

	if (l == NULL || path == NULL)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, LW_DLOG_MAGIC, sizeof(h.magic));
	h.version = LW_DLOG_VERSION;
	h.rec_size = sizeof(struct lw_dlog_rec);
	h.node = l->node;
	h.worker = l->worker;
	h.nrecs = l->n;
	h.lost = l->lost;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, &h, sizeof(h));
	if (rc == 0)
		rc = write_all(fd, l->rec, (size_t)l->n * sizeof(struct lw_dlog_rec));
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		unlink(path);
	return rc;
}

/* Magic, version, record size and the file size against nrecs. */
static int
check_hdr(const struct lw_dlog_file_hdr *h, uint64_t fsize)
{
	uint64_t body;

	if (memcmp(h->magic, LW_DLOG_MAGIC, sizeof(h->magic)) != 0 ||
	    h->version != LW_DLOG_VERSION || h->rec_size != sizeof(struct lw_dlog_rec))
		return -EINVAL;
	if (h->nrecs > (SIZE_MAX - sizeof(*h)) / sizeof(struct lw_dlog_rec))
		return -EINVAL;
	body = h->nrecs * sizeof(struct lw_dlog_rec);
	if (fsize != sizeof(*h) + body)
		return -EINVAL;   /* truncated, or bytes after the last record */
	return 0;
}

int
lw_dlog_read(const char *path, struct lw_dlog_file_hdr *hdr, struct lw_dlog_rec **recs)
{
	struct lw_dlog_rec *r = NULL;
	struct stat st;
	int fd, rc;

	if (recs != NULL)
		*recs = NULL;
	if (path == NULL || hdr == NULL || recs == NULL)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	rc = read_all(fd, hdr, sizeof(*hdr));
	if (rc != 0)
		goto out;
	rc = check_hdr(hdr, (uint64_t)st.st_size);
	if (rc != 0 || hdr->nrecs == 0)
		goto out;
	r = malloc((size_t)hdr->nrecs * sizeof(*r));
	if (r == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = read_all(fd, r, (size_t)hdr->nrecs * sizeof(*r));
	if (rc != 0)
		goto out;
	for (uint64_t i = 0; i < hdr->nrecs; i++) {
		if (r[i].kind < LW_DLOG_SUBMIT || r[i].kind > LW_DLOG_FENCE) {
			rc = -EINVAL;
			goto out;
		}
	}
out:
	close(fd);
	if (rc != 0) {
		free(r);
		return rc;
	}
	*recs = r;
	return 0;
}
