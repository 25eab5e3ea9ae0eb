//go:build !linux

package monitor

func watchOOM(cg Cgroup, onOOM func()) (stop func()) { return func() {} }

func oomKilled(cg Cgroup) (bool, error) { return false, nil }
