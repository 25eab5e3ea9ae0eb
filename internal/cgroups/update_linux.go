package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// withoutDevices is res without its device rules.
func withoutDevices(res *specs.LinuxResources) *specs.LinuxResources {
	if res == nil {
		return nil
	}
	r := *res
	r.Devices = nil
	return &r
}

func (m *v1) Update(res *specs.LinuxResources) error {
	settings, err := Describe(Legacy, withoutDevices(res))
	if err != nil {
		return fmt.Errorf("updating cgroup %s: %w", m.Path(), err)
	}
	// The kernel keeps memory <= memory+swap at every step: when the new memory limit is
	// above the current memory+swap one, memory+swap goes first.
	memIdx, swapIdx := -1, -1
	for i, s := range settings {
		switch s.File {
		case "memory.limit_in_bytes":
			memIdx = i
		case "memory.memsw.limit_in_bytes":
			swapIdx = i
		}
	}
	if memIdx >= 0 && swapIdx >= 0 {
		mem, _ := strconv.ParseInt(settings[memIdx].Value, 10, 64)
		cur, err := readUint(m.dir("memory"), "memory.memsw.limit_in_bytes")
		if err == nil && (mem == -1 || uint64(mem) > cur) {
			settings[memIdx], settings[swapIdx] = settings[swapIdx], settings[memIdx]
		}
	}
	for _, s := range settings {
		dir := m.dir(s.Controller)
		if s.Optional && !exists(filepath.Join(dir, s.File)) {
			continue
		}
		if err := writeFile(dir, s.File, s.Value); err != nil {
			if s.File == "memory.limit_in_bytes" && errors.Is(err, unix.EBUSY) {
				usage, _ := readUint(dir, "memory.usage_in_bytes")
				peak, _ := readUint(dir, "memory.max_usage_in_bytes")
				return fmt.Errorf("unable to set memory limit to %s (current usage: %d, peak usage: %d)", s.Value, usage, peak)
			}
			return fmt.Errorf("updating cgroup %s: %w", m.Path(), err)
		}
	}
	return nil
}

func (m *v2) Update(res *specs.LinuxResources) error {
	settings, err := Describe(Unified, withoutDevices(res))
	if err != nil {
		return fmt.Errorf("updating cgroup %s: %w", m.Path(), err)
	}
	dir := m.dir()
	for _, s := range settings {
		if s.File != "memory.max" || s.Value == "max" {
			continue
		}
		// v2 does not refuse a limit below the usage: it OOM-kills. Refuse it here.
		limit, _ := strconv.ParseUint(s.Value, 10, 64)
		usage, err := readUint(dir, "memory.current")
		if err == nil && limit < usage {
			peak, _ := readUint(dir, "memory.peak")
			return fmt.Errorf("unable to set memory limit to %d (current usage: %d, peak usage: %d)", limit, usage, peak)
		}
	}
	for _, s := range settings {
		if s.Optional && !exists(filepath.Join(dir, s.File)) {
			continue
		}
		if err := writeFile(dir, s.File, s.Value); err != nil {
			return fmt.Errorf("updating cgroup %s: %w", m.Path(), err)
		}
	}
	return nil
}
