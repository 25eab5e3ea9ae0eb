package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/geedocker/geedocker/internal/archive"
	"github.com/geedocker/geedocker/internal/layerstream"
	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/registry"
	"github.com/geedocker/geedocker/internal/store"
)

// Layer progress states, in Docker's words.
const (
	StatusWaiting     = "Waiting"
	StatusPulling     = "Pulling fs layer"
	StatusDownloading = "Downloading"
	StatusVerifying   = "Verifying Checksum"
	StatusDownloaded  = "Download complete"
	StatusExtracting  = "Extracting"
	StatusComplete    = "Pull complete"
	StatusExists      = "Already exists"
)

// Progress is one update about one layer of a pull.
type Progress struct {
	ID      string // short layer digest, 12 hex characters
	Status  string
	Current int64 // bytes downloaded so far
	Total   int64 // layer size
}

// PullOptions tune a pull.
type PullOptions struct {
	Platform      *v1.Platform // nil: the host's
	MaxConcurrent int          // parallel layer downloads; 0 = 3
	// Progress receives layer updates; it is called from several goroutines
	// but never concurrently.
	Progress func(Progress)
	// Resolved is called once the manifest is known, before layers move.
	Resolved func(layers []string)
}

// PullResult says what a pull did.
type PullResult struct {
	Ref     reference.Reference
	ID      string // image ID (config digest)
	Digest  string // repo digest
	Updated bool   // false when the image was already up to date
}

