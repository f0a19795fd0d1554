#!/usr/bin/env bash
# cluster.sh — run a lockwire cluster on this machine: N lockwired processes
# without hugepages, linked by a memif mesh (one link per node pair) or by
# taps on a Linux bridge, everything kept in one directory.
#
#   scripts/cluster.sh start --nodes N [--transport memif|tap] [--workers W]
#                            [--dir DIR] [--build BUILDDIR] [--timeout S]
#                            [--daemon-args "ARGS"]
#   scripts/cluster.sh stop [--dir DIR]
#   scripts/cluster.sh status [--dir DIR]
#   scripts/cluster.sh kill K [--dir DIR]
#   scripts/cluster.sh restart K [--dir DIR] [--timeout S]
#   scripts/cluster.sh netem K "SPEC"|off [--dir DIR]      (tap only)
#   scripts/cluster.sh cut K | heal K [--dir DIR]           (tap only)
#
# Defaults: memif, W=1, DIR=/tmp/lockwire-cluster, BUILDDIR=build/release
# (set up and built when lockwired or lwctl is missing), S=30 seconds.
# start writes DIR/nodeK.ini and starts node K (log DIR/nodeK.log, pid
# DIR/nodeK.pid, exit code DIR/nodeK.exit once it ends), waits until every
# node printed its ready line and reports all N members up (lwctl status),
# then prints "node K socket DIR/nodeK.sock" per node. On a timeout or an
# early exit it shows the failing node's log, stops everything, exits 1.
# ARGS (split at spaces) go after "--config FILE" on each daemon's line.
# stop: SIGTERM, up to 10 s, then SIGKILL; says per node how it ended;
# removes the bridge, taps, memif sockets and DPDK runtime directories.
# Idempotent. Exit 0 when every node it stopped exited with 0 (or nothing
# ran), else 1. status: per node, whether it runs and its lwctl status
# (status also takes --build); exit 0 when all run. kill K: SIGKILL node K
# (a crash; its exit code is recorded). restart K: start node K again with
# its configuration and wait until it is ready and every running node sees
# all running members up; prints "node K socket ...". netem K SPEC: tc
# netem on node K's tap (SPEC as tc takes it, e.g. "loss 5%"; every frame
# to node K goes through it, so one on every node drops that share of all
# traffic); netem K off removes it. cut K: take node K's tap out of the
# bridge (a partition: K alone on one side); heal K: put it back.
# tap needs root. Names (bridge, taps, DPDK file prefixes) carry a hash of DIR.
# LW_SUSPECT_US and LW_LEASE_US, when set, go into every node's [cluster].
set -euo pipefail

