#!/usr/bin/env bash
# The real-workload suite, as root: nginx serving a bind mount on a published port, postgres
# on a named volume with an app container reaching it by name and surviving kill -9, redis
# OOM-killed under -m (test/e2e/workloads_test.go, TestWorkloads). Their Debian root file
# system is made offline from this machine's apt mirror by scripts/workloads-rootfs.sh (once:
# it is cached), imported with `geedocker import`, and the images are built on it with
# `geedocker build`. Prints the time of each step.
#
#   scripts/test-workloads.sh      (`make test-workloads`)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
if [ "$(id -u)" != 0 ]; then
	echo "make test-workloads needs root (debootstrap, namespaces, mounts, cgroups)" >&2
	exit 1
fi
./scripts/test-deps.sh
echo "== build"
make build
echo "== the workloads' Debian root file system"
SECONDS=0
GEEDOCKER_WORKLOADS_ROOTFS=$(./scripts/workloads-rootfs.sh)
echo "== ready in ${SECONDS}s: $GEEDOCKER_WORKLOADS_ROOTFS"
export GEEDOCKER_WORKLOADS_ROOTFS GEEDOCKER_BIN=$PWD/bin/geedocker GEEDOCKER_REQUIRE_ROOT_TESTS=1
SECONDS=0
go test -count=1 -timeout 15m -v -run '^TestWorkloads$' ./test/e2e
echo "== workloads passed in ${SECONDS}s"
