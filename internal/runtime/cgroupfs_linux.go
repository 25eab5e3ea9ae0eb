package runtime

import (
	"bufio"
	"fmt"
	"github.com/moby/sys/mountinfo"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// A mount of type "cgroup" in the spec asks for the container's view of /sys/fs/cgroup. The
// runtime builds it from bind mounts of the host's cgroup directories of the container (the
// ones the init was put into), so it works the same with or without a cgroup namespace, on
// cgroup v1, hybrid and v2 hosts:
//
//	v2:     /sys/fs/cgroup           <- bind of <host cgroup2 mount>/<container's path>
//	v1:     /sys/fs/cgroup           <- tmpfs
//	        /sys/fs/cgroup/memory    <- bind of <host memory mount>/<container's path>, and so on
//	        /sys/fs/cgroup/cpu       -> symlinks copied from the host (cpu -> cpu,cpuacct)

// cgroupInfo is what the init learns about its cgroups before it unshares the cgroup namespace.
type cgroupInfo struct {
	mounts []cgroupMount
}

// cgroupMount is one host cgroup hierarchy and the container's directory in it.
type cgroupMount struct {
	name    string // directory name under /sys/fs/cgroup ("" when the mount is /sys/fs/cgroup itself)
	hostDir string // the container's cgroup directory on the host
}

type mountInfoLine struct {
	root, mountPoint, fsType string
	superOptions             []string
}

// parseMountInfo reads /proc/<pid>/mountinfo.
func parseMountInfo(r io.Reader) ([]mountInfoLine, error) {
	mounts, err := mountinfo.GetMountsFromReader(r, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing mountinfo: %w", err)
	}
	out := make([]mountInfoLine, 0, len(mounts))
	for _, m := range mounts {
		out = append(out, mountInfoLine{
			root: m.Root, mountPoint: m.Mountpoint, fsType: m.FSType,
			superOptions: strings.Split(m.VFSOptions, ","),
		})
	}
	return out, nil
}

type procCgroupLine struct {
	controllers []string // empty for the v2 hierarchy
	path        string
}

// parseProcCgroup reads /proc/<pid>/cgroup: "id:controller,controller:/path".
func parseProcCgroup(r io.Reader) ([]procCgroupLine, error) {
	var out []procCgroupLine
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.SplitN(s.Text(), ":", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("malformed cgroup line %q", s.Text())
		}
		l := procCgroupLine{path: f[2]}
		if f[1] != "" {
			l.controllers = strings.Split(f[1], ",")
		}
		out = append(out, l)
	}
	return out, s.Err()
}

// planCgroupMounts matches the host's cgroup mounts under /sys/fs/cgroup with the process's
// cgroups and says which host directory goes where.
func planCgroupMounts(mounts []mountInfoLine, cgroups []procCgroupLine) ([]cgroupMount, error) {
	const base = "/sys/fs/cgroup"
	var out []cgroupMount
	for _, m := range mounts {
		if m.fsType != "cgroup" && m.fsType != "cgroup2" {
			continue
		}
		var name string
		switch {
		case m.mountPoint == base:
		case path.Dir(m.mountPoint) == base:
			name = path.Base(m.mountPoint)
		default:
			continue
		}
		for _, c := range cgroups {
			if m.fsType == "cgroup2" && len(c.controllers) != 0 {
				continue
			}
			if m.fsType == "cgroup" && (len(c.controllers) == 0 || !containsAll(m.superOptions, c.controllers)) {
				continue
			}
			rel, ok := strings.CutPrefix(c.path, m.root)
			if !ok || (rel != "" && !strings.HasPrefix(rel, "/") && m.root != "/") {
				return nil, fmt.Errorf("cgroup %s is not below the root %s of its mount %s", c.path, m.root, m.mountPoint)
			}
			out = append(out, cgroupMount{name: name, hostDir: path.Join(m.mountPoint, rel)})
			break
		}
	}
	return out, nil
}

func containsAll(set, items []string) bool {
	for _, it := range items {
		if !slices.Contains(set, it) {
			return false
		}
	}
	return true
}

// readCgroupInfo learns the host directories of the process's cgroups.
func readCgroupInfo() (*cgroupInfo, error) {
	mi, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer mi.Close()
	mounts, err := parseMountInfo(mi)
	if err != nil {
		return nil, err
	}
	cg, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer cg.Close()
	lines, err := parseProcCgroup(cg)
	if err != nil {
		return nil, err
	}
	plan, err := planCgroupMounts(mounts, lines)
	if err != nil {
		return nil, err
	}
	return &cgroupInfo{mounts: plan}, nil
}

// mountCgroups builds the container's /sys/fs/cgroup at dest.
func (r root) mountCgroups(dest string, o mountOpts, cg *cgroupInfo) error {
	if cg == nil || len(cg.mounts) == 0 {
		return fmt.Errorf("mounting cgroups on %s: no cgroup file system found on the host", dest)
	}
	fd, err := r.mkdirAll(dest, 0)
	if err != nil {
		return fmt.Errorf("making mount target: %w", err)
	}
	defer unix.Close(fd)
	bindRO := func(host, target string, tfd int) error {
		if err := unix.Mount(host, fdPath(tfd), "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind mounting %s on %s: %w", host, target, err)
		}
		return r.remount(target, unix.MS_BIND|unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC|(o.flags&unix.MS_RDONLY), false)
	}
	if len(cg.mounts) == 1 && cg.mounts[0].name == "" {
		return bindRO(cg.mounts[0].hostDir, dest, fd)
	}
	if err := unix.Mount("tmpfs", fdPath(fd), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=755"); err != nil {
		return fmt.Errorf("mounting tmpfs on %s: %w", dest, err)
	}
	for _, m := range cg.mounts {
		if m.name == "" {
			continue
		}
		target := dest + "/" + m.name
		tfd, err := r.mkdirAll(target, 0)
		if err != nil {
			return err
		}
		err = bindRO(m.hostDir, target, tfd)
		unix.Close(tfd)
		if err != nil {
			return err
		}
	}
	// The host's aliases (cpu -> cpu,cpuacct) point to directories the container has too.
	if entries, err := os.ReadDir("/sys/fs/cgroup"); err == nil {
		dfd, err := r.open(dest, unix.O_DIRECTORY)
		if err != nil {
			return err
		}
		defer unix.Close(dfd)
		for _, e := range entries {
			if e.Type()&os.ModeSymlink == 0 {
				continue
			}
			if target, err := os.Readlink("/sys/fs/cgroup/" + e.Name()); err == nil && !strings.Contains(target, "/") {
				_ = unix.Symlinkat(target, dfd, e.Name())
			}
		}
	}
	if o.flags&unix.MS_RDONLY != 0 {
		return r.remount(dest, unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, false)
	}
	return nil
}
