package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v2Controllers are enabled for containers when the root offers them.
var v2Controllers = []string{"cpuset", "cpu", "io", "memory", "pids"}

// v2 manages a container's cgroup on cgroup v2: root/<parent>/<name>.
type v2 struct {
	root, parent, name string
	sys                sys
}

func (m *v2) Path() string { return "/" + m.parent + "/" + m.name }

func (m *v2) dir() string { return filepath.Join(m.root, m.parent, m.name) }

func (m *v2) Create(res *specs.LinuxResources) (err error) {
	settings, err := Describe(Unified, res)
	if err != nil {
		return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
	}
	available, err := readFile(m.root, "cgroup.controllers")
	if err != nil {
		return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
	}
	offered := strings.Fields(available)
	for _, s := range settings {
		if !slices.Contains(offered, s.Controller) {
			return fmt.Errorf("creating cgroup %s: setting %s needs the %s controller, which %s does not offer (cgroup.controllers: %q)",
				m.Path(), s.File, s.Controller, m.root, available)
		}
	}
	var enable []string
	for _, c := range v2Controllers {
		if slices.Contains(offered, c) {
			enable = append(enable, c)
		}
	}

	// A controller reaches a cgroup only when every ancestor enables it in
	// cgroup.subtree_control: the root for the parent, the parent for us.
	if err := mkdirParents(m.root, m.parent, false); err != nil {
		return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
	}
	levels := []string{m.root}
	for dir, rest := m.root, m.parent; rest != "" && rest != "."; {
		var elem string
		elem, rest, _ = strings.Cut(rest, "/")
		dir = filepath.Join(dir, elem)
		levels = append(levels, dir)
	}
	for _, d := range levels {
		if err := enableControllers(d, enable); err != nil {
			return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
		}
	}
	isNew, err := mkdir(m.dir())
	if err != nil {
		return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
	}
	defer func() {
		if err != nil && isNew { // leave nothing half made
			_ = m.sys.rmdir(m.dir())
		}
	}()
	for _, s := range settings {
		if s.Optional && !exists(filepath.Join(m.dir(), s.File)) {
			continue
		}
		if err := writeFile(m.dir(), s.File, s.Value); err != nil {
			return fmt.Errorf("setting limits of cgroup %s: %w", m.Path(), err)
		}
	}
	// Device rules are an eBPF program on v2: set before any process joins.
	if res != nil && len(res.Devices) > 0 {
		f, err := NewDeviceFilter(res.Devices)
		if err != nil {
			return fmt.Errorf("creating cgroup %s: %w", m.Path(), err)
		}
		if err := m.sys.devices(m.dir(), f); err != nil {
			return fmt.Errorf("setting the device rules of cgroup %s: %w", m.Path(), err)
		}
	}
	return nil
}

// enableControllers writes "+c1 +c2" to dir/cgroup.subtree_control for the
// controllers not yet enabled there, in one write.
func enableControllers(dir string, ctrls []string) error {
	current, err := readFile(dir, "cgroup.subtree_control")
	if err != nil {
		return err
	}
	enabled := strings.Fields(current)
	var add []string
	for _, c := range ctrls {
		if !slices.Contains(enabled, c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	return writeFile(dir, "cgroup.subtree_control", strings.Join(add, " "))
}

func (m *v2) Add(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("adding pid %d to cgroup %s: not a process id", pid, m.Path())
	}
	if err := writeFile(m.dir(), "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("adding pid %d to cgroup %s: %w", pid, m.Path(), err)
	}
	return nil
}

// OOMKilled reads the oom_kill counter of memory.events.
func (m *v2) OOMKilled() (bool, error) {
	n, _, err := readKey(m.dir(), "memory.events", "oom_kill")
	if err != nil {
		return false, fmt.Errorf("reading OOM kills of cgroup %s: %w", m.Path(), err)
	}
	return n > 0, nil
}

func (m *v2) Stats() (Stats, error) {
	var st Stats
	dir := m.dir()
	wrap := func(err error) error { return fmt.Errorf("reading stats of cgroup %s: %w", m.Path(), err) }
	usec, _, err := readKey(dir, "cpu.stat", "usage_usec")
	if err != nil {
		return Stats{}, wrap(err)
	}
	st.CPUUsage = usec * 1000
	if st.MemoryUsage, err = readUint(dir, "memory.current"); err != nil {
		return Stats{}, wrap(err)
	}
	if st.MemoryLimit, err = readUint(dir, "memory.max"); err != nil {
		return Stats{}, wrap(err)
	}
	if st.MemoryInactiveFile, _, err = readKey(dir, "memory.stat", "inactive_file"); err != nil {
		return Stats{}, wrap(err)
	}
	st.Pids, err = readUint(dir, "pids.current")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Stats{}, wrap(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "io.stat")); err == nil {
		st.BlockRead, st.BlockWrite = parseIOStat(string(b))
	}
	return st, nil
}

func (m *v2) Procs() ([]int, error) {
	pids, err := readProcs(m.dir())
	if err != nil {
		return nil, fmt.Errorf("listing processes of cgroup %s: %w", m.Path(), err)
	}
	return pids, nil
}

// Kill writes cgroup.kill (Linux 5.14+), which kills every task at once, forks
// in flight included. Older kernels get freeze (Linux 5.2+), SIGKILL each, thaw.
func (m *v2) Kill() error {
	return m.kill(exists(filepath.Join(m.dir(), "cgroup.kill")))
}

func (m *v2) kill(useKillFile bool) error {
	dir := m.dir()
	if useKillFile {
		return m.sys.killAll(killer{dir: dir, round: func([]int) error {
			return writeFile(dir, "cgroup.kill", "1")
		}})
	}
	k := killer{dir: dir, round: m.sys.killEach}
	k.freeze, k.thaw = m.freezer()
	return m.sys.killAll(k)
}

// freezer returns what freezes and thaws the cgroup, or nils when the
// kernel has no freezer.
func (m *v2) freezer() (freeze, thaw func() error) {
	dir := m.dir()
	if !exists(filepath.Join(dir, "cgroup.freeze")) {
		return nil, nil
	}
	freeze = func() error {
		if err := writeFile(dir, "cgroup.freeze", "1"); err != nil {
			return err
		}
		return await(m.sys.timeout/5, "cgroup "+dir+" to freeze", func() (bool, error) {
			frozen, _, err := readKey(dir, "cgroup.events", "frozen")
			return frozen == 1, err
		})
	}
	thaw = func() error { return writeFile(dir, "cgroup.freeze", "0") }
	return freeze, thaw
}

func (m *v2) Frozen() (bool, error) {
	dir := m.dir()
	if !exists(filepath.Join(dir, "cgroup.freeze")) {
		return false, ErrNoFreezer
	}
	s, err := readFile(dir, "cgroup.freeze")
	return s == "1", err
}

func (m *v2) Freeze() error {
	freeze, _ := m.freezer()
	if freeze == nil {
		return ErrNoFreezer
	}
	return freeze()
}

func (m *v2) Thaw() error {
	_, thaw := m.freezer()
	if thaw == nil {
		return ErrNoFreezer
	}
	if err := thaw(); err != nil {
		return err
	}
	// A thawed cgroup runs again once cgroup.events says so (it stays frozen while an
	// ancestor is).
	dir := m.dir()
	return await(m.sys.timeout/5, "cgroup "+dir+" to thaw", func() (bool, error) {
		frozen, _, err := readKey(dir, "cgroup.events", "frozen")
		return frozen == 0, err
	})
}

// Destroy removes the container's directory; the parent stays for others.
func (m *v2) Destroy() error {
	return m.sys.remove(m.dir())
}
