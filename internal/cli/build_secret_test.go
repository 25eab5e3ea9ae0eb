package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadBuildSecret(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(file, []byte("from-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GD_TEST_SECRET", "from-env")
	cases := []struct {
		in, id, data, err string
	}{
		{"id=a,src=" + file, "a", "from-file", ""},
		{"id=a,source=" + file, "a", "from-file", ""},
		{"src=" + file, file, "from-file", ""},
		{"id=a,env=GD_TEST_SECRET", "a", "from-env", ""},
		{"id=GD_TEST_SECRET", "GD_TEST_SECRET", "from-env", ""},
		{"id=a,type=env,src=GD_TEST_SECRET", "a", "from-env", ""},
		{"id=a,env=GD_TEST_UNSET_VAR", "", "", "is not set"},
		{"id=a,src=/nonexistent/x", "", "", "failed to read secret a"},
		{"id=a,bogus=1", "", "", "unexpected key"},
		{"id=a,type=ssh", "", "", "unsupported type"},
		{"novalue", "", "", "is not key=value"},
	}
	for _, c := range cases {
		id, data, err := readBuildSecret(c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.in, err, c.err)
			}
		case err != nil:
			t.Errorf("%q: %v", c.in, err)
		case id != c.id || string(data) != c.data:
			t.Errorf("%q: %q %q, want %q %q", c.in, id, data, c.id, c.data)
		}
	}
}
