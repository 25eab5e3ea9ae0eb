package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/dns/dnstest"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes network namespaces")
	}
}

// newNetns makes a network namespace with lo up, on a thread that is thrown
// away, and returns a path to it (an fd of this process, closed after the
// test): nothing of it is mounted, and the machine's namespace is never
// touched.
func newNetns(t *testing.T) string {
	t.Helper()
	fdc := make(chan int, 1)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		if err := loUp(); err != nil {
			unix.Close(fd)
			errc <- err
			return
		}
		fdc <- fd
	}()
	select {
	case err := <-errc:
		t.Fatalf("making a network namespace: %v", err)
	case fd := <-fdc:
		t.Cleanup(func() { unix.Close(fd) })
		return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), fd)
	}
	return ""
}

func loUp() error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr)
}

// inNetns runs fn on a thread inside the namespace at path.
func inNetns(path string, fn func() error) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return inNamespace(fd, fn)
}

// ask queries the resolver at Addr from inside the namespace at path; the
// answer is "NXDOMAIN" (another error code by its name), "ok" with no
// address, or the addresses.
func ask(path, network, name string) (string, error) {
	var rcode dnsmessage.RCode
	var addrs []netip.Addr
	err := inNetns(path, func() error {
		var err error
		rcode, addrs, err = dnstest.Query(network, Addr, name, dnsmessage.TypeA)
		return err
	})
	if err != nil {
		return "", err
	}
	if rcode == dnsmessage.RCodeNameError {
		return "NXDOMAIN", nil
	}
	if rcode != dnsmessage.RCodeSuccess {
		return rcode.String(), nil
	}
	var out []string
	for _, a := range addrs {
		out = append(out, a.String())
	}
	if len(out) == 0 {
		return "ok", nil
	}
	return strings.Join(out, " "), nil
}

// await polls cond until it holds, or fails the test after a generous
// deadline (a bound on a hang, not a timing requirement).
func await(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// upstreamIn runs a DNS server on 127.0.0.1 inside the namespace at path,
// knowing example.test, and returns its address.
func upstreamIn(t *testing.T, path string) string {
	t.Helper()
	var udp net.PacketConn
	var tcp net.Listener
	err := inNetns(path, func() error {
		var err error
		if tcp, err = net.Listen("tcp4", "127.0.0.1:0"); err != nil {
			return err
		}
		udp, err = net.ListenPacket("udp4", tcp.Addr().String())
		return err
	})
	if err != nil {
		t.Fatalf("upstream: %v", err)
	}
	up := NewServer(udp, tcp, func(name string) []netip.Addr {
		if name == "example.test" {
			return []netip.Addr{netip.MustParseAddr("198.51.100.99")}
		}
		return nil
	}, nil)
	done := make(chan struct{})
	go func() { up.Serve(context.Background()); close(done) }()
	t.Cleanup(func() { up.Close(); <-done })
	return tcp.Addr().String()
}

// TestResolver runs the resolver as cmd/geedocker does (this binary
// started under ResolverName, see TestMain) for three containers on two
// networks, and checks what each of them resolves as records change, after
// the resolver is killed, and that it exits with the last record.
func TestResolver(t *testing.T) {
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "dns")
	nsA, nsB, nsC := newNetns(t), newNetns(t), newNetns(t)
	up := upstreamIn(t, nsA)
	t.Cleanup(func() {
		if pid, ok := readPid(dir); ok {
			unix.Kill(pid, unix.SIGKILL)
		}
	})
	publish := func(network, id string, r Record) {
		t.Helper()
		if err := Publish(dir, network, id, r); err != nil {
			t.Fatalf("Publish(%s, %s): %v", network, id, err)
		}
	}
	publish("front", "a", Record{Names: []string{"a", "alias-a"}, Addrs: addrs("10.1.0.2"), Netns: nsA, Upstreams: []string{up}})
	publish("front", "b", Record{Names: []string{"b"}, Addrs: addrs("10.1.0.3"), Netns: nsB})
	publish("back", "c", Record{Names: []string{"c"}, Addrs: addrs("10.2.0.4"), Netns: nsC})
	pid, ok := readPid(dir)
	if !ok {
		t.Fatal("no resolver runs after Publish")
	}

	type query struct{ ns, network, name, want string }
	check := func(step string, qs []query) {
		t.Helper()
		for _, q := range qs {
			got, err := ask(q.ns, q.network, q.name)
			if err != nil || got != q.want {
				t.Errorf("%s: from %s, %s %s = %q, %v; want %q", step, filepath.Base(q.ns), q.network, q.name, got, err, q.want)
			}
		}
	}
	check("published", []query{
		{nsA, "udp", "b", "10.1.0.3"},
		{nsA, "tcp", "B.", "10.1.0.3"},
		{nsB, "udp", "alias-a", "10.1.0.2"},
		{nsA, "udp", "c", "NXDOMAIN"},                 // another network: forwarded, unknown upstream
		{nsA, "udp", "example.test", "198.51.100.99"}, // forwarded from a's namespace
		{nsA, "tcp", "example.test", "198.51.100.99"},
		{nsB, "udp", "example.test", "NXDOMAIN"}, // no upstream
		{nsC, "udp", "b", "NXDOMAIN"},
		{nsC, "udp", "c", "10.2.0.4"},
	})

	// Published after a's queries began: answered as soon as Publish returns.
	nsD := newNetns(t)
	publish("front", "d", Record{Names: []string{"d"}, Addrs: addrs("10.1.0.9"), Netns: nsD})
	// b connected to back, then a of front's names changed whole.
	publish("back", "b", Record{Names: []string{"b"}, Addrs: addrs("10.2.0.3"), Netns: nsB})
	check("more published", []query{
		{nsA, "udp", "d", "10.1.0.9"},
		{nsD, "udp", "a", "10.1.0.2"},
		{nsB, "udp", "c", "10.2.0.4"},
		{nsB, "udp", "b", "10.2.0.3 10.1.0.3"},
		{nsC, "udp", "b", "10.2.0.3"},
	})
	if err := Unpublish(dir, "back", "b"); err != nil {
		t.Fatal(err)
	}
	// Unpublish returns once the resolver has dropped the name.
	check("disconnected", []query{
		{nsC, "udp", "b", "NXDOMAIN"},
		{nsB, "udp", "c", "NXDOMAIN"},
		{nsB, "udp", "d", "10.1.0.9"},
	})
	// Restarted: the same pinned path, another namespace behind it. The
	// resolver listens in the new one, and no longer in the old one.
	nsOld, nsNew := newNetns(t), newNetns(t)
	pin := filepath.Join(t.TempDir(), "pin")
	if err := os.Symlink(nsOld, pin); err != nil {
		t.Fatal(err)
	}
	recE := Record{Names: []string{"e"}, Addrs: addrs("10.1.0.7"), Netns: pin}
	publish("front", "e", recE)
	check("before the restart", []query{{nsOld, "udp", "e", "10.1.0.7"}})
	if err := os.Remove(pin); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(nsNew, pin); err != nil {
		t.Fatal(err)
	}
	publish("front", "e", recE)
	check("after the restart", []query{{nsNew, "udp", "e", "10.1.0.7"}})
	if got, err := ask(nsOld, "udp", "e"); err == nil {
		t.Errorf("the old namespace is still answered: %q", got)
	}
	if err := Forget(dir, "e"); err != nil {
		t.Fatal(err)
	}

	if s, ok := readStatus(dir); !ok || s.Pid != pid || len(s.Errors) != 0 {
		t.Errorf("status %+v, want pid %d and no errors", s, pid)
	}

	// Killed: the watch starts another, which listens in every namespace.
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { Watch(ctx, dir); close(watched) }()
	defer func() { cancel(); <-watched }()
	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// (A query sent while it dies is lost with its socket, as it is for any
	// client: the kill is awaited first, to the reaping of its last thread by
	// this process, its parent.)
	await(t, "the resolver to die", func() error {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			return errors.New("still there")
		}
		return nil
	})
	await(t, "names after the resolver was killed", func() error {
		for _, ns := range []string{nsA, nsB, nsD} {
			if got, err := ask(ns, "udp", "a"); err != nil || got != "10.1.0.2" {
				return fmt.Errorf("from %s: %q, %v", filepath.Base(ns), got, err)
			}
		}
		return nil
	})
	newPid, ok := readPid(dir)
	if !ok || newPid == pid {
		t.Errorf("resolver pid after the kill: %d %v, was %d", newPid, ok, pid)
	}

	// The last record gone: the resolver exits, and its pid file with it.
	for _, id := range []string{"a", "b", "c", "d"} {
		if err := Forget(dir, id); err != nil {
			t.Fatal(err)
		}
	}
	await(t, "the resolver to exit", func() error {
		if processAlive(newPid) {
			return errors.New("still running")
		}
		if _, err := os.Stat(filepath.Join(dir, pidFile)); err == nil {
			return errors.New("pid file left")
		}
		return nil
	})
	if _, err := ask(nsA, "udp", "b"); err == nil {
		t.Error("something still answers at 127.0.0.11 after the resolver exited")
	}
	if hasRecords(dir) {
		t.Error("records left after Forget")
	}
}

