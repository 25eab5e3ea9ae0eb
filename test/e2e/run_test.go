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

	"github.com/creack/pty"

	"github.com/geedocker/geedocker/internal/testutil"
)

// withBusybox imports the busybox test rootfs as busybox:latest (CMD sh) and
// as nocmd:latest (no command), offline.
func (e *env) withBusybox() {
	e.t.Helper()
	tarPath := filepath.Join(e.t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(tarPath, testutil.BusyboxRootfsTar(e.t), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.ok("import", "--change", `CMD ["sh"]`, "--change", "ENV FROM_IMAGE=yes", tarPath, "busybox:latest")
	e.ok("import", tarPath, "nocmd:latest")
}

// run runs `geedocker run --rm busybox sh -c script` with extra flags
// before the image, and returns stdout; it fails the test on a non-zero exit.
func (e *env) sh(flags []string, script string) string {
	e.t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), "busybox", "sh", "-c", script)
	return e.ok(args...)
}

func TestRunIsolation(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()

	out := e.sh(nil, "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; grep CapEff /proc/self/status")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", out)
	}
	if len(lines[0]) != 12 {
		t.Errorf("hostname %q, want the 12-character short ID", lines[0])
	}
	if !strings.HasPrefix(lines[1], "sh -c hostname") {
		t.Errorf("PID 1 is %q, want the command", lines[1])
	}
	// Docker's 14 default capabilities.
	if lines[2] != "CapEff:\t00000000a80425fb" {
		t.Errorf("capabilities: %q", lines[2])
	}
	if out := e.sh([]string{"-h", "web1"}, "hostname; cat /etc/hostname"); out != "web1\nweb1\n" {
		t.Errorf("-h web1: %q", out)
	}
	// Only the command's fds: 0 1 2 and the one ls opens for the listing.
	if out := e.sh(nil, "ls /proc/self/fd | tr '\\n' ' '"); out != "0 1 2 3 " {
		t.Errorf("open fds: %q", out)
	}
	// Masked and read-only paths.
	cases := []struct{ script, want string }{
		{"cat /proc/kcore | wc -c", "0"},
		{"echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo writable || echo refused", "refused"},
		{"touch /sys/x 2>/dev/null && echo writable || echo refused", "refused"},
		{"grep ' /sys ' /proc/mounts | grep -c '[ ,]ro[ ,]'", "1"},
		{"grep ' /proc ' /proc/mounts | grep -c nosuid,nodev,noexec", "1"},
		{"ls /sys/firmware | wc -l", "0"},
		{"readlink /dev/ptmx; ls /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/shm /dev/mqueue /dev/pts >/dev/null && echo devs", "pts/ptmx\ndevs"},
		{"ps -o pid,comm > /tmp/ps; wc -l < /tmp/ps", "3"}, // header, sh, ps: the host's processes are not visible
		{"mount -t tmpfs none /mnt 2>/dev/null && echo mounted || echo refused", "refused"},
	}
	for _, c := range cases {
		if out := strings.TrimSpace(e.sh(nil, c.script)); out != c.want {
			t.Errorf("%s: got %q, want %q", c.script, out, c.want)
		}
	}
	// --privileged: every capability GeeDocker holds itself, /proc unmasked.
	status, _ := os.ReadFile("/proc/self/status")
	var hostCaps string
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "CapBnd:") {
			hostCaps = strings.TrimSpace(strings.TrimPrefix(line, "CapBnd:"))
		}
	}
	if out := e.sh([]string{"--privileged"}, "grep CapEff /proc/self/status; head -c1 /proc/timer_list | grep -q . && echo unmasked"); out != "CapEff:\t"+hostCaps+"\nunmasked\n" {
		t.Errorf("--privileged: %q, want CapEff %s and /proc unmasked", out, hostCaps)
	}
	if out := e.sh([]string{"--cap-drop", "ALL", "--cap-add", "NET_ADMIN"}, "grep CapEff /proc/self/status"); out != "CapEff:\t0000000000001000\n" {
		t.Errorf("--cap-drop ALL --cap-add NET_ADMIN: %q", out)
	}
	if out := e.sh([]string{"--security-opt", "no-new-privileges"}, "grep NoNewPrivs /proc/self/status"); out != "NoNewPrivs:\t1\n" {
		t.Errorf("no-new-privileges: %q", out)
	}
}

