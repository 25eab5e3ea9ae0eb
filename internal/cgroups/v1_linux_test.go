package cgroups

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v1Files are the files the kernel makes in a new v1 cgroup, per controller.
var v1Files = map[string]map[string]string{
	"cpuset":  {"cpuset.cpus": "", "cpuset.mems": ""},
	"cpu":     {"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1"},
	"cpuacct": {"cpuacct.usage": "0"},
	"memory": {
		"memory.limit_in_bytes":       "9223372036854771712",
		"memory.memsw.limit_in_bytes": "9223372036854771712",
		"memory.usage_in_bytes":       "0",
		"memory.failcnt":              "0",
		"memory.oom_control":          "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
		"memory.stat":                 "cache 0\nrss 0\ninactive_file 0\ntotal_cache 0\ntotal_inactive_file 0\n",
	},
	"pids":    {"pids.max": "max", "pids.current": "0"},
	"devices": {"devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm\n"},
	"freezer": {"freezer.state": "THAWED\n"},
	"blkio":   {},
}

// fakeV1 lays out a v1 tree with the given controllers, at the root, the
// "geedocker" parent and the "c1" container levels, and returns its manager.
func fakeV1(t *testing.T, ctrls ...string) (*v1, *fakeKernel) {
	t.Helper()
	if len(ctrls) == 0 {
		ctrls = v1Controllers
	}
	root := t.TempDir()
	files := map[string]string{}
	for _, c := range ctrls {
		for _, level := range []string{c, c + "/geedocker", c + "/geedocker/c1"} {
			files[level+"/cgroup.procs"] = ""
			for f, v := range v1Files[c] {
				files[level+"/"+f] = v
			}
		}
	}
	files["cpuset/cpuset.cpus"] = "0-1\n"
	files["cpuset/cpuset.mems"] = "0\n"
	writeTree(t, root, files)
	k := newFakeKernel(root)
	m, err := New(Legacy, "c1", Opts{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	mv1 := m.(*v1)
	mv1.sys = k.sys()
	return mv1, k
}

func TestV1Create(t *testing.T) {
	const unlimited = "9223372036854771712"
	tests := []struct {
		name   string
		res    *specs.LinuxResources
		prep   func(t *testing.T, root string)
		want   map[string]string
		errHas string
	}{
		{
			name: "docker run --cpus 0.5 -m 32m --memory-swap 64m --pids-limit 10 --cpuset-cpus 1 --cpu-shares 512",
			res: &specs.LinuxResources{
				CPU:    &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000), Shares: u64(512), Cpus: "1"},
				Memory: &specs.LinuxMemory{Limit: i64(32 * mib), Swap: i64(64 * mib)},
				Pids:   &specs.LinuxPids{Limit: i64(10)},
			},
			want: map[string]string{
				"cpu/geedocker/c1/cpu.cfs_quota_us":               "50000",
				"cpu/geedocker/c1/cpu.cfs_period_us":              "100000",
				"cpu/geedocker/c1/cpu.shares":                     "512",
				"memory/geedocker/c1/memory.limit_in_bytes":       "33554432",
				"memory/geedocker/c1/memory.memsw.limit_in_bytes": "67108864",
				"pids/geedocker/c1/pids.max":                      "10",
				"cpuset/geedocker/c1/cpuset.cpus":                 "1",
				"cpuset/geedocker/c1/cpuset.mems":                 "0",
				"cpuset/geedocker/cpuset.cpus":                    "0-1",
				"cpuset/geedocker/cpuset.mems":                    "0",
				"memory/geedocker/memory.limit_in_bytes":          unlimited,
				"cpu/geedocker/cpu.cfs_quota_us":                  "-1",
				"devices/geedocker/c1/devices.deny":               "",
			},
		},
		{
			name: "nothing set: only cpuset is filled in",
			res:  nil,
			want: map[string]string{
				"cpuset/geedocker/c1/cpuset.cpus":           "0-1",
				"cpuset/geedocker/c1/cpuset.mems":           "0",
				"memory/geedocker/c1/memory.limit_in_bytes": unlimited,
				"pids/geedocker/c1/pids.max":                "max",
				"cpu/geedocker/c1/cpu.cfs_quota_us":         "-1",
			},
		},
		{
			name: "parent's cpuset is inherited, not the root's",
			res:  nil,
			prep: func(t *testing.T, root string) {
				writeTree(t, root, map[string]string{"cpuset/geedocker/cpuset.cpus": "1\n"})
			},
			want: map[string]string{
				"cpuset/geedocker/cpuset.cpus":    "1\n",
				"cpuset/geedocker/c1/cpuset.cpus": "1",
			},
		},
		{
			name: "no swap accounting: memsw skipped",
			res:  mem(32*mib, 64*mib),
			prep: func(t *testing.T, root string) {
				for _, d := range []string{"memory", "memory/geedocker", "memory/geedocker/c1"} {
					if err := os.Remove(filepath.Join(root, d, "memory.memsw.limit_in_bytes")); err != nil {
						t.Fatal(err)
					}
				}
			},
			want: map[string]string{
				"memory/geedocker/c1/memory.limit_in_bytes":       "33554432",
				"memory/geedocker/c1/memory.memsw.limit_in_bytes": absent,
			},
		},
		{
			name: "unlimited",
			res: &specs.LinuxResources{
				CPU: &specs.LinuxCPU{Quota: i64(-1)}, Memory: mem(-1, -1).Memory, Pids: &specs.LinuxPids{Limit: i64(-1)},
			},
			want: map[string]string{
				"cpu/geedocker/c1/cpu.cfs_quota_us":               "-1",
				"memory/geedocker/c1/memory.limit_in_bytes":       "-1",
				"memory/geedocker/c1/memory.memsw.limit_in_bytes": "-1",
				"pids/geedocker/c1/pids.max":                      "max",
			},
		},
		{
			name: "device rules",
			res: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
				{Allow: false, Access: "rwm"},
				{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
			}},
			want: map[string]string{
				"devices/geedocker/c1/devices.deny":  "a *:* rwm",
				"devices/geedocker/c1/devices.allow": "c 1:3 rwm",
				"devices/geedocker/devices.deny":     "",
			},
		},
		{
			name: "pids limit without the pids controller",
			res:  &specs.LinuxResources{Memory: mem(32*mib, 0).Memory, Pids: &specs.LinuxPids{Limit: i64(10)}},
			prep: func(t *testing.T, root string) {
				if err := os.RemoveAll(filepath.Join(root, "pids")); err != nil {
					t.Fatal(err)
				}
			},
			errHas: "needs the pids controller",
			want: map[string]string{
				"memory/geedocker/c1/memory.limit_in_bytes": unlimited,
				"cpuset/geedocker/cpuset.cpus":              "",
			},
		},
		{
			name:   "bad resources",
			res:    mem(32*mib, 16*mib),
			errHas: "smaller than the memory limit",
			want:   map[string]string{"memory/geedocker/c1/memory.limit_in_bytes": unlimited},
		},
		{
			name: "kernel refuses a write",
			res:  &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000)}},
			prep: func(t *testing.T, root string) {
				// A directory where the file should be makes the write fail.
				p := filepath.Join(root, "cpu/geedocker/c1/cpu.cfs_quota_us")
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
			},
			errHas: `writing "50000" to `,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := fakeV1(t)
			if tt.prep != nil {
				tt.prep(t, m.root)
			}
			err := m.Create(tt.res)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Create error = %v, want one containing %q", err, tt.errHas)
				}
			} else if err != nil {
				t.Fatalf("Create: %v", err)
			}
			checkTree(t, m.root, tt.want)
			if tt.errHas == "" { // idempotent: a second Create changes nothing
				if err := m.Create(tt.res); err != nil {
					t.Fatalf("second Create: %v", err)
				}
				checkTree(t, m.root, tt.want)
			}
		})
	}
}

