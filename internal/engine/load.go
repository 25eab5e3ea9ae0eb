package engine

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/geedocker/geedocker/internal/archive"
	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/store"
)

// ErrBadArchive is the class of archives load refuses.
var ErrBadArchive = errors.New("invalid image archive")

// maxArchiveJSON bounds manifest.json, index.json, manifests and configs.
const maxArchiveJSON = 8 << 20

// Loaded is one image a load added.
type Loaded struct {
	ID   string
	Tags []reference.Reference
}

// Load reads an image archive — Docker's (any version: manifest.json) or an
// OCI image layout (index.json) — from r, plain or compressed, and adds its
// images. Every blob is checked against its digest and every layer against
// the config's diff IDs before anything becomes visible; a refused archive
// adds nothing.
func (e *Engine) Load(ctx context.Context, r io.Reader) ([]Loaded, error) {
	w, err := e.Store.BeginWrite()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	tmp, err := e.Store.TempDir("load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	f, err := spool(r, filepath.Join(tmp, "archive.tar"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := indexArchive(f)
	if err != nil {
		return nil, err
	}
	l := &loader{e: e, a: a, ctx: ctx, ingests: map[string]*store.LayerIngest{}}
	defer l.abort()
	var imgs []loadImage
	switch {
	case a.has("manifest.json"):
		imgs, err = l.dockerImages()
	case a.has("index.json"):
		imgs, err = l.ociImages()
	default:
		err = fmt.Errorf("%w: it has neither manifest.json nor index.json", ErrBadArchive)
	}
	if err != nil {
		return nil, err
	}
	loaded, err := l.commit(imgs)
	for _, li := range loaded {
		e.emitImage("load", li.ID, li.ID)
	}
	return loaded, err
}

// spool gives the archive as a file that can be read at any offset:
// r itself when it is a plain tar file, else a decompressed copy at dst.
func spool(r io.Reader, dst string) (*os.File, error) {
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			head := make([]byte, 512)
			n, _ := f.ReadAt(head, 0)
			if looksPlain(head[:n]) {
				g, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
				if err == nil {
					return g, nil
				}
			}
		}
	}
	dr, err := archive.Decompress(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadArchive, err)
	}
	defer dr.Close()
	out, err := os.Create(dst)
	if err != nil {
		return nil, err
	}
	if _, err := io.CopyBuffer(out, dr, make([]byte, 1<<20)); err != nil {
		out.Close()
		return nil, fmt.Errorf("%w: %v", ErrBadArchive, err)
	}
	return out, nil
}

// looksPlain reports an uncompressed tar header ("ustar" at 257).
func looksPlain(head []byte) bool {
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

// tarArchive is an index of an archive's files: name → where its bytes are.
type tarArchive struct {
	f     *os.File
	files map[string]span
	links map[string]string // symbolic links, target made relative to the root
}

type span struct{ off, size int64 }

func (a *tarArchive) has(name string) bool { _, err := a.lookup(name); return err == nil }

// indexArchive reads the archive's headers once. Entries whose names leave
// the archive, duplicates and truncation are refused.
func indexArchive(f *os.File) (*tarArchive, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	sr := io.NewSectionReader(f, 0, st.Size())
	tr := tar.NewReader(sr)
	a := &tarArchive{f: f, files: map[string]span{}, links: map[string]string{}}
	for n := 0; ; n++ {
		if n > 1_000_000 {
			return nil, fmt.Errorf("%w: too many entries", ErrBadArchive)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadArchive, truncated(err))
		}
		name, err := archiveName(hdr.Name)
		if err != nil {
			return nil, err
		}
		if _, dup := a.files[name]; dup {
			return nil, fmt.Errorf("%w: entry %q appears twice", ErrBadArchive, hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			off, _ := sr.Seek(0, io.SeekCurrent)
			if off+hdr.Size > st.Size() {
				return nil, fmt.Errorf("%w: truncated (entry %q)", ErrBadArchive, hdr.Name)
			}
			a.files[name] = span{off, hdr.Size}
		case tar.TypeSymlink:
			target := hdr.Linkname
			if !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(name), target)
			}
			t, err := archiveName(target)
			if err != nil {
				return nil, err
			}
			a.links[name] = t
		}
	}
	return a, nil
}

