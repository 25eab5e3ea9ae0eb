package spec

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// minMemory is the smallest --memory Docker accepts (6 MiB).
const minMemory = 6 * 1024 * 1024

// cfsPeriod is the CFS period used for --cpus, in microseconds (100ms).
const cfsPeriod uint64 = 100000

// EffectiveSwap is the memory+swap limit a container gets, as inspect shows it:
// --memory-swap, or Docker's default of twice the memory (as much swap as memory)
// when only --memory is given.
func (r Resources) EffectiveSwap() int64 {
	if r.Memory > 0 && r.MemorySwap == 0 {
		return 2 * r.Memory
	}
	return r.MemorySwap
}

// buildResources validates r and translates it to cgroup settings, with
// Docker's checks and defaults (daemon/daemon_unix.go).
func buildResources(r Resources) (*specs.LinuxResources, error) {
	res := &specs.LinuxResources{}

	if err := checkMemory(r, false); err != nil {
		return nil, err
	}
	if r.Memory > 0 {
		mem := &specs.LinuxMemory{Limit: int64Ptr(r.Memory)}
		mem.Swap = int64Ptr(r.EffectiveSwap())
		res.Memory = mem
	} else if r.MemorySwap == -1 {
		res.Memory = &specs.LinuxMemory{Swap: int64Ptr(-1)}
	}
	if r.MemoryReservation > 0 {
		if res.Memory == nil {
			res.Memory = &specs.LinuxMemory{}
		}
		res.Memory.Reservation = int64Ptr(r.MemoryReservation)
	}
	if r.OomKillDisable {
		if res.Memory == nil {
			res.Memory = &specs.LinuxMemory{}
		}
		t := true
		res.Memory.DisableOOMKiller = &t
	}

	// CPU.
	if r.NanoCPUs < 0 || (r.NanoCPUs > 0 && r.NanoCPUs < 1e7) || r.NanoCPUs > int64(numCPU())*1e9 {
		return nil, cpuRangeError()
	}
	if r.CPUShares < 0 {
		return nil, fmt.Errorf("invalid CPU shares %d: must be positive", r.CPUShares)
	}
	if err := checkCFS(r); err != nil {
		return nil, err
	}
	if r.CpusetCpus != "" {
		if err := checkCPUList(r.CpusetCpus); err != nil {
			return nil, err
		}
	}
	if r.NanoCPUs > 0 || r.CPUShares > 0 || r.CpusetCpus != "" || r.CPUQuota != 0 || r.CPUPeriod != 0 {
		cpu := &specs.LinuxCPU{Cpus: r.CpusetCpus}
		if r.CPUShares > 0 {
			shares := uint64(r.CPUShares)
			cpu.Shares = &shares
		}
		if r.NanoCPUs > 0 {
			period := cfsPeriod
			cpu.Period = &period
			cpu.Quota = int64Ptr(r.NanoCPUs * int64(cfsPeriod) / 1e9)
		}
		if r.CPUPeriod > 0 {
			period := uint64(r.CPUPeriod)
			cpu.Period = &period
		}
		if r.CPUQuota != 0 {
			cpu.Quota = int64Ptr(max(r.CPUQuota, -1))
		}
		res.CPU = cpu
	}

	// Block I/O.
	if r.BlkioWeight != 0 {
		if r.BlkioWeight < 10 || r.BlkioWeight > 1000 {
			return nil, errors.New("Range of blkio weight is from 10 to 1000")
		}
		w := r.BlkioWeight
		res.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}

	// Pids.
	switch {
	case r.PidsLimit > 0:
		res.Pids = &specs.LinuxPids{Limit: int64Ptr(r.PidsLimit)}
	case r.PidsLimit < 0:
		res.Pids = &specs.LinuxPids{Limit: int64Ptr(-1)}
	}
	return res, nil
}

// checkMemory checks the memory settings with Docker's words; an update may give a swap
// limit alone.
func checkMemory(r Resources, update bool) error {
	switch {
	case r.Memory < 0:
		return fmt.Errorf("invalid memory limit %d: must be positive", r.Memory)
	case r.MemorySwap < -1:
		return fmt.Errorf("invalid memory swap limit %d: must be positive, or -1 for unlimited", r.MemorySwap)
	case r.Memory != 0 && r.Memory < minMemory:
		return errors.New("Minimum memory limit allowed is 6MB")
	case r.Memory > 0 && r.MemorySwap > 0 && r.MemorySwap < r.Memory:
		return errors.New("Minimum memoryswap limit should be larger than memory limit, see usage")
	case r.Memory == 0 && r.MemorySwap > 0 && !update:
		return errors.New("You should always set the Memory limit when using Memoryswap limit, see usage")
	}
	switch {
	case r.MemoryReservation < 0:
		return fmt.Errorf("invalid memory reservation %d: must be positive", r.MemoryReservation)
	case r.MemoryReservation > 0 && r.MemoryReservation < minMemory:
		return errors.New("Minimum memory reservation allowed is 6MB")
	case r.Memory > 0 && r.MemoryReservation > 0 && r.Memory < r.MemoryReservation:
		return errors.New("Minimum memory limit can not be less than memory reservation limit, see usage")
	}
	return nil
}