// Pull fetches the image ref names into the store.
func (e *Engine) Pull(ctx context.Context, ref reference.Reference, o PullOptions) (*PullResult, error) {
	p := HostPlatform()
	if o.Platform != nil {
		p = *o.Platform
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 3
	}
	var mu sync.Mutex
	report := func(pr Progress) {
		if o.Progress != nil {
			mu.Lock()
			o.Progress(pr)
			mu.Unlock()
		}
	}
	rim, err := e.registry(p).Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	var cfg v1.ConfigFile
	if err := json.Unmarshal(rim.Config, &cfg); err != nil {
		return nil, fmt.Errorf("%s: parsing image config: %w", ref.Familiar(), err)
	}
	diffIDs := make([]string, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		diffIDs[i] = d.String()
	}
	if len(diffIDs) != len(rim.Layers) {
		return nil, fmt.Errorf("%s: the manifest has %d layers but the config %d diff IDs", ref.Familiar(), len(rim.Layers), len(diffIDs))
	}
	chain := store.ChainIDs(diffIDs)

	w, err := e.Store.BeginWrite()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if err := e.Store.PutBlob(rim.ConfigDigest, rim.Config); err != nil {
		return nil, err
	}
	if err := e.Store.PutBlob(rim.Digest, rim.Manifest); err != nil && rim.Digest == store.Digest(rim.Manifest) {
		return nil, err
	}
	if o.Resolved != nil {
		ids := make([]string, len(rim.Layers))
		for i, l := range rim.Layers {
			ids[i] = shortID(l.Digest)
		}
		o.Resolved(ids)
	}

	layers := make([]store.Layer, len(rim.Layers))
	for i, l := range rim.Layers {
		layers[i] = store.Layer{ChainID: chain[i], DiffID: diffIDs[i], Digest: l.Digest, MediaType: l.MediaType,
			BlobSize: l.Size, Source: ref.Name()}
		if i > 0 {
			layers[i].Parent = chain[i-1]
		}
	}
	// Layers are independent overlay directories, so they download and
	// unpack in parallel, in any order.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, o.MaxConcurrent)
	errs := make(chan error, len(layers))
	var wg sync.WaitGroup
	for i := range layers {
		id := shortID(rim.Layers[i].Digest)
		if e.Store.HasLayer(chain[i]) {
			report(Progress{ID: id, Status: StatusExists})
			continue
		}
		report(Progress{ID: id, Status: StatusPulling, Total: rim.Layers[i].Size})
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
			defer func() { <-sem }()
			if err := e.pullLayer(ctx, rim, &layers[i], rim.Layers[i], report); err != nil {
				cancel()
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && err != context.Canceled {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range layers {
		if layers[i].Size == 0 {
			if l, err := e.Store.Layer(chain[i]); err == nil {
				layers[i].Size = l.Size
			}
		}
	}

	im := &store.Image{ID: rim.ConfigDigest, ManifestDigest: rim.Digest, Layers: layers, Created: cfg.Created.Time, Added: time.Now().UTC()}
	for _, l := range layers {
		im.Size += l.Size
	}
	repos, err := e.Store.Repositories()
	if err != nil {
		return nil, err
	}
	res := &PullResult{Ref: ref, ID: im.ID, Digest: rim.Digest}
	if old, err := e.Store.Image(im.ID); err == nil {
		im.Added = old.Added
	}
	refs := []string{ref.Name() + "@" + rim.Digest}
	if ref.Tag != "" {
		refs = append(refs, ref.Name()+":"+ref.Tag)
		prev, ok := repos.Lookup(ref.Name() + ":" + ref.Tag)
		res.Updated = !ok || prev != im.ID
	} else {
		_, ok := repos.Lookup(refs[0])
		res.Updated = !ok
	}
	if err := e.Store.PutImage(im); err != nil {
		return nil, err
	}
	if err := e.Store.Tag(im.ID, refs...); err != nil {
		return nil, err
	}
	e.emitImage("pull", ref.Familiar(), ref.Familiar())
	return res, nil
}

func shortID(digest string) string {
	if len(digest) > 7+12 {
		return digest[7 : 7+12]
	}
	return digest
}

// pullLayer streams one layer: download, verify the blob digest, decompress,
// hash the tar stream, and unpack it, all at once; then check the diff ID and
// commit. Decompression runs in its own goroutine so that it and the file
// writing use both cores.
func (e *Engine) pullLayer(ctx context.Context, rim *registry.Image, l *store.Layer, rl registry.Layer, report func(Progress)) error {
	id := shortID(rl.Digest)
	ing, exists, err := e.Store.BeginLayer(l.ChainID)
	if err != nil {
		return err
	}
	if exists {
		report(Progress{ID: id, Status: StatusExists})
		return nil
	}
	committed := false
	defer func() {
		if !committed {
			ing.Abort()
		}
	}()
	blob, err := rim.OpenLayer(ctx, rl.Digest)
	if err != nil {
		return err
	}
	defer blob.Close()
	counted := &progressReader{r: blob, report: func(n int64) {
		report(Progress{ID: id, Status: StatusDownloading, Current: n, Total: rl.Size})
	}}
	size, diffID, err := unpack(ctx, ing, counted, func() {
		report(Progress{ID: id, Status: StatusVerifying, Current: rl.Size, Total: rl.Size})
		report(Progress{ID: id, Status: StatusDownloaded, Current: rl.Size, Total: rl.Size})
		report(Progress{ID: id, Status: StatusExtracting, Current: rl.Size, Total: rl.Size})
	})
	if err != nil {
		return fmt.Errorf("layer %s: %w", rl.Digest, err)
	}
	if diffID != l.DiffID {
		return fmt.Errorf("layer %s: unpacked content has digest %s, but the image config says %s", rl.Digest, diffID, l.DiffID)
	}
	l.Size = size
	if err := ing.Commit(*l); err != nil {
		return err
	}
	committed = true
	report(Progress{ID: id, Status: StatusComplete, Current: rl.Size, Total: rl.Size})
	return nil
}

// unpack decompresses r, hashes the uncompressed stream and applies it to
// the ingest's directory, recording the tar metadata that rebuilds the stream
// (for push and save). It returns the content size and the diff ID.
// downloaded is called once r is fully read (and so its digest verified).
func unpack(ctx context.Context, ing *store.LayerIngest, r io.Reader, downloaded func()) (int64, string, error) {
	meta, err := os.Create(ing.TarMetaPath())
	if err != nil {
		return 0, "", err
	}
	defer meta.Close()
	pr, pw := io.Pipe()
	h := sha256.New()
	done := make(chan error, 1)
	tarLen := &countWriter{w: io.MultiWriter(pw, h)}
	go func() {
		err := decompressTo(tarLen, r)
		if err == nil && downloaded != nil {
			downloaded()
		}
		pw.CloseWithError(err)
		done <- err
	}()
	rec, err := layerstream.Record(pr, meta)
	if err != nil {
		pr.CloseWithError(err)
		<-done
		return 0, "", err
	}
	size, err := archive.Apply(ctx, ing.Dir(), rec, archive.Options{})
	if err == nil {
		// The tar end marker may be followed by padding: hash it all.
		_, err = io.Copy(io.Discard, rec)
	}
	if err == nil {
		err = rec.Finish()
	} else {
		pr.CloseWithError(fmt.Errorf("unpacking stopped"))
		rec.Abort()
	}
	pr.CloseWithError(fmt.Errorf("unpacking stopped"))
	if derr := <-done; derr != nil {
		return 0, "", derr
	}
	if err != nil {
		return 0, "", err
	}
	if err := meta.Close(); err != nil {
		return 0, "", err
	}
	ing.TarSize = tarLen.n
	return size, digestOf(h), nil
}

func decompressTo(w io.Writer, r io.Reader) error {
	dr, err := archive.Decompress(r)
	if err != nil {
		return err
	}
	defer dr.Close()
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(w, dr, buf); err != nil {
		return err
	}
	// Read the compressed stream to its end so its digest is checked.
	_, err = io.Copy(io.Discard, r)
	return err
}

func digestOf(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

type progressReader struct {
	r      io.Reader
	n      int64
	last   time.Time
	report func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if now := time.Now(); now.Sub(p.last) > 100*time.Millisecond {
		p.last = now
		p.report(p.n)
	}
	return n, err
}
