/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api.h — what the two files of test_api share: the cluster the test runs
 * against, clients and their requests, bounded waits, and the tests of
 * test_api_session.c that main() in test_api.c runs.
 */
#ifndef LW_TEST_API_H
#define LW_TEST_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockwire.h"

#define API_WAIT_MS   10000          /* safety bound of one wait */
#define NO_ANSWER     0x7fff0001     /* wait_done: nothing came within the bound */

extern const char *socks[3];         /* node k + 1's socket */
extern unsigned int nsock;           /* 1 or 3 */
extern const char *lwctl_path;

/* One session on node (index into socks, modulo their count) with lockspace "api" open. */
struct cl {
	struct lw_client *c;
	struct lw_ls *ls;
	unsigned int node;
};

/* One lock of a client and what its callbacks saw. */
struct req {
	struct cl *x;
	struct lw_lksb lksb;
	char lvb[LW_LVB_LEN];
	int done;            /* completion callbacks run */
	int status;          /* sb_status when the last one ran */
	int hist[4];         /* sb_status of the first four since done was reset */
	uint32_t sbflags;    /* sb_flags then */
	int seq;             /* its place among all completions */
	int nbast;           /* blocking callbacks run */
	int bast_mode;       /* the mode the last one named */
};

uint64_t now_ms(void);
/** A fresh resource name "what-N". */
void rname(char *buf, size_t len, const char *what);

void cl_open(struct cl *x, unsigned int node);
void cl_close(struct cl *x);
/** cl_close each of a NULL-terminated list. */
void cl_close_all(struct cl *x, ...);
/** cl_open, then req_init of a first request of that client. */
void cl_req(struct cl *x, unsigned int node, struct req *r);
void req_init(struct req *r, struct cl *x);
void on_ast(void *arg);              /* arg: struct req */
void on_bast(void *arg, int mode);

/** lw_lock for r: a new lock on name, or with CONVERT r's lock (name may be NULL). */
int submit_o(struct req *r, int mode, uint32_t flags, const char *name,
	     const struct lw_lock_opts *o);
int submit(struct req *r, int mode, uint32_t flags, const char *name);
/** Dispatch r's client until r's completion ran. @return its status, or NO_ANSWER. */
int wait_done(struct req *r);
/** Dispatch r's client until r got a blocking callback. @return its mode, or NO_ANSWER. */
int wait_bast(struct req *r);
/** Request and wait: the status, a -errno of lw_lock, or NO_ANSWER. */
int lock(struct req *r, int mode, uint32_t flags, const char *name);
int convert(struct req *r, int mode, uint32_t flags);
/** Unlock (CANCEL, ...) r's lock with its own lksb and ast and wait. @return the status. */
int unlock(struct req *r, uint32_t flags);
/** A NOQUEUE request for mode on name by x, released when granted. @return its status. */
int probe(struct cl *x, int mode, const char *name);

/* test_api_session.c */
void test_bad_args(void);
void test_other_session(void);
void test_handles(void);
void test_epoll(void);
void test_client_death(void);
void test_persistent_adopt(void);
void test_persistent_forceunlock(void);
void test_disconnect(void);
void test_node_death(void);

#endif /* LW_TEST_API_H */
