package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/creack/pty"
	ctypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/runtime"
)

type runtimeExit = runtime.ExitStatus

// execSession is an exec made by POST /containers/{id}/exec and run by
// POST /exec/{id}/start. Sessions live in this server's memory only: a
// restarted server knows none (Docker's daemon forgets them at restart too).
type execSession struct {
	ID          string
	ContainerID string
	Config      ctypes.ExecCreateRequest

	mu       sync.Mutex
	started  bool
	running  bool
	exitCode *int
	pid      int
	console  *os.File // the master of the exec's terminal while it runs (tty)
	keys     []byte   // the detach sequence of a session with a terminal
}

func (s *Server) execRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /containers/{id}/exec", s.createExec)
	mux.HandleFunc("POST /exec/{id}/start", s.startExec)
	mux.HandleFunc("GET /exec/{id}/json", s.inspectExec)
	mux.HandleFunc("POST /exec/{id}/resize", s.resizeExec)
}

func (s *Server) createExec(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	var req ctypes.ExecCreateRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if len(req.Cmd) == 0 {
		writeError(w, badRequest(errors.New("no exec command specified")))
		return
	}
	if !c.State.Running {
		writeError(w, conflict(fmt.Errorf("container %s is not running", c.ID)))
		return
	}
	if c.State.Paused {
		writeError(w, conflict(fmt.Errorf("Container %s is paused, unpause the container before exec", c.ID)))
		return
	}
	keys := attach.DefaultDetachKeys
	if req.DetachKeys != "" {
		var err error
		if keys, err = attach.ParseDetachKeys(req.DetachKeys); err != nil {
			writeError(w, badRequest(fmt.Errorf("Invalid escape keys (%s) provided", req.DetachKeys)))
			return
		}
	}
	ex := &execSession{ID: engine.NewExecID(), ContainerID: c.ID, Config: req, keys: keys}
	s.Engine.ExecCreated(c, ex.ID, req.Cmd)
	s.mu.Lock()
	s.execs[ex.ID] = ex
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, ctypes.ExecCreateResponse{ID: ex.ID})
}

func (s *Server) execByID(w http.ResponseWriter, r *http.Request) (*execSession, bool) {
	s.mu.Lock()
	ex := s.execs[r.PathValue("id")]
	s.mu.Unlock()
	if ex == nil {
		writeError(w, notFound(fmt.Errorf("No such exec instance: %s", r.PathValue("id"))))
		return nil, false
	}
	return ex, true
}

