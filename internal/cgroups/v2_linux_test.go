package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v2Leaf are the files the kernel makes in a new v2 cgroup whose parent
// enables cpuset, cpu, io, memory and pids (cgroup.kill is write-only).
var v2Leaf = map[string]string{
	"cgroup.procs":           "",
	"cgroup.controllers":     "cpuset cpu io memory pids\n",
	"cgroup.subtree_control": "",
	"cgroup.events":          "populated 0\nfrozen 0\n",
	"cgroup.freeze":          "0\n",
	"cgroup.kill":            "",
	"cpu.max":                "max 100000\n",
	"cpu.weight":             "100\n",
	"cpu.stat":               "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
	"cpuset.cpus":            "",
	"cpuset.mems":            "",
	"memory.max":             "max\n",
	"memory.swap.max":        "max\n",
	"memory.current":         "0\n",
	"memory.stat":            "anon 0\nfile 0\nactive_file 0\ninactive_file 0\n",
	"memory.events":          "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
	"pids.max":               "max\n",
	"pids.current":           "0\n",
}

// fakeV2 lays out a v2 tree: the root offering the usual controllers, the
// "geedocker" parent, and the "c1" container with its control files.
func fakeV2(t *testing.T) (*v2, *fakeKernel) {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"cgroup.controllers":               "cpuset cpu io memory hugetlb pids rdma misc\n",
		"cgroup.subtree_control":           "",
		"cgroup.procs":                     "1\n",
		"geedocker/cgroup.controllers":     "",
		"geedocker/cgroup.subtree_control": "",
		"geedocker/cgroup.procs":           "",
	}
	for f, v := range v2Leaf {
		files["geedocker/c1/"+f] = v
	}
	writeTree(t, root, files)
	k := newFakeKernel(root)
	m, err := New(Unified, "c1", Opts{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	mv2 := m.(*v2)
	mv2.sys = k.sys()
	return mv2, k
}

func TestV2Create(t *testing.T) {
	const all = "+cpuset +cpu +io +memory +pids"
	tests := []struct {
		name   string
		res    *specs.LinuxResources
		prep   map[string]string // files written before Create; absent removes
		want   map[string]string
		errHas string
		// once skips the second, idempotence Create: the fake keeps
		// "+cpuset +io" as written where the kernel would list all enabled.
		once bool
	}{
		{
			name: "docker run --cpus 0.5 -m 32m --memory-swap 64m --pids-limit 10 --cpuset-cpus 1 --cpu-shares 512",
			res: &specs.LinuxResources{
				CPU:    &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000), Shares: u64(512), Cpus: "1"},
				Memory: &specs.LinuxMemory{Limit: i64(32 * mib), Swap: i64(64 * mib)},
				Pids:   &specs.LinuxPids{Limit: i64(10)},
			},
			want: map[string]string{
				"cgroup.subtree_control":           all,
				"geedocker/cgroup.subtree_control": all,
				"geedocker/c1/cpu.max":             "50000 100000",
				"geedocker/c1/cpu.weight":          "20",
				"geedocker/c1/memory.max":          "33554432",
				"geedocker/c1/memory.swap.max":     "33554432",
				"geedocker/c1/pids.max":            "10",
				"geedocker/c1/cpuset.cpus":         "1",
				"geedocker/c1/cpuset.mems":         "",
			},
		},
		{
			name: "nothing set: controllers enabled, no limit written",
			want: map[string]string{
				"cgroup.subtree_control":           all,
				"geedocker/cgroup.subtree_control": all,
				"geedocker/c1/cpu.max":             "max 100000\n",
				"geedocker/c1/memory.max":          "max\n",
				"geedocker/c1/pids.max":            "max\n",
			},
		},
		{
			name: "controllers already enabled are not written again",
			prep: map[string]string{"cgroup.subtree_control": "cpuset cpu io memory pids\n"},
			res:  mem(32*mib, 0),
			want: map[string]string{
				"cgroup.subtree_control":           "cpuset cpu io memory pids\n",
				"geedocker/cgroup.subtree_control": all,
				"geedocker/c1/memory.max":          "33554432",
			},
		},
		{
			name: "only the missing ones are added",
			prep: map[string]string{"cgroup.subtree_control": "cpu memory\n"},
			want: map[string]string{"cgroup.subtree_control": "+cpuset +io +pids"},
			once: true,
		},
		{
			name: "root offers fewer controllers",
			prep: map[string]string{"cgroup.controllers": "cpu memory\n"},
			res:  &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(2048)}, Memory: mem(-1, -1).Memory},
			want: map[string]string{
				"cgroup.subtree_control":           "+cpu +memory",
				"geedocker/cgroup.subtree_control": "+cpu +memory",
				"geedocker/c1/cpu.weight":          "79",
				"geedocker/c1/memory.max":          "max",
				"geedocker/c1/memory.swap.max":     "max",
			},
		},
		{
			name: "no swap accounting: memory.swap.max skipped",
			prep: map[string]string{"geedocker/c1/memory.swap.max": absent},
			res:  mem(32*mib, 64*mib),
			want: map[string]string{
				"geedocker/c1/memory.max":      "33554432",
				"geedocker/c1/memory.swap.max": absent,
			},
		},
		{
			name:   "pids limit without the pids controller",
			prep:   map[string]string{"cgroup.controllers": "cpu memory\n"},
			res:    &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}},
			errHas: "needs the pids controller",
			want: map[string]string{
				"cgroup.subtree_control": "",
				"geedocker/c1/pids.max":  "max\n",
			},
		},
		{
			name:   "no cgroup.controllers at the root",
			prep:   map[string]string{"cgroup.controllers": absent},
			errHas: "cgroup.controllers",
			want:   map[string]string{"cgroup.subtree_control": ""},
		},
		{
			name:   "bad resources",
			res:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1; echo"}},
			errHas: "invalid CPU list",
			want:   map[string]string{"cgroup.subtree_control": "", "geedocker/c1/cpuset.cpus": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := fakeV2(t)
			for rel, v := range tt.prep {
				if v == absent {
					if err := os.Remove(filepath.Join(m.root, rel)); err != nil {
						t.Fatal(err)
					}
					delete(tt.prep, rel)
				}
			}
			writeTree(t, m.root, tt.prep)
			err := m.Create(tt.res)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Create error = %v, want one containing %q", err, tt.errHas)
				}
			} else if err != nil {
				t.Fatalf("Create: %v", err)
			}
			checkTree(t, m.root, tt.want)
			if tt.errHas == "" && !tt.once {
				if err := m.Create(tt.res); err != nil {
					t.Fatalf("second Create: %v", err)
				}
				checkTree(t, m.root, tt.want)
			}
		})
	}
}

