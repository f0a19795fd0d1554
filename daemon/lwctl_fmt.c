/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwctl_fmt.c — the pure half of lwctl (see lwctl_fmt.h): the telemetry
 * socket path, checks of the greeting and of replies, JSON to text.
 *
 * DESIGN
 * Everything here takes its inputs as arguments (environment values, the
 * bytes received) and writes to a FILE, so the unit tests feed it sample
 * JSON and read the text back from open_memstream(). The text layout is
 * built from "entries" (a key and a value): a dict gives one per key, an
 * array of containers one per element ("[i]"). An entry whose value fits
 * on one line (a scalar, an empty container, an array of scalars) prints
 * as "key  value"; any other prints as "key:" and its contents indented by
 * two. Keys of one level are padded to the widest; numbers of one level are
 * right-aligned to the widest.
 *
 * DPDK telemetry emits u64 values that jansson (int64) rejects above
 * 2^63 - 1; such literals are rewritten to reals before parsing, so one
 * sentinel like UINT64_MAX does not make a whole reply unreadable.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "lwctl_fmt.h"

/* Write a formatted message into err when there is room for one. */
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

int
lwctl_telemetry_path(char *out, size_t outlen, const char *socket_path,
		     const char *file_prefix, const char *runtime_dir,
		     const char *xdg, unsigned int uid)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
	const char *dir;
	int n;

	if (outlen < max)
		max = outlen;
	if (socket_path != NULL) {
		if (*socket_path == '\0')
			return -EINVAL;
		n = snprintf(out, outlen, "%s%s", socket_path, LWCTL_TELEMETRY_SUFFIX);
	} else if (file_prefix != NULL) {
		if (*file_prefix == '\0' || strchr(file_prefix, '/') != NULL)
			return -EINVAL;
		if (runtime_dir != NULL && *runtime_dir != '\0')
			dir = runtime_dir;
		else if (uid == 0)
			dir = "/var/run";
		else if (xdg != NULL && *xdg != '\0')
			dir = xdg;
		else
			dir = "/tmp";
		n = snprintf(out, outlen, "%s/dpdk/%s/%s", dir, file_prefix,
			     LWCTL_TELEMETRY_NAME);
	} else {
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= max)
		return -ENAMETOOLONG;
	return 0;
}

/* Is the integer literal s (n bytes, optional '-', digits) outside int64? */
static bool
int_too_big(const char *s, size_t n)
{
	char tmp[32];
	long long v;

	if (n >= sizeof(tmp))
		return true;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	v = strtoll(tmp, NULL, 10);
	(void)v;
	return errno == ERANGE;
}

/*
 * Copy buf (len bytes) into a new NUL-terminated string in which every
 * integer literal outside int64 gets ".0" appended (a real for jansson).
 * Strings are copied untouched. NULL when out of memory.
 */
static char *
widen_big_ints(const char *buf, size_t len, size_t *outlen)
{
	char *o = malloc(2 * len + 3);
	size_t i = 0, j = 0, s;
	bool instr = false;

	if (o == NULL)
		return NULL;
	while (i < len) {
		char c = buf[i];

		if (instr) {
			o[j++] = buf[i++];
			if (c == '\\' && i < len)
				o[j++] = buf[i++];
			else if (c == '"')
				instr = false;
			continue;
		}
		if (c != '-' && !isdigit((unsigned char)c)) {
			instr = c == '"';
			o[j++] = buf[i++];
			continue;
		}
		s = i++;
		while (i < len && isdigit((unsigned char)buf[i]))
			i++;
		memcpy(o + j, buf + s, i - s);
		j += i - s;
		if ((i >= len || (buf[i] != '.' && buf[i] != 'e' && buf[i] != 'E')) &&
		    int_too_big(buf + s, i - s)) {
			o[j++] = '.';
			o[j++] = '0';
		}
	}
	o[j] = '\0';
	*outlen = j;
	return o;
}

/* json_loadb(), retrying with big integers widened to reals (*approx = 1). */
static json_t *
load_json(const char *buf, size_t len, int *approx, json_error_t *je)
{
	json_t *root;
	char *wide;
	size_t wlen;

	*approx = 0;
	root = json_loadb(buf, len, 0, je);
	if (root != NULL || json_error_code(je) != json_error_numeric_overflow)
		return root;
	wide = widen_big_ints(buf, len, &wlen);
	if (wide == NULL)
		return NULL;
	root = json_loadb(wide, wlen, 0, je);
	free(wide);
	if (root != NULL)
		*approx = 1;
	return root;
}

