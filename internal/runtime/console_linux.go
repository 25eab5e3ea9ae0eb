package runtime

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The terminal of a container (Spec.Process.Terminal) is a pseudo-terminal of the container's
// own devpts, as with runc's console socket, so that the command sees it as /dev/pts/0:
//
//	parent (Start)                        init
//	socketpair; one end to the init ----> mounts the spec's devpts at /dev/pts
//	                                      opens /dev/pts/ptmx inside the root (checked to be
//	                                      a devpts ptmx), unlocks it, opens the slave through
//	                                      the master (TIOCGPTPEER); sets ConsoleSize;
//	                                      slave on 0, 1, 2; TIOCSCTTY (the init leads a
//	                                      session of its own); slave bound on /dev/console
//	receives the master <---------------- sends the master (SCM_RIGHTS), closes its copy
//	checks it, Process.Console
//
// The slave is created by the init, in the container's user namespace when it has one, so it
// is owned by the container's root; execCommand then gives it to the user of the command.
// A container without a devpts at /dev/pts gets a terminal of the host's devpts, allocated
// by the parent, as does Exec in such a container.

// openPty opens a new pseudo-terminal in the devpts at dev/pts under root, an O_PATH
// descriptor of a container's root directory; the path is resolved inside that root, and
// what it leads to must be the ptmx of a devpts. It returns the master (non-blocking) and the
// slave (blocking), both close-on-exec and neither made a controlling terminal. The error
// wraps ENOENT when there is no dev/pts/ptmx.
func openPty(root int) (master, slave int, err error) {
	// Non-blocking, so that an image's FIFO there cannot hang the open.
	master, err = unix.Openat2(root, "dev/pts/ptmx", &unix.OpenHow{
		Flags:   unix.O_RDWR | unix.O_NOCTTY | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NONBLOCK,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return -1, -1, fmt.Errorf("opening the container's /dev/pts/ptmx: %w", err)
	}
	if err := checkPtmx(master); err != nil {
		unix.Close(master)
		return -1, -1, fmt.Errorf("the container's /dev/pts/ptmx %w", err)
	}
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(master)
		return -1, -1, fmt.Errorf("unlocking terminal: %w", err)
	}
	// The peer through the master, not by a path of the container.
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		unix.Close(master)
		return -1, -1, fmt.Errorf("opening terminal slave: %w", errno)
	}
	return master, int(sfd), nil
}

// checkPtmx says whether fd is the ptmx of a devpts: the master side of a new terminal.
func checkPtmx(fd int) error {
	var fs unix.Statfs_t
	var st unix.Stat_t
	if err := unix.Fstatfs(fd, &fs); err != nil || fs.Type != unix.DEVPTS_SUPER_MAGIC ||
		unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(5, 2) {
		return fmt.Errorf("is not a devpts ptmx")
	}
	return nil
}

// setupOwnConsole runs in the init once the spec's mounts are made: it allocates the
// container's terminal in its devpts, makes the slave the init's stdio, controlling terminal
// and /dev/console, and sends the master to the parent on sock, which it closes.
func (r root) setupOwnConsole(sock int, size *specs.Box) error {
	defer unix.Close(sock)
	master, slave, err := openPty(r.fd)
	if err != nil {
		return err
	}
	defer unix.Close(master)
	defer unix.Close(slave)
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(master, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("setting the terminal size: %w", err)
		}
	}
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("making the terminal stdio: %w", err)
		}
	}
	// The init leads a session of its own (Start's Setsid) without a terminal yet.
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("setting controlling terminal: %w", err)
	}
	// The slave was opened in this mount namespace: its descriptor names it for mount(2).
	fd, err := r.mkfileAll("/dev/console", 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount(fdPath(slave), fdPath(fd), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind mounting the terminal on /dev/console: %w", err)
	}
	if err := sendFd(sock, master); err != nil {
		return fmt.Errorf("sending the terminal: %w", err)
	}
	return nil
}

// receiveConsole receives the master of the container's terminal from the init on sock. It
// returns nil, nil when the init closed the socket without sending one (it failed, and says
// why on the sync pipe).
func receiveConsole(sock *os.File) (*os.File, error) {
	fd, err := receiveFd(int(sock.Fd()))
	if err != nil || fd < 0 {
		return nil, err
	}
	master := os.NewFile(uintptr(fd), "ptmx")
	if err := checkPtmx(fd); err != nil {
		master.Close()
		return nil, fmt.Errorf("the terminal the container's init sent %w", err)
	}
	return master, nil
}

// chownTerminal gives the terminal on fd 0 to uid (in the process's user namespace), as runc
// does, so that the user can reopen it by its name; the group stays the one devpts gave
// (tty). Only a slave of the container's own devpts (the one at /dev/pts, as the calling
// process, inside the container, sees it) is given away: never one of the host's, which a
// user of the host with the same uid could then open. Failures are ignored where the kernel
// does not let us (the owner or uid not mapped in our user namespace, a read-only devpts).
func chownTerminal(uid uint32) error {
	var fs unix.Statfs_t
	var st, own unix.Stat_t
	if err := unix.Fstatfs(0, &fs); err != nil || fs.Type != unix.DEVPTS_SUPER_MAGIC {
		return nil
	}
	if err := unix.Fstat(0, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Uid == uid {
		return nil
	}
	if err := unix.Stat("/dev/pts/ptmx", &own); err != nil || own.Dev != st.Dev {
		return nil
	}
	switch err := unix.Fchown(0, int(uid), -1); err {
	case nil, unix.EPERM, unix.EINVAL, unix.EROFS:
		return nil
	default:
		return fmt.Errorf("giving the terminal to uid %d: %w", uid, err)
	}
}
