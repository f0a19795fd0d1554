/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * harness_logcheck.c — merge the history logs of a multi-process run and replay them
 * into the simulator's checker (see logcheck.h).
 *
 * DESIGN
 * Three steps, each over all files:
 *  1. verify: no log lost records, each log's timestamps never go back, every
 *     resource number of a new lock is small; the distinct resources are
 *     marked in a byte array;
 *  2. name the resources "r<res>" in a fresh sim_chk;
 *  3. replay: a binary min-heap of file indices keyed by (t_ns of the file's
 *     next record, file index) yields the merged order; records of one file
 *     come out in their own order since a file's cursor only moves forward.
 * The replay is deterministic: the same files in the same order give the
 * same verdict and the same messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "logcheck.h"
#include "site.h"

int
lw_logcheck_load(const char *path, struct lw_logcheck_file *f, FILE *msg)
{
	int rc;

	memset(f, 0, sizeof(*f));
	f->name = path;
	rc = lw_dlog_read(path, &f->hdr, &f->recs);
	if (rc == -EINVAL) {
		if (msg != NULL)
			fprintf(msg, "%s: not a valid dlog file (bad magic, version %u expected, "
				"record size %zu expected, truncated or trailing bytes, or a record "
				"of unknown kind)\n", path, LW_DLOG_VERSION,
				sizeof(struct lw_dlog_rec));
		return rc;
	}
	if (rc != 0) {
		if (msg != NULL)
			fprintf(msg, "%s: %s\n", path, strerror(-rc));
		return rc;
	}
	if (f->hdr.lost != 0) {
		if (msg != NULL)
			fprintf(msg, "%s: incomplete log: %" PRIu64 " record(s) did not fit after "
				"%" PRIu64 " (node %u worker %u); rerun with a larger log\n", path,
				f->hdr.lost, f->hdr.nrecs, f->hdr.node, f->hdr.worker);
		lw_logcheck_file_fini(f);
		return -EOVERFLOW;
	}
	return 0;
}

void
lw_logcheck_file_fini(struct lw_logcheck_file *f)
{
	free(f->recs);
	f->recs = NULL;
	f->hdr.nrecs = 0;
}

static bool
is_new_lock(const struct lw_dlog_rec *r)
{
	return r->kind == LW_DLOG_SUBMIT && r->u.req.op == LW_REQ_LOCK &&
	       !(r->u.req.flags & LW_LKF_CONVERT);
}

static const char *
fname(const struct lw_logcheck_file *f)
{
	return f->name != NULL ? f->name : "(log)";
}

/* Step 1. @return 0 or -EINVAL (explained on msg). */
static int
verify(const struct lw_logcheck_file *files, unsigned int nfiles, FILE *msg, uint8_t *seen,
       struct lw_logcheck_result *res)
{
	for (unsigned int i = 0; i < nfiles; i++) {
		const struct lw_logcheck_file *f = &files[i];

		if (f->hdr.lost != 0) {
			if (msg != NULL)
				fprintf(msg, "%s: incomplete log: %" PRIu64 " record(s) lost\n",
					fname(f), f->hdr.lost);
			return -EINVAL;
		}
		for (uint64_t j = 0; j < f->hdr.nrecs; j++) {
			const struct lw_dlog_rec *r = &f->recs[j];

			if (j > 0 && r->t_ns < f->recs[j - 1].t_ns) {
				if (msg != NULL)
					fprintf(msg, "%s: record %" PRIu64 " (t=%" PRIu64 " ns) is "
						"earlier than record %" PRIu64 " (t=%" PRIu64 " ns): "
						"the log is not in time order\n", fname(f), j,
						r->t_ns, j - 1, f->recs[j - 1].t_ns);
				return -EINVAL;
			}
			if (!is_new_lock(r))
				continue;
			if (r->res >= LW_LOGCHECK_MAX_RES) {
				if (msg != NULL)
					fprintf(msg, "%s: record %" PRIu64 " names resource %u, "
						"beyond the checker's %u\n", fname(f), j, r->res,
						LW_LOGCHECK_MAX_RES);
				return -EINVAL;
			}
			if (!seen[r->res]) {
				seen[r->res] = 1;
				res->resources++;
			}
		}
	}
	return 0;
}

/* --- the merge heap ------------------------------------------------------ */

struct merge {
	const struct lw_logcheck_file *files;
	uint64_t *pos;       /* per file: its next record */
	unsigned int *heap;  /* file indices with records left */
	unsigned int n;
};

static bool
before(const struct merge *m, unsigned int a, unsigned int b)
{
	uint64_t ta = m->files[a].recs[m->pos[a]].t_ns;
	uint64_t tb = m->files[b].recs[m->pos[b]].t_ns;

	return ta < tb || (ta == tb && a < b);
}

static void
sift_down(struct merge *m, unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, s = i;

		if (l < m->n && before(m, m->heap[l], m->heap[s]))
			s = l;
		if (r < m->n && before(m, m->heap[r], m->heap[s]))
			s = r;
		if (s == i)
			return;
		unsigned int t = m->heap[i];
		m->heap[i] = m->heap[s];
		m->heap[s] = t;
		i = s;
	}
}

