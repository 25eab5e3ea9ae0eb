package logs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TimestampLayout is the time Read puts before each entry with Timestamps:
// Docker's RFC3339NanoFixed, always nine fraction digits, in UTC.
const TimestampLayout = "2006-01-02T15:04:05.000000000Z07:00"

// ReadOptions are the flags of `logs`.
type ReadOptions struct {
	// Follow keeps reading new entries until ctx is cancelled, done is
	// closed or Until passes.
	Follow bool
	// Tail is how many of the last entries to show, counted among those
	// that Since and Until keep; -1 shows all. With Follow it cuts only
	// what is there when Read starts.
	Tail int
	// Since and Until, when not zero, keep the entries written at or after
	// Since and at or before Until.
	Since, Until time.Time
	// Timestamps puts each entry's time (TimestampLayout) and a space
	// before it.
	Timestamps bool
	// Driver is the log's format: JSONFile ("") or Local.
	Driver string
}

// followingHook is called when Read has read what was there and starts
// following; tests replace it to know when new entries will be seen.
var followingHook = func() {}

// maxLine bounds one line of the file; a longer one cannot be an entry
// written by Writer (at most 16 KiB escaped six-fold) and is skipped.
const maxLine = 1 << 20

// Read writes the entries of the log at path, oldest first, across rotated
// files: those of stream "stderr" to stderr, all others to stdout (a nil
// writer discards). A log that does not exist yet is empty. See the package
// comment for Follow and done; a cancelled ctx returns ctx.Err().
func Read(ctx context.Context, path string, o ReadOptions, stdout, stderr io.Writer, done <-chan struct{}) error {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	r := &reader{ctx: ctx, path: path, opts: o, stdout: stdout, stderr: stderr}
	defer r.closeAll()

	follow := o.Follow && (o.Until.IsZero() || time.Now().Before(o.Until))
	var w *watcher
	if follow {
		// Watch before the first read, so no change after it goes unseen.
		var err error
		if w, err = newWatcher(filepath.Dir(path), filepath.Base(path)); err != nil {
			return fmt.Errorf("following log %s: %w", path, err)
		}
		defer w.Close()
	}

	r.tailing = o.Tail >= 0
	if err := r.drain(); err != nil {
		return err
	}
	r.tailing = false
	if err := r.flushTail(); err != nil {
		return err
	}
	if !follow {
		return nil
	}
	followingHook()

	var untilC <-chan time.Time
	if !o.Until.IsZero() {
		t := time.NewTimer(time.Until(o.Until))
		defer t.Stop()
		untilC = t.C
	}
	for !r.stopped {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return r.drain()
		case <-untilC:
			return r.drain()
		case err := <-w.Errors():
			return fmt.Errorf("following log %s: %w", path, err)
		case <-w.Changes():
			if err := r.drain(); err != nil {
				return err
			}
		}
	}
	return nil
}

// entry is one decoded line of the file.
type entry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// logFile is one open file of the log.
type logFile struct {
	f     *os.File
	info  os.FileInfo
	lines records
}

// records cuts a growing file into records: lines (json-file) or frames (local).
type records interface {
	// next returns the next complete record, valid until the following call; io.EOF
	// when no complete one is there yet.
	next() ([]byte, error)
	// rest is the incomplete end read so far.
	rest() []byte
}

type reader struct {
	ctx            context.Context
	path           string
	opts           ReadOptions
	stdout, stderr io.Writer

	cur   *logFile   // the file being read; nil before the first is found
	queue []*logFile // files newer than cur, oldest first

	tailing   bool    // collecting the last Tail entries instead of writing
	ring      []entry // the last Tail entries, from ringStart on
	ringStart int
	stopped   bool // an entry after Until was met

	out []byte // output buffer
}

