package holder

import (
	"context"
	"time"

	"golang.org/x/sys/unix"
)

// watchDNS keeps the resolver of the records directory dir running while the container
// runs: it waits on the resolver's pidfd, and starts it again (Hooks.EnsureDNS) when it has
// gone, so that a killed resolver answers again at once. The function returned ends the watch.
func (h *holder) watchDNS(dir string) (stop func()) {
	if dir == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		retry := time.Second
		for ctx.Err() == nil {
			pid, err := h.cfg.Hooks.EnsureDNS(dir)
			if err != nil || pid <= 0 {
				// No resolver needed, or none could start: look again later.
				if !sleepCtx(ctx, retry) {
					return
				}
				retry = min(2*retry, 30*time.Second)
				continue
			}
			retry = time.Second
			waitExit(ctx, pid)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// waitExit returns once the process pid has exited, or ctx is done.
func waitExit(ctx context.Context, pid int) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return // gone already
	}
	defer unix.Close(pidfd)
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		sleepCtx(ctx, time.Second)
		return
	}
	defer unix.Close(efd)
	stop := context.AfterFunc(ctx, func() { unix.Write(efd, []byte{1, 0, 0, 0, 0, 0, 0, 0}) })
	defer stop()
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}, {Fd: int32(efd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != unix.EINTR {
			return
		}
	}
}

// sleepCtx waits d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