int
lwctl_parse_greeting(const char *buf, size_t len, size_t *max_len,
		     char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *m;
	int approx;

	root = load_json(buf, len, &approx, &je);
	if (root == NULL) {
		seterr(err, errlen, "greeting is not JSON: %s", je.text);
		return -EBADMSG;
	}
	if (!json_is_object(root)) {
		seterr(err, errlen, "greeting is not a JSON object");
		json_decref(root);
		return -EBADMSG;
	}
	*max_len = LWCTL_DEF_OUTPUT_LEN;
	m = json_object_get(root, "max_output_len");
	if (m != NULL) {
		if (!json_is_integer(m) || json_integer_value(m) <= 0 ||
		    json_integer_value(m) > (1 << 30)) {
			seterr(err, errlen, "greeting has a bad max_output_len");
			json_decref(root);
			return -EBADMSG;
		}
		*max_len = (size_t)json_integer_value(m);
	}
	json_decref(root);
	return 0;
}

int
lwctl_parse_reply(const char *buf, size_t len, const char *cmd,
		  json_t **value, int *approx, char *err, size_t errlen)
{
	size_t klen = strcspn(cmd, ",");
	json_error_t je;
	json_t *root, *v;
	const char *key;
	int ap;

	*value = NULL;
	root = load_json(buf, len, &ap, &je);
	if (approx != NULL)
		*approx = ap;
	if (root == NULL) {
		seterr(err, errlen, "reply is not JSON: %s (at byte %d of %zu)",
		       je.text, je.position, len);
		return -EBADMSG;
	}
	if (!json_is_object(root) || json_object_size(root) != 1) {
		seterr(err, errlen, "reply is not an object with one key");
		json_decref(root);
		return -EBADMSG;
	}
	key = json_object_iter_key(json_object_iter(root));
	v = json_object_iter_value(json_object_iter(root));
	if (strlen(key) != klen || strncmp(key, cmd, klen) != 0) {
		seterr(err, errlen, "reply is for \"%s\", not \"%.*s\"", key, (int)klen, cmd);
		json_decref(root);
		return -EBADMSG;
	}
	if (json_is_null(v)) {
		seterr(err, errlen, "null reply to %s", cmd);
		json_decref(root);
		return -ENOENT;
	}
	*value = json_incref(v);
	json_decref(root);
	return 0;
}

void
lwctl_fmt_age(char *buf, size_t len, double us)
{
	unsigned long long s;

	if (!(us >= 0)) {
		snprintf(buf, len, "-");
		return;
	}
	s = (unsigned long long)(us / 1e6);
	if (us < 1e3)
		snprintf(buf, len, "%.0fus", us);
	else if (us < 1e6)
		snprintf(buf, len, "%.1fms", us / 1e3);
	else if (us < 60e6)
		snprintf(buf, len, "%.2fs", us / 1e6);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%llud%02lluh", s / 86400, s / 3600 % 24);
}

static bool
is_scalar(const json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

/* Does v print on one line: a scalar, an empty container, an array of scalars? */
static bool
is_inline(const json_t *v)
{
	size_t i;

	if (json_is_object(v))
		return json_object_size(v) == 0;
	if (!json_is_array(v))
		return true;
	for (i = 0; i < json_array_size(v); i++)
		if (!is_scalar(json_array_get(v, i)))
			return false;
	return true;
}

/* A scalar, or an inline array as "a, b, c", as a new string (NULL: no memory). */
static char *
text_dup(const json_t *v)
{
	char *s = NULL;
	size_t n, i;
	FILE *f;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_length(v) ? json_string_value(v) : "\"\"");
	case JSON_INTEGER:
		return asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0 ? NULL : s;
	case JSON_REAL:
		return asprintf(&s, "%.15g", json_real_value(v)) < 0 ? NULL : s;
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_NULL:
		return strdup("null");
	case JSON_OBJECT:
		if (json_object_size(v) == 0)
			return strdup("{}");
		return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			return strdup("[]");
		if (!is_inline(v))
			return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
		f = open_memstream(&s, &n);
		if (f == NULL)
			return NULL;
		for (i = 0; i < json_array_size(v); i++) {
			char *e = text_dup(json_array_get(v, i));

			fprintf(f, "%s%s", i ? ", " : "", e ? e : "?");
			free(e);
		}
		fclose(f);
		return s;
	}
	return strdup("?");
}

void
lwctl_fmt_scalar(char *buf, size_t len, const json_t *v)
{
	char *s = text_dup(v);

	snprintf(buf, len, "%s", s != NULL ? s : "?");
	free(s);
}

