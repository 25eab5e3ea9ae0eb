package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/dns"
)

// Test topology, every namespace made by the test:
//
//	outside (198.51.100.1) ==veth== host (198.51.100.2, the engine's
//	namespace: bridge, nftables table) ==bridge== ctrA, ctrB
//
// "outside" plays the internet; "host" plays the machine GeeDocker runs on.
const (
	outsideIP = "198.51.100.1"
	hostIP    = "198.51.100.2"
	ownerA    = "aaaaaaaa00000000000000000000000000000000000000000000000000000001"
	ownerB    = "bbbbbbbb00000000000000000000000000000000000000000000000000000002"
)

type testbed struct {
	host, outside, ctrA, ctrB *testNS
	n                         Network
	ipam                      *IPAM
	ipA, ipB                  netip.Addr
}

// newTestbed builds the topology and attaches ctrA and ctrB to the default
// network, whose subnet is picked from the host namespace's routes.
func newTestbed(t *testing.T) *testbed {
	tb := &testbed{
		host:    newNS(t, "host"),
		outside: newNS(t, "outside"),
		ctrA:    newNS(t, "ctrA"),
		ctrB:    newNS(t, "ctrB"),
		ipam:    &IPAM{Dir: t.TempDir()},
	}
	linkNS(t, tb.host, "uplink", hostIP+"/24", tb.outside, "eth0", outsideIP+"/24")

	var routes []netip.Prefix
	tb.host.do(t, func() (err error) {
		routes, err = HostRoutes()
		return err
	})
	if !slices.Contains(routes, netip.MustParsePrefix("198.51.100.0/24")) {
		t.Fatalf("HostRoutes = %v, want 198.51.100.0/24 among them", routes)
	}
	subnet, err := DefaultSubnet(routes, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tb.n, err = NewNetwork(DefaultName, "", subnet, false); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, the table and bridge are removed with the host
	// namespace; RemoveBridge is checked explicitly by the tests.
	tb.ipA = tb.attach(t, tb.ctrA, ownerA)
	tb.ipB = tb.attach(t, tb.ctrB, ownerB)
	return tb
}

func (tb *testbed) attach(t *testing.T, ctr *testNS, owner string) netip.Addr {
	t.Helper()
	ip, err := tb.ipam.Allocate(tb.n, owner, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	var ep Endpoint
	var took time.Duration
	tb.host.do(t, func() (err error) {
		start := time.Now()
		ep, err = Attach(tb.n, ctr.path, owner, ip)
		took = time.Since(start)
		return err
	})
	t.Logf("Attach %s: %s", ctr.name, took)
	want := Endpoint{Network: DefaultName, IP: ip, Prefix: tb.n.Subnet.Bits(), Gateway: tb.n.Gateway, MAC: MACFor(ip), HostVeth: VethName(owner)}
	if fmt.Sprint(ep) != fmt.Sprint(want) {
		t.Fatalf("Attach returned %+v, want %+v", ep, want)
	}
	return ip
}

func addr(ip netip.Addr, port string) string { return ip.String() + ":" + port }

func TestBridgeEndToEnd(t *testing.T) {
	tb := newTestbed(t)
	gw := tb.n.Gateway

	t.Run("container end", func(t *testing.T) {
		tb.ctrA.do(t, func() error {
			eth0, err := netlink.LinkByName("eth0")
			if err != nil {
				return err
			}
			if eth0.Attrs().HardwareAddr.String() != MACFor(tb.ipA).String() || eth0.Attrs().Flags&1 == 0 {
				t.Errorf("eth0 %s flags %v, want MAC %s and up", eth0.Attrs().HardwareAddr, eth0.Attrs().Flags, MACFor(tb.ipA))
			}
			routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
			for _, r := range routes {
				if (r.Dst == nil || r.Dst.String() == "0.0.0.0/0") && r.Gw.String() == gw.String() {
					return err
				}
			}
			t.Errorf("no default route via %s in ctrA: %v", gw, routes)
			return err
		})
		// The container ends never appeared in the host namespace.
		for _, name := range linkNames(t, tb.host) {
			if name == "eth0" {
				t.Errorf("host namespace has an eth0")
			}
		}
	})

	serveTCP(t, tb.ctrA, ":80")
	serveUDP(t, tb.ctrA, ":5353")
	serveTCP(t, tb.host, addr(gw, "9000"))
	serveTCP(t, tb.outside, outsideIP+":8000")

	t.Run("container to container", func(t *testing.T) {
		wantTCP(t, tb.ctrB, addr(tb.ipA, "80"), tb.ipB.String())
		wantUDP(t, tb.ctrB, addr(tb.ipA, "5353"), tb.ipB.String())
	})
	t.Run("container to gateway", func(t *testing.T) {
		wantTCP(t, tb.ctrA, addr(gw, "9000"), tb.ipA.String())
	})
	t.Run("masquerade to the outside", func(t *testing.T) {
		wantTCP(t, tb.ctrA, outsideIP+":8000", hostIP)
	})
	t.Run("no direct routing from the outside", func(t *testing.T) {
		tb.outside.do(t, func() error {
			dst := netlink.Route{Dst: prefixIPNet(tb.n.Subnet), Gw: netip.MustParseAddr(hostIP).AsSlice()}
			return netlink.RouteAdd(&dst)
		})
		wantDropped(t, tb.outside, addr(tb.ipA, "80"))
	})

	var published []PortMapping
	tb.host.do(t, func() (err error) {
		start := time.Now()
		published, err = Publish(ownerA, tb.ipA, []PortMapping{
			{HostPort: 18080, ContainerPort: 80, Proto: "tcp"},
			{ContainerPort: 5353, Proto: "udp"},
			{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 18081, ContainerPort: 80, Proto: "tcp"},
		})
		t.Logf("Publish: %s", time.Since(start))
		return err
	})
	udpPort := published[1].HostPort
	if udpPort == 0 || published[0].HostPort != 18080 {
		t.Fatalf("Publish returned %v, want 18080 kept and a port picked for udp", published)
	}
	udpHost := hostIP + ":" + itoa(udpPort)

	t.Run("published from the host", func(t *testing.T) {
		wantTCP(t, tb.host, hostIP+":18080", hostIP)
		wantTCP(t, tb.host, addr(gw, "18080"), gw.String())
		wantTCP(t, tb.host, "127.0.0.1:18080", gw.String())
		wantTCP(t, tb.host, "127.0.0.1:18081", gw.String())
		wantUDP(t, tb.host, udpHost, hostIP)
		wantUDP(t, tb.host, "127.0.0.1:"+itoa(udpPort), gw.String())
	})
	t.Run("published from the outside", func(t *testing.T) {
		wantTCP(t, tb.outside, hostIP+":18080", outsideIP)
		wantUDP(t, tb.outside, udpHost, outsideIP)
		// Published on 127.0.0.1 only: not reachable from the outside.
		wantRefused(t, tb.outside, hostIP+":18081")
	})
	t.Run("hairpin", func(t *testing.T) {
		wantTCP(t, tb.ctrB, hostIP+":18080", gw.String())
		wantTCP(t, tb.ctrA, hostIP+":18080", gw.String())
		wantUDP(t, tb.ctrB, udpHost, gw.String())
	})
	t.Run("no host loopback from a container", func(t *testing.T) {
		testLoopbackGuard(t, tb)
	})

	t.Run("port conflicts", func(t *testing.T) {
		before, _ := tableComments(t, tb.host)
		serveTCP(t, tb.host, "0.0.0.0:18181")
		for _, c := range []struct {
			ports []PortMapping
			port  string
		}{
			{[]PortMapping{{HostPort: 18080, ContainerPort: 80, Proto: "tcp"}}, "18080"},
			// 127.0.0.1:18081 is held by A, so all addresses cannot be had.
			{[]PortMapping{{HostPort: 18081, ContainerPort: 80, Proto: "tcp"}}, "18081"},
			{[]PortMapping{{HostPort: 18181, ContainerPort: 80, Proto: "tcp"}}, "18181"},
			{[]PortMapping{{HostPort: 19000, ContainerPort: 80, Proto: "tcp"}, {HostPort: 18080, ContainerPort: 81, Proto: "tcp"}}, "18080"},
			{[]PortMapping{{HostPort: 19001, ContainerPort: 80, Proto: "tcp"}, {HostPort: 19001, ContainerPort: 81, Proto: "tcp"}}, "19001"},
		} {
			err := tb.host.try(func() error {
				_, err := Publish(ownerB, tb.ipB, c.ports)
				return err
			})
			if !errors.Is(err, ErrPortAllocated) || !strings.Contains(err.Error(), ":"+c.port) {
				t.Errorf("Publish %v: %v, want ErrPortAllocated naming port %s", c.ports, err, c.port)
			}
		}
		after, _ := tableComments(t, tb.host)
		if !slices.Equal(before, after) {
			t.Errorf("failed Publish changed the rules:\nbefore %q\nafter  %q", before, after)
		}
		// The same port over another protocol is free.
		tb.host.do(t, func() error {
			_, err := Publish(ownerB, tb.ipB, []PortMapping{{HostPort: 18080, ContainerPort: 80, Proto: "udp"}})
			return err
		})
	})

	t.Run("DNS", func(t *testing.T) {
		testDNSInContainer(t, tb)
	})

	t.Run("unpublish, detach, cleanup, remove", func(t *testing.T) {
		tb.host.do(t, func() error { return Unpublish(ownerA) })
		wantRefused(t, tb.outside, hostIP+":18080")
		wantRefused(t, tb.host, "127.0.0.1:18080")
		comments, _ := tableComments(t, tb.host)
		for _, c := range comments {
			if strings.Contains(c, ownerA) {
				t.Errorf("rule %q left after Unpublish", c)
			}
		}
		tb.host.do(t, func() error { return Unpublish(ownerA) }) // idempotent

		tb.host.do(t, func() error { return Detach(ownerB) })
		tb.host.do(t, func() error { return Detach(ownerB) })
		if slices.Contains(linkNames(t, tb.host), VethName(ownerB)) {
			t.Errorf("%s left after Detach", VethName(ownerB))
		}
		if names := linkNames(t, tb.ctrB); slices.Contains(names, "eth0") {
			t.Errorf("ctrB still has eth0 after Detach: %v", names)
		}

		// B still has a published udp port; A has its veth. Cleanup with
		// only A alive removes B's rules, then with none alive A's veth.
		tb.host.do(t, func() error { return Cleanup(func(o string) bool { return o == ownerA }) })
		comments, _ = tableComments(t, tb.host)
		for _, c := range comments {
			if strings.HasPrefix(c, "port ") {
				t.Errorf("rule %q left after Cleanup", c)
			}
		}
		if !slices.Contains(linkNames(t, tb.host), VethName(ownerA)) {
			t.Errorf("Cleanup removed the veth of a live container")
		}
		tb.host.do(t, func() error { return Cleanup(func(string) bool { return false }) })
		for _, name := range linkNames(t, tb.host) {
			if strings.HasPrefix(name, "veth") {
				t.Errorf("veth %s left after Cleanup", name)
			}
		}
		for _, c := range comments {
			if c != networkComment(tb.n) && c != forwardingComment {
				t.Errorf("rule %q is neither the network's nor gone", c)
			}
		}

		tb.host.do(t, func() error { return RemoveBridge(tb.n) })
		if slices.Contains(linkNames(t, tb.host), tb.n.Bridge) {
			t.Errorf("bridge %s left after RemoveBridge", tb.n.Bridge)
		}
		if comments, exists := tableComments(t, tb.host); exists {
			t.Errorf("table left after RemoveBridge, with rules %q", comments)
		}
		tb.host.do(t, func() error { return RemoveBridge(tb.n) }) // idempotent
		tb.host.do(t, func() error {
			v, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
			if err == nil && string(v) != "0\n" {
				t.Errorf("ip_forward is %q after the last network went, want 0 as before", v)
			}
			return err
		})
	})
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

func prefixIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// testLoopbackGuard makes ctrB send a connection to 127.0.0.5 through the
// bridge, as a hostile container can: it routes 127.0.0.5 via the gateway
// and accepts loopback addresses on eth0. The bridge has route_localnet=1,
// so only the guard rule keeps it from the host's loopback service; with
// the rule deleted the connection must go through (proving the test sets
// the attack up right), and EnsureNAT must put the rule back.
func testLoopbackGuard(t *testing.T, tb *testbed) {
	serveTCP(t, tb.host, "127.0.0.5:7777")
	tb.ctrB.do(t, func() error {
		if err := os.WriteFile("/proc/sys/net/ipv4/conf/eth0/route_localnet", []byte("1"), 0o644); err != nil {
			return err
		}
		eth0, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		// In the local table, where it wins over "local 127.0.0.0/8".
		return netlink.RouteAdd(&netlink.Route{
			LinkIndex: eth0.Attrs().Index,
			Table:     unix.RT_TABLE_LOCAL,
			Dst:       prefixIPNet(netip.MustParsePrefix("127.0.0.5/32")),
			Gw:        tb.n.Gateway.AsSlice(),
		})
	})
	wantDropped(t, tb.ctrB, "127.0.0.5:7777")

	tb.host.do(t, func() error {
		fw, err := openFirewall()
		if err != nil {
			return err
		}
		defer fw.close()
		rules, _, err := fw.list()
		if err != nil {
			return err
		}
		for _, r := range rules {
			if r.rule.Chain.Name == chainGuard {
				fw.queueDelete([]installed{r})
			}
		}
		return fw.commit("deleting the guard")
	})
	wantTCP(t, tb.ctrB, "127.0.0.5:7777", tb.ipB.String())
	tb.host.do(t, func() error { return EnsureNAT(tb.n) })
	comments, _ := tableComments(t, tb.host)
	var net []string
	for _, c := range comments {
		if c == networkComment(tb.n) {
			net = append(net, c)
		}
	}
	if len(net) != len(networkRules(tb.n)) {
		t.Fatalf("after EnsureNAT %d rules of the network, want %d", len(net), len(networkRules(tb.n)))
	}
}

// testDNSInContainer runs ctrA's DNS server, with an upstream resolver in
// the outside namespace, and ctrB's without one (as on an internal network).
func testDNSInContainer(t *testing.T, tb *testbed) {
	var mu sync.Mutex
	names := map[string][]netip.Addr{"web": {tb.ipB}, "db.alias": {tb.ipB, tb.ipA}}
	lookup := func(name string) []netip.Addr {
		mu.Lock()
		defer mu.Unlock()
		return names[name]
	}

	// The upstream: GeeDocker's own server, knowing one name.
	var upUDP net.PacketConn
	var upTCP net.Listener
	tb.outside.do(t, func() (err error) {
		if upUDP, err = net.ListenPacket("udp4", outsideIP+":53"); err != nil {
			return err
		}
		upTCP, err = net.Listen("tcp4", outsideIP+":53")
		return err
	})
	upstream := dns.NewServer(upUDP, upTCP, func(name string) []netip.Addr {
		if name == "example.test" {
			return []netip.Addr{netip.MustParseAddr("198.51.100.99")}
		}
		return nil
	}, nil)
	serve(t, upstream)

	for _, c := range []struct {
		ctr      *testNS
		upstream []string
	}{{tb.ctrA, []string{outsideIP}}, {tb.ctrB, nil}} {
		var d *dns.Server
		tb.host.do(t, func() (err error) {
			d, err = dns.Listen(c.ctr.path, lookup, c.upstream)
			return err
		})
		serve(t, d)
	}

	mu.Lock()
	names["late"] = []netip.Addr{tb.ipA}
	mu.Unlock()

	for _, c := range []struct {
		ctr     *testNS
		network string
		name    string
		typ     dnsmessage.Type
		rcode   dnsmessage.RCode
		addrs   string
	}{
		{tb.ctrA, "udp", "web.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, tb.ipB.String()},
		{tb.ctrA, "udp", "WEB.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, tb.ipB.String()},
		{tb.ctrA, "tcp", "db.alias.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, tb.ipB.String() + " " + tb.ipA.String()},
		{tb.ctrA, "udp", "web.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, ""},
		{tb.ctrA, "udp", "late.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, tb.ipA.String()},
		{tb.ctrA, "udp", "example.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, "198.51.100.99"},
		{tb.ctrA, "tcp", "example.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, "198.51.100.99"},
		{tb.ctrA, "udp", "unknown.test.", dnsmessage.TypeA, dnsmessage.RCodeNameError, ""},
		{tb.ctrB, "udp", "web.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, tb.ipB.String()},
		{tb.ctrB, "udp", "example.test.", dnsmessage.TypeA, dnsmessage.RCodeNameError, ""},
		{tb.ctrB, "tcp", "nothing.", dnsmessage.TypeA, dnsmessage.RCodeNameError, ""},
	} {
		rcode, addrs, err := queryDNS(c.ctr, c.network, dns.Addr, c.name, c.typ)
		if err != nil {
			t.Errorf("%s: %s %s %v: %v", c.ctr.name, c.network, c.name, c.typ, err)
			continue
		}
		var got []string
		for _, a := range addrs {
			got = append(got, a.String())
		}
		if rcode != c.rcode || strings.Join(got, " ") != c.addrs {
			t.Errorf("%s: %s %s %v: %v %q, want %v %q", c.ctr.name, c.network, c.name, c.typ, rcode, got, c.rcode, c.addrs)
		}
	}
}

// serve runs d until the test ends.
func serve(t *testing.T, d *dns.Server) {
	done := make(chan struct{})
	go func() {
		d.Serve(context.Background())
		close(done)
	}()
	t.Cleanup(func() {
		d.Close()
		<-done
	})
}

// TestAttachErrors checks that a failed Attach says why and leaves no veth.
func TestAttachErrors(t *testing.T) {
	host, ctr := newNS(t, "host"), newNS(t, "ctr")
	n, _ := NewNetwork(DefaultName, "", netip.MustParsePrefix("172.17.0.0/16"), false)
	ip := netip.MustParseAddr("172.17.0.2")
	host.do(t, func() error {
		_, err := Attach(n, ctr.path, "00000001", ip)
		return err
	})
	for _, c := range []struct {
		name, path, owner string
		ip                netip.Addr
		want              string
	}{
		{"no namespace", "/proc/self/fd/999999", "00000002", ip, "opening network namespace"},
		{"outside the subnet", ctr.path, "00000002", netip.MustParseAddr("10.0.0.2"), "not a host address"},
		{"gateway", ctr.path, "00000002", n.Gateway, "not a host address"},
		{"eth0 taken", ctr.path, "00000002", netip.MustParseAddr("172.17.0.3"), "eth0 already exists"},
		{"no owner", ctr.path, "", netip.MustParseAddr("172.17.0.3"), "empty owner"},
	} {
		err := host.try(func() error {
			_, err := Attach(n, c.path, c.owner, c.ip)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Attach = %v, want an error with %q", c.name, err, c.want)
		}
	}
	for _, name := range linkNames(t, host) {
		if name == VethName("00000002") {
			t.Errorf("failed Attach left %s", name)
		}
	}
	if names := linkNames(t, ctr); !slices.Contains(names, "eth0") || len(names) != 2 {
		t.Errorf("container interfaces after failed Attaches: %v, want lo and the first eth0", names)
	}
}
