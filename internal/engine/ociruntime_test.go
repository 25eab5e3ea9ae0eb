package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/errdefs"
)

func TestRuntimeName(t *testing.T) {
	dir := t.TempDir()
	crun := filepath.Join(dir, "crun")
	if err := os.WriteFile(crun, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, runcErr := exec.LookPath("runc")
	cases := []struct {
		name, def string
		want      string // "" with wantErr
		wantPath  string // the external runtime's path; "" for the built-in one
		wantErr   string
	}{
		{name: "", want: BuiltinRuntime},
		{name: "geedocker", want: BuiltinRuntime},
		{name: "", def: "crun", want: "crun", wantPath: crun},
		{name: "geedocker", def: "crun", want: BuiltinRuntime},
		{name: "crun", want: "crun", wantPath: crun},
		{name: "x", wantErr: "unknown or invalid runtime name: x"},
		{name: "", def: "x", wantErr: "unknown or invalid runtime name: x"},
		{name: "gone", wantErr: "runtime gone:"},
	}
	if runcErr == nil {
		p, _ := exec.LookPath("runc")
		cases = append(cases, struct {
			name, def, want, wantPath, wantErr string
		}{name: "runc", want: "runc", wantPath: p})
	}
	for _, c := range cases {
		e := &Engine{Config: Config{DefaultRuntime: c.def, Runtimes: map[string]RuntimeConfig{
			"crun": {Path: crun, RuntimeArgs: []string{"--debug"}},
			"gone": {Path: filepath.Join(dir, "missing")},
		}}}
		got, err := e.runtimeName(c.name)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || (strings.HasPrefix(c.wantErr, "unknown") && !errdefs.IsInvalidArgument(err)) {
				t.Errorf("runtimeName(%q) with default %q: %q, %v; want error %q", c.name, c.def, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("runtimeName(%q) with default %q: %q, %v; want %q", c.name, c.def, got, err, c.want)
			continue
		}
		rt, err := e.ociRuntime(got)
		switch {
		case err != nil:
			t.Errorf("ociRuntime(%q): %v", got, err)
		case c.wantPath == "" && rt != nil:
			t.Errorf("ociRuntime(%q) = %+v, want the built-in runtime", got, rt)
		case c.wantPath != "" && (rt == nil || rt.Path != c.wantPath || rt.Name != got):
			t.Errorf("ociRuntime(%q) = %+v, want path %s", got, rt, c.wantPath)
		}
	}
}

func TestLayerFile(t *testing.T) {
	dir := t.TempDir()
	upper, lower1, lower2 := filepath.Join(dir, "upper"), filepath.Join(dir, "l1"), filepath.Join(dir, "l2")
	for _, d := range []string{upper, lower1, lower2} {
		os.MkdirAll(filepath.Join(d, "etc"), 0o755)
	}
	os.WriteFile(filepath.Join(lower2, "etc", "passwd"), []byte("bottom"), 0o644)
	os.WriteFile(filepath.Join(lower1, "etc", "passwd"), []byte("middle"), 0o644)
	os.WriteFile(filepath.Join(lower2, "etc", "group"), []byte("group"), 0o644)
	os.Symlink("/etc/shadow", filepath.Join(upper, "etc", "hosts"))
	layers := []string{upper, lower1, lower2}
	cases := []struct {
		path string
		want []byte
	}{
		{"etc/passwd", []byte("middle")},
		{"etc/group", []byte("group")},
		{"etc/hosts", nil}, // a symlink is not followed
		{"etc/none", nil},
	}
	for _, c := range cases {
		if got := layerFile(layers, c.path); string(got) != string(c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("layerFile(%s) = %q, want %q", c.path, got, c.want)
		}
	}
}
