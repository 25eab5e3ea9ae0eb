package cli

import (
	"errors"
	"testing"

	"github.com/geedocker/geedocker/internal/errdefs"
)

func TestErrorText(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"one", errors.New("No such container: a"), "Error: No such container: a"},
		{"several", errors.Join(errors.New("No such container: a"), errors.New("No such container: b")),
			"Error: No such container: a\nError: No such container: b"},
		{"classed", errdefs.InvalidArgument(errors.New("invalid filter 'x'")), "Error: invalid filter 'x'"},
		{"usage", usageError{"unknown flag: --x\n\nUsage:  geedocker ps [OPTIONS]", 125}, "unknown flag: --x\n\nUsage:  geedocker ps [OPTIONS]"},
	} {
		if got := ErrorText(tt.err); got != tt.want {
			t.Errorf("%s: ErrorText = %q, want %q", tt.name, got, tt.want)
		}
	}
}
