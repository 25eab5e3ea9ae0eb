package network

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// lockName is the abstract unix socket address whose binding is GeeDocker's
// network lock. Abstract socket names belong to a network namespace, so the
// lock guards exactly what it must (the bridges, the nftables table and the
// ports of one namespace), and the kernel frees it when its holder exits or
// is killed: a dead holder never blocks the others.
const lockName = "@geedocker/network.lock"

// lockTimeout bounds the wait for a live holder (a stopped process, say).
const lockTimeout = 30 * time.Second

// lockNamespace takes the network lock of the calling thread's network
// namespace and returns its release. The lock is held only for short
// read-modify-write sections (bridge set-up, rule changes).
func lockNamespace() (unlock func(), err error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("taking the network lock: %w", err)
	}
	addr := &unix.SockaddrUnix{Name: lockName}
	deadline := time.Now().Add(lockTimeout)
	wait := 100 * time.Microsecond
	for {
		err := unix.Bind(fd, addr)
		if err == nil {
			return func() { unix.Close(fd) }, nil
		}
		if err != unix.EADDRINUSE {
			unix.Close(fd)
			return nil, fmt.Errorf("taking the network lock: %w", err)
		}
		if time.Now().After(deadline) {
			unix.Close(fd)
			return nil, fmt.Errorf("taking the network lock: another process has held it for %s", lockTimeout)
		}
		time.Sleep(wait)
		wait = min(2*wait, 10*time.Millisecond)
	}
}
