package attach

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// A client that stops reading while the container writes 100 MB: the writer never waits,
// the log gets everything, the client is dropped; a client that reads gets what was
// written before the stall (less than MaxPending) in full, and the exit code.
func TestSlowClientIsDropped(t *testing.T) {
	s, err := Listen(filepath.Join(t.TempDir(), "a.sock"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stalled, err := net.Dial("unix", s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	reader, err := Dial(s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	// Wait until the server holds both connections.
	for {
		s.mu.Lock()
		n := len(s.clients)
		s.mu.Unlock()
		if n == 2 {
			break
		}
		<-s.First()
	}
	var got bytes.Buffer
	var code int
	var exited bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code, exited, _ = reader.Copy(&got, io.Discard)
	}()

	const total = 100 << 20
	var log countWriter
	out := io.MultiWriter(&log, s.Writer(FrameStdout))
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 2048) // 32 KiB, as a pipe copy reads
	const early = 1 << 20
	for written := 0; written < early; written += len(chunk) {
		if _, err := out.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	s.Broadcast(FrameExit, []byte{0, 0, 0, 3}) // the reader stops here
	wg.Wait()
	for written := early; written < total; written += len(chunk) {
		if _, err := out.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	s.Finish(3)
	if log.n != total {
		t.Errorf("the log got %d bytes, want %d", log.n, total)
	}
	if got.Len() != early || !exited || code != 3 {
		t.Errorf("the reading client got %d bytes, exited %v with %d; want %d, true, 3", got.Len(), exited, code, early)
	}
	// The stalled client was dropped: after what was queued for it, its connection ends.
	n, _ := io.Copy(io.Discard, stalled)
	if n >= total {
		t.Errorf("the stalled client got all %d bytes: it was never dropped", n)
	}
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func TestRequestRoundTrip(t *testing.T) {
	for _, r := range []Request{
		{Op: "stop", Signal: 15, Timeout: 10e9},
		{Op: "kill", Signal: 9},
		{Op: "cancel"},
	} {
		got, err := parseRequest(r.encode())
		if err != nil || got != r {
			t.Errorf("parseRequest(encode(%+v)) = %+v, %v", r, got, err)
		}
	}
	for _, bad := range []string{"", "stop", "stop x 1", "stop 1 y", "a b c d"} {
		if _, err := parseRequest([]byte(bad)); err == nil {
			t.Errorf("parseRequest(%q) accepted", bad)
		}
	}
}

// Control requests reach the monitor's handler, and its error comes back.
func TestControl(t *testing.T) {
	var got []Request
	var mu sync.Mutex
	s, err := Listen(filepath.Join(t.TempDir(), "a.sock"), func(r Request) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r)
		if r.Op == "kill" {
			return io.ErrUnexpectedEOF
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := Dial(s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Control(Request{Op: "cancel"}); err != nil {
		t.Errorf("cancel: %v", err)
	}
	if err := c.Control(Request{Op: "kill", Signal: 9}); err == nil || err.Error() != io.ErrUnexpectedEOF.Error() {
		t.Errorf("kill: %v, want the handler's error", err)
	}
	if len(got) != 2 || got[0].Op != "cancel" || got[1].Op != "kill" || got[1].Signal != 9 {
		t.Errorf("handler saw %+v", got)
	}
}
