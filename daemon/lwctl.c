/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwctl.c — lockwire's command-line tool: asks a running lockwired through
 * DPDK's telemetry socket and prints the answer for a human or, with
 * --json, as the JSON value for a script.
 *
 *   lwctl [--socket PATH | --file-prefix PREFIX] [--json] [--timeout MS] COMMAND
 *
 *   status             /lockwire/node as one line, then its other keys
 *   members            /lockwire/members as a table
 *   view               /lockwire/view (epoch, leader, lease, members, recovery)
 *   stats [WORKER]     /lockwire/stats[,WORKER], one aligned line per counter
 *   resource NAME      /lockwire/resource,NAME, one block per resource
 *   lockdump [--resource NAME] [--worker W] [--lockspace LS]
 *                      /lockwire/lockdump,W,CURSOR[,LS] page after page,
 *                      every worker (after /lockwire/node) or worker W;
 *                      with --resource, /lockwire/resource,[LS:]NAME
 *   query CMD[,PARAM]  any telemetry command, its value as JSON
 *
 * DESIGN
 * lockwired links "<socket>.telemetry" to its telemetry socket, so --socket
 * takes the path every other lockwire tool knows the node by; --file-prefix
 * reaches any DPDK process. The protocol (telemetry v2, SOCK_SEQPACKET):
 * the server sends a JSON greeting with max_output_len, then answers each
 * "/cmd[,param]" with one message {"/cmd": value}. One connection, one
 * request (two when a null reply needs explaining: "/help,/cmd" tells an
 * unknown command from a failed one), all within --timeout; a lockdump
 * asks as many pages as it takes, each within --timeout. Parsing and
 * rendering live in lwctl_fmt.c and lwctl_dump.c (--json of resource and
 * lockdump: see lwctl_dump.h); this file does the I/O and the exit codes:
 *   0 ok, 1 other error (out of memory), 2 usage, 3 cannot connect,
 *   4 bad, null or missing reply.
 * lwctl never starts EAL and links no DPDK library.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "lwctl_dump.h"
#include "lwctl_fmt.h"

#define EXIT_USAGE   2
#define EXIT_CONNECT 3
#define EXIT_REPLY   4

#define DEF_TIMEOUT_MS 2000
#define REQ_MAX        1024   /* DPDK 22.11 reads requests into 1024 bytes */

struct opts {
	const char *socket;
	const char *prefix;
	bool json;
	int timeout_ms;
	char **args;            /* COMMAND and its arguments */
	int nargs;
};

struct conn {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct timespec deadline;
	char *buf;
	size_t cap;
};

static int print_resource(FILE *out, const json_t *v);

static const struct command {
	const char *name;
	const char *tel;        /* telemetry command; NULL: from the argument */
	int min_args, max_args;
	int (*print)(FILE *out, const json_t *v);
} commands[] = {
	{"status",   "/lockwire/node",     0, 0, lwctl_print_status},
	{"members",  "/lockwire/members",  0, 0, lwctl_print_members},
	{"stats",    "/lockwire/stats",    0, 1, lwctl_print_stats},
	{"view",     "/lockwire/view",     0, 0, lwctl_print_stats},
	{"sessions", "/lockwire/sessions", 0, 0, lwctl_print_sessions},
	{"resource", "/lockwire/resource", 1, 1, print_resource},
	{"lockdump", "/lockwire/lockdump", 0, 7, NULL},     /* run_lockdump */
	{"query",    NULL,                 1, 1, NULL},
};

/* lockdump's own options. */
struct dump_opts {
	const char *resource;   /* NULL: every resource in use */
	const char *lockspace;  /* NULL: every lockspace */
	long worker;            /* -1: every worker */
	bool json;              /* --json after the command */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: lwctl [--socket PATH | --file-prefix PREFIX] [--json] [--timeout MS] COMMAND\n"
		"\n"
		"  -s, --socket PATH         a node's client socket (lwctl reads PATH%s;\n"
		"                            default %s)\n"
		"  -f, --file-prefix PREFIX  any DPDK process started with --file-prefix PREFIX\n"
		"  -j, --json                print the JSON value as is (for scripts)\n"
		"  -t, --timeout MS          give up after MS milliseconds (default %d)\n"
		"  -h, --help                this text\n"
		"\n"
		"commands:\n"
		"  status             the node: cluster, state, epoch, workers, members up\n"
		"  members            the cluster members and their heartbeats\n"
		"  view               the view: epoch, leader, lease, members, recovery phase\n"
		"  stats [WORKER]     the node's counters, or one worker's\n"
		"  sessions           client sessions: worker, pid, program, counters\n"
		"  resource NAME      what the node knows of resource NAME: master, LVB,\n"
		"                     holders by site and by client session, waiters\n"
		"  lockdump [--resource NAME] [--worker W] [--lockspace LS]\n"
		"                     every resource in use at the node (or that one), one\n"
		"                     block each; with --json one array for scripts\n"
		"  query CMD[,PARAM]  any telemetry command (e.g. query /ethdev/list), as JSON\n"
		"\n"
		"exit codes: 0 ok, 2 usage, 3 cannot connect, 4 bad or null reply, 1 other\n",
		LWCTL_TELEMETRY_SUFFIX, LW_CONFIG_DEF_SOCKET, DEF_TIMEOUT_MS);
}

