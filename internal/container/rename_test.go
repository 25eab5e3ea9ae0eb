package container

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/geedocker/geedocker/internal/errdefs"
)

func TestRename(t *testing.T) {
	s := newStore(t)
	web := create(t, s, hexID("aa", '1'), "web")
	db := create(t, s, hexID("bb", '2'), "db")

	got, err := s.Rename(web.ID, "/front")
	if err != nil || got.Name != "front" {
		t.Fatalf("Rename(web, /front) = %v, %v", got, err)
	}
	if c, err := s.Lookup("front"); err != nil || c.ID != web.ID || c.Name != "front" {
		t.Errorf("Lookup(front) = %v, %v", c, err)
	}
	if _, err := s.Lookup("web"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup(web) after the rename: %v, want not found", err)
	}
	// The old name is free for another container.
	create(t, s, hexID("cc", '3'), "web")

	tests := []struct {
		name, to string
		class    error
		msg      string
	}{
		{"taken", "db", ErrNameInUse, `Conflict. The container name "/db" is already in use by container "` + db.ID + `". You have to remove (or rename) that container to be able to reuse that name.`},
		{"same", "front", ErrSameName, "Renaming a container with the same name as its current name"},
		{"empty", "", nil, "Neither old nor new names may be empty"},
		{"invalid", "a/b", nil, "Invalid container name (a/b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Rename(web.ID, tt.to)
			if err == nil || err.Error() != tt.msg {
				t.Fatalf("Rename(%q) = %v, want %q", tt.to, err, tt.msg)
			}
			if tt.class != nil && !errors.Is(err, tt.class) {
				t.Errorf("Rename(%q): %v is not %v", tt.to, err, tt.class)
			}
			if !errdefs.IsConflict(err) && !errdefs.IsInvalidArgument(err) {
				t.Errorf("Rename(%q): %v has no error class", tt.to, err)
			}
			// Nothing changed: the name and the links are as they were.
			if c, _ := s.Get(web.ID); c.Name != "front" {
				t.Errorf("name after a refused rename: %q", c.Name)
			}
			if id, _ := os.Readlink(filepath.Join(s.root, "names", "db")); id != db.ID {
				t.Errorf("names/db -> %q", id)
			}
		})
	}
	if _, err := s.Rename(hexID("dd", '4'), "x1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Rename of a missing container: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(s.root, "names", "x1")); !os.IsNotExist(err) {
		t.Errorf("names/x1 left by a failed rename: %v", err)
	}
}

// Two containers renamed to one name at once: one wins, the other keeps its name.
func TestRenameRace(t *testing.T) {
	s := newStore(t)
	a := create(t, s, hexID("aa", '1'), "a1")
	b := create(t, s, hexID("bb", '2'), "b1")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, c := range []*Container{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Rename(c.ID, "shared")
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("renames: %v, %v; want exactly one to succeed", errs[0], errs[1])
	}
	winner, loser, oldName := a, b, "b1"
	if errs[0] != nil {
		winner, loser, oldName = b, a, "a1"
	}
	if c, _ := s.Lookup("shared"); c == nil || c.ID != winner.ID {
		t.Errorf("shared -> %v, want %s", c, winner.ID[:4])
	}
	if c, _ := s.Lookup(oldName); c == nil || c.ID != loser.ID {
		t.Errorf("the loser lost its name %s", oldName)
	}
	des, _ := os.ReadDir(filepath.Join(s.root, "names"))
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	if strings.Join(names, " ") != strings.Join(sortedPair("shared", oldName), " ") {
		t.Errorf("names/ holds %v", names)
	}
}

func sortedPair(a, b string) []string {
	if a > b {
		a, b = b, a
	}
	return []string{a, b}
}
