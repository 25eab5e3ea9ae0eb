package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/runtime/nsenter"
)

func needExec(t *testing.T) {
	t.Helper()
	needRoot(t)
	if !nsenter.Available {
		t.Skip("needs cgo: Exec enters containers with the C constructor of runtime/nsenter")
	}
}

// startContainer starts a container running args and kills it at the end of the test.
func startContainer(t *testing.T, c Config) *Process {
	t.Helper()
	p, err := Start(context.Background(), c)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL); _, _ = p.Wait() })
	return p
}

// execProcess is the process of `docker exec` with Docker's defaults.
func execProcess(args ...string) *specs.Process {
	return &specs.Process{
		Args: args,
		Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Cwd:  "/",
		Capabilities: &specs.LinuxCapabilities{
			Bounding: defaultCaps, Effective: defaultCaps, Permitted: defaultCaps, Inheritable: defaultCaps,
		},
	}
}

// execIn runs c in its container to the end and returns what it printed and how it ended.
func execIn(t *testing.T, c ExecConfig) (result, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if c.Stdout == nil {
		c.Stdout = &stdout
	}
	if c.Stderr == nil {
		c.Stderr = &stderr
	}
	p, err := Exec(context.Background(), c)
	if err != nil {
		return result{}, err
	}
	t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL); _, _ = p.Wait() })
	st, err := p.Wait()
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return result{stdout.String(), stderr.String(), st}, nil
}

