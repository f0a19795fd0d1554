/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mode.c — the mode lattice of engine/mode.h against docs/engine.md
 * ("Modes"): compatibility, covers, join, ceiling, IV, names.
 *
 * The expected tables are written here from the text of the spec, not
 * copied from mode.c, and the lattice laws are checked by brute force.
 */
#include <stdio.h>
#include <string.h>

#include "lwt.h"
#include "lwt_ev.h"
#include "mode.h"

#define NL LW_LOCK_NL
#define CR LW_LOCK_CR
#define CW LW_LOCK_CW
#define PR LW_LOCK_PR
#define PW LW_LOCK_PW
#define EX LW_LOCK_EX
#define IV LW_LOCK_IV

/*
 * "NL with all; CR with all but EX; CW with NL, CR, CW; PR with NL, CR, PR;
 * PW with NL, CR; EX with NL."
 */
static bool
spec_compat(int a, int b)
{
	switch (a) {
	case NL: return true;
	case CR: return b != EX;
	case CW: return b == NL || b == CR || b == CW;
	case PR: return b == NL || b == CR || b == PR;
	case PW: return b == NL || b == CR;
	case EX: return b == NL;
	}
	return false;
}

/* "NL < CR < {CW, PR} < PW < EX": a covers b when b is below or equal. */
static bool
spec_covers(int a, int b)
{
	static const int rank[LW_LOCK_NMODES] = { 0, 1, 2, 2, 3, 4 };

	if (a == b)
		return true;
	if ((a == CW && b == PR) || (a == PR && b == CW))
		return false;
	return rank[a] > rank[b];
}

static const int spec_ceiling[LW_LOCK_NMODES] = {
	[NL] = EX, [CR] = PW, [CW] = CW, [PR] = PR, [PW] = CR, [EX] = NL,
};

static void
test_compat_table(void)
{
	for (int a = NL; a <= EX; a++)
		for (int b = NL; b <= EX; b++)
			LWT_CHECK(lw_mode_compat(a, b) == spec_compat(a, b),
				  "compat(%s,%s) = %d", lw_mode_name(a), lw_mode_name(b),
				  lw_mode_compat(a, b));
	/* a few spelled out, in case spec_compat itself were wrong */
	CU_ASSERT_TRUE(lw_mode_compat(NL, EX));
	CU_ASSERT_TRUE(lw_mode_compat(CR, PW));
	CU_ASSERT_FALSE(lw_mode_compat(CR, EX));
	CU_ASSERT_TRUE(lw_mode_compat(CW, CW));
	CU_ASSERT_FALSE(lw_mode_compat(CW, PR));
	CU_ASSERT_TRUE(lw_mode_compat(PR, PR));
	CU_ASSERT_FALSE(lw_mode_compat(PW, PW));
	CU_ASSERT_FALSE(lw_mode_compat(EX, CR));
}

static void
test_compat_symmetric(void)
{
	int n = 0;

	for (int a = NL; a <= EX; a++)
		for (int b = NL; b <= EX; b++) {
			LWT_CHECK(lw_mode_compat(a, b) == lw_mode_compat(b, a),
				  "compat(%s,%s) symmetric", lw_mode_name(a), lw_mode_name(b));
			n += lw_mode_compat(a, b);
		}
	CU_ASSERT_EQUAL(n, 6 + 5 + 3 + 3 + 2 + 1);
}

static void
test_covers_table(void)
{
	for (int a = NL; a <= EX; a++)
		for (int b = NL; b <= EX; b++)
			LWT_CHECK(lw_mode_covers(a, b) == spec_covers(a, b),
				  "covers(%s,%s) = %d", lw_mode_name(a), lw_mode_name(b),
				  lw_mode_covers(a, b));
	CU_ASSERT_FALSE(lw_mode_covers(CW, PR));
	CU_ASSERT_FALSE(lw_mode_covers(PR, CW));
	CU_ASSERT_TRUE(lw_mode_covers(PW, CW));
	CU_ASSERT_TRUE(lw_mode_covers(PW, PR));
	CU_ASSERT_FALSE(lw_mode_covers(NL, CR));
}

