/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * logcheck.h — check the history logs of a multi-process run (daemon/dlog.h)
 * with the simulator's checker: what lw-logcheck and test_dlog share.
 *
 * DESIGN
 * Every worker of every node wrote one log, its records in the order it made
 * them, with CLOCK_MONOTONIC timestamps taken before a submit and after an
 * event. lw_logcheck_run() verifies each log is in non-decreasing time
 * order, merges all logs by (t_ns, then file order, then record order) and
 * replays them into a fresh sim_chk (sim_check.c): resource res is named
 * "r<res>", each record's time becomes the checker's time, then
 * sim_chk_finish() demands that nothing is pending or granted at the end
 * (the driver unlocks everything and drains before it writes its log).
 * Merging is a k-way merge over the files: no copy of the records.
 */
#ifndef LW_LOGCHECK_H
#define LW_LOGCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dlog.h"
#include "sim.h"

/** Resource numbers must be below this (the checker keeps an array of them). */
#define LW_LOGCHECK_MAX_RES (1u << 20)

/** One log, as read. */
struct lw_logcheck_file {
	const char *name;              /**< for messages (not owned) */
	struct lw_dlog_file_hdr hdr;
	struct lw_dlog_rec *recs;      /**< hdr.nrecs records; malloc'ed (NULL when none) */
};

/** What a replay saw. */
struct lw_logcheck_result {
	uint32_t files;
	uint64_t submits;              /**< SUBMIT records (rejected ones too) */
	uint64_t events;               /**< EVENT records */
	uint64_t grants;               /**< COMPLETE events with status 0 */
	uint64_t fences;               /**< FENCE records */
	uint64_t enolck;               /**< locks ended by a fence (COMPLETE -ENOLCK) */
	uint32_t resources;            /**< distinct res of new-lock submits */
	unsigned int nviol;            /**< violations found */
	unsigned int kinds[SV_NKINDS]; /**< of them, per enum sim_viol */
};

/**
 * Read the log at path into f (f->name = path). A message naming the file
 * and the reason goes to msg (NULL: none) on failure.
 * @return 0; -EOVERFLOW the log lost records (incomplete); the errors of
 * lw_dlog_read (-EINVAL not a valid log file, -ENOENT, ...). On failure f
 * holds no records.
 */
int lw_logcheck_load(const char *path, struct lw_logcheck_file *f, FILE *msg);

/** Free the records of f (f stays valid, empty). */
void lw_logcheck_file_fini(struct lw_logcheck_file *f);

/**
 * Verify, merge and replay nfiles logs into a fresh checker; fill *res.
 * quiet: count violations without printing them; otherwise each violation
 * and the record that raised it go to stderr. Refusals are explained on msg
 * (NULL: silent).
 * @return 0 the logs were replayed (res->nviol says whether they pass);
 * -EINVAL a log with lost > 0, records out of time order in one log, or a
 * resource number >= LW_LOGCHECK_MAX_RES (nothing replayed); -ENOMEM.
 */
int lw_logcheck_run(const struct lw_logcheck_file *files, unsigned int nfiles, bool quiet,
		    FILE *msg, struct lw_logcheck_result *res);

#endif /* LW_LOGCHECK_H */
