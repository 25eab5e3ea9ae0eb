package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/geedocker/geedocker/internal/lockfile"
)

// DeleteImage removes an image record and every reference to it. Its layers
// and blobs stay until GC finds them unreferenced.
func (s *Store) DeleteImage(id string) error {
	h, err := hexOf(id)
	if err != nil {
		return err
	}
	err = s.UpdateRepositories(func(r *Repositories) error {
		tags, digests := r.Refs(id)
		for _, ref := range append(tags, digests...) {
			r.remove(ref)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := os.Remove(s.path("images", h+".json")); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("deleting image %s: %w", id, err)
	}
	return nil
}

// GC removes the layers and blobs that no image references, and what killed
// writers left in tmp/. keepLayers names extra chain IDs in use (by
// containers). It waits for running writers to finish.
func (s *Store) GC(keepLayers []string) error {
	l, err := lockfile.Acquire(s.path("locks", "gc"), lockfile.Exclusive)
	if err != nil {
		return err
	}
	defer l.Unlock()
	if err := s.cleanTmp(); err != nil {
		return err
	}
	// Per-layer lock files: layer ingests run only under a Writer, so none
	// is held now. Temp files of atomic writes killed halfway (blobs/ is
	// swept below): index and record writes take the meta lock, not the gc
	// one, so hold it too.
	if meta, err := lockfile.Acquire(s.path("locks", "meta"), lockfile.Exclusive); err == nil {
		for _, pattern := range []string{"images/.tmp-*", "builder/.tmp-*", ".tmp-*", "locks/layer-*"} {
			leftovers, _ := filepath.Glob(s.path(pattern))
			for _, p := range leftovers {
				os.Remove(p)
			}
		}
		meta.Unlock()
	}
	layers := map[string]bool{}
	blobs := map[string]bool{}
	for _, c := range keepLayers {
		layers[strings.TrimPrefix(c, "sha256:")] = true
	}
	ids, err := s.ImageIDs()
	if err != nil {
		return err
	}
	var roots []*Image
	for _, id := range ids {
		im, err := s.Image(id)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile by another rmi
		}
		if err != nil {
			return err
		}
		roots = append(roots, im)
	}
	cached, err := s.cacheRecords()
	if err != nil {
		return err
	}
	for _, im := range append(roots, cached...) {
		blobs[strings.TrimPrefix(im.ID, "sha256:")] = true
		if im.ManifestDigest != "" {
			blobs[strings.TrimPrefix(im.ManifestDigest, "sha256:")] = true
		}
		for _, ly := range im.Layers {
			layers[strings.TrimPrefix(ly.ChainID, "sha256:")] = true
		}
	}
	if err := s.sweep("layers", layers); err != nil {
		return err
	}
	return s.sweep("blobs/sha256", blobs)
}

// sweep removes the entries of dir not in keep: first renamed into tmp/ (so
// they vanish at once), then deleted.
func (s *Store) sweep(dir string, keep map[string]bool) error {
	entries, err := os.ReadDir(s.path(dir))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if keep[e.Name()] {
			continue
		}
		trash, err := s.tmpDir("trash-")
		if err != nil {
			return err
		}
		if err := os.Rename(s.path(dir, e.Name()), trash+"/x"); err != nil {
			return fmt.Errorf("removing %s/%s: %w", dir, e.Name(), err)
		}
		if err := os.RemoveAll(trash); err != nil {
			return fmt.Errorf("removing %s/%s: %w", dir, e.Name(), err)
		}
	}
	return nil
}
