// Package holder is the loop that holds a running container, as conmon holds one for
// podman: it gives PID 1 its output pipes, copies what it writes to the log (with rotation)
// and to attached clients, serves the attach socket (input, resizes, and the control
// requests stop, kill and cancel), watches the cgroup for OOM kills as they happen, keeps
// the health-check schedule and the network's resolver alive, waits for the exit and
// restarts the container when the engine says so.
//
// What the loop does not hold — the spec, the records, the cgroup, the network, the
// restart policy, the events — is reached through Hooks. In the foreground `run` they are
// function calls (package monitor, in the geedocker process). The detached monitor, the
// small program geedocker-monitor, lives as long as its container, so its hooks are
// short-lived commands (ExecHooks, in the manner of conmon's --exit-command): it links
// this package alone, with no JSON, no network code and no cgo. A depcheck test holds it
// there.
//
// One start, in order:
//
//	output pipes made
//	Hooks.Start: the container's PID 1 runs (record, run state and start event written)
//	output copied to the log and clients; OOM, health and resolver watched; control served
//	PID 1 reaped; output drained; log closed
//	Hooks.Exited (die event; cgroup and network released; record says exited or restarting)
//	restart: back-off (cut short by stop or cancel), then again from the top
package holder

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/logs/logfile"
	"github.com/geedocker/geedocker/internal/oom"
)

// Hidden commands of geedocker-init that the detached monitor runs as its hooks, and the
// geedocker one that runs a probe.
const (
	StartCommand       = "container-start"   // ID [--prepared] [--restart]: fds 3 report, 4 stdout, 5 stderr, 6 stdin
	OOMCommand         = "container-oom"     // ID
	ExitedCommand      = "container-exited"  // ID --exit-code N [--oom] [--oom-reported] [EXIT-ARGS]: prints Next
	StoppedCommand     = "container-stopped" // ID
	DNSCommand         = "container-dns"     // DIR: prints the resolver's pid, 0 for none
	HealthcheckCommand = "container-healthcheck"
)

// Hooks are the engine's part of the container's life.
type Hooks interface {
	// Start starts the container once, with sio as its stdio (PID 1 is given its own
	// terminal instead when the container has one): prepared by the engine first unless it
	// was already, the record saying running and naming PID 1 when it returns. restart: a
	// restart after a back-off; ErrStopped when the container was stopped meanwhile. A
	// failure is a *StartError, and the hook has recorded it and released what it took.
	Start(ctx context.Context, restart bool, sio StartIO) (*Started, error)
	// OOM records that the kernel OOM-killed a process of the container (once a start).
	OOM()
	// Exited releases the cgroup and the network, records the exit (or removes the
	// container) and says whether to restart.
	Exited(e Exit) (Next, error)
	// Stopped records that a stop ended a restart back-off: the container has exited.
	Stopped()
	// Probe runs the container's health check once, records the result and returns the
	// health status after it. Cancelling ctx stops the probe.
	Probe(ctx context.Context) (string, error)
	// EnsureDNS starts the resolver of the records directory dir unless it runs, and returns
	// its pid; 0 when no resolver is needed.
	EnsureDNS(dir string) (int, error)
}

// StartIO are the container's ends of its stdio pipes; Stdin nil for none.
type StartIO struct {
	Stdin, Stdout, Stderr *os.File
}

// Started is what one start gave the loop.
type Started struct {
	Process Process
	// Console is the pty master of a container with a terminal; nil for pipes.
	Console *os.File
	LogPath string
	Log     logfile.Options
	OOM     oom.Cgroup
	Health  *Health // nil: no health check
	// DNSDir, when not empty, is the records directory of the resolver of user networks,
	// which the loop keeps running while the container runs.
	DNSDir string
	// Refused, when not nil, is what the caller of the start is told although PID 1 ran: it
	// was stopped or removed while it started, and has been killed.
	Refused error
}

// Process is a running PID 1.
type Process interface {
	Signal(os.Signal) error
	// Wait reaps it and returns its exit code as Docker gives it (128+n for signal n).
	Wait() (int, error)
}

