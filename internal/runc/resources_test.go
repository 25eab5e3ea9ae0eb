package runc

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/cgroups"
)

func TestExtraV1Settings(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	u64 := func(v uint64) *uint64 { return &v }
	u16 := func(v uint16) *uint16 { return &v }
	u32 := func(v uint32) *uint32 { return &v }
	yes := true
	tests := []struct {
		name string
		res  *specs.LinuxResources
		want []cgroups.Setting
	}{
		{"nil", nil, nil},
		{"what Describe does is left to it", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 20)}}, nil},
		{"memory", &specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: i64(100), KernelTCP: i64(200),
			Swappiness: u64(10), DisableOOMKiller: &yes}}, []cgroups.Setting{
			{Controller: "memory", File: "memory.soft_limit_in_bytes", Value: "100"},
			{Controller: "memory", File: "memory.kmem.tcp.limit_in_bytes", Value: "200"},
			{Controller: "memory", File: "memory.swappiness", Value: "10"},
			{Controller: "memory", File: "memory.oom_control", Value: "1"},
		}},
		{"blkio", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(300),
			WeightDevice:          []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(50)}},
			ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1000}}}},
			[]cgroups.Setting{
				{Controller: "blkio", File: "blkio.weight", Value: "300"},
				{Controller: "blkio", File: "blkio.weight_device", Value: "8:0 50"},
				{Controller: "blkio", File: "blkio.throttle.read_bps_device", Value: "8:0 1000"},
			}},
		{"network and hugetlb", &specs.LinuxResources{
			Network:        &specs.LinuxNetwork{ClassID: u32(7), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 3}}},
			HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4096}}},
			[]cgroups.Setting{
				{Controller: "net_cls", File: "net_cls.classid", Value: "7"},
				{Controller: "net_prio", File: "net_prio.ifpriomap", Value: "eth0 3"},
				{Controller: "hugetlb", File: "hugetlb.2MB.limit_in_bytes", Value: "4096"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := extraV1Settings(tt.res); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCheckCapabilities(t *testing.T) {
	p := &specs.Process{Capabilities: &specs.LinuxCapabilities{
		Bounding: []string{"CAP_KILL", "CAP_TEST"}, Effective: []string{"cap_chown"}, Ambient: []string{"CAP_NOPE"}}}
	checkCapabilities(p, []string{"CAP_CHOWN", "CAP_KILL"})
	c := p.Capabilities
	if !reflect.DeepEqual(c.Bounding, []string{"CAP_KILL"}) || !reflect.DeepEqual(c.Effective, []string{"cap_chown"}) || c.Ambient != nil {
		t.Errorf("got %+v", c)
	}
	checkCapabilities(&specs.Process{}, nil) // no capabilities: nothing to do
}