SELF=$(realpath "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
STOP_WAIT=10            # seconds between SIGTERM and SIGKILL
SUN_MAX=107             # sockaddr_un path, without its NUL

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

usage_error() {
	echo "cluster.sh: $* (try --help)" >&2
	exit 2
}

say() {
	echo "cluster.sh: $*" >&2
}

# ---- names derived from DIR -------------------------------------------------

# set_names DIR — globals for DIR: HASH, BRIDGE, CLUSTER_NAME, CLUSTER_ID.
set_names() {
	DIR=$1
	HASH=$(printf %s "$DIR" | md5sum | cut -c1-6)
	BRIDGE=lwbr$HASH                       # 10 characters
	CLUSTER_NAME=$(basename "$DIR" | tr -c 'A-Za-z0-9._\n-' '-' | cut -c1-63)
	[[ $CLUSTER_NAME =~ [A-Za-z0-9] ]] || CLUSTER_NAME=lockwire
	CLUSTER_ID=$(($(printf %s "$DIR" | cksum | cut -d' ' -f1) % 2147483646 + 1))
}

tap_name() { echo "lwtp$HASH$1"; }          # at most 13 characters
prefix_name() { echo "lw-$HASH-n$1"; }
node_mac() { printf '02:00:0a:4d:00:%02x' "$1"; }
tap_kernel_mac() { printf '02:00:0a:4d:01:%02x' "$1"; }
memif_sock() {
	local a=$1 b=$2
	[ "$a" -lt "$b" ] || { a=$2; b=$1; }
	echo "$DIR/memif-$a-$b.sock"
}

# DPDK's runtime directory for a file prefix, as EAL chooses it.
runtime_dir() {
	local base
	if [ -n "${RUNTIME_DIRECTORY:-}" ]; then
		base=$RUNTIME_DIRECTORY
	elif [ "$EUID" -eq 0 ]; then
		base=/var/run
	else
		base=${XDG_RUNTIME_DIR:-/tmp}
	fi
	echo "$base/dpdk/$1"
}

# ---- state of the nodes -----------------------------------------------------

# The node ids of DIR: from cluster.env, else from the files found there.
node_ids() {
	local n f k
	n=$(env_get nodes)
	if [ -n "$n" ]; then
		seq 1 "$n"
		return
	fi
	for f in "$DIR"/node*.pid "$DIR"/node*.ini; do
		[ -e "$f" ] || continue
		k=${f##*/node}
		k=${k%.*}
		[[ $k =~ ^[0-9]+$ ]] && echo "$k"
	done | sort -nu
}

env_get() {
	[ -f "$DIR/cluster.env" ] || return 0
	sed -n "s/^$1=//p" "$DIR/cluster.env" | tail -n 1
}

# The pid of node K when it runs (and is ours), else nothing; status 1 then.
node_pid() {
	local k=$1 pid cmd
	[ -f "$DIR/node$k.pid" ] || return 1
	pid=$(cat "$DIR/node$k.pid" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	# empty for a zombie: the daemon has ended
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	[[ $cmd == *"--config $DIR/node$k.ini "* ]] || return 1
	echo "$pid"
}

# How node K ended, from DIR/nodeK.exit ("" when unknown).
exit_text() {
	local rc
	rc=$(cat "$DIR/node$1.exit" 2>/dev/null) || return 0
	case $rc in
	0) echo "exited cleanly (0)" ;;
	1) echo "exited with 1 (error)" ;;
	2) echo "exited with 2 (bad arguments or configuration)" ;;
	3) echo "exited with 3 (a port missing or failing)" ;;
	4) echo "exited with 4 (socket path held by a live process)" ;;
	*)
		if [ "$rc" -gt 128 ] 2>/dev/null; then
			echo "killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null || echo ?))"
		else
			echo "exited with $rc"
		fi
		;;
	esac
}

log_tail() {
	local k=$1
	echo "---- node $k: last lines of $DIR/node$k.log" >&2
	if [ -s "$DIR/node$k.log" ]; then
		tail -n 25 "$DIR/node$k.log" | sed 's/^/  | /' >&2
	else
		echo "  (empty)" >&2
	fi
}

# ---- stopping and cleaning --------------------------------------------------

