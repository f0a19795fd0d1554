/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wio.h — a worker's data-plane I/O: protocol messages in and out of one
 * site, over NIC queues to other nodes and over SPSC rings to the other
 * workers of this node.
 *
 * DESIGN
 * struct lw_pio is the node-wide part, built by the control core before the
 * workers start: the ports, the peers (node -> MAC, IPv4, port), and the
 * SPSC rings between every ordered pair of workers: one of protocol
 * messages (sites of one node never use the NIC between them), one of
 * received frames (a frame that arrived on worker a's queue but belongs to
 * worker b: software steering, for ports without rte_flow), and one of
 * frames to transmit (a worker without a queue on a port hands its frames
 * to the worker that has one: worker w uses queue w, or hands to w % nq).
 *
 * struct lw_wio is one worker's part, touched only by that worker's lcore:
 * - send: lw_wio_send() queues each message for its destination site;
 *   lw_wio_flush() (once per poll iteration) packs the queued messages into
 *   frames of up to msgs_per_frame messages and 1432 bytes of them (a
 *   1500-byte MTU), encoded compactly straight into the packet buffer,
 *   hands each to the destination's reliable channel (pktio/channel.h) and
 *   transmits; it also retransmits what the channels say is late, sends
 *   ack-only frames when an ack has waited too long, and drains the
 *   transmit handoff rings. A full channel window leaves messages queued
 *   (push back: lw_wio_busy() tells the caller to stop admitting new client
 *   requests); nothing is dropped.
 * - receive: lw_wio_rx() takes bursts of 32 from this worker's RX queues,
 *   the frame handoff rings and the message rings; every frame is checked
 *   (pktio/frame.h) and dropped with a counted reason when bad; a frame for
 *   another worker is handed to it; acks free the channel's window; the
 *   channel puts data frames in order, exactly once; the messages are
 *   appended to the caller's batch, each checked to come from the site the
 *   frame came from.
 * - heartbeats: lw_wio_heartbeat() sends an unsequenced HEARTBEAT frame to
 *   worker 0 of every peer node; received ones are counted per node.
 * - incarnations: every frame carries this node's incarnation and the
 *   destination's as this worker knows it. Each worker tracks the
 *   incarnation of every peer node on its own (no shared state): the first
 *   one seen is recorded; a higher one means the peer restarted: this
 *   worker's channels to its sites are reset and what was queued or unacked
 *   for them is dropped (peer_restarts, forgot_msgs, forgot_frames) before
 *   the frame is taken; a frame of a lower one is dropped (drops
 *   [LW_FRAME_STALE_INC]). A frame for an earlier incarnation of this node
 *   is dropped too, and when it is a data frame the worker answers with an
 *   ack-only frame (stale_replies) so that the sender, which may have
 *   nothing else coming from this node, learns of the restart.
 *   lw_wio_forget_node() does the same drop and reset when a node leaves
 *   the view, and forgets its incarnation. A node that fenced itself goes
 *   on as a higher incarnation in place (lw_wio_restart): its peers see a
 *   restart, exactly as if the process had started again, so no channel
 *   is ever reset at one end only.
 * - control frames: the control thread (one thread) queues opaque payloads
 *   with lw_pio_ctl_send() on an SPSC ring to worker 0, whose lw_wio_flush
 *   sends each as a CONTROL frame to worker 0 of the peer; the receiving
 *   worker puts each received one on a multi-producer ring that
 *   lw_pio_ctl_recv() drains (a full ring is a counted drop).
 *
 * In the loop: no locks, no syscalls, no logging. Memory is allocated only
 * when a destination site is first used and when a destination's queue
 * outgrows its capacity (both counted); time comes in as ns.
 */
#ifndef LW_WIO_H
#define LW_WIO_H

#include <stdbool.h>
#include <stdint.h>

#include "channel.h"
#include "frame.h"
#include "msg.h"

struct rte_mempool;

#define LW_PIO_MAX_PORTS    8u
#define LW_PIO_MAX_WORKERS  32u
#define LW_PIO_MAX_NODES    256u
#define LW_PIO_BURST        32u
#define LW_PIO_NO_PORT      UINT16_MAX
#define LW_PIO_CTL_MAX      LW_FRAME_CTL_MAX   /**< bytes of a control payload */
#define LW_PIO_CTL_RING     128u               /**< control payloads queued each way */

struct lw_pio;
struct lw_wio;

/** A port as the data plane uses it. */
struct lw_pio_port {
	uint16_t port_id;     /**< DPDK port id */
	uint16_t nb_queues;   /**< RX/TX queue pairs: worker w < nb_queues owns pair w */
};

/** A node of the cluster (the local one included). */
struct lw_pio_node {
	uint8_t  present;
	uint8_t  workers;     /**< its workers (sites) */
	uint8_t  mac[6];
	uint32_t ipv4;        /**< host order */
	uint16_t port;        /**< index in lw_pio_conf.ports to reach it (peers only) */
};

