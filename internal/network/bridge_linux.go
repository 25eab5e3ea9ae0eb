package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// vethAlias prefixes the alias (ip link's "alias") of every host veth; the
// owner follows, so Cleanup can tell whose veth it is.
const vethAlias = "geedocker:"

// containerIfname is the name of the container end of the veth.
const containerIfname = "eth0"

// HostRoutes returns the destinations of the IPv4 routes of the main table
// of the calling thread's network namespace; the default route is left out.
func HostRoutes() ([]netip.Prefix, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	defer h.Close()
	routes, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	var out []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		p, ok := prefixFromIPNet(r.Dst)
		if ok && p.Bits() > 0 {
			out = append(out, p)
		}
	}
	return out, nil
}

func prefixFromIPNet(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	bits, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), bits).Masked(), true
}

// Attach connects the network namespace at netnsPath (/proc/<pid>/ns/net of
// the container's init) to network n with address ip, for owner (the
// container ID). It works from the calling thread's network namespace, the
// engine's:
//
//  1. under the namespace's network lock: the bridge is created when
//     missing (gateway address, MAC from the gateway, up; route_localnet=1),
//     net.ipv4.ip_forward is set, and n's rules are installed (EnsureNAT);
//  2. a veth pair is created in one netlink call: the host end
//     VethName(owner), enslaved to the bridge, up and in hairpin mode (set
//     right after), and the container end
//     created directly inside the target namespace as eth0 with MACFor(ip),
//     so it never appears in the engine's namespace;
//  3. inside the target: ip/prefix on eth0, eth0 and lo up, a default route
//     via the gateway (none on an internal network).
//
// On failure the veth is deleted again. Attach does not allocate ip (see
// IPAM) and does not publish ports (see Publish).
func Attach(n Network, netnsPath, owner string, ip netip.Addr) (Endpoint, error) {
	return attach(n, netnsPath, owner, ip, containerIfname, true, nil)
}

// AttachWithMAC is Attach with the container end's MAC chosen (--mac-address) instead of
// MACFor(ip); a nil mac is MACFor(ip).
func AttachWithMAC(n Network, netnsPath, owner string, ip netip.Addr, mac net.HardwareAddr) (Endpoint, error) {
	return attach(n, netnsPath, owner, ip, containerIfname, true, mac)
}

// AttachInterface is Attach with the container end named ifname, and a
// default route through n only when defaultRoute: a container's further
// networks (network connect) get eth1, eth2 … and their subnet's route.
func AttachInterface(n Network, netnsPath, owner string, ip netip.Addr, ifname string, defaultRoute bool) (Endpoint, error) {
	return attach(n, netnsPath, owner, ip, ifname, defaultRoute, nil)
}

func attach(n Network, netnsPath, owner string, ip netip.Addr, ifname string, defaultRoute bool, mac net.HardwareAddr) (Endpoint, error) {
	if err := n.Validate(); err != nil {
		return Endpoint{}, err
	}
	if owner == "" {
		return Endpoint{}, errors.New("attaching to network " + n.Name + ": empty owner")
	}
	ip = ip.Unmap()
	if !n.Subnet.Contains(ip) || !isHostAddr(n, ip) {
		return Endpoint{}, fmt.Errorf("attaching to network %s: %s is not a host address of %s", n.Name, ip, n.Subnet)
	}
	target, err := netns.GetFromPath(netnsPath)
	if err != nil {
		return Endpoint{}, fmt.Errorf("attaching to network %s: opening network namespace %s: %w", n.Name, netnsPath, err)
	}
	defer target.Close()

	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return Endpoint{}, fmt.Errorf("attaching to network %s: %w", n.Name, err)
	}
	defer h.Close()

	br, err := setUpNetwork(h, n)
	if err != nil {
		return Endpoint{}, fmt.Errorf("attaching to network %s: %w", n.Name, err)
	}
	if mac == nil {
		mac = MACFor(ip)
	}
	hostVeth, err := createVeth(h, br, target, owner, mac, ifname)
	if err != nil {
		return Endpoint{}, fmt.Errorf("attaching to network %s: %w", n.Name, err)
	}
	if err := configureContainerEnd(target, n, ip, ifname, defaultRoute); err != nil {
		h.LinkDel(hostVeth)
		return Endpoint{}, fmt.Errorf("attaching to network %s: in namespace %s: %w", n.Name, netnsPath, err)
	}
	return Endpoint{
		Network:  n.Name,
		IP:       ip,
		Prefix:   n.Subnet.Bits(),
		Gateway:  n.Gateway,
		MAC:      mac,
		HostVeth: hostVeth.Attrs().Name,
	}, nil
}

