#!/usr/bin/env bash
# GeeDocker's cgroup v2 support on a real cgroup v2 kernel, whatever the host
# runs: boots Debian's cloud kernel under qemu (TCG) with an initramfs holding
# bin/geedocker, a busybox rootfs tarball, test/cgroupv2/{init,checks.sh} and
# (when go is installed) the test binary of internal/cgroups, which run OOM,
# pids, CPU-throttling, limit, device and cleanup checks in the VM and
# print one "CGV2 PASS|FAIL" line each. Exits non-zero when a check fails,
# when the VM does not boot or when it runs longer than CGV2_TIMEOUT seconds.
#
# Installs what it needs with apt when missing: qemu-system-x86,
# linux-image-cloud-amd64, busybox-static, cpio.
#
# Usage (as root, after make build): scripts/test-cgroupv2.sh
#   GEEDOCKER_BIN  the static binary to test (default bin/geedocker)
#   CGV2_TIMEOUT   seconds the VM may run (default 180)
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD/test/cgroupv2
bin=${GEEDOCKER_BIN:-$PWD/bin/geedocker}
timeout=${CGV2_TIMEOUT:-180}
start=$SECONDS

fail() {
	echo "test-cgroupv2: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (apt-get, the kernel in /boot)"
[ -x "$bin" ] || fail "$bin not found: run 'make build' first"
if ldd "$bin" >/dev/null 2>&1; then
	fail "$bin is dynamically linked; the VM has no libc (build with CGO_ENABLED=0, as make build does)"
fi

# ---- packages
installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}
missing=()
for p in qemu-system-x86 linux-image-cloud-amd64 busybox-static cpio; do
	installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "test-cgroupv2: installing ${missing[*]}"
	apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
	aptlog=$(mktemp)
	if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >"$aptlog" 2>&1; then
		if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${missing[@]}"; } >"$aptlog" 2>&1; then
			cat "$aptlog" >&2
			rm -f "$aptlog"
			fail "apt-get install ${missing[*]} failed"
		fi
	fi
	rm -f "$aptlog"
fi

# ---- the kernel and its overlay module: the newest cloud kernel with modules
kver=
for k in $(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V -r); do
	v=${k#/boot/vmlinuz-}
	if [ -d "/lib/modules/$v/kernel/fs/overlayfs" ]; then
		kver=$v
		break
	fi
done
[ -n "$kver" ] || fail "no /boot/vmlinuz-*-cloud-amd64 with its modules under /lib/modules (is linux-image-cloud-amd64 installed?)"
kernel=/boot/vmlinuz-$kver
ko=$(ls /lib/modules/"$kver"/kernel/fs/overlayfs/overlay.ko* 2>/dev/null | head -n 1)
[ -n "$ko" ] || fail "no overlay.ko under /lib/modules/$kver/kernel/fs/overlayfs"

# ---- the initramfs
work=$(mktemp -d /tmp/geedocker-cgv2.XXXXXX)
qemu_pid=
cleanup() {
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill -KILL "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

r=$work/initramfs
mkdir -p "$r"/{bin,dev,proc,sys,lib,tmp,run,root,etc}
mknod "$r/dev/console" c 5 1
cp /bin/busybox "$r/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
done
cp "$bin" "$r/bin/geedocker"
cp "$bin-monitor" "$r/bin/geedocker-monitor" || fail "$bin-monitor missing: make build makes it next to $bin"
cp "$bin-init" "$r/bin/geedocker-init" || fail "$bin-init missing: make build makes it next to $bin"
# The device program's root tests, run in the VM by checks.sh.
if command -v go >/dev/null; then
	CGO_ENABLED=0 go test -c -o "$r/cgroups.test" ./internal/cgroups || fail "go test -c ./internal/cgroups failed"
fi
case $ko in
*.ko) cp "$ko" "$r/lib/overlay.ko" ;;
*.ko.xz) xz -dc "$ko" >"$r/lib/overlay.ko" ;;
*.ko.zst)
	command -v zstd >/dev/null || apt-get install -y -q --no-install-recommends zstd >/dev/null
	zstd -qdc "$ko" >"$r/lib/overlay.ko"
	;;
*) fail "cannot read the module $ko" ;;
esac
./scripts/busybox-rootfs.sh "$r/rootfs.tar"
install -m 0755 "$here/init" "$r/init"
install -m 0755 "$here/checks.sh" "$r/checks.sh"
(cd "$r" && find . | cpio --quiet -o -H newc -R 0:0 | gzip -1) >"$work/initramfs.gz"

# ---- the VM
echo "test-cgroupv2: booting $kernel (qemu, TCG, timeout ${timeout}s)"
console=$work/console.log
qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot -nic none \
	-kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 loglevel=3 panic=-1 rdinit=/init" \
	</dev/null >"$console" 2>&1 &
qemu_pid=$!
timed_out=0
deadline=$((SECONDS + timeout))
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [ $SECONDS -ge $deadline ]; then
		timed_out=1
		kill -TERM "$qemu_pid" 2>/dev/null || true
		sleep 2
		kill -KILL "$qemu_pid" 2>/dev/null || true
		break
	fi
	sleep 1
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=

# ---- the verdict
tr -d '\r' <"$console" >"$console.txt"
grep -E '^CGV2 (PASS|FAIL|INFO)|^    ' "$console.txt" || true
done_line=$(grep -E '^CGV2 DONE ' "$console.txt" | tail -n 1 || true)
passes=$(grep -c '^CGV2 PASS ' "$console.txt" || true)
fails=$(grep -c '^CGV2 FAIL ' "$console.txt" || true)
ok=1
why=
if [ $timed_out = 1 ]; then
	ok=0 why="the VM ran longer than ${timeout}s and was killed"
elif [ -z "$done_line" ]; then
	ok=0 why="the VM stopped before its checks finished (no CGV2 DONE line)"
elif [ "$fails" != 0 ] || [ "$done_line" != "CGV2 DONE passed=$passes failed=0" ] || [ "$passes" = 0 ]; then
	ok=0 why="$fails check(s) failed"
fi
if [ $ok = 0 ]; then
	echo "---- VM console"
	cat "$console.txt"
	echo "----"
	fail "FAIL: $why ($((SECONDS - start))s)"
fi
echo "test-cgroupv2: PASS: $passes checks passed on a cgroup v2 kernel ($kver) in $((SECONDS - start))s"
