package logs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// watcher reports changes to a log's files through inotify on their
// directory: writes (IN_MODIFY), and new files or files renamed into place
// (IN_CREATE, IN_MOVED_TO), which is how a rotation shows.
type watcher struct {
	file    *os.File // the inotify descriptor, non-blocking, in Go's poller
	base    string
	changes chan struct{}
	errs    chan error
	exited  chan struct{}
}

func newWatcher(dir, base string) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_MODIFY|unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watching %s: %w", dir, err)
	}
	w := &watcher{
		// A non-blocking descriptor joins Go's poller, so Close wakes the
		// goroutine blocked in Read.
		file:    os.NewFile(uintptr(fd), "inotify"),
		base:    base,
		changes: make(chan struct{}, 1),
		errs:    make(chan error, 1),
		exited:  make(chan struct{}),
	}
	go w.run()
	return w, nil
}

// Changes receives a value after one or more changes; changes that come
// while one is pending are folded into it.
func (w *watcher) Changes() <-chan struct{} { return w.changes }

// Errors receives the error that stopped the watch, if one does.
func (w *watcher) Errors() <-chan error { return w.errs }

// Close stops the watch and waits for its goroutine.
func (w *watcher) Close() error {
	err := w.file.Close()
	<-w.exited
	return err
}

func (w *watcher) run() {
	defer close(w.exited)
	buf := make([]byte, 64*1024)
	for {
		n, err := w.file.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				w.errs <- fmt.Errorf("reading inotify events: %w", err)
			}
			return
		}
		if w.relevant(buf[:n]) {
			select {
			case w.changes <- struct{}{}:
			default: // one is already pending
			}
		}
	}
}

// relevant reports whether a batch of inotify events touches the log's files
// (path, path.1, …) or overflowed the queue.
func (w *watcher) relevant(b []byte) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		mask := binary.NativeEndian.Uint32(b[4:8])
		nameLen := int(binary.NativeEndian.Uint32(b[12:16]))
		end := unix.SizeofInotifyEvent + nameLen
		if end > len(b) {
			return true // torn batch: cannot happen, but a spare read is harmless
		}
		name := strings.TrimRight(string(b[unix.SizeofInotifyEvent:end]), "\x00")
		if mask&unix.IN_Q_OVERFLOW != 0 || name == w.base || strings.HasPrefix(name, w.base+".") {
			return true
		}
		b = b[end:]
	}
	return false
}
