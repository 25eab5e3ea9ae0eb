package runtime

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// The engine's binary must never be writable from a container (CVE-2019-5736). Every process
// of the engine that enters a container (the init, an exec child, the --init of a container)
// therefore runs from a sealed view of the binary, never from the host's file:
//
//   - preferably a read-only overlayfs mount that exists only as a file descriptor (fsmount,
//     never attached anywhere), whose lower layers are the binary's directory and an empty
//     tmpfs. /proc/<pid>/exe of such a process names a file of that overlay; reopening it for
//     writing fails with EROFS, and even a clone of the mount cannot be made writable, since
//     an overlay without an upper layer has nowhere to write. Nothing is copied: the pages
//     are the host file's.
//   - otherwise (older kernels) a memfd copy with every seal (F_SEAL_WRITE and the rest).
//
// The sealed file is made once per process and kept open (close-on-exec) above
// minSealedFd, so that the descriptors exec.Cmd sets up in the child never land on it.

// minSealedFd is the lowest descriptor number the sealed binary may have: above those that
// exec.Cmd's ExtraFiles occupy in a child (3 to 8) without preserved files.
const minSealedFd = 10

// maxOwnFiles is how many ExtraFiles the runtime itself gives a child, at most, besides the
// namespaces an init joins.
const maxOwnFiles = 6

var sealed struct {
	once sync.Once
	file *os.File
	how  string
	err  error
}

// sealedExe returns a descriptor of this process's binary through which nothing can write it,
// and says how it was sealed ("overlay" or "memfd"). It is made on first use and cached.
func sealedExe() (*os.File, string, error) {
	sealed.once.Do(func() {
		f, how, err := sealOverlay()
		if err != nil {
			f, how, err = sealMemfd()
		}
		if err != nil {
			sealed.err = fmt.Errorf("sealing the engine binary: %w", err)
			return
		}
		// Move it above the descriptors a child's ExtraFiles take.
		fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, minSealedFd)
		f.Close()
		if err != nil {
			sealed.err = fmt.Errorf("sealing the engine binary: %w", err)
			return
		}
		sealed.file, sealed.how = os.NewFile(uintptr(fd), "sealed-exe"), how
	})
	return sealed.file, sealed.how, sealed.err
}

// sealedExePathFor is the path a child given n ExtraFiles is executed from: the sealed binary,
// through its descriptor. exec.Cmd's child moves descriptors onto 0 to n+2, and, on its way,
// onto numbers up to twice that; then it executes the path. When the sealed descriptor is not
// above all of them (many preserved files), the path is that of a copy above them, which done
// closes once the child is started. (Without preserved files, minSealedFd is high enough.)
func sealedExePathFor(n int) (path string, done func(), err error) {
	f, _, err := sealedExe()
	if err != nil {
		return "", nil, err
	}
	need := 2*(3+n) + 1
	if n <= maxOwnFiles || int(f.Fd()) >= need {
		return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())), func() {}, nil
	}
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, need)
	if err != nil {
		return "", nil, fmt.Errorf("moving the sealed binary above the child's descriptors: %w", err)
	}
	return "/proc/self/fd/" + strconv.Itoa(fd), func() { unix.Close(fd) }, nil
}

// SealMethod reports how this process seals its binary for the containers it enters: "overlay"
// or "memfd", or an error when it cannot, in which case no container can be started.
func SealMethod() (string, error) {
	_, how, err := sealedExe()
	return how, err
}

// sealOverlay opens this binary through a detached read-only overlay of its directory.
func sealOverlay() (*os.File, string, error) {
	p, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil, "", err
	}
	if strings.HasSuffix(p, " (deleted)") {
		return nil, "", fmt.Errorf("%s was replaced on disk", p)
	}
	f, err := openSealed(p)
	if err != nil {
		return nil, "", err
	}
	return f, "overlay", nil
}

// openSealed opens the binary at host path p, which must be the binary this process runs
// (or a sealed view of it), through a detached read-only overlay of its directory made in
// this process's mount namespace.
func openSealed(p string) (*os.File, error) {
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer self.Close()
	var want, st unix.Stat_t
	if err := unix.Fstat(int(self.Fd()), &want); err != nil {
		return nil, err
	}
	same := func(st *unix.Stat_t) bool {
		return st.Size == want.Size && st.Mtim == want.Mtim && st.Ctim == want.Ctim
	}
	if err := unix.Stat(p, &st); err != nil || !same(&st) {
		return nil, fmt.Errorf("%s is no longer this binary", p)
	}

	// An overlay without an upper layer needs two lower ones: the second is an empty tmpfs.
	empty, err := detachedMount("tmpfs", nil, unix.MOUNT_ATTR_RDONLY)
	if err != nil {
		return nil, err
	}
	defer unix.Close(empty)
	mnt, err := detachedMount("overlay", func(ctx int) error {
		if err := unix.FsconfigSetString(ctx, "lowerdir+", filepath.Dir(p)); err != nil {
			return fmt.Errorf("lowerdir+ %s: %w", filepath.Dir(p), err)
		}
		return unix.FsconfigSetFd(ctx, "lowerdir+", empty)
	}, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID)
	if err != nil {
		return nil, err
	}
	defer unix.Close(mnt)
	fd, err := unix.Openat(mnt, filepath.Base(p), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s in its overlay: %w", filepath.Base(p), err)
	}
	// Still the same file: same size and times as the binary this process runs.
	if err := unix.Fstat(fd, &st); err != nil || !same(&st) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s changed while being sealed", p)
	}
	return os.NewFile(uintptr(fd), "sealed-exe"), nil
}

// enginePath is the host path of the binary this process runs, for an init that seals it
// again in its own mount namespace (a mount made in another namespace cannot be bound there).
func enginePath() string {
	p, _ := os.Readlink("/proc/self/exe")
	return p
}

// detachedMount creates a file system of type fstype, configured by set, as a mount that is
// attached nowhere, and returns its descriptor.
func detachedMount(fstype string, set func(ctx int) error, attrs int) (int, error) {
	ctx, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(ctx)
	if set != nil {
		if err := set(ctx); err != nil {
			return -1, fmt.Errorf("configuring %s: %w", fstype, err)
		}
	}
	if err := unix.FsconfigCreate(ctx); err != nil {
		return -1, fmt.Errorf("creating %s: %w", fstype, err)
	}
	mnt, err := unix.Fsmount(ctx, unix.FSMOUNT_CLOEXEC, attrs)
	if err != nil {
		return -1, fmt.Errorf("fsmount %s: %w", fstype, err)
	}
	return mnt, nil
}

// sealMemfd copies this binary into a memfd and seals it against every change.
func sealMemfd() (*os.File, string, error) {
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, "", err
	}
	defer self.Close()
	fd, err := unix.MemfdCreate("geedocker", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err == unix.EINVAL { // before Linux 6.3, no MFD_EXEC
		fd, err = unix.MemfdCreate("geedocker", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, "", fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "sealed-exe")
	if _, err := io.Copy(f, self); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("copying the binary: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("sealing the memfd: %w", err)
	}
	return f, "memfd", nil
}
