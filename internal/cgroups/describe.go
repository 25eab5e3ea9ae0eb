package cgroups

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A Setting is one write into a cgroup control file: Value is written to File
// in the container's cgroup directory of Controller.
type Setting struct {
	// Controller owns File: on v1 it names the hierarchy directory, on v2 it
	// must be enabled in the parent's cgroup.subtree_control.
	Controller string
	// File is the control file's name, e.g. "memory.limit_in_bytes".
	File string
	// Value is written as is.
	Value string
	// Optional settings are skipped when the file does not exist, as
	// memory.memsw.limit_in_bytes on a kernel without swap accounting
	// (Docker warns and runs the container without a swap limit).
	Optional bool
}

// Describe turns the resources `docker run` sets into the writes that apply
// them on a cgroup of the given mode, in order. A nil or zero field is unset
// and produces no write. It applies CPU.Shares, Quota, Period, Cpus, Mems,
// Memory.Limit, Swap, Reservation, DisableOOMKiller (v1 only), Pids.Limit, BlockIO.Weight
// and (v1 only) Devices; other fields are ignored.
// On v2 the v2 manager applies Devices as an eBPF program ([DeviceProgram]).
//
// -1 means unlimited for Quota, Memory.Limit, Memory.Swap (memory + swap, as
// --memory-swap) and any negative value for Pids.Limit.
func Describe(mode Mode, res *specs.LinuxResources) ([]Setting, error) {
	switch mode {
	case Legacy, Hybrid:
		return describeV1(res)
	case Unified:
		return describeV2(res)
	default:
		return nil, fmt.Errorf("describing cgroup settings: %w", ErrUnavailable)
	}
}

// limits are the values shared by both versions, checked once.
type limits struct {
	shares     uint64 // 0: unset
	quota      int64  // 0: unset, -1: unlimited
	period     uint64 // 0: unset
	cpus, mems string // "": unset
	memory     int64  // 0: unset, -1: unlimited
	swap       int64  // memory+swap; 0: unset, -1: unlimited
	pids       int64  // 0: unset, -1: unlimited
	devices    []specs.LinuxDeviceCgroup

	reservation int64  // memory soft limit; 0: unset, -1: none
	noOOMKill   bool   // the OOM killer disabled (v1 only)
	weight      uint16 // block I/O weight, 10..1000; 0: unset
}

func readLimits(res *specs.LinuxResources) (limits, error) {
	var l limits
	if res == nil {
		return l, nil
	}
	if c := res.CPU; c != nil {
		if c.Shares != nil {
			l.shares = *c.Shares
		}
		if c.Quota != nil {
			l.quota = *c.Quota
			if l.quota < -1 {
				return l, fmt.Errorf("invalid CPU quota %d: want a positive number of microseconds or -1 for no limit", l.quota)
			}
		}
		if c.Period != nil {
			l.period = *c.Period
		}
		if err := checkCPUList("CPU list (--cpuset-cpus)", c.Cpus); err != nil {
			return l, err
		}
		if err := checkCPUList("memory node list (--cpuset-mems)", c.Mems); err != nil {
			return l, err
		}
		l.cpus, l.mems = c.Cpus, c.Mems
	}
	if m := res.Memory; m != nil {
		if m.Limit != nil {
			l.memory = *m.Limit
			if l.memory < -1 {
				return l, fmt.Errorf("invalid memory limit %d: want a positive number of bytes or -1 for no limit", l.memory)
			}
		}
		if m.Swap != nil {
			l.swap = *m.Swap
		}
		if m.Reservation != nil {
			l.reservation = max(*m.Reservation, -1)
		}
		l.noOOMKill = m.DisableOOMKiller != nil && *m.DisableOOMKiller
		switch {
		case l.swap == 0 || l.swap == -1:
		case l.swap < -1:
			return l, fmt.Errorf("invalid memory+swap limit %d: want a positive number of bytes or -1 for no limit", l.swap)
		case l.memory <= 0:
			return l, fmt.Errorf("memory+swap limit %d needs a memory limit too", l.swap)
		case l.swap < l.memory:
			return l, fmt.Errorf("memory+swap limit %d is smaller than the memory limit %d", l.swap, l.memory)
		}
	}
	if p := res.Pids; p != nil && p.Limit != nil && *p.Limit != 0 {
		l.pids = *p.Limit
		if l.pids < 0 {
			l.pids = -1
		}
	}
	if b := res.BlockIO; b != nil && b.Weight != nil && *b.Weight != 0 {
		l.weight = *b.Weight
		if l.weight < 10 || l.weight > 1000 {
			return l, fmt.Errorf("invalid block I/O weight %d: want 10 to 1000", l.weight)
		}
	}
	for _, d := range res.Devices {
		if _, err := deviceRule(d); err != nil {
			return l, err
		}
	}
	l.devices = res.Devices
	return l, nil
}

