/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lockwired.c — the lockwire node daemon.
 *
 *   lockwired [EAL options] -- --config FILE [--driver SPEC] [--driver-out PREFIX]
 *                              [--cache-idle-us N]
 *
 * DESIGN
 * Start-up, in order, each step with a clear message and exit code when it
 * fails: EAL (rte_eal_init), the options after "--", the configuration
 * (daemon/config.h; exit 2), the lcores (one per worker besides the main
 * one; exit 2), the topology and placement (numa/), one mbuf pool per
 * socket, the ports that reach the peers ([node] port / [node.N] port;
 * exit 3 when missing or failing), the static bucket map of every member's
 * sites, the node-wide pktio part and one worker per worker lcore, the
 * client socket (exit 4 when a live process holds it), telemetry. Then the
 * workers run (worker.c) and the main lcore runs the control loop
 * (control.c) until SIGINT or SIGTERM, after which workers stop and their
 * state is freed (exit 0); ports stay up until the process ends (see
 * stop_all).
 *
 * Exit codes: 0 clean shutdown, 1 other errors, 2 bad arguments or
 * configuration, 3 a port missing or failing, 4 the socket path is taken.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include "node.h"
#include "place.h"
#include "pool.h"
#include "port.h"
#include "topo.h"

RTE_LOG_REGISTER(lw_logtype_daemon, lockwire.daemon, INFO);

#define EXIT_ARGS   2
#define EXIT_PORT   3
#define EXIT_SOCKET 4
#define NB_MBUFS    8191u

static struct lw_node node;
static struct rte_mempool *pools[LW_TOPO_MAX_SOCKETS];
static long long cache_idle_us = -1;   /* --cache-idle-us: overrides the file */
static uint32_t rx_loss_ppm;            /* --rx-loss: fault injection */

static void
on_signal(int sig)
{
	(void)sig;
	/* the control loop leaves the cluster cleanly, then stops everything;
	 * a second signal stops at once */
	if (node.stop_req)
		node.stop = 1;
	node.stop_req = 1;
}

static void
usage(const char *prog)
{
	printf("usage: %s [EAL options] -- --config FILE [--driver SPEC] [--driver-out PREFIX]\n"
	       "  --config FILE        the node's INI file (see daemon/examples/)\n"
	       "  --driver SPEC        built-in load in every worker: key=value,... (resources,\n"
	       "                       ops, seconds, outstanding, ex, convert, noqueue, hold-us,\n"
	       "                       lvb, remote, local, log, only-node, seed, delay)\n"
	       "  --driver-out PREFIX  write the driver's results to PREFIX.nN.wW.json (+ .dlog)\n"
	       "  --cache-idle-us N    give back cached modes unused for N us (overrides the file;\n"
"                       1: practically no caching)\n"
	       "  --rx-loss PPM        test only: drop PPM per million received frames (lossy\n"
	       "                       links where tc netem is missing; counted as injected)\n"
	       "  --help               this text\n", prog);
}

static int
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "driver", required_argument, NULL, 'd' },
		{ "driver-out", required_argument, NULL, 'o' },
		{ "cache-idle-us", required_argument, NULL, 'i' },
		{ "rx-loss", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[256];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			node.config_path = optarg;
			break;
		case 'd':
			if (lw_driver_parse(&node.drv, optarg, err, sizeof(err)) != 0) {
				fprintf(stderr, "lockwired: %s\n", err);
				return -EINVAL;
			}
			break;
		case 'o':
			node.drv_out = optarg;
			break;
		case 'i': {
			char *end;

			errno = 0;
			cache_idle_us = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || cache_idle_us < 0 ||
			    cache_idle_us > (long long)LW_CONFIG_MAX_CACHE_IDLE_US) {
				fprintf(stderr, "lockwired: --cache-idle-us %s: must be 0..%llu\n",
					optarg, (unsigned long long)LW_CONFIG_MAX_CACHE_IDLE_US);
				return -EINVAL;
			}
			break;
		}
		case 'l': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '-' || v > 1000000) {
				fprintf(stderr, "lockwired: --rx-loss %s: must be 0..1000000\n", optarg);
				return -EINVAL;
			}
			rx_loss_ppm = (uint32_t)v;
			break;
		}
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lockwired: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (node.config_path == NULL) {
		fprintf(stderr, "lockwired: --config FILE is required (after --)\n");
		return -EINVAL;
	}
	return 0;
}

