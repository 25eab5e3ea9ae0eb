package network

import (
	"fmt"
	"net/netip"
	"strings"
)

// GeeDocker's nftables table and its base chains. Each chain is
// hook/priority/type as in the comments; all have policy accept.
const (
	tableName        = "geedocker"
	chainGuard       = "guard"       // filter, prerouting, raw (-300)
	chainPrerouting  = "prerouting"  // nat, prerouting, dstnat (-100)
	chainOutput      = "output"      // nat, output, dstnat (-100)
	chainPostrouting = "postrouting" // nat, postrouting, srcnat (100)
	chainIsolate     = "isolate"     // filter, forward, filter-10
	chainForward     = "forward"     // filter, forward, filter (0)
)

// chainNames lists the chains in the order they are created.
var chainNames = []string{chainGuard, chainPrerouting, chainOutput, chainPostrouting, chainIsolate, chainForward}

// loopbackNet is 127.0.0.0/8.
var loopbackNet = netip.MustParsePrefix("127.0.0.0/8")

// matchKind says what a Match compares.
type matchKind int

const (
	matchIIF        matchKind = iota // iifname Name
	matchOIF                         // oifname Name
	matchSaddr                       // ip saddr Prefix
	matchDaddr                       // ip daddr Prefix
	matchDaddrLocal                  // meta nfproto ipv4 fib daddr type local
	matchDport                       // Proto dport Port
	matchCtState                     // ct state established,related
	matchCtDNAT                      // ct status dnat
)

// match is one condition of a rule; Not negates it (interface names and
// addresses only).
type match struct {
	kind   matchKind
	not    bool
	name   string
	prefix netip.Prefix
	proto  string
	port   uint16
}

// verdictKind is what a rule does with a packet that matches.
type verdictKind int

const (
	verdictAccept verdictKind = iota
	verdictDrop
	verdictMasquerade
	verdictDNAT // to
)

// rule is one nftables rule of GeeDocker's table, described as data. The
// comment (the rule's userdata, shown by nft list) says whose rule it is:
// "net <bridge> <subnet>" for a network, "port <owner> <proto> <hostip>:<hostport>"
// for a published port.
type rule struct {
	chain   string
	matches []match
	verdict verdictKind
	to      netip.AddrPort // verdictDNAT
	comment string
}

// String renders r in nft's syntax, as nft list prints it.
func (r rule) String() string {
	var parts []string
	for _, m := range r.matches {
		parts = append(parts, m.String())
	}
	switch r.verdict {
	case verdictAccept:
		parts = append(parts, "accept")
	case verdictDrop:
		parts = append(parts, "drop")
	case verdictMasquerade:
		parts = append(parts, "masquerade")
	case verdictDNAT:
		parts = append(parts, "dnat ip to "+r.to.String())
	}
	parts = append(parts, fmt.Sprintf("comment %q", r.comment))
	return strings.Join(parts, " ")
}

func (m match) String() string {
	op := " "
	if m.not {
		op = " != "
	}
	switch m.kind {
	case matchIIF:
		return "iifname" + op + fmt.Sprintf("%q", m.name)
	case matchOIF:
		return "oifname" + op + fmt.Sprintf("%q", m.name)
	case matchSaddr:
		return "ip saddr" + op + prefixString(m.prefix)
	case matchDaddr:
		return "ip daddr" + op + prefixString(m.prefix)
	case matchDaddrLocal:
		return "meta nfproto ipv4 fib daddr type local" // nft keeps the guard exprs adds
	case matchDport:
		return fmt.Sprintf("%s dport %d", m.proto, m.port)
	case matchCtState:
		return "ct state established,related"
	case matchCtDNAT:
		return "ct status dnat"
	}
	return fmt.Sprintf("unknown match %d", m.kind)
}

// prefixString prints a /32 as a plain address, like nft.
func prefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

func iif(name string) match      { return match{kind: matchIIF, name: name} }
func oif(name string) match      { return match{kind: matchOIF, name: name} }
func notOIF(name string) match   { return match{kind: matchOIF, name: name, not: true} }
func notIIF(name string) match   { return match{kind: matchIIF, name: name, not: true} }
func saddr(p netip.Prefix) match { return match{kind: matchSaddr, prefix: p} }
func daddr(p netip.Prefix) match { return match{kind: matchDaddr, prefix: p} }

// networkComment tags the rules of network n: "net <bridge> <subnet>",
// and " internal" for an internal network. What the rules depend on is in
// it, so a network recreated differently on the same bridge has its rules
// replaced.
func networkComment(n Network) string {
	c := fmt.Sprintf("net %s %s", n.Bridge, n.Subnet)
	if n.Internal {
		c += " internal"
	}
	return c
}

// isNetworkComment reports whether comment tags rules of bridge, as
// networkComment wrote it for any subnet.
func isNetworkComment(comment, bridge string) bool {
	return strings.HasPrefix(comment, "net "+bridge+" ")
}

