/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwctl_dump.h — the pure half of `lwctl lockdump` and `lwctl resource`:
 * paging through /lockwire/lockdump, checking the answers, turning the
 * daemon's per-worker records into resources, and printing them. No
 * sockets and no global state (tests/unit/test_lwctl.c drives it with
 * canned answers).
 *
 * Three shapes of data:
 *   answer    what telemetry sends: a page {worker, cursor, r0.., count, end,
 *             next} or a resource answer {name, r0.., found, listed}; each
 *             r<i> one resource at one worker (daemon/telemetry.c's comment
 *             has the fields);
 *   view      one r<i> checked and typed: {worker, gid, lockspace, name |
 *             name_hex, bucket, master, map_master, [shadow], [master_side]};
 *   resource  the views of one (lockspace, name) merged, as `lwctl lockdump
 *             --json` prints them (an array):
 *     {"lockspace": "ls" | null, ["lockspace_hex": "..."], "gid": 7,
 *      "name": "r7" | null, ["name_hex": "00ff"], "bucket": 12,
 *      "master": "n2w0", "map_master": "n2w0",
 *      "shadows": [{"worker": 0, "held": "PR" | null, "ceiling", "bast_target",
 *                   "inflight": null | {"site", "lkid", "mode"}, "cancel_sent",
 *                   "deadlock_block", "redirects", "seq", "cached",
 *                   "lvb": {"valid", "dirty", "seq", "hex"}, "nlocks",
 *                   "locks": [{"lkid", "session", "granted", "requested",
 *                              "state", "persistent", "xid"}]}],
 *      "master_sides": [{"worker": 0, "lvb": {"valid", "seq", "hex"},
 *                        "nholders", "holders": [{"site", "granted",
 *                        "requested", "state", "seq", "bast_target"}]}]}
 *     Modes are "NL".."EX" or null (none); session 0 is an orphan lock;
 *     locks and holders are granted, then converting, then waiting, each
 *     in queue order; nlocks / nholders may exceed the lists (cut at 64).
 *
 * Functions return 0 or -errno: -EBADMSG for an answer that does not have
 * the expected shape (err, when errlen > 0, says what and where), -ENOMEM.
 */
#ifndef LW_DAEMON_LWCTL_DUMP_H
#define LW_DAEMON_LWCTL_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/** Pages one lockdump may take before lwctl gives up (a daemon that never ends). */
#define LWCTL_DUMP_MAX_PAGES (1u << 20)

/** A lockdump in progress: the worker and cursor to ask next, the views so far. */
struct lwctl_dump {
	unsigned int worker;     /**< asked next */
	unsigned int last;       /**< the last worker to ask */
	uint64_t cursor;         /**< the cursor to ask with */
	const char *lockspace;   /**< NULL: every lockspace */
	unsigned int pages;      /**< answers taken */
	int done;                /**< every worker's walk is over */
	json_t *views;           /**< array of views */
};

/**
 * Start a lockdump of workers first..last (lockspace: NULL or a name).
 * @return 0; -EINVAL: first > last; -ENOMEM.
 */
int lwctl_dump_init(struct lwctl_dump *st, unsigned int first, unsigned int last,
		    const char *lockspace);
void lwctl_dump_fini(struct lwctl_dump *st);

/**
 * The next request ("/lockwire/lockdump,W,CURSOR[,LOCKSPACE]") into req.
 * @return 1 written; 0 the dump is done; -ENAMETOOLONG: len too small.
 */
int lwctl_dump_request(const struct lwctl_dump *st, char *req, size_t len);

/**
 * Take the answer to the request lwctl_dump_request wrote: its resources
 * become views, and the dump moves to the next page or worker.
 * @return 0; -EBADMSG (a bad page, the wrong worker or cursor, a cursor
 *   that does not move on, too many pages; st is unchanged); -ENOMEM.
 */
int lwctl_dump_feed(struct lwctl_dump *st, const json_t *page, char *err, size_t errlen);

/**
 * A /lockwire/resource answer: append its resources to views (an array).
 * @return 0; -EBADMSG; -ENOMEM.
 */
int lwctl_dump_resource(const json_t *answer, json_t *views, char *err, size_t errlen);

/**
 * Merge views into resources, one per (lockspace, name), sorted by
 * lockspace then name; a lockspace name one worker did not know is taken
 * from another view with the same gid. @return a new array; NULL: no memory.
 */
json_t *lwctl_dump_group(const json_t *views);

/**
 * Resources as text: one block per resource (name, lockspace, master; the
 * master side's LVB and site holdings; each worker's shadow: held mode,
 * request out, BAST, LVB, and its client locks), then, with summary, a
 * count line. An empty array prints "no locks".
 * @return 0; -EINVAL: not an array of resources.
 */
int lwctl_print_lockdump(FILE *out, const json_t *resources, int summary);

#endif /* LW_DAEMON_LWCTL_DUMP_H */