func TestRunConfig(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("# comment\nFROM_FILE=1\nPASSED\n"), 0o644)
	t.Setenv("PASSED", "from-caller")
	out := e.sh([]string{"-e", "A=1", "-e", "PASSED", "--env-file", envFile}, "echo $A $PASSED $FROM_FILE $FROM_IMAGE $HOSTNAME | wc -w; echo $A $PASSED $FROM_FILE $FROM_IMAGE")
	if out != "5\n1 from-caller 1 yes\n" {
		t.Errorf("env: %q", out)
	}
	if out := e.sh([]string{"-w", "/var/work"}, "pwd"); out != "/var/work\n" {
		t.Errorf("-w: %q", out)
	}
	if out := e.sh([]string{"-u", "app"}, "id -u; id -g; id -Gn; echo $HOME"); out != "1000\n1000\napp extra\n/home/app\n" {
		t.Errorf("-u app: %q", out)
	}
	if out := e.sh([]string{"-u", "1234:5678"}, "id -u; id -g"); out != "1234\n5678\n" {
		t.Errorf("-u 1234:5678: %q", out)
	}
	if out := e.ok("run", "--rm", "--entrypoint", "echo", "busybox", "from", "entrypoint"); out != "from entrypoint\n" {
		t.Errorf("--entrypoint: %q", out)
	}
	// The image's Cmd is the default command; stdin is connected with -i.
	cmd := e.command("run", "--rm", "-i", "busybox")
	cmd.Stdin = strings.NewReader("echo from stdin; exit 3\n")
	got, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || string(got) != "from stdin\n" {
		t.Errorf("run -i busybox: %q, %v", got, err)
	}
	// Bind mounts, read-write and read-only; tmpfs; read-only root.
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "in"), []byte("hello"), 0o644)
	out = e.sh([]string{"-v", host + ":/data", "-v", host + ":/ro:ro"}, "cat /data/in; echo out > /data/out; echo x > /ro/x 2>/dev/null || echo ro-refused")
	if out != "helloro-refused\n" {
		t.Errorf("binds: %q", out)
	}
	if b, _ := os.ReadFile(filepath.Join(host, "out")); string(b) != "out\n" {
		t.Errorf("write through the bind: %q", b)
	}
	if _, err := os.Stat(filepath.Join(host, "x")); err == nil {
		t.Errorf("a :ro bind was written")
	}
	out = e.sh([]string{"--read-only", "--tmpfs", "/scratch"}, "touch /x 2>/dev/null || echo root-ro; touch /scratch/y && echo tmpfs-rw")
	if out != "root-ro\ntmpfs-rw\n" {
		t.Errorf("--read-only --tmpfs: %q", out)
	}
	// --init: the command is not PID 1, and orphans are reaped.
	out = e.sh([]string{"--init"}, "cat /proc/1/cmdline | tr '\\0' ' '; echo")
	if !strings.HasPrefix(out, "/sbin/docker-init -- sh") {
		t.Errorf("--init PID 1: %q", out)
	}
	// --network host sees the host's interfaces, none only lo.
	if out := e.sh([]string{"--network", "none"}, "ls /sys/class/net | tr '\\n' ' '"); out != "lo " {
		t.Errorf("--network none: %q", out)
	}
	// --network host shares the engine's network namespace (the test's).
	var st syscall.Stat_t
	if err := syscall.Stat(e.netns, &st); err != nil {
		t.Fatal(err)
	}
	if out := e.sh([]string{"--network", "host"}, "readlink /proc/self/ns/net"); out != fmt.Sprintf("net:[%d]\n", st.Ino) {
		t.Errorf("--network host: namespace %q, want net:[%d]", out, st.Ino)
	}
}