func TestExec(t *testing.T) {
	needExec(t)
	ctr := startContainer(t, Config{Spec: testSpec(newRootfs(t), "sleep", "1000")})
	tests := []struct {
		name       string
		args       []string
		proc       func(p *specs.Process)
		stdin      string
		wantStdout string // exact, unless contains is set
		contains   []string
		wantCode   int
	}{
		{name: "true", args: []string{"true"}},
		{name: "exit code", args: []string{"sh", "-c", "exit 3"}, wantCode: 3},
		{name: "killed by a signal", args: []string{"sh", "-c", "kill -9 $$"}, wantCode: 137},
		{name: "hostname of the container", args: []string{"hostname"}, wantStdout: "testhost\n"},
		{name: "files of the container", args: []string{"ls", "/etc"}, wantStdout: "garbage\ngroup\nnotexec\npasswd\nscript\n"},
		{name: "container's network", args: []string{"cat", "/proc/net/dev"}, contains: []string{"lo:"}},
		{name: "default working directory is the container's root", args: []string{"sh", "-c", "pwd; ls -d /home/alice"},
			wantStdout: "/\n/home/alice\n"},
		{name: "working directory", args: []string{"pwd"}, proc: func(p *specs.Process) { p.Cwd = "/home/alice" }, wantStdout: "/home/alice\n"},
		{name: "default capabilities", args: []string{"grep", "^Cap", "/proc/self/status"},
			wantStdout: "CapInh:\t00000000a80425fb\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n"},
		{name: "capabilities asked for", args: []string{"grep", "^Cap", "/proc/self/status"}, proc: func(p *specs.Process) {
			p.User.Username = "alice"
			p.Capabilities = &specs.LinuxCapabilities{
				Bounding: []string{"CAP_KILL", "CAP_CHOWN", "CAP_NET_ADMIN"}, Permitted: []string{"CAP_KILL", "CAP_CHOWN"},
				Effective: []string{"CAP_KILL"}, Inheritable: []string{"CAP_CHOWN"}, Ambient: []string{"CAP_CHOWN"},
			}
		}, wantStdout: "CapInh:\t0000000000000001\nCapPrm:\t0000000000000001\nCapEff:\t0000000000000001\nCapBnd:\t0000000000001021\nCapAmb:\t0000000000000001\n"},
		// A non-root user keeps its ambient capabilities; root gets at execve all it may have:
		// bounding | inheritable.
		{name: "capabilities asked for, as root", args: []string{"grep", "^Cap", "/proc/self/status"}, proc: func(p *specs.Process) {
			p.Capabilities = &specs.LinuxCapabilities{
				Bounding: []string{"CAP_KILL", "CAP_NET_ADMIN"}, Permitted: []string{"CAP_KILL"},
				Effective: []string{"CAP_KILL"}, Inheritable: []string{"CAP_KILL"},
			}
		}, wantStdout: "CapInh:\t0000000000000020\nCapPrm:\t0000000000001020\nCapEff:\t0000000000001020\nCapBnd:\t0000000000001020\nCapAmb:\t0000000000000000\n"},
		{name: "no capabilities", args: []string{"grep", "^Cap", "/proc/self/status"}, proc: func(p *specs.Process) { p.Capabilities = nil },
			wantStdout: "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\n"},
		{name: "user by name", args: []string{"sh", "-c", "id -u; id -G; echo $HOME; grep CapEff /proc/self/status"},
			proc:       func(p *specs.Process) { p.User.Username = "alice" },
			wantStdout: "1000\n1000 50\n/home/alice\nCapEff:\t0000000000000000\n"},
		{name: "numeric user and groups", args: []string{"sh", "-c", "id -u; id -G; echo $HOME"},
			proc:       func(p *specs.Process) { p.User = specs.User{UID: 1234, GID: 5, AdditionalGids: []uint32{7}} },
			wantStdout: "1234\n5 7\n/\n"},
		{name: "env", args: []string{"env"}, proc: func(p *specs.Process) { p.Env = append(p.Env, "FOO=bar") },
			contains: []string{"FOO=bar\n", "HOME=/root\n"}},
		{name: "rlimit", args: []string{"sh", "-c", "ulimit -n"}, proc: func(p *specs.Process) {
			p.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 555, Soft: 555}}
		}, wantStdout: "555\n"},
		{name: "no_new_privs", args: []string{"grep", "NoNewPrivs", "/proc/self/status"}, proc: func(p *specs.Process) { p.NoNewPrivileges = true },
			wantStdout: "NoNewPrivs:\t1\n"},
		{name: "privileges kept without no_new_privs", args: []string{"grep", "NoNewPrivs", "/proc/self/status"}, wantStdout: "NoNewPrivs:\t0\n"},
		{name: "umask", args: []string{"sh", "-c", "umask"}, proc: func(p *specs.Process) { m := uint32(0o027); p.User.Umask = &m }, wantStdout: "0027\n"},
		{name: "stdin", args: []string{"cat"}, stdin: "hello from stdin", wantStdout: "hello from stdin"},
		{name: "only stdio is open", args: []string{"ls", "/proc/self/fd"}, wantStdout: "0\n1\n2\n3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proc := execProcess(tt.args...)
			if tt.proc != nil {
				tt.proc(proc)
			}
			c := ExecConfig{Pid: ctr.Pid, Process: proc}
			if tt.stdin != "" {
				c.Stdin = strings.NewReader(tt.stdin)
			}
			r, err := execIn(t, c)
			if err != nil {
				t.Fatalf("Exec: %v", err)
			}
			out := r.stdout + r.stderr
			if r.status.Code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; output:\n%s", r.status.Code, tt.wantCode, out)
			}
			if tt.contains == nil && r.stdout != tt.wantStdout {
				t.Errorf("stdout = %q, want %q (stderr %q)", r.stdout, tt.wantStdout, r.stderr)
			}
			for _, s := range tt.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output does not contain %q:\n%s", s, out)
				}
			}
		})
	}
}

// ps in an exec'd process sees the container's processes: the container's command as PID 1
// and itself, nothing of the host, nor the exec machinery.
func TestExecPIDNamespace(t *testing.T) {
	needExec(t)
	ctr := startContainer(t, Config{Spec: testSpec(newRootfs(t), "sleep", "1000")})
	r, err := execIn(t, ExecConfig{Pid: ctr.Pid, Process: execProcess("ps", "-o", "pid,ppid,args")})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.status.Code != 0 || len(lines) != 3 || strings.Join(strings.Fields(lines[1]), " ") != "1 0 sleep 1000" ||
		!strings.HasSuffix(lines[2], " 0 ps -o pid,ppid,args") {
		t.Errorf("ps printed %q (stderr %q), code %d; want the header, sleep as PID 1 and ps, parent 0", r.stdout, r.stderr, r.status.Code)
	}
}

