package spec

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/seccomp"
)

// Options are the parts of `docker run` that shape the runtime spec, with
// flag values already parsed (see ParseMemory, ParseCPUs, ResolveEnv).
type Options struct {
	// ID is the container ID; Hostname defaults to its first 12 characters
	// (to the host's name with Network "host").
	ID, Hostname string
	// Rootfs is the host path of the container's root filesystem.
	Rootfs string
	// Image is the image's config: Entrypoint, Cmd, Env, WorkingDir, User.
	Image v1.Config

	// Entrypoint overrides the image's entrypoint when not nil
	// (--entrypoint). A pointer to an empty slice, or to [""], clears it.
	// Either way the image's Cmd is dropped; only Cmd below remains.
	Entrypoint *[]string
	// Cmd are the arguments after the image name; when not empty they
	// replace the image's Cmd.
	Cmd []string
	// Env are the -e / --env-file values, resolved by ResolveEnv: "KEY=VAL",
	// or a bare "KEY" to remove KEY. Later entries win.
	Env []string
	// WorkingDir (-w) and User (-u) override the image's when not empty.
	// User is "uid", "uid:gid", "name", "name:group", "uid:group" ...
	WorkingDir, User string

	Terminal bool // -t
	// ConsoleSize is the size of the terminal when the container starts (with -t): the
	// caller's, so that the command sees it from its first instruction. Nil: unknown.
	ConsoleSize     *specs.Box
	ReadOnly        bool // --read-only
	Privileged      bool // --privileged
	NoNewPrivileges bool // --security-opt no-new-privileges
	Init            bool // --init

	// Seccomp is the seccomp profile (--security-opt seccomp=...): "" or "builtin" for
	// Docker's default profile, "unconfined" for none, else a profile in Docker's JSON
	// format. Privileged means none, whatever Seccomp says, as in Docker. The profile is
	// evaluated for the container's capabilities, this architecture and kernel.
	Seccomp string
	// SeccompFile is where a JSON Seccomp was read from, named in its errors.
	SeccompFile string

	// CapAdd and CapDrop accept "NET_ADMIN", "cap_net_admin" or "ALL".
	CapAdd, CapDrop []string
	// Tmpfs are --tmpfs values: "/path" or "/path:size=64m,mode=1777,...".
	Tmpfs []string
	// Binds are -v values "/host:/ctr[:ro|rw][,propagation]". The host
	// path must be absolute; the caller checks that it exists.
	Binds []string
	// Network is "none", "host", or "bridge"/"" (a new network namespace
	// that the engine wires up).
	Network   string
	Resources Resources

	// HostsPath, HostnamePath and ResolvConfPath are files the engine
	// prepared; each non-empty one is bind-mounted at /etc/hosts,
	// /etc/hostname and /etc/resolv.conf (read-only with ReadOnly).
	HostsPath, HostnamePath, ResolvConfPath string
	// InitPath is the host path of the init binary used with Init; it is
	// bind-mounted read-only at InitMountPath and becomes process 1.
	InitPath string
	// UsernsRemap, when set, gives the container a user namespace in which container id 0 is
	// host id UID.Start (GID.Start for groups), for UID.Size (GID.Size) ids: dockerd's
	// userns-remap. Nil means the host's user namespace.
	UsernsRemap *IDRemap
	// HostDevices are the host's devices, given to a privileged container
	// in addition to the default ones (Docker gives it all of /dev).
	HostDevices []specs.LinuxDevice
	// Devices are the --device values (ParseDevice), looked up on the host
	// by Build: each node is created in the container and allowed with its
	// CgroupPermissions.
	Devices []DeviceMapping
	// DeviceCgroupRules are --device-cgroup-rule values ("c 1:3 rwm"),
	// allowed after the default rules and the --device ones.
	DeviceCgroupRules []string

	// Ulimits are the --ulimit values (ParseUlimit); each replaces the default limit of
	// its type.
	Ulimits []Ulimit
	// ShmSize is the size of /dev/shm in bytes (--shm-size); 0 is DefaultShmSize.
	ShmSize int64
	// Sysctls are the --sysctl values: only those of a namespace the container has of its
	// own are allowed.
	Sysctls map[string]string
	// GroupAdd are supplementary group ids of the process (--group-add, names resolved by
	// the caller in the image's /etc/group).
	GroupAdd []uint32
	// PidMode (--pid: "", "host", "container:ID"), IpcMode (--ipc: "", "private",
	// "shareable", "host", "none", "container:ID"), UTSMode (--uts: "", "host") and
	// CgroupnsMode (--cgroupns: "host" or "private"; "" is private). A "container:ID" mode
	// gets a namespace entry without a path, which the engine points at the other
	// container's namespace at each start.
	PidMode, IpcMode, UTSMode, CgroupnsMode string
	// OomScoreAdj is the process's oom_score_adj (--oom-score-adj), -1000..1000.
	OomScoreAdj int
}