func TestRunExitCodes(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"run", "--rm", "busybox", "true"}, 0, ""},
		{[]string{"run", "--rm", "busybox", "sh", "-c", "exit 3"}, 3, ""},
		{[]string{"run", "--rm", "--init", "busybox", "sh", "-c", "kill -9 $$"}, 137, ""},
		{[]string{"run", "--rm", "busybox", "nonexistent-command"}, 127, "nonexistent-command"},
		{[]string{"run", "--rm", "busybox", "/etc/passwd"}, 126, "/etc/passwd"},
		{[]string{"run", "--rm", "busybox", "/tmp"}, 126, "/tmp"},
		{[]string{"run", "--rm", "--bogus", "busybox"}, 125, "unknown flag: --bogus"},
		{[]string{"run", "--rm", "--memory", "10XB", "busybox"}, 125, "10XB"},
		{[]string{"run", "--rm", "--cpus", "-1", "busybox"}, 125, "cpus"},
		{[]string{"run", "--rm", "--mount", "type=bind,source=/does/not/exist,target=/x", "busybox"}, 125, `invalid mount config for type "bind": bind source path does not exist: /does/not/exist`},
		{[]string{"run", "--rm", "nocmd"}, 125, "no command specified"},
		{[]string{"run", "--rm", "--pull", "never", "missing-image"}, 125, "No such image: missing-image:latest"},
		{[]string{"run", "--rm", "--pull", "sometimes", "busybox"}, 125, "invalid pull option"},
		{[]string{"run", "--rm", "BadName"}, 125, "invalid reference format"},
	}
	for _, c := range cases {
		r := e.gd(c.args...)
		if r.Code != c.code || !strings.Contains(r.Stderr, c.err) {
			t.Errorf("%s: exit %d (want %d), stderr %q (want %q)", strings.Join(c.args, " "), r.Code, c.code, r.Stderr, c.err)
		}
	}
	// Nothing of the failed runs is left: no record, no cgroup.
	if got := e.entries("containers"); len(got) != 0 {
		t.Errorf("containers left: %v", got)
	}
	e.assertNoCgroups()
}

