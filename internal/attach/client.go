package attach

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sync"
)

// Client is a connection to a container's monitor.
type Client struct {
	conn *os.File
	mu   sync.Mutex
}

// Dial connects to the attach socket at path.
func Dial(path string) (*Client, error) {
	conn, err := dial(path)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn}, nil
}

func (a *Client) send(typ byte, p []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return writeFrame(a.conn, typ, p)
}

// Write sends input to the container.
func (a *Client) Write(p []byte) (int, error) {
	if err := a.send(FrameStdin, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// CloseInput tells the container its input ended.
func (a *Client) CloseInput() error { return a.send(FrameClose, nil) }

// Resize sets the container's terminal size.
func (a *Client) Resize(rows, cols uint16) error {
	var p [4]byte
	binary.BigEndian.PutUint16(p[:], rows)
	binary.BigEndian.PutUint16(p[2:], cols)
	return a.send(FrameResize, p[:])
}

// Control sends a control request and returns the monitor's answer; the container's output
// that arrives meanwhile is discarded. Use a connection of its own.
func (a *Client) Control(r Request) error {
	if err := a.send(FrameControl, r.encode()); err != nil {
		return err
	}
	for {
		typ, p, err := readFrame(a.conn)
		if err != nil {
			return err
		}
		if typ == FrameReply {
			if len(p) > 0 {
				return errors.New(string(p))
			}
			return nil
		}
		if typ == FrameExit {
			return nil // the container ended for good meanwhile
		}
	}
}

// Copy writes the container's output until it ends; exited is false when the connection
// closed without an exit code (detached, or monitor gone).
func (a *Client) Copy(stdout, stderr io.Writer) (code int, exited bool, err error) {
	for {
		typ, p, err := readFrame(a.conn)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, false, nil
			}
			return 0, false, err
		}
		switch typ {
		case FrameStdout:
			stdout.Write(p)
		case FrameStderr:
			stderr.Write(p)
		case FrameExit:
			if len(p) == 4 {
				return int(int32(binary.BigEndian.Uint32(p))), true, nil
			}
		}
	}
}

// Close ends the connection (detaching).
func (a *Client) Close() error { return a.conn.Close() }
