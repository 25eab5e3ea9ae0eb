package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v1Controllers are the hierarchies a container joins on v1, when mounted.
// cpuset comes first: tasks can only join a cpuset that has cpus and mems.
var v1Controllers = []string{"cpuset", "cpu", "cpuacct", "memory", "pids", "devices", "freezer", "blkio"}

// v1 manages a container's cgroup on cgroup v1: one directory per controller,
// root/<controller>/<parent>/<name>.
type v1 struct {
	root, parent, name string
	sys                sys
}

func (m *v1) Path() string { return "/" + m.parent + "/" + m.name }

// dir is the container's directory in the hierarchy of ctrl.
func (m *v1) dir(ctrl string) string { return filepath.Join(m.root, ctrl, m.parent, m.name) }

// mounted lists the controllers of v1Controllers whose hierarchy exists under root.
func (m *v1) mounted() []string {
	var out []string
	for _, c := range v1Controllers {
		if exists(filepath.Join(m.root, c)) {
			out = append(out, c)
		}
	}
	return out
}

func (m *v1) Create(res *specs.LinuxResources) (err error) {
	settings, err := Describe(Legacy, res)
	if err != nil {
		return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
	}
	ctrls := m.mounted()
	for _, s := range settings {
		if !slices.Contains(ctrls, s.Controller) {
			return fmt.Errorf("creating cgroup %s: setting %s needs the %s controller, not mounted at %s",
				m.Path(), s.File, s.Controller, filepath.Join(m.root, s.Controller))
		}
	}
	var created []string
	defer func() {
		if err != nil { // leave nothing half made; fails harmlessly if a process joined
			for _, d := range created {
				_ = m.sys.rmdir(d)
			}
		}
	}()
	for _, c := range ctrls {
		parent := filepath.Join(m.root, c, m.parent)
		if err := mkdirParents(filepath.Join(m.root, c), m.parent, c == "cpuset"); err != nil {
			return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
		}
		isNew, err := mkdir(m.dir(c))
		if err != nil {
			return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
		}
		if isNew {
			created = append(created, m.dir(c))
		}
		if c == "cpuset" { // root -> parent -> container
			if err := copyCpuset(filepath.Join(m.root, c), parent); err != nil {
				return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
			}
			if err := copyCpuset(parent, m.dir(c)); err != nil {
				return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
			}
		}
	}
	for _, s := range settings {
		dir := m.dir(s.Controller)
		if s.Optional && !exists(filepath.Join(dir, s.File)) {
			continue
		}
		if err := writeFile(dir, s.File, s.Value); err != nil {
			return fmt.Errorf("setting limits of cgroup %s: %w", m.Path(), err)
		}
	}
	return nil
}

// copyCpuset gives dir its parent's cpuset.cpus and cpuset.mems when they are
// empty, as a new v1 cpuset starts with none and then refuses every task.
func copyCpuset(parent, dir string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := readFile(dir, f)
		if err != nil {
			return err
		}
		if cur != "" {
			continue
		}
		v, err := readFile(parent, f)
		if err != nil {
			return err
		}
		if err := writeFile(dir, f, v); err != nil {
			return err
		}
	}
	return nil
}

func (m *v1) Add(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("adding pid %d to cgroup %s: not a process id", pid, m.Path())
	}
	for _, c := range m.mounted() {
		if err := writeFile(m.dir(c), "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("adding pid %d to cgroup %s: %w", pid, m.Path(), err)
		}
	}
	return nil
}

// OOMKilled reads the oom_kill counter of memory.oom_control (Linux 4.13+).
// Older kernels lack it; then a non-zero memory.failcnt (the limit was hit)
// is taken as the sign, which can report true for a cgroup that only reclaimed.
func (m *v1) OOMKilled() (bool, error) {
	dir := m.dir("memory")
	n, found, err := readKey(dir, "memory.oom_control", "oom_kill")
	if err != nil {
		return false, fmt.Errorf("reading OOM kills of cgroup %s: %w", m.Path(), err)
	}
	if !found {
		n, err = readUint(dir, "memory.failcnt")
		if err != nil {
			return false, fmt.Errorf("reading OOM kills of cgroup %s: %w", m.Path(), err)
		}
	}
	return n > 0, nil
}