// TestPublishErrors checks that Publish says why the resolver cannot serve
// a container, and refuses bad network names.
func TestPublishErrors(t *testing.T) {
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "dns")
	t.Cleanup(func() {
		Forget(dir, "gone")
		if pid, ok := readPid(dir); ok {
			unix.Kill(pid, unix.SIGKILL)
		}
	})
	for _, c := range []struct {
		name, network string
		r             Record
		want          string
	}{
		{"no namespace", "app", Record{Names: []string{"x"}, Netns: "/nonexistent/ns"}, "opening network namespace /nonexistent/ns"},
		{"bad network name", "a/b", Record{Names: []string{"x"}}, "invalid network name"},
	} {
		err := Publish(dir, c.network, "gone", c.r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Publish = %v, want an error with %q", c.name, err, c.want)
		}
	}
}

// TestResolverRetriesAddressInUse holds 127.0.0.11:53 in a namespace, as
// the sockets of a killed resolver may be held a little after its PID
// reads as dead: Publish waits while the resolver tries again, and returns
// once it listens there.
func TestResolverRetriesAddressInUse(t *testing.T) {
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "dns")
	ns := newNetns(t)
	t.Cleanup(func() {
		Forget(dir, "x")
		if pid, ok := readPid(dir); ok {
			unix.Kill(pid, unix.SIGKILL)
		}
	})
	var held net.PacketConn
	if err := inNetns(ns, func() (err error) { held, err = net.ListenPacket("udp4", Addr); return err }); err != nil {
		t.Fatal(err)
	}
	published := make(chan error, 1)
	go func() {
		published <- Publish(dir, "app", "x", Record{Names: []string{"x"}, Addrs: addrs("10.3.0.2"), Netns: ns})
	}()
	await(t, "the resolver to find the address in use", func() error {
		if s, ok := readStatus(dir); !ok || s.Retrying["x"] == "" {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
	held.Close()
	if err := <-published; err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if got, err := ask(ns, "udp", "x"); err != nil || got != "10.3.0.2" {
		t.Errorf("x = %q, %v; want 10.3.0.2", got, err)
	}
}