// Resources are the cgroup limits of `docker run`.
type Resources struct {
	NanoCPUs   int64  // --cpus, in 1e-9 CPUs (ParseCPUs)
	Memory     int64  // --memory, bytes; 0 = unlimited
	MemorySwap int64  // --memory-swap, bytes of memory+swap; -1 = unlimited, 0 = twice Memory
	PidsLimit  int64  // --pids-limit; 0 = unset, negative = unlimited
	CPUShares  int64  // --cpu-shares; 0 = default
	CpusetCpus string // --cpuset-cpus, "0-2,4"

	MemoryReservation int64  // --memory-reservation, bytes (a soft limit); 0 = unset
	CPUQuota          int64  // --cpu-quota, microseconds per CPUPeriod; 0 = unset
	CPUPeriod         int64  // --cpu-period, microseconds; 0 = the kernel's (100000)
	BlkioWeight       uint16 // --blkio-weight, 10..1000; 0 = unset
	OomKillDisable    bool   // --oom-kill-disable
}

// InitMountPath is where the --init binary appears in the container, as in
// Docker (which ships tini as docker-init).
const InitMountPath = "/sbin/docker-init"

// DefaultPathEnv is the PATH a container gets when neither its image nor the
// user sets one.
const DefaultPathEnv = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// defaultNofile is the RLIMIT_NOFILE soft and hard limit of the container
// process (what dockerd passes down when started by its systemd unit).
const defaultNofile = 1048576

// hostHostname returns the host's name, used as the hostname of a
// container on the host network. A variable so tests can pin it.
var hostHostname = os.Hostname

// Build validates o and returns the OCI runtime spec Docker would produce
// for it. Errors are one line, in Docker's words where Docker has them.
func Build(o Options) (*specs.Spec, error) {
	if o.Rootfs == "" {
		return nil, errors.New("no root filesystem given")
	}
	if !path.IsAbs(o.Rootfs) {
		return nil, fmt.Errorf("root filesystem %q is not an absolute path", o.Rootfs)
	}
	netMode, err := parseNetwork(o.Network)
	if err != nil {
		return nil, err
	}
	if err := checkHostOptions(o); err != nil {
		return nil, err
	}
	if err := checkSysctls(o.Sysctls, netMode == netHost, o.IpcMode == ModeHost); err != nil {
		return nil, err
	}
	limits, err := rlimits(o.Ulimits)
	if err != nil {
		return nil, err
	}
	hostname, err := containerHostname(o, netMode)
	if err != nil {
		return nil, err
	}

	args, err := processArgs(o)
	if err != nil {
		return nil, err
	}
	env, err := processEnv(o, hostname)
	if err != nil {
		return nil, err
	}
	cwd, err := workingDir(o)
	if err != nil {
		return nil, err
	}
	user, err := processUser(o)
	if err != nil {
		return nil, err
	}
	caps, err := capabilities(o.CapAdd, o.CapDrop, o.Privileged)
	if err != nil {
		return nil, err
	}
	mounts, propagation, err := buildMounts(o)
	if err != nil {
		return nil, err
	}
	resources, err := buildResources(o.Resources)
	if err != nil {
		return nil, err
	}
	userDevs, userRules, err := userDevices(o)
	if err != nil {
		return nil, err
	}

	s := &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Terminal: o.Terminal,
			User:     user,
			Args:     args,
			Env:      env,
			Cwd:      cwd,
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  caps,
				Effective: slices.Clone(caps),
				Permitted: slices.Clone(caps),
			},
			Rlimits:         limits,
			NoNewPrivileges: o.NoNewPrivileges,
		},
		Root:     &specs.Root{Path: o.Rootfs, Readonly: o.ReadOnly},
		Hostname: hostname,
		Mounts:   mounts,
		Linux: &specs.Linux{
			Namespaces:        namespaces(netMode, o),
			Devices:           devices(o, userDevs),
			Resources:         resources,
			RootfsPropagation: propagation,
			MaskedPaths:       unlessPrivileged(o, defaultMaskedPaths),
			ReadonlyPaths:     unlessPrivileged(o, defaultReadonlyPaths),
		},
	}
	s.Linux.Resources.Devices = deviceRules(o.Privileged, userRules)
	if o.Terminal {
		s.Process.ConsoleSize = o.ConsoleSize
	}
	if o.UTSMode == ModeHost {
		s.Hostname = "" // the host's: no UTS namespace to set it in (HOSTNAME still says it)
	}
	if len(o.Sysctls) > 0 {
		s.Linux.Sysctl = maps.Clone(o.Sysctls)
	}
	if len(o.GroupAdd) > 0 {
		s.Process.User.AdditionalGids = slices.Clone(o.GroupAdd)
	}
	if o.OomScoreAdj != 0 {
		adj := o.OomScoreAdj
		s.Process.OOMScoreAdj = &adj
	}
	if r := o.UsernsRemap; r != nil {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: r.UID.Start, Size: r.UID.Size}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: r.GID.Start, Size: r.GID.Size}}
	}
	if s.Linux.Seccomp, err = seccompProfile(o, s); err != nil {
		return nil, err
	}
	return s, nil
}

