//go:build !linux

package spec

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// devicesFromPath fails: device nodes are read from a Linux host only.
func devicesFromPath(hostPath, ctrPath string) ([]specs.LinuxDevice, error) {
	return nil, errors.New("devices can only be added on Linux")
}

// HostDevices is empty: device nodes are read from a Linux host only.
func HostDevices() []specs.LinuxDevice { return nil }
