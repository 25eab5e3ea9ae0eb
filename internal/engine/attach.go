package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/creack/pty"
)

// Attaching: a monitor listens on a unix socket in the runtime state
// directory (<run dir>/<id>.sock). A client (`attach`, or `run -it`) gets the
// container's output and sends its input, resize requests and the end of
// its input, in frames of one type byte, a 4-byte big-endian length and the
// payload. When the container ends for good, the monitor sends its exit
// code and closes the connections.
const (
	frameStdout = 'o'
	frameStderr = 'e'
	frameStdin  = 'i'
	frameResize = 'r' // rows, cols as two uint16
	frameClose  = 'c' // the client's input ended
	frameExit   = 'x' // exit code as int32
)

// maxFrame bounds one frame's payload.
const maxFrame = 1 << 20

func writeFrame(w io.Writer, typ byte, payload []byte) error {
	hdr := make([]byte, 5, 5+len(payload))
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	_, err := w.Write(append(hdr, payload...))
	return err
}

func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, errors.New("attach: frame too large")
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return hdr[0], p, err
}

// AttachSocket is the path of a container's attach socket.
func (e *Engine) AttachSocket(id string) (string, error) {
	cs, err := e.Containers()
	if err != nil {
		return "", err
	}
	return filepath.Join(cs.RunDir(), id[:12]+".sock"), nil
}

// attachServer is the monitor's side: it fans the container's output out to
// every client and feeds their input to the container.
type attachServer struct {
	ln      net.Listener
	path    string
	mu      sync.Mutex
	clients map[net.Conn]bool
	first   chan struct{} // closed when the first client connects
	once    sync.Once

	inMu    sync.Mutex
	stdin   io.Writer // the container's stdin (pipe or terminal); nil: none
	console *os.File  // the terminal, for resizes
	closeIn func()
}

func listenAttach(path string) (*attachServer, error) {
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("attach socket: %w", err)
	}
	s := &attachServer{ln: ln, path: path, clients: map[net.Conn]bool{}, first: make(chan struct{})}
	go s.accept()
	return s, nil
}

func (s *attachServer) accept() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.clients[conn] = true
		s.mu.Unlock()
		s.once.Do(func() { close(s.first) })
		go s.serve(conn)
	}
}

// setIO points client input at the container's current stdin and terminal.
func (s *attachServer) setIO(stdin io.Writer, console *os.File, closeIn func()) {
	s.inMu.Lock()
	s.stdin, s.console, s.closeIn = stdin, console, closeIn
	s.inMu.Unlock()
}

func (s *attachServer) serve(conn net.Conn) {
	defer s.drop(conn)
	for {
		typ, p, err := readFrame(conn)
		if err != nil {
			return
		}
		s.inMu.Lock()
		switch typ {
		case frameStdin:
			if s.stdin != nil {
				s.stdin.Write(p)
			}
		case frameResize:
			if s.console != nil && len(p) == 4 {
				pty.Setsize(s.console, &pty.Winsize{Rows: binary.BigEndian.Uint16(p), Cols: binary.BigEndian.Uint16(p[2:])})
			}
		case frameClose:
			if s.closeIn != nil {
				s.closeIn()
			}
		}
		s.inMu.Unlock()
	}
}

func (s *attachServer) drop(conn net.Conn) {
	s.mu.Lock()
	delete(s.clients, conn)
	s.mu.Unlock()
	conn.Close()
}

// broadcast sends a frame to every client; a client that cannot keep up is
// dropped rather than allowed to block the container.
func (s *attachServer) broadcast(typ byte, p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		if err := writeFrame(c, typ, p); err != nil {
			delete(s.clients, c)
			c.Close()
		}
	}
}

// writer returns the output stream of one type for the clients.
func (s *attachServer) writer(typ byte) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		s.broadcast(typ, p)
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// finish tells the clients the exit code and closes everything.
func (s *attachServer) finish(code int) {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], uint32(int32(code)))
	s.broadcast(frameExit, p[:])
	s.close()
}

func (s *attachServer) close() {
	s.ln.Close()
	os.Remove(s.path)
	s.mu.Lock()
	for c := range s.clients {
		c.Close()
	}
	s.clients = map[net.Conn]bool{}
	s.mu.Unlock()
}

// AttachClient is a connection to a container's monitor.
type AttachClient struct {
	conn net.Conn
	mu   sync.Mutex
}

// Attach connects to a running container's monitor.
func (e *Engine) Attach(id string) (*AttachClient, error) {
	path, err := e.AttachSocket(id)
	if err != nil {
		return nil, err
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("cannot attach to container %s: %w", id[:12], ErrNotRunning)
	}
	return &AttachClient{conn: conn}, nil
}

func (a *AttachClient) send(typ byte, p []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return writeFrame(a.conn, typ, p)
}

// Write sends input to the container.
func (a *AttachClient) Write(p []byte) (int, error) {
	if err := a.send(frameStdin, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseInput tells the container its input ended.
func (a *AttachClient) CloseInput() error { return a.send(frameClose, nil) }

// Resize sets the container's terminal size.
func (a *AttachClient) Resize(rows, cols uint16) error {
	var p [4]byte
	binary.BigEndian.PutUint16(p[:], rows)
	binary.BigEndian.PutUint16(p[2:], cols)
	return a.send(frameResize, p[:])
}

// Copy writes the container's output until it ends; exited is false when
// the connection closed without an exit code (detached, or monitor gone).
func (a *AttachClient) Copy(stdout, stderr io.Writer) (code int, exited bool, err error) {
	for {
		typ, p, err := readFrame(a.conn)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, false, nil
			}
			return 0, false, err
		}
		switch typ {
		case frameStdout:
			stdout.Write(p)
		case frameStderr:
			stderr.Write(p)
		case frameExit:
			if len(p) == 4 {
				return int(int32(binary.BigEndian.Uint32(p))), true, nil
			}
		}
	}
}

// Close ends the connection (detaching).
func (a *AttachClient) Close() error { return a.conn.Close() }
