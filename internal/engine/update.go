package engine

import (
	"encoding/json"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/spec"
)

// UpdateOptions are the changes of `docker update`: a zero field of Resources, a nil
// PidsLimit and an empty Restart leave the container's setting as it is.
type UpdateOptions struct {
	// Resources: NanoCPUs, CPUShares, CPUPeriod, CPUQuota, CpusetCpus, Memory, MemorySwap,
	// MemoryReservation and BlkioWeight are taken.
	Resources spec.Resources
	// PidsLimit, when not nil, is the new limit; 0 or less is unlimited.
	PidsLimit *int64
	// Restart is the new restart policy (--restart).
	Restart string
}

// Update changes the resources and restart policy of a container, as `docker update`:
// the record and the spec of its next starts, and, when it runs, its cgroup. It returns
// Docker's warnings (settings the host cannot apply, dropped). Errors are Docker's.
func (e *Engine) Update(ref string, o UpdateOptions) ([]string, error) {
	if err := spec.CheckUpdate(o.Resources); err != nil {
		return nil, errdefs.InvalidArgument(err)
	}
	var policy *container.RestartPolicy
	if o.Restart != "" {
		p, err := ParseRestartPolicy(o.Restart)
		if err != nil {
			return nil, errdefs.InvalidArgument(err)
		}
		policy = &p
	}
	r := o.Resources
	_, warnings := adaptResources(hostCgroupSupport(), &r)
	c, err := e.Container(ref)
	if err != nil {
		return warnings, err
	}
	cs, err := e.Containers()
	if err != nil {
		return warnings, err
	}
	cannot := func(err error) error { return fmt.Errorf("Cannot update container %s: %w", c.ID, err) }
	var res *specs.LinuxResources
	_, err = cs.Update(c.ID, func(c *container.Container) error {
		hc := c.HostConfig // a copy: the record changes only when all is well
		if err := mergeUpdate(&hc, r, o.PidsLimit, policy); err != nil {
			return err
		}
		merged := recordResources(hc)
		var err error
		if res, err = spec.LinuxResources(merged); err != nil {
			return errdefs.InvalidArgument(err) // a value out of range: the client's error
		}
		// The spec of the next starts gets the new limits; its device rules stay.
		var s specs.Spec
		if err := json.Unmarshal(c.Spec, &s); err != nil {
			return fmt.Errorf("reading its spec: %w", err)
		}
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		devices := []specs.LinuxDeviceCgroup(nil)
		if s.Linux.Resources != nil {
			devices = s.Linux.Resources.Devices
		}
		s.Linux.Resources = res
		s.Linux.Resources.Devices = devices
		b, err := json.Marshal(&s)
		if err != nil {
			return err
		}
		if c.State.Running {
			cg, err := e.cgroup(c.ID)
			if err != nil {
				return err
			}
			if err := cg.Update(res); err != nil {
				return err
			}
		}
		c.Spec, c.HostConfig = b, hc
		return nil
	})
	if err != nil {
		if errdefs.IsNotFound(err) {
			return warnings, err
		}
		return warnings, cannot(err)
	}
	e.EmitContainer(c, "update")
	return warnings, nil
}

// mergeUpdate applies an update to a container's host config, with Docker's conflict checks.
func mergeUpdate(hc *container.HostConfig, r spec.Resources, pids *int64, policy *container.RestartPolicy) error {
	conflict := func(msg string) error { return errdefs.Conflict(errors.New(msg)) }
	switch {
	case r.NanoCPUs > 0 && hc.CPUPeriod > 0:
		return conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set")
	case r.NanoCPUs > 0 && hc.CPUQuota > 0:
		return conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set")
	case r.CPUPeriod > 0 && hc.NanoCpus > 0:
		return conflict("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set")
	case r.CPUQuota > 0 && hc.NanoCpus > 0:
		return conflict("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set")
	}
	if r.BlkioWeight != 0 {
		hc.BlkioWeight = r.BlkioWeight
	}
	if r.CPUShares != 0 {
		hc.CPUShares = r.CPUShares
	}
	if r.NanoCPUs != 0 {
		hc.NanoCpus = r.NanoCPUs
	}
	if r.CPUPeriod != 0 {
		hc.CPUPeriod = r.CPUPeriod
	}
	if r.CPUQuota != 0 {
		hc.CPUQuota = r.CPUQuota
	}
	if r.CpusetCpus != "" {
		hc.CpusetCpus = r.CpusetCpus
	}
	if r.Memory != 0 {
		// A memory limit above the memory+swap one needs a new memory+swap limit too.
		if r.Memory > hc.MemorySwap && r.MemorySwap == 0 {
			return conflict("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
		}
		hc.Memory = r.Memory
	}
	if r.MemorySwap != 0 {
		hc.MemorySwap = r.MemorySwap
	}
	if r.MemoryReservation != 0 {
		hc.MemoryReservation = r.MemoryReservation
	}
	if pids != nil {
		hc.PidsLimit = *pids
		if *pids <= 0 {
			hc.PidsLimit = -1 // unlimited
		}
	}
	if policy != nil {
		if hc.AutoRemove && policy.Name != "no" {
			return conflict("Restart policy cannot be updated because AutoRemove is enabled for the container")
		}
		hc.RestartPolicy = *policy
	}
	return nil
}

// recordResources are the cgroup settings a container's record asks for.
func recordResources(hc container.HostConfig) spec.Resources {
	r := spec.Resources{
		NanoCPUs: hc.NanoCpus, Memory: hc.Memory, MemorySwap: hc.MemorySwap, PidsLimit: hc.PidsLimit,
		CPUShares: hc.CPUShares, CpusetCpus: hc.CpusetCpus, MemoryReservation: hc.MemoryReservation,
		CPUQuota: hc.CPUQuota, CPUPeriod: hc.CPUPeriod, BlkioWeight: hc.BlkioWeight,
	}
	if hc.OomKillDisable != nil {
		r.OomKillDisable = *hc.OomKillDisable
	}
	return r
}
