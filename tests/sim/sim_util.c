/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sim_util.c — PRNG, trail ring, names, u64 map and mode tables of the
 * simulator (see sim.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "site.h"

/* --- PRNG ---------------------------------------------------------------- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void
sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* --- trail --------------------------------------------------------------- */

static char trail_buf[SIM_TRAIL_LINES][SIM_TRAIL_LEN];
static uint32_t trail_res[SIM_TRAIL_LINES];
static uint64_t trail_n;
int sim_trail_echo;

void
sim_trail_reset(void)
{
	trail_n = 0;
}

static void
trail_add(uint32_t res, const char *fmt, va_list ap)
{
	char *line = trail_buf[trail_n % SIM_TRAIL_LINES];

	vsnprintf(line, SIM_TRAIL_LEN, fmt, ap);
	trail_res[trail_n % SIM_TRAIL_LINES] = res;
	trail_n++;
	if (sim_trail_echo)
		fprintf(stderr, "  %s\n", line);
}

void
sim_trail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trail_add(SIM_NO_RES, fmt, ap);
	va_end(ap);
}

void
sim_trail_res(uint32_t res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trail_add(res, fmt, ap);
	va_end(ap);
}

void
sim_trail_dump(FILE *f, unsigned int n)
{
	uint64_t first;

	if (n > SIM_TRAIL_LINES)
		n = SIM_TRAIL_LINES;
	first = trail_n > n ? trail_n - n : 0;
	fprintf(f, "--- last %u of %llu trail lines ---\n", (unsigned int)(trail_n - first),
		(unsigned long long)trail_n);
	for (uint64_t i = first; i < trail_n; i++)
		fprintf(f, "  %s\n", trail_buf[i % SIM_TRAIL_LINES]);
	fprintf(f, "--- end of trail ---\n");
}

void
sim_trail_dump_res(FILE *f, uint32_t res, const char *name, unsigned int n)
{
	uint64_t lo = trail_n > SIM_TRAIL_LINES ? trail_n - SIM_TRAIL_LINES : 0, i = trail_n;
	unsigned int k = 0;

	while (i > lo && k < n) {
		i--;
		if (trail_res[i % SIM_TRAIL_LINES] == res)
			k++;
	}
	fprintf(f, "--- last %u trail lines about %s ---\n", k, name);
	for (; i < trail_n; i++)
		if (trail_res[i % SIM_TRAIL_LINES] == res)
			fprintf(f, "  %s\n", trail_buf[i % SIM_TRAIL_LINES]);
	fprintf(f, "--- end of %s trail ---\n", name);
}

const char *
sim_site_name(uint16_t site, char buf[16])
{
	snprintf(buf, 16, "n%uw%u", lw_site_node(site), lw_site_worker(site));
	return buf;
}

const char *
sim_flags_str(uint32_t flags, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} tab[] = {
		{LW_LKF_NOQUEUE, "NOQ"}, {LW_LKF_CANCEL, "CANCEL"}, {LW_LKF_CONVERT, "CVT"},
		{LW_LKF_VALBLK, "VALBLK"}, {LW_LKF_QUECVT, "QUECVT"}, {LW_LKF_IVVALBLK, "IVVALBLK"},
		{LW_LKF_CONVDEADLK, "CONVDEADLK"}, {LW_LKF_PERSISTENT, "PERSIST"},
		{LW_LKF_NODLCKWT, "NODLCKWT"}, {LW_LKF_EXPEDITE, "EXPEDITE"},
		{LW_LKF_NOQUEUEBAST, "NOQBAST"}, {LW_LKF_HEADQUE, "HEADQUE"},
		{LW_LKF_NOORDER, "NOORDER"}, {LW_LKF_ORPHAN, "ORPHAN"}, {LW_LKF_ALTPR, "ALTPR"},
		{LW_LKF_ALTCW, "ALTCW"}, {LW_LKF_FORCEUNLOCK, "FORCE"}, {LW_LKF_TIMEOUT, "TMO"},
	};
	size_t off = 0;

	buf[0] = '\0';
	if (flags == 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (!(flags & tab[i].bit))
			continue;
		int k = snprintf(buf + off, len - off, "%s%s", off ? "|" : "", tab[i].name);
		if (k < 0 || (size_t)k >= len - off)
			break;
		off += (size_t)k;
	}
	return buf;
}

const char *
sim_status_name(int status)
{
	static char other[24];

	switch (status) {
	case 0: return "OK";
	case -EAGAIN: return "EAGAIN";
	case -EDEADLK: return "EDEADLK";
	case -ETIMEDOUT: return "ETIMEDOUT";
	case -EBUSY: return "EBUSY";
	case -ENOENT: return "ENOENT";
	case -EINVAL: return "EINVAL";
	case -ENOMEM: return "ENOMEM";
	case LW_ECANCEL: return "ECANCEL";
	case LW_EUNLOCK: return "EUNLOCK";
	default:
		snprintf(other, sizeof(other), "%d", status);
		return other;
	}
}

const char *
sim_mode_name(int mode)
{
	static const char *names[] = {"NL", "CR", "CW", "PR", "PW", "EX"};

	if (mode == LW_LOCK_IV)
		return "IV";
	if (mode < 0 || mode > LW_LOCK_EX)
		return "??";
	return names[mode];
}

/* --- map ----------------------------------------------------------------- */

static inline uint32_t
map_slot(const struct sim_map *m, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (uint32_t)key & (m->cap - 1);
}

