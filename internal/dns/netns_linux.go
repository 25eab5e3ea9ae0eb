package dns

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// netns is an open network namespace and its identity (the inode of its
// nsfs file), which tells a container's new namespace from its old one at
// the same pinned path.
type netns struct {
	fd  int
	ino uint64
}

func openNetns(path string) (netns, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return netns{}, fmt.Errorf("opening network namespace %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return netns{}, fmt.Errorf("opening network namespace %s: %w", path, err)
	}
	return netns{fd: fd, ino: st.Ino}, nil
}

// netnsIno returns the identity of the network namespace at path.
func netnsIno(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// inNamespace runs fn on a new OS thread switched into the network
// namespace ns, and waits for it. Sockets fn creates belong to ns and keep
// working from any thread afterwards. The thread returns to the pool only
// when it could be switched back; otherwise it stays locked and the Go
// runtime ends it with its goroutine.
func inNamespace(ns int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("opening the thread's network namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("entering network namespace: %w", err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("leaving network namespace: %w", err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// Listen binds Addr over UDP and TCP inside the network namespace at
// netnsPath (its lo must be up, as network.Attach leaves it) and returns
// the server, not yet serving. Only the socket creation happens in that
// namespace, on a thread of its own; queries forwarded upstream are sent
// from it too, so they take the container's route and NAT, and an
// internal network's container cannot reach the outside through its DNS.
func Listen(netnsPath string, lookup func(name string) []netip.Addr, upstream []string) (*Server, error) {
	s, _, err := listen(netnsPath, lookup, upstream)
	return s, err
}

// listen is Listen, also returning the identity of the namespace.
func listen(netnsPath string, lookup func(name string) []netip.Addr, upstream []string) (*Server, uint64, error) {
	ns, err := openNetns(netnsPath)
	if err != nil {
		return nil, 0, err
	}
	var udp net.PacketConn
	var tcp net.Listener
	err = inNamespace(ns.fd, func() error {
		var err error
		if udp, err = net.ListenPacket("udp4", Addr); err != nil {
			return err
		}
		if tcp, err = net.Listen("tcp4", Addr); err != nil {
			udp.Close()
			return err
		}
		return nil
	})
	if err != nil {
		unix.Close(ns.fd)
		return nil, 0, fmt.Errorf("listening on %s in %s: %w", Addr, netnsPath, err)
	}
	d := NewServer(udp, tcp, lookup, upstream)
	// The namespace's fd is closed with the server, never while a forward
	// uses it (its number could name another namespace by then).
	var mu sync.RWMutex
	closed := false
	d.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.RLock()
		defer mu.RUnlock()
		if closed {
			return nil, net.ErrClosed
		}
		var c net.Conn
		err := inNamespace(ns.fd, func() error {
			var err error
			c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
	d.onClose = func() {
		go func() { // after the forwards in flight, without holding up Close
			mu.Lock()
			defer mu.Unlock()
			closed = true
			unix.Close(ns.fd)
		}()
	}
	return d, ns.ino, nil
}
