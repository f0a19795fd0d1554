/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwt.c — the shared runner and engine helpers of the CUnit programs.
 */
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>

#include "lwt.h"

/* EAL cleanup, then the runtime directory it leaves (empty: --no-shconf). */
void
lwt_eal_cleanup(void)
{
	char rdir[PATH_MAX];

	snprintf(rdir, sizeof(rdir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rdir);
}

void
lwt_eal_init(const char *prog)
{
	static int done;
	char prefix[64];

	if (done)
		return;
	snprintf(prefix, sizeof(prefix), "--file-prefix=lwt%d", (int)getpid());
	char *argv[] = {
		(char *)prog, "--no-huge", "-m", "1024", "--no-pci", prefix,
		"--log-level=error", "--no-telemetry", "--no-shconf", NULL,
	};
	if (rte_eal_init(9, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed\n", prog);
		exit(2);
	}
	done = 1;
}

void
lwt_suite(const char *name, ...)
{
	CU_pSuite s;
	va_list ap;

	if (CU_get_registry() == NULL && CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit registry: %s\n", CU_get_error_msg());
		exit(2);
	}
	s = CU_add_suite(name, NULL, NULL);
	if (s == NULL) {
		fprintf(stderr, "CUnit suite %s: %s\n", name, CU_get_error_msg());
		exit(2);
	}
	va_start(ap, name);
	for (;;) {
		const char *tn = va_arg(ap, const char *);
		if (tn == NULL)
			break;
		CU_TestFunc fn = va_arg(ap, CU_TestFunc);
		if (CU_add_test(s, tn, fn) == NULL) {
			fprintf(stderr, "CUnit test %s: %s\n", tn, CU_get_error_msg());
			exit(2);
		}
	}
	va_end(ap);
}

int
lwt_run(void)
{
	unsigned int failed;

	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_tests_run() == 0)
		failed = 1;
	CU_cleanup_registry();
	lwt_eal_cleanup();
	return failed ? 1 : 0;
}

void
lwt_env_init(struct lwt_env *t, uint32_t max_res, uint32_t max_locks)
{
	static unsigned int seq;
	char name[32];

	memset(t, 0, sizeof(*t));
	snprintf(name, sizeof(name), "lwt%u", seq++);
	struct lw_engine_conf conf = {
		.name = name, .max_resources = max_res, .max_locks = max_locks,
		.max_sessions = 16, .max_lockspaces = 4, .socket_id = -1,
	};
	t->e = lw_engine_create(&conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->e);
	CU_ASSERT_EQUAL_FATAL(lw_evbuf_init(&t->out, 16), 0);
	CU_ASSERT_EQUAL_FATAL(lw_engine_ls_open(t->e, "ls", 2, &t->ls), 0);
	CU_ASSERT_EQUAL_FATAL(lw_engine_session_open(t->e, &t->s1), 0);
	CU_ASSERT_EQUAL_FATAL(lw_engine_session_open(t->e, &t->s2), 0);
	CU_ASSERT_EQUAL_FATAL(lw_engine_session_open(t->e, &t->s3), 0);
	t->now = 1000;
}

void
lwt_env_fini(struct lwt_env *t)
{
	CU_ASSERT_EQUAL(lw_engine_check(t->e), 0);
	lw_engine_free(t->e);
	lw_evbuf_fini(&t->out);
	memset(t, 0, sizeof(*t));
}

static int
submit1(struct lwt_env *t, struct lw_req *r)
{
	CU_ASSERT_EQUAL(lw_engine_submit(t->e, r, 1, t->now, &t->out), 1);
	return r->rc;
}

int
lwt_lock(struct lwt_env *t, uint32_t sess, const char *name, int mode,
	 uint32_t flags, uint32_t *lkid, uint64_t cookie)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_LOCK;
	r.mode = (int8_t)mode;
	r.namelen = (uint8_t)strlen(name);
	memcpy(r.name, name, r.namelen);
	r.lsid = t->ls;
	r.session = sess;
	r.flags = flags;
	r.want_bast = 1;
	r.cookie = cookie;
	r.timeout_us = (flags & LW_LKF_TIMEOUT) ? 100 : 0;
	submit1(t, &r);
	if (lkid != NULL)
		*lkid = r.rc == 0 ? r.lkid : 0;
	return r.rc;
}

int
lwt_convert(struct lwt_env *t, uint32_t sess, uint32_t lkid, int mode,
	    uint32_t flags, uint64_t cookie)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_LOCK;
	r.mode = (int8_t)mode;
	r.lsid = t->ls;
	r.session = sess;
	r.flags = flags | LW_LKF_CONVERT;
	r.lkid = lkid;
	r.want_bast = 1;
	r.cookie = cookie;
	r.timeout_us = (flags & LW_LKF_TIMEOUT) ? 100 : 0;
	return submit1(t, &r);
}

int
lwt_unlock(struct lwt_env *t, uint32_t sess, uint32_t lkid, uint32_t flags,
	   uint64_t cookie)
{
	struct lw_req r;

	memset(&r, 0, sizeof(r));
	r.op = LW_REQ_UNLOCK;
	r.lsid = t->ls;
	r.session = sess;
	r.flags = flags;
	r.lkid = lkid;
	r.cookie = cookie;
	return submit1(t, &r);
}

const struct lw_event *
lwt_find_complete(const struct lwt_env *t, uint64_t cookie)
{
	for (uint32_t i = 0; i < t->out.n; i++)
		if (t->out.ev[i].type == LW_EV_COMPLETE && t->out.ev[i].cookie == cookie)
			return &t->out.ev[i];
	return NULL;
}

int
lwt_count_blocking(const struct lwt_env *t, uint32_t lkid, int mode)
{
	int n = 0;

	for (uint32_t i = 0; i < t->out.n; i++) {
		const struct lw_event *ev = &t->out.ev[i];
		if (ev->type == LW_EV_BLOCKING && ev->lkid == lkid && (mode < 0 || ev->mode == mode))
			n++;
	}
	return n;
}

void
lwt_clear(struct lwt_env *t)
{
	t->out.n = 0;
}