/* One line or block of a level: key, value, and the value as text when inline. */
struct entry {
	const char *key;
	char idx[24];
	const json_t *v;
	char *text;
};

/* Print n entries at indent (see the file comment). */
static int
print_entries(FILE *out, struct entry *e, size_t n, int indent)
{
	size_t i, kw = 0, nw = 0, l;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (!is_inline(e[i].v))
			continue;
		e[i].text = text_dup(e[i].v);
		if (e[i].text == NULL)
			return -ENOMEM;
		if ((l = strlen(e[i].key)) > kw)
			kw = l;
		if (json_is_number(e[i].v) && (l = strlen(e[i].text)) > nw)
			nw = l;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (e[i].text == NULL) {
			fprintf(out, "%*s%s:\n", indent, "", e[i].key);
			rc = lwctl_print_value(out, e[i].v, indent + 2);
		} else if (json_is_number(e[i].v)) {
			fprintf(out, "%*s%-*s  %*s\n", indent, "", (int)kw, e[i].key,
				(int)nw, e[i].text);
		} else {
			fprintf(out, "%*s%-*s  %s\n", indent, "", (int)kw, e[i].key,
				e[i].text);
		}
	}
	return rc;
}

/* The entries of a dict (its keys) or an array ("[i]"), printed. */
static int
print_container(FILE *out, const json_t *v, int indent)
{
	size_t n = json_is_object(v) ? json_object_size(v) : json_array_size(v);
	struct entry *e = calloc(n ? n : 1, sizeof(*e));
	const char *key;
	json_t *val;
	size_t i = 0;
	int rc;

	if (e == NULL)
		return -ENOMEM;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, val) {
			e[i].key = key;
			e[i++].v = val;
		}
	} else {
		for (i = 0; i < n; i++) {
			snprintf(e[i].idx, sizeof(e[i].idx), "[%zu]", i);
			e[i].key = e[i].idx;
			e[i].v = json_array_get(v, i);
		}
	}
	rc = print_entries(out, e, n, indent);
	for (i = 0; i < n; i++)
		free(e[i].text);
	free(e);
	return rc;
}

int
lwctl_print_value(FILE *out, const json_t *v, int indent)
{
	char *s;

	if (v == NULL)
		return -EINVAL;
	if (!is_inline(v))
		return print_container(out, v, indent);
	s = text_dup(v);
	if (s == NULL)
		return -ENOMEM;
	fprintf(out, "%*s%s\n", indent, "", s);
	free(s);
	return 0;
}

/* A field of a dict as text, "?" when absent; a new string. */
static char *
field_dup(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return v != NULL ? text_dup(v) : strdup("?");
}

