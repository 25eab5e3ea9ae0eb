#!/usr/bin/env bash
# Writes a minimal busybox root file system tarball to $1, offline, from
# Debian's busybox-static (installed when missing).
set -euo pipefail
out=${1:?usage: busybox-rootfs.sh OUT.tar}
if [ ! -x /bin/busybox ] || ! /bin/busybox --list >/dev/null 2>&1 || ldd /bin/busybox >/dev/null 2>&1; then
	if ! dpkg -s busybox-static >/dev/null 2>&1; then
		apt-get install -y -qq busybox-static >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq busybox-static; }
	fi
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
r=$dir/rootfs
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var,run,home/app}
chmod 1777 "$r/tmp"
cp /bin/busybox "$r/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n' >"$r/etc/group"
chown 1000:1000 "$r/home/app"
tar --sort=name --mtime=@0 --numeric-owner -C "$r" -cf "$out" .
