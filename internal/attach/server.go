package attach

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Request is a control request to a container's monitor.
type Request struct {
	// Op is "stop" (Signal, then SIGKILL after Timeout; during a restart back-off: end the
	// back-off), "kill" (Signal) or "cancel" (end the restart back-off).
	Op      string
	Signal  syscall.Signal
	Timeout time.Duration
}

func (r Request) encode() []byte {
	return []byte(r.Op + " " + strconv.Itoa(int(r.Signal)) + " " + strconv.FormatInt(r.Timeout.Milliseconds(), 10))
}

func parseRequest(p []byte) (Request, error) {
	f := strings.Fields(string(p))
	if len(f) != 3 {
		return Request{}, errors.New("bad control request " + strconv.Quote(string(p)))
	}
	sig, err1 := strconv.Atoi(f[1])
	ms, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return Request{}, errors.New("bad control request " + strconv.Quote(string(p)))
	}
	return Request{Op: f[0], Signal: syscall.Signal(sig), Timeout: time.Duration(ms) * time.Millisecond}, nil
}

// Server is the monitor's side: it fans the container's output out to every client and feeds
// their input to the container.
type Server struct {
	ln      *os.File
	path    string
	control func(Request) error

	mu      sync.Mutex
	clients map[*client]struct{}
	first   chan struct{} // closed when the first client connects
	once    sync.Once
	wg      sync.WaitGroup // the clients' writers

	inMu    sync.Mutex
	stdin   io.Writer // the container's stdin (pipe or terminal); nil: none
	console *os.File  // the terminal, for resizes
	closeIn func()
}

// Listen serves the socket at path (an old socket there is replaced). control answers the
// control requests; nil refuses them.
func Listen(path string, control func(Request) error) (*Server, error) {
	os.Remove(path)
	ln, err := listen(path)
	if err != nil {
		return nil, errors.New("attach socket: " + err.Error())
	}
	s := &Server{ln: ln, path: path, control: control, clients: map[*client]struct{}{}, first: make(chan struct{})}
	go s.accept()
	return s, nil
}

// First is closed when the first client has connected.
func (s *Server) First() <-chan struct{} { return s.first }

func (s *Server) accept() {
	for {
		conn, err := accept(s.ln)
		if err != nil {
			return
		}
		c := &client{conn: conn}
		c.cond = sync.NewCond(&c.mu)
		s.mu.Lock()
		s.clients[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			c.writeLoop()
		}()
		s.once.Do(func() { close(s.first) })
		go s.serve(c)
	}
}

// SetIO points client input at the container's current stdin and terminal; closeIn is run
// when a client says its input ended.
func (s *Server) SetIO(stdin io.Writer, console *os.File, closeIn func()) {
	s.inMu.Lock()
	s.stdin, s.console, s.closeIn = stdin, console, closeIn
	s.inMu.Unlock()
}

func (s *Server) serve(c *client) {
	defer s.drop(c)
	for {
		typ, p, err := readFrame(c.conn)
		if err != nil {
			return
		}
		if typ == FrameControl {
			reply := ""
			req, err := parseRequest(p)
			if err == nil && s.control == nil {
				err = errors.New("control requests are not served here")
			}
			if err == nil {
				err = s.control(req)
			}
			if err != nil {
				reply = err.Error()
			}
			c.enqueue(frame(FrameReply, []byte(reply)))
			continue
		}
		s.inMu.Lock()
		switch typ {
		case FrameStdin:
			if s.stdin != nil {
				s.stdin.Write(p)
			}
		case FrameResize:
			if s.console != nil && len(p) == 4 {
				setSize(s.console, binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:]))
			}
		case FrameClose:
			if s.closeIn != nil {
				s.closeIn()
			}
		}
		s.inMu.Unlock()
	}
}

func (s *Server) drop(c *client) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
	c.close()
}

// Broadcast queues a frame for every client; a client whose queue would grow past
// MaxPending is dropped. It never waits for a client.
func (s *Server) Broadcast(typ byte, p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.clients) == 0 {
		return // nobody attached: no frame to make
	}
	f := frame(typ, p)
	for c := range s.clients {
		if !c.enqueue(f) {
			delete(s.clients, c)
			c.close()
		}
	}
}

// Writer returns the output stream of one type (FrameStdout, FrameStderr) for the clients.
func (s *Server) Writer(typ byte) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		s.Broadcast(typ, p)
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// drainTimeout bounds how long Finish waits for clients to read what is queued for them.
const drainTimeout = 10 * time.Second

// Finish tells the clients the exit code, lets them read what is queued for them (for at most
// drainTimeout) and closes everything.
func (s *Server) Finish(code int) {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], uint32(int32(code)))
	s.Broadcast(FrameExit, p[:])
	s.ln.Close()
	os.Remove(s.path)
	s.mu.Lock()
	for c := range s.clients {
		c.conn.SetWriteDeadline(time.Now().Add(drainTimeout))
		c.closeWhenDrained()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.Close()
}

// Close closes the socket and every connection at once.
func (s *Server) Close() {
	s.ln.Close()
	os.Remove(s.path)
	s.mu.Lock()
	for c := range s.clients {
		c.close()
	}
	s.clients = map[*client]struct{}{}
	s.mu.Unlock()
}

// client is one connection and the output queued for it.
type client struct {
	conn    *os.File
	mu      sync.Mutex
	cond    *sync.Cond
	queue   [][]byte
	pending int
	closed  bool // dropped: the writer ends at once
	drained bool // finishing: the writer ends once the queue is empty
}

// enqueue adds a frame to the queue; false when it would exceed MaxPending.
func (c *client) enqueue(f []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return true
	}
	if c.pending+len(f) > MaxPending {
		return false
	}
	c.queue = append(c.queue, f)
	c.pending += len(f)
	c.cond.Signal()
	return true
}

func (c *client) close() {
	c.mu.Lock()
	c.closed = true
	c.queue, c.pending = nil, 0
	c.cond.Signal()
	c.mu.Unlock()
	c.conn.Close()
}

func (c *client) closeWhenDrained() {
	c.mu.Lock()
	c.drained = true
	c.cond.Signal()
	c.mu.Unlock()
}

func (c *client) writeLoop() {
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed && !c.drained {
			c.cond.Wait()
		}
		if c.closed || len(c.queue) == 0 {
			c.mu.Unlock()
			c.conn.Close()
			return
		}
		batch := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, f := range batch {
			if _, err := c.conn.Write(f); err != nil {
				c.close()
				return
			}
			c.mu.Lock()
			c.pending -= len(f)
			c.mu.Unlock()
		}
	}
}
