#!/usr/bin/env bash
# bench-vs-redis.sh — lockwire against Redis on this machine, in one run,
# with the same workload and the same client counts.
#
#   scripts/bench-vs-redis.sh [--seconds S] [--warmup S] [--runs N]
#       [--clients LIST] [--resources R] [--dist uniform|zipf] [--hold-us H]
#       [--build DIR] [--no-build] [--no-embedded] [--json]
#
# Defaults: 5 s measured (+1 s warm-up) per run, 1 run (medians of N runs
# with --runs N), clients 1,50, 1000 resources, uniform, no hold time,
# build/release (dependencies installed and the tree built first, unless
# --no-build).
#
# What runs, one after the other:
#   Redis     a redis-server of its own on 127.0.0.1, a free port, no
#             persistence (--save '' --appendonly no), a temporary dir;
#             lw-redis-bench: acquire SET key owner NX PX 10000, release a
#             compare-and-delete script (EVALSHA); for each client count:
#             depth 1 (one command in flight per connection) and
#             pipelined 16.
#   lockwire  a one-node cluster (scripts/cluster.sh, 1 worker: the fair
#             match for one Redis server); lw-bench in client mode
#             (liblockwire sessions, asynchronous requests): the same
#             client counts at depth 1 and 16; then lw-bench --embedded
#             (the load inside the daemon's worker, no client threads; as
#             many slots as the largest client count x 16, at most 1024).
# Both sides: every lock exclusive (ex=100), the same names and draws.
# An op is one acquire/lock or release/unlock answered; latency is per
# acquire (lock request). Redis acquires that find the key taken are
# answered ops and are retried; lockwire requests wait in the lock queue.
#
# Printed: a table (medians), then the ratios the project aims at:
#   lockwire throughput / Redis pipelined-16 throughput   (target >= 20)
#   lockwire p50 (1 client, depth 1) / Redis p50 (1 client, depth 1)
#                                                         (target <= 0.1)
# With --json: one JSON object (every run, the medians, the ratios).
# Redis and the cluster are stopped and the temporary directory removed on
# every exit, also on failure or a signal. Exit 0 when every run worked
# (whatever the ratios: a benchmark reports, it does not judge), else 1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/common.sh
. scripts/common.sh

seconds=5 warmup=1 runs=1 clients=1,50 resources=1000 dist=uniform hold=0
build=build/release do_build=1 embedded=1 json=0
usage() { sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--seconds | --warmup | --runs | --clients | --resources | --dist | --hold-us | --build)
		[ $# -ge 2 ] || { echo "bench-vs-redis.sh: $1 needs a value" >&2; exit 2; } ;;
	esac
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--clients) clients=$2; shift 2 ;;
	--resources) resources=$2; shift 2 ;;
	--dist) dist=$2; shift 2 ;;
	--hold-us) hold=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--no-embedded) embedded=0; shift ;;
	--json) json=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-vs-redis.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench-vs-redis.sh: --runs wants a count" >&2; exit 2; }
