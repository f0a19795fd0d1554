#!/usr/bin/env bash
# test.sh — install the dependencies, build build/release and build/asan
# (AddressSanitizer + UndefinedBehaviorSanitizer) and run the test suites
# unit, sim and cluster (those that have tests) in both. Suite perf is never
# run here. Prints the CUnit summary of every test program and ends with
# "N passed, N failed" over all builds; exits non-zero on any failure or when
# no test ran.
#
#   scripts/test.sh              release + asan
#   scripts/test.sh --coverage   also build/coverage: suite unit and line
#                                coverage per top-level folder (gcovr)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/common.sh

coverage=0
for arg in "$@"; do
	case $arg in
	--coverage) coverage=1 ;;
	-h | --help)
		sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "test.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

scripts/install-deps.sh

# Any sanitizer report ends the test program with a failure.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:print_stacktrace=1:detect_leaks=1:exitcode=23"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=24"
if [ -f scripts/lsan.supp ]; then
	export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
fi

SUITES=(unit sim cluster)
total_ok=0
total_fail=0
broken=()

# cunit_summary DIR — one line per test program of the last run in DIR: its
# meson result and the CUnit "Run Summary" counts it printed.
cunit_summary() {
	python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, re, sys
rows = {}
try:
    with open(sys.argv[1]) as f:
        lines = [json.loads(l) for l in f if l.strip()]
except OSError:
    sys.exit(0)
for t in lines:
    out = t.get("stdout") or ""
    name = t.get("name", "?").split(" / ")[-1]
    res = t.get("result", "?")
    m = re.search(r"Run Summary:.*\n((?:\s+\w+\s+.*\n?){1,3})", out)
    if not m:
        print(f"  {name:28s} {res:7s} (no CUnit summary)")
        continue
    for row in m.group(1).splitlines():
        f = row.split()
        if len(f) >= 5:
            rows[f[0]] = f
    def part(kind):
        f = rows.get(kind)
        if not f:
            return ""
        return f"{kind} {f[3]}/{f[1]} passed, {f[4]} failed"
    print(f"  {name:28s} {res:7s} " + "; ".join(p for p in (part("tests"), part("asserts")) if p))
    rows.clear()
PY
}

# count KEY FILE — the number meson printed after "KEY:" in its summary.
count() {
	local n
	n=$(sed -n "s/^$1:[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$2" | tail -n 1)
	echo "${n:-0}"
}

# run_build NAME TIMEOUT-MULTIPLIER SUITES MESON-OPTION...
run_build() {
	local mult=$2 suites=$3 dir=build/$1 out rc=0 s
	shift 3
	echo
	echo "==== $dir ($*)"
	if ! lw_setup "$dir" "$@" || ! lw_compile "$dir"; then
		broken+=("$dir")
		return 0
	fi
	local args=()
	for s in $suites; do
		if meson test -C "$dir" --no-rebuild --list --suite "$s" >/dev/null 2>&1; then
			args+=(--suite "$s")
		fi
	done
	if [ ${#args[@]} -eq 0 ]; then
		echo "$dir: no tests in suites: $suites"
		broken+=("$dir (no tests)")
		return 0
	fi
	out=$(mktemp)
	meson test -C "$dir" --no-rebuild --print-errorlogs --timeout-multiplier "$mult" \
		"${args[@]}" 2>&1 | tee "$out" || rc=$?
	local ok fail timeout upass
	ok=$(count Ok "$out")
	fail=$(count Fail "$out")
	timeout=$(count Timeout "$out")
	upass=$(count "Unexpected Pass" "$out")
	rm -f "$out"
	fail=$((fail + timeout + upass))
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		# meson failed without counting a failed test (it crashed, or no
		# summary was printed): count it as one failure.
		fail=1
	fi
	echo "---- $dir: CUnit summaries"
	cunit_summary "$dir"
	echo "---- $dir: $ok passed, $fail failed"
	total_ok=$((total_ok + ok))
	total_fail=$((total_fail + fail))
}

# coverage_report — gcovr table for engine/, then line coverage per folder.
coverage_report() {
	local dir=build/coverage json
	echo
	echo "---- line coverage of engine/ (suite unit)"
	gcovr -r . --filter 'engine/' "$dir" || true
	json=$(mktemp)
	if gcovr -r . --exclude 'tests/' --exclude 'perf/' --exclude 'build/' \
		--json-summary "$json" "$dir" >/dev/null 2>&1; then
		echo "---- line coverage per top-level folder (suite unit; tests/ and perf/ left out)"
		python3 - "$json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
agg = {}
for f in d.get("files", []):
    top = f["filename"].split("/")[0] + "/"
    a = agg.setdefault(top, [0, 0])
    a[0] += f.get("line_covered", 0)
    a[1] += f.get("line_total", 0)
for top in sorted(agg):
    cov, tot = agg[top]
    pct = 100.0 * cov / tot if tot else 0.0
    print(f"  {top:12s} {pct:6.1f}%  ({cov} of {tot} lines)")
cov = sum(a[0] for a in agg.values()); tot = sum(a[1] for a in agg.values())
print(f"  {'total':12s} {100.0 * cov / tot if tot else 0.0:6.1f}%  ({cov} of {tot} lines)")
PY
	else
		echo "gcovr --json-summary failed" >&2
	fi
	rm -f "$json"
}

run_build release 1 "${SUITES[*]}" -Dbuildtype=release
run_build asan 3 "${SUITES[*]}" -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

if [ $coverage -eq 1 ]; then
	if [ -d build/coverage ]; then
		find build/coverage -name '*.gcda' -delete
	fi
	run_build coverage 2 unit -Dbuildtype=debug -Db_coverage=true
	if [ -f build/coverage/build.ninja ]; then
		coverage_report
	fi
fi

echo
status=0
if [ ${#broken[@]} -ne 0 ]; then
	echo "not tested: ${broken[*]}"
	status=1
fi
if [ $total_fail -ne 0 ] || [ $((total_ok + total_fail)) -eq 0 ]; then
	status=1
fi
echo "$total_ok passed, $total_fail failed"
exit $status
