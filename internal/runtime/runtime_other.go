//go:build !linux

package runtime

import (
	"context"
	"errors"
	"os"
)

var errNotLinux = errors.New("containers need Linux")

// Start needs Linux.
func Start(ctx context.Context, c Config) (*Process, error) { return nil, errNotLinux }

// Init does nothing outside Linux.
func Init() {}

// Wait needs Linux.
func (p *Process) Wait() (ExitStatus, error) { return ExitStatus{}, errNotLinux }

// Signal needs Linux.
func (p *Process) Signal(sig os.Signal) error { return errNotLinux }

// Exec needs Linux.
func Exec(ctx context.Context, c ExecConfig) (*Process, error) { return nil, errNotLinux }
