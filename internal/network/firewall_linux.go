package network

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// EnsureNAT installs the rules of n in the calling thread's network
// namespace when they are missing, and turns on net.ipv4.ip_forward for a
// network that is not internal. When forwarding was off, it also installs
// forwardingRule, so the host forwards nothing new but its bridges'
// traffic; RemoveBridge turns forwarding off again with the last network.
// Calling it again changes nothing.
func EnsureNAT(n Network) error {
	if err := n.Validate(); err != nil {
		return err
	}
	unlock, err := lockNamespace()
	if err != nil {
		return err
	}
	defer unlock()
	return ensureNAT(n)
}

// ensureNAT is EnsureNAT for callers that hold the network lock. The rules
// of n are left alone when as many as described are installed, with n's
// current comment; otherwise the bridge's rules are replaced, in one
// transaction.
func ensureNAT(n Network) error {
	// Forwarding is turned on last, once the rule that limits it is in.
	enableForwarding := false
	if !n.Internal {
		cur, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
		if err != nil {
			return fmt.Errorf("reading sysctl net.ipv4.ip_forward: %w", err)
		}
		enableForwarding = strings.TrimSpace(string(cur)) != "1"
	}
	if err := ensureRules(n, enableForwarding); err != nil {
		return err
	}
	if enableForwarding {
		return setSysctl("net/ipv4/ip_forward", "1")
	}
	return nil
}

// ensureRules installs the rules of n, and the forwarding rule when
// addGuard is true and it is missing.
func ensureRules(n Network, addGuard bool) error {
	fw, err := openFirewall()
	if err != nil {
		return err
	}
	defer fw.close()
	rules, chains, err := fw.list()
	if err != nil {
		return err
	}
	want := networkRules(n)
	var have []installed
	current := 0
	for _, r := range rules {
		if isNetworkComment(r.comment, n.Bridge) {
			have = append(have, r)
			if r.comment == networkComment(n) {
				current++
			}
		}
	}
	addGuard = addGuard && !slices.ContainsFunc(rules, func(r installed) bool { return r.comment == forwardingComment })
	upToDate := chains == len(chainNames) && len(have) == len(want) && current == len(want)
	if upToDate && !addGuard {
		return nil
	}
	fw.queueTable()
	if addGuard {
		fw.queueAdd([]rule{forwardingRule()})
	}
	if !upToDate {
		if err := fw.queueDelete(have); err != nil {
			return err
		}
		fw.queueAdd(want)
	}
	return fw.commit("installing the rules of network " + n.Name)
}

// Publish installs the DNAT rules that publish ports of owner's container,
// reachable at ip, and returns the mappings with every host port filled
// in: a HostPort of 0 gets a free port chosen by the kernel. It replaces
// what owner published before. It refuses, with ErrPortAllocated and the
// port named, a host port that another container published or that a
// socket of the namespace is bound to; then nothing is installed.
func Publish(owner string, ip netip.Addr, ports []PortMapping) ([]PortMapping, error) {
	if owner == "" {
		return nil, errors.New("publishing ports: empty owner")
	}
	ip = ip.Unmap()
	if !ip.Is4() {
		return nil, fmt.Errorf("publishing ports of %s: container address %s is not IPv4", owner, ip)
	}
	for _, m := range ports {
		if m.Proto != "tcp" && m.Proto != "udp" {
			return nil, fmt.Errorf("publishing %s: protocol %q is not supported", m, m.Proto)
		}
		if m.ContainerPort == 0 {
			return nil, fmt.Errorf("publishing %s: container port 0 is not valid", m)
		}
		if m.HostIP.IsValid() && !m.HostIP.Unmap().Is4() {
			return nil, fmt.Errorf("publishing %s: host address %s is not IPv4", m, m.HostIP)
		}
	}

	unlock, err := lockNamespace()
	if err != nil {
		return nil, err
	}
	defer unlock()
	fw, err := openFirewall()
	if err != nil {
		return nil, err
	}
	defer fw.close()
	rules, chains, err := fw.list()
	if err != nil {
		return nil, err
	}
	if len(ports) == 0 && chains == 0 {
		return nil, nil
	}

	// taken holds the mappings of other owners; owner's own go away.
	var taken []PortMapping
	takenBy := map[PortMapping]string{}
	var old []installed
	for _, r := range rules {
		o, m, ok := parsePortComment(r.comment)
		switch {
		case !ok:
		case o == owner:
			old = append(old, r)
		default:
			taken = append(taken, m)
			takenBy[m] = o
		}
	}

	out := make([]PortMapping, 0, len(ports))
	var want []rule
	for _, m := range ports {
		m.HostIP = m.HostIP.Unmap()
		if m.HostIP.IsValid() && m.HostIP.IsUnspecified() {
			m.HostIP = netip.Addr{}
		}
		if m.HostPort == 0 {
			if m.HostPort, err = pickPort(m, taken); err != nil {
				return nil, err
			}
		} else {
			for _, t := range taken {
				if !conflicts(t, m) {
					continue
				}
				if takenBy[t] == owner {
					return nil, fmt.Errorf("publishing %s: %w (asked for twice)", m, ErrPortAllocated)
				}
				return nil, fmt.Errorf("publishing %s: %w (by container %s)", m, ErrPortAllocated, shortID(takenBy[t]))
			}
			if _, err := probePort(m); err != nil {
				return nil, err
			}
		}
		taken = append(taken, m)
		takenBy[m] = owner
		out = append(out, m)
		want = append(want, portRules(owner, ip, m)...)
	}

	if chains != len(chainNames) {
		fw.queueTable()
	}
	if err := fw.queueDelete(old); err != nil {
		return nil, err
	}
	fw.queueAdd(want)
	if err := fw.commit("publishing ports of " + shortID(owner)); err != nil {
		return nil, err
	}
	return out, nil
}

