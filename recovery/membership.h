/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * membership.h — membership, views and leases of one node, sans-IO.
 *
 * DESIGN
 * One struct lw_ms per node, owned by the control core. Inputs: messages
 * from peer nodes (lw_ms_receive, opaque bytes) and time (lw_ms_tick).
 * Outputs: messages to send (lw_ms_take_out), newly installed views
 * (lw_ms_take_view) and the lease (lw_ms_lease_until, lw_ms_fenced).
 * Nothing here does I/O or reads a clock; every call takes `now` in ns.
 *
 * Messages may be lost, duplicated or reordered: everything is resent
 * periodically and every handler is idempotent. Views are decided by a
 * leader (the lowest live node id that sees a majority of the configured
 * nodes) in two phases, PROPOSE/ACK then COMMIT; every view needs the
 * acknowledgement of all its members, which are a majority. A member's
 * lease is renewed by heartbeat echoes from a majority; peers stop echoing
 * a node before they acknowledge a view without it, so a view that loses a
 * node is installed only after that node's lease is sure to run out by
 * fence_until. docs/membership.md has the protocol and the timing argument.
 *
 * A node that shuts down cleanly calls lw_ms_leave after it stopped
 * granting: it then announces it in every heartbeat, and the others drop it
 * at once, with no lease wait (its lost entry comes with no fence_until).
 *
 * Limits: at most LW_MS_MAX_CONF configured nodes (a whole view fits one
 * message of LW_MS_MSG_MAX bytes). The incarnations of a node must grow
 * (a persistent start counter, or the start time in ns): messages from an
 * older incarnation than the last one heard are ignored.
 */
#ifndef LW_MEMBERSHIP_H
#define LW_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_MS_MSG_MAX   1200u   /**< largest message, bytes */
#define LW_MS_MAX_CONF   220u   /**< configured nodes at most */
#define LW_MS_OUT_MAX   1024u   /**< messages kept for lw_ms_take_out; more are dropped */

/** Node sets: bit n of word n / 64 is node n (1..255). */
static inline bool
lw_ms_has(const uint64_t set[4], unsigned int node)
{
	return node < 256 && (set[node >> 6] >> (node & 63) & 1u);
}

static inline void
lw_ms_add(uint64_t set[4], unsigned int node)
{
	if (node < 256)
		set[node >> 6] |= 1ull << (node & 63);
}

/** Configuration; zero timing fields take the defaults. */
struct lw_ms_conf {
	uint8_t  self;                 /**< this node's id, 1..255, configured */
	uint64_t nodes[4];             /**< configured node ids */
	uint32_t incarnation;          /**< this process (nonzero); new on every start */
	uint64_t hb_interval_ns;       /**< heartbeat period (default 2 ms) */
	uint64_t suspect_ns;           /**< silence that makes a node suspected (default 30 ms) */
	uint64_t lease_ns;             /**< lease length (default 30 ms) */
	uint64_t lease_margin_ns;      /**< drift and lease delivery delay (default 2 ms + lease / 8) */
	uint64_t propose_timeout_ns;   /**< a proposal not acked by then is retried (default 4 * hb) */
};

/** One message to send. */
struct lw_ms_out {
	uint8_t  dst;                  /**< destination node */
	uint8_t  rsvd;
	uint16_t len;
	uint8_t  buf[LW_MS_MSG_MAX];
};

/** An installed view, as lw_ms_take_view hands it out. */
struct lw_ms_view {
	uint32_t epoch;
	uint8_t  leader;               /**< the node that committed it */
	uint8_t  rsvd[3];
	uint64_t members[4];
	uint32_t inc[256];             /**< incarnation of each member (0 elsewhere) */
	uint8_t  owner[256];           /**< configured node -> the member owning its buckets (0: not configured);
					    from the member set alone: members own themselves, the others go in
					    ascending order to the member owning fewest (ties: lowest id) */
	uint64_t lost[4];              /**< members of the view installed before that are gone or came back
					    with another incarnation (accumulated over views not taken) */
	uint64_t fence_until;          /**< install + lease + margin when lost holds a node that did not
					    leave cleanly, else 0 */
	uint64_t installed_ns;         /**< now when installed */
	uint64_t left[4];              /**< the nodes of lost that left cleanly (lw_ms_leave): they had
					    stopped granting, so they need no fence_until */
};

/** State of a node as this node sees it. */
enum lw_ms_node_state {
	LW_MS_NODE_NONE = 0,           /**< not configured */
	LW_MS_NODE_CONFIGURED,         /**< never heard */
	LW_MS_NODE_ALIVE,              /**< heard within suspect_ns */
	LW_MS_NODE_SUSPECTED,          /**< heard once, silent for suspect_ns or longer */
	LW_MS_NODE_MEMBER,             /**< alive and in the installed view with this incarnation */
	LW_MS_NODE_SHUNNED,            /**< this incarnation was excluded from a view: ignored */
	LW_MS_NODE_LEFT,               /**< this incarnation left cleanly: ignored */
};

/** Phase of this node. */
enum lw_ms_phase {
	LW_MS_PHASE_NONE = 0,          /**< no view installed */
	LW_MS_PHASE_PROPOSING,         /**< leader with a proposal out */
	LW_MS_PHASE_INSTALLED,         /**< in a view */
	LW_MS_PHASE_FENCED,            /**< lease ran out: waiting for lw_ms_rejoin */
	LW_MS_PHASE_LEAVING,           /**< lw_ms_leave called */
};

