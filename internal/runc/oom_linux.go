package runc

import (
	"fmt"
	"path/filepath"

	"github.com/geedocker/geedocker/internal/cgroups"
	"github.com/geedocker/geedocker/internal/oom"
)

// OOMCgroup is the memory controller of container id's cgroup, to watch for OOM kills with
// package oom. Its Dir is empty when the host has no cgroups.
func (s Store) OOMCgroup(id string) (oom.Cgroup, error) {
	rec, err := s.Load(id)
	if err != nil {
		return oom.Cgroup{}, err
	}
	if rec.CgroupPath == "" {
		return oom.Cgroup{}, fmt.Errorf("container %s has no cgroup", id)
	}
	switch mode, _ := cgroups.Detect(); mode {
	case cgroups.Unified:
		return oom.Cgroup{Dir: filepath.Join(cgroups.DefaultRoot, rec.CgroupPath), V2: true}, nil
	case cgroups.Legacy, cgroups.Hybrid:
		return oom.Cgroup{Dir: filepath.Join(cgroups.DefaultRoot, "memory", rec.CgroupPath)}, nil
	}
	return oom.Cgroup{}, nil
}
