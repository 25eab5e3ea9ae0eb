package monitor

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// cgroupProcs puts a process into the container's cgroup: the directories the engine made.
type cgroupProcs []string

func (c cgroupProcs) Add(pid int) error {
	for _, d := range c {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("adding pid %d to cgroup %s: %w", pid, d, err)
		}
	}
	return nil
}
