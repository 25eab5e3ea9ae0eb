package idmap

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

var testRemap = Remap{UID: Range{Start: 100000, Size: 65536}, GID: Range{Start: 200000, Size: 1000}}

func TestToContainer(t *testing.T) {
	for _, c := range []struct {
		name             string
		uid, gid         int
		wantUID, wantGID int
	}{
		{"root", 100000, 200000, 0, 0},
		{"a user", 101000, 200100, 1000, 100},
		{"last ids", 165535, 200999, 65535, 999},
		{"host root: overflow", 0, 0, Overflow, Overflow},
		{"just below", 99999, 199999, Overflow, Overflow},
		{"just above", 165536, 201000, Overflow, Overflow},
		{"far above", 4294967294, 4000000000, Overflow, Overflow},
	} {
		t.Run(c.name, func(t *testing.T) {
			if u, g := testRemap.ToContainer(c.uid, c.gid); u != c.wantUID || g != c.wantGID {
				t.Errorf("ToContainer(%d, %d) = %d, %d, want %d, %d", c.uid, c.gid, u, g, c.wantUID, c.wantGID)
			}
		})
	}
}

func TestToHost(t *testing.T) {
	for _, c := range []struct {
		name             string
		uid, gid         int
		wantUID, wantGID int
	}{
		{"root", 0, 0, 100000, 200000},
		{"a user", 1000, 100, 101000, 200100},
		{"last ids", 65535, 999, 165535, 200999},
		{"beyond the ranges: overflow", 65536, 1000, Overflow, Overflow},
		{"negative", -1, -1, Overflow, Overflow},
	} {
		t.Run(c.name, func(t *testing.T) {
			if u, g := testRemap.ToHost(c.uid, c.gid); u != c.wantUID || g != c.wantGID {
				t.Errorf("ToHost(%d, %d) = %d, %d, want %d, %d", c.uid, c.gid, u, g, c.wantUID, c.wantGID)
			}
		})
	}
	// Both ways, for every id of the ranges.
	for id := 0; id < 1000; id++ {
		if u, g := testRemap.ToContainer(testRemap.ToHost(id, id)); u != id || g != id {
			t.Fatalf("id %d comes back as %d, %d", id, u, g)
		}
	}
}

type entry struct {
	hdr  tar.Header
	body string
}

func writeTar(t *testing.T, es []entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range es {
		h := e.hdr
		h.Size = int64(len(e.body))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readTar(t *testing.T, b []byte) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{*h, string(body)})
	}
}

func TestRewriteTar(t *testing.T) {
	mtime := time.Unix(1700000000, 123456789)
	in := writeTar(t, []entry{
		{tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755, Uid: 0, Gid: 0, ModTime: mtime.Truncate(time.Second), Format: tar.FormatUSTAR}, ""},
		{tar.Header{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Uid: 1000, Gid: 100, Uname: "alice", Gname: "users", ModTime: mtime, Format: tar.FormatPAX,
			PAXRecords: map[string]string{"SCHILY.xattr.user.k": "v"}}, "root:x:0:0\n"},
		{tar.Header{Name: "etc/link", Typeflag: tar.TypeLink, Linkname: "etc/passwd", Uid: 65535, Gid: 999, ModTime: mtime, Format: tar.FormatGNU}, ""},
		{tar.Header{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox", Uid: 70000, Gid: 5000, ModTime: mtime}, ""},
	})
	var toHost bytes.Buffer
	if err := RewriteTar(context.Background(), &toHost, bytes.NewReader(in), testRemap.HeaderToHost); err != nil {
		t.Fatal(err)
	}
	got := readTar(t, toHost.Bytes())
	want := [][2]int{{100000, 200000}, {101000, 200100}, {165535, 200999}, {Overflow, Overflow}}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i, e := range got {
		if e.hdr.Uid != want[i][0] || e.hdr.Gid != want[i][1] {
			t.Errorf("%s: owner %d:%d, want %d:%d", e.hdr.Name, e.hdr.Uid, e.hdr.Gid, want[i][0], want[i][1])
		}
		if e.hdr.Uname != "" || e.hdr.Gname != "" {
			t.Errorf("%s: names %q:%q kept", e.hdr.Name, e.hdr.Uname, e.hdr.Gname)
		}
	}
	if got[1].body != "root:x:0:0\n" || got[1].hdr.PAXRecords["SCHILY.xattr.user.k"] != "v" || !got[1].hdr.ModTime.Equal(mtime) {
		t.Errorf("contents, xattr or mtime not kept: %q %v %v", got[1].body, got[1].hdr.PAXRecords, got[1].hdr.ModTime)
	}
	if got[2].hdr.Typeflag != tar.TypeLink || got[2].hdr.Linkname != "etc/passwd" || got[3].hdr.Linkname != "busybox" {
		t.Errorf("links not kept: %+v %+v", got[2].hdr, got[3].hdr)
	}

	// And back: what was in the ranges comes back as it was; the rest is Overflow.
	var back bytes.Buffer
	if err := RewriteTar(context.Background(), &back, bytes.NewReader(toHost.Bytes()), testRemap.HeaderToContainer); err != nil {
		t.Fatal(err)
	}
	wantBack := [][2]int{{0, 0}, {1000, 100}, {65535, 999}, {Overflow, Overflow}}
	for i, e := range readTar(t, back.Bytes()) {
		if e.hdr.Uid != wantBack[i][0] || e.hdr.Gid != wantBack[i][1] {
			t.Errorf("%s back: owner %d:%d, want %d:%d", e.hdr.Name, e.hdr.Uid, e.hdr.Gid, wantBack[i][0], wantBack[i][1])
		}
	}
}

func TestRewriteTarErrors(t *testing.T) {
	in := writeTar(t, []entry{{tar.Header{Name: "f", Typeflag: tar.TypeReg, Mode: 0o644}, "0123456789"}})
	var out bytes.Buffer
	if err := RewriteTar(context.Background(), &out, bytes.NewReader(in[:515]), testRemap.HeaderToHost); err == nil {
		t.Error("a cut archive was rewritten without an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := RewriteTar(ctx, &out, bytes.NewReader(in), testRemap.HeaderToHost); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}
