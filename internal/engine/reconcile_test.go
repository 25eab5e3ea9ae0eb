package engine

import (
	"errors"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/monitor"
)

// fakeNetwork stands for the host's network: it counts what is set up and released. As
// the real one, it wires bridge networks only, and points the spec at the namespace it made.
type fakeNetwork struct {
	setupErr error     // what setup fails with, if anything
	taken    *netSetup // what setup returns (also when it fails halfway)
	setups   map[string]int
	releases map[string]int
	released []*netSetup
}

func (f *fakeNetwork) setup(cs *container.Store, c *container.Container, s *specs.Spec, pid int) (*netSetup, error) {
	if !isBridgeMode(c.HostConfig.NetworkMode) {
		return nil, nil
	}
	f.setups[c.ID]++
	if f.setupErr != nil {
		return f.taken, f.setupErr
	}
	c.NetworkSettings = container.NetworkSettings{Networks: map[string]container.Endpoint{
		"bridge": {IPAddress: "172.17.0.2", IPPrefixLen: 16},
	}}
	if f.taken != nil && pid == 0 {
		setNetnsPath(s, f.taken.nsPath)
	}
	return f.taken, nil
}

func (f *fakeNetwork) release(cs *container.Store, c *container.Container, ns *netSetup) {
	f.releases[c.ID]++
	f.released = append(f.released, ns)
}

// fakeCgroups stands for the host's cgroups: it keeps the limits each cgroup was made with
// and counts the cgroups released; those named in oom were OOM-killed.
type fakeCgroups struct {
	createErr error // what create fails with, if anything
	created   map[string]*specs.LinuxResources
	released  map[string]int
	oom       map[string]bool
}

func (f *fakeCgroups) create(id string, res *specs.LinuxResources) (string, monitor.Cgroup, error) {
	if f.createErr != nil {
		return "", monitor.Cgroup{}, f.createErr
	}
	f.created[id] = res
	return fakeCgroupPath(id), monitor.Cgroup{Dirs: []string{"/sys/fs/cgroup" + fakeCgroupPath(id)}, V2: true}, nil
}

func (f *fakeCgroups) release(id string) bool { f.released[id]++; return f.oom[id] }

// fakeCgroupPath is the path fakeCgroups gives the cgroup of container id.
func fakeCgroupPath(id string) string { return "/geedocker/" + id }

// fakeMonitors stands for the monitor program: it keeps what each launch was given and
// fails them with launchErr, if set.
type fakeMonitors struct {
	launchErr error
	launched  []monitorLaunch
}

func (f *fakeMonitors) locate() (mon, self string, err error) {
	return "/usr/bin/geedocker-monitor", "/usr/bin/geedocker", nil
}

func (f *fakeMonitors) launch(l monitorLaunch) (*AttachClient, error) {
	f.launched = append(f.launched, l)
	return nil, f.launchErr
}

// fakeProcesses holds the pids that are alive (start times are not checked).
type fakeProcesses map[int]bool

func (f fakeProcesses) alive(pid int, start uint64) bool { return f[pid] }

type fakes struct {
	e     *Engine
	cs    *container.Store
	net   *fakeNetwork
	cgs   *fakeCgroups
	procs fakeProcesses
	mons  *fakeMonitors
}

