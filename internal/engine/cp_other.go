//go:build !linux

package engine

import (
	"context"
	"errors"
	"io"

	"github.com/geedocker/geedocker/internal/errdefs"
)

var errCopyUnsupported = errdefs.Unavailable(errors.New("cp is only supported on Linux"))

func (e *Engine) copyStopped(ctx context.Context, req CopyRequest, globalArgs []string, stdin io.Reader, stdout io.Writer) error {
	return errCopyUnsupported
}

// CopyHelper is only supported on Linux.
func (e *Engine) CopyHelper(ctx context.Context, reqJSON string, stdin io.Reader, stdout io.Writer) error {
	return errCopyUnsupported
}
