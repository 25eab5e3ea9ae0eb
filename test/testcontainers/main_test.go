//go:build linux

// Package testcontainers drives `geedocker serve` with testcontainers-go, as
// a Go project's tests would drive Docker. It is a module of its own so that
// testcontainers-go and its dependencies never reach GeeDocker's.
//
// The test binary re-runs itself in a network namespace of its own (unshare
// --net): the engine's bridge and rules, the published ports and the
// connections testcontainers-go makes to them (to "localhost") all live
// there, and go with the process. It needs root, the geedocker binary
// ($GEEDOCKER_BIN, or built from ../..) and Debian's busybox-static for the
// image (../../scripts/busybox-rootfs.sh).
//
// Ryuk, testcontainers' reaper, runs from an image of Docker Hub, which is
// not reachable here: it is disabled (TESTCONTAINERS_RYUK_DISABLED=true)
// and each test terminates its containers itself.
package testcontainers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// inNetnsEnv marks the test binary run again inside its namespace.
const inNetnsEnv = "GEEDOCKER_TC_NETNS"

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 || os.Getenv(inNetnsEnv) != "" {
		if os.Getenv(inNetnsEnv) != "" {
			if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "lo up in the test's namespace: %v %s\n", err, out)
				os.Exit(1)
			}
		}
		code := m.Run()
		cleanupBuilt()
		os.Exit(code)
	}
	cmd := exec.Command("unshare", append([]string{"--net", os.Args[0]}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), inNetnsEnv+"=1")
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintf(os.Stderr, "unshare --net: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

var builtDir string

func cleanupBuilt() {
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
}

// geedockerBin is $GEEDOCKER_BIN, or geedocker and its monitor built from
// the main module, statically as `make build` builds them.
func geedockerBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("GEEDOCKER_BIN"); bin != "" {
		return bin
	}
	if builtDir != "" {
		return filepath.Join(builtDir, "geedocker")
	}
	dir, err := os.MkdirTemp("", "geedocker-tc-bin-")
	if err != nil {
		t.Fatal(err)
	}
	builtDir = dir
	for _, pkg := range []string{"geedocker", "geedocker-init", "geedocker-monitor"} {
		cmd := exec.Command("go", "build", "-buildvcs=false", "-tags", "osusergo,netgo",
			"-ldflags", "-linkmode external -extldflags -static", "-o", filepath.Join(dir, pkg), "./cmd/"+pkg)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if pkg == "geedocker-monitor" { // pure Go
			cmd.Args = []string{"go", "build", "-buildvcs=false", "-o", filepath.Join(dir, pkg), "./cmd/" + pkg}
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", pkg, err, out)
		}
	}
	return filepath.Join(dir, "geedocker")
}

// engine is one GeeDocker store with `geedocker serve` over it.
type engine struct {
	t          *testing.T
	bin        string
	root, cfg  string
	sock       string
	cgroupName string
}

// gd runs geedocker on the engine's store and returns its output; it fails
// the test unless the command exits 0.
func (e *engine) gd(args ...string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, append([]string{"--root", e.root, "--config-file", e.cfg}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		e.t.Fatalf("geedocker %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

// newEngine makes a store with the busybox image, starts `geedocker serve`
// on a socket in a temp dir, and points testcontainers-go at it. The server
// is SIGKILLed and every container left is removed after the test.
func newEngine(t *testing.T) *engine {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("GEEDOCKER_REQUIRE_ROOT_TESTS") == "1" {
			t.Fatal("root tests required (GEEDOCKER_REQUIRE_ROOT_TESTS=1) but not running as root")
		}
		t.Skip("needs root: containers need namespaces")
	}
	dir := t.TempDir()
	e := &engine{t: t, bin: geedockerBin(t), root: filepath.Join(dir, "root"), cfg: filepath.Join(dir, "config.json"),
		sock: filepath.Join(dir, "docker.sock"), cgroupName: fmt.Sprintf("geedocker-tc-%d", os.Getpid())}
	if err := os.WriteFile(e.cfg, []byte(`{"cgroup-parent": "`+e.cgroupName+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tar := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("../../scripts/busybox-rootfs.sh", tar).CombinedOutput(); err != nil {
		t.Fatalf("busybox-rootfs.sh: %v\n%s", err, out)
	}
	e.gd("import", "--change", `CMD ["sh"]`, tar, "busybox:latest")

	srv := exec.Command(e.bin, "--root", e.root, "--config-file", e.cfg, "serve", "-H", "unix://"+e.sock)
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { srv.Wait(); close(exited) }()
	t.Cleanup(func() {
		if ids := strings.Fields(e.gd("ps", "-aq", "--no-trunc")); len(ids) > 0 {
			e.gd(append([]string{"rm", "-f"}, ids...)...)
		}
		// The (empty) cgroup parent, v2 or v1, and the store's run directory
		// (/run/geedocker/<first 8 bytes of sha256(root)>, as internal/container names it).
		parents, _ := filepath.Glob("/sys/fs/cgroup/*/" + e.cgroupName)
		for _, d := range append(parents, "/sys/fs/cgroup/"+e.cgroupName) {
			os.Remove(d)
		}
		sum := sha256.Sum256([]byte(e.root))
		os.RemoveAll(filepath.Join("/run/geedocker", hex.EncodeToString(sum[:8])))
	})
	t.Cleanup(func() { srv.Process.Signal(syscall.SIGKILL); <-exited })
	deadline := time.Now().Add(time.Minute)
	for {
		if c, err := net.Dial("unix", e.sock); err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("geedocker serve exited: %v", srv.ProcessState)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("geedocker serve did not listen")
		}
	}
	t.Setenv("DOCKER_HOST", "unix://"+e.sock)
	t.Setenv("DOCKER_CONFIG", filepath.Join(dir, "docker-config"))
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	return e
}
