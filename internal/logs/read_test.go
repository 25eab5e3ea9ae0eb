package logs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixture is a log of six entries, one a minute from 2020-01-02 10:00 UTC,
// alternating
// between stdout and stderr.
func fixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c-json.log")
	var data []byte
	for i, s := range []string{"o0\n", "e1\n", "o2\n", "e3\n", "o4\n", "e5"} {
		stream := "stdout"
		if s[0] == 'e' {
			stream = "stderr"
		}
		data = appendEntry(data, stream, []byte(s), minute(i))
	}
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

func minute(i int) time.Time {
	return time.Date(2020, 1, 2, 10, i, 0, 0, time.UTC)
}

func TestReadOptions(t *testing.T) {
	tests := []struct {
		name       string
		opts       ReadOptions
		wantStdout string
		wantStderr string
	}{
		{"all", ReadOptions{Tail: -1}, "o0\no2\no4\n", "e1\ne3\ne5"},
		{"tail 0", ReadOptions{Tail: 0}, "", ""},
		{"tail 1", ReadOptions{Tail: 1}, "", "e5"},
		{"tail 3", ReadOptions{Tail: 3}, "o4\n", "e3\ne5"},
		{"tail more than there is", ReadOptions{Tail: 100}, "o0\no2\no4\n", "e1\ne3\ne5"},
		{"since is inclusive", ReadOptions{Tail: -1, Since: minute(3)}, "o4\n", "e3\ne5"},
		{"since between entries", ReadOptions{Tail: -1, Since: minute(2).Add(time.Second)}, "o4\n", "e3\ne5"},
		{"since after all", ReadOptions{Tail: -1, Since: minute(10)}, "", ""},
		{"until is inclusive", ReadOptions{Tail: -1, Until: minute(2)}, "o0\no2\n", "e1\n"},
		{"until before all", ReadOptions{Tail: -1, Until: minute(0).Add(-time.Nanosecond)}, "", ""},
		{"since and until", ReadOptions{Tail: -1, Since: minute(1), Until: minute(3)}, "o2\n", "e1\ne3\n"},
		{"tail of since", ReadOptions{Tail: 2, Since: minute(1)}, "o4\n", "e5"},
		{"tail of until", ReadOptions{Tail: 2, Until: minute(3)}, "o2\n", "e3\n"},
		{"since in another zone", ReadOptions{Tail: -1, Since: minute(4).In(time.FixedZone("X", -5*3600))}, "o4\n", "e5"},
		{"timestamps", ReadOptions{Tail: 2, Timestamps: true},
			"2020-01-02T10:04:00.000000000Z o4\n", "2020-01-02T10:05:00.000000000Z e5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr := readAll(t, fixture(t), tt.opts)
			if stdout != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout, tt.wantStdout)
			}
			if stderr != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestTimestampPrefix(t *testing.T) {
	// Docker's -t: nine fraction digits always, UTC, then one space; each
	// piece of a split line gets its own.
	path := filepath.Join(t.TempDir(), "c-json.log")
	var data []byte
	data = appendEntry(data, "stdout", []byte("a"), time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC))
	data = appendEntry(data, "stdout", []byte("b\n"), time.Date(2026, 1, 2, 4, 4, 5, 7, time.FixedZone("CET", 3600)))
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	stdout, _ := readAll(t, path, ReadOptions{Tail: -1, Timestamps: true})
	want := "2026-01-02T03:04:05.120000000Z a2026-01-02T03:04:05.000000007Z b\n"
	if stdout != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
}

func TestReadSkipsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	var data []byte
	data = appendEntry(data, "stdout", []byte("before\n"), minute(0))
	data = append(data, "{\"log\":\"torn\n"...)
	data = append(data, "not json at all\n"...)
	data = append(data, "\n"...)
	data = append(data, strings.Repeat("x", 3*maxLine)+"\n"...)
	data = appendEntry(data, "stdout", []byte("after\n"), minute(1))
	data = append(data, `{"log":"unfinished`...)
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if stdout, _ := readAll(t, path, ReadOptions{Tail: -1}); stdout != "before\nafter\n" {
		t.Errorf("stdout = %q", stdout)
	}
}

func TestReadMissingLog(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "none.log"), filepath.Join(dir, "nodir", "none.log")} {
		if stdout, stderr := readAll(t, path, ReadOptions{Tail: -1}); stdout != "" || stderr != "" {
			t.Errorf("%s: read %q %q", path, stdout, stderr)
		}
	}
}

func TestReadOnlyRotatedFiles(t *testing.T) {
	// Mid-rotation, path may be missing while path.1 is there.
	dir := t.TempDir()
	path := filepath.Join(dir, "c-json.log")
	for i, name := range []string{path + ".2", path + ".1", path + ".x", path + ".0"} {
		data := appendEntry(nil, "stdout", []byte(filepath.Ext(name)+"\n"), minute(i))
		if err := os.WriteFile(name, data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if stdout, _ := readAll(t, path, ReadOptions{Tail: -1}); stdout != ".2\n.1\n" {
		t.Errorf("stdout = %q, want .2 then .1 (and no .x or .0)", stdout)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

func TestReadOutputError(t *testing.T) {
	err := Read(context.Background(), fixture(t), ReadOptions{Tail: -1}, failingWriter{}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "pipe closed") {
		t.Errorf("Read to a failing writer: %v", err)
	}
}

func TestReadNilWriters(t *testing.T) {
	var out bytes.Buffer
	if err := Read(context.Background(), fixture(t), ReadOptions{Tail: -1}, nil, &out, nil); err != nil {
		t.Fatal(err)
	}
	if out.String() != "e1\ne3\ne5" {
		t.Errorf("stderr = %q", out.String())
	}
}

func TestReadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Read(ctx, fixture(t), ReadOptions{Tail: -1}, nil, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context: %v", err)
	}
}
