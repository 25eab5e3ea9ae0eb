package store

import (
	"errors"
	"testing"
)

// TestBuildCacheKeepsLayers: GC keeps what a cache record names until the
// cache is pruned.
func TestBuildCacheKeepsLayers(t *testing.T) {
	s := newStore(t)
	base := commitLayer(t, s, sha("base"), "", map[string]string{"a": "1"})
	step := commitLayer(t, s, sha("step"), base.ChainID, map[string]string{"b": "2"})
	cfg := []byte(`{"config":{}}`)
	id := sha(string(cfg))
	if err := s.PutBlob(id, cfg); err != nil {
		t.Fatal(err)
	}
	key := sha("key")
	if err := s.PutCacheEntry(key, &Image{ID: id, Layers: []Layer{base, step}}); err != nil {
		t.Fatal(err)
	}
	if err := s.GC(nil); err != nil {
		t.Fatal(err)
	}
	im, err := s.CacheEntry(key)
	if err != nil || im.ID != id || len(im.Layers) != 2 {
		t.Fatalf("CacheEntry after GC: %+v, %v", im, err)
	}
	if _, err := s.CacheEntry(sha("other")); !errors.Is(err, ErrNotFound) {
		t.Errorf("CacheEntry(unknown): %v, want ErrNotFound", err)
	}
	n, err := s.PruneBuildCache()
	if err != nil || n != 1 {
		t.Fatalf("PruneBuildCache = %d, %v; want 1", n, err)
	}
	if err := s.GC(nil); err != nil {
		t.Fatal(err)
	}
	for _, l := range []Layer{base, step} {
		if s.HasLayer(l.ChainID) {
			t.Errorf("layer %s kept after the cache was pruned", l.ChainID)
		}
	}
	if _, err := s.Blob(id); err == nil {
		t.Error("config kept after the cache was pruned")
	}
	if _, err := s.CacheEntry(key); !errors.Is(err, ErrNotFound) {
		t.Errorf("CacheEntry after prune: %v", err)
	}
}

// TestCacheEntryWithMissingLayer: a record whose layer is gone is a miss.
func TestCacheEntryWithMissingLayer(t *testing.T) {
	s := newStore(t)
	cfg := []byte(`{}`)
	id := sha(string(cfg))
	if err := s.PutBlob(id, cfg); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCacheEntry(sha("k"), &Image{ID: id, Layers: []Layer{{ChainID: sha("gone")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CacheEntry(sha("k")); !errors.Is(err, ErrNotFound) {
		t.Errorf("CacheEntry: %v, want ErrNotFound", err)
	}
}
