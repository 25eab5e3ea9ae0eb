package container

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func create(t *testing.T, s *Store, id, name string) *Container {
	t.Helper()
	c := &Container{ID: id, Name: name, Created: time.Now().UTC(), Path: "sh", Args: []string{"-c", "true"}}
	if err := s.Create(c); err != nil {
		t.Fatalf("Create(%q): %v", name, err)
	}
	return c
}

func hexID(prefix string, fill byte) string {
	return prefix + strings.Repeat(string(fill), 64-len(prefix))
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := NewID()
		if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("NewID() = %q, want 64 lower-case hex digits", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %s", id)
		}
		seen[id] = true
	}
}

func TestCreateAndLookup(t *testing.T) {
	s := newStore(t)
	web := create(t, s, hexID("abc123", '1'), "web")
	db := create(t, s, hexID("abd456", '2'), "/db") // Docker's leading slash is dropped
	if db.Name != "db" {
		t.Errorf("Name = %q, want the slash dropped", db.Name)
	}

	tests := []struct {
		ref     string
		wantID  string
		wantErr error
		wantMsg string
	}{
		{"web", web.ID, nil, ""},
		{"/web", web.ID, nil, ""},
		{"db", db.ID, nil, ""},
		{web.ID, web.ID, nil, ""},
		{web.ID[:12], web.ID, nil, ""},
		{"abc", web.ID, nil, ""},
		{"abd4", db.ID, nil, ""},
		{"ab", "", ErrAmbiguous, "multiple containers found with provided prefix: ab"},
		{"nothing", "", ErrNotFound, "No such container: nothing"},
		{"ffff", "", ErrNotFound, "No such container: ffff"},
		{"", "", ErrNotFound, "No such container"},
		{"../containers", "", ErrNotFound, ""},
		{"../names/web", "", ErrNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			c, err := s.Lookup(tt.ref)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Lookup(%q) error = %v, want %v", tt.ref, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("message %q does not contain %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%q): %v", tt.ref, err)
			}
			if c.ID != tt.wantID {
				t.Errorf("Lookup(%q) = %s, want %s", tt.ref, c.ID, tt.wantID)
			}
		})
	}

	got, err := s.Get(web.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "web" || got.Path != "sh" || !reflect.DeepEqual(got.Args, []string{"-c", "true"}) || !got.Created.Equal(web.Created) {
		t.Errorf("Get = %+v, want the created record %+v", got, web)
	}
	if _, err := s.Get(hexID("0", '0')); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
	}
	ids, err := s.IDs()
	if err != nil || len(ids) != 2 {
		t.Errorf("IDs = %v, %v", ids, err)
	}
}

func TestCreateNameInUse(t *testing.T) {
	s := newStore(t)
	first := create(t, s, hexID("1", 'a'), "web")
	second := &Container{ID: hexID("2", 'b'), Name: "web"}
	err := s.Create(second)
	if !errors.Is(err, ErrNameInUse) {
		t.Fatalf("Create with a taken name error = %v, want ErrNameInUse", err)
	}
	want := `Conflict. The container name "/web" is already in use by container "` + first.ID +
		`". You have to remove (or rename) that container to be able to reuse that name`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message =\n %s\nwant Docker's\n %s", err, want)
	}
	// Nothing of the refused container is left; the first is untouched.
	if _, err := os.Stat(s.Dir(second.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory of the refused container left behind (stat: %v)", err)
	}
	c, err := s.Lookup("web")
	if err != nil || c.ID != first.ID {
		t.Errorf("Lookup(web) = %v, %v; want the first container", c, err)
	}
}

func TestCreateInvalidName(t *testing.T) {
	for _, name := range []string{"a", "-web", ".web", "_web", "web app", "web/app", "../web", "wéb", "web:1"} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			c := &Container{ID: hexID("c", 'c'), Name: name}
			err := s.Create(c)
			if err == nil || !strings.Contains(err.Error(), "Invalid container name ("+name+")") ||
				!strings.Contains(err.Error(), "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed") {
				t.Fatalf("Create(name %q) error = %v, want Docker's invalid name error", name, err)
			}
			if ids, _ := s.IDs(); len(ids) != 0 {
				t.Errorf("containers after a refused create: %v", ids)
			}
			if n, _ := os.ReadDir(filepath.Join(s.root, "names")); len(n) != 0 {
				t.Errorf("names after a refused create: %v", n)
			}
		})
	}
	// Names Docker accepts.
	s := newStore(t)
	for i, name := range []string{"ab", "Web_1", "web.app-2", "0x", strings.Repeat("n", MaxNameLength)} {
		create(t, s, hexID(string(rune('a'+i)), 'e'), name)
	}
}

