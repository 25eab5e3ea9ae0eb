package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultCaps is Docker's default capability set.
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates namespaces and mounts")
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs /bin/busybox (apt-get install busybox-static) to build a rootfs")
	}
}

var applets = sync.OnceValues(func() ([]string, error) {
	out, err := exec.Command("/bin/busybox", "--list").Output()
	return strings.Fields(string(out)), err
})

// newRootfs builds a busybox root file system in a temporary directory.
func newRootfs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	for _, d := range []string{"bin", "etc", "proc", "sys", "dev", "tmp", "root", "home/alice"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	names, err := applets()
	if err != nil {
		t.Fatalf("listing busybox applets: %v", err)
	}
	for _, a := range names {
		if a != "busybox" {
			if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
				t.Fatal(err)
			}
		}
	}
	files := map[string]string{
		"etc/passwd":  "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":   "root:x:0:\nalice:x:1000:\nstaff:x:50:alice\nnogroup:x:65534:\n",
		"etc/notexec": "not a program\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Executable, but the kernel cannot run them.
	for name, content := range map[string]string{"etc/garbage": "\x00\x01\x02\x03garbage", "etc/script": "#!/nonexistent/interpreter\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testSpec is a spec like the one Docker makes for `docker run busybox <args>`.
func testSpec(rootfs string, args ...string) *specs.Spec {
	mode := os.FileMode(0o666)
	zero := uint32(0)
	dev := func(path string, major, minor int64) specs.LinuxDevice {
		return specs.LinuxDevice{Path: path, Type: "c", Major: major, Minor: minor, FileMode: &mode, UID: &zero, GID: &zero}
	}
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Args: args,
			Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cwd:  "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding: defaultCaps, Effective: defaultCaps, Permitted: defaultCaps, Inheritable: defaultCaps,
			},
			Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 777, Soft: 777}},
		},
		Root:     &specs.Root{Path: rootfs},
		Hostname: "testhost",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
			Devices: []specs.LinuxDevice{
				dev("/dev/null", 1, 3), dev("/dev/zero", 1, 5), dev("/dev/full", 1, 7),
				dev("/dev/random", 1, 8), dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0),
			},
			MaskedPaths: []string{
				"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
			},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

// result is what a user sees of a container run.
type result struct {
	stdout, stderr string
	status         ExitStatus
}

// run starts the container, waits for it, and checks that none of its mounts is visible in
// the host's mount namespace, during the run or after.
func run(t *testing.T, c Config) (result, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if c.Stdout == nil {
		c.Stdout = &stdout
	}
	if c.Stderr == nil {
		c.Stderr = &stderr
	}
	p, err := Start(context.Background(), c)
	if err != nil {
		noHostMounts(t, c.Spec.Root.Path)
		return result{}, err
	}
	t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL); _, _ = p.Wait() })
	noHostMounts(t, c.Spec.Root.Path)
	st, err := p.Wait()
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	noHostMounts(t, c.Spec.Root.Path)
	return result{stdout.String(), stderr.String(), st}, nil
}

// noHostMounts fails the test when the host's mount table names the container's directory.
func noHostMounts(t *testing.T, rootfs string) {
	t.Helper()
	dir := filepath.Dir(rootfs)
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, dir) {
			t.Errorf("host mount table has a container mount: %s", line)
		}
	}
}

func mustRun(t *testing.T, c Config) result {
	t.Helper()
	r, err := run(t, c)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return r
}