/* covers is a partial order, and a stronger mode is compatible with less. */
static void
test_covers_order(void)
{
	for (int a = NL; a <= EX; a++) {
		CU_ASSERT_TRUE(lw_mode_covers(a, a));
		CU_ASSERT_TRUE(lw_mode_covers(EX, a));
		CU_ASSERT_TRUE(lw_mode_covers(a, NL));
		for (int b = NL; b <= EX; b++) {
			if (a != b)
				LWT_CHECK(!(lw_mode_covers(a, b) && lw_mode_covers(b, a)),
					  "antisymmetric %s %s", lw_mode_name(a), lw_mode_name(b));
			for (int c = NL; c <= EX; c++) {
				if (lw_mode_covers(a, b) && lw_mode_covers(b, c))
					LWT_CHECK(lw_mode_covers(a, c), "transitive %s %s %s",
						  lw_mode_name(a), lw_mode_name(b), lw_mode_name(c));
				if (lw_mode_covers(a, b) && lw_mode_compat(a, c))
					LWT_CHECK(lw_mode_compat(b, c), "monotone %s %s %s",
						  lw_mode_name(a), lw_mode_name(b), lw_mode_name(c));
			}
		}
	}
}

/* join(a,b) covers both, and every c covering both covers join(a,b). */
static void
test_join_lub(void)
{
	for (int a = NL; a <= EX; a++)
		for (int b = NL; b <= EX; b++) {
			int j = lw_mode_join(a, b);

			if (!LWT_CHECK(lw_mode_valid(j), "join(%s,%s) = %d valid",
				       lw_mode_name(a), lw_mode_name(b), j))
				continue;
			LWT_CHECK(j == lw_mode_join(b, a), "join commutes %s %s",
				  lw_mode_name(a), lw_mode_name(b));
			LWT_CHECK(lw_mode_covers(j, a) && lw_mode_covers(j, b),
				  "join(%s,%s)=%s covers both", lw_mode_name(a),
				  lw_mode_name(b), lw_mode_name(j));
			for (int c = NL; c <= EX; c++)
				if (lw_mode_covers(c, a) && lw_mode_covers(c, b))
					LWT_CHECK(lw_mode_covers(c, j), "join(%s,%s)=%s least (%s)",
						  lw_mode_name(a), lw_mode_name(b),
						  lw_mode_name(j), lw_mode_name(c));
		}
	CU_ASSERT_EQUAL(lw_mode_join(CW, PR), PW);
	CU_ASSERT_EQUAL(lw_mode_join(PR, CW), PW);
	CU_ASSERT_EQUAL(lw_mode_join(NL, CR), CR);
	CU_ASSERT_EQUAL(lw_mode_join(CR, CW), CW);
	CU_ASSERT_EQUAL(lw_mode_join(PR, PR), PR);
	CU_ASSERT_EQUAL(lw_mode_join(PW, EX), EX);
	CU_ASSERT_EQUAL(lw_mode_join(NL, NL), NL);
}

/* ceiling(m) is compatible with m and covers every mode compatible with m. */
static void
test_ceiling(void)
{
	for (int m = NL; m <= EX; m++) {
		int c = lw_mode_ceiling(m);

		LWT_CHECK(c == spec_ceiling[m], "ceiling(%s) = %s", lw_mode_name(m),
			  lw_mode_name(c));
		if (!lw_mode_valid(c))
			continue;
		LWT_CHECK(lw_mode_compat(c, m), "ceiling(%s) compatible", lw_mode_name(m));
		for (int x = NL; x <= EX; x++)
			if (lw_mode_compat(x, m))
				LWT_CHECK(lw_mode_covers(c, x), "ceiling(%s)=%s covers %s",
					  lw_mode_name(m), lw_mode_name(c), lw_mode_name(x));
	}
}