// CheckUpdate checks the resources of `docker update` (zero fields are unchanged) as Docker
// checks them, before they are merged with the container's.
func CheckUpdate(r Resources) error {
	if err := checkMemory(r, true); err != nil {
		return err
	}
	if r.NanoCPUs < 0 || (r.NanoCPUs > 0 && r.NanoCPUs < 1e7) || r.NanoCPUs > int64(numCPU())*1e9 {
		return cpuRangeError()
	}
	if r.CpusetCpus != "" {
		if err := checkCPUList(r.CpusetCpus); err != nil {
			return err
		}
	}
	if r.BlkioWeight != 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000) {
		return errors.New("Range of blkio weight is from 10 to 1000")
	}
	return checkCFS(r)
}

// LinuxResources are the cgroup settings of r, checked as for a new container.
func LinuxResources(r Resources) (*specs.LinuxResources, error) { return buildResources(r) }

// checkCFS checks --cpu-period and --cpu-quota with Docker's words.
func checkCFS(r Resources) error {
	switch {
	case r.NanoCPUs > 0 && r.CPUPeriod > 0:
		return errors.New("Conflicting options: Nano CPUs and CPU Period cannot both be set")
	case r.NanoCPUs > 0 && r.CPUQuota > 0:
		return errors.New("Conflicting options: Nano CPUs and CPU Quota cannot both be set")
	case r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000):
		return errors.New("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	case r.CPUQuota > 0 && r.CPUQuota < 1000:
		return errors.New("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	}
	return nil
}

// checkCPUList checks the syntax of a cpuset list such as "0-3,5,7-8".
func checkCPUList(list string) error {
	bad := fmt.Errorf("Invalid value %s for cpuset cpus", list)
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return bad
		}
		if !isRange {
			continue
		}
		b, err := strconv.ParseUint(hi, 10, 16)
		if err != nil || b < a {
			return bad
		}
	}
	return nil
}

func int64Ptr(v int64) *int64 { return &v }

// defaultDevices are the device nodes every container gets in /dev. The
// runtime also provides /dev/console (its terminal), /dev/ptmx (a link to
// pts/ptmx) and the /dev/fd, stdin, stdout, stderr links.
var defaultDevices = []struct {
	path         string
	major, minor int64
}{
	{"/dev/null", 1, 3},
	{"/dev/zero", 1, 5},
	{"/dev/full", 1, 7},
	{"/dev/random", 1, 8},
	{"/dev/urandom", 1, 9},
	{"/dev/tty", 5, 0},
}

// devices lists the device nodes to create: the default ones, plus the
// host's devices for a privileged container, plus the --device ones (which
// replace a default one at the same path).
func devices(o Options, user []specs.LinuxDevice) []specs.LinuxDevice {
	var devs []specs.LinuxDevice
	for _, d := range defaultDevices {
		if hasDevicePath(user, d.path) {
			continue
		}
		mode := os.FileMode(0o666)
		var id uint32
		devs = append(devs, specs.LinuxDevice{
			Path:     d.path,
			Type:     "c",
			Major:    d.major,
			Minor:    d.minor,
			FileMode: &mode,
			UID:      &id,
			GID:      &id,
		})
	}
	if o.Privileged {
		for _, d := range o.HostDevices {
			if !hasDevicePath(devs, d.Path) && !hasDevicePath(user, d.Path) {
				devs = append(devs, d)
			}
		}
	}
	return append(devs, user...)
}

func hasDevicePath(devs []specs.LinuxDevice, p string) bool {
	for _, d := range devs {
		if d.Path == p {
			return true
		}
	}
	return false
}

// deviceRules are the device cgroup rules: everything when privileged;
// otherwise deny all, then allow mknod of any device (creating a node is
// harmless when it cannot be opened), the default devices, the console,
// /dev/ptmx and the pseudo-terminals, then the user's rules (--device,
// --device-cgroup-rule). This is Docker's list together with the rules
// runc adds to every container. The cgroup manager applies the list in
// order, as v1's devices.deny and devices.allow writes (see
// cgroups.NewDeviceFilter for what that means on v2).
func deviceRules(privileged bool, user []specs.LinuxDeviceCgroup) []specs.LinuxDeviceCgroup {
	if privileged {
		return []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	}
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Access: "m"},
		{Allow: true, Type: "b", Access: "m"},
	}
	allow := func(major, minor int64) {
		r := specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: int64Ptr(major), Access: "rwm"}
		if minor >= 0 {
			r.Minor = int64Ptr(minor)
		}
		rules = append(rules, r)
	}
	for _, d := range defaultDevices {
		allow(d.major, d.minor)
	}
	allow(5, 1)    // /dev/console
	allow(5, 2)    // /dev/ptmx
	allow(136, -1) // /dev/pts/*
	return append(rules, user...)
}