func TestV2CreateFailureRemovesDirectory(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"cgroup.controllers":               "cpu memory pids",
		"cgroup.subtree_control":           "",
		"geedocker/cgroup.subtree_control": "",
	})
	k := newFakeKernel(root)
	m := &v2{root: root, parent: "geedocker", name: "c1", sys: k.sys()}
	if err := m.Create(mem(32*mib, 0)); err == nil || !strings.Contains(err.Error(), "memory.max") {
		t.Fatalf("Create without memory.max: error = %v, want one naming memory.max", err)
	}
	if _, err := os.Stat(m.dir()); !os.IsNotExist(err) {
		t.Errorf("%s left behind after a failed Create (stat: %v)", m.dir(), err)
	}
}

func TestV2Add(t *testing.T) {
	m, _ := fakeV2(t)
	if err := m.Add(4242); err != nil {
		t.Fatalf("Add: %v", err)
	}
	checkTree(t, m.root, map[string]string{"geedocker/c1/cgroup.procs": "4242", "geedocker/cgroup.procs": ""})
	if err := m.Add(0); err == nil {
		t.Error("Add(0) succeeded")
	}
}

func TestV2OOMKilled(t *testing.T) {
	tests := []struct {
		name, events string
		want         bool
		errHas       string
	}{
		{name: "fresh", events: v2Leaf["memory.events"], want: false},
		{name: "limit hit, reclaimed", events: "low 0\nhigh 0\nmax 12\noom 0\noom_kill 0\n", want: false},
		{name: "killed", events: "low 0\nhigh 0\nmax 40\noom 1\noom_kill 1\noom_group_kill 0\n", want: true},
		{name: "group kill only counts as oom_kill", events: "oom 1\noom_kill 0\noom_group_kill 1\n", want: false},
		{name: "garbage", events: "oom_kill -1\n", errHas: "oom_kill"},
		{name: "missing", events: absent, errHas: "memory.events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := fakeV2(t)
			p := filepath.Join(m.dir(), "memory.events")
			if tt.events == absent {
				os.Remove(p)
			} else {
				writeTree(t, m.root, map[string]string{"geedocker/c1/memory.events": tt.events})
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

func TestV2Stats(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		remove []string
		want   Stats
		errHas string
	}{
		{
			name: "limited",
			files: map[string]string{
				"cpu.stat":       "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
				"memory.current": "4194304\n",
				"memory.max":     "33554432\n",
				"memory.stat":    "anon 1\nfile 8192\nactive_file 4096\ninactive_file 2048\n",
				"pids.current":   "3\n",
			},
			want: Stats{CPUUsage: 1500000, MemoryUsage: 4194304, MemoryLimit: 33554432, MemoryInactiveFile: 2048, Pids: 3},
		},
		{
			name:   "unlimited, no pids controller",
			files:  map[string]string{"memory.current": "100\n"},
			remove: []string{"pids.current"},
			want:   Stats{MemoryUsage: 100},
		},
		{name: "no cpu.stat", remove: []string{"cpu.stat"}, errHas: "cpu.stat"},
		{name: "no memory controller", remove: []string{"memory.current"}, errHas: "memory.current"},
		{name: "garbage", files: map[string]string{"memory.max": "lots"}, errHas: "memory.max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := fakeV2(t)
			files := map[string]string{}
			for f, v := range tt.files {
				files["geedocker/c1/"+f] = v
			}
			writeTree(t, m.root, files)
			for _, f := range tt.remove {
				if err := os.Remove(filepath.Join(m.dir(), f)); err != nil {
					t.Fatal(err)
				}
			}
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

func TestV2Procs(t *testing.T) {
	m, _ := fakeV2(t)
	writeTree(t, m.root, map[string]string{"geedocker/c1/cgroup.procs": "7\n8\n"})
	got, err := m.Procs()
	if err != nil || !reflect.DeepEqual(got, []int{7, 8}) {
		t.Fatalf("Procs = %v, %v; want [7 8]", got, err)
	}
}

func TestV2Kill(t *testing.T) {
	t.Run("cgroup.kill", func(t *testing.T) {
		m, k := fakeV2(t)
		writes := fakeKillFile(t, m.dir())
		writeTree(t, m.root, map[string]string{"geedocker/c1/cgroup.procs": "5\n6\n"})
		if err := m.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		if n := writes(); n < 1 {
			t.Errorf("cgroup.kill written %d times, want at least once", n)
		}
		if got := k.killedPids(); len(got) != 0 {
			t.Errorf("signalled %v one by one, want cgroup.kill only", got)
		}
		checkTree(t, m.root, map[string]string{"geedocker/c1/cgroup.freeze": "0\n"})
	})
	t.Run("no cgroup.kill: freeze, kill each, thaw", func(t *testing.T) {
		m, k := fakeV2(t)
		writeTree(t, m.root, map[string]string{
			"geedocker/c1/cgroup.procs":  "5\n6\n",
			"geedocker/c1/cgroup.events": "populated 1\nfrozen 1\n", // the fake kernel freezes at once
		})
		if err := os.Remove(filepath.Join(m.dir(), "cgroup.kill")); err != nil {
			t.Fatal(err)
		}
		var freeze []string
		k.onKill = func(int) bool {
			s, _ := readFile(m.dir(), "cgroup.freeze")
			freeze = append(freeze, s)
			return false
		}
		if err := m.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		if got := k.killedPids(); !reflect.DeepEqual(got, []int{5, 6}) {
			t.Errorf("killed %v, want [5 6]", got)
		}
		if !reflect.DeepEqual(freeze, []string{"1", "1"}) {
			t.Errorf("cgroup.freeze during the kills = %v, want 1 each time", freeze)
		}
		checkTree(t, m.root, map[string]string{"geedocker/c1/cgroup.freeze": "0", "geedocker/c1/cgroup.procs": ""})
	})
	t.Run("freezing never completes: kill anyway", func(t *testing.T) {
		m, k := fakeV2(t)
		m.sys.timeout = 50 * time.Millisecond
		writeTree(t, m.root, map[string]string{"geedocker/c1/cgroup.procs": "5\n"})
		if err := os.Remove(filepath.Join(m.dir(), "cgroup.kill")); err != nil {
			t.Fatal(err)
		}
		if err := m.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		if got := k.killedPids(); !reflect.DeepEqual(got, []int{5}) {
			t.Errorf("killed %v, want [5]", got)
		}
		checkTree(t, m.root, map[string]string{"geedocker/c1/cgroup.freeze": "0"})
	})
	t.Run("no freezer, no cgroup.kill", func(t *testing.T) {
		m, k := fakeV2(t)
		writeTree(t, m.root, map[string]string{"geedocker/c1/cgroup.procs": "5\n"})
		for _, f := range []string{"cgroup.kill", "cgroup.freeze"} {
			if err := os.Remove(filepath.Join(m.dir(), f)); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Kill(); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		if got := k.killedPids(); !reflect.DeepEqual(got, []int{5}) {
			t.Errorf("killed %v, want [5]", got)
		}
	})
	t.Run("missing cgroup", func(t *testing.T) {
		m, _ := fakeV2(t)
		if err := m.Destroy(); err != nil {
			t.Fatal(err)
		}
		if err := m.Kill(); err != nil {
			t.Fatalf("Kill of a missing cgroup: %v", err)
		}
	})
}

func TestV2Destroy(t *testing.T) {
	m, k := fakeV2(t)
	k.busy[m.dir()] = 2
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if _, err := os.Stat(m.dir()); !os.IsNotExist(err) {
		t.Errorf("%s still there (stat: %v)", m.dir(), err)
	}
	if _, err := os.Stat(filepath.Join(m.root, "geedocker")); err != nil {
		t.Errorf("shared parent removed: %v", err)
	}
	if err := m.Destroy(); err != nil {
		t.Fatalf("second Destroy: %v", err)
	}
	if got := m.Path(); got != "/geedocker/c1" {
		t.Errorf("Path = %q", got)
	}
}

// Create hands the device rules to the kernel as a filter (an eBPF program
// on the host), after the limits; a failure there leaves no directory.
func TestV2CreateDeviceFilter(t *testing.T) {
	tree := map[string]string{
		"cgroup.controllers":               "cpu memory pids",
		"cgroup.subtree_control":           "",
		"geedocker/cgroup.subtree_control": "",
	}
	for _, tt := range []struct {
		name    string
		res     *specs.LinuxResources
		fail    bool
		want    string // the filter set, as devices.list; "" for none
		wantErr string
	}{
		{name: "no resources", res: nil},
		{name: "no device rules", res: &specs.LinuxResources{}},
		{name: "container rules", res: &specs.LinuxResources{Devices: containerRules},
			want: "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\n"},
		{name: "privileged", res: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}},
			want: "a *:* rwm\n"},
		{name: "bad rule", res: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{allow("c 1:3 rwx")}},
			wantErr: `invalid device rule access "rwx"`},
		{name: "the kernel refuses", res: &specs.LinuxResources{Devices: containerRules}, fail: true,
			wantErr: "setting the device rules of cgroup /geedocker/c1: no BPF here"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tree)
			k := newFakeKernel(root)
			s := k.sys()
			if tt.fail {
				s.devices = func(string, DeviceFilter) error { return errors.New("no BPF here") }
			}
			m := &v2{root: root, parent: "geedocker", name: "c1", sys: s}
			err := m.Create(tt.res)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Create error = %v, want one containing %q", err, tt.wantErr)
				}
				if _, err := os.Stat(m.dir()); !os.IsNotExist(err) {
					t.Errorf("%s left behind after a failed Create (stat: %v)", m.dir(), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f, set := k.filters[m.dir()]
			switch {
			case tt.want == "" && set:
				t.Errorf("a device filter was set without device rules:\n%s", f)
			case tt.want != "" && !set:
				t.Errorf("no device filter set, want:\n%s", tt.want)
			case set && f.String() != tt.want:
				t.Errorf("device filter:\n%s\nwant:\n%s", f, tt.want)
			}
		})
	}
}