/* Ports: one per distinct device named for the peers; peers' port indexes. */
static int
setup_ports(struct lw_pio_conf *pc, const struct lw_placement *pl)
{
	struct lw_config *cfg = &node.cfg;
	unsigned int id, i;

	for (id = 1; id <= LW_CONFIG_MAX_NODES; id++) {
		const struct lw_config_node *m = &cfg->nodes[id - 1];
		const char *dev = m->port[0] ? m->port : cfg->port;
		struct lw_port_conf c;
		struct lw_port_info info;
		char err[256];
		uint16_t pid;
		int rc;

		if (!m->present || id == cfg->node_id)
			continue;
		if (dev[0] == '\0') {
			if (rte_eth_dev_count_avail() != 1) {
				fprintf(stderr, "lockwired: %s: no port names how to reach node %u "
					"([node] port or [node.%u] port) and there are %u ports\n",
					node.config_path, id, id, rte_eth_dev_count_avail());
				return -ENODEV;
			}
			RTE_ETH_FOREACH_DEV(pid)
				break;
		} else if (lw_port_by_name(dev, &pid) != 0) {
			fprintf(stderr, "lockwired: port '%s' (to reach node %u) does not exist: "
				"give it with an EAL --vdev or -a option\n", dev, id);
			return -ENODEV;
		}
		for (i = 0; i < pc->nb_ports; i++)
			if (pc->ports[i].port_id == pid)
				break;
		pc->nodes[id].port = (uint16_t)i;
		if (i < pc->nb_ports)
			continue;
		if (pc->nb_ports == LW_PIO_MAX_PORTS) {
			fprintf(stderr, "lockwired: more than %u ports\n", LW_PIO_MAX_PORTS);
			return -ENOSPC;
		}
		memset(&c, 0, sizeof(c));
		c.port_id = pid;
		c.nb_queues = (uint16_t)node.nworkers;
		c.pool = pools[pl->workers[0].socket];
		c.promisc = 1;
		c.udp_base_port = cfg->udp_base_port;
		rc = lw_port_setup(&c, &info, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "lockwired: %s\n", err);
			return rc;
		}
		LW_LOG(INFO, "port %u %s (%s): %u queue pairs, %s steering, mtu %u", pid,
		       info.name, info.driver, info.nb_queues,
		       info.steered ? "rte_flow" : "software", info.mtu);
		pc->ports[pc->nb_ports].port_id = pid;
		pc->ports[pc->nb_ports].nb_queues = info.nb_queues;
		node.ports[pc->nb_ports] = pid;
		pc->nb_ports++;
		node.nports = pc->nb_ports;
	}
	return 0;
}

/* The bucket map over every member's sites, and the pktio members. */
static int
setup_map(struct lw_pio_conf *pc)
{
	static uint16_t sites[LW_MAX_SITES];
	const struct lw_config *cfg = &node.cfg;
	unsigned int id, w, n = 0;

	for (id = 1; id <= LW_CONFIG_MAX_NODES; id++) {
		const struct lw_config_node *m = &cfg->nodes[id - 1];

		if (!m->present)
			continue;
		node.members[id].present = 1;
		pc->nodes[id].present = 1;
		pc->nodes[id].workers = (uint8_t)m->workers;
		memcpy(pc->nodes[id].mac, m->mac, 6);
		pc->nodes[id].ipv4 = m->ipv4;
		for (w = 0; w < m->workers; w++) {
			if (n == LW_MAX_SITES) {
				fprintf(stderr, "lockwired: %s: more than %u sites in the cluster\n",
					node.config_path, LW_MAX_SITES);
				return -ENOSPC;
			}
			sites[n++] = lw_site_id(id, w);
		}
	}
	return lw_map_static(&node.map, node.epoch, sites, n);
}

