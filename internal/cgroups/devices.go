package cgroups

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DeviceAccess is a set of device operations, with the bit values of the
// kernel's BPF_DEVCG_ACC_* constants.
type DeviceAccess uint8

const (
	AccessMknod DeviceAccess = 1 << iota // m
	AccessRead                           // r
	AccessWrite                          // w

	accessAll = AccessMknod | AccessRead | AccessWrite
)

// String writes the access as devices.list does: "rwm", "r", "m".
func (a DeviceAccess) String() string {
	var b strings.Builder
	for _, x := range []struct {
		bit DeviceAccess
		c   byte
	}{{AccessRead, 'r'}, {AccessWrite, 'w'}, {AccessMknod, 'm'}} {
		if a&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	return b.String()
}

// wildcard stands for "*" in a rule's major or minor number.
const wildcard = -1

// A DeviceException is one entry of a device filter's exception list: the
// character ('c') or block ('b') devices it names, with a major and minor
// number or wildcard (-1) each, and the operations it covers.
type DeviceException struct {
	Type         byte
	Major, Minor int64
	Access       DeviceAccess
}

func (e DeviceException) matches(typ byte, major, minor uint32) bool {
	return e.Type == typ &&
		(e.Major == wildcard || e.Major == int64(major)) &&
		(e.Minor == wildcard || e.Minor == int64(minor))
}

// covers tells whether every device and operation of o is also e's.
func (e DeviceException) covers(o DeviceException) bool {
	return e.Type == o.Type &&
		(e.Major == wildcard || e.Major == o.Major) &&
		(e.Minor == wildcard || e.Minor == o.Minor) &&
		o.Access&^e.Access == 0
}

// A DeviceFilter is what the v1 devices controller holds for a cgroup after
// its devices.allow and devices.deny writes: a default behaviour and a list
// of exceptions to it. It answers, for a device and an operation, the same
// as the kernel's v1 check (security/device_cgroup.c); on v2 it is compiled
// into an eBPF program that gives the same answers.
type DeviceFilter struct {
	// DefaultAllow is the behaviour for devices no exception names.
	DefaultAllow bool
	// Exceptions deny (when DefaultAllow) or allow (otherwise) devices.
	Exceptions []DeviceException
}

// NewDeviceFilter applies the OCI device rules in order, as runc writes them
// to devices.allow (Allow) and devices.deny on v1, to a new cgroup whose
// parent allows every device, and returns the resulting filter. The kernel's
// rules, which a v2 program must reproduce:
//
//   - a rule of type "a" (or no type) sets the default, allow or deny, and
//     clears the exceptions, whatever its numbers and access say;
//   - a rule that goes the default's way removes its access from the
//     exception with exactly the same type, major and minor (and drops the
//     exception when none is left); it touches no other exception;
//   - a rule that goes against the default adds its access to the exception
//     with the same type, major and minor, or appends a new one.
//
// So later rules win over earlier ones for the same device, but a narrower
// rule does not cut into a wider one: after "deny all, allow c *:* rwm,
// deny c 1:3 rwm" the device c 1:3 is still allowed, as on v1.
func NewDeviceFilter(rules []specs.LinuxDeviceCgroup) (DeviceFilter, error) {
	f := DeviceFilter{DefaultAllow: true}
	for _, r := range rules {
		if _, err := deviceRule(r); err != nil {
			return DeviceFilter{}, err
		}
		if r.Type == "" || r.Type == "a" {
			f = DeviceFilter{DefaultAllow: r.Allow}
			continue
		}
		e := DeviceException{Type: r.Type[0], Major: wildcard, Minor: wildcard, Access: parseAccess(r.Access)}
		if r.Major != nil {
			e.Major = *r.Major
		}
		if r.Minor != nil {
			e.Minor = *r.Minor
		}
		if r.Allow == f.DefaultAllow {
			f.remove(e)
		} else {
			f.add(e)
		}
	}
	return f, nil
}

// parseAccess reads "rwm" letters checked by deviceRule; "" is all of them.
func parseAccess(s string) DeviceAccess {
	if s == "" {
		return accessAll
	}
	var a DeviceAccess
	for _, c := range s {
		switch c {
		case 'r':
			a |= AccessRead
		case 'w':
			a |= AccessWrite
		case 'm':
			a |= AccessMknod
		}
	}
	return a
}

func (f *DeviceFilter) add(e DeviceException) {
	for i, x := range f.Exceptions {
		if x.Type == e.Type && x.Major == e.Major && x.Minor == e.Minor {
			f.Exceptions[i].Access |= e.Access
			return
		}
	}
	f.Exceptions = append(f.Exceptions, e)
}

func (f *DeviceFilter) remove(e DeviceException) {
	kept := f.Exceptions[:0]
	for _, x := range f.Exceptions {
		if x.Type == e.Type && x.Major == e.Major && x.Minor == e.Minor {
			x.Access &^= e.Access
		}
		if x.Access != 0 {
			kept = append(kept, x)
		}
	}
	f.Exceptions = kept
}

// AllowsAll tells whether the filter lets every operation on every device
// through, as for a privileged container.
func (f DeviceFilter) AllowsAll() bool { return f.DefaultAllow && len(f.Exceptions) == 0 }

// Allows is the kernel's v1 check for an operation (one or more bits, as
// open for reading and writing asks for r and w at once) on the device of
// type typ ('c' or 'b'), major and minor. With a default of deny, one
// exception must cover every bit asked for; with a default of allow, an
// exception naming any of the bits denies.
func (f DeviceFilter) Allows(typ byte, major, minor uint32, access DeviceAccess) bool {
	for _, e := range f.Exceptions {
		if !e.matches(typ, major, minor) {
			continue
		}
		if f.DefaultAllow && access&e.Access != 0 {
			return false
		}
		if !f.DefaultAllow && access&^e.Access == 0 {
			return true
		}
	}
	return f.DefaultAllow
}

// minimal returns the exceptions without those another one covers: they
// change no answer of Allows, since every exception leads to the same answer.
func (f DeviceFilter) minimal() []DeviceException {
	var out []DeviceException
	for i, e := range f.Exceptions {
		redundant := false
		for j, o := range f.Exceptions {
			// Of two equal exceptions (impossible after add), keep the first.
			if i != j && o.covers(e) && (!e.covers(o) || j < i) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, e)
		}
	}
	return out
}

// String is the filter as the v1 devices.list file shows it: "a *:* rwm"
// when everything is allowed, otherwise one exception a line.
func (f DeviceFilter) String() string {
	if f.DefaultAllow {
		if len(f.Exceptions) == 0 {
			return "a *:* rwm\n"
		}
		// devices.list does not show a default-allow list's exceptions;
		// this form is ours.
		var b strings.Builder
		b.WriteString("a *:* rwm\n")
		for _, e := range f.Exceptions {
			fmt.Fprintf(&b, "deny %s\n", e)
		}
		return b.String()
	}
	var b strings.Builder
	for _, e := range f.Exceptions {
		fmt.Fprintf(&b, "%s\n", e)
	}
	return b.String()
}

func (e DeviceException) String() string {
	num := func(n int64) string {
		if n == wildcard {
			return "*"
		}
		return strconv.FormatInt(n, 10)
	}
	return fmt.Sprintf("%c %s:%s %s", e.Type, num(e.Major), num(e.Minor), e.Access)
}
