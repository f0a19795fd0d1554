# shellcheck shell=bash
# common.sh — helpers sourced by test.sh, demo.sh and bench-engine.sh.
# Not executable on its own. Expects to be sourced from the repository root.

# lw_setup DIR MESON-OPTION... — configure DIR, or reconfigure it when it is
# already a meson build directory (wiping it if reconfiguring fails). The
# output of meson is shown only when something goes wrong.
lw_setup() {
	local dir=$1 log rc=0
	shift
	log=$(mktemp)
	if [ -f "$dir/meson-private/coredata.dat" ]; then
		meson setup --reconfigure "$dir" "$@" >"$log" 2>&1 ||
			meson setup --wipe "$dir" "$@" >"$log" 2>&1 || rc=$?
	else
		# Not a meson build directory (or absent): start clean.
		rm -rf "$dir"
		mkdir -p "$(dirname "$dir")"
		meson setup "$dir" "$@" >"$log" 2>&1 || rc=$?
	fi
	if [ $rc -ne 0 ]; then
		cat "$log" >&2
		echo "meson setup $dir failed" >&2
	fi
	rm -f "$log"
	return $rc
}

# lw_compile DIR — build everything in DIR; the compiler output is shown only
# on failure.
lw_compile() {
	local dir=$1 log rc=0
	log=$(mktemp)
	meson compile -C "$dir" >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		cat "$log" >&2
		echo "meson compile -C $dir failed" >&2
	else
		grep -E 'warning:' "$log" >&2 || true
	fi
	rm -f "$log"
	return $rc
}
