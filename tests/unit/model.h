/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model.h — the reference model of test_model: its mode names, coverage
 * counters, rule switches, lock/resource types, and the functions the
 * driver (test_model.c) calls. The model itself is in harness_model.c.
 */
#ifndef LW_TEST_MODEL_H
#define LW_TEST_MODEL_H

#include <stdint.h>

#include "lwt.h"

/* Modes (docs/engine.md). */
#define IV LW_LOCK_IV
#define NL LW_LOCK_NL
#define CR LW_LOCK_CR
#define CW LW_LOCK_CW
#define PR LW_LOCK_PR
#define PW LW_LOCK_PW
#define EX LW_LOCK_EX

/* What the runs exercised (printed after each batch of seeds). */
enum {
	C_GRANT_NOW, C_GRANT_PENDING, C_QUEUED_WAIT, C_QUEUED_CONV, C_EAGAIN, C_EDEADLK,
	C_DEMOTED, C_ALT, C_BAST, C_NQBAST, C_CANCEL, C_FORCE_PENDING, C_TIMEOUT,
	C_LVB_WRITE, C_LVB_INVAL, C_LVB_READ, C_LVB_NOTVALID, C_ORPHANED, C_ADOPT,
	C_ADOPT_EAGAIN, C_ADOPT_ENOENT, C_CLOSE, C_REJECT, C_NCOV
};
extern const char *const cov_names[C_NCOV];
extern uint64_t g_cov[C_NCOV];

/* Rules kept as switches (ACC_* bits in harness_model.c); all on by default. */
extern unsigned int g_accept;

/* ------------------------------------------------------------------------ */
/* The model                                                                 */

#define POOL     64     /* lock slots of the model */
#define MAXRES   8
#define MAXSESS  4
#define MAXLIVE  40     /* the driver keeps at most this many locks */
#define MAXEV    4096

/* Values of enum lw_qstate (engine/lockq.h), as lw_lock_info reports them. */
enum { QS_NONE = 0, QS_GRANTED = 1, QS_CONVERT = 2, QS_WAIT = 3 };
/* Queue indexes. */
enum { QG = 0, QC = 1, QW = 2 };

struct mlock {
	int      used;
	int      res;
	int      sess;        /* session slot; -1: orphan */
	int      state;       /* QS_* */
	int      gr;          /* granted mode or IV */
	int      rq;          /* requested mode (pending) */
	uint32_t flags;       /* flags of the latest accepted LOCK request */
	int      want_bast;
	int      highbast;    /* -1: unset */
	int      persistent;
	int      demoted;     /* the current conversion was demoted to NL */
	int      has_timer;
	uint64_t deadline;
	uint64_t cookie;      /* latest accepted LOCK request */
	uint8_t  lvb[LW_LVB_LEN]; /* lvb of that request */
	uint32_t lkid;        /* the engine's id of this lock */
};

struct mres {
	int      q[3][POOL];
	int      n[3];
	uint8_t  lvb[LW_LVB_LEN];
	int      valid;
	int      created;
};

struct model {
	struct mlock lk[POOL];
	struct mres  res[MAXRES];
	int      nres;
	uint16_t lsid[2];
	uint16_t rls[MAXRES];                       /* lsid of each resource */
	uint8_t  rname[MAXRES][LW_RESNAME_MAXLEN];
	uint8_t  rlen[MAXRES];
	uint32_t sid[MAXSESS];                      /* engine session id of each slot */
	int      nsess;
	struct lw_event ev[MAXEV];                  /* events of the current step */
	int      nev;
	int      overflow;
	uint32_t freed[32];                         /* recently freed lkids */
	int      nfreed;
};

/* Modes. */
int m_covers(int a, int b);
const char *mname(int m);

/* Look-ups. */
int m_live(const struct model *m);
int m_find_lkid(const struct model *m, uint32_t lkid);
int m_find_sess(const struct model *m, uint32_t sid);
int m_find_res(const struct model *m, uint16_t lsid, const uint8_t *name, int len);
uint32_t m_owner_sid(const struct model *m, const struct mlock *l);

/* Requests, sessions, time. */
int m_submit(struct model *m, const struct lw_req *q, uint32_t eng_lkid, uint64_t now);
void m_session_close(struct model *m, int slot);
int m_tick(struct model *m, uint64_t now);
uint64_t m_next_deadline(const struct model *m);
int m_deadline_used(const struct model *m, uint64_t dl);

#endif /* LW_TEST_MODEL_H */
