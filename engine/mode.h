/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mode.h — the lock mode lattice.
 *
 * Modes are VMS's: NL < CR < {CW, PR} < PW < EX, where CW and PR are not
 * ordered. Every function takes modes in LW_LOCK_NL..LW_LOCK_EX; IV (-1)
 * is accepted where noted and stands for "no mode held".
 */
#ifndef LW_MODE_H
#define LW_MODE_H

#include <stdbool.h>
#include <stdint.h>

#include "lockwire.h"

extern const uint8_t lw_mode_compat_tab[LW_LOCK_NMODES][LW_LOCK_NMODES];
extern const uint8_t lw_mode_covers_tab[LW_LOCK_NMODES][LW_LOCK_NMODES];
extern const int8_t lw_mode_join_tab[LW_LOCK_NMODES][LW_LOCK_NMODES];
extern const int8_t lw_mode_ceiling_tab[LW_LOCK_NMODES];

/** True when a mode is one of NL..EX. */
static inline bool
lw_mode_valid(int m)
{
	return m >= LW_LOCK_NL && m <= LW_LOCK_EX;
}

/** Can a lock in mode a be held while another holds mode b? IV is compatible with all. */
static inline bool
lw_mode_compat(int a, int b)
{
	if (a == LW_LOCK_IV || b == LW_LOCK_IV)
		return true;
	return lw_mode_compat_tab[a][b];
}

/** Does holding a give every right of b (a >= b in the lattice)? Anything covers IV. */
static inline bool
lw_mode_covers(int a, int b)
{
	if (b == LW_LOCK_IV)
		return true;
	if (a == LW_LOCK_IV)
		return false;
	return lw_mode_covers_tab[a][b];
}

/** The least mode covering both a and b (CW join PR = PW). IV is the identity. */
static inline int
lw_mode_join(int a, int b)
{
	if (a == LW_LOCK_IV)
		return b;
	if (b == LW_LOCK_IV)
		return a;
	return lw_mode_join_tab[a][b];
}

/** The strongest mode covered by both a and b (CW meet PR = CR). IV with anything is IV. */
static inline int
lw_mode_meet(int a, int b)
{
	if (a == LW_LOCK_IV || b == LW_LOCK_IV)
		return LW_LOCK_IV;
	if (lw_mode_covers(a, b))
		return b;
	if (lw_mode_covers(b, a))
		return a;
	return LW_LOCK_CR;	/* only CW and PR are unordered; both cover CR */
}

/** The strongest mode compatible with m (EX for NL, NL for EX; CW for CW). */
static inline int
lw_mode_ceiling(int m)
{
	if (m == LW_LOCK_IV)
		return LW_LOCK_EX;
	return lw_mode_ceiling_tab[m];
}

/** Two-letter name of a mode ("NL".."EX", "IV"); "??" when out of range. */
const char *lw_mode_name(int m);

/** Parse "NL".."EX" (any case); returns the mode or LW_LOCK_IV. */
int lw_mode_parse(const char *s);

#endif /* LW_MODE_H */
