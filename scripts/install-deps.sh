#!/usr/bin/env bash
# install-deps.sh — install the Debian 12 packages lockwire builds, tests and
# benchmarks with (hiredis, redis-server and matplotlib for the comparison
# with Redis and its plots). Idempotent: asks dpkg first and touches apt only
# when something is missing; prints nothing when everything is there. Needs
# no tty.
set -euo pipefail

PACKAGES=(
	libdpdk-dev dpdk libnuma-dev libcunit1-dev libjansson-dev
	meson ninja-build pkg-config gcc gcovr python3
	libhiredis-dev redis-server python3-matplotlib
)

installed() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
	[ "$st" = installed ]
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing ${missing[*]} and no apt-get (lockwire targets Debian 12)" >&2
	exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo -n)
	else
		echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
		exit 1
	fi
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-q -o Dpkg::Use-Pty=0)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y "${missing[@]}"

still=()
for p in "${missing[@]}"; do
	installed "$p" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
	echo "install-deps: still missing after apt-get: ${still[*]}" >&2
	exit 1
fi
