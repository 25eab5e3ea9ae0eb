package testutil

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestMain(m *testing.M) { Main(m) }

// fakeTB records Skip and Fatal instead of ending the real test, so the
// helpers' own skip and failure paths can be tested. Everything else goes to
// the real test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skip(args ...any) { f.end(&f.skipped, fmt.Sprint(args...)) }
func (f *fakeTB) Skipf(format string, args ...any) {
	f.end(&f.skipped, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatal(args ...any) { f.end(&f.failed, fmt.Sprint(args...)) }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.end(&f.failed, fmt.Sprintf(format, args...))
}

func (f *fakeTB) end(flag *bool, msg string) {
	*flag, f.msg = true, msg
	runtime.Goexit()
}

// runFake calls fn with a fakeTB on its own goroutine (Skip and Fatal end
// that goroutine) and returns what happened.
func runFake(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

// entry is one member of a tar read back by readTar.
type entry struct {
	hdr  *tar.Header
	body []byte
}

func readTar(t *testing.T, r io.Reader) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading tar entry %q: %v", hdr.Name, err)
		}
		out = append(out, entry{hdr, body})
	}
}

func byName(entries []entry) map[string]entry {
	m := map[string]entry{}
	for _, e := range entries {
		m[e.hdr.Name] = e
	}
	return m
}

// layerEntries reads the uncompressed tar of a layer.
func layerEntries(t *testing.T, l v1.Layer) []entry {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatalf("opening layer: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading layer: %v", err)
	}
	return readTar(t, bytes.NewReader(b))
}
