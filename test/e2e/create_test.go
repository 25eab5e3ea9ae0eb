//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/testutil"
)

// busyboxTar writes the busybox root file system tarball and returns its path.
func (e *env) busyboxTar() string {
	e.t.Helper()
	p := filepath.Join(e.t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(p, testutil.BusyboxRootfsTar(e.t), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// created runs `create` and returns the container ID, removing the container at the end
// of the test.
func (e *env) created(args ...string) string {
	e.t.Helper()
	out := e.ok(append([]string{"create"}, args...)...)
	id := strings.TrimSpace(out)
	if len(id) != 64 {
		e.t.Fatalf("create printed %q, want a 64-character ID", out)
	}
	e.t.Cleanup(func() { e.gd("rm", "-f", id) })
	return id
}

func TestCreateAndStart(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	id := e.created("--name", "job", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
	if got := e.inspectField("job", "{{.State.Status}} {{.State.Running}} {{.State.Pid}}"); got != "created false 0" {
		t.Errorf("inspect after create = %q", got)
	}
	if got := e.inspectField("job", "{{.Config.AttachStdin}} {{.Config.AttachStdout}} {{.Config.AttachStderr}}"); got != "false true true" {
		t.Errorf("inspect Attach* after create = %q", got)
	}
	if got := e.ok("ps", "-a", "--format", "{{.Names}} {{.Status}}"); got != "job Created\n" {
		t.Errorf("ps -a after create = %q", got)
	}
	if got := e.ok("ps", "-q"); got != "" {
		t.Errorf("ps after create = %q, want nothing running", got)
	}
	// start -a attaches and returns the container's exit code.
	r := e.gd("start", "-a", "job")
	if r.Code != 3 || r.Stdout != "out\n" || r.Stderr != "err\n" {
		t.Errorf("start -a: exit %d, stdout %q, stderr %q; want 3, \"out\\n\", \"err\\n\"", r.Code, r.Stdout, r.Stderr)
	}
	if got := e.inspectField(id, "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 3" {
		t.Errorf("inspect after start -a = %q", got)
	}

	// container create, the same flags as run; start of a created container with its
	// network, volume and limits.
	e.ok("network", "create", "appnet")
	t.Cleanup(func() { e.gd("network", "rm", "appnet") })
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("bound"), 0o644)
	e.ok("container", "create", "--name", "web", "--network", "appnet", "-v", host+":/data:ro", "-m", "64m",
		"-e", "K=V", "busybox", "sleep", "300")
	t.Cleanup(func() { e.gd("rm", "-f", "web") })
	if got := e.ok("start", "web"); got != "web\n" {
		t.Errorf("start web = %q", got)
	}
	if got := e.ok("exec", "web", "sh", "-c", "cat /data/f; echo; echo $K; cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes"); got != "bound\nV\n67108864\n" {
		t.Errorf("exec in the started container = %q", got)
	}
	e.ok("run", "-d", "--name", "client", "--network", "appnet", "busybox", "sleep", "300")
	t.Cleanup(func() { e.gd("rm", "-f", "client") })
	if got := e.nslookup("client", "web"); got == "NXDOMAIN" || got == "" {
		t.Errorf("web not resolvable on appnet: %q", got)
	}

	// start -ai: stdin of a container created with -i.
	e.created("-i", "--name", "cat", "busybox", "sh", "-c", "tr a-z A-Z; exit 4")
	if got := e.inspectField("cat", "{{.Config.AttachStdin}} {{.Config.OpenStdin}}"); got != "true true" {
		t.Errorf("inspect of create -i = %q", got)
	}
	cmd := e.command("start", "-ai", "cat")
	cmd.Stdin = strings.NewReader("piped\n")
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4 || string(out) != "PIPED\n" {
		t.Errorf("start -ai: %q, %v", out, err)
	}

	// start -a forwards signals to the container and ends with it.
	e.created("--name", "trapper", "busybox", "sh", "-c", "trap 'echo term; exit 9' TERM; echo ready; while :; do sleep 0.1; done")
	cmd = e.command("start", "-a", "trapper")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	buf := make([]byte, 6)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("start -a output: %q, %v", buf, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(stdout)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 9 || string(rest) != "term\n" {
		t.Errorf("start -a after SIGTERM: %q, %v; want \"term\" and exit 9", rest, err)
	}

	// create refuses -d; bad input leaves nothing behind.
	e.fails(125, "unknown shorthand flag: 'd' in -d", "create", "-d", "busybox")
	e.fails(125, "Invalid signal: NOPE", "create", "--stop-signal", "NOPE", "busybox")
	if got := e.ok("ps", "-aq", "--filter", "status=created"); got != "" {
		t.Errorf("ps -a after failed creates: %q", got)
	}
}

func TestLabelsAndStopOptions(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.ok("import", "--change", "LABEL from=image", "--change", "LABEL over=image", "--change", "STOPSIGNAL SIGUSR1",
		"--change", `CMD ["sh"]`, e.busyboxTar(), "labelled:latest")
	lf := filepath.Join(t.TempDir(), "labels")
	os.WriteFile(lf, []byte("# a comment\nfile=yes\n\nempty\nover=file\n"), 0o644)
	e.created("--name", "lab", "--label-file", lf, "-l", "over=flag", "--label", "x=1", "labelled")
	if got := e.inspectField("lab", "{{json .Config.Labels}}"); got != `{"empty":"","file":"yes","from":"image","over":"flag","x":"1"}` {
		t.Errorf("labels = %s", got)
	}
	if got := e.ok("ps", "-a", "--filter", "label=x=1", "--format", "{{.Names}}"); got != "lab\n" {
		t.Errorf("ps --filter label=x=1 = %q", got)
	}
	if got := e.inspectField("lab", "{{.Config.StopSignal}}"); got != "SIGUSR1" {
		t.Errorf("image STOPSIGNAL in inspect = %q", got)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("a b=c\n"), 0o644)
	e.fails(125, "invalid env file ("+bad+"): variable 'a b' contains whitespaces", "create", "--label-file", bad, "busybox")

	// --stop-signal: stop sends it; the container reports it and exits.
	e.detached("--name", "trap", "--stop-signal", "USR2", "--stop-timeout", "30", "busybox", "sh", "-c",
		"trap 'echo got usr2; exit 12' USR2; echo ready; while :; do sleep 0.1; done")
	e.awaitLog("trap", "ready")
	if got := e.inspectField("trap", "{{.Config.StopSignal}} {{.Config.StopTimeout}}"); got != "USR2 30" {
		t.Errorf("inspect stop options = %q", got)
	}
	e.ok("stop", "trap")
	if got := e.inspectField("trap", "{{.State.ExitCode}}"); got != "12" {
		t.Errorf("exit after stop with --stop-signal USR2 = %q", got)
	}
	// stop -s overrides it.
	e.detached("--name", "usr1", "busybox", "sh", "-c", "trap 'exit 21' USR1; echo ready; while :; do sleep 0.1; done")
	e.awaitLog("usr1", "ready")
	e.ok("stop", "-s", "USR1", "usr1")
	if got := e.inspectField("usr1", "{{.State.ExitCode}}"); got != "21" {
		t.Errorf("exit after stop -s USR1 = %q", got)
	}
	e.fails(125, "invalid signal: NOPE", "stop", "-s", "NOPE", "usr1")
	// --stop-timeout 1: a container that ignores the signal is killed after a second.
	e.detached("--name", "deaf", "--stop-timeout", "1", "busybox", "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done")
	e.awaitLog("deaf", "ready")
	e.ok("stop", "deaf")
	if got := e.inspectField("deaf", "{{.State.ExitCode}}"); got != "137" {
		t.Errorf("exit after stop with --stop-timeout 1 = %q", got)
	}
}

func TestRename(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	e.ok("network", "create", "rnet")
	t.Cleanup(func() { e.gd("network", "rm", "rnet") })
	id := e.detached("--name", "old", "--network", "rnet", "busybox", "sleep", "300")
	e.detached("--name", "other", "--network", "rnet", "busybox", "sleep", "300")
	ip := e.inspectField("old", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")
	if got := e.nslookup("other", "old"); got != ip {
		t.Fatalf("old resolves to %q, want %s", got, ip)
	}
	if out := e.ok("rename", "old", "new"); out != "" {
		t.Errorf("rename printed %q", out)
	}
	if got := e.inspectField(id, "{{.Name}} {{.State.Status}}"); got != "/new running" {
		t.Errorf("inspect after rename = %q", got)
	}
	if got := e.nslookup("other", "new"); got != ip {
		t.Errorf("new resolves to %q, want %s", got, ip)
	}
	if got := e.nslookup("other", "old"); got == ip {
		t.Errorf("old still resolves to %s", got)
	}
	e.fails(1, "No such object: old", "inspect", "old")
	// The old name is free again; a taken name and the same name are refused.
	e.detached("--name", "old", "busybox", "sleep", "300")
	otherID := e.inspectField("other", "{{.Id}}")
	e.fails(1, `Conflict. The container name "/other" is already in use by container "`+otherID+`". You have to remove (or rename) that container to be able to reuse that name.`, "rename", "new", "other")
	e.fails(1, "Renaming a container with the same name as its current name", "container", "rename", "new", "new")
	e.fails(1, "Invalid container name (bad/name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", "rename", "new", "bad/name")
	e.fails(1, "No such container: nosuch", "rename", "nosuch", "x")
	if got := e.inspectField(id, "{{.Name}}"); got != "/new" {
		t.Errorf("name after refused renames = %q", got)
	}
	// A stopped container renamed keeps its new name at the next start.
	e.ok("stop", "-t", "0", "new")
	e.ok("rename", "new", "newer")
	e.ok("start", "newer")
	if got := e.nslookup("other", "newer"); got == "NXDOMAIN" || got == "" {
		t.Errorf("newer does not resolve after start: %q", got)
	}
}

func TestKillThenRemove(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	for i := range 5 {
		id := e.detached("busybox", "sleep", "300")
		cmd := e.command("kill", id)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kill (try %d): %v %s", i+1, err, out)
		}
		if got := e.inspectField(id, "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 137" {
			t.Errorf("try %d: after kill: %q", i+1, got)
		}
		e.ok("rm", id)
	}
	// With a restart policy, kill leaves it stopped too.
	id := e.detached("--restart", "always", "busybox", "sleep", "300")
	e.ok("kill", id)
	e.ok("rm", id)
	e.assertNoCgroups()
}

func TestRunAttachCidfileSigProxy(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	// -a picks the streams.
	r := e.gd("run", "--rm", "-a", "stderr", "busybox", "sh", "-c", "echo out; echo err >&2")
	if r.Code != 0 || r.Stdout != "" || r.Stderr != "err\n" {
		t.Errorf("run -a stderr: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = e.gd("run", "--rm", "-a", "STDOUT", "busybox", "sh", "-c", "echo out; echo err >&2")
	if r.Code != 0 || r.Stdout != "out\n" || r.Stderr != "" {
		t.Errorf("run -a STDOUT: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	cmd := e.command("run", "--rm", "-i", "-a", "stdin", "-a", "stdout", "busybox", "tr", "a-z", "A-Z")
	cmd.Stdin = strings.NewReader("abc\n")
	if out, err := cmd.Output(); err != nil || string(out) != "ABC\n" {
		t.Errorf("run -i -a stdin -a stdout: %q, %v", out, err)
	}
	e.fails(125, `invalid argument "foo" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`, "run", "-a", "foo", "busybox")
	e.fails(1, "conflicting options: cannot specify both --attach and --detach", "run", "-d", "-a", "stdout", "busybox")
	e.fails(125, `invalid argument "ctrl-xx" for "--detach-keys" flag: Unknown character: 'ctrl-xx'`, "run", "--detach-keys", "ctrl-xx", "busybox")

	// --cidfile: written with the ID; an existing file is refused and kept.
	cid := filepath.Join(t.TempDir(), "cid")
	id := e.detached("--cidfile", cid, "busybox", "sleep", "300")
	if got := e.inspectField(id, "{{.Config.AttachStdin}} {{.Config.AttachStdout}} {{.Config.AttachStderr}}"); got != "false false false" {
		t.Errorf("inspect Attach* of run -d = %q", got)
	}
	if b, err := os.ReadFile(cid); err != nil || string(b) != id {
		t.Errorf("cidfile = %q, %v; want %s", b, err, id)
	}
	e.fails(125, "container ID file found, make sure the other container isn't running or delete "+cid, "run", "--cidfile", cid, "busybox", "true")
	if b, _ := os.ReadFile(cid); string(b) != id {
		t.Errorf("cidfile after the refusal = %q", b)
	}
	cid2 := filepath.Join(t.TempDir(), "cid2")
	out := e.ok("run", "--rm", "--cidfile", cid2, "busybox", "cat", "/etc/hostname")
	if b, err := os.ReadFile(cid2); err != nil || len(b) != 64 || !strings.HasPrefix(string(b), strings.TrimSpace(out)) {
		t.Errorf("foreground cidfile = %q, %v (hostname %q)", b, err, out)
	}
	cid3 := filepath.Join(t.TempDir(), "cid3")
	e.fails(125, "No such image", "run", "--cidfile", cid3, "--pull", "never", "nosuchimage")
	if _, err := os.Stat(cid3); !os.IsNotExist(err) {
		t.Errorf("cidfile left after a failed create: %v", err)
	}

	// --sig-proxy=false: SIGTERM ends the command, not the container.
	cmd = e.command("run", "--name", "noproxy", "--sig-proxy=false", "busybox", "sh", "-c", "echo ready; exec sleep 300")
	t.Cleanup(func() { e.gd("rm", "-f", "noproxy") })
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("run --sig-proxy=false output: %q, %v", buf, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 {
		t.Errorf("run --sig-proxy=false after SIGTERM: %v, want exit 143", err)
	}
	if got := e.inspectField("noproxy", "{{.State.Status}}"); got != "running" {
		t.Errorf("container after the command's SIGTERM: %q, want running", got)
	}
	// With the default (--sig-proxy=true) the signal reaches the container.
	cmd = e.command("run", "--rm", "busybox", "sh", "-c", "trap 'echo term; exit 9' TERM; echo ready; while :; do sleep 0.1; done")
	stdout, _ = cmd.StdoutPipe()
	cmd.Start()
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("run output: %q, %v", buf, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(stdout)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 9 || string(rest) != "term\n" {
		t.Errorf("run with sig-proxy after SIGTERM: %q, %v, want \"term\" and exit 9", rest, err)
	}
}

// TestAPICreateRename drives create, start -a, rename, kill and stop through the docker CLI.
func TestAPICreateRename(t *testing.T) {
	needDocker(t)
	e := newEnv(t)
	e.withBusybox()
	s := e.serve(false)
	t.Cleanup(e.removeAll)

	id := strings.TrimSpace(s.ok("create", "--name", "job", "-l", "tier=api", "--stop-signal", "SIGUSR1", "--stop-timeout", "7",
		"busybox", "sh", "-c", "echo out; echo err >&2; exit 5"))
	if len(id) != 64 {
		t.Fatalf("docker create printed %q", id)
	}
	if out := s.ok("ps", "-a", "--format", "{{.Names}} {{.State}} {{.Status}}"); out != "job created Created\n" {
		t.Errorf("docker ps -a after create: %q", out)
	}
	if out := s.ok("inspect", "-f", "{{.Config.Labels.tier}} {{.Config.StopSignal}} {{.Config.StopTimeout}}", "job"); out != "api SIGUSR1 7\n" {
		t.Errorf("docker inspect labels and stop options: %q", out)
	}
	if out := e.ok("inspect", "-f", "{{.Config.Labels.tier}} {{.Config.StopSignal}} {{.Config.StopTimeout}}", "job"); out != "api SIGUSR1 7\n" {
		t.Errorf("geedocker inspect of the API's container: %q", out)
	}
	r := s.docker("start", "-a", "job")
	if r.Code != 5 || r.Stdout != "out\n" || r.Stderr != "err\n" {
		t.Errorf("docker start -a: exit %d, stdout %q, stderr %q; want 5, \"out\\n\", \"err\\n\"", r.Code, r.Stdout, r.Stderr)
	}
	s.ok("rename", "job", "done")
	if out := s.ok("inspect", "-f", "{{.Name}} {{.State.ExitCode}}", id); out != "/done 5\n" {
		t.Errorf("docker inspect after rename: %q", out)
	}
	s.ok("run", "-d", "--name", "busy", "busybox", "sleep", "300")
	s.fails(1, `Error response from daemon: Conflict. The container name "/busy" is already in use by container`, "rename", "done", "busy")
	s.fails(1, "Renaming a container with the same name as its current name", "rename", "done", "done")
	// docker create -i, then start -ai with stdin.
	s.ok("create", "-i", "--name", "upper", "busybox", "tr", "a-z", "A-Z")
	cmd := exec.Command("docker", "start", "-ai", "upper")
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+s.sock, "DOCKER_CONFIG="+s.config)
	cmd.Stdin = strings.NewReader("piped\n")
	if out, err := cmd.Output(); err != nil || string(out) != "PIPED\n" {
		t.Errorf("docker start -ai with stdin: %q, %v", out, err)
	}
	// docker stop -s.
	s.ok("run", "-d", "--name", "usr1", "busybox", "sh", "-c", "trap 'exit 21' USR1; echo ready; while :; do sleep 0.1; done")
	e.awaitLog("usr1", "ready")
	s.ok("stop", "-s", "SIGUSR1", "usr1")
	if out := s.ok("inspect", "-f", "{{.State.ExitCode}}", "usr1"); out != "21\n" {
		t.Errorf("docker stop -s SIGUSR1: exit %q", out)
	}
	// kill then rm at once.
	s.ok("kill", "busy")
	s.ok("rm", "busy")
	// docker run -a stderr through the API.
	s.ok("create", "--name", "errs", "-a", "stderr", "busybox", "true")
	if out := s.ok("inspect", "-f", "{{.Config.AttachStdin}} {{.Config.AttachStdout}} {{.Config.AttachStderr}}", "errs"); out != "false false true\n" {
		t.Errorf("docker inspect Attach* of create -a stderr: %q", out)
	}
	r = s.docker("run", "--rm", "-a", "stderr", "busybox", "sh", "-c", "echo out; echo err >&2")
	if r.Code != 0 || r.Stdout != "" || r.Stderr != "err\n" {
		t.Errorf("docker run -a stderr: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// --detach-keys on run -it, start -ai and attach: the given sequence detaches, the
// container runs on.
func TestDetachKeys(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	s := e.startPty("run", "-it", "--name", "sh1", "--detach-keys", "ctrl-x,x", "busybox", "sh")
	t.Cleanup(func() { e.gd("rm", "-f", "sh1") })
	s.expect("# ")
	fmt.Fprintf(s.ptmx, "echo one-$((1+1))\r")
	s.expect("one-2")
	s.ptmx.Write([]byte{0x18, 'x'})
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("run -it after ctrl-x x: %v", err)
	}
	if got := e.inspectField("sh1", "{{.State.Status}}"); got != "running" {
		t.Fatalf("after detaching, sh1 is %s", got)
	}
	// A container created with -it, started with -ai.
	e.created("-it", "--name", "sh2", "busybox", "sh")
	a := e.startPty("start", "-ai", "--detach-keys", "ctrl-a,ctrl-b", "sh2")
	a.expect("# ")
	fmt.Fprintf(a.ptmx, "echo two-$((1+1))\r")
	a.expect("two-2")
	a.ptmx.Write([]byte{0x01, 0x02})
	if err := a.cmd.Wait(); err != nil {
		t.Errorf("start -ai after ctrl-a ctrl-b: %v", err)
	}
	if got := e.inspectField("sh2", "{{.State.Status}}"); got != "running" {
		t.Fatalf("after detaching, sh2 is %s", got)
	}
	b := e.startPty("attach", "--detach-keys", "ctrl-a,ctrl-b", "sh2")
	fmt.Fprintf(b.ptmx, "exit 6\r")
	if err := b.cmd.Wait(); err == nil || err.(*exec.ExitError).ExitCode() != 6 {
		t.Errorf("attach, then exit 6: %v", err)
	}
}

// awaitFdKind waits until process pid holds a descriptor of the kind given ("inotify",
// "pidfd"): it is then blocked in its wait.
func awaitFdKind(t *testing.T, pid int, kind string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); strings.Contains(l, kind) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d never waited on a %s", pid, kind)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWaitConditions(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	// next-exit on a created container: returns once it has started and exited.
	e.created("--name", "waited", "busybox", "sleep", "300")
	var out bytes.Buffer
	waiter := e.command("wait", "--condition", "next-exit", "waited")
	waiter.Stdout = &out
	if err := waiter.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { waiter.Process.Kill() })
	awaitFdKind(t, waiter.Process.Pid, "inotify")
	e.ok("start", "waited")
	e.ok("kill", "waited")
	if err := waiter.Wait(); err != nil || out.String() != "137\n" {
		t.Errorf("wait --condition next-exit: %q, %v", out.String(), err)
	}
	// removed: after the exit, once rm has removed it.
	e.ok("start", "waited")
	out.Reset()
	waiter = e.command("wait", "--condition", "removed", "waited")
	waiter.Stdout = &out
	if err := waiter.Start(); err != nil {
		t.Fatal(err)
	}
	awaitFdKind(t, waiter.Process.Pid, "pidfd")
	e.ok("rm", "-f", "waited")
	if err := waiter.Wait(); err != nil || out.String() != "137\n" {
		t.Errorf("wait --condition removed: %q, %v", out.String(), err)
	}
	// not-running (the default) of an exited container answers at once.
	t.Cleanup(func() { e.gd("rm", "-f", "done") })
	if r := e.gd("run", "--name", "done", "busybox", "sh", "-c", "exit 3"); r.Code != 3 {
		t.Fatalf("run exit 3: %d %q", r.Code, r.Stderr)
	}
	if got := e.ok("wait", "--condition", "not-running", "done"); got != "3\n" {
		t.Errorf("wait --condition not-running: %q", got)
	}
	e.fails(125, `invalid condition: "bogus"`, "wait", "--condition", "bogus", "done")
}