func TestCreateNameTooLong(t *testing.T) {
	for _, n := range []int{MaxNameLength + 1, 255, 256, 300, 5000} {
		s := newStore(t)
		name := strings.Repeat("n", n)
		err := s.Create(&Container{ID: hexID("c", 'c'), Name: name})
		want := `invalid container name "` + name + `": longer than 253 characters`
		if err == nil || err.Error() != want {
			t.Errorf("Create(name of %d characters) error = %v, want %q", n, err, want)
		}
		if ids, _ := s.IDs(); len(ids) != 0 {
			t.Errorf("containers after a refused create: %v", ids)
		}
		if n, _ := os.ReadDir(filepath.Join(s.root, "names")); len(n) != 0 {
			t.Errorf("names after a refused create: %v", n)
		}
	}
}

func TestGeneratedNamesUnique(t *testing.T) {
	s := newStore(t)
	seen := map[string]string{}
	for i := 0; i < 50; i++ {
		c := create(t, s, NewID(), "")
		if c.Name == "" {
			t.Fatal("no name generated")
		}
		if !validName().MatchString(c.Name) || !strings.Contains(c.Name, "_") {
			t.Errorf("generated name %q is not adjective_surname", c.Name)
		}
		if other, dup := seen[c.Name]; dup {
			t.Fatalf("name %q given to %s and %s", c.Name, other, c.ID)
		}
		seen[c.Name] = c.ID
		got, err := s.Lookup(c.Name)
		if err != nil || got.ID != c.ID {
			t.Fatalf("Lookup(%q) = %v, %v", c.Name, got, err)
		}
	}
}

