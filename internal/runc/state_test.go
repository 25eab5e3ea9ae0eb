package runc

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCheckID(t *testing.T) {
	for id, ok := range map[string]bool{
		"abc": true, "a.b-c_d+e": true, "0123": true,
		"": false, ".": false, "..": false, "a/b": false, "../x": false, "a b": false,
	} {
		if err := CheckID(id); (err == nil) != ok {
			t.Errorf("CheckID(%q) = %v", id, err)
		}
		if err := CheckID(id); err != nil && !errors.Is(err, ErrInvalidID) {
			t.Errorf("CheckID(%q) = %v, not ErrInvalidID", id, err)
		}
	}
}

func TestStoreSaveLoadIDs(t *testing.T) {
	s := Store{Root: t.TempDir()}
	created := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, id := range []string{"b", "a"} {
		if err := os.Mkdir(filepath.Join(s.Root, id), 0o700); err != nil {
			t.Fatal(err)
		}
		r := &Record{ID: id, Pid: 42, StartTime: 7, Bundle: "/b", Rootfs: "/b/rootfs", Created: created,
			Annotations: map[string]string{"k": "v"}, CgroupPath: "/x/" + id}
		if err := s.Save(r); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("loaded %+v, saved %+v", got, r)
		}
	}
	// A directory without state.json (a create under way) is not listed; nor is a stray file.
	os.Mkdir(filepath.Join(s.Root, "c"), 0o700)
	os.WriteFile(filepath.Join(s.Root, "d"), nil, 0o600)
	ids, err := s.IDs()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []string{"a", "b"}) {
		t.Errorf("IDs = %q", ids)
	}
	if _, err := s.Load("c"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load of a container without state: %v", err)
	}
	if _, err := s.Load("../etc"); !errors.Is(err, ErrInvalidID) {
		t.Errorf("Load of a bad id: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Root, "a")); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if ids, err := (Store{Root: filepath.Join(s.Root, "missing")}).IDs(); err != nil || ids != nil {
		t.Errorf("IDs of a missing root = %q, %v", ids, err)
	}
}

func TestRecordState(t *testing.T) {
	r := &Record{ID: "x", Pid: 42, Bundle: "/b", Annotations: map[string]string{"a": "b"}}
	tests := []struct {
		st  Status
		pid int
	}{{Created, 42}, {Running, 42}, {Paused, 42}, {Stopped, 0}}
	for _, tt := range tests {
		s := r.State(tt.st)
		if s.Pid != tt.pid || s.Status != tt.st || s.OCIVersion != OCIVersion || s.Annotations["a"] != "b" {
			t.Errorf("State(%s) = %+v", tt.st, s)
		}
	}
}

func TestAddDefaultDevices(t *testing.T) {
	mine := specs.LinuxDevice{Path: "/dev/null", Type: "c", Major: 1, Minor: 3}
	l := &specs.Linux{Devices: []specs.LinuxDevice{mine},
		Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}}
	addDefaultDevices(l)
	paths := map[string]int{}
	for _, d := range l.Devices {
		paths[d.Path]++
	}
	for _, p := range []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"} {
		if paths[p] != 1 {
			t.Errorf("%s listed %d times", p, paths[p])
		}
	}
	if l.Devices[0] != mine {
		t.Errorf("the spec's own device was replaced: %+v", l.Devices[0])
	}
	rules := l.Resources.Devices
	if rules[0].Allow || len(rules) != 1+len(defaultDeviceRules) || !rules[len(rules)-1].Allow {
		t.Errorf("rules %+v: the spec's first, then the allowances", rules)
	}
}