static void __attribute__((noreturn))
usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "lwctl: %s%s%s%s (try lwctl --help)\n", msg,
		arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn))
out_of_memory(void)
{
	fprintf(stderr, "lwctl: out of memory\n");
	exit(1);
}

static int
parse_ms(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > 3600000)
		usage_error("--timeout wants milliseconds, 1..3600000, not", s);
	return (int)v;
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"socket", required_argument, NULL, 's'},
		{"file-prefix", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = DEF_TIMEOUT_MS;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:f:jt:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->socket = optarg; break;
		case 'f': o->prefix = optarg; break;
		case 'j': o->json = true; break;
		case 't': o->timeout_ms = parse_ms(optarg); break;
		case 'h': usage(stdout); exit(0);
		case ':':
			usage_error("missing value for", argv[optind - 1]);
		default:
			usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (o->socket != NULL && o->prefix != NULL)
		usage_error("give --socket or --file-prefix, not both", NULL);
	if (optind >= argc)
		usage_error("no command given", NULL);
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->socket == NULL && o->prefix == NULL)
		o->socket = LW_CONFIG_DEF_SOCKET;
}

/* /lockwire/resource as blocks (lwctl_dump.h); a bad answer is explained on stderr. */
static int
print_resource(FILE *out, const json_t *v)
{
	json_t *views = json_array(), *res = NULL;
	json_int_t found = json_integer_value(json_object_get(v, "found"));
	const char *name = json_string_value(json_object_get(v, "name"));
	char err[512];
	int rc = views != NULL ? lwctl_dump_resource(v, views, err, sizeof(err)) : -ENOMEM;

	if (rc == -EBADMSG)
		fprintf(stderr, "lwctl: %s\n", err);
	if (rc == 0 && (res = lwctl_dump_group(views)) == NULL)
		rc = -ENOMEM;
	if (rc == 0 && json_array_size(res) == 0)
		fprintf(out, "%s: not resident at this node (no lock, no holding, nothing cached)\n",
			name != NULL ? name : "the resource");
	else if (rc == 0)
		rc = lwctl_print_lockdump(out, res, 0);
	if (rc == 0 && found > (json_int_t)json_array_size(views))
		fprintf(out, "(%" JSON_INTEGER_FORMAT " more found, not listed: the answer is full)\n",
			found - (json_int_t)json_array_size(views));
	json_decref(views);
	json_decref(res);
	return rc == -EBADMSG ? -EINVAL : rc;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The command named by the arguments; writes its telemetry request to req. */
static const struct command *
build_request(const struct opts *o, char *req, size_t len)
{
	const struct command *cmd = NULL;
	const char *arg;
	size_t i;
	int n;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(o->args[0], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL)
		usage_error("unknown command", o->args[0]);
	if (o->nargs - 1 < cmd->min_args || o->nargs - 1 > cmd->max_args)
		usage_error(o->nargs - 1 < cmd->min_args ? "missing argument to" :
			    "too many arguments to", cmd->name);
	if (strcmp(cmd->name, "lockdump") == 0)
		return cmd;     /* its options: parse_dump_args */
	arg = o->nargs > 1 ? o->args[1] : NULL;
	if (cmd->tel == NULL)
		n = snprintf(req, len, "%s%s", arg[0] == '/' ? "" : "/", arg);
	else if (arg != NULL)
		n = snprintf(req, len, "%s,%s", cmd->tel, arg);
	else
		n = snprintf(req, len, "%s", cmd->tel);
	if (strcmp(cmd->name, "stats") == 0 && arg != NULL && !all_digits(arg))
		usage_error("stats wants a worker number, not", arg);
	if (arg != NULL && *arg == '\0')
		usage_error("empty argument to", cmd->name);
	if (n < 0 || (size_t)n >= len)
		usage_error("request too long for telemetry:", cmd->name);
	return cmd;
}

/* Milliseconds left before c->deadline (0 when past). */
static int
ms_left(const struct conn *c)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (c->deadline.tv_sec - now.tv_sec) * 1000LL +
	     (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

static void
tel_connect(struct conn *c, const struct opts *o)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {o->timeout_ms / 1000, o->timeout_ms % 1000 * 1000};
	const char *hint = o->prefix != NULL ?
		"is a DPDK process with this --file-prefix running?" :
		"is lockwired running?";

	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fprintf(stderr, "lwctl: socket: %s\n", strerror(errno));
		exit(1);
	}
	/* a blocking connect waits at most SO_SNDTIMEO for a full backlog */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		fprintf(stderr, "lwctl: cannot connect to %s: %s%s%s%s\n", c->path,
			e == EAGAIN ? "no answer in time" : strerror(e),
			e == ENOENT || e == ECONNREFUSED ? " (" : "",
			e == ENOENT || e == ECONNREFUSED ? hint : "",
			e == ENOENT || e == ECONNREFUSED ? ")" : "");
		exit(EXIT_CONNECT);
	}
}

