//go:build !linux

package archive

import (
	"context"
	"errors"
	"io"
)

// Diff writes an overlay upper directory as a layer tar. It reads overlay
// whiteouts and so is only available on Linux.
func Diff(ctx context.Context, upperDir string, w io.Writer) error {
	return errors.New("making layers from overlay directories is only supported on Linux")
}
