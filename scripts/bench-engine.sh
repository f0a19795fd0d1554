#!/usr/bin/env bash
# bench-engine.sh — the single-site engine benchmark, several runs of each
# configuration, medians printed. Builds build/release first.
#
#   scripts/bench-engine.sh [-s SECONDS] [-n RUNS]     (defaults: 3 s, 5 runs)
#
# Configurations: 1000 resources uniform, 1000000 uniform, 1000 zipf (s=0.99);
# batches of 32. Runs are interleaved (one of each configuration, then again)
# so that a noisy moment on the machine spreads over all of them. The raw JSON
# of every run is kept in build/release/bench/engine-<time>.jsonl.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/common.sh

secs=3
runs=5
while getopts "s:n:h" opt; do
	case $opt in
	s) secs=$OPTARG ;;
	n) runs=$OPTARG ;;
	*)
		sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
		[ "$opt" = h ] && exit 0 || exit 2
		;;
	esac
done

CONFIGS=(1000:uniform 1000000:uniform 1000:zipf)

scripts/install-deps.sh
lw_setup build/release -Dbuildtype=release
lw_compile build/release
bench=build/release/perf/lw-engine-bench

mkdir -p build/release/bench
raw=build/release/bench/engine-$(date +%Y%m%d-%H%M%S).jsonl
: >"$raw"
echo "lw-engine-bench: $runs runs of ${secs}s per configuration, batch 32 (raw: $raw)"
failed=0
for ((i = 1; i <= runs; i++)); do
	for c in "${CONFIGS[@]}"; do
		res=${c%:*}
		dist=${c#*:}
		printf '  run %d/%d: %7s resources, %-7s ... ' "$i" "$runs" "$res" "$dist"
		if "$bench" --resources "$res" --dist "$dist" --seconds "$secs" --json >>"$raw"; then
			python3 -c 'import json,sys; r=json.loads(sys.stdin.readlines()[-1]); print("%.2f M ops/s" % (r["ops_per_sec"]/1e6))' <"$raw"
		else
			echo "failed (exit $?)"
			failed=1
		fi
	done
done

python3 - "$raw" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
groups = {}
for r in runs:
    groups.setdefault((r["resources"], r["dist"]), []).append(r)
if runs:
    print("build: " + runs[0]["build"])
print()
print(f"{'resources':>10} {'dist':8} {'runs':>4} {'M ops/s':>8} {'(min-max)':>13} "
      f"{'p50 ns':>7} {'p99 ns':>7} {'p999 ns':>8} {'errors':>6}")
for (res, dist), rs in groups.items():
    ops = [r["ops_per_sec"] / 1e6 for r in rs]
    med = lambda k: statistics.median(r["lat_ns"][k] for r in rs)
    errs = sum(r["errors"] for r in rs)
    print(f"{res:>10} {dist:8} {len(rs):>4} {statistics.median(ops):8.2f} "
          f"{'(%.2f-%.2f)' % (min(ops), max(ops)):>13} {med('p50'):7.1f} {med('p99'):7.1f} "
          f"{med('p999'):8.1f} {errs:>6}")
print()
print("medians over runs; an op is one request answered (lock granted or unlock done);")
print("ns = time of one engine call / requests in it; one engine on one pinned core, no network.")
PY
exit $failed
