/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwctl_dump.c — the pure half of `lwctl lockdump` and `lwctl resource`
 * (see lwctl_dump.h): the paging state, the checks that turn the daemon's
 * records into typed views, the merge into resources, and the text.
 *
 * DESIGN
 * Everything the daemon sends is checked before use: a missing or mistyped
 * field, a lock line that is not "key=value" tokens, a mode that is not a
 * mode, a page for another worker or cursor, or a cursor that does not
 * move on is an -EBADMSG that names the field and the page, never a crash
 * and never a silent hole in the dump. Unknown keys are ignored, so a newer
 * daemon still reads. A page is taken whole or not at all.
 *
 * DPDK 22.11 telemetry has no booleans, no null and no nesting of lists
 * of dicts, so the daemon sends flags as 0/1, "-" for no mode, and a lock
 * or a site holding as one line of tokens; the views use JSON's own types.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lwctl_dump.h"

#define NAME_MAX_BYTES 64        /* LW_RESNAME_MAXLEN, LW_LSNAME_MAXLEN */
#define PAGE_MAX_COUNT 4096      /* resources in one answer, at most */
#define WHY_LEN        256

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- fields ----------------------------------------------------------------------- */

/* A required non-negative integer field k of o. */
static int
get_uint(const json_t *o, const char *k, json_int_t *v, char *why)
{
	const json_t *x = json_object_get(o, k);

	if (!json_is_integer(x) || json_integer_value(x) < 0) {
		seterr(why, WHY_LEN, x == NULL ? "no \"%s\"" : "bad \"%s\"", k);
		return -EBADMSG;
	}
	*v = json_integer_value(x);
	return 0;
}

/* An optional non-negative integer field (0 when absent). */
static int
get_opt_uint(const json_t *o, const char *k, json_int_t *v, char *why)
{
	*v = 0;
	return json_object_get(o, k) == NULL ? 0 : get_uint(o, k, v, why);
}

/* A required string field. */
static const char *
get_str(const json_t *o, const char *k, char *why)
{
	const json_t *x = json_object_get(o, k);

	if (!json_is_string(x)) {
		seterr(why, WHY_LEN, x == NULL ? "no \"%s\"" : "bad \"%s\"", k);
		return NULL;
	}
	return json_string_value(x);
}

static const char *const mode_names[] = { "NL", "CR", "CW", "PR", "PW", "EX" };

/* A mode as the daemon writes it ("-": none) -> a new JSON string or null; NULL: not a mode. */
static json_t *
mode_json(const char *s)
{
	size_t i;

	if (s == NULL)
		return NULL;
	if (strcmp(s, "-") == 0)
		return json_null();
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(s, mode_names[i]) == 0)
			return json_string(s);
	return NULL;
}

/* Set o[k] to mode field k of r (dk: the daemon's key). */
static int
take_mode(json_t *o, const char *k, const json_t *r, const char *dk, char *why)
{
	const char *s = get_str(r, dk, why);
	json_t *m;

	if (s == NULL)
		return -EBADMSG;
	m = mode_json(s);
	if (m == NULL) {
		seterr(why, WHY_LEN, "\"%s\" is not a mode: \"%.16s\"", dk, s);
		return -EBADMSG;
	}
	return json_object_set_new(o, k, m) == 0 ? 0 : -ENOMEM;
}

/* A u64 as JSON: an integer, a real above 2^63 (as lwctl reads big integers elsewhere). */
static json_t *
u64_json(uint64_t v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

/* "0x..." (hex) or decimal digits, all of s, into *v (at most max). */
static bool
parse_num(const char *s, uint64_t max, uint64_t *v)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return errno == 0 && *end == '\0' && *v <= max;
}

/* Lower-case hex of bytes. */
static void
hex_of(char *out, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* k of r, a string or k_bytes (byte values) -> o[ok] (string or null) and o[ok_hex]. */
static int
take_bytes(json_t *o, const char *ok, const json_t *r, const char *k, bool required, char *why)
{
	const json_t *s = json_object_get(r, k), *a, *x;
	char key[48], hex[2 * NAME_MAX_BYTES + 1];
	uint8_t b[NAME_MAX_BYTES];
	size_t i;

	if (json_is_string(s))
		return json_object_set(o, ok, (json_t *)s) == 0 ? 0 : -ENOMEM;
	snprintf(key, sizeof(key), "%s_bytes", k);
	a = json_object_get(r, key);
	if (s == NULL && a == NULL && !required)
		return json_object_set_new(o, ok, json_null()) == 0 ? 0 : -ENOMEM;
	if (s != NULL || !json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > NAME_MAX_BYTES) {
		seterr(why, WHY_LEN, s != NULL ? "bad \"%s\"" : a == NULL ? "no \"%s\"" :
		       "bad \"%s_bytes\"", k);
		return -EBADMSG;
	}
	json_array_foreach(a, i, x) {
		if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > 255) {
			seterr(why, WHY_LEN, "bad \"%s\"", key);
			return -EBADMSG;
		}
		b[i] = (uint8_t)json_integer_value(x);
	}
	hex_of(hex, b, json_array_size(a));
	snprintf(key, sizeof(key), "%s_hex", ok);
	if (json_object_set_new(o, ok, json_null()) != 0 ||
	    json_object_set_new(o, key, json_string(hex)) != 0)
		return -ENOMEM;
	return 0;
}

