package dns

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/geedocker/geedocker/internal/dns/dnstest"
)

func askDNS(network, server, name string, typ dnsmessage.Type) (dnsmessage.RCode, []netip.Addr, error) {
	return dnstest.Query(network, server, name, typ)
}

func buildQuery(id uint16, name string, typ dnsmessage.Type) ([]byte, error) {
	return dnstest.Build(id, name, typ)
}

func parseReply(reply []byte, id uint16) (dnsmessage.RCode, []netip.Addr, error) {
	return dnstest.Parse(reply, id)
}

// loopbackDNS runs a DNS server on 127.0.0.1 (random ports, the same for
// UDP and TCP when possible) until the test ends, and returns its address.
func loopbackDNS(t *testing.T, lookup func(string) []netip.Addr, upstream []string) string {
	t.Helper()
	var udp net.PacketConn
	var tcp net.Listener
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if udp, err = net.ListenPacket("udp4", l.Addr().String()); err == nil {
			tcp = l
			break
		}
		l.Close()
	}
	if tcp == nil {
		t.Fatal("no port free for both UDP and TCP on 127.0.0.1")
	}
	d := NewServer(udp, tcp, lookup, upstream)
	serve(t, d)
	return tcp.Addr().String()
}

// serve runs d until the test ends.
func serve(t *testing.T, d *Server) {
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

func names(m map[string][]netip.Addr) func(string) []netip.Addr {
	return func(name string) []netip.Addr { return m[name] }
}

func TestDNSAnswer(t *testing.T) {
	web := netip.MustParseAddr("172.18.0.2")
	d := NewServer(nil, nil, names(map[string][]netip.Addr{"web": {web}}), nil)
	query := func(name string, typ dnsmessage.Type) []byte {
		q, err := buildQuery(7, name, typ)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	for _, c := range []struct {
		name  string
		typ   dnsmessage.Type
		rcode dnsmessage.RCode
		addrs []netip.Addr
	}{
		{"web.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []netip.Addr{web}},
		{"Web.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []netip.Addr{web}},
		{"web.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, nil},
		{"web.", dnsmessage.TypeMX, dnsmessage.RCodeSuccess, nil},
		{"other.", dnsmessage.TypeA, dnsmessage.RCodeNameError, nil},
	} {
		reply, forward := d.answer(query(c.name, c.typ))
		if forward {
			t.Errorf("%s %v forwarded without upstream", c.name, c.typ)
			continue
		}
		rcode, addrs, err := parseReply(reply, 7)
		if err != nil || rcode != c.rcode || !slices.Equal(addrs, c.addrs) {
			t.Errorf("%s %v: %v %v %v, want %v %v", c.name, c.typ, rcode, addrs, err, c.rcode, c.addrs)
		}
	}

	// With an upstream, unknown names are forwarded, known ones are not.
	d = NewServer(nil, nil, names(map[string][]netip.Addr{"web": {web}}), []string{"192.0.2.53"})
	if d.upstream[0] != "192.0.2.53:53" {
		t.Errorf("upstream = %v, want port 53 added", d.upstream)
	}
	if _, forward := d.answer(query("other.", dnsmessage.TypeA)); !forward {
		t.Error("an unknown name is not forwarded")
	}
	if _, forward := d.answer(query("web.", dnsmessage.TypeA)); forward {
		t.Error("a known name is forwarded")
	}

	// Not queries.
	if reply, _ := d.answer([]byte{1, 2, 3}); reply != nil {
		t.Error("garbage answered")
	}
	resp := query("web.", dnsmessage.TypeA)
	resp[2] |= 0x80 // QR: a response
	if reply, forward := d.answer(resp); reply != nil || forward {
		t.Error("a response answered")
	}
	notify := query("web.", dnsmessage.TypeA)
	notify[2] |= 4 << 3 // opcode NOTIFY
	if rcode, _, _ := parseReply(mustAnswer(d, notify), 7); rcode != dnsmessage.RCodeNotImplemented {
		t.Errorf("opcode 4: rcode %v, want NotImplemented", rcode)
	}
	headerOnly := query("web.", dnsmessage.TypeA)[:12]
	headerOnly[5] = 1 // one question announced, none there
	if rcode, _, _ := parseReply(mustAnswer(d, headerOnly), 7); rcode != dnsmessage.RCodeFormatError {
		t.Errorf("missing question: rcode %v, want FormatError", rcode)
	}
}

func mustAnswer(d *Server, q []byte) []byte {
	reply, _ := d.answer(q)
	return reply
}

// TestDNSServer runs a server and its upstream on loopback and asks both
// over UDP and TCP.
func TestDNSServer(t *testing.T) {
	up := loopbackDNS(t, names(map[string][]netip.Addr{"example.test": {netip.MustParseAddr("198.51.100.99")}}), nil)
	srv := loopbackDNS(t, names(map[string][]netip.Addr{"web": {netip.MustParseAddr("172.18.0.2")}}), []string{up})

	// A dead upstream: a port that was free a moment ago.
	l, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.LocalAddr().String()
	l.Close()
	broken := loopbackDNS(t, nil, []string{dead})

	for _, c := range []struct {
		server, network, name string
		rcode                 dnsmessage.RCode
		addrs                 string
	}{
		{srv, "udp", "web.", dnsmessage.RCodeSuccess, "172.18.0.2"},
		{srv, "tcp", "web.", dnsmessage.RCodeSuccess, "172.18.0.2"},
		{srv, "udp", "example.test.", dnsmessage.RCodeSuccess, "198.51.100.99"},
		{srv, "tcp", "example.test.", dnsmessage.RCodeSuccess, "198.51.100.99"},
		{srv, "udp", "nowhere.test.", dnsmessage.RCodeNameError, ""},
		{broken, "udp", "web.", dnsmessage.RCodeServerFailure, ""},
		{broken, "tcp", "web.", dnsmessage.RCodeServerFailure, ""},
	} {
		rcode, addrs, err := askDNS(c.network, c.server, c.name, dnsmessage.TypeA)
		var got []string
		for _, a := range addrs {
			got = append(got, a.String())
		}
		if err != nil || rcode != c.rcode || strings.Join(got, " ") != c.addrs {
			t.Errorf("%s %s %s: %v %q %v, want %v %q", c.server, c.network, c.name, rcode, got, err, c.rcode, c.addrs)
		}
	}
}

// TestDNSServeStops checks that Serve returns when its context ends and
// the sockets are closed.
func TestDNSServeStops(t *testing.T) {
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := NewServer(udp, tcp, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Serve(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := net.Dial("tcp4", tcp.Addr().String()); err == nil {
		t.Error("the TCP socket still accepts after Serve returned")
	}
}

func TestUpstreamsFromResolvConf(t *testing.T) {
	conf := `# generated
nameserver 127.0.0.53
nameserver 192.0.2.1
search example.test
nameserver ::1
nameserver 2001:db8::1
nameserver   198.51.100.7   # trailing
nameserver bogus
`
	got := UpstreamsFromResolvConf([]byte(conf))
	want := []string{"192.0.2.1:53", "[2001:db8::1]:53", "198.51.100.7:53"}
	if !slices.Equal(got, want) {
		t.Fatalf("UpstreamsFromResolvConf = %q, want %q", got, want)
	}
}
