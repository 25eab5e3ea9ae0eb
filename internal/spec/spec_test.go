package spec

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const testID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// base is the smallest valid Options: an image that runs "sh".
func base() Options {
	return Options{
		ID:     testID,
		Rootfs: "/var/lib/geedocker/containers/x/rootfs",
		Image:  v1.Config{Cmd: []string{"sh"}},
	}
}

func mustBuild(t *testing.T, o Options) *specs.Spec {
	t.Helper()
	s, err := Build(o)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return s
}

func strs(s ...string) []string { return s }
func ptr(s ...string) *[]string { return &s }

func TestBuildArgs(t *testing.T) {
	tests := []struct {
		name       string
		imageEP    []string
		imageCmd   []string
		entrypoint *[]string
		cmd        []string
		init       bool
		want       []string
		wantErr    string
	}{
		{name: "image cmd only", imageCmd: strs("sh"), want: strs("sh")},
		{name: "image entrypoint and cmd", imageEP: strs("/ep", "-x"), imageCmd: strs("a", "b"), want: strs("/ep", "-x", "a", "b")},
		{name: "image entrypoint only", imageEP: strs("/ep"), want: strs("/ep")},
		{name: "args replace image cmd", imageCmd: strs("sh"), cmd: strs("echo", "hi"), want: strs("echo", "hi")},
		{name: "args go after image entrypoint", imageEP: strs("/ep"), imageCmd: strs("a"), cmd: strs("x", "y"), want: strs("/ep", "x", "y")},
		{name: "--entrypoint drops image entrypoint and cmd", imageEP: strs("/ep"), imageCmd: strs("a"), entrypoint: ptr("/new"), want: strs("/new")},
		{name: "--entrypoint with args", imageEP: strs("/ep"), imageCmd: strs("a"), entrypoint: ptr("/new"), cmd: strs("x"), want: strs("/new", "x")},
		{name: "--entrypoint is one word, not split", imageCmd: strs("a"), entrypoint: ptr("sh -c"), want: strs("sh -c")},
		{name: `--entrypoint "" with args`, imageEP: strs("/ep"), imageCmd: strs("a"), entrypoint: ptr(""), cmd: strs("echo", "hi"), want: strs("echo", "hi")},
		{name: "--entrypoint empty list with args", imageEP: strs("/ep"), entrypoint: ptr(), cmd: strs("echo"), want: strs("echo")},
		{name: `--entrypoint "" drops image cmd`, imageEP: strs("/ep"), imageCmd: strs("a"), entrypoint: ptr(""), wantErr: "no command specified"},
		{name: "--entrypoint empty list drops image cmd", imageCmd: strs("a"), entrypoint: ptr(), wantErr: "no command specified"},
		{name: `image entrypoint [""] is none`, imageEP: strs(""), imageCmd: strs("sh"), want: strs("sh")},
		{name: "nothing at all", wantErr: "no command specified"},
		{name: "empty command word", cmd: strs(""), wantErr: "no command specified: the command is an empty string"},
		{name: "init wraps the command", imageEP: strs("/ep"), imageCmd: strs("a"), init: true, want: strs("/sbin/docker-init", "--", "/ep", "a")},
		{name: "init and --entrypoint", entrypoint: ptr("/new"), cmd: strs("x"), init: true, want: strs("/sbin/docker-init", "--", "/new", "x")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			o.Image = v1.Config{Entrypoint: tc.imageEP, Cmd: tc.imageCmd}
			o.Entrypoint, o.Cmd, o.Init = tc.entrypoint, tc.cmd, tc.init
			o.InitPath = "/usr/libexec/geedocker/init"
			s, err := Build(o)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got %v, %v; want error %q", s, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Process.Args, tc.want) {
				t.Fatalf("args = %q, want %q", s.Process.Args, tc.want)
			}
		})
	}
}

func TestBuildDoesNotAliasInputs(t *testing.T) {
	o := base()
	o.Image = v1.Config{Entrypoint: make([]string, 1, 10), Cmd: strs("a")}
	o.Image.Entrypoint[0] = "/ep"
	s := mustBuild(t, o)
	s.Process.Args[0] = "changed"
	if o.Image.Entrypoint[0] != "/ep" {
		t.Fatal("changing the spec's args changed the image config")
	}
	s.Process.Capabilities.Bounding[0] = "changed"
	if DefaultCapabilities[0] != "CAP_CHOWN" || s.Process.Capabilities.Effective[0] != "CAP_CHOWN" {
		t.Fatal("capability sets share memory with each other or with DefaultCapabilities")
	}
}

