/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dlog.c — daemon/dlog.c (the workload driver's history log) and the
 * log checker (tests/sim/harness_logcheck.c, lw-logcheck).
 *
 * DESIGN
 * Logs are filled through the dlog API, written to a mkdtemp directory under
 * /tmp and read back. The file tests corrupt one field at a time and expect
 * -EINVAL. The checker tests write short two-site histories (site A on node
 * 1, site B on node 2, one resource) and replay them: a correct handover of
 * an EX lock passes, a grant while the other site still holds EX is a
 * conflict, a missing COMPLETE is reported, and a log out of time order or
 * with lost records is refused. The last test runs the lw-logcheck program
 * itself (its path comes in LW_LOGCHECK from meson) and checks its exit
 * codes and summary line. Registered in tests/sim/meson.build (suite unit),
 * since it links the simulator's checker.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dlog.h"
#include "logcheck.h"
#include "lwt.h"
#include "site.h"

#define SA ((uint16_t)lw_site_id(1, 0))
#define SB ((uint16_t)lw_site_id(2, 0))
#define MAXF 8

static char tmpdir[] = "/tmp/lwt_dlog.XXXXXX";

static const char *
tpath(const char *name)
{
	static char p[4][PATH_MAX];
	static unsigned int k;
	char *s = p[k++ % 4];

	snprintf(s, PATH_MAX, "%s/%s", tmpdir, name);
	return s;
}

/* --- history builders ---------------------------------------------------- */

static void
put_lock(struct lw_dlog *l, uint64_t t, uint16_t site, uint32_t res, uint32_t lkid, int mode,
	 uint64_t cookie)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_LOCK;
	r.mode = (int8_t)mode;
	r.namelen = (uint8_t)snprintf((char *)r.name, sizeof(r.name), "r%u", res);
	r.session = 1;
	r.lkid = lkid;
	r.cookie = cookie;
	r.rc = 0;
	lw_dlog_submit(l, t, site, res, &r);
}

static void
put_unlock(struct lw_dlog *l, uint64_t t, uint16_t site, uint32_t lkid, uint64_t cookie)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_UNLOCK;
	r.session = 1;
	r.lkid = lkid;
	r.cookie = cookie;
	lw_dlog_submit(l, t, site, 0, &r);
}

static void
put_complete(struct lw_dlog *l, uint64_t t, uint16_t site, uint32_t lkid, int mode,
	     int status, uint64_t cookie)
{
	struct lw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = LW_EV_COMPLETE;
	ev.mode = (int8_t)mode;
	ev.status = status;
	ev.lkid = lkid;
	ev.session = 1;
	ev.cookie = cookie;
	lw_dlog_event(l, t, site, &ev);
}

/*
 * Site A: EX on r0 granted at 110, unlocked at 200 (done at 210).
 * Site B: asks EX on r0 at 150, granted at b_grant, unlocked at 300.
 * b_done: whether B's grant COMPLETE is logged (else B never unlocks).
 */
static void
history(struct lw_dlog *a, struct lw_dlog *b, uint64_t b_grant, bool b_done)
{
	put_lock(a, 100, SA, 0, 0x10, LW_LOCK_EX, 1);
	put_complete(a, 110, SA, 0x10, LW_LOCK_EX, 0, 1);
	put_unlock(a, 200, SA, 0x10, 2);
	put_complete(a, 210, SA, 0x10, LW_LOCK_IV, LW_EUNLOCK, 2);

	put_lock(b, 150, SB, 0, 0x20, LW_LOCK_EX, 101);
	if (!b_done)
		return;
	put_complete(b, b_grant, SB, 0x20, LW_LOCK_EX, 0, 101);
	put_unlock(b, 300, SB, 0x20, 102);
	put_complete(b, 310, SB, 0x20, LW_LOCK_IV, LW_EUNLOCK, 102);
}

