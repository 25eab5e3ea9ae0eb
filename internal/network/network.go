package network

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// DefaultName is the name of Docker's default network, and DefaultBridge the
// bridge device GeeDocker gives it.
const (
	DefaultName   = "bridge"
	DefaultBridge = "geedocker0"
)

// Network is a bridge network definition, persisted by the engine as JSON.
type Network struct {
	Name     string       `json:"name"`
	ID       string       `json:"id"`
	Bridge   string       `json:"bridge"` // DefaultBridge for DefaultName, "gd-<first 12 of ID>" otherwise
	Subnet   netip.Prefix `json:"subnet"`
	Gateway  netip.Addr   `json:"gateway"`
	Internal bool         `json:"internal"` // no route to the outside, no published ports

	// Labels are the network's own (network create --label), for its users.
	Labels map[string]string `json:"labels,omitempty"`
}

// Endpoint is what a container's connection to a network looks like, as
// inspect shows it.
type Endpoint struct {
	Network  string
	IP       netip.Addr
	Prefix   int
	Gateway  netip.Addr
	MAC      net.HardwareAddr
	HostVeth string
}

// NewNetwork returns the definition of a network on subnet: its bridge name
// comes from the name and ID, its gateway is the first address of the subnet.
func NewNetwork(name, id string, subnet netip.Prefix, internal bool) (Network, error) {
	n := Network{Name: name, ID: id, Subnet: subnet.Masked(), Internal: internal}
	if name == DefaultName {
		n.Bridge = DefaultBridge
	} else {
		if len(id) < 12 {
			return Network{}, fmt.Errorf("network %q: ID %q is shorter than 12 characters", name, id)
		}
		n.Bridge = "gd-" + id[:12]
	}
	if subnet.IsValid() {
		n.Gateway = n.Subnet.Addr().Next()
	}
	if err := n.Validate(); err != nil {
		return Network{}, err
	}
	return n, nil
}

// Validate checks that n can be set up: an IPv4 subnet with room for a
// gateway and at least one container, the gateway inside it, and a bridge
// name the kernel accepts.
func (n Network) Validate() error {
	if n.Name == "" {
		return errors.New("network has no name")
	}
	if !n.Subnet.IsValid() || !n.Subnet.Addr().Is4() {
		return fmt.Errorf("network %s: subnet %q is not an IPv4 prefix", n.Name, n.Subnet)
	}
	if n.Subnet.Bits() > 30 {
		return fmt.Errorf("network %s: subnet %s is too small (at most /30)", n.Name, n.Subnet)
	}
	if n.Subnet != n.Subnet.Masked() {
		return fmt.Errorf("network %s: subnet %s has host bits set", n.Name, n.Subnet)
	}
	if !n.Subnet.Contains(n.Gateway) || n.Gateway == n.Subnet.Addr() || n.Gateway == broadcast(n.Subnet) {
		return fmt.Errorf("network %s: gateway %s is not a host address of %s", n.Name, n.Gateway, n.Subnet)
	}
	if n.Bridge == "" || len(n.Bridge) > 15 || strings.ContainsAny(n.Bridge, "/: \t\n") {
		return fmt.Errorf("network %s: bridge name %q is not a valid interface name", n.Name, n.Bridge)
	}
	return nil
}

// key names the network in IPAM files.
func (n Network) key() string {
	if n.ID != "" {
		return n.ID
	}
	return n.Name
}

// broadcast returns the last address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	hostBits := 32 - p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= uint32((uint64(1) << hostBits) - 1)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// MACFor returns the MAC address Docker gives the container end of a veth:
// 02:42 followed by the four bytes of the IPv4 address. The address thus
// follows the IP, so a neighbour's ARP entry stays right when the IP is
// reused by another container.
func MACFor(ip netip.Addr) net.HardwareAddr {
	b := ip.Unmap().As4()
	return net.HardwareAddr{0x02, 0x42, b[0], b[1], b[2], b[3]}
}

// VethName returns the name of the host end of owner's veth: "veth" and 8
// hex digits, the start of owner when it is a hex ID (as container IDs are),
// else of its SHA-256.
func VethName(owner string) string {
	id := strings.ToLower(owner)
	if len(id) < 8 || !isHex(id[:8]) {
		sum := sha256.Sum256([]byte(owner))
		id = hex.EncodeToString(sum[:])
	}
	return "veth" + id[:8]
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// defaultPools lists the subnets networks are given, in order, like
// Docker's default address pools: 172.17.0.0/16 to 172.31.0.0/16, then
// 192.168.0.0/20 to 192.168.240.0/20.
func defaultPools() []netip.Prefix {
	var pools []netip.Prefix
	for b := 17; b <= 31; b++ {
		pools = append(pools, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(b), 0, 0}), 16))
	}
	for c := 0; c < 256; c += 16 {
		pools = append(pools, netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(c), 0}), 20))
	}
	return pools
}

// NextSubnet returns the first of Docker's default address pools that
// overlaps neither a route of the namespace (routes, from HostRoutes; a
// default route is ignored) nor a subnet already used by a network.
func NextSubnet(routes, used []netip.Prefix) (netip.Prefix, error) {
	for _, pool := range defaultPools() {
		if overlapsAny(pool, routes, true) || overlapsAny(pool, used, false) {
			continue
		}
		return pool, nil
	}
	return netip.Prefix{}, errors.New("all predefined address pools have been fully subnetted")
}

// DefaultSubnet returns the subnet of the default "bridge" network. It walks
// the same pools as NextSubnet, so it is 172.17.0.0/16 unless that overlaps a
// route of the namespace or a user network created while the default
// network did not exist.
func DefaultSubnet(routes, used []netip.Prefix) (netip.Prefix, error) {
	return NextSubnet(routes, used)
}

func overlapsAny(p netip.Prefix, list []netip.Prefix, skipDefault bool) bool {
	for _, q := range list {
		if !q.IsValid() || (skipDefault && q.Bits() == 0) {
			continue
		}
		if p.Overlaps(q) {
			return true
		}
	}
	return false
}
