package runccli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// UpdateFlags are the flags of `update` besides --resources.
type UpdateFlags struct {
	Memory, MemorySwap, MemoryReservation, CPUQuota, PidsLimit string
	CPUShares, CPUPeriod, BlkioWeight                          string
	CpusetCpus, CpusetMems                                     string
}

// Resources turns the resources JSON (when not empty) and the flags into the resources to set,
// as runc's update: the flags win over the JSON.
func (f UpdateFlags) Resources(resourcesJSON io.Reader) (*specs.LinuxResources, error) {
	res := &specs.LinuxResources{}
	if resourcesJSON != nil {
		if err := json.NewDecoder(resourcesJSON).Decode(res); err != nil && err != io.EOF {
			return nil, fmt.Errorf("decoding the resources: %w", err)
		}
	}
	i64 := func(name, v string, set func(int64)) error {
		if v == "" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid value for --%s: %q", name, v)
		}
		set(n)
		return nil
	}
	u64 := func(name, v string, set func(uint64)) error {
		if v == "" {
			return nil
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid value for --%s: %q", name, v)
		}
		set(n)
		return nil
	}
	mem := func() *specs.LinuxMemory {
		if res.Memory == nil {
			res.Memory = &specs.LinuxMemory{}
		}
		return res.Memory
	}
	cpu := func() *specs.LinuxCPU {
		if res.CPU == nil {
			res.CPU = &specs.LinuxCPU{}
		}
		return res.CPU
	}
	for _, err := range []error{
		i64("memory", f.Memory, func(n int64) { mem().Limit = &n }),
		i64("memory-swap", f.MemorySwap, func(n int64) { mem().Swap = &n }),
		i64("memory-reservation", f.MemoryReservation, func(n int64) { mem().Reservation = &n }),
		i64("cpu-quota", f.CPUQuota, func(n int64) { cpu().Quota = &n }),
		u64("cpu-shares", f.CPUShares, func(n uint64) { cpu().Shares = &n }),
		u64("cpu-period", f.CPUPeriod, func(n uint64) { cpu().Period = &n }),
		i64("pids-limit", f.PidsLimit, func(n int64) { res.Pids = &specs.LinuxPids{Limit: &n} }),
		u64("blkio-weight", f.BlkioWeight, func(n uint64) {
			w := uint16(n)
			res.BlockIO = &specs.LinuxBlockIO{Weight: &w}
		}),
	} {
		if err != nil {
			return nil, err
		}
	}
	if f.CpusetCpus != "" {
		cpu().Cpus = f.CpusetCpus
	}
	if f.CpusetMems != "" {
		cpu().Mems = f.CpusetMems
	}
	return res, nil
}
