/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dlog.h — the workload driver's history log: what one worker submitted to
 * its site and what came back, for an offline check (tests/sim lw-logcheck).
 *
 * DESIGN
 * Each worker of each node owns one log: a preallocated array of records
 * (struct lw_dlog_rec), filled while the workload runs and written to a file
 * once, at exit. Recording never allocates, never makes a system call and
 * never blocks: when the array is full, further records are only counted
 * (lost), and a log with lost > 0 is incomplete, so the checker refuses it.
 *
 * Timestamps are CLOCK_MONOTONIC nanoseconds, comparable between processes
 * of one machine. The caller reads the clock for a SUBMIT record BEFORE it
 * calls the site and for an EVENT record AFTER the call that produced the
 * event returned but BEFORE it sends the messages that call produced, and
 * records the submit before the events of that call. So merging all logs
 * by timestamp keeps causality: the checker frees a lock at its unlock's
 * COMPLETE (LW_EUNLOCK, given in the unlock's own call), and that record
 * comes before the grant the release allowed on another site, which needs
 * one of those messages. (The same holds for a down-conversion.)
 *
 * Resources are small integers (res), the same on every node (the driver
 * names resource i "r<i>" in one lockspace everywhere); res is meaningful
 * in SUBMIT records of new locks. Cookies must be unique among the
 * requests pending at once cluster-wide (the checker matches COMPLETEs to
 * requests by cookie alone).
 *
 * File: struct lw_dlog_file_hdr, then nrecs records, as they are in memory
 * (host byte order: little-endian, checked at compile time). rec_size is
 * sizeof(struct lw_dlog_rec), so a file written by a build with other
 * request or event layouts is refused rather than misread.
 *
 * Threads: a log belongs to the thread that fills it. Nothing here locks.
 */
#ifndef LW_DAEMON_DLOG_H
#define LW_DAEMON_DLOG_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define LW_DLOG_VERSION 1
#define LW_DLOG_MAGIC   "LWDLOG1\n"    /**< 8 bytes, no NUL in the file */

/** The start of a log file. */
struct lw_dlog_file_hdr {
	char     magic[8];   /**< LW_DLOG_MAGIC */
	uint32_t version;    /**< LW_DLOG_VERSION */
	uint32_t rec_size;   /**< sizeof(struct lw_dlog_rec) */
	uint32_t node;       /**< the node that wrote it */
	uint32_t worker;     /**< its worker */
	uint64_t nrecs;      /**< records that follow */
	uint64_t lost;       /**< records that did not fit: the log is incomplete */
	uint64_t rsvd[2];    /**< zero */
};

static_assert(offsetof(struct lw_dlog_file_hdr, magic) == 0, "dlog hdr layout");
static_assert(offsetof(struct lw_dlog_file_hdr, version) == 8, "dlog hdr layout");
static_assert(offsetof(struct lw_dlog_file_hdr, rec_size) == 12, "dlog hdr layout");
static_assert(offsetof(struct lw_dlog_file_hdr, node) == 16, "dlog hdr layout");
static_assert(offsetof(struct lw_dlog_file_hdr, worker) == 20, "dlog hdr layout");
static_assert(offsetof(struct lw_dlog_file_hdr, nrecs) == 24, "dlog hdr layout");
static_assert(offsetof(struct lw_dlog_file_hdr, lost) == 32, "dlog hdr layout");
static_assert(offsetof(struct lw_dlog_file_hdr, rsvd) == 40, "dlog hdr layout");
static_assert(sizeof(struct lw_dlog_file_hdr) == 56, "dlog hdr layout");

enum lw_dlog_kind {
	LW_DLOG_SUBMIT = 1,  /**< u.req: a request as the site left it (rc, lkid) */
	LW_DLOG_EVENT = 2,   /**< u.ev: an event that came out of the site */
	LW_DLOG_FENCE = 3,   /**< the site is fenced (its node's lease ran out, or it
				  leaves): from now on its node may end locks with
				  -ENOLCK; recorded before the site is called again */
};

/** One record. */
struct lw_dlog_rec {
	uint64_t t_ns;       /**< CLOCK_MONOTONIC: before the submit call / after the event */
	uint16_t site;       /**< lw_site_id(node, worker) */
	uint8_t  kind;       /**< enum lw_dlog_kind */
	uint8_t  rsvd;       /**< zero */
	uint32_t res;        /**< SUBMIT of a new lock: the resource's number; else 0 */
	union {
		struct lw_req req;
		struct lw_event ev;
	} u;
};

static_assert(offsetof(struct lw_dlog_rec, t_ns) == 0, "dlog rec layout");
static_assert(offsetof(struct lw_dlog_rec, site) == 8, "dlog rec layout");
static_assert(offsetof(struct lw_dlog_rec, kind) == 10, "dlog rec layout");
static_assert(offsetof(struct lw_dlog_rec, rsvd) == 11, "dlog rec layout");
static_assert(offsetof(struct lw_dlog_rec, res) == 12, "dlog rec layout");
static_assert(offsetof(struct lw_dlog_rec, u) == 16, "dlog rec layout");
static_assert(sizeof(struct lw_dlog_rec) % 8 == 0, "dlog rec layout");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "dlog files are little-endian");

/** A log being filled: opaque. */
struct lw_dlog;

/**
 * A log with room for capacity records, allocated and touched now so that
 * recording never faults a page in.
 * @return the log; NULL with errno EINVAL (capacity 0 or too large for
 * memory sizes) or ENOMEM.
 */
struct lw_dlog *lw_dlog_new(uint32_t node, uint32_t worker, uint64_t capacity);

/**
 * Record a request submitted to site: t_ns read before the call, req as the
 * call left it (rc and lkid filled). res: the resource of a new lock (any
 * value otherwise). Counted as lost when the log is full.
 */
void lw_dlog_submit(struct lw_dlog *l, uint64_t t_ns, uint16_t site, uint32_t res,
		    const struct lw_req *req);

/** Record an event that came out of site; t_ns read after. Counted as lost when full. */
void lw_dlog_event(struct lw_dlog *l, uint64_t t_ns, uint16_t site, const struct lw_event *ev);

/**
 * Record that site is fenced (t_ns: now, read before the site's next call,
 * which ends its locks with -ENOLCK). Counted as lost when full.
 */
void lw_dlog_fence(struct lw_dlog *l, uint64_t t_ns, uint16_t site);

/** @return the records stored. */
uint64_t lw_dlog_count(const struct lw_dlog *l);

/** @return the records that did not fit. */
uint64_t lw_dlog_lost(const struct lw_dlog *l);

/**
 * Write the log to path (created or truncated, mode 0644). On failure the
 * partial file is removed.
 * @return 0; -EINVAL l or path NULL; -errno of open/write/close otherwise.
 */
int lw_dlog_write(const struct lw_dlog *l, const char *path);

/** Free a log (NULL: nothing). */
void lw_dlog_free(struct lw_dlog *l);

/**
 * Read a log file: *hdr and *recs, a malloc'ed array of hdr->nrecs records
 * (NULL when nrecs is 0) that the caller frees.
 * @return 0; -EINVAL bad magic, version or rec_size, a record of unknown
 * kind, or a size that is not exactly the header plus nrecs records
 * (truncated or trailing bytes), or a NULL argument; -ENOMEM; -errno of
 * open/read otherwise (-ENOENT: no such file). On failure *recs is NULL.
 */
int lw_dlog_read(const char *path, struct lw_dlog_file_hdr *hdr, struct lw_dlog_rec **recs);

#endif /* LW_DAEMON_DLOG_H */
