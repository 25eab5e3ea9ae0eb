package spec

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// defaultMounts are Docker's default mounts, in Docker's order. /dev/shm
// gets Docker's default --shm-size of 64 MiB.
func defaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
	}
}

// Propagation modes a bind may ask for; rprivate is the default.
var propagationModes = []string{"private", "rprivate", "shared", "rshared", "slave", "rslave"}

const defaultPropagation = "rprivate"

// buildMounts returns the container's mounts and the propagation of its
// root mount, the way Docker's WithMounts arranges them:
//
//  1. the default mounts, minus those a user mount replaces (all of /dev/...
//     when the user mounts /dev);
//  2. then the network files, -v binds and --tmpfs mounts, ordered by depth
//     of the destination (stable), so a parent is mounted before its
//     children; a user mount at /etc/hosts etc. replaces the network file;
//  3. with --read-only, the remaining defaults other than /proc and /dev...
//     become read-only, and so do the network files;
//  4. privileged containers get /sys and the cgroup mount read-write;
//  5. with --init, the init binary is bind-mounted read-only last.
func buildMounts(o Options) ([]specs.Mount, string, error) {
	rootPropagation := defaultPropagation
	var user []specs.Mount
	seen := make(map[string]bool)

	for _, b := range o.Binds {
		m, prop, err := parseBind(b)
		if err != nil {
			return nil, "", err
		}
		if err := checkDestination(m); err != nil {
			return nil, "", err
		}
		if seen[m.Destination] {
			return nil, "", fmt.Errorf("Duplicate mount point: %s", m.Destination)
		}
		seen[m.Destination] = true
		user = append(user, m)
		rootPropagation = rootPropagationFor(prop, rootPropagation)
	}

	var tmpfs []specs.Mount
	for _, t := range o.Tmpfs {
		m, err := parseTmpfs(t)
		if err != nil {
			return nil, "", err
		}
		if err := checkDestination(m); err != nil {
			return nil, "", err
		}
		if seen[m.Destination] && !slices.ContainsFunc(tmpfs, sameDestination(m)) {
			return nil, "", fmt.Errorf("Duplicate mount point: %s", m.Destination)
		}
		seen[m.Destination] = true
		// Like Docker's map of --tmpfs values, a later one for the same
		// destination replaces the earlier.
		if i := slices.IndexFunc(tmpfs, sameDestination(m)); i >= 0 {
			tmpfs[i] = m
			continue
		}
		tmpfs = append(tmpfs, m)
	}

	var network []specs.Mount
	for _, f := range []struct{ src, dst string }{
		{o.ResolvConfPath, "/etc/resolv.conf"},
		{o.HostnamePath, "/etc/hostname"},
		{o.HostsPath, "/etc/hosts"},
	} {
		if f.src == "" || seen[f.dst] {
			continue
		}
		if !path.IsAbs(f.src) {
			return nil, "", fmt.Errorf("the file for %s must be an absolute path, not %q", f.dst, f.src)
		}
		opts := []string{"rbind"}
		if o.ReadOnly {
			opts = append(opts, "ro")
		}
		opts = append(opts, defaultPropagation)
		network = append(network, specs.Mount{Destination: f.dst, Type: "bind", Source: f.src, Options: opts})
		seen[f.dst] = true
	}

	extra := slices.Concat(network, user, tmpfs)
	sort.SliceStable(extra, func(i, j int) bool {
		return depth(extra[i].Destination) < depth(extra[j].Destination)
	})

	var mounts []specs.Mount
	for _, m := range defaultMounts() {
		if seen[m.Destination] || (seen["/dev"] && strings.HasPrefix(m.Destination, "/dev/")) {
			continue
		}
		if m.Destination == "/dev/shm" {
			var keep bool
			if m, keep = shmMount(o, m); !keep {
				continue
			}
		}
		if o.ReadOnly && !keepsWritable(m.Destination) && !slices.Contains(m.Options, "ro") {
			m.Options = append(m.Options, "ro")
		}
		if o.Privileged && (m.Destination == "/sys" || m.Type == "cgroup") {
			m.Options = slices.DeleteFunc(m.Options, func(opt string) bool { return opt == "ro" })
		}
		mounts = append(mounts, m)
	}
	mounts = append(mounts, extra...)

	if o.Init {
		if o.InitPath == "" || !path.IsAbs(o.InitPath) {
			return nil, "", fmt.Errorf("--init needs the absolute path of an init binary, not %q", o.InitPath)
		}
		mounts = append(mounts, specs.Mount{
			Destination: InitMountPath,
			Type:        "bind",
			Source:      o.InitPath,
			Options:     []string{"bind", "ro"},
		})
	}
	return mounts, rootPropagation, nil
}