/* Write logs[i] to "<prefix><i>", load them all and replay. @return lw_logcheck_run's. */
static int
check_logs(struct lw_dlog **logs, unsigned int n, const char *prefix,
	   struct lw_logcheck_result *res)
{
	struct lw_logcheck_file f[MAXF];
	char name[64];
	int rc;

	CU_ASSERT_FATAL(n <= MAXF);
	for (unsigned int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%u", prefix, i);
		CU_ASSERT_EQUAL_FATAL(lw_dlog_write(logs[i], tpath(name)), 0);
		CU_ASSERT_EQUAL_FATAL(lw_logcheck_load(tpath(name), &f[i], stderr), 0);
		CU_ASSERT_EQUAL(f[i].hdr.nrecs, lw_dlog_count(logs[i]));
	}
	rc = lw_logcheck_run(f, n, true, NULL, res);
	for (unsigned int i = 0; i < n; i++) {
		lw_logcheck_file_fini(&f[i]);
		snprintf(name, sizeof(name), "%s%u", prefix, i);
		unlink(tpath(name));
	}
	return rc;
}

/* --- the log and its file ------------------------------------------------ */

static void
test_roundtrip(void)
{
	struct lw_dlog *l = lw_dlog_new(3, 2, 16);
	struct lw_dlog_file_hdr h;
	struct lw_dlog_rec *r = NULL;
	uint16_t s = (uint16_t)lw_site_id(3, 2);

	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	put_lock(l, 1000, s, 7, 0x123, LW_LOCK_PR, 42);
	put_complete(l, 1500, s, 0x123, LW_LOCK_PR, 0, 42);
	put_unlock(l, 2000, s, 0x123, 43);
	CU_ASSERT_EQUAL(lw_dlog_count(l), 3);
	CU_ASSERT_EQUAL(lw_dlog_lost(l), 0);
	CU_ASSERT_EQUAL_FATAL(lw_dlog_write(l, tpath("rt")), 0);
	lw_dlog_free(l);

	CU_ASSERT_EQUAL_FATAL(lw_dlog_read(tpath("rt"), &h, &r), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(memcmp(h.magic, LW_DLOG_MAGIC, 8), 0);
	CU_ASSERT_EQUAL(h.version, LW_DLOG_VERSION);
	CU_ASSERT_EQUAL(h.rec_size, sizeof(struct lw_dlog_rec));
	CU_ASSERT_EQUAL(h.node, 3);
	CU_ASSERT_EQUAL(h.worker, 2);
	CU_ASSERT_EQUAL(h.nrecs, 3);
	CU_ASSERT_EQUAL(h.lost, 0);
	CU_ASSERT_EQUAL(h.rsvd[0] | h.rsvd[1], 0);

	CU_ASSERT_EQUAL(r[0].kind, LW_DLOG_SUBMIT);
	CU_ASSERT_EQUAL(r[0].t_ns, 1000);
	CU_ASSERT_EQUAL(r[0].site, s);
	CU_ASSERT_EQUAL(r[0].res, 7);
	CU_ASSERT_EQUAL(r[0].u.req.op, LW_REQ_LOCK);
	CU_ASSERT_EQUAL(r[0].u.req.mode, LW_LOCK_PR);
	CU_ASSERT_EQUAL(r[0].u.req.lkid, 0x123);
	CU_ASSERT_EQUAL(r[0].u.req.cookie, 42);
	CU_ASSERT_EQUAL(r[0].u.req.namelen, 2);
	CU_ASSERT_EQUAL(memcmp(r[0].u.req.name, "r7", 2), 0);

	CU_ASSERT_EQUAL(r[1].kind, LW_DLOG_EVENT);
	CU_ASSERT_EQUAL(r[1].t_ns, 1500);
	CU_ASSERT_EQUAL(r[1].u.ev.type, LW_EV_COMPLETE);
	CU_ASSERT_EQUAL(r[1].u.ev.status, 0);
	CU_ASSERT_EQUAL(r[1].u.ev.mode, LW_LOCK_PR);
	CU_ASSERT_EQUAL(r[1].u.ev.cookie, 42);
	CU_ASSERT_EQUAL(r[1].res, 0);

	CU_ASSERT_EQUAL(r[2].kind, LW_DLOG_SUBMIT);
	CU_ASSERT_EQUAL(r[2].u.req.op, LW_REQ_UNLOCK);
	CU_ASSERT_EQUAL(r[2].u.req.cookie, 43);
	free(r);

	/* an empty log is a valid file with no records */
	l = lw_dlog_new(1, 0, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(lw_dlog_write(l, tpath("empty")), 0);
	lw_dlog_free(l);
	r = (struct lw_dlog_rec *)&h;
	CU_ASSERT_EQUAL(lw_dlog_read(tpath("empty"), &h, &r), 0);
	CU_ASSERT_EQUAL(h.nrecs, 0);
	CU_ASSERT_PTR_NULL(r);
	unlink(tpath("rt"));
	unlink(tpath("empty"));
}

/* Write a good 2-record log to path; return its size. */
static off_t
good_file(const char *path)
{
	struct lw_dlog *l = lw_dlog_new(1, 0, 4);
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	put_lock(l, 10, SA, 0, 1, LW_LOCK_EX, 1);
	put_complete(l, 20, SA, 1, LW_LOCK_EX, 0, 1);
	CU_ASSERT_EQUAL_FATAL(lw_dlog_write(l, path), 0);
	lw_dlog_free(l);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	return st.st_size;
}

/* Overwrite len bytes at off in path. */
static void
poke(const char *path, off_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static int
read_rc(const char *path)
{
	struct lw_dlog_file_hdr h;
	struct lw_dlog_rec *r = (struct lw_dlog_rec *)&h;
	int rc = lw_dlog_read(path, &h, &r);

	if (rc != 0)
		CU_ASSERT_PTR_NULL(r);
	free(rc == 0 ? r : NULL);
	return rc;
}

static void
test_bad_files(void)
{
	const char *p = tpath("bad");
	uint32_t u32;
	uint8_t u8;
	off_t size;

	size = good_file(p);
	CU_ASSERT_EQUAL(size, (off_t)(sizeof(struct lw_dlog_file_hdr) + 2 * sizeof(struct lw_dlog_rec)));
	CU_ASSERT_EQUAL(read_rc(p), 0);

	poke(p, 0, "LWDLOG2\n", 8);
	CU_ASSERT_EQUAL(read_rc(p), -EINVAL);

	good_file(p);
	u32 = LW_DLOG_VERSION + 1;
	poke(p, offsetof(struct lw_dlog_file_hdr, version), &u32, sizeof(u32));
	CU_ASSERT_EQUAL(read_rc(p), -EINVAL);

	good_file(p);
	u32 = sizeof(struct lw_dlog_rec) + 8;
	poke(p, offsetof(struct lw_dlog_file_hdr, rec_size), &u32, sizeof(u32));
	CU_ASSERT_EQUAL(read_rc(p), -EINVAL);

	good_file(p);   /* the last record cut short */
	CU_ASSERT_EQUAL(truncate(p, size - 1), 0);
	CU_ASSERT_EQUAL(read_rc(p), -EINVAL);

	good_file(p);   /* a whole record missing: nrecs says 2 */
	CU_ASSERT_EQUAL(truncate(p, size - (off_t)sizeof(struct lw_dlog_rec)), 0);
	CU_ASSERT_EQUAL(read_rc(p), -EINVAL);

	good_file(p);   /* not even a header */
	CU_ASSERT_EQUAL(truncate(p, 20), 0);
	CU_ASSERT_EQUAL(read_rc(p), -EINVAL);

	good_file(p);   /* bytes after the last record */
	CU_ASSERT_EQUAL(truncate(p, size + 3), 0);
	CU_ASSERT_EQUAL(read_rc(p), -EINVAL);

	good_file(p);   /* a record of unknown kind */
	u8 = 9;
	poke(p, (off_t)(sizeof(struct lw_dlog_file_hdr) + offsetof(struct lw_dlog_rec, kind)),
	     &u8, 1);
	CU_ASSERT_EQUAL(read_rc(p), -EINVAL);

	unlink(p);
	CU_ASSERT_EQUAL(read_rc(p), -ENOENT);
	CU_ASSERT_EQUAL(read_rc(tmpdir), -EINVAL);   /* a directory */
	CU_ASSERT_EQUAL(lw_dlog_read(NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(lw_dlog_write(NULL, p), -EINVAL);
}

static void
test_overflow(void)
{
	struct lw_logcheck_file f;
	struct lw_dlog_file_hdr h;
	struct lw_dlog_rec *r = NULL;
	struct lw_dlog *l;

	errno = 0;
	CU_ASSERT_PTR_NULL(lw_dlog_new(1, 0, 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(lw_dlog_new(1, 0, UINT64_MAX));
	CU_ASSERT_EQUAL(errno, EINVAL);

	l = lw_dlog_new(1, 0, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	for (int i = 0; i < 6; i++)
		put_complete(l, 10 + (uint64_t)i, SA, 1, LW_LOCK_NL, 0, (uint64_t)i);
	CU_ASSERT_EQUAL(lw_dlog_count(l), 4);
	CU_ASSERT_EQUAL(lw_dlog_lost(l), 2);
	CU_ASSERT_EQUAL_FATAL(lw_dlog_write(l, tpath("full")), 0);
	lw_dlog_free(l);

	/* the file keeps what fit and says how much did not */
	CU_ASSERT_EQUAL_FATAL(lw_dlog_read(tpath("full"), &h, &r), 0);
	CU_ASSERT_EQUAL(h.nrecs, 4);
	CU_ASSERT_EQUAL(h.lost, 2);
	CU_ASSERT_EQUAL(r[3].u.ev.cookie, 3);
	free(r);

	/* and the checker refuses it */
	CU_ASSERT_EQUAL(lw_logcheck_load(tpath("full"), &f, NULL), -EOVERFLOW);
	CU_ASSERT_PTR_NULL(f.recs);
	unlink(tpath("full"));
}

/* --- the checker --------------------------------------------------------- */

static void
test_check_good(void)
{
	struct lw_dlog *l[2] = { lw_dlog_new(1, 0, 64), lw_dlog_new(2, 0, 64) };
	struct lw_logcheck_result res;

	CU_ASSERT_FATAL(l[0] != NULL && l[1] != NULL);
	history(l[0], l[1], 220, true);
	CU_ASSERT_EQUAL(check_logs(l, 2, "good", &res), 0);
	CU_ASSERT_EQUAL(res.nviol, 0);
	CU_ASSERT_EQUAL(res.files, 2);
	CU_ASSERT_EQUAL(res.submits, 4);
	CU_ASSERT_EQUAL(res.events, 4);
	CU_ASSERT_EQUAL(res.grants, 2);
	CU_ASSERT_EQUAL(res.resources, 1);

	/* the same history with the files the other way round */
	struct lw_dlog *sw[2] = { l[1], l[0] };
	CU_ASSERT_EQUAL(check_logs(sw, 2, "swap", &res), 0);
	CU_ASSERT_EQUAL(res.nviol, 0);
	lw_dlog_free(l[0]);
	lw_dlog_free(l[1]);
}

static void
test_check_conflict(void)
{
	struct lw_dlog *l[2] = { lw_dlog_new(1, 0, 64), lw_dlog_new(2, 0, 64) };
	struct lw_logcheck_result res;

	CU_ASSERT_FATAL(l[0] != NULL && l[1] != NULL);
	history(l[0], l[1], 190, true);   /* B granted before A's unlock at 200 */
	CU_ASSERT_EQUAL(check_logs(l, 2, "conflict", &res), 0);
	CU_ASSERT_EQUAL(res.nviol, 1);
	CU_ASSERT_EQUAL(res.kinds[SV_CONFLICT], 1);
	CU_ASSERT_EQUAL(res.grants, 2);
	lw_dlog_free(l[0]);
	lw_dlog_free(l[1]);
}

/* Equal timestamps: file order decides, then record order. */
static void
test_check_ties(void)
{
	struct lw_dlog *l[2] = { lw_dlog_new(1, 0, 64), lw_dlog_new(2, 0, 64) };
	struct lw_logcheck_result res;

	CU_ASSERT_FATAL(l[0] != NULL && l[1] != NULL);
	history(l[0], l[1], 210, true);   /* B's grant and A's unlock COMPLETE both at 210 */
	CU_ASSERT_EQUAL(check_logs(l, 2, "tie", &res), 0);
	CU_ASSERT_EQUAL(res.nviol, 0);    /* A (file 0) first: unlocked, then B granted */

	struct lw_dlog *sw[2] = { l[1], l[0] };
	CU_ASSERT_EQUAL(check_logs(sw, 2, "tieswap", &res), 0);
	CU_ASSERT_EQUAL(res.kinds[SV_CONFLICT], 1);   /* B (file 0) first: granted, then A unlocked */
	lw_dlog_free(l[0]);
	lw_dlog_free(l[1]);
}

static void
test_check_missing(void)
{
	struct lw_dlog *l[2] = { lw_dlog_new(1, 0, 64), lw_dlog_new(2, 0, 64) };
	struct lw_logcheck_result res;

	CU_ASSERT_FATAL(l[0] != NULL && l[1] != NULL);
	history(l[0], l[1], 0, false);    /* B's request accepted, never completed */
	CU_ASSERT_EQUAL(check_logs(l, 2, "missing", &res), 0);
	CU_ASSERT_EQUAL(res.nviol, 1);
	CU_ASSERT_EQUAL(res.kinds[SV_MISSING], 1);
	CU_ASSERT_EQUAL(res.submits, 3);
	CU_ASSERT_EQUAL(res.events, 2);

	/* a lock never unlocked is left held */
	struct lw_dlog *one = lw_dlog_new(1, 0, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	put_lock(one, 100, SA, 0, 0x10, LW_LOCK_EX, 1);
	put_complete(one, 110, SA, 0x10, LW_LOCK_EX, 0, 1);
	CU_ASSERT_EQUAL(check_logs(&one, 1, "held", &res), 0);
	CU_ASSERT_EQUAL(res.kinds[SV_LEFT_HELD], 1);
	lw_dlog_free(one);
	lw_dlog_free(l[0]);
	lw_dlog_free(l[1]);
}

static void
test_check_refused(void)
{
	struct lw_logcheck_file f[2];
	struct lw_logcheck_result res;
	struct lw_dlog *l = lw_dlog_new(1, 0, 8);

	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	put_lock(l, 100, SA, 0, 0x10, LW_LOCK_EX, 1);
	put_complete(l, 90, SA, 0x10, LW_LOCK_EX, 0, 1);   /* time went back */
	CU_ASSERT_EQUAL(check_logs(&l, 1, "order", &res), -EINVAL);
	lw_dlog_free(l);

	l = lw_dlog_new(1, 0, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	put_lock(l, 100, SA, LW_LOGCHECK_MAX_RES, 0x10, LW_LOCK_EX, 1);
	CU_ASSERT_EQUAL(check_logs(&l, 1, "bigres", &res), -EINVAL);
	lw_dlog_free(l);

	/* a log that lost records, handed over without lw_logcheck_load */
	memset(f, 0, sizeof(f));
	f[1].hdr.lost = 1;
	CU_ASSERT_EQUAL(lw_logcheck_run(f, 2, true, NULL, &res), -EINVAL);

	/* no files at all: nothing to find */
	CU_ASSERT_EQUAL(lw_logcheck_run(f, 0, true, NULL, &res), 0);
	CU_ASSERT_EQUAL(res.nviol, 0);
}

/*
 * Site A (node 1) holds EX on r0, B (node 2) waits. A's -ENOLCK is a
 * violation unless a FENCE record of node 1 came first; with one, the lock
 * is gone at the -ENOLCK and B's grant after it is fine.
 */
static void
test_check_fence(void)
{
	struct lw_logcheck_result res;
	struct lw_dlog_rec *r = NULL;
	struct lw_dlog_file_hdr h;

	for (int fenced = 0; fenced < 2; fenced++) {
		struct lw_dlog *l[2] = { lw_dlog_new(1, 0, 16), lw_dlog_new(2, 0, 16) };

		CU_ASSERT_FATAL(l[0] != NULL && l[1] != NULL);
		put_lock(l[0], 100, SA, 0, 0x10, LW_LOCK_EX, 1);
		put_complete(l[0], 110, SA, 0x10, LW_LOCK_EX, 0, 1);
		put_lock(l[1], 150, SB, 0, 0x20, LW_LOCK_EX, 101);
		if (fenced)
			lw_dlog_fence(l[0], 200, SA);
		put_complete(l[0], 201, SA, 0x10, LW_LOCK_IV, -ENOLCK, 1);
		put_complete(l[1], 300, SB, 0x20, LW_LOCK_EX, 0, 101);
		put_unlock(l[1], 400, SB, 0x20, 102);
		put_complete(l[1], 410, SB, 0x20, LW_LOCK_IV, LW_EUNLOCK, 102);
		CU_ASSERT_EQUAL(check_logs(l, 2, fenced ? "fenced" : "unfenced", &res), 0);
		CU_ASSERT_EQUAL(res.fences, (uint64_t)fenced);
		CU_ASSERT_EQUAL(res.enolck, 1);
		if (fenced) {
			CU_ASSERT_EQUAL(res.nviol, 0);
		} else {
			CU_ASSERT_EQUAL(res.kinds[SV_EVENT], 1);    /* the lease had not run out */
			CU_ASSERT_EQUAL(res.kinds[SV_CONFLICT], 1); /* so A still held EX */
		}
		CU_ASSERT_EQUAL(lw_dlog_count(l[0]), 3u + (unsigned int)fenced);
		lw_dlog_free(l[0]);
		lw_dlog_free(l[1]);
	}
	/* the record as written and read back */
	struct lw_dlog *one = lw_dlog_new(1, 0, 4);

	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	lw_dlog_fence(one, 200, SA);
	CU_ASSERT_EQUAL_FATAL(lw_dlog_write(one, tpath("fence")), 0);
	CU_ASSERT_EQUAL_FATAL(lw_dlog_read(tpath("fence"), &h, &r), 0);
	CU_ASSERT_EQUAL(h.nrecs, 1);
	CU_ASSERT_EQUAL(r[0].kind, LW_DLOG_FENCE);
	CU_ASSERT_EQUAL(r[0].t_ns, 200);
	CU_ASSERT_EQUAL(r[0].site, SA);
	free(r);
	lw_dlog_free(one);
	unlink(tpath("fence"));
}

/* Run lw-logcheck with args; capture the first line of stdout. @return its exit code. */
static int
run_tool(const char *args, char *line, size_t len)
{
	const char *tool = getenv("LW_LOGCHECK");
	char cmd[PATH_MAX * 3];
	FILE *p;
	int st;

	line[0] = '\0';
	CU_ASSERT_PTR_NOT_NULL_FATAL(tool);
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", tool, args);
	p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (fgets(line, (int)len, p) == NULL)
		line[0] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	CU_ASSERT_FATAL(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_tool(void)
{
	struct lw_dlog *l[3] = { lw_dlog_new(1, 0, 64), lw_dlog_new(2, 0, 64),
				 lw_dlog_new(2, 1, 2) };
	char args[PATH_MAX * 2], line[256];

	CU_ASSERT_FATAL(l[0] != NULL && l[1] != NULL && l[2] != NULL);
	history(l[0], l[1], 220, true);
	CU_ASSERT_EQUAL_FATAL(lw_dlog_write(l[0], tpath("t0")), 0);
	CU_ASSERT_EQUAL_FATAL(lw_dlog_write(l[1], tpath("t1")), 0);
	snprintf(args, sizeof(args), "--quiet %s %s", tpath("t0"), tpath("t1"));
	CU_ASSERT_EQUAL(run_tool(args, line, sizeof(line)), 0);
	CU_ASSERT_STRING_EQUAL(line, "logcheck: 2 files, 4 submits, 4 events, 2 grants, "
			       "1 resources, 0 fences, 0 ended by a fence, 0 violations\n");

	/* A's log alone, without its unlock's COMPLETE: missing, and left held */
	lw_dlog_free(l[0]);
	l[0] = lw_dlog_new(1, 0, 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l[0]);
	put_lock(l[0], 100, SA, 0, 0x10, LW_LOCK_EX, 1);
	put_complete(l[0], 110, SA, 0x10, LW_LOCK_EX, 0, 1);
	put_unlock(l[0], 200, SA, 0x10, 2);
	CU_ASSERT_EQUAL_FATAL(lw_dlog_write(l[0], tpath("t0")), 0);
	snprintf(args, sizeof(args), "--quiet %s", tpath("t0"));
	CU_ASSERT_EQUAL(run_tool(args, line, sizeof(line)), 1);
	CU_ASSERT_STRING_EQUAL(line, "logcheck: 1 files, 2 submits, 1 events, 1 grants, "
			       "1 resources, 0 fences, 0 ended by a fence, 2 violations\n");

	/* incomplete, unreadable, missing: exit 2, nothing checked */
	for (int i = 0; i < 3; i++)
		put_complete(l[2], 10, SB, 1, LW_LOCK_NL, 0, (uint64_t)i);
	CU_ASSERT_EQUAL_FATAL(lw_dlog_write(l[2], tpath("t2")), 0);
	snprintf(args, sizeof(args), "%s %s", tpath("t1"), tpath("t2"));
	CU_ASSERT_EQUAL(run_tool(args, line, sizeof(line)), 2);
	CU_ASSERT_STRING_EQUAL(line, "");
	snprintf(args, sizeof(args), "%s", tpath("nonexistent"));
	CU_ASSERT_EQUAL(run_tool(args, line, sizeof(line)), 2);
	CU_ASSERT_EQUAL(run_tool("", line, sizeof(line)), 2);
	CU_ASSERT_EQUAL(run_tool("--bogus x", line, sizeof(line)), 2);

	for (int i = 0; i < 3; i++)
		lw_dlog_free(l[i]);
	unlink(tpath("t0"));
	unlink(tpath("t1"));
	unlink(tpath("t2"));
}

int
main(int argc, char **argv)
{
	int rc;

	(void)argc;
	lwt_eal_init(argv[0]);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	lwt_suite("dlog",
		  "write/read round trip", test_roundtrip,
		  "bad files refused", test_bad_files,
		  "capacity overflow counted as lost", test_overflow,
		  NULL);
	lwt_suite("logcheck",
		  "EX handed over: no violation", test_check_good,
		  "grant while held: conflict", test_check_conflict,
		  "equal timestamps: file order", test_check_ties,
		  "missing COMPLETE, left held", test_check_missing,
		  "FENCE record: -ENOLCK allowed after it only", test_check_fence,
		  "unordered, lost, bad res: refused", test_check_refused,
		  "lw-logcheck exit codes and summary", test_tool,
		  NULL);
	rc = lwt_run();
	rmdir(tmpdir);
	return rc;
}
