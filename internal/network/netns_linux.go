package network

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"

	"github.com/vishvananda/netns"
)

// inNamespace runs fn on a new OS thread switched into the network
// namespace ns, and waits for it. Sockets fn creates belong to ns and keep
// working from any thread afterwards. The thread returns to the pool only
// when it could be switched back; otherwise it stays locked and the Go
// runtime ends it with its goroutine.
func inNamespace(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("opening the thread's network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("entering network namespace: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- fmt.Errorf("leaving network namespace: %w", err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// ListenDNS binds DNSAddr over UDP and TCP inside the network namespace at
// netnsPath (its lo must be up, as Attach leaves it) and returns the
// server, not yet serving. Only the socket creation happens in that
// namespace, on a thread of its own; queries forwarded upstream are sent
// from it too, so they take the container's route and NAT, and an
// internal network's container cannot reach the outside through its DNS.
func ListenDNS(netnsPath string, lookup func(name string) []netip.Addr, upstream []string) (*DNS, error) {
	ns, err := netns.GetFromPath(netnsPath)
	if err != nil {
		return nil, fmt.Errorf("starting DNS: opening network namespace %s: %w", netnsPath, err)
	}
	var udp net.PacketConn
	var tcp net.Listener
	err = inNamespace(ns, func() error {
		var err error
		if udp, err = net.ListenPacket("udp4", DNSAddr); err != nil {
			return err
		}
		if tcp, err = net.Listen("tcp4", DNSAddr); err != nil {
			udp.Close()
			return err
		}
		return nil
	})
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("starting DNS in %s: %w", netnsPath, err)
	}
	d := newDNS(udp, tcp, lookup, upstream)
	d.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := inNamespace(ns, func() error {
			var err error
			c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
	d.onClose = func() { ns.Close() }
	return d, nil
}
