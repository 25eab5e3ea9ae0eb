//go:build linux

// Package e2e drives the built geedocker binary as a user types it, against
// real registries started on loopback, and checks output, exit codes and
// what is left on disk. Most tests need root (overlay whiteouts are device
// nodes, containers need namespaces); they say so when they skip.
package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(hostNetGuard{m}) }

// hostNetGuard fails the run when the machine's own network namespace was
// changed: every test must run the engine in a namespace of its own.
type hostNetGuard struct{ m *testing.M }

func (g hostNetGuard) Run() int {
	before := hostNetState()
	code := g.m.Run()
	if after := hostNetState(); after != before {
		fmt.Fprintf(os.Stderr, "FAIL: the tests changed the host's network namespace:\nbefore: %s\nafter:  %s\n", before, after)
		return 1
	}
	return code
}

// hostNetState sums up what GeeDocker could change in this namespace.
func hostNetState() string {
	fwd, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	_, brErr := os.Stat("/sys/class/net/geedocker0")
	table, _ := exec.Command("nft", "list", "table", "inet", "geedocker").CombinedOutput()
	links, _ := os.ReadDir("/sys/class/net")
	var names []string
	for _, l := range links {
		names = append(names, l.Name())
	}
	return fmt.Sprintf("ip_forward=%s bridge=%v nft-table=%v links=%v", strings.TrimSpace(string(fwd)), brErr == nil,
		!strings.Contains(string(table), "No such file") && len(table) > 0 && !strings.Contains(string(table), "Error"), names)
}

// env is one isolated GeeDocker installation: its own store root, config
// file and Docker client config.
type env struct {
	t      *testing.T
	bin    string
	root   string
	cfg    string
	netns  string // the network namespace the engine runs in (/run/netns/NAME)
	cgroup string // the cgroup parent of this env's containers
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("GEEDOCKER_REQUIRE_ROOT_TESTS") == "1" {
			t.Fatal("root tests required (GEEDOCKER_REQUIRE_ROOT_TESTS=1) but not running as root")
		}
		t.Skip("needs root: layers hold device nodes and owners, containers need namespaces")
	}
}

func newEnv(t *testing.T) *env {
	t.Helper()
	needRoot(t)
	dir := t.TempDir()
	e := &env{t: t, bin: testutil.BuildGeedocker(t), root: filepath.Join(dir, "root"), cfg: filepath.Join(dir, "config.json")}
	e.netns = newTestNetns(t)
	// A cgroup parent of its own, so that what a test leaves behind is
	// told apart from other users of the machine.
	e.cgroup = fmt.Sprintf("geedocker-e2e-%d-%d", os.Getpid(), netnsSeq.Add(1))
	// GEEDOCKER_E2E_RUNTIME runs every test's containers with that OCI runtime
	// (default-runtime), e.g. runc: the specs GeeDocker writes are standard.
	cfg := `{"cgroup-parent": "` + e.cgroup + `"}`
	if rt := os.Getenv("GEEDOCKER_E2E_RUNTIME"); rt != "" {
		cfg = `{"cgroup-parent": "` + e.cgroup + `", "default-runtime": "` + rt + `"}`
	}
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The monitors of containers that have exited may still be finishing (the exit
		// command, the last event) when the test ends: the store is removed after them.
		e.awaitMonitors()
		for _, d := range e.cgroupDirs() {
			os.Remove(d) // the (empty) parent
		}
		// The store's run directory: the compiled seccomp filters and the DNS records'
		// directory, then the directory if nothing else is left in it.
		run := runDir(e.root)
		os.RemoveAll(filepath.Join(run, "seccomp"))
		os.RemoveAll(filepath.Join(run, "dns")) // the DNS records' directory (its resolver exited with the last record)
		os.Remove(filepath.Join(run, "netns"))  // empty once every container is removed
		os.Remove(run)
	})
	return e
}

// awaitMonitors waits (up to 30 s) until no container of the env's store has a monitor
// running.
func (e *env) awaitMonitors() {
	cs, err := container.Open(e.root)
	if err != nil {
		return
	}
	ids, _ := cs.IDs()
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range ids {
		rs, ok := cs.ReadRunState(id)
		if !ok {
			continue
		}
		// A pidfd becomes readable when its process ends; opened, then checked to be the
		// monitor (not a process that reused its pid).
		fd, err := unix.PidfdOpen(rs.MonitorPid, 0)
		if err != nil {
			continue
		}
		if container.Alive(rs.MonitorPid, rs.MonitorStart) {
			unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(max(time.Until(deadline), 0)/time.Millisecond))
		}
		unix.Close(fd)
	}
}

