//go:build !linux

package engine

import (
	"context"
	"errors"

	"github.com/geedocker/geedocker/internal/idmap"
)

func copyUp(ctx context.Context, lowerDirs []string, p, dst string) error {
	return errors.New("volumes are only supported on Linux")
}

func shiftOwners(dir string, remap *idmap.Remap) error {
	return errors.New("volumes are only supported on Linux")
}