// v1Unlimited is the smallest memory.limit_in_bytes taken as "no limit": the
// kernel shows no limit as the largest page-aligned int64 (9223372036854771712).
const v1Unlimited = 1 << 62

func (m *v1) Stats() (Stats, error) {
	var st Stats
	var err error
	wrap := func(err error) error { return fmt.Errorf("reading stats of cgroup %s: %w", m.Path(), err) }
	if st.CPUUsage, err = readUint(m.dir("cpuacct"), "cpuacct.usage"); err != nil {
		return Stats{}, wrap(err)
	}
	mem := m.dir("memory")
	if st.MemoryUsage, err = readUint(mem, "memory.usage_in_bytes"); err != nil {
		return Stats{}, wrap(err)
	}
	if st.MemoryLimit, err = readUint(mem, "memory.limit_in_bytes"); err != nil {
		return Stats{}, wrap(err)
	}
	if st.MemoryLimit >= v1Unlimited {
		st.MemoryLimit = 0
	}
	if st.MemoryInactiveFile, _, err = readKey(mem, "memory.stat", "total_inactive_file"); err != nil {
		return Stats{}, wrap(err)
	}
	st.Pids, err = readUint(m.dir("pids"), "pids.current")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Stats{}, wrap(err)
	}
	if b, err := os.ReadFile(filepath.Join(m.dir("blkio"), "blkio.throttle.io_service_bytes_recursive")); err == nil {
		st.BlockRead, st.BlockWrite = parseBlkioBytes(string(b))
	}
	return st, nil
}

// procsDir is where Procs and Kill read the pids: every controller holds the
// same ones, since Add writes them all.
func (m *v1) procsDir() string {
	if ctrls := m.mounted(); len(ctrls) > 0 {
		return m.dir(ctrls[0])
	}
	return m.dir("memory")
}

func (m *v1) Procs() ([]int, error) {
	pids, err := readProcs(m.procsDir())
	if err != nil {
		return nil, fmt.Errorf("listing processes of cgroup %s: %w", m.Path(), err)
	}
	return pids, nil
}

func (m *v1) Kill() error {
	k := killer{dir: m.procsDir(), round: m.sys.killEach}
	k.freeze, k.thaw = m.freezer()
	return m.sys.killAll(k)
}

// freezer returns what freezes and thaws the cgroup, or nils when the
// kernel has no freezer.
func (m *v1) freezer() (freeze, thaw func() error) {
	freezer := m.dir("freezer")
	if !exists(filepath.Join(freezer, "freezer.state")) {
		return nil, nil
	}
	freeze = func() error {
		if err := writeFile(freezer, "freezer.state", "FROZEN"); err != nil {
			return err
		}
		return await(m.sys.timeout/5, "cgroup "+freezer+" to freeze", func() (bool, error) {
			s, err := readFile(freezer, "freezer.state")
			if err == nil && s == "FREEZING" {
				// It may stay FREEZING while a task is busy: asking again helps it
				// along (as runc does).
				err = writeFile(freezer, "freezer.state", "FROZEN")
			}
			return s == "FROZEN", err
		})
	}
	// Thawing is immediate on v1: THAWED is read back at once.
	thaw = func() error { return writeFile(freezer, "freezer.state", "THAWED") }
	return freeze, thaw
}

func (m *v1) Frozen() (bool, error) {
	freezer := m.dir("freezer")
	if !exists(filepath.Join(freezer, "freezer.state")) {
		return false, ErrNoFreezer
	}
	s, err := readFile(freezer, "freezer.state")
	return s == "FROZEN" || s == "FREEZING", err
}

func (m *v1) Freeze() error {
	freeze, _ := m.freezer()
	if freeze == nil {
		return ErrNoFreezer
	}
	return freeze()
}

func (m *v1) Thaw() error {
	_, thaw := m.freezer()
	if thaw == nil {
		return ErrNoFreezer
	}
	return thaw()
}

func (m *v1) Destroy() error {
	dirs := make([]string, len(v1Controllers))
	for i, c := range v1Controllers {
		dirs[i] = m.dir(c)
	}
	return m.sys.remove(dirs...)
}
