/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode.c — tables of the lock mode lattice.
 *
 * The compatibility matrix is the one of OpenVMS and Linux DLM. "covers"
 * is the lattice order (a covers b when every mode compatible with a is
 * compatible with b, and a is at least as strong); "join" is the least
 * upper bound; "ceiling" is the strongest mode compatible with a mode,
 * which is the target of a blocking notification.
 */
#include <stddef.h>
#include <strings.h>

#include "mode.h"

#define NL LW_LOCK_NL
#define CR LW_LOCK_CR
#define CW LW_LOCK_CW
#define PR LW_LOCK_PR
#define PW LW_LOCK_PW
#define EX LW_LOCK_EX

/*                                         NL CR CW PR PW EX */
const uint8_t lw_mode_compat_tab[LW_LOCK_NMODES][LW_LOCK_NMODES] = {
	[NL] = {                           1, 1, 1, 1, 1, 1 },
	[CR] = {                           1, 1, 1, 1, 1, 0 },
	[CW] = {                           1, 1, 1, 0, 0, 0 },
	[PR] = {                           1, 1, 0, 1, 0, 0 },
	[PW] = {                           1, 1, 0, 0, 0, 0 },
	[EX] = {                           1, 0, 0, 0, 0, 0 },
};

/* covers[a][b]: holding a gives every right of b. */
const uint8_t lw_mode_covers_tab[LW_LOCK_NMODES][LW_LOCK_NMODES] = {
	[NL] = {                           1, 0, 0, 0, 0, 0 },
	[CR] = {                           1, 1, 0, 0, 0, 0 },
	[CW] = {                           1, 1, 1, 0, 0, 0 },
	[PR] = {                           1, 1, 0, 1, 0, 0 },
	[PW] = {                           1, 1, 1, 1, 1, 0 },
	[EX] = {                           1, 1, 1, 1, 1, 1 },
};

const int8_t lw_mode_join_tab[LW_LOCK_NMODES][LW_LOCK_NMODES] = {
	[NL] = { NL, CR, CW, PR, PW, EX },
	[CR] = { CR, CR, CW, PR, PW, EX },
	[CW] = { CW, CW, CW, PW, PW, EX },
	[PR] = { PR, PR, PW, PR, PW, EX },
	[PW] = { PW, PW, PW, PW, PW, EX },
	[EX] = { EX, EX, EX, EX, EX, EX },
};

const int8_t lw_mode_ceiling_tab[LW_LOCK_NMODES] = {
	[NL] = EX, [CR] = PW, [CW] = CW, [PR] = PR, [PW] = CR, [EX] = NL,
};

static const char *const mode_names[LW_LOCK_NMODES] = {
	"NL", "CR", "CW", "PR", "PW", "EX",
};

const char *
lw_mode_name(int m)
{
	if (m == LW_LOCK_IV)
		return "IV";
	if (!lw_mode_valid(m))
		return "??";
	return mode_names[m];
}

int
lw_mode_parse(const char *s)
{
	for (int m = NL; m <= EX; m++)
		if (s != NULL && strcasecmp(s, mode_names[m]) == 0)
			return m;
	return LW_LOCK_IV;
}
