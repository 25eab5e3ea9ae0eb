//go:build !linux

package copyfs

import (
	"context"
	"errors"
	"io"
)

var errUnsupported = errors.New("copying files of containers is only supported on Linux")

// Root is a directory every path of a copy is resolved in.
type Root struct{}

// OpenRoot is only supported on Linux.
func OpenRoot(dir string) (*Root, error) { return nil, errUnsupported }

// Close releases the root.
func (r *Root) Close() error { return nil }

// Stat is only supported on Linux.
func (r *Root) Stat(p string, follow bool) (Endpoint, error) { return Endpoint{}, errUnsupported }

// Archive is only supported on Linux.
func (r *Root) Archive(ctx context.Context, w io.Writer, p string, follow bool, name string, keepOwner bool) error {
	return errUnsupported
}

// Extract is only supported on Linux.
func (r *Root) Extract(ctx context.Context, dir string, tr io.Reader) error { return errUnsupported }

// PathStat is only supported on Linux.
func (r *Root) PathStat(p string) (PathStat, bool, error) { return PathStat{}, false, errUnsupported }

// ExtractWith is only supported on Linux.
func (r *Root) ExtractWith(ctx context.Context, dir string, tr io.Reader, o ExtractOptions) error {
	return errUnsupported
}
