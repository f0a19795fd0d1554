/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * counter_main.c — one client of the shared-counter test (test_counter.sh):
 * mutual exclusion end to end, through liblockwire and a real cluster.
 *
 *   counter --socket S --res NAME --iters N --file F    the counter in a file
 *   counter --socket S --res NAME --iters N --lvb       the counter in the LVB
 *   counter --socket S --res NAME --read-lvb            print the LVB counter
 *   counter --socket S --res NAME --hold                take EX, print "held", wait;
 *                                                       exit 3 when it is revoked (-ENOLCK)
 *   ... --stamp FILE     append the wall-clock time (ns) of every EX grant
 *
 * --hold plays a node's client that dies holding the lock (the failover
 * test kills it with its node); --stamp tells when grants resumed.
 *
 * N times: take EX on NAME (a new lock each time), read the counter,
 * yield the CPU (so that a second holder, if the lock let one in, would
 * interleave), write counter + 1, unlock. With --file the counter is a
 * 20-digit decimal at offset 0 of F, read with pread and written with
 * pwrite (no caching of our own); with --lvb it is a little-endian 64-bit
 * value at the start of the LVB and its complement next to it, read by the
 * VALBLK grant and written by the VALBLK unlock. Many of these run at once
 * on every node; the runner then checks that no increment was lost.
 *
 * Exit 0 when every request returned what it must (0, LW_EUNLOCK; a valid
 * LVB whose value only grows as this client sees it), else 1 (2: usage).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lockwire.h"

#define DIGITS 20

struct args {
	const char *socket;
	const char *res;
	const char *file;
	const char *stamp;
	unsigned long iters;
	bool lvb;
	bool read_lvb;
	bool hold;
};

static FILE *stamps;

