package cli

import (
	"os"
	"testing"
)

func TestCopyRequest(t *testing.T) {
	wd, _ := os.Getwd()
	cases := []struct {
		src, dst      string
		ctr, rs, rd   string
		toCtr, failed bool
	}{
		{"c1:/etc/passwd", "/tmp/x", "c1", "/etc/passwd", "/tmp/x", false, false},
		{"c1:etc/", "out/.", "c1", "/etc/", wd + "/out/.", false, false},
		{"/tmp/a:b", "c1:/d", "c1", "/tmp/a:b", "/d", true, false},
		{"./a:b", "c1:/d", "c1", wd + "/./a:b", "/d", true, false},
		{"-", "c1:/d", "c1", "-", "/d", true, false},
		{"c1:/d", "-", "c1", "/d", "-", false, false},
		{"c1:/a", "c2:/b", "", "", "", false, true},
		{"a", "b", "", "", "", false, true},
		{"c1:", "/x", "", "", "", false, true},
	}
	for _, c := range cases {
		req, err := copyRequest(c.src, c.dst)
		if c.failed {
			if err == nil {
				t.Errorf("copyRequest(%q, %q) = %+v, want an error", c.src, c.dst, req)
			}
			continue
		}
		if err != nil || req.Container != c.ctr || req.Src != c.rs || req.Dst != c.rd || req.ToContainer != c.toCtr {
			t.Errorf("copyRequest(%q, %q) = %+v, %v", c.src, c.dst, req, err)
		}
	}
}