func TestRun(t *testing.T) {
	needRoot(t)
	tests := []struct {
		name       string
		args       []string
		spec       func(s *specs.Spec)
		stdin      string
		wantStdout string // exact, unless contains is set
		contains   []string
		absent     []string
		wantCode   int
	}{
		{name: "hostname", args: []string{"hostname"}, wantStdout: "testhost\n"},
		{name: "command is pid 1", args: []string{"cat", "/proc/1/cmdline"}, wantStdout: "cat\x00/proc/1/cmdline\x00"},
		{name: "ps shows only the container", args: []string{"ps", "-o", "pid,args"}, wantStdout: "PID   COMMAND\n    1 ps -o pid,args\n"},
		{name: "default capabilities", args: []string{"grep", "^Cap", "/proc/self/status"},
			wantStdout: "CapInh:\t00000000a80425fb\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n"},
		{name: "no capabilities for a user", args: []string{"grep", "^CapEff", "/proc/self/status"},
			spec:       func(s *specs.Spec) { s.Process.User.Username = "alice"; s.Process.Capabilities.Effective = nil },
			wantStdout: "CapEff:\t0000000000000000\n"},
		// /proc/kcore is masked where the kernel has it; it reads nothing either way.
		{name: "kcore and keys are masked", args: []string{"sh", "-c", "cat /proc/kcore | wc -c; cat /proc/keys | wc -c; stat -c %t:%T /proc/keys"},
			wantStdout: "0\n0\n1:3\n"},
		{name: "masked dir is empty", args: []string{"ls", "-A", "/sys/firmware"}, wantStdout: ""},
		{name: "proc sys is read-only", args: []string{"sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"},
			contains: []string{"Read-only file system"}, wantCode: 1},
		{name: "sysctl is set in the container's netns", args: []string{"cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"},
			spec:       func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_unprivileged_port_start": "0"} },
			wantStdout: "0\n"},
		{name: "sys is read-only", args: []string{"sh", "-c", "mkdir /sys/fs/cgroup/x || touch /sys/x"}, contains: []string{"Read-only file system"}, wantCode: 1},
		{name: "cgroup hierarchies", args: []string{"ls", "/sys/fs/cgroup"}, contains: []string{"memory\n", "pids\n"}},
		{name: "cgroup namespace", args: []string{"cat", "/proc/self/cgroup"},
			spec: func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
			},
			contains: []string{":memory:/\n", "0::/\n"}},
		{name: "only stdio is open", args: []string{"ls", "/proc/self/fd"}, wantStdout: "0\n1\n2\n3\n"},
		{name: "dev", args: []string{"ls", "/dev"}, contains: []string{"full\n", "mqueue\n", "null\n", "ptmx\n", "pts\n", "shm\n", "stderr\n", "tty\n", "urandom\n", "zero\n"}, absent: []string{"console"}},
		{name: "dev null works", args: []string{"sh", "-c", "echo x > /dev/null && head -c 3 /dev/zero | wc -c && readlink /dev/ptmx && readlink /dev/fd"}, wantStdout: "3\npts/ptmx\n/proc/self/fd\n"},
		{name: "env and HOME", args: []string{"env"}, spec: func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "FOO=bar") },
			contains: []string{"FOO=bar\n", "HOME=/root\n"}},
		{name: "HOME from spec wins", args: []string{"sh", "-c", "echo $HOME"}, spec: func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "HOME=/x") },
			wantStdout: "/x\n"},
		{name: "cwd is created", args: []string{"pwd"}, spec: func(s *specs.Spec) { s.Process.Cwd = "/work/dir" }, wantStdout: "/work/dir\n"},
		{name: "user by name", args: []string{"sh", "-c", "id -u; id -G; echo $HOME"}, spec: func(s *specs.Spec) { s.Process.User.Username = "alice" },
			wantStdout: "1000\n1000 50\n/home/alice\n"},
		{name: "user and group by name", args: []string{"sh", "-c", "id -u; id -G"}, spec: func(s *specs.Spec) { s.Process.User.Username = "alice:staff" },
			wantStdout: "1000\n50\n"},
		{name: "numeric user", args: []string{"sh", "-c", "id -u; id -G; echo $HOME"}, spec: func(s *specs.Spec) {
			s.Process.User = specs.User{UID: 1234, GID: 5, AdditionalGids: []uint32{7}}
		}, wantStdout: "1234\n5 7\n/\n"},
		{name: "numeric user with --user", args: []string{"sh", "-c", "id -u; id -g"}, spec: func(s *specs.Spec) { s.Process.User.Username = "4321:65534" },
			wantStdout: "4321\n65534\n"},
		{name: "stdin", args: []string{"cat"}, stdin: "hello from stdin", wantStdout: "hello from stdin"},
		{name: "exit code", args: []string{"sh", "-c", "exit 3"}, wantCode: 3},
		{name: "rlimit", args: []string{"sh", "-c", "ulimit -n"}, wantStdout: "777\n"},
		{name: "no_new_privs", args: []string{"grep", "NoNewPrivs", "/proc/self/status"}, spec: func(s *specs.Spec) { s.Process.NoNewPrivileges = true },
			wantStdout: "NoNewPrivs:\t1\n"},
		{name: "read-only root", args: []string{"touch", "/x"}, spec: func(s *specs.Spec) { s.Root.Readonly = true },
			contains: []string{"Read-only file system"}, wantCode: 1},
		{name: "writable root", args: []string{"sh", "-c", "touch /x && echo ok"}, wantStdout: "ok\n"},
		{name: "kill -9 self without pid namespace", args: []string{"sh", "-c", "kill -9 $$"}, spec: func(s *specs.Spec) {
			s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.PIDNamespace })
		}, wantCode: 137},
		{name: "pid 1 ignores kill -9 from inside", args: []string{"sh", "-c", "kill -9 $$; echo survived"}, wantStdout: "survived\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec(newRootfs(t), tt.args...)
			if tt.spec != nil {
				tt.spec(spec)
			}
			c := Config{Spec: spec}
			if tt.stdin != "" {
				c.Stdin = strings.NewReader(tt.stdin)
			}
			r := mustRun(t, c)
			out := r.stdout + r.stderr
			if r.status.Code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; output:\n%s", r.status.Code, tt.wantCode, out)
			}
			if tt.contains == nil && tt.absent == nil && r.stdout != tt.wantStdout {
				t.Errorf("stdout = %q, want %q (stderr %q)", r.stdout, tt.wantStdout, r.stderr)
			}
			for _, s := range tt.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output does not contain %q:\n%s", s, out)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(out, s) {
					t.Errorf("output contains %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	needRoot(t)
	tests := []struct {
		name    string
		args    []string
		spec    func(s *specs.Spec)
		wantErr error
		wantMsg string
	}{
		{name: "missing command", args: []string{"nosuchcmd"}, wantErr: ErrNotFound, wantMsg: `"nosuchcmd": executable file not found in $PATH`},
		{name: "missing path", args: []string{"/nosuch/cmd"}, wantErr: ErrNotFound, wantMsg: "no such file or directory"},
		{name: "not executable", args: []string{"/etc/notexec"}, wantErr: ErrCannotInvoke, wantMsg: "permission denied"},
		{name: "directory", args: []string{"/bin"}, wantErr: ErrCannotInvoke, wantMsg: "is a directory"},
		{name: "not a program", args: []string{"/etc/garbage"}, wantErr: ErrCannotInvoke, wantMsg: "exec format error"},
		{name: "missing interpreter", args: []string{"/etc/script"}, wantErr: ErrNotFound, wantMsg: "no such file or directory"},
		{name: "not in PATH", args: []string{"ls"}, spec: func(s *specs.Spec) { s.Process.Env = []string{"PATH=/nowhere"} }, wantErr: ErrNotFound},
		{name: "unknown user", args: []string{"true"}, spec: func(s *specs.Spec) { s.Process.User.Username = "carol" }, wantMsg: "unable to find user carol"},
		{name: "bad mount", args: []string{"true"}, spec: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "nosuchfs", Source: "none"})
		}, wantMsg: "mounting none (nosuchfs) on /x"},
		{name: "bad spec", args: nil, wantMsg: "no command"},
		// The init fails after it sent the terminal, and before.
		{name: "missing command on a terminal", args: []string{"nosuchcmd"}, spec: func(s *specs.Spec) { s.Process.Terminal = true },
			wantErr: ErrNotFound, wantMsg: `"nosuchcmd": executable file not found in $PATH`},
		{name: "terminal with its devpts covered", args: []string{"true"}, spec: func(s *specs.Spec) {
			s.Process.Terminal = true
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/dev/pts", Type: "tmpfs", Source: "tmpfs"})
		}, wantMsg: "opening the container's /dev/pts/ptmx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec(newRootfs(t), tt.args...)
			if tt.spec != nil {
				tt.spec(spec)
			}
			_, err := run(t, Config{Spec: spec})
			if err == nil {
				t.Fatal("Start succeeded")
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

func TestSignal(t *testing.T) {
	needRoot(t)
	spec := testSpec(newRootfs(t), "sleep", "1000")
	p, err := Start(context.Background(), Config{Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL); _, _ = p.Wait() })
	if err := p.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	st, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st.Code != 137 || st.Signal != syscall.SIGKILL {
		t.Errorf("status = %+v, want 137 by SIGKILL", st)
	}
	if again, _ := p.Wait(); again != st {
		t.Errorf("second Wait = %+v, want %+v", again, st)
	}
	noHostMounts(t, spec.Root.Path)
}

// A command that runs long enough: a cancelled context does not touch a started container.
func TestContextAfterStart(t *testing.T) {
	needRoot(t)
	ctx, cancel := context.WithCancel(context.Background())
	spec := testSpec(newRootfs(t), "sh", "-c", "read x; exit 4")
	pr, pw := io.Pipe()
	p, err := Start(ctx, Config{Spec: spec, Stdin: pr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL); _, _ = p.Wait() })
	cancel()
	pw.Write([]byte("go\n"))
	pw.Close()
	if st, err := p.Wait(); err != nil || st.Code != 4 {
		t.Errorf("Wait = %+v, %v; want code 4", st, err)
	}
	if _, err := Start(ctx, Config{Spec: spec}); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a cancelled context: %v", err)
	}
}