// networkRules describes the rules of network n:
//
//   - guard: packets from the bridge addressed to 127.0.0.0/8 are dropped
//     before routing. The bridge has route_localnet=1 (so that the host can
//     reach published ports through 127.0.0.1, see the package doc), which
//     would otherwise let a container reach services that listen on the
//     host's loopback (CVE-2020-8558).
//   - postrouting (not for internal networks): masquerade what leaves the
//     subnet through another interface than the bridge; masquerade what
//     enters the bridge after a DNAT from inside the subnet (hairpin: a
//     container reaching a published port), so the reply comes back through
//     the host; masquerade what enters the bridge from 127.0.0.0/8 (the host
//     reaching a published port on 127.0.0.1).
//   - forward: what goes into the bridge is accepted when it belongs to a
//     connection a container made, comes from the bridge itself, or was
//     DNATed by a published port; anything else into the bridge (another
//     network's containers, hosts routing to container addresses directly)
//     is dropped. Every rule names the bridge as output interface, so the
//     groups of two networks never decide for each other.
//   - isolate (internal networks): anything that leaves or enters the
//     bridge through another interface is dropped. This chain runs before
//     forward, so no accept of another network can let such a packet pass.
//
// Outgoing traffic needs no rule: the forward chain's policy is accept.
func networkRules(n Network) []rule {
	br, c := n.Bridge, networkComment(n)
	rules := []rule{
		{chain: chainGuard, matches: []match{iif(br), daddr(loopbackNet)}, verdict: verdictDrop, comment: c},
	}
	if n.Internal {
		return append(rules,
			rule{chain: chainIsolate, matches: []match{iif(br), notOIF(br)}, verdict: verdictDrop, comment: c},
			rule{chain: chainIsolate, matches: []match{oif(br), notIIF(br)}, verdict: verdictDrop, comment: c},
		)
	}
	return append(rules,
		rule{chain: chainPostrouting, matches: []match{saddr(n.Subnet), notOIF(br)}, verdict: verdictMasquerade, comment: c},
		rule{chain: chainPostrouting, matches: []match{saddr(n.Subnet), oif(br), {kind: matchCtDNAT}}, verdict: verdictMasquerade, comment: c},
		rule{chain: chainPostrouting, matches: []match{saddr(loopbackNet), oif(br)}, verdict: verdictMasquerade, comment: c},
		rule{chain: chainForward, matches: []match{oif(br), {kind: matchCtState}}, verdict: verdictAccept, comment: c},
		rule{chain: chainForward, matches: []match{oif(br), iif(br)}, verdict: verdictAccept, comment: c},
		rule{chain: chainForward, matches: []match{oif(br), {kind: matchCtDNAT}}, verdict: verdictAccept, comment: c},
		rule{chain: chainForward, matches: []match{oif(br)}, verdict: verdictDrop, comment: c},
	)
}

// forwardingComment tags the rule that keeps the host from forwarding
// anything but its bridges' traffic.
const forwardingComment = "forwarding"

// bridgeNames match every bridge GeeDocker makes; a trailing * matches a
// prefix, as in nft.
var bridgeNames = []string{DefaultBridge, "gd-*"}

// forwardingRule describes the rule installed when GeeDocker turned
// net.ipv4.ip_forward on: the host forwarded nothing before, so it goes on
// forwarding nothing that neither enters nor leaves one of the bridges.
// It sits in the isolate chain, before any accept of the forward chain.
func forwardingRule() rule {
	var ms []match
	for _, b := range bridgeNames {
		ms = append(ms, notIIF(b))
	}
	for _, b := range bridgeNames {
		ms = append(ms, notOIF(b))
	}
	return rule{chain: chainIsolate, matches: ms, verdict: verdictDrop, comment: forwardingComment}
}

// portComment tags the rules of one published port.
func portComment(owner string, m PortMapping) string {
	return fmt.Sprintf("port %s %s %s", owner, m.Proto, netip.AddrPortFrom(m.hostIP(), m.HostPort))
}

// parsePortComment reads a comment written by portComment back.
func parsePortComment(c string) (owner string, m PortMapping, ok bool) {
	f := strings.Fields(c)
	if len(f) != 4 || f[0] != "port" {
		return "", PortMapping{}, false
	}
	ap, err := netip.ParseAddrPort(f[3])
	if err != nil || (f[2] != "tcp" && f[2] != "udp") {
		return "", PortMapping{}, false
	}
	m = PortMapping{HostPort: ap.Port(), Proto: f[2]}
	if !ap.Addr().IsUnspecified() {
		m.HostIP = ap.Addr()
	}
	return f[1], m, true
}

// portRules describes the DNAT of one published port to ip: in prerouting
// for packets from other hosts and from containers (hairpin), in output for
// connections the host itself makes, 127.0.0.1 included. A mapping for all
// host addresses matches every local destination address (fib daddr type
// local), as Docker's ADDRTYPE match does.
func portRules(owner string, ip netip.Addr, m PortMapping) []rule {
	dst := match{kind: matchDaddrLocal}
	if m.HostIP.IsValid() {
		dst = daddr(netip.PrefixFrom(m.HostIP, 32))
	}
	matches := []match{dst, {kind: matchDport, proto: m.Proto, port: m.HostPort}}
	to := netip.AddrPortFrom(ip, m.ContainerPort)
	c := portComment(owner, m)
	return []rule{
		{chain: chainPrerouting, matches: matches, verdict: verdictDNAT, to: to, comment: c},
		{chain: chainOutput, matches: matches, verdict: verdictDNAT, to: to, comment: c},
	}
}

// conflicts reports whether two mappings claim the same host port: same
// protocol and port, and one of them binds every address or both the same.
func conflicts(a, b PortMapping) bool {
	return a.Proto == b.Proto && a.HostPort == b.HostPort &&
		(!a.HostIP.IsValid() || !b.HostIP.IsValid() || a.HostIP == b.HostIP)
}
