//go:build !linux

package engine

import (
	"context"
	"errors"
)

func copyUp(ctx context.Context, lowerDirs []string, p, dst string) error {
	return errors.New("volumes are only supported on Linux")
}

func shiftOwners(dir string, uidStart, gidStart uint32) error {
	return errors.New("volumes are only supported on Linux")
}
