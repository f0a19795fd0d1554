#!/usr/bin/env bash
# test_failover.sh — a node dies (or is cut off) under load, and the cluster
# goes on without losing a lock or an increment:
#   1. a 3-node cluster; lw-bench load on every node; on the victim node a
#      client takes EX on the counter resource and keeps it; counter clients
#      on the other nodes queue behind it (the counter file stays 0);
#   2. fault: "kill" — SIGKILL of the victim's daemon and its clients (a
#      machine crash); "cut" — the victim's tap is taken out of the bridge
#      (a partition; tap clusters only): its lease runs out and it fences,
#      so its holder client gets -ENOLCK; "leave" — SIGTERM: the victim
#      fences itself (-ENOLCK to its holder), announces its leave and exits
#      0, and the others need no lease wait;
#   3. the survivors install a view without the victim, wait out its lease,
#      purge its EX, and the counter clients finish: the counter is exactly
#      what they added; the survivors' load ran through;
#   4. the victim comes back ("kill", "leave": restart; "cut": heal, and it
#      rejoins as a new incarnation), every node counts all members up, and counter
#      clients on all three nodes add an exact count again.
# It prints how long after the fault the first counter grant came
# (detection plus recovery).
#
#   test_failover.sh BUILDDIR TRANSPORT FAULT [NETEM]
#   FAULT: kill | cut | leave    NETEM: e.g. "loss 5%" on every tap (tap only)
set -euo pipefail

build=$(realpath "$1") transport=$2 fault=$3 netem=${4:-}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=$root/scripts/cluster.sh
counter=$build/tests/cluster/counter
bench=$build/perf/lw-bench
lwctl=$build/daemon/lwctl
nodes=3 victim=3 per_node=2 iters=100
dir=$(mktemp -d "${LW_TEST_TMP:-/tmp/lwfo}-XXXXXX")
# A sanitizer build runs several times slower, and three of them with their
# clients share this machine's cores: give the membership more room (a
# lease is a promise about scheduling delays).
if grep -q '"name": "b_sanitize", "value": "address' "$build/meson-info/intro-buildoptions.json" 2>/dev/null; then
	export LW_SUSPECT_US=${LW_SUSPECT_US:-300000} LW_LEASE_US=${LW_LEASE_US:-300000}
fi
fail=0
# shellcheck source=lib.sh
. "$root/tests/cluster/lib.sh"
bg=()

cleanup() {
	local p
	for p in "${bg[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	stop_cluster test_failover
}
trap cleanup EXIT
trap 'fail=1; exit 1' INT TERM

