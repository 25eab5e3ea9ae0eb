//go:build !linux

package monitor

import (
	"os"

	"github.com/geedocker/geedocker/internal/holder"
)

func sendReport(f *os.File, rep *holder.Report, console *os.File) error { return errNotLinux }

func isOpen(fd int) bool { return false }
