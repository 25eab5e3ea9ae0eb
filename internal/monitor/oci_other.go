//go:build !linux

package monitor

import (
	"context"
	"errors"
	"os"

	"github.com/geedocker/geedocker/internal/runtime"
)

// RootfsHelper is the helper's entry point; it exists on Linux only.
func RootfsHelper() {}

type ociProcess struct {
	rt      *OCIRuntime
	pid     int
	console *os.File
}

func (p *ociProcess) Wait() (int, error)     { return 0, errNotLinux }
func (p *ociProcess) Signal(os.Signal) error { return errNotLinux }

var errNotLinux = errors.New("OCI runtimes need Linux")

func startOCI(ctx context.Context, st *Start, id string, rc runtime.Config) (*ociProcess, error) {
	return nil, errNotLinux
}
