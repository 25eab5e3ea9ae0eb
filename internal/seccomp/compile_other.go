//go:build !linux || !cgo

package seccomp

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Compile needs libseccomp, linked through cgo: without cgo (or outside Linux) it returns
// ErrNoCgo for any profile, and (nil, nil) for none.
func Compile(p *specs.LinuxSeccomp) (Program, error) {
	if p == nil {
		return nil, nil
	}
	if err := Validate(p); err != nil {
		return nil, err
	}
	return nil, ErrNoCgo
}

func libVersion() string { return "none" }
