package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/runtime/nsenter"
	"github.com/geedocker/geedocker/internal/seccomp"
)

func TestParseMountOptions(t *testing.T) {
	tests := []struct {
		name string
		m    specs.Mount
		want mountOpts
	}{
		{"proc", specs.Mount{Type: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			mountOpts{flags: unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV}},
		{"dev tmpfs", specs.Mount{Type: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			mountOpts{flags: unix.MS_NOSUID | unix.MS_STRICTATIME, data: "mode=755,size=65536k"}},
		{"devpts", specs.Mount{Type: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			mountOpts{flags: unix.MS_NOSUID | unix.MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620,gid=5"}},
		{"volume", specs.Mount{Type: "bind", Options: []string{"rbind", "ro", "rprivate"}},
			mountOpts{flags: unix.MS_RDONLY, bind: true, recursive: true, propagation: unix.MS_PRIVATE | unix.MS_REC}},
		{"bind option on none type", specs.Mount{Type: "none", Options: []string{"bind", "shared"}},
			mountOpts{bind: true, propagation: unix.MS_SHARED}},
		{"later option wins", specs.Mount{Type: "tmpfs", Options: []string{"ro", "rw", "noexec", "exec", "defaults"}},
			mountOpts{}},
		{"bind type without options", specs.Mount{Type: "bind"}, mountOpts{bind: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseMountOptions(tt.m); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseMountOptions(%v) = %+v, want %+v", tt.m.Options, got, tt.want)
			}
		})
	}
}

func ns(types ...specs.LinuxNamespaceType) *specs.Linux {
	l := &specs.Linux{}
	for _, t := range types {
		l.Namespaces = append(l.Namespaces, specs.LinuxNamespace{Type: t})
	}
	return l
}

func TestPlanNamespaces(t *testing.T) {
	withPath := func(l *specs.Linux, typ specs.LinuxNamespaceType, p string) *specs.Linux {
		l.Namespaces = append(l.Namespaces, specs.LinuxNamespace{Type: typ, Path: p})
		return l
	}
	tests := []struct {
		name      string
		linux     *specs.Linux
		wantFlags uintptr
		wantCg    bool
		wantJoin  map[specs.LinuxNamespaceType]string
		wantPID   string
		wantUser  string
		wantMount string
		wantErr   string

		wantNoMount bool
	}{
		{name: "docker default", linux: ns(specs.PIDNamespace, specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.MountNamespace),
			wantFlags: unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWNS},
		{name: "cgroup ns is unshared later", linux: ns(specs.MountNamespace, specs.CgroupNamespace),
			wantFlags: unix.CLONE_NEWNS, wantCg: true},
		{name: "join network", linux: withPath(ns(specs.MountNamespace), specs.NetworkNamespace, "/proc/1/ns/net"),
			wantFlags: unix.CLONE_NEWNS, wantJoin: map[specs.LinuxNamespaceType]string{specs.NetworkNamespace: "/proc/1/ns/net"}},
		{name: "no mount ns: the runtime's", linux: ns(specs.PIDNamespace), wantFlags: unix.CLONE_NEWPID, wantNoMount: true},
		{name: "nil linux", linux: nil, wantNoMount: true},
		{name: "user ns", linux: ns(specs.MountNamespace, specs.UserNamespace), wantFlags: unix.CLONE_NEWNS | unix.CLONE_NEWUSER},
		{name: "join user: by the init's constructor", linux: withPath(ns(specs.MountNamespace, specs.PIDNamespace), specs.UserNamespace, "/proc/1/ns/user"),
			wantFlags: unix.CLONE_NEWNS | unix.CLONE_NEWPID, wantUser: "/proc/1/ns/user"},
		{name: "join pid: by the parent", linux: withPath(ns(specs.MountNamespace), specs.PIDNamespace, "/proc/1/ns/pid"),
			wantFlags: unix.CLONE_NEWNS, wantPID: "/proc/1/ns/pid"},
		{name: "join cgroup", linux: withPath(ns(specs.MountNamespace), specs.CgroupNamespace, "/proc/1/ns/cgroup"),
			wantFlags: unix.CLONE_NEWNS, wantJoin: map[specs.LinuxNamespaceType]string{specs.CgroupNamespace: "/proc/1/ns/cgroup"}},
		{name: "join mount: by the init's constructor", linux: withPath(ns(specs.PIDNamespace), specs.MountNamespace, "/proc/1/ns/mnt"),
			wantFlags: unix.CLONE_NEWPID, wantMount: "/proc/1/ns/mnt"},
		{name: "join mount and user", linux: withPath(withPath(ns(specs.NetworkNamespace), specs.UserNamespace, "/proc/1/ns/user"), specs.MountNamespace, "/proc/1/ns/mnt"),
			wantFlags: unix.CLONE_NEWNET, wantUser: "/proc/1/ns/user", wantMount: "/proc/1/ns/mnt"},
		{name: "twice", linux: ns(specs.MountNamespace, specs.MountNamespace), wantErr: "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planNamespaces(tt.linux)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.cloneFlags != tt.wantFlags || p.newCgroup != tt.wantCg {
				t.Errorf("got flags %#x cgroup %v, want %#x %v", p.cloneFlags, p.newCgroup, tt.wantFlags, tt.wantCg)
			}
			if p.pidPath != tt.wantPID {
				t.Errorf("pidPath = %q, want %q", p.pidPath, tt.wantPID)
			}
			if p.userPath != tt.wantUser {
				t.Errorf("userPath = %q, want %q", p.userPath, tt.wantUser)
			}
			if p.noMount != tt.wantNoMount {
				t.Errorf("noMount = %v, want %v", p.noMount, tt.wantNoMount)
			}
			if p.mountPath != tt.wantMount {
				t.Errorf("mountPath = %q, want %q", p.mountPath, tt.wantMount)
			}
			if len(p.join) != len(tt.wantJoin) || (len(tt.wantJoin) > 0 && !reflect.DeepEqual(p.join, tt.wantJoin)) {
				t.Errorf("join = %v, want %v", p.join, tt.wantJoin)
			}
		})
	}
}

// withUserNS gives s a user namespace of its own, root mapped to 100000.
func withUserNS(s *specs.Spec) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
}

func TestNewInitConfigRefuses(t *testing.T) {
	good := func() *specs.Spec {
		return &specs.Spec{
			Process: &specs.Process{Args: []string{"true"}},
			Root:    &specs.Root{Path: "/rootfs"},
			Linux:   ns(specs.MountNamespace, specs.NetworkNamespace, specs.UTSNamespace),
		}
	}
	tests := []struct {
		name    string
		mutate  func(s *specs.Spec)
		wantErr string
	}{
		{"good", func(s *specs.Spec) {}, ""},
		{"no process", func(s *specs.Spec) { s.Process = nil }, "needs process"},
		{"no args", func(s *specs.Spec) { s.Process.Args = nil }, "no command"},
		{"hostname with uts", func(s *specs.Spec) { s.Hostname = "c1" }, ""},
		{"hostname without uts", func(s *specs.Spec) { s.Hostname = "c1"; s.Linux = ns(specs.MountNamespace) }, "UTS namespace"},
		{"net sysctl", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"} }, ""},
		{"net sysctl without netns", func(s *specs.Spec) {
			s.Linux = ns(specs.MountNamespace)
			s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
		}, "needs a network namespace"},
		{"host sysctl", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.panic": "1"} }, "not namespaced"},
		{"ipc sysctl without ipc ns", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"kernel.shmmax": "1"} }, "IPC namespace"},
		{"sysctl path escape", func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"net/../../kernel/panic": "1"} }, "not a valid name"},
		{"relative mount", func(s *specs.Spec) { s.Mounts = []specs.Mount{{Destination: "proc", Type: "proc"}} }, "not absolute"},
		{"bad capability", func(s *specs.Spec) {
			s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_FLY"}}
		}, `unknown capability "CAP_FLY"`},
		{"bad rlimit", func(s *specs.Spec) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_FUN"}} }, `unknown rlimit "RLIMIT_FUN"`},
		{"relative cwd", func(s *specs.Spec) { s.Process.Cwd = "work" }, "not absolute"},
		{"bad seccomp action", func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"}
		}, `seccomp: defaultAction: unknown action "SCMP_ACT_NOPE"`},
		{"user ns with maps", withUserNS, ""},
		{"user ns without maps", func(s *specs.Spec) {
			withUserNS(s)
			s.Linux.GIDMappings = nil
		}, "needs uid and gid mappings"},
		{"user ns joining a network namespace", func(s *specs.Spec) {
			withUserNS(s)
			s.Linux.Namespaces[1].Path = "/proc/1/ns/net"
		}, "cannot join the host's namespaces"},
		{"joined user ns: its maps, not the spec's", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/proc/1/ns/user"})
		}, ""},
		{"joined user ns joining a network namespace: a pod's", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/proc/1/ns/user"})
			s.Linux.Namespaces[1].Path = "/proc/1/ns/net"
		}, ""},
		{"joined user and pid ns", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/proc/1/ns/user"},
				specs.LinuxNamespace{Type: specs.PIDNamespace, Path: "/proc/1/ns/pid"})
		}, ""},
		{"joined mount ns", func(s *specs.Spec) { s.Linux.Namespaces[0].Path = "/proc/1/ns/mnt" }, ""},
		{"joined mount ns and user ns", func(s *specs.Spec) {
			s.Linux.Namespaces[0].Path = "/proc/1/ns/mnt"
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/proc/1/ns/user"})
		}, ""},
		{"no mount ns", func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[1:] }, ""},
		{"user ns without a mount ns", func(s *specs.Spec) {
			withUserNS(s)
			s.Linux.Namespaces = s.Linux.Namespaces[1:]
		}, "a container with a user namespace needs a mount namespace"},
		{"user ns joining a mount namespace", func(s *specs.Spec) {
			withUserNS(s)
			s.Linux.Namespaces[0].Path = "/proc/1/ns/mnt"
		}, "cannot join the host's namespaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.name, "joined") && !nsenter.Available {
				t.Skip("joining a mount or user namespace needs cgo")
			}
			s := good()
			tt.mutate(s)
			_, _, err := newInitConfig(s, "/rootfs", nil, "")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("checkSpec: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("checkSpec error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewInitConfig(t *testing.T) {
	umask := uint32(0o077)
	s := &specs.Spec{
		Process: &specs.Process{
			Args:         []string{"sh"},
			User:         specs.User{UID: 5, Umask: &umask},
			Rlimits:      []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 20}},
			Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}},
		},
		Root:  &specs.Root{Path: "rel", Readonly: true},
		Linux: ns(specs.MountNamespace, specs.PIDNamespace, specs.CgroupNamespace),
	}
	cfg, flags, err := newInitConfig(s, "/abs/rel", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if flags != unix.CLONE_NEWNS|unix.CLONE_NEWPID || !cfg.NewCgroupNS {
		t.Errorf("flags %#x, cgroup ns %v", flags, cfg.NewCgroupNS)
	}
	want := []rlimit{{Resource: unix.RLIMIT_NOFILE, Soft: 10, Hard: 20}}
	if cfg.Rootfs != "/abs/rel" || cfg.Cwd != "/" || cfg.Umask != 0o077 || !cfg.ReadonlyRoot ||
		cfg.Caps.Bounding != 1<<unix.CAP_KILL || !reflect.DeepEqual(cfg.Rlimits, want) || cfg.User.UID != 5 {
		t.Errorf("config = %+v", cfg)
	}
	s.Process.User.Umask = nil
	if cfg, _, _ := newInitConfig(s, "/abs/rel", nil, ""); cfg.Umask != 0o022 {
		t.Errorf("default umask = %#o, want 022", cfg.Umask)
	}
	if cfg.Seccomp != nil {
		t.Errorf("a filter without a profile: %d bytes", len(cfg.Seccomp))
	}
}