// While an exec'd process runs, it has exactly the namespaces, root and cgroup of the
// container's process, and its working directory is inside the container.
func TestExecJoinsEverything(t *testing.T) {
	needExec(t)
	cg := newPidsCgroup(t)
	spec := testSpec(newRootfs(t), "sleep", "1000")
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	ctr := startContainer(t, Config{Spec: spec, Cgroup: cg})
	proc := execProcess("sh", "-c", "echo ready; read x")
	proc.Cwd = "/home/alice"
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p, err := Exec(context.Background(), ExecConfig{Pid: ctr.Pid, Process: proc, Cgroup: cg, Stdin: inR, Stdout: outW})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL); inW.Close(); outR.Close(); _, _ = p.Wait() })
	if line, err := readLine(outR); err != nil || line != "ready\n" {
		t.Fatalf("exec'd shell said %q, %v", line, err)
	}

	proc1 := "/proc/" + strconv.Itoa(ctr.Pid)
	procE := "/proc/" + strconv.Itoa(p.Pid)
	for _, ns := range []string{"ipc", "uts", "net", "pid", "mnt", "cgroup"} {
		a, _ := os.Readlink(proc1 + "/ns/" + ns)
		b, err := os.Readlink(procE + "/ns/" + ns)
		if err != nil || a != b {
			t.Errorf("%s namespace: container %s, exec'd process %s (%v)", ns, a, b, err)
		}
	}
	same := func(name, a, b string) {
		t.Helper()
		sa, err1 := os.Stat(a)
		sb, err2 := os.Stat(b)
		if err1 != nil || err2 != nil || !os.SameFile(sa, sb) {
			t.Errorf("%s: %s and %s differ (%v, %v)", name, a, b, err1, err2)
		}
	}
	same("root", proc1+"/root/", procE+"/root/")
	same("working directory", proc1+"/root/home/alice", procE+"/cwd/")
	if procs, err := os.ReadFile(filepath.Join(cg.dir, "cgroup.procs")); err != nil ||
		!slices.Contains(strings.Fields(string(procs)), strconv.Itoa(p.Pid)) {
		t.Errorf("exec'd process %d is not in the container's cgroup: %q, %v", p.Pid, procs, err)
	}
	if got, want := cg.added, []int{ctr.Pid, p.Pid}; !slices.Equal(got, want) {
		t.Errorf("cgroup got %v, want %v", got, want)
	}
	inW.Write([]byte("done\n"))
	inW.Close() // Wait waits for the copy from Stdin to end
	if st, err := p.Wait(); err != nil || st.Code != 0 {
		t.Errorf("Wait = %+v, %v", st, err)
	}
}

func readLine(r io.Reader) (string, error) {
	var b []byte
	c := make([]byte, 1)
	for {
		if _, err := r.Read(c); err != nil {
			return string(b), err
		}
		b = append(b, c[0])
		if c[0] == '\n' {
			return string(b), nil
		}
	}
}

func TestExecCgroup(t *testing.T) {
	needExec(t)
	t.Run("container's cgroup", func(t *testing.T) {
		cg := newPidsCgroup(t)
		ctr := startContainer(t, Config{Spec: testSpec(newRootfs(t), "sleep", "1000"), Cgroup: cg})
		r, err := execIn(t, ExecConfig{Pid: ctr.Pid, Process: execProcess("grep", "pids", "/proc/self/cgroup"), Cgroup: cg})
		want := ":pids:/" + filepath.Base(cg.dir) + "\n"
		if err != nil || r.status.Code != 0 || !strings.HasSuffix(r.stdout, want) {
			t.Errorf("got %q (stderr %q), %v; want ...%q", r.stdout, r.stderr, err, want)
		}
	})
	t.Run("cgroup namespace", func(t *testing.T) {
		cg := newPidsCgroup(t)
		spec := testSpec(newRootfs(t), "sleep", "1000")
		spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
		ctr := startContainer(t, Config{Spec: spec, Cgroup: cg})
		r, err := execIn(t, ExecConfig{Pid: ctr.Pid, Process: execProcess("grep", "pids", "/proc/self/cgroup"), Cgroup: cg})
		if err != nil || r.status.Code != 0 || !strings.HasSuffix(r.stdout, ":pids:/\n") {
			t.Errorf("got %q (stderr %q), %v; want ...:pids:/", r.stdout, r.stderr, err)
		}
	})
	t.Run("Add fails", func(t *testing.T) {
		ctr := startContainer(t, Config{Spec: testSpec(newRootfs(t), "sleep", "1000")})
		cg := &pidsCgroup{err: errors.New("no such cgroup")}
		_, err := execIn(t, ExecConfig{Pid: ctr.Pid, Process: execProcess("true"), Cgroup: cg})
		if err == nil || !strings.Contains(err.Error(), "no such cgroup") || len(cg.added) != 1 {
			t.Fatalf("Exec error = %v, added %v", err, cg.added)
		}
		if err := syscall.Kill(cg.added[0], 0); err != syscall.ESRCH {
			t.Errorf("exec'd process %d still exists: %v", cg.added[0], err)
		}
	})
}

