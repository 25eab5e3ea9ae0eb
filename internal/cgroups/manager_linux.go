package cgroups

import (
	"fmt"
	"os"
)

// Detect tells the host's cgroup mode from /proc/self/mountinfo.
func Detect() (Mode, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return Unavailable, fmt.Errorf("detecting cgroup mode: %w", err)
	}
	defer f.Close()
	return ParseMountinfo(f, DefaultRoot)
}

// New returns the manager of the cgroup called name for a host in mode
// (Legacy and Hybrid get the v1 manager, Unified the v2 one). It touches
// nothing; Create makes the cgroup.
func New(mode Mode, name string, opts Opts) (Manager, error) {
	root, parent, err := resolve(name, opts)
	if err != nil {
		return nil, err
	}
	switch mode {
	case Legacy, Hybrid:
		return &v1{root: root, parent: parent, name: name, sys: hostSys()}, nil
	case Unified:
		return &v2{root: root, parent: parent, name: name, sys: hostSys()}, nil
	default:
		return nil, fmt.Errorf("cgroup manager for %q: %w", name, ErrUnavailable)
	}
}

// Placement describes where a manager's cgroup is, for a process that moves a PID into it
// and watches it without this package (the container's monitor): the directories whose
// cgroup.procs take the PID (one on v2, one per mounted controller on v1), the directory of
// the memory controller ("" when none), and whether it is v2.
func Placement(m Manager) (procs []string, memory string, unified bool) {
	switch m := m.(type) {
	case *v1:
		for _, c := range m.mounted() {
			procs = append(procs, m.dir(c))
			if c == "memory" {
				memory = m.dir(c)
			}
		}
		return procs, memory, false
	case *v2:
		return []string{m.dir()}, m.dir(), true
	}
	return nil, "", false
}
