package monitor

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/holder"
)

// sendReport sends rep, and the terminal, to the monitor and waits for its byte back.
func sendReport(f *os.File, rep *holder.Report, console *os.File) error {
	var rights []byte
	if console != nil {
		rights = unix.UnixRights(int(console.Fd()))
	}
	if err := unix.Sendmsg(int(f.Fd()), rep.Encode(), rights, nil, 0); err != nil {
		return err
	}
	var b [1]byte
	f.Read(b[:])
	return nil
}

// isOpen tells whether fd is an open descriptor.
func isOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}
