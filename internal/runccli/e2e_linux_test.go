package runccli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/runc"
	"github.com/geedocker/geedocker/internal/runccli"
	"github.com/geedocker/geedocker/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// env is a geedocker-runc binary, a runtime root and a busybox bundle.
type env struct {
	t      *testing.T
	bin    string
	root   string
	bundle string
}

var idSeq atomic.Int32

func newEnv(t *testing.T) *env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates namespaces, mounts and cgroups")
	}
	gee := testutil.BuildGeedocker(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "geedocker-runc")
	if err := os.Symlink(gee, bin); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	untar := exec.Command("tar", "-x", "-C", rootfs)
	untar.Stdin = strings.NewReader(string(testutil.BusyboxRootfsTar(t)))
	if out, err := untar.CombinedOutput(); err != nil {
		t.Fatalf("unpacking the rootfs: %v\n%s", err, out)
	}
	// The test is the containers' subreaper, as containerd's shim is: an init left behind
	// by create becomes our child, to be reaped.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, bin: bin, root: filepath.Join(dir, "state"), bundle: bundle}
}

// writeSpec writes the bundle's config.json: the default of `spec`, changed by edit.
func (e *env) writeSpec(edit func(*specs.Spec)) {
	e.t.Helper()
	s := runccli.DefaultSpec()
	s.Process.Terminal = false
	s.Root.Readonly = false
	edit(s)
	b, err := json.Marshal(s)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.bundle, "config.json"), b, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) newID() string {
	id := fmt.Sprintf("gdtest-%d-%d", os.Getpid(), idSeq.Add(1))
	e.t.Cleanup(func() { e.run("delete", "--force", id) })
	return id
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs geedocker-runc with --root and args. Its stdio are files, not pipes: an init that
// create leaves behind keeps them.
func (e *env) run(args ...string) result {
	e.t.Helper()
	return e.runFiles(nil, args...)
}

// runFiles is run with files as geedocker-runc's descriptors 3, 4, ….
func (e *env) runFiles(files []*os.File, args ...string) result {
	e.t.Helper()
	dir := e.t.TempDir()
	stdout, _ := os.Create(filepath.Join(dir, "stdout"))
	stderr, _ := os.Create(filepath.Join(dir, "stderr"))
	defer stdout.Close()
	defer stderr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, append([]string{"--root", e.root}, args...)...)
	cmd.Dir = e.bundle
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = files
	err := cmd.Run()
	var r result
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	r.stdout, r.stderr = string(out), string(errOut)
	return r
}