// Exit is how one run of the container ended.
type Exit struct {
	Code      int
	OOMKilled bool
	// StartFailed: the container's command never ran; the engine releases what Prepare
	// took and leaves the record to the monitor.
	StartFailed bool
	// OOMReported: Hooks.OOM was called for this run already.
	OOMReported bool
}

// Next is the engine's answer to an exit.
type Next struct {
	Restart bool
	Delay   time.Duration // the back-off before the restart
}

// String is how a hook command prints n.
func (n Next) String() string {
	if n.Restart {
		return "restart " + strconv.FormatInt(n.Delay.Milliseconds(), 10)
	}
	return "exit"
}

// ParseNext reads what Next.String wrote.
func ParseNext(s string) (Next, error) {
	s = strings.TrimSpace(s)
	if s == "exit" {
		return Next{}, nil
	}
	if ms, ok := strings.CutPrefix(s, "restart "); ok {
		n, err := strconv.ParseInt(ms, 10, 64)
		if err == nil && n >= 0 {
			return Next{Restart: true, Delay: time.Duration(n) * time.Millisecond}, nil
		}
	}
	return Next{}, errors.New("the exit hook said " + strconv.Quote(s))
}

// StartError is a failure to start the container's command; Code is the exit code Docker
// gives it (125, 126 or 127).
type StartError struct {
	Code int
	Err  error
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// ErrStopped is Hooks.Start's answer when the container was stopped before its restart.
var ErrStopped = errors.New("stopped before the restart")

// The detached monitor reports the first start to the command that started it on a pipe
// (its fd 3): "listening" once its socket is up when asked to wait for a client, then "ok",
// or "error CODE MESSAGE".

// ReadyMessage is what the monitor writes for the outcome err of the first start.
func ReadyMessage(err error) string {
	if err == nil {
		return "ok"
	}
	return "error " + strconv.Itoa(startCode(err)) + " " + err.Error()
}

// ParseReady reads what ReadyMessage wrote; an empty or unknown message means the monitor
// died before the start.
func ParseReady(msg string) error {
	switch {
	case msg == "ok":
		return nil
	case strings.HasPrefix(msg, "error "):
		codeStr, text, _ := strings.Cut(strings.TrimPrefix(msg, "error "), " ")
		code, err := strconv.Atoi(codeStr)
		if err != nil {
			code = 125
		}
		return &StartError{Code: code, Err: errors.New(text)}
	}
	return &StartError{Code: 125, Err: ErrMonitorDied}
}

// ErrMonitorDied is the start's failure when the monitor said nothing: no one holds what was
// prepared for the start, and whoever started the monitor releases it.
var ErrMonitorDied = errors.New("the container's monitor exited before the container started")

// startCode is the exit code Docker gives the start failure err.
func startCode(err error) int {
	var se *StartError
	if errors.As(err, &se) {
		return se.Code
	}
	return 125
}

// Config is what one loop holds.
type Config struct {
	Hooks Hooks
	// Stdin, Stdout, Stderr: the caller's streams (the foreground run), copied through
	// pipes; nil for none. OpenStdin keeps a stdin open for attached clients instead.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	OpenStdin      bool
	// Socket is the attach socket's path.
	Socket string
	// WaitAttach: the first start waits until a client has attached; Listening is told
	// when the socket is up.
	WaitAttach bool
	Listening  func()
	// Ready is told once whether the first start worked.
	Ready func(error)
	// Signals are forwarded to PID 1.
	Signals <-chan os.Signal
}

// holder is the state of one Run.
type holder struct {
	cfg Config
	srv *attach.Server

	mu      sync.Mutex
	proc    Process         // the running PID 1; nil between runs
	stopped bool            // a stop was asked for: the back-off ends, no restart
	pending *attach.Request // a stop that came while the container started
	backoff chan struct{}   // during a back-off: closed to end it
}

// Run holds the container until it has ended for good and returns its last exit. A failure
// of the first start is returned (a *StartError, Config.Ready told as well); a later one
// ends the loop with its exit code.
func Run(ctx context.Context, cfg Config) (Exit, error) {
	h := &holder{cfg: cfg}
	ready := cfg.Ready
	tell := func(err error) {
		if ready != nil {
			ready(err)
			ready = nil
		}
	}
	// Before the first start, a failure is the loop's to release: the engine prepared the
	// start (cgroup, network) and left it to the monitor.
	failed := func(err error) (Exit, error) {
		cfg.Hooks.Exited(Exit{Code: 125, StartFailed: true})
		tell(err)
		return Exit{Code: 125}, err
	}
	srv, err := attach.Listen(cfg.Socket, h.control)
	if err != nil {
		return failed(err)
	}
	h.srv = srv
	defer srv.Close()
	if cfg.Listening != nil {
		cfg.Listening()
	}
	if cfg.WaitAttach {
		select {
		case <-srv.First():
		case <-ctx.Done():
			return failed(ctx.Err())
		}
	}
	if cfg.Signals != nil {
		go func() {
			for sig := range cfg.Signals {
				h.mu.Lock()
				if h.proc != nil {
					h.proc.Signal(sig)
				}
				h.mu.Unlock()
			}
		}()
	}
	var last Exit
	for restart := false; ; restart = true {
		exit, err := h.runOnce(ctx, restart, tell)
		if errors.Is(err, ErrStopped) {
			srv.Finish(last.Code)
			return last, nil
		}
		if err != nil {
			srv.Finish(exit.Code)
			return exit, err
		}
		last = exit
		next, err := cfg.Hooks.Exited(exit)
		if err != nil || !next.Restart {
			srv.Finish(exit.Code)
			return exit, err
		}
		if !h.waitBackoff(ctx, next.Delay) {
			cfg.Hooks.Stopped()
			srv.Finish(exit.Code)
			return exit, nil
		}
	}
}

// copyBuffer is the size of each output copy's buffer.
const copyBuffer = 16 << 10

// drainTimeout bounds how long the output is read after PID 1 has exited: a process that
// outlives it (no PID namespace) may hold the pipes open until the cgroup is emptied.
const drainTimeout = 2 * time.Second

// runOnce starts the container and waits for its PID 1.
func (h *holder) runOnce(ctx context.Context, restart bool, tell func(error)) (Exit, error) {
	var pipes []*os.File // every end, closed on return
	defer func() {
		for _, f := range pipes {
			f.Close()
		}
	}()
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err == nil {
			pipes = append(pipes, r, w)
		}
		return r, w, err
	}
	var sio StartIO
	var outR, errR, stdinW *os.File
	var err error
	if outR, sio.Stdout, err = pipe(); err == nil {
		errR, sio.Stderr, err = pipe()
	}
	if err == nil && (h.cfg.Stdin != nil || h.cfg.OpenStdin) {
		sio.Stdin, stdinW, err = pipe()
	}
	if err != nil {
		// Nothing started: what the engine prepared for this start is released.
		h.cfg.Hooks.Exited(Exit{Code: 125, StartFailed: true})
		tell(err)
		return Exit{Code: 125}, err
	}
	st, err := h.cfg.Hooks.Start(ctx, restart, sio)
	// The container holds its ends now: with ours closed, the reads end when its do.
	for _, f := range []*os.File{sio.Stdin, sio.Stdout, sio.Stderr} {
		if f != nil {
			f.Close()
		}
	}
	if err != nil {
		if !errors.Is(err, ErrStopped) {
			tell(err)
		}
		return Exit{Code: startCode(err)}, err
	}
	lw, err := logfile.NewWriter(st.LogPath, st.Log)
	if err != nil {
		// The start opened it: this is a disk failing now. The output still reaches clients.
		lw, _ = logfile.NewWriter(st.LogPath, logfile.Options{Driver: logfile.None})
	}
	outs := []io.Writer{lw.Stream("stdout"), h.srv.Writer(attach.FrameStdout)}
	errs := []io.Writer{lw.Stream("stderr"), h.srv.Writer(attach.FrameStderr)}
	if h.cfg.Stdout != nil {
		outs = append([]io.Writer{h.cfg.Stdout}, outs...)
	}
	if h.cfg.Stderr != nil {
		errs = append([]io.Writer{h.cfg.Stderr}, errs...)
	}
	outDst, errDst := io.MultiWriter(outs...), io.MultiWriter(errs...)
	var copies sync.WaitGroup
	copyOut := func(dst io.Writer, src *os.File) {
		copies.Add(1)
		go func() {
			defer copies.Done()
			// A terminal's read ends with EIO when the container's side closes. The buffer
			// is the size of the log's longest entry: the copy holds it as long as it runs.
			io.CopyBuffer(dst, struct{ io.Reader }{src}, make([]byte, copyBuffer))
		}()
	}
	if st.Console != nil {
		pipes = append(pipes, st.Console)
		copyOut(outDst, st.Console)
		h.srv.SetIO(st.Console, st.Console, nil)
	} else if stdinW != nil {
		w := stdinW
		if h.cfg.Stdin != nil {
			go func() {
				io.Copy(w, h.cfg.Stdin)
				w.Close()
			}()
		} else {
			h.srv.SetIO(w, nil, func() { w.Close() })
		}
	}
	copyOut(outDst, outR)
	copyOut(errDst, errR)
	h.mu.Lock()
	h.proc = st.Process
	pending := h.pending
	h.pending = nil
	h.mu.Unlock()
	if pending != nil {
		h.control(*pending) // a stop that came during the start
	}
	tell(st.Refused)
	startedAt := time.Now()
	stopHealth := h.watchHealth(st.Health, startedAt)
	stopDNS := h.watchDNS(st.DNSDir)
	var oomReported atomic.Bool
	stopOOM := oom.Watch(st.OOM, func() {
		if !oomReported.Swap(true) {
			h.cfg.Hooks.OOM()
		}
	})
	code, werr := st.Process.Wait()
	if werr != nil {
		code = 255
	}
	stopHealth()
	h.mu.Lock()
	h.proc = nil
	h.mu.Unlock()
	drained := make(chan struct{})
	go func() {
		copies.Wait()
		close(drained)
	}()
	t := time.NewTimer(drainTimeout)
	select {
	case <-drained:
	case <-t.C:
		outR.Close()
		errR.Close()
		if st.Console != nil {
			st.Console.Close()
		}
		<-drained
	}
	t.Stop()
	h.srv.SetIO(nil, nil, nil)
	stopOOM()
	stopDNS()
	lw.Close()
	killed, _ := oom.Killed(st.OOM)
	return Exit{Code: code, OOMKilled: killed || oomReported.Load(), OOMReported: oomReported.Load()}, nil
}

