package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/geedocker/geedocker/internal/lockfile"
)

// Repositories is the index of names: fully qualified "name:tag" and
// "name@sha256:…" references, each pointing at an image ID.
type Repositories struct {
	Tags    map[string]string `json:"tags"`
	Digests map[string]string `json:"digests"`
}

// Refs returns the references pointing at id (tags, then digests), sorted.
func (r *Repositories) Refs(id string) (tags, digests []string) {
	for ref, v := range r.Tags {
		if v == id {
			tags = append(tags, ref)
		}
	}
	for ref, v := range r.Digests {
		if v == id {
			digests = append(digests, ref)
		}
	}
	sort.Strings(tags)
	sort.Strings(digests)
	return tags, digests
}

// Lookup resolves a fully qualified tag or digest reference.
func (r *Repositories) Lookup(ref string) (string, bool) {
	if strings.Contains(ref, "@") {
		id, ok := r.Digests[ref]
		return id, ok
	}
	id, ok := r.Tags[ref]
	return id, ok
}

func (r *Repositories) remove(ref string) {
	delete(r.Tags, ref)
	delete(r.Digests, ref)
}

// Repositories reads the index; readers need no lock.
func (s *Store) Repositories() (*Repositories, error) {
	r := &Repositories{Tags: map[string]string{}, Digests: map[string]string{}}
	b, err := os.ReadFile(s.path("repositories.json"))
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("reading repositories.json: %w", err)
	}
	if r.Tags == nil {
		r.Tags = map[string]string{}
	}
	if r.Digests == nil {
		r.Digests = map[string]string{}
	}
	return r, nil
}

// UpdateRepositories runs fn on the index under the meta lock and writes the
// result atomically when fn returns nil.
func (s *Store) UpdateRepositories(fn func(*Repositories) error) error {
	l, err := lockfile.Acquire(s.path("locks", "meta"), lockfile.Exclusive)
	if err != nil {
		return err
	}
	defer l.Unlock()
	r, err := s.Repositories()
	if err != nil {
		return err
	}
	if err := fn(r); err != nil {
		return err
	}
	return writeJSONAtomic(s, s.path("repositories.json"), r)
}

// Tag points the references at id (replacing what they pointed at).
func (s *Store) Tag(id string, refs ...string) error {
	if _, err := s.Image(id); err != nil {
		return err
	}
	return s.UpdateRepositories(func(r *Repositories) error {
		for _, ref := range refs {
			if strings.Contains(ref, "@") {
				r.Digests[ref] = id
			} else {
				r.Tags[ref] = id
			}
		}
		return nil
	})
}

// Untag removes references.
func (s *Store) Untag(refs ...string) error {
	return s.UpdateRepositories(func(r *Repositories) error {
		for _, ref := range refs {
			r.remove(ref)
		}
		return nil
	})
}
