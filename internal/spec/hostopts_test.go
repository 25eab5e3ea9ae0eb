package spec

import (
	"math"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseUlimit(t *testing.T) {
	tests := []struct {
		in      string
		want    Ulimit
		wantErr string
	}{
		{in: "nofile=1024:2048", want: Ulimit{Name: "nofile", Soft: 1024, Hard: 2048}},
		{in: "nofile=1024", want: Ulimit{Name: "nofile", Soft: 1024, Hard: 1024}},
		{in: "core=-1", want: Ulimit{Name: "core", Soft: -1, Hard: -1}},
		{in: "memlock=100:-1", want: Ulimit{Name: "memlock", Soft: 100, Hard: -1}},
		{in: "core=infinity", wantErr: `strconv.ParseInt: parsing "infinity": invalid syntax`}, // as the docker CLI 28
		{in: "core=-1:100", wantErr: "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 100"},
		{in: "core=-2", wantErr: "invalid ulimit value for core: -2 (-1 is unlimited)"},
		{in: "core=0:-5", wantErr: "invalid ulimit value for core: -5 (-1 is unlimited)"},
		{in: "nofile", wantErr: "invalid ulimit argument: nofile"},
		{in: "foo=1", wantErr: "invalid ulimit type: foo"},
		{in: "nofile=1024:512", wantErr: "ulimit soft limit must be less than or equal to hard limit: 1024 > 512"},
		{in: "nofile=abc", wantErr: `strconv.ParseInt: parsing "abc": invalid syntax`},
		{in: "nofile=1:2:3", wantErr: "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`"},
	}
	for _, tt := range tests {
		got, err := ParseUlimit(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseUlimit(%q) = %v, want error %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseUlimit(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestRlimits(t *testing.T) {
	got, err := rlimits([]Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}, {Name: "core", Soft: -1, Hard: -1}})
	if err != nil {
		t.Fatal(err)
	}
	want := []specs.POSIXRlimit{
		{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 2048},
		{Type: "RLIMIT_CORE", Soft: math.MaxUint64, Hard: math.MaxUint64},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rlimits = %+v, want %+v", got, want)
	}
	for _, bad := range []struct {
		u   Ulimit
		err string
	}{
		{Ulimit{Name: "core", Soft: -1, Hard: 100}, "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 100"},
		{Ulimit{Name: "core", Soft: 200, Hard: 100}, "ulimit soft limit must be less than or equal to hard limit: 200 > 100"},
		{Ulimit{Name: "nproc", Soft: -3, Hard: -1}, "invalid ulimit value for nproc: -3 (-1 is unlimited)"},
		{Ulimit{Name: "as", Soft: 1, Hard: 1}, "invalid ulimit type: as"},
	} {
		if _, err := rlimits([]Ulimit{bad.u}); err == nil || err.Error() != bad.err {
			t.Errorf("rlimits(%+v) = %v, want %q", bad.u, err, bad.err)
		}
	}
	if got, _ := rlimits(nil); !reflect.DeepEqual(got, []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: defaultNofile, Hard: defaultNofile}}) {
		t.Errorf("default rlimits = %+v", got)
	}
}

func TestValidateSysctl(t *testing.T) {
	for _, ok := range []string{"net.ipv4.ip_forward=1", "net.core.somaxconn=1024", "kernel.shmmax=1", "kernel.sem=1 2 3 4", "fs.mqueue.msg_max=20", "net.x="} {
		if _, err := ValidateSysctl(ok); err != nil {
			t.Errorf("ValidateSysctl(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"kernel.foo=1", "net.x", "vm.swappiness=1", "kernel.hostname=x", "=1"} {
		_, err := ValidateSysctl(bad)
		if want := "sysctl '" + bad + "' is not allowed"; err == nil || err.Error() != want {
			t.Errorf("ValidateSysctl(%q) = %v, want %q", bad, err, want)
		}
	}
}

func TestBuildSysctls(t *testing.T) {
	tests := []struct {
		name    string
		o       func(*Options)
		wantErr string
	}{
		{name: "net in a network namespace", o: func(o *Options) { o.Sysctls = map[string]string{"net.ipv4.ip_forward": "1"} }},
		{name: "ipc in an IPC namespace", o: func(o *Options) { o.Sysctls = map[string]string{"kernel.shmmax": "1"}; o.IpcMode = ModeShareable }},
		{name: "net on the host network", o: func(o *Options) { o.Sysctls = map[string]string{"net.ipv4.ip_forward": "1"}; o.Network = "host" },
			wantErr: `sysctl "net.ipv4.ip_forward" not allowed in host network namespace`},
		{name: "ipc on the host IPC", o: func(o *Options) { o.Sysctls = map[string]string{"fs.mqueue.msg_max": "1"}; o.IpcMode = ModeHost },
			wantErr: `sysctl "fs.mqueue.msg_max" is not allowed in the hosts ipc namespace`},
		{name: "not namespaced", o: func(o *Options) { o.Sysctls = map[string]string{"vm.swappiness": "1"} },
			wantErr: `sysctl "vm.swappiness" is not in a separate kernel namespace`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base()
			tt.o(&o)
			s := buildOrFail(t, o, tt.wantErr)
			if s == nil {
				return
			}
			if !reflect.DeepEqual(s.Linux.Sysctl, o.Sysctls) {
				t.Errorf("Sysctl = %v, want %v", s.Linux.Sysctl, o.Sysctls)
			}
		})
	}
}

func nsTypes(s *specs.Spec) []string {
	var out []string
	for _, ns := range s.Linux.Namespaces {
		out = append(out, string(ns.Type))
	}
	return out
}

func TestBuildNamespaceModes(t *testing.T) {
	old := hostHostname
	hostHostname = func() (string, error) { return "thehost", nil }
	t.Cleanup(func() { hostHostname = old })
	tests := []struct {
		name     string
		o        func(*Options)
		wantNS   string
		hostname string
		wantErr  string
	}{
		{name: "default", o: func(*Options) {}, wantNS: "mount network uts pid ipc cgroup", hostname: testID[:12]},
		{name: "--pid host", o: func(o *Options) { o.PidMode = ModeHost }, wantNS: "mount network uts ipc cgroup", hostname: testID[:12]},
		{name: "--ipc host", o: func(o *Options) { o.IpcMode = ModeHost }, wantNS: "mount network uts pid cgroup", hostname: testID[:12]},
		{name: "--uts host: the host's name, not set", o: func(o *Options) { o.UTSMode = ModeHost }, wantNS: "mount network pid ipc cgroup"},
		{name: "--cgroupns host", o: func(o *Options) { o.CgroupnsMode = ModeHost }, wantNS: "mount network uts pid ipc", hostname: testID[:12]},
		{name: "container modes keep a namespace entry", o: func(o *Options) { o.PidMode = "container:abc"; o.IpcMode = "container:abc" },
			wantNS: "mount network uts pid ipc cgroup", hostname: testID[:12]},
		{name: "bad pid", o: func(o *Options) { o.PidMode = "foo" }, wantErr: "invalid PID mode: foo"},
		{name: "bad ipc", o: func(o *Options) { o.IpcMode = "container:" }, wantErr: "invalid IPC mode: container:"},
		{name: "bad uts", o: func(o *Options) { o.UTSMode = "private" }, wantErr: "invalid UTS mode: private"},
		{name: "bad cgroupns", o: func(o *Options) { o.CgroupnsMode = "x" }, wantErr: "invalid cgroup namespace mode: x"},
		{name: "hostname with --uts host", o: func(o *Options) { o.UTSMode = ModeHost; o.Hostname = "x" }, wantErr: "conflicting options: hostname and the UTS mode"},
		{name: "oom score range", o: func(o *Options) { o.OomScoreAdj = -1001 }, wantErr: "Invalid value -1001, range for oom score adj is [-1000, 1000]"},
		{name: "shm size", o: func(o *Options) { o.ShmSize = -1 }, wantErr: "SHM size can not be less than 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base()
			tt.o(&o)
			s := buildOrFail(t, o, tt.wantErr)
			if s == nil {
				return
			}
			if got := strings.Join(nsTypes(s), " "); got != tt.wantNS {
				t.Errorf("namespaces %q, want %q", got, tt.wantNS)
			}
			if s.Hostname != tt.hostname {
				t.Errorf("hostname %q, want %q", s.Hostname, tt.hostname)
			}
		})
	}
}

func TestBuildShmAndProcess(t *testing.T) {
	shm := func(s *specs.Spec) *specs.Mount {
		for i, m := range s.Mounts {
			if m.Destination == "/dev/shm" {
				return &s.Mounts[i]
			}
		}
		return nil
	}
	o := base()
	if m := shm(mustBuild(t, o)); m == nil || !strings.Contains(strings.Join(m.Options, ","), "size=65536k") {
		t.Errorf("default /dev/shm: %+v", m)
	}
	o.ShmSize = 128 << 20
	if m := shm(mustBuild(t, o)); m == nil || m.Type != "tmpfs" || !strings.Contains(strings.Join(m.Options, ","), "size=134217728") {
		t.Errorf("--shm-size 128m: %+v", m)
	}
	o.IpcMode = ModeNone
	if m := shm(mustBuild(t, o)); m != nil {
		t.Errorf("--ipc none: /dev/shm %+v", m)
	}
	o.IpcMode = ModeHost
	if m := shm(mustBuild(t, o)); m == nil || m.Type != "bind" || m.Source != "/dev/shm" {
		t.Errorf("--ipc host: /dev/shm %+v", m)
	}

	o = base()
	o.GroupAdd = []uint32{10, 4242}
	o.OomScoreAdj = 500
	o.Ulimits = []Ulimit{{Name: "nproc", Soft: 10, Hard: 20}}
	s := mustBuild(t, o)
	if !reflect.DeepEqual(s.Process.User.AdditionalGids, []uint32{10, 4242}) {
		t.Errorf("AdditionalGids %v", s.Process.User.AdditionalGids)
	}
	if s.Process.OOMScoreAdj == nil || *s.Process.OOMScoreAdj != 500 {
		t.Errorf("OOMScoreAdj %v", s.Process.OOMScoreAdj)
	}
	if len(s.Process.Rlimits) != 2 || s.Process.Rlimits[1] != (specs.POSIXRlimit{Type: "RLIMIT_NPROC", Soft: 10, Hard: 20}) {
		t.Errorf("Rlimits %+v", s.Process.Rlimits)
	}
}

func TestBuildResourcesRunFlags(t *testing.T) {
	tests := []struct {
		name    string
		r       Resources
		check   func(*specs.LinuxResources) bool
		wantErr string
	}{
		{name: "reservation, period, quota, weight, oom", r: Resources{Memory: 64 << 20, MemoryReservation: 32 << 20, CPUPeriod: 50000, CPUQuota: 25000, BlkioWeight: 300, OomKillDisable: true},
			check: func(l *specs.LinuxResources) bool {
				return *l.Memory.Reservation == 32<<20 && *l.CPU.Period == 50000 && *l.CPU.Quota == 25000 && *l.BlockIO.Weight == 300 && *l.Memory.DisableOOMKiller
			}},
		{name: "reservation alone", r: Resources{MemoryReservation: 8 << 20},
			check: func(l *specs.LinuxResources) bool { return l.Memory.Limit == nil && *l.Memory.Reservation == 8<<20 }},
		{name: "quota -1", r: Resources{CPUQuota: -1}, check: func(l *specs.LinuxResources) bool { return *l.CPU.Quota == -1 && l.CPU.Period == nil }},
		{name: "small reservation", r: Resources{MemoryReservation: 1 << 20}, wantErr: "Minimum memory reservation allowed is 6MB"},
		{name: "reservation above memory", r: Resources{Memory: 16 << 20, MemoryReservation: 32 << 20}, wantErr: "Minimum memory limit can not be less than memory reservation limit, see usage"},
		{name: "period range", r: Resources{CPUPeriod: 999}, wantErr: "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{name: "period range high", r: Resources{CPUPeriod: 1000001}, wantErr: "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"},
		{name: "quota range", r: Resources{CPUQuota: 999}, wantErr: "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
		{name: "cpus and period", r: Resources{NanoCPUs: 1e9, CPUPeriod: 100000}, wantErr: "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
		{name: "cpus and quota", r: Resources{NanoCPUs: 1e9, CPUQuota: 100000}, wantErr: "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
		{name: "weight low", r: Resources{BlkioWeight: 9}, wantErr: "Range of blkio weight is from 10 to 1000"},
		{name: "weight high", r: Resources{BlkioWeight: 1001}, wantErr: "Range of blkio weight is from 10 to 1000"},
	}
	oldNum := numCPU
	numCPU = func() int { return 2 }
	t.Cleanup(func() { numCPU = oldNum })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := buildResources(tt.r)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("buildResources = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(l) {
				t.Errorf("buildResources = %+v, %v", l, err)
			}
		})
	}
}

func TestCheckUpdate(t *testing.T) {
	oldNum := numCPU
	numCPU = func() int { return 2 }
	t.Cleanup(func() { numCPU = oldNum })
	for _, tt := range []struct {
		r       Resources
		wantErr string
	}{
		{r: Resources{MemorySwap: 256 << 20}}, // a swap limit alone is fine in an update
		{r: Resources{Memory: 128 << 20, MemorySwap: 64 << 20}, wantErr: "Minimum memoryswap limit should be larger than memory limit, see usage"},
		{r: Resources{Memory: 1 << 20}, wantErr: "Minimum memory limit allowed is 6MB"},
		{r: Resources{NanoCPUs: 3e9}, wantErr: "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
		{r: Resources{BlkioWeight: 5}, wantErr: "Range of blkio weight is from 10 to 1000"},
		{r: Resources{CPUQuota: 10}, wantErr: "CPU cfs quota can not be less than 1ms (i.e. 1000)"},
	} {
		err := CheckUpdate(tt.r)
		if (tt.wantErr == "" && err != nil) || (tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr)) {
			t.Errorf("CheckUpdate(%+v) = %v, want %q", tt.r, err, tt.wantErr)
		}
	}
}

// buildOrFail builds o; with wantErr, it checks that Build fails with that message and
// returns nil.
func buildOrFail(t *testing.T, o Options, wantErr string) *specs.Spec {
	t.Helper()
	s, err := Build(o)
	if wantErr != "" {
		if err == nil || err.Error() != wantErr {
			t.Fatalf("Build = %v, want %q", err, wantErr)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}
