/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * logcheck_main.c — lw-logcheck: check the history logs (daemon/dlog.h) that
 * the workload driver of every worker of every node wrote during one
 * multi-process run on one machine.
 *
 *   lw-logcheck [--quiet] FILE...
 *
 * DESIGN
 * Read every log (refusing an unreadable one or one that lost records),
 * then lw_logcheck_run(): each log must be in time order; all are merged
 * by (t_ns, file order, record order) and replayed into the simulator's
 * checker, which must find no violation, including at the end (nothing
 * pending, nothing granted). Prints one summary line on stdout, and the
 * violations per kind when there are any.
 *
 * Exit: 0 no violation; 1 violations; 2 usage, an unreadable, incomplete or
 * unordered log, or out of memory. --quiet: violations are counted, not
 * each printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logcheck.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: lw-logcheck [--quiet] FILE...\n"
		"  Merge the workload logs of a run by timestamp and check them with the\n"
		"  simulator's checker. Exit 0: no violation, 1: violations, 2: bad input.\n");
}

static void
summary(const struct lw_logcheck_result *r)
{
	printf("logcheck: %u files, %" PRIu64 " submits, %" PRIu64 " events, %" PRIu64
	       " grants, %u resources, %" PRIu64 " fences, %" PRIu64 " ended by a fence, "
	       "%u violations\n", r->files, r->submits, r->events, r->grants, r->resources,
	       r->fences, r->enolck, r->nviol);
	if (r->nviol == 0)
		return;
	printf("logcheck: violations by kind:");
	for (int k = 0; k < SV_NKINDS; k++)
		if (r->kinds[k] != 0)
			printf(" %s=%u", sim_viol_name(k), r->kinds[k]);
	printf("\n");
}

int
main(int argc, char **argv)
{
	struct lw_logcheck_result res;
	struct lw_logcheck_file *files;
	unsigned int nfiles = 0;
	bool quiet = false;
	int first = 1, rc, ret = 2;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "--quiet") == 0) {
			quiet = true;
		} else if (strcmp(argv[first], "-h") == 0 || strcmp(argv[first], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[first], "--") == 0) {
			first++;
			break;
		} else {
			fprintf(stderr, "lw-logcheck: unknown option %s\n", argv[first]);
			usage(stderr);
			return 2;
		}
	}
	if (first >= argc) {
		usage(stderr);
		return 2;
	}
	files = calloc((size_t)(argc - first), sizeof(*files));
	if (files == NULL) {
		fprintf(stderr, "lw-logcheck: out of memory\n");
		return 2;
	}
	for (int i = first; i < argc; i++) {
		if (lw_logcheck_load(argv[i], &files[nfiles], stderr) != 0) {
			fprintf(stderr, "lw-logcheck: refusing to check an unreadable or "
				"incomplete log\n");
			goto out;
		}
		nfiles++;
	}
	rc = lw_logcheck_run(files, nfiles, quiet, stderr, &res);
	if (rc == -ENOMEM) {
		fprintf(stderr, "lw-logcheck: out of memory\n");
		goto out;
	}
	if (rc != 0) {
		fprintf(stderr, "lw-logcheck: logs refused, nothing checked\n");
		goto out;
	}
	summary(&res);
	ret = res.nviol == 0 ? 0 : 1;
out:
	for (unsigned int i = 0; i < nfiles; i++)
		lw_logcheck_file_fini(&files[i]);
	free(files);
	return ret;
}
