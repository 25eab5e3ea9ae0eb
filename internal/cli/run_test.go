package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecurityOptSeccomp(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": []\n}\n")
	bad := write("bad.json", "{oops")
	missing := filepath.Join(dir, "missing.json")
	for _, tc := range []struct {
		opts          []string
		seccomp, file string
		noNewPrivs    bool
		wantErr       string
	}{
		{opts: nil},
		{opts: []string{"seccomp=unconfined"}, seccomp: "unconfined"},
		{opts: []string{"seccomp:unconfined"}, seccomp: "unconfined"},
		{opts: []string{"seccomp=builtin"}, seccomp: "builtin"},
		{opts: []string{"seccomp=" + good}, seccomp: `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}`, file: good},
		{opts: []string{"no-new-privileges", "seccomp=unconfined"}, seccomp: "unconfined", noNewPrivs: true},
		{opts: []string{"seccomp=" + missing}, wantErr: "opening seccomp profile (" + missing + ") failed"},
		{opts: []string{"seccomp=" + bad}, wantErr: "compacting json for seccomp profile (" + bad + ") failed"},
		{opts: []string{"seccomp="}, wantErr: `invalid --security-opt: "seccomp="`},
		{opts: []string{"seccomp"}, wantErr: `invalid --security-opt: "seccomp"`},
		{opts: []string{"apparmor=unconfined"}, wantErr: `invalid --security-opt: "apparmor=unconfined"`},
	} {
		o := runFlags{securityOpts: tc.opts}
		so, err := o.specOptions(nil, false)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: %v, want an error with %q", tc.opts, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.opts, err)
			continue
		}
		if so.Seccomp != tc.seccomp || so.SeccompFile != tc.file || so.NoNewPrivileges != tc.noNewPrivs {
			t.Errorf("%q: Seccomp %q, SeccompFile %q, NoNewPrivileges %v", tc.opts, so.Seccomp, so.SeccompFile, so.NoNewPrivileges)
		}
	}
}
