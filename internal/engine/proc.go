package engine

import (
	"context"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/proc"
)

// waitGone waits until the process pid (started at start) has exited, at most timeout
// (forever when negative), and reports whether it is gone (package proc).
func waitGone(pid int, start uint64, timeout time.Duration) bool {
	ctx := context.Background()
	if timeout >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return proc.Wait(ctx, pid, start)
}

// signalProcess sends sig to pid if it is still the process that started at start.
func signalProcess(pid int, start uint64, sig unix.Signal) error { return proc.Signal(pid, start, sig) }
