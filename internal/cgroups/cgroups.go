package cgroups

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Mode is the cgroup layout of the host.
type Mode int

const (
	// Unavailable means no usable cgroup filesystem is mounted.
	Unavailable Mode = iota
	// Legacy is cgroup v1 only: one hierarchy per controller under /sys/fs/cgroup.
	Legacy
	// Hybrid is cgroup v1 controllers plus a cgroup2 mount (usually
	// /sys/fs/cgroup/unified) that holds no resource controllers; it is
	// managed as v1 and containers do not join the cgroup2 tree.
	Hybrid
	// Unified is cgroup v2 mounted at /sys/fs/cgroup.
	Unified
)

// String returns the cgroup version as `docker info` shows it under
// "Cgroup Version": "1" for Legacy and Hybrid, "2" for Unified.
func (m Mode) String() string {
	switch m {
	case Legacy, Hybrid:
		return "1"
	case Unified:
		return "2"
	default:
		return "none"
	}
}

// DefaultRoot is where the cgroup filesystems are mounted.
const DefaultRoot = "/sys/fs/cgroup"

// DefaultParent is the cgroup under which every container's cgroup is made.
const DefaultParent = "geedocker"

// Opts configures a Manager. The zero value is the host's real layout.
type Opts struct {
	// Root is where the cgroup filesystem is mounted: DefaultRoot when empty.
	// On v1 it holds one directory per controller (cpu, memory, pids ...).
	Root string
	// Parent is the shared cgroup holding all containers: DefaultParent when empty.
	Parent string
}

// Stats is what `docker stats` shows about a container's cgroup.
type Stats struct {
	// CPUUsage is the CPU time consumed by the cgroup, in nanoseconds.
	CPUUsage uint64
	// MemoryUsage is the memory charged to the cgroup, page cache included.
	MemoryUsage uint64
	// MemoryInactiveFile is the inactive page cache; `docker stats` shows
	// MemoryUsage minus this.
	MemoryInactiveFile uint64
	// MemoryLimit is the memory limit in bytes; 0 when there is none.
	MemoryLimit uint64
	// Pids is the number of tasks in the cgroup; 0 when the pids
	// controller is not available.
	Pids uint64
	// BlockRead and BlockWrite are the bytes read from and written to block
	// devices; 0 when the io (blkio) controller is not available.
	BlockRead, BlockWrite uint64
}

// Manager creates, fills, watches and removes one container's cgroup.
// Its methods are safe to call from different processes of the engine,
// since all state lives in the cgroup filesystem.
// ErrNoFreezer says the kernel cannot freeze a cgroup.
var ErrNoFreezer = errors.New("the kernel has no cgroup freezer")

type Manager interface {
	// Create makes the container's cgroup and writes the limits. Idempotent.
	Create(res *specs.LinuxResources) error
	// Update writes new limits into the existing cgroup, as `docker update` changes a
	// running container: the resources Describe applies, but not the device rules, which
	// stay as Create wrote them. A memory limit below the current usage is refused.
	Update(res *specs.LinuxResources) error
	// Add moves the process pid into the cgroup (every controller on v1).
	Add(pid int) error
	// OOMKilled reports whether the kernel OOM-killed a process of the cgroup.
	OOMKilled() (bool, error)
	// Stats reads CPU, memory and pids usage.
	Stats() (Stats, error)
	// Procs lists the pids in the cgroup.
	Procs() ([]int, error)
	// Kill sends SIGKILL to every process in the cgroup and waits until it
	// is empty. It returns nil when the cgroup does not exist.
	Kill() error
	// Freeze stops every process of the cgroup and returns once all are
	// stopped (ErrNoFreezer when the kernel has no freezer); Thaw lets them
	// run again and returns once the kernel says so. Frozen tells whether the
	// cgroup is frozen or freezing. `pause`, `commit`, Kill and the OCI
	// runtime's pause and resume all freeze through these.
	Freeze() error
	Thaw() error
	Frozen() (bool, error)
	// Destroy removes the cgroup's directories. Idempotent: nil when gone.
	Destroy() error
	// Path is the cgroup's path from the hierarchy root, "/geedocker/<name>".
	Path() string
}

// ErrUnavailable is returned by New when the host has no usable cgroups.
var ErrUnavailable = errors.New("no usable cgroup filesystem")

// checkName accepts a cgroup directory name: a single path element made of
// letters, digits, '_', '.' and '-', not starting with '.', at most 255 bytes.
// Container names and IDs fit; nothing can climb out of the parent.
func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("cgroup %s is empty", what)
	}
	if len(name) > 255 {
		return fmt.Errorf("cgroup %s %q is longer than 255 bytes", what, name)
	}
	if name[0] == '.' {
		return fmt.Errorf("cgroup %s %q starts with '.'", what, name)
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == '-'
		if !ok {
			return fmt.Errorf("cgroup %s %q has the character %q; only letters, digits, '_', '.' and '-' are allowed", what, name, c)
		}
	}
	return nil
}

// resolve fills the defaults of opts and checks the names.
func resolve(name string, opts Opts) (root, parent string, err error) {
	root, parent = opts.Root, opts.Parent
	if root == "" {
		root = DefaultRoot
	}
	if parent == "" {
		parent = DefaultParent
	}
	if err := checkName("name", name); err != nil {
		return "", "", err
	}
	if err := checkName("parent", parent); err != nil {
		return "", "", err
	}
	return root, parent, nil
}