func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("truncated")
	}
	return err
}

// archiveName cleans an entry name; names that leave the archive are refused.
func archiveName(n string) (string, error) {
	c := path.Clean(n)
	if strings.HasPrefix(n, "/") || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%w: entry %q points outside the archive", ErrBadArchive, n)
	}
	return c, nil
}

func (a *tarArchive) lookup(name string) (span, error) {
	n, err := archiveName(name)
	if err != nil {
		return span{}, err
	}
	for hops := 0; hops < 16; hops++ {
		if s, ok := a.files[n]; ok {
			return s, nil
		}
		t, ok := a.links[n]
		if !ok {
			break
		}
		n = t
	}
	return span{}, fmt.Errorf("%w: %s is missing", ErrBadArchive, name)
}

func (a *tarArchive) open(name string) (*io.SectionReader, error) {
	s, err := a.lookup(name)
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(a.f, s.off, s.size), nil
}

func (a *tarArchive) readJSON(name string, v any) ([]byte, error) {
	r, err := a.open(name)
	if err != nil {
		return nil, err
	}
	if r.Size() > maxArchiveJSON {
		return nil, fmt.Errorf("%w: %s is too large", ErrBadArchive, name)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadArchive, name, err)
		}
	}
	return b, nil
}

// blobName is the OCI layout path of a digest.
func blobName(d v1.Hash) string { return "blobs/" + d.Algorithm + "/" + d.Hex }

// loadImage is an image of the archive, its layers unpacked but not committed.
type loadImage struct {
	id     string
	config []byte
	cfg    v1.ConfigFile
	layers []store.Layer
	tags   []reference.Reference
}

type loader struct {
	e       *Engine
	a       *tarArchive
	ctx     context.Context
	mu      sync.Mutex                    // guards ingests
	ingests map[string]*store.LayerIngest // chain ID → unpacked, not committed
	records map[string]store.Layer
}

func (l *loader) abort() {
	for _, ing := range l.ingests {
		ing.Abort()
	}
}

// dockerImages reads manifest.json (Docker's archive, old or ≥ 25).
func (l *loader) dockerImages() ([]loadImage, error) {
	var ms []archiveManifest
	if _, err := l.a.readJSON("manifest.json", &ms); err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%w: manifest.json lists no image", ErrBadArchive)
	}
	var out []loadImage
	for _, m := range ms {
		cfg, err := l.a.readJSON(m.Config, nil)
		if err != nil {
			return nil, err
		}
		id := store.Digest(cfg)
		if want, ok := blobDigest(m.Config); ok && want != id {
			return nil, fmt.Errorf("%w: %s has digest %s", ErrBadArchive, m.Config, id)
		}
		var blobs []layerBlob
		for _, p := range m.Layers {
			b := layerBlob{name: p}
			if d, ok := blobDigest(p); ok {
				b.digest = d
			}
			blobs = append(blobs, b)
		}
		im, err := l.image(id, cfg, blobs)
		if err != nil {
			return nil, err
		}
		for _, t := range m.RepoTags {
			ref, err := reference.Parse(t)
			if err != nil || ref.Tag == "" {
				return nil, fmt.Errorf("%w: bad tag %q in manifest.json", ErrBadArchive, t)
			}
			im.tags = append(im.tags, ref)
		}
		out = append(out, im)
	}
	return out, nil
}

// blobDigest reads the digest out of a "blobs/sha256/<hex>" path.
func blobDigest(p string) (string, bool) {
	h, ok := strings.CutPrefix(path.Clean(p), "blobs/sha256/")
	if !ok {
		return "", false
	}
	d := "sha256:" + h
	if _, err := v1.NewHash(d); err != nil {
		return "", false
	}
	return d, true
}

