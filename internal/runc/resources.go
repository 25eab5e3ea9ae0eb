package runc

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/cgroups"
)

// extraV1Settings describes the resources of a spec that cgroups.Describe leaves out, for
// cgroup v1: the memory reservation, kernel limits, swappiness and OOM killer; the real-time
// CPU budget; blkio weights and throttles; network class and priorities; hugetlb limits.
// runc writes them all; a controller or file that is missing fails the create, as with runc.
func extraV1Settings(res *specs.LinuxResources) []cgroups.Setting {
	if res == nil {
		return nil
	}
	var out []cgroups.Setting
	add := func(ctrl, file, value string) {
		out = append(out, cgroups.Setting{Controller: ctrl, File: file, Value: value})
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	u64 := func(v uint64) string { return strconv.FormatUint(v, 10) }
	if m := res.Memory; m != nil {
		if m.Reservation != nil {
			add("memory", "memory.soft_limit_in_bytes", i64(*m.Reservation))
		}
		if m.Kernel != nil { //nolint:staticcheck // deprecated, still honoured as runc 1.1 does
			add("memory", "memory.kmem.limit_in_bytes", i64(*m.Kernel)) //nolint:staticcheck
		}
		if m.KernelTCP != nil {
			add("memory", "memory.kmem.tcp.limit_in_bytes", i64(*m.KernelTCP))
		}
		if m.Swappiness != nil {
			add("memory", "memory.swappiness", u64(*m.Swappiness))
		}
		if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
			add("memory", "memory.oom_control", "1")
		}
	}
	if c := res.CPU; c != nil {
		if c.RealtimePeriod != nil {
			add("cpu", "cpu.rt_period_us", u64(*c.RealtimePeriod))
		}
		if c.RealtimeRuntime != nil {
			add("cpu", "cpu.rt_runtime_us", i64(*c.RealtimeRuntime))
		}
	}
	if b := res.BlockIO; b != nil {
		if b.Weight != nil {
			add("blkio", "blkio.weight", strconv.Itoa(int(*b.Weight)))
		}
		if b.LeafWeight != nil {
			add("blkio", "blkio.leaf_weight", strconv.Itoa(int(*b.LeafWeight)))
		}
		for _, d := range b.WeightDevice {
			if d.Weight != nil {
				add("blkio", "blkio.weight_device", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.Weight))
			}
			if d.LeafWeight != nil {
				add("blkio", "blkio.leaf_weight_device", fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.LeafWeight))
			}
		}
		for _, t := range []struct {
			file string
			devs []specs.LinuxThrottleDevice
		}{
			{"blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
			{"blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
			{"blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
			{"blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
		} {
			for _, d := range t.devs {
				add("blkio", t.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, d.Rate))
			}
		}
	}
	if n := res.Network; n != nil {
		if n.ClassID != nil {
			add("net_cls", "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10))
		}
		for _, p := range n.Priorities {
			add("net_prio", "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority))
		}
	}
	for _, h := range res.HugepageLimits {
		add("hugetlb", "hugetlb."+h.Pagesize+".limit_in_bytes", u64(h.Limit))
	}
	return out
}

// checkCapabilities drops from the process the capabilities this runtime does not know, as
// runc does (it only warns): a spec written for a newer kernel still runs.
func checkCapabilities(p *specs.Process, known []string) {
	if p == nil || p.Capabilities == nil {
		return
	}
	ok := map[string]bool{}
	for _, k := range known {
		ok[k] = true
	}
	keep := func(l []string) []string {
		var out []string
		for _, c := range l {
			if ok[strings.ToUpper(c)] {
				out = append(out, c)
			}
		}
		return out
	}
	c := p.Capabilities
	c.Bounding, c.Effective, c.Permitted, c.Inheritable, c.Ambient =
		keep(c.Bounding), keep(c.Effective), keep(c.Permitted), keep(c.Inheritable), keep(c.Ambient)
}
