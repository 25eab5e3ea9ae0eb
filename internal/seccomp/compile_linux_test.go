//go:build linux && cgo

package seccomp

import (
	"os"
	"path/filepath"
	goruntime "runtime"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nativeArch is seccomp_data.arch of this machine's system calls.
func nativeArch(t *testing.T) uint32 {
	switch goruntime.GOARCH {
	case "amd64":
		return auditArchX86_64
	case "arm64":
		return 0xc00000b7
	}
	t.Skipf("no test data for %s", goruntime.GOARCH)
	return 0
}

func compileFor(t *testing.T, p *specs.LinuxSeccomp) []Instruction {
	t.Helper()
	prog, err := Compile(p)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	ins, err := prog.Instructions()
	if err != nil {
		t.Fatal(err)
	}
	return ins
}

var (
	allow     = retAllow
	epermRet  = retErrno | uint32(unix.EPERM)
	enosysRet = retErrno | uint32(unix.ENOSYS)
)

// Docker's default profile, compiled, for the capabilities of a container: what it returns
// for system calls of this machine's architecture.
func TestCompileDefaultProfile(t *testing.T) {
	arch := nativeArch(t)
	admin := "CAP_SYS_ADMIN"
	cloneNS := uint64(unix.CLONE_NEWUSER | unix.CLONE_NEWNS)
	for _, tc := range []struct {
		name string
		caps []string
		nr   uint32
		args [6]uint64
		want uint32
	}{
		{"read", nil, unix.SYS_READ, [6]uint64{}, allow},
		{"keyctl", nil, unix.SYS_KEYCTL, [6]uint64{}, epermRet},
		{"keyctl, SYS_ADMIN", []string{admin}, unix.SYS_KEYCTL, [6]uint64{}, epermRet},
		{"add_key", nil, unix.SYS_ADD_KEY, [6]uint64{}, epermRet},
		{"userfaultfd", nil, unix.SYS_USERFAULTFD, [6]uint64{}, epermRet},
		{"unshare", nil, unix.SYS_UNSHARE, [6]uint64{unix.CLONE_NEWUSER}, epermRet},
		{"unshare, SYS_ADMIN", []string{admin}, unix.SYS_UNSHARE, [6]uint64{unix.CLONE_NEWUSER}, allow},
		{"mount", nil, unix.SYS_MOUNT, [6]uint64{}, epermRet},
		{"mount, SYS_ADMIN", []string{admin}, unix.SYS_MOUNT, [6]uint64{}, allow},
		{"bpf", nil, unix.SYS_BPF, [6]uint64{}, epermRet},
		{"bpf, BPF", []string{"CAP_BPF"}, unix.SYS_BPF, [6]uint64{}, allow},
		{"perf_event_open", nil, unix.SYS_PERF_EVENT_OPEN, [6]uint64{}, epermRet},
		{"perf_event_open, PERFMON", []string{"CAP_PERFMON"}, unix.SYS_PERF_EVENT_OPEN, [6]uint64{}, allow},
		{"open_by_handle_at", nil, unix.SYS_OPEN_BY_HANDLE_AT, [6]uint64{}, epermRet},
		{"open_by_handle_at, DAC_READ_SEARCH", []string{"CAP_DAC_READ_SEARCH"}, unix.SYS_OPEN_BY_HANDLE_AT, [6]uint64{}, allow},
		{"ptrace, SYS_PTRACE", []string{"CAP_SYS_PTRACE"}, unix.SYS_PTRACE, [6]uint64{}, allow},
		// clone: the namespace flags are tested with masked-equal.
		{"clone, a thread", nil, unix.SYS_CLONE, [6]uint64{unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND}, allow},
		{"clone, new namespaces", nil, unix.SYS_CLONE, [6]uint64{cloneNS}, epermRet},
		{"clone, new user namespace, high bits set", nil, unix.SYS_CLONE, [6]uint64{unix.CLONE_NEWUSER | 1<<40}, epermRet},
		{"clone, new namespaces, SYS_ADMIN", []string{admin}, unix.SYS_CLONE, [6]uint64{cloneNS}, allow},
		{"clone3", nil, unix.SYS_CLONE3, [6]uint64{}, enosysRet},
		{"clone3, SYS_ADMIN", []string{admin}, unix.SYS_CLONE3, [6]uint64{}, allow},
		// socket: families one by one.
		{"socket AF_INET", nil, unix.SYS_SOCKET, [6]uint64{unix.AF_INET}, allow},
		{"socket AF_UNIX", nil, unix.SYS_SOCKET, [6]uint64{unix.AF_UNIX}, allow},
		{"socket AF_NETLINK", nil, unix.SYS_SOCKET, [6]uint64{unix.AF_NETLINK}, allow},
		{"socket AF_VSOCK", nil, unix.SYS_SOCKET, [6]uint64{unix.AF_VSOCK}, epermRet},
		{"socket AF_ALG", nil, unix.SYS_SOCKET, [6]uint64{unix.AF_ALG}, epermRet},
		{"socket AF_INET, high bits", nil, unix.SYS_SOCKET, [6]uint64{1<<32 | unix.AF_INET}, epermRet},
		// personality: exact values.
		{"personality 0", nil, unix.SYS_PERSONALITY, [6]uint64{0}, allow},
		{"personality query", nil, unix.SYS_PERSONALITY, [6]uint64{0xffffffff}, allow},
		{"personality UNAME26", nil, unix.SYS_PERSONALITY, [6]uint64{0x20000}, allow},
		{"personality READ_IMPLIES_EXEC", nil, unix.SYS_PERSONALITY, [6]uint64{0x0400000}, epermRet},
		// Newer than the profile: ENOSYS, not the default EPERM.
		{"a system call from the future", nil, 1000, [6]uint64{}, enosysRet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Default(specWithCaps(tc.caps...))
			if err != nil {
				t.Fatal(err)
			}
			prog := compileFor(t, p)
			if got := run(t, prog, call{arch: arch, nr: tc.nr, args: tc.args}); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, retName(got), retName(tc.want))
			}
		})
	}
}

