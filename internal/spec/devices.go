package spec

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DeviceMapping is one --device value: the host's device (or directory of
// devices), where it appears in the container, and the device cgroup
// access ("rwm" letters) it gets. Inspect shows it under HostConfig.Devices.
type DeviceMapping struct {
	PathOnHost, PathInContainer, CgroupPermissions string
}

// ParseDevice parses --device HOST[:CONTAINER][:PERMS] as Docker's CLI does
// (opts.ValidateDevice): the container path defaults to the host path,
// PERMS to "rwm"; a second part made of r, w and m is PERMS. Errors are
// Docker's: "bad format for path: …", "bad mode specified: …", "… is not an
// absolute path".
func ParseDevice(s string) (DeviceMapping, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 || parts[0] == "" {
		return DeviceMapping{}, fmt.Errorf("bad format for path: %s", s)
	}
	d := DeviceMapping{PathOnHost: parts[0], PathInContainer: parts[0], CgroupPermissions: "rwm"}
	switch len(parts) {
	case 2:
		if validDeviceMode(parts[1]) {
			d.CgroupPermissions = parts[1]
		} else {
			d.PathInContainer = parts[1]
		}
	case 3:
		if !validDeviceMode(parts[2]) {
			return DeviceMapping{}, fmt.Errorf("bad mode specified: %s", parts[2])
		}
		d.PathInContainer, d.CgroupPermissions = parts[1], parts[2]
	}
	if !path.IsAbs(d.PathInContainer) {
		return DeviceMapping{}, fmt.Errorf("%s is not an absolute path", d.PathInContainer)
	}
	if !path.IsAbs(d.PathOnHost) {
		return DeviceMapping{}, fmt.Errorf("%s is not an absolute path", d.PathOnHost)
	}
	d.PathInContainer = path.Clean(d.PathInContainer)
	return d, nil
}

// validDeviceMode accepts r, w and m, each at most once, at least one.
func validDeviceMode(mode string) bool {
	if mode == "" {
		return false
	}
	seen := map[rune]bool{}
	for _, c := range mode {
		if !strings.ContainsRune("rwm", c) || seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

// deviceCgroupRuleRE is Docker's syntax of --device-cgroup-rule.
var deviceCgroupRuleRE = regexp.MustCompile(`^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$`)

// ParseDeviceCgroupRule parses a --device-cgroup-rule value such as
// "c 1:3 rwm" or "b *:* m" into an allow rule, with Docker's error
// "invalid device cgroup format '…'".
func ParseDeviceCgroupRule(s string) (specs.LinuxDeviceCgroup, error) {
	m := deviceCgroupRuleRE.FindStringSubmatch(s)
	if m == nil {
		return specs.LinuxDeviceCgroup{}, fmt.Errorf("invalid device cgroup format '%s'", s)
	}
	r := specs.LinuxDeviceCgroup{Allow: true, Type: m[1], Access: m[4]}
	for i, p := range []**int64{&r.Major, &r.Minor} {
		n := int64(-1)
		if m[2+i] != "*" {
			var err error
			// The kernel reads device numbers as 32 bits.
			if n, err = strconv.ParseInt(m[2+i], 10, 32); err != nil {
				return specs.LinuxDeviceCgroup{}, fmt.Errorf("invalid device cgroup format '%s': %s is out of range", s, m[2+i])
			}
		}
		*p = &n
	}
	return r, nil
}

// errNotDevice marks a path that is not a block or character device.
var errNotDevice = errors.New("not a device node")

// hostDevices finds the device nodes of a --device's host path: the node
// itself, or every node below a directory; each node's Path is where it
// goes in the container. A variable so tests can fake the host.
var hostDevices = devicesFromPath

// userDevices resolves the --device values on the host into the nodes to
// create and the rules allowing them, in Docker's order.
func userDevices(o Options) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	var devs []specs.LinuxDevice
	var rules []specs.LinuxDeviceCgroup
	for _, m := range o.Devices {
		found, err := hostDevices(m.PathOnHost, m.PathInContainer)
		if err != nil {
			return nil, nil, fmt.Errorf("error gathering device information while adding custom device %q: %w", m.PathOnHost, err)
		}
		for _, d := range found {
			if !strings.HasPrefix(d.Path, "/dev/") {
				// The runtime makes device nodes in the container's /dev only.
				return nil, nil, fmt.Errorf("invalid device %s: the path in the container, %s, is not below /dev", m.PathOnHost, d.Path)
			}
			devs = append(devs, d)
			rules = append(rules, specs.LinuxDeviceCgroup{
				Allow: true, Type: d.Type, Major: int64Ptr(d.Major), Minor: int64Ptr(d.Minor),
				Access: m.CgroupPermissions,
			})
		}
	}
	for _, s := range o.DeviceCgroupRules {
		r, err := ParseDeviceCgroupRule(s)
		if err != nil {
			return nil, nil, err
		}
		rules = append(rules, r)
	}
	return devs, rules, nil
}