static int
start(void)
{
	static struct lw_topo topo;
	static struct lw_placement pl;
	static struct lw_pio_conf pc;
	unsigned int i;
	int rc;

	if (rte_lcore_count() < node.nworkers + 1) {
		fprintf(stderr, "lockwired: %u workers need %u lcores (the main one + one per "
			"worker); EAL gave %u: use -l or --lcores\n", node.nworkers,
			node.nworkers + 1, rte_lcore_count());
		return EXIT_ARGS;
	}
	if ((rc = lw_topo_discover(&topo)) != 0 || (rc = lw_place(&topo, node.nworkers, &pl)) != 0) {
		fprintf(stderr, "lockwired: placing %u workers: %s\n", node.nworkers,
			strerror(-rc));
		return EXIT_ARGS;
	}
	rc = lw_socket_pools_create(&pl, "lw", NB_MBUFS, pools);
	if (rc != 0) {
		fprintf(stderr, "lockwired: mbuf pools: %s\n", strerror(-rc));
		return 1;
	}
	pc.name = "lw";
	pc.cluster = node.cfg.cluster_id;
	pc.epoch = node.epoch;
	pc.incarnation = node.incarnation;
	pc.rx_loss_ppm = rx_loss_ppm;
	pc.node = node.cfg.node_id;
	pc.nworkers = (uint8_t)node.nworkers;
	pc.base_port = node.cfg.udp_base_port;
	pc.socket = (int)pl.workers[0].socket;
	for (i = 0; i < node.nworkers; i++)
		pc.pools[i] = pools[pl.workers[i].socket];
	if (setup_map(&pc) != 0)
		return EXIT_ARGS;
	if (setup_ports(&pc, &pl) != 0)
		return EXIT_PORT;
	node.pio = lw_pio_create(&pc);
	if (node.pio == NULL) {
		fprintf(stderr, "lockwired: data plane set-up: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < node.nworkers; i++) {
		rc = lw_worker_setup(&node, i, pl.workers[i].lcore);
		if (rc != 0) {
			fprintf(stderr, "lockwired: worker %u: %s\n", i, strerror(-rc));
			return 1;
		}
	}
	rc = lw_view_setup(&node);
	if (rc != 0) {
		fprintf(stderr, "lockwired: membership set-up: %s\n", strerror(-rc));
		return 1;
	}
	rc = lw_control_listen(&node);
	if (rc != 0) {
		fprintf(stderr, "lockwired: client socket %s: %s\n", node.cfg.socket_path,
			rc == -EADDRINUSE ? "in use by a running process" : strerror(-rc));
		return EXIT_SOCKET;
	}
	if (lw_telemetry_register(&node) != 0 || lw_sessions_telemetry(&node) != 0)
		LW_LOG(WARNING, "telemetry commands not registered");
	snprintf(node.telemetry_link, sizeof(node.telemetry_link), "%s.telemetry",
		 node.cfg.socket_path);
	{
		char target[4096];

		snprintf(target, sizeof(target), "%s/dpdk_telemetry.v2", rte_eal_get_runtime_dir());
		unlink(node.telemetry_link);
		if (symlink(target, node.telemetry_link) != 0)
			LW_LOG(WARNING, "symlink %s: %s", node.telemetry_link, strerror(errno));
	}
	return 0;
}

static void
stop_all(bool running)
{
	unsigned int i;

	node.stop = 1;
	rte_eal_mp_wait_lcore();
	lw_control_close(&node);
	lw_sessions_fini(&node);
	lw_view_free(&node);
	for (i = 0; i < node.nworkers; i++) {
		lw_worker_free(node.workers[i]);
		node.workers[i] = NULL;
	}
	if (!running) {
		for (i = 0; i < node.nports; i++)
			lw_port_close(node.ports[i]);
		lw_pio_free(node.pio);
		lw_socket_pools_free(pools);
	}
	/*
	 * After a run the ports stay up until the process ends, with their
	 * pools and rings: stopping or closing a memif port (which EAL cleanup
	 * also does) races the EAL interrupt thread serving a peer that
	 * disconnects at the same moment, a SEGV seen when a whole cluster
	 * stops at once. The kernel takes back the memory, the memif sockets
	 * and the tap devices when the process exits.
	 */
}

int
main(int argc, char **argv)
{
	char err[512];
	unsigned int i;
	int rc, code;

	node.listen_fd = -1;
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "lockwired: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return EXIT_ARGS;
	}
	argc -= rc;
	argv += rc;
	argv[0] = (char *)"lockwired";
	if (parse_args(argc, argv) != 0) {
		rte_eal_cleanup();
		return EXIT_ARGS;
	}
	rc = lw_config_load(node.config_path, &node.cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "lockwired: %s\n", err);
		rte_eal_cleanup();
		return EXIT_ARGS;
	}
	if (cache_idle_us >= 0)
		node.cfg.cache_idle_us = (uint64_t)cache_idle_us;
	node.nworkers = node.cfg.workers;
	node.epoch = 0;                    /* views start at 1 (view.c) */
	node.incarnation = lw_view_new_incarnation();
	node.hb_interval_ns = 10000000u;   /* 10 ms */
	lw_clock_init();
	node.start_ns = lw_now_ns();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	code = start();
	if (code != 0) {
		stop_all(false);
		rte_eal_cleanup();
		return code;
	}
	for (i = 0; i < node.nworkers; i++)
		rte_eal_remote_launch(lw_worker_main, node.workers[i], node.workers[i]->lcore);
	printf("lockwired: node %u ready (cluster %s, %u workers, %u ports, socket %s)\n",
	       node.cfg.node_id, node.cfg.cluster_name, node.nworkers, node.nports,
	       node.cfg.socket_path);
	fflush(stdout);
	lw_control_loop(&node);
	LW_LOG(NOTICE, "shutting down");
	stop_all(true);
	printf("lockwired: node %u stopped\n", node.cfg.node_id);
	return 0;
}
