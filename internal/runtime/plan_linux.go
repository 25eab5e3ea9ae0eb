package runtime

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/caps"
	"github.com/geedocker/geedocker/internal/runtime/nsenter"
	"github.com/geedocker/geedocker/internal/seccomp"
)

// This file holds the pure part of the runtime: it turns the spec into flags and checks it,
// without touching the system, so it is tested without root.

// mountOpts is a spec mount's option list split into what mount(2) wants.
type mountOpts struct {
	flags       uintptr // MS_* flags, without MS_BIND, MS_REC and propagation
	bind        bool    // bind or rbind
	recursive   bool    // rbind
	propagation uintptr // MS_PRIVATE, MS_SHARED ... (with MS_REC for the r* forms), 0 if none
	data        string  // file-system specific options, comma separated
}

var mountFlagOptions = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"nosuid":        {false, unix.MS_NOSUID},
	"suid":          {true, unix.MS_NOSUID},
	"nodev":         {false, unix.MS_NODEV},
	"dev":           {true, unix.MS_NODEV},
	"noexec":        {false, unix.MS_NOEXEC},
	"exec":          {true, unix.MS_NOEXEC},
	"sync":          {false, unix.MS_SYNCHRONOUS},
	"async":         {true, unix.MS_SYNCHRONOUS},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"mand":          {false, unix.MS_MANDLOCK},
	"nomand":        {true, unix.MS_MANDLOCK},
	"atime":         {true, unix.MS_NOATIME},
	"noatime":       {false, unix.MS_NOATIME},
	"diratime":      {true, unix.MS_NODIRATIME},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"relatime":      {false, unix.MS_RELATIME},
	"norelatime":    {true, unix.MS_RELATIME},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"silent":        {false, unix.MS_SILENT},
	"loud":          {true, unix.MS_SILENT},
}

var propagationOptions = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// parseMountOptions splits the options of a spec mount. A mount of type "bind" is a bind
// mount even without a "bind" option.
func parseMountOptions(m specs.Mount) mountOpts {
	o := mountOpts{bind: m.Type == "bind"}
	var data []string
	for _, opt := range m.Options {
		if f, ok := mountFlagOptions[opt]; ok {
			if f.clear {
				o.flags &^= f.flag
			} else {
				o.flags |= f.flag
			}
			continue
		}
		if p, ok := propagationOptions[opt]; ok {
			o.propagation = p
			continue
		}
		switch opt {
		case "bind":
			o.bind = true
		case "rbind":
			o.bind, o.recursive = true, true
		case "defaults", "":
		default:
			data = append(data, opt)
		}
	}
	o.data = strings.Join(data, ",")
	return o
}

var namespaceFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.UserNamespace:    unix.CLONE_NEWUSER,
}

// namespacePlan says how the init gets into each namespace of the spec.
type namespacePlan struct {
	cloneFlags uintptr                             // new namespaces made by clone(2)
	newCgroup  bool                                // unshare(CLONE_NEWCGROUP) once inside the cgroup
	join       map[specs.LinuxNamespaceType]string // existing namespaces entered with setns(2)
	pidPath    string                              // an existing PID namespace the init is forked into
	userPath   string                              // an existing user namespace the init joins first
	mountPath  string                              // an existing mount namespace the init joins first
	noMount    bool                                // no mount namespace at all: the runtime's is used
}

// planNamespaces checks the namespaces of the spec and says how to make or join them. A spec
// without a mount namespace shares the runtime's, as with runc (see prepareRootfs). Joining
// is supported for every namespace, each where it can be done: network, IPC, UTS and cgroup
// by one thread of the init; the PID namespace by the parent, on a thread of its own, before
// forking the init; the mount and user namespaces by the init in the constructor of package
// nsenter, while it has one thread, before it creates the new namespaces. As with runc, the
// init builds the container's root in a joined mount namespace as in a new one (mounts,
// pivot_root): other processes of that namespace see it.
func planNamespaces(l *specs.Linux) (namespacePlan, error) {
	p := namespacePlan{join: map[specs.LinuxNamespaceType]string{}}
	hasMount := false
	seen := map[specs.LinuxNamespaceType]bool{}
	if l != nil {
		for _, ns := range l.Namespaces {
			if seen[ns.Type] {
				return p, fmt.Errorf("namespace %q listed twice", ns.Type)
			}
			seen[ns.Type] = true
			flag, ok := namespaceFlags[ns.Type]
			if !ok {
				return p, fmt.Errorf("namespace %q is not supported", ns.Type)
			}
			if ns.Type == specs.MountNamespace {
				hasMount = true
			}
			if ns.Path != "" {
				switch ns.Type {
				case specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace:
					p.join[ns.Type] = ns.Path
				case specs.PIDNamespace:
					// A process cannot change its own PID namespace: the parent enters it
					// before the init is forked.
					p.pidPath = ns.Path
				case specs.UserNamespace:
					p.userPath = ns.Path
				case specs.MountNamespace:
					p.mountPath = ns.Path
				}
				continue
			}
			if ns.Type == specs.CgroupNamespace {
				p.newCgroup = true
				continue
			}
			p.cloneFlags |= flag
		}
	}
	p.noMount = !hasMount
	return p, nil
}