// procMountsAllowed are the files under /proc a user mount may cover: those lxcfs emulates
// (runc's list). Anything else under /proc could hide or replace what the kernel says there,
// /proc/sys and its read-only remount among them.
var procMountsAllowed = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
	"/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/pressure/cpu", "/proc/pressure/io",
	"/proc/pressure/memory", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
}

// checkDestination refuses a user mount (-v, --tmpfs) over /proc or inside it, or over
// /sys/fs/cgroup or inside it, as runc refuses them: they would hide or undo the masks and
// read-only mounts of the container's /proc and cgroup file system. Over /proc and
// /sys/fs/cgroup themselves a bind of the host's own (runc checks the source's file system
// type; this pure check goes by its path) is what the user asked for and stays allowed.
// m.Destination and m.Source are clean.
func checkDestination(m specs.Mount) error {
	dst := m.Destination
	bindOf := func(src string) bool { return m.Type == "bind" && m.Source == src }
	switch {
	case dst == "/proc" && !bindOf("/proc"):
		return fmt.Errorf("mount destination %q cannot be mounted because it is not of type proc", dst)
	case strings.HasPrefix(dst, "/proc/") && !slices.Contains(procMountsAllowed, dst):
		return fmt.Errorf("mount destination %q cannot be mounted because it is inside /proc", dst)
	case dst == "/sys/fs/cgroup" && !bindOf("/sys/fs/cgroup"):
		return fmt.Errorf("mount destination %q cannot be mounted because it is not of type cgroup", dst)
	case strings.HasPrefix(dst, "/sys/fs/cgroup/"):
		return fmt.Errorf("mount destination %q cannot be mounted because it is inside /sys/fs/cgroup", dst)
	}
	return nil
}

// keepsWritable lists the default mounts that --read-only leaves alone.
func keepsWritable(dst string) bool {
	switch dst {
	case "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue":
		return true
	}
	return false
}

func sameDestination(m specs.Mount) func(specs.Mount) bool {
	return func(n specs.Mount) bool { return n.Destination == m.Destination }
}

// depth counts the separators of a clean absolute path: "/a" 1, "/a/b" 2.
func depth(p string) int { return strings.Count(path.Clean(p), "/") }

// rootPropagationFor raises the root's propagation so that a shared or
// slave bind can work, as Docker does: shared wins over slave.
func rootPropagationFor(bind, root string) string {
	switch bind {
	case "shared", "rshared":
		return "shared"
	case "slave", "rslave":
		if root != "shared" && root != "rshared" {
			return "rslave"
		}
	}
	return root
}

// parseBind parses "/host:/ctr[:mode]" where mode is a comma-separated
// list of at most one of ro/rw, one propagation mode and one SELinux label
// mode (z/Z, accepted and ignored). It returns the mount and its
// propagation.
func parseBind(spec string) (specs.Mount, string, error) {
	invalid := fmt.Errorf("invalid volume specification: '%s'", spec)
	parts := strings.Split(spec, ":")
	if len(parts) != 2 && len(parts) != 3 {
		return specs.Mount{}, "", invalid
	}
	src, dst := parts[0], parts[1]
	if src == "" || dst == "" || !path.IsAbs(src) {
		return specs.Mount{}, "", invalid
	}
	if !path.IsAbs(dst) {
		return specs.Mount{}, "", fmt.Errorf("invalid volume specification: '%s': invalid mount config for type \"bind\": invalid mount path: '%s' mount path must be absolute", spec, dst)
	}
	dst = path.Clean(dst)
	if dst == "/" {
		return specs.Mount{}, "", fmt.Errorf("invalid volume specification: '%s': invalid mount config for type \"bind\": invalid specification: destination can't be '/'", spec)
	}

	readOnly := false
	propagation := ""
	label := ""
	if len(parts) == 3 {
		access := ""
		for _, mode := range strings.Split(parts[2], ",") {
			switch {
			case mode == "ro" || mode == "rw":
				if access != "" {
					return specs.Mount{}, "", fmt.Errorf("invalid mode: %s", parts[2])
				}
				access = mode
			case slices.Contains(propagationModes, mode):
				if propagation != "" {
					return specs.Mount{}, "", fmt.Errorf("invalid mode: %s", parts[2])
				}
				propagation = mode
			case mode == "z" || mode == "Z":
				if label != "" {
					return specs.Mount{}, "", fmt.Errorf("invalid mode: %s", parts[2])
				}
				label = mode
			default:
				return specs.Mount{}, "", fmt.Errorf("invalid mode: %s", parts[2])
			}
		}
		readOnly = access == "ro"
	}
	if propagation == "" {
		propagation = defaultPropagation
	}

	opts := []string{"rbind"}
	if readOnly {
		opts = append(opts, "ro")
	}
	opts = append(opts, propagation)
	return specs.Mount{Destination: dst, Type: "bind", Source: path.Clean(src), Options: opts}, propagation, nil
}

