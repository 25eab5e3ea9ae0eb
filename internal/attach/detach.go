package attach

import (
	"bytes"
	"errors"
	"io"
	"strings"
)

// DefaultDetachKeys is Docker's default detach sequence: Ctrl-P Ctrl-Q.
var DefaultDetachKeys = []byte{0x10, 0x11}

// ErrDetached is what a DetachReader returns once it has read the detach
// sequence: the session ends, the container keeps running.
var ErrDetached = errors.New("read escape sequence")

// ParseDetachKeys reads a detach sequence as Docker does (--detach-keys, the
// API's detachKeys): comma-separated keys, each a single character or ctrl-X
// (X one of a-z @ [ \ ] ^ _). No fmt here: the monitor links this package.
func ParseDetachKeys(s string) ([]byte, error) {
	var out []byte
	for _, key := range strings.Split(s, ",") {
		if len(key) == 1 {
			out = append(out, key[0])
			continue
		}
		name, ok := strings.CutPrefix(strings.ToLower(key), "ctrl-")
		if !ok || len(name) != 1 {
			return nil, errors.New("Unknown character: '" + key + "'")
		}
		switch ch := name[0]; {
		case ch >= 'a' && ch <= 'z':
			out = append(out, ch-'a'+1)
		case ch == '@':
			out = append(out, 0)
		case ch >= '[' && ch <= '_':
			out = append(out, ch-'['+27)
		default:
			return nil, errors.New("Unknown character: '" + key + "'")
		}
	}
	return out, nil
}

// DetachReader passes a terminal session's input through until it reads the
// detach sequence, which it keeps: then it returns what came before and
// ErrDetached. A tail that may begin the sequence is held back until the
// next bytes tell, and given at the end of the input.
type DetachReader struct {
	r       io.Reader
	keys    []byte
	buf     []byte
	held    []byte // a prefix of keys seen at the end of the last read
	pending []byte // read, not yet returned
	err     error  // returned once pending is empty
}

// NewDetachReader watches r for keys (DefaultDetachKeys when empty).
func NewDetachReader(r io.Reader, keys []byte) *DetachReader {
	if len(keys) == 0 {
		keys = DefaultDetachKeys
	}
	return &DetachReader{r: r, keys: keys, buf: make([]byte, 32*1024)}
}

func (d *DetachReader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		n, err := d.r.Read(d.buf)
		data := append(d.held, d.buf[:n]...)
		d.held = nil
		switch i := bytes.Index(data, d.keys); {
		case i >= 0:
			d.pending, d.err = data[:i], ErrDetached
		case err != nil:
			d.pending, d.err = data, err
		default:
			k := partialSuffix(data, d.keys)
			d.pending, d.held = data[:len(data)-k], append([]byte(nil), data[len(data)-k:]...)
		}
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// partialSuffix is the length of the longest tail of data that is a proper prefix of seq.
func partialSuffix(data, seq []byte) int {
	for k := min(len(seq)-1, len(data)); k > 0; k-- {
		if bytes.Equal(data[len(data)-k:], seq[:k]) {
			return k
		}
	}
	return 0
}