func TestRunLimits(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	// An allocation past the memory limit is OOM-killed: exit 137.
	r := e.gd("run", "--rm", "--memory", "32m", "--memory-swap", "32m", "busybox", "sh", "-c", "tail /dev/zero")
	if r.Code != 137 {
		t.Errorf("over the memory limit: exit %d, want 137 (%s)", r.Code, r.Stderr)
	}
	// The limits are visible in the container's own cgroup.
	out := e.sh([]string{"--cpus", "0.5", "-m", "64m", "--pids-limit", "20", "--cpu-shares", "512"}, cgroupScript)
	if out != "50000 100000\n67108864\n20\n512\n" {
		t.Errorf("limits seen inside: %q", out)
	}
	// The seed's short aliases.
	if out := e.sh([]string{"--mem", "64m", "--pids", "20", "--cpus", "0.5"}, cgroupScript); !strings.HasPrefix(out, "50000 100000\n67108864\n20\n") {
		t.Errorf("--mem/--pids aliases: %q", out)
	}
	// A fork bomb under --pids-limit stays contained: forks fail inside,
	// the container still ends.
	r = e.gd("run", "--rm", "--pids-limit", "10", "busybox", "sh", "-c", "for i in $(seq 30); do sleep 30 & done; echo all-started")
	if r.Code == 0 || strings.Contains(r.Stdout, "all-started") || !strings.Contains(r.Stderr, "can't fork") {
		t.Errorf("fork bomb under --pids-limit 10: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	e.assertNoCgroups()
}

// cgroupScript prints cpu quota and period, memory limit, pids max, cpu
// shares from the container's cgroup, on v1 or v2.
const cgroupScript = `if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
cat /sys/fs/cgroup/cpu.max; cat /sys/fs/cgroup/memory.max; cat /sys/fs/cgroup/pids.max; cat /sys/fs/cgroup/cpu.weight
else
echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/pids/pids.max; cat /sys/fs/cgroup/cpu/cpu.shares
fi`

func TestRunRemoveLeavesNothing(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	before := mountsUnder(t, e.root)
	out := e.sh(nil, "echo data > /written; cat /written")
	if out != "data\n" {
		t.Errorf("write in the container: %q", out)
	}
	if got := e.entries("containers"); len(got) != 0 {
		t.Errorf("--rm left containers/%v", got)
	}
	if after := mountsUnder(t, e.root); after != before {
		t.Errorf("mounts: %d before, %d after", before, after)
	}
	e.assertNoCgroups()
	// The next container does not see the file: the upper dir was discarded.
	if out := e.sh(nil, "cat /written 2>/dev/null || echo gone"); out != "gone\n" {
		t.Errorf("upper dir kept: %q", out)
	}
	// Without --rm the record stays (exited), and its upper dir.
	e.ok("run", "--name", "keep", "busybox", "sh", "-c", "echo kept > /file")
	if got := e.entries("containers"); len(got) != 1 {
		t.Fatalf("containers: %v", got)
	}
	b, err := os.ReadFile(filepath.Join(e.root, "containers", e.entries("containers")[0], "upper", "file"))
	if err != nil || string(b) != "kept\n" {
		t.Errorf("upper dir of an exited container: %q %v", b, err)
	}
	e.assertNoCgroups()
}

// mountsUnder counts the host's mounts at or below dir (a store root):
// containers must leave none.
func mountsUnder(t *testing.T, dir string) int {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		if f := strings.Fields(string(line)); len(f) > 4 && strings.HasPrefix(f[4], dir) {
			n++
		}
	}
	return n
}

// A -t session through a pseudo-terminal: a shell prompt, a command, the
// exit code, Ctrl-C reaching the container.
func TestRunTTY(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	cmd := e.command("run", "--rm", "-it", "--name", "tty", "busybox", "sh")
	t.Cleanup(func() { e.gd("rm", "-f", "tty") }) // the container outlives a killed client
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 123})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	var buf safeBuffer
	go func() {
		io.Copy(&buf, ptmx)
		close(done)
	}()
	expect := func(s string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(buf.String(), s) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the terminal output:\n%s", s, buf.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	expect("# ")
	// The terminal is the container's own, as with Docker: /dev/pts/0 of its devpts, owned by
	// its root and group tty, also seen as /dev/console.
	fmt.Fprintf(ptmx, "tty; stty size; echo $TERM; stat -c %%u:%%g $(tty); [ /dev/console -ef $(tty) ] && echo console-$((1+1))\r")
	expect("\r\n/dev/pts/0\r\n")
	expect("40 123")
	expect("xterm")
	expect("\r\n0:5\r\n")
	expect("console-2")
	// A resize of the user's terminal reaches the container's.
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 77}); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(ptmx, "until [ \"$(stty size)\" = '50 77' ]; do sleep 0.05; done; echo resized-$((2+2))\r")
	expect("resized-4")
	// Ctrl-C interrupts a command in the container, not the session.
	// (If Ctrl-C did not reach sleep, the next line would only run after
	// 60 s, past expect's deadline.)
	fmt.Fprintf(ptmx, "sleep 60\r")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(e.gd("top", "tty").Stdout, "sleep 60") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	ptmx.Write([]byte{3})
	fmt.Fprintf(ptmx, "echo back-$((2+3))\r")
	expect("back-5")
	fmt.Fprintf(ptmx, "exit 5\r")
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 {
		t.Errorf("exit of the -t session: %v", err)
	}

	// Under a seccomp filter installed right before execve (with no_new_privs), too.
	s := e.startPty("run", "--rm", "-t", "--security-opt", "no-new-privileges", "busybox",
		"sh", "-c", "tty; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status")
	s.expect("/dev/pts/0\r\nNoNewPrivs:\t1\r\nSeccomp:\t2\r\n")
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("run -t with no-new-privileges: %v", err)
	}
}

