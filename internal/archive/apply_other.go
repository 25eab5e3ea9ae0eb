//go:build !linux

package archive

import (
	"context"
	"errors"
	"io"
)

// Apply unpacks a layer into dir. It needs openat2 and overlayfs and so is
// only available on Linux.
func Apply(ctx context.Context, dir string, r io.Reader, opts Options) (int64, error) {
	return 0, errors.New("applying image layers is only supported on Linux")
}
