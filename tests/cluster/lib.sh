# lib.sh — what the cluster test scripts share; sourced after they set
# cluster (scripts/cluster.sh), dir (the cluster directory) and fail=0.

# check DESCRIPTION COMMAND... — run a check, print ok/FAIL, record a failure
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		fail=1
	fi
}

# stop_cluster NAME — stop the cluster; keep its files only when a check failed
stop_cluster() {
	"$cluster" stop --dir "$dir" >/dev/null 2>&1 || true
	if [ "$fail" -eq 0 ]; then
		rm -rf "$dir"
	else
		echo "$1: files kept in $dir"
	fi
}
