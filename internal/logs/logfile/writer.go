// Package logfile writes a container's log as Docker's json-file and local drivers do, with
// their rotation (max-size, max-file); package logs reads it. It links no JSON or regexp
// code, so that the small long-lived monitor can use it.
package logfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// maxEntry is the most bytes of a line one entry holds; longer lines are
// cut into pieces of this size, as Docker's log copier cuts them.
const maxEntry = 16 * 1024

// Writer appends entries to one log, in the json-file or the local driver's format.
type Writer struct {
	path    string
	maxSize int64
	maxFile int
	driver  string           // JSONFile (""), Local or None
	now     func() time.Time // the clock; tests replace it

	mu      sync.Mutex
	f       *os.File // nil after a failed rotation until reopened
	size    int64    // bytes in f
	batch   []byte   // entries encoded by one Write, not yet written
	streams map[string]*stream
	err     error // the first write error, returned by Close
	closed  bool
}

// NewWriter opens the log at path for appending, creating it if needed. The
// directory must exist. If a previous writer died mid-entry, the torn entry
// is ended with a newline so that it cannot swallow the next one (json-file),
// or cut (local). With the None driver nothing is written.
func NewWriter(path string, o Options) (*Writer, error) {
	if o.MaxSize < 0 {
		return nil, errors.New("opening log " + path + ": max-size " + strconv.FormatInt(o.MaxSize, 10) + " is negative")
	}
	if o.MaxFile < 0 {
		return nil, errors.New("opening log " + path + ": max-file " + strconv.Itoa(o.MaxFile) + " is negative")
	}
	if o.MaxFile == 0 {
		o.MaxFile = 1
	}
	w := &Writer{
		path:    path,
		maxSize: o.MaxSize,
		maxFile: o.MaxFile,
		driver:  o.Driver,
		now:     time.Now,
		streams: make(map[string]*stream),
	}
	if w.driver == None {
		return w, nil // nothing is kept
	}
	f, size, err := w.openForAppend()
	if err != nil {
		return nil, err
	}
	w.f, w.size = f, size
	return w, nil
}

// openForAppend opens the writer's file, after cutting (local) or ending (json-file) what
// a writer that died mid-entry left.
func (w *Writer) openForAppend() (*os.File, int64, error) {
	if w.driver != Local {
		return openForAppend(w.path)
	}
	f, err := os.OpenFile(w.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, 0, wrap("opening log", err)
	}
	fi, err := f.Stat()
	if err == nil {
		var size int64
		if size, err = repairFrames(f, fi.Size()); err == nil {
			return f, size, nil
		}
	}
	f.Close()
	return nil, 0, wrap("opening log "+w.path, err)
}

// openForAppend opens path in append mode and returns its size, after
// ending a torn last line with a newline.
func openForAppend(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, 0, wrap("opening log", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, wrap("opening log", err)
	}
	size := fi.Size()
	if size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			f.Close()
			return nil, 0, wrap("reading the end of log "+path, err)
		}
		if last[0] != '\n' {
			n, err := f.Write([]byte{'\n'})
			size += int64(n)
			if err != nil {
				f.Close()
				return nil, 0, wrap("repairing the end of log "+path, err)
			}
		}
	}
	return f, size, nil
}

// Stream returns the io.Writer for one stream, "stdout" or "stderr". Asked
// twice for the same name, it returns the same writer. Its Write never
// fails while the Writer is open (see the package comment).
func (w *Writer) Stream(name string) io.Writer {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.streams[name]
	if !ok {
		s = &stream{w: w, name: name}
		w.streams[name] = s
	}
	return s
}

// Close writes the unterminated rest of each stream as an entry of its own,
// closes the file, and returns the first error met while writing. Closing
// twice is harmless.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true

	names := make([]string, 0, len(w.streams))
	for name := range w.streams {
		names = append(names, name)
	}
	sort.Strings(names)
	now := w.now()
	for _, name := range names {
		s := w.streams[name]
		if len(s.pending) > 0 {
			w.addEntry(s.name, s.pending, now)
			s.pending = nil
		}
	}
	w.flush()
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			w.keepErr(wrap("closing log "+w.path, err))
		}
		w.f = nil
	}
	return w.err
}

// stream is what Stream returns: it holds the unterminated end of what was
// written so far.
type stream struct {
	w       *Writer
	name    string
	pending []byte
}