int
lwctl_print_status(FILE *out, const json_t *node)
{
	static const char *const shown[] = {
		"node", "cluster", "cluster_id", "state", "epoch", "workers", "members_up",
	};
	enum { NODE, CLUSTER, CID, STATE, EPOCH, WORKERS, UP, MEMBERS, NF };
	const json_t *m;
	char *f[NF] = {NULL};
	json_t *rest;
	int i, rc = 0;

	if (!json_is_object(node))
		return -EINVAL;
	for (i = 0; i < MEMBERS; i++)
		f[i] = field_dup(node, shown[i]);
	m = json_object_get(node, "members");
	if (json_is_array(m) && asprintf(&f[MEMBERS], "%zu", json_array_size(m)) < 0)
		f[MEMBERS] = NULL;
	else if (!json_is_array(m))
		f[MEMBERS] = json_is_integer(m) ? text_dup(m) : strdup("?");
	for (i = 0; i < NF; i++)
		if (f[i] == NULL)
			rc = -ENOMEM;
	rest = rc == 0 ? json_copy((json_t *)node) : NULL;
	if (rest == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	fprintf(out, "node %s of cluster %s (id %s): %s, epoch %s, %s worker%s, members up %s/%s\n",
		f[NODE], f[CLUSTER], f[CID], f[STATE], f[EPOCH], f[WORKERS],
		strcmp(f[WORKERS], "1") == 0 ? "" : "s", f[UP], f[MEMBERS]);
	for (i = 0; i < MEMBERS; i++)
		json_object_del(rest, shown[i]);
	if (json_is_integer(m))
		json_object_del(rest, "members");
	if (json_object_size(rest) > 0)
		rc = print_container(out, rest, 2);
	json_decref(rest);
out:
	for (i = 0; i < NF; i++)
		free(f[i]);
	return rc;
}

/* A table of text cells, row 0 the header; right[c]: right-align column c. */
struct table {
	size_t nrow, ncol;
	char **cell;            /* nrow * ncol, row-major; NULL prints empty */
	bool *right;
};

static void
table_print(FILE *out, const struct table *t)
{
	size_t r, c, l, *w = calloc(t->ncol, sizeof(*w));

	if (w == NULL)
		return;
	for (r = 0; r < t->nrow; r++)
		for (c = 0; c < t->ncol; c++) {
			const char *s = t->cell[r * t->ncol + c];

			if (s != NULL && (l = strlen(s)) > w[c])
				w[c] = l;
		}
	for (r = 0; r < t->nrow; r++) {
		for (c = 0; c < t->ncol; c++) {
			const char *s = t->cell[r * t->ncol + c];
			bool last = c + 1 == t->ncol;

			if (s == NULL)
				s = "";
			if (t->right[c])
				fprintf(out, "%s%*s", c ? "  " : "", (int)w[c], s);
			else
				fprintf(out, "%s%-*s", c ? "  " : "", last ? 0 : (int)w[c], s);
		}
		fputc('\n', out);
	}
	free(w);
}

/* Member rows: the key, its numeric id (or INT64_MAX when not a number). */
struct mrow {
	const char *key;
	long long id;
	const json_t *v;
};

static int
mrow_cmp(const void *a, const void *b)
{
	const struct mrow *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return strcmp(x->key, y->key);
}

static long long
key_id(const char *k)
{
	char *end;
	long long v;

	if (*k == '\0' || !isdigit((unsigned char)*k))
		return INT64_MAX;
	v = strtoll(k, &end, 10);
	return *end == '\0' ? v : INT64_MAX;
}

static const char *const member_known[] = {
	"self", "up", "heartbeats_rx", "heartbeats_tx", "last_heartbeat_us",
};
#define MEMBER_COLS 6   /* NODE + the known keys */

/* The keys of the members' dicts that the table does not know, first seen first. */
static size_t
member_extras(const struct mrow *rows, size_t n, const char ***extra)
{
	size_t r, x, k, nx = 0, cap = 0;
	const char *key;
	json_t *val;

	*extra = NULL;
	for (r = 0; r < n; r++) {
		json_object_foreach((json_t *)rows[r].v, key, val) {
			for (k = 0; k < MEMBER_COLS - 1; k++)
				if (strcmp(key, member_known[k]) == 0)
					break;
			for (x = 0; k == MEMBER_COLS - 1 && x < nx; x++)
				if (strcmp(key, (*extra)[x]) == 0)
					break;
			if (k < MEMBER_COLS - 1 || x < nx)
				continue;
			if (nx == cap) {
				const char **p = realloc(*extra, (cap ? 2 * cap : 4) * sizeof(*p));

				if (p == NULL)
					return nx;
				*extra = p;
				cap = cap ? 2 * cap : 4;
			}
			(*extra)[nx++] = key;
		}
	}
	return nx;
}

/* A flag: true or a nonzero integer (DPDK 22.11 telemetry has no booleans). */
static bool
is_set(const json_t *v)
{
	return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
}

/* The text of one known member cell c (1..5) of row m. */
static char *
member_cell(const struct mrow *m, size_t c)
{
	const json_t *v = json_object_get(m->v, member_known[c - 1]);
	char age[32], *s;

	if (c == 1 || c == 2) {         /* self, up: a boolean or 0/1 */
		if (v == NULL)
			return strdup("?");
		if (json_is_boolean(v) || (json_is_integer(v) &&
					   (json_integer_value(v) == 0 || json_integer_value(v) == 1)))
			return strdup(is_set(v) ? "yes" : "no");
		return text_dup(v);
	}
	if (c == 5) {                   /* last heartbeat, an age */
		const json_t *rx = json_object_get(m->v, "heartbeats_rx");

		if (is_set(json_object_get(m->v, "self")) || !json_is_number(v) ||
		    json_number_value(v) < 0 || (json_is_integer(rx) && json_integer_value(rx) == 0))
			return strdup("-");
		lwctl_fmt_age(age, sizeof(age), json_number_value(v));
		return asprintf(&s, "%s ago", age) < 0 ? NULL : s;
	}
	return v != NULL ? text_dup(v) : strdup("?");
}

/* Fill the table cells of the members (rows sorted), header first. */
static int
member_fill(struct table *t, const struct mrow *rows, const char **extra)
{
	static const char *const head[MEMBER_COLS] = {
		"NODE", "SELF", "UP", "HB RX", "HB TX", "LAST HB",
	};
	size_t r, c;

	for (c = 0; c < t->ncol; c++) {
		t->cell[c] = strdup(c < MEMBER_COLS ? head[c] : extra[c - MEMBER_COLS]);
		t->right[c] = c == 0 || c == 3 || c == 4 || c == 5 || c >= MEMBER_COLS;
	}
	for (r = 1; r < t->nrow; r++) {
		const struct mrow *m = &rows[r - 1];

		for (c = 0; c < t->ncol; c++) {
			char **cell = &t->cell[r * t->ncol + c];
			const json_t *v;

			if (c == 0) {
				*cell = strdup(m->key);
			} else if (c < MEMBER_COLS) {
				*cell = member_cell(m, c);
			} else {
				v = json_object_get(m->v, extra[c - MEMBER_COLS]);
				*cell = v != NULL ? text_dup(v) : strdup("-");
				if (v != NULL && !json_is_number(v))
					t->right[c] = false;
			}
		}
	}
	for (c = 0; c < t->nrow * t->ncol; c++)
		if (t->cell[c] == NULL)
			return -ENOMEM;
	return 0;
}

int
lwctl_print_members(FILE *out, const json_t *members)
{
	size_t n = json_object_size(members), i = 0, nx;
	struct table t = {0};
	const char **extra = NULL;
	struct mrow *rows;
	const char *key;
	json_t *val;
	int rc = -ENOMEM;

	if (!json_is_object(members))
		return -EINVAL;
	json_object_foreach((json_t *)members, key, val)
		if (!json_is_object(val))
			return -EINVAL;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (rows == NULL)
		return -ENOMEM;
	json_object_foreach((json_t *)members, key, val) {
		rows[i].key = key;
		rows[i].id = key_id(key);
		rows[i++].v = val;
	}
	qsort(rows, n, sizeof(*rows), mrow_cmp);
	nx = member_extras(rows, n, &extra);
	t.nrow = n + 1;
	t.ncol = MEMBER_COLS + nx;
	t.cell = calloc(t.nrow * t.ncol, sizeof(*t.cell));
	t.right = calloc(t.ncol, sizeof(*t.right));
	if (t.cell != NULL && t.right != NULL)
		rc = member_fill(&t, rows, extra);
	if (rc == 0)
		table_print(out, &t);
	for (i = 0; t.cell != NULL && i < t.nrow * t.ncol; i++)
		free(t.cell[i]);
	free(t.cell);
	free(t.right);
	free(extra);
	free(rows);
	return rc;
}

int
lwctl_print_stats(FILE *out, const json_t *stats)
{
	if (!json_is_object(stats))
		return -EINVAL;
	return lwctl_print_value(out, stats, 0);
}

int
lwctl_print_json(FILE *out, const json_t *v, int compact)
{
	size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15);

	flags |= compact ? JSON_COMPACT : JSON_INDENT(2);
	if (v == NULL || json_dumpf(v, out, flags) != 0)
		return -EINVAL;
	fputc('\n', out);
	return 0;
}

