package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/engine"
)

// run is one start of a container by this server. The server holds a
// connection to the container's monitor for it (the attach socket), which
// gives the API's attach sessions their streams and waiters the exit code,
// even when the container removes itself (AutoRemove).
type run struct {
	started chan struct{} // closed when this server started the container
	done    chan struct{} // closed when that run ended for good
	code    int

	mu       sync.Mutex
	sessions []*attachSession
	stdin    io.Writer // the monitor connection's input, nil until started
}

func newRun() *run { return &run{started: make(chan struct{}), done: make(chan struct{})} }

// ours says whether this server started the run.
func (rn *run) ours() bool {
	select {
	case <-rn.started:
		return true
	default:
		return false
	}
}

// attachSession is one API attach stream.
type attachSession struct {
	conn           net.Conn
	q              *queue    // the output, written to conn
	in             io.Reader // nil: the client sends no input
	detached       func()    // called once the input had the detach sequence
	stdout, stderr io.Writer
	ended          chan struct{}
	once           sync.Once
}

func (a *attachSession) end() {
	a.once.Do(func() {
		a.q.close()
		closeWrite(a.conn)
		a.conn.Close()
		close(a.ended)
	})
}

// watch returns the current or next run of container id.
func (s *Server) watch(id string) *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runs == nil {
		s.runs = map[string]*run{}
	}
	rn := s.runs[id]
	if rn == nil {
		rn = newRun()
		s.runs[id] = rn
	}
	return rn
}

// removed tells the waiters for a removal.
func (s *Server) removed(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.removals[id]; ok {
		close(ch)
		delete(s.removals, id)
	}
	delete(s.runs, id)
}