func (s *stream) Write(p []byte) (int, error) {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, wrap("writing to log "+w.path, os.ErrClosed)
	}

	data := p
	if len(s.pending) > 0 {
		s.pending = append(s.pending, p...)
		data = s.pending
	}
	now := w.now()
	for {
		window := data[:min(len(data), maxEntry)]
		if i := bytes.IndexByte(window, '\n'); i >= 0 {
			w.addEntry(s.name, data[:i+1], now)
			data = data[i+1:]
		} else if len(data) >= maxEntry {
			w.addEntry(s.name, data[:maxEntry], now)
			data = data[maxEntry:]
		} else {
			break
		}
	}
	// Keep the unterminated rest (copy handles the overlap when data
	// points into pending).
	s.pending = append(s.pending[:0], data...)
	w.flush()
	return len(p), nil
}

// addEntry encodes one entry into the batch, first writing out the batch and
// rotating the file if the entry would take the file past maxSize.
func (w *Writer) addEntry(streamName string, line []byte, t time.Time) {
	start := len(w.batch)
	if w.driver == Local {
		w.batch = AppendFrame(w.batch, streamName, line, t)
	} else {
		w.batch = AppendEntry(w.batch, streamName, line, t)
	}
	if w.maxSize <= 0 {
		return
	}
	before := w.size + int64(start)
	if before == 0 || before+int64(len(w.batch)-start) <= w.maxSize {
		return
	}
	entry := len(w.batch) - start
	w.writeBatch(w.batch[:start])
	w.rotate()
	copy(w.batch, w.batch[start:])
	w.batch = w.batch[:entry]
}

// flush writes out the batch.
func (w *Writer) flush() {
	w.writeBatch(w.batch)
	w.batch = w.batch[:0]
}

func (w *Writer) writeBatch(b []byte) {
	if len(b) == 0 || w.driver == None {
		return
	}
	if w.f == nil {
		f, size, err := w.openForAppend()
		if err != nil {
			w.keepErr(err)
			return
		}
		w.f, w.size = f, size
	}
	n, err := w.f.Write(b)
	w.size += int64(n)
	if err != nil {
		w.keepErr(wrap("writing to log "+w.path, err))
	}
}

// rotate shifts path.N (oldest dropped) … path.1, path one place up and
// starts a new file at path; with maxFile 1 it just starts a new file.
func (w *Writer) rotate() {
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			w.keepErr(wrap("closing log "+w.path, err))
		}
		w.f = nil
	}
	if w.maxFile < 2 {
		if err := os.Remove(w.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			w.keepErr(wrap("rotating log", err))
		}
	} else {
		for i := w.maxFile - 1; i >= 1; i-- {
			from := w.path
			if i > 1 {
				from = w.path + "." + strconv.Itoa(i-1)
			}
			err := os.Rename(from, w.path+"."+strconv.Itoa(i))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				w.keepErr(wrap("rotating log", err))
			}
		}
	}
	f, size, err := w.openForAppend()
	if err != nil {
		w.keepErr(err)
		return
	}
	w.f, w.size = f, size
}

func (w *Writer) keepErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

// AppendEntry appends one JSON line as Docker's json-file driver writes it.
func AppendEntry(dst []byte, streamName string, line []byte, t time.Time) []byte {
	dst = append(dst, `{"log":`...)
	dst = appendJSONString(dst, line)
	dst = append(dst, `,"stream":`...)
	dst = appendJSONString(dst, []byte(streamName))
	dst = append(dst, `,"time":"`...)
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, "\"}\n"...)
}

// appendJSONString appends s as a JSON string, escaped as Docker escapes it
// (see the package comment). Runs of bytes that need no escape are copied
// whole.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	run := 0 // start of the bytes not yet copied
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf && plainASCII[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[run:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			default: // other control characters, < > &
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			run = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[run:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[run:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size // valid UTF-8 is copied as it is
			continue
		}
		i += size
		run = i
	}
	dst = append(dst, s[run:]...)
	return append(dst, '"')
}

// plainASCII tells which ASCII bytes go into a JSON string unescaped.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

// wrap is err after msg, as fmt.Errorf("%s: %w") makes it (package fmt is not linked here).
func wrap(msg string, err error) error { return &wrapped{msg: msg + ": " + err.Error(), err: err} }

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// SetClock replaces the writer's clock (tests).
func (w *Writer) SetClock(now func() time.Time) {
	w.mu.Lock()
	w.now = now
	w.mu.Unlock()
}
