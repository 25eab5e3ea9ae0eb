package engine

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/store"
)

// Annotations of an OCI layout's index.json, as Docker (≥ 25) and
// containerd write them.
const (
	annotationImageName = "io.containerd.image.name"
	annotationRefName   = "org.opencontainers.image.ref.name"
)

// archiveManifest is one entry of a Docker archive's manifest.json.
type archiveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// Save writes the images names name to w as Docker (≥ 25) writes an archive:
// manifest.json and repositories for Docker's tools, and the same images as
// an OCI image layout (oci-layout, index.json, blobs/sha256/…) for OCI
// tools. Layers are stored uncompressed, named by their diff ID.
func (e *Engine) Save(ctx context.Context, names []string, w io.Writer) error {
	type saved struct {
		im   *store.Image
		tags []reference.Reference
	}
	var images []*saved
	byID := map[string]*saved{}
	for _, n := range names {
		im, ref, err := e.Lookup(n)
		if err != nil {
			return err
		}
		s := byID[im.ID]
		if s == nil {
			s = &saved{im: im}
			byID[im.ID] = s
			images = append(images, s)
		}
		if ref != nil && ref.Tag != "" && ref.Digest == "" {
			s.tags = append(s.tags, *ref)
		}
	}
	aw := &archiveWriter{tw: tar.NewWriter(w), seen: map[string]bool{}}
	if err := aw.dir("blobs/"); err != nil {
		return err
	}
	if err := aw.dir("blobs/sha256/"); err != nil {
		return err
	}
	var (
		manifests []archiveManifest
		index     = v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
		repos     = map[string]map[string]string{}
	)
	for _, s := range images {
		m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1}
		am := archiveManifest{}
		for _, l := range s.im.Layers {
			if err := ctx.Err(); err != nil {
				return err
			}
			size, err := e.layerTarSize(l)
			if err != nil {
				return err
			}
			h, err := v1.NewHash(l.DiffID)
			if err != nil {
				return err
			}
			name := "blobs/sha256/" + h.Hex
			if !aw.seen[name] {
				rc, err := e.openLayerTar(l)
				if err != nil {
					return err
				}
				err = aw.file(name, size, rc)
				rc.Close()
				if err != nil {
					return fmt.Errorf("saving layer %s: %w", shortID(l.DiffID), err)
				}
			}
			m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.OCIUncompressedLayer, Digest: h, Size: size})
			am.Layers = append(am.Layers, name)
		}
		cfg, err := e.Store.Config(s.im.ID)
		if err != nil {
			return err
		}
		ch, err := v1.NewHash(s.im.ID)
		if err != nil {
			return err
		}
		am.Config = "blobs/sha256/" + ch.Hex
		if err := aw.bytes(am.Config, cfg); err != nil {
			return err
		}
		m.Config = v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: ch, Size: int64(len(cfg))}
		mb, err := json.Marshal(m)
		if err != nil {
			return err
		}
		md, _ := v1.NewHash(store.Digest(mb))
		if err := aw.bytes("blobs/sha256/"+md.Hex, mb); err != nil {
			return err
		}
		desc := v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: md, Size: int64(len(mb))}
		if len(s.tags) == 0 {
			index.Manifests = append(index.Manifests, desc)
		}
		for _, t := range s.tags {
			d := desc
			d.Annotations = map[string]string{annotationImageName: t.String(), annotationRefName: t.Tag}
			index.Manifests = append(index.Manifests, d)
			am.RepoTags = append(am.RepoTags, t.FamiliarTagged())
			if repos[t.FamiliarName()] == nil {
				repos[t.FamiliarName()] = map[string]string{}
			}
			if n := len(s.im.Layers); n > 0 {
				repos[t.FamiliarName()][t.Tag] = strings.TrimPrefix(s.im.Layers[n-1].DiffID, "sha256:")
			}
		}
		manifests = append(manifests, am)
	}
	for _, f := range []struct {
		name string
		v    any
	}{
		{"index.json", index},
		{"manifest.json", manifests},
		{"oci-layout", map[string]string{"imageLayoutVersion": "1.0.0"}},
		{"repositories", repos},
	} {
		b, err := json.Marshal(f.v)
		if err != nil {
			return err
		}
		if err := aw.bytes(f.name, append(b, '\n')); err != nil {
			return err
		}
	}
	if err := aw.tw.Close(); err != nil {
		return err
	}
	for _, s := range images {
		e.emitImage("save", s.im.ID, s.im.ID)
	}
	return nil
}

// archiveWriter writes the entries of an image archive, each once.
type archiveWriter struct {
	tw   *tar.Writer
	seen map[string]bool
}

var archiveTime = time.Unix(0, 0).UTC()

func (a *archiveWriter) dir(name string) error {
	a.seen[name] = true
	return a.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: archiveTime, Format: tar.FormatPAX})
}

func (a *archiveWriter) file(name string, size int64, r io.Reader) error {
	a.seen[name] = true
	if err := a.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: archiveTime, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := io.CopyBuffer(a.tw, r, make([]byte, 1<<20))
	return err
}

func (a *archiveWriter) bytes(name string, b []byte) error {
	if a.seen[name] {
		return nil
	}
	return a.file(name, int64(len(b)), strings.NewReader(string(b)))
}