// setUpNetwork makes sure the bridge of n exists, forwarding is on and the
// rules of n are installed, under the network lock.
func setUpNetwork(h *netlink.Handle, n Network) (netlink.Link, error) {
	unlock, err := lockNamespace()
	if err != nil {
		return nil, err
	}
	defer unlock()
	br, err := ensureBridge(h, n)
	if err != nil {
		return nil, err
	}
	if err := ensureNAT(n); err != nil {
		return nil, err
	}
	return br, nil
}

// ensureBridge creates the bridge of n when it is missing and makes sure it
// has the gateway address and is up. Callers hold the network lock.
func ensureBridge(h *netlink.Handle, n Network) (netlink.Link, error) {
	br, err := h.LinkByName(n.Bridge)
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound):
		la := netlink.NewLinkAttrs()
		la.Name = n.Bridge
		la.HardwareAddr = MACFor(n.Gateway) // fixed, so it does not follow the ports
		la.Flags = net.FlagUp
		if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: la}); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("creating bridge %s: %w", n.Bridge, err)
		}
		if br, err = h.LinkByName(n.Bridge); err != nil {
			return nil, fmt.Errorf("finding bridge %s: %w", n.Bridge, err)
		}
	case err != nil:
		return nil, fmt.Errorf("finding bridge %s: %w", n.Bridge, err)
	}
	if br.Type() != "bridge" {
		return nil, fmt.Errorf("interface %s exists and is a %s, not a bridge", n.Bridge, br.Type())
	}

	addrs, err := h.AddrList(br, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("listing addresses of %s: %w", n.Bridge, err)
	}
	gw := gatewayAddr(n)
	found := false
	for _, a := range addrs {
		if a.IPNet.String() == gw.IPNet.String() {
			found = true
		}
	}
	if !found {
		if err := h.AddrAdd(br, gw); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("adding %s to bridge %s: %w", gw.IPNet, n.Bridge, err)
		}
	}
	if br.Attrs().Flags&net.FlagUp == 0 {
		if err := h.LinkSetUp(br); err != nil {
			return nil, fmt.Errorf("setting bridge %s up: %w", n.Bridge, err)
		}
	}
	if !n.Internal {
		if err := setSysctl("net/ipv4/conf/"+n.Bridge+"/route_localnet", "1"); err != nil {
			return nil, err
		}
	}
	return br, nil
}

func gatewayAddr(n Network) *netlink.Addr {
	return &netlink.Addr{IPNet: &net.IPNet{
		IP:   n.Gateway.AsSlice(),
		Mask: net.CIDRMask(n.Subnet.Bits(), 32),
	}}
}

// createVeth creates owner's veth pair: the host end on the bridge and up,
// the container end as eth0 in target. A host end left over by an earlier
// attach of the same owner is replaced.
func createVeth(h *netlink.Handle, br netlink.Link, target netns.NsHandle, owner string, mac net.HardwareAddr, ifname string) (netlink.Link, error) {
	la := netlink.NewLinkAttrs()
	la.Name = VethName(owner)
	la.Flags = net.FlagUp
	la.MasterIndex = br.Attrs().Index
	veth := &netlink.Veth{
		LinkAttrs:        la,
		PeerName:         ifname,
		PeerHardwareAddr: mac,
		PeerNamespace:    netlink.NsFd(int(target)),
	}
	err := h.LinkAdd(veth)
	if errors.Is(err, unix.EEXIST) {
		old, lerr := h.LinkByName(la.Name)
		if lerr != nil {
			return nil, fmt.Errorf("creating veth %s: %s already exists in the container", la.Name, ifname)
		}
		if old.Attrs().Alias != vethAlias+owner {
			return nil, fmt.Errorf("creating veth %s: an interface of that name exists and is not this container's", la.Name)
		}
		if err := h.LinkDel(old); err != nil {
			return nil, fmt.Errorf("deleting stale veth %s: %w", la.Name, err)
		}
		err = h.LinkAdd(veth)
	}
	if err != nil {
		// LinkAdd may have created the pair before failing to enslave it.
		if l, lerr := h.LinkByName(la.Name); lerr == nil && l.Attrs().Alias == "" {
			h.LinkDel(l)
		}
		return nil, fmt.Errorf("creating veth %s: %w", la.Name, err)
	}
	if err := h.LinkSetAlias(veth, vethAlias+owner); err != nil {
		h.LinkDel(veth)
		return nil, fmt.Errorf("naming veth %s: %w", la.Name, err)
	}
	// Hairpin mode lets the bridge send a frame back out of the port it
	// came in by: a container reaching its own published port, when
	// br_netfilter bridges the DNATed packet instead of routing it.
	if err := h.LinkSetHairpin(veth, true); err != nil {
		h.LinkDel(veth)
		return nil, fmt.Errorf("setting hairpin mode on veth %s: %w", la.Name, err)
	}
	return veth, nil
}

