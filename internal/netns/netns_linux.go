package netns

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"

	"golang.org/x/sys/unix"
)

// New creates a network namespace that outlives its creator, pinned by
// a bind mount of its nsfs file at path (on the /run tmpfs). The work is
// done on a locked thread that returns to its namespace before it is
// released.
func New(path string) error {
	if err := pinTarget(path); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			goruntime.UnlockOSThread()
			return
		}
		defer unix.Close(orig)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("creating a network namespace: %w", err)
			goruntime.UnlockOSThread()
			return
		}
		err = unix.Mount("/proc/thread-self/ns/net", path, "", unix.MS_BIND, "")
		if serr := unix.Setns(orig, unix.CLONE_NEWNET); serr != nil {
			// The thread stays in the new namespace: let it die with the
			// goroutine (still locked) rather than serve other goroutines.
			errc <- fmt.Errorf("returning to the engine's network namespace: %w", serr)
			return
		}
		goruntime.UnlockOSThread()
		errc <- err
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return fmt.Errorf("pinning the network namespace: %w", err)
	}
	return nil
}

// PinProcess pins the network namespace of process pid at path, as New pins a new one.
func PinProcess(path string, pid int) error {
	if err := pinTarget(path); err != nil {
		return err
	}
	if err := unix.Mount(fmt.Sprintf("/proc/%d/ns/net", pid), path, "", unix.MS_BIND, ""); err != nil {
		os.Remove(path)
		return fmt.Errorf("pinning the network namespace: %w", err)
	}
	return nil
}

// pinTarget makes the empty file a namespace is pinned on by a bind mount.
func pinTarget(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o600)
	if err != nil {
		return fmt.Errorf("network namespace %s: %w", path, err)
	}
	return f.Close()
}

// Remove unpins a namespace made by New or PinProcess; idempotent.
func Remove(path string) {
	unix.Unmount(path, unix.MNT_DETACH)
	os.Remove(path)
}