func (s *Server) inspectExec(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.execByID(w, r)
	if !ok {
		return
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	cfg := ex.Config
	out := ctypes.ExecInspectResponse{
		ID: ex.ID, ContainerID: ex.ContainerID, Running: ex.running, ExitCode: ex.exitCode, Pid: ex.pid,
		OpenStdin: cfg.AttachStdin, OpenStdout: cfg.AttachStdout, OpenStderr: cfg.AttachStderr,
		ProcessConfig: &ctypes.ExecProcessConfig{Tty: cfg.Tty, Entrypoint: cfg.Cmd[0], Arguments: cfg.Cmd[1:],
			Privileged: &cfg.Privileged, User: cfg.User},
	}
	writeJSON(w, http.StatusOK, out)
}

// startExec is POST /exec/{id}/start: hijacked unless Detach.
func (s *Server) startExec(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.execByID(w, r)
	if !ok {
		return
	}
	var req ctypes.ExecStartRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	ex.mu.Lock()
	if ex.started {
		ex.mu.Unlock()
		writeError(w, conflict(fmt.Errorf("exec %s has already been started", ex.ID)))
		return
	}
	ex.started = true
	ex.mu.Unlock()
	cfg := ex.Config
	o := engine.ExecOptions{Cmd: cfg.Cmd, Env: cfg.Env, WorkingDir: cfg.WorkingDir, User: cfg.User,
		Tty: cfg.Tty, Privileged: cfg.Privileged, ID: ex.ID, Created: true}
	if cfg.Tty && cfg.ConsoleSize != nil {
		o.ConsoleSize = consoleBox(*cfg.ConsoleSize)
	}
	if cfg.Tty && req.ConsoleSize != nil {
		o.ConsoleSize = consoleBox(*req.ConsoleSize)
	}
	if req.Detach {
		proc, err := s.Engine.Exec(context.Background(), ex.ContainerID, o)
		if err != nil {
			writeError(w, execError(err))
			return
		}
		if proc.Console != nil {
			go io.Copy(io.Discard, proc.Console)
		}
		s.track(ex, proc.Pid, proc.Wait)
		w.WriteHeader(http.StatusOK)
		return
	}
	// Errors of the start go out before the stream: run first, then hijack.
	pr, pw := io.Pipe()
	var stdoutBuf, stderrBuf lateWriter
	if !cfg.Tty {
		o.Stdout, o.Stderr = &stdoutBuf, &stderrBuf
		if cfg.AttachStdin {
			o.Stdin = pr
		}
	}
	proc, err := s.Engine.Exec(context.Background(), ex.ContainerID, o)
	if err != nil {
		pw.Close()
		writeError(w, execError(err))
		return
	}
	if proc.Console != nil {
		// Resizable from now on (POST /exec/{id}/resize), until the process ends.
		ex.mu.Lock()
		ex.console = proc.Console
		ex.mu.Unlock()
	}
	conn, br, err := hijack(w, r, cfg.Tty)
	if err != nil {
		proc.Signal(syscall.SIGKILL)
		proc.Wait()
		ex.mu.Lock()
		ex.console = nil
		ex.mu.Unlock()
		if proc.Console != nil {
			proc.Console.Close()
		}
		return
	}
	defer conn.Close()
	stdout, stderr := outputs(conn, cfg.Tty, cfg.AttachStdout, cfg.AttachStderr)
	var copied sync.WaitGroup
	detached := make(chan struct{})
	if proc.Console != nil {
		// As dockerd: the detach sequence ends a session with a terminal;
		// the process runs on, its output drained to nowhere.
		out := &detachable{w: orDiscard(stdout)}
		if cfg.AttachStdin {
			go func() {
				if _, err := io.Copy(proc.Console, attach.NewDetachReader(br, ex.keys)); errors.Is(err, attach.ErrDetached) {
					out.off.Store(true)
					close(detached)
				}
			}()
		}
		copied.Add(1)
		go func() {
			defer copied.Done()
			io.Copy(out, proc.Console) // ends with EIO when the process is gone
		}()
	} else {
		stdoutBuf.set(orDiscard(stdout))
		stderrBuf.set(orDiscard(stderr))
		if cfg.AttachStdin {
			go func() { io.Copy(pw, br); pw.Close() }()
		}
	}
	s.track(ex, proc.Pid, func() (st runtimeExit, err error) {
		st, err = proc.Wait()
		copied.Wait()
		return st, err
	})
	ended := make(chan struct{})
	go func() {
		s.awaitExec(ex)
		if proc.Console != nil {
			ex.mu.Lock()
			ex.console = nil
			ex.mu.Unlock()
			proc.Console.Close()
		}
		close(ended)
	}()
	select {
	case <-ended:
		closeWrite(conn)
	case <-detached:
	}
}

// detachable is an exec's terminal output: the session's, then nowhere
// once the session detached (off), so that the process is never held up.
type detachable struct {
	w   io.Writer
	off atomic.Bool
}

func (d *detachable) Write(p []byte) (int, error) {
	if d.off.Load() {
		return len(p), nil
	}
	n, err := d.w.Write(p)
	if err != nil && d.off.Load() {
		return len(p), nil
	}
	return n, err
}

// lateWriter holds what is written before its destination is known.
type lateWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func (l *lateWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		l.buf = append(l.buf, p...)
		return len(p), nil
	}
	return l.w.Write(p)
}

func (l *lateWriter) set(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w = w
	if len(l.buf) > 0 {
		w.Write(l.buf)
		l.buf = nil
	}
}

// track records an exec's run: running until wait returns, then its code.
func (s *Server) track(ex *execSession, pid int, wait func() (runtimeExit, error)) {
	ex.mu.Lock()
	ex.running, ex.pid = true, pid
	ex.mu.Unlock()
	done := make(chan struct{})
	s.mu.Lock()
	s.execDone[ex.ID] = done
	s.mu.Unlock()
	go func() {
		st, err := wait()
		code := st.Code
		if err != nil {
			code = 126
		}
		ex.mu.Lock()
		ex.running, ex.exitCode = false, &code
		ex.mu.Unlock()
		s.Engine.ExecDied(ex.ContainerID, ex.ID, code)
		close(done)
	}()
}

func (s *Server) awaitExec(ex *execSession) {
	s.mu.Lock()
	done := s.execDone[ex.ID]
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

// execError: a command that cannot be run is the request's fault.
func execError(err error) error {
	var se *engine.StartError
	if errors.As(err, &se) && se.Code != 125 {
		return badRequest(err)
	}
	return err
}

// resizeExec is POST /exec/{id}/resize?h=ROWS&w=COLS: the size of the
// terminal of an exec that runs with one. An exec without a terminal has no
// size to set, as with Docker's: nothing happens.
func (s *Server) resizeExec(w http.ResponseWriter, r *http.Request) {
	ex, ok := s.execByID(w, r)
	if !ok {
		return
	}
	h, wd, ok := terminalSize(w, r)
	if !ok {
		return
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	switch {
	case !ex.started:
		writeError(w, conflict(fmt.Errorf("exec %s is not started", ex.ID)))
		return
	case ex.console != nil:
		if err := pty.Setsize(ex.console, &pty.Winsize{Rows: uint16(h), Cols: uint16(wd)}); err != nil {
			writeError(w, err)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// consoleBox is a [height, width] as a terminal size.
func consoleBox(hw [2]uint) *specs.Box {
	if hw[0] == 0 || hw[1] == 0 {
		return nil
	}
	return &specs.Box{Height: hw[0], Width: hw[1]}
}
