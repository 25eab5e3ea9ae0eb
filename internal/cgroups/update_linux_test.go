package cgroups

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func u16(v uint16) *uint16 { return &v }
func yes() *bool           { t := true; return &t }

// runFlagsResources is what `docker run --memory-reservation 16m --oom-kill-disable
// --blkio-weight 300 --cpu-period 50000 --cpu-quota 25000 -m 64m` asks for.
var runFlagsResources = &specs.LinuxResources{
	CPU:     &specs.LinuxCPU{Quota: i64(25000), Period: u64(50000)},
	Memory:  &specs.LinuxMemory{Limit: i64(64 * mib), Swap: i64(128 * mib), Reservation: i64(16 * mib), DisableOOMKiller: yes()},
	BlockIO: &specs.LinuxBlockIO{Weight: u16(300)},
}

func TestV1CreateRunFlags(t *testing.T) {
	m, _ := fakeV1(t)
	writeTree(t, m.root, map[string]string{
		"memory/geedocker/c1/memory.soft_limit_in_bytes": "9223372036854771712",
		"blkio/geedocker/c1/blkio.weight":                "500",
	})
	if err := m.Create(runFlagsResources); err != nil {
		t.Fatal(err)
	}
	checkTree(t, m.root, map[string]string{
		"cpu/geedocker/c1/cpu.cfs_period_us":             "50000",
		"cpu/geedocker/c1/cpu.cfs_quota_us":              "25000",
		"memory/geedocker/c1/memory.limit_in_bytes":      "67108864",
		"memory/geedocker/c1/memory.soft_limit_in_bytes": "16777216",
		"memory/geedocker/c1/memory.oom_control":         "1",
		"blkio/geedocker/c1/blkio.weight":                "300",
	})
}

// A kernel without CFQ/BFQ has no blkio.weight: the weight is skipped, not an error.
func TestV1CreateNoBlkioWeight(t *testing.T) {
	m, _ := fakeV1(t)
	writeTree(t, m.root, map[string]string{"memory/geedocker/c1/memory.soft_limit_in_bytes": "0"})
	if err := m.Create(runFlagsResources); err != nil {
		t.Fatal(err)
	}
	checkTree(t, m.root, map[string]string{"blkio/geedocker/c1/blkio.weight": absent})
}

func TestV2CreateRunFlags(t *testing.T) {
	m, _ := fakeV2(t)
	writeTree(t, m.root, map[string]string{
		"geedocker/c1/memory.low": "0\n",
		"geedocker/c1/io.weight":  "default 100\n",
	})
	if err := m.Create(runFlagsResources); err != nil {
		t.Fatal(err)
	}
	checkTree(t, m.root, map[string]string{
		"geedocker/c1/cpu.max":    "25000 50000",
		"geedocker/c1/memory.max": "67108864",
		"geedocker/c1/memory.low": "16777216",
		"geedocker/c1/io.weight":  "2930",
		// No memory.oom_control on v2: the OOM killer cannot be disabled there.
		"geedocker/c1/memory.oom_control": absent,
	})
}

func TestUpdate(t *testing.T) {
	res := &specs.LinuxResources{
		CPU:     &specs.LinuxCPU{Shares: u64(512), Quota: i64(50000), Period: u64(100000), Cpus: "1"},
		Memory:  &specs.LinuxMemory{Limit: i64(256 * mib), Swap: i64(512 * mib), Reservation: i64(128 * mib)},
		Pids:    &specs.LinuxPids{Limit: i64(20)},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(10)},
		// Device rules are left as Create wrote them.
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
	}
	t.Run("v1", func(t *testing.T) {
		m, _ := fakeV1(t)
		writeTree(t, m.root, map[string]string{
			"memory/geedocker/c1/memory.soft_limit_in_bytes": "0",
			"blkio/geedocker/c1/blkio.weight":                "500",
		})
		if err := m.Update(res); err != nil {
			t.Fatal(err)
		}
		checkTree(t, m.root, map[string]string{
			"cpu/geedocker/c1/cpu.shares":                     "512",
			"cpu/geedocker/c1/cpu.cfs_quota_us":               "50000",
			"cpuset/geedocker/c1/cpuset.cpus":                 "1",
			"memory/geedocker/c1/memory.limit_in_bytes":       "268435456",
			"memory/geedocker/c1/memory.memsw.limit_in_bytes": "536870912",
			"memory/geedocker/c1/memory.soft_limit_in_bytes":  "134217728",
			"pids/geedocker/c1/pids.max":                      "20",
			"blkio/geedocker/c1/blkio.weight":                 "10",
			"devices/geedocker/c1/devices.deny":               "",
		})
	})
	t.Run("v2", func(t *testing.T) {
		m, _ := fakeV2(t)
		writeTree(t, m.root, map[string]string{"geedocker/c1/memory.low": "0\n"})
		if err := m.Update(res); err != nil {
			t.Fatal(err)
		}
		checkTree(t, m.root, map[string]string{
			"geedocker/c1/cpu.weight":      "20",
			"geedocker/c1/cpu.max":         "50000 100000",
			"geedocker/c1/cpuset.cpus":     "1",
			"geedocker/c1/memory.max":      "268435456",
			"geedocker/c1/memory.swap.max": "268435456",
			"geedocker/c1/memory.low":      "134217728",
			"geedocker/c1/pids.max":        "20",
			"geedocker/c1/io.weight":       absent,
		})
	})
}

// A v1 memory limit raised above the current memory+swap limit needs memory+swap first
// (the kernel refuses memory > memory+swap); both end as asked.
func TestV1UpdateRaisesSwapFirst(t *testing.T) {
	m, _ := fakeV1(t)
	writeTree(t, m.root, map[string]string{
		"memory/geedocker/c1/memory.limit_in_bytes":       "33554432",
		"memory/geedocker/c1/memory.memsw.limit_in_bytes": "67108864",
	})
	settings, _ := Describe(Legacy, mem(128*mib, 256*mib))
	if settings[0].File != "memory.limit_in_bytes" {
		t.Fatalf("Describe's order changed: %v", settings)
	}
	if err := m.Update(mem(128*mib, 256*mib)); err != nil {
		t.Fatal(err)
	}
	checkTree(t, m.root, map[string]string{
		"memory/geedocker/c1/memory.limit_in_bytes":       "134217728",
		"memory/geedocker/c1/memory.memsw.limit_in_bytes": "268435456",
	})
}

func TestV2UpdateBelowUsage(t *testing.T) {
	m, _ := fakeV2(t)
	writeTree(t, m.root, map[string]string{"geedocker/c1/memory.current": "20971520\n", "geedocker/c1/memory.peak": "31457280\n"})
	err := m.Update(mem(10*mib, 0))
	want := "unable to set memory limit to 10485760 (current usage: 20971520, peak usage: 31457280)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Update = %v, want %q", err, want)
	}
	checkTree(t, m.root, map[string]string{"geedocker/c1/memory.max": "max\n"})
}

func TestBlkioToIOWeight(t *testing.T) {
	for _, tt := range []struct {
		in   uint16
		want uint64
	}{{10, 1}, {500, 4950}, {1000, 10000}, {5, 1}, {2000, 10000}} {
		if got := BlkioToIOWeight(tt.in); got != tt.want {
			t.Errorf("BlkioToIOWeight(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