// drain reads every complete entry there is now, moving on from the current
// file to newer ones while there are any.
func (r *reader) drain() error {
	for !r.stopped {
		if r.cur == nil {
			if len(r.queue) == 0 {
				if err := r.findNewer(); err != nil {
					return err
				}
				if len(r.queue) == 0 {
					return nil // no log yet
				}
			}
			r.cur, r.queue = r.queue[0], r.queue[1:]
		}
		if err := r.readAvailable(r.cur); err != nil {
			return err
		}
		if len(r.queue) == 0 {
			if err := r.findNewer(); err != nil {
				return err
			}
			if len(r.queue) == 0 {
				return nil // at the end of the newest file
			}
		}
		// The writer has moved on to a newer file, so cur is complete: read
		// what was added since the last read, and its unterminated end.
		if err := r.readAvailable(r.cur); err != nil {
			return err
		}
		if rest := r.cur.lines.rest(); len(rest) > 0 && !r.stopped {
			if err := r.decodeAndEmit(rest); err != nil {
				return err
			}
		}
		r.cur.f.Close()
		r.cur = nil
	}
	return nil
}

// readAvailable reads the complete lines that f holds now.
func (r *reader) readAvailable(lf *logFile) error {
	for n := 0; !r.stopped; n++ {
		if n%4096 == 0 {
			if err := r.ctx.Err(); err != nil {
				return err
			}
		}
		line, err := lf.lines.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading log %s: %w", lf.f.Name(), err)
		}
		if err := r.decodeAndEmit(line); err != nil {
			return err
		}
	}
	return nil
}

// findNewer fills the queue with the files written after the current one,
// if the writer has rotated past it (or, with no current file, with all).
func (r *reader) findNewer() error {
	if r.cur != nil {
		fi, err := os.Stat(r.path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // mid-rotation: the new file is not there yet
		}
		if err != nil {
			return fmt.Errorf("reading log: %w", err)
		}
		if os.SameFile(fi, r.cur.info) {
			return nil
		}
	}
	files, err := openLogFiles(r.path)
	if err != nil {
		return err
	}
	if r.opts.Driver == Local {
		for _, lf := range files {
			lf.lines = newFrameReader(lf.f)
		}
	}
	if r.cur != nil {
		// Keep only the files after cur; if cur was dropped by the
		// rotation, all of them are newer.
		for i, lf := range files {
			if os.SameFile(lf.info, r.cur.info) {
				for _, older := range files[:i+1] {
					older.f.Close()
				}
				files = files[i+1:]
				break
			}
		}
	}
	r.queue = files
	return nil
}

// openLogFiles opens path.N … path.1 and path, the ones that exist, oldest
// first, as one consistent picture despite a writer rotating meanwhile.
//
// The directory listing only gives the highest number N: a listing taken
// during renames may miss a name altogether. Every name from path.(N+1) down
// to path is then opened, and looked at again afterwards; files only ever
// move up in number, so if no name changed, the opens saw one state of the
// log. Otherwise it tries again, up to maxListings times, after which it
// gives the last picture as it is.
func openLogFiles(path string) ([]*logFile, error) {
	const maxListings = 100
	for try := 1; ; try++ {
		names, files, err := openLogFilesOnce(path)
		if err != nil {
			return nil, err
		}
		if try == maxListings || unmoved(names, files) {
			var opened []*logFile
			for _, lf := range files {
				if lf != nil {
					opened = append(opened, lf)
				}
			}
			return opened, nil
		}
		for _, lf := range files {
			if lf != nil {
				lf.f.Close()
			}
		}
	}
}

// openLogFilesOnce opens path.(N+1) … path.1 and path; files[i] is nil when
// names[i] does not exist.
func openLogFilesOnce(path string) ([]string, []*logFile, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	dirEntries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("listing log files: %w", err)
	}
	highest := 0
	for _, de := range dirEntries {
		suffix, ok := strings.CutPrefix(de.Name(), base+".")
		if !ok || !allDigits(suffix) {
			continue
		}
		if n, err := strconv.Atoi(suffix); err == nil && n > highest {
			highest = n
		}
	}
	names := make([]string, 0, highest+2)
	for n := highest + 1; n >= 1; n-- {
		names = append(names, path+"."+strconv.Itoa(n))
	}
	names = append(names, path)

	files := make([]*logFile, len(names))
	for i, name := range names {
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			var fi os.FileInfo
			if fi, err = f.Stat(); err == nil {
				files[i] = &logFile{f: f, info: fi, lines: newLineReader(f)}
				continue
			}
			f.Close()
		}
		for _, lf := range files {
			if lf != nil {
				lf.f.Close()
			}
		}
		return nil, nil, fmt.Errorf("opening log file: %w", err)
	}
	return names, files, nil
}

