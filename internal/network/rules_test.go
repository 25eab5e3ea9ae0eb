package network

import (
	"net/netip"
	"strings"
	"testing"
)

// ruleLines renders rules as "chain: rule" lines.
func ruleLines(rules []rule) string {
	var b strings.Builder
	for _, r := range rules {
		b.WriteString(r.chain + ": " + r.String() + "\n")
	}
	return b.String()
}

func TestNetworkRules(t *testing.T) {
	n, err := NewNetwork("bridge", "", netip.MustParsePrefix("172.17.0.0/16"), false)
	if err != nil {
		t.Fatal(err)
	}
	want := `guard: iifname "geedocker0" ip daddr 127.0.0.0/8 drop comment "net geedocker0 172.17.0.0/16"
postrouting: ip saddr 172.17.0.0/16 oifname != "geedocker0" masquerade comment "net geedocker0 172.17.0.0/16"
postrouting: ip saddr 172.17.0.0/16 oifname "geedocker0" ct status dnat masquerade comment "net geedocker0 172.17.0.0/16"
postrouting: ip saddr 127.0.0.0/8 oifname "geedocker0" masquerade comment "net geedocker0 172.17.0.0/16"
forward: oifname "geedocker0" ct state established,related accept comment "net geedocker0 172.17.0.0/16"
forward: oifname "geedocker0" iifname "geedocker0" accept comment "net geedocker0 172.17.0.0/16"
forward: oifname "geedocker0" ct status dnat accept comment "net geedocker0 172.17.0.0/16"
forward: oifname "geedocker0" drop comment "net geedocker0 172.17.0.0/16"
`
	if got := ruleLines(networkRules(n)); got != want {
		t.Errorf("rules of the default network:\n%s\nwant:\n%s", got, want)
	}

	in, err := NewNetwork("backend", "0123456789abcdef", netip.MustParsePrefix("192.168.16.0/20"), true)
	if err != nil {
		t.Fatal(err)
	}
	want = `guard: iifname "gd-0123456789ab" ip daddr 127.0.0.0/8 drop comment "net gd-0123456789ab 192.168.16.0/20 internal"
isolate: iifname "gd-0123456789ab" oifname != "gd-0123456789ab" drop comment "net gd-0123456789ab 192.168.16.0/20 internal"
isolate: oifname "gd-0123456789ab" iifname != "gd-0123456789ab" drop comment "net gd-0123456789ab 192.168.16.0/20 internal"
`
	if got := ruleLines(networkRules(in)); got != want {
		t.Errorf("rules of an internal network:\n%s\nwant:\n%s", got, want)
	}

	want = `isolate: iifname != "geedocker0" iifname != "gd-*" oifname != "geedocker0" oifname != "gd-*" drop comment "forwarding"
`
	if got := ruleLines([]rule{forwardingRule()}); got != want {
		t.Errorf("forwarding rule:\n%s\nwant:\n%s", got, want)
	}

	// Every rule of a network names its bridge, so the rules of two
	// networks never decide for each other.
	for _, r := range append(networkRules(n), networkRules(in)...) {
		if !strings.Contains(r.String(), `"geedocker0"`) && !strings.Contains(r.String(), `"gd-0123456789ab"`) {
			t.Errorf("rule %s does not name its bridge", r)
		}
	}
}

func TestPortRules(t *testing.T) {
	ip := netip.MustParseAddr("172.17.0.2")
	got := ruleLines(portRules("abc", ip, PortMapping{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}))
	want := `prerouting: meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 172.17.0.2:80 comment "port abc tcp 0.0.0.0:8080"
output: meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 172.17.0.2:80 comment "port abc tcp 0.0.0.0:8080"
`
	if got != want {
		t.Errorf("rules of 8080:80:\n%s\nwant:\n%s", got, want)
	}
	got = ruleLines(portRules("abc", ip, PortMapping{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 5353, ContainerPort: 53, Proto: "udp"}))
	want = `prerouting: ip daddr 127.0.0.1 udp dport 5353 dnat ip to 172.17.0.2:53 comment "port abc udp 127.0.0.1:5353"
output: ip daddr 127.0.0.1 udp dport 5353 dnat ip to 172.17.0.2:53 comment "port abc udp 127.0.0.1:5353"
`
	if got != want {
		t.Errorf("rules of 127.0.0.1:5353:53/udp:\n%s\nwant:\n%s", got, want)
	}
}

func TestPortComment(t *testing.T) {
	for _, m := range []PortMapping{
		{HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
		{HostIP: netip.MustParseAddr("10.1.2.3"), HostPort: 53, ContainerPort: 53, Proto: "udp"},
	} {
		owner, got, ok := parsePortComment(portComment("c0ffee", m))
		m.ContainerPort = 0 // not in the comment
		if !ok || owner != "c0ffee" || got != m {
			t.Errorf("round trip of %v: %q %v %v", m, owner, got, ok)
		}
	}
	for _, c := range []string{"", "net geedocker0", "port a tcp", "port a sctp 0.0.0.0:1", "port a tcp nowhere", "port a tcp 0.0.0.0:1 extra"} {
		if _, _, ok := parsePortComment(c); ok {
			t.Errorf("parsePortComment(%q) accepted it", c)
		}
	}
}

func TestConflicts(t *testing.T) {
	all := PortMapping{HostPort: 8080, Proto: "tcp"}
	lo := PortMapping{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 8080, Proto: "tcp"}
	other := PortMapping{HostIP: netip.MustParseAddr("10.0.0.1"), HostPort: 8080, Proto: "tcp"}
	for _, c := range []struct {
		a, b PortMapping
		want bool
	}{
		{all, all, true},
		{all, lo, true},
		{lo, all, true},
		{lo, lo, true},
		{lo, other, false},
		{all, PortMapping{HostPort: 8080, Proto: "udp"}, false},
		{all, PortMapping{HostPort: 8081, Proto: "tcp"}, false},
	} {
		if got := conflicts(c.a, c.b); got != c.want {
			t.Errorf("conflicts(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