// parseTmpfs parses "/ctr[:opt,opt...]" into a tmpfs mount whose options
// are Docker's defaults (noexec, nosuid, nodev, rprivate) overridden by the
// user's: "exec" replaces "noexec", a later "size=" replaces an earlier one.
func parseTmpfs(spec string) (specs.Mount, error) {
	dst, data, _ := strings.Cut(spec, ":")
	if !path.IsAbs(dst) {
		return specs.Mount{}, fmt.Errorf("invalid mount path: '%s' mount path must be absolute", dst)
	}
	dst = path.Clean(dst)
	if dst == "/" {
		return specs.Mount{}, fmt.Errorf("invalid specification: destination can't be '/'")
	}
	opts := []string{"noexec", "nosuid", "nodev", defaultPropagation}
	if data != "" {
		opts = append(opts, strings.Split(data, ",")...)
	}
	merged, err := mergeTmpfsOptions(opts)
	if err != nil {
		return specs.Mount{}, fmt.Errorf("--tmpfs %s: %w", spec, err)
	}
	return specs.Mount{Destination: dst, Type: "tmpfs", Source: "tmpfs", Options: merged}, nil
}

// tmpfsFlagGroup maps each mount flag accepted by --tmpfs to the group of
// flags it excludes: of "exec" and "noexec" only the last one given counts.
var tmpfsFlagGroup = map[string]string{
	"ro":            "ro",
	"rw":            "ro",
	"suid":          "suid",
	"nosuid":        "suid",
	"dev":           "dev",
	"nodev":         "dev",
	"exec":          "exec",
	"noexec":        "exec",
	"sync":          "sync",
	"async":         "sync",
	"dirsync":       "dirsync",
	"mand":          "mand",
	"nomand":        "mand",
	"atime":         "atime",
	"noatime":       "atime",
	"diratime":      "diratime",
	"nodiratime":    "diratime",
	"relatime":      "relatime",
	"norelatime":    "relatime",
	"strictatime":   "strictatime",
	"nostrictatime": "strictatime",
	"private":       "propagation",
	"rprivate":      "propagation",
	"shared":        "propagation",
	"rshared":       "propagation",
	"slave":         "propagation",
	"rslave":        "propagation",
	"unbindable":    "propagation",
	"runbindable":   "propagation",
}

// tmpfsData are the key=value options tmpfs understands.
var tmpfsData = []string{"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"}

// mergeTmpfsOptions keeps, for each flag group and each data key, only the
// last option given, in the order of those last occurrences (as moby's
// MergeTmpfsOptions does). "defaults" is dropped.
func mergeTmpfsOptions(opts []string) ([]string, error) {
	var out []string
	taken := make(map[string]bool)
	for i := len(opts) - 1; i >= 0; i-- {
		opt := opts[i]
		if opt == "defaults" {
			continue
		}
		key, ok := tmpfsFlagGroup[opt]
		if !ok {
			k, _, hasValue := strings.Cut(opt, "=")
			if !hasValue || !slices.Contains(tmpfsData, k) {
				return nil, fmt.Errorf("invalid tmpfs option %q", opt)
			}
			key = "data:" + k
		}
		if taken[key] {
			continue
		}
		taken[key] = true
		out = append(out, opt)
	}
	slices.Reverse(out)
	return out, nil
}
