//go:build linux

package e2e

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/testutil"
)

// assertNothingLeft checks that a refused run left no container, record or cgroup.
func (e *env) assertNothingLeft() {
	e.t.Helper()
	if got := e.ok("ps", "-aq"); got != "" {
		e.t.Errorf("ps -aq = %q, want nothing", got)
	}
	if got := e.entries("containers"); len(got) != 0 {
		e.t.Errorf("containers/ holds %v", got)
	}
	if got := e.entries("names"); len(got) != 0 {
		e.t.Errorf("names/ holds %v", got)
	}
	e.assertNoCgroups()
}

// Names and addresses written into /etc/hostname, /etc/hosts and /etc/resolv.conf are
// checked: a newline cannot add lines of the user's choosing.
func TestRunRefusesBadNames(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--hostname", "evil\n10.6.6.6 bank"}, `invalid hostname format: "evil\n10.6.6.6 bank"`},
		{[]string{"-h", "a b"}, `invalid hostname format: "a b"`},
		{[]string{"-h", strings.Repeat("h", 64)}, "invalid hostname format: " + strings.Repeat("h", 64)},
		{[]string{"--dns-search", "corp\nnameserver 10.6.6.6"}, `invalid argument "corp\nnameserver 10.6.6.6" for "--dns-search" flag: "corp\nnameserver 10.6.6.6" is not a valid domain`},
		{[]string{"--dns", "1.1.1.1\nnameserver 10.6.6.6"}, `invalid argument "1.1.1.1\nnameserver 10.6.6.6" for "--dns" flag: ip address is not correctly formatted: "1.1.1.1\nnameserver 10.6.6.6"`},
		{[]string{"--dns-option", "ndots:1\nnameserver 10.6.6.6"}, `invalid argument "ndots:1\nnameserver 10.6.6.6" for "--dns-option" flag: invalid DNS option "ndots:1\nnameserver 10.6.6.6": one word, such as ndots:2`},
		{[]string{"--dns", "dns.google"}, `invalid argument "dns.google" for "--dns" flag: ip address is not correctly formatted: "dns.google"`},
		{[]string{"--add-host", "a\n10.6.6.6 bank:10.0.0.1"}, `invalid argument "a\n10.6.6.6 bank:10.0.0.1" for "--add-host" flag: bad format for add-host: "a\n10.6.6.6 bank:10.0.0.1"`},
		{[]string{"--add-host", "db:10.0.0.1\n10.6.6.6 bank"}, `for "--add-host" flag: invalid IP address in add-host: "10.0.0.1\n10.6.6.6 bank"`},
		{[]string{"--network-alias", "db\n10.6.6.6 bank"}, `invalid argument "db\n10.6.6.6 bank" for "--network-alias" flag: invalid network alias "db\n10.6.6.6 bank"`},
	} {
		args := append(append([]string{"run", "--rm"}, c.flags...), "busybox", "true")
		e.fails(125, c.want, args...)
		e.assertNothingLeft()
	}

	// Checked before the image is looked for.
	e.fails(125, `invalid hostname format: "a b"`, "run", "-h", "a b", "--pull", "never", "nosuchimage")
	e.assertNothingLeft()

	// Good values are written as Docker writes them.
	out := e.sh([]string{"-h", "web-1", "--dns", "10.0.0.53", "--dns-search", "corp.example.", "--dns-option", "ndots:3", "--dns-opt", "edns0",
		"--add-host", "db=10.0.0.2", "--add-host", "v6:[2001:db8::1]"},
		"hostname; grep -v '^#' /etc/resolv.conf; grep -E 'db|v6' /etc/hosts")
	want := "web-1\nnameserver 10.0.0.53\nsearch corp.example\noptions ndots:3 edns0\n10.0.0.2\tdb\n2001:db8::1\tv6\n"
	if out != want {
		t.Errorf("files of a container with good names:\n%q\nwant\n%q", out, want)
	}
}

