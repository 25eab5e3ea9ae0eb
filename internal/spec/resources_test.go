package spec

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }

func TestBuildResources(t *testing.T) {
	pinCPUs(t, 2)
	const mib = 1 << 20
	tests := []struct {
		name    string
		in      Resources
		want    specs.LinuxResources // Devices are checked elsewhere
		wantErr string
	}{
		{name: "nothing", want: specs.LinuxResources{}},
		{name: "memory gets twice as much memory+swap", in: Resources{Memory: 256 * mib},
			want: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(256 * mib), Swap: i64(512 * mib)}}},
		{name: "memory, unlimited swap", in: Resources{Memory: 256 * mib, MemorySwap: -1},
			want: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(256 * mib), Swap: i64(-1)}}},
		{name: "memory and swap", in: Resources{Memory: 256 * mib, MemorySwap: 1024 * mib},
			want: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(256 * mib), Swap: i64(1024 * mib)}}},
		{name: "swap equal to memory: no swap", in: Resources{Memory: 256 * mib, MemorySwap: 256 * mib},
			want: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(256 * mib), Swap: i64(256 * mib)}}},
		{name: "smallest memory", in: Resources{Memory: 6 * mib},
			want: specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(6 * mib), Swap: i64(12 * mib)}}},
		{name: "unlimited swap alone", in: Resources{MemorySwap: -1},
			want: specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(-1)}}},
		{name: "one and a half CPUs", in: Resources{NanoCPUs: 1.5e9},
			want: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(150000), Period: u64(100000)}}},
		{name: "half a CPU", in: Resources{NanoCPUs: 5e8},
			want: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000)}}},
		{name: "smallest CPU share", in: Resources{NanoCPUs: 1e7},
			want: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(1000), Period: u64(100000)}}},
		{name: "all host CPUs", in: Resources{NanoCPUs: 2e9},
			want: specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(200000), Period: u64(100000)}}},
		{name: "shares and cpuset", in: Resources{CPUShares: 512, CpusetCpus: "0-1"},
			want: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(512), Cpus: "0-1"}}},
		{name: "cpuset list", in: Resources{CpusetCpus: "0,2-3,7"},
			want: specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0,2-3,7"}}},
		{name: "pids", in: Resources{PidsLimit: 100},
			want: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(100)}}},
		{name: "pids unlimited", in: Resources{PidsLimit: -1},
			want: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}},
		{name: "everything", in: Resources{NanoCPUs: 1e9, Memory: 64 * mib, MemorySwap: 128 * mib, PidsLimit: 10, CPUShares: 1024, CpusetCpus: "1"},
			want: specs.LinuxResources{
				Memory: &specs.LinuxMemory{Limit: i64(64 * mib), Swap: i64(128 * mib)},
				CPU:    &specs.LinuxCPU{Shares: u64(1024), Quota: i64(100000), Period: u64(100000), Cpus: "1"},
				Pids:   &specs.LinuxPids{Limit: i64(10)},
			}},

		{name: "memory too small", in: Resources{Memory: 4 * mib}, wantErr: "Minimum memory limit allowed is 6MB"},
		{name: "memory one byte", in: Resources{Memory: 1}, wantErr: "Minimum memory limit allowed is 6MB"},
		{name: "swap below memory", in: Resources{Memory: 256 * mib, MemorySwap: 128 * mib}, wantErr: "Minimum memoryswap limit should be larger than memory limit, see usage"},
		{name: "swap without memory", in: Resources{MemorySwap: 128 * mib}, wantErr: "You should always set the Memory limit when using Memoryswap limit, see usage"},
		{name: "negative memory", in: Resources{Memory: -5}, wantErr: "invalid memory limit -5: must be positive"},
		{name: "bad swap", in: Resources{Memory: 256 * mib, MemorySwap: -2}, wantErr: "invalid memory swap limit -2: must be positive, or -1 for unlimited"},
		{name: "more CPUs than the host", in: Resources{NanoCPUs: 3e9}, wantErr: "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
		{name: "too little CPU", in: Resources{NanoCPUs: 1e6}, wantErr: "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
		{name: "negative CPUs", in: Resources{NanoCPUs: -1}, wantErr: "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
		{name: "negative shares", in: Resources{CPUShares: -1}, wantErr: "invalid CPU shares -1: must be positive"},
		{name: "cpuset not a number", in: Resources{CpusetCpus: "a"}, wantErr: "Invalid value a for cpuset cpus"},
		{name: "cpuset backwards range", in: Resources{CpusetCpus: "3-1"}, wantErr: "Invalid value 3-1 for cpuset cpus"},
		{name: "cpuset trailing comma", in: Resources{CpusetCpus: "1,"}, wantErr: "Invalid value 1, for cpuset cpus"},
		{name: "cpuset open range", in: Resources{CpusetCpus: "1-"}, wantErr: "Invalid value 1- for cpuset cpus"},
		{name: "cpuset negative", in: Resources{CpusetCpus: "-1"}, wantErr: "Invalid value -1 for cpuset cpus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			o.Resources = tc.in
			s, err := Build(o)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got %v, want error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := *s.Linux.Resources
			got.Devices = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("resources\n got %s\nwant %s", dump(got), dump(tc.want))
			}
		})
	}
}

