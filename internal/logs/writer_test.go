package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// write is one Write on one stream.
type write struct {
	stream string
	data   string
}

// fakeClock returns a clock that starts at base and moves on a millisecond
// each time it is read.
func fakeClock(base time.Time) func() time.Time {
	var mu sync.Mutex
	t := base
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := t
		t = t.Add(time.Millisecond)
		return now
	}
}

var clockBase = time.Date(2026, 11, 27, 16, 20, 1, 123456789, time.UTC)

// writeLog writes ws to a new log at path (with a fake clock) and closes it.
func writeLog(t *testing.T, path string, o Options, ws []write) {
	t.Helper()
	w, err := NewWriter(path, o)
	if err != nil {
		t.Fatal(err)
	}
	w.SetClock(fakeClock(clockBase))
	for _, x := range ws {
		if _, err := w.Stream(x.stream).Write([]byte(x.data)); err != nil {
			t.Fatalf("Write(%s, %q): %v", x.stream, x.data, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// readAll reads the whole log at path without following.
func readAll(t *testing.T, path string, o ReadOptions) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := Read(context.Background(), path, o, &out, &errOut, nil); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return out.String(), errOut.String()
}

// decodedEntries decodes every line of a file.
func decodedEntries(t *testing.T, path string) []entry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var es []entry
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if line == "" {
			continue
		}
		var e entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q of %s is not JSON: %v", line, path, err)
		}
		es = append(es, e)
	}
	return es
}

func logsOf(es []entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Stream+":"+e.Log)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 40000)
	tests := []struct {
		name       string
		writes     []write
		wantStdout string
		wantStderr string
	}{
		{"one line", []write{{"stdout", "hello\n"}}, "hello\n", ""},
		{"several lines in one write", []write{{"stdout", "a\nb\n\nc\n"}}, "a\nb\n\nc\n", ""},
		{"line split across writes", []write{{"stdout", "hel"}, {"stdout", "lo"}, {"stdout", "\nx\n"}}, "hello\nx\n", ""},
		{"partial line flushed at close", []write{{"stdout", "a\nno newline"}}, "a\nno newline", ""},
		{"both streams kept apart", []write{{"stdout", "out1\n"}, {"stderr", "err1\n"}, {"stdout", "out2\n"}, {"stderr", "err2"}},
			"out1\nout2\n", "err1\nerr2"},
		{"partials of both streams", []write{{"stdout", "o"}, {"stderr", "e"}, {"stdout", "o\n"}, {"stderr", "e\n"}}, "oo\n", "ee\n"},
		{"empty writes", []write{{"stdout", ""}, {"stderr", ""}}, "", ""},
		{"crlf and unicode", []write{{"stdout", "a\r\nb☃é\t\"q\"\\<&>\n"}}, "a\r\nb☃é\t\"q\"\\<&>\n", ""},
		{"control bytes", []write{{"stderr", "\x00\x01\x1b[31mred\x1b[0m\x7f\n"}}, "", "\x00\x01\x1b[31mred\x1b[0m\x7f\n"},
		{"line separators", []write{{"stdout", "a\u2028b\u2029c\n"}}, "a\u2028b\u2029c\n", ""},
		{"invalid utf-8 becomes U+FFFD", []write{{"stdout", "a\xffb\xc3\n"}}, "a\uFFFDb\uFFFD\n", ""},
		{"long line", []write{{"stdout", long + "\n"}}, long + "\n", ""},
		{"long line in small writes", func() []write {
			var ws []write
			for i := 0; i < 40; i++ {
				ws = append(ws, write{"stdout", strings.Repeat("y", 1000)})
			}
			return append(ws, write{"stdout", "\n"})
		}(), strings.Repeat("y", 40000) + "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c-json.log")
			writeLog(t, path, Options{}, tt.writes)
			stdout, stderr := readAll(t, path, ReadOptions{Tail: -1})
			if stdout != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout, tt.wantStdout)
			}
			if stderr != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestEntryBytes(t *testing.T) {
	const ts = `"time":"2026-11-27T16:20:01.123456789Z"}` + "\n"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "hello\n", `{"log":"hello\n","stream":"stdout",` + ts},
		{"quotes and backslash", `a"b\c` + "\n", `{"log":"a\"b\\c\n","stream":"stdout",` + ts},
		{"cr tab and other controls as Docker escapes them", "\r\t\x00\x1f\b\f\n",
			`{"log":"\r\u0009\u0000\u001f\u0008\u000c\n","stream":"stdout",` + ts},
		{"html characters", "<a&b>\n", `{"log":"\u003ca\u0026b\u003e\n","stream":"stdout",` + ts},
		{"DEL and utf-8 kept raw", "\x7fé☃\n", "{\"log\":\"\x7fé☃\\n\",\"stream\":\"stdout\"," + ts},
		{"invalid utf-8", "\xff\xfe\xc3(\n", `{"log":"\ufffd\ufffd\ufffd(\n","stream":"stdout",` + ts},
		{"truncated rune", "\xe2\x98\n", `{"log":"\ufffd\ufffd\n","stream":"stdout",` + ts},
		{"line separators", "\u2028\u2029\n", `{"log":"\u2028\u2029\n","stream":"stdout",` + ts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c-json.log")
			writeLog(t, path, Options{}, []write{{"stdout", tt.in}})
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("file =\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid(bytes.TrimSpace(got)) {
				t.Errorf("entry is not valid JSON: %s", got)
			}
		})
	}
}

