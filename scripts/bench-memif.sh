#!/usr/bin/env bash
# bench-memif.sh — remote locking between two lockwired nodes on memif.
# Every lock is mastered on the other node (driver remote=1) and cached
# modes are given back at once (--cache-idle-us 1), so each lock+unlock
# pair is a REQUEST/GRANT round trip plus a DOWNGRADE. Two measurements,
# each repeated --runs times, medians printed (and JSON with --json):
#   throughput  both nodes drive, OUT locks in flight per worker: pairs/s
#               summed over the nodes, lock latency p50/p99;
#   latency     node 1 alone, 1 lock in flight: round-trip p50/p99.
#
#   scripts/bench-memif.sh [--runs N] [--seconds S] [--outstanding OUT]
#                          [--build DIR] [--json]
# Defaults: 5 runs, 3 s, OUT 64, build/release (built when missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/common.sh

runs=5 seconds=3 out=64 build=build/release json=0
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--outstanding) out=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--json) json=1; shift ;;
	-h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-memif.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done

scripts/install-deps.sh
if [ ! -x "$build/daemon/lockwired" ]; then
	lw_setup "$build" -Dbuildtype=release && lw_compile "$build"
fi
dir=$(mktemp -d /tmp/lwbench-XXXXXX)
trap 'scripts/cluster.sh stop --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

# one_run NAME SPEC NODES-DRIVING — start 2 nodes, wait for the results, stop.
one_run() {
	local name=$1 spec=$2 want=$3 i
	rm -f "$dir"/res.*
	scripts/cluster.sh start --nodes 2 --transport memif --dir "$dir" --build "$build" \
		--daemon-args "--cache-idle-us 1 --driver $spec --driver-out $dir/res" >/dev/null
	# no polling while the nodes measure: every process started here
	# would take CPU from the two workers that own the two cores
	sleep "$seconds"
	for i in $(seq 1 300); do
		[ "$(find "$dir" -maxdepth 1 -name 'res.*.json' | wc -l)" -ge "$want" ] && break
		sleep 0.1
	done
	scripts/cluster.sh stop --dir "$dir" >/dev/null
	python3 - "$name" "$dir" <<'PY' >>"$dir/../lwbench-$$.rows"
import glob, json, sys
name, d = sys.argv[1], sys.argv[2]
rs = [json.load(open(f)) for f in sorted(glob.glob(d + "/res.*.json"))]
rs = [r for r in rs if r["locks"] > 0]
pairs = sum(r["granted"] / r["seconds"] for r in rs if r["seconds"] > 0)
p50 = max(r["lat_ns"]["p50"] for r in rs)
p99 = max(r["lat_ns"]["p99"] for r in rs)
msgs = sum(r["msgs_per_op"] for r in rs) / len(rs)
errs = sum(r["errors"] for r in rs)
print(json.dumps({"name": name, "pairs_per_sec": pairs, "p50_ns": p50, "p99_ns": p99,
                  "msgs_per_op": msgs, "errors": errs}))
PY
}

rows=$dir/../lwbench-$$.rows
rm -f "$rows"
base="seconds=$seconds,remote=1,ex=100,convert=0,noqueue=0,lvb=0,resources=4096"
for r in $(seq 1 "$runs"); do
	one_run throughput "$base,outstanding=$out" 2
	one_run latency "$base,outstanding=1,only-node=1" 2
	tail -n 2 "$rows" | python3 -c "$(cat <<'PY'
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print("run: %-10s %7.3f M pairs/s  p50 %8.1f us  p99 %8.1f us  msgs/op %.2f  errors %d" % (
        d["name"], d["pairs_per_sec"] / 1e6, d["p50_ns"] / 1e3, d["p99_ns"] / 1e3,
        d["msgs_per_op"], d["errors"]))
PY
)" >&2
done
python3 - "$rows" "$json" "$runs" "$seconds" "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want_json = sys.argv[2] == "1"
res = {"bench": "memif-2node-remote", "runs": int(sys.argv[3]), "seconds": float(sys.argv[4]),
       "outstanding": int(sys.argv[5])}
for name in ("throughput", "latency"):
    rs = [r for r in rows if r["name"] == name]
    res[name] = {k: statistics.median(r[k] for r in rs)
                 for k in ("pairs_per_sec", "p50_ns", "p99_ns", "msgs_per_op")}
    res[name]["errors"] = sum(r["errors"] for r in rs)
if want_json:
    print(json.dumps(res))
else:
    t, l = res["throughput"], res["latency"]
    print(f"memif, 2 nodes, every lock remote, no caching; medians of {res['runs']} runs of {res['seconds']} s")
    print(f"  throughput ({res['outstanding']} in flight per node): {t['pairs_per_sec']/1e6:.3f} M lock+unlock pairs/s, "
          f"lock p50 {t['p50_ns']/1e3:.1f} us, p99 {t['p99_ns']/1e3:.1f} us, {t['msgs_per_op']:.2f} msgs/op")
    print(f"  latency (1 in flight, node 1): {l['pairs_per_sec']/1e3:.1f} K pairs/s, round trip p50 {l['p50_ns']/1e3:.1f} us, "
          f"p99 {l['p99_ns']/1e3:.1f} us")
PY
rm -f "$rows"