# stop_nodes QUIET — SIGTERM every running node, SIGKILL after STOP_WAIT s,
# then say how each ended (unless QUIET=1). Status 1 when one did not exit 0.
stop_nodes() {
	local quiet=$1 k pid bad=0 t
	local -A pids=() killed=() was=()
	for k in $(node_ids); do
		if pid=$(node_pid "$k"); then
			pids[$k]=$pid
			was[$k]=1
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
	for ((t = 0; t < STOP_WAIT * 10; t++)); do
		for k in "${!pids[@]}"; do
			node_pid "$k" >/dev/null || unset "pids[$k]"
		done
		[ ${#pids[@]} -eq 0 ] && break
		sleep 0.1
	done
	for k in "${!pids[@]}"; do
		say "node $k: still running after ${STOP_WAIT} s, sending SIGKILL"
		kill -KILL "${pids[$k]}" 2>/dev/null || true
		killed[$k]=1
	done
	for ((t = 0; t < 50; t++)); do
		for k in "${!pids[@]}"; do
			node_pid "$k" >/dev/null || unset "pids[$k]"
		done
		[ ${#pids[@]} -eq 0 ] && break
		sleep 0.1
	done
	for k in $(node_ids); do
		# the wrapper writes the exit code right after the daemon ends
		for ((t = 0; t < 20; t++)); do
			[ -f "$DIR/node$k.exit" ] || [ ! -f "$DIR/node$k.pid" ] && break
			sleep 0.05
		done
		if [ -n "${pids[$k]:-}" ]; then
			say "node $k: cannot be stopped (pid ${pids[$k]})"
			bad=1
		elif [ -f "$DIR/node$k.pid" ]; then
			local how
			how=$(exit_text "$k")
			if [ -n "${was[$k]:-}" ]; then
				[ "$(cat "$DIR/node$k.exit" 2>/dev/null)" = 0 ] &&
					[ -z "${killed[$k]:-}" ] || bad=1
			else
				how="${how:-ended} before this stop"
			fi
			[ "$quiet" = 1 ] || echo "node $k: ${how:-ended (exit code unknown)}"
		fi
	done
	return $bad
}

# Remove what a run leaves behind: bridge, taps, sockets, DPDK run dirs.
clean_leftovers() {
	local k t
	if ip link show "$BRIDGE" >/dev/null 2>&1; then
		ip link del "$BRIDGE" || say "cannot delete bridge $BRIDGE"
	fi
	for k in $(node_ids); do
		t=$(tap_name "$k")
		if ip link show "$t" >/dev/null 2>&1; then
			ip link del "$t" || say "cannot delete tap $t"
		fi
		rm -rf "$(runtime_dir "$(prefix_name "$k")")"
		rm -f "$DIR/node$k.sock" "$DIR/node$k.sock.telemetry" "$DIR/node$k.pid"
	done
	rm -f "$DIR"/memif-*.sock
}

# ---- start ------------------------------------------------------------------

# Hidden command: _run DIR K CMD... — run node K's daemon in this session,
# pid in DIR/nodeK.pid (the exec'd bash is the daemon), exit code in
# DIR/nodeK.exit. cluster.sh start launches it with setsid -f.
run_node() {
	local dir=$1 k=$2 rc=0
	shift 2
	bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$dir/node$k.pid" "$@" \
		</dev/null >>"$dir/node$k.log" 2>&1 || rc=$?
	echo "$rc" >"$dir/node$k.exit"
}

write_config() {
	local k=$1 j
	{
		echo "; generated by scripts/cluster.sh start: node $k of $NODES ($TRANSPORT)"
		echo "[cluster]"
		echo "name = $CLUSTER_NAME"
		echo "id = $CLUSTER_ID"
		[ -z "${LW_SUSPECT_US:-}" ] || echo "suspect_us = $LW_SUSPECT_US"
		[ -z "${LW_LEASE_US:-}" ] || echo "lease_us = $LW_LEASE_US"
		echo
		echo "[node]"
		echo "id = $k"
		echo "workers = $WORKERS"
		echo "udp_base_port = 7400"
		echo "poll = adaptive"
		echo "socket = $DIR/node$k.sock"
		[ "$TRANSPORT" = tap ] && echo "port = net_tap0"
		for ((j = 1; j <= NODES; j++)); do
			echo
			echo "[node.$j]"
			echo "mac = $(node_mac "$j")"
			echo "ip = 10.77.0.$j"
			if [ "$TRANSPORT" = memif ] && [ "$j" -ne "$k" ]; then
				echo "port = net_memif$j"
			fi
		done
	} >"$DIR/node$k.ini"
}

# The EAL and daemon arguments of node K, one per line.
daemon_cmd() {
	local k=$1 j role cpus lcores="" w vdev
	cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
	for ((w = 0; w <= WORKERS; w++)); do
		lcores+="${lcores:+,}$w@($cpus)"
	done
	printf '%s\n' "$LOCKWIRED" --no-huge -m 256 --no-pci \
		"--file-prefix=$(prefix_name "$k")" "--lcores=$lcores"
	if [ "$TRANSPORT" = tap ]; then
		echo "--vdev=net_tap0,iface=$(tap_name "$k"),mac=$(node_mac "$k")"
	else
		for ((j = 1; j <= NODES; j++)); do
			[ "$j" -ne "$k" ] || continue
			role=client
			[ "$k" -lt "$j" ] && role=server
			vdev="net_memif$j,role=$role,id=0,socket=$(memif_sock "$k" "$j")"
			echo "--vdev=$vdev,socket-abstract=no,mac=$(node_mac "$k")"
		done
	fi
	printf '%s\n' -- --config "$DIR/node$k.ini"
	[ ${#DAEMON_ARGS[@]} -eq 0 ] || printf '%s\n' "${DAEMON_ARGS[@]}"
}

# Fail the start: show node K's log (when K is given), stop everything.
start_failed() {
	local k=$1
	shift
	say "$*"
	[ -z "$k" ] || log_tail "$k"
	trap - INT TERM
	stop_nodes 1 >/dev/null 2>&1 || true
	clean_leftovers
	say "stopped everything started in $DIR"
	exit 1
}

deadline_passed() { [ "$SECONDS" -ge "$DEADLINE" ]; }

# Fail the start when a launched node has ended.
fail_if_dead() {
	local k
	for ((k = 1; k <= LAUNCHED; k++)); do
		[ -f "$DIR/node$k.pid" ] || continue
		node_pid "$k" >/dev/null && continue
		sleep 0.2       # let its wrapper record the exit code
		start_failed "$k" "node $k $(exit_text "$k" || true) while waiting for $1"
	done
}

# wait_until K WHAT TEST... — poll TEST until true; fail when a launched node
# ends, or when the deadline passes (showing node K's log).
wait_until() {
	local k=$1 what=$2
	shift 2
	until "$@"; do
		fail_if_dead "$what"
		deadline_passed && start_failed "$k" "timed out after ${TIMEOUT} s waiting for $what"
		sleep 0.1
	done
}

have_sockets_below() {   # the memif servers of the nodes below K are there
	local k=$1 j
	for ((j = 1; j < k; j++)); do
		[ -S "$(memif_sock "$j" "$k")" ] || return 1
	done
}

have_link() { ip link show "$1" >/dev/null 2>&1; }
has_pid_file() { [ -f "$DIR/node$1.pid" ]; }
is_ready() { grep -q "^lockwired: node $1 ready" "$DIR/node$1.log" 2>/dev/null; }

make_bridge() {
	ip link add name "$BRIDGE" type bridge stp_state 0 ||
		die "cannot create bridge $BRIDGE"
	sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1" || true
	ip link set "$BRIDGE" up
}

# The tap of node K appeared: no IPv6, into the bridge, up.
attach_tap() {
	local t
	t=$(tap_name "$1")
	sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1" || true
	ip link set dev "$t" master "$BRIDGE"
	ip link set dev "$t" up
}

# Node K is ready, so its port has started: give the kernel side of its tap
# a MAC of its own. A bridge keeps the MACs of its ports for itself, so with
# the node's MAC there, frames to the node would never reach it. (Not
# earlier: rte_eth_dev_start() copies the port's MAC to the kernel side.)
fix_tap_mac() {
	local k=$1
	[ "$TRANSPORT" = tap ] && [ -z "${TAP_FIXED[$k]:-}" ] || return 0
	ip link set dev "$(tap_name "$k")" address "$(tap_kernel_mac "$k")" ||
		start_failed "$k" "cannot set the MAC of tap $(tap_name "$k")"
	TAP_FIXED[$k]=1
}

launch() {
	local k=$1 cmd=()
	mapfile -t cmd < <(daemon_cmd "$k")
	printf '%q ' "${cmd[@]}" >"$DIR/node$k.cmd"
	echo >>"$DIR/node$k.cmd"
	setsid -f "$SELF" _run "$DIR" "$k" "${cmd[@]}" </dev/null >/dev/null 2>&1
	wait_until "$k" "node $k to start" has_pid_file "$k"
}

members_up() {  # members_up K — prints node K's members_up, or nothing
	"$LWCTL" --socket "$DIR/node$1.sock" --json --timeout 1000 status 2>/dev/null |
		grep -o '"members_up":[0-9]*' | cut -d: -f2
}

all_up() {
	local k up
	for ((k = 1; k <= NODES; k++)); do
		is_ready "$k" || { WAITING=$k; WAITING_FOR="its ready line"; return 1; }
		fix_tap_mac "$k"
	done
	for ((k = 1; k <= NODES; k++)); do
		up=$(members_up "$k")
		if [ "${up:-0}" != "$NODES" ]; then
			WAITING=$k
			WAITING_FOR="all $NODES members up (node $k sees ${up:-?})"
			return 1
		fi
	done
}

# Every node alive (else the start fails) and all up.
check_all() {
	fail_if_dead "the cluster to come up"
	all_up
}

ensure_build() {
	LOCKWIRED=$BUILD/daemon/lockwired
	LWCTL=$BUILD/daemon/lwctl
	[ -x "$LOCKWIRED" ] && [ -x "$LWCTL" ] && return 0
	say "building $BUILD"
	(
		cd "$ROOT"
		. scripts/common.sh
		if [ -f "$BUILD/build.ninja" ]; then
			lw_compile "$BUILD"
		else
			lw_setup "$BUILD" && lw_compile "$BUILD"
		fi
	) || die "build of $BUILD failed"
	[ -x "$LOCKWIRED" ] || die "no $LOCKWIRED after building"
	[ -x "$LWCTL" ] || die "no $LWCTL after building"
}

check_lengths() {
	local k j
	for ((k = 1; k <= NODES; k++)); do
		[ ${#DIR} -le $((SUN_MAX - 22)) ] ||
			die "DIR too long for Unix socket paths ($DIR/node$k.sock.telemetry): use a shorter --dir"
	done
	[ "$TRANSPORT" != memif ] || [ ${#DIR} -le $((SUN_MAX - 20)) ] ||
		die "DIR too long for memif socket paths: use a shorter --dir"
}

cmd_start() {
	local k running=()
	[ -n "$NODES" ] || usage_error "start needs --nodes N"
	[[ $NODES =~ ^[0-9]+$ ]] && [ "$NODES" -ge 1 ] && [ "$NODES" -le 32 ] ||
		usage_error "--nodes wants 1..32, not '$NODES'"
	[[ $WORKERS =~ ^[0-9]+$ ]] && [ "$WORKERS" -ge 1 ] && [ "$WORKERS" -le 32 ] ||
		usage_error "--workers wants 1..32, not '$WORKERS'"
	[[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -ge 1 ] ||
		usage_error "--timeout wants seconds, not '$TIMEOUT'"
	case $TRANSPORT in
	memif) ;;
	tap) [ "$EUID" -eq 0 ] || die "--transport tap needs root (taps and a bridge)" ;;
	*) usage_error "--transport is memif or tap, not '$TRANSPORT'" ;;
	esac
	check_lengths
	mkdir -p "$DIR"
	for k in $(node_ids); do
		node_pid "$k" >/dev/null && running+=("$k")
	done
	[ ${#running[@]} -eq 0 ] ||
		die "nodes ${running[*]} of $DIR are running: scripts/cluster.sh stop --dir $DIR first"
	clean_leftovers
	rm -f "$DIR"/node*.ini "$DIR"/node*.log "$DIR"/node*.exit "$DIR"/node*.cmd "$DIR/cluster.env"
	ensure_build
	printf 'nodes=%s\ntransport=%s\nworkers=%s\nbuild=%s\n' \
		"$NODES" "$TRANSPORT" "$WORKERS" "$BUILD" >"$DIR/cluster.env"
	trap 'start_failed "" "interrupted"' INT TERM
	DEADLINE=$((SECONDS + TIMEOUT))
	LAUNCHED=0
	declare -gA TAP_FIXED=()
	[ "$TRANSPORT" = tap ] && make_bridge
	for ((k = 1; k <= NODES; k++)); do
		write_config "$k"
		# a memif client cannot start before its server's socket exists
		[ "$TRANSPORT" != memif ] ||
			wait_until $((k > 1 ? k - 1 : 1)) "the memif sockets of node $k's peers" have_sockets_below "$k"
		LAUNCHED=$k
		launch "$k"
		if [ "$TRANSPORT" = tap ]; then
			wait_until "$k" "tap $(tap_name "$k")" have_link "$(tap_name "$k")"
			attach_tap "$k"
		fi
	done
	WAITING=1 WAITING_FOR=
	until check_all; do
		deadline_passed && start_failed "$WAITING" \
			"timed out after ${TIMEOUT} s waiting for node $WAITING: $WAITING_FOR"
		sleep 0.2
	done
	trap - INT TERM
	say "cluster of $NODES node(s) up ($TRANSPORT, $WORKERS worker(s) each) in $DIR"
	for ((k = 1; k <= NODES; k++)); do
		echo "node $k socket $DIR/node$k.sock"
	done
}

# kill K: SIGKILL node K (a crash: no clean exit, nothing released by it).
cmd_kill() {
	local k=$1 pid i
	pid=$(node_pid "$k") || die "node $k of $DIR is not running"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		node_pid "$k" >/dev/null || break
		sleep 0.05
	done
	node_pid "$k" >/dev/null && die "node $k (pid $pid) is still there after SIGKILL"
	# gone from /proc (or a zombie) before its runner writes how it ended
	for ((i = 0; i < 100; i++)); do
		[ -s "$DIR/node$k.exit" ] && break
		sleep 0.05
	done
	say "node $k killed (SIGKILL, pid $pid)"
}

tap_only() {
	[ "$(env_get transport)" = tap ] || die "$COMMAND needs a tap cluster (this one is $(env_get transport))"
	ip link show "$(tap_name "$1")" >/dev/null 2>&1 || die "node $1 of $DIR has no tap"
}

cmd_netem() {
	local k=$1 spec=$2 t
	tap_only "$k"
	t=$(tap_name "$k")
	tc qdisc del dev "$t" root 2>/dev/null || true
	if [ "$spec" != off ]; then
		# shellcheck disable=SC2086 # SPEC is split into tc's words on purpose
		tc qdisc add dev "$t" root netem $spec || die "tc netem $spec on $t failed"
	fi
	say "node $k: netem ${spec}"
}

cmd_cut() {
	tap_only "$1"
	ip link set dev "$(tap_name "$1")" nomaster || die "cannot take $(tap_name "$1") out of $BRIDGE"
	say "node $1 cut off"
}

cmd_heal() {
	tap_only "$1"
	ip link set dev "$(tap_name "$1")" master "$BRIDGE" || die "cannot put $(tap_name "$1") back"
	say "node $1 linked again"
}

ready_count() { grep -c "^lockwired: node $1 ready" "$DIR/node$1.log" 2>/dev/null || true; }

# running_see_up N: every running node counts at least N members up.
running_see_up() {
	local j up
	for ((j = 1; j <= NODES; j++)); do
		node_pid "$j" >/dev/null || continue
		up=$(members_up "$j")
		[ "${up:-0}" -ge "$1" ] || return 1
	done
}

# restart K: start node K again with its configuration, wait until it is
# ready and every running node sees all running members up.
cmd_restart() {
	local k=$1 before j running=0
	[ -f "$DIR/node$k.ini" ] && [ -f "$DIR/cluster.env" ] || die "no node $k in $DIR"
	node_pid "$k" >/dev/null && die "node $k of $DIR is running: kill or stop it first"
	NODES=$(env_get nodes) TRANSPORT=$(env_get transport) WORKERS=$(env_get workers)
	BUILD=$(env_get build)
	ensure_build
	rm -rf "$(runtime_dir "$(prefix_name "$k")")"
	rm -f "$DIR/node$k.pid" "$DIR/node$k.exit"
	before=$(ready_count "$k")
	DEADLINE=$((SECONDS + TIMEOUT))
	LAUNCHED=0
	declare -gA TAP_FIXED=()
	launch "$k"
	if [ "$TRANSPORT" = tap ]; then
		wait_until "$k" "tap $(tap_name "$k")" have_link "$(tap_name "$k")"
		attach_tap "$k"
	fi
	for ((j = 1; j <= NODES; j++)); do
		node_pid "$j" >/dev/null && running=$((running + 1))
	done
	# (tap: the kernel side of the new tap gets its own MAC once the node is ready)
	until [ "$(ready_count "$k")" -gt "$before" ] && fix_tap_mac "$k" && running_see_up "$running"; do
		node_pid "$k" >/dev/null || { log_tail "$k"; die "node $k $(exit_text "$k" || true) while restarting"; }
		deadline_passed && { log_tail "$k"; die "timed out after ${TIMEOUT} s restarting node $k"; }
		sleep 0.2
	done
	say "node $k restarted; $running node(s) running, all up"
	echo "node $k socket $DIR/node$k.sock"
}

cmd_stop() {
	local rc=0 any=0 k
	if [ -d "$DIR" ]; then
		for k in $(node_ids); do
			node_pid "$k" >/dev/null && any=1
		done
		stop_nodes 0 || rc=1
	fi
	clean_leftovers 2>/dev/null || true
	[ $any -eq 1 ] || [ $rc -ne 0 ] || echo "nothing was running in $DIR"
	return $rc
}

cmd_status() {
	local k pid rc=0 lwctl ids t
	lwctl=$(env_get build)
	lwctl=${lwctl:-$BUILD}/daemon/lwctl
	ids=$(node_ids)
	if [ -z "$ids" ]; then
		echo "no cluster in $DIR"
		return 1
	fi
	for k in $ids; do
		if pid=$(node_pid "$k"); then
			echo "node $k: running, pid $pid"
			if [ -x "$lwctl" ]; then
				"$lwctl" --socket "$DIR/node$k.sock" status 2>&1 | sed 's/^/  /' || true
			fi
		else
			t=$(exit_text "$k")
			echo "node $k: not running${t:+ ($t)}"
			rc=1
		fi
	done
	return $rc
}

# ---- main -------------------------------------------------------------------

help_text() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SELF"
}

if [ "${1:-}" = _run ]; then
	shift
	run_node "$@"
	exit 0
fi

COMMAND=${1:-}
[ $# -eq 0 ] || shift
case $COMMAND in
-h | --help | help)
	help_text
	exit 0
	;;
start | stop | status) ;;
kill | restart | cut | heal | netem)
	[ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]] || usage_error "$COMMAND needs a node number"
	NODE_ARG=$1
	shift
	if [ "$COMMAND" = netem ]; then
		[ $# -ge 1 ] || usage_error "netem needs a SPEC (or off)"
		NETEM_SPEC=$1
		shift
	fi
	;;
"") usage_error "no command (start, stop, status, kill, restart, netem, cut or heal)" ;;
*) usage_error "unknown command '$COMMAND'" ;;
esac

NODES="" TRANSPORT=memif WORKERS=1 TIMEOUT=30
DIR_ARG=/tmp/lockwire-cluster
BUILD=$ROOT/build/release
DAEMON_ARGS=()
while [ $# -gt 0 ]; do
	opt=$1
	case $opt in
	--nodes | --transport | --workers | --dir | --build | --daemon-args | --timeout)
		[ $# -ge 2 ] || usage_error "$opt needs a value"
		;;
	esac
	case $opt in
	--nodes) NODES=$2 ;;
	--transport) TRANSPORT=$2 ;;
	--workers) WORKERS=$2 ;;
	--dir) DIR_ARG=$2 ;;
	--build) BUILD=$(realpath -m "$2") ;;
	--timeout) TIMEOUT=$2 ;;
	--daemon-args) read -ra DAEMON_ARGS <<<"$2" ;;
	-h | --help)
		help_text
		exit 0
		;;
	*) usage_error "unknown option '$opt'" ;;
	esac
	case $opt in
	--nodes | --transport | --workers | --dir | --build | --daemon-args | --timeout) shift 2 ;;
	esac
	if [ "$COMMAND" != start ]; then
		case $opt in
		--dir) ;;
		--timeout) [ "$COMMAND" = restart ] || usage_error "$COMMAND takes only --dir" ;;
		--build) [ "$COMMAND" = status ] || usage_error "$COMMAND takes only --dir" ;;
		*) usage_error "$COMMAND takes only --dir" ;;
		esac
	fi
done
[ -n "$DIR_ARG" ] || usage_error "--dir is empty"
set_names "$(realpath -m "$DIR_ARG")"

case $COMMAND in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
kill) cmd_kill "$NODE_ARG" ;;
restart) cmd_restart "$NODE_ARG" ;;
netem) cmd_netem "$NODE_ARG" "$NETEM_SPEC" ;;
cut) cmd_cut "$NODE_ARG" ;;
heal) cmd_heal "$NODE_ARG" ;;
esac
