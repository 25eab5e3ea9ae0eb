// Package network gives containers Docker's bridge networking without a
// daemon: bridges and veths, addresses (IPAM), NAT and published ports.
// Names on user-defined networks are internal/dns's.
//
// # Describe, then apply
//
// Pure code computes everything as data: a Network's bridge name and
// gateway (NewNetwork), its subnet from Docker's default pools
// (NextSubnet, DefaultSubnet), a container's MAC (MACFor) and host veth
// name (VethName), -p values (ParsePublish), and the nftables rules of a
// network or a published port (networkRules, portRules, printed in nft's
// syntax by their String method). Small Linux functions apply them with
// netlink (vishvananda/netlink, google/nftables); nothing runs ip, nft or
// iptables.
//
// # Namespaces
//
// Attach, Detach, RemoveBridge, EnsureNAT, Publish, Unpublish, Cleanup and
// HostRoutes work in the network namespace of the calling thread: the
// engine's, normally the machine's. The container's namespace is named
// explicitly by a path (/proc/<pid>/ns/net); Attach reaches it through a
// netlink socket opened inside it. Callers that switch namespaces must do
// it on a locked OS thread.
//
// # Lifecycle of a container on a network
//
//	engine: ip := IPAM.Allocate(n, id, wanted)       // JSON file per network, flock
//	engine: Attach(n, "/proc/<pid>/ns/net", id, ip)  // bridge, rules, veth, eth0, route
//	engine: Publish(id, ip, ports)                   // DNAT rules, host ports checked
//	engine: dns.Publish(dir, network, id, record)    // user-defined networks only
//	... container runs ...
//	engine: Unpublish(id); Detach(id); IPAM.Release(n, id)
//	engine, at start and after a crash: Cleanup(alive); IPAM.Reconcile(n, alive)
//	engine: RemoveBridge(n) when the network is removed
//
// Every step is idempotent. Attach serialises its bridge and rule set-up
// with other processes through a lock that is an abstract unix socket
// bound in the engine's namespace (lock_linux.go): the kernel frees it when
// its holder dies.
//
// # The bridge and the veth
//
// The default network "bridge" uses the bridge geedocker0; a user network
// uses gd-<first 12 characters of its ID>. The bridge gets the gateway
// address (the subnet's first), a fixed MAC (MACFor(gateway), so it does
// not change as ports come and go) and route_localnet=1. The veth pair is
// created in one netlink request with its container end already inside the
// container's namespace, named eth0 and given MACFor(ip): it never exists
// in the engine's namespace, so nothing needs renaming or moving. The host
// end, veth<8 hex of the container ID>, is enslaved to the bridge, up, in
// hairpin mode, and carries the alias "geedocker:<container ID>" that
// Detach and Cleanup recognise it by.
//
// # The firewall
//
// GeeDocker keeps its rules in its own nftables table, inet geedocker, and
// never touches another table. Its base chains, all with policy accept:
//
//	guard        filter prerouting, priority raw
//	prerouting   nat prerouting, dstnat     published ports (DNAT)
//	output       nat output, dstnat         published ports, for the host's own connections
//	postrouting  nat postrouting, srcnat    masquerade
//	isolate      filter forward, filter-10  internal networks
//	forward      filter forward, filter     what may enter a bridge
//
// Each rule carries a comment that says whose it is: "net <bridge>
// <subnet>" for the rules of a network (see networkRules for what they do), "port
// <container ID> <proto> <host ip>:<host port>" for a published port.
// Rules are added and deleted by those comments, each change one netlink
// transaction (all or nothing); the table is never rewritten, and goes
// away with the last network's rules. Publish learns which host ports are
// taken from the comments, and from a bind of the port in the engine's
// namespace (a listening socket makes the port unavailable); a port it
// refuses is named in an error wrapping ErrPortAllocated, and nothing is
// installed. A host port of 0 gets a free port from the kernel.
//
// net.ipv4.ip_forward is set to 1 in the engine's namespace. When it was 0,
// the rule "forwarding" in the isolate chain drops forwarded packets that
// neither enter nor leave a GeeDocker bridge, so the host does not become a
// router for its other interfaces; with the last network's rules the table
// goes and ip_forward is set back to 0. The host's own forwarding policy is
// otherwise left alone: an accept in GeeDocker's table cannot overrule a
// drop in another table (a host firewall's forward policy, say), and such
// a host must allow the bridges' traffic itself.
//
// # Published ports on 127.0.0.1
//
// There is no userland proxy: publishing is done by the kernel alone, so
// no process has to stay alive for it. A connection the host makes to a
// published port is DNATed in the output chain; when it comes from
// 127.0.0.1 (or any of 127.0.0.0/8), the kernel would refuse to route a
// packet with a loopback source out of the bridge, and the container could
// not answer it. So the bridge has route_localnet=1, and postrouting
// masquerades 127.0.0.0/8 sources leaving through the bridge: the
// container sees the connection coming from the gateway, and replies go
// back through conntrack. route_localnet would also let a container send
// packets to 127.0.0.0/8 through the bridge and reach services that listen
// only on the host's loopback (CVE-2020-8558); the guard chain drops such
// packets before routing. A container reaching a published port of its own
// network (hairpin) is masqueraded too, so the answer comes back through
// the host.
//
// Connections from other hosts keep their source address; those from the
// host to one of its own addresses keep it too.
//
// # Containers isolated from the outside
//
// Docker drops traffic into a bridge that was not asked for: the forward
// chain lets into a bridge only replies to the containers' own
// connections, traffic between the containers of that bridge and DNATed
// (published) traffic; another network's containers and hosts that route
// to container addresses directly are dropped. An internal network has no
// masquerade and no default route in its containers, and the isolate
// chain drops whatever would leave or enter its bridge through another
// interface.
//
// # Not covered
//
// IPv6, SCTP, the host network's port holding (a process of the host may
// bind a published port later and never see its traffic), conntrack
// flushing when a UDP port is unpublished, and networks with several
// subnets or a container on several networks (Attach always creates eth0).
package network
