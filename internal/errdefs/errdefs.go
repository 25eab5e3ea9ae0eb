// Package errdefs is GeeDocker's error vocabulary: a few classes that say
// what kind of failure an error is, in the manner of moby's and containerd's
// errdefs. The engine classes an error where it is made, keeping its
// message (Docker's wording); the API maps a class to an HTTP status and the
// CLI to an exit code. Nothing here prints or decides a status.
//
// A class is a sentinel checked with errors.Is:
//
//	return errdefs.NotFound(fmt.Errorf("No such container: %s", ref))
//	…
//	if errors.Is(err, errdefs.ErrNotFound) { … }
package errdefs

import "errors"

// The classes. Their own messages are never shown: a classed error reads as
// the error it wraps.
var (
	// ErrNotFound: the object named does not exist (no such container,
	// image or network).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request clashes with the current state (a name in
	// use, a running container, a network with endpoints).
	ErrConflict = errors.New("conflict")
	// ErrInvalidArgument: the request itself is wrong (a bad flag or value,
	// an ambiguous reference).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnavailable: the engine cannot serve the request now (a platform
	// without the needed support).
	ErrUnavailable = errors.New("unavailable")
	// ErrForbidden: the request is never allowed on this object (removing
	// or making one of the predefined networks).
	ErrForbidden = errors.New("forbidden")
)

// classed is an error put in a class: it reads as err and matches both err
// and the class with errors.Is and errors.As.
type classed struct {
	err   error
	class error
}

func (c *classed) Error() string   { return c.err.Error() }
func (c *classed) Unwrap() []error { return []error{c.err, c.class} }

func wrap(err, class error) error {
	if err == nil {
		return nil
	}
	return &classed{err: err, class: class}
}

// NotFound puts err in the not-found class; nil stays nil.
func NotFound(err error) error { return wrap(err, ErrNotFound) }

// Conflict puts err in the conflict class; nil stays nil.
func Conflict(err error) error { return wrap(err, ErrConflict) }

// InvalidArgument puts err in the invalid-argument class; nil stays nil.
func InvalidArgument(err error) error { return wrap(err, ErrInvalidArgument) }

// Unavailable puts err in the unavailable class; nil stays nil.
func Unavailable(err error) error { return wrap(err, ErrUnavailable) }

// Forbidden puts err in the forbidden class; nil stays nil.
func Forbidden(err error) error { return wrap(err, ErrForbidden) }

// IsNotFound reports whether err, or an error it wraps, is not-found.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err, or an error it wraps, is a conflict.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }

// IsInvalidArgument reports whether err, or an error it wraps, is an
// invalid argument.
func IsInvalidArgument(err error) bool { return errors.Is(err, ErrInvalidArgument) }

// IsUnavailable reports whether err, or an error it wraps, is unavailable.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// IsForbidden reports whether err, or an error it wraps, is forbidden.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbidden) }
