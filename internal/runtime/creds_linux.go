//go:build linux && (amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x)

package runtime

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setThreadCredentials sets the groups, gid and uid of the calling thread only. Go's
// syscall.Setuid and friends change every thread of the process, which stops the world and
// signals each thread; the init needs only the thread that calls execve (the others die
// there). On these architectures the system calls take 32-bit ids.
func setThreadCredentials(u execUser) error {
	var ptr unsafe.Pointer
	if len(u.Groups) > 0 {
		ptr = unsafe.Pointer(&u.Groups[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(u.Groups)), uintptr(ptr), 0); e != 0 {
		return fmt.Errorf("setting supplementary groups %v: %w", u.Groups, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.GID), uintptr(u.GID), uintptr(u.GID)); e != 0 {
		return fmt.Errorf("setting gid %d: %w", u.GID, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.UID), uintptr(u.UID), uintptr(u.UID)); e != 0 {
		return fmt.Errorf("setting uid %d: %w", u.UID, e)
	}
	return nil
}