func TestExecErrors(t *testing.T) {
	needExec(t)
	ctr := startContainer(t, Config{Spec: testSpec(newRootfs(t), "sleep", "1000")})
	tests := []struct {
		name    string
		pid     int
		args    []string
		proc    func(p *specs.Process)
		wantErr error
		wantMsg string
	}{
		{name: "missing command", args: []string{"nosuchcmd"}, wantErr: ErrNotFound, wantMsg: `"nosuchcmd": executable file not found in $PATH`},
		{name: "missing path", args: []string{"/nosuch/cmd"}, wantErr: ErrNotFound, wantMsg: "no such file or directory"},
		{name: "not executable", args: []string{"/etc/notexec"}, wantErr: ErrCannotInvoke, wantMsg: "permission denied"},
		{name: "directory", args: []string{"/bin"}, wantErr: ErrCannotInvoke, wantMsg: "is a directory"},
		{name: "not a program", args: []string{"/etc/garbage"}, wantErr: ErrCannotInvoke, wantMsg: "exec format error"},
		// The host has /usr/bin/env and /etc/hostname: the container's root is used.
		{name: "host path", args: []string{"/usr/bin/env"}, wantErr: ErrNotFound},
		{name: "unknown user", args: []string{"true"}, proc: func(p *specs.Process) { p.User.Username = "carol" }, wantMsg: "unable to find user carol"},
		{name: "missing working directory", args: []string{"true"}, proc: func(p *specs.Process) { p.Cwd = "/nowhere" },
			wantMsg: "changing to working directory /nowhere: no such file or directory"},
		{name: "relative working directory", args: []string{"true"}, proc: func(p *specs.Process) { p.Cwd = "tmp" }, wantMsg: "not absolute"},
		{name: "no command", wantMsg: "no command"},
		{name: "not a container", pid: os.Getpid(), args: []string{"true"}, wantMsg: "shares our mount namespace"},
		{name: "bad pid", pid: -1, args: []string{"true"}, wantMsg: "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proc := execProcess(tt.args...)
			if tt.proc != nil {
				tt.proc(proc)
			}
			pid := ctr.Pid
			if tt.pid != 0 {
				pid = tt.pid
			}
			_, err := execIn(t, ExecConfig{Pid: pid, Process: proc})
			if err == nil {
				t.Fatal("Exec succeeded")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q is not %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && (errors.Is(err, ErrNotFound) || errors.Is(err, ErrCannotInvoke)) {
				t.Errorf("error %q blames the command", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// An exec into a container whose process has ended fails with os.ErrProcessDone, and starts
// nothing.
func TestExecGoneContainer(t *testing.T) {
	needExec(t)
	ctr := startContainer(t, Config{Spec: testSpec(newRootfs(t), "sleep", "1000")})
	if err := ctr.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Dead but not reaped: a zombie keeps its pid but has no namespaces.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, ctr.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := execIn(t, ExecConfig{Pid: ctr.Pid, Process: execProcess("true")}); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("exec into a zombie: %v, want os.ErrProcessDone", err)
	}
	if _, err := ctr.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(ctr.Pid, 0); err != syscall.ESRCH {
		t.Skipf("pid %d was reused at once: %v", ctr.Pid, err)
	}
	if _, err := execIn(t, ExecConfig{Pid: ctr.Pid, Process: execProcess("true")}); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("exec into a reaped process: %v, want os.ErrProcessDone", err)
	}
}

func TestExecTerminal(t *testing.T) {
	needExec(t)
	withoutMount := func(dest string) func(s *specs.Spec, rootfs string) {
		return func(s *specs.Spec, rootfs string) {
			s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == dest })
		}
	}
	tests := []struct {
		name    string
		spec    func(s *specs.Spec, rootfs string)
		want    []string
		wantErr string
	}{
		// The terminal is the container's own: tty names it under /dev/pts. It is the
		// controlling terminal: /dev/tty opens.
		{name: "container's devpts", want: []string{"\r\n/dev/pts/0\r\n", "\r\n40 100\r\n", "\r\nctty\r\n", "\r\n42\r\n"}},
		{name: "no devpts in the container: the host's", spec: withoutMount("/dev/pts"),
			want: []string{"\r\n40 100\r\n", "\r\nctty\r\n", "\r\n42\r\n"}},
		{name: "ptmx planted by the image", spec: func(s *specs.Spec, rootfs string) {
			withoutMount("/dev/pts")(s, rootfs)
			withoutMount("/dev")(s, rootfs)
			if err := os.MkdirAll(filepath.Join(rootfs, "dev/pts"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(rootfs, "dev/pts/ptmx"), nil, 0o666); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "/dev/pts/ptmx is not a devpts ptmx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rootfs := newRootfs(t)
			spec := testSpec(rootfs, "sleep", "1000")
			if tt.spec != nil {
				tt.spec(spec, rootfs)
			}
			ctr := startContainer(t, Config{Spec: spec})
			proc := execProcess("sh")
			proc.Terminal = true
			proc.ConsoleSize = &specs.Box{Height: 40, Width: 100}
			p, err := Exec(context.Background(), ExecConfig{Pid: ctr.Pid, Process: proc})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Exec error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL); _, _ = p.Wait(); p.Console.Close() })
			if p.Console == nil {
				t.Fatal("no console")
			}
			var out bytes.Buffer
			copied := make(chan struct{})
			go func() {
				// Ends with EIO once the exec'd shell, the terminal's last user, is gone.
				_, _ = io.Copy(&out, p.Console)
				close(copied)
			}()
			script := "tty; stty size; echo ctty >/dev/tty; echo $((6*7)); exit 5\n"
			if _, err := p.Console.Write([]byte(script)); err != nil {
				t.Fatal(err)
			}
			st, err := p.Wait()
			if err != nil {
				t.Fatal(err)
			}
			<-copied
			if st.Code != 5 {
				t.Errorf("exit code = %d, want 5", st.Code)
			}
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("terminal output %q does not contain %q", out.String(), want)
				}
			}
		})
	}
}

