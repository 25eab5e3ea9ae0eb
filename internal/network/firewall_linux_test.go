package network

import (
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestRulesAsNftListsThem installs the rules of two networks and some
// ports, and checks that nft lists exactly the described rules, chain by
// chain: the expressions built from a description are those nft builds
// from its text.
func TestRulesAsNftListsThem(t *testing.T) {
	host := newNS(t, "host")
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("needs the nft command (package nftables) to list the rules")
	}
	n1, _ := NewNetwork(DefaultName, "", netip.MustParsePrefix("172.17.0.0/16"), false)
	n2, _ := NewNetwork("back", "abcdefabcdef1234", netip.MustParsePrefix("172.18.0.0/16"), true)
	ip := netip.MustParseAddr("172.17.0.2")
	ports := []PortMapping{
		{HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
		{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 5353, ContainerPort: 53, Proto: "udp"},
	}
	host.do(t, func() error {
		if err := EnsureNAT(n1); err != nil {
			return err
		}
		if err := EnsureNAT(n2); err != nil {
			return err
		}
		_, err := Publish("c1", ip, ports)
		return err
	})

	want := map[string][]string{}
	// The namespace starts with forwarding off: the forwarding rule comes
	// with the first network.
	described := []rule{forwardingRule()}
	described = append(described, networkRules(n1)...)
	described = append(described, networkRules(n2)...)
	for _, m := range ports {
		described = append(described, portRules("c1", ip, m)...)
	}
	for _, r := range described {
		want[r.chain] = append(want[r.chain], r.String())
	}

	out, err := exec.Command("nsenter", "--net="+host.path, "nft", "list", "table", "inet", tableName).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v\n%s", err, out)
	}
	got := map[string][]string{}
	chain := ""
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "chain "):
			chain = strings.TrimSuffix(strings.TrimPrefix(line, "chain "), " {")
		case line == "" || line == "}" || strings.HasPrefix(line, "type ") || strings.HasPrefix(line, "table "):
		default:
			got[chain] = append(got[chain], line)
		}
	}
	for _, c := range chainNames {
		if !slices.Equal(got[c], want[c]) {
			t.Errorf("chain %s lists\n\t%s\nwant\n\t%s", c, strings.Join(got[c], "\n\t"), strings.Join(want[c], "\n\t"))
		}
	}
	if !strings.Contains(string(out), "chain forward {\n\t\ttype filter hook forward priority filter; policy accept;") {
		t.Errorf("forward chain is not a filter chain with policy accept:\n%s", out)
	}
}

// TestConcurrentSetUp attaches containers to a fresh network from several
// goroutines at once, each on its own thread in the host namespace: one
// bridge, one set of rules, every container connected.
func TestConcurrentSetUp(t *testing.T) {
	host := newNS(t, "host")
	n, _ := NewNetwork("par", "feedfacefeedface", netip.MustParsePrefix("10.123.0.0/24"), false)
	const count = 6
	ctrs := make([]*testNS, count)
	for i := range ctrs {
		ctrs[i] = newNS(t, fmt.Sprintf("ctr%d", i))
	}
	errs := make([]error, count)
	var wg sync.WaitGroup
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("%08x", i+1)
			ip := netip.AddrFrom4([4]byte{10, 123, 0, byte(i + 2)})
			errs[i] = host.try(func() error {
				if _, err := Attach(n, ctrs[i].path, owner, ip); err != nil {
					return err
				}
				_, err := Publish(owner, ip, []PortMapping{{ContainerPort: 80, Proto: "tcp"}})
				return err
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("container %d: %v", i, err)
		}
	}
	comments, _ := tableComments(t, host)
	var netRules, portRules int
	hostPorts := map[string]bool{}
	for _, c := range comments {
		switch {
		case c == networkComment(n):
			netRules++
		case strings.HasPrefix(c, "port "):
			portRules++
			f := strings.Fields(c)
			hostPorts[f[3]] = true
		}
	}
	if netRules != len(networkRules(n)) || portRules != 2*count || len(hostPorts) != count {
		t.Errorf("%d network rules (want %d), %d port rules (want %d), %d host ports (want %d): %q",
			netRules, len(networkRules(n)), portRules, 2*count, len(hostPorts), count, comments)
	}
	names := linkNames(t, host)
	bridges, veths := 0, 0
	for _, name := range names {
		if name == n.Bridge {
			bridges++
		}
		if strings.HasPrefix(name, "veth") {
			veths++
		}
	}
	if bridges != 1 || veths != count {
		t.Errorf("links %v: want one bridge and %d veths", names, count)
	}
}

