package seccomp

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Install loads p into the calling thread with seccomp(2) (SECCOMP_SET_MODE_FILTER): from now
// on every system call of the thread, and of what it executes or starts, goes through it. The
// thread needs no_new_privs or CAP_SYS_ADMIN. An empty program installs nothing.
func Install(p Program) error {
	if len(p) == 0 {
		return nil
	}
	n := len(p) / instructionSize
	if len(p)%instructionSize != 0 || n > 4096 { // BPF_MAXINSNS
		return fmt.Errorf("installing seccomp filter: a program of %d bytes is not valid", len(p))
	}
	prog := unix.SockFprog{Len: uint16(n), Filter: (*unix.SockFilter)(unsafe.Pointer(&p[0]))}
	_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog)))
	if e != 0 {
		return fmt.Errorf("installing seccomp filter: %w", e)
	}
	return nil
}
