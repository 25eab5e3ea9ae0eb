package network

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The main goroutine keeps the main thread, so the threads that tests throw
// away after switching namespaces are never the main one, and
// processNetNS, the namespace the tests started in, stays the main
// thread's.
func init() {
	runtime.LockOSThread()
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err == nil {
		processNetNS = st.Ino
	}
}

var processNetNS uint64

// isolatedEnv marks the test binary re-run inside its own network namespace.
const isolatedEnv = "GEEDOCKER_NETWORK_TEST_ISOLATED"

// isolate re-runs the test binary, as root, in a new network namespace
// (CLONE_NEWNET) and returns its exit code. Inside it every test still
// makes namespaces of its own; this one only guarantees that a mistake in
// a test cannot reach the machine's own namespace.
func isolate() (int, bool) {
	if os.Getenv(isolatedEnv) != "" {
		// The loopback tests need lo up in the process's namespace too.
		if err := netlink.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1}}); err != nil {
			fmt.Fprintln(os.Stderr, "setting lo up:", err)
			return 1, true
		}
		return 0, false
	}
	if os.Geteuid() != 0 {
		return 0, false
	}
	cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
	cmd.Env = append(os.Environ(), isolatedEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), true
		}
		fmt.Fprintln(os.Stderr, "running the tests in a network namespace:", err)
		return 1, true
	}
	return 0, true
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, bridges, veths and nftables rules")
	}
}

// testNS is a network namespace made by a test. It lives while its handle
// is open (closed by t.Cleanup) or a socket or thread uses it; nothing of
// it is mounted, so a killed test leaves nothing behind.
type testNS struct {
	name string
	h    netns.NsHandle
	path string // /proc/<pid>/fd/<fd>, usable as Attach's netnsPath
}

// newNS creates a network namespace with lo up.
func newNS(t testing.TB, name string) *testNS {
	t.Helper()
	requireRoot(t)
	var h netns.NsHandle
	err := onThrownAwayThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return err
		}
		var err error
		h, err = netns.Get()
		return err
	})
	if err != nil {
		t.Fatalf("creating network namespace %s: %v", name, err)
	}
	ns := &testNS{name: name, h: h, path: fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), int(h))}
	t.Cleanup(func() { h.Close() })
	ns.do(t, func() error {
		return netlink.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1}})
	})
	return ns
}

// onThrownAwayThread runs fn on a locked OS thread that is never unlocked,
// so the Go runtime ends it with the goroutine, whatever fn did to it.
func onThrownAwayThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- fn()
	}()
	return <-errc
}

// try runs fn on a thread inside ns, after checking that the thread is
// there and not in the process's own namespace.
func (ns *testNS) try(fn func() error) error {
	return onThrownAwayThread(func() error {
		if err := netns.Set(ns.h); err != nil {
			return fmt.Errorf("entering %s: %w", ns.name, err)
		}
		var here, want unix.Stat_t
		if err := unix.Stat("/proc/thread-self/ns/net", &here); err != nil {
			return err
		}
		if err := unix.Fstat(int(ns.h), &want); err != nil {
			return err
		}
		if here.Ino != want.Ino || processNetNS == 0 || here.Ino == processNetNS {
			return fmt.Errorf("thread is not in namespace %s", ns.name)
		}
		return fn()
	})
}

// do is try, failing the test on error.
func (ns *testNS) do(t testing.TB, fn func() error) {
	t.Helper()
	if err := ns.try(fn); err != nil {
		t.Fatalf("in %s: %v", ns.name, err)
	}
}
