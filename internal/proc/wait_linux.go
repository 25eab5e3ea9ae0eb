package proc

import (
	"context"

	"golang.org/x/sys/unix"
)

// Wait returns once the process pid has exited (true), or ctx is done (false). With a
// start time other than 0, a process of that pid that started at another time counts as
// gone. It holds a pidfd: it neither polls nor can be fooled by a reused pid.
func Wait(ctx context.Context, pid int, start uint64) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return true // no such process
	}
	defer unix.Close(fd)
	// The pidfd was opened after the start time was recorded: it is still the same process.
	if start != 0 && !Alive(pid, start) {
		return true
	}
	cancel, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return false
	}
	defer unix.Close(cancel)
	stop := context.AfterFunc(ctx, func() { unix.Write(cancel, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })
	defer stop()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(cancel), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		return err == nil && fds[0].Revents != 0
	}
}

// Signal sends sig to pid if it is still the process that started at start.
func Signal(pid int, start uint64, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if !Alive(pid, start) {
		return unix.ESRCH
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}
