//go:build !linux

package seccomp

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var errNotLinux = errors.New("seccomp profiles need Linux")

// Default is no profile outside Linux, where no container runs.
func Default(s *specs.Spec) (*specs.LinuxSeccomp, error) { return nil, nil }

// Load needs Linux.
func Load(body []byte, s *specs.Spec) (*specs.LinuxSeccomp, error) { return nil, errNotLinux }