struct lw_pio_conf {
	const char *name;          /**< prefix of ring names, unique in the process */
	uint32_t cluster;
	uint32_t epoch;            /**< view epoch written in frames and expected */
	uint32_t incarnation;      /**< grows with every start of this node; 0: derived
				        from the time of day (tenths of a second) */
	uint8_t  node;             /**< this node */
	uint8_t  nworkers;         /**< this node's workers, 1..32 */
	uint16_t base_port;        /**< UDP port of worker w = base_port + w */
	uint16_t msgs_per_frame;   /**< 1..LW_FRAME_MAX_MSGS; 0: what fits a 1500-byte MTU */
	uint32_t ring_size;        /**< entries of each inter-worker ring (power of 2); 0: 2048 */
	uint32_t busy_msgs;        /**< queued messages that make lw_wio_busy true; 0: 16384 */
	int      socket;           /**< for the rings; SOCKET_ID_ANY allowed */
	unsigned int nb_ports;
	struct lw_pio_port ports[LW_PIO_MAX_PORTS];
	struct lw_pio_node nodes[LW_PIO_MAX_NODES]; /**< by node id */
	struct rte_mempool *pools[LW_PIO_MAX_WORKERS]; /**< frame buffers of each worker */
	struct lw_chan_cfg chan;   /**< every channel's parameters (0: defaults) */
	uint32_t rx_loss_ppm;      /**< test only: drop this share (per million) of received frames */
};

/** Counters of one worker (plain fields: read them racily from another thread). */
struct lw_wio_stats {
	uint64_t rx_frames;         /**< frames taken from queues and handoff rings */
	uint64_t rx_bytes;
	uint64_t tx_frames;         /**< frames handed to the NIC (data, retransmits, acks, heartbeats) */
	uint64_t tx_bytes;
	uint64_t tx_data;           /**< new data frames */
	uint64_t tx_retransmits;
	uint64_t tx_acks;           /**< ack-only frames */
	uint64_t tx_heartbeats;
	uint64_t tx_full;           /**< frames left in the TX buffer after a burst, counted at
				         every burst they wait through (kept, sent later) */
	uint64_t tx_dropped;        /**< frames freed when the NIC stayed full (the channel resends data) */
	uint64_t alloc_fail;        /**< no mbuf: the frame waits for the next flush */
	uint64_t handoff_rx_out;    /**< frames handed to the worker they belong to */
	uint64_t handoff_rx_in;     /**< frames received from another worker's queue */
	uint64_t handoff_tx_out;    /**< frames given to the queue-owning worker to send */
	uint64_t handoff_tx_in;     /**< frames sent for another worker */
	uint64_t handoff_drops;     /**< a handoff ring was full (counted drop; channels resend) */
	uint64_t ring_msgs_tx;      /**< messages to workers of this node */
	uint64_t ring_msgs_rx;
	uint64_t msgs_rx;           /**< messages delivered to the site (all sources) */
	uint64_t msgs_tx;           /**< messages accepted by lw_wio_send */
	uint64_t bad_msgs;          /**< a message not from the frame's site or not for this one */
	uint64_t multiseg;          /**< chained mbufs: dropped */
	uint64_t rx_injected;       /**< frames dropped by rx_loss_ppm (fault injection) */
	uint64_t queued;            /**< messages waiting for a window or a ring now */
	uint64_t queued_max;
	uint64_t queue_grow;        /**< a destination's queue grew (allocation) */
	uint64_t lost;              /**< messages that could not be queued (out of memory) */
	uint64_t peers;             /**< destination sites set up */
	uint64_t peer_restarts;     /**< a peer node's incarnation went up: its channels reset */
	uint64_t restarts;          /**< this node went on as a higher incarnation (lw_wio_restart) */
	uint64_t forgot_msgs;       /**< queued messages dropped (peer restart, lw_wio_forget_node) */
	uint64_t forgot_frames;     /**< unacked frames dropped with them */
	uint64_t stale_replies;     /**< ack-only answers to frames for an earlier us */
	uint64_t tx_ctl;            /**< CONTROL frames sent (worker 0) */
	uint64_t rx_ctl;            /**< CONTROL frames handed to the control thread */
	uint64_t ctl_drops;         /**< CONTROL frames dropped: the ring to the control thread was full */
	uint64_t heartbeats_rx[LW_PIO_MAX_NODES]; /**< by source node */
	uint64_t heartbeat_ns[LW_PIO_MAX_NODES];  /**< time of the last one */
	struct lw_frame_drops drops;             /**< by reason; [LW_FRAME_OK] counts accepted */
	struct lw_msg_counters msgs;             /**< by type, on the wire and on rings */
	struct lw_chan_stats chan;               /**< the sum over this worker's channels (at flush) */
};

/**
 * Build the node-wide part: check conf, create the 3 x nworkers^2 rings.
 * @return the handle, or NULL with errno: EINVAL (bad conf: no such node,
 *   a peer with no port, a port index out of range, nworkers 0 or > 32,
 *   msgs_per_frame too large), ENOMEM, EEXIST (ring names in use).
 */
