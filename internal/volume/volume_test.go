package volume

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/geedocker/geedocker/internal/errdefs"
)

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"data", true}, {"a1", true}, {"my_vol.2-x", true}, {"a", false}, {"", false},
		{"-x", false}, {"_x", false}, {"a/b", false}, {"../x", false}, {"a b", false},
	} {
		if got := ValidName(tc.name); got != tc.ok {
			t.Errorf("ValidName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestStoreLifecycle(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	v, created, err := s.Create("data", map[string]string{"a": "b"}, false)
	if err != nil || !created {
		t.Fatalf("Create: %v %v", created, err)
	}
	if v.Mountpoint != filepath.Join(root, "volumes", "data", "_data") || v.Driver != "local" || v.Labels["a"] != "b" {
		t.Fatalf("volume = %+v", v)
	}
	if _, created, err := s.Create("data", nil, false); err != nil || created {
		t.Fatalf("second Create: created=%v err=%v", created, err)
	}
	if !s.Empty("data") {
		t.Fatal("new volume not empty")
	}
	os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("12345"), 0o644)
	if s.Empty("data") || s.Size("data") != 5 {
		t.Fatalf("Empty=%v Size=%d", s.Empty("data"), s.Size("data"))
	}
	anon := NewAnonymousName()
	if _, _, err := s.Create(anon, nil, true); err != nil {
		t.Fatal(err)
	}
	vols, _ := s.List()
	if len(vols) != 2 {
		t.Fatalf("List = %d volumes", len(vols))
	}

	err = s.Remove("data", Users{"data": {"abc"}}, false)
	var inUse *InUseError
	if !errors.As(err, &inUse) || err.Error() != "remove data: volume is in use - [abc]" {
		t.Fatalf("Remove in use: %v", err)
	}
	if err := s.Remove("nope", nil, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Remove missing: %v", err)
	}
	if err := s.Remove("nope", nil, true); err != nil {
		t.Fatalf("Remove -f missing: %v", err)
	}

	// Prune without all keeps named volumes.
	names, _, err := s.Prune(nil, false, nil)
	if err != nil || len(names) != 1 || names[0] != anon {
		t.Fatalf("Prune = %v %v", names, err)
	}
	names, space, err := s.Prune(nil, true, nil)
	if err != nil || len(names) != 1 || space != 5 {
		t.Fatalf("Prune all = %v %d %v", names, space, err)
	}
	ents, _ := os.ReadDir(filepath.Join(root, "volumes"))
	if len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}

func TestCreateInvalidLeavesNothing(t *testing.T) {
	root := t.TempDir()
	s, _ := Open(root)
	if _, _, err := s.Create("a/../b", nil, false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(root, "volumes"))
	if len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}

func TestErrorClasses(t *testing.T) {
	s, _ := Open(t.TempDir())
	s.Create("used", nil, false)
	_, _, invalid := s.Create("a b", nil, false)
	for _, tc := range []struct {
		err   error
		class error
	}{
		{s.Remove("nope", nil, false), errdefs.ErrNotFound},
		{s.Remove("used", Users{"used": {"x"}}, false), errdefs.ErrConflict},
		{invalid, errdefs.ErrInvalidArgument},
	} {
		if !errors.Is(tc.err, tc.class) {
			t.Errorf("%v is not %v", tc.err, tc.class)
		}
	}
}
