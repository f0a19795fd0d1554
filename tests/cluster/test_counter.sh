#!/usr/bin/env bash
# test_counter.sh — mutual exclusion end to end: a 3-node memif cluster, K
# counter clients on every node at once, each N times taking EX on one
# resource and adding 1 to a shared counter; then no increment is lost:
#   - the counter in a file (pread / pwrite under the lock) is 3*K*N;
#   - the counter in the LVB (VALBLK) is 3*K*N, read back from every node;
#   - every client exited 0, every daemon shut down cleanly.
#
#   test_counter.sh BUILDDIR K N
set -euo pipefail

build=$(realpath "$1") per_node=$2 iters=$3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=$root/scripts/cluster.sh
counter=$build/tests/cluster/counter
nodes=3
dir=$(mktemp -d "${LW_TEST_TMP:-/tmp/lwcnt}-XXXXXX")
want=$((nodes * per_node * iters))
fail=0
# shellcheck source=lib.sh
. "$root/tests/cluster/lib.sh"

cleanup() {
	stop_cluster test_counter
}
trap cleanup EXIT
trap 'fail=1; exit 1' INT TERM

# clients MODE ARGS... — K clients per node at once, each bounded; all must exit 0.
clients() {
	local mode=$1 k i pids=() bad=0 t0=$SECONDS
	shift
	for k in $(seq 1 "$nodes"); do
		for i in $(seq 1 "$per_node"); do
			timeout -k 5 50 "$counter" --socket "$dir/node$k.sock" --iters "$iters" "$@" \
				2>>"$dir/$mode.err" &
			pids+=($!)
		done
	done
	for p in "${pids[@]}"; do
		wait "$p" || bad=$((bad + 1))
	done
	echo "     $mode: ${#pids[@]} clients, $((SECONDS - t0)) s, $bad failed"
	[ -s "$dir/$mode.err" ] && sed 's/^/     | /' "$dir/$mode.err" | head -n 10
	[ "$bad" -eq 0 ]
}

"$cluster" start --nodes "$nodes" --dir "$dir" --build "$build" --timeout 30 >/dev/null
echo "test_counter: $nodes nodes, $per_node clients each, $iters increments each (want $want)"

printf '%020d\n' 0 >"$dir/counter"
check "file counter: every client succeeded" clients file --res file-counter --file "$dir/counter"
got=$((10#$(head -c 20 "$dir/counter")))
check "file counter holds $want (got $got)" [ "$got" -eq "$want" ]

check "LVB counter: every client succeeded" clients lvb --res lvb-counter --lvb
for k in $(seq 1 "$nodes"); do
	got=$(timeout 20 "$counter" --socket "$dir/node$k.sock" --res lvb-counter --read-lvb || echo error)
	check "LVB counter read on node $k is $want (got $got)" [ "$got" = "$want" ]
done

check "every daemon shut down cleanly" "$cluster" stop --dir "$dir"
exit $fail
