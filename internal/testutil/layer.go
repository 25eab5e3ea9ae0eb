package testutil

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// blobLayer is a v1.Layer held in memory as its compressed bytes. Its digest
// and diff ID are computed once, when it is made.
type blobLayer struct {
	compressed []byte
	mediaType  types.MediaType
	digest     v1.Hash
	diffID     v1.Hash
}

// newLayer compresses an uncompressed tar with the compression that the
// media type names: zstd for OCILayerZStd, gzip otherwise.
func newLayer(tarBytes []byte, mt types.MediaType) (*blobLayer, error) {
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	if mt == types.OCILayerZStd {
		w, err = zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	} else {
		w, err = gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	}
	if err != nil {
		return nil, fmt.Errorf("creating %s compressor: %w", mt, err)
	}
	if _, err := w.Write(tarBytes); err != nil {
		return nil, fmt.Errorf("compressing layer: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compressing layer: %w", err)
	}
	l := &blobLayer{compressed: buf.Bytes(), mediaType: mt}
	if l.digest, _, err = v1.SHA256(bytes.NewReader(l.compressed)); err != nil {
		return nil, fmt.Errorf("hashing layer: %w", err)
	}
	if l.diffID, _, err = v1.SHA256(bytes.NewReader(tarBytes)); err != nil {
		return nil, fmt.Errorf("hashing layer tar: %w", err)
	}
	return l, nil
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *blobLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *blobLayer) Size() (int64, error)                { return int64(len(l.compressed)), nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
func (l *blobLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.compressed)), nil
}
func (l *blobLayer) Uncompressed() (io.ReadCloser, error) { return l.decompress() }

func (l *blobLayer) decompress() (io.ReadCloser, error) {
	if l.mediaType == types.OCILayerZStd {
		d, err := zstd.NewReader(bytes.NewReader(l.compressed), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("opening zstd layer: %w", err)
		}
		return d.IOReadCloser(), nil
	}
	r, err := gzip.NewReader(bytes.NewReader(l.compressed))
	if err != nil {
		return nil, fmt.Errorf("opening gzip layer: %w", err)
	}
	return r, nil
}

// layerMemo keeps the layers that are costly to build (compressing busybox,
// random data) for the life of the test binary.
var (
	layerMu   sync.Mutex
	layerMemo = map[string]*blobLayer{}
)

func memoLayer(key string, build func() (*blobLayer, error)) (*blobLayer, error) {
	layerMu.Lock()
	defer layerMu.Unlock()
	if l, ok := layerMemo[key]; ok {
		return l, nil
	}
	l, err := build()
	if err != nil {
		return nil, err
	}
	layerMemo[key] = l
	return l, nil
}
