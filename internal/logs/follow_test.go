package logs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait of these tests: long enough never to be hit
// by a working reader on a loaded machine, short enough to fail a stuck one.
const waitLimit = 20 * time.Second

// notifyBuffer collects output and wakes waiters on every write.
type notifyBuffer struct {
	mu      sync.Mutex
	buf     strings.Builder
	written chan struct{}
}

func newNotifyBuffer() *notifyBuffer {
	return &notifyBuffer{written: make(chan struct{}, 1)}
}

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf.Write(p)
	b.mu.Unlock()
	select {
	case b.written <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the output ends with want.
func (b *notifyBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for !strings.HasSuffix(b.String(), want) {
		select {
		case <-b.written:
		case <-deadline.C:
			t.Fatalf("output does not end with %q after %v; it is %q", want, waitLimit, b.String())
		}
	}
}

// follower runs Read with Follow in a goroutine.
type follower struct {
	stdout, stderr *notifyBuffer
	done           chan struct{}
	cancel         context.CancelFunc
	result         chan error
}

func startFollow(t *testing.T, path string, o ReadOptions) *follower {
	t.Helper()
	o.Follow = true
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{
		stdout: newNotifyBuffer(),
		stderr: newNotifyBuffer(),
		done:   make(chan struct{}),
		cancel: cancel,
		result: make(chan error, 1),
	}
	go func() { f.result <- Read(ctx, path, o, f.stdout, f.stderr, f.done) }()
	t.Cleanup(func() {
		cancel()
		<-f.result
	})
	return f
}

// wait waits for Read to return.
func (f *follower) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-f.result:
		f.result <- err // for the cleanup
		return err
	case <-time.After(waitLimit):
		t.Fatalf("Read did not return within %v", waitLimit)
		return nil
	}
}

func TestFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w.Stream("stdout"), "before follow\n")

	f := startFollow(t, path, ReadOptions{Tail: -1})
	f.stdout.waitFor(t, "before follow\n")
	for i := range 20 {
		fmt.Fprintf(w.Stream("stdout"), "out %d\n", i)
		f.stdout.waitFor(t, fmt.Sprintf("out %d\n", i))
		fmt.Fprintf(w.Stream("stderr"), "err %d\n", i)
		f.stderr.waitFor(t, fmt.Sprintf("err %d\n", i))
	}

	// What is written just before the container exits is still read: done
	// is closed right after Close, before the reader could have seen it.
	fmt.Fprint(w.Stream("stdout"), "last words\nno newline")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	close(f.done)
	if err := f.wait(t); err != nil {
		t.Fatalf("Read: %v", err)
	}

	var wantOut, wantErr strings.Builder
	wantOut.WriteString("before follow\n")
	for i := range 20 {
		fmt.Fprintf(&wantOut, "out %d\n", i)
		fmt.Fprintf(&wantErr, "err %d\n", i)
	}
	wantOut.WriteString("last words\nno newline")
	if got := f.stdout.String(); got != wantOut.String() {
		t.Errorf("stdout = %q, want %q", got, wantOut.String())
	}
	if got := f.stderr.String(); got != wantErr.String() {
		t.Errorf("stderr = %q, want %q", got, wantErr.String())
	}
}

func TestFollowDrainsBurst(t *testing.T) {
	// Many entries written with no pause, then done: all of them arrive,
	// once each, in order.
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := startFollow(t, path, ReadOptions{Tail: -1})
	var want strings.Builder
	for i := range 5000 {
		line := fmt.Sprintf("burst %d %s\n", i, strings.Repeat("b", i%300))
		want.WriteString(line)
		fmt.Fprint(w.Stream("stdout"), line)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	close(f.done)
	if err := f.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := f.stdout.String(); got != want.String() {
		t.Errorf("got %d bytes, want %d; they differ", len(got), want.Len())
	}
}

func TestFollowRotation(t *testing.T) {
	for _, maxFile := range []int{1, 2, 4, 1000} {
		t.Run(fmt.Sprintf("max-file=%d", maxFile), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c-json.log")
			w, err := NewWriter(path, Options{MaxSize: 1000, MaxFile: maxFile})
			if err != nil {
				t.Fatal(err)
			}
			f := startFollow(t, path, ReadOptions{Tail: -1})
			var want []string
			// Lock step: each line is awaited, so every rotation (every
			// ~12 lines) happens while Read is following, and none is lost.
			for i := range 100 {
				line := fmt.Sprintf("step %03d\n", i)
				want = append(want, line)
				fmt.Fprint(w.Stream("stdout"), line)
				f.stdout.waitFor(t, line)
			}
			// A burst rotates many times between two reads: with few files
			// the writer may drop a file before Read opens it (as in
			// Docker), but what arrives must come once each, in order, and
			// end with the last line.
			for i := range 1000 {
				line := fmt.Sprintf("burst %03d\n", i)
				want = append(want, line)
				fmt.Fprint(w.Stream("stdout"), line)
			}
			f.stdout.waitFor(t, "burst 999\n")
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			close(f.done)
			if err := f.wait(t); err != nil {
				t.Fatal(err)
			}

			got := strings.SplitAfter(f.stdout.String(), "\n")
			got = got[:len(got)-1] // the empty string after the last newline
			if !slices.Equal(got[:100], want[:100]) {
				t.Errorf("lock-step lines = %q, want %q", got[:100], want[:100])
			}
			// got must be a subsequence of want: in order, no repeats.
			j := 0
			for _, line := range got {
				for j < len(want) && want[j] != line {
					j++
				}
				if j == len(want) {
					t.Fatalf("line %q out of order or repeated; got %q", line, got)
				}
				j++
			}
			if maxFile == 1000 && len(got) != len(want) {
				t.Errorf("got %d lines, want all %d: with this many files nothing is dropped", len(got), len(want))
			}
			t.Logf("max-file %d: %d of %d burst lines read", maxFile, len(got)-100, 1000)
			// 1100 entries of about 80 bytes fill far more than 4 files.
			if names, _ := filepath.Glob(path + "*"); maxFile < 1000 && len(names) != maxFile {
				t.Errorf("files = %v, want %d", names, maxFile)
			}
		})
	}
}