// Mounts over /proc, inside it, or over and inside /sys/fs/cgroup are refused, as runc
// refuses them; the lxcfs files under /proc stay allowed.
func TestRunRefusesKernelMounts(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	src := t.TempDir()
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"-v", src + ":/proc"}, `mount destination "/proc" cannot be mounted because it is not of type proc`},
		{[]string{"--tmpfs", "/proc"}, `mount destination "/proc" cannot be mounted because it is not of type proc`},
		{[]string{"-v", src + ":/proc/sys"}, `mount destination "/proc/sys" cannot be mounted because it is inside /proc`},
		{[]string{"--tmpfs", "/proc/sys/kernel"}, `mount destination "/proc/sys/kernel" cannot be mounted because it is inside /proc`},
		{[]string{"-v", src + ":/proc/sysrq-trigger"}, `mount destination "/proc/sysrq-trigger" cannot be mounted because it is inside /proc`},
		{[]string{"--tmpfs", "/sys/fs/cgroup"}, `mount destination "/sys/fs/cgroup" cannot be mounted because it is not of type cgroup`},
		{[]string{"-v", src + ":/sys/fs/cgroup/pids"}, `mount destination "/sys/fs/cgroup/pids" cannot be mounted because it is inside /sys/fs/cgroup`},
	} {
		args := append(append([]string{"run", "--rm"}, c.flags...), "busybox", "true")
		e.fails(125, c.want, args...)
		e.assertNothingLeft()
	}
	// An lxcfs-style file over /proc/meminfo is what lxcfs users do.
	f := filepath.Join(src, "meminfo")
	if err := os.WriteFile(f, []byte("MemTotal: 42 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := e.sh([]string{"-v", f + ":/proc/meminfo:ro"}, "head -1 /proc/meminfo"); got != "MemTotal: 42 kB\n" {
		t.Errorf("/proc/meminfo from a bind: %q", got)
	}
}

// --cap-add ALL gives every capability GeeDocker holds, as --privileged does; a drop still
// counts.
func TestCapAddAll(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var bnd uint64
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			if bnd, err = strconv.ParseUint(strings.TrimSpace(v), 16, 64); err != nil {
				t.Fatal(err)
			}
		}
	}
	const netRaw = 13
	for _, c := range []struct {
		flags []string
		want  uint64
	}{
		{[]string{"--cap-add", "ALL"}, bnd},
		{[]string{"--cap-add", "all", "--cap-drop", "NET_RAW"}, bnd &^ (1 << netRaw)},
	} {
		out := e.sh(c.flags, "grep CapEff /proc/self/status")
		if want := fmt.Sprintf("CapEff:\t%016x\n", c.want); out != want {
			t.Errorf("%v: %q, want %q", c.flags, out, want)
		}
	}
	e.assertNothingLeft()
}

// run --platform picks the image of that platform: one of another platform in the store is
// pulled again, or refused with --pull never, in Docker's words.
func TestRunPlatform(t *testing.T) {
	e := newEnv(t)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	testutil.PushIndex(t, testutil.IndexImage(t), reg.Addr+"/multi:v1")
	ref := reg.Addr + "/multi:v1"
	host := "linux/" + hostArch()
	other := "linux/arm64"
	if hostArch() == "arm64" {
		other = "linux/amd64"
	}
	e.ok("pull", ref)
	hostFull := host
	if hostArch() == "arm64" {
		hostFull += "/v8"
	}

	e.fails(125, "image with reference "+ref+" was found but its platform ("+hostFull+") does not match the specified platform ("+other+")",
		"run", "--rm", "--pull", "never", "--platform", other, ref, "true")
	e.assertNothingLeft()
	e.fails(125, `invalid platform "linux"`, "run", "--rm", "--platform", "linux", ref, "true")
	e.assertNothingLeft()
	if got := e.ok("run", "--rm", "--pull", "never", "--platform", host, ref, "sh", "-c", "echo $"+testutil.PlatformEnv); got != host+"\n" {
		t.Errorf("run --platform %s: %q", host, got)
	}

	// Missing for that platform: pulled. The pull talks to the registry on the host's
	// loopback, so this run is in the host's network namespace, with --network none (it
	// changes nothing there).
	run := exec.Command(e.bin, "--root", e.root, "--config-file", e.cfg,
		"run", "--rm", "--network", "none", "--platform", other, ref, "sh", "-c", "echo $"+testutil.PlatformEnv)
	out, err := run.Output()
	if err != nil || string(out) != other+"\n" {
		t.Errorf("run --platform %s with the %s image in the store: %q %v", other, host, out, err)
	}
	if got := e.inspectImage(ref).Architecture; "linux/"+got != other {
		t.Errorf("after run --platform %s the image is for %s", other, got)
	}
	e.assertNothingLeft()
}

// A name too long for the store is refused in one line, with nothing left.
func TestRunNameTooLong(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	long := strings.Repeat("n", 300)
	r := e.fails(125, `invalid container name "`+long+`": longer than 253 characters`, "run", "--name", long, "busybox", "true")
	if strings.Contains(r.Stderr, e.root) || strings.Contains(r.Stderr, "symlink") {
		t.Errorf("the error shows a store path: %s", r.Stderr)
	}
	e.fails(125, `invalid container name "`+long+`": longer than 253 characters`, "run", "-d", "--name", long, "busybox", "sleep", "100")
	e.assertNothingLeft()
	name := strings.Repeat("n", 253)
	e.ok("run", "--rm", "--name", name, "busybox", "true")
	e.assertNothingLeft()
}