now_ns() { date +%s%N; }
members_up() {
	"$lwctl" --socket "$dir/node$1.sock" --json --timeout 1000 status 2>/dev/null |
		grep -o '"members_up":[0-9]*' | cut -d: -f2
}
view_epoch() {
	"$lwctl" --socket "$dir/node$1.sock" --json --timeout 1000 view 2>/dev/null |
		grep -o '"epoch":[0-9]*' | sed -n 1p | cut -d: -f2
}
counter_value() { echo $((10#$(head -c 20 "$dir/counter"))); }

# nodes_see K... WANT: each node K counts WANT members up, within 20 s
nodes_see() {
	local want=${*: -1} k i ok
	for ((i = 0; i < 200; i++)); do
		ok=1
		for k in "${@:1:$#-1}"; do
			[ "$(members_up "$k")" = "$want" ] || ok=0
		done
		[ $ok -eq 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# counters TAG NODE... — per_node counter clients on each NODE, in the background
counters() {
	local tag=$1 k i
	shift
	cpids=()
	for k in "$@"; do
		for ((i = 0; i < per_node; i++)); do
			timeout -k 5 90 "$counter" --socket "$dir/node$k.sock" --res ctr \
				--iters "$iters" --file "$dir/counter" --stamp "$dir/$tag.stamps" \
				2>>"$dir/$tag.err" &
			cpids+=($!)
		done
	done
}

counters_ok() {
	local p bad=0
	for p in "${cpids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	[ -s "$dir/$1.err" ] && sed 's/^/     | /' "$dir/$1.err" | sed -n 1,10p
	[ "$bad" -eq 0 ]
}

# Loss: tc netem on every tap when the kernel has it; else the daemons drop
# the same share of what they receive (--rx-loss), which is what netem on
# each tap's way in would do.
daemon_args=() use_netem=0
if [ -n "$netem" ]; then
	if ip link add lwnetem$$ type dummy 2>/dev/null &&
		tc qdisc add dev lwnetem$$ root netem $netem 2>/dev/null; then
		use_netem=1
	else
		pct=$(echo "$netem" | grep -o '[0-9.]*%' | tr -d %)
		daemon_args=(--daemon-args "--rx-loss $(awk -v p="$pct" 'BEGIN { printf "%d", p * 10000 }')")
	fi
	ip link del lwnetem$$ 2>/dev/null || true
fi
"$cluster" start --nodes "$nodes" --transport "$transport" --dir "$dir" --build "$build" \
	--timeout 60 "${daemon_args[@]}" >/dev/null
echo "test_failover: $nodes nodes on $transport, fault $fault${netem:+, $netem}" \
	"$([ "$use_netem" = 1 ] && echo "(tc netem)" || [ -z "$netem" ] || echo "(lockwired --rx-loss: no netem in this kernel)")"
if [ "$use_netem" = 1 ]; then
	for ((k = 1; k <= nodes; k++)); do "$cluster" netem "$k" "$netem" --dir "$dir"; done
fi
printf '%020d\n' 0 >"$dir/counter"
epoch0=$(view_epoch 1)

# the load, 1 thread per node; the survivors' runs must end well
for ((k = 1; k <= nodes; k++)); do
	timeout -k 5 60 "$bench" --socket "$dir/node$k.sock" --threads 1 --depth 4 \
		--resources 64 --seconds 6 --warmup 0 --seed "$k" --json \
		>"$dir/bench$k.json" 2>"$dir/bench$k.err" &
	bg+=($!)
	bpid[$k]=$!
done

# the victim's client takes the counter's lock and keeps it
"$counter" --socket "$dir/node$victim.sock" --res ctr --hold >"$dir/holder.out" 2>"$dir/holder.err" &
holder=$!
bg+=($holder)
for ((i = 0; i < 100; i++)); do
	grep -q held "$dir/holder.out" 2>/dev/null && break
	sleep 0.1
done
check "the victim's client holds EX on the counter" grep -q held "$dir/holder.out"

counters first 1 2
sleep 1
check "the survivors' counter clients wait behind it (counter 0)" test "$(counter_value)" -eq 0

vpid=$(cat "$dir/node$victim.pid")
t_fault=$(now_ns)
case $fault in
kill)
	# the node and its clients at once (a machine crash); cluster.sh records the exit
	kill -KILL "$vpid" "$holder" "${bpid[$victim]}" 2>/dev/null || true
	;;
cut)
	"$cluster" cut "$victim" --dir "$dir"
	;;
leave)
	kill -TERM "$vpid"
	;;
esac

check "survivors' counter clients all finished" counters_ok first
if [ "$fault" = kill ]; then
	for ((i = 0; i < 100; i++)); do [ -s "$dir/node$victim.exit" ] && break; sleep 0.1; done
	check "the victim ended with 137 (SIGKILL)" test "$(cat "$dir/node$victim.exit" 2>/dev/null)" = 137
fi
want=$((2 * per_node * iters))
got=$(counter_value)
check "counter is exactly $want after the fault (got $got)" test "$got" -eq "$want"
if [ -s "$dir/first.stamps" ]; then
	t_resume=$(sort -n "$dir/first.stamps" | sed -n 1p)
	echo "     first counter grant $(((t_resume - t_fault) / 1000000)) ms after the fault"
fi
check "survivors see 2 members up" nodes_see 1 2 2
e1=$(view_epoch 1)
check "survivors' view epoch went up ($epoch0 -> $e1)" test "${e1:-0}" -gt "${epoch0:-0}"
for k in 1 2; do
	check "survivor $k's load ran through" wait "${bpid[$k]}"
done

if [ "$fault" != kill ]; then
	hrc=0
	timeout 20 tail --pid="$holder" -f /dev/null || true
	wait "$holder" || hrc=$?
	check "the $fault node fenced: its holder got -ENOLCK (exit $hrc)" test "$hrc" -eq 3
fi
if [ "$fault" = leave ]; then
	for ((i = 0; i < 100; i++)); do [ -s "$dir/node$victim.exit" ] && break; sleep 0.1; done
	check "the node that left exited 0" test "$(cat "$dir/node$victim.exit" 2>/dev/null)" = 0
	check "it said it left" grep -q "left the cluster" "$dir/node$victim.log"
	kill -KILL "${bpid[$victim]}" 2>/dev/null || true
fi
if [ "$fault" = cut ]; then
	"$cluster" heal "$victim" --dir "$dir"
else
	"$cluster" restart "$victim" --dir "$dir" --timeout 30 >/dev/null
fi
check "every node counts $nodes members up again" nodes_see 1 2 3 "$nodes"

counters second 1 2 3
check "counter clients on all nodes finished" counters_ok second
want=$((want + nodes * per_node * iters))
got=$(counter_value)
check "counter is exactly $want after the rejoin (got $got)" test "$got" -eq "$want"

"$lwctl" --socket "$dir/node1.sock" view 2>/dev/null | sed 's/^/     | /' | head -n 40 || true
for p in "${bg[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
bg=()
check "every daemon stops cleanly" "$cluster" stop --dir "$dir"
exit $fail
