package events

import (
	"os"

	"golang.org/x/sys/unix"
)

// watcher wakes a reader when the journal's directory changes (inotify).
type watcher struct {
	C    chan struct{}
	file *os.File
}

func watch(dir string) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_MODIFY|unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_MOVED_FROM); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("inotify_add_watch", err)
	}
	w := &watcher{C: make(chan struct{}, 1), file: os.NewFile(uintptr(fd), "inotify")}
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := w.file.Read(buf); err != nil {
				return // closed
			}
			select {
			case w.C <- struct{}{}:
			default:
			}
		}
	}()
	return w, nil
}

func (w *watcher) Close() { w.file.Close() }