// ociImages reads index.json (an OCI image layout).
func (l *loader) ociImages() ([]loadImage, error) {
	var idx v1.IndexManifest
	if _, err := l.a.readJSON("index.json", &idx); err != nil {
		return nil, err
	}
	var out []loadImage
	byDigest := map[string]int{}
	var add func(desc v1.Descriptor, depth int) error
	add = func(desc v1.Descriptor, depth int) error {
		b, err := l.blob(desc)
		if err != nil {
			return err
		}
		switch desc.MediaType {
		case types.OCIImageIndex, types.DockerManifestList:
			if depth > 2 {
				return fmt.Errorf("%w: indexes nest too deep", ErrBadArchive)
			}
			var sub v1.IndexManifest
			if err := json.Unmarshal(b, &sub); err != nil {
				return fmt.Errorf("%w: index %s: %v", ErrBadArchive, desc.Digest, err)
			}
			host := HostPlatform()
			for _, d := range sub.Manifests {
				if d.Platform == nil || d.Platform.Satisfies(host) {
					d.Annotations = desc.Annotations
					return add(d, depth+1)
				}
			}
			return fmt.Errorf("%w: no image for %s in index %s", ErrBadArchive, platformString(host), desc.Digest)
		case types.OCIManifestSchema1, types.DockerManifestSchema2:
		default:
			return fmt.Errorf("%w: unsupported manifest type %q", ErrBadArchive, desc.MediaType)
		}
		var m v1.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%w: manifest %s: %v", ErrBadArchive, desc.Digest, err)
		}
		i, seen := byDigest[desc.Digest.String()]
		if !seen {
			cfg, err := l.blob(m.Config)
			if err != nil {
				return err
			}
			var blobs []layerBlob
			for _, ld := range m.Layers {
				blobs = append(blobs, layerBlob{name: blobName(ld.Digest), digest: ld.Digest.String(), size: ld.Size})
			}
			im, err := l.image(m.Config.Digest.String(), cfg, blobs)
			if err != nil {
				return err
			}
			out = append(out, im)
			i = len(out) - 1
			byDigest[desc.Digest.String()] = i
		}
		if ref, ok := ociRef(desc.Annotations); ok {
			out[i].tags = append(out[i].tags, ref)
		}
		return nil
	}
	for _, d := range idx.Manifests {
		if err := add(d, 0); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: index.json lists no image", ErrBadArchive)
	}
	return out, nil
}

// ociRef is the name an OCI layout gives a manifest: containerd's full name,
// or a ref.name that is a whole reference (a bare tag names no repository).
func ociRef(ann map[string]string) (reference.Reference, bool) {
	for _, k := range []string{annotationImageName, annotationRefName} {
		v := ann[k]
		if v == "" || k == annotationRefName && !strings.Contains(v, ":") {
			continue
		}
		if ref, err := reference.Parse(v); err == nil && ref.Tag != "" && ref.Digest == "" {
			return ref, true
		}
	}
	return reference.Reference{}, false
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// blob reads a small blob of an OCI layout, checking size and digest.
func (l *loader) blob(d v1.Descriptor) ([]byte, error) {
	if d.Size > maxArchiveJSON {
		return nil, fmt.Errorf("%w: blob %s is too large", ErrBadArchive, d.Digest)
	}
	b, err := l.a.readJSON(blobName(d.Digest), nil)
	if err != nil {
		return nil, err
	}
	if got := store.Digest(b); got != d.Digest.String() || int64(len(b)) != d.Size {
		return nil, fmt.Errorf("%w: blob %s does not match its digest or size", ErrBadArchive, d.Digest)
	}
	return b, nil
}

// layerBlob is a layer file of the archive: its digest when the archive
// names one (checked while it is read), else only the diff ID checks it.
type layerBlob struct {
	name   string
	digest string
	size   int64 // 0: not known
}

// image unpacks the layers of one image (those the store and this load do
// not have yet) and checks them against the config.
func (l *loader) image(id string, config []byte, blobs []layerBlob) (loadImage, error) {
	im := loadImage{id: id, config: config}
	if err := json.Unmarshal(config, &im.cfg); err != nil {
		return im, fmt.Errorf("%w: image config %s: %v", ErrBadArchive, id, err)
	}
	if len(im.cfg.RootFS.DiffIDs) != len(blobs) {
		return im, fmt.Errorf("%w: image %s has %d layers but its config %d diff IDs", ErrBadArchive, shortID(id), len(blobs), len(im.cfg.RootFS.DiffIDs))
	}
	diffIDs := make([]string, len(blobs))
	for i, d := range im.cfg.RootFS.DiffIDs {
		diffIDs[i] = d.String()
	}
	chain := store.ChainIDs(diffIDs)
	if l.records == nil {
		l.records = map[string]store.Layer{}
	}
	// Layers are independent directories: they unpack in parallel.
	im.layers = make([]store.Layer, len(blobs))
	type job struct {
		i   int
		rec store.Layer
	}
	var jobs []job
	for i := range blobs {
		rec := store.Layer{ChainID: chain[i], DiffID: diffIDs[i]}
		if i > 0 {
			rec.Parent = chain[i-1]
		}
		if old, ok := l.records[chain[i]]; ok {
			im.layers[i] = old
			continue
		}
		if have, err := l.e.Store.Layer(chain[i]); err == nil {
			im.layers[i] = have
			continue
		}
		l.records[chain[i]] = rec // claimed; the size comes below
		jobs = append(jobs, job{i, rec})
	}
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, 3)
	var wg sync.WaitGroup
	for k, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			size, err := l.unpackLayer(blobs[j.i], j.rec)
			j.rec.Size = size
			im.layers[j.i], errs[k] = j.rec, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return im, err
		}
	}
	for _, j := range jobs {
		l.records[j.rec.ChainID] = im.layers[j.i]
	}
	return im, nil
}