// pickPort asks the kernel for a free port (bind to port 0) until it gives
// one that no mapping in taken holds.
func pickPort(m PortMapping, taken []PortMapping) (uint16, error) {
	for range 100 {
		p, err := probePort(m)
		if err != nil {
			return 0, err
		}
		m.HostPort = p
		free := true
		for _, t := range taken {
			if conflicts(t, m) {
				free = false
			}
		}
		if free {
			return p, nil
		}
	}
	return 0, fmt.Errorf("publishing %s: no free host port found", m)
}

// probePort binds a socket like a server publishing m would, and closes it
// again: it fails when a socket of the namespace holds the port. It returns
// the bound port (the kernel's choice for port 0). TCP uses SO_REUSEADDR,
// so only listening sockets count, not connections in TIME_WAIT.
func probePort(m PortMapping) (uint16, error) {
	typ := unix.SOCK_STREAM
	if m.Proto == "udp" {
		typ = unix.SOCK_DGRAM
	}
	fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("publishing %s: %w", m, err)
	}
	defer unix.Close(fd)
	if m.Proto == "tcp" {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return 0, fmt.Errorf("publishing %s: %w", m, err)
		}
	}
	err = unix.Bind(fd, &unix.SockaddrInet4{Port: int(m.HostPort), Addr: m.hostIP().As4()})
	switch {
	case errors.Is(err, unix.EADDRINUSE):
		return 0, fmt.Errorf("publishing %s: %w (a process on the host uses it)", m, ErrPortAllocated)
	case errors.Is(err, unix.EADDRNOTAVAIL):
		return 0, fmt.Errorf("publishing %s: %s is not an address of this host", m, m.HostIP)
	case err != nil:
		return 0, fmt.Errorf("publishing %s: %w", m, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, fmt.Errorf("publishing %s: %w", m, err)
	}
	return uint16(sa.(*unix.SockaddrInet4).Port), nil
}

// Unpublish removes the rules of every port owner published. Unpublishing
// nothing is not an error.
func Unpublish(owner string) error {
	return removeRules(func(c string) bool {
		o, _, ok := parsePortComment(c)
		return ok && o == owner
	}, "unpublishing ports of "+shortID(owner))
}

// removeRules deletes, under the network lock, the rules whose comment
// drop returns true for.
func removeRules(drop func(comment string) bool, what string) error {
	unlock, err := lockNamespace()
	if err != nil {
		return err
	}
	defer unlock()
	fw, err := openFirewall()
	if err != nil {
		return err
	}
	defer fw.close()
	rules, _, err := fw.list()
	if err != nil {
		return err
	}
	var gone []installed
	for _, r := range rules {
		if drop(r.comment) {
			gone = append(gone, r)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	if err := fw.queueDelete(gone); err != nil {
		return err
	}
	return fw.commit(what)
}

// Cleanup removes the published ports and the host veths of owners for
// which live returns false: what containers that died with the engine, or
// before a reboot of the engine's namespace, left behind.
func Cleanup(live func(owner string) bool) error {
	err := removeRules(func(c string) bool {
		o, _, ok := parsePortComment(c)
		return ok && !live(o)
	}, "removing the ports of gone containers")
	if err != nil {
		return err
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("removing veths of gone containers: %w", err)
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return fmt.Errorf("removing veths of gone containers: %w", err)
	}
	var errs []error
	for _, l := range links {
		owner, ok := strings.CutPrefix(l.Attrs().Alias, vethAlias)
		if !ok || l.Type() != "veth" || live(owner) {
			continue
		}
		var notFound netlink.LinkNotFoundError
		if err := h.LinkDel(l); err != nil && !errors.As(err, &notFound) && !errors.Is(err, unix.ENODEV) {
			errs = append(errs, fmt.Errorf("deleting veth %s of %s: %w", l.Attrs().Name, shortID(owner), err))
		}
	}
	return errors.Join(errs...)
}

// shortID shortens a container ID for messages, like docker ps.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
