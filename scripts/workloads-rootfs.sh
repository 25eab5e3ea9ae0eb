#!/usr/bin/env bash
# The root file system of the real-workload tests (test/e2e/workloads_test.go): Debian
# bookworm minbase with nginx-light, postgresql-15 (and its psql client) and redis-server,
# made with debootstrap from this machine's own apt mirror, trimmed like the official images
# (no apt lists or caches, docs, man pages or locales), with nothing in it naming the mirror
# or the host (no sources, resolv.conf, hostname or bootstrap log).
#
#   scripts/workloads-rootfs.sh      (root) prints the path of the tarball
#
# The tarball is cached in $GEEDOCKER_WORKLOADS_CACHE (default /var/tmp/geedocker-workloads),
# named by a hash of the suite, the packages and this script, so a second run only prints
# its path; WORKLOADS_REBUILD=1 makes it again. It is written to a temp name and renamed
# into place: an interrupted run leaves no tarball that looks complete.
set -euo pipefail

SUITE=bookworm
PACKAGES=nginx-light,postgresql-15,redis-server
CACHE=${GEEDOCKER_WORKLOADS_CACHE:-/var/tmp/geedocker-workloads}

die() {
	echo "workloads-rootfs: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (debootstrap)"
command -v debootstrap >/dev/null || die "debootstrap not found (scripts/test-deps.sh installs it)"

key=$( (echo "$SUITE $PACKAGES"; cat "$0") | sha256sum | cut -c1-12)
TAR=$CACHE/debian-$SUITE-workloads-$key.tar
if [ -f "$TAR" ] && [ "${WORKLOADS_REBUILD:-0}" != 1 ]; then
	echo "$TAR"
	exit 0
fi

# The mirror apt itself uses (deb822 sources first, then the one-line format); never
# written anywhere, and masked in the log.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || die "no apt mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"

mkdir -p "$CACHE"
work=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
log=$CACHE/debootstrap.log

start=$(date +%s)
# A second try when a download fails midway (debootstrap itself does not retry).
for try in 1 2; do
	rm -rf "$root"
	if debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$mirror" 2>&1 |
		sed -E 's#[a-z]+://[^ ]+#<mirror>#g' >"$log"; then
		break
	fi
	tail -n 20 "$log" >&2
	[ "$try" = 1 ] || die "debootstrap failed twice (log: $log)"
	echo "workloads-rootfs: debootstrap failed, trying once more" >&2
done
echo "workloads-rootfs: debootstrap took $(($(date +%s) - start))s" >&2

echo "# no sources: an offline test image" >"$root/etc/apt/sources.list"
rm -rf "$root"/etc/apt/sources.list.d/* "$root"/var/log/bootstrap.log "$root"/var/cache/apt/* \
	"$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
	"$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/usr/lib/dpkg/methods/apt
# The engine writes these for each container.
rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
: >"$root/etc/hostname"

tar --sort=name --numeric-owner --xattrs -C "$root" -cf "$work/rootfs.tar" .
mv "$work/rootfs.tar" "$TAR"
# Tarballs of older versions of this script.
find "$CACHE" -maxdepth 1 -name "debian-*-workloads-*.tar" ! -path "$TAR" -delete
echo "workloads-rootfs: $TAR ($(du -h "$TAR" | cut -f1))" >&2
echo "$TAR"
