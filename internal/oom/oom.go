// Package oom watches a cgroup for the kernel's OOM kills: on cgroup v2 through inotify on
// memory.events, on v1 through an eventfd registered for memory.oom_control. It depends on
// nothing but the system calls, so that a small long-lived process (the monitor) can use it
// without linking package cgroups (and its eBPF device programs); the OCI runtime's
// `events` uses it too.
//
// A Cgroup names the directory of a cgroup's memory controller. Watch calls a function each
// time the cgroup's oom_kill counter grows, until it is stopped; Killed reads the counter.
package oom

// Cgroup is the memory controller of a cgroup.
type Cgroup struct {
	// Dir is the directory of the memory controller ("" when none): the cgroup's directory
	// on v2, its directory in the memory hierarchy on v1.
	Dir string
	// V2 tells which files Dir has: memory.events (v2), or memory.oom_control (v1).
	V2 bool
}