// runFilesOf lists what is left of a container under the run directories
// (/run/geedocker/<root>/…): run state, attach socket, pinned network namespace.
func runFilesOf(t *testing.T, id string) []string {
	t.Helper()
	var left []string
	for _, pattern := range []string{"/run/geedocker/*/" + id[:12] + "*", "/run/geedocker/*/netns/" + id[:12] + "*"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		left = append(left, m...)
	}
	return left
}

// The monitor of a detached container killed with SIGKILL leaves its run state and attach
// socket behind; rm -f removes them with the container.
func TestMonitorKilledThenRemoved(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	for _, flags := range [][]string{{}, {"-i"}, {"-t"}, {"--network", "none"}} {
		id := e.detached(append(flags, "busybox", "sleep", "300")...)
		if left := runFilesOf(t, id); len(left) == 0 {
			t.Fatalf("%v: no run files found for a running container: is the run directory elsewhere?", flags)
		}
		pid, _ := strconv.Atoi(e.inspectField(id, "{{.State.Pid}}"))
		monitor := parentOf(t, pid)
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", monitor)); !strings.Contains(string(comm), "container-monitor") {
			t.Fatalf("the parent %d of the container's process is not its monitor: %q", monitor, comm)
		}
		if err := syscall.Kill(monitor, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitProcessGone(t, monitor)
		// Listing shows it exited, and changes nothing.
		if got := strings.TrimSpace(e.ok("ps", "-a", "--filter", "id="+id, "--format", "{{.State}}")); got != "exited" {
			t.Errorf("%v: ps after the monitor was killed: %q", flags, got)
		}
		if left := runFilesOf(t, id); len(left) == 0 {
			t.Errorf("%v: listing repaired the container", flags)
		}
		// The next command that acts on it repairs the record, and removes the files with it.
		if got := e.inspectField(id, "{{.State.Status}}"); got != "exited" {
			t.Errorf("%v: after the monitor was killed: %s", flags, got)
		}
		if left := runFilesOf(t, id); len(left) != 0 {
			t.Errorf("%v: after the monitor was killed and the record repaired: %v", flags, left)
		}
		e.ok("rm", "-f", id)
		if left := runFilesOf(t, id); len(left) != 0 {
			t.Errorf("%v: after the monitor was killed and rm -f: %v", flags, left)
		}
	}
	e.assertNothingLeft()
}

// cgroupProcs lists the processes in a container's cgroup of this env.
func (e *env) cgroupProcs(id string) []string {
	var procs []string
	for _, base := range e.cgroupDirs() {
		b, _ := os.ReadFile(filepath.Join(base, id, "cgroup.procs"))
		procs = append(procs, strings.Fields(string(b))...)
	}
	return procs
}

// monitorRuns tells whether a container-monitor process for id exists.
func monitorRuns(id string) bool {
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, d := range dirs {
		b, _ := os.ReadFile(d)
		if strings.Contains(string(b), "container-monitor\x00"+id) {
			return true
		}
	}
	return false
}

// assertHonest checks that no container with a process in its cgroup is listed as created.
// The processes are looked at first: a start records the container as running before its
// first process exists, so a process seen before ps means running (or later) in ps.
func (e *env) assertHonest() {
	e.t.Helper()
	alive := map[string]bool{}
	for _, id := range e.entries("containers") {
		if len(id) == 64 && len(e.cgroupProcs(id)) > 0 {
			alive[id[:12]] = true
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(e.ok("ps", "-a", "--format", "{{.ID}} {{.Status}}")), "\n") {
		id, status, _ := strings.Cut(line, " ")
		if alive[id] && strings.HasPrefix(status, "Created") {
			e.t.Errorf("container %s is listed %q while a process of it runs", id, status)
		}
	}
}

// busyEngineProcs lists the command lines of this env's geedocker processes other than the
// monitors of containers that run with their PID recorded.
func (e *env) busyEngineProcs() []string {
	var busy []string
	files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if !slices.Contains(args, e.root) {
			continue
		}
		if i := slices.Index(args, "container-monitor"); i >= 0 && i+1 < len(args) {
			id := args[i+1]
			r := e.gd("inspect", "-f", "{{.State.Status}} {{.State.Pid}}", id)
			if status, pid, _ := strings.Cut(strings.TrimSpace(r.Stdout), " "); r.Code == 0 && status == "running" && pid != "0" {
				continue
			}
		}
		busy = append(busy, strings.Join(args, " "))
	}
	return busy
}

