/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_invariants.c — what the simulator checks about the sites themselves,
 * beyond the client-level checker (sim_check.c):
 *  - after every call into a site, for each resource the call touched: the
 *    sites' held modes are pairwise compatible and each covers its own
 *    granted client locks;
 *  - REQUEST accounting: one unanswered REQUEST per site and resource, each
 *    answered once (GRANT, DENY or REDIRECT), CANCEL only while one is out;
 *  - lw_site_check on every site;
 *  - at the end: nothing granted, pending, cached or unanswered, no lkb left.
 */
#include <inttypes.h>
#include <string.h>

#include "sim_priv.h"

uint32_t
sim_res_of_name(const struct sim *S, const uint8_t *name, unsigned int len)
{
	uint32_t v = 0;

	if (len == 3 && memcmp(name, "ctr", 3) == 0)
		return S->nres - 1;
	if (len < 2 || len > 8 || name[0] != 'r')
		return SIM_NO_RES;
	for (unsigned int i = 1; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return SIM_NO_RES;
		v = v * 10 + (uint32_t)(name[i] - '0');
	}
	return v < S->nres - 1 ? v : SIM_NO_RES;
}

void
sim_touch(struct sim *S, uint32_t res)
{
	if (res >= S->nres)
		return;
	for (unsigned int i = 0; i < S->ntouched; i++)
		if (S->touched[i] == res)
			return;
	if (S->ntouched < sizeof(S->touched) / sizeof(S->touched[0]))
		S->touched[S->ntouched++] = res;
}

/*
 * The modes the sites hold on a resource must be pairwise compatible at
 * every moment (a site lowers its mode when it sends DOWNGRADE and raises it
 * when a GRANT arrives, so it never holds more than its master thinks), and
 * each covers the site's own granted client locks (NL needs no master).
 */
void
sim_held_checks(struct sim *S)
{
	char s1[16], s2[16];

	for (unsigned int t = 0; t < S->ntouched; t++) {
		uint32_t r = S->touched[t];
		const char *name = S->rname[r];
		size_t len = strlen(name);

		for (unsigned int i = 0; i < S->nsites; i++)
			S->heldbuf[i] = S->site[i].s == NULL ? LW_LOCK_IV :
					(int8_t)lw_site_held(S->site[i].s, S->site[i].lsid, name, len);
		sim_chk_set_res(S->chk, r);
		for (unsigned int i = 0; i < S->nsites; i++) {
			int hi = S->heldbuf[i];
			if (hi == LW_LOCK_IV)
				continue;
			for (unsigned int j = i + 1; j < S->nsites; j++) {
				LW_CHECK(S, sim_compat(hi, S->heldbuf[j]), SV_HELD,
					 "%s holds %s and %s holds %s on %s",
					 sim_site_name(S->site[i].id, s1), sim_mode_name(hi),
					 sim_site_name(S->site[j].id, s2),
					 sim_mode_name(S->heldbuf[j]), name);
			}
		}
		for (unsigned int i = 0; i < S->nsites; i++) {
			int j = sim_chk_site_uncovered(S->chk, S->site[i].id, r, S->heldbuf[i]);

			LW_CHECK(S, j == LW_LOCK_IV, SV_HELD, "%s holds %s on %s, but its clients are granted %s",
				 sim_site_name(S->site[i].id, s1), sim_mode_name(S->heldbuf[i]), name,
				 sim_mode_name(j));
		}
	}
	S->ntouched = 0;
}

/*
 * REQUEST accounting: a site asks a master one REQUEST at a time per
 * resource and each gets exactly one answer (GRANT, DENY or REDIRECT); a
 * CANCEL only goes out while a REQUEST is unanswered.
 */
void
sim_count_sent(struct sim *S, unsigned int si, uint32_t res, const struct lw_msg *m)
{
	char sn[16];
	int16_t *a;

	if (res >= S->nres)
		return;
	a = &S->asking[(size_t)si * S->nres + res];
	sim_chk_set_res(S->chk, res);
	if (m->h.type == LW_MSG_REQUEST) {
		LW_CHECK(S, *a == 0, SV_EVENT, "%s sent a REQUEST for %s while %d earlier one(s) are "
				 "unanswered", sim_site_name(S->site[si].id, sn), S->rname[res], *a);
		(*a)++;
	} else if (m->h.type == LW_MSG_CANCEL && *a == 0) {
		/* the answer may have come in the same batch, after the CANCEL was made */
		for (unsigned int i = 0; i < S->nanswered; i++)
			if (S->answered[i] == res)
				return;
		sim_fail(S, SV_EVENT, "%s sent CANCEL for %s with no REQUEST unanswered",
			 sim_site_name(S->site[si].id, sn), S->rname[res]);
	}
}

