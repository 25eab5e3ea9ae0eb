package monitor

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/geedocker/geedocker/internal/runtime"
)

func TestCreateError(t *testing.T) {
	rt := &OCIRuntime{Name: "runc"}
	cases := []struct {
		log, diag string
		is        error // nil: neither class
		want      string
	}{
		{`{"level":"error","msg":"exec: \"x\": executable file not found in $PATH"}`, "", runtime.ErrNotFound, "runc create: exec: \"x\": executable file not found in $PATH"},
		{`{"level":"info","msg":"hello"}` + "\n" + `{"level":"fatal","msg":"exec /etc/passwd: permission denied"}`, "", runtime.ErrCannotInvoke, "runc create: exec /etc/passwd: permission denied"},
		{"", "cgroup busy", nil, "runc create: cgroup busy"},
		{"", "", nil, "runc create: exit status 1"},
	}
	for _, c := range cases {
		logFile := filepath.Join(t.TempDir(), "log")
		if c.log != "" {
			os.WriteFile(logFile, []byte(c.log), 0o644)
		}
		err := createError(rt, errors.New("exit status 1"), logFile, c.diag)
		for _, class := range []error{runtime.ErrNotFound, runtime.ErrCannotInvoke} {
			if errors.Is(err, class) != (class == c.is) {
				t.Errorf("%q: errors.Is(%v) = %v", c.log, class, errors.Is(err, class))
			}
		}
		if got := err.Error(); got != c.want && !(c.is != nil && got == c.is.Error()+": "+c.want) {
			t.Errorf("%q: %q, want %q", c.log, got, c.want)
		}
	}
}
