package network

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/geedocker/geedocker/internal/errdefs"
)

// ErrPortAllocated is returned by Publish for a host port that another
// container's mapping or a process of the host already holds.
var ErrPortAllocated = errdefs.Conflict(errors.New("port is already allocated"))

// PortMapping publishes a container port on the host: connections to
// HostIP:HostPort (every address of the host when HostIP is the zero
// Addr) reach the container's ContainerPort.
type PortMapping struct {
	HostIP        netip.Addr `json:"hostIP,omitzero"`
	HostPort      uint16     `json:"hostPort"` // 0 until Publish picks one
	ContainerPort uint16     `json:"containerPort"`
	Proto         string     `json:"proto"` // "tcp" or "udp"
}

// String renders m the way docker ps does: 0.0.0.0:8080->80/tcp.
func (m PortMapping) String() string {
	return fmt.Sprintf("%s->%d/%s", netip.AddrPortFrom(m.hostIP(), m.HostPort), m.ContainerPort, m.Proto)
}

// hostIP returns HostIP, 0.0.0.0 for the zero Addr.
func (m PortMapping) hostIP() netip.Addr {
	if !m.HostIP.IsValid() {
		return netip.IPv4Unspecified()
	}
	return m.HostIP
}

// ParsePublish parses one -p value, Docker's syntax:
//
//	[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]
//
// where PROTO is tcp (the default) or udp, HOST_PORT may be empty or absent
// (Publish then picks a free port), and both ports may be ranges
// (8000-8002:80-82) of the same length; a container port range alone gives
// each port a free host port. IPv6 host addresses are not supported.
func ParsePublish(spec string) ([]PortMapping, error) {
	bad := func(format string, args ...any) ([]PortMapping, error) {
		return nil, fmt.Errorf("invalid publish spec %q: %s", spec, fmt.Sprintf(format, args...))
	}
	rest, proto := spec, "tcp"
	if i := strings.LastIndexByte(spec, '/'); i >= 0 {
		rest, proto = spec[:i], strings.ToLower(spec[i+1:])
	}
	if proto != "tcp" && proto != "udp" {
		return bad("protocol %q is not supported (tcp or udp)", proto)
	}
	if strings.HasPrefix(rest, "[") || strings.Count(rest, ":") > 2 {
		return bad("IPv6 host addresses are not supported")
	}
	parts := strings.Split(rest, ":")
	var hostIP, hostPorts, containerPorts string
	switch len(parts) {
	case 1:
		containerPorts = parts[0]
	case 2:
		hostPorts, containerPorts = parts[0], parts[1]
	case 3:
		hostIP, hostPorts, containerPorts = parts[0], parts[1], parts[2]
	}

	var m PortMapping
	m.Proto = proto
	if hostIP != "" {
		ip, err := netip.ParseAddr(hostIP)
		if err != nil {
			return bad("host address %q is not an IP address", hostIP)
		}
		if !ip.Is4() {
			return bad("host address %s is not IPv4", ip)
		}
		if !ip.IsUnspecified() {
			m.HostIP = ip
		}
	}
	cFirst, cLast, err := parsePortRange(containerPorts)
	if err != nil {
		return bad("container port: %v", err)
	}
	if cFirst == 0 {
		return bad("container port 0 is not valid")
	}
	var hFirst, hLast uint16
	if hostPorts != "" {
		if hFirst, hLast, err = parsePortRange(hostPorts); err != nil {
			return bad("host port: %v", err)
		}
		if hLast-hFirst != cLast-cFirst {
			return bad("host port range %s and container port range %s differ in length", hostPorts, containerPorts)
		}
		if hFirst == 0 && hLast != 0 {
			return bad("host port range cannot start at 0")
		}
	}

	var out []PortMapping
	for i := 0; i <= int(cLast-cFirst); i++ {
		pm := m
		pm.ContainerPort = cFirst + uint16(i)
		if hFirst != 0 {
			pm.HostPort = hFirst + uint16(i)
		}
		out = append(out, pm)
	}
	return out, nil
}

// parsePortRange parses "80" or "8000-8010".
func parsePortRange(s string) (first, last uint16, err error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if first, err = parsePort(lo); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return first, first, nil
	}
	if last, err = parsePort(hi); err != nil {
		return 0, 0, err
	}
	if last < first {
		return 0, 0, fmt.Errorf("range %s ends before it starts", s)
	}
	return first, last, nil
}

func parsePort(s string) (uint16, error) {
	if s == "" {
		return 0, fmt.Errorf("empty port")
	}
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number (0-65535)", s)
	}
	return uint16(v), nil
}
