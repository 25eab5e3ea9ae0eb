//go:build !linux

package engine

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
)

func waitGone(pid int, start uint64, timeout time.Duration) bool { return true }

func signalProcess(pid int, start uint64, sig unix.Signal) error {
	return errdefs.Unavailable(errors.New("containers need Linux"))
}

// UserNames needs Linux.
func (e *Engine) UserNames(c *container.Container) (map[uint32]string, error) {
	return nil, errdefs.Unavailable(errors.New("containers need Linux"))
}
