package engine

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/container"
)

// waitGone waits until the process pid (started at start) has exited, at
// most timeout (forever when negative). It holds a pidfd, so it neither
// polls nor can be fooled by PID reuse. It reports whether the process is
// gone.
func waitGone(pid int, start uint64, timeout time.Duration) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return true // no such process
	}
	defer unix.Close(fd)
	// The pidfd was opened after the start time was recorded: check that it
	// is still the same process.
	if !container.Alive(pid, start) {
		return true
	}
	ms := -1
	if timeout >= 0 {
		ms = int(timeout.Milliseconds())
	}
	deadline := time.Now().Add(timeout)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if err == unix.EINTR {
			if timeout >= 0 {
				ms = max(0, int(time.Until(deadline).Milliseconds()))
			}
			continue
		}
		return err == nil && n > 0
	}
}

// signalProcess sends sig to pid if it is still the process that started
// at start, through a pidfd so that a reused PID is never signalled.
func signalProcess(pid int, start uint64, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if !container.Alive(pid, start) {
		return unix.ESRCH
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}