/* Receive one message into c->buf (NUL-terminated); exits on failure. */
static size_t
tel_recv(struct conn *c, const char *what)
{
	struct iovec iov = {c->buf, c->cap - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct pollfd pfd = {c->fd, POLLIN, 0};
	ssize_t n;
	int rc;

	do
		rc = poll(&pfd, 1, ms_left(c));
	while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		fprintf(stderr, "lwctl: %s: no %s in time\n", c->path, what);
		exit(EXIT_REPLY);
	}
	n = rc < 0 ? -1 : recvmsg(c->fd, &mh, 0);
	if (n <= 0) {
		fprintf(stderr, "lwctl: %s: %s while waiting for the %s%s\n", c->path,
			n == 0 ? "connection closed" : strerror(errno), what,
			n == 0 && strcmp(what, "greeting") == 0 ?
			" (too many telemetry clients?)" : "");
		exit(EXIT_REPLY);
	}
	if (mh.msg_flags & MSG_TRUNC) {
		fprintf(stderr, "lwctl: %s: the %s is longer than %zu bytes\n", c->path,
			what, c->cap - 1);
		exit(EXIT_REPLY);
	}
	c->buf[n] = '\0';
	return (size_t)n;
}

static void
tel_send(struct conn *c, const char *req)
{
	if (send(c->fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		fprintf(stderr, "lwctl: %s: cannot send %s: %s\n", c->path, req,
			strerror(errno));
		exit(EXIT_REPLY);
	}
}

/* The next answer is due within --timeout from now. */
static void
set_deadline(struct conn *c, const struct opts *o)
{
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += o->timeout_ms / 1000;
	c->deadline.tv_nsec += (long)(o->timeout_ms % 1000) * 1000000;
	if (c->deadline.tv_nsec >= 1000000000) {
		c->deadline.tv_sec++;
		c->deadline.tv_nsec -= 1000000000;
	}
}

/* Find the socket, connect and read the greeting; sizes c->buf from it. */
static void
tel_open(struct conn *c, const struct opts *o)
{
	char err[256];
	size_t n, max;
	int rc;

	rc = lwctl_telemetry_path(c->path, sizeof(c->path), o->socket, o->prefix,
				  getenv("RUNTIME_DIRECTORY"), getenv("XDG_RUNTIME_DIR"),
				  (unsigned int)getuid());
	if (rc != 0)
		usage_error(rc == -ENAMETOOLONG ? "socket path too long:" :
			    "bad --socket or --file-prefix", o->socket ? o->socket : o->prefix);
	set_deadline(c, o);
	tel_connect(c, o);
	c->cap = 4096;
	c->buf = malloc(c->cap);
	if (c->buf == NULL)
		out_of_memory();
	n = tel_recv(c, "greeting");
	if (lwctl_parse_greeting(c->buf, n, &max, err, sizeof(err)) != 0) {
		fprintf(stderr, "lwctl: %s: %s\n", c->path, err);
		exit(EXIT_REPLY);
	}
	free(c->buf);
	c->cap = (max > LWCTL_DEF_OUTPUT_LEN ? max : LWCTL_DEF_OUTPUT_LEN) + 64;
	c->buf = malloc(c->cap);
	if (c->buf == NULL)
		out_of_memory();
}

/* After a null reply to req: say whether the command is unknown or failed. */
static void __attribute__((noreturn))
explain_null(struct conn *c, const char *req, const struct command *cmd)
{
	char help[REQ_MAX + 8];
	size_t klen = strcspn(req, ",");
	json_t *v = NULL;
	size_t n;

	snprintf(help, sizeof(help), "/help,%.*s", (int)klen, req);
	tel_send(c, help);
	n = tel_recv(c, "reply");
	if (lwctl_parse_reply(c->buf, n, "/help", &v, NULL, NULL, 0) == 0 &&
	    json_is_object(v) && json_object_size(v) > 0) {
		if (strncmp(req, "/lockwire/resource,", klen + 1) == 0 && cmd->tel != NULL)
			fprintf(stderr, "lwctl: no resource '%s' (or %.*s failed)\n",
				req + klen + 1, (int)klen, req);
		else if (strcmp(cmd->name, "stats") == 0 && req[klen] == ',')
			fprintf(stderr, "lwctl: no worker %s (or %.*s failed)\n",
				req + klen + 1, (int)klen, req);
		else if (strncmp(req, "/lockwire/lockdump,", klen + 1) == 0)
			fprintf(stderr, "lwctl: no worker %.*s (or %s failed)\n",
				(int)strcspn(req + klen + 1, ","), req + klen + 1, req);
		else
			fprintf(stderr, "lwctl: %s failed (null reply)\n", req);
	} else {
		fprintf(stderr, "lwctl: %s: unknown command at %s%s\n", req, c->path,
			cmd->tel != NULL ? " (is this a lockwired? `lwctl query /` lists the commands)" : "");
	}
	json_decref(v);
	exit(EXIT_REPLY);
}

/* Send req and return its value (a new reference); exits on a bad or null reply. */
static json_t *
ask(struct conn *c, const struct opts *o, const char *req, const struct command *cmd)
{
	static bool noted;
	char err[512];
	json_t *v = NULL;
	int rc, approx;
	size_t n;

	set_deadline(c, o);
	tel_send(c, req);
	n = tel_recv(c, "reply");
	rc = lwctl_parse_reply(c->buf, n, req, &v, &approx, err, sizeof(err));
	if (rc == -ENOENT)
		explain_null(c, req, cmd);
	if (rc != 0) {
		fprintf(stderr, "lwctl: %s: %s\n", req, err);
		exit(EXIT_REPLY);
	}
	if (approx && !noted)
		fprintf(stderr, "lwctl: note: integers above 2^63 in the reply are shown approximately\n");
	noted |= approx != 0;
	return v;
}

static void
parse_dump_args(const struct opts *o, struct dump_opts *d)
{
	static const struct option lo[] = {
		{"resource", required_argument, NULL, 'r'},
		{"worker", required_argument, NULL, 'w'},
		{"lockspace", required_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	d->resource = NULL;
	d->lockspace = NULL;
	d->worker = -1;
	d->json = o->json;
	optind = 0;             /* glibc: start over, on lockdump's own arguments */
	while ((c = getopt_long(o->nargs, o->args, "+:r:w:l:j", lo, NULL)) != -1) {
		switch (c) {
		case 'r': d->resource = optarg; break;
		case 'l': d->lockspace = optarg; break;
		case 'j': d->json = true; break;
		case 'w':
			errno = 0;
			d->worker = strtol(optarg, &end, 10);
			if (!all_digits(optarg) || errno != 0 || d->worker > 31)
				usage_error("--worker wants a worker number, 0..31, not", optarg);
			break;
		case ':': usage_error("missing value for", o->args[optind - 1]);
		default: usage_error("unknown lockdump option", o->args[optind - 1]);
		}
	}
	if (optind < o->nargs)
		usage_error("lockdump takes options only, not", o->args[optind]);
	if ((d->resource != NULL && *d->resource == '\0') ||
	    (d->lockspace != NULL && *d->lockspace == '\0'))
		usage_error("empty argument to", "lockdump");
	if (d->resource != NULL && d->worker >= 0)
		usage_error("--resource looks at every worker; give no --worker", NULL);
}

/* The workers to page through: W, or 0..workers-1 from /lockwire/node. */
static unsigned int
dump_workers(struct conn *c, const struct opts *o, const struct dump_opts *d,
	     const struct command *cmd, unsigned int *first)
{
	json_t *node;
	json_int_t n;

	if (d->worker >= 0) {
		*first = (unsigned int)d->worker;
		return *first;
	}
	*first = 0;
	node = ask(c, o, "/lockwire/node", cmd);
	n = json_integer_value(json_object_get(node, "workers"));
	json_decref(node);
	if (n < 1 || n > 32) {
		fprintf(stderr, "lwctl: /lockwire/node: no worker count in the reply\n");
		exit(EXIT_REPLY);
	}
	return (unsigned int)n - 1;
}

/* Every page of every worker asked; the views they listed. */
static json_t *
fetch_dump(struct conn *c, const struct opts *o, const struct dump_opts *d,
	   const struct command *cmd)
{
	struct lwctl_dump st;
	char req[REQ_MAX], err[512];
	unsigned int first, last = dump_workers(c, o, d, cmd, &first);
	json_t *v, *views;
	int rc;

	if (lwctl_dump_init(&st, first, last, d->lockspace) != 0)
		out_of_memory();
	while ((rc = lwctl_dump_request(&st, req, sizeof(req))) == 1) {
		v = ask(c, o, req, cmd);
		rc = lwctl_dump_feed(&st, v, err, sizeof(err));
		json_decref(v);
		if (rc == -ENOMEM)
			out_of_memory();
		if (rc != 0) {
			fprintf(stderr, "lwctl: %s\n", err);
			exit(EXIT_REPLY);
		}
	}
	if (rc < 0)
		usage_error("lockspace name too long for telemetry:", d->lockspace);
	views = json_incref(st.views);
	lwctl_dump_fini(&st);
	return views;
}

/* /lockwire/resource,[LS:]NAME as views. */
static json_t *
fetch_resource(struct conn *c, const struct opts *o, const struct dump_opts *d,
	       const struct command *cmd)
{
	char req[REQ_MAX], err[512];
	json_t *v, *views = json_array();
	int n, rc;

	n = snprintf(req, sizeof(req), "/lockwire/resource,%s%s%s",
		     d->lockspace ? d->lockspace : "", d->lockspace ? ":" : "", d->resource);
	if (n < 0 || (size_t)n >= sizeof(req))
		usage_error("resource name too long for telemetry:", d->resource);
	if (views == NULL)
		out_of_memory();
	v = ask(c, o, req, cmd);
	rc = lwctl_dump_resource(v, views, err, sizeof(err));
	json_decref(v);
	if (rc == -ENOMEM)
		out_of_memory();
	if (rc != 0) {
		fprintf(stderr, "lwctl: %s: %s\n", req, err);
		exit(EXIT_REPLY);
	}
	return views;
}

/* lockdump: every page, merged into resources, as text or one JSON array. */
static int
run_lockdump(struct conn *c, const struct opts *o, const struct command *cmd)
{
	struct dump_opts d;
	json_t *views, *res;
	int rc;

	parse_dump_args(o, &d);
	tel_open(c, o);
	views = d.resource != NULL ? fetch_resource(c, o, &d, cmd) : fetch_dump(c, o, &d, cmd);
	res = lwctl_dump_group(views);
	json_decref(views);
	if (res == NULL)
		out_of_memory();
	if (d.json)
		rc = lwctl_print_json(stdout, res, 1);
	else if (d.resource != NULL && json_array_size(res) == 0)
		rc = printf("no locks: %s is not resident at this node\n", d.resource) < 0;
	else if (d.lockspace != NULL && json_array_size(res) == 0)
		rc = printf("no locks in lockspace %s\n", d.lockspace) < 0;
	else
		rc = lwctl_print_lockdump(stdout, res, d.resource == NULL);
	json_decref(res);
	return rc;
}

int
main(int argc, char **argv)
{
	struct conn c = {.fd = -1};
	char req[REQ_MAX];
	const struct command *cmd;
	struct opts o;
	json_t *v = NULL;
	int rc;

	parse_opts(argc, argv, &o);
	cmd = build_request(&o, req, sizeof(req));
	if (strcmp(cmd->name, "lockdump") == 0) {
		rc = run_lockdump(&c, &o, cmd);
	} else {
		tel_open(&c, &o);
		v = ask(&c, &o, req, cmd);
		if (o.json || cmd->print == NULL)
			rc = lwctl_print_json(stdout, v, o.json);
		else
			rc = cmd->print(stdout, v);
		if (rc == -EINVAL) {
			fprintf(stderr, "lwctl: %s: unexpected reply: ", req);
			lwctl_print_json(stderr, v, 1);
			exit(EXIT_REPLY);
		}
		json_decref(v);
	}
	free(c.buf);
	close(c.fd);
	if (rc != 0 || fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "lwctl: %s\n", rc == -ENOMEM ? "out of memory" : "cannot write the output");
		return 1;
	}
	return 0;
}