// The 32-bit ABIs of an x86_64 machine go through the same filter.
func TestCompileDefaultProfileCompatArches(t *testing.T) {
	if goruntime.GOARCH != "amd64" {
		t.Skip("x86 and x32 are amd64's")
	}
	const i386 = 0x40000003
	p, err := Default(specWithCaps())
	if err != nil {
		t.Fatal(err)
	}
	prog := compileFor(t, p)
	for _, tc := range []struct {
		name string
		c    call
		want uint32
	}{
		{"i386 read", call{arch: i386, nr: 3}, allow},
		{"i386 keyctl", call{arch: i386, nr: 288}, epermRet},
		{"i386 from the future", call{arch: i386, nr: 1000}, enosysRet},
		{"x32 read", call{arch: auditArchX86_64, nr: x32Bit | 0}, allow},
		{"x32 keyctl", call{arch: auditArchX86_64, nr: x32Bit | 250}, epermRet},
		{"x32 from the future", call{arch: auditArchX86_64, nr: x32Bit | 1000}, enosysRet},
		{"an architecture not in the profile", call{arch: 0xc00000b7, nr: 63}, retKillThread},
	} {
		if got := run(t, prog, tc.c); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, retName(got), retName(tc.want))
		}
	}
}

// Custom profiles: defaultErrnoRet, a profile that allows by default (no ENOSYS stub), the
// operators, and several conditions on one argument (OR) or on several (AND).
func TestCompileCustomProfiles(t *testing.T) {
	arch := nativeArch(t)
	load := func(js string) []Instruction {
		t.Helper()
		p, err := Load([]byte(js), specWithCaps())
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		return compileFor(t, p)
	}
	denyDefault := load(`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13,"syscalls":[
		{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
		{"names":["keyctl"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
		{"names":["kill"],"action":"SCMP_ACT_ERRNO"},
		{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":21505,"op":"SCMP_CMP_EQ"},{"index":1,"value":21506,"op":"SCMP_CMP_EQ"}]},
		{"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"},{"index":2,"value":4,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},
		{"names":["lseek"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":2,"op":"SCMP_CMP_LE"}]},
		{"names":["no_such_syscall"],"action":"SCMP_ACT_ALLOW"}]}`)
	allowDefault := load(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["keyctl"],"action":"SCMP_ACT_ERRNO"},
		{"names":["getpid"],"action":"SCMP_ACT_KILL_PROCESS"}]}`)
	eacces := retErrno | uint32(unix.EACCES)
	for _, tc := range []struct {
		name string
		prog []Instruction
		nr   uint32
		args [6]uint64
		want uint32
	}{
		{"allowed", denyDefault, unix.SYS_READ, [6]uint64{}, allow},
		{"default errno is defaultErrnoRet", denyDefault, unix.SYS_GETPID, [6]uint64{}, eacces},
		{"rule's errnoRet", denyDefault, unix.SYS_KEYCTL, [6]uint64{}, enosysRet},
		{"rule's errno without errnoRet is EPERM", denyDefault, unix.SYS_KILL, [6]uint64{}, epermRet},
		{"one argument, first value", denyDefault, unix.SYS_IOCTL, [6]uint64{0, 21505}, allow},
		{"one argument, second value", denyDefault, unix.SYS_IOCTL, [6]uint64{0, 21506}, allow},
		{"one argument, other value", denyDefault, unix.SYS_IOCTL, [6]uint64{0, 21507}, eacces},
		{"two arguments, both hold", denyDefault, unix.SYS_MMAP, [6]uint64{0, 4096, 3}, allow},
		{"two arguments, second fails", denyDefault, unix.SYS_MMAP, [6]uint64{0, 4096, 7}, eacces},
		{"two arguments, first fails", denyDefault, unix.SYS_MMAP, [6]uint64{1, 4096, 3}, eacces},
		{"less or equal", denyDefault, unix.SYS_LSEEK, [6]uint64{0, 0, 2}, allow},
		{"greater", denyDefault, unix.SYS_LSEEK, [6]uint64{0, 0, 3}, eacces},
		{"from the future", denyDefault, 1000, [6]uint64{}, enosysRet},
		{"allow by default", allowDefault, unix.SYS_READ, [6]uint64{}, allow},
		{"allow by default, future", allowDefault, 1000, [6]uint64{}, allow},
		{"allow by default, errno", allowDefault, unix.SYS_KEYCTL, [6]uint64{}, epermRet},
		{"kill process", allowDefault, unix.SYS_GETPID, [6]uint64{}, retKillProcess},
	} {
		if got := run(t, tc.prog, call{arch: arch, nr: tc.nr, args: tc.args}); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, retName(got), retName(tc.want))
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *specs.LinuxSeccomp
	}{
		{"invalid", &specs.LinuxSeccomp{DefaultAction: "NOPE"}},
		{"architecture libseccomp lacks", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_SHEB"}}},
	} {
		if _, err := Compile(tc.p); err == nil {
			t.Errorf("%s: compiled", tc.name)
		}
	}
	if p, err := Compile(nil); p != nil || err != nil {
		t.Errorf("Compile(nil) = %v, %v", p, err)
	}
}

func TestCompileCached(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	p, err := Default(specWithCaps())
	if err != nil {
		t.Fatal(err)
	}
	first, err := CompileCached(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("cache holds %v, want one program", entries)
	}
	path := filepath.Join(dir, entries[0].Name())
	// A cached program is what is read back: make it recognizable.
	marked := append(append(Program{}, first...), encode([]Instruction{{Code: bpfRetK, K: retAllow}})...)
	if err := os.WriteFile(path, marked, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := CompileCached(dir, p); err != nil || string(got) != string(marked) {
		t.Errorf("second CompileCached did not read the cache (%d bytes, %v)", len(got), err)
	}
	// Another profile, another entry.
	other, _ := Default(specWithCaps("CAP_SYS_ADMIN"))
	if _, err := CompileCached(dir, other); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("cache holds %d entries, want 2", len(entries))
	}
	// A damaged entry is compiled again.
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := CompileCached(dir, p); err != nil || string(got) != string(first) {
		t.Errorf("a damaged entry was used (%d bytes, %v)", len(got), err)
	}
}

func BenchmarkCompileDefault(b *testing.B) {
	p, err := Default(specWithCaps())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compile(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileCachedDefault(b *testing.B) {
	dir := b.TempDir()
	p, err := Default(specWithCaps())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := CompileCached(dir, p); err != nil {
			b.Fatal(err)
		}
	}
}
