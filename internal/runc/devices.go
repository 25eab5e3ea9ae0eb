package runc

import (
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The devices every container gets (runtime-spec, config-linux.md "Default Devices"), and
// the device cgroup rules that let it use them and its terminals, as runc adds them.
var (
	defaultDevices = []struct {
		path         string
		major, minor int64
	}{
		{"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
		{"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
	}
	defaultDeviceRules = []struct{ major, minor int64 }{
		{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {136, -1},
	}
)

// addDefaultDevices adds to l the default devices it does not list, and the cgroup rules
// allowing them after its own rules.
func addDefaultDevices(l *specs.Linux) {
	have := map[string]bool{}
	for _, d := range l.Devices {
		have[d.Path] = true
	}
	mode := os.FileMode(0o666)
	var zero uint32
	for _, d := range defaultDevices {
		if !have[d.path] {
			l.Devices = append(l.Devices, specs.LinuxDevice{Path: d.path, Type: "c", Major: d.major, Minor: d.minor,
				FileMode: &mode, UID: &zero, GID: &zero})
		}
	}
	if l.Resources == nil {
		l.Resources = &specs.LinuxResources{}
	}
	for _, r := range defaultDeviceRules {
		major := r.major
		rule := specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: &major, Access: "rwm"}
		if r.minor >= 0 {
			minor := r.minor
			rule.Minor = &minor
		}
		l.Resources.Devices = append(l.Resources.Devices, rule)
	}
}
