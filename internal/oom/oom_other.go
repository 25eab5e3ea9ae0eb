//go:build !linux

package oom

// Watch does nothing where there are no cgroups.
func Watch(cg Cgroup, onOOM func()) (stop func()) { return func() {} }

// Killed is false where there are no cgroups.
func Killed(cg Cgroup) (bool, error) { return false, nil }

// Count is 0 where there are no cgroups.
func Count(cg Cgroup) (uint64, error) { return 0, nil }
