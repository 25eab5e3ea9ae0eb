//go:build !linux

package proc

import (
	"context"
	"errors"
	"syscall"
)

// Wait needs Linux: there is nothing to wait for.
func Wait(ctx context.Context, pid int, start uint64) bool { return true }

// Signal needs Linux.
func Signal(pid int, start uint64, sig syscall.Signal) error {
	return errors.New("processes need Linux")
}
