package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// awaitPath blocks until dir/name exists (appear) or no longer does, watching dir with
// inotify: no polling. ctx ends the wait.
func awaitPath(ctx context.Context, dir, name string, appear bool) error {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("inotify_init1: %w", err)
	}
	f := os.NewFile(uintptr(fd), "inotify") // non-blocking: in Go's poller, so Close wakes Read
	defer f.Close()
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_DELETE|unix.IN_MOVED_FROM|unix.IN_DELETE_SELF); err != nil {
		return fmt.Errorf("watching %s: %w", dir, err)
	}
	done := func() bool {
		_, err := os.Lstat(filepath.Join(dir, name))
		return (err == nil) == appear
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	buf := make([]byte, 16*1024)
	for !done() { // checked after the watch is set, then after every batch of events
		if _, err := f.Read(buf); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, os.ErrClosed) {
				return ctx.Err()
			}
			return fmt.Errorf("reading inotify events: %w", err)
		}
	}
	return nil
}
