//go:build !linux

package engine

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

func waitGone(pid int, start uint64, timeout time.Duration) bool { return true }

func signalProcess(pid int, start uint64, sig unix.Signal) error {
	return errors.New("containers need Linux")
}

func ignoreHangup(chan os.Signal) {}

func trimMemory() {}
