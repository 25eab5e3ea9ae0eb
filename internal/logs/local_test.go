package logs

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A local log is read back as it was written: lines, pieces without a newline, both
// streams, across rotations; a torn last frame is cut when a writer opens the file again.
func TestLocalRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "container.log")
	o, err := ParseDriverOptions(Local, []string{"max-size=300", "max-file=3"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(path, o)
	if err != nil {
		t.Fatal(err)
	}
	out, errs := w.Stream("stdout"), w.Stream("stderr")
	for i := 0; i < 10; i++ {
		out.Write([]byte("line " + strings.Repeat("x", i) + "\n"))
	}
	errs.Write([]byte("oops\n"))
	out.Write([]byte("no newline"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".1"); err != nil {
		t.Errorf("no rotation at max-size=300: %v", err)
	}
	var stdout, stderr bytes.Buffer
	if err := Read(context.Background(), path, ReadOptions{Tail: -1, Driver: Local}, &stdout, &stderr, nil); err != nil {
		t.Fatal(err)
	}
	if stderr.String() != "oops\n" {
		t.Errorf("stderr = %q", stderr.String())
	}
	if !strings.HasSuffix(stdout.String(), "line xxxxxxxxx\nno newline") {
		t.Errorf("stdout = %q", stdout.String())
	}

	// The first frame of the file is Docker's: lengths around a LogEntry.
	b, _ := os.ReadFile(path)
	n := binary.BigEndian.Uint32(b)
	if int(n)+8 > len(b) || binary.BigEndian.Uint32(b[4+n:]) != n {
		t.Fatalf("first frame: length %d, file %d bytes", n, len(b))
	}
	e, err := decodeFrame(b[4 : 4+n])
	if err != nil || e.Time.IsZero() || time.Since(e.Time) > time.Hour {
		t.Errorf("decodeFrame = %+v, %v", e, err)
	}

	// A torn frame (a writer killed mid-write) is cut by the next writer.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte{0, 0, 0, 50, 1, 2, 3})
	f.Close()
	w, err = NewWriter(path, o)
	if err != nil {
		t.Fatal(err)
	}
	w.Stream("stdout").Write([]byte("after\n"))
	w.Close()
	stdout.Reset()
	if err := Read(context.Background(), path, ReadOptions{Tail: 2, Driver: Local}, &stdout, nil, nil); err != nil {
		t.Fatal(err)
	}
	if stdout.String() != "no newlineafter\n" {
		t.Errorf("after a torn frame: %q", stdout.String())
	}
}

func TestParseDriverOptions(t *testing.T) {
	for _, tt := range []struct {
		driver string
		opts   []string
		want   Options
		err    string
	}{
		{driver: "", want: Options{Driver: JSONFile, MaxFile: 1}},
		{driver: "json-file", opts: []string{"max-size=1k"}, want: Options{Driver: JSONFile, MaxSize: 1000, MaxFile: 1}},
		{driver: "local", want: Options{Driver: Local, MaxSize: 20 << 20, MaxFile: 5}},
		{driver: "local", opts: []string{"max-file=2", "compress=false"}, want: Options{Driver: Local, MaxSize: 20 << 20, MaxFile: 2}},
		{driver: "local", opts: []string{"labels=a"}, err: "unknown log opt 'labels' for log driver local"},
		{driver: "local", opts: []string{"compress=maybe"}, err: `compress: invalid value "maybe"`},
		{driver: "none", opts: []string{"max-size=1k"}, want: Options{Driver: None, MaxFile: 1}},
		{driver: "syslog", err: "logger: no log driver named 'syslog' is registered"},
	} {
		got, err := ParseDriverOptions(tt.driver, tt.opts)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s %v: error %v, want %q", tt.driver, tt.opts, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s %v = %+v, %v; want %+v", tt.driver, tt.opts, got, err, tt.want)
		}
	}
}

// The none driver writes nothing.
func TestNoneWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	w, err := NewWriter(path, Options{Driver: None})
	if err != nil {
		t.Fatal(err)
	}
	w.Stream("stdout").Write([]byte("hello\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("none wrote %s: %v", path, err)
	}
}
