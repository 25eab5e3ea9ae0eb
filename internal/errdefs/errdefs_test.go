package errdefs

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestClasses(t *testing.T) {
	base := errors.New("No such container: web")
	cases := []struct {
		name                                                string
		err                                                 error
		notFound, conflict, invalid, unavailable, forbidden bool
	}{
		{"not found", NotFound(base), true, false, false, false, false},
		{"conflict", Conflict(base), false, true, false, false, false},
		{"invalid", InvalidArgument(base), false, false, true, false, false},
		{"unavailable", Unavailable(base), false, false, false, true, false},
		{"forbidden", Forbidden(base), false, false, false, false, true},
		{"wrapped with context", fmt.Errorf("removing: %w", NotFound(base)), true, false, false, false, false},
		{"a class sentinel wrapped", fmt.Errorf("%w: web", ErrConflict), false, true, false, false, false},
		{"unclassed", base, false, false, false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := []bool{IsNotFound(c.err), IsConflict(c.err), IsInvalidArgument(c.err), IsUnavailable(c.err), IsForbidden(c.err)}
			want := []bool{c.notFound, c.conflict, c.invalid, c.unavailable, c.forbidden}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("classes of %v = %v, want %v", c.err, got, want)
					break
				}
			}
		})
	}
}

func TestClassedKeepsMessageAndCause(t *testing.T) {
	err := Conflict(fmt.Errorf("reading: %w", io.ErrUnexpectedEOF))
	if err.Error() != "reading: unexpected EOF" {
		t.Errorf("message %q", err.Error())
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("the cause is lost")
	}
	for _, f := range []func(error) error{NotFound, Conflict, InvalidArgument, Unavailable, Forbidden} {
		if f(nil) != nil {
			t.Error("a class of nil is not nil")
		}
	}
}
