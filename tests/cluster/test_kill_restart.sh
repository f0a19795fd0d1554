#!/usr/bin/env bash
# test_kill_restart.sh — cluster.sh kill and restart, and what the members
# see: a node killed with SIGKILL ends with exit code 137 (no clean exit);
# every survivor then counts it down (members_up drops by one within the
# heartbeat timeout); the node restarted with its configuration comes back
# and every node counts all members up again; the cluster still stops
# cleanly and leaves nothing behind. (Recovery of the locks a dead node
# held comes with views and leases.)
#
#   test_kill_restart.sh BUILDDIR TRANSPORT NODES K
set -euo pipefail

build=$1 transport=$2 nodes=$3 victim=$4
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=$root/scripts/cluster.sh
lwctl=$build/daemon/lwctl
dir=$(mktemp -d /tmp/lwk-XXXXXX)
fail=0
# shellcheck source=lib.sh
. "$root/tests/cluster/lib.sh"

cleanup() {
	stop_cluster test_kill_restart
}
trap cleanup EXIT

members_up() {
	"$lwctl" --socket "$dir/node$1.sock" --json --timeout 1000 status 2>/dev/null |
		grep -o '"members_up":[0-9]*' | cut -d: -f2
}

# every node but the victim counts want members up, within 10 s
survivors_see() {
	local want=$1 k i ok
	for ((i = 0; i < 100; i++)); do
		ok=1
		for ((k = 1; k <= nodes; k++)); do
			[ "$k" -eq "$victim" ] && [ "$want" -lt "$nodes" ] && continue
			[ "$(members_up "$k")" = "$want" ] || ok=0
		done
		[ $ok -eq 1 ] && return 0
		sleep 0.1
	done
	return 1
}

rt_count() { ls /var/run/dpdk 2>/dev/null | grep -c '^lw-' || true; }
rt_before=$(rt_count)
"$cluster" start --nodes "$nodes" --transport "$transport" --dir "$dir" --build "$build" >/dev/null
check "all $nodes members up at start" survivors_see "$nodes"
check "kill $victim" "$cluster" kill "$victim" --dir "$dir"
check "killed node ended with 137 (SIGKILL)" test "$(cat "$dir/node$victim.exit" 2>/dev/null)" = 137
check "the survivors count $((nodes - 1)) members up" survivors_see $((nodes - 1))
check "kill of a dead node is refused" bash -c "! '$cluster' kill $victim --dir '$dir' 2>/dev/null"
check "restart of a running node is refused" bash -c "! '$cluster' restart 1 --dir '$dir' 2>/dev/null"
check "restart $victim" "$cluster" restart "$victim" --dir "$dir"
check "every node counts $nodes members up again" survivors_see "$nodes"
check "every daemon stops cleanly" "$cluster" stop --dir "$dir"
check "no DPDK runtime directory left" test "$(rt_count)" = "$rt_before"
exit $fail
