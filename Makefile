# GeeDocker — build, demo, tests, benchmarks. Run as root on Linux.
GO      ?= go
BIN     := bin/geedocker
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/geedocker/geedocker/internal/cli.Version=$(VERSION)

.PHONY: build demo test test-unit test-e2e test-cgroupv2 fuzz test-oci test-containerd test-cri bench lint clean

# cgo for the C constructor of internal/runtime/nsenter (exec) and for libseccomp
# (internal/seccomp, libseccomp-dev's libseccomp.a); linked statically because the binary is
# also bind-mounted into containers as their --init, where no dynamic loader exists.
# Installed next to it: geedocker-monitor, the small program that holds a detached container
# (pure Go: no cgo), and geedocker-init, the container's init and the monitor's hooks.
build:
	CGO_ENABLED=1 $(GO) build -trimpath -tags osusergo,netgo -ldflags '$(LDFLAGS) -linkmode external -extldflags "-static"' -o $(BIN) ./cmd/geedocker
	ln -sf geedocker bin/geedocker-runc
	CGO_ENABLED=1 $(GO) build -trimpath -tags osusergo,netgo -ldflags '-s -w -linkmode external -extldflags "-static"' -o $(BIN)-init ./cmd/geedocker-init
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(BIN)-monitor ./cmd/geedocker-monitor

# The main job on a fresh machine, offline: build, make a busybox image from
# Debian's busybox-static, import it, list it, run a container from it.
demo:
	./scripts/demo.sh

# Everything the tests need is installed and started by the tests' setup.
test:
	./scripts/test.sh

# The unprivileged tier alone: no root, no network.
test-unit:
	$(GO) test ./...

# nginx, postgres and redis from Debian (debootstrap, cached in /var/tmp/geedocker-workloads)
# run as a user would run them; `make test` runs them too.
.PHONY: test-workloads
test-workloads:
	./scripts/test-workloads.sh

test-cgroupv2: build
	./scripts/test-cgroupv2.sh

# Every native Go fuzz target (func Fuzz* in any package), one after another,
# FUZZTIME each (default 30s); FUZZ=regexp picks targets. As root, like CI.
# `make test` runs the same script with FUZZTIME=300x (a count: no deadline to race).
fuzz:
	./scripts/fuzz.sh

# OCI runtime-tools against geedocker-runc and runc side by side (root; see the script).
test-oci: build
	./scripts/test-oci.sh

# A private containerd 1.6 driving geedocker-runc through ctr (root; see the script).
test-containerd: build
	./scripts/test-containerd.sh

# The kubelet's path: containerd 1.6's CRI plugin with a geedocker-runc runtime handler, driven
# by crictl (built once with go install; root; see the script).
test-cri: build
	./scripts/test-cri.sh

bench: build
	./scripts/bench.sh

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...

clean:
	rm -rf bin