// waitBackoff waits out the back-off before a restart and tells whether to restart: not when
// a stop came meanwhile.
func (h *holder) waitBackoff(ctx context.Context, d time.Duration) bool {
	h.mu.Lock()
	cancel := make(chan struct{})
	if h.stopped {
		close(cancel)
	}
	h.backoff = cancel
	h.mu.Unlock()
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-cancel:
	case <-ctx.Done():
	}
	t.Stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.backoff = nil
	return !h.stopped && ctx.Err() == nil
}

// control serves the control requests of the attach socket.
func (h *holder) control(r attach.Request) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch r.Op {
	case "cancel", "stop":
		if r.Op == "stop" {
			h.stopped = true
		}
		if h.backoff != nil {
			close(h.backoff) // ends the back-off at once
			h.backoff = nil
			return nil
		}
		if r.Op == "cancel" {
			return nil
		}
		if h.proc == nil {
			h.pending = &r // starting: applied once PID 1 runs
			return nil
		}
		p := h.proc
		if err := p.Signal(r.Signal); err != nil {
			return err
		}
		go func() {
			done := make(chan struct{})
			go func() { p.Wait(); close(done) }()
			t := time.NewTimer(r.Timeout)
			defer t.Stop()
			select {
			case <-t.C:
				p.Signal(syscall.SIGKILL)
			case <-done:
			}
		}()
		return nil
	case "kill":
		if h.proc == nil {
			return errors.New("the container is not running")
		}
		return h.proc.Signal(r.Signal)
	}
	return errors.New("unknown control request " + strconv.Quote(r.Op))
}
