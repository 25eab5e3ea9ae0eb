// Package attach is the protocol of a container's attach socket, which its monitor serves:
// clients (`attach`, `run -t`) get the container's output and send its input, resize
// requests and the end of their input; the engine sends control requests (stop, kill,
// cancel the restart back-off). Everything travels in frames of one type byte, a 4-byte
// big-endian length and the payload. When the container ends for good, the monitor sends
// its exit code and closes the connections.
//
// The container never waits for a client: each client has a queue bounded by MaxPending
// bytes, written by a goroutine of its own; a client whose queue is full is dropped.
package attach

import (
	"encoding/binary"
	"errors"
	"io"
)

// Frame types.
const (
	FrameStdout  = 'o'
	FrameStderr  = 'e'
	FrameStdin   = 'i'
	FrameResize  = 'r' // rows, cols as two uint16
	FrameClose   = 'c' // the client's input ended
	FrameExit    = 'x' // exit code as int32
	FrameControl = 'k' // a control request (see Request)
	FrameReply   = 'a' // the answer to a control request: empty, or what failed
)

// maxFrame bounds one frame's payload.
const maxFrame = 1 << 20

// MaxPending is how many bytes of output may wait for one client before it is dropped.
const MaxPending = 4 << 20

func frame(typ byte, payload []byte) []byte {
	b := make([]byte, 5, 5+len(payload))
	b[0] = typ
	binary.BigEndian.PutUint32(b[1:], uint32(len(payload)))
	return append(b, payload...)
}

func writeFrame(w io.Writer, typ byte, payload []byte) error {
	_, err := w.Write(frame(typ, payload))
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