// checkCPUList accepts "" or a kernel list such as "0-3,8": digits, '-' and ','.
func checkCPUList(what, s string) error {
	for _, c := range s {
		if (c < '0' || c > '9') && c != '-' && c != ',' {
			return fmt.Errorf("invalid %s %q: want numbers and ranges such as \"0-2,4\"", what, s)
		}
	}
	return nil
}

// deviceRule formats a device rule for devices.allow / devices.deny:
// "c 1:3 rwm", "b 8:* r", "a *:* rwm".
func deviceRule(d specs.LinuxDeviceCgroup) (string, error) {
	typ := d.Type
	if typ == "" {
		typ = "a"
	}
	if typ != "a" && typ != "b" && typ != "c" {
		return "", fmt.Errorf("invalid device rule type %q: want a, b or c", d.Type)
	}
	number := func(p *int64) (string, error) {
		if p == nil || *p == -1 {
			return "*", nil
		}
		if *p < 0 {
			return "", fmt.Errorf("invalid device number %d in a device rule", *p)
		}
		return strconv.FormatInt(*p, 10), nil
	}
	major, err := number(d.Major)
	if err != nil {
		return "", err
	}
	minor, err := number(d.Minor)
	if err != nil {
		return "", err
	}
	access := d.Access
	if access == "" {
		access = "rwm"
	}
	if strings.Trim(access, "rwm") != "" || len(access) > 3 {
		return "", fmt.Errorf("invalid device rule access %q: want letters of \"rwm\"", d.Access)
	}
	return fmt.Sprintf("%s %s:%s %s", typ, major, minor, access), nil
}

func describeV1(res *specs.LinuxResources) ([]Setting, error) {
	l, err := readLimits(res)
	if err != nil {
		return nil, err
	}
	var out []Setting
	add := func(ctrl, file, value string, optional bool) {
		out = append(out, Setting{Controller: ctrl, File: file, Value: value, Optional: optional})
	}
	if l.cpus != "" {
		add("cpuset", "cpuset.cpus", l.cpus, false)
	}
	if l.mems != "" {
		add("cpuset", "cpuset.mems", l.mems, false)
	}
	if l.shares != 0 {
		add("cpu", "cpu.shares", strconv.FormatUint(l.shares, 10), false)
	}
	// The period first: a new cgroup has no quota, so any period is accepted.
	if l.period != 0 {
		add("cpu", "cpu.cfs_period_us", strconv.FormatUint(l.period, 10), false)
	}
	if l.quota != 0 {
		add("cpu", "cpu.cfs_quota_us", strconv.FormatInt(l.quota, 10), false)
	}
	// The memory limit before memory+swap: the kernel refuses a memsw limit
	// below the memory limit.
	if l.memory != 0 {
		add("memory", "memory.limit_in_bytes", strconv.FormatInt(l.memory, 10), false)
	}
	if l.swap != 0 {
		add("memory", "memory.memsw.limit_in_bytes", strconv.FormatInt(l.swap, 10), true)
	}
	if l.reservation != 0 {
		add("memory", "memory.soft_limit_in_bytes", strconv.FormatInt(l.reservation, 10), false)
	}
	if l.noOOMKill {
		add("memory", "memory.oom_control", "1", false)
	}
	if l.pids != 0 {
		add("pids", "pids.max", maxValue(l.pids), false)
	}
	// Optional: kernels without CFQ/BFQ have no blkio.weight (the engine warns first).
	if l.weight != 0 {
		add("blkio", "blkio.weight", strconv.FormatUint(uint64(l.weight), 10), true)
	}
	for _, d := range l.devices {
		rule, _ := deviceRule(d) // checked by readLimits
		file := "devices.deny"
		if d.Allow {
			file = "devices.allow"
		}
		add("devices", file, rule, false)
	}
	return out, nil
}

