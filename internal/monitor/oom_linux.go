package monitor

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

// watchOOM calls onOOM (once) as soon as the kernel OOM-kills a process of the cgroup: on
// cgroup v2 through inotify on memory.events, on v1 through an eventfd registered for
// memory.oom_control. The returned function ends the watch. Without a memory controller, or
// when the watch cannot be set up, nothing is watched: the exit still reads the counter.
func watchOOM(cg Cgroup, onOOM func()) (stop func()) {
	if cg.Memory == "" {
		return func() {}
	}
	var once sync.Once
	check := func() bool {
		if n, _ := oomKilled(cg); n {
			once.Do(onOOM)
			return true
		}
		return false
	}
	var ev *os.File
	var keep *os.File
	if cg.V2 {
		fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
		if err != nil {
			return func() {}
		}
		if _, err := unix.InotifyAddWatch(fd, filepath.Join(cg.Memory, "memory.events"), unix.IN_MODIFY); err != nil {
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
		if keep, err = os.Open(filepath.Join(cg.Memory, "memory.oom_control")); err != nil {
			ev.Close()
			return func() {}
		}
		reg := strconv.Itoa(fd) + " " + strconv.Itoa(int(keep.Fd()))
		if err := os.WriteFile(filepath.Join(cg.Memory, "cgroup.event_control"), []byte(reg), 0); err != nil {
			ev.Close()
			keep.Close()
			return func() {}
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			if _, err := ev.Read(buf); err != nil {
				return
			}
			// On v1 the event comes when the cgroup runs out of memory, before the OOM
			// killer has chosen and counted its victim: look again for a while.
			for i := 0; !check() && !cg.V2 && i < int(oomSettle/oomPoll); i++ {
				time.Sleep(oomPoll)
			}
		}
	}()
	check() // an OOM before the watch began
	return func() {
		ev.Close()
		<-done
		if keep != nil {
			keep.Close()
		}
	}
}

// How long, and how often, the oom_kill counter is read again after a v1 OOM event.
const (
	oomSettle = 2 * time.Second
	oomPoll   = 10 * time.Millisecond
)

// oomKilled reads the cgroup's oom_kill counter: memory.events on v2, memory.oom_control on v1.
func oomKilled(cg Cgroup) (bool, error) {
	if cg.Memory == "" {
		return false, nil
	}
	file := "memory.oom_control"
	if cg.V2 {
		file = "memory.events"
	}
	f, err := os.Open(filepath.Join(cg.Memory, file))
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n > 0, nil
		}
	}
	return false, sc.Err()
}
