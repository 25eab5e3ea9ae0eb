package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// The build cache maps a step's cache key (a sha256 digest computed by the
// builder) to the image state the step produced: a record of the Image type,
// whose config blob and layers are kept by GC like an image's. Records are
// written atomically once their layers and config are committed, so a
// killed build leaves none that is half made.

// CacheEntry returns the build cache record of key.
func (s *Store) CacheEntry(key string) (*Image, error) {
	h, err := hexOf(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.path("builder", h+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("build cache %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var im Image
	if err := json.Unmarshal(b, &im); err != nil {
		return nil, fmt.Errorf("build cache record %s: %w", key, err)
	}
	for _, l := range im.Layers {
		if !s.HasLayer(l.ChainID) {
			return nil, fmt.Errorf("build cache %s: layer %s: %w", key, l.ChainID, ErrNotFound)
		}
	}
	if _, err := s.Blob(im.ID); err != nil {
		return nil, fmt.Errorf("build cache %s: %w", key, err)
	}
	return &im, nil
}

// PutCacheEntry records im (config blob and layers already stored) under key.
func (s *Store) PutCacheEntry(key string, im *Image) error {
	h, err := hexOf(key)
	if err != nil {
		return err
	}
	if _, err := s.Blob(im.ID); err != nil {
		return fmt.Errorf("build cache %s: config: %w", key, err)
	}
	return writeJSONAtomic(s, s.path("builder", h+".json"), im)
}

// PruneBuildCache removes every build cache record and returns how many it
// removed; a GC then removes the layers and blobs only they used.
func (s *Store) PruneBuildCache() (int, error) {
	entries, err := os.ReadDir(s.path("builder"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if err := os.Remove(s.path("builder", e.Name())); err != nil && !os.IsNotExist(err) {
			return n, fmt.Errorf("removing build cache record: %w", err)
		}
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".tmp-") {
			n++
		}
	}
	return n, nil
}

// cacheRecords returns the build cache records, for GC.
func (s *Store) cacheRecords() ([]*Image, error) {
	entries, err := os.ReadDir(s.path("builder"))
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		b, err := os.ReadFile(s.path("builder", e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var im Image
		if json.Unmarshal(b, &im) != nil {
			continue // unreadable: keeps nothing
		}
		out = append(out, &im)
	}
	return out, nil
}

// CacheRecord is one build cache record, as `system df` shows it.
type CacheRecord struct {
	Key     string // the hex of the step's cache key
	Image   *Image
	Created time.Time
}

// CacheRecords lists the build cache records.
func (s *Store) CacheRecords() ([]CacheRecord, error) {
	entries, err := os.ReadDir(s.path("builder"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []CacheRecord
	for _, e := range entries {
		key, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(e.Name(), ".tmp-") {
			continue
		}
		b, err := os.ReadFile(s.path("builder", e.Name()))
		if err != nil {
			continue // removed meanwhile
		}
		var im Image
		if json.Unmarshal(b, &im) != nil {
			continue
		}
		rec := CacheRecord{Key: key, Image: &im, Created: im.Added}
		if fi, err := e.Info(); err == nil {
			rec.Created = fi.ModTime()
		}
		out = append(out, rec)
	}
	return out, nil
}

// RemoveCacheRecord removes the build cache record of key (the hex CacheRecords gives);
// a GC then removes what only it kept.
func (s *Store) RemoveCacheRecord(key string) error {
	if _, err := hexOf("sha256:" + key); err != nil {
		return err
	}
	if err := os.Remove(s.path("builder", key+".json")); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("removing build cache record: %w", err)
	}
	return nil
}
