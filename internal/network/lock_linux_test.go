package network

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// lockHelperEnv makes the test binary take the network lock of its
// namespace, say "locked" and wait to be killed.
const lockHelperEnv = "GEEDOCKER_LOCK_HELPER"

func osHelper() (int, bool) {
	if os.Getenv(lockHelperEnv) == "" {
		return 0, false
	}
	if _, err := lockNamespace(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1, true
	}
	fmt.Println("locked")
	os.Stdin.Read(make([]byte, 1)) // until killed
	return 0, true
}

// TestLockFreedByDeath has a process of the test namespace take the lock
// and get killed: the lock is then free, with no file left to clean up.
func TestLockFreedByDeath(t *testing.T) {
	ns := newNS(t, "host")
	var cmd *exec.Cmd
	var stdin interface{ Close() error }
	ns.do(t, func() error {
		// A child starts in the network namespace of the forking thread.
		cmd = exec.Command("/proc/self/exe")
		cmd.Env = append(os.Environ(), lockHelperEnv+"=1")
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		stdin = in
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if line != "locked\n" {
			return fmt.Errorf("helper said %q, %v", line, err)
		}
		return nil
	})
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})

	// While the helper lives, the lock's address is taken in ns only.
	ns.do(t, func() error {
		if err := bindLockAddr(); err != unix.EADDRINUSE {
			return fmt.Errorf("binding the lock address while it is held: %v, want EADDRINUSE", err)
		}
		return nil
	})
	other := newNS(t, "other")
	other.do(t, func() error {
		unlock, err := lockNamespace()
		if err == nil {
			unlock()
		}
		return err
	})

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	ns.do(t, func() error {
		unlock, err := lockNamespace()
		if err != nil {
			return err
		}
		unlock()
		return nil
	})
}

func bindLockAddr() error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Bind(fd, &unix.SockaddrUnix{Name: lockName})
}
