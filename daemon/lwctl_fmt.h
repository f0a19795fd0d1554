/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwctl_fmt.h — the pure half of lwctl: where a node's telemetry socket is,
 * how its greeting and replies are checked, and how JSON values become text.
 * No sockets and no global state, so tests/unit/test_lwctl.c drives every
 * function with sample JSON.
 *
 * Replies come from DPDK's telemetry v2 socket: a greeting
 * {"version": ..., "pid": ..., "max_output_len": N} on connect, then one
 * {"/cmd": value} per request "/cmd[,param]"; value is null when the
 * command is unknown or its handler failed.
 *
 * Text rendering is generic: a dict prints one "key  value" line per scalar
 * (keys padded to the widest key of their level, numbers right-aligned),
 * "key:" and its contents indented by two for a nested dict or an array of
 * containers, and "key  a, b, c" for an array of scalars. So keys lwctl does
 * not know still print. The printers return 0, or -EINVAL when the value
 * does not have the shape the command needs (nothing is printed then).
 */
#ifndef LW_DAEMON_LWCTL_FMT_H
#define LW_DAEMON_LWCTL_FMT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/** Telemetry socket name in a DPDK runtime directory (v2 protocol). */
#define LWCTL_TELEMETRY_NAME "dpdk_telemetry.v2"
/** Suffix lockwired gives the symlink next to its client socket. */
#define LWCTL_TELEMETRY_SUFFIX ".telemetry"
/** Used when the greeting does not say (DPDK 22.11's value). */
#define LWCTL_DEF_OUTPUT_LEN 16384u

/**
 * The telemetry socket path, into out (outlen bytes).
 * With socket_path: "<socket_path>.telemetry" (file_prefix is ignored).
 * Otherwise DPDK's runtime directory of file_prefix, as EAL computes it:
 * $RUNTIME_DIRECTORY (runtime_dir, may be NULL), else /var/run for root
 * (uid 0), else $XDG_RUNTIME_DIR (xdg, may be NULL), else /tmp; then
 * "/dpdk/<file_prefix>/dpdk_telemetry.v2".
 * @return 0; -EINVAL: neither given, or an empty one;
 *   -ENAMETOOLONG: the path does not fit out or a sockaddr_un.
 */
int lwctl_telemetry_path(char *out, size_t outlen, const char *socket_path,
			 const char *file_prefix, const char *runtime_dir,
			 const char *xdg, unsigned int uid);

/**
 * Check the greeting (len bytes, not NUL-terminated) and read its
 * max_output_len (LWCTL_DEF_OUTPUT_LEN when absent) into *max_len.
 * @return 0; -EBADMSG: not a JSON object or a bad max_output_len
 *   (err, when errlen > 0, says why).
 */
int lwctl_parse_greeting(const char *buf, size_t len, size_t *max_len,
			 char *err, size_t errlen);

/**
 * Check a reply (len bytes) to command cmd (the part before any ',') and
 * hand its value to *value (a new reference, the caller json_decref()s it).
 * Integers above 2^63 are read as reals rather than rejected (*approx is
 * set to 1 then, else 0; approx may be NULL).
 * @return 0; -EBADMSG: not JSON, not an object with the single key cmd;
 *   -ENOENT: the value is null (unknown command or the handler failed).
 *   err, when errlen > 0, says why on failure.
 */
int lwctl_parse_reply(const char *buf, size_t len, const char *cmd,
		      json_t **value, int *approx, char *err, size_t errlen);

/** A duration in microseconds for a human: "850us", "12.3ms", "4.25s",
 * "3m07s", "2h05m", "3d04h"; "-" when negative. */
void lwctl_fmt_age(char *buf, size_t len, double us);

/** One scalar as text, cut to len: strings bare ("" when empty), integers,
 * reals (%.15g), true/false/null; containers as compact JSON. */
void lwctl_fmt_scalar(char *buf, size_t len, const json_t *v);

/** Any value, generically (see the file comment), each line indented by indent spaces. */
int lwctl_print_value(FILE *out, const json_t *v, int indent);

/**
 * /lockwire/node as one line, e.g.
 * "node 1 of cluster lab (id 7701): up, epoch 1, 2 workers, members up 3/3"
 * ("?" for a missing field; "members" may be a count or a list), then the
 * keys that line did not show, generically, indented by two.
 */
int lwctl_print_status(FILE *out, const json_t *node);

/**
 * /lockwire/members as a table sorted by node id: NODE SELF UP HB-RX HB-TX
 * LAST-HB, then one column per key the table does not know, named after the
 * key. self and up may be booleans or 0/1 (DPDK 22.11 telemetry has no
 * booleans); they print as yes/no. last_heartbeat_us is read as an age:
 * microseconds since the last heartbeat arrived ("-" for this node, for a
 * negative value or none, and while heartbeats_rx is 0).
 */
int lwctl_print_members(FILE *out, const json_t *members);

/** /lockwire/stats[,W]: the generic rendering of a dict ("key  value", aligned). */
int lwctl_print_stats(FILE *out, const json_t *stats);

/** /lockwire/sessions as text: counts, then one line per listed session. 0 or -EINVAL. */
int lwctl_print_sessions(FILE *out, const json_t *sessions);

/** A JSON value on one line (compact != 0) or indented by two, then a newline. */
int lwctl_print_json(FILE *out, const json_t *v, int compact);

#endif /* LW_DAEMON_LWCTL_FMT_H */
