package network

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/dns/dnsmessage"

	"github.com/geedocker/geedocker/internal/dns/dnstest"
	"golang.org/x/sys/unix"
)

// ioTimeout bounds every exchange of the tests, so a broken path fails
// instead of hanging; a working one answers in well under a millisecond.
const ioTimeout = 5 * time.Second

// linkNS joins two test namespaces with a veth: aName with aAddr in a,
// bName with bAddr in b (created directly there), both up.
func linkNS(t *testing.T, a *testNS, aName, aAddr string, b *testNS, bName, bAddr string) {
	t.Helper()
	a.do(t, func() error {
		la := netlink.NewLinkAttrs()
		la.Name = aName
		veth := &netlink.Veth{LinkAttrs: la, PeerName: bName, PeerNamespace: netlink.NsFd(int(b.h))}
		if err := netlink.LinkAdd(veth); err != nil {
			return err
		}
		return upWithAddr(aName, aAddr)
	})
	b.do(t, func() error { return upWithAddr(bName, bAddr) })
}

func upWithAddr(name, cidr string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	addr, err := netlink.ParseAddr(cidr)
	if err != nil {
		return err
	}
	if err := netlink.AddrAdd(l, addr); err != nil {
		return err
	}
	return netlink.LinkSetUp(l)
}

// serveTCP listens on addr inside ns and answers each line received with
// "<line> from <client address>".
func serveTCP(t *testing.T, ns *testNS, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	ns.do(t, func() (err error) {
		l, err = net.Listen("tcp4", addr)
		return err
	})
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(ioTimeout))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return
				}
				from := c.RemoteAddr().(*net.TCPAddr).IP
				fmt.Fprintf(c, "%s from %s\n", strings.TrimSpace(line), from)
			}()
		}
	}()
	return l
}

// serveUDP is serveTCP for datagrams.
func serveUDP(t *testing.T, ns *testNS, addr string) net.PacketConn {
	t.Helper()
	var pc net.PacketConn
	ns.do(t, func() (err error) {
		pc, err = net.ListenPacket("udp4", addr)
		return err
	})
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			fmt.Fprintf(writerTo{pc, from}, "%s from %s", buf[:n], from.(*net.UDPAddr).IP)
		}
	}()
	return pc
}

type writerTo struct {
	pc   net.PacketConn
	addr net.Addr
}

func (w writerTo) Write(b []byte) (int, error) { return w.pc.WriteTo(b, w.addr) }

// askTCP connects from inside ns to addr, sends "hello" and returns the
// answer, "hello from <address the server saw>".
func askTCP(ns *testNS, addr string, timeout time.Duration) (string, error) {
	var answer string
	err := ns.try(func() error {
		c, err := net.DialTimeout("tcp4", addr, timeout)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := c.Write([]byte("hello\n")); err != nil {
			return err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		answer = strings.TrimSpace(line)
		return err
	})
	return answer, err
}

// askUDP is askTCP over UDP.
func askUDP(ns *testNS, addr string) (string, error) {
	var answer string
	err := ns.try(func() error {
		c, err := net.Dial("udp4", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(ioTimeout))
		if _, err := c.Write([]byte("hello")); err != nil {
			return err
		}
		buf := make([]byte, 1500)
		n, err := c.Read(buf)
		answer = string(buf[:n])
		return err
	})
	return answer, err
}

// wantAnswer checks that a server at addr answered the client in ns and saw
// it as from.
func wantTCP(t *testing.T, ns *testNS, addr, from string) {
	t.Helper()
	got, err := askTCP(ns, addr, ioTimeout)
	if err != nil {
		t.Fatalf("tcp %s from %s: %v", addr, ns.name, err)
	}
	if want := "hello from " + from; got != want {
		t.Fatalf("tcp %s from %s: got %q, want %q", addr, ns.name, got, want)
	}
}

func wantUDP(t *testing.T, ns *testNS, addr, from string) {
	t.Helper()
	got, err := askUDP(ns, addr)
	if err != nil {
		t.Fatalf("udp %s from %s: %v", addr, ns.name, err)
	}
	if want := "hello from " + from; got != want {
		t.Fatalf("udp %s from %s: got %q, want %q", addr, ns.name, got, want)
	}
}

// wantRefused checks that a TCP connection to addr is refused: nothing
// listens there and no rule sends it elsewhere.
func wantRefused(t *testing.T, ns *testNS, addr string) {
	t.Helper()
	got, err := askTCP(ns, addr, ioTimeout)
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("tcp %s from %s: got %q, %v; want connection refused", addr, ns.name, got, err)
	}
}

// wantDropped checks that a TCP connection to addr gets no answer at all
// within a second: a firewall drops it. (When nothing drops it, the
// answer comes in well under a millisecond.)
func wantDropped(t *testing.T, ns *testNS, addr string) {
	t.Helper()
	got, err := askTCP(ns, addr, time.Second)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("tcp %s from %s: got %q, %v; want it dropped (a timeout)", addr, ns.name, got, err)
	}
}

// queryDNS sends one query over network ("udp" or "tcp") from inside ns.
func queryDNS(ns *testNS, network, server, name string, typ dnsmessage.Type) (rcode dnsmessage.RCode, addrs []netip.Addr, err error) {
	err = ns.try(func() error {
		var err error
		rcode, addrs, err = dnstest.Query(network, server, name, typ)
		return err
	})
	return rcode, addrs, err
}

// linkNames lists the interfaces of ns.
func linkNames(t *testing.T, ns *testNS) []string {
	t.Helper()
	var names []string
	ns.do(t, func() error {
		links, err := netlink.LinkList()
		for _, l := range links {
			names = append(names, l.Attrs().Name)
		}
		return err
	})
	return names
}

// tableComments lists the comments of the rules of GeeDocker's table in
// ns, and whether the table exists.
func tableComments(t *testing.T, ns *testNS) (comments []string, exists bool) {
	t.Helper()
	ns.do(t, func() error {
		fw, err := openFirewall()
		if err != nil {
			return err
		}
		defer fw.close()
		rules, chains, err := fw.list()
		for _, r := range rules {
			comments = append(comments, r.comment)
		}
		exists = chains > 0
		return err
	})
	return comments, exists
}

// routeVia adds a route to dst via gw in the calling thread's namespace.
func routeVia(gw netip.Addr, dst string) error {
	return netlink.RouteAdd(&netlink.Route{Dst: prefixIPNet(netip.MustParsePrefix(dst)), Gw: gw.AsSlice()})
}
