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
	pid     int
	console *os.File
}

func (p *ociProcess) Wait() (runtime.ExitStatus, error) { return runtime.ExitStatus{}, errNotLinux }
func (p *ociProcess) Signal(os.Signal) error            { return errNotLinux }

var errNotLinux = errors.New("OCI runtimes need Linux")

func startOCI(ctx context.Context, st *Start, id string, rc runtime.Config) (*ociProcess, error) {
	return nil, errNotLinux
}
