package engine

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/geedocker/geedocker/internal/layerstream"
	"github.com/geedocker/geedocker/internal/store"
)

// ErrNoTarMeta says a layer cannot be given out byte for byte: it was stored
// by a GeeDocker that did not keep its tar metadata.
var ErrNoTarMeta = errors.New("the layer was stored without the metadata that rebuilds its tar stream (pull or load the image again)")

// layerTarSize is the length of a stored layer's tar stream.
func (e *Engine) layerTarSize(l store.Layer) (int64, error) {
	if rec, err := e.Store.Layer(l.ChainID); err == nil && rec.TarSize > 0 {
		return rec.TarSize, nil
	}
	f, err := os.Open(e.Store.LayerTarMetaPath(l.ChainID))
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("layer %s: %w", shortID(l.DiffID), ErrNoTarMeta)
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return layerstream.Size(f)
}

// openLayerTar streams a stored layer's tar, rebuilt from its files and tar
// metadata. The stream fails at its end, instead of ending, when it does not
// hash to the layer's diff ID, so that no consumer takes altered content.
func (e *Engine) openLayerTar(l store.Layer) (io.ReadCloser, error) {
	f, err := os.Open(e.Store.LayerTarMetaPath(l.ChainID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("layer %s: %w", shortID(l.DiffID), ErrNoTarMeta)
	}
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		defer f.Close()
		h := sha256.New()
		// Assemble writes a header, then a file, in small pieces: the
		// buffer hands the pipe's reader a MiB at a time instead of waking
		// it for each.
		bw := bufio.NewWriterSize(pw, 1<<20)
		err := layerstream.Assemble(io.MultiWriter(h, bw), f, e.Store.LayerDiffDir(l.ChainID))
		if err == nil {
			err = bw.Flush()
		}
		if err == nil && digestOf(h) != l.DiffID {
			err = fmt.Errorf("layer %s: its files changed on disk: the rebuilt tar has digest %s", l.DiffID, digestOf(h))
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}
