package network

import (
	"net/netip"
	"strings"
	"testing"
)

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

func TestNextSubnet(t *testing.T) {
	for _, c := range []struct {
		name         string
		routes, used []netip.Prefix
		want         string
	}{
		{"empty host", nil, nil, "172.17.0.0/16"},
		{"default route ignored", prefixes("0.0.0.0/0"), nil, "172.17.0.0/16"},
		{"route inside 172.17", prefixes("172.17.5.0/24"), nil, "172.18.0.0/16"},
		{"route covering 172.16/12", prefixes("172.16.0.0/12"), nil, "192.168.0.0/20"},
		{"used by the default network", nil, prefixes("172.17.0.0/16"), "172.18.0.0/16"},
		{"route and used", prefixes("172.18.0.0/16"), prefixes("172.17.0.0/16", "172.19.0.0/16"), "172.20.0.0/16"},
		{"192.168 after 172", prefixes("172.16.0.0/12", "192.168.0.0/24"), nil, "192.168.16.0/20"},
		{"host routes unrelated", prefixes("10.0.0.0/8", "192.0.2.0/24"), nil, "172.17.0.0/16"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := NextSubnet(c.routes, c.used)
			if err != nil || got.String() != c.want {
				t.Fatalf("NextSubnet = %v, %v; want %s", got, err, c.want)
			}
			if d, _ := DefaultSubnet(c.routes, c.used); d != got {
				t.Fatalf("DefaultSubnet = %v, NextSubnet = %v", d, got)
			}
		})
	}
	if _, err := NextSubnet(prefixes("172.16.0.0/12", "192.168.0.0/16"), nil); err == nil {
		t.Fatal("NextSubnet found a subnet with every pool taken")
	}
}

func TestNewNetwork(t *testing.T) {
	n, err := NewNetwork("bridge", "ffffffffffffffffffff", netip.MustParsePrefix("172.17.0.0/16"), false)
	if err != nil {
		t.Fatal(err)
	}
	if n.Bridge != "geedocker0" || n.Gateway.String() != "172.17.0.1" {
		t.Fatalf("default network: %+v", n)
	}
	n, err = NewNetwork("mynet", "0123456789abcdef0123456789", netip.MustParsePrefix("172.18.0.0/16"), true)
	if err != nil {
		t.Fatal(err)
	}
	if n.Bridge != "gd-0123456789ab" || !n.Internal || n.Gateway.String() != "172.18.0.1" {
		t.Fatalf("user network: %+v", n)
	}

	for _, c := range []struct {
		name, id, subnet, want string
	}{
		{"", "0123456789abcdef", "172.18.0.0/16", "no name"},
		{"x", "short", "172.18.0.0/16", "shorter than 12"},
		{"x", "0123456789abcdef", "172.18.0.0/31", "too small"},
		{"x", "0123456789abcdef", "fd00::/64", "not an IPv4"},
	} {
		var p netip.Prefix
		p, _ = netip.ParsePrefix(c.subnet)
		if _, err := NewNetwork(c.name, c.id, p, false); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewNetwork(%q, %q, %s) = %v, want an error with %q", c.name, c.id, c.subnet, err, c.want)
		}
	}
	bad := n
	bad.Gateway = netip.MustParseAddr("172.18.255.255")
	if err := bad.Validate(); err == nil {
		t.Error("a broadcast gateway is valid")
	}
	bad = n
	bad.Subnet = netip.MustParsePrefix("172.18.0.1/16")
	if err := bad.Validate(); err == nil {
		t.Error("a subnet with host bits is valid")
	}
}

func TestMACFor(t *testing.T) {
	for ip, want := range map[string]string{
		"172.17.0.2":      "02:42:ac:11:00:02",
		"192.168.255.254": "02:42:c0:a8:ff:fe",
		"::ffff:10.0.0.1": "02:42:0a:00:00:01",
	} {
		if got := MACFor(netip.MustParseAddr(ip)).String(); got != want {
			t.Errorf("MACFor(%s) = %s, want %s", ip, got, want)
		}
	}
}

func TestVethName(t *testing.T) {
	if got := VethName("3f2a1b4c5d6e7f80aa"); got != "veth3f2a1b4c" {
		t.Errorf("VethName of a hex ID = %s", got)
	}
	if got := VethName("3F2A1B4C5D"); got != "veth3f2a1b4c" {
		t.Errorf("VethName of an upper-case hex ID = %s", got)
	}
	a, b := VethName("not-hex-owner"), VethName("not-hex-other")
	if len(a) != 12 || a == b || !isHex(a[4:]) {
		t.Errorf("VethName of non-hex owners: %s %s", a, b)
	}
}

func TestBroadcast(t *testing.T) {
	for p, want := range map[string]string{"172.17.0.0/16": "172.17.255.255", "10.0.0.0/30": "10.0.0.3", "192.168.16.0/20": "192.168.31.255"} {
		if got := broadcast(netip.MustParsePrefix(p)).String(); got != want {
			t.Errorf("broadcast(%s) = %s, want %s", p, got, want)
		}
	}
}
