#!/usr/bin/env bash
# run_lw_bench.sh — lw-bench in client mode against a one-node cluster of
# its own: start it (scripts/cluster.sh, memif, 1 worker), run
# BUILDDIR/perf/lw-bench --socket NODE.sock ARGS..., stop it (also on
# failure or a signal). Exit code: lw-bench's, or 1 when the cluster did
# not start or did not stop cleanly. Used by the perf suite.
#
#   perf/run_lw_bench.sh BUILDDIR [lw-bench options...]
set -euo pipefail

build=$(realpath "$1")
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$(mktemp -d /tmp/lwrb-XXXXXX)
trap '"$root/scripts/cluster.sh" stop --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

"$root/scripts/cluster.sh" start --nodes 1 --dir "$dir" --build "$build" >&2
rc=0
"$build/perf/lw-bench" --socket "$dir/node1.sock" "$@" || rc=$?
"$root/scripts/cluster.sh" stop --dir "$dir" >&2 || { [ $rc -ne 0 ] || rc=1; }
exit $rc