func TestGenerateName(t *testing.T) {
	for i := 0; i < 200; i++ {
		n := GenerateName(0)
		adj, sur, ok := strings.Cut(n, "_")
		if !ok || n == "boring_wozniak" {
			t.Fatalf("GenerateName(0) = %q", n)
		}
		if !contains(adjectives, adj) || !contains(surnames, sur) {
			t.Fatalf("GenerateName(0) = %q: not from the word lists", n)
		}
		r := GenerateName(1)
		last := r[len(r)-1]
		if last < '0' || last > '9' {
			t.Fatalf("GenerateName(1) = %q, want a digit appended", r)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestUpdateConcurrent(t *testing.T) {
	s := newStore(t)
	c := create(t, s, NewID(), "counter")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Update(c.ID, func(c *Container) error {
				c.RestartCount++
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v", err)
		}
	}
	got, err := s.Get(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RestartCount != n {
		t.Errorf("RestartCount = %d after %d concurrent increments", got.RestartCount, n)
	}
}

func TestUpdate(t *testing.T) {
	s := newStore(t)
	c := create(t, s, NewID(), "upd")
	updated, err := s.Update(c.ID, func(c *Container) error {
		c.State.Status, c.State.Running, c.State.Pid = Running, true, 42
		return nil
	})
	if err != nil || updated.State.Status != Running {
		t.Fatalf("Update = %+v, %v", updated, err)
	}
	if got, _ := s.Get(c.ID); got.State.Pid != 42 || !got.State.Running {
		t.Errorf("Get after Update = %+v", got.State)
	}

	boom := errors.New("boom")
	if _, err := s.Update(c.ID, func(c *Container) error { c.State.Pid = 7; return boom }); !errors.Is(err, boom) {
		t.Errorf("Update error = %v, want the callback's", err)
	}
	if got, _ := s.Get(c.ID); got.State.Pid != 42 {
		t.Errorf("a failed Update was written: Pid = %d", got.State.Pid)
	}
	if _, err := s.Update(hexID("f", 'f'), func(*Container) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update(missing) error = %v, want ErrNotFound", err)
	}
}

func TestDeleteFreesName(t *testing.T) {
	s := newStore(t)
	c := create(t, s, NewID(), "web")
	if err := os.WriteFile(filepath.Join(s.Dir(c.ID), "hostname"), []byte("web\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(c); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(s.Dir(c.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("container directory left (stat: %v)", err)
	}
	if _, err := s.Lookup("web"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup of a deleted name error = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a deleted container error = %v, want ErrNotFound", err)
	}
	again := create(t, s, NewID(), "web")
	if got, err := s.Lookup("web"); err != nil || got.ID != again.ID {
		t.Errorf("the freed name points at %v, %v; want the new container", got, err)
	}
	// Deleting a stale record does not steal the name from its new owner.
	if err := s.Delete(c); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if got, err := s.Lookup("web"); err != nil || got.ID != again.ID {
		t.Errorf("after deleting the old record, web = %v, %v", got, err)
	}
}

func TestListNewestFirst(t *testing.T) {
	s := newStore(t)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, name := range []string{"old", "newest", "middle"} {
		offset := map[string]time.Duration{"old": 0, "middle": time.Hour, "newest": 2 * time.Hour}[name]
		c := &Container{ID: hexID(string(rune('a'+i)), '0'), Name: name, Created: base.Add(offset)}
		if err := s.Create(c); err != nil {
			t.Fatal(err)
		}
	}
	// A directory without a record (being created) is skipped.
	if err := os.Mkdir(s.Dir(hexID("d", '0')), 0o700); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		names = append(names, c.Name)
	}
	if want := []string{"newest", "middle", "old"}; !reflect.DeepEqual(names, want) {
		t.Errorf("List = %v, want %v", names, want)
	}
}

// A create killed before it wrote the record leaves a directory (and maybe a name); the sweep
// removes them, leaves a create under way (its directory locked) and complete records alone,
// and a name held by such a leftover can be taken again.
func TestSweepIncomplete(t *testing.T) {
	s := newStore(t)
	done := create(t, s, hexID("a", 'a'), "done")

	killed := hexID("b", 'b') // directory and name, no record
	if err := os.Mkdir(s.Dir(killed), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(killed, filepath.Join(s.root, "names", "taken")); err != nil {
		t.Fatal(err)
	}
	killedNoName := hexID("c", 'c')
	if err := os.Mkdir(s.Dir(killedNoName), 0o700); err != nil {
		t.Fatal(err)
	}
	underWay := hexID("d", 'd') // directory locked, as Create holds it
	if err := os.Mkdir(s.Dir(underWay), 0o700); err != nil {
		t.Fatal(err)
	}
	lock, err := os.Open(s.Dir(underWay))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	got := s.SweepIncomplete()
	slices.Sort(got)
	if want := []string{killed, killedNoName}; !slices.Equal(got, want) {
		t.Errorf("SweepIncomplete() = %v, want %v", got, want)
	}
	ids, _ := s.IDs()
	slices.Sort(ids)
	if want := []string{done.ID, underWay}; !slices.Equal(ids, want) {
		t.Errorf("IDs after the sweep = %v, want %v", ids, want)
	}
	if _, err := os.Lstat(filepath.Join(s.root, "names", "taken")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the name of a killed create is still there: %v", err)
	}

	// The name of a killed create is free again at the next create.
	again := hexID("e", 'e')
	if err := os.Mkdir(s.Dir(again), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(again, filepath.Join(s.root, "names", "reused")); err != nil {
		t.Fatal(err)
	}
	create(t, s, hexID("f", 'f'), "reused")
	if _, err := os.Stat(s.Dir(again)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the killed create holding the name is still there: %v", err)
	}
	// A name held by a complete record stays taken.
	if err := s.Create(&Container{ID: hexID("9", '9'), Name: "done"}); !errors.Is(err, ErrNameInUse) {
		t.Errorf("Create with a name in use: %v", err)
	}
}

// List reads records without their Spec, and nothing else is lost, whatever
// keys named "Spec" the record holds elsewhere.
func TestListWithoutSpec(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		env    []string
		spec   string
	}{
		{"plain", map[string]string{"a": "b"}, nil, `{"ociVersion":"1.0.2","process":{"args":["sh"]}}`},
		{"no spec", nil, nil, ""},
		{"label named Spec", map[string]string{"Spec": "x", "z": "y"}, nil, `{"ociVersion":"1.0.2"}`},
		{"label named Spec, no spec", map[string]string{"Spec": "{"}, nil, ""},
		{"Spec text in a value", map[string]string{"k": `,"Spec":{`}, []string{`X=,"Spec":}`}, `{"a":1}`},
		{"Spec key inside the spec", nil, nil, `{"annotations":{"x":"1","Spec":"2"}}`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			c := &Container{ID: hexID(string(rune('a'+i)), '1'), Name: "c" + string(rune('a'+i)), Created: time.Now().UTC(),
				Config: Config{Labels: tt.labels, Env: tt.env}, HostConfig: HostConfig{NetworkMode: "bridge"}}
			if tt.spec != "" {
				c.Spec = json.RawMessage(tt.spec)
			}
			if err := s.Create(c); err != nil {
				t.Fatal(err)
			}
			full, err := s.Get(c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if string(full.Spec) != tt.spec {
				t.Errorf("Get: Spec = %s, want %s", full.Spec, tt.spec)
			}
			list, err := s.List()
			if err != nil || len(list) != 1 {
				t.Fatalf("List = %v, %v", list, err)
			}
			full.Spec = nil
			if !reflect.DeepEqual(list[0], full) {
				t.Errorf("List:\n%+v\nwant\n%+v", list[0], full)
			}
		})
	}
}
