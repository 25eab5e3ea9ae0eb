//go:build linux

package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Reading a layer (decompressing it and parsing tar headers) and writing
// its files each take about half the time of an unpack, so they run in two
// goroutines: an entryReader reads ahead and hands entries to Apply, which
// writes them. Entries travel in batches, so that the two goroutines do not
// wake each other for every small file. Small contents travel with their
// entries; a large file's content follows in chunks. In between wait at most
// batchQueue batches of batchEntries entries or batchBytes of content each,
// and bodyChunks chunks.
const (
	batchQueue   = 4
	batchEntries = 64
	batchBytes   = 1 << 20
	smallBody    = 64 << 10
	chunkSize    = 1 << 20
	bodyChunks   = 4
	slabSize     = 1 << 20
)

var chunkPool = sync.Pool{New: func() any {
	b := make([]byte, chunkSize)
	return &b
}}

// layerEntry is one tar entry read ahead.
type layerEntry struct {
	hdr    *tar.Header
	body   []byte     // the whole content, when it is at most smallBody
	chunks chan chunk // otherwise the content in order, closed after the last
	err    error      // reading the layer failed; nothing follows
}

type chunk struct {
	buf []byte
	err error
}

// entryReader parses a tar stream in its own goroutine. Its batches
// channel is closed after the last entry, once the stream has been read to
// its end.
type entryReader struct {
	ctx       context.Context
	src       io.Reader
	maxTrail  int64
	batches   chan []layerEntry
	batch     []layerEntry // being filled
	batchSize int          // content bytes in batch
	free      chan []byte  // chunk buffers not in use
	done      chan struct{}
	wg        sync.WaitGroup
	slab      []byte // small bodies are cut from here
}

func newEntryReader(ctx context.Context, src io.Reader, maxTrail int64) *entryReader {
	er := &entryReader{
		ctx:      ctx,
		src:      src,
		maxTrail: maxTrail,
		batches:  make(chan []layerEntry, batchQueue),
		free:     make(chan []byte, bodyChunks),
		done:     make(chan struct{}),
	}
	for range bodyChunks {
		er.free <- *chunkPool.Get().(*[]byte)
	}
	er.wg.Add(1)
	go er.run()
	return er
}

// stop ends the reading goroutine and waits for it; the source is not read
// after stop returns.
func (er *entryReader) stop() {
	close(er.done)
	er.wg.Wait()
	for {
		select {
		case b := <-er.free:
			chunkPool.Put(&b)
		default:
			return
		}
	}
}

func (er *entryReader) run() {
	defer er.wg.Done()
	defer close(er.batches)
	if err := er.read(); err != nil {
		er.add(layerEntry{err: err})
	}
	er.flush()
}

// read sends every entry of the stream, then reads what follows the end of
// the archive (tar's record padding) so that a caller hashing the stream
// sees all of it.
func (er *entryReader) read() error {
	tr := tar.NewReader(er.src)
	last := ""
	for {
		if err := er.ctx.Err(); err != nil {
			return fmt.Errorf("applying layer: %w", err)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		// ErrInsecurePath (GODEBUG=tarinsecurepath=0) only reports a name
		// that Apply checks and confines itself.
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			if last == "" {
				return fmt.Errorf("reading layer: %w", err)
			}
			return fmt.Errorf("reading layer after entry %q: %w", last, err)
		}
		last = hdr.Name
		if !er.sendEntry(hdr, tr) {
			return nil
		}
	}
	n, err := io.Copy(io.Discard, io.LimitReader(er.src, er.maxTrail+1))
	if err != nil {
		return fmt.Errorf("reading the end of the layer: %w", err)
	}
	if n > er.maxTrail {
		return fmt.Errorf("data after the end of the layer archive: %w (%d bytes)", errTooLarge, er.maxTrail)
	}
	return nil
}

// sendEntry hands hdr and its content to the writer. It reports false once
// the reader is stopped.
func (er *entryReader) sendEntry(hdr *tar.Header, body io.Reader) bool {
	size := hdr.Size
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
	default:
		size = 0 // tar gives no content for other types
	}
	if size <= smallBody {
		e := layerEntry{hdr: hdr}
		if size > 0 {
			e.body = er.alloc(int(size))
			if _, err := io.ReadFull(body, e.body); err != nil {
				e.body, e.err = nil, fmt.Errorf("layer entry %q: reading content: %w", hdr.Name, eofUnexpected(err))
			}
		}
		return er.add(e)
	}

	// The writer needs the entry before the chunks that follow it.
	chunks := make(chan chunk, bodyChunks)
	if !er.add(layerEntry{hdr: hdr, chunks: chunks}) || !er.flush() {
		return false
	}
	defer close(chunks)
	for left := size; left > 0; {
		var buf []byte
		select {
		case buf = <-er.free:
		case <-er.done:
			return false
		}
		n, err := io.ReadFull(body, buf[:min(left, int64(len(buf)))])
		left -= int64(n)
		c := chunk{buf: buf[:n]}
		if err != nil {
			c.err = eofUnexpected(err)
		}
		select {
		case chunks <- c:
		case <-er.done:
			return false
		}
		if err != nil {
			return true // the writer fails the entry; the tar reader repeats the error
		}
	}
	return true
}

// add queues e in the current batch, sending the batch when it is full.
func (er *entryReader) add(e layerEntry) bool {
	er.batch = append(er.batch, e)
	er.batchSize += len(e.body)
	if len(er.batch) < batchEntries && er.batchSize < batchBytes {
		return true
	}
	return er.flush()
}

// flush sends the current batch, if any.
func (er *entryReader) flush() bool {
	if len(er.batch) == 0 {
		return true
	}
	select {
	case er.batches <- er.batch:
	case <-er.done:
		return false
	}
	er.batch = make([]layerEntry, 0, batchEntries)
	er.batchSize = 0
	return true
}

// alloc returns n bytes cut from the current slab, so that small bodies
// cost no allocation of their own.
func (er *entryReader) alloc(n int) []byte {
	if len(er.slab)+n > cap(er.slab) {
		er.slab = make([]byte, 0, max(slabSize, n))
	}
	start := len(er.slab)
	er.slab = er.slab[:start+n]
	return er.slab[start : start+n : start+n]
}

// writeBody writes the entry's content to w and reports how many bytes it
// wrote. Chunk buffers go back to free once written.
func (e *layerEntry) writeBody(ctx context.Context, w io.Writer, free chan<- []byte) (int64, error) {
	if e.chunks == nil {
		n, err := w.Write(e.body)
		return int64(n), err
	}
	var written int64
	for c := range e.chunks {
		n, err := w.Write(c.buf)
		written += int64(n)
		free <- c.buf[:cap(c.buf)]
		switch {
		case c.err != nil:
			return written, c.err
		case err != nil:
			return written, err
		}
		if err := ctx.Err(); err != nil {
			return written, err
		}
	}
	e.chunks = nil
	return written, nil
}

// discard drops whatever of the entry's content was not written, so that
// the reader can go on.
func (e *layerEntry) discard(free chan<- []byte) {
	if e.chunks == nil {
		return
	}
	for c := range e.chunks {
		free <- c.buf[:cap(c.buf)]
	}
	e.chunks = nil
}

// eofUnexpected turns io.EOF, from content cut short, into
// io.ErrUnexpectedEOF.
func eofUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
