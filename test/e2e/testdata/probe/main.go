// Command probe tries the system calls that Docker's default seccomp profile restricts and
// prints one line each: "NAME allowed" when the call reached the kernel, "NAME denied ERRNO"
// when it did not. Each call's arguments make the kernel give a known answer (success, or an
// errno of its own such as ENOENT or EINVAL, checked before any permission check) whatever
// the capabilities; any other answer is taken as the filter's.
//
// Run it only inside a container: it mounts (on a path that does not exist), changes its
// personality and makes a user namespace. The end-to-end tests build it static
// (CGO_ENABLED=0) and bind-mount it read-only into containers.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readImpliesExec is personality(2)'s READ_IMPLIES_EXEC.
const readImpliesExec = 0x0400000

type probe struct {
	name string
	want unix.Errno // what the kernel answers when the call reaches it; 0 is success
	call func() unix.Errno
}

func raw(nr uintptr, args ...uintptr) unix.Errno {
	var a [6]uintptr
	copy(a[:], args)
	_, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return e
}

var probes = []probe{
	// A Go program has threads, and unshare(CLONE_NEWUSER) wants a single-threaded caller:
	// the forked child (single-threaded) calls it before it executes us again.
	{"unshare", 0, func() unix.Errno {
		cmd := exec.Command("/proc/self/exe", "noop")
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: unix.CLONE_NEWUSER}
		err := cmd.Run()
		var e syscall.Errno
		switch {
		case errors.As(err, &e):
			return unix.Errno(e)
		case err != nil:
			return unix.EIO
		}
		return 0
	}},
	// An unknown command: EOPNOTSUPP.
	{"keyctl", unix.EOPNOTSUPP, func() unix.Errno { return raw(unix.SYS_KEYCTL, 9999) }},
	// No type: EFAULT.
	{"add_key", unix.EFAULT, func() unix.Errno { return raw(unix.SYS_ADD_KEY, 0, 0, 0, 0, 0) }},
	// An unknown command, no attributes: EINVAL.
	{"bpf", unix.EINVAL, func() unix.Errno { return raw(unix.SYS_BPF, 9999, 0, 0) }},
	// No attributes: EFAULT.
	{"perf_event_open", unix.EFAULT, func() unix.Errno { return raw(unix.SYS_PERF_EVENT_OPEN, 0, 0, ^uintptr(0), ^uintptr(0), 0) }},
	{"personality", 0, func() unix.Errno {
		old, _, e := unix.Syscall(unix.SYS_PERSONALITY, readImpliesExec, 0, 0)
		if e == 0 {
			unix.Syscall(unix.SYS_PERSONALITY, old, 0, 0)
		}
		return e
	}},
	// A target that does not exist: ENOENT, looked up before the permission check.
	{"mount", unix.ENOENT, func() unix.Errno {
		src, tgt, typ := cstr("none"), cstr("/nonexistent-probe-target"), cstr("tmpfs")
		return raw(unix.SYS_MOUNT, uintptr(unsafe.Pointer(src)), uintptr(unsafe.Pointer(tgt)), uintptr(unsafe.Pointer(typ)), 0, 0)
	}},
	// No handle: EFAULT.
	{"open_by_handle_at", unix.EFAULT, func() unix.Errno { return raw(unix.SYS_OPEN_BY_HANDLE_AT, ^uintptr(0), 0, 0) }},
	// UFFD_USER_MODE_ONLY (allowed without privilege) with an unknown flag: EINVAL.
	{"userfaultfd", unix.EINVAL, func() unix.Errno { return raw(unix.SYS_USERFAULTFD, 1|0x10) }},
}

func cstr(s string) *byte {
	p, err := unix.BytePtrFromString(s)
	if err != nil {
		panic(err)
	}
	return p
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "noop" {
		return
	}
	for _, p := range probes {
		if e := p.call(); e == p.want {
			fmt.Printf("%s allowed\n", p.name)
		} else {
			name := unix.ErrnoName(e)
			if name == "" {
				name = fmt.Sprint(int(e))
			}
			fmt.Printf("%s denied %s\n", p.name, name)
		}
	}
}
