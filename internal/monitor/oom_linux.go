package monitor

import (
	"sync"

	"github.com/geedocker/geedocker/internal/oom"
)

// watchOOM calls onOOM (once) as soon as the kernel OOM-kills a process of the cgroup (see
// package oom). The returned function ends the watch. Without a memory controller, or when
// the watch cannot be set up, nothing is watched: the exit still reads the counter.
func watchOOM(cg Cgroup, onOOM func()) (stop func()) {
	var once sync.Once
	return oom.Watch(oom.Cgroup{Dir: cg.Memory, V2: cg.V2}, func() { once.Do(onOOM) })
}

// oomKilled reads the cgroup's oom_kill counter.
func oomKilled(cg Cgroup) (bool, error) {
	return oom.Killed(oom.Cgroup{Dir: cg.Memory, V2: cg.V2})
}