/* --- lock and holder lines: "key=value key=value ..." ------------------------------ */

/* Is every space-separated token of s "key=value" with a non-empty key? */
static bool
line_ok(const char *s)
{
	size_t n;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (n > 0 && (s[0] == '=' || memchr(s, '=', n) == NULL))
			return false;
		s += n;
	}
	return true;
}

/* The value of token k in line s into v (vlen bytes); false when absent or too long. */
static bool
line_get(const char *s, const char *k, char *v, size_t vlen)
{
	size_t kl = strlen(k), n;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if (strncmp(s, k, kl) == 0 && s[kl] == '=') {
			n = strcspn(s + kl + 1, " ");
			if (n >= vlen)
				return false;
			memcpy(v, s + kl + 1, n);
			v[n] = '\0';
			return true;
		}
		s += strcspn(s, " ");
	}
	return false;
}

/* Token k of s as a number into o[ok] (opt: absent gives 0). */
static int
line_num(json_t *o, const char *ok, const char *s, const char *k, uint64_t max, bool opt,
	 char *why)
{
	char v[32];
	uint64_t x = 0;

	if (!line_get(s, k, v, sizeof(v))) {
		if (!opt) {
			seterr(why, WHY_LEN, "no %s= in \"%.96s\"", k, s);
			return -EBADMSG;
		}
	} else if (!parse_num(v, max, &x)) {
		seterr(why, WHY_LEN, "bad %s= in \"%.96s\"", k, s);
		return -EBADMSG;
	}
	return json_object_set_new(o, ok, u64_json(x)) == 0 ? 0 : -ENOMEM;
}

/* Token k of s as a mode into o[ok]. */
static int
line_mode(json_t *o, const char *ok, const char *s, const char *k, char *why)
{
	char v[8];
	json_t *m = line_get(s, k, v, sizeof(v)) ? mode_json(v) : NULL;

	if (m == NULL) {
		seterr(why, WHY_LEN, "no mode %s= in \"%.96s\"", k, s);
		return -EBADMSG;
	}
	return json_object_set_new(o, ok, m) == 0 ? 0 : -ENOMEM;
}

static const char *const state_names[] = { "granted", "converting", "waiting", "none" };

/* Token st of s, a queue state, into o["state"]. */
static int
line_state(json_t *o, const char *s, char *why)
{
	char v[16];
	size_t i;

	if (line_get(s, "st", v, sizeof(v)))
		for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
			if (strcmp(v, state_names[i]) == 0)
				return json_object_set_new(o, "state", json_string(v)) == 0 ? 0 : -ENOMEM;
	seterr(why, WHY_LEN, "no queue state st= in \"%.96s\"", s);
	return -EBADMSG;
}

/* "lkid=0x2a sess=3 gr=PR rq=EX st=converting pers=0 xid=7" -> a lock. */
static int
lock_of(const char *s, json_t *o, char *why)
{
	char v[32];
	int rc;

	rc = line_num(o, "lkid", s, "lkid", UINT32_MAX, false, why);
	if (rc == 0)
		rc = line_num(o, "session", s, "sess", UINT32_MAX, false, why);
	if (rc == 0)
		rc = line_mode(o, "granted", s, "gr", why);
	if (rc == 0)
		rc = line_mode(o, "requested", s, "rq", why);
	if (rc == 0)
		rc = line_state(o, s, why);
	if (rc == 0)
		rc = json_object_set_new(o, "persistent", json_boolean(
			line_get(s, "pers", v, sizeof(v)) && strcmp(v, "0") != 0)) == 0 ? 0 : -ENOMEM;
	if (rc == 0)
		rc = line_num(o, "xid", s, "xid", UINT64_MAX, true, why);
	return rc;
}

