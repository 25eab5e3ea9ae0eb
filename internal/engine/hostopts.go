package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/cgroups"
	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/spec"
)

// cgroupSupport is what the host's cgroups can apply of the optional settings.
type cgroupSupport struct {
	mode           cgroups.Mode
	blkioWeight    bool // blkio.weight (v1) or the io controller (v2)
	oomKillDisable bool // memory.oom_control (v1 only)
}

// hostCgroupSupport looks at the host's cgroup file system.
func hostCgroupSupport() cgroupSupport {
	mode, _ := cgroups.Detect()
	s := cgroupSupport{mode: mode}
	root := cgroups.DefaultRoot
	switch mode {
	case cgroups.Legacy, cgroups.Hybrid:
		s.blkioWeight = fileExists(filepath.Join(root, "blkio", "blkio.weight")) || fileExists(filepath.Join(root, "blkio", "blkio.bfq.weight"))
		s.oomKillDisable = fileExists(filepath.Join(root, "memory", "memory.oom_control"))
	case cgroups.Unified:
		b, _ := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
		s.blkioWeight = strings.Contains(" "+strings.TrimSpace(string(b))+" ", " io ")
	}
	return s
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// adaptResources drops what the host cannot apply, with Docker's warnings, and returns the
// OomKillDisable that inspect shows (nil where the kernel cannot disable the OOM killer).
func adaptResources(sup cgroupSupport, r *spec.Resources) (oomKillDisable *bool, warnings []string) {
	if r.BlkioWeight > 0 && !sup.blkioWeight {
		warnings = append(warnings, "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.")
		r.BlkioWeight = 0
	}
	if !sup.oomKillDisable {
		if r.OomKillDisable {
			warnings = append(warnings, "Your kernel does not support OomKillDisable. OomKillDisable discarded.")
		}
		r.OomKillDisable = false
		return nil, warnings
	}
	if r.OomKillDisable && r.Memory == 0 {
		warnings = append(warnings, "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.")
	}
	v := r.OomKillDisable
	return &v, warnings
}

// defaultCgroupnsMode is Docker's default --cgroupns: private on cgroup v2, host on v1.
func defaultCgroupnsMode(mode cgroups.Mode) string {
	if mode == cgroups.Unified {
		return spec.ModePrivate
	}
	return spec.ModeHost
}

// resolveNamespaceModes checks --pid, --ipc, --uts and --cgroupns, fills in Docker's
// defaults, and turns "container:NAME" into "container:ID" of a running container.
func (e *Engine) resolveNamespaceModes(so *spec.Options, mode cgroups.Mode) error {
	if err := spec.CheckPidMode(so.PidMode); err != nil {
		return errdefs.InvalidArgument(err)
	}
	if err := spec.CheckIpcMode(so.IpcMode); err != nil {
		return errdefs.InvalidArgument(err)
	}
	if err := spec.CheckUTSMode(so.UTSMode); err != nil {
		return errdefs.InvalidArgument(err)
	}
	if err := spec.CheckCgroupnsMode(so.CgroupnsMode); err != nil {
		return errdefs.InvalidArgument(err)
	}
	if so.IpcMode == "" {
		so.IpcMode = spec.ModePrivate
	}
	if so.CgroupnsMode == "" {
		so.CgroupnsMode = defaultCgroupnsMode(mode)
	}
	var err error
	if so.PidMode, err = e.namespaceContainer(so.PidMode, false); err != nil {
		return err
	}
	so.IpcMode, err = e.namespaceContainer(so.IpcMode, true)
	return err
}

// namespaceContainer resolves a "container:NAME" mode to "container:ID"; the container must
// be running, and for IPC shareable (Docker's words). Other modes are returned as they are.
func (e *Engine) namespaceContainer(m string, ipc bool) (string, error) {
	ref, ok := strings.CutPrefix(m, spec.ContainerPrefix)
	if !ok {
		return m, nil
	}
	c, err := e.Container(ref)
	if err != nil {
		return "", err
	}
	if !c.State.Running {
		return "", errdefs.Conflict(fmt.Errorf("container %s is not running", ref))
	}
	if ipc && c.HostConfig.IpcMode != spec.ModeShareable && c.HostConfig.IpcMode != spec.ModeHost {
		return "", errdefs.InvalidArgument(fmt.Errorf("container %s: non-shareable IPC (hint: use IpcMode:shareable for the donor container)", ref))
	}
	return spec.ContainerPrefix + c.ID, nil
}

// joinNamespaces points the spec's PID and IPC namespaces of "container:ID" modes at those
// of the other container, which must run. (The other container's /dev/shm is a mount of
// its own mount namespace, which cannot be bound from here: the joiner keeps its own.)
func (e *Engine) joinNamespaces(cs *container.Store, c *container.Container, s *specs.Spec) error {
	join := func(m string, t specs.LinuxNamespaceType, what string) (int, error) {
		id, ok := strings.CutPrefix(m, spec.ContainerPrefix)
		if !ok {
			return 0, nil
		}
		oc, err := cs.Get(id)
		if err != nil {
			return 0, fmt.Errorf("joining the %s namespace of container %s: %w", what, id, err)
		}
		rs, ok := cs.ReadRunState(oc.ID)
		if !oc.State.Running || !ok || rs.Pid == 0 {
			return 0, errdefs.Conflict(fmt.Errorf("container %s is not running", id))
		}
		if oc.HostConfig.IpcMode == spec.ModeHost && t == specs.IPCNamespace {
			// The donor shares the host's: so does this one.
			s.Linux.Namespaces = removeNamespace(s.Linux.Namespaces, t)
			return rs.Pid, nil
		}
		setNamespacePath(s, t, fmt.Sprintf("/proc/%d/ns/%s", rs.Pid, nsFile[t]))
		return rs.Pid, nil
	}
	if _, err := join(c.HostConfig.PidMode, specs.PIDNamespace, "PID"); err != nil {
		return err
	}
	_, err := join(c.HostConfig.IpcMode, specs.IPCNamespace, "IPC")
	return err
}

var nsFile = map[specs.LinuxNamespaceType]string{specs.PIDNamespace: "pid", specs.IPCNamespace: "ipc"}

func setNamespacePath(s *specs.Spec, t specs.LinuxNamespaceType, path string) {
	for i, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			s.Linux.Namespaces[i].Path = path
			return
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t, Path: path})
}