func (e *env) must(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// mustFiles is must with files as descriptors 3, 4, ….
func (e *env) mustFiles(files []*os.File, args ...string) string {
	e.t.Helper()
	r := e.runFiles(files, args...)
	if r.code != 0 {
		e.t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func (e *env) state(id string) runc.State {
	e.t.Helper()
	var st runc.State
	out := e.must("state", id)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		e.t.Fatalf("state is not JSON: %v\n%s", err, out)
	}
	// runc's keys, all of them.
	var keys map[string]any
	_ = json.Unmarshal([]byte(out), &keys)
	for _, k := range []string{"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"} {
		if _, ok := keys[k]; !ok {
			e.t.Errorf("state has no %q: %s", k, out)
		}
	}
	return st
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"sleep", "1000"}
		s.Annotations = map[string]string{"org.example": "yes"}
	})
	id := e.newID()
	pidFile := filepath.Join(t.TempDir(), "pid")
	e.must("create", "--bundle", e.bundle, "--pid-file", pidFile, id)
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(b))
	st := e.state(id)
	if st.Status != runc.Created || st.Pid != pid || st.Bundle != e.bundle || st.Annotations["org.example"] != "yes" {
		t.Fatalf("after create: %+v (pid file %d)", st, pid)
	}
	// Created: the init waits, the command has not run.
	if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.Contains(string(cmdline), "sleep") {
		t.Errorf("the command runs before start: %q", cmdline)
	}
	if r := e.run("create", "--bundle", e.bundle, id); r.code != 1 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("a second create of %s: %+v", id, r)
	}

	e.must("start", id)
	if st := e.state(id); st.Status != runc.Running {
		t.Fatalf("after start: %s", st.Status)
	}
	if r := e.run("start", id); r.code != 1 {
		t.Errorf("start of a running container: %+v", r)
	}
	if r := e.run("delete", id); r.code != 1 || !strings.Contains(r.stderr, "not stopped") {
		t.Errorf("delete of a running container: %+v", r)
	}

	if out := e.must("exec", id, "sh", "-c", "echo in $(hostname)"); out != "in geedocker\n" {
		t.Errorf("exec printed %q", out)
	}
	if r := e.run("exec", id, "sh", "-c", "exit 4"); r.code != 4 {
		t.Errorf("exec exit code %d, want 4", r.code)
	}
	if r := e.run("exec", "-e", "A=b", "--cwd", "/tmp", "-u", "1000:50", id, "sh", "-c", "echo $A $(pwd) $(id -u):$(id -g)"); r.stdout != "b /tmp 1000:50\n" {
		t.Errorf("exec with flags: %+v", r)
	}
	if r := e.run("exec", id, "/nonexistent"); r.code == 0 {
		t.Errorf("exec of a missing command succeeded: %+v", r)
	}

	var pids []int
	if err := json.Unmarshal([]byte(e.must("ps", "--format", "json", id)), &pids); err != nil || !reflect.DeepEqual(pids, []int{pid}) {
		t.Errorf("ps --format json: %v, %v; want [%d]", pids, err, pid)
	}
	if out := e.must("ps", id); !strings.Contains(out, "PID") || !strings.Contains(out, "sleep 1000") {
		t.Errorf("ps table:\n%s", out)
	}
	var list []runc.State
	if err := json.Unmarshal([]byte(e.must("list", "--format", "json")), &list); err != nil || len(list) != 1 || list[0].ID != id {
		t.Errorf("list: %+v, %v", list, err)
	}
	if out := e.must("list", "-q"); out != id+"\n" {
		t.Errorf("list -q: %q", out)
	}

	e.must("pause", id)
	if st := e.state(id); st.Status != runc.Paused {
		t.Errorf("after pause: %s", st.Status)
	}
	if r := e.run("pause", id); r.code != 1 {
		t.Errorf("pause of a paused container: %+v", r)
	}
	e.must("resume", id)
	if st := e.state(id); st.Status != runc.Running {
		t.Errorf("after resume: %s", st.Status)
	}

	e.must("update", "--pids-limit", "20", id)
	if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/pids", id, "pids.max")); err == nil && strings.TrimSpace(string(b)) != "20" {
		t.Errorf("after update --pids-limit 20: pids.max %q", b)
	}
	var ev struct{ Type, ID string }
	if out := e.must("events", "--stats", id); json.Unmarshal([]byte(out), &ev) != nil || ev.Type != "stats" || ev.ID != id {
		t.Errorf("events --stats: %q", out)
	}

	// A detached exec, its pid file, and kill --all reaching it too.
	execPid := filepath.Join(t.TempDir(), "exec.pid")
	e.must("exec", "-d", "--pid-file", execPid, id, "sleep", "1001")
	b, err = os.ReadFile(execPid)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := strconv.Atoi(string(b))
	if err := json.Unmarshal([]byte(e.must("ps", "--format", "json", id)), &pids); err != nil || len(pids) != 2 {
		t.Errorf("ps after exec -d: %v, %v", pids, err)
	}
	e.must("kill", "--all", id, "KILL")
	var ws unix.WaitStatus
	if _, err := unix.Wait4(other, &ws, 0, nil); err != nil || !ws.Signaled() {
		t.Errorf("the exec'd process after kill --all: %v, %v", ws, err)
	}
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatalf("reaping the init: %v", err)
	}
	if !ws.Signaled() || ws.Signal() != unix.SIGKILL {
		t.Errorf("the init ended with %v", ws)
	}
	if st := e.state(id); st.Status != runc.Stopped || st.Pid != 0 {
		t.Errorf("after kill: %+v", st)
	}
	if r := e.run("kill", id, "KILL"); r.code != 1 {
		t.Errorf("kill of a stopped container: %+v", r)
	}
	// As runc: --all signals what is left in the cgroup of a stopped container (containerd's
	// shim sends it after the init of a container sharing its pod's PID namespace exits).
	if r := e.run("kill", "--all", id, "KILL"); r.code != 0 {
		t.Errorf("kill --all of a stopped container: %+v", r)
	}
	e.must("delete", id)
	if r := e.run("state", id); r.code != 1 || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("state after delete: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(e.root, id)); !os.IsNotExist(err) {
		t.Errorf("state directory left: %v", err)
	}
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/pids", id)); !os.IsNotExist(err) {
		t.Errorf("cgroup left: %v", err)
	}
}

