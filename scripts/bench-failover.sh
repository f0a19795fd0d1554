#!/usr/bin/env bash
# bench-failover.sh — what a node failure costs: a 3-node memif cluster,
# load from lw-bench on nodes 1 and 2, node 3 holding EX on a counter that
# a client on node 1 waits for; then SIGKILL of node 3, and:
#   - resume_ms: from the SIGKILL to the first grant of that lock on node 1
#     (detection, view change, lease wait, rebuild);
#   - throughput of nodes 1 and 2 before (a run ending at the kill),
#     during (a run of the same length starting at the kill) and after
#     (once the view without node 3 is in place), and their ratios.
# Node 3 is restarted between rounds (it rejoins as a new incarnation).
#
#   scripts/bench-failover.sh [--rounds N] [--seconds S] [--build DIR]
#                             [--signal KILL|TERM] [--json]
#
# --signal TERM measures a clean leave instead (the node fences itself,
# announces it, and the others need not wait out its lease).
# Prints one line per round and the medians; --json: one JSON object.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5 secs=2 build=$ROOT/build/release json=0 sig=KILL
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	--build) build=$(realpath "$2"); shift 2 ;;
	--json) json=1; shift ;;
	--signal) sig=$2; shift 2 ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-failover.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case $sig in
KILL | TERM) ;;
*) echo "bench-failover.sh: --signal is KILL or TERM, not $sig" >&2; exit 2 ;;
esac
cluster=$ROOT/scripts/cluster.sh
counter=$build/tests/cluster/counter
bench=$build/perf/lw-bench
[ -x "$counter" ] && [ -x "$bench" ] || { echo "bench-failover.sh: build $build first" >&2; exit 2; }
dir=$(mktemp -d /tmp/lwbf-XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	"$cluster" stop --dir "$dir" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

# load SECONDS TAG: lw-bench on nodes 1 and 2 at once; prints their summed ops/s
load() {
	local k p sum=0 v
	for k in 1 2; do
		"$bench" --socket "$dir/node$k.sock" --threads 1 --depth 8 --resources 256 \
			--seconds "$1" --warmup 0 --seed "$k" --json >"$dir/$2.$k.json" 2>/dev/null &
		p[$k]=$!
	done
	for k in 1 2; do wait "${p[$k]}" || true; done
	for k in 1 2; do
		v=$(grep -o '"ops_per_sec":[0-9.]*' "$dir/$2.$k.json" | sed -n 1p | cut -d: -f2)
		sum=$(awk -v a="$sum" -v b="${v:-0}" 'BEGIN { printf "%.0f", a + b }')
	done
	echo "$sum"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

"$cluster" start --nodes 3 --dir "$dir" --build "$build" --timeout 30 >/dev/null
: >"$dir/resume" ; : >"$dir/before" ; : >"$dir/during" ; : >"$dir/after"
for ((r = 1; r <= rounds; r++)); do
	printf '%020d\n' 0 >"$dir/counter"
	"$counter" --socket "$dir/node3.sock" --res "ctr$r" --hold >"$dir/holder.out" 2>/dev/null &
	holder=$!
	pids+=($holder)
	for ((i = 0; i < 100; i++)); do grep -q held "$dir/holder.out" && break; sleep 0.05; done
	rm -f "$dir/stamps"
	"$counter" --socket "$dir/node1.sock" --res "ctr$r" --iters 1 --file "$dir/counter" \
		--stamp "$dir/stamps" 2>/dev/null &
	waiter=$!
	pids+=($waiter)
	before=$(load "$secs" before)
	load "$secs" during >"$dir/during.now" &
	during_pid=$!
	vpid=$(cat "$dir/node3.pid")
	t0=$(date +%s%N)
	if [ "$sig" = TERM ]; then
		kill -TERM "$vpid"
		for ((i = 0; i < 100; i++)); do [ -s "$dir/node3.exit" ] && break; sleep 0.05; done
	else
		kill -KILL "$vpid" "$holder" 2>/dev/null || true
	fi
	kill -KILL "$holder" 2>/dev/null || true
	wait "$waiter" || true
	t1=$(sort -n "$dir/stamps" 2>/dev/null | sed -n 1p)
	wait "$during_pid" || true
	during=$(cat "$dir/during.now")
	after=$(load "$secs" after)
	resume=$(awk -v a="$t0" -v b="${t1:-0}" 'BEGIN { printf "%.1f", (b > a ? (b - a) / 1e6 : -1) }')
	echo "$resume" >>"$dir/resume"
	echo "$before" >>"$dir/before"
	echo "$during" >>"$dir/during"
	echo "$after" >>"$dir/after"
	[ "$json" -eq 1 ] || echo "round $r: resume ${resume} ms; ops/s before $before, during $during, after $after"
	"$cluster" restart 3 --dir "$dir" --timeout 30 >/dev/null
done
m_resume=$(median <"$dir/resume")
m_before=$(median <"$dir/before")
m_during=$(median <"$dir/during")
m_after=$(median <"$dir/after")
r_during=$(awk -v a="$m_during" -v b="$m_before" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
r_after=$(awk -v a="$m_after" -v b="$m_before" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
if [ "$json" -eq 1 ]; then
	printf '{"signal":"%s","rounds":%d,"seconds":%s,"resume_ms_median":%s,"resume_ms":[%s],' "$sig" "$rounds" "$secs" \
		"$m_resume" "$(paste -sd, "$dir/resume")"
	printf '"ops_before":%s,"ops_during":%s,"ops_after":%s,"during_ratio":%s,"after_ratio":%s}\n' \
		"$m_before" "$m_during" "$m_after" "$r_during" "$r_after"
else
	echo "median of $rounds: resume ${m_resume} ms after SIG$sig; ops/s before $m_before," \
		"during $m_during (x$r_during), after $m_after (x$r_after)"
fi
