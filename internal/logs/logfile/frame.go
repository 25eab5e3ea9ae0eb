package logfile

import (
	"encoding/binary"
	"errors"
	"os"
	"time"
)

// Driver names, as Docker's --log-driver takes them.
const (
	JSONFile = "json-file"
	Local    = "local"
	None     = "none"
)

const (
	// FrameHeader is the size of a frame's length, at its start and again at its end.
	FrameHeader = 4
	// MaxFrame bounds one entry: a larger length is not a frame Writer wrote (an entry holds
	// at most 16 KiB of a line), so the file is not read further.
	MaxFrame = 1 << 20
)

// AppendFrame appends one entry as a local-driver frame.
func AppendFrame(dst []byte, streamName string, line []byte, t time.Time) []byte {
	partial := len(line) == 0 || line[len(line)-1] != '\n'
	if !partial {
		line = line[:len(line)-1]
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = appendBytesField(dst, 1, []byte(streamName))
	dst = binary.AppendUvarint(append(dst, 2<<3|0), uint64(t.UnixNano()))
	dst = appendBytesField(dst, 3, line)
	if partial {
		dst = append(dst, 4<<3|0, 1)
	}
	n := uint32(len(dst) - start - FrameHeader)
	binary.BigEndian.PutUint32(dst[start:], n)
	return binary.BigEndian.AppendUint32(dst, n)
}

// appendBytesField appends a length-delimited protobuf field (wire type 2).
func appendBytesField(dst []byte, field int, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(field<<3|2))
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// repairFrames makes f (of size bytes) end after its last whole frame, cutting what a writer
// that died mid-entry left, and returns the new size.
func repairFrames(f *os.File, size int64) (int64, error) {
	var b [FrameHeader]byte
	// The common case: the last frame is whole (its two lengths agree).
	if size == 0 {
		return 0, nil
	}
	if size >= 2*FrameHeader {
		if _, err := f.ReadAt(b[:], size-FrameHeader); err != nil {
			return 0, err
		}
		n := int64(binary.BigEndian.Uint32(b[:]))
		if start := size - 2*FrameHeader - n; start >= 0 {
			if _, err := f.ReadAt(b[:], start); err != nil {
				return 0, err
			}
			if int64(binary.BigEndian.Uint32(b[:])) == n {
				return size, nil
			}
		}
	}
	// Walk the frames from the start and cut after the last whole one.
	var off int64
	for off+2*FrameHeader <= size {
		if _, err := f.ReadAt(b[:], off); err != nil {
			return 0, err
		}
		n := int64(binary.BigEndian.Uint32(b[:]))
		if n > MaxFrame || off+2*FrameHeader+n > size {
			break
		}
		off += 2*FrameHeader + n
	}
	if err := f.Truncate(off); err != nil {
		return 0, errors.New("cutting a torn entry: " + err.Error())
	}
	return off, nil
}