func TestDeleteCreatedAndUnknown(t *testing.T) {
	e := newEnv(t)
	e.writeSpec(func(s *specs.Spec) { s.Process.Args = []string{"true"} })
	id := e.newID()
	e.must("create", id) // the bundle is the working directory
	st := e.state(id)
	e.must("delete", id) // a created container needs no --force
	_, _ = unix.Wait4(st.Pid, nil, 0, nil)
	if r := e.run("delete", "--force", "nope-"+id); r.code != 0 {
		t.Errorf("delete --force of an unknown container: %+v", r)
	}
	if r := e.run("delete", "nope-"+id); r.code != 1 {
		t.Errorf("delete of an unknown container: %+v", r)
	}
	logFile := filepath.Join(t.TempDir(), "log.json")
	r := e.run("--log", logFile, "--log-format", "json", "state", "nope")
	b, _ := os.ReadFile(logFile)
	var line struct{ Level, Msg string }
	if r.code != 1 || json.Unmarshal(b, &line) != nil || line.Level != "error" || !strings.Contains(line.Msg, "does not exist") {
		t.Errorf("error in --log: exit %d, %q", r.code, b)
	}
	if r := e.run("--systemd-cgroup", "list"); r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("--systemd-cgroup: %+v", r)
	}
}

func TestRun(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		args []string
		out  string
		code int
	}{
		{"exit code", []string{"sh", "-c", "echo hi; exit 3"}, "hi\n", 3},
		{"success", []string{"true"}, "", 0},
		// As with runc: the command is looked up before the container starts; an error.
		{"not found", []string{"/nonexistent"}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			e.writeSpec(func(s *specs.Spec) { s.Process.Args = tt.args })
			id := e.newID()
			r := e.run("run", "--bundle", e.bundle, id)
			if r.code != tt.code || r.stdout != tt.out {
				t.Errorf("run: %+v, want exit %d and %q", r, tt.code, tt.out)
			}
			if _, err := os.Stat(filepath.Join(e.root, id)); !os.IsNotExist(err) {
				t.Errorf("run left its state: %v", err)
			}
		})
	}
}