// IDRemap is a container's ids on the host: container id 0 is host id Start, for Size ids.
type IDRemap struct {
	UID, GID struct{ Start, Size uint32 }
}

// seccompProfile evaluates the profile of o for the container of s, as Docker's WithSeccomp.
func seccompProfile(o Options, s *specs.Spec) (*specs.LinuxSeccomp, error) {
	switch o.Seccomp {
	case seccomp.Unconfined:
		return nil, nil
	case "", seccomp.Builtin:
		if o.Privileged {
			return nil, nil
		}
		p, err := seccomp.Default(s)
		if err != nil {
			return nil, fmt.Errorf("seccomp: Docker's default profile: %w", err)
		}
		return p, nil
	}
	p, err := seccomp.Load([]byte(o.Seccomp), s)
	if err != nil {
		if o.SeccompFile != "" {
			return nil, fmt.Errorf("seccomp profile (%s): %w", o.SeccompFile, err)
		}
		return nil, fmt.Errorf("seccomp profile: %w", err)
	}
	if o.Privileged {
		return nil, nil
	}
	return p, nil
}

// Network modes.
const (
	netBridge = "bridge"
	netHost   = "host"
	netNone   = "none"
)

func parseNetwork(n string) (string, error) {
	switch n {
	case "", "default", netBridge:
		return netBridge, nil
	case netHost, netNone:
		return n, nil
	}
	return "", fmt.Errorf("network %s not found", n)
}

// containerHostname is -h, or the host's name on the host network, or the
// first 12 characters of the ID.
func containerHostname(o Options, netMode string) (string, error) {
	if o.Hostname != "" {
		return o.Hostname, ValidateHostname(o.Hostname)
	}
	if netMode == netHost || o.UTSMode == ModeHost {
		h, err := hostHostname()
		if err != nil {
			return "", fmt.Errorf("reading the host's name for --network host: %w", err)
		}
		return h, nil
	}
	if o.ID == "" {
		return "", errors.New("no container ID given")
	}
	if len(o.ID) > 12 {
		return o.ID[:12], nil
	}
	return o.ID, nil
}

// workingDir is -w, else the image's, else "/". It must be absolute.
func workingDir(o Options) (string, error) {
	wd := o.WorkingDir
	if wd == "" {
		wd = o.Image.WorkingDir
	}
	if wd == "" {
		return "/", nil
	}
	if !path.IsAbs(wd) {
		return "", fmt.Errorf("the working directory '%s' is invalid, it needs to be an absolute path", wd)
	}
	return path.Clean(wd), nil
}

// namespaces lists the namespaces the container gets: none of the host's it shares
// (--network host, --uts host, --pid host, --ipc host, --cgroupns host). A namespace of
// another container (container:ID) is listed without a path, filled in at start.
func namespaces(netMode string, o Options) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	add := func(t specs.LinuxNamespaceType, host bool) {
		if !host {
			ns = append(ns, specs.LinuxNamespace{Type: t})
		}
	}
	add(specs.NetworkNamespace, netMode == netHost)
	add(specs.UTSNamespace, o.UTSMode == ModeHost)
	add(specs.PIDNamespace, o.PidMode == ModeHost)
	add(specs.IPCNamespace, o.IpcMode == ModeHost)
	add(specs.CgroupNamespace, o.CgroupnsMode == ModeHost)
	return ns
}

// Docker's masked and read-only paths (without the per-CPU thermal_throttle
// entries that moby adds after looking at the host).
var (
	defaultMaskedPaths = []string{
		"/proc/asound",
		"/proc/acpi",
		"/proc/interrupts",
		"/proc/kcore",
		"/proc/keys",
		"/proc/latency_stats",
		"/proc/timer_list",
		"/proc/timer_stats",
		"/proc/sched_debug",
		"/proc/scsi",
		"/sys/firmware",
		"/sys/devices/virtual/powercap",
	}
	defaultReadonlyPaths = []string{
		"/proc/bus",
		"/proc/fs",
		"/proc/irq",
		"/proc/sys",
		"/proc/sysrq-trigger",
	}
)

// unlessPrivileged returns a copy of l, or nil for a privileged container.
func unlessPrivileged(o Options, l []string) []string {
	if o.Privileged {
		return nil
	}
	return slices.Clone(l)
}
