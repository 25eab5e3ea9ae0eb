package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/monitor"
	"github.com/geedocker/geedocker/internal/spec"
)

// image imports a one-layer image tagged ref, with the Dockerfile instructions given.
func (f *fakes) image(t *testing.T, ref string, changes ...string) {
	t.Helper()
	r := mustParse(t, ref)
	layer := tarOf(t, entry{"bin/", ""}, entry{"bin/app", "#!app"})
	if _, err := f.e.Import(context.Background(), bytes.NewReader(layer), ImportOptions{Ref: &r, Changes: changes}); err != nil {
		t.Fatal(err)
	}
}

// leftovers are what a store holds of containers: the directories, the records, the
// reserved names and the volumes, sorted.
type leftovers struct{ dirs, records, names, volumes []string }

func (f *fakes) leftovers(t *testing.T) leftovers {
	t.Helper()
	var l leftovers
	l.dirs = names(t, f.e, "containers")
	l.names = names(t, f.e, "names")
	cs, err := f.e.Containers()
	if err != nil {
		t.Fatal(err)
	}
	list, err := cs.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		l.records = append(l.records, c.Name)
	}
	slices.Sort(l.records)
	l.volumes = names(t, f.e, "volumes")
	return l
}

func TestCreate(t *testing.T) {
	const app = "app:v1" // its image: CMD /bin/app, labels a and b, STOPSIGNAL SIGQUIT
	tests := []struct {
		name     string
		existing []string // containers of these names exist before
		o        RunOptions
		wantErr  string // "": created
		check    func(t *testing.T, c *container.Container)
	}{
		{name: "defaults", o: RunOptions{Image: app}, check: func(t *testing.T, c *container.Container) {
			if c.State.Status != container.Created || c.State.Running || c.State.Error != "" {
				t.Errorf("state = %+v, want created", c.State)
			}
			if c.Name == "" || c.Config.Image != app || c.Path != "/bin/app" || len(c.Args) != 0 {
				t.Errorf("name %q, image %q, command %q %q", c.Name, c.Config.Image, c.Path, c.Args)
			}
			if c.HostConfig.NetworkMode != "bridge" || c.HostConfig.RestartPolicy.Name != "no" || c.HostConfig.LogConfig.Type != "json-file" {
				t.Errorf("host config = %+v", c.HostConfig)
			}
			if !reflect.DeepEqual(c.Config.Labels, map[string]string{"a": "image", "b": "image"}) || c.Config.StopSignal != "SIGQUIT" {
				t.Errorf("labels %v, stop signal %q: want the image's", c.Config.Labels, c.Config.StopSignal)
			}
			if len(c.NetworkSettings.Networks) != 0 {
				t.Errorf("a created container has network settings: %+v", c.NetworkSettings)
			}
		}},
		{name: "labels over the image's, and what the user set", o: RunOptions{
			Image: app, Name: "web", Labels: map[string]string{"b": "user", "c": "user"},
			Restart: "on-failure:3", StopSignal: "SIGUSR1", StopTimeout: new(int), LogOpts: []string{"max-size=1m"},
			Spec: spec.Options{Cmd: []string{"echo", "hi"}, Hostname: "box", Env: []string{"A=1"}, Terminal: true},
		}, check: func(t *testing.T, c *container.Container) {
			if want := map[string]string{"a": "image", "b": "user", "c": "user"}; !reflect.DeepEqual(c.Config.Labels, want) {
				t.Errorf("labels = %v, want %v", c.Config.Labels, want)
			}
			if c.Name != "web" || c.Config.Hostname != "box" || c.Path != "echo" || !reflect.DeepEqual(c.Args, []string{"hi"}) {
				t.Errorf("name %q, hostname %q, command %q %q", c.Name, c.Config.Hostname, c.Path, c.Args)
			}
			// Docker's Config.Env: the user's and the image's, without what the process
			// gets besides (HOSTNAME, and TERM with -t).
			if !slices.Equal(c.Config.Env, []string{"A=1"}) {
				t.Errorf("Config.Env = %q, want [A=1]", c.Config.Env)
			}
			var s specs.Spec
			if err := json.Unmarshal(c.Spec, &s); err != nil {
				t.Fatal(err)
			}
			if want := []string{"PATH=" + spec.DefaultPathEnv, "HOSTNAME=box", "TERM=xterm", "A=1"}; !slices.Equal(s.Process.Env, want) {
				t.Errorf("process env = %q, want %q", s.Process.Env, want)
			}
			if p := c.HostConfig.RestartPolicy; p.Name != "on-failure" || p.MaximumRetryCount != 3 {
				t.Errorf("restart policy = %+v", p)
			}
			if c.Config.StopSignal != "SIGUSR1" || c.Config.StopTimeout == nil || *c.Config.StopTimeout != 0 {
				t.Errorf("stop signal %q, timeout %v", c.Config.StopSignal, c.Config.StopTimeout)
			}
			if c.HostConfig.LogConfig.Config["max-size"] != "1m" {
				t.Errorf("log config = %+v", c.HostConfig.LogConfig)
			}
			b, err := os.ReadFile(filepath.Join(filepath.Dir(c.LogPath), "hostname"))
			if err != nil || string(b) != "box\n" {
				t.Errorf("hostname file = %q, %v", b, err)
			}
		}},
		{name: "resources", o: RunOptions{Image: app, Spec: spec.Options{Resources: spec.Resources{Memory: 64 << 20, PidsLimit: 50}}},
			check: func(t *testing.T, c *container.Container) {
				if c.HostConfig.Memory != 64<<20 || c.HostConfig.PidsLimit != 50 {
					t.Errorf("memory %d, pids limit %d", c.HostConfig.Memory, c.HostConfig.PidsLimit)
				}
			}},
		{name: "named volume", o: RunOptions{Image: app, Mounts: []string{"type=volume,src=data,dst=/data"}},
			check: func(t *testing.T, c *container.Container) {
				if len(c.Mounts) != 1 || c.Mounts[0].Type != "volume" || c.Mounts[0].Name != "data" || c.Mounts[0].Destination != "/data" || !c.Mounts[0].RW {
					t.Errorf("mounts = %+v", c.Mounts)
				}
			}},
		{name: "name in use", existing: []string{"web"}, o: RunOptions{Image: app, Name: "web"},
			wantErr: `Conflict. The container name "/web" is already in use by container`},
		{name: "invalid name", o: RunOptions{Image: app, Name: "no spaces"},
			wantErr: "Invalid container name (no spaces), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"},
		{name: "no such image", o: RunOptions{Image: "missing:v1", Pull: PullNever}, wantErr: "No such image: missing:v1"},
		{name: "invalid pull", o: RunOptions{Image: app, Pull: "sometimes"}, wantErr: `invalid pull option: "sometimes"`},
		{name: "invalid restart policy", o: RunOptions{Image: app, Restart: "sometimes"}, wantErr: "invalid restart policy 'sometimes'"},
		{name: "--restart with --rm", o: RunOptions{Image: app, Restart: "always", Remove: true},
			wantErr: "conflicting options: cannot specify both --restart and --rm"},
		{name: "invalid stop signal", o: RunOptions{Image: app, StopSignal: "SIGNOPE"}, wantErr: "Invalid signal: SIGNOPE"},
		{name: "invalid --add-host", o: RunOptions{Image: app, ExtraHosts: []string{"nocolon"}}, wantErr: `invalid argument "nocolon" for "--add-host" flag`},
		{name: "--ip on the default network", o: RunOptions{Image: app, IP: "172.17.0.9"},
			wantErr: "user specified IP address is supported on user defined networks only"},
		{name: "--network container: of a missing one", o: RunOptions{Image: app, Spec: spec.Options{Network: "container:nosuch"}},
			wantErr: "No such container: nosuch"},
		{name: "unknown runtime", o: RunOptions{Image: app, Runtime: "nosuch"}, wantErr: "unknown or invalid runtime name: nosuch"},
		{name: "named volume, name in use", existing: []string{"web"},
			o:       RunOptions{Image: app, Name: "web", Mounts: []string{"type=volume,src=data,dst=/data"}},
			wantErr: `Conflict. The container name "/web" is already in use by container`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t)
			f.image(t, app, `CMD ["/bin/app"]`, `LABEL a=image b=image`, `STOPSIGNAL SIGQUIT`)
			ctx := context.Background()
			var first *container.Container
			for _, name := range tt.existing {
				c, err := f.e.Create(ctx, RunOptions{Image: app, Name: name})
				if err != nil {
					t.Fatal(err)
				}
				first = c
			}
			before := f.leftovers(t)
			c, err := f.e.Create(ctx, tt.o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Create error = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error of more than one line: %q", err)
				}
				// Nothing is left: no directory, no record, no reserved name.
				if after := f.leftovers(t); !reflect.DeepEqual(after, before) {
					t.Errorf("store after the failed create = %+v, before %+v", after, before)
				}
				if first != nil {
					if got, err := f.e.Container(first.Name); err != nil || got.ID != first.ID {
						t.Errorf("%s now names %v (%v), want the first container", first.Name, got, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			// What inspect reads: the record found by name.
			got, err := f.e.Container(c.Name)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != c.ID || len(c.ID) != 64 {
				t.Fatalf("%s names %s, want %s", c.Name, got.ID, c.ID)
			}
			tt.check(t, got)
			dir := f.cs.Dir(c.ID)
			for _, name := range []string{"rootfs", "upper", "work", "hostname", "hosts", "resolv.conf"} {
				if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
					t.Errorf("container directory: %v", err)
				}
			}
			// Nothing of a start: no cgroup, no network, no monitor.
			if len(f.cgs.created) != 0 || len(f.net.setups) != 0 || len(f.mons.launched) != 0 {
				t.Errorf("create made cgroups %v, networks %v, launched %d monitors", f.cgs.created, f.net.setups, len(f.mons.launched))
			}
		})
	}
}