// containerIDs lists the full IDs of every container, as ps -a --no-trunc shows them.
func (e *env) containerIDs() []string {
	return strings.Fields(e.gd("ps", "-aq", "--no-trunc").Stdout)
}

// A run -d whose CLI is killed at any moment leaves a container whose state is honest: never
// created while its process runs; and rm -f removes everything.
func TestRunDetachedCLIKilled(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	t.Cleanup(func() {
		if ids := e.containerIDs(); len(ids) > 0 {
			e.gd(append([]string{"rm", "-f"}, ids...)...)
		}
	})
	for _, delay := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 5 * time.Millisecond,
		8 * time.Millisecond, 10 * time.Millisecond, 15 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond} {
		cmd := e.command("run", "-d", "busybox", "sleep", "1000")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay) // the moment of the kill, not a wait for anything
		cmd.Process.Kill()
		cmd.Wait()
		e.assertHonest()
	}
	// Until nothing is under way: every process of this env's engine (a CLI child not yet
	// exec'd as a monitor has the CLI's command line, which names the root) is the monitor
	// of a container that runs with its PID recorded.
	deadline := time.Now().Add(60 * time.Second)
	for {
		e.assertHonest()
		busy := e.busyEngineProcs()
		if len(busy) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still under way: %q", busy)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Settled: running ones have a live process, the others none. (A create killed before it
	// wrote the record leaves nothing that ps lists: it removes such leftovers.)
	ids := e.containerIDs()
	if dirs := e.entries("containers"); len(dirs) != len(ids) {
		t.Errorf("after ps: %d container directories, %d containers listed", len(dirs), len(ids))
	}
	for _, id := range ids {
		status := e.inspectField(id, "{{.State.Status}}")
		procs := e.cgroupProcs(id)
		switch status {
		case "running":
			pid, _ := strconv.Atoi(e.inspectField(id, "{{.State.Pid}}"))
			if pid <= 0 || len(procs) == 0 {
				t.Errorf("container %s is running with pid %d and processes %v", id[:12], pid, procs)
			}
		case "created":
			if len(procs) != 0 || monitorRuns(id) {
				t.Errorf("container %s is created with processes %v", id[:12], procs)
			}
		default:
			t.Errorf("container %s is %s", id[:12], status)
		}
	}
	if len(ids) > 0 {
		e.ok(append([]string{"rm", "-f"}, ids...)...)
	}
	for _, id := range ids {
		if monitorRuns(id) {
			t.Errorf("the monitor of %s runs after rm -f", id[:12])
		}
		if left := runFilesOf(t, id); len(left) != 0 {
			t.Errorf("run files of %s after rm -f: %v", id[:12], left)
		}
	}
	e.assertNothingLeft()
}

// withSymlinks imports the busybox rootfs plus the given symlinks (name -> target) as image.
func (e *env) withSymlinks(image string, links map[string]string) {
	e.t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(bytes.NewReader(testutil.BusyboxRootfsTar(e.t)))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			e.t.Fatal(err)
		}
		if err := tw.WriteHeader(h); err != nil {
			e.t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			e.t.Fatal(err)
		}
	}
	for name, target := range links {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(e.t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.ok("import", path, image)
}

// A symlink planted by the image does not carry a mount into /proc or /sys.
func TestRunRefusesMountsThroughSymlinks(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.withSymlinks("links:latest", map[string]string{"psys": "/proc/sys", "proc2": "../proc", "cg": "/sys/fs/cgroup", "runlink": "/run"})
	src := t.TempDir()
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"-v", src + ":/psys"}, `mount destination "/psys" resolves to "/proc/sys" through a symlink: it cannot be mounted inside /proc`},
		{[]string{"--tmpfs", "/proc2"}, `mount destination "/proc2" resolves to "/proc" through a symlink: it cannot be mounted inside /proc`},
		{[]string{"-v", src + ":/cg/pids"}, `mount destination "/cg/pids" resolves to "/sys/fs/cgroup/pids" through a symlink: it cannot be mounted inside /sys`},
	} {
		args := append(append([]string{"run", "--rm"}, c.flags...), "links", "true")
		e.fails(125, c.want, args...)
		e.assertNothingLeft()
	}
	// A symlink elsewhere is followed as before.
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("through-link\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := e.ok("run", "--rm", "-v", src+":/runlink/data", "links", "cat", "/run/data/f"); got != "through-link\n" {
		t.Errorf("a bind through /runlink: %q", got)
	}
	e.assertNothingLeft()
}