static void
test_iv(void)
{
	CU_ASSERT_FALSE(lw_mode_valid(IV));
	CU_ASSERT_FALSE(lw_mode_valid(6));
	CU_ASSERT_FALSE(lw_mode_valid(-2));
	CU_ASSERT_FALSE(lw_mode_valid(100));
	for (int m = NL; m <= EX; m++) {
		CU_ASSERT_TRUE(lw_mode_valid(m));
		CU_ASSERT_TRUE(lw_mode_compat(IV, m));
		CU_ASSERT_TRUE(lw_mode_compat(m, IV));
		CU_ASSERT_TRUE(lw_mode_covers(m, IV));
		CU_ASSERT_FALSE(lw_mode_covers(IV, m));
		CU_ASSERT_EQUAL(lw_mode_join(IV, m), m);
		CU_ASSERT_EQUAL(lw_mode_join(m, IV), m);
	}
	CU_ASSERT_TRUE(lw_mode_compat(IV, IV));
	CU_ASSERT_TRUE(lw_mode_covers(IV, IV));
	CU_ASSERT_EQUAL(lw_mode_join(IV, IV), IV);
	CU_ASSERT_EQUAL(lw_mode_ceiling(IV), EX);
}

static void
test_names(void)
{
	static const char *const names[] = { "NL", "CR", "CW", "PR", "PW", "EX" };

	for (int m = NL; m <= EX; m++) {
		CU_ASSERT_STRING_EQUAL(lw_mode_name(m), names[m]);
		CU_ASSERT_EQUAL(lw_mode_parse(names[m]), m);
		CU_ASSERT_EQUAL(lw_mode_parse(lw_mode_name(m)), m);
	}
	CU_ASSERT_STRING_EQUAL(lw_mode_name(IV), "IV");
	CU_ASSERT_STRING_EQUAL(lw_mode_name(6), "??");
	CU_ASSERT_STRING_EQUAL(lw_mode_name(-2), "??");
	CU_ASSERT_STRING_EQUAL(lw_mode_name(100), "??");
	CU_ASSERT_STRING_EQUAL(lw_mode_name(-128), "??");
}

static void
test_parse(void)
{
	CU_ASSERT_EQUAL(lw_mode_parse("nl"), NL);
	CU_ASSERT_EQUAL(lw_mode_parse("Cr"), CR);
	CU_ASSERT_EQUAL(lw_mode_parse("cW"), CW);
	CU_ASSERT_EQUAL(lw_mode_parse("pr"), PR);
	CU_ASSERT_EQUAL(lw_mode_parse("pW"), PW);
	CU_ASSERT_EQUAL(lw_mode_parse("ex"), EX);
	CU_ASSERT_EQUAL(lw_mode_parse("IV"), IV);
	CU_ASSERT_EQUAL(lw_mode_parse(""), IV);
	CU_ASSERT_EQUAL(lw_mode_parse("E"), IV);
	CU_ASSERT_EQUAL(lw_mode_parse("EXX"), IV);
	CU_ASSERT_EQUAL(lw_mode_parse(" EX"), IV);
	CU_ASSERT_EQUAL(lw_mode_parse("PRW"), IV);
	CU_ASSERT_EQUAL(lw_mode_parse("5"), IV);
	CU_ASSERT_EQUAL(lw_mode_parse(NULL), IV);
}

/* The exported tables agree with the inline functions. */
static void
test_tables(void)
{
	for (int a = NL; a <= EX; a++) {
		CU_ASSERT_EQUAL(lw_mode_ceiling_tab[a], lw_mode_ceiling(a));
		for (int b = NL; b <= EX; b++) {
			CU_ASSERT_EQUAL(!!lw_mode_compat_tab[a][b], lw_mode_compat(a, b));
			CU_ASSERT_EQUAL(!!lw_mode_covers_tab[a][b], lw_mode_covers(a, b));
			CU_ASSERT_EQUAL(lw_mode_join_tab[a][b], lw_mode_join(a, b));
		}
	}
}

int
main(int argc, char **argv)
{
	(void)argc;
	lwt_eal_init(argv[0]);
	lwt_suite("mode",
		  "compat_table", test_compat_table,
		  "compat_symmetric", test_compat_symmetric,
		  "covers_table", test_covers_table,
		  "covers_order", test_covers_order,
		  "join_lub", test_join_lub,
		  "ceiling", test_ceiling,
		  "iv", test_iv,
		  "names", test_names,
		  "parse", test_parse,
		  "tables", test_tables,
		  NULL);
	return lwt_run();
}