// startCase is one start of TestStart.
type startCase struct {
	name      string
	o         RunOptions
	runtimes  map[string]RuntimeConfig // in the config file at create; gone at start
	cgroupErr error
	netErr    error
	launchErr error
	attach    bool // StartAttached, else StartDetached
	donor     bool // a running container named donor exists (its init is initPid)

	wantErr     string // "": started
	wantCode    int    // of the *StartError, when the error is one
	wantWired   bool   // the network was set up (once)
	wantNetns   string // the spec's network namespace path ("" with a new namespace)
	wantHeld    bool   // cgroup and network are still held (a monitor holds them)
	wantRecord  string // the record's error ("" none)
	wantLaunch  bool   // the monitor was launched
	checkBundle func(t *testing.T, s *specs.Spec)
}

func TestStart(t *testing.T) {
	const fakeNetns = "/run/geedocker/netns/fake"
	tests := []startCase{
		{name: "bridge, with limits", o: RunOptions{Spec: spec.Options{Resources: spec.Resources{Memory: 64 << 20, PidsLimit: 50, CPUShares: 512}}},
			wantWired: true, wantNetns: fakeNetns, wantHeld: true, wantLaunch: true,
			checkBundle: func(t *testing.T, s *specs.Spec) {
				r := s.Linux.Resources
				if r == nil || r.Memory == nil || r.Memory.Limit == nil || *r.Memory.Limit != 64<<20 || r.Pids == nil || r.Pids.Limit == nil || *r.Pids.Limit != 50 ||
					r.CPU == nil || r.CPU.Shares == nil || *r.CPU.Shares != 512 {
					t.Errorf("bundle resources = %+v", r)
				}
			}},
		{name: "attached", attach: true, wantWired: true, wantNetns: fakeNetns, wantHeld: true, wantLaunch: true},
		{name: "--network none", o: RunOptions{Spec: spec.Options{Network: "none"}}, wantHeld: true, wantLaunch: true},
		{name: "cgroup cannot be made", cgroupErr: errors.New("creating the container's cgroup: no space left on device"),
			wantErr: "creating the container's cgroup: no space left on device", wantCode: 125,
			wantRecord: "creating the container's cgroup: no space left on device"},
		{name: "network setup fails", netErr: errors.New("no address left in network bridge"),
			wantErr: "no address left in network bridge", wantCode: 125, wantRecord: "no address left in network bridge"},
		{name: "runtime gone from the config after the wiring", runtimes: map[string]RuntimeConfig{"alt": {Path: "/bin/true"}},
			o: RunOptions{Runtime: "alt"}, wantWired: true, wantErr: "unknown or invalid runtime name: alt", wantCode: 125, wantRecord: "unknown or invalid runtime name: alt"},
		{name: "joins the PID namespace of a running container", donor: true, o: RunOptions{Spec: spec.Options{PidMode: "container:donor"}},
			wantWired: true, wantNetns: fakeNetns, wantHeld: true, wantLaunch: true,
			checkBundle: func(t *testing.T, s *specs.Spec) {
				if ns, ok := namespace(s, specs.PIDNamespace); !ok || ns.Path != "/proc/1001/ns/pid" {
					t.Errorf("PID namespace = %+v, want the donor's (/proc/1001/ns/pid)", ns)
				}
			}},
		{name: "monitor cannot be launched", launchErr: errors.New("starting the container's monitor: fork/exec: no such file or directory"),
			wantWired: true, wantNetns: fakeNetns, wantLaunch: true, wantErr: "starting the container's monitor", wantRecord: "starting the container's monitor"},
		{name: "the monitor reports the start failed", launchErr: &StartError{Code: 127, Err: errors.New(`exec: "nosuch": executable file not found in $PATH`)},
			// The monitor released the start and recorded the error: the engine leaves both to it.
			wantWired: true, wantNetns: fakeNetns, wantLaunch: true, wantErr: "executable file not found", wantCode: 127, wantHeld: true},
		{name: "the monitor died before it said anything", launchErr: monitor.ParseReady(""),
			// No one holds the start: the engine releases it and records the error.
			wantWired: true, wantNetns: fakeNetns, wantLaunch: true, wantErr: "monitor exited before the container started", wantCode: 125,
			wantRecord: "monitor exited before the container started"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testStart(t, tt, fakeNetns) })
	}
}