// initConfig is the plan the parent makes from the spec and sends to the init: only what the
// init needs, checked, with names already turned into numbers. (Decoding the whole spec in
// every new init would cost more than the rest of its work.)
type initConfig struct {
	Rootfs        string              `json:"rootfs"` // Spec.Root.Path made absolute
	RootfsMounts  []specs.Mount       `json:"rootfsMounts,omitempty"`
	Propagation   string              `json:"propagation,omitempty"`
	Mounts        []specs.Mount       `json:"mounts,omitempty"`
	Devices       []specs.LinuxDevice `json:"devices,omitempty"`
	MaskedPaths   []string            `json:"maskedPaths,omitempty"`
	ReadonlyPaths []string            `json:"readonlyPaths,omitempty"`
	Sysctl        map[string]string   `json:"sysctl,omitempty"`
	// Join: the network, IPC, UTS and cgroup namespaces to join, which the parent opens (a
	// path may name nothing in a joined mount namespace) and the init enters.
	Join         []joinedNamespace `json:"join,omitempty"`
	NewCgroupNS  bool              `json:"newCgroupNS,omitempty"`
	Hostname     string            `json:"hostname,omitempty"`
	Domainname   string            `json:"domainname,omitempty"`
	ReadonlyRoot bool              `json:"readonlyRoot,omitempty"`
	// RootfsFromParent: the root is not mounted from RootfsMounts but received, built, from
	// the parent on rootfsSockFd (a container with a user namespace).
	RootfsFromParent bool `json:"rootfsFromParent,omitempty"`
	OOMScoreAdj      *int `json:"oomScoreAdj,omitempty"`
	// OwnConsole: the terminal (Terminal) is allocated by the init in the container's devpts
	// and sent to the parent on descriptor ConsoleSocket (see console_linux.go), with the
	// size ConsoleSize. Otherwise the parent gives the init a terminal of the host as stdio.
	OwnConsole    bool       `json:"ownConsole,omitempty"`
	ConsoleSocket int        `json:"consoleSocket,omitempty"`
	ConsoleSize   *specs.Box `json:"consoleSize,omitempty"`
	processConfig

	// CreateHooks run in the init after the mounts, before pivot_root (Config.ContainerHooks).
	CreateHooks []specs.Hook `json:"createHooks,omitempty"`

	// SharedMountNS: the spec has no mount namespace; the init mounts in the runtime's and
	// chroots (see prepareRootfs).
	SharedMountNS bool `json:"sharedMountNS,omitempty"`

	// Nsenter: the init joins an existing mount or user namespace (mountPath, userPath) in
	// the constructor of package nsenter, which also creates its new namespaces; it checks
	// that it did.
	Nsenter bool `json:"nsenter,omitempty"`

	pidPath   string // planNamespaces' pidPath, for Start; not sent
	userPath  string // planNamespaces' userPath, for Start; not sent
	mountPath string // planNamespaces' mountPath, for Start; not sent
}

// joinedNamespace is a namespace the init joins with setns(2): Fd is the init's descriptor of
// it, opened by the parent from Path.
type joinedNamespace struct {
	Type specs.LinuxNamespaceType `json:"type"`
	Path string                   `json:"path"`
	Fd   int                      `json:"fd"`
}

