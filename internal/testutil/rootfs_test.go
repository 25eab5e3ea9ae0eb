package testutil

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestBusyboxRootfsTar(t *testing.T) {
	entries := readTar(t, bytes.NewReader(BusyboxRootfsTar(t)))
	m := byName(entries)

	tests := []struct {
		name     string
		typ      byte
		mode     int64
		uid, gid int
		link     string
		contains string
	}{
		{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "bin/busybox", typ: tar.TypeReg, mode: 0o755, contains: "\x7fELF"},
		{name: "bin/sh", typ: tar.TypeSymlink, mode: 0o777, link: "busybox"},
		{name: "bin/ls", typ: tar.TypeSymlink, mode: 0o777, link: "busybox"},
		{name: "etc/passwd", typ: tar.TypeReg, mode: 0o644, contains: "app:x:1000:1000:"},
		{name: "etc/passwd", typ: tar.TypeReg, mode: 0o644, contains: "root:x:0:0:"},
		{name: "etc/passwd", typ: tar.TypeReg, mode: 0o644, contains: "nobody:x:65534:65534:"},
		{name: "etc/group", typ: tar.TypeReg, mode: 0o644, contains: "extra:x:1001:app\n"},
		{name: "etc/group", typ: tar.TypeReg, mode: 0o644, contains: "nogroup:x:65534:"},
		{name: "etc/group", typ: tar.TypeReg, mode: 0o644, contains: "app:x:1000:"},
		{name: "etc/hostname", typ: tar.TypeReg, mode: 0o644},
		{name: "etc/hosts", typ: tar.TypeReg, mode: 0o644, contains: "localhost"},
		{name: "etc/resolv.conf", typ: tar.TypeReg, mode: 0o644},
		{name: "tmp/", typ: tar.TypeDir, mode: 0o1777},
		{name: "root/", typ: tar.TypeDir, mode: 0o700},
		{name: "home/app/", typ: tar.TypeDir, mode: 0o755, uid: 1000, gid: 1000},
		{name: "proc/", typ: tar.TypeDir, mode: 0o555},
		{name: "sys/", typ: tar.TypeDir, mode: 0o555},
		{name: "dev/", typ: tar.TypeDir, mode: 0o755},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.contains, func(t *testing.T) {
			e, ok := m[tt.name]
			if !ok {
				t.Fatalf("no entry %q", tt.name)
			}
			h := e.hdr
			if h.Typeflag != tt.typ || h.Mode != tt.mode || h.Uid != tt.uid || h.Gid != tt.gid || h.Linkname != tt.link {
				t.Errorf("got type %c mode %o owner %d:%d link %q, want type %c mode %o owner %d:%d link %q",
					h.Typeflag, h.Mode, h.Uid, h.Gid, h.Linkname, tt.typ, tt.mode, tt.uid, tt.gid, tt.link)
			}
			if !strings.Contains(string(e.body), tt.contains) {
				t.Errorf("content %q does not contain %q", e.body, tt.contains)
			}
		})
	}

	names := make([]string, len(entries))
	links := 0
	for i, e := range entries {
		names[i] = e.hdr.Name
		if !e.hdr.ModTime.Equal(FixtureTime) {
			t.Errorf("%s: mtime %v, want %v", e.hdr.Name, e.hdr.ModTime, FixtureTime)
		}
		if e.hdr.Typeflag == tar.TypeSymlink {
			links++
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("entries are not sorted: %v", names)
	}
	if links < 100 {
		t.Errorf("%d applet symlinks, want the ~270 of busybox --list", links)
	}
}

func TestBusyboxRootfsDeterministic(t *testing.T) {
	needTool(t, busyboxPath, "busybox-static")
	a, err := buildBusyboxRootfs(busyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	b, err := buildBusyboxRootfs(busyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the busybox rootfs differ")
	}
}

func TestBusyboxMissing(t *testing.T) {
	old := busyboxPath
	busyboxPath = filepath.Join(t.TempDir(), "busybox")
	t.Cleanup(func() { busyboxPath = old })

	t.Setenv(RequireEnv, "")
	f := runFake(t, func(tb testing.TB) { BusyboxRootfsTar(tb) })
	if !f.skipped || f.failed || !strings.Contains(f.msg, "busybox-static") {
		t.Errorf("without %s: skipped=%v failed=%v msg=%q, want a skip naming busybox-static", RequireEnv, f.skipped, f.failed, f.msg)
	}

	t.Setenv(RequireEnv, "1")
	f = runFake(t, func(tb testing.TB) { BusyboxImage(tb) })
	if !f.failed || f.skipped {
		t.Errorf("with %s=1: skipped=%v failed=%v msg=%q, want a failure", RequireEnv, f.skipped, f.failed, f.msg)
	}
}

func TestCheckStatic(t *testing.T) {
	text := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(text, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		wantErr string
	}{
		{path: busyboxPath},
		{path: text, wantErr: "as ELF"},
		{path: "/bin/ls", wantErr: "dynamically linked"}, // coreutils' ls is dynamic on Debian
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if _, err := os.Stat(tt.path); err != nil {
				t.Skipf("no %s here", tt.path)
			}
			err := checkStatic(tt.path)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("checkStatic: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("checkStatic = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
