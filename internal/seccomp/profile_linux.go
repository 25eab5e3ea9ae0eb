package seccomp

import (
	"errors"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Default returns Docker's default profile (moby/profiles/seccomp) evaluated for the
// container of s: its capabilities (Process.Capabilities.Bounding), this machine's
// architecture and kernel version.
func Default(s *specs.Spec) (*specs.LinuxSeccomp, error) {
	p, err := mobyseccomp.GetDefaultProfile(capsOnly(s))
	if err != nil {
		return nil, err
	}
	return p, Validate(p)
}

// Load decodes a profile in Docker's JSON format (defaultAction, archMap, syscalls with
// includes and excludes ...) and evaluates it for the container of s as Default does. A
// profile with neither a default action nor rules is no filter (nil, nil), as in Docker.
func Load(body []byte, s *specs.Spec) (*specs.LinuxSeccomp, error) {
	if len(body) == 0 {
		return nil, errors.New("the profile is empty")
	}
	p, err := mobyseccomp.LoadProfile(string(body), capsOnly(s))
	if err != nil {
		return nil, err
	}
	return p, Validate(p)
}

// capsOnly is the part of s the evaluation reads, never nil where it looks.
func capsOnly(s *specs.Spec) *specs.Spec {
	caps := &specs.LinuxCapabilities{}
	if s != nil && s.Process != nil && s.Process.Capabilities != nil {
		caps = s.Process.Capabilities
	}
	return &specs.Spec{Process: &specs.Process{Capabilities: caps}}
}
