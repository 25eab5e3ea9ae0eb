//go:build !linux

package layerfs

import (
	"archive/tar"
	"context"
	"errors"
	"io"
)

var errUnsupported = errors.New("reading container file systems is only supported on Linux")

// Export writes the merged file system of layers (top first) as a tar.
func Export(ctx context.Context, w io.Writer, layers []string) error { return errUnsupported }

// ExportWith is only supported on Linux.
func ExportWith(ctx context.Context, w io.Writer, layers []string, owners func(layer int, h *tar.Header)) error {
	return errUnsupported
}

// ExportDir is only supported on Linux.
func ExportDir(ctx context.Context, w io.Writer, layers []string, p string) error {
	return errUnsupported
}

// Changes lists what upper changes over lowers (top first).
func Changes(upper string, lowers []string) ([]Change, error) { return nil, errUnsupported }