// An image may plant symlinks where the engine mounts; the mounts still land inside the rootfs.
func TestPlantedSymlinks(t *testing.T) {
	needRoot(t)
	outside := t.TempDir() // a host directory the image tries to reach
	tests := []struct {
		name, link string
	}{
		{"absolute", outside},
		{"relative", "../../../../../../../../.." + outside},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rootfs := newRootfs(t)
			os.Remove(filepath.Join(rootfs, "proc"))
			if err := os.Symlink(tt.link, filepath.Join(rootfs, "proc")); err != nil {
				t.Fatal(err)
			}
			r := mustRun(t, Config{Spec: testSpec(rootfs, "sh", "-c", "cat /proc/1/cmdline; echo; ls /proc/self/fd")})
			if r.status.Code != 0 || r.stdout != "sh\x00-c\x00cat /proc/1/cmdline; echo; ls /proc/self/fd\x00\n0\n1\n2\n3\n" {
				t.Errorf("container saw %q (stderr %q), code %d", r.stdout, r.stderr, r.status.Code)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 0 {
				t.Errorf("the host directory %s got %d entries", outside, len(entries))
			}
			if st, err := os.Stat(filepath.Join(rootfs, outside)); err != nil || !st.IsDir() {
				t.Errorf("the link's target was not made inside the rootfs: %v", err)
			}
		})
	}
}