// runDir is the run state directory of a store root, as internal/container makes it.
func runDir(root string) string {
	sum := sha256.Sum256([]byte(root))
	return filepath.Join(container.RunRoot, hex.EncodeToString(sum[:8]))
}

// cgroupDirs are the places of this env's cgroup parent, v1 or v2.
func (e *env) cgroupDirs() []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + e.cgroup)
	if _, err := os.Stat("/sys/fs/cgroup/" + e.cgroup); err == nil {
		dirs = append(dirs, "/sys/fs/cgroup/"+e.cgroup)
	}
	return dirs
}

// assertNoCgroups checks that no container cgroup of this env is left.
func (e *env) assertNoCgroups() {
	e.t.Helper()
	for _, base := range e.cgroupDirs() {
		des, _ := os.ReadDir(base)
		for _, d := range des {
			if d.IsDir() && len(d.Name()) == 64 {
				e.t.Errorf("cgroup left: %s/%s", base, d.Name())
			}
		}
	}
}

var netnsSeq atomic.Int64

// newTestNetns makes a network namespace for one test: GeeDocker runs in it,
// so the bridges, veths, addresses, sysctls and nftables rules it makes never
// touch the machine's own network. It is deleted (with all of that) after
// the test, after the test's containers are removed.
func newTestNetns(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("gdtest-%d-%d", os.Getpid(), netnsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v %s", name, err, out)
		}
	})
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up in %s: %v %s", name, err, out)
	}
	return "/run/netns/" + name
}

// hostOnly are the commands that talk to the registry on the host's
// loopback: they run in the machine's namespace (they change nothing in it).
var hostOnly = map[string]bool{"pull": true, "push": true, "login": true, "logout": true}

// command builds a geedocker command line as a user types it, run inside
// the test's network namespace (nsenter, as the issue asks, not
// `ip netns exec`, which would remount /sys).
func (e *env) command(args ...string) *exec.Cmd {
	full := append([]string{"--root", e.root, "--config-file", e.cfg}, args...)
	if e.netns == "" || len(args) > 0 && hostOnly[args[0]] {
		return exec.Command(e.bin, full...)
	}
	return exec.Command("nsenter", append([]string{"--net=" + e.netns, e.bin}, full...)...)
}

// gd runs geedocker with this env's root and config.
func (e *env) gd(args ...string) testutil.Result {
	e.t.Helper()
	cmd := e.command(args...)
	return testutil.Run(e.t, cmd.Path, cmd.Args[1:]...)
}

// ok runs geedocker and fails the test unless it exits 0.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	r := e.gd(args...)
	if r.Code != 0 {
		e.t.Fatalf("geedocker %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// fails runs geedocker and checks the exit code and that stderr is one
// line holding want.
func (e *env) fails(code int, want string, args ...string) testutil.Result {
	e.t.Helper()
	r := e.gd(args...)
	if r.Code != code {
		e.t.Fatalf("geedocker %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.Code, code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, want) {
		e.t.Fatalf("geedocker %s: stderr %q does not contain %q", strings.Join(args, " "), r.Stderr, want)
	}
	if n := strings.Count(strings.TrimSpace(r.Stderr), "\n"); n > 0 && !strings.Contains(r.Stderr, "--help' for more information") {
		e.t.Errorf("geedocker %s: error is %d lines, want one:\n%s", strings.Join(args, " "), n+1, r.Stderr)
	}
	return r
}

// entries lists a store directory (empty when missing).
func (e *env) entries(dir string) []string {
	e.t.Helper()
	des, _ := os.ReadDir(filepath.Join(e.root, dir))
	var out []string
	for _, d := range des {
		out = append(out, d.Name())
	}
	return out
}

// assertEmptyStore checks that nothing of a failed operation is visible.
func (e *env) assertNoImages() {
	e.t.Helper()
	if out := e.ok("images", "-q"); out != "" {
		e.t.Errorf("images -q = %q, want nothing", out)
	}
	for _, d := range []string{"layers", "images", "tmp"} {
		if got := e.entries(d); len(got) != 0 {
			e.t.Errorf("store %s/ holds %v after a failed operation", d, got)
		}
	}
}
