package runccli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultSpec is the config.json `spec` writes: runc's default, a shell on a terminal in a
// read-only rootfs/ with the usual mounts and namespaces.
func DefaultSpec() *specs.Spec {
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	ro := []string{"nosuid", "noexec", "nodev"}
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Terminal: true,
			Args:     []string{"sh"},
			Env:      []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"},
			Cwd:      "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding: caps, Effective: caps, Permitted: caps, Ambient: caps,
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Hostname: "geedocker",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: ro},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: append(slices.Clone(ro), "ro")},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: append(slices.Clone(ro), "relatime", "ro")},
		},
		Linux: &specs.Linux{
			Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
			MaskedPaths: []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

// ExecFlags are the flags of `exec` without --process.
type ExecFlags struct {
	Args       []string
	Env        []string
	Cwd        string
	User       string // "uid" or "uid:gid"
	Caps       []string
	Gids       []string
	Tty        bool
	NoNewPrivs bool
}

// Process builds the process to exec, as runc does: the container's process with the
// command, the terminal, the environment (added to), the working directory, the user and
// the capabilities (added to every set) of the flags.
func (f ExecFlags) Process(base *specs.Process) (*specs.Process, error) {
	var p specs.Process
	if base != nil {
		p = *base
		if base.Capabilities != nil {
			c := *base.Capabilities
			p.Capabilities = &c
		}
	}
	p.Args = f.Args
	p.Terminal = f.Tty
	p.ConsoleSize = nil
	p.Env = append(slices.Clone(p.Env), f.Env...)
	if f.Cwd != "" {
		p.Cwd = f.Cwd
	}
	if f.NoNewPrivs {
		p.NoNewPrivileges = true
	}
	if f.User != "" {
		uid, gid, hasGid := strings.Cut(f.User, ":")
		u, err := strconv.ParseUint(uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parsing user %q: the uid must be a number", f.User)
		}
		p.User.UID = uint32(u)
		p.User.Username = ""
		if hasGid {
			g, err := strconv.ParseUint(gid, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("parsing user %q: the gid must be a number", f.User)
			}
			p.User.GID = uint32(g)
		}
	}
	for _, g := range f.Gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parsing additional gid %q: %w", g, err)
		}
		p.User.AdditionalGids = append(slices.Clone(p.User.AdditionalGids), uint32(n))
	}
	if len(f.Caps) > 0 {
		if p.Capabilities == nil {
			p.Capabilities = &specs.LinuxCapabilities{}
		}
		c := p.Capabilities
		for _, name := range f.Caps {
			name = strings.ToUpper(name)
			if !strings.HasPrefix(name, "CAP_") {
				name = "CAP_" + name
			}
			c.Bounding = appendNew(c.Bounding, name)
			c.Effective = appendNew(c.Effective, name)
			c.Permitted = appendNew(c.Permitted, name)
		}
	}
	return &p, nil
}

func appendNew(l []string, s string) []string {
	if slices.Contains(l, s) {
		return l
	}
	return append(slices.Clone(l), s)
}