func TestTimeFormat(t *testing.T) {
	// RFC 3339 with as many fraction digits as needed, in UTC.
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), `"time":"2026-01-02T03:04:05Z"`},
		{time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC), `"time":"2026-01-02T03:04:05.12Z"`},
		{time.Date(2026, 1, 2, 4, 4, 5, 1, time.FixedZone("CET", 3600)), `"time":"2026-01-02T03:04:05.000000001Z"`},
	}
	for _, tt := range tests {
		got := string(appendEntry(nil, "stdout", []byte("x\n"), tt.t))
		if !strings.Contains(got, tt.want) {
			t.Errorf("entry for %v = %s, want it to contain %s", tt.t, got, tt.want)
		}
	}
}

func TestLongLinesSplit(t *testing.T) {
	const k16 = 16 * 1024
	tests := []struct {
		name   string
		writes []write
		want   []int // the length of each entry's log
	}{
		{"just under", []write{{"stdout", strings.Repeat("a", k16-1) + "\n"}}, []int{k16}},
		{"exactly 16 KiB then newline", []write{{"stdout", strings.Repeat("a", k16) + "\n"}}, []int{k16, 1}},
		{"40000 bytes", []write{{"stdout", strings.Repeat("a", 40000) + "\n"}}, []int{k16, k16, 40000 - 2*k16 + 1}},
		{"cut before the stream ends", []write{{"stdout", strings.Repeat("a", k16+5)}}, []int{k16, 5}},
		{"short lines are not merged", []write{{"stdout", strings.Repeat("ab\n", k16)}}, slices.Repeat([]int{3}, k16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c-json.log")
			writeLog(t, path, Options{}, tt.writes)
			var got []int
			for i, e := range decodedEntries(t, path) {
				got = append(got, len(e.Log))
				if strings.Contains(e.Log[:len(e.Log)-1], "\n") {
					t.Errorf("entry %d holds a newline before its end", i)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("entry sizes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOrderOfInterleavedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	writeLog(t, path, Options{}, []write{
		{"stdout", "1\n"}, {"stderr", "2\n"}, {"stderr", "3"}, {"stdout", "4\n5\n"}, {"stderr", "\n"}, {"stdout", "6\n"},
	})
	got := logsOf(decodedEntries(t, path))
	want := []string{"stdout:1\n", "stderr:2\n", "stdout:4\n", "stdout:5\n", "stderr:3\n", "stdout:6\n"}
	if !slices.Equal(got, want) {
		t.Errorf("entries = %q, want %q", got, want)
	}
}

func TestConcurrentStreams(t *testing.T) {
	// Two goroutines write a stream each, in odd chunk sizes; every entry
	// must be whole, and each stream's lines must come in the order written.
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const lines = 2000
	var wg sync.WaitGroup
	for _, name := range []string{"stdout", "stderr"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var all strings.Builder
			for i := range lines {
				fmt.Fprintf(&all, "%s line %d %s\n", name, i, strings.Repeat("z", i%50))
			}
			s, data := w.Stream(name), all.String()
			for len(data) > 0 {
				n := min(len(data), 7+len(data)%61)
				if _, err := s.Write([]byte(data[:n])); err != nil {
					t.Error(err)
					return
				}
				data = data[n:]
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	next := map[string]int{}
	for _, e := range decodedEntries(t, path) {
		want := fmt.Sprintf("%s line %d %s\n", e.Stream, next[e.Stream], strings.Repeat("z", next[e.Stream]%50))
		if e.Log != want {
			t.Fatalf("%s entry = %q, want %q", e.Stream, e.Log, want)
		}
		next[e.Stream]++
	}
	if next["stdout"] != lines || next["stderr"] != lines {
		t.Errorf("got %v lines, want %d of each", next, lines)
	}
}

func TestRotation(t *testing.T) {
	// Every line is 10 bytes; with the fake clock's times, each entry is
	// exactly entrySize bytes in the file.
	line := func(i int) string { return fmt.Sprintf("line %04d\n", i) }
	entrySize := len(appendEntry(nil, "stdout", []byte(line(0)), clockBase.Add(time.Millisecond)))

	tests := []struct {
		name      string
		opts      Options
		lines     int
		wantFiles int // files on disk: path and path.1 … path.(wantFiles-1)
		wantKept  int // how many of the last lines are kept
	}{
		{"no max-size keeps all", Options{MaxFile: 3}, 100, 1, 100},
		{"max-file 1 truncates", Options{MaxSize: int64(entrySize) * 10, MaxFile: 1}, 25, 1, 5},
		{"max-file 3 drops the oldest", Options{MaxSize: int64(entrySize) * 10, MaxFile: 3}, 95, 3, 25},
		{"not yet full", Options{MaxSize: int64(entrySize) * 10, MaxFile: 5}, 25, 3, 25},
		{"exactly full does not rotate", Options{MaxSize: int64(entrySize) * 10, MaxFile: 2}, 10, 1, 10},
		{"max-size smaller than an entry", Options{MaxSize: 10, MaxFile: 3}, 7, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "c-json.log")
			var ws []write
			for i := range tt.lines {
				ws = append(ws, write{"stdout", line(i)})
			}
			writeLog(t, path, tt.opts, ws)

			names, err := filepath.Glob(path + "*")
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != tt.wantFiles {
				t.Errorf("files = %v, want %d", names, tt.wantFiles)
			}
			var all []string
			for i := tt.wantFiles - 1; i >= 0; i-- {
				name := path
				if i > 0 {
					name = fmt.Sprintf("%s.%d", path, i)
				}
				fi, err := os.Stat(name)
				if err != nil {
					t.Fatal(err)
				}
				if tt.opts.MaxSize >= int64(entrySize) && fi.Size() > tt.opts.MaxSize {
					t.Errorf("%s is %d bytes, more than max-size %d", name, fi.Size(), tt.opts.MaxSize)
				}
				for _, e := range decodedEntries(t, name) {
					all = append(all, e.Log)
				}
			}
			var want []string
			for i := tt.lines - tt.wantKept; i < tt.lines; i++ {
				want = append(want, line(i))
			}
			if !slices.Equal(all, want) {
				t.Errorf("files hold %q, want %q", all, want)
			}
			stdout, _ := readAll(t, path, ReadOptions{Tail: -1})
			if stdout != strings.Join(want, "") {
				t.Errorf("Read across the files = %q, want %q", stdout, strings.Join(want, ""))
			}
		})
	}
}

func TestRotationKeepsWriting(t *testing.T) {
	// A rotation that happens in the middle of one Write keeps the entries
	// of that Write in order across the two files.
	dir := t.TempDir()
	path := filepath.Join(dir, "c-json.log")
	var all strings.Builder
	for i := range 50 {
		fmt.Fprintf(&all, "%d\n", i)
	}
	writeLog(t, path, Options{MaxSize: 500, MaxFile: 100}, []write{{"stdout", all.String()}})
	stdout, _ := readAll(t, path, ReadOptions{Tail: -1})
	if stdout != all.String() {
		t.Errorf("read %q, want %q", stdout, all.String())
	}
	if names, _ := filepath.Glob(path + ".*"); len(names) < 2 {
		t.Errorf("rotated files = %v, want several", names)
	}
}

func TestReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	writeLog(t, path, Options{}, []write{{"stdout", "first run\n"}})
	writeLog(t, path, Options{}, []write{{"stdout", "second run\n"}})
	if stdout, _ := readAll(t, path, ReadOptions{Tail: -1}); stdout != "first run\nsecond run\n" {
		t.Errorf("read %q", stdout)
	}
}

func TestReopenRepairsTornEntry(t *testing.T) {
	// A writer killed mid-entry leaves a line without its end; the next
	// writer must not glue its first entry to it.
	path := filepath.Join(t.TempDir(), "c-json.log")
	writeLog(t, path, Options{}, []write{{"stdout", "whole\n"}})
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"log":"torn`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	writeLog(t, path, Options{}, []write{{"stdout", "after restart\n"}})
	if stdout, _ := readAll(t, path, ReadOptions{Tail: -1}); stdout != "whole\nafter restart\n" {
		t.Errorf("read %q", stdout)
	}
}

func TestWriterErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewWriter(filepath.Join(dir, "missing", "c-json.log"), Options{}); err == nil {
		t.Error("NewWriter in a missing directory: no error")
	}
	if _, err := NewWriter(filepath.Join(dir, "a.log"), Options{MaxSize: -1}); err == nil {
		t.Error("NewWriter with a negative max-size: no error")
	}
	if _, err := NewWriter(filepath.Join(dir, "b.log"), Options{MaxFile: -1}); err == nil {
		t.Error("NewWriter with a negative max-file: no error")
	}

	w, err := NewWriter(filepath.Join(dir, "c.log"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := w.Stream("stdout")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("late\n")); err == nil {
		t.Error("Write after Close: no error")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// parseOptionsTests also seed FuzzParseOptions.
var parseOptionsTests = []struct {
	opts    []string
	want    Options
	wantErr string
}{
	{nil, Options{MaxFile: 1}, ""},
	{[]string{"max-size=10m"}, Options{MaxSize: 10_000_000, MaxFile: 1}, ""},
	{[]string{"max-size=10m", "max-file=3"}, Options{MaxSize: 10_000_000, MaxFile: 3}, ""},
	{[]string{"max-size=1k"}, Options{MaxSize: 1000, MaxFile: 1}, ""},
	{[]string{"max-size=1KB"}, Options{MaxSize: 1000, MaxFile: 1}, ""},
	{[]string{"max-size=2MiB"}, Options{MaxSize: 2_000_000, MaxFile: 1}, ""}, // decimal, as Docker's FromHumanSize
	{[]string{"max-size=1.5g"}, Options{MaxSize: 1_500_000_000, MaxFile: 1}, ""},
	{[]string{"max-size=1 m"}, Options{MaxSize: 1_000_000, MaxFile: 1}, ""},
	{[]string{"max-size=4096"}, Options{MaxSize: 4096, MaxFile: 1}, ""},
	{[]string{"max-size=100b"}, Options{MaxSize: 100, MaxFile: 1}, ""},
	{[]string{"max-file=3"}, Options{MaxFile: 3}, ""}, // accepted without effect, as Docker
	{[]string{"max-size=10XB"}, Options{}, "max-size: invalid size: '10XB'"},
	{[]string{"max-size="}, Options{}, "max-size: invalid size: ''"},
	{[]string{"max-size"}, Options{}, "max-size: invalid size: ''"},
	{[]string{"max-size=-1"}, Options{}, "max-size: invalid size: '-1'"},
	{[]string{"max-size=0"}, Options{}, "max-size must be a positive number"},
	{[]string{"max-size=0.1"}, Options{}, "max-size must be a positive number"},
	{[]string{"max-size=99999999999p"}, Options{}, "too large"},
	{[]string{"max-file=0"}, Options{}, "max-file cannot be less than 1"},
	{[]string{"max-file=-2"}, Options{}, "max-file cannot be less than 1"},
	{[]string{"max-file=three"}, Options{}, `max-file: strconv.Atoi: parsing "three": invalid syntax`},
	{[]string{"max-file="}, Options{}, `max-file: strconv.Atoi: parsing "": invalid syntax`},
	{[]string{"compress=true"}, Options{}, "log opt 'compress' of the json-file log driver is not supported"},
	{[]string{"max-sise=1m"}, Options{}, "unknown log opt 'max-sise' for json-file log driver"},
}

func TestParseOptions(t *testing.T) {
	for _, tt := range parseOptionsTests {
		t.Run(strings.Join(tt.opts, ","), func(t *testing.T) {
			got, err := ParseOptions(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseOptions(%q) error = %v, want one containing %q", tt.opts, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseOptions(%q): %v", tt.opts, err)
			}
			if got != tt.want {
				t.Errorf("ParseOptions(%q) = %+v, want %+v", tt.opts, got, tt.want)
			}
		})
	}
}

// Found by FuzzParseOptions: an option with a newline made a two-line
// error, and a size beyond float64 was "invalid", not "too large".
func TestParseOptionsErrors(t *testing.T) {
	for _, tt := range []struct{ opt, want string }{
		{"\n", `unknown log opt '\n' for json-file log driver`},
		{"max\x00size=1", `unknown log opt 'max\x00size' for json-file log driver`},
		{"max-size=1\n", `max-size: invalid size: '1\n'`},
		{"max-size=1m\xff", `max-size: invalid size: '1m\xff'`},
		{"max-size=" + strings.Repeat("9", 400), "max-size: invalid size: '" + strings.Repeat("9", 400) + "' is too large"},
	} {
		_, err := ParseOptions([]string{tt.opt})
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseOptions(%q) error = %v, want %s", tt.opt, err, tt.want)
		}
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 27, 16, 20, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{"", time.Time{}, ""},
		{"2013-01-02T13:23:37Z", time.Date(2013, 1, 2, 13, 23, 37, 0, time.UTC), ""},
		{"2013-01-02T13:23:37.5Z", time.Date(2013, 1, 2, 13, 23, 37, 500000000, time.UTC), ""},
		{"2013-01-02T13:23:37+02:00", time.Date(2013, 1, 2, 11, 23, 37, 0, time.UTC), ""},
		{"2013-01-02T13:23:37-02:00", time.Date(2013, 1, 2, 15, 23, 37, 0, time.UTC), ""},
		{"2013-01-02T13:23Z", time.Date(2013, 1, 2, 13, 23, 0, 0, time.UTC), ""},
		{"2013-01-02T13Z", time.Date(2013, 1, 2, 13, 0, 0, 0, time.UTC), ""},
		{"2013-01-02Z", time.Date(2013, 1, 2, 0, 0, 0, 0, time.UTC), ""},
		{"2013-01-02T13:23:37", time.Date(2013, 1, 2, 12, 23, 37, 0, time.UTC), ""}, // in now's zone
		{"2013-01-02T13:23", time.Date(2013, 1, 2, 12, 23, 0, 0, time.UTC), ""},
		{"2013-01-02", time.Date(2013, 1, 1, 23, 0, 0, 0, time.UTC), ""},
		{"1700000000", time.Unix(1700000000, 0), ""},
		{"1700000000.5", time.Unix(1700000000, 500000000), ""},
		{"1700000000.000000001", time.Unix(1700000000, 1), ""},
		{"1700000000.1234567891", time.Unix(1700000000, 123456789), ""},
		{"0", time.Unix(0, 0), ""},
		{"42m", now.Add(-42 * time.Minute), ""},
		{"10s", now.Add(-10 * time.Second), ""},
		{"1h30m", now.Add(-90 * time.Minute), ""},
		{"-5m", now.Add(5 * time.Minute), ""},
		{"yesterday", time.Time{}, `failed to parse value as time or duration: "yesterday"`},
		{"10x", time.Time{}, `failed to parse value as time or duration: "10x"`},
		{"1700000000.", time.Time{}, `failed to parse value as time or duration`},
		{"1.2.3", time.Time{}, `failed to parse value as time or duration`},
		{"2013-13-02", time.Time{}, `month out of range`},
		{"2013-01-02T25:00:00Z", time.Time{}, `hour out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSince(tt.in, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSince(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSince(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseSince(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func BenchmarkWriter(b *testing.B) {
	for _, size := range []int{80, 1024, 64 * 1024} {
		b.Run(fmt.Sprintf("line=%dB", size), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "c-json.log")
			w, err := NewWriter(path, Options{MaxSize: 100_000_000, MaxFile: 2})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			line := []byte(strings.Repeat("log text ", size/9+1)[:size-1] + "\n")
			// Write in 32 KiB chunks, as io.Copy from a container's pipe does.
			chunk := bytes.Repeat(line, max(1, 32*1024/size))
			s := w.Stream("stdout")
			b.SetBytes(int64(len(chunk)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