// The init allocates the terminal when the container has a devpts at /dev/pts; otherwise
// the parent gives it one of the host's.
func TestNewInitConfigConsole(t *testing.T) {
	devpts := specs.Mount{Destination: "/dev/pts/", Type: "devpts", Source: "devpts"}
	size := &specs.Box{Height: 40, Width: 100}
	for _, tt := range []struct {
		name     string
		terminal bool
		mounts   []specs.Mount
		own      bool
	}{
		{"terminal and devpts", true, []specs.Mount{devpts}, true},
		{"terminal, no devpts", true, nil, false},
		{"terminal, /dev/pts bound", true, []specs.Mount{{Destination: "/dev/pts", Type: "bind", Source: "/dev/pts"}}, false},
		{"no terminal", false, []specs.Mount{devpts}, false},
	} {
		s := &specs.Spec{
			Process: &specs.Process{Args: []string{"sh"}, Terminal: tt.terminal, ConsoleSize: size},
			Root:    &specs.Root{Path: "/r"},
			Mounts:  tt.mounts,
			Linux:   ns(specs.MountNamespace),
		}
		cfg, _, err := newInitConfig(s, "/r", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.OwnConsole != tt.own || (cfg.ConsoleSize == size) != tt.own {
			t.Errorf("%s: OwnConsole %v, ConsoleSize %v", tt.name, cfg.OwnConsole, cfg.ConsoleSize)
		}
	}
}

// The spec's seccomp profile reaches the init compiled, through its JSON config.
func TestNewInitConfigSeccomp(t *testing.T) {
	if !nsenter.Available {
		t.Skip("compiling a profile needs cgo")
	}
	s := &specs.Spec{
		Process: &specs.Process{Args: []string{"sh"}},
		Root:    &specs.Root{Path: "/rootfs"},
		Linux:   ns(specs.MountNamespace),
	}
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"keyctl"}, Action: specs.ActErrno}}}
	cfg, _, err := newInitConfig(s, "/rootfs", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	want, err := seccomp.Compile(s.Linux.Seccomp)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var back initConfig
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || !bytes.Equal(back.Seccomp, want) {
		t.Errorf("the init's filter is %d bytes, want the compiled %d", len(back.Seccomp), len(want))
	}
}

