#!/usr/bin/env bash
# test_driver.sh — a cluster of lockwired processes on this machine runs the
# built-in driver on every worker (locks on shared resources, mastered all
# over the cluster, EX counters in the LVB, conversions, NOQUEUE), then:
#   - every worker finished its operations with no unexpected status;
#   - the history of every worker, merged by time, passes the simulator's
#     checker (lw-logcheck: no incompatible grants, every request answered
#     once, LVB values in order, nothing left held);
#   - locks really crossed nodes (remote grants, frames on the wire);
#   - every daemon shut down cleanly (exit 0) and left nothing behind.
#
#   test_driver.sh BUILDDIR TRANSPORT NODES WORKERS OPS
set -euo pipefail

build=$1 transport=$2 nodes=$3 workers=$4 ops=$5
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=$root/scripts/cluster.sh
lwctl=$build/daemon/lwctl
logcheck=$build/tests/sim/lw-logcheck
dir=$(mktemp -d /tmp/lwc-XXXXXX)
fail=0
# A sanitizer build runs several times slower, and the daemons share this
# machine's cores: give the membership more room, as test_failover.sh does
# (a node whose lease runs out fences, and its driver counts errors).
if grep -q '"name": "b_sanitize", "value": "address' "$build/meson-info/intro-buildoptions.json" 2>/dev/null; then
	export LW_SUSPECT_US=${LW_SUSPECT_US:-300000} LW_LEASE_US=${LW_LEASE_US:-300000}
fi
# shellcheck source=lib.sh
. "$root/tests/cluster/lib.sh"

cleanup() {
	stop_cluster test_driver
}
trap cleanup EXIT

spec="ops=$ops,outstanding=8,resources=24,log=1,seed=$RANDOM"
echo "test_driver: $nodes nodes over $transport, $workers workers each, driver $spec"
"$cluster" start --nodes "$nodes" --transport "$transport" --workers "$workers" \
	--dir "$dir" --build "$build" --timeout 60 \
	--daemon-args "--driver $spec --driver-out $dir/res"

want=$((nodes * workers))
for _ in $(seq 1 600); do
	have=$(find "$dir" -maxdepth 1 -name 'res.*.json' | wc -l)
	[ "$have" -ge "$want" ] && break
	sleep 0.2
done
check "all $want workers finished their $ops locks" [ "$have" -ge "$want" ]
if [ "$have" -lt "$want" ]; then
	# what each node was doing, kept with the files for a look afterwards
	for k in $(seq 1 "$nodes"); do
		for c in stats view members lockdump; do
			"$lwctl" --socket "$dir/node$k.sock" --timeout 1000 $c >"$dir/node$k.$c" 2>&1 || true
		done
	done
fi

# What crossed the wire, per node, before stopping.
for k in $(seq 1 "$nodes"); do
	stats=$("$lwctl" --socket "$dir/node$k.sock" --json stats)
	rx_grant=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["rx_GRANT"])' <<<"$stats")
	tx_data=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["tx_data"])' <<<"$stats")
	lost=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["lost"] + d["site_drops_bad"])' <<<"$stats")
	check "node $k received GRANTs from other sites ($rx_grant)" [ "$rx_grant" -gt 0 ]
	check "node $k sent data frames ($tx_data)" [ "$tx_data" -gt 0 ]
	check "node $k lost no message and got no malformed one" [ "$lost" -eq 0 ]
done

check "every daemon shut down cleanly" "$cluster" stop --dir "$dir"

for f in "$dir"/res.*.json; do
	check "$(basename "$f"): no errors, log complete" python3 - "$f" "$ops" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = (d["done"] and d["errors"] == 0 and d["log_lost"] == 0 and d["locks"] >= int(sys.argv[2])
      and d["granted"] > 0)
print(f"     done {d['done']} locks {d['locks']} granted {d['granted']} again {d['again']} "
      f"errors {d['errors']} local_grant_ratio {d['local_grant_ratio']} msgs_per_op {d['msgs_per_op']}")
sys.exit(0 if ok else 1)
PY
done

check "lw-logcheck finds no violation in the merged histories" "$logcheck" "$dir"/res.*.dlog

alive=""
for k in $(seq 1 "$nodes"); do
	pid=$(cat "$dir/node$k.pid" 2>/dev/null || echo "")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		alive="$alive $pid"
	fi
done
check "no daemon left running" [ -z "$alive" ]
exit $fail