// ptySession runs geedocker args on a pseudo-terminal of the test.
type ptySession struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File
	buf  safeBuffer
	done chan struct{}
}

func (e *env) startPty(args ...string) *ptySession {
	e.t.Helper()
	s := &ptySession{t: e.t, done: make(chan struct{})}
	s.cmd = e.command(args...)
	var err error
	if s.ptmx, err = pty.StartWithSize(s.cmd, &pty.Winsize{Rows: 30, Cols: 90}); err != nil {
		e.t.Fatal(err)
	}
	go func() { io.Copy(&s.buf, s.ptmx); close(s.done) }()
	e.t.Cleanup(func() { s.cmd.Process.Kill(); s.ptmx.Close(); <-s.done })
	return s
}

func (s *ptySession) expect(want string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.buf.String(), want) {
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q in the terminal output:\n%s", want, s.buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Ctrl-P Ctrl-Q detaches from run -it and attach; the container keeps
// running and can be attached to again.
func TestAttachDetach(t *testing.T) {
	e := newEnv(t)
	e.withBusybox()
	s := e.startPty("run", "-it", "--name", "shell", "busybox", "sh")
	t.Cleanup(func() { e.gd("rm", "-f", "shell") })
	s.expect("# ")
	fmt.Fprintf(s.ptmx, "echo first-$((40+2))\r")
	s.expect("first-42")
	s.ptmx.Write([]byte{0x10, 0x11})
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("run -it after Ctrl-P Ctrl-Q: %v", err)
	}
	if got := e.inspectField("shell", "{{.State.Status}}"); got != "running" {
		t.Fatalf("after detaching, the container is %s", got)
	}
	// The size of the caller's terminal is the container's from its first instruction.
	x := e.startPty("run", "--rm", "-t", "busybox", "stty", "size")
	x.expect("30 90\r\n")
	if err := x.cmd.Wait(); err != nil {
		t.Errorf("run -t stty size: %v", err)
	}
	// exec -t gets the next terminal of the same devpts.
	x = e.startPty("exec", "-it", "shell", "sh", "-c", "tty; stty size; ls /dev/pts | tr '\\n' ' '; echo")
	x.expect("/dev/pts/1\r\n30 90\r\n0 1 ptmx \r\n")
	if err := x.cmd.Wait(); err != nil {
		t.Errorf("exec -it: %v", err)
	}
	a := e.startPty("attach", "shell")
	fmt.Fprintf(a.ptmx, "echo again-$((1+1))\r")
	a.expect("again-2")
	fmt.Fprintf(a.ptmx, "exit 4\r")
	err := a.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4 {
		t.Errorf("attach: exit %v, want 4", err)
	}
	if got := e.inspectField("shell", "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 4" {
		t.Errorf("after exit: %s", got)
	}
	// The whole session is in the log.
	if got := e.ok("logs", "shell"); !strings.Contains(got, "first-42") || !strings.Contains(got, "again-2") {
		t.Errorf("logs of the terminal session: %q", got)
	}
	e.fails(1, "You cannot attach to a stopped container", "attach", "shell")

	// start -a of a container with a terminal: a new terminal of its new devpts.
	e.ok("run", "-d", "-t", "--name", "again", "busybox", "sh", "-c", "tty; exit 3")
	t.Cleanup(func() { e.gd("rm", "-f", "again") })
	if got := e.ok("wait", "again"); got != "3\n" {
		t.Fatalf("wait: %q", got)
	}
	if r := e.gd("start", "-a", "again"); r.Code != 3 || r.Stdout != "/dev/pts/0\r\n" {
		t.Errorf("start -a of a -t container: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
	}
}

type safeBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *safeBuffer) lock() {
	if b.mu == nil {
		b.mu = make(chan struct{}, 1)
	}
	b.mu <- struct{}{}
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.lock()
	defer func() { <-b.mu }()
	return b.buf.String()
}