func TestHooksGetState(t *testing.T) {
	e := newEnv(t)
	out := filepath.Join(t.TempDir(), "hooks")
	hook := func(name string) specs.Hook {
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "cat >> " + out + "; echo ' " + name + "' >> " + out}}
	}
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Args = []string{"true"}
		s.Hooks = &specs.Hooks{
			CreateRuntime:   []specs.Hook{hook("createRuntime")},
			CreateContainer: []specs.Hook{hook("createContainer")},
			// In the container: its root, its PID namespace, its hostname.
			StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c",
				"cat > /startContainer.json; echo $$ $(hostname) > /startContainer.where"}}},
			Poststart: []specs.Hook{hook("poststart")},
			Poststop:  []specs.Hook{hook("poststop")},
		}
	})
	id := e.newID()
	e.must("create", id)
	pid := e.state(id).Pid
	e.must("start", id)
	_, _ = unix.Wait4(pid, nil, 0, nil)
	e.must("delete", id)
	where, err := os.ReadFile(filepath.Join(e.bundle, "rootfs/startContainer.where"))
	if err != nil || !strings.HasSuffix(string(where), " geedocker\n") || strings.HasPrefix(string(where), strconv.Itoa(pid)) {
		t.Errorf("the startContainer hook ran outside the container: %q, %v", where, err)
	}
	var st runc.State
	if b, err := os.ReadFile(filepath.Join(e.bundle, "rootfs/startContainer.json")); err != nil || json.Unmarshal(b, &st) != nil || st.Pid != pid || st.ID != id {
		t.Errorf("the startContainer hook read %q (%v)", b, err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := []struct{ hook, status string }{{"createRuntime", "created"}, {"createContainer", "created"},
		{"poststart", "running"}, {"poststop", "stopped"}}
	if len(lines) != len(want) {
		t.Fatalf("hooks wrote:\n%s", b)
	}
	for i, w := range want {
		js, name, _ := strings.Cut(lines[i], " ")
		var st runc.State
		if err := json.Unmarshal([]byte(js), &st); err != nil || name != w.hook || st.Status != runc.Status(w.status) || st.ID != id {
			t.Errorf("hook %d: %q (%v), want %s with status %s", i, lines[i], err, w.hook, w.status)
		}
	}
}

func TestConsoleSocket(t *testing.T) {
	e := newEnv(t)
	e.writeSpec(func(s *specs.Spec) {
		s.Process.Terminal = true
		s.Process.Args = []string{"sh", "-c", "test -t 0 && test -t 1 && echo on-a-terminal $(tty)"}
	})
	sock := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan *os.File, 1)
	go func() {
		conn, err := l.AcceptUnix()
		if err != nil {
			got <- nil
			return
		}
		defer conn.Close()
		buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || perr != nil || len(msgs) != 1 {
			got <- nil
			return
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			got <- nil
			return
		}
		got <- os.NewFile(uintptr(fds[0]), "console")
	}()
	id := e.newID()
	if r := e.run("create", "--console-socket", sock, id); r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	master := <-got
	if master == nil {
		t.Fatal("no descriptor came over the console socket")
	}
	defer master.Close()
	if _, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN); err != nil {
		t.Errorf("the descriptor is not a pty master: %v", err)
	}
	pid := e.state(id).Pid
	e.must("start", id)
	out, _ := io.ReadAll(master) // EIO once the last slave closes
	// A terminal of the container's own devpts, as with runc.
	if !strings.Contains(string(out), "on-a-terminal /dev/pts/0") {
		t.Errorf("the container printed %q", out)
	}
	_, _ = unix.Wait4(pid, nil, 0, nil)
	e.must("delete", id)
	// Without a console socket, a detached terminal is refused, as with runc.
	if r := e.run("create", e.newID()); r.code != 1 || !strings.Contains(r.stderr, "console-socket") {
		t.Errorf("create with a terminal and no socket: %+v", r)
	}
}

// TestFeaturesSpecVersion needs no root: the commands that touch no container.
func TestFeaturesSpecVersion(t *testing.T) {
	gee := testutil.BuildGeedocker(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "geedocker-runc")
	if err := os.Symlink(gee, bin); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, bin: bin, root: filepath.Join(dir, "state"), bundle: dir}

	var f struct {
		OCIVersionMin string   `json:"ociVersionMin"`
		Hooks         []string `json:"hooks"`
		MountOptions  []string `json:"mountOptions"`
		Linux         struct {
			Namespaces []string `json:"namespaces"`
			Cgroup     struct{ V1, V2, Systemd bool }
		} `json:"linux"`
	}
	if err := json.Unmarshal([]byte(e.must("features")), &f); err != nil {
		t.Fatal(err)
	}
	if f.OCIVersionMin != "1.0.0" || len(f.Hooks) != 6 || !slices.Contains(f.MountOptions, "rbind") ||
		!slices.Contains(f.Linux.Namespaces, "pid") || !f.Linux.Cgroup.V1 || f.Linux.Cgroup.Systemd {
		t.Errorf("features: %+v", f)
	}

	e.must("spec", "--bundle", dir)
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	var s specs.Spec
	if err != nil || json.Unmarshal(b, &s) != nil || s.Root.Path != "rootfs" || s.Process.Args[0] != "sh" {
		t.Errorf("spec wrote %s (%v)", b, err)
	}
	if r := e.run("spec", "--bundle", dir); r.code != 1 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("spec over an existing config.json: %+v", r)
	}
	if out := e.must("--version"); !strings.HasPrefix(out, "geedocker-runc version ") || !strings.Contains(out, "spec: "+specs.Version) {
		t.Errorf("--version: %q", out)
	}
	if r := e.run("frobnicate"); r.code != 1 || !strings.Contains(r.stderr, "no such command") {
		t.Errorf("an unknown command: %+v", r)
	}
	// geedocker runtime is the same command line.
	if r := testutil.Run(t, gee, "runtime", "--root", e.root, "list", "-q"); r.Code != 0 || r.Stdout != "" {
		t.Errorf("geedocker runtime list: %+v", r)
	}
	if r := testutil.Run(t, gee, "runtime", "state", "nope"); r.Code != 1 {
		t.Errorf("geedocker runtime state of nothing: %+v", r)
	}
}
