//go:build !linux

package cgroups

import "fmt"

// Detect reports Unavailable: cgroups exist only on Linux.
func Detect() (Mode, error) { return Unavailable, nil }

// New fails: cgroups exist only on Linux.
func New(mode Mode, name string, opts Opts) (Manager, error) {
	if _, _, err := resolve(name, opts); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("cgroup manager for %q: %w (not Linux)", name, ErrUnavailable)
}

// Placement describes nothing: cgroups exist only on Linux.
func Placement(m Manager) (procs []string, memory string, v2 bool) { return nil, "", false }