func TestBuildEnv(t *testing.T) {
	const path = "PATH=" + DefaultPathEnv
	const host = "HOSTNAME=0123456789ab"
	tests := []struct {
		name     string
		image    []string
		env      []string
		terminal bool
		hostname string
		want     []string
		wantErr  string
	}{
		{name: "defaults", want: strs(path, host)},
		{name: "terminal adds TERM", terminal: true, want: strs(path, host, "TERM=xterm")},
		{name: "explicit hostname", hostname: "web", want: strs(path, "HOSTNAME=web")},
		{name: "image PATH replaces the default in place", image: strs("PATH=/opt/bin", "LANG=C"), want: strs("PATH=/opt/bin", host, "LANG=C")},
		{name: "user before image", image: strs("B=2"), env: strs("A=1"), want: strs(path, host, "A=1", "B=2")},
		{name: "user overrides image", image: strs("A=image", "B=2"), env: strs("A=user"), want: strs(path, host, "A=user", "B=2")},
		{name: "later -e wins, first position kept", env: strs("A=1", "B=x", "A=2"), want: strs(path, host, "A=2", "B=x")},
		{name: "-e overrides HOSTNAME and TERM", env: strs("TERM=vt100", "HOSTNAME=h"), terminal: true, want: strs(path, "HOSTNAME=h", "TERM=vt100")},
		{name: "-e PATH", image: strs("PATH=/img"), env: strs("PATH=/user"), want: strs("PATH=/user", host)},
		{name: "bare KEY removes the image's value", image: strs("A=1", "B=2"), env: strs("A"), want: strs(path, host, "B=2")},
		{name: "bare PATH removes PATH", env: strs("PATH"), want: strs(host)},
		{name: "bare KEY unknown anywhere", env: strs("NOPE"), want: strs(path, host)},
		{name: "bare KEY then a value", env: strs("A", "A=1"), want: strs(path, host, "A=1")},
		{name: "bare PATH then a value restores it in place", env: strs("PATH", "PATH=/x"), want: strs("PATH=/x", host)},
		{name: "empty value kept", env: strs("A="), want: strs(path, host, "A=")},
		{name: "value with equals", env: strs("A=b=c"), want: strs(path, host, "A=b=c")},
		{name: "duplicate image entries, last wins", image: strs("A=1", "A=2"), want: strs(path, host, "A=2")},
		{name: "no key", env: strs("=x"), wantErr: "invalid environment variable: =x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			o.Image.Env = tc.image
			o.Env, o.Terminal, o.Hostname = tc.env, tc.terminal, tc.hostname
			s, err := Build(o)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got %v; want error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Process.Env, tc.want) {
				t.Fatalf("env = %q, want %q", s.Process.Env, tc.want)
			}
			if s.Process.Terminal != tc.terminal {
				t.Fatalf("terminal = %v, want %v", s.Process.Terminal, tc.terminal)
			}
		})
	}
}

func TestContainerEnv(t *testing.T) {
	tests := []struct {
		name              string
		user, image, want []string
	}{
		{name: "nothing", want: nil},
		{name: "the image's alone", image: strs("PATH=/img", "A=1"), want: strs("PATH=/img", "A=1")},
		{name: "the user's alone", user: strs("A=1"), want: strs("A=1")},
		{name: "user first, then the image's not overridden", user: strs("B=u", "C=3"), image: strs("A=1", "B=i"), want: strs("B=u", "C=3", "A=1")},
		{name: "bare KEY and repeats kept as given", user: strs("A", "B=1", "B=2"), image: strs("A=img"), want: strs("A", "B=1", "B=2")},
		{name: "no HOSTNAME nor TERM added", user: strs("X=1"), image: strs("PATH=/bin"), want: strs("X=1", "PATH=/bin")},
		{name: "HOSTNAME the user set stays", user: strs("HOSTNAME=h"), want: strs("HOSTNAME=h")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user, image := slices.Clone(tc.user), slices.Clone(tc.image)
			got := ContainerEnv(tc.user, tc.image)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("ContainerEnv(%q, %q) = %q, want %q", tc.user, tc.image, got, tc.want)
			}
			for i := range got {
				got[i] = "changed"
			}
			if !slices.Equal(tc.user, user) || !slices.Equal(tc.image, image) {
				t.Fatal("ContainerEnv shares memory with its arguments")
			}
		})
	}
}

