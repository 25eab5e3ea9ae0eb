//go:build !linux

package engine

import (
	"errors"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
)

// UserNames needs Linux.
func (e *Engine) UserNames(c *container.Container) (map[uint32]string, error) {
	return nil, errdefs.Unavailable(errors.New("containers need Linux"))
}