func removeNamespace(l []specs.LinuxNamespace, t specs.LinuxNamespaceType) []specs.LinuxNamespace {
	out := l[:0]
	for _, ns := range l {
		if ns.Type != t {
			out = append(out, ns)
		}
	}
	return out
}

// resolveGroupAdd turns --group-add values into group ids: a name is looked up in the
// image's /etc/group (the topmost layer that has it), a number is taken as it is when no
// group has it as its name. Docker's words when a name is not found.
func resolveGroupAdd(lowerDirs []string, groups []string) ([]uint32, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	entries, err := readImageGroups(lowerDirs)
	if err != nil {
		return nil, err
	}
	var out []uint32
	for _, g := range groups {
		gid, found := entries[g]
		if !found {
			n, err := strconv.ParseUint(g, 10, 32)
			if err != nil || n > 1<<31-1 {
				return nil, errdefs.InvalidArgument(fmt.Errorf("Unable to find group %s: no matching entries in group file", g))
			}
			gid = uint32(n)
		}
		out = append(out, gid)
	}
	return out, nil
}

// readImageGroups reads the group names of the image's /etc/group: from the topmost layer
// that has the file (or a whiteout of it). A file that is not a regular one (a symlink an
// image may plant) counts as none.
func readImageGroups(lowerDirs []string) (map[string]uint32, error) {
	for _, dir := range lowerDirs {
		etc := filepath.Join(dir, "etc")
		if fileExists(filepath.Join(etc, ".wh.group")) || fileExists(filepath.Join(etc, ".wh..wh..opq")) {
			return map[string]uint32{}, nil
		}
		st, err := os.Lstat(filepath.Join(etc, "group"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil || !st.Mode().IsRegular() {
			return map[string]uint32{}, nil
		}
		if est, err := os.Lstat(etc); err != nil || !est.IsDir() {
			return map[string]uint32{}, nil
		}
		f, err := os.Open(filepath.Join(etc, "group"))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return parseGroupNames(io.LimitReader(f, 16<<20)), nil
	}
	return map[string]uint32{}, nil
}

// parseGroupNames reads "name:x:gid:members" lines; bad lines are skipped.
func parseGroupNames(r io.Reader) map[string]uint32 {
	out := map[string]uint32{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "#") {
			continue
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			continue
		}
		if _, dup := out[f[0]]; !dup {
			out[f[0]] = uint32(gid)
		}
	}
	return out
}

// hostConfigUlimits are the --ulimit values as inspect shows them: [] when none.
func hostConfigUlimits(l []spec.Ulimit) []container.Ulimit {
	out := []container.Ulimit{}
	for _, u := range l {
		out = append(out, container.Ulimit(u))
	}
	return out
}

// warn passes each warning to the caller's function, when it gave one.
func warn(f func(string), warnings []string) {
	if f == nil {
		return
	}
	for _, w := range warnings {
		f(w)
	}
}