func TestExecEnv(t *testing.T) {
	const path = "PATH=" + DefaultPathEnv
	tests := []struct {
		name            string
		tty             bool
		container, exec []string
		want            []string
	}{
		{name: "defaults", want: strs(path, "HOSTNAME=h")},
		{name: "the exec's terminal adds TERM", tty: true, want: strs(path, "HOSTNAME=h", "TERM=xterm")},
		{name: "container variables over the defaults", container: strs("PATH=/img", "A=1"), want: strs("PATH=/img", "HOSTNAME=h", "A=1")},
		{name: "-e over the container's, in place", container: strs("A=1", "B=2"), exec: strs("A=x", "C=3"), want: strs(path, "HOSTNAME=h", "A=x", "B=2", "C=3")},
		{name: "-e TERM over xterm", tty: true, exec: strs("TERM=vt100"), want: strs(path, "HOSTNAME=h", "TERM=vt100")},
		{name: "bare -e removes", container: strs("A=1"), exec: strs("A", "HOSTNAME"), want: strs(path)},
		{name: "a container's bare KEY removes the default", container: strs("PATH"), want: strs("HOSTNAME=h")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			container := slices.Clone(tc.container)
			got := ExecEnv("h", tc.tty, tc.container, tc.exec)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("ExecEnv = %q, want %q", got, tc.want)
			}
			if !slices.Equal(container, tc.container) {
				t.Fatalf("ExecEnv changed the container's env: %q", tc.container)
			}
		})
	}
}

func TestBuildUser(t *testing.T) {
	tests := []struct {
		image, user string
		want        specs.User
		wantErr     string
	}{
		{want: specs.User{}},
		{user: "0", want: specs.User{}},
		{user: "1000", want: specs.User{UID: 1000}},
		{user: "1000:1001", want: specs.User{UID: 1000, GID: 1001}},
		{user: "0:0", want: specs.User{}},
		{user: "4294967295:4294967295", want: specs.User{UID: 4294967295, GID: 4294967295}},
		{user: "nobody", want: specs.User{Username: "nobody"}},
		{user: "nobody:nogroup", want: specs.User{Username: "nobody:nogroup"}},
		{user: "1000:wheel", want: specs.User{Username: "1000:wheel"}},
		{user: "app:100", want: specs.User{Username: "app:100"}},
		{user: "user-1", want: specs.User{Username: "user-1"}},
		{image: "daemon", want: specs.User{Username: "daemon"}},
		{image: "daemon", user: "1:2", want: specs.User{UID: 1, GID: 2}},
		{image: "2:3", want: specs.User{UID: 2, GID: 3}},
		{user: ":1", wantErr: `invalid user: ":1"`},
		{user: "1:", wantErr: `invalid user: "1:"`},
		{user: "a:b:c", wantErr: `invalid user: "a:b:c"`},
		{user: "4294967296", wantErr: `invalid user "4294967296": uid out of range`},
		{user: "1:4294967296", wantErr: `invalid user "1:4294967296": gid out of range`},
	}
	for _, tc := range tests {
		o := base()
		o.Image.User, o.User = tc.image, tc.user
		s, err := Build(o)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("user %q/%q: got %v; want error %q", tc.image, tc.user, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("user %q/%q: %v", tc.image, tc.user, err)
			continue
		}
		if !reflect.DeepEqual(s.Process.User, tc.want) {
			t.Errorf("user %q/%q: got %+v, want %+v", tc.image, tc.user, s.Process.User, tc.want)
		}
	}
}

func TestBuildWorkingDir(t *testing.T) {
	tests := []struct {
		image, flag, want, wantErr string
	}{
		{want: "/"},
		{image: "/app", want: "/app"},
		{image: "/app", flag: "/work", want: "/work"},
		{flag: "/a/../b/", want: "/b"},
		{flag: "rel", wantErr: "the working directory 'rel' is invalid, it needs to be an absolute path"},
		{image: "rel/dir", wantErr: "the working directory 'rel/dir' is invalid, it needs to be an absolute path"},
	}
	for _, tc := range tests {
		o := base()
		o.Image.WorkingDir, o.WorkingDir = tc.image, tc.flag
		s, err := Build(o)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("workdir %q/%q: got %v, want error %q", tc.image, tc.flag, err, tc.wantErr)
			}
			continue
		}
		if err != nil || s.Process.Cwd != tc.want {
			t.Errorf("workdir %q/%q: got %v; want %q", tc.image, tc.flag, err, tc.want)
			continue
		}
	}
}

