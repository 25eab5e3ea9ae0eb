//go:build !linux

package engine

import (
	"context"
	"errors"

	"github.com/geedocker/geedocker/internal/errdefs"
)

func awaitPath(ctx context.Context, dir, name string, appear bool) error {
	return errdefs.Unavailable(errors.New("containers need Linux"))
}