func TestFollowTail(t *testing.T) {
	// The hook tells when a follower has read what was there: with tail 0
	// nothing is written to show it.
	following := make(chan struct{})
	followingHook = func() { following <- struct{}{} }
	t.Cleanup(func() { followingHook = func() {} })
	awaitFollowing := func() {
		t.Helper()
		select {
		case <-following:
		case <-time.After(waitLimit):
			t.Fatal("Read did not start following")
		}
	}

	path := fixture(t)
	w, err := NewWriter(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	f := startFollow(t, path, ReadOptions{Tail: 1})
	awaitFollowing()
	fmt.Fprint(w.Stream("stdout"), "new\n")
	f.stdout.waitFor(t, "new\n")
	if got := f.stdout.String(); got != "new\n" {
		t.Errorf("with tail 1, stdout = %q, want only the new line", got)
	}
	if got := f.stderr.String(); got != "e5" {
		t.Errorf("with tail 1, stderr = %q, want the last entry", got)
	}

	g := startFollow(t, path, ReadOptions{Tail: 0})
	awaitFollowing()
	fmt.Fprint(w.Stream("stdout"), "newer\n")
	g.stdout.waitFor(t, "newer\n")
	if got := g.stdout.String() + g.stderr.String(); got != "newer\n" {
		t.Errorf("with tail 0, output = %q, want only the newer line", got)
	}
}

func TestFollowBeforeTheLogExists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c-json.log")
	f := startFollow(t, path, ReadOptions{Tail: -1})
	w, err := NewWriter(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fmt.Fprint(w.Stream("stdout"), "hello\n")
	f.stdout.waitFor(t, "hello\n")
}

func TestFollowEnds(t *testing.T) {
	tests := []struct {
		name    string
		opts    ReadOptions
		end     func(t *testing.T, f *follower)
		wantErr error
	}{
		{"done already closed", ReadOptions{Tail: -1}, func(_ *testing.T, f *follower) { close(f.done) }, nil},
		{"context cancelled", ReadOptions{Tail: -1}, func(t *testing.T, f *follower) { f.stderr.waitFor(t, "e5"); f.cancel() }, context.Canceled},
		{"until in the past", ReadOptions{Tail: -1, Until: time.Now().Add(-time.Hour)}, func(*testing.T, *follower) {}, nil},
		{"until passes", ReadOptions{Tail: -1, Until: time.Now().Add(100 * time.Millisecond)}, func(*testing.T, *follower) {}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fixture(t)
			f := startFollow(t, path, tt.opts)
			tt.end(t, f)
			if err := f.wait(t); !errors.Is(err, tt.wantErr) {
				t.Errorf("Read = %v, want %v", err, tt.wantErr)
			}
			if got := f.stderr.String(); got != "e1\ne3\ne5" {
				t.Errorf("stderr = %q", got)
			}
		})
	}
}

func TestFollowStopsAtUntil(t *testing.T) {
	// An entry after Until ends the follow without waiting for done.
	path := filepath.Join(t.TempDir(), "c-json.log")
	w, err := NewWriter(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	until := time.Now().Add(time.Hour)
	w.SetClock(func() time.Time { return until.Add(-time.Second) })
	f := startFollow(t, path, ReadOptions{Tail: -1, Until: until})
	fmt.Fprint(w.Stream("stdout"), "in time\n")
	f.stdout.waitFor(t, "in time\n")
	w.SetClock(func() time.Time { return until.Add(time.Second) })
	fmt.Fprint(w.Stream("stdout"), "too late\n")
	if err := f.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := f.stdout.String(); got != "in time\n" {
		t.Errorf("stdout = %q", got)
	}
}