func TestBuildCapabilities(t *testing.T) {
	withAdded := func(extra ...string) []string { return append(slices.Clone(DefaultCapabilities), extra...) }
	without := func(from []string, drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(from), func(c string) bool { return slices.Contains(drop, c) })
	}
	tests := []struct {
		name       string
		add, drop  []string
		privileged bool
		want       []string
		wantErr    string
	}{
		{name: "defaults", want: DefaultCapabilities},
		{name: "add", add: strs("NET_ADMIN"), want: withAdded("CAP_NET_ADMIN")},
		{name: "add with prefix, any case", add: strs("cap_net_admin", "Sys_Ptrace"), want: withAdded("CAP_NET_ADMIN", "CAP_SYS_PTRACE")},
		{name: "add a default is not duplicated", add: strs("CHOWN"), want: DefaultCapabilities},
		{name: "drop", drop: strs("chown", "CAP_KILL"), want: without(DefaultCapabilities, "CAP_CHOWN", "CAP_KILL")},
		{name: "drop something not held", drop: strs("SYS_ADMIN"), want: DefaultCapabilities},
		// NET_RAW is a default: dropped from the defaults, then added back at the end.
		{name: "add wins over drop", add: strs("NET_RAW"), drop: strs("NET_RAW"), want: append(without(DefaultCapabilities, "CAP_NET_RAW"), "CAP_NET_RAW")},
		{name: "add ALL", add: strs("ALL"), want: AllCapabilities},
		{name: "add all, lower case", add: strs("all"), want: AllCapabilities},
		{name: "add ALL minus drops", add: strs("ALL"), drop: strs("SYS_ADMIN", "NET_ADMIN"), want: without(AllCapabilities, "CAP_SYS_ADMIN", "CAP_NET_ADMIN")},
		{name: "drop ALL", drop: strs("ALL"), want: []string{}},
		{name: "drop ALL plus adds", add: strs("CHOWN", "NET_BIND_SERVICE"), drop: strs("ALL"), want: strs("CAP_CHOWN", "CAP_NET_BIND_SERVICE")},
		{name: "add ALL wins over drop ALL", add: strs("ALL"), drop: strs("ALL"), want: AllCapabilities},
		{name: "privileged", privileged: true, want: AllCapabilities},
		{name: "privileged ignores add and drop", privileged: true, add: strs("FOO"), drop: strs("ALL"), want: AllCapabilities},
		{name: "newest capability known", add: strs("CHECKPOINT_RESTORE"), want: withAdded("CAP_CHECKPOINT_RESTORE")},
		{name: "unknown add", add: strs("FOO"), wantErr: `unknown capability: "CAP_FOO"`},
		{name: "unknown drop", drop: strs("cap_nope"), wantErr: `unknown capability: "CAP_NOPE"`},
		{name: "empty name", add: strs(""), wantErr: `unknown capability: "CAP_"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			o.CapAdd, o.CapDrop, o.Privileged = tc.add, tc.drop, tc.privileged
			s, err := Build(o)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got %v; want error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := s.Process.Capabilities
			for set, got := range map[string][]string{"bounding": c.Bounding, "effective": c.Effective, "permitted": c.Permitted} {
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s = %q, want %q", set, got, tc.want)
				}
			}
			if len(c.Inheritable) != 0 || len(c.Ambient) != 0 {
				t.Errorf("inheritable %q, ambient %q; want both empty", c.Inheritable, c.Ambient)
			}
		})
	}
}

func TestCapabilityLists(t *testing.T) {
	if len(DefaultCapabilities) != 14 {
		t.Errorf("%d default capabilities, want Docker's 14", len(DefaultCapabilities))
	}
	if len(AllCapabilities) != 41 || AllCapabilities[40] != "CAP_CHECKPOINT_RESTORE" || AllCapabilities[21] != "CAP_SYS_ADMIN" {
		t.Errorf("AllCapabilities is not the kernel's list 0..40: %d entries", len(AllCapabilities))
	}
	seen := map[string]bool{}
	for _, c := range AllCapabilities {
		if seen[c] {
			t.Errorf("%s listed twice", c)
		}
		seen[c] = true
	}
	for _, c := range DefaultCapabilities {
		if !seen[c] {
			t.Errorf("default %s is not a known capability", c)
		}
	}
}

func TestBuildSecurityPaths(t *testing.T) {
	s := mustBuild(t, base())
	wantMasked := strs("/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap")
	wantRO := strs("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
	if !slices.Equal(s.Linux.MaskedPaths, wantMasked) {
		t.Errorf("masked paths = %q, want %q", s.Linux.MaskedPaths, wantMasked)
	}
	if !slices.Equal(s.Linux.ReadonlyPaths, wantRO) {
		t.Errorf("readonly paths = %q, want %q", s.Linux.ReadonlyPaths, wantRO)
	}

	o := base()
	o.Privileged = true
	p := mustBuild(t, o)
	if p.Linux.MaskedPaths != nil || p.Linux.ReadonlyPaths != nil {
		t.Errorf("privileged: masked %q, readonly %q; want none", p.Linux.MaskedPaths, p.Linux.ReadonlyPaths)
	}
}

func TestBuildNetworkAndHostname(t *testing.T) {
	old := hostHostname
	hostHostname = func() (string, error) { return "the-host", nil }
	t.Cleanup(func() { hostHostname = old })

	all := strs("mount", "network", "uts", "pid", "ipc", "cgroup")
	noNet := strs("mount", "uts", "pid", "ipc", "cgroup")
	tests := []struct {
		network, hostname, id string
		wantNS                []string
		wantHost, wantErr     string
	}{
		{network: "", wantNS: all, wantHost: "0123456789ab"},
		{network: "bridge", wantNS: all, wantHost: "0123456789ab"},
		{network: "default", wantNS: all, wantHost: "0123456789ab"},
		{network: "none", wantNS: all, wantHost: "0123456789ab"},
		{network: "host", wantNS: noNet, wantHost: "the-host"},
		{network: "host", hostname: "mine", wantNS: noNet, wantHost: "mine"},
		{network: "none", hostname: "box", wantNS: all, wantHost: "box"},
		{network: "none", id: "abc", wantNS: all, wantHost: "abc"},
		{network: "mynet", wantErr: "network mynet not found"},
		{network: "container:x", wantErr: "network container:x not found"},
	}
	for _, tc := range tests {
		o := base()
		o.Network, o.Hostname = tc.network, tc.hostname
		if tc.id != "" {
			o.ID = tc.id
		}
		s, err := Build(o)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("network %q: got %v, want error %q", tc.network, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("network %q: %v", tc.network, err)
			continue
		}
		var ns []string
		for _, n := range s.Linux.Namespaces {
			if n.Path != "" {
				t.Errorf("network %q: namespace %s joins %s, want a new one", tc.network, n.Type, n.Path)
			}
			ns = append(ns, string(n.Type))
		}
		if !slices.Equal(ns, tc.wantNS) {
			t.Errorf("network %q: namespaces %q, want %q", tc.network, ns, tc.wantNS)
		}
		if s.Hostname != tc.wantHost {
			t.Errorf("network %q: hostname %q, want %q", tc.network, s.Hostname, tc.wantHost)
		}
	}
}

func TestBuildProcessAndRoot(t *testing.T) {
	o := base()
	o.ReadOnly, o.NoNewPrivileges = true, true
	s := mustBuild(t, o)
	if s.Version != specs.Version {
		t.Errorf("version %q, want %q", s.Version, specs.Version)
	}
	if s.Root == nil || s.Root.Path != o.Rootfs || !s.Root.Readonly {
		t.Errorf("root = %+v, want %s read-only", s.Root, o.Rootfs)
	}
	if !s.Process.NoNewPrivileges {
		t.Error("noNewPrivileges not set")
	}
	if s.Process.OOMScoreAdj != nil {
		t.Errorf("oomScoreAdj = %d, want unset", *s.Process.OOMScoreAdj)
	}
	want := []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1048576, Soft: 1048576}}
	if !reflect.DeepEqual(s.Process.Rlimits, want) {
		t.Errorf("rlimits = %+v, want %+v", s.Process.Rlimits, want)
	}
	if len(s.Linux.Sysctl) != 0 {
		t.Errorf("sysctls = %v, want none", s.Linux.Sysctl)
	}
	if s.Linux.RootfsPropagation != "rprivate" {
		t.Errorf("rootfs propagation %q, want rprivate", s.Linux.RootfsPropagation)
	}

	o = base()
	s = mustBuild(t, o)
	if s.Root.Readonly || s.Process.NoNewPrivileges {
		t.Error("read-only root or no-new-privileges set without being asked")
	}
}

func TestBuildRequiredFields(t *testing.T) {
	o := base()
	o.Rootfs = ""
	if _, err := Build(o); err == nil || err.Error() != "no root filesystem given" {
		t.Errorf("no rootfs: %v", err)
	}
	o.Rootfs = "rootfs"
	if _, err := Build(o); err == nil || err.Error() != `root filesystem "rootfs" is not an absolute path` {
		t.Errorf("relative rootfs: %v", err)
	}
	o = base()
	o.ID = ""
	if _, err := Build(o); err == nil || err.Error() != "no container ID given" {
		t.Errorf("no ID: %v", err)
	}
	o.Hostname = "named"
	if _, err := Build(o); err != nil {
		t.Errorf("no ID but a hostname: %v", err)
	}
}

// TestBuildJSON checks that a full spec survives a JSON round trip, which is
// how the runtime receives it.
func TestBuildJSON(t *testing.T) {
	o := base()
	o.Image = v1.Config{Entrypoint: strs("/ep"), Cmd: strs("a"), Env: strs("A=1"), WorkingDir: "/app", User: "app"}
	o.Env = strs("B=2")
	o.Terminal, o.ReadOnly, o.Init, o.InitPath = true, true, true, "/usr/bin/tini"
	o.CapAdd = strs("NET_ADMIN")
	o.Binds = strs("/srv/data:/data:ro")
	o.Tmpfs = strs("/run:size=64m")
	o.HostsPath, o.HostnamePath, o.ResolvConfPath = "/c/hosts", "/c/hostname", "/c/resolv.conf"
	o.Resources = Resources{NanoCPUs: 5e8, Memory: 64 << 20, PidsLimit: 100, CPUShares: 512, CpusetCpus: "0"}
	s := mustBuild(t, o)

	data, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back specs.Spec
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !reflect.DeepEqual(&back, s) {
		t.Fatalf("spec changed in a JSON round trip:\n%s", data)
	}
	for _, want := range []string{`"ociVersion"`, `"args":["/sbin/docker-init","--","/ep","a"]`, `"username":"app"`, `"readonly":true`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JSON lacks %s:\n%s", want, data)
		}
	}
}

func TestBuildUsernsRemap(t *testing.T) {
	o := base()
	o.Cmd = []string{"sh"}
	s, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			t.Errorf("a user namespace without userns-remap")
		}
	}
	o.UsernsRemap = &IDRemap{}
	o.UsernsRemap.UID.Start, o.UsernsRemap.UID.Size = 100000, 65536
	o.UsernsRemap.GID.Start, o.UsernsRemap.GID.Size = 200000, 1000
	if s, err = Build(o); err != nil {
		t.Fatal(err)
	}
	var user []specs.LinuxNamespace
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			user = append(user, ns)
		}
	}
	if len(user) != 1 || user[0].Path != "" {
		t.Errorf("user namespaces: %+v, want one new one", user)
	}
	wantU := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	wantG := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 1000}}
	if !reflect.DeepEqual(s.Linux.UIDMappings, wantU) || !reflect.DeepEqual(s.Linux.GIDMappings, wantG) {
		t.Errorf("mappings %+v %+v, want %+v %+v", s.Linux.UIDMappings, s.Linux.GIDMappings, wantU, wantG)
	}
}

// The caller's terminal size goes into the spec with -t only.
func TestBuildConsoleSize(t *testing.T) {
	size := &specs.Box{Height: 30, Width: 90}
	for _, tty := range []bool{true, false} {
		o := base()
		o.Terminal, o.ConsoleSize = tty, size
		s := mustBuild(t, o)
		if got := s.Process.ConsoleSize; (got != nil) != tty || got != nil && *got != *size {
			t.Errorf("terminal %v: ConsoleSize %v", tty, got)
		}
	}
}
