//go:build !linux

package netns

import (
	"errors"

	"github.com/geedocker/geedocker/internal/errdefs"
)

var errNoNetns = errdefs.Unavailable(errors.New("network namespaces need Linux"))

// New fails: network namespaces need Linux.
func New(string) error { return errNoNetns }

// PinProcess fails: network namespaces need Linux.
func PinProcess(string, int) error { return errNoNetns }

// Remove does nothing.
func Remove(string) {}
