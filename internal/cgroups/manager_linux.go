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
