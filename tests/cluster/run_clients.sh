#!/usr/bin/env bash
# run_clients.sh — start a memif cluster of NODES lockwired processes, run one
# client test program against it, stop the cluster:
#
#   run_clients.sh BUILDDIR NODES SECONDS PROGRAM [ARGS...]
#
# PROGRAM runs as "PROGRAM ARGS... --lwctl BUILDDIR/daemon/lwctl SOCKET1 ...
# SOCKETn" with LOCKWIRE_SOCKET=SOCKET1, killed after SECONDS. The test
# passes when PROGRAM exits 0 and every daemon then shuts down cleanly (exit
# 0: nothing the clients did broke a node). The cluster directory is
# mktemp -d ${LW_TEST_TMP:-/tmp/lwcli}-XXXXXX, removed unless something
# failed; the cluster is stopped on every way out.
set -euo pipefail

build=$(realpath "$1") nodes=$2 secs=$3 prog=$4
shift 4
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=$root/scripts/cluster.sh
dir=$(mktemp -d "${LW_TEST_TMP:-/tmp/lwcli}-XXXXXX")
fail=0

# shellcheck source=lib.sh
. "$root/tests/cluster/lib.sh"
trap 'stop_cluster run_clients' EXIT
trap 'fail=1; exit 1' INT TERM

"$cluster" start --nodes "$nodes" --dir "$dir" --build "$build" --timeout 30 >"$dir/start.out" ||
	{ fail=1; cat "$dir/start.out"; exit 1; }
mapfile -t socks < <(sed -n 's/^node [0-9]* socket //p' "$dir/start.out")
[ "${#socks[@]}" -eq "$nodes" ] || { fail=1; echo "run_clients: no sockets"; exit 1; }

echo "run_clients: $(basename "$prog") on $nodes node(s) in $dir"
rc=0
LOCKWIRE_SOCKET=${socks[0]} timeout -k 5 "$secs" \
	"$prog" "$@" --lwctl "$build/daemon/lwctl" "${socks[@]}" || rc=$?
if [ "$rc" -ne 0 ]; then
	[ "$rc" -eq 124 ] && echo "run_clients: $(basename "$prog") killed after $secs s"
	echo "FAIL $(basename "$prog") exited with $rc"
	fail=1
fi
if "$cluster" stop --dir "$dir"; then
	echo "ok   every daemon shut down cleanly"
else
	echo "FAIL a daemon did not shut down cleanly"
	for k in $(seq 1 "$nodes"); do
		tail -n 20 "$dir/node$k.log" | sed "s/^/  node$k | /"
	done
	fail=1
fi
exit $fail