static void
stamp(void)
{
	struct timespec ts;

	if (stamps == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stamps, "%lld\n", (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec);
	fflush(stamps);
}

static int
fail(const char *what, int rc)
{
	fprintf(stderr, "counter[%d]: %s: %d (%s)\n", (int)getpid(), what, rc,
		rc < 0 && rc > -4096 ? strerror(-rc) : "lockwire status");
	return 1;
}

/* The counter in the file: read, yield, write + 1. @return 0 or 1. */
static int
bump_file(int fd)
{
	char buf[DIGITS + 2];
	uint64_t v;
	ssize_t got = pread(fd, buf, DIGITS + 1, 0);

	if (got <= 0)
		return fail("pread", -errno);
	buf[got] = '\0';
	v = strtoull(buf, NULL, 10);
	sched_yield();
	snprintf(buf, sizeof(buf), "%0*" PRIu64 "\n", DIGITS, v + 1);
	if (pwrite(fd, buf, DIGITS + 1, 0) != DIGITS + 1)
		return fail("pwrite", -errno);
	return 0;
}

static void
lvb_get(const char *lvb, uint64_t *v, uint64_t *check)
{
	memcpy(v, lvb, sizeof(*v));
	memcpy(check, lvb + sizeof(*v), sizeof(*check));
}

static void
lvb_put(char *lvb, uint64_t v)
{
	uint64_t check = ~v;

	memcpy(lvb, &v, sizeof(v));
	memcpy(lvb + sizeof(v), &check, sizeof(check));
}

/* The counter in the LVB, as the VALBLK grant brought it. @return 0 or 1. */
static int
bump_lvb(struct lw_lksb *lk, uint64_t *last)
{
	uint64_t v, check;

	if (lk->sb_flags & LW_SBF_VALNOTVALID)
		return fail("LVB not valid", (int)lk->sb_flags);
	lvb_get(lk->sb_lvbptr, &v, &check);
	if (v != 0 && check != ~v)
		return fail("LVB garbled", (int)v);
	if (v < *last)
		return fail("LVB went back", (int)v);
	*last = v + 1;
	sched_yield();
	lvb_put(lk->sb_lvbptr, v + 1);
	return 0;
}

static int
run(struct lw_ls *ls, const struct args *a, int fd)
{
	uint32_t flags = a->lvb ? LW_LKF_VALBLK : 0;
	unsigned int len = (unsigned int)strlen(a->res);
	char lvb[LW_LVB_LEN] = { 0 };
	uint64_t last = 0;
	unsigned long i;
	int rc;

	for (i = 0; i < a->iters; i++) {
		struct lw_lksb lk = { .sb_lvbptr = lvb };

		rc = lw_lock_wait(ls, LW_LOCK_EX, &lk, flags, a->res, len, NULL, NULL, NULL);
		if (rc != 0)
			return fail("lock EX", rc);
		stamp();
		if (a->lvb ? bump_lvb(&lk, &last) : bump_file(fd))
			return 1;
		rc = lw_unlock_wait(ls, lk.sb_lkid, flags, &lk);
		if (rc != LW_EUNLOCK)
			return fail("unlock", rc);
	}
	return 0;
}

/* Take EX and keep it: until killed, or until the node revokes it (-ENOLCK: exit 3). */
static volatile int hold_asts;

static void
hold_ast(void *arg)
{
	(void)arg;
	hold_asts++;
}

static int
hold(struct lw_client *c, struct lw_ls *ls, const struct args *a)
{
	struct lw_lksb lk = { 0 };
	int rc;

	rc = lw_lock(ls, LW_LOCK_EX, &lk, 0, a->res, (unsigned int)strlen(a->res), 0,
		     hold_ast, NULL, NULL, NULL);
	if (rc != 0)
		return fail("lock EX", rc);
	while (hold_asts == 0)
		if ((rc = lw_dispatch(c, 100)) < 0)
			return fail("dispatch", rc);
	if (lk.sb_status != 0)
		return fail("lock EX", lk.sb_status);
	printf("held\n");
	fflush(stdout);
	while (hold_asts == 1)
		if ((rc = lw_dispatch(c, 100)) < 0)
			return fail("dispatch", rc);
	fprintf(stderr, "counter[%d]: lock lost: %d (%s)\n", (int)getpid(), lk.sb_status,
		lk.sb_status == -ENOLCK ? "ENOLCK" : "unexpected");
	return lk.sb_status == -ENOLCK ? 3 : 1;
}

/* Print the LVB counter (PR, VALBLK). */
static int
read_lvb(struct lw_ls *ls, const struct args *a)
{
	char lvb[LW_LVB_LEN] = { 0 };
	struct lw_lksb lk = { .sb_lvbptr = lvb };
	uint64_t v, check;
	int rc;

	rc = lw_lock_wait(ls, LW_LOCK_PR, &lk, LW_LKF_VALBLK, a->res, strlen(a->res), NULL,
			  NULL, NULL);
	if (rc != 0)
		return fail("lock PR", rc);
	if (lk.sb_flags & LW_SBF_VALNOTVALID)
		return fail("LVB not valid", (int)lk.sb_flags);
	lvb_get(lvb, &v, &check);
	if (v != 0 && check != ~v)
		return fail("LVB garbled", (int)v);
	printf("%" PRIu64 "\n", v);
	rc = lw_unlock_wait(ls, lk.sb_lkid, 0, &lk);
	return rc == LW_EUNLOCK ? 0 : fail("unlock", rc);
}

static int
parse(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "res", required_argument, NULL, 'r' },
		{ "iters", required_argument, NULL, 'n' },
		{ "file", required_argument, NULL, 'f' },
		{ "lvb", no_argument, NULL, 'l' },
		{ "read-lvb", no_argument, NULL, 'R' },
		{ "hold", no_argument, NULL, 'H' },
		{ "stamp", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': a->socket = optarg; break;
		case 'r': a->res = optarg; break;
		case 'n': a->iters = strtoul(optarg, NULL, 10); break;
		case 'f': a->file = optarg; break;
		case 'l': a->lvb = true; break;
		case 'R': a->read_lvb = true; break;
		case 'H': a->hold = true; break;
		case 't': a->stamp = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc || a->socket == NULL || a->res == NULL ||
	    a->read_lvb + a->lvb + (a->file != NULL) + a->hold != 1 ||
	    (!a->read_lvb && !a->hold && a->iters == 0))
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct lw_client *c;
	struct lw_ls *ls = NULL;
	struct args a;
	int fd = -1, rc;

	if (parse(argc, argv, &a) != 0) {
		fprintf(stderr, "usage: %s --socket S --res NAME (--iters N (--file F | --lvb) | "
			"--read-lvb | --hold) [--stamp FILE]\n", argv[0]);
		return 2;
	}
	if (a.file != NULL && (fd = open(a.file, O_RDWR | O_CLOEXEC)) < 0)
		return fail(a.file, -errno);
	if (a.stamp != NULL && (stamps = fopen(a.stamp, "a")) == NULL)
		return fail(a.stamp, -errno);
	c = lw_connect(a.socket);
	if (c == NULL)
		return fail("lw_connect", -errno);
	rc = lw_ls_open(c, "counter", &ls);
	if (rc != 0)
		return fail("lw_ls_open", rc);
	rc = a.hold ? hold(c, ls, &a) : a.read_lvb ? read_lvb(ls, &a) : run(ls, &a, fd);
	lw_disconnect(c);
	if (fd >= 0)
		close(fd);
	return rc;
}
