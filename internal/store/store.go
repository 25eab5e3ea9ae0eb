// Package store keeps GeeDocker's images on disk: content-addressed blobs,
// unpacked layer directories keyed by chain ID, image records and the
// repository index (tags and digests).
//
// Layout under the root (default /var/lib/geedocker):
//
//	blobs/sha256/<hex>        manifests and image configs, verified by digest
//	layers/<chainhex>/diff    one unpacked layer, an overlayfs lower directory
//	layers/<chainhex>/layer.json
//	layers/<chainhex>/tar-split.json.gz  tar headers that rebuild the layer's tar
//	images/<idhex>.json       one record per image (ID = config digest)
//	repositories.json         "name:tag" and "name@digest" -> image ID
//	builder/<keyhex>.json     build cache: a step's key -> the image state it made
//	tmp/                      work in progress; never read by anyone else
//	locks/                    flock files
//
// Lifecycle and durability: nothing becomes visible before it is complete and
// verified. Blobs are written to tmp, hashed while written, fsynced and renamed
// into place. A layer is unpacked into a tmp directory, its diff ID checked by
// the caller, the file system synced once (syncfs), then the directory is
// renamed into layers/. Image records and the repository index are replaced
// by atomic renames. A process killed at any moment leaves only entries in
// tmp/ and, at worst, unreferenced blobs or layers; both are removed by the
// next garbage collection.
//
// Locking: every writer that adds content (pull, import, later container
// creation) holds the shared "gc" lock while it works; garbage collection and
// the cleaning of tmp/ hold it exclusively, so they never delete what a
// running pull has written but not yet referenced. Index updates take the
// short exclusive "meta" lock. Readers (images, inspect) take no lock: every
// file they read is replaced atomically. The locks are flock(2) locks, so a
// killed process never leaves one held.
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/lockfile"
)

// ErrNotFound is the class of "no such image / layer / blob" errors.
var ErrNotFound = errdefs.NotFound(errors.New("not found"))

// Store is an image store rooted at one directory.
type Store struct {
	root string
}

// Open prepares the store at root, creating its directories, and removes
// leftovers of killed writers when no writer is active.
func Open(root string) (*Store, error) {
	if !filepath.IsAbs(root) {
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, fmt.Errorf("store root %q: %w", root, err)
		}
		root = abs
	}
	s := &Store{root: root}
	for _, d := range []string{"blobs/sha256", "layers", "images", "builder", "tmp", "locks"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, fmt.Errorf("creating store directory: %w", err)
		}
	}
	if err := s.cleanTmpIfIdle(); err != nil {
		return nil, err
	}
	return s, nil
}

// Root returns the store's root directory.
func (s *Store) Root() string { return s.root }

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.root}, elem...)...)
}

// cleanTmpIfIdle removes what killed writers left in tmp/, but only when no
// writer holds the gc lock.
func (s *Store) cleanTmpIfIdle() error {
	entries, err := os.ReadDir(s.path("tmp"))
	if err != nil || len(entries) == 0 {
		return err
	}
	l, ok, err := lockfile.TryAcquire(s.path("locks", "gc"), lockfile.Exclusive)
	if err != nil || !ok {
		return err
	}
	defer l.Unlock()
	return s.cleanTmp()
}