/* "site=n2w0 gr=PR rq=- st=granted seq=4 bast=NL" -> a site holding. */
static int
holder_of(const char *s, json_t *o, char *why)
{
	char v[16];
	int rc = 0;

	if (!line_get(s, "site", v, sizeof(v)) || v[0] == '\0') {
		seterr(why, WHY_LEN, "no site= in \"%.96s\"", s);
		return -EBADMSG;
	}
	if (json_object_set_new(o, "site", json_string(v)) != 0)
		return -ENOMEM;
	rc = line_mode(o, "granted", s, "gr", why);
	if (rc == 0)
		rc = line_mode(o, "requested", s, "rq", why);
	if (rc == 0)
		rc = line_state(o, s, why);
	if (rc == 0)
		rc = line_num(o, "seq", s, "seq", UINT32_MAX, true, why);
	if (rc == 0)
		rc = line_mode(o, "bast_target", s, "bast", why);
	return rc;
}

/* List k of r (strings), each through fn, into o[k]; its count field nk into o[nk]. */
static int
take_lines(json_t *o, const json_t *r, const char *k, const char *nk,
	   int (*fn)(const char *, json_t *, char *), char *why)
{
	const json_t *a = json_object_get(r, k), *x;
	json_t *list, *e;
	json_int_t n;
	size_t i;
	int rc;

	if (get_uint(r, nk, &n, why) != 0)
		return -EBADMSG;
	if (!json_is_array(a) || json_array_size(a) > (size_t)n) {
		seterr(why, WHY_LEN, a == NULL ? "no \"%s\"" : "bad \"%s\"", k);
		return -EBADMSG;
	}
	list = json_array();
	if (list == NULL || json_object_set_new(o, nk, json_integer(n)) != 0 ||
	    json_object_set_new(o, k, list) != 0)
		return -ENOMEM;
	json_array_foreach(a, i, x) {
		if (!json_is_string(x) || !line_ok(json_string_value(x))) {
			seterr(why, WHY_LEN, "%s[%zu] is not a line of key=value", k, i);
			return -EBADMSG;
		}
		e = json_object();
		if (e == NULL || json_array_append_new(list, e) != 0)
			return -ENOMEM;
		rc = fn(json_string_value(x), e, why);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* --- one record -> a view ------------------------------------------------------------- */

/* The LVB fields with prefix p (shadow "", master "m_") -> o["lvb"]. */
static int
take_lvb(json_t *o, const json_t *r, const char *p, char *why)
{
	char k[3][24];
	json_int_t valid, seq, dirty = 0;
	const char *hex;
	json_t *l;
	size_t n;

	snprintf(k[0], sizeof(k[0]), "%slvb_valid", p);
	snprintf(k[1], sizeof(k[1]), "%slvbseq", p);
	snprintf(k[2], sizeof(k[2]), "%slvb", p);
	if (get_uint(r, k[0], &valid, why) != 0 || get_uint(r, k[1], &seq, why) != 0 ||
	    (*p == '\0' && get_opt_uint(r, "lvb_dirty", &dirty, why) != 0))
		return -EBADMSG;
	hex = get_str(r, k[2], why);
	if (hex == NULL)
		return -EBADMSG;
	n = strlen(hex);
	if (n % 2 != 0 || n > 64 || strspn(hex, "0123456789abcdefABCDEF") != n) {
		seterr(why, WHY_LEN, "bad \"%s\"", k[2]);
		return -EBADMSG;
	}
	l = *p == '\0' ?
		json_pack("{s:b,s:b,s:I,s:s}", "valid", valid != 0, "dirty", dirty != 0,
			  "seq", seq, "hex", hex) :
		json_pack("{s:b,s:I,s:s}", "valid", valid != 0, "seq", seq, "hex", hex);
	return l != NULL && json_object_set_new(o, "lvb", l) == 0 ? 0 : -ENOMEM;
}

/* The request out to the master, or null. */
static int
take_inflight(json_t *o, const json_t *r, char *why)
{
	json_int_t inflight, lkid;
	const char *site;
	json_t *q;

	if (get_uint(r, "inflight", &inflight, why) != 0)
		return -EBADMSG;
	if (inflight == 0)
		return json_object_set_new(o, "inflight", json_null()) == 0 ? 0 : -ENOMEM;
	site = get_str(r, "rq_site", why);
	if (site == NULL || get_uint(r, "rq_lkid", &lkid, why) != 0)
		return -EBADMSG;
	q = json_pack("{s:s,s:I}", "site", site, "lkid", lkid);
	if (q == NULL || json_object_set_new(o, "inflight", q) != 0)
		return -ENOMEM;
	return take_mode(q, "mode", r, "rq_mode", why);
}

static int
shadow_of(const json_t *r, json_t *s, char *why)
{
	json_int_t cancel, dlb, redirects, seq, cached;
	int rc;

	rc = take_mode(s, "held", r, "held", why);
	if (rc == 0)
		rc = take_mode(s, "ceiling", r, "ceiling", why);
	if (rc == 0)
		rc = take_mode(s, "bast_target", r, "bast_target", why);
	if (rc == 0)
		rc = take_inflight(s, r, why);
	if (rc != 0)
		return rc;
	if (get_opt_uint(r, "cancel_sent", &cancel, why) != 0 ||
	    get_opt_uint(r, "dl_block", &dlb, why) != 0 ||
	    get_opt_uint(r, "redirects", &redirects, why) != 0 ||
	    get_uint(r, "seq", &seq, why) != 0 || get_uint(r, "cached", &cached, why) != 0)
		return -EBADMSG;
	if (json_object_set_new(s, "cancel_sent", json_boolean(cancel)) != 0 ||
	    json_object_set_new(s, "deadlock_block", json_boolean(dlb)) != 0 ||
	    json_object_set_new(s, "redirects", json_integer(redirects)) != 0 ||
	    json_object_set_new(s, "seq", json_integer(seq)) != 0 ||
	    json_object_set_new(s, "cached", json_boolean(cached)) != 0)
		return -ENOMEM;
	rc = take_lvb(s, r, "", why);
	return rc != 0 ? rc : take_lines(s, r, "locks", "nlocks", lock_of, why);
}

static int
master_of(const json_t *r, json_t *m, char *why)
{
	int rc = take_lvb(m, r, "m_", why);

	return rc != 0 ? rc : take_lines(m, r, "holders", "nholders", holder_of, why);
}

/* A side (shadow_of or master_of) of r into v[k], with the view's worker. */
static int
take_side(json_t *v, const char *k, const json_t *r, json_int_t worker,
	  int (*fn)(const json_t *, json_t *, char *), char *why)
{
	json_t *s = json_pack("{s:I}", "worker", worker);

	if (s == NULL || json_object_set_new(v, k, s) != 0)
		return -ENOMEM;
	return fn(r, s, why);
}

/* Record r (one resource at one worker) -> a new view in *out. */
static int
view_of(const json_t *r, json_t **out, char *why)
{
	json_int_t worker, gid, bucket;
	const char *master, *mapm, *where;
	bool sh, ma;
	json_t *v;
	int rc;

	*out = NULL;
	if (!json_is_object(r)) {
		seterr(why, WHY_LEN, "not an object");
		return -EBADMSG;
	}
	if (get_uint(r, "worker", &worker, why) != 0 || get_uint(r, "gid", &gid, why) != 0 ||
	    get_uint(r, "bucket", &bucket, why) != 0 ||
	    (master = get_str(r, "master", why)) == NULL ||
	    (mapm = get_str(r, "map_master", why)) == NULL ||
	    (where = get_str(r, "where", why)) == NULL)
		return -EBADMSG;
	sh = strcmp(where, "shadow") == 0 || strcmp(where, "shadow+master") == 0;
	ma = strcmp(where, "master") == 0 || strcmp(where, "shadow+master") == 0;
	if (!sh && !ma) {
		seterr(why, WHY_LEN, "bad \"where\": \"%.16s\"", where);
		return -EBADMSG;
	}
	v = json_pack("{s:I,s:I}", "worker", worker, "gid", gid);
	if (v == NULL)
		return -ENOMEM;
	rc = take_bytes(v, "lockspace", r, "ls", false, why);
	if (rc == 0)
		rc = take_bytes(v, "name", r, "name", true, why);
	if (rc == 0 && (json_object_set_new(v, "bucket", json_integer(bucket)) != 0 ||
			json_object_set_new(v, "master", json_string(master)) != 0 ||
			json_object_set_new(v, "map_master", json_string(mapm)) != 0))
		rc = -ENOMEM;
	if (rc == 0 && sh)
		rc = take_side(v, "shadow", r, worker, shadow_of, why);
	if (rc == 0 && ma)
		rc = take_side(v, "master_side", r, worker, master_of, why);
	if (rc != 0)
		json_decref(v);
	else
		*out = v;
	return rc;
}

/* r0..r<count-1> of an answer -> views appended to views (worker >= 0: each must be its). */
static int
take_views(const json_t *answer, json_int_t count, long long worker, json_t *views, char *why)
{
	char key[24], inner[WHY_LEN];
	json_int_t i;
	json_t *v;
	int rc;

	for (i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "r%" JSON_INTEGER_FORMAT, i);
		inner[0] = '\0';
		rc = view_of(json_object_get(answer, key), &v, inner);
		if (rc == 0 && worker >= 0 &&
		    json_integer_value(json_object_get(v, "worker")) != worker) {
			seterr(inner, WHY_LEN, "from worker %" JSON_INTEGER_FORMAT,
			       json_integer_value(json_object_get(v, "worker")));
			json_decref(v);
			rc = -EBADMSG;
		}
		if (rc == 0 && json_array_append_new(views, v) != 0)
			rc = -ENOMEM;
		if (rc != 0) {
			if (json_object_get(answer, key) == NULL)
				snprintf(inner, sizeof(inner), "missing");
			seterr(why, WHY_LEN, "%s: %s", key, inner);
			return rc;
		}
	}
	return 0;
}

/* --- paging ------------------------------------------------------------------------------ */

int
lwctl_dump_init(struct lwctl_dump *st, unsigned int first, unsigned int last,
		const char *lockspace)
{
	memset(st, 0, sizeof(*st));
	if (first > last)
		return -EINVAL;
	st->worker = first;
	st->last = last;
	st->lockspace = lockspace;
	st->views = json_array();
	return st->views != NULL ? 0 : -ENOMEM;
}

void
lwctl_dump_fini(struct lwctl_dump *st)
{
	json_decref(st->views);
	st->views = NULL;
}

int
lwctl_dump_request(const struct lwctl_dump *st, char *req, size_t len)
{
	int n;

	if (st->done)
		return 0;
	n = snprintf(req, len, "/lockwire/lockdump,%u,%" PRIu64 "%s%s", st->worker, st->cursor,
		     st->lockspace != NULL ? "," : "", st->lockspace != NULL ? st->lockspace : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 1;
}

/* The page's own fields, checked against what was asked. */
static int
check_page(const struct lwctl_dump *st, const json_t *page, json_int_t *count, json_int_t *end,
	   json_int_t *next, char *why)
{
	json_int_t w, cur;

	if (!json_is_object(page)) {
		seterr(why, WHY_LEN, "not an object");
		return -EBADMSG;
	}
	if (get_uint(page, "worker", &w, why) != 0 || get_uint(page, "cursor", &cur, why) != 0 ||
	    get_uint(page, "count", count, why) != 0 || get_uint(page, "end", end, why) != 0 ||
	    get_uint(page, "next", next, why) != 0)
		return -EBADMSG;
	if ((uint64_t)w != st->worker || (uint64_t)cur != st->cursor)
		seterr(why, WHY_LEN, "answer for worker %" JSON_INTEGER_FORMAT " at cursor %"
		       JSON_INTEGER_FORMAT, w, cur);
	else if (*end > 1 || *count > PAGE_MAX_COUNT)
		seterr(why, WHY_LEN, "bad \"%s\"", *end > 1 ? "end" : "count");
	else if (!*end && (uint64_t)*next <= st->cursor)
		seterr(why, WHY_LEN, "the cursor does not move on (next %" JSON_INTEGER_FORMAT ")",
		       *next);
	else if (st->pages >= LWCTL_DUMP_MAX_PAGES)
		seterr(why, WHY_LEN, "more than %u pages", LWCTL_DUMP_MAX_PAGES);
	else
		return 0;
	return -EBADMSG;
}

int
lwctl_dump_feed(struct lwctl_dump *st, const json_t *page, char *err, size_t errlen)
{
	json_int_t count, end, next;
	char why[WHY_LEN] = "";
	json_t *views;
	int rc;

	if (st->done) {
		seterr(err, errlen, "lockdump: an answer after the end");
		return -EBADMSG;
	}
	rc = check_page(st, page, &count, &end, &next, why);
	views = rc == 0 ? json_array() : NULL;
	if (rc == 0 && views == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = take_views(page, count, st->worker, views, why);
	if (rc == 0 && json_array_extend(st->views, views) != 0)
		rc = -ENOMEM;
	json_decref(views);
	if (rc != 0) {
		seterr(err, errlen, "lockdump of worker %u, page at cursor %" PRIu64 ": %s",
		       st->worker, st->cursor, rc == -ENOMEM ? "out of memory" : why);
		return rc;
	}
	st->pages++;
	if (!end) {
		st->cursor = (uint64_t)next;
	} else if (st->worker == st->last) {
		st->done = 1;
	} else {
		st->worker++;
		st->cursor = 0;
	}
	return 0;
}

int
lwctl_dump_resource(const json_t *answer, json_t *views, char *err, size_t errlen)
{
	char why[WHY_LEN] = "";
	json_int_t listed;
	json_t *more;
	int rc;

	if (!json_is_object(answer)) {
		seterr(err, errlen, "resource answer: not an object");
		return -EBADMSG;
	}
	if (get_uint(answer, "listed", &listed, why) != 0 || listed > PAGE_MAX_COUNT) {
		seterr(err, errlen, "resource answer: %s", why[0] ? why : "bad \"listed\"");
		return -EBADMSG;
	}
	more = json_array();
	if (more == NULL)
		return -ENOMEM;
	rc = take_views(answer, listed, -1, more, why);
	if (rc == 0 && json_array_extend(views, more) != 0)
		rc = -ENOMEM;
	json_decref(more);
	if (rc != 0)
		seterr(err, errlen, "resource answer: %s", rc == -ENOMEM ? "out of memory" : why);
	return rc;
}

/* --- views -> resources ------------------------------------------------------------------ */

/* The key a resource is merged by: gid, then the name or its hex. */
static char *
group_key(const json_t *v)
{
	const json_t *name = json_object_get(v, "name");
	const char *hex = json_string_value(json_object_get(v, "name_hex"));
	char *k = NULL;

	if (asprintf(&k, "%" JSON_INTEGER_FORMAT "/%s%s",
		     json_integer_value(json_object_get(v, "gid")),
		     json_is_string(name) ? "s:" : "x:",
		     json_is_string(name) ? json_string_value(name) : hex ? hex : "") < 0)
		return NULL;
	return k;
}

/* A new resource with view v's identity and no sides yet. */
static json_t *
resource_new(const json_t *v)
{
	static const char *const keys[] = {
		"lockspace", "lockspace_hex", "gid", "name", "name_hex", "bucket", "master",
		"map_master",
	};
	json_t *r = json_object(), *x;
	size_t i;

	if (r == NULL)
		return NULL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		x = json_object_get(v, keys[i]);
		if (x != NULL && json_object_set(r, keys[i], x) != 0)
			goto fail;
	}
	if (json_object_set_new(r, "shadows", json_array()) != 0 ||
	    json_object_set_new(r, "master_sides", json_array()) != 0)
		goto fail;
	return r;
fail:
	json_decref(r);
	return NULL;
}

/* Add view v's sides to resource r. */
static int
resource_add(json_t *r, const json_t *v)
{
	const json_t *s = json_object_get(v, "shadow"), *m = json_object_get(v, "master_side");

	if (s != NULL && json_array_append(json_object_get(r, "shadows"), (json_t *)s) != 0)
		return -ENOMEM;
	if (m != NULL && json_array_append(json_object_get(r, "master_sides"), (json_t *)m) != 0)
		return -ENOMEM;
	return 0;
}

static const char *
str_or(const json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : dflt;
}

/* A lockspace name (or its hex) the resources of res lack, from a view with the same gid. */
static int
fill_lockspaces(json_t *res, const json_t *views)
{
	static const char *const keys[] = { "lockspace", "lockspace_hex" };
	const json_t *v;
	json_t *r;
	size_t i, j, k;

	json_array_foreach(res, i, r) {
		if (json_is_string(json_object_get(r, "lockspace")) ||
		    json_is_string(json_object_get(r, "lockspace_hex")))
			continue;
		json_array_foreach(views, j, v) {
			if (!json_equal(json_object_get(v, "gid"), json_object_get(r, "gid")))
				continue;
			for (k = 0; k < 2; k++)
				if (json_is_string(json_object_get(v, keys[k])) &&
				    json_object_set(r, keys[k], json_object_get(v, keys[k])) != 0)
					return -ENOMEM;
			if (json_is_string(json_object_get(r, "lockspace")) ||
			    json_is_string(json_object_get(r, "lockspace_hex")))
				break;
		}
	}
	return 0;
}

/* Sort order: named lockspaces by name, then the others; gid; printable names, then hex. */
static int
resource_cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t gx = json_integer_value(json_object_get(x, "gid"));
	json_int_t gy = json_integer_value(json_object_get(y, "gid"));
	bool hx = !json_is_string(json_object_get(x, "name"));
	bool hy = !json_is_string(json_object_get(y, "name"));
	bool lx = json_is_string(json_object_get(x, "lockspace"));
	bool ly = json_is_string(json_object_get(y, "lockspace"));
	int c = strcmp(str_or(x, "lockspace", ""), str_or(y, "lockspace", ""));

	if (lx != ly)
		return lx ? -1 : 1;
	if (c != 0)
		return c;
	if (gx != gy)
		return gx < gy ? -1 : 1;
	if (hx != hy)
		return hx ? 1 : -1;
	return strcmp(str_or(x, hx ? "name_hex" : "name", ""), str_or(y, hy ? "name_hex" : "name", ""));
}

/* Sort the resources of array a in place. */
static int
sort_resources(json_t *a)
{
	size_t i, n = json_array_size(a);
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(a, i));
	qsort(v, n, sizeof(*v), resource_cmp);
	json_array_clear(a);
	for (i = 0; i < n; i++)
		json_array_append_new(a, v[i]);
	free(v);
	return json_array_size(a) == n ? 0 : -ENOMEM;
}

