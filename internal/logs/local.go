package logs

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"time"

	"github.com/geedocker/geedocker/internal/logs/logfile"
)

// The local driver's file, as Docker's `local` log driver writes it: a sequence of frames,
// each a 4-byte big-endian length, a protobuf LogEntry of that length (Docker's
// api/types/plugins/logdriver entry.proto), and the length again, so that the file can be
// read from either end:
//
//	LogEntry { string source = 1; int64 time_nano = 2; bytes line = 3; bool partial = 4; }
//
// line holds the bytes of a line without its newline; partial marks a piece that had none
// (a line cut at 16 KiB, or the unterminated end of a stream), and Read gives the newline
// back to the others. Docker also gzips the rotated files (compress, default true); GeeDocker
// keeps them uncompressed (container.log.1 …), so that `logs -f` follows them as it does the
// json-file's.

// Driver names, as Docker's --log-driver takes them.
const (
	JSONFile = logfile.JSONFile
	Local    = logfile.Local
	None     = logfile.None
)

const (
	frameHeader = logfile.FrameHeader
	maxFrame    = logfile.MaxFrame
	// Docker's defaults for the local driver.
	localMaxSize = 20 * 1024 * 1024
	localMaxFile = 5
)

var errBadFrame = errors.New("not a log entry")

// decodeFrame reads the LogEntry of one frame (without its lengths). Unknown fields are
// skipped, as protobuf has it.
func decodeFrame(msg []byte) (entry, error) {
	if len(msg) == 0 {
		return entry{}, errBadFrame
	}
	var e entry
	var line []byte
	partial := false
	for len(msg) > 0 {
		key, n := binary.Uvarint(msg)
		if n <= 0 {
			return entry{}, errBadFrame
		}
		msg = msg[n:]
		field, wire := key>>3, key&7
		switch wire {
		case 0:
			v, n := binary.Uvarint(msg)
			if n <= 0 {
				return entry{}, errBadFrame
			}
			msg = msg[n:]
			switch field {
			case 2:
				e.Time = time.Unix(0, int64(v)).UTC()
			case 4:
				partial = v != 0
			}
		case 2:
			l, n := binary.Uvarint(msg)
			if n <= 0 || l > uint64(len(msg)-n) {
				return entry{}, errBadFrame
			}
			b := msg[n : n+int(l)]
			msg = msg[n+int(l):]
			switch field {
			case 1:
				e.Stream = string(b)
			case 3:
				line = b
			}
		case 1:
			if len(msg) < 8 {
				return entry{}, errBadFrame
			}
			msg = msg[8:]
		case 5:
			if len(msg) < 4 {
				return entry{}, errBadFrame
			}
			msg = msg[4:]
		default:
			return entry{}, errBadFrame
		}
	}
	e.Log = string(line)
	if !partial {
		e.Log += "\n"
	}
	return e, nil
}

// frameReader cuts a growing local-driver file into frames, keeping an incomplete last one
// until the rest of it is written.
type frameReader struct {
	f      *os.File
	buf    []byte
	off    int
	broken bool // a length no frame can have: nothing after it is read
}

func newFrameReader(f *os.File) *frameReader { return &frameReader{f: f} }

// next returns the next complete frame's entry bytes, valid until the following call;
// io.EOF when no complete frame is there yet.
func (fr *frameReader) next() ([]byte, error) {
	for {
		if b := fr.buf[fr.off:]; len(b) >= frameHeader && !fr.broken {
			n := int(binary.BigEndian.Uint32(b))
			if n > maxFrame {
				fr.broken = true
				return nil, io.EOF
			}
			if len(b) >= 2*frameHeader+n {
				fr.off += 2*frameHeader + n
				if binary.BigEndian.Uint32(b[frameHeader+n:]) != uint32(n) {
					return nil, nil // torn: decodeFrame finds nothing in it
				}
				return b[frameHeader : frameHeader+n], nil
			}
		}
		if fr.broken {
			return nil, io.EOF
		}
		// Keep the incomplete rest, then read more.
		fr.buf = append(fr.buf[:0], fr.buf[fr.off:]...)
		fr.off = 0
		if cap(fr.buf)-len(fr.buf) < 32*1024 {
			fr.buf = append(make([]byte, 0, 2*cap(fr.buf)+64*1024), fr.buf...)
		}
		n, err := fr.f.Read(fr.buf[len(fr.buf):cap(fr.buf)])
		fr.buf = fr.buf[:len(fr.buf)+n]
		if n == 0 {
			if err == nil {
				err = io.EOF
			}
			return nil, err
		}
	}
}

// rest is an incomplete frame at the end: never an entry.
func (fr *frameReader) rest() []byte { return nil }