func describeV2(res *specs.LinuxResources) ([]Setting, error) {
	l, err := readLimits(res)
	if err != nil {
		return nil, err
	}
	var out []Setting
	add := func(ctrl, file, value string, optional bool) {
		out = append(out, Setting{Controller: ctrl, File: file, Value: value, Optional: optional})
	}
	if l.cpus != "" {
		add("cpuset", "cpuset.cpus", l.cpus, false)
	}
	if l.mems != "" {
		add("cpuset", "cpuset.mems", l.mems, false)
	}
	if l.shares != 0 {
		add("cpu", "cpu.weight", strconv.FormatUint(SharesToWeight(l.shares), 10), false)
	}
	if l.quota != 0 || l.period != 0 {
		// "$QUOTA $PERIOD"; without a period the kernel keeps its own (100000).
		value := "max"
		if l.quota > 0 {
			value = strconv.FormatInt(l.quota, 10)
		}
		if l.period != 0 {
			value += " " + strconv.FormatUint(l.period, 10)
		}
		add("cpu", "cpu.max", value, false)
	}
	if l.memory != 0 {
		add("memory", "memory.max", maxValue(l.memory), false)
	}
	if l.swap != 0 {
		// v2 limits swap alone; --memory-swap counts memory and swap together.
		swap := l.swap
		if swap > 0 {
			swap -= l.memory
		}
		add("memory", "memory.swap.max", maxValue(swap), true)
	}
	if l.reservation != 0 {
		add("memory", "memory.low", maxValue(l.reservation), false)
	}
	if l.pids != 0 {
		add("pids", "pids.max", maxValue(l.pids), false)
	}
	// io.weight (1..10000) from the v1 scale as runc converts it; optional, as the file
	// exists only with the io cost controller (the engine warns first).
	if l.weight != 0 {
		add("io", "io.weight", strconv.FormatUint(BlkioToIOWeight(l.weight), 10), true)
	}
	// The OOM killer cannot be disabled on v2 (the engine warns and drops it).
	// Device rules are an eBPF program on v2 (DeviceProgram), not a file.
	return out, nil
}

// SharesToWeight converts v1 cpu.shares (2..262144, default 1024) to v2
// cpu.weight (1..10000, default 100) the way runc does:
// 1 + ((shares-2)*9999)/262142. Shares outside the range are clamped first,
// as the v1 kernel does.
func SharesToWeight(shares uint64) uint64 {
	shares = min(max(shares, 2), 262144)
	return 1 + ((shares-2)*9999)/262142
}

// BlkioToIOWeight converts a v1 blkio.weight (10..1000) to v2 io.weight (1..10000) as
// runc does: 1 + (weight-10)*9999/990.
func BlkioToIOWeight(weight uint16) uint64 {
	w := uint64(min(max(weight, 10), 1000))
	return 1 + (w-10)*9999/990
}

// maxValue writes -1 as "max", which v2 files and pids.max (on both
// versions) take for "no limit".
func maxValue(v int64) string {
	if v < 0 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}
