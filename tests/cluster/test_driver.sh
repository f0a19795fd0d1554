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
# FAULT pause: once the drivers run, the last node is stopped (SIGSTOP) for
# four leases, with suspect_us set far above that, and continued. Its lease
# runs out while the others still count it in the view and keep sending to
# it: it fences (its locks end with -ENOLCK, its driver logs the fence), goes
# on as a new incarnation in place and rejoins; the others see it restart,
# reset their channels with it and recover its resources. Then every driver
# must still finish, the others with no error at all, and the merged
# histories must pass lw-logcheck with the fence in them. Each slot holds
# its locks 2 ms so that the run lasts a few seconds: the pause comes once
# the victim's site has taken requests, well before its driver is done.
#
#   test_driver.sh BUILDDIR TRANSPORT NODES WORKERS OPS [FAULT]
set -euo pipefail

build=$1 transport=$2 nodes=$3 workers=$4 ops=$5 fault=${6:-none}
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
victim=$nodes
case $fault in
none) ;;
pause)
	# a lease with room for start-up on a busy machine; the others never
	# suspect the victim while it is stopped (suspect: 40 leases)
	lease=${LW_LEASE_US:-250000}
	export LW_LEASE_US=$lease LW_SUSPECT_US=$((lease * 40))
	;;
*) echo "test_driver: unknown fault $fault" >&2; exit 2 ;;
esac
# shellcheck source=lib.sh
. "$root/tests/cluster/lib.sh"

cleanup() {
	stop_cluster test_driver
}
trap cleanup EXIT

spec="ops=$ops,outstanding=8,resources=24,log=1,seed=$RANDOM"
# paused: slots hold each lock 2 ms, so that the run is still going when
# the pause comes (a few seconds, whatever the machine's speed)
[ "$fault" = pause ] && spec="$spec,hold-us=2000"
echo "test_driver: $nodes nodes over $transport, $workers workers each, driver $spec"
"$cluster" start --nodes "$nodes" --transport "$transport" --workers "$workers" \
	--dir "$dir" --build "$build" --timeout 60 \
	--daemon-args "--driver $spec --driver-out $dir/res"

want=$((nodes * workers))
if [ "$fault" = pause ]; then
	vpid=$(cat "$dir/node$victim.pid")
	# the victim's driver runs once its site has taken requests
	for _ in $(seq 1 400); do
		reqs=$("$lwctl" --socket "$dir/node$victim.sock" --json --timeout 1000 stats 2>/dev/null |
			grep -o '"requests":[0-9]*' | cut -d: -f2 || true)
		[ "${reqs:-0}" -gt 0 ] && break
		sleep 0.02
	done
	pause_s=$(python3 -c "print($lease * 4 / 1e6)")
	echo "pausing node $victim (pid $vpid) for ${pause_s} s"
	kill -STOP "$vpid"
	sleep "$pause_s"
	kill -CONT "$vpid"
fi
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
	read -r rx_grant tx_data lost restarts peer_restarts < <(
		"$lwctl" --socket "$dir/node$k.sock" --json stats | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["rx_GRANT"], d["tx_data"], d["lost"] + d["site_drops_bad"], d["restarts"], d["peer_restarts"])')
	check "node $k received GRANTs from other sites ($rx_grant)" [ "$rx_grant" -gt 0 ]
	check "node $k sent data frames ($tx_data)" [ "$tx_data" -gt 0 ]
	if [ "$fault" = pause ]; then
		if [ "$k" -eq "$victim" ]; then
			# once per fence, in every worker
			check "node $k went on as a new incarnation in every worker (restarts $restarts)" \
				[ "$restarts" -ge "$workers" -a $((restarts % workers)) -eq 0 ]
		else
			check "node $k saw node $victim restart (peer_restarts $peer_restarts)" \
				[ "$peer_restarts" -gt 0 ]
		fi
		continue
	fi
	check "node $k lost no message and got no malformed one" [ "$lost" -eq 0 ]
done
if [ "$fault" = pause ]; then
	check "node $victim lost its lease and fenced" grep -q "lease lost: fencing" "$dir/node$victim.log"
	for k in $(seq 1 $((nodes - 1))); do
		check "node $k kept its lease while the drivers ran" \
			bash -c "! sed -n '/driver started/,\$p' '$dir/node$k.log' | grep -q 'lease lost'"
	done
fi

check "every daemon shut down cleanly" "$cluster" stop --dir "$dir"

for f in "$dir"/res.*.json; do
	fenced=0
	case $f in *".n$victim.w"*) [ "$fault" = pause ] && fenced=1 ;; esac
	check "$(basename "$f"): $([ $fenced = 1 ] && echo "fenced, then done" || echo "no errors"), log complete" \
		python3 - "$f" "$ops" "$fenced" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["done"] and d["log_lost"] == 0 and d["granted"] > 0 and d["locks"] >= int(sys.argv[2])
if sys.argv[3] == "1":
    # the pause was felt: locks ended by the fence are its only errors
    ok = ok and d["fences"] > 0 and d["errors"] == d["enolck"]
else:
    ok = ok and d["errors"] == 0 and d["fences"] == 0
print(f"     done {d['done']} locks {d['locks']} granted {d['granted']} again {d['again']} "
      f"errors {d['errors']} fences {d['fences']} enolck {d['enolck']} "
      f"fenced_refusals {d['fenced_refusals']} "
      f"local_grant_ratio {d['local_grant_ratio']} msgs_per_op {d['msgs_per_op']}")
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
