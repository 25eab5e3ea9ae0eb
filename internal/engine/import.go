package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/store"
)

// ImportOptions configure `import`.
type ImportOptions struct {
	Ref     *reference.Reference // nil: an untagged image
	Changes []string             // Dockerfile instructions (--change)
	Message string               // --message, the history comment
}

// Import makes a one-layer image from a root file system tarball (plain,
// gzip or zstd), as `docker import` does, and returns its ID.
func (e *Engine) Import(ctx context.Context, r io.Reader, o ImportOptions) (string, error) {
	var cfg v1.Config
	for _, c := range o.Changes {
		if err := ApplyChange(&cfg, c); err != nil {
			return "", err
		}
	}
	w, err := e.Store.BeginWrite()
	if err != nil {
		return "", err
	}
	defer w.Close()
	ing, err := e.Store.NewLayerIngest()
	if err != nil {
		return "", err
	}
	size, diffID, err := unpack(ctx, ing, r, nil)
	if err != nil {
		ing.Abort()
		return "", fmt.Errorf("importing: %w", err)
	}
	layer := store.Layer{ChainID: diffID, DiffID: diffID, Size: size}
	if err := ing.Commit(layer); err != nil {
		return "", err
	}
	now := time.Now().UTC()
	p := HostPlatform()
	h, err := v1.NewHash(diffID)
	if err != nil {
		return "", err
	}
	cf := v1.ConfigFile{
		Architecture: p.Architecture, Variant: p.Variant, OS: p.OS,
		Created: v1.Time{Time: now},
		Config:  cfg,
		RootFS:  v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{h}},
		History: []v1.History{{Created: v1.Time{Time: now}, CreatedBy: "geedocker import", Comment: o.Message}},
	}
	b, err := json.Marshal(cf)
	if err != nil {
		return "", err
	}
	id := store.Digest(b)
	if err := e.Store.PutBlob(id, b); err != nil {
		return "", err
	}
	im := &store.Image{ID: id, Layers: []store.Layer{layer}, Size: size, Created: now, Added: now}
	if err := e.Store.PutImage(im); err != nil {
		return "", err
	}
	if o.Ref != nil {
		if err := e.Store.Tag(id, o.Ref.Name()+":"+o.Ref.Tag); err != nil {
			return "", err
		}
	}
	e.emitImage("import", id, id)
	return id, nil
}