int
sim_map_init(struct sim_map *m, uint32_t cap)
{
	uint32_t c = 16;

	while (c < cap * 2)
		c <<= 1;
	m->key = calloc(c, sizeof(*m->key));
	m->val = calloc(c, sizeof(*m->val));
	m->cap = c;
	m->n = 0;
	if (m->key == NULL || m->val == NULL) {
		free(m->key);
		free(m->val);
		m->key = NULL;
		m->val = NULL;
		return -1;
	}
	return 0;
}

void
sim_map_fini(struct sim_map *m)
{
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

bool
sim_map_get(const struct sim_map *m, uint64_t key, uint32_t *val)
{
	if (key == 0 || m->cap == 0)
		return false;
	for (uint32_t i = map_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->key[i] == 0)
			return false;
		if (m->key[i] == key) {
			if (val != NULL)
				*val = m->val[i];
			return true;
		}
	}
}

static int
map_grow(struct sim_map *m)
{
	struct sim_map n;

	if (sim_map_init(&n, m->cap) < 0)
		return -1;
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->key[i] != 0)
			sim_map_put(&n, m->key[i], m->val[i]);
	sim_map_fini(m);
	*m = n;
	return 0;
}

int
sim_map_put(struct sim_map *m, uint64_t key, uint32_t val)
{
	if (key == 0)
		return -1;
	if ((m->n + 1) * 2 > m->cap && map_grow(m) < 0)
		return -1;
	for (uint32_t i = map_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->key[i] == key) {
			m->val[i] = val;
			return 0;
		}
		if (m->key[i] == 0) {
			m->key[i] = key;
			m->val[i] = val;
			m->n++;
			return 0;
		}
	}
}

bool
sim_map_del(struct sim_map *m, uint64_t key)
{
	uint32_t i, j, mask = m->cap - 1;

	if (key == 0 || m->cap == 0)
		return false;
	for (i = map_slot(m, key);; i = (i + 1) & mask) {
		if (m->key[i] == 0)
			return false;
		if (m->key[i] == key)
			break;
	}
	/* backward-shift deletion keeps probe chains intact without tombstones */
	m->key[i] = 0;
	m->n--;
	for (j = (i + 1) & mask; m->key[j] != 0; j = (j + 1) & mask) {
		uint32_t home = map_slot(m, m->key[j]);
		/* move j to i when its home is not in (i, j] cyclically */
		bool move = i <= j ? (home <= i || home > j) : (home <= i && home > j);
		if (move) {
			m->key[i] = m->key[j];
			m->val[i] = m->val[j];
			m->key[j] = 0;
			i = j;
		}
	}
	return true;
}

/* --- modes --------------------------------------------------------------- */

/*                                  NL CR CW PR PW EX */
static const uint8_t compat_tab[6][6] = {
	/* NL */ {1, 1, 1, 1, 1, 1},
	/* CR */ {1, 1, 1, 1, 1, 0},
	/* CW */ {1, 1, 1, 0, 0, 0},
	/* PR */ {1, 1, 0, 1, 0, 0},
	/* PW */ {1, 1, 0, 0, 0, 0},
	/* EX */ {1, 0, 0, 0, 0, 0},
};

/* covers_tab[a][b]: a is at least as strong as b */
static const uint8_t covers_tab[6][6] = {
	/* NL */ {1, 0, 0, 0, 0, 0},
	/* CR */ {1, 1, 0, 0, 0, 0},
	/* CW */ {1, 1, 1, 0, 0, 0},
	/* PR */ {1, 1, 0, 1, 0, 0},
	/* PW */ {1, 1, 1, 1, 1, 0},
	/* EX */ {1, 1, 1, 1, 1, 1},
};

static inline bool
mode_ok(int m)
{
	return m >= LW_LOCK_NL && m <= LW_LOCK_EX;
}

bool
sim_compat(int a, int b)
{
	if (!mode_ok(a) || !mode_ok(b))
		return true;
	return compat_tab[a][b];
}

bool
sim_covers(int a, int b)
{
	if (b == LW_LOCK_IV)
		return true;
	if (!mode_ok(a) || !mode_ok(b))
		return false;
	return covers_tab[a][b];
}

int
sim_ceiling(int m)
{
	static const int8_t tab[6] = {LW_LOCK_EX, LW_LOCK_PW, LW_LOCK_CW, LW_LOCK_PR,
				      LW_LOCK_CR, LW_LOCK_NL};

	return mode_ok(m) ? tab[m] : LW_LOCK_EX;
}

int
sim_meet(int a, int b)
{
	static const int8_t order[6] = {LW_LOCK_EX, LW_LOCK_PW, LW_LOCK_PR, LW_LOCK_CW,
					LW_LOCK_CR, LW_LOCK_NL};

	for (int i = 0; i < 6; i++)
		if (sim_covers(a, order[i]) && sim_covers(b, order[i]))
			return order[i];
	return LW_LOCK_NL;
}

int
sim_join(int a, int b)
{
	static const int8_t order[6] = {LW_LOCK_NL, LW_LOCK_CR, LW_LOCK_CW, LW_LOCK_PR,
					LW_LOCK_PW, LW_LOCK_EX};

	if (!mode_ok(a))
		return b;
	if (!mode_ok(b))
		return a;
	for (int i = 0; i < 6; i++)
		if (sim_covers(order[i], a) && sim_covers(order[i], b))
			return order[i];
	return LW_LOCK_EX;
}