[[ $clients =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
	{ echo "bench-vs-redis.sh: --clients wants a list like 1,50" >&2; exit 2; }
IFS=, read -ra CLIENTS <<<"$clients"
maxc=$(printf '%s\n' "${CLIENTS[@]}" | sort -n | tail -n 1)

say() { echo "bench-vs-redis: $*" >&2; }

if [ $do_build -eq 1 ]; then
	scripts/install-deps.sh
	lw_setup "$build" -Dbuildtype=release
	lw_compile "$build"
fi
build=$(realpath "$build")
LWB=$build/perf/lw-bench
RB=$build/perf/lw-redis-bench
for f in "$LWB" "$RB" "$build/daemon/lockwired"; do
	[ -x "$f" ] || { say "missing $f (build $build first, or drop --no-build)"; exit 1; }
done
command -v redis-server >/dev/null || { say "redis-server not installed (scripts/install-deps.sh)"; exit 1; }

tmp=$(mktemp -d /tmp/lwvr-XXXXXX)
redis_pid='' child=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	local rc=$?
	if [ -n "$child" ]; then   # a benchmark still running: it ends its run on SIGTERM
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	if [ -n "$redis_pid" ]; then
		kill "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
	fi
	scripts/cluster.sh stop --dir "$tmp/cl" >/dev/null 2>&1 || true
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM

# ---- Redis --------------------------------------------------------------------

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_redis() {
	local _
	redis_port=$(free_port)
	mkdir -p "$tmp/redis"
	redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$tmp/redis" --logfile "$tmp/redis/redis.log" --daemonize no \
		--protected-mode yes </dev/null >/dev/null 2>&1 &
	redis_pid=$!
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null; then
			return 0
		fi
		kill -0 "$redis_pid" 2>/dev/null || break
		sleep 0.05
	done
	say "redis-server did not start; its log:"
	cat "$tmp/redis/redis.log" >&2 || true
	exit 1
}

stop_redis() {
	kill "$redis_pid" 2>/dev/null || true
	wait "$redis_pid" 2>/dev/null || true
	redis_pid=
}

ROWS=$tmp/rows
: >"$ROWS"
failed=0
# shellcheck disable=SC2054  # --mix takes a comma-separated value
LOAD=(--resources "$resources" --dist "$dist" --mix ex=100,pr=0 --hold-us "$hold"
	--seconds "$seconds" --warmup "$warmup" --json)

# one SIDE LABEL CLIENTS DEPTH COMMAND... — run, keep its JSON line labelled.
# In the background with a wait, so that a signal is handled at once.
one() {
	local side=$1 label=$2 c=$3 d=$4 rc=0
	shift 4
	say "$label: $c client(s), depth $d ..."
	"$@" >"$tmp/out" 2>"$tmp/err" &
	child=$!
	wait "$child" || rc=$?
	child=
	if [ $rc -eq 0 ]; then
		printf '%s\t%s\t%s\t%s\t%s\n' "$side" "$label" "$c" "$d" "$(tail -n 1 "$tmp/out")" >>"$ROWS"
	else
		say "$label failed:"
		sed 's/^/  | /' "$tmp/err" >&2
		failed=1
	fi
}

redis_runs() {
	local c
	start_redis
	for c in "${CLIENTS[@]}"; do
		one redis "redis-c$c-d1" "$c" 1 "$RB" --port "$redis_port" --threads "$c" --depth 1 "${LOAD[@]}"
	done
	for c in "${CLIENTS[@]}"; do
		one redis "redis-c$c-d16" "$c" 16 "$RB" --port "$redis_port" --threads "$c" --depth 16 "${LOAD[@]}"
	done
	stop_redis
}

# ---- lockwire -----------------------------------------------------------------

has_client_mode() {
	local out
	out=$("$LWB" --help 2>&1) || true
	[[ $out != *"built without liblockwire"* ]]
}

lockwire_runs() {
	local c d
	if has_client_mode; then
		scripts/cluster.sh start --nodes 1 --workers 1 --dir "$tmp/cl" --build "$build" >/dev/null
		for d in 1 16; do
			for c in "${CLIENTS[@]}"; do
				one lockwire "lockwire-c$c-d$d" "$c" "$d" "$LWB" --socket "$tmp/cl/node1.sock" \
					--threads "$c" --depth "$d" "${LOAD[@]}"
			done
		done
		scripts/cluster.sh stop --dir "$tmp/cl" >/dev/null || { say "cluster stop reported a problem"; failed=1; }
	else
		say "lw-bench was built without liblockwire: no client-mode runs"
	fi
	if [ $embedded -eq 1 ]; then
		one embedded "lockwire-embedded" "$maxc" 16 "$LWB" --embedded --nodes 1 --workers 1 \
			--build "$build" --threads "$maxc" --depth 16 "${LOAD[@]}"
	fi
}

for r in $(seq 1 "$runs"); do
	[ "$runs" -eq 1 ] || say "run $r of $runs"
	redis_runs
	lockwire_runs
done

python3 - "$ROWS" "$json" "$seconds" "$runs" "$resources" "$dist" "$hold" <<'PY' || failed=1
import json, statistics, sys

rows_path, want_json = sys.argv[1], sys.argv[2] == "1"
seconds, runs, resources, dist, hold = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
rows = []
for line in open(rows_path):
    side, label, c, d, js = line.rstrip("\n").split("\t", 4)
    rows.append({"side": side, "label": label, "clients": int(c), "depth": int(d), "result": json.loads(js)})

def med(rs, f):
    return statistics.median(f(r["result"]) for r in rs)

table = {}
for r in rows:
    table.setdefault(r["label"], []).append(r)
summary = []
for label, rs in table.items():
    summary.append({
        "label": label, "side": rs[0]["side"], "clients": rs[0]["clients"], "depth": rs[0]["depth"],
        "runs": len(rs), "ops_per_sec": med(rs, lambda x: x["ops_per_sec"]),
        "p50_ns": med(rs, lambda x: x["lat_ns"]["p50"]), "p99_ns": med(rs, lambda x: x["lat_ns"]["p99"]),
        "p999_ns": med(rs, lambda x: x["lat_ns"]["p999"]),
        "msgs_per_op": rs[0]["result"].get("msgs_per_op"),
        "local_grant_ratio": rs[0]["result"].get("local_grant_ratio"),
        "errors": sum(r["result"]["errors"] for r in rs)})

def pick(side, depth=None, clients=None):
    return [s for s in summary if s["side"] == side and (depth is None or s["depth"] == depth)
            and (clients is None or s["clients"] == clients)]

def best(ss):
    return max(ss, key=lambda s: s["ops_per_sec"]) if ss else None

redis_pipe = best(pick("redis", 16))
redis_single = (pick("redis", 1, 1) or [None])[0]
lw_client = best(pick("lockwire"))
lw_single = (pick("lockwire", 1, 1) or [None])[0]
lw_emb = best(pick("embedded"))
ratios = {}
if redis_pipe and redis_pipe["ops_per_sec"] > 0:
    if lw_client:
        ratios["throughput_client_vs_redis_pipelined16"] = lw_client["ops_per_sec"] / redis_pipe["ops_per_sec"]
    if lw_emb:
        ratios["throughput_embedded_vs_redis_pipelined16"] = lw_emb["ops_per_sec"] / redis_pipe["ops_per_sec"]
if redis_single and lw_single and redis_single["p50_ns"] > 0:
    ratios["p50_client_vs_redis_single"] = lw_single["p50_ns"] / redis_single["p50_ns"]
targets = {"throughput_vs_redis_pipelined16": ">= 20", "p50_vs_redis_single": "<= 0.1"}

if want_json:
    print(json.dumps({"bench": "bench-vs-redis", "seconds": seconds, "runs": runs,
                      "resources": resources, "dist": dist, "hold_us": hold, "mix": "ex=100",
                      "lockwire_nodes": 1, "summary": summary, "ratios": ratios,
                      "targets": targets, "all_runs": rows}))
    sys.exit(0)

def fmt(v, f):
    return "-" if v is None else f(v)

print(f"lockwire vs Redis: {resources} resources {dist}, every lock exclusive, hold {hold} us, "
      f"{seconds:g} s per run, medians of {runs} run(s); lockwire: 1 node, 1 worker")
print(f"{'run':24} {'clients':>7} {'depth':>5} {'K ops/s':>10} {'p50 us':>8} {'p99 us':>8} "
      f"{'p999 us':>8} {'msgs/op':>8} {'local':>6} {'errors':>6}")
for s in summary:
    print(f"{s['label']:24} {s['clients']:7} {s['depth']:5} {s['ops_per_sec'] / 1e3:10.1f} "
          f"{s['p50_ns'] / 1e3:8.1f} {s['p99_ns'] / 1e3:8.1f} {s['p999_ns'] / 1e3:8.1f} "
          f"{fmt(s['msgs_per_op'], lambda v: f'{v:.3f}'):>8} "
          f"{fmt(s['local_grant_ratio'], lambda v: f'{100 * v:.0f}%'):>6} {s['errors']:6}")
print()
if redis_pipe:
    print(f"Redis pipelined 16, best: {redis_pipe['label']} {redis_pipe['ops_per_sec'] / 1e3:.1f} K ops/s")
for key, label, target in (
        ("throughput_client_vs_redis_pipelined16", "lockwire (client mode, best) / Redis pipelined-16", ">= 20"),
        ("throughput_embedded_vs_redis_pipelined16", "lockwire (embedded) / Redis pipelined-16", ">= 20"),
        ("p50_client_vs_redis_single", "lockwire p50 / Redis p50, 1 client depth 1", "<= 0.1")):
    if key in ratios:
        print(f"  {label:52} {ratios[key]:8.3f}   (target {target})")
    else:
        print(f"  {label:52} {'n/a':>8}   (a run is missing)")
PY
exit $failed