// unmoved reports whether every name still names the file opened under it
// (or still names none).
func unmoved(names []string, files []*logFile) bool {
	for i, name := range names {
		fi, err := os.Stat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if files[i] != nil {
				return false
			}
		case err != nil:
			return false
		case files[i] == nil || !os.SameFile(fi, files[i].info):
			return false
		}
	}
	return true
}

func (r *reader) closeAll() {
	if r.cur != nil {
		r.cur.f.Close()
	}
	for _, lf := range r.queue {
		lf.f.Close()
	}
}

// decodeAndEmit decodes one line and passes it on; a line that is not an
// entry (torn by a crash) is skipped.
func (r *reader) decodeAndEmit(line []byte) error {
	var e entry
	if r.opts.Driver == Local {
		var err error
		if e, err = decodeFrame(line); err != nil {
			return nil
		}
	} else if err := json.Unmarshal(line, &e); err != nil {
		return nil
	}
	if !r.opts.Since.IsZero() && e.Time.Before(r.opts.Since) {
		return nil
	}
	if !r.opts.Until.IsZero() && e.Time.After(r.opts.Until) {
		r.stopped = true // entries are in time order: none later can match
		return nil
	}
	if r.tailing {
		r.keepInTail(e)
		return nil
	}
	return r.write(e)
}

func (r *reader) keepInTail(e entry) {
	n := r.opts.Tail
	switch {
	case n == 0:
	case len(r.ring) < n:
		r.ring = append(r.ring, e)
	default:
		r.ring[r.ringStart] = e
		r.ringStart = (r.ringStart + 1) % n
	}
}

func (r *reader) flushTail() error {
	for _, part := range [][]entry{r.ring[r.ringStart:], r.ring[:r.ringStart]} {
		for _, e := range part {
			if err := r.write(e); err != nil {
				return err
			}
		}
	}
	r.ring, r.ringStart = nil, 0
	return nil
}

func (r *reader) write(e entry) error {
	w := r.stdout
	if e.Stream == "stderr" {
		w = r.stderr
	}
	r.out = r.out[:0]
	if r.opts.Timestamps {
		r.out = e.Time.UTC().AppendFormat(r.out, TimestampLayout)
		r.out = append(r.out, ' ')
	}
	r.out = append(r.out, e.Log...)
	if _, err := w.Write(r.out); err != nil {
		return fmt.Errorf("writing %s log output: %w", e.Stream, err)
	}
	return nil
}

// lineReader cuts a growing file into lines, keeping an unterminated end
// until the rest of it is written.
type lineReader struct {
	br       *bufio.Reader
	line     []byte
	returned bool // line was handed out and is to be reset
	tooLong  bool // skipping a line longer than maxLine
}

func newLineReader(f *os.File) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(f, 64*1024)}
}

// next returns the next complete line, newline included, valid until the
// following call; io.EOF when no complete line is there yet.
func (lr *lineReader) next() ([]byte, error) {
	if lr.returned {
		lr.line, lr.returned = lr.line[:0], false
	}
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if !lr.tooLong {
			if len(lr.line)+len(chunk) > maxLine {
				lr.tooLong, lr.line = true, lr.line[:0]
			} else {
				lr.line = append(lr.line, chunk...)
			}
		}
		switch {
		case err == nil && lr.tooLong:
			lr.tooLong = false
		case err == nil:
			lr.returned = true
			return lr.line, nil
		case errors.Is(err, bufio.ErrBufferFull):
		default:
			return nil, err
		}
	}
}

// rest is the unterminated end read so far.
func (lr *lineReader) rest() []byte {
	if lr.returned || lr.tooLong {
		return nil
	}
	return lr.line
}
