package archive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Magic numbers at the start of a layer blob.
var (
	gzipMagic  = []byte{0x1f, 0x8b}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	bzip2Magic = []byte{'B', 'Z', 'h'}
	tarMagic   = []byte("ustar") // at offset 257 of the first header
)

const (
	tarMagicOffset = 257
	tarBlockSize   = 512
	sniffBufSize   = 1 << 20
)

// Decompress sniffs the magic bytes of r and returns a reader of the
// uncompressed tar stream: gzip, zstd, or a plain tar passed through.
// Anything else (including xz and bzip2, which OCI layers do not use) is
// refused. Close releases the decoder's resources; it does not close r.
func Decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, sniffBufSize)
	head, err := br.Peek(tarBlockSize)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading layer header: %w", err)
	}

	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("opening gzip layer: %w", err)
		}
		return zr, nil
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("opening zstd layer: %w", err)
		}
		return zr.IOReadCloser(), nil
	case bytes.HasPrefix(head, xzMagic):
		return nil, errors.New("xz-compressed layers are not supported")
	case bytes.HasPrefix(head, bzip2Magic):
		return nil, errors.New("bzip2-compressed layers are not supported")
	case looksLikeTar(head):
		return io.NopCloser(br), nil
	default:
		return nil, errors.New("unrecognized layer format: not gzip, zstd or tar")
	}
}

// looksLikeTar reports whether head, the first bytes of a stream, is the
// start of a tar archive: a ustar (POSIX or GNU) header, an empty archive
// (zero blocks), or no bytes at all.
func looksLikeTar(head []byte) bool {
	if len(head) >= tarMagicOffset+len(tarMagic) &&
		bytes.Equal(head[tarMagicOffset:tarMagicOffset+len(tarMagic)], tarMagic) {
		return true
	}
	for _, b := range head {
		if b != 0 {
			return false
		}
	}
	return true
}