// processConfig is the part of the plan about the process itself, the same for a container's
// init (Start) and for a process executed in a running container (Exec).
type processConfig struct {
	Terminal        bool       `json:"terminal,omitempty"`
	Args            []string   `json:"args"`
	Env             []string   `json:"env,omitempty"`
	Cwd             string     `json:"cwd"`
	User            specs.User `json:"user"`
	Umask           int        `json:"umask"`
	Caps            capSets    `json:"caps"`
	Rlimits         []rlimit   `json:"rlimits,omitempty"`
	NoNewPrivileges bool       `json:"noNewPrivileges,omitempty"`
	// Seccomp is the compiled filter of the spec's Linux.Seccomp (ExecConfig.Seccomp), nil
	// for none; installed by execCommand (before the capabilities are dropped, or right
	// before execve with no_new_privs).
	Seccomp seccomp.Program `json:"seccomp,omitempty"`
	// ExecSelf executes the init's own (sealed) binary as the command, Args[0] being only its
	// name: the --init of a container, whose spec mounts SelfExe at Args[0].
	ExecSelf bool `json:"execSelf,omitempty"`
	// GateFd, when not 0, is the init's descriptor of its start gate, where it waits before
	// execve; see Config.StartGate.
	GateFd int `json:"gateFd,omitempty"`
	// StartHooks run right before execve, after the start gate (Config.ContainerHooks), each
	// with HookState on stdin (also CreateHooks' stdin).
	StartHooks []specs.Hook `json:"startHooks,omitempty"`
	HookState  []byte       `json:"hookState,omitempty"`
	// AppArmor is the profile the command is executed under, when the host has AppArmor
	// (without it the spec's profile is ignored, as runc does).
	AppArmor string `json:"apparmor,omitempty"`

	selfFd int // the init's binary, open, when ExecSelf
}

// rlimit is a resource limit by number.
type rlimit struct {
	Resource   int    `json:"resource"`
	Soft, Hard uint64 `json:",omitempty"`
}