func (s *Store) cleanTmp() error {
	entries, err := os.ReadDir(s.path("tmp"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(s.path("tmp", e.Name())); err != nil {
			return fmt.Errorf("removing leftover %s: %w", e.Name(), err)
		}
	}
	return nil
}

// Writer is held by anything that adds content to the store; while at least
// one Writer is open, garbage collection waits.
type Writer struct{ l *lockfile.Lock }

// BeginWrite takes the shared gc lock. Close it when the new content is
// referenced (or abandoned).
func (s *Store) BeginWrite() (*Writer, error) {
	l, err := lockfile.Acquire(s.path("locks", "gc"), lockfile.Shared)
	if err != nil {
		return nil, err
	}
	return &Writer{l: l}, nil
}

// Close releases the writer's lock.
func (w *Writer) Close() error { return w.l.Unlock() }

// TempDir makes a new private directory in tmp/ for work in progress; the
// caller holds a Writer while it uses it and removes it when done.
func (s *Store) TempDir(prefix string) (string, error) { return s.tmpDir(prefix) }

// tmpDir makes a new private directory in tmp/.
func (s *Store) tmpDir(prefix string) (string, error) {
	return os.MkdirTemp(s.path("tmp"), prefix)
}

// ---- blobs ----

// Digest returns "sha256:<hex>" of b.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// hexOf validates a "sha256:<hex>" digest and returns the hex part.
func hexOf(digest string) (string, error) {
	h, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(h) != 64 {
		return "", fmt.Errorf("invalid digest %q", digest)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("invalid digest %q", digest)
	}
	return h, nil
}

// PutBlob stores b under digest, refusing bytes that do not match it.
func (s *Store) PutBlob(digest string, b []byte) error {
	h, err := hexOf(digest)
	if err != nil {
		return err
	}
	if got := Digest(b); got != digest {
		return fmt.Errorf("blob %s: content has digest %s", digest, got)
	}
	dst := s.path("blobs", "sha256", h)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	return s.writeFileAtomic(dst, b)
}

// Blob reads a stored blob.
func (s *Store) Blob(digest string) ([]byte, error) {
	h, err := hexOf(digest)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.path("blobs", "sha256", h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", digest, ErrNotFound)
	}
	return b, err
}

// writeFileAtomic writes b to dst through a temp file in the same directory:
// write, fsync, rename, fsync the directory.
func (s *Store) writeFileAtomic(dst string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dst, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	ok = true
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func writeJSONAtomic(s *Store, dst string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return s.writeFileAtomic(dst, b)
}

// ---- layers ----

// Layer describes one unpacked layer.
type Layer struct {
	ChainID string `json:"chainID"`
	DiffID  string `json:"diffID"`
	Parent  string `json:"parent,omitempty"` // chain ID of the layer below
	Size    int64  `json:"size"`             // bytes of file content
	// Digest and MediaType of the compressed blob it came from, when pulled.
	Digest    string `json:"digest,omitempty"`
	MediaType string `json:"mediaType,omitempty"`
	BlobSize  int64  `json:"blobSize,omitempty"`
	// TarSize is the length of the layer's tar stream (0: not recorded).
	TarSize int64 `json:"tarSize,omitempty"`
	// Source is the repository (domain/path) the blob was pulled from: a
	// push to the same registry can mount it from there.
	Source string `json:"source,omitempty"`
}

// ChainID computes the chain IDs of a stack of diff IDs, bottom first, as
// the OCI image spec defines them.
func ChainIDs(diffIDs []string) []string {
	out := make([]string, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		out[i] = Digest([]byte(out[i-1] + " " + d))
	}
	return out
}

func (s *Store) layerDir(chainID string) (string, error) {
	h, err := hexOf(chainID)
	if err != nil {
		return "", err
	}
	return s.path("layers", h), nil
}

// LayerDiffDir is the directory holding the layer's files: the overlayfs
// lower directory of this layer.
func (s *Store) LayerDiffDir(chainID string) string {
	d, _ := s.layerDir(chainID)
	return filepath.Join(d, "diff")
}

// Layer returns the record of a committed layer.
func (s *Store) Layer(chainID string) (Layer, error) {
	d, err := s.layerDir(chainID)
	if err != nil {
		return Layer{}, err
	}
	var l Layer
	b, err := os.ReadFile(filepath.Join(d, "layer.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Layer{}, fmt.Errorf("layer %s: %w", chainID, ErrNotFound)
	}
	if err != nil {
		return Layer{}, err
	}
	return l, json.Unmarshal(b, &l)
}

// SetLayerBlob records, for a layer that has none, the compressed blob a
// push made of it (digest, size, media type) and the repository it went
// to, so that the next push finds it in a registry without compressing the
// layer again. The record is replaced atomically.
func (s *Store) SetLayerBlob(chainID, digest string, size int64, mediaType, source string) error {
	l, err := s.Layer(chainID)
	if err != nil {
		return err
	}
	if l.Digest != "" {
		return nil
	}
	l.Digest, l.BlobSize, l.MediaType, l.Source = digest, size, mediaType, source
	d, err := s.layerDir(chainID)
	if err != nil {
		return err
	}
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return s.writeFileAtomic(filepath.Join(d, "layer.json"), b)
}

// HasLayer reports whether a layer is committed.
func (s *Store) HasLayer(chainID string) bool {
	_, err := s.Layer(chainID)
	return err == nil
}

// LayerIngest is a layer being unpacked. Unpack into Dir(), then Commit or Abort.
type LayerIngest struct {
	// TarSize is the length of the tar stream unpacked, set by the unpacker;
	// Commit records it.
	TarSize int64
	s       *Store
	tmp     string
	lock    *lockfile.Lock // per-layer lock when the chain ID was known up front
}

// BeginLayer starts the ingest of a layer whose chain ID is known. It waits
// while another process ingests the same layer; exists is true (and the
// ingest nil) when the layer is already committed, by someone else or
// earlier. The caller must hold a Writer.
func (s *Store) BeginLayer(chainID string) (ing *LayerIngest, exists bool, err error) {
	h, err := hexOf(chainID)
	if err != nil {
		return nil, false, err
	}
	l, err := lockfile.Acquire(s.path("locks", "layer-"+h), lockfile.Exclusive)
	if err != nil {
		return nil, false, err
	}
	if s.HasLayer(chainID) {
		l.Unlock()
		return nil, true, nil
	}
	ing, err = s.NewLayerIngest()
	if err != nil {
		l.Unlock()
		return nil, false, err
	}
	ing.lock = l
	return ing, false, nil
}

// NewLayerIngest starts the ingest of a layer whose chain ID is known only
// once it is unpacked (an import). The caller must hold a Writer.
func (s *Store) NewLayerIngest() (*LayerIngest, error) {
	tmp, err := s.tmpDir("layer-")
	if err == nil {
		err = os.Mkdir(filepath.Join(tmp, "diff"), 0o755)
	}
	if err != nil {
		return nil, fmt.Errorf("preparing layer directory: %w", err)
	}
	return &LayerIngest{s: s, tmp: tmp}, nil
}

// Dir is the directory to unpack the layer's files into.
func (li *LayerIngest) Dir() string { return filepath.Join(li.tmp, "diff") }

// TarMetaPath is where the layer's tar metadata (internal/layerstream) is
// written during the ingest.
func (li *LayerIngest) TarMetaPath() string { return filepath.Join(li.tmp, tarMetaFile) }

// tarMetaFile holds what rebuilds the layer's tar stream from diff/.
const tarMetaFile = "tar-split.json.gz"

// LayerTarMetaPath is the tar metadata of a committed layer; layers stored
// by older versions have none.
func (s *Store) LayerTarMetaPath(chainID string) string {
	d, _ := s.layerDir(chainID)
	return filepath.Join(d, tarMetaFile)
}

// Commit makes the layer l.ChainID visible: sync the file system, write its
// record, rename the directory into place. When the same layer was committed
// meanwhile, this copy is discarded.
func (li *LayerIngest) Commit(l Layer) error {
	defer li.release()
	if l.TarSize == 0 {
		l.TarSize = li.TarSize
	}
	dst, err := li.s.layerDir(l.ChainID)
	if err != nil {
		os.RemoveAll(li.tmp)
		return err
	}
	if err := syncFS(li.tmp); err != nil {
		os.RemoveAll(li.tmp)
		return fmt.Errorf("syncing layer %s: %w", l.ChainID, err)
	}
	b, err := json.Marshal(l)
	if err == nil {
		err = os.WriteFile(filepath.Join(li.tmp, "layer.json"), b, 0o600)
	}
	if err == nil {
		err = syncFile(filepath.Join(li.tmp, "layer.json"))
	}
	if err == nil {
		err = os.Rename(li.tmp, dst)
		if err != nil && li.s.HasLayer(l.ChainID) {
			os.RemoveAll(li.tmp)
			return nil
		}
	}
	if err != nil {
		os.RemoveAll(li.tmp)
		return fmt.Errorf("committing layer %s: %w", l.ChainID, err)
	}
	return syncDir(filepath.Dir(dst))
}

// Abort discards the ingest.
func (li *LayerIngest) Abort() {
	os.RemoveAll(li.tmp)
	li.release()
}

func (li *LayerIngest) release() {
	if li.lock != nil {
		li.lock.Unlock()
		li.lock = nil
	}
}

func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ---- images ----

// Image is the record of one image. Its ID is the digest of its config.
type Image struct {
	ID             string    `json:"id"`
	ManifestDigest string    `json:"manifestDigest,omitempty"` // for pulled images
	Layers         []Layer   `json:"layers"`                   // bottom first
	Size           int64     `json:"size"`
	Created        time.Time `json:"created"`
	Added          time.Time `json:"added"`
}

// ChainIDs of the image's layers, bottom first.
func (im *Image) ChainIDs() []string {
	out := make([]string, len(im.Layers))
	for i, l := range im.Layers {
		out[i] = l.ChainID
	}
	return out
}

// LowerDirs are the overlayfs lower directories of the image, top layer
// first, as the lowerdir= option wants them.
func (s *Store) LowerDirs(im *Image) []string {
	out := make([]string, 0, len(im.Layers))
	for i := len(im.Layers) - 1; i >= 0; i-- {
		out = append(out, s.LayerDiffDir(im.Layers[i].ChainID))
	}
	return out
}

// PutImage stores an image record; its config blob must already be stored.
func (s *Store) PutImage(im *Image) error {
	h, err := hexOf(im.ID)
	if err != nil {
		return err
	}
	if _, err := s.Blob(im.ID); err != nil {
		return fmt.Errorf("image %s: config: %w", im.ID, err)
	}
	for _, l := range im.Layers {
		if !s.HasLayer(l.ChainID) {
			return fmt.Errorf("image %s: layer %s: %w", im.ID, l.ChainID, ErrNotFound)
		}
	}
	l, err := lockfile.Acquire(s.path("locks", "meta"), lockfile.Exclusive)
	if err != nil {
		return err
	}
	defer l.Unlock()
	return writeJSONAtomic(s, s.path("images", h+".json"), im)
}

// Image reads an image record by full ID.
func (s *Store) Image(id string) (*Image, error) {
	h, err := hexOf(id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.path("images", h+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("image %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var im Image
	if err := json.Unmarshal(b, &im); err != nil {
		return nil, fmt.Errorf("image record %s: %w", id, err)
	}
	return &im, nil
}

// ImageIDs lists the IDs of all images, sorted.
func (s *Store) ImageIDs() ([]string, error) {
	entries, err := os.ReadDir(s.path("images"))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if h, ok := strings.CutSuffix(e.Name(), ".json"); ok && len(h) == 64 {
			ids = append(ids, "sha256:"+h)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Config reads an image's config blob.
func (s *Store) Config(id string) ([]byte, error) { return s.Blob(id) }
