// Package layerstream keeps what is needed to give back, byte for byte, the
// tar stream a layer was unpacked from: the raw tar headers and padding
// ("tar-split" metadata, as Docker and containers/storage keep it), while the
// file contents stay in the unpacked layer directory.
//
// Lifecycle: Record wraps the tar stream on its way to the unpacker and
// writes the metadata (gzip'd JSON lines) next to the layer; Size and
// Assemble read it back to rebuild the stream for push and save, reading the
// file contents from the layer directory with every path confined to it.
// The rebuilt stream must hash to the layer's diff ID; the caller checks.
package layerstream

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/vbatts/tar-split/tar/asm"
	"github.com/vbatts/tar-split/tar/storage"
)

// Recording is a tar stream being recorded. Read the whole stream from it
// (to EOF, padding included), then call Close to finish the metadata.
type Recording struct {
	io.ReadCloser
	done <-chan error
	gz   *gzip.Writer
}

// Record returns a reader of the same bytes as r that writes the stream's
// metadata to meta while it is read.
func Record(r io.Reader, meta io.Writer) (*Recording, error) {
	gz, _ := gzip.NewWriterLevel(meta, gzip.BestSpeed)
	rc, done, err := asm.NewInputTarStreamWithDone(r, storage.NewJSONPacker(gz), discard{})
	if err != nil {
		return nil, err
	}
	return &Recording{ReadCloser: rc, done: done, gz: gz}, nil
}

// Finish waits for the recorder and flushes the metadata. Call it once the
// stream was read to its end; after an error, call Abort instead.
func (r *Recording) Finish() error {
	if err := <-r.done; err != nil {
		return fmt.Errorf("recording the layer's tar metadata: %w", err)
	}
	return r.gz.Close()
}

// Abort stops the recorder and waits for it to let go of the input.
func (r *Recording) Abort() {
	r.ReadCloser.Close()
	<-r.done
}

// discard is a FilePutter that keeps nothing: the contents are in the layer
// directory, and the diff ID checks them.
type discard struct{}

func (discard) Put(_ string, r io.Reader) (int64, []byte, error) {
	n, err := io.Copy(io.Discard, r)
	return n, nil, err
}

// Size returns the length of the tar stream the metadata describes.
func Size(meta io.Reader) (int64, error) {
	var n int64
	err := walk(meta, func(e *storage.Entry) error {
		if e.Type == storage.SegmentType {
			n += int64(len(e.Payload))
		} else {
			n += e.Size
		}
		return nil
	})
	return n, err
}

// Assemble writes the tar stream the metadata describes to w, reading the
// contents of regular files from the layer directory root.
func Assemble(w io.Writer, meta io.Reader, root string) error {
	fs, err := openRoot(root)
	if err != nil {
		return err
	}
	defer fs.Close()
	buf := make([]byte, 1<<20)
	return walk(meta, func(e *storage.Entry) error {
		if e.Type == storage.SegmentType {
			_, err := w.Write(e.Payload)
			return err
		}
		if e.Size == 0 {
			return nil
		}
		rel, err := cleanName(e.GetName())
		if err != nil {
			return err
		}
		f, err := fs.Open(rel)
		if err != nil {
			return fmt.Errorf("layer file %q: %w", rel, err)
		}
		defer f.Close()
		n, err := io.CopyBuffer(w, io.LimitReader(f, e.Size), buf)
		if err != nil {
			return fmt.Errorf("layer file %q: %w", rel, err)
		}
		if n != e.Size {
			return fmt.Errorf("layer file %q has %d bytes, the layer says %d", rel, n, e.Size)
		}
		return nil
	})
}

func walk(meta io.Reader, fn func(*storage.Entry) error) error {
	gz, err := gzip.NewReader(meta)
	if err != nil {
		return fmt.Errorf("reading the layer's tar metadata: %w", err)
	}
	defer gz.Close()
	up := storage.NewJSONUnpacker(gz)
	for {
		e, err := up.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the layer's tar metadata: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// cleanName makes an entry name relative to the layer root; names that
// climb above it are refused (the unpacker refused them too).
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return strings.TrimPrefix(path.Clean(name), "/"), nil
	}
	p := path.Clean(name)
	if p == ".." || strings.HasPrefix(p, "../") || p == "." {
		return "", fmt.Errorf("layer entry %q is not a file below the layer root", name)
	}
	return p, nil
}