/** "none", "configured", ..., "left"; "?" out of range. */
const char *lw_ms_node_state_name(int state);
/** "none", "proposing", "installed", "fenced", "leaving"; "?" out of range. */
const char *lw_ms_phase_name(int phase);

struct lw_ms_node_info {
	uint8_t  state;                /**< enum lw_ms_node_state */
	uint8_t  rsvd[3];
	uint32_t inc;                  /**< last incarnation heard (self: ours) */
	uint32_t epoch;                /**< installed epoch it last reported */
	uint64_t heard_ns;             /**< last heartbeat (0: never) */
	uint64_t echo_ns;              /**< our send time it echoed last (lease input) */
};

struct lw_ms_info {
	uint8_t  self, leader, phase;  /**< leader: as this node sees it (0: none) */
	uint8_t  rsvd;
	uint32_t incarnation;
	uint32_t epoch;                /**< installed view (0: none) */
	uint32_t max_epoch;            /**< highest epoch seen */
	uint64_t members[4];           /**< installed view */
	uint64_t lease_until;
	struct lw_ms_node_info node[256];
	uint64_t hb_tx, hb_rx;
	uint64_t proposals;            /**< proposals made as leader */
	uint64_t acks_tx, acks_rx, refusals_tx, refusals_rx;
	uint64_t commits_tx, commits_rx;
	uint64_t views;                /**< views installed */
	uint64_t bad_msgs;             /**< malformed, wrong size, unknown source */
	uint64_t out_drops;            /**< messages dropped because the output queue was full */
	uint64_t fences;
};

struct lw_ms;

/**
 * Create the membership of one node. @return the handle, or NULL with errno
 * EINVAL (self not configured, more than LW_MS_MAX_CONF nodes, node 0
 * configured, incarnation 0) or ENOMEM.
 */
struct lw_ms *lw_ms_create(const struct lw_ms_conf *conf, uint64_t now);
void lw_ms_free(struct lw_ms *ms);

/**
 * A message from node src. @return 0 (including duplicates and stale
 * messages, which are ignored); -EBADMSG (counted in bad_msgs): malformed,
 * wrong length, unknown or unconfigured source, source that differs from
 * the header's. Never trusts a length.
 */
int lw_ms_receive(struct lw_ms *ms, uint8_t src, const void *buf, size_t len, uint64_t now);

/** Heartbeats due, suspicion, proposals, resends, lease and fencing. */
void lw_ms_tick(struct lw_ms *ms, uint64_t now);

/** The next time lw_ms_tick has something to do. */
uint64_t lw_ms_next_deadline(const struct lw_ms *ms);

/** Move up to max messages to send into out. @return how many. */
unsigned int lw_ms_take_out(struct lw_ms *ms, struct lw_ms_out *out, unsigned int max);

/**
 * The view installed since the last call, if any. @return true once per new
 * view; when several were installed in between, the newest, with lost the
 * union of their lost sets and fence_until the latest.
 */
bool lw_ms_take_view(struct lw_ms *ms, struct lw_ms_view *v);

/**
 * The node may grant while now < lease_until. @return 0 before the first
 * lease of the current view membership (no view yet, or no echoes yet).
 */
uint64_t lw_ms_lease_until(const struct lw_ms *ms);

/**
 * The lease ran out while in a view (or a newly installed member got no
 * lease within lease_ns, or the node learned it was excluded). The node
 * sends nothing until lw_ms_rejoin. The caller fences its sites first.
 */
bool lw_ms_fenced(const struct lw_ms *ms);

/**
 * Leave the cluster cleanly. The caller has already stopped granting (its
 * sites are fenced). From now on the lease is 0, the node echoes nobody,
 * never proposes or accepts, never fences, and tells every configured node
 * it is leaving in each heartbeat (resent every hb_interval) until
 * lw_ms_left. The others drop this incarnation at once (no suspect_ns wait)
 * and install a view without it whose fence_until does not wait for it.
 * lw_ms_rejoin (a new incarnation) is still allowed afterwards.
 * @return 0; -EINVAL when already leaving, or fenced (a fenced node has no
 * lease and says nothing: the daemon just exits, the others see a crash).
 */
int lw_ms_leave(struct lw_ms *ms, uint64_t now);

/**
 * After lw_ms_leave: a view above the installed one and without this
 * incarnation is committed (a member answers each leaving heartbeat with
 * the COMMIT of its view once that view excludes us), or no view can ever
 * hold us (we never installed or accepted one). The daemon may exit; it
 * should also give up after a timeout (no majority left to commit a view).
 * The node then sends nothing more.
 */
bool lw_ms_left(const struct lw_ms *ms);

/**
 * Forget the view and join again as incarnation inc (above the current
 * one). Allowed at any time. @return 0 or -EINVAL.
 */
int lw_ms_rejoin(struct lw_ms *ms, uint32_t inc, uint64_t now);

void lw_ms_info(const struct lw_ms *ms, struct lw_ms_info *info);

#endif /* LW_MEMBERSHIP_H */