struct lw_pio *lw_pio_create(const struct lw_pio_conf *conf);

/** Free the rings (after every lw_wio is freed). NULL is ignored. */
void lw_pio_free(struct lw_pio *p);

/** Change the epoch written in and expected of frames (view change). */
void lw_pio_set_epoch(struct lw_pio *p, uint32_t epoch);

/** This node's incarnation (conf.incarnation, or the one derived from 0). */
uint32_t lw_pio_incarnation(const struct lw_pio *p);

/**
 * Control thread: queue len bytes of buf for the control thread of node
 * (sent by worker 0's next lw_wio_flush, unsequenced: it may be lost).
 * @return 0; -EINVAL: node not a peer in the configuration, buf NULL, len 0
 *   or above LW_PIO_CTL_MAX; -ENOBUFS: LW_PIO_CTL_RING payloads wait already.
 */
int lw_pio_ctl_send(struct lw_pio *p, unsigned int node, const void *buf, uint16_t len);

/**
 * Control thread: take one received control payload: *src_node is the node
 * that sent it, buf (room for LW_PIO_CTL_MAX bytes) its bytes, *len their
 * count. @return 1: one was taken; 0: none waits.
 */
int lw_pio_ctl_recv(struct lw_pio *p, uint8_t *src_node, void *buf, uint16_t *len);

/**
 * One worker's I/O. @return NULL with errno EINVAL (worker >= nworkers)
 * or ENOMEM.
 */
struct lw_wio *lw_wio_create(struct lw_pio *p, unsigned int worker);

/** Free it (the caller's lcore has stopped using it). NULL is ignored. */
void lw_wio_free(struct lw_wio *w);

/**
 * Poll: RX queues, frame handoff rings, message rings. Messages for this
 * site are appended to in, in the order each source sent them.
 * @return the number of messages appended.
 */
unsigned int lw_wio_rx(struct lw_wio *w, uint64_t now, struct lw_msgbuf *in);

/**
 * Queue n messages, each for the site in its h.dst (another node's site,
 * or another worker of this node). Messages are never dropped: when out of
 * memory they are counted in lost.
 * @return the number queued (n unless memory ran out).
 */
unsigned int lw_wio_send(struct lw_wio *w, const struct lw_msg *m, unsigned int n,
			 uint64_t now);

/** Frames out: queued messages, retransmissions, acks, handoffs. */
void lw_wio_flush(struct lw_wio *w, uint64_t now);

/** Send a HEARTBEAT (number count) to worker 0 of every peer node. */
void lw_wio_heartbeat(struct lw_wio *w, uint64_t now, uint32_t count);

/**
 * node left the view: drop what is queued or unacked for its sites (counted
 * in forgot_msgs, forgot_frames), reset this worker's channels to them and
 * forget its incarnation (its next frame is taken whatever its
 * incarnation). Later sends to it are queued again (it may rejoin).
 * This node or a node out of range: nothing happens.
 */
void lw_wio_forget_node(struct lw_wio *w, unsigned int node);

/**
 * A view dropped node's incarnation as this worker knew it; back_inc is
 * the incarnation the same view has it back with (0: not a member). When
 * this worker already talks to back_inc (it learned it from a frame), the
 * channels are the new run's and stay; otherwise as lw_wio_forget_node.
 * Forgetting a channel the new run already uses would reset it at this end
 * only: the peer's next seq would never be the one expected.
 */
void lw_wio_node_lost(struct lw_wio *w, unsigned int node, uint32_t back_inc);

/**
 * This node fenced itself (its lease ran out, or it leaves) and goes on as
 * incarnation inc: every peer's channels are reset, what was queued or
 * unacked for them dropped and their incarnations forgotten, as for
 * lw_wio_forget_node; when inc is above this worker's incarnation, its
 * frames carry inc from now on (counted in restarts) and a frame for an
 * earlier one is stale (a data frame is answered, so that its sender
 * resets its channels too). Each worker of the node makes this call itself.
 */
void lw_wio_restart(struct lw_wio *w, uint32_t inc);

/** This node's incarnation as this worker sends it (lw_pio_incarnation, or lw_wio_restart's). */
uint32_t lw_wio_incarnation(const struct lw_wio *w);

/** The incarnation of node as this worker knows it; 0: not known. */
uint32_t lw_wio_peer_inc(const struct lw_wio *w, unsigned int node);

/** true when so many messages wait that new client requests should wait too. */
bool lw_wio_busy(const struct lw_wio *w);

/** true when nothing waits to be sent or acked (every channel drained). */
bool lw_wio_idle(const struct lw_wio *w);

/** The earliest time lw_wio_flush has timed work (UINT64_MAX: none). */
uint64_t lw_wio_next_deadline(const struct lw_wio *w);

/** This worker's counters. */
const struct lw_wio_stats *lw_wio_stats(const struct lw_wio *w);

#endif /* LW_WIO_H */
