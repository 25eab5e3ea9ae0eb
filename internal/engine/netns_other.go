//go:build !linux

package engine

import (
	"errors"

	"github.com/geedocker/geedocker/internal/errdefs"
)

func newNetns(string) error { return errdefs.Unavailable(errors.New("network namespaces need Linux")) }

func pinNetns(string, int) error {
	return errdefs.Unavailable(errors.New("network namespaces need Linux"))
}

func removeNetns(string) {}