// A descriptor the caller leaves open without close-on-exec does not reach the container.
func TestExecLeakedDescriptor(t *testing.T) {
	needExec(t)
	ctr := startContainer(t, Config{Spec: testSpec(newRootfs(t), "sleep", "1000")})
	fd, err := syscall.Open(t.TempDir(), syscall.O_RDONLY|syscall.O_DIRECTORY, 0) // no O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	r, err := execIn(t, ExecConfig{Pid: ctr.Pid, Process: execProcess("ls", "/proc/self/fd")})
	if err != nil || r.stdout != "0\n1\n2\n3\n" {
		t.Errorf("the exec'd process has %q open (stderr %q), %v; want 0 1 2 and ls's own 3", r.stdout, r.stderr, err)
	}
}

// A working directory through a symlink planted in the container stays in the container.
func TestExecWorkdirSymlinkStaysInside(t *testing.T) {
	needExec(t)
	rootfs := newRootfs(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(rootfs, "work")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(rootfs, outside), 0o755); err != nil {
		t.Fatal(err)
	}
	ctr := startContainer(t, Config{Spec: testSpec(rootfs, "sleep", "1000")})
	proc := execProcess("sh", "-c", "pwd; touch here")
	proc.Cwd = "/work"
	r, err := execIn(t, ExecConfig{Pid: ctr.Pid, Process: proc})
	if err != nil || r.status.Code != 0 || r.stdout != outside+"\n" {
		t.Fatalf("got %q %q code %d, %v", r.stdout, r.stderr, r.status.Code, err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("the working directory reached the host: %s has %d entries", outside, len(entries))
	}
	if _, err := os.Stat(filepath.Join(rootfs, outside, "here")); err != nil {
		t.Errorf("file not written inside the rootfs: %v", err)
	}
}

func TestExecSignalAndContext(t *testing.T) {
	needExec(t)
	ctr := startContainer(t, Config{Spec: testSpec(newRootfs(t), "sleep", "1000")})
	p, err := Exec(context.Background(), ExecConfig{Pid: ctr.Pid, Process: execProcess("sleep", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL); _, _ = p.Wait() })
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if st, err := p.Wait(); err != nil || st != (ExitStatus{Code: 128 + 15, Signal: syscall.SIGTERM}) {
		t.Errorf("Wait = %+v, %v; want killed by SIGTERM", st, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Exec(ctx, ExecConfig{Pid: ctr.Pid, Process: execProcess("true")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Exec with a cancelled context: %v", err)
	}
	// Cancelled while the process waits to be released: it is killed and reaped.
	ctx, cancel = context.WithCancel(context.Background())
	cg := &cancelCgroup{cancel: cancel}
	if _, err := Exec(ctx, ExecConfig{Pid: ctr.Pid, Process: execProcess("true"), Cgroup: cg}); !errors.Is(err, context.Canceled) {
		t.Errorf("Exec cancelled on the way: %v", err)
	}
	if err := syscall.Kill(cg.pid, 0); err != syscall.ESRCH {
		t.Errorf("exec'd process %d still exists: %v", cg.pid, err)
	}
	// The container is untouched by all this.
	if err := syscall.Kill(ctr.Pid, 0); err != nil {
		t.Errorf("container process: %v", err)
	}
}

// cancelCgroup cancels the exec when the process is added to it.
type cancelCgroup struct {
	cancel context.CancelFunc
	pid    int
}

func (c *cancelCgroup) Add(pid int) error {
	c.pid = pid
	c.cancel()
	return nil
}

// TestExecLatency measures Exec+Wait of `true`, the runtime's share of `docker exec c true`.
func TestExecLatency(t *testing.T) {
	needExec(t)
	ctr := startContainer(t, Config{Spec: testSpec(newRootfs(t), "sleep", "1000")})
	proc := execProcess("true")
	var times, cpu []time.Duration
	children := func() time.Duration {
		var ru unix.Rusage
		if err := unix.Getrusage(unix.RUSAGE_CHILDREN, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for range 50 {
		begin, cpuBegin := time.Now(), children()
		p, err := Exec(context.Background(), ExecConfig{Pid: ctr.Pid, Process: proc})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := p.Wait(); err != nil || st.Code != 0 {
			t.Fatalf("true: %+v %v", st, err)
		}
		times = append(times, time.Since(begin))
		cpu = append(cpu, children()-cpuBegin)
	}
	slices.Sort(times)
	slices.Sort(cpu)
	t.Logf("exec+wait of true over %d runs: wall min %v, median %v, p90 %v; cpu of the exec'd processes median %v",
		len(times), times[0], times[len(times)/2], times[len(times)*9/10], cpu[len(cpu)/2])
}

func TestNamespacesToJoin(t *testing.T) {
	if !nsenter.Available {
		t.Skip("Exec needs cgo")
	}
	if _, err := namespacesToJoin(os.Getpid()); err == nil || !strings.Contains(err.Error(), "shares our mount namespace") {
		t.Errorf("our own process: %v", err)
	}
	// A pid above pid_max never exists.
	if _, err := namespacesToJoin(1 << 30); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("missing process: %v", err)
	}
}

func TestExecChecksFirst(t *testing.T) {
	tests := []struct {
		name string
		c    ExecConfig
		want error
		msg  string
	}{
		{"no process", ExecConfig{Pid: 1}, nil, "no command"},
		{"unknown capability", ExecConfig{Pid: 1, Process: &specs.Process{Args: []string{"x"},
			Capabilities: &specs.LinuxCapabilities{Effective: []string{"CAP_FLY"}}}}, nil, "CAP_FLY"},
		{"bad pid", ExecConfig{Pid: 0, Process: &specs.Process{Args: []string{"x"}}}, nil, "not valid"},
		{"gone", ExecConfig{Pid: 1 << 30, Process: &specs.Process{Args: []string{"x"}}}, os.ErrProcessDone, "1073741824"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Exec(context.Background(), tt.c)
			if !nsenter.Available {
				if !errors.Is(err, ErrNoCgo) {
					t.Errorf("without cgo: %v, want ErrNoCgo", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.msg) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Exec = %v, want %q", err, tt.msg)
			}
		})
	}
}
