#!/usr/bin/env bash
# Installs the Debian packages GeeDocker's tests need, on a fresh Debian or
# Ubuntu machine. Idempotent: packages already installed are skipped, and apt's
# package lists are refreshed only when something has to be installed. Needs
# nothing from the network but apt.
#
#   docker-registry  the CNCF distribution registry the end-to-end tests pull from
#   busybox-static   the static busybox the test images are built from
#   apache2-utils    htpasswd
#   debootstrap      a Debian rootfs for the tests that need more than busybox
#   nftables, iproute2, util-linux   nft, ip and nsenter: the network tests' namespaces and checks
#   gcc, libc6-dev   the static cgo build (exec's namespace-joining constructor)
#   libseccomp-dev   libseccomp.a, linked statically: seccomp profiles are compiled with it
#   containerd       containerd 1.6, ctr and its runc shim: scripts/test-containerd.sh drives
#                    geedocker-runc with them
#   runc             the e2e run tests run again with --runtime runc
#   docker-compose   docker-compose 1.29.2 and, as its dependency, Debian's docker-py 5.0.3
#                    (python3-docker): the e2e compose and docker-py tests drive `geedocker serve`
#
# Usage: scripts/test-deps.sh   (as root, or with sudo available)
set -euo pipefail

packages=(docker-registry busybox-static apache2-utils debootstrap nftables iproute2 util-linux gcc libc6-dev libseccomp-dev containerd runc docker-compose)

fail() {
	echo "test-deps: $*" >&2
	exit 1
}

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

command -v dpkg-query >/dev/null || fail "dpkg-query not found: this script supports Debian and Ubuntu only"

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "test-deps: all present (${packages[*]})"
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || fail "missing ${missing[*]}, and installing needs root (or sudo)"
	sudo=(sudo)
fi

log=$(mktemp "${TMPDIR:-/tmp}/test-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)

echo "test-deps: installing ${missing[*]}"
if ! "${apt[@]}" update >"$log" 2>&1; then
	cat "$log" >&2
	fail "apt-get update failed"
fi
if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
	cat "$log" >&2
	fail "apt-get install ${missing[*]} failed"
fi

for p in "${missing[@]}"; do
	installed "$p" || fail "$p is still not installed after apt-get install"
done
for f in /usr/bin/docker-registry /bin/busybox /usr/bin/htpasswd /usr/sbin/debootstrap /usr/bin/docker-compose; do
	[ -x "$f" ] || fail "$f missing after installing ${missing[*]}"
done
[ -f /usr/include/seccomp.h ] || fail "/usr/include/seccomp.h missing after installing ${missing[*]}"
echo "test-deps: installed ${missing[*]}"
