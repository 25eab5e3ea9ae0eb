package engine

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

func TestShellArgs(t *testing.T) {
	tests := []struct {
		name  string
		shell []string
		cl    instructions.ShellDependantCmdLine
		want  string
	}{
		{"shell form", nil, instructions.ShellDependantCmdLine{CmdLine: []string{"echo hi"}, PrependShell: true}, "/bin/sh|-c|echo hi"},
		{"shell form with SHELL", []string{"/bin/bash", "-ec"}, instructions.ShellDependantCmdLine{CmdLine: []string{"echo hi"}, PrependShell: true}, "/bin/bash|-ec|echo hi"},
		{"exec form ignores SHELL", []string{"/bin/bash", "-ec"}, instructions.ShellDependantCmdLine{CmdLine: []string{"echo", "a b"}}, "echo|a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shellArgs(&v1.Config{Shell: tt.shell}, tt.cl)
			if strings.Join(got, "|") != tt.want {
				t.Errorf("shellArgs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsArchive(t *testing.T) {
	var plain bytes.Buffer
	tw := tar.NewWriter(&plain)
	tw.WriteHeader(&tar.Header{Name: "f", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain.Bytes())
	zw.Close()
	var gzText bytes.Buffer
	zw = gzip.NewWriter(&gzText)
	zw.Write([]byte(strings.Repeat("not a tar ", 100)))
	zw.Close()
	tests := []struct {
		name    string
		content []byte
		want    bool
	}{
		{"plain tar", plain.Bytes(), true},
		{"gzipped tar", gz.Bytes(), true},
		{"text", []byte("hello, world\n"), false},
		{"empty", nil, false},
		{"gzipped text", gzText.Bytes(), false},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(p, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := isArchive(p)
			if err != nil || got != tt.want {
				t.Errorf("isArchive = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
