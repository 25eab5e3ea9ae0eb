package holder

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/logs/logfile"
)

// fakeProcess is a PID 1 that ends with the code it is given, or 128+n on signal n.
type fakeProcess struct {
	once sync.Once
	done chan struct{}
	code int
}

func (p *fakeProcess) end(code int) {
	p.once.Do(func() { p.code = code; close(p.done) })
}
func (p *fakeProcess) Signal(sig os.Signal) error { p.end(128 + int(sig.(syscall.Signal))); return nil }
func (p *fakeProcess) Wait() (int, error)         { <-p.done; return p.code, nil }

// fakeHooks start fake processes that write a line on each stream, and restart as told.
type fakeHooks struct {
	Hooks
	log      string
	restarts int   // how many exits restart
	refused  error // Started.Refused

	mu      sync.Mutex
	starts  []bool // restart flag of each start
	exits   []Exit
	stopped bool
	procs   chan *fakeProcess
}

func (h *fakeHooks) Start(ctx context.Context, restart bool, sio StartIO) (*Started, error) {
	h.mu.Lock()
	h.starts = append(h.starts, restart)
	n := len(h.starts)
	h.mu.Unlock()
	sio.Stdout.WriteString("out " + string(rune('0'+n)) + "\n")
	sio.Stderr.WriteString("err " + string(rune('0'+n)) + "\n")
	p := &fakeProcess{done: make(chan struct{})}
	h.procs <- p
	return &Started{Process: p, LogPath: h.log, Log: logfile.Options{}, Refused: h.refused}, nil
}

func (h *fakeHooks) Exited(e Exit) (Next, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.exits = append(h.exits, e)
	return Next{Restart: len(h.exits) <= h.restarts, Delay: time.Millisecond}, nil
}

func (h *fakeHooks) Stopped() {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
}

// The loop copies each start's output to the log and to an attached client, restarts as the
// exit hook says, and tells the client the last exit code.
func TestRunRestartsAndLogs(t *testing.T) {
	dir := t.TempDir()
	h := &fakeHooks{log: filepath.Join(dir, "c.log"), restarts: 1, procs: make(chan *fakeProcess, 2)}
	sock := filepath.Join(dir, "a.sock")
	listening := make(chan struct{})
	type result struct {
		exit Exit
		err  error
	}
	done := make(chan result, 1)
	go func() {
		e, err := Run(context.Background(), Config{Hooks: h, Socket: sock, WaitAttach: true,
			Listening: func() { close(listening) }})
		done <- result{e, err}
	}()
	<-listening
	client, err := attach.Dial(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var out, errOut bytes.Buffer
	copied := make(chan int, 1)
	go func() {
		code, _, _ := client.Copy(&out, &errOut)
		copied <- code
	}()
	(<-h.procs).end(3)
	(<-h.procs).end(7)
	r := <-done
	if r.err != nil || r.exit.Code != 7 {
		t.Fatalf("Run = %+v, %v; want exit 7", r.exit, r.err)
	}
	if code := <-copied; code != 7 {
		t.Errorf("the client was told %d, want 7", code)
	}
	if len(h.starts) != 2 || h.starts[0] || !h.starts[1] {
		t.Errorf("starts (restart flags) %v, want [false true]", h.starts)
	}
	if len(h.exits) != 2 || h.exits[0].Code != 3 || h.exits[1].Code != 7 {
		t.Errorf("exits %+v, want codes 3 then 7", h.exits)
	}
	b, err := os.ReadFile(h.log)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"log":"out 1\n","stream":"stdout"`, `"log":"err 1\n","stream":"stderr"`, `"log":"out 2\n","stream":"stdout"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the log lacks %s:\n%s", want, b)
		}
	}
	if !strings.Contains(out.String(), "out 1\n") || !strings.Contains(errOut.String(), "err 1\n") {
		t.Errorf("the client got %q and %q", out.String(), errOut.String())
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the attach socket is still there: %v", err)
	}
}

// A stop that comes while the container starts is applied once PID 1 runs; a stop during
// the back-off ends the loop at once, and the hook records it.
func TestRunStops(t *testing.T) {
	dir := t.TempDir()
	h := &fakeHooks{log: filepath.Join(dir, "c.log"), restarts: 100, procs: make(chan *fakeProcess, 2)}
	sock := filepath.Join(dir, "a.sock")
	ready := make(chan error, 1)
	done := make(chan Exit, 1)
	go func() {
		e, _ := Run(context.Background(), Config{Hooks: h, Socket: sock, Ready: func(err error) { ready <- err }})
		done <- e
	}()
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	p := <-h.procs
	c, err := attach.Dial(sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Control(attach.Request{Op: "stop", Signal: syscall.SIGTERM, Timeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	e := <-done
	if e.Code != 128+int(syscall.SIGTERM) || p.code != e.Code {
		t.Errorf("exit %+v, want %d", e, 128+int(syscall.SIGTERM))
	}
	if !h.stopped || len(h.starts) != 1 {
		t.Errorf("stopped %v after %d starts; want the back-off ended by the stop, no restart", h.stopped, len(h.starts))
	}
}

// A monitor that cannot serve its socket fails the start, and releases what the engine
// prepared for it: the exit hook hears of a start that failed.
func TestRunListenFails(t *testing.T) {
	h := &fakeHooks{procs: make(chan *fakeProcess, 1)}
	var told error
	_, err := Run(context.Background(), Config{Hooks: h, Socket: filepath.Join(t.TempDir(), "no", "such", "dir", "a.sock"),
		Ready: func(err error) { told = err }})
	if err == nil || told == nil || !strings.Contains(err.Error(), "attach socket") {
		t.Fatalf("Run = %v, told %v; want the socket's failure", err, told)
	}
	if len(h.exits) != 1 || !h.exits[0].StartFailed || len(h.starts) != 0 {
		t.Errorf("exits %+v after %d starts; want one start failure and no start", h.exits, len(h.starts))
	}
}

// A container removed or stopped while it started has been killed: the caller of the start
// hears why, and the loop still waits for PID 1 and reports its exit.
func TestRunRefused(t *testing.T) {
	refused := errors.New("container c was stopped while it started")
	h := &fakeHooks{log: filepath.Join(t.TempDir(), "c.log"), refused: refused, procs: make(chan *fakeProcess, 1)}
	told := make(chan error, 1)
	done := make(chan Exit, 1)
	go func() {
		e, _ := Run(context.Background(), Config{Hooks: h, Socket: filepath.Join(t.TempDir(), "a.sock"),
			Ready: func(err error) { told <- err }})
		done <- e
	}()
	if err := <-told; err != refused {
		t.Errorf("the start's caller was told %v, want %v", err, refused)
	}
	(<-h.procs).end(137)
	if e := <-done; e.Code != 137 || len(h.exits) != 1 {
		t.Errorf("exit %+v after %d exit hooks, want 137 after one", e, len(h.exits))
	}
}