func (l *loader) unpackLayer(b layerBlob, rec store.Layer) (int64, error) {
	r, err := l.a.open(b.name)
	if err != nil {
		return 0, err
	}
	if b.size > 0 && r.Size() != b.size {
		return 0, fmt.Errorf("%w: layer %s has %d bytes, the manifest says %d", ErrBadArchive, b.name, r.Size(), b.size)
	}
	ing, err := l.e.Store.NewLayerIngest()
	if err != nil {
		return 0, err
	}
	l.mu.Lock()
	l.ingests[rec.ChainID] = ing
	l.mu.Unlock()
	var src io.Reader = bufio.NewReaderSize(r, 1<<20)
	var h hash.Hash
	if b.digest != "" {
		h = sha256.New()
		src = io.TeeReader(src, h)
	}
	size, diffID, err := unpack(l.ctx, ing, src, nil)
	if err != nil {
		return 0, fmt.Errorf("%w: layer %s: %v", ErrBadArchive, b.name, err)
	}
	if h != nil && digestOf(h) != b.digest {
		return 0, fmt.Errorf("%w: layer %s does not match its digest (it has %s)", ErrBadArchive, b.name, digestOf(h))
	}
	if diffID != rec.DiffID {
		return 0, fmt.Errorf("%w: layer %s has diff ID %s, the image config says %s", ErrBadArchive, b.name, diffID, rec.DiffID)
	}
	return size, nil
}

// commit makes the verified layers and images visible and tags them.
func (l *loader) commit(imgs []loadImage) ([]Loaded, error) {
	for chainID, ing := range l.ingests {
		if err := ing.Commit(l.records[chainID]); err != nil {
			return nil, err
		}
		delete(l.ingests, chainID)
	}
	now := time.Now().UTC()
	var out []Loaded
	for _, im := range imgs {
		if err := l.e.Store.PutBlob(im.id, im.config); err != nil {
			return nil, err
		}
		rec := &store.Image{ID: im.id, Layers: im.layers, Created: im.cfg.Created.Time, Added: now}
		if old, err := l.e.Store.Image(im.id); err == nil {
			rec.Added = old.Added
			rec.ManifestDigest = old.ManifestDigest
		}
		for _, ly := range im.layers {
			rec.Size += ly.Size
		}
		if err := l.e.Store.PutImage(rec); err != nil {
			return nil, err
		}
		var refs []string
		for _, t := range im.tags {
			refs = append(refs, t.Name()+":"+t.Tag)
		}
		if len(refs) > 0 {
			if err := l.e.Store.Tag(im.id, refs...); err != nil {
				return nil, err
			}
		}
		out = append(out, Loaded{ID: im.id, Tags: im.tags})
	}
	return out, nil
}