func TestWorkdirSymlinkStaysInside(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(rootfs, "work")); err != nil {
		t.Fatal(err)
	}
	spec := testSpec(rootfs, "sh", "-c", "pwd; touch here")
	spec.Process.Cwd = "/work/sub"
	r := mustRun(t, Config{Spec: spec})
	// /work is a symlink to outside, followed inside the container.
	if r.status.Code != 0 || r.stdout != outside+"/sub\n" {
		t.Fatalf("got %q %q code %d", r.stdout, r.stderr, r.status.Code)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("the working directory reached the host: %s has %d entries", outside, len(entries))
	}
	if _, err := os.Stat(filepath.Join(rootfs, outside, "sub", "here")); err != nil {
		t.Errorf("file not written inside the rootfs: %v", err)
	}
}

// The container's terminal is a pseudo-terminal of its own devpts: tty names it /dev/pts/0,
// it lives on the devpts mounted at the container's /dev/pts (not the host's), it belongs to
// the command's user, has the spec's size, and Ctrl-C on it interrupts the foreground job.
// Without a devpts in the container, the terminal is one of the host's.
func TestTerminal(t *testing.T) {
	needRoot(t)
	var hostPts unix.Stat_t
	if err := unix.Stat("/dev/pts", &hostPts); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		spec     func(s *specs.Spec)
		own      bool   // the terminal is of the container's devpts
		wantUser string // owner of the terminal, as the container sees it
	}{
		{name: "container's devpts", own: true, wantUser: "0:5"},
		{name: "as a user", spec: func(s *specs.Spec) { s.Process.User = specs.User{UID: 1000, GID: 1000} },
			own: true, wantUser: "1000:5"},
		{name: "no devpts in the container: the host's", spec: func(s *specs.Spec) {
			s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/dev/pts" })
		}},
		// A terminal of the host's devpts is never given to a uid that the host may have.
		{name: "the host's, as a user", spec: func(s *specs.Spec) {
			s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/dev/pts" })
			s.Process.User = specs.User{UID: 1000, GID: 1000}
		}, wantUser: "0:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := testSpec(newRootfs(t), "sh")
			spec.Process.Terminal = true
			spec.Process.ConsoleSize = &specs.Box{Height: 40, Width: 100}
			if tt.spec != nil {
				tt.spec(spec)
			}
			p, err := Start(context.Background(), Config{Spec: spec})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Signal(syscall.SIGKILL); _, _ = p.Wait(); p.Console.Close() })
			if p.Console == nil {
				t.Fatal("no console")
			}
			out := newTermOutput()
			go func() {
				// Ends with EIO once the container's last process closed the terminal.
				_, _ = io.Copy(out, p.Console)
				out.close()
			}()
			say := func(s string) {
				t.Helper()
				if _, err := p.Console.Write([]byte(s)); err != nil {
					t.Fatal(err)
				}
			}
			// $((...)) is expanded in the output, not in the echo of the input.
			say("tty; stty size; stat -c %u:%g $(tty); echo dev=$(stat -c %d /dev/pts/ptmx)/$(stat -L -c %d /proc/self/fd/0)/; ls -l /dev/console | wc -l; echo end-$((1+1))\n")
			if !out.waitFor("end-2") {
				t.Fatalf("terminal output %q: no end-2", out.String())
			}
			wants := []string{"\r\n40 100\r\n", "\r\n1\r\n"}
			if !tt.own && tt.wantUser != "" {
				// Only the owner can be seen: through /dev/console, the host's slave bound.
				say("stat -c %u:%g /dev/console; echo end-$((1+2))\n")
				if !out.waitFor("end-3") {
					t.Fatalf("terminal output %q: no end-3", out.String())
				}
				wants = append(wants, "\r\n"+tt.wantUser)
			}
			if tt.own {
				var master unix.Stat_t
				if err := unix.Fstat(int(p.Console.Fd()), &master); err != nil {
					t.Fatal(err)
				}
				if master.Dev == hostPts.Dev {
					t.Errorf("the terminal is on the host's devpts")
				}
				dev := strconv.FormatUint(master.Dev, 10)
				wants = append(wants, "\r\n/dev/pts/0\r\n", "\r\n"+tt.wantUser+"\r\n", "\r\ndev="+dev+"/"+dev+"/\r\n")
			}
			for _, want := range wants {
				if !strings.Contains(out.String(), want) {
					t.Errorf("terminal output %q does not contain %q", out.String(), want)
				}
			}

			// Ctrl-C reaches the foreground job once it runs (it says so), not the shell.
			say("sh -c 'echo fg-$((6*7)); exec sleep 1000'\n")
			if !out.waitFor("\r\nfg-42\r\n") {
				t.Fatalf("terminal output %q: no fg-42", out.String())
			}
			say("\x03")
			say("echo after-$?\n")
			if !out.waitFor("\r\nafter-130\r\n") {
				t.Fatalf("terminal output %q: Ctrl-C did not end the foreground job", out.String())
			}
			say("exit 5\n")
			st, err := p.Wait()
			if err != nil {
				t.Fatal(err)
			}
			out.waitFor("\x00") // until the copy ends
			if st.Code != 5 {
				t.Errorf("exit code = %d, want 5", st.Code)
			}
			noHostMounts(t, spec.Root.Path)
		})
	}
}

