//go:build !linux

package network

import (
	"errors"
	"net"
	"net/netip"

	"github.com/geedocker/geedocker/internal/errdefs"
)

// errUnsupported is returned by everything that needs Linux networking.
var errUnsupported = errdefs.Unavailable(errors.New("bridge networking needs Linux"))

// HostRoutes needs Linux.
func HostRoutes() ([]netip.Prefix, error) { return nil, errUnsupported }

// Attach needs Linux.
func Attach(n Network, netnsPath, owner string, ip netip.Addr) (Endpoint, error) {
	return Endpoint{}, errUnsupported
}

// AttachWithMAC needs Linux.
func AttachWithMAC(n Network, netnsPath, owner string, ip netip.Addr, mac net.HardwareAddr) (Endpoint, error) {
	return Endpoint{}, errUnsupported
}

// AttachInterface needs Linux.
func AttachInterface(n Network, netnsPath, owner string, ip netip.Addr, ifname string, defaultRoute bool) (Endpoint, error) {
	return Endpoint{}, errUnsupported
}

// Detach needs Linux.
func Detach(owner string) error { return errUnsupported }

// RemoveBridge needs Linux.
func RemoveBridge(n Network) error { return errUnsupported }

// EnsureNAT needs Linux.
func EnsureNAT(n Network) error { return errUnsupported }

// Publish needs Linux.
func Publish(owner string, ip netip.Addr, ports []PortMapping) ([]PortMapping, error) {
	return nil, errUnsupported
}

// Unpublish needs Linux.
func Unpublish(owner string) error { return errUnsupported }

// Cleanup needs Linux.
func Cleanup(live func(owner string) bool) error { return errUnsupported }