/* ---- sessions ------------------------------------------------------------- */

static long long
int_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return -1;
}

static const char *
str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "?";
}

int
lwctl_print_sessions(FILE *out, const json_t *v)
{
	const json_t *list = json_object_get(v, "list");
	const char *key;
	json_t *e;

	if (!json_is_object(v) || (list != NULL && !json_is_object(list)))
		return -EINVAL;
	json_object_foreach((json_t *)list, key, e)
		if (!json_is_object(e))
			return -EINVAL;
	fprintf(out, "%lld client session(s); since start: %lld accepted, %lld refused, %lld cut off\n",
		int_of(v, "sessions"), int_of(v, "accepted"), int_of(v, "refused"), int_of(v, "cut"));
	if (list == NULL || json_object_size(list) == 0)
		return 0;
	fprintf(out, "  %-10s %-6s %-8s %-16s %-7s %10s %11s %8s\n", "SESSION", "WORKER", "PID",
		"PROGRAM", "STATE", "REQUESTS", "COMPLETIONS", "REJECTED");
	json_object_foreach((json_t *)list, key, e)
		fprintf(out, "  %#-10llx %-6lld %-8lld %-16.16s %-7s %10lld %11lld %8lld\n",
			int_of(e, "session"), int_of(e, "worker"), int_of(e, "pid"),
			str_of(e, "name"), str_of(e, "state"), int_of(e, "requests"),
			int_of(e, "completions"), int_of(e, "rejected"));
	return 0;
}