json_t *
lwctl_dump_group(const json_t *views)
{
	json_t *out = json_array(), *index = json_object(), *v, *r;
	size_t i;
	int rc = out != NULL && index != NULL && json_is_array(views) ? 0 : -ENOMEM;

	json_array_foreach(views, i, v) {
		char *k;

		if (rc != 0)
			break;
		k = group_key(v);
		r = k != NULL ? json_object_get(index, k) : NULL;
		if (k != NULL && r == NULL) {
			r = resource_new(v);
			if (r == NULL || json_array_append_new(out, r) != 0 ||
			    json_object_set(index, k, r) != 0)
				r = NULL;
		}
		rc = r != NULL ? resource_add(r, v) : -ENOMEM;
		free(k);
	}
	if (rc == 0)
		rc = fill_lockspaces(out, views);
	if (rc == 0)
		rc = sort_resources(out);
	json_decref(index);
	if (rc != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* --- text ---------------------------------------------------------------------------------- */

/* Mode o[k] for a person: the mode, or "-". */
static const char *
mode_txt(const json_t *o, const char *k)
{
	return str_or(o, k, "-");
}

static json_int_t
int_of(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* A name (or a lockspace) for a person: bare, "quoted" when it has spaces, hex:.. when binary. */
static void
print_name(FILE *out, const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	char hk[32];

	snprintf(hk, sizeof(hk), "%s_hex", k);
	if (s == NULL)
		fprintf(out, "hex:%s", str_or(o, hk, "?"));
	else if (*s == '\0' || strchr(s, ' ') != NULL)
		fprintf(out, "\"%s\"", s);
	else
		fputs(s, out);
}

/* "LVB valid, seq 12: 0102030405060708..." (the first 8 bytes). */
static void
print_lvb(FILE *out, const json_t *lvb)
{
	const char *hex = str_or(lvb, "hex", "");

	fprintf(out, "LVB %s%s, seq %" JSON_INTEGER_FORMAT ": %.16s%s",
		json_is_true(json_object_get(lvb, "valid")) ? "valid" : "NOT VALID",
		json_is_true(json_object_get(lvb, "dirty")) ? ", written here" : "",
		int_of(lvb, "seq"), hex, strlen(hex) > 16 ? "..." : "");
}

/* "... N more not listed" when a list was cut. */
static void
print_more(FILE *out, const json_t *o, const char *list, const char *nk)
{
	json_int_t more = int_of(o, nk) - (json_int_t)json_array_size(json_object_get(o, list));

	if (more > 0)
		fprintf(out, "    ... %" JSON_INTEGER_FORMAT " more not listed\n", more);
}

static void
print_master_side(FILE *out, const json_t *m)
{
	const json_t *hs = json_object_get(m, "holders"), *h;
	size_t i;

	fprintf(out, "  master side at w%" JSON_INTEGER_FORMAT ": ", int_of(m, "worker"));
	print_lvb(out, json_object_get(m, "lvb"));
	fputc('\n', out);
	if (json_array_size(hs) == 0 && int_of(m, "nholders") == 0) {
		fprintf(out, "    no site holds or wants it\n");
		return;
	}
	fprintf(out, "    %-8s  %-10s  %-7s  %-9s  %-4s  %s\n", "SITE", "STATE", "GRANTED",
		"REQUESTED", "BAST", "SEQ");
	json_array_foreach(hs, i, h)
		fprintf(out, "    %-8s  %-10s  %-7s  %-9s  %-4s  %" JSON_INTEGER_FORMAT "\n",
			str_or(h, "site", "?"), str_or(h, "state", "?"), mode_txt(h, "granted"),
			mode_txt(h, "requested"), mode_txt(h, "bast_target"), int_of(h, "seq"));
	print_more(out, m, "holders", "nholders");
}

/* The client locks of a shadow: granted, converting, waiting, in queue order. */
static void
print_locks(FILE *out, const json_t *s)
{
	const json_t *ls = json_object_get(s, "locks"), *l;
	char sess[16], xid[32];
	size_t i;

	if (json_array_size(ls) == 0 && int_of(s, "nlocks") == 0) {
		fprintf(out, "    no client locks\n");
		return;
	}
	fprintf(out, "    %-10s  %7s  %-10s  %-7s  %-9s  %-10s  %s\n", "LKID", "SESSION", "STATE",
		"GRANTED", "REQUESTED", "FLAGS", "XID");
	json_array_foreach(ls, i, l) {
		if (int_of(l, "session") == 0)
			snprintf(sess, sizeof(sess), "orphan");
		else
			snprintf(sess, sizeof(sess), "%" JSON_INTEGER_FORMAT, int_of(l, "session"));
		if (json_is_real(json_object_get(l, "xid")))
			snprintf(xid, sizeof(xid), "%.0f", json_real_value(json_object_get(l, "xid")));
		else
			snprintf(xid, sizeof(xid), "%" JSON_INTEGER_FORMAT, int_of(l, "xid"));
		fprintf(out, "    0x%08llx  %7s  %-10s  %-7s  %-9s  %-10s  %s\n",
			(unsigned long long)int_of(l, "lkid"), sess, str_or(l, "state", "?"), mode_txt(l, "granted"),
			mode_txt(l, "requested"), json_is_true(json_object_get(l, "persistent")) ?
			"persistent" : "", xid);
	}
	print_more(out, s, "locks", "nlocks");
}

static void
print_shadow(FILE *out, const json_t *s)
{
	const json_t *q = json_object_get(s, "inflight");
	json_int_t redirects = int_of(s, "redirects");
	const char *held = json_string_value(json_object_get(s, "held"));
	bool cached = json_is_true(json_object_get(s, "cached"));

	fprintf(out, "  shadow at w%" JSON_INTEGER_FORMAT ": ", int_of(s, "worker"));
	if (held != NULL)
		fprintf(out, "held %s", held);
	else
		fputs("no mode held", out);
	if (strcmp(mode_txt(s, "ceiling"), held != NULL ? held : "NL") != 0)
		fprintf(out, ", ceiling %s", mode_txt(s, "ceiling"));
	fprintf(out, "%s\n    ", cached ? ", cached (no client lock)" : "");
	print_lvb(out, json_object_get(s, "lvb"));
	fputc('\n', out);
	if (json_is_object(q))
		fprintf(out, "    request out to %s: lock 0x%08llx wants %s%s\n", str_or(q, "site", "?"),
			(unsigned long long)int_of(q, "lkid"), mode_txt(q, "mode"),
			json_is_true(json_object_get(s, "cancel_sent")) ? ", cancel sent" : "");
	if (json_is_string(json_object_get(s, "bast_target")))
		fprintf(out, "    blocking: the master asked to go down to %s\n",
			mode_txt(s, "bast_target"));
	if (json_is_true(json_object_get(s, "deadlock_block")))
		fprintf(out, "    deadlock answered: no new request until a downgrade\n");
	if (redirects > 0)
		fprintf(out, "    redirected %" JSON_INTEGER_FORMAT " time%s\n", redirects,
			redirects == 1 ? "" : "s");
	if (!cached)
		print_locks(out, s);
}

/* The header line of a resource: name, lockspace, bucket, master. */
static void
print_header(FILE *out, const json_t *r)
{
	const char *master = str_or(r, "master", "?"), *map = str_or(r, "map_master", "?");

	print_name(out, r, "name");
	fputs("  lockspace ", out);
	if (json_is_string(json_object_get(r, "lockspace")) ||
	    json_is_string(json_object_get(r, "lockspace_hex"))) {
		print_name(out, r, "lockspace");
		fputc(' ', out);
	}
	fprintf(out, "(gid %" JSON_INTEGER_FORMAT "), bucket %" JSON_INTEGER_FORMAT ", master %s",
		int_of(r, "gid"), int_of(r, "bucket"), master);
	if (strcmp(master, map) != 0)
		fprintf(out, " (the map says %s)", map);
	fputc('\n', out);
}

/* Is r a resource as lwctl_dump_group makes them? */
static bool
is_resource(const json_t *r)
{
	return json_is_object(r) && json_is_integer(json_object_get(r, "gid")) &&
	       json_is_array(json_object_get(r, "shadows")) &&
	       json_is_array(json_object_get(r, "master_sides"));
}

int
lwctl_print_lockdump(FILE *out, const json_t *resources, int summary)
{
	json_int_t locks = 0, holders = 0;
	const json_t *r, *x;
	size_t i, j;

	if (!json_is_array(resources))
		return -EINVAL;
	json_array_foreach(resources, i, r)
		if (!is_resource(r))
			return -EINVAL;
	if (json_array_size(resources) == 0) {
		fprintf(out, "no locks\n");
		return 0;
	}
	json_array_foreach(resources, i, r) {
		if (i > 0)
			fputc('\n', out);
		print_header(out, r);
		json_array_foreach(json_object_get(r, "master_sides"), j, x) {
			print_master_side(out, x);
			holders += int_of(x, "nholders");
		}
		json_array_foreach(json_object_get(r, "shadows"), j, x) {
			print_shadow(out, x);
			locks += int_of(x, "nlocks");
		}
	}
	if (summary)
		fprintf(out, "\n%zu resource%s; %" JSON_INTEGER_FORMAT " client lock%s, %"
			JSON_INTEGER_FORMAT " site holding%s at masters here\n",
			json_array_size(resources), json_array_size(resources) == 1 ? "" : "s",
			locks, locks == 1 ? "" : "s", holders, holders == 1 ? "" : "s");
	return 0;
}
