#!/usr/bin/env bash
# The main job, offline: a busybox image from Debian's busybox-static,
# imported into GeeDocker, listed, and run in an isolated container.
set -euo pipefail
cd "$(dirname "$0")/.."
gd=./bin/geedocker
# The static build links glibc and libseccomp statically (cgo): it needs libc6-dev's libc.a and
# libseccomp-dev's libseccomp.a.
if ! dpkg -s libc6-dev libseccomp-dev >/dev/null 2>&1 || ! command -v gcc >/dev/null; then
	apt-get install -y -qq gcc libc6-dev libseccomp-dev >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq gcc libc6-dev libseccomp-dev; }
fi
make build
tar=$(mktemp --suffix=.tar)
trap 'rm -f "$tar"' EXIT
./scripts/busybox-rootfs.sh "$tar"
echo "+ geedocker import --change 'CMD [\"sh\"]' busybox.tar busybox:latest"
$gd import --change 'CMD ["sh"]' "$tar" busybox:latest
echo "+ geedocker images"
$gd images
if $gd run --help >/dev/null 2>&1; then
	echo "+ geedocker run --rm --network none --memory 64m --pids-limit 32 --cpus 0.5 busybox sh -c '…'"
	$gd run --rm --network none --memory 64m --pids-limit 32 --cpus 0.5 --hostname demo busybox sh -c '
		echo "hostname: $(hostname)"
		echo "processes (PID 1 is the command):"; ps -o pid,comm
		echo "capabilities: $(grep CapEff /proc/self/status)"
		if [ -f /sys/fs/cgroup/memory.max ]; then echo "memory limit: $(cat /sys/fs/cgroup/memory.max)"; echo "pids limit: $(cat /sys/fs/cgroup/pids.max)"; echo "cpu: $(cat /sys/fs/cgroup/cpu.max)";
		else echo "memory limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"; echo "pids limit: $(cat /sys/fs/cgroup/pids/pids.max)"; echo "cpu quota/period: $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)/$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi'
fi