static void
merge_init(struct merge *m, const struct lw_logcheck_file *files, unsigned int nfiles)
{
	m->files = files;
	m->n = 0;
	for (unsigned int i = 0; i < nfiles; i++) {
		m->pos[i] = 0;
		if (files[i].hdr.nrecs > 0)
			m->heap[m->n++] = i;
	}
	for (unsigned int i = m->n / 2; i-- > 0;)
		sift_down(m, i);
}

/* The next record in merged order (and its file, its index), NULL at the end. */
static const struct lw_dlog_rec *
merge_next(struct merge *m, unsigned int *file, uint64_t *idx)
{
	unsigned int f;

	if (m->n == 0)
		return NULL;
	f = m->heap[0];
	*file = f;
	*idx = m->pos[f];
	if (++m->pos[f] == m->files[f].hdr.nrecs)
		m->heap[0] = m->heap[--m->n];
	sift_down(m, 0);
	return &m->files[f].recs[*idx];
}

/* --- replay -------------------------------------------------------------- */

/* The record that raised a violation, after the checker's own message. */
static void
describe(const struct lw_logcheck_file *f, uint64_t idx, const struct lw_dlog_rec *r)
{
	char sn[16];

	if (r->kind == LW_DLOG_FENCE) {
		fprintf(stderr, "  at %s record %" PRIu64 " (t=%" PRIu64 " ns): %s FENCE\n", fname(f),
			idx, r->t_ns, sim_site_name(r->site, sn));
		return;
	}
	if (r->kind == LW_DLOG_SUBMIT) {
		const struct lw_req *q = &r->u.req;

		fprintf(stderr, "  at %s record %" PRIu64 " (t=%" PRIu64 " ns): %s submit %s%s "
			"%s lkid %#x res r%u cookie %" PRIu64 " flags %#x rc %d\n", fname(f), idx,
			r->t_ns, sim_site_name(r->site, sn),
			q->op == LW_REQ_UNLOCK ? "unlock" : "lock",
			q->op == LW_REQ_LOCK && (q->flags & LW_LKF_CONVERT) ? " convert" : "",
			q->op == LW_REQ_LOCK ? sim_mode_name(q->mode) : "", q->lkid, r->res,
			q->cookie, q->flags, q->rc);
		return;
	}
	const struct lw_event *ev = &r->u.ev;

	fprintf(stderr, "  at %s record %" PRIu64 " (t=%" PRIu64 " ns): %s %s %s %s lkid %#x "
		"session %u cookie %" PRIu64 "\n", fname(f), idx, r->t_ns,
		sim_site_name(r->site, sn),
		ev->type == LW_EV_COMPLETE ? "COMPLETE" : ev->type == LW_EV_BLOCKING ? "BLOCKING" : "?",
		ev->type == LW_EV_COMPLETE ? sim_status_name(ev->status) : "",
		sim_mode_name(ev->mode), ev->lkid, ev->session, ev->cookie);
}

static void
replay(struct sim_chk *c, struct merge *m, bool quiet, struct lw_logcheck_result *res)
{
	const struct lw_dlog_rec *r;
	unsigned int file;
	uint64_t idx;

	while ((r = merge_next(m, &file, &idx)) != NULL) {
		unsigned int nv = sim_chk_nviol(c);

		sim_chk_now(c, r->t_ns);
		if (r->kind == LW_DLOG_FENCE) {
			res->fences++;
			sim_chk_node_fenced(c, lw_site_node(r->site));
		} else if (r->kind == LW_DLOG_SUBMIT) {
			res->submits++;
			sim_chk_submit(c, r->site, r->res, &r->u.req);
		} else {
			res->events++;
			if (r->u.ev.type == LW_EV_COMPLETE && r->u.ev.status == 0)
				res->grants++;
			if (r->u.ev.type == LW_EV_COMPLETE && r->u.ev.status == -ENOLCK)
				res->enolck++;
			sim_chk_event(c, r->site, &r->u.ev);
		}
		if (!quiet && sim_chk_nviol(c) != nv)
			describe(&m->files[file], idx, r);
	}
}

int
lw_logcheck_run(const struct lw_logcheck_file *files, unsigned int nfiles, bool quiet,
		FILE *msg, struct lw_logcheck_result *res)
{
	struct merge m = { 0 };
	struct sim_chk *c = NULL;
	uint8_t *seen;
	char name[24];
	int rc;

	memset(res, 0, sizeof(*res));
	res->files = nfiles;
	seen = calloc(LW_LOGCHECK_MAX_RES, 1);
	m.pos = calloc(nfiles + 1, sizeof(*m.pos));
	m.heap = calloc(nfiles + 1, sizeof(*m.heap));
	if (seen == NULL || m.pos == NULL || m.heap == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = verify(files, nfiles, msg, seen, res);
	if (rc != 0)
		goto out;
	c = sim_chk_new();
	if (c == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	sim_chk_set_quiet(c, quiet);
	for (uint32_t i = 0; i < LW_LOGCHECK_MAX_RES; i++) {
		if (!seen[i])
			continue;
		snprintf(name, sizeof(name), "r%u", i);
		sim_chk_res(c, i, name);
	}
	merge_init(&m, files, nfiles);
	replay(c, &m, quiet, res);
	sim_chk_finish(c);
	res->nviol = sim_chk_nviol(c);
	for (int k = 0; k < SV_NKINDS; k++)
		res->kinds[k] = sim_chk_nkind(c, k);
out:
	sim_chk_free(c);
	free(m.heap);
	free(m.pos);
	free(seen);
	return rc;
}