func dump(r specs.LinuxResources) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func TestDevices(t *testing.T) {
	s := mustBuild(t, base())
	want := map[string][2]int64{
		"/dev/null": {1, 3}, "/dev/zero": {1, 5}, "/dev/full": {1, 7},
		"/dev/random": {1, 8}, "/dev/urandom": {1, 9}, "/dev/tty": {5, 0},
	}
	if len(s.Linux.Devices) != len(want) {
		t.Fatalf("%d devices, want %d: %+v", len(s.Linux.Devices), len(want), s.Linux.Devices)
	}
	for _, d := range s.Linux.Devices {
		w, ok := want[d.Path]
		if !ok || d.Type != "c" || d.Major != w[0] || d.Minor != w[1] {
			t.Errorf("device %+v, want %s c %d:%d", d, d.Path, w[0], w[1])
		}
		if d.FileMode == nil || *d.FileMode != os.FileMode(0o666) || d.UID == nil || *d.UID != 0 || d.GID == nil || *d.GID != 0 {
			t.Errorf("device %s: mode/owner not 0666 root:root", d.Path)
		}
	}
}

func TestDeviceRules(t *testing.T) {
	rules := mustBuild(t, base()).Linux.Resources.Devices
	if len(rules) == 0 || rules[0].Allow || rules[0].Type != "" || rules[0].Major != nil || rules[0].Access != "rwm" {
		t.Fatalf("first rule %+v, want deny all", rules[0])
	}
	allowed := func(typ string, major, minor int64, access string) bool {
		ok := false // the last matching rule decides, as in the kernel's list
		for _, r := range rules {
			if r.Type != "" && r.Type != "a" && r.Type != typ {
				continue
			}
			if r.Major != nil && *r.Major != major || r.Minor != nil && *r.Minor != minor {
				continue
			}
			covers := true
			for _, a := range access {
				if !containsRune(r.Access, a) {
					covers = false
				}
			}
			if r.Allow && covers {
				ok = true
			} else if !r.Allow {
				ok = false
			}
		}
		return ok
	}
	for _, c := range []struct {
		typ          string
		major, minor int64
		access       string
		want         bool
	}{
		{"c", 1, 3, "rw", true},     // null
		{"c", 1, 5, "rw", true},     // zero
		{"c", 1, 7, "rw", true},     // full
		{"c", 1, 8, "rw", true},     // random
		{"c", 1, 9, "rw", true},     // urandom
		{"c", 5, 0, "rw", true},     // tty
		{"c", 5, 1, "rw", true},     // console
		{"c", 5, 2, "rw", true},     // ptmx
		{"c", 136, 0, "rw", true},   // pts/0
		{"c", 136, 7, "rw", true},   // pts/7
		{"c", 10, 229, "rw", false}, // fuse
		{"c", 1, 1, "rw", false},    // mem
		{"c", 10, 200, "rw", false}, // tun
		{"b", 8, 0, "rw", false},    // sda
		{"b", 8, 0, "m", true},      // mknod is harmless
		{"c", 4, 1, "m", true},
	} {
		if got := allowed(c.typ, c.major, c.minor, c.access); got != c.want {
			t.Errorf("%s %d:%d %s allowed=%v, want %v", c.typ, c.major, c.minor, c.access, got, c.want)
		}
	}

	o := base()
	o.Privileged = true
	want := []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	if got := mustBuild(t, o).Linux.Resources.Devices; !reflect.DeepEqual(got, want) {
		t.Fatalf("privileged rules %+v, want %+v", got, want)
	}
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}

func TestPrivilegedHostDevices(t *testing.T) {
	mode := os.FileMode(0o660)
	host := []specs.LinuxDevice{
		{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: &mode},
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3}, // already a default
	}
	o := base()
	o.HostDevices = host
	if n := len(mustBuild(t, o).Linux.Devices); n != 6 {
		t.Errorf("unprivileged: %d devices, want the 6 defaults only", n)
	}
	o.Privileged = true
	devs := mustBuild(t, o).Linux.Devices
	if len(devs) != 7 || devs[6].Path != "/dev/fuse" {
		t.Errorf("privileged: devices %+v, want the defaults then /dev/fuse", devs)
	}
}