// newInitConfig checks the spec and makes the init's plan from it, with the flags for clone(2).
// It refuses what the runtime cannot do safely before anything is started.
func newInitConfig(s *specs.Spec, rootfs string, rootfsMounts []specs.Mount, seccompCache string) (initConfig, uintptr, error) {
	var cfg initConfig
	if s == nil || s.Process == nil || s.Root == nil || s.Root.Path == "" {
		return cfg, 0, fmt.Errorf("spec needs process and root")
	}
	if s.Linux == nil {
		return cfg, 0, fmt.Errorf("spec needs a linux section")
	}
	proc, err := newProcessConfig(s.Process)
	if err != nil {
		return cfg, 0, err
	}
	nsPlan, err := planNamespaces(s.Linux)
	if err != nil {
		return cfg, 0, err
	}
	hasNS := func(t specs.LinuxNamespaceType) bool {
		for _, ns := range s.Linux.Namespaces {
			if ns.Type == t {
				return true
			}
		}
		return false
	}
	if (s.Hostname != "" || s.Domainname != "") && !hasNS(specs.UTSNamespace) {
		return cfg, 0, fmt.Errorf("setting a hostname needs a UTS namespace")
	}
	for key := range s.Linux.Sysctl {
		if err := checkSysctl(key, hasNS); err != nil {
			return cfg, 0, err
		}
	}
	for _, m := range s.Mounts {
		if !path.IsAbs(m.Destination) {
			return cfg, 0, fmt.Errorf("mount destination %q is not absolute", m.Destination)
		}
	}
	// The engine's own binary as the command's init (SelfExe mounted at Args[0]) is not
	// mounted: the init executes itself, sealed, under that name.
	mounts := s.Mounts
	if i := slices.IndexFunc(mounts, func(m specs.Mount) bool {
		return m.Source == SelfExe && m.Destination == s.Process.Args[0]
	}); i >= 0 {
		mounts = slices.Delete(slices.Clone(mounts), i, i+1)
		proc.ExecSelf = true
	}
	userns := nsPlan.cloneFlags&unix.CLONE_NEWUSER != 0 || nsPlan.userPath != ""
	if (nsPlan.userPath != "" || nsPlan.mountPath != "") && !nsenter.Available {
		return cfg, 0, fmt.Errorf("joining an existing mount or user namespace needs a binary built with cgo")
	}
	// A joined user namespace has its maps; the spec's are not written.
	if nsPlan.userPath == "" && userns && (len(s.Linux.UIDMappings) == 0 || len(s.Linux.GIDMappings) == 0) {
		return cfg, 0, fmt.Errorf("a user namespace needs uid and gid mappings")
	}
	if userns && nsPlan.noMount {
		return cfg, 0, fmt.Errorf("a container with a user namespace needs a mount namespace")
	}
	if len(rootfsMounts) > 0 && nsPlan.noMount {
		// They would stay in the runtime's mount namespace: only the bind of the root is
		// detached at the end.
		return cfg, 0, fmt.Errorf("a container whose root is mounted by the runtime needs a mount namespace")
	}
	if userns {
		for _, m := range rootfsMounts {
			if m.Type != "overlay" {
				return cfg, 0, fmt.Errorf("a container with a user namespace needs an overlay root, not %s", m.Type)
			}
		}
		// A namespace joined by a container that joins a user namespace must belong to
		// that user namespace (a pod's): the kernel refuses any other (EPERM).
		if (len(nsPlan.join) > 0 || nsPlan.mountPath != "") && nsPlan.userPath == "" {
			return cfg, 0, fmt.Errorf("a container with a user namespace of its own cannot join the host's namespaces")
		}
	}
	if proc.Seccomp, err = seccomp.CompileCached(seccompCache, s.Linux.Seccomp); err != nil {
		return cfg, 0, fmt.Errorf("seccomp: %w", err)
	}
	cfg = initConfig{
		RootfsFromParent: userns && len(rootfsMounts) > 0,
		Nsenter:          nsPlan.userPath != "" || nsPlan.mountPath != "",
		SharedMountNS:    nsPlan.noMount,
		Rootfs:           rootfs,
		RootfsMounts:     rootfsMounts,
		Propagation:      s.Linux.RootfsPropagation,
		Mounts:           mounts,
		Devices:          s.Linux.Devices,
		MaskedPaths:      s.Linux.MaskedPaths,
		ReadonlyPaths:    s.Linux.ReadonlyPaths,
		Sysctl:           s.Linux.Sysctl,
		Join:             joinList(nsPlan.join),
		NewCgroupNS:      nsPlan.newCgroup,
		Hostname:         s.Hostname,
		Domainname:       s.Domainname,
		ReadonlyRoot:     s.Root.Readonly,
		OOMScoreAdj:      s.Process.OOMScoreAdj,
		OwnConsole:       proc.Terminal && hasDevpts(mounts),
		processConfig:    proc,
		pidPath:          nsPlan.pidPath,
		userPath:         nsPlan.userPath,
		mountPath:        nsPlan.mountPath,
	}
	if cfg.OwnConsole {
		cfg.ConsoleSize = s.Process.ConsoleSize
	}
	return cfg, nsPlan.cloneFlags, nil
}

// joinList lists the namespaces of join in a stable order, their descriptors not yet known.
func joinList(join map[specs.LinuxNamespaceType]string) []joinedNamespace {
	var list []joinedNamespace
	for _, typ := range slices.Sorted(maps.Keys(join)) {
		list = append(list, joinedNamespace{Type: typ, Path: join[typ]})
	}
	return list
}

// newProcessConfig checks the process part of a spec and turns its names into numbers.
func newProcessConfig(p *specs.Process) (processConfig, error) {
	var pc processConfig
	if p == nil || len(p.Args) == 0 || p.Args[0] == "" {
		return pc, fmt.Errorf("spec has no command to run")
	}
	caps, err := capabilitySets(p.Capabilities)
	if err != nil {
		return pc, err
	}
	var limits []rlimit
	for _, l := range p.Rlimits {
		res, ok := rlimitResources[l.Type]
		if !ok {
			return pc, fmt.Errorf("unknown rlimit %q", l.Type)
		}
		limits = append(limits, rlimit{Resource: res, Soft: l.Soft, Hard: l.Hard})
	}
	umask := 0o022
	if p.User.Umask != nil {
		umask = int(*p.User.Umask)
	}
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if !path.IsAbs(cwd) {
		return pc, fmt.Errorf("working directory %q is not absolute", cwd)
	}
	return processConfig{
		Terminal:        p.Terminal,
		Args:            p.Args,
		Env:             p.Env,
		Cwd:             cwd,
		User:            p.User,
		Umask:           umask,
		Caps:            caps,
		Rlimits:         limits,
		NoNewPrivileges: p.NoNewPrivileges,
		AppArmor:        appArmorProfile(p.ApparmorProfile),
	}, nil
}

