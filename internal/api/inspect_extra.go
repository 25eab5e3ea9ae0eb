package api

import (
	"strconv"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/geedocker/geedocker/internal/container"
	gdnet "github.com/geedocker/geedocker/internal/network"
)

// inspectMounts is the container's mounts as Docker's MountPoints.
func inspectMounts(c *container.Container) []ctypes.MountPoint {
	out := []ctypes.MountPoint{}
	for _, m := range c.Mounts {
		out = append(out, ctypes.MountPoint{
			Type: mount.Type(m.Type), Name: m.Name, Source: m.Source, Destination: m.Destination, Driver: m.Driver,
			Mode: m.Mode, RW: m.RW, Propagation: mount.Propagation(m.Propagation),
		})
	}
	return out
}

// inspectPortBindings is the container's -p values as Docker's PortMap
// (an empty host address or port where none was given).
func inspectPortBindings(hc container.HostConfig) network.PortMap {
	out := network.PortMap{}
	for _, p := range hc.PortBindings {
		ms, err := gdnet.ParsePublish(p)
		if err != nil {
			continue // refused when the container was made
		}
		for _, m := range ms {
			port, err := network.ParsePort(strconv.Itoa(int(m.ContainerPort)) + "/" + m.Proto)
			if err != nil {
				continue
			}
			b := network.PortBinding{HostIP: m.HostIP}
			if m.HostPort != 0 {
				b.HostPort = strconv.Itoa(int(m.HostPort))
			}
			out[port] = append(out[port], b)
		}
	}
	return out
}