// TestNetworksIsolated checks that containers of two networks cannot reach
// each other directly, only through published ports, that a container of
// an internal network reaches nothing beyond its bridge while the host
// reaches it, and that the host, whose forwarding was off, forwards
// nothing else.
func TestNetworksIsolated(t *testing.T) {
	host, outside, outside2 := newNS(t, "host"), newNS(t, "outside"), newNS(t, "outside2")
	linkNS(t, host, "uplink", hostIP+"/24", outside, "eth0", outsideIP+"/24")
	linkNS(t, host, "uplink2", "203.0.113.2/24", outside2, "eth0", "203.0.113.1/24")
	outside.do(t, func() error { return routeVia(netip.MustParseAddr(hostIP), "203.0.113.0/24") })
	outside2.do(t, func() error { return routeVia(netip.MustParseAddr("203.0.113.2"), "198.51.100.0/24") })
	serveTCP(t, outside2, "203.0.113.1:8000")
	n1, _ := NewNetwork(DefaultName, "", netip.MustParsePrefix("172.17.0.0/16"), false)
	n2, _ := NewNetwork("other", "2222222222222222", netip.MustParsePrefix("172.18.0.0/16"), false)
	n3, _ := NewNetwork("inside", "3333333333333333", netip.MustParsePrefix("172.19.0.0/16"), true)
	a, b, c := newNS(t, "ctrA"), newNS(t, "ctrB"), newNS(t, "ctrC")
	ipA, ipB, ipC := n1.Gateway.Next(), n2.Gateway.Next(), n3.Gateway.Next()
	host.do(t, func() error {
		for _, x := range []struct {
			n     Network
			ns    *testNS
			owner string
			ip    netip.Addr
		}{{n1, a, "000000a1", ipA}, {n2, b, "000000b2", ipB}, {n3, c, "000000c3", ipC}} {
			if _, err := Attach(x.n, x.ns.path, x.owner, x.ip); err != nil {
				return err
			}
		}
		_, err := Publish("000000b2", ipB, []PortMapping{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}})
		return err
	})
	serveTCP(t, b, ":80")
	serveTCP(t, c, ":80")
	serveTCP(t, outside, outsideIP+":8000")

	wantDropped(t, a, addr(ipB, "80"))
	// Forwarding was off: it is on for the bridges only.
	wantDropped(t, outside, "203.0.113.1:8000")
	wantTCP(t, a, "203.0.113.1:8000", "203.0.113.2")
	wantTCP(t, a, hostIP+":8080", n2.Gateway.String()) // published: masqueraded into n2
	wantTCP(t, host, addr(ipC, "80"), n3.Gateway.String())

	// The internal container has no default route; give it one to show
	// that the firewall, not only routing, keeps it in.
	c.do(t, func() error {
		return routeVia(n3.Gateway, "0.0.0.0/0")
	})
	wantDropped(t, c, outsideIP+":8000")
	wantDropped(t, a, addr(ipC, "80"))

	host.do(t, func() error {
		if err := Unpublish("000000b2"); err != nil {
			return err
		}
		for _, n := range []Network{n1, n2, n3} {
			if err := RemoveBridge(n); err != nil {
				return err
			}
		}
		return nil
	})
	if comments, exists := tableComments(t, host); exists {
		t.Errorf("table left after removing every network: %q", comments)
	}
}

// TestRulesReplaced checks that EnsureNAT replaces the rules of a bridge
// whose network changed, that Publish replaces what the same owner
// published before, and that a host address not on the host is refused.
func TestRulesReplaced(t *testing.T) {
	host := newNS(t, "host")
	old, _ := NewNetwork(DefaultName, "", netip.MustParsePrefix("172.17.0.0/16"), false)
	cur, _ := NewNetwork(DefaultName, "", netip.MustParsePrefix("172.30.0.0/16"), true)
	ip := netip.MustParseAddr("172.17.0.2")
	host.do(t, func() error {
		if err := EnsureNAT(old); err != nil {
			return err
		}
		if err := EnsureNAT(cur); err != nil {
			return err
		}
		if err := EnsureNAT(cur); err != nil {
			return err
		}
		if _, err := Publish("c1", ip, []PortMapping{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}); err != nil {
			return err
		}
		_, err := Publish("c1", ip, []PortMapping{{HostPort: 9090, ContainerPort: 80, Proto: "udp"}})
		return err
	})
	comments, _ := tableComments(t, host)
	want := []string{forwardingComment}
	for _, r := range networkRules(cur) {
		want = append(want, r.comment)
	}
	want = append(want, "port c1 udp 0.0.0.0:9090", "port c1 udp 0.0.0.0:9090")
	slices.Sort(comments)
	slices.Sort(want)
	if !slices.Equal(comments, want) {
		t.Errorf("rules\n\t%q\nwant\n\t%q", comments, want)
	}

	err := host.try(func() error {
		_, err := Publish("c2", ip, []PortMapping{{HostIP: netip.MustParseAddr("203.0.113.9"), HostPort: 80, ContainerPort: 80, Proto: "tcp"}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "203.0.113.9 is not an address of this host") {
		t.Errorf("publishing on a foreign address: %v", err)
	}

	host.do(t, func() error {
		if _, err := Publish("c1", ip, nil); err != nil {
			return err
		}
		return RemoveBridge(cur)
	})
	if comments, exists := tableComments(t, host); exists {
		t.Errorf("table left: %q", comments)
	}
}