// hasDevpts says whether mounts give the container a devpts of its own at /dev/pts, where its
// terminal can be allocated.
func hasDevpts(mounts []specs.Mount) bool {
	return slices.ContainsFunc(mounts, func(m specs.Mount) bool {
		return m.Type == "devpts" && cleanInRoot(m.Destination) == "/dev/pts"
	})
}

// checkSysctl allows only the sysctls that belong to a namespace the container has of its
// own, as runc does: writing any other would change the host.
func checkSysctl(key string, hasNS func(specs.LinuxNamespaceType) bool) error {
	if key == "" || strings.ContainsAny(key, "/ ") || strings.Contains(key, "..") {
		return fmt.Errorf("sysctl %q is not a valid name", key)
	}
	switch {
	case strings.HasPrefix(key, "net."):
		if hasNS(specs.NetworkNamespace) {
			return nil
		}
		return fmt.Errorf("sysctl %q needs a network namespace", key)
	case key == "kernel.msgmax", key == "kernel.msgmnb", key == "kernel.msgmni", key == "kernel.sem",
		key == "kernel.shmall", key == "kernel.shmmax", key == "kernel.shmmni", key == "kernel.shm_rmid_forced",
		strings.HasPrefix(key, "fs.mqueue."):
		if hasNS(specs.IPCNamespace) {
			return nil
		}
		return fmt.Errorf("sysctl %q needs an IPC namespace", key)
	case key == "kernel.hostname", key == "kernel.domainname":
		if hasNS(specs.UTSNamespace) {
			return nil
		}
		return fmt.Errorf("sysctl %q needs a UTS namespace", key)
	}
	return fmt.Errorf("sysctl %q is not namespaced: it would change the host", key)
}

// capSets are the five capability sets of the process as bit masks.
type capSets struct {
	Bounding, Effective, Permitted, Inheritable, Ambient uint64
}

// capabilitySets turns the names of the spec ("CAP_CHOWN" ...) into bit masks. Nil means no
// capability at all.
func capabilitySets(c *specs.LinuxCapabilities) (capSets, error) {
	var s capSets
	if c == nil {
		return s, nil
	}
	for _, set := range []struct {
		names []string
		mask  *uint64
	}{
		{c.Bounding, &s.Bounding}, {c.Effective, &s.Effective}, {c.Permitted, &s.Permitted},
		{c.Inheritable, &s.Inheritable}, {c.Ambient, &s.Ambient},
	} {
		for _, name := range set.names {
			n, ok := caps.Number(name)
			if !ok {
				return s, fmt.Errorf("unknown capability %q", name)
			}
			*set.mask |= 1 << n
		}
	}
	return s, nil
}

// rlimitResources maps the spec's rlimit names to resource numbers.
var rlimitResources = map[string]int{
	"RLIMIT_AS":         unix.RLIMIT_AS,
	"RLIMIT_CORE":       unix.RLIMIT_CORE,
	"RLIMIT_CPU":        unix.RLIMIT_CPU,
	"RLIMIT_DATA":       unix.RLIMIT_DATA,
	"RLIMIT_FSIZE":      unix.RLIMIT_FSIZE,
	"RLIMIT_LOCKS":      unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK":    unix.RLIMIT_MEMLOCK,
	"RLIMIT_MSGQUEUE":   unix.RLIMIT_MSGQUEUE,
	"RLIMIT_NICE":       unix.RLIMIT_NICE,
	"RLIMIT_NOFILE":     unix.RLIMIT_NOFILE,
	"RLIMIT_NPROC":      unix.RLIMIT_NPROC,
	"RLIMIT_RSS":        unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO":     unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME":     unix.RLIMIT_RTTIME,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK":      unix.RLIMIT_STACK,
}

// defaultPath is the $PATH used to find the command when the spec's environment has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// getenv returns the value of key in env ("KEY=value" entries); the last one wins, as in a shell.
func getenv(env []string, key string) (string, bool) {
	val, found := "", false
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			val, found = v, true
		}
	}
	return val, found
}

// cleanInRoot makes p an absolute, lexically clean path: the name of a place inside a root.
func cleanInRoot(p string) string {
	return path.Clean("/" + p)
}
