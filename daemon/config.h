/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.h — the configuration of lockwired, loaded from an INI file.
 *
 *   [cluster]            name, id (both required), heartbeat_us,
 *                        suspect_us, lease_us (membership timing; every
 *                        node must agree)
 *   [node]               id (required), workers, udp_base_port, poll,
 *                        socket, max_resources, max_locks, max_sessions,
 *                        cache_idle_us, port            (defaults below)
 *   [node.N]             mac, ip (both required), workers, port
 *                        one section per cluster member, N = 1..255
 *
 * port names the DPDK device (an EAL --vdev or a PCI port's name) through
 * which peers are reached: [node] port for all of them, [node.N] port for
 * node N alone (a memif mesh has one device per peer). Empty: the daemon
 * uses its only port. [node.N] workers is how many workers node N runs
 * (default: [node] workers); every node must agree on it, since the
 * bucket map is built from the members and their workers.
 *
 * Comments start with ';'. Every key and section is checked: an unknown or
 * repeated key or section, a malformed line or value is an error, so a typo
 * never passes silently. This node ([node] id) must have its [node.N];
 * no two members share a MAC or an IPv4 address.
 */
#ifndef LW_DAEMON_CONFIG_H
#define LW_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define LW_CONFIG_MAX_NODES       255u        /**< node ids are 1..255 */
#define LW_CONFIG_MAX_WORKERS     32u
#define LW_CONFIG_PORT_MIN        1024u
#define LW_CONFIG_PORT_MAX        (65535u - 32u) /**< room for one port per worker */
#define LW_CONFIG_NAME_LEN        64          /**< cluster name, with its NUL */
#define LW_CONFIG_SOCKET_LEN      108         /**< sizeof(sun_path), with its NUL */
#define LW_CONFIG_MAX_RESOURCES   (1u << 24)
#define LW_CONFIG_MAX_LOCKS       (1u << 20)  /**< = LW_ENGINE_MAX_LOCKS */
#define LW_CONFIG_MAX_SESSIONS    65536u
#define LW_CONFIG_MAX_CACHE_IDLE_US 3600000000ull /**< one hour */
#define LW_CONFIG_PORT_NAME_LEN   64          /**< a DPDK device name, with its NUL */

/* Defaults of the optional [node] keys. */
#define LW_CONFIG_DEF_WORKERS       1u
#define LW_CONFIG_DEF_UDP_BASE_PORT 7400u
#define LW_CONFIG_DEF_SOCKET        "/run/lockwire/lockwired.sock"
#define LW_CONFIG_DEF_RESOURCES     65536u
#define LW_CONFIG_DEF_LOCKS         65536u
#define LW_CONFIG_DEF_SESSIONS      1024u
#define LW_CONFIG_DEF_CACHE_IDLE_US 0u        /**< 0: keep cached modes */
/* Defaults of the optional [cluster] keys (docs/membership.md). */
#define LW_CONFIG_DEF_HEARTBEAT_US  5000u     /**< heartbeat period */
#define LW_CONFIG_DEF_SUSPECT_US    100000u   /**< silence that makes a node suspected */
#define LW_CONFIG_DEF_LEASE_US      100000u   /**< a node grants this long after a majority heard it */
#define LW_CONFIG_MIN_TIMING_US     100u
#define LW_CONFIG_MAX_TIMING_US     60000000u

/** How workers poll their queues. */
enum lw_poll_mode {
	LW_POLL_BUSY = 0,       /**< "busy": spin always */
	LW_POLL_ADAPTIVE,       /**< "adaptive": back off when idle */
};

/** One cluster member, from its [node.N] section. */
struct lw_config_node {
	uint8_t  id;            /**< N, 1..255 */
	uint8_t  present;       /**< 1 when [node.N] was given */
	uint8_t  mac[6];        /**< unicast, not all zero */
	uint32_t ipv4;          /**< host byte order (RTE_IPV4(a, b, c, d)) */
	uint32_t workers;       /**< node N's workers (after loading: never 0) */
	char     port[LW_CONFIG_PORT_NAME_LEN]; /**< device to reach N ("": [node] port) */
};

struct lw_config {
	char     cluster_name[LW_CONFIG_NAME_LEN]; /**< 1..63 of [A-Za-z0-9._-] */
	uint32_t cluster_id;            /**< nonzero */
	uint32_t heartbeat_us;          /**< membership heartbeat period */
	uint32_t suspect_us;            /**< a node silent this long is suspected */
	uint32_t lease_us;              /**< lease length */
	uint8_t  node_id;               /**< this node, 1..255 */
	uint32_t workers;               /**< 1..32 */
	uint16_t udp_base_port;         /**< worker w uses udp_base_port + w */
	enum lw_poll_mode poll;
	char     socket_path[LW_CONFIG_SOCKET_LEN]; /**< absolute path of the client socket */
	uint32_t max_resources;
	uint32_t max_locks;
	uint32_t max_sessions;
	uint64_t cache_idle_us;
	char     port[LW_CONFIG_PORT_NAME_LEN]; /**< default device to reach peers ("": the only port) */
	uint32_t nb_nodes;              /**< members present */
	struct lw_config_node nodes[LW_CONFIG_MAX_NODES]; /**< nodes[id - 1] */
};

/** Fill c with the defaults; cluster, node id and members are left empty (0). */
void lw_config_defaults(struct lw_config *c);

/**
 * Load and validate the INI file at path into c (defaults first, then the
 * file). On failure c is undefined and err (when not NULL and errlen > 0)
 * holds one line naming the file, the section and the key, e.g.
 * "lockwired.ini: [node] workers = 99: must be 1..32".
 *
 * @return
 *   0 on success;
 *   -ENOENT: path does not exist;
 *   -EACCES, -EISDIR, ...: path cannot be read (the errno of opening it);
 *   -EINVAL: bad syntax, unknown or repeated section or key, missing key,
 *            bad value, this node not among the members, duplicate MAC or IP;
 *   -ENOMEM: out of memory.
 */
int lw_config_load(const char *path, struct lw_config *c, char *err, size_t errlen);

/** The name of a poll mode as written in the file ("busy", "adaptive"). */
const char *lw_config_poll_name(enum lw_poll_mode m);

#endif /* LW_DAEMON_CONFIG_H */
