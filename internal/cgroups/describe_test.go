package cgroups

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func mem(limit, swap int64) *specs.LinuxResources {
	return &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(limit), Swap: i64(swap)}}
}

const mib = 1 << 20

func TestDescribe(t *testing.T) {
	dockerRun := &specs.LinuxResources{ // --cpus 1.5 -m 32m --memory-swap 64m --pids-limit 10 --cpuset-cpus 0-1 --cpu-shares 512
		CPU:    &specs.LinuxCPU{Quota: i64(150000), Period: u64(100000), Shares: u64(512), Cpus: "0-1"},
		Memory: &specs.LinuxMemory{Limit: i64(32 * mib), Swap: i64(64 * mib)},
		Pids:   &specs.LinuxPids{Limit: i64(10)},
	}
	v1 := func(ctrl, file, value string) Setting { return Setting{Controller: ctrl, File: file, Value: value} }
	opt := func(s Setting) Setting { s.Optional = true; return s }
	tests := []struct {
		name   string
		mode   Mode
		res    *specs.LinuxResources
		want   []Setting
		errHas string
	}{
		{name: "v1 nil", mode: Legacy, res: nil, want: nil},
		{name: "v2 nil", mode: Unified, res: nil, want: nil},
		{name: "v1 all zero", mode: Legacy, res: &specs.LinuxResources{
			CPU: &specs.LinuxCPU{Quota: i64(0), Period: u64(0), Shares: u64(0)}, Memory: mem(0, 0).Memory, Pids: &specs.LinuxPids{Limit: i64(0)},
		}, want: nil},
		{name: "v1 docker run", mode: Legacy, res: dockerRun, want: []Setting{
			v1("cpuset", "cpuset.cpus", "0-1"),
			v1("cpu", "cpu.shares", "512"),
			v1("cpu", "cpu.cfs_period_us", "100000"),
			v1("cpu", "cpu.cfs_quota_us", "150000"),
			v1("memory", "memory.limit_in_bytes", "33554432"),
			opt(v1("memory", "memory.memsw.limit_in_bytes", "67108864")),
			v1("pids", "pids.max", "10"),
		}},
		{name: "hybrid is v1", mode: Hybrid, res: mem(32*mib, 0), want: []Setting{
			v1("memory", "memory.limit_in_bytes", "33554432"),
		}},
		{name: "v2 docker run", mode: Unified, res: dockerRun, want: []Setting{
			v1("cpuset", "cpuset.cpus", "0-1"),
			v1("cpu", "cpu.weight", "20"),
			v1("cpu", "cpu.max", "150000 100000"),
			v1("memory", "memory.max", "33554432"),
			opt(v1("memory", "memory.swap.max", "33554432")),
			v1("pids", "pids.max", "10"),
		}},
		{name: "v1 unlimited", mode: Legacy, res: &specs.LinuxResources{
			CPU: &specs.LinuxCPU{Quota: i64(-1)}, Memory: mem(-1, -1).Memory, Pids: &specs.LinuxPids{Limit: i64(-1)},
		}, want: []Setting{
			v1("cpu", "cpu.cfs_quota_us", "-1"),
			v1("memory", "memory.limit_in_bytes", "-1"),
			opt(v1("memory", "memory.memsw.limit_in_bytes", "-1")),
			v1("pids", "pids.max", "max"),
		}},
		{name: "v2 unlimited", mode: Unified, res: &specs.LinuxResources{
			CPU: &specs.LinuxCPU{Quota: i64(-1)}, Memory: mem(-1, -1).Memory, Pids: &specs.LinuxPids{Limit: i64(-5)},
		}, want: []Setting{
			v1("cpu", "cpu.max", "max"),
			v1("memory", "memory.max", "max"),
			opt(v1("memory", "memory.swap.max", "max")),
			v1("pids", "pids.max", "max"),
		}},
		{name: "v2 swap equal to memory means no swap", mode: Unified, res: mem(32*mib, 32*mib), want: []Setting{
			v1("memory", "memory.max", "33554432"),
			opt(v1("memory", "memory.swap.max", "0")),
		}},
		{name: "v2 quota without period keeps the kernel's", mode: Unified, res: &specs.LinuxResources{
			CPU: &specs.LinuxCPU{Quota: i64(50000)},
		}, want: []Setting{v1("cpu", "cpu.max", "50000")}},
		{name: "v2 period alone", mode: Unified, res: &specs.LinuxResources{
			CPU: &specs.LinuxCPU{Period: u64(50000)},
		}, want: []Setting{v1("cpu", "cpu.max", "max 50000")}},
		{name: "v1 period alone", mode: Legacy, res: &specs.LinuxResources{
			CPU: &specs.LinuxCPU{Period: u64(50000)},
		}, want: []Setting{v1("cpu", "cpu.cfs_period_us", "50000")}},
		{name: "v2 shares 1024 is weight 39", mode: Unified, res: &specs.LinuxResources{
			CPU: &specs.LinuxCPU{Shares: u64(1024)},
		}, want: []Setting{v1("cpu", "cpu.weight", "39")}},
		{name: "cpuset mems", mode: Unified, res: &specs.LinuxResources{
			CPU: &specs.LinuxCPU{Cpus: "0,2-3", Mems: "0"},
		}, want: []Setting{v1("cpuset", "cpuset.cpus", "0,2-3"), v1("cpuset", "cpuset.mems", "0")}},
		{name: "v1 devices", mode: Legacy, res: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(136), Minor: nil, Access: "rw"},
			{Allow: true, Type: "b", Major: i64(-1), Minor: i64(-1), Access: "m"},
		}}, want: []Setting{
			v1("devices", "devices.deny", "a *:* rwm"),
			v1("devices", "devices.allow", "c 1:3 rwm"),
			v1("devices", "devices.allow", "c 136:* rw"),
			v1("devices", "devices.allow", "b *:* m"),
		}},
		{name: "v2 ignores devices", mode: Unified, res: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
		}}, want: nil},

		{name: "unavailable", mode: Unavailable, res: nil, errHas: "no usable cgroup"},
		{name: "swap without memory", mode: Legacy, res: mem(0, 64*mib), errHas: "needs a memory limit"},
		{name: "swap with unlimited memory", mode: Unified, res: mem(-1, 64*mib), errHas: "needs a memory limit"},
		{name: "swap below memory", mode: Unified, res: mem(64*mib, 32*mib), errHas: "smaller than the memory limit"},
		{name: "swap -2", mode: Legacy, res: mem(32*mib, -2), errHas: "invalid memory+swap limit -2"},
		{name: "memory -2", mode: Legacy, res: mem(-2, 0), errHas: "invalid memory limit -2"},
		{name: "quota -5", mode: Unified, res: &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-5)}}, errHas: "invalid CPU quota -5"},
		{name: "cpus with a shell", mode: Legacy, res: &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0\n1"}}, errHas: "invalid CPU list"},
		{name: "mems with letters", mode: Unified, res: &specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "all"}}, errHas: "invalid memory node list"},
		{name: "device type", mode: Legacy, res: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x"}}}, errHas: "invalid device rule type"},
		{name: "device access", mode: Legacy, res: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "c", Access: "rwx"}}}, errHas: "invalid device rule access"},
		{name: "device access too long", mode: Legacy, res: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "c", Access: "rwmr"}}}, errHas: "invalid device rule access"},
		{name: "device major", mode: Unified, res: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "c", Major: i64(-3)}}}, errHas: "invalid device number -3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Describe(tt.mode, tt.res)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Describe error = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Describe =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestSharesToWeight(t *testing.T) {
	tests := []struct{ shares, weight uint64 }{
		{0, 1}, {1, 1}, {2, 1}, {512, 20}, {1024, 39}, {2048, 79}, {262144, 10000}, {1 << 40, 10000},
	}
	for _, tt := range tests {
		if got := SharesToWeight(tt.shares); got != tt.weight {
			t.Errorf("SharesToWeight(%d) = %d, want %d", tt.shares, got, tt.weight)
		}
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{Unavailable: "none", Legacy: "1", Hybrid: "1", Unified: "2"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", m, got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name, parent, root string
		wantRoot, wantPar  string
		errHas             string
	}{
		{name: "c1", wantRoot: "/sys/fs/cgroup", wantPar: "geedocker"},
		{name: "0123abcdef", parent: "ci", root: "/tmp/x", wantRoot: "/tmp/x", wantPar: "ci"},
		{name: "my_app-1.web", wantRoot: "/sys/fs/cgroup", wantPar: "geedocker"},
		{name: "", errHas: "is empty"},
		{name: "..", errHas: "starts with '.'"},
		{name: ".hidden", errHas: "starts with '.'"},
		{name: "a/b", errHas: "character '/'"},
		{name: "../../etc", errHas: "starts with '.'"},
		{name: "x\n", errHas: "character '\\n'"},
		{name: "c1", parent: "a/../b", errHas: "parent"},
		{name: strings.Repeat("a", 256), errHas: "longer than 255"},
	}
	for _, tt := range tests {
		root, parent, err := resolve(tt.name, Opts{Root: tt.root, Parent: tt.parent})
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("resolve(%q, %q) error = %v, want one containing %q", tt.name, tt.parent, err, tt.errHas)
			}
			continue
		}
		if err != nil || root != tt.wantRoot || parent != tt.wantPar {
			t.Errorf("resolve(%q, %q) = %q, %q, %v; want %q, %q", tt.name, tt.parent, root, parent, err, tt.wantRoot, tt.wantPar)
		}
	}
}
