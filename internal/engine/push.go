package engine

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/stream"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/store"
)

// Push progress states, in Docker's words.
const (
	StatusPreparing     = "Preparing"
	StatusPushing       = "Pushing"
	StatusPushed        = "Pushed"
	StatusLayerExists   = "Layer already exists"
	StatusMountedPrefix = "Mounted from "
)

// PushOptions tune a push.
type PushOptions struct {
	MaxConcurrent int // parallel layer uploads; 0 = 3
	// Progress receives layer updates (IDs are short diff IDs, top layer
	// first at the start); never called concurrently.
	Progress func(Progress)
}

// PushResult says what a push did.
type PushResult struct {
	Ref    reference.Reference
	Digest string // manifest digest
	Size   int    // manifest size
}

// Push uploads the image ref names to its registry: layers the repository
// has are skipped, layers pulled from another repository of the same
// registry are mounted from it, the others are compressed (gzip) and sent.
func (e *Engine) Push(ctx context.Context, ref reference.Reference, o PushOptions) (*PushResult, error) {
	if ref.Digest != "" {
		return nil, fmt.Errorf("cannot push %s: push a tag, not a digest", ref.Familiar())
	}
	im, _, err := e.Lookup(ref.String())
	if err != nil {
		return nil, fmt.Errorf("An image does not exist locally with the tag: %s", ref.FamiliarName())
	}
	cfg, err := e.Store.Config(im.ID)
	if err != nil {
		return nil, err
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 3
	}
	var mu sync.Mutex
	report := func(id, status string) {
		if o.Progress != nil {
			mu.Lock()
			o.Progress(Progress{ID: id, Status: status})
			mu.Unlock()
		}
	}
	w, err := e.Store.BeginWrite() // keeps GC off the layers and our tmp dir
	if err != nil {
		return nil, err
	}
	defer w.Close()

	pusher, err := e.registry(HostPlatform()).NewPusher(ctx, ref)
	if err != nil {
		return nil, err
	}
	for i := len(im.Layers) - 1; i >= 0; i-- {
		report(shortID(im.Layers[i].DiffID), StatusPreparing)
	}
	layers := make([]v1.Layer, len(im.Layers))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, o.MaxConcurrent)
	errs := make([]error, len(im.Layers))
	var wg sync.WaitGroup
	for i := range im.Layers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			l, err := e.pushLayer(ctx, pusher, ref, im.Layers[i], report)
			if err != nil {
				errs[i] = err
				cancel()
				return
			}
			layers[i] = l
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && err != context.Canceled {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	img, err := newPushImage(cfg, im.ID, layers)
	if err != nil {
		return nil, err
	}
	if err := pusher.PushImage(img); err != nil {
		return nil, err
	}
	raw, _ := img.RawManifest()
	e.emitImage("push", ref.Familiar(), ref.Familiar())
	return &PushResult{Ref: ref, Digest: store.Digest(raw), Size: len(raw)}, nil
}

// pushLayer places one layer in the repository and returns it as the
// manifest will name it.
func (e *Engine) pushLayer(ctx context.Context, p pusher, ref reference.Reference, l store.Layer, report func(id, status string)) (v1.Layer, error) {
	id := shortID(l.DiffID)
	diffID, err := v1.NewHash(l.DiffID)
	if err != nil {
		return nil, err
	}
	// What the store knows of a blob of this layer (pulled as, or pushed
	// before): the repository may have it, or a repository of the same
	// registry it came from.
	if rec, err := e.Store.Layer(l.ChainID); err == nil && rec.Digest != "" {
		l = rec
	}
	if known, err := v1.NewHash(l.Digest); err == nil && l.BlobSize > 0 && l.MediaType != "" {
		kl := &descLayer{digest: known, diffID: diffID, size: l.BlobSize, mediaType: types.MediaType(l.MediaType)}
		ok, err := p.HasBlob(known)
		if err != nil {
			return nil, err
		}
		if ok {
			report(id, StatusLayerExists)
			return kl, nil
		}
		if from, same := strings.CutPrefix(l.Source, ref.Domain+"/"); same && from != ref.Path {
			mounted, err := p.Mount(kl, from)
			if err != nil {
				return nil, err
			}
			if mounted {
				report(id, StatusMountedPrefix+from)
				return kl, nil
			}
		}
	}
	// Compressed while it streams to the registry: the digest is known at
	// the end, and the upload then committed under it.
	sl := &streamLayer{diffID: diffID, open: func() (io.ReadCloser, error) { return e.openLayerTar(l) }}
	report(id, StatusPushing)
	if err := p.PushLayer(sl); err != nil {
		return nil, err
	}
	d, _ := sl.Digest()
	size, _ := sl.Size()
	// Best effort: a later push only checks instead of compressing.
	_ = e.Store.SetLayerBlob(l.ChainID, d.String(), size, string(types.DockerLayer), ref.Name())
	report(id, StatusPushed)
	return &descLayer{digest: d, diffID: diffID, size: size, mediaType: types.DockerLayer}, nil
}

