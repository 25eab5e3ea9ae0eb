#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine, as root: installs
# what the tests need (apt), then runs every tier. The end-to-end tests start
# their own registries on loopback and stop them; nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
if [ "$(id -u)" != 0 ]; then
	echo "make test needs root (namespaces, mounts, cgroups); 'make test-unit' runs the unprivileged tier" >&2
	exit 1
fi
./scripts/test-deps.sh
echo "== gofmt, go vet"
unformatted=$(gofmt -l cmd internal test 2>/dev/null || true)
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
go vet ./...
echo "== build"
make build
export GEEDOCKER_BIN=$PWD/bin/geedocker
# A missing registry or busybox must fail the run, not skip tests.
export GEEDOCKER_REQUIRE_REGISTRY=1 GEEDOCKER_REQUIRE_ROOT_TESTS=1
if [ "${SKIP_WORKLOADS:-0}" != 1 ]; then
	# The real-workload tests' Debian root (scripts/workloads-rootfs.sh: debootstrap once,
	# then cached); TestWorkloads runs with the end-to-end tests below when it is set.
	echo "== the workloads' Debian root file system"
	GEEDOCKER_WORKLOADS_ROOTFS=$(./scripts/workloads-rootfs.sh)
	export GEEDOCKER_WORKLOADS_ROOTFS
fi
echo "== unit and root tests, end to end"
go test -count=1 -timeout 30m ./...
echo "== testcontainers-go driving geedocker serve (a module of its own; Ryuk disabled)"
(cd test/testcontainers && go vet ./... && go test -count=1 -timeout 10m ./...)
echo "== containerd 1.6 driving geedocker-runc"
./scripts/test-containerd.sh
echo "== containerd's CRI plugin driving geedocker-runc, through crictl"
./scripts/test-cri.sh
echo "== fuzz targets, a few seconds each"
# A count, not a duration: a count has no deadline to race (see scripts/fuzz.sh); 300 runs take
# about 3 s for the unpacker's targets and less for the parsers'.
FUZZTIME=${FUZZTIME:-300x} ./scripts/fuzz.sh
if [ -x scripts/test-cgroupv2.sh ] && [ "${SKIP_CGROUPV2:-0}" != 1 ]; then
	echo "== cgroup v2 in a VM"
	./scripts/test-cgroupv2.sh
fi
echo "== all tests passed"