void
sim_count_delivered(struct sim *S, unsigned int di, const struct lw_msg *m)
{
	uint32_t res = sim_res_of_name(S, m->name, m->namelen <= LW_RESNAME_MAXLEN ? m->namelen : 0);
	char sn[16];
	int16_t *a;

	if (S->F.spec != 0 && !sim_faults_from_view(S, di, m))
		return;      /* from a site gone from the receiver's view: the site drops it */
	if (res >= S->nres || (m->h.type != LW_MSG_GRANT && m->h.type != LW_MSG_DENY &&
			       m->h.type != LW_MSG_REDIRECT))
		return;
	if (S->F.spec != 0 && sim_faults_keep_answer(S, di, res, m))
		return;
	if (S->F.spec != 0 && S->site[di].s != NULL) {
		struct lw_rec_info ri;

		/* a fenced site (or one fencing at this call) drops what it gets */
		lw_site_rec_info(S->site[di].s, &ri);
		if (ri.phase == LW_REC_FENCED || S->now >= ri.lease_until)
			return;
	}
	a = &S->asking[(size_t)di * S->nres + res];
	if (*a == 0) {
		sim_chk_set_res(S->chk, res);
		sim_fail(S, SV_EVENT, "%s received %s for %s, which it did not ask for",
			 sim_site_name(S->site[di].id, sn), lw_msg_type_name(m->h.type), S->rname[res]);
		return;
	}
	(*a)--;
	if (S->nanswered < sizeof(S->answered) / sizeof(S->answered[0]))
		S->answered[S->nanswered++] = res;
}

void
sim_site_checks(struct sim *S)
{
	char sn[16];

	for (unsigned int i = 0; i < S->nsites; i++)
		if (S->site[i].s != NULL && lw_site_check(S->site[i].s) != 0)
			sim_fail(S, SV_SITE_CHECK, "lw_site_check(%s) failed (step %" PRIu64 ")",
			     sim_site_name(S->site[i].id, sn), S->steps);
}

/* How many (site, resource) pairs still hold a mode; lists the first few. */
unsigned int
sim_count_held(struct sim *S, FILE *f, unsigned int show)
{
	unsigned int n = 0;
	char sn[16];

	S->first_held = SIM_NO_RES;

	for (unsigned int i = 0; i < S->nsites; i++) {
		struct ssite *ss = &S->site[i];
		if (ss->s == NULL)
			continue;
		for (uint32_t r = 0; r < S->nres; r++) {
			int m = lw_site_held(ss->s, ss->lsid, S->rname[r], strlen(S->rname[r]));
			if (m == LW_LOCK_IV)
				continue;
			if (n == 0)
				S->first_held = r;
			if (f != NULL && n < show)
				fprintf(f, "  %s holds %s on %s\n", sim_site_name(ss->id, sn),
					sim_mode_name(m), S->rname[r]);
			n++;
		}
	}
	return n;
}

void
sim_end_checks(struct sim *S)
{
	char sn[16];
	unsigned int cached = 0;

	for (unsigned int i = 0; i < S->nact; i++) {
		struct actor *a = &S->act[i];
		if (a->nh != 0)
			sim_fail(S, SV_LEFT_HELD, "actor a%u (%s) still holds %u lock(s) at the end", a->id,
			     sim_site_name(S->site[a->site].id, sn), a->nh);
	}
	sim_chk_finish(S->chk);
	sim_site_checks(S);
	unsigned int unanswered = 0;
	for (unsigned int i = 0; i < S->nsites; i++)
		for (uint32_t r = 0; r < S->nres; r++)
			if (S->asking[(size_t)i * S->nres + r] != 0 && unanswered++ < 5) {
				sim_chk_set_res(S->chk, r);
				sim_fail(S, SV_MISSING, "%s: a REQUEST for %s was never answered",
					 sim_site_name(S->site[i].id, sn), S->rname[r]);
			}
	for (unsigned int i = 0; i < S->nsites; i++) {
		struct ssite *ss = &S->site[i];
		struct lw_site_stats st;

		if (ss->s == NULL)
			continue;
		lw_site_get_stats(ss->s, &st);
		if (st.engine.locks != 0)
			sim_fail(S, SV_LEFT_HELD, "%s: its table still has %u lock(s) after every client "
			     "unlocked", sim_site_name(ss->id, sn), st.engine.locks);
		for (uint32_t r = 0; r < S->nres; r++) {
			int m = lw_site_held(ss->s, ss->lsid, S->rname[r], strlen(S->rname[r]));
			if (m == LW_LOCK_IV)
				continue;
			if (cached++ < 5)
				sim_fail(S, SV_CACHE, "%s still holds %s on %s after the run went quiet "
				     "(cache_idle_ns %llu)", sim_site_name(ss->id, sn), sim_mode_name(m),
				     S->rname[r], (unsigned long long)CACHE_IDLE_NS);
		}
	}
}