// pusher is what a push needs of the registry (registry.Pusher).
type pusher interface {
	HasBlob(v1.Hash) (bool, error)
	Mount(l v1.Layer, from string) (bool, error)
	PushLayer(v1.Layer) error
}

// streamLayer is a layer gzip'd as it is read; its digest and size are
// known once Compressed was read to the end (go-containerregistry then
// uploads it in a stream).
type streamLayer struct {
	diffID v1.Hash
	open   func() (io.ReadCloser, error) // the uncompressed tar
	mu     sync.Mutex
	digest *v1.Hash
	size   int64
}

func (s *streamLayer) Digest() (v1.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.digest == nil {
		return v1.Hash{}, stream.ErrNotComputed
	}
	return *s.digest, nil
}

func (s *streamLayer) Size() (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.digest == nil {
		return 0, stream.ErrNotComputed
	}
	return s.size, nil
}

func (s *streamLayer) DiffID() (v1.Hash, error)             { return s.diffID, nil }
func (s *streamLayer) MediaType() (types.MediaType, error)  { return types.DockerLayer, nil }
func (s *streamLayer) Uncompressed() (io.ReadCloser, error) { return s.open() }

func (s *streamLayer) Compressed() (io.ReadCloser, error) {
	src, err := s.open()
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		defer src.Close()
		h := sha256.New()
		cw := &countWriter{w: io.MultiWriter(pw, h)}
		zw, _ := gzip.NewWriterLevel(cw, gzip.DefaultCompression)
		_, err := io.CopyBuffer(zw, src, make([]byte, 1<<20))
		if err == nil {
			err = zw.Close()
		}
		if err == nil {
			d, _ := v1.NewHash(digestOf(h))
			s.mu.Lock()
			s.digest, s.size = &d, cw.n
			s.mu.Unlock()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// descLayer is a layer known by its descriptor: the registry has its bytes.
type descLayer struct {
	digest, diffID v1.Hash
	size           int64
	mediaType      types.MediaType
}

func (d *descLayer) Digest() (v1.Hash, error)            { return d.digest, nil }
func (d *descLayer) DiffID() (v1.Hash, error)            { return d.diffID, nil }
func (d *descLayer) Size() (int64, error)                { return d.size, nil }
func (d *descLayer) MediaType() (types.MediaType, error) { return d.mediaType, nil }
func (d *descLayer) Compressed() (io.ReadCloser, error) {
	return nil, fmt.Errorf("layer %s is not stored compressed", d.digest)
}
func (d *descLayer) Uncompressed() (io.ReadCloser, error) { return d.Compressed() }

// pushImage is the image a push sends: a Docker schema 2 manifest over the
// stored config and the pushed layers.
type pushImage struct {
	config   []byte
	manifest []byte
	layers   map[v1.Hash]v1.Layer
}

func newPushImage(config []byte, configDigest string, layers []v1.Layer) (v1.Image, error) {
	cd, err := v1.NewHash(configDigest)
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config:        v1.Descriptor{MediaType: types.DockerConfigJSON, Size: int64(len(config)), Digest: cd},
	}
	pi := &pushImage{config: config, layers: map[v1.Hash]v1.Layer{}}
	for _, l := range layers {
		d, _ := l.Digest()
		size, _ := l.Size()
		mt, _ := l.MediaType()
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: mt, Size: size, Digest: d})
		pi.layers[d] = l
	}
	if pi.manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	return partial.CompressedToImage(pi)
}

func (p *pushImage) RawConfigFile() ([]byte, error)      { return p.config, nil }
func (p *pushImage) MediaType() (types.MediaType, error) { return types.DockerManifestSchema2, nil }
func (p *pushImage) RawManifest() ([]byte, error)        { return p.manifest, nil }
func (p *pushImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := p.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("blob %s is not a layer of the image", h)
}