// newFakeEngine is an engine on a temporary root whose network, cgroups, processes and
// monitors are fakes: no root, no network.
func newFakeEngine(t *testing.T) *fakes {
	t.Helper()
	old := container.RunRoot
	container.RunRoot = t.TempDir()
	t.Cleanup(func() { container.RunRoot = old })
	e, err := New(t.TempDir(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakes{e: e, net: &fakeNetwork{setups: map[string]int{}, releases: map[string]int{}},
		cgs:   &fakeCgroups{created: map[string]*specs.LinuxResources{}, released: map[string]int{}, oom: map[string]bool{}},
		procs: fakeProcesses{}, mons: &fakeMonitors{}}
	e.net, e.cgs, e.procs, e.mons = f.net, f.cgs, f.procs, f.mons
	if f.cs, err = e.Containers(); err != nil {
		t.Fatal(err)
	}
	return f
}

// Pids of the run states the tests write.
const (
	monitorPid = 1000
	initPid    = 1001
)

// record is a container as a test wants it on disk.
type record struct {
	name       string
	status     string // container.Running, container.Restarting, container.Exited
	autoRemove bool
	runState   bool // a run state naming monitorPid and initPid is written
}

func (f *fakes) create(t *testing.T, r record) *container.Container {
	t.Helper()
	c := &container.Container{ID: container.NewID(), Name: r.name}
	c.State.Status = r.status
	c.State.Running = r.status == container.Running
	c.State.Restarting = r.status == container.Restarting
	if c.State.Running {
		c.State.Pid = initPid
		c.NetworkSettings = container.NetworkSettings{Networks: map[string]container.Endpoint{"bridge": {IPAddress: "172.17.0.2"}}}
	}
	c.HostConfig.NetworkMode = "bridge"
	c.HostConfig.AutoRemove = r.autoRemove
	if err := f.cs.Create(c); err != nil {
		t.Fatal(err)
	}
	if r.runState {
		if err := f.cs.WriteRunState(c.ID, container.RunState{MonitorPid: monitorPid, MonitorStart: 1, Pid: initPid, PidStart: 2}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestReconcile(t *testing.T) {
	tests := []struct {
		name         string
		rec          record
		alive        []int
		wantRepaired bool // cgroup and network released once, record exited
		wantCode     int
		wantRemoved  bool
	}{
		{"monitor and init gone", record{status: container.Running, runState: true}, nil, true, 255, false},
		{"monitor gone, init alive", record{status: container.Running, runState: true}, []int{initPid}, true, 137, false},
		{"no run state (reboot)", record{status: container.Running}, nil, true, 255, false},
		{"restarting, monitor gone", record{status: container.Restarting, runState: true}, nil, true, 255, false},
		{"--rm, monitor gone", record{status: container.Running, autoRemove: true, runState: true}, nil, true, 255, true},
		{"healthy", record{status: container.Running, runState: true}, []int{monitorPid, initPid}, false, 0, false},
		{"healthy, init not yet started", record{status: container.Running, runState: true}, []int{monitorPid}, false, 0, false},
		{"exited", record{status: container.Exited}, nil, false, 0, false},
		{"exited --rm", record{status: container.Exited, autoRemove: true}, nil, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t)
			for _, pid := range tt.alive {
				f.procs[pid] = true
			}
			c := f.create(t, tt.rec)
			got := f.e.reconcile(f.cs, c)

			wantReleases := 0
			if tt.wantRepaired {
				wantReleases = 1
			}
			if f.cgs.released[c.ID] != wantReleases || f.net.releases[c.ID] != wantReleases {
				t.Errorf("cgroup released %d times, network %d times; want %d", f.cgs.released[c.ID], f.net.releases[c.ID], wantReleases)
			}
			fresh, err := f.cs.Get(c.ID)
			if tt.wantRemoved {
				if err == nil {
					t.Fatalf("record still there: %+v", fresh.State)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.wantRepaired {
				if got != c {
					t.Errorf("reconcile returned another record for an untouched container")
				}
				if fresh.State.Status != tt.rec.status {
					t.Errorf("status = %q, want %q (untouched)", fresh.State.Status, tt.rec.status)
				}
				if _, ok := f.cs.ReadRunState(c.ID); ok != tt.rec.runState {
					t.Errorf("run state present = %v, want %v", ok, tt.rec.runState)
				}
				return
			}
			for _, s := range []container.State{got.State, fresh.State} {
				if s.Status != container.Exited || s.Running || s.Restarting || s.Pid != 0 || s.ExitCode != tt.wantCode {
					t.Errorf("state = %+v, want exited with code %d", s, tt.wantCode)
				}
				if s.Error != "the container's monitor died" {
					t.Errorf("error = %q", s.Error)
				}
			}
			if len(fresh.NetworkSettings.Networks) != 0 {
				t.Errorf("network settings kept: %+v", fresh.NetworkSettings)
			}
			if _, ok := f.cs.ReadRunState(c.ID); ok {
				t.Errorf("run state left behind")
			}
			// A second look repairs nothing more.
			f.e.reconcile(f.cs, fresh)
			if f.cgs.released[c.ID] != 1 || f.net.releases[c.ID] != 1 {
				t.Errorf("after a second reconcile: cgroup released %d times, network %d times; want 1", f.cgs.released[c.ID], f.net.releases[c.ID])
			}
		})
	}
}

func TestRepairAndList(t *testing.T) {
	f := newFakeEngine(t)
	f.procs[monitorPid] = false
	dead := f.create(t, record{name: "dead", status: container.Running})
	deadRm := f.create(t, record{name: "dead-rm", status: container.Running, autoRemove: true})
	exited := f.create(t, record{name: "exited", status: container.Exited})
	// A healthy one: its own monitor pid, alive.
	healthy := f.create(t, record{name: "healthy", status: container.Running})
	if err := f.cs.WriteRunState(healthy.ID, container.RunState{MonitorPid: 2000, Pid: 2001}); err != nil {
		t.Fatal(err)
	}
	f.procs[2000], f.procs[2001] = true, true

	// Listing shows the dead one exited and hides the --rm one, changing nothing.
	list, err := f.e.ListContainers()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]container.State{}
	for _, c := range list {
		seen[c.Name] = c.State
	}
	if s, ok := seen["dead"]; !ok || s.Status != container.Exited || s.ExitCode != 255 {
		t.Errorf("list shows dead as %+v, want exited (255)", s)
	}
	if _, ok := seen["dead-rm"]; ok {
		t.Errorf("list shows the --rm container whose monitor is gone")
	}
	if seen["healthy"].Status != container.Running || seen["exited"].Status != container.Exited {
		t.Errorf("list: healthy %q, exited %q", seen["healthy"].Status, seen["exited"].Status)
	}
	for _, c := range []*container.Container{dead, deadRm} {
		fresh, err := f.cs.Get(c.ID)
		if err != nil || fresh.State.Status != container.Running {
			t.Errorf("%s: listing changed the record: %v %+v", c.Name, err, fresh)
		}
	}
	if len(f.cgs.released) != 0 || len(f.net.releases) != 0 {
		t.Errorf("listing released cgroups %v, networks %v", f.cgs.released, f.net.releases)
	}

	// Repair sweeps them, and again changes nothing more.
	for range 2 {
		if err := f.e.Repair(); err != nil {
			t.Fatal(err)
		}
	}
	if fresh, err := f.cs.Get(dead.ID); err != nil || fresh.State.Status != container.Exited || fresh.State.ExitCode != 255 {
		t.Errorf("dead after repair: %v %+v", err, fresh)
	}
	if _, err := f.cs.Get(deadRm.ID); err == nil {
		t.Errorf("the --rm container is still there after repair")
	}
	if fresh, err := f.cs.Get(healthy.ID); err != nil || fresh.State.Status != container.Running {
		t.Errorf("healthy after repair: %v %+v", err, fresh)
	}
	if fresh, err := f.cs.Get(exited.ID); err != nil || fresh.State.Status != container.Exited || fresh.State.ExitCode != 0 {
		t.Errorf("exited after repair: %v %+v", err, fresh)
	}
	want := map[string]int{dead.ID: 1, deadRm.ID: 1}
	for id, n := range want {
		if f.cgs.released[id] != n || f.net.releases[id] != n {
			t.Errorf("%s: cgroup released %d times, network %d; want %d", id[:12], f.cgs.released[id], f.net.releases[id], n)
		}
	}
	if len(f.cgs.released) != len(want) || len(f.net.releases) != len(want) {
		t.Errorf("released cgroups %v, networks %v; want only the repaired", f.cgs, f.net.releases)
	}
}

func TestWireNetwork(t *testing.T) {
	tests := []struct {
		name     string
		setupErr error
	}{
		{"setup succeeds", nil},
		{"setup fails halfway", errors.New("no address left")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t)
			f.net.setupErr = tt.setupErr
			f.net.taken = &netSetup{nsPath: "/run/netns/x"}
			c := f.create(t, record{status: container.Created})
			err := f.e.wireNetwork(f.cs, c, nil, 0)
			if !errors.Is(err, tt.setupErr) || (err == nil) != (tt.setupErr == nil) {
				t.Fatalf("wireNetwork = %v, want %v", err, tt.setupErr)
			}
			fresh, gerr := f.cs.Get(c.ID)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if tt.setupErr != nil {
				// What was taken is released, once, and nothing is recorded.
				if f.net.releases[c.ID] != 1 || len(f.net.released) != 1 || f.net.released[0] != f.net.taken {
					t.Errorf("released %d times (%v), want once what setup took", f.net.releases[c.ID], f.net.released)
				}
				if len(fresh.NetworkSettings.Networks) != 0 {
					t.Errorf("settings recorded after a failed setup: %+v", fresh.NetworkSettings)
				}
				return
			}
			if f.net.releases[c.ID] != 0 {
				t.Errorf("released after a good setup")
			}
			if ep := fresh.NetworkSettings.Networks["bridge"]; ep.IPAddress != "172.17.0.2" {
				t.Errorf("recorded settings = %+v", fresh.NetworkSettings)
			}
		})
	}
}

func TestCleanup(t *testing.T) {
	tests := []struct {
		name        string
		rec         record
		restart     string
		ex          monitor.Exit
		oom         bool
		deleted     bool // the record is gone before the cleanup
		wantNetRel  int
		wantStatus  string // "" when the record is to be gone
		wantCode    int
		wantOOM     bool
		wantRestart bool
	}{
		{name: "start failed", rec: record{status: container.Created}, ex: monitor.Exit{StartFailed: true}, oom: true,
			wantNetRel: 1, wantStatus: container.Created},
		{name: "exited", rec: record{status: container.Running, runState: true}, ex: monitor.Exit{Code: 3},
			wantNetRel: 1, wantStatus: container.Exited, wantCode: 3},
		{name: "OOM-killed", rec: record{status: container.Running, runState: true}, ex: monitor.Exit{Code: 137}, oom: true,
			wantNetRel: 1, wantStatus: container.Exited, wantCode: 137, wantOOM: true},
		{name: "--rm", rec: record{status: container.Running, autoRemove: true, runState: true}, ex: monitor.Exit{Code: 0},
			wantNetRel: 1},
		{name: "restart always", rec: record{status: container.Running, runState: true}, restart: "always", ex: monitor.Exit{Code: 1},
			wantNetRel: 1, wantStatus: container.Restarting, wantCode: 1, wantRestart: true},
		{name: "removed meanwhile", rec: record{status: container.Running, runState: true}, ex: monitor.Exit{Code: 0}, deleted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t)
			c := f.create(t, tt.rec)
			if tt.restart != "" {
				if _, err := f.cs.Update(c.ID, func(c *container.Container) error {
					c.HostConfig.RestartPolicy = container.RestartPolicy{Name: tt.restart}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			f.cgs.oom[c.ID] = tt.oom
			if tt.deleted {
				if err := f.cs.Delete(c); err != nil {
					t.Fatal(err)
				}
			}
			next, err := f.e.cleanup(f.cs, c.ID, tt.ex, true)
			if err != nil {
				t.Fatal(err)
			}
			if next.Restart != tt.wantRestart {
				t.Errorf("restart = %v, want %v", next.Restart, tt.wantRestart)
			}
			if f.cgs.released[c.ID] != 1 || f.net.releases[c.ID] != tt.wantNetRel {
				t.Errorf("cgroup released %d times, network %d; want 1, %d", f.cgs.released[c.ID], f.net.releases[c.ID], tt.wantNetRel)
			}
			fresh, err := f.cs.Get(c.ID)
			if tt.wantStatus == "" {
				if err == nil {
					t.Errorf("record still there: %+v", fresh.State)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := fresh.State; s.Status != tt.wantStatus || s.ExitCode != tt.wantCode || s.OOMKilled != tt.wantOOM {
				t.Errorf("state = %+v, want %s, code %d, OOM %v", s, tt.wantStatus, tt.wantCode, tt.wantOOM)
			}
			_, ok := f.cs.ReadRunState(c.ID)
			if wantRS := tt.rec.runState && tt.wantStatus != container.Exited; ok != wantRS {
				t.Errorf("run state present = %v, want %v", ok, wantRS)
			}
		})
	}
}
