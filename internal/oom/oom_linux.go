package oom

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Watch calls onOOM as soon as the kernel OOM-kills a process of the cgroup, and again for
// each later kill the counter shows (onOOM is never called twice at once); also once at the
// start when the counter is already above zero (a kill before the watch began). The
// returned function ends the watch (calling it again does nothing); onOOM is not called after it returns. Without a memory
// controller, or when the watch cannot be set up, nothing is watched: Killed still reads the
// counter.
func Watch(cg Cgroup, onOOM func()) (stop func()) {
	if cg.Dir == "" {
		return func() {}
	}
	var mu sync.Mutex
	var seen uint64
	// check calls onOOM when the counter grew, and says whether it did.
	check := func() bool {
		mu.Lock()
		defer mu.Unlock()
		n, err := Count(cg)
		if err != nil || n <= seen {
			return false
		}
		seen = n
		onOOM()
		return true
	}
	var ev *os.File
	var keep *os.File
	if cg.V2 {
		fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
		if err != nil {
			return func() {}
		}
		if _, err := unix.InotifyAddWatch(fd, filepath.Join(cg.Dir, "memory.events"), unix.IN_MODIFY); err != nil {
			unix.Close(fd)
			return func() {}
		}
		ev = os.NewFile(uintptr(fd), "inotify")
	} else {
		fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
		if err != nil {
			return func() {}
		}
		ev = os.NewFile(uintptr(fd), "eventfd")
		if keep, err = os.Open(filepath.Join(cg.Dir, "memory.oom_control")); err != nil {
			ev.Close()
			return func() {}
		}
		reg := strconv.Itoa(fd) + " " + strconv.Itoa(int(keep.Fd()))
		if err := os.WriteFile(filepath.Join(cg.Dir, "cgroup.event_control"), []byte(reg), 0); err != nil {
			ev.Close()
			keep.Close()
			return func() {}
		}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			if _, err := ev.Read(buf); err != nil {
				return
			}
			// On v1 the event comes when the cgroup runs out of memory, before the OOM
			// killer has chosen and counted its victim: look again for a while.
			for i := 0; !check() && !cg.V2 && i < int(settle/poll); i++ {
				select {
				case <-stopped:
					return
				case <-time.After(poll):
				}
			}
		}
	}()
	check()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stopped)
			ev.Close()
			<-done
			if keep != nil {
				keep.Close()
			}
		})
	}
}

// How long, and how often, the oom_kill counter is read again after a v1 OOM event.
const (
	settle = 2 * time.Second
	poll   = 10 * time.Millisecond
)

// Killed reports whether the cgroup's oom_kill counter is above zero.
func Killed(cg Cgroup) (bool, error) {
	n, err := Count(cg)
	return n > 0, err
}

// Count reads the cgroup's oom_kill counter: memory.events on v2, memory.oom_control on v1.
func Count(cg Cgroup) (uint64, error) {
	if cg.Dir == "" {
		return 0, nil
	}
	file := "memory.oom_control"
	if cg.V2 {
		file = "memory.events"
	}
	f, err := os.Open(filepath.Join(cg.Dir, file))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n, nil
		}
	}
	return 0, sc.Err()
}