// On a real kernel mkdir makes the control files; in an empty fake tree it
// makes none, so the first write fails: Create must remove what it made.
func TestV1CreateFailureRemovesDirectories(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"cpuset/cpuset.cpus": "0-1", "cpuset/cpuset.mems": "0",
		"memory/cgroup.procs": "", "pids/cgroup.procs": "",
	})
	k := newFakeKernel(root)
	m := &v1{root: root, parent: "geedocker", name: "c1", sys: k.sys()}
	err := m.Create(mem(32*mib, 0))
	if err == nil {
		t.Fatal("Create succeeded in a tree without control files")
	}
	for _, c := range []string{"cpuset", "memory", "pids"} {
		if _, err := os.Stat(filepath.Join(root, c, "geedocker", "c1")); !os.IsNotExist(err) {
			t.Errorf("%s/geedocker/c1 left behind after a failed Create (stat: %v)", c, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "cpuset", "geedocker")); err != nil {
		t.Errorf("cpuset/geedocker, the shared parent, is gone: %v", err)
	}
}

func TestV1Add(t *testing.T) {
	m, _ := fakeV1(t, "cpuset", "cpu", "memory", "pids")
	if err := m.Add(4242); err != nil {
		t.Fatalf("Add: %v", err)
	}
	checkTree(t, m.root, map[string]string{
		"cpuset/geedocker/c1/cgroup.procs": "4242",
		"cpu/geedocker/c1/cgroup.procs":    "4242",
		"memory/geedocker/c1/cgroup.procs": "4242",
		"pids/geedocker/c1/cgroup.procs":   "4242",
		"memory/geedocker/cgroup.procs":    "",
	})
	for _, pid := range []int{0, -1} {
		if err := m.Add(pid); err == nil || !strings.Contains(err.Error(), "not a process id") {
			t.Errorf("Add(%d) error = %v, want \"not a process id\"", pid, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(m.root, "pids/geedocker/c1")); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(4242); err == nil || !strings.Contains(err.Error(), "pids/geedocker/c1/cgroup.procs") {
		t.Errorf("Add into a missing pids cgroup: error = %v, want one naming the file", err)
	}
}

func TestV1OOMKilled(t *testing.T) {
	tests := []struct {
		name, oomControl, failcnt string
		want                      bool
		errHas                    string
	}{
		{name: "none", oomControl: "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n", failcnt: "7", want: false},
		{name: "killed", oomControl: "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", failcnt: "0", want: true},
		{name: "old kernel, limit never hit", oomControl: "oom_kill_disable 0\nunder_oom 0\n", failcnt: "0", want: false},
		{name: "old kernel, limit hit", oomControl: "oom_kill_disable 0\nunder_oom 0\n", failcnt: "12", want: true},
		{name: "garbage", oomControl: "oom_kill many\n", errHas: "parsing \"oom_kill\""},
		{name: "missing", oomControl: absent, errHas: "memory.oom_control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := fakeV1(t, "memory")
			dir := "memory/geedocker/c1/"
			writeTree(t, m.root, map[string]string{dir + "memory.oom_control": tt.oomControl, dir + "memory.failcnt": tt.failcnt})
			if tt.oomControl == absent {
				os.Remove(filepath.Join(m.root, dir, "memory.oom_control"))
			}
			got, err := m.OOMKilled()
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("OOMKilled error = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("OOMKilled = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestV1Stats(t *testing.T) {
	tests := []struct {
		name   string
		ctrls  []string
		files  map[string]string
		want   Stats
		errHas string
	}{
		{
			name: "limited",
			files: map[string]string{
				"cpuacct/geedocker/c1/cpuacct.usage":        "123456789\n",
				"memory/geedocker/c1/memory.usage_in_bytes": "4194304\n",
				"memory/geedocker/c1/memory.limit_in_bytes": "33554432\n",
				"memory/geedocker/c1/memory.stat":           "cache 8192\ninactive_file 1\ntotal_inactive_file 4096\n",
				"pids/geedocker/c1/pids.current":            "3\n",
			},
			want: Stats{CPUUsage: 123456789, MemoryUsage: 4194304, MemoryLimit: 33554432, MemoryInactiveFile: 4096, Pids: 3},
		},
		{
			name:  "unlimited, no pids controller",
			ctrls: []string{"cpuacct", "memory"},
			files: map[string]string{"memory/geedocker/c1/memory.usage_in_bytes": "100"},
			want:  Stats{MemoryUsage: 100},
		},
		{
			name:   "no cpuacct",
			ctrls:  []string{"memory", "pids"},
			errHas: "cpuacct.usage",
		},
		{
			name:   "garbage",
			files:  map[string]string{"pids/geedocker/c1/pids.current": "lots"},
			errHas: "pids.current",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := fakeV1(t, tt.ctrls...)
			writeTree(t, m.root, tt.files)
			got, err := m.Stats()
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Stats error = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Stats = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestV1Procs(t *testing.T) {
	m, _ := fakeV1(t)
	writeTree(t, m.root, map[string]string{"cpuset/geedocker/c1/cgroup.procs": "12\n345\n"})
	got, err := m.Procs()
	if err != nil || !reflect.DeepEqual(got, []int{12, 345}) {
		t.Fatalf("Procs = %v, %v; want [12 345]", got, err)
	}
	writeTree(t, m.root, map[string]string{"cpuset/geedocker/c1/cgroup.procs": ""})
	if got, err := m.Procs(); err != nil || len(got) != 0 {
		t.Fatalf("Procs of an empty cgroup = %v, %v; want none", got, err)
	}
	writeTree(t, m.root, map[string]string{"cpuset/geedocker/c1/cgroup.procs": "12\nx\n"})
	if _, err := m.Procs(); err == nil || !strings.Contains(err.Error(), `bad pid "x"`) {
		t.Fatalf("Procs of a garbled file: error = %v, want bad pid", err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Procs(); !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("Procs of a destroyed cgroup: error = %v, want not-exist", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

// setProcs writes the same pids into every controller's cgroup.procs, as the
// kernel would show after Add.
func setProcs(t *testing.T, m *v1, pids string) {
	t.Helper()
	files := map[string]string{}
	for _, c := range m.mounted() {
		files[c+"/geedocker/c1/cgroup.procs"] = pids
	}
	writeTree(t, m.root, files)
}

func TestV1Kill(t *testing.T) {
	t.Run("frozen while signalled, thawed after", func(t *testing.T) {
		m, k := fakeV1(t)
		setProcs(t, m, "101\n102\n")
		var states []string
		k.onKill = func(int) bool {
			s, _ := readFile(m.dir("freezer"), "freezer.state")
			states = append(states, s)
			return false
		}
		if err := m.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		if got := k.killedPids(); !reflect.DeepEqual(got, []int{101, 102}) {
			t.Errorf("killed %v, want [101 102]", got)
		}
		if !reflect.DeepEqual(states, []string{"FROZEN", "FROZEN"}) {
			t.Errorf("freezer.state during the kills = %v, want FROZEN each time", states)
		}
		checkTree(t, m.root, map[string]string{
			"freezer/geedocker/c1/freezer.state": "THAWED",
			"memory/geedocker/c1/cgroup.procs":   "",
		})
	})
	t.Run("no freezer: killed until empty", func(t *testing.T) {
		m, k := fakeV1(t, "memory", "pids")
		setProcs(t, m, "7\n8\n9\n")
		survived := false
		k.onKill = func(pid int) bool { // pid 8 survives the first SIGKILL
			if pid == 8 && !survived {
				survived = true
				return true
			}
			return false
		}
		if err := m.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		if got := k.killedPids(); !reflect.DeepEqual(got, []int{7, 8, 9, 8}) {
			t.Errorf("killed %v, want [7 8 9 8]", got)
		}
	})
	t.Run("a process that never dies", func(t *testing.T) {
		m, k := fakeV1(t)
		m.sys.timeout = 20 * time.Millisecond
		setProcs(t, m, "55\n")
		k.onKill = func(int) bool { return true }
		err := m.Kill()
		if err == nil || !strings.Contains(err.Error(), "to be empty") {
			t.Fatalf("Kill error = %v, want a timeout waiting for the cgroup to be empty", err)
		}
		checkTree(t, m.root, map[string]string{"freezer/geedocker/c1/freezer.state": "THAWED"})
	})
	t.Run("empty or missing cgroup", func(t *testing.T) {
		m, k := fakeV1(t)
		if err := m.Kill(); err != nil {
			t.Fatalf("Kill of an empty cgroup: %v", err)
		}
		if err := m.Destroy(); err != nil {
			t.Fatal(err)
		}
		if err := m.Kill(); err != nil {
			t.Fatalf("Kill of a missing cgroup: %v", err)
		}
		if got := k.killedPids(); len(got) != 0 {
			t.Errorf("killed %v, want nothing", got)
		}
	})
}

func TestV1Destroy(t *testing.T) {
	t.Run("waits while busy", func(t *testing.T) {
		m, k := fakeV1(t)
		k.busy[m.dir("memory")] = 3
		k.busy[m.dir("pids")] = 1
		if err := m.Destroy(); err != nil {
			t.Fatalf("Destroy: %v", err)
		}
		for _, c := range v1Controllers {
			if _, err := os.Stat(m.dir(c)); !os.IsNotExist(err) {
				t.Errorf("%s still there after Destroy (stat: %v)", m.dir(c), err)
			}
			if _, err := os.Stat(filepath.Dir(m.dir(c))); err != nil {
				t.Errorf("shared parent %s removed: %v", filepath.Dir(m.dir(c)), err)
			}
		}
		if err := m.Destroy(); err != nil {
			t.Fatalf("second Destroy: %v", err)
		}
	})
	t.Run("busy for good", func(t *testing.T) {
		m, k := fakeV1(t)
		m.sys.timeout = 20 * time.Millisecond
		k.busy[m.dir("memory")] = 1 << 30
		err := m.Destroy()
		if err == nil || !strings.Contains(err.Error(), "memory/geedocker/c1") {
			t.Fatalf("Destroy error = %v, want one naming the memory cgroup", err)
		}
		if _, err := os.Stat(m.dir("pids")); !os.IsNotExist(err) {
			t.Errorf("the other controllers' directories must still go (stat pids: %v)", err)
		}
	})
}

func TestV1Path(t *testing.T) {
	m, err := New(Hybrid, "abc123", Opts{Root: "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Path(); got != "/geedocker/abc123" {
		t.Errorf("Path = %q, want /geedocker/abc123", got)
	}
	if got := m.(*v1).dir("memory"); got != "/x/memory/geedocker/abc123" {
		t.Errorf("memory dir = %q", got)
	}
	if _, err := New(Legacy, "../x", Opts{}); err == nil {
		t.Error("New accepted the name ../x")
	}
	if _, err := New(Unavailable, "c1", Opts{}); err == nil {
		t.Error("New accepted mode Unavailable")
	}
}
