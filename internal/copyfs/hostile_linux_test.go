package copyfs

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// A container's files named like whiteouts are files to cp, as Docker's
// untar takes them: copied out of a hostile container into a host
// directory they must not delete or hide what the directory holds.
func TestExtractWhiteoutNamesAreFiles(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	for _, d := range []string{"data", "data/.wh..wh.plnk"} {
		if err := os.Mkdir(filepath.Join(src, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"data/.wh.victim", "data/.wh..wh..opq", "data/.wh..wh.plnk/x"} {
		if err := os.WriteFile(filepath.Join(src, f), []byte("from the container"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "victim"), []byte("host file"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctr, err := OpenRoot(src)
	if err != nil {
		t.Fatal(err)
	}
	defer ctr.Close()
	host, err := OpenRoot(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	var b bytes.Buffer
	// cp CTR:/data/. DST: what the directory holds, as "./NAME" entries.
	if err := ctr.Archive(context.Background(), &b, "/data/.", false, ".", true); err != nil {
		t.Fatal(err)
	}
	if err := host.Extract(context.Background(), "/", &b); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dst, "victim")); err != nil || string(got) != "host file" {
		t.Errorf("victim: %q, %v; want the host file untouched", got, err)
	}
	for _, f := range []string{".wh.victim", ".wh..wh..opq", ".wh..wh.plnk/x"} {
		if got, err := os.ReadFile(filepath.Join(dst, f)); err != nil || string(got) != "from the container" {
			t.Errorf("%s: %q, %v; want the container's file", f, got, err)
		}
	}
	if _, err := unix.Getxattr(dst, "trusted.overlay.opaque", make([]byte, 8)); err == nil {
		t.Errorf("the host directory was marked opaque")
	}
}

// The same through a tar a client uploads (PUT /containers/{id}/archive).
func TestExtractWithWhiteoutNamesAreFiles(t *testing.T) {
	dst := t.TempDir()
	if err := os.WriteFile(filepath.Join(dst, "victim"), []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: ".wh.victim", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	tw.Write([]byte("x"))
	tw.Close()
	r, err := OpenRoot(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.ExtractWith(context.Background(), "/", &b, ExtractOptions{RootOwned: os.Geteuid() == 0}); err != nil {
		t.Fatalf("ExtractWith: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dst, "victim")); err != nil || string(got) != "kept" {
		t.Errorf("victim: %q, %v; want it untouched", got, err)
	}
	if got, err := os.ReadFile(filepath.Join(dst, ".wh.victim")); err != nil || string(got) != "x" {
		t.Errorf(".wh.victim: %q, %v; want the uploaded file", got, err)
	}
}