// configureContainerEnd sets up eth0 and lo inside target.
func configureContainerEnd(target netns.NsHandle, n Network, ip netip.Addr, ifname string, defaultRoute bool) error {
	h, err := netlink.NewHandleAt(target, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	eth0, err := h.LinkByName(ifname)
	if err != nil {
		return fmt.Errorf("finding %s: %w", ifname, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(n.Subnet.Bits(), 32)}}
	if err := h.AddrAdd(eth0, addr); err != nil {
		return fmt.Errorf("adding %s to %s: %w", addr.IPNet, ifname, err)
	}
	if err := h.LinkSetUp(eth0); err != nil {
		return fmt.Errorf("setting %s up: %w", ifname, err)
	}
	lo := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1, Name: "lo"}} // lo is always ifindex 1
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("setting lo up: %w", err)
	}
	if n.Internal || !defaultRoute {
		return nil
	}
	route := &netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: n.Gateway.AsSlice()}
	if err := h.RouteAdd(route); err != nil {
		return fmt.Errorf("adding the default route via %s: %w", n.Gateway, err)
	}
	return nil
}

// Detach deletes owner's host veth, and with it the container end. A veth
// that does not exist is not an error.
func Detach(owner string) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("detaching %s: %w", owner, err)
	}
	defer h.Close()
	name := VethName(owner)
	l, err := h.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("detaching %s: finding %s: %w", owner, name, err)
	}
	if l.Attrs().Alias != vethAlias+owner {
		return fmt.Errorf("detaching %s: interface %s is not this container's veth", owner, name)
	}
	if err := h.LinkDel(l); err != nil && !errors.As(err, &notFound) && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("detaching %s: deleting %s: %w", owner, name, err)
	}
	return nil
}

// RemoveBridge deletes the bridge of n and n's rules, and GeeDocker's
// nftables table once no rule is left in it (then net.ipv4.ip_forward goes
// back to 0 if EnsureNAT turned it on). Veths still on the bridge are
// not deleted (Detach them first). Removing what does not exist is not an
// error.
func RemoveBridge(n Network) error {
	unlock, err := lockNamespace()
	if err != nil {
		return err
	}
	defer unlock()

	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("removing bridge %s: %w", n.Bridge, err)
	}
	defer h.Close()
	br, err := h.LinkByName(n.Bridge)
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound):
	case err != nil:
		return fmt.Errorf("removing bridge %s: %w", n.Bridge, err)
	case br.Type() != "bridge":
		return fmt.Errorf("removing bridge %s: the interface is a %s, not a bridge", n.Bridge, br.Type())
	default:
		if err := h.LinkDel(br); err != nil {
			return fmt.Errorf("removing bridge %s: %w", n.Bridge, err)
		}
	}

	fw, err := openFirewall()
	if err != nil {
		return err
	}
	defer fw.close()
	rules, chains, err := fw.list()
	if err != nil {
		return err
	}
	var mine []installed
	guard := false
	for _, r := range rules {
		if isNetworkComment(r.comment, n.Bridge) {
			mine = append(mine, r)
		}
		guard = guard || r.comment == forwardingComment
	}
	switch {
	case chains > 0 && len(mine)+btoi(guard) == len(rules):
		// The last network: the table goes, and forwarding goes back off
		// when GeeDocker turned it on.
		fw.queueDeleteTable()
		if err := fw.commit("removing the rules of network " + n.Name); err != nil {
			return err
		}
		if guard {
			return setSysctl("net/ipv4/ip_forward", "0")
		}
		return nil
	case len(mine) > 0:
		if err := fw.queueDelete(mine); err != nil {
			return err
		}
	default:
		return nil
	}
	return fw.commit("removing the rules of network " + n.Name)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// setSysctl writes value to /proc/sys/<key> when it holds something else.
// Network sysctls belong to the namespace of the calling thread.
func setSysctl(key, value string) error {
	path := "/proc/sys/" + key
	cur, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(cur)) == value {
		return nil
	}
	if err := os.WriteFile(path, []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("setting sysctl %s=%s: %w", strings.ReplaceAll(key, "/", "."), value, err)
	}
	return nil
}
