package api

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/moby/moby/api/types"
)

// Stream ids of Docker's multiplexed stream: each frame is one byte of
// stream, three zero bytes, a 4-byte big-endian length and the payload.
const (
	streamStdout = 1
	streamStderr = 2
)

// muxWriter writes frames of one stream to a shared connection.
type muxWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	stream byte
}

func (m muxWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	hdr := [8]byte{m.stream}
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(p)))
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.w.Write(hdr[:]); err != nil {
		return 0, err
	}
	return m.w.Write(p)
}

// rawWriter writes to a shared connection as it is (a terminal's stream).
type rawWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (r rawWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w.Write(p)
}

// outputs are the stdout and stderr writers of a connection: multiplexed
// frames, or the raw stream for a terminal. A nil writer is a stream the
// client did not ask for.
func outputs(conn io.Writer, tty, stdout, stderr bool) (io.Writer, io.Writer) {
	mu := &sync.Mutex{}
	var o, e io.Writer
	if tty {
		if stdout || stderr {
			o = rawWriter{mu, conn}
		}
		return o, nil
	}
	if stdout {
		o = muxWriter{mu, conn, streamStdout}
	}
	if stderr {
		e = muxWriter{mu, conn, streamStderr}
	}
	return o, e
}

// hijack takes the connection of an attach or exec start and answers with
// the stream's header: 101 when the client asked to upgrade, 200 otherwise.
// What the client sent after its request is read from the returned reader.
func hijack(w http.ResponseWriter, r *http.Request, tty bool) (net.Conn, *bufio.Reader, error) {
	conn, br, err := takeConn(w)
	if err != nil {
		return nil, nil, err
	}
	writeHead(conn, r, tty)
	return conn, br, nil
}

// takeConn hijacks the connection of a request, without answering yet.
func takeConn(w http.ResponseWriter) (net.Conn, *bufio.Reader, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be hijacked")
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	return conn, rw.Reader, nil
}

// writeHead answers a hijacked request with the stream's head, and returns
// once the client has read it (awaitHeadRead).
func writeHead(conn net.Conn, r *http.Request, tty bool) {
	ctype := types.MediaTypeMultiplexedStream
	if tty {
		ctype = types.MediaTypeRawStream
	}
	if r.Header.Get("Upgrade") != "" {
		fmt.Fprintf(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: %s\r\n\r\n", ctype, APIVersion)
	} else {
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nApi-Version: %s\r\n\r\n", ctype, APIVersion)
	}
	awaitHeadRead(conn)
}

// closeWrite ends the server's side of a hijacked stream, so the client
// sees the end of output while it may still be sending.
func closeWrite(conn net.Conn) {
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// writeJSONBody sends v after the headers are out.
func writeJSONBody(w http.ResponseWriter, v any) {
	json.NewEncoder(w).Encode(v)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// maxQueued bounds the bytes waiting for a slow client of an attach stream.
const maxQueued = 4 << 20

var errDropped = errors.New("attach client dropped: it did not read its stream")

// queue writes to a connection from a goroutine of its own, so that a
// client that stops reading holds up neither the container nor the other
// clients: when maxQueued bytes wait for it, the client is dropped.
type queue struct {
	conn    net.Conn
	mu      sync.Mutex
	cond    *sync.Cond
	pending [][]byte
	size    int
	closed  bool          // no more writes
	done    chan struct{} // the writer goroutine ended
	gate    chan struct{} // when not nil, nothing is sent before it is closed
}

func newQueue(conn net.Conn) *queue {
	q := &queue{conn: conn, done: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	go q.run()
	return q
}

// newGatedQueue is a queue that holds what is written to it until open is
// called: the output of a session registered before its head is sent.
func newGatedQueue(conn net.Conn) (q *queue, open func()) {
	q = &queue{conn: conn, done: make(chan struct{}), gate: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	go q.run()
	var once sync.Once
	return q, func() { once.Do(func() { close(q.gate) }) }
}

func (q *queue) run() {
	defer close(q.done)
	if q.gate != nil {
		<-q.gate
	}
	for {
		q.mu.Lock()
		for len(q.pending) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.pending) == 0 {
			q.mu.Unlock()
			return
		}
		b := q.pending[0]
		q.pending = q.pending[1:]
		q.mu.Unlock()
		_, err := q.conn.Write(b)
		q.mu.Lock()
		q.size -= len(b)
		if err != nil {
			q.closed, q.pending = true, nil
		}
		q.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (q *queue) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, errDropped
	}
	if q.size+len(p) > maxQueued {
		q.closed, q.pending = true, nil
		q.cond.Signal()
		q.conn.Close() // unblocks the writer
		return 0, errDropped
	}
	q.pending = append(q.pending, append([]byte(nil), p...))
	q.size += len(p)
	q.cond.Signal()
	return len(p), nil
}

// close sends what is queued and returns.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Signal()
	q.mu.Unlock()
	<-q.done
}