// termOutput collects what a terminal prints, and lets a test wait for a string in it.
type termOutput struct {
	mu    sync.Mutex
	cond  *sync.Cond
	buf   bytes.Buffer
	ended bool
}

func newTermOutput() *termOutput {
	o := &termOutput{}
	o.cond = sync.NewCond(&o.mu)
	return o
}

func (o *termOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	o.cond.Broadcast()
	return len(p), nil
}

func (o *termOutput) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended = true
	o.cond.Broadcast()
}

// waitFor waits until s was printed (true) or the output ended without it (false).
func (o *termOutput) waitFor(s string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for !strings.Contains(o.buf.String(), s) {
		if o.ended {
			return false
		}
		o.cond.Wait()
	}
	return true
}

func (o *termOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

func TestOverlayRootfs(t *testing.T) {
	needRoot(t)
	lower := newRootfs(t)
	dir := t.TempDir()
	upper, work, mnt := filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "rootfs")
	for _, d := range []string{upper, work, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	spec := testSpec(mnt, "sh", "-c", "echo data > /newfile && cat /etc/group | head -1")
	r := mustRun(t, Config{
		Spec: spec,
		RootfsMounts: []specs.Mount{{Type: "overlay", Source: "overlay",
			Options: []string{"lowerdir=" + lower, "upperdir=" + upper, "workdir=" + work}}},
	})
	if r.status.Code != 0 || r.stdout != "root:x:0:\n" {
		t.Fatalf("got %q %q code %d", r.stdout, r.stderr, r.status.Code)
	}
	if b, err := os.ReadFile(filepath.Join(upper, "newfile")); err != nil || string(b) != "data\n" {
		t.Errorf("upper/newfile = %q, %v; want the container's write", b, err)
	}
	if _, err := os.Stat(filepath.Join(lower, "newfile")); !os.IsNotExist(err) {
		t.Errorf("the write reached the lower layer: %v", err)
	}
	if entries, _ := os.ReadDir(mnt); len(entries) != 0 {
		t.Errorf("the overlay is still visible on the host: %d entries in %s", len(entries), mnt)
	}
	noHostMounts(t, lower)
}

// TestStartLatency measures Start+Wait of `true`, the runtime's share of `docker run --rm busybox true`.
func TestStartLatency(t *testing.T) {
	needRoot(t)
	spec := testSpec(newRootfs(t), "true")
	var times, cpu []time.Duration
	for range 30 {
		begin := time.Now()
		p, err := Start(context.Background(), Config{Spec: spec})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := p.Wait(); err != nil || st.Code != 0 {
			t.Fatalf("true: %+v %v", st, err)
		}
		times = append(times, time.Since(begin))
		cpu = append(cpu, p.cmd.ProcessState.UserTime()+p.cmd.ProcessState.SystemTime())
	}
	slices.Sort(times)
	slices.Sort(cpu)
	t.Logf("start+wait of true over %d runs: wall min %v, median %v, p90 %v; cpu of init+command median %v",
		len(times), times[0], times[len(times)/2], times[len(times)*9/10], cpu[len(cpu)/2])
}

func BenchmarkStartTrue(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: creates namespaces and mounts")
	}
	rootfs := filepath.Join(b.TempDir(), "rootfs")
	for _, d := range []string{"bin", "proc", "sys", "dev"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		b.Skip("needs /bin/busybox")
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin/busybox"), bb, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.Symlink("busybox", filepath.Join(rootfs, "bin/true")); err != nil {
		b.Fatal(err)
	}
	spec := testSpec(rootfs, "true")
	for b.Loop() {
		p, err := Start(context.Background(), Config{Spec: spec})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBindMounts(t *testing.T) {
	needRoot(t)
	vol := t.TempDir()
	if err := os.WriteFile(filepath.Join(vol, "from-host"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostsFile := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hostsFile, []byte("10.0.0.1 db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rw := t.TempDir()
	spec := testSpec(newRootfs(t), "sh", "-c",
		"cat /data/from-host /etc/hosts; touch /data/x 2>&1; echo written > /rw/out; grep -c ' /data ' /proc/self/mountinfo")
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/data", Type: "bind", Source: vol, Options: []string{"rbind", "ro", "rprivate"}},
		specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: hostsFile, Options: []string{"rbind", "rprivate"}},
		specs.Mount{Destination: "/rw/", Type: "bind", Source: rw, Options: []string{"rbind"}},
	)
	r := mustRun(t, Config{Spec: spec})
	want := "hello\n10.0.0.1 db\ntouch: /data/x: Read-only file system\n1\n"
	if r.status.Code != 0 || r.stdout != want {
		t.Errorf("got %q (stderr %q) code %d; want %q", r.stdout, r.stderr, r.status.Code, want)
	}
	if b, err := os.ReadFile(filepath.Join(rw, "out")); err != nil || string(b) != "written\n" {
		t.Errorf("write through the rw volume: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(vol, "x")); !os.IsNotExist(err) {
		t.Errorf("the read-only volume was written: %v", err)
	}
}

func TestStdioFiles(t *testing.T) {
	needRoot(t)
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	spec := testSpec(newRootfs(t), "sh", "-c", "echo to-out; echo to-err >&2; readlink /proc/self/fd/1")
	r := mustRun(t, Config{Spec: spec, Stdout: out, Stderr: out})
	b, _ := os.ReadFile(out.Name())
	// The file itself is the container's stdout: no pipe in between.
	if r.status.Code != 0 || !strings.HasPrefix(string(b), "to-out\nto-err\n/") || strings.Contains(string(b), "pipe:") {
		t.Errorf("file got %q, code %d", b, r.status.Code)
	}
}

// pidsCgroup is a real cgroup v1 pids cgroup made by the test, standing in for internal/cgroups.
type pidsCgroup struct {
	dir   string
	added []int
	err   error
}

func (c *pidsCgroup) Add(pid int) error {
	c.added = append(c.added, pid)
	if c.err != nil {
		return c.err
	}
	return os.WriteFile(filepath.Join(c.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
}

func newPidsCgroup(t *testing.T) *pidsCgroup {
	t.Helper()
	if _, err := os.Stat("/sys/fs/cgroup/pids/cgroup.procs"); err != nil {
		t.Skip("needs the cgroup v1 pids controller at /sys/fs/cgroup/pids")
	}
	dir := filepath.Join("/sys/fs/cgroup/pids", "geedocker-runtime-test-"+strconv.Itoa(os.Getpid())+"-"+strings.ReplaceAll(t.Name(), "/", "-"))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("removing test cgroup: %v", err)
		}
	})
	return &pidsCgroup{dir: dir}
}

func TestCgroup(t *testing.T) {
	needRoot(t)
	t.Run("joined before the command runs", func(t *testing.T) {
		cg := newPidsCgroup(t)
		spec := testSpec(newRootfs(t), "sh", "-c", "grep pids /proc/self/cgroup; cat /sys/fs/cgroup/pids/cgroup.procs")
		r := mustRun(t, Config{Spec: spec, Cgroup: cg})
		want := ":pids:/" + filepath.Base(cg.dir) + "\n1\n"
		if r.status.Code != 0 || !strings.HasSuffix(r.stdout, want) || len(cg.added) != 1 {
			t.Errorf("got %q (stderr %q), added %v; want ...%q", r.stdout, r.stderr, cg.added, want)
		}
	})
	t.Run("cgroup namespace is rooted at the container's cgroup", func(t *testing.T) {
		cg := newPidsCgroup(t)
		spec := testSpec(newRootfs(t), "grep", "pids", "/proc/self/cgroup")
		spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
		r := mustRun(t, Config{Spec: spec, Cgroup: cg})
		if r.status.Code != 0 || !strings.HasSuffix(r.stdout, ":pids:/\n") {
			t.Errorf("got %q (stderr %q)", r.stdout, r.stderr)
		}
	})
	t.Run("Add fails", func(t *testing.T) {
		cg := &pidsCgroup{err: errors.New("no such cgroup")}
		spec := testSpec(newRootfs(t), "true")
		_, err := run(t, Config{Spec: spec, Cgroup: cg})
		if err == nil || !strings.Contains(err.Error(), "no such cgroup") {
			t.Fatalf("Start error = %v", err)
		}
		// The init was killed and reaped.
		if len(cg.added) != 1 {
			t.Fatalf("added %v", cg.added)
		}
		if err := syscall.Kill(cg.added[0], 0); err != syscall.ESRCH {
			t.Errorf("init %d still exists: %v", cg.added[0], err)
		}
	})
}