func testStart(t *testing.T, tt startCase, fakeNetns string) {
	f := newFakeEngine(t)
	f.image(t, "app:v1", `CMD ["/bin/app"]`)
	f.e.Config.Runtimes = tt.runtimes
	if tt.donor {
		f.create(t, record{name: "donor", status: container.Running, runState: true})
		f.procs[monitorPid], f.procs[initPid] = true, true
	}
	o := tt.o
	o.Image = "app:v1"
	c, err := f.e.Create(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	f.e.Config.Runtimes = nil
	f.cgs.createErr, f.net.setupErr, f.mons.launchErr = tt.cgroupErr, tt.netErr, tt.launchErr
	f.net.taken = &netSetup{nsPath: fakeNetns}

	globalArgs := []string{"--root", f.e.Store.Root()}
	if tt.attach {
		_, err = f.e.StartAttached(context.Background(), c.ID, globalArgs)
	} else {
		err = f.e.StartDetached(context.Background(), c.ID, globalArgs)
	}
	if tt.wantErr == "" && err != nil {
		t.Fatalf("start: %v", err)
	}
	if tt.wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Fatalf("start error = %v, want one containing %q", err, tt.wantErr)
		}
		var se *StartError
		if code := 0; errors.As(err, &se) {
			if code = se.Code; code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
		} else if tt.wantCode != 0 {
			t.Errorf("error %T, want a *StartError with code %d", err, tt.wantCode)
		}
	}

	// The cgroup: made once, with the limits of the spec, unless making it failed.
	if tt.cgroupErr == nil {
		if _, ok := f.cgs.created[c.ID]; !ok {
			t.Errorf("no cgroup made")
		}
	}
	cgHeld := f.cgs.released[c.ID] == 0 && tt.cgroupErr == nil
	// The network: wired once when the mode asks for it, released when the start failed.
	if want := map[bool]int{true: 1}[tt.wantWired || tt.netErr != nil]; f.net.setups[c.ID] != want {
		t.Errorf("network set up %d times, want %d", f.net.setups[c.ID], want)
	}
	netHeld := f.net.setups[c.ID] > 0 && f.net.releases[c.ID] == 0
	if tt.wantWired && !tt.wantHeld && f.net.releases[c.ID] != 1 {
		t.Errorf("network released %d times, want once", f.net.releases[c.ID])
	}
	if cgHeld != tt.wantHeld || netHeld != (tt.wantHeld && tt.wantWired) {
		t.Errorf("cgroup held %v, network held %v; want %v", cgHeld, netHeld, tt.wantHeld)
	}

	// The record, as inspect shows it.
	got, err := f.e.Container(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State.Status != container.Created || got.State.Running {
		t.Errorf("status %q, want created (the fake monitor starts nothing)", got.State.Status)
	}
	if tt.wantRecord == "" && tt.wantErr == "" || tt.wantHeld {
		if got.State.Error != "" {
			t.Errorf("error recorded: %q", got.State.Error)
		}
	} else if !strings.Contains(got.State.Error, tt.wantRecord) || got.State.ExitCode != 125 {
		t.Errorf("recorded error %q, exit code %d; want one containing %q, 125", got.State.Error, got.State.ExitCode, tt.wantRecord)
	}
	if wantSettings := tt.wantWired && tt.wantHeld; (len(got.NetworkSettings.Networks) > 0) != wantSettings {
		t.Errorf("network settings = %+v, want some: %v", got.NetworkSettings, wantSettings)
	}

	// The monitor: launched once, for this container, with the prepared start.
	if !tt.wantLaunch {
		if len(f.mons.launched) != 0 {
			t.Errorf("%d monitors launched, want none", len(f.mons.launched))
		}
		return
	}
	if len(f.mons.launched) != 1 {
		t.Fatalf("%d monitors launched, want one", len(f.mons.launched))
	}
	l := f.mons.launched[0]
	if l.c.ID != c.ID || l.attach != tt.attach || l.attachEvent != tt.attach || !reflect.DeepEqual(l.globalArgs, globalArgs) {
		t.Errorf("launched for %s (attach %v, event %v, args %q), want %s (attach %v, args %q)",
			l.c.ID[:12], l.attach, l.attachEvent, l.globalArgs, c.ID[:12], tt.attach, globalArgs)
	}
	if l.mon != "/usr/bin/geedocker-monitor" || l.self != "/usr/bin/geedocker" {
		t.Errorf("monitor %q, engine %q: want what locate found", l.mon, l.self)
	}
	st := l.st
	if st.Bundle != f.cs.Dir(c.ID) || st.Spec != nil || st.Runtime != nil || !st.Cgroup.V2 ||
		!reflect.DeepEqual(st.Cgroup.Dirs, []string{"/sys/fs/cgroup" + fakeCgroupPath(c.ID)}) {
		t.Errorf("start = bundle %q, spec %v, runtime %v, cgroup %+v", st.Bundle, st.Spec != nil, st.Runtime, st.Cgroup)
	}
	if wantDNS := tt.wantWired; (st.DNSDir != "") != wantDNS {
		t.Errorf("DNS dir %q, want one: %v", st.DNSDir, wantDNS)
	}

	// The bundle: the spec that runs, the cgroup and namespace paths filled in.
	b, err := os.ReadFile(filepath.Join(st.Bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Linux.CgroupsPath != fakeCgroupPath(c.ID) {
		t.Errorf("cgroupsPath = %q, want %q", s.Linux.CgroupsPath, fakeCgroupPath(c.ID))
	}
	if !reflect.DeepEqual(s.Linux.Resources, f.cgs.created[c.ID]) {
		t.Errorf("the cgroup was made with %+v, the bundle says %+v", f.cgs.created[c.ID], s.Linux.Resources)
	}
	netns, ok := namespace(&s, specs.NetworkNamespace)
	if !ok || netns.Path != tt.wantNetns {
		t.Errorf("network namespace = %+v (present %v), want path %q", netns, ok, tt.wantNetns)
	}
	if s.Root == nil || s.Root.Path != filepath.Join(st.Bundle, "rootfs") || s.Process == nil || s.Process.Args[0] != "/bin/app" {
		t.Errorf("bundle root %+v, process %+v", s.Root, s.Process)
	}
	if tt.checkBundle != nil {
		tt.checkBundle(t, &s)
	}
}

func namespace(s *specs.Spec, typ specs.LinuxNamespaceType) (specs.LinuxNamespace, bool) {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == typ {
			return ns, true
		}
	}
	return specs.LinuxNamespace{}, false
}