// awaitRemoved returns once container id is removed (by itself, AutoRemove,
// or through this server).
func (s *Server) awaitRemoved(ctx context.Context, id string) error {
	s.mu.Lock()
	if s.removals == nil {
		s.removals = map[string]chan struct{}{}
	}
	ch, ok := s.removals[id]
	if !ok {
		ch = make(chan struct{})
		s.removals[id] = ch
	}
	s.mu.Unlock()
	if _, err := s.Engine.Container(id); errors.Is(err, container.ErrNotFound) {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// start starts a container under its monitor, attached: the output goes to
// the attach sessions waiting for it, the exit code to the waiters.
func (s *Server) start(c *container.Container) error {
	rn := s.watch(c.ID)
	client, err := s.Engine.StartHeld(context.Background(), c.ID, s.GlobalArgs)
	if err != nil {
		s.startFailed(c, rn, err)
		return err
	}
	rn.mu.Lock()
	rn.stdin = client
	sessions := rn.sessions
	rn.mu.Unlock()
	close(rn.started)
	for _, a := range sessions {
		go feedInput(a, client)
	}
	stdout := fanout{rn: rn, stderr: false}
	stderr := fanout{rn: rn, stderr: true}
	go func() {
		code, exited, _ := client.Copy(stdout, stderr)
		client.Close()
		if !exited {
			// The monitor went away without a code (killed): the record has it.
			if ct, err := s.Engine.Container(c.ID); err == nil {
				code = ct.State.ExitCode
			}
		}
		rn.mu.Lock()
		rn.code = code
		sessions := rn.sessions
		rn.sessions = nil
		rn.mu.Unlock()
		for _, a := range sessions {
			go a.end() // a slow client holds up neither the waiters nor the others
		}
		s.mu.Lock()
		if s.runs[c.ID] == rn {
			delete(s.runs, c.ID)
		}
		s.mu.Unlock()
		close(rn.done)
	}()
	return nil
}

// startFailed ends what waits for a run that did not start: its attach
// sessions, and its waiters with the code of the failure. As `run` does, a
// container that asked for AutoRemove, or that GeeDocker itself failed to
// start, is removed.
func (s *Server) startFailed(c *container.Container, rn *run, err error) {
	code := 125
	var se *engine.StartError
	if errors.As(err, &se) {
		code = se.Code
	}
	if c.HostConfig.AutoRemove || code == 125 {
		if s.Engine.RemoveWithVolumes(c.ID, true, true) == nil {
			s.removed(c.ID)
		}
	}
	rn.mu.Lock()
	pending := rn.sessions
	rn.sessions = nil
	rn.code = code
	rn.mu.Unlock()
	for _, a := range pending {
		go a.end()
	}
	s.mu.Lock()
	if s.runs[c.ID] == rn {
		delete(s.runs, c.ID)
	}
	s.mu.Unlock()
	close(rn.started)
	close(rn.done)
}

// feedInput sends a session's input to the container; the end of it closes
// the container's stdin, the detach sequence ends the session.
func feedInput(a *attachSession, client interface {
	io.Writer
	CloseInput() error
}) {
	if a.in == nil {
		return
	}
	_, err := io.Copy(client, a.in)
	switch {
	case err == nil:
		client.CloseInput()
	case errors.Is(err, attach.ErrDetached):
		a.end()
		if a.detached != nil {
			a.detached()
		}
	}
}

// fanout writes one output stream of a run to its sessions. A session that
// cannot take it is ended; the container is never held up by a client.
type fanout struct {
	rn     *run
	stderr bool
}

func (f fanout) Write(p []byte) (int, error) {
	f.rn.mu.Lock()
	defer f.rn.mu.Unlock()
	kept := f.rn.sessions[:0]
	for _, a := range f.rn.sessions {
		w := a.stdout
		if f.stderr {
			w = a.stderr
		}
		if w != nil {
			if _, err := w.Write(p); err != nil {
				go a.end()
				continue
			}
		}
		kept = append(kept, a)
	}
	f.rn.sessions = kept
	return len(p), nil
}

// attachContainer is POST /containers/{id}/attach: a hijacked stream of the
// container's output (and input with stdin=1). On a created container it
// waits for the start; on one started by this server it joins its run; on
// one started elsewhere it connects to the container's monitor.
func (s *Server) attachContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if !boolParam(r, "stream") {
		writeError(w, badRequest(errors.New("only stream=1 is supported")))
		return
	}
	if c.State.Paused {
		writeError(w, conflict(fmt.Errorf("container %s is paused, unpause the container before attach.", r.PathValue("id"))))
		return
	}
	// As dockerd: the detach sequence (Ctrl-P Ctrl-Q unless detachKeys
	// says) ends a session with a terminal, and the container keeps running.
	keys := attach.DefaultDetachKeys
	if v := r.URL.Query().Get("detachKeys"); v != "" {
		var err error
		if keys, err = attach.ParseDetachKeys(v); err != nil {
			writeError(w, badRequest(fmt.Errorf("Invalid detach keys (%s) provided", v)))
			return
		}
	}
	conn, br, err := takeConn(w)
	if err != nil {
		writeError(w, err)
		return
	}
	// The session joins the run before the head goes out: a client may
	// start the container as soon as it has read the head, and the output
	// must find the session. What comes before the head is read waits.
	q, open := newGatedQueue(conn)
	a := &attachSession{conn: conn, q: q, ended: make(chan struct{})}
	a.stdout, a.stderr = outputs(a.q, c.Config.Tty, boolParam(r, "stdout"), boolParam(r, "stderr"))
	if boolParam(r, "stdin") && c.Config.OpenStdin {
		a.in = br
		if c.Config.Tty {
			a.in = attach.NewDetachReader(br, keys)
		}
	}
	rn := s.watch(c.ID)
	rn.mu.Lock()
	if !c.State.Running || rn.ours() {
		s.Engine.EmitContainer(c, "attach")
		rn.sessions = append(rn.sessions, a)
		started := rn.stdin
		rn.mu.Unlock()
		writeHead(conn, r, c.Config.Tty)
		open()
		if started != nil {
			go feedInput(a, started.(interface {
				io.Writer
				CloseInput() error
			}))
		}
		<-a.ended
		return
	}
	rn.mu.Unlock()
	writeHead(conn, r, c.Config.Tty)
	open()
	// Started elsewhere (the CLI, or an earlier server): its monitor serves us.
	client, err := s.Engine.Attach(c.ID)
	if err != nil {
		conn.Close()
		return
	}
	a.detached = func() { client.Close() }
	go feedInput(a, client)
	client.Copy(orDiscard(a.stdout), orDiscard(a.stderr))
	client.Close()
	a.end()
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// terminalSize reads the h (rows) and w (columns) of a resize request; a bad one is
// answered with 400 and ok false.
func terminalSize(w http.ResponseWriter, r *http.Request) (h, wd uint64, ok bool) {
	h, err1 := strconv.ParseUint(r.URL.Query().Get("h"), 10, 16)
	wd, err2 := strconv.ParseUint(r.URL.Query().Get("w"), 10, 16)
	if err1 != nil || err2 != nil {
		writeError(w, badRequest(errors.New("invalid h or w")))
		return 0, 0, false
	}
	return h, wd, true
}

// resizeContainer is POST /containers/{id}/resize?h=…&w=….
func (s *Server) resizeContainer(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	h, wd, ok := terminalSize(w, r)
	if !ok {
		return
	}
	if !c.State.Running {
		writeError(w, conflict(errors.New("container "+c.ID+" is not running")))
		return
	}
	client, err := s.Engine.Dial(c.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	defer client.Close()
	if err := client.Resize(uint16(h), uint16(wd)); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