func TestCapabilitySets(t *testing.T) {
	s, err := capabilitySets(&specs.LinuxCapabilities{
		Bounding:  defaultCaps,
		Effective: []string{"CAP_CHOWN", "cap_kill"},
		Ambient:   []string{"CAP_CHECKPOINT_RESTORE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Docker's default set is the well-known 0xa80425fb.
	if s.Bounding != 0xa80425fb {
		t.Errorf("bounding = %#x, want 0xa80425fb", s.Bounding)
	}
	if s.Effective != 1<<0|1<<5 || s.Ambient != 1<<40 || s.Permitted != 0 {
		t.Errorf("sets = %+v", s)
	}
	if none, _ := capabilitySets(nil); none != (capSets{}) {
		t.Errorf("nil capabilities = %+v, want none", none)
	}
}

func TestParseCgroupFiles(t *testing.T) {
	mountinfo := `22 1 0:20 / /sys rw,nosuid - sysfs sysfs rw
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:5 - cgroup cgroup rw,cpu,cpuacct
34 30 0:31 /kube /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
41 1 0:38 / /mnt/with\040space rw - cgroup cgroup rw,pids
`
	procCgroup := `9:name=systemd:/user.slice
4:memory:/kube/pod1
2:cpu,cpuacct:/c1
1:pids:/
0::/c1
`
	mounts, err := parseMountInfo(strings.NewReader(mountinfo))
	if err != nil {
		t.Fatal(err)
	}
	if got := mounts[6].mountPoint; got != "/mnt/with space" {
		t.Errorf("unescaped mount point = %q", got)
	}
	lines, err := parseProcCgroup(strings.NewReader(procCgroup))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planCgroupMounts(mounts, lines)
	if err != nil {
		t.Fatal(err)
	}
	want := []cgroupMount{
		{name: "cpu,cpuacct", hostDir: "/sys/fs/cgroup/cpu,cpuacct/c1"},
		{name: "memory", hostDir: "/sys/fs/cgroup/memory/pod1"},
		{name: "systemd", hostDir: "/sys/fs/cgroup/systemd/user.slice"},
		{name: "unified", hostDir: "/sys/fs/cgroup/unified/c1"},
	}
	if !reflect.DeepEqual(plan, want) {
		t.Errorf("plan = %+v\nwant %+v", plan, want)
	}

	v2, _ := parseMountInfo(strings.NewReader("30 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"))
	plan, err = planCgroupMounts(v2, []procCgroupLine{{path: "/system.slice/x"}})
	if err != nil || !reflect.DeepEqual(plan, []cgroupMount{{hostDir: "/sys/fs/cgroup/system.slice/x"}}) {
		t.Errorf("v2 plan = %+v, %v", plan, err)
	}

	outside, _ := parseMountInfo(strings.NewReader("34 30 0:31 /kube /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"))
	if _, err := planCgroupMounts(outside, []procCgroupLine{{controllers: []string{"memory"}, path: "/kubelet"}}); err == nil {
		t.Error("a cgroup outside the mount's root was accepted")
	}
	if _, err := parseMountInfo(strings.NewReader("garbage\n")); err == nil {
		t.Error("malformed mountinfo accepted")
	}
}

func TestSplitPathAndJoinLink(t *testing.T) {
	for _, tt := range []struct{ in, dir, name string }{
		{"/proc", "/", "proc"},
		{"/dev/pts", "/dev", "pts"},
		{"/a/link/../b", "/a/link/..", "b"},
		{"/dev/", "/", "dev"},
	} {
		if d, n := splitPath(tt.in); d != tt.dir || n != tt.name {
			t.Errorf("splitPath(%q) = %q, %q; want %q, %q", tt.in, d, n, tt.dir, tt.name)
		}
	}
	if got := joinLink("/a/b", "../c"); got != "/a/b/../c" {
		t.Errorf("joinLink relative = %q", got)
	}
	if got := joinLink("/a/b", "/host"); got != "/host" {
		t.Errorf("joinLink absolute = %q", got)
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exe := write("tool", 0o755)
	plain := write("data", 0o644)
	env := []string{"PATH=/nonexistent:" + dir}
	tests := []struct {
		file     string
		want     string
		wantKind string
	}{
		{"tool", exe, ""},
		{exe, exe, ""},
		{"data", "", "notfound"},
		{"nosuch", "", "notfound"},
		{plain, "", "cannotinvoke"},
		{dir, "", "cannotinvoke"},
		{dir + "/nosuch", "", "notfound"},
		{plain + "/x", "", "notfound"},
	}
	for _, tt := range tests {
		got, err := lookPath(tt.file, env)
		var ie *initError
		kind := ""
		if errors.As(err, &ie) {
			kind = ie.kind
		} else if err != nil {
			kind = "other: " + err.Error()
		}
		if kind != tt.wantKind || (tt.want != "" && got != tt.want) {
			t.Errorf("lookPath(%q) = %q, %v (kind %q); want %q kind %q", tt.file, got, err, kind, tt.want, tt.wantKind)
		}
	}
	if _, err := lookPath("sh", nil); err != nil && !strings.Contains(err.Error(), "not found") {
		t.Errorf("lookPath without PATH: %v", err)
	}
}

func TestExecError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		kind string
	}{
		{unix.ENOENT, "notfound"},
		{unix.EACCES, "cannotinvoke"},
		{unix.ENOEXEC, "cannotinvoke"},
		{unix.E2BIG, ""},
	} {
		err := execError("cmd", tt.err)
		var ie *initError
		kind := ""
		if errors.As(err, &ie) {
			kind = ie.kind
		}
		if kind != tt.kind || !strings.Contains(err.Error(), `"cmd"`) {
			t.Errorf("execError(%v) = %v kind %q, want kind %q", tt.err, err, kind, tt.kind)
		}
	}
}

func TestGetenv(t *testing.T) {
	env := []string{"A=1", "PATH=/bin", "A=2", "EMPTY="}
	if v, ok := getenv(env, "A"); !ok || v != "2" {
		t.Errorf("getenv A = %q %v", v, ok)
	}
	if v, ok := getenv(env, "EMPTY"); !ok || v != "" {
		t.Errorf("getenv EMPTY = %q %v", v, ok)
	}
	if _, ok := getenv(env, "PAT"); ok {
		t.Error("getenv matched a prefix")
	}
}

func TestMapToHost(t *testing.T) {
	const m = "         0    1000000      65536\n     65536        500          1\n"
	for _, tt := range []struct {
		id, want uint32
		ok       bool
	}{
		{0, 1000000, true}, {1000, 1001000, true}, {65535, 1065535, true}, {65536, 500, true}, {65537, 0, false},
	} {
		if got, ok := mapToHost(m, tt.id); got != tt.want || ok != tt.ok {
			t.Errorf("mapToHost(%d) = %d, %v; want %d, %v", tt.id, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := mapToHost("", 0); ok {
		t.Errorf("an empty map maps 0")
	}
}
