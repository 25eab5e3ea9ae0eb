package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- helpers ----

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// sha is "sha256:<hex>" of s, computed without the package's helpers.
func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// dirNames lists a directory's entries, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func writeFiles(t *testing.T, dir string, files map[string]string) int64 {
	t.Helper()
	var size int64
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		size += int64(len(body))
	}
	return size
}

// commitLayer ingests a layer of regular files under a Writer, as a pull does.
func commitLayer(t *testing.T, s *Store, chainID, parent string, files map[string]string) Layer {
	t.Helper()
	w, err := s.BeginWrite()
	if err != nil {
		t.Fatalf("BeginWrite: %v", err)
	}
	defer w.Close()
	ing, exists, err := s.BeginLayer(chainID)
	if err != nil || exists {
		t.Fatalf("BeginLayer(%s) = exists %v, %v; want a new ingest", chainID, exists, err)
	}
	l := Layer{ChainID: chainID, DiffID: chainID, Parent: parent, Size: writeFiles(t, ing.Dir(), files)}
	if err := ing.Commit(l); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return l
}

// putImage stores a config blob named after name and an image record with
// the given layers; it returns the image.
func putImage(t *testing.T, s *Store, name string, layers ...Layer) *Image {
	t.Helper()
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","config":{"Labels":{"name":%q}}}`, name))
	id := sha(string(cfg))
	if err := s.PutBlob(id, cfg); err != nil {
		t.Fatalf("PutBlob(config): %v", err)
	}
	im := &Image{ID: id, Layers: layers, Created: time.Unix(1700000000, 0).UTC(), Added: time.Unix(1700000001, 0).UTC()}
	for _, l := range layers {
		im.Size += l.Size
	}
	if err := s.PutImage(im); err != nil {
		t.Fatalf("PutImage(%s): %v", name, err)
	}
	return im
}

// ---- chain IDs ----

func TestChainIDs(t *testing.T) {
	a, b, c := sha("layer a"), sha("layer b"), sha("layer c")
	// The OCI image spec (config.md, "Layer ChainID"):
	//   ChainID(L0)        = DiffID(L0)
	//   ChainID(L0|...|Ln) = Digest(ChainID(L0|...|Ln-1) + " " + DiffID(Ln))
	ab := sha(a + " " + b)
	abc := sha(ab + " " + c)
	tests := []struct {
		name    string
		diffIDs []string
		want    []string
	}{
		{"no layers", nil, []string{}},
		{"one layer is its own chain", []string{a}, []string{a}},
		{"two layers", []string{a, b}, []string{a, ab}},
		{"three layers", []string{a, b, c}, []string{a, ab, abc}},
		{"order matters", []string{b, a}, []string{b, sha(b + " " + a)}},
		{"repeated layer", []string{a, a}, []string{a, sha(a + " " + a)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChainIDs(tt.diffIDs)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ChainIDs(%v) =\n %v\nwant\n %v", tt.diffIDs, got, tt.want)
			}
		})
	}
	// A known vector: busybox-style ids, written out in full.
	d0 := "sha256:" + strings.Repeat("0", 64)
	d1 := "sha256:" + strings.Repeat("1", 64)
	want := sha("sha256:" + strings.Repeat("0", 64) + " sha256:" + strings.Repeat("1", 64))
	if got := ChainIDs([]string{d0, d1})[1]; got != want {
		t.Errorf("ChainIDs second = %s, want %s", got, want)
	}
}

func TestDigest(t *testing.T) {
	// sha256 of the empty string, as every registry knows it.
	if got, want := Digest(nil), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("Digest(nil) = %s, want %s", got, want)
	}
}

// ---- blobs ----

func TestPutBlob(t *testing.T) {
	content := []byte(`{"hello":"world"}`)
	right := sha(string(content))
	tests := []struct {
		name    string
		digest  string
		wantErr string // "" = success
	}{
		{"matching digest", right, ""},
		{"wrong digest", sha("something else"), "content has digest " + right},
		{"no algorithm", strings.TrimPrefix(right, "sha256:"), "invalid digest"},
		{"other algorithm", "sha512:" + strings.TrimPrefix(right, "sha256:"), "invalid digest"},
		{"short hex", "sha256:abc", "invalid digest"},
		{"not hex", "sha256:" + strings.Repeat("z", 64), "invalid digest"},
		{"path climbing", "sha256:../../../../etc/passwd", "invalid digest"},
		{"empty", "", "invalid digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			err := s.PutBlob(tt.digest, content)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("PutBlob: %v", err)
				}
				got, err := s.Blob(tt.digest)
				if err != nil || string(got) != string(content) {
					t.Fatalf("Blob = %q, %v; want %q", got, err, content)
				}
				// Storing it again is harmless.
				if err := s.PutBlob(tt.digest, content); err != nil {
					t.Fatalf("second PutBlob: %v", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("PutBlob(%q) error = %v, want one containing %q", tt.digest, err, tt.wantErr)
				}
				if _, err := hexOf(tt.digest); err == nil {
					if _, err := s.Blob(tt.digest); !errors.Is(err, ErrNotFound) {
						t.Errorf("after a refused PutBlob, Blob error = %v, want ErrNotFound", err)
					}
				}
			}
			// Nothing half-written is left beside the blobs.
			for _, n := range dirNames(t, filepath.Join(s.Root(), "blobs", "sha256")) {
				if strings.HasPrefix(n, ".tmp-") {
					t.Errorf("leftover temp file blobs/sha256/%s", n)
				}
			}
		})
	}
}

func TestBlobNotFound(t *testing.T) {
	s := newStore(t)
	d := sha("never stored")
	_, err := s.Blob(d)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Blob(missing) error = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), d) {
		t.Errorf("error %q does not name the digest", err)
	}
	if _, err := s.Blob("sha256:nope"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Blob(invalid) error = %v, want an invalid-digest error", err)
	}
	if _, err := s.Config(d); !errors.Is(err, ErrNotFound) {
		t.Errorf("Config(missing) error = %v, want ErrNotFound", err)
	}
}

// ---- layers ----

func TestBeginLayerCommit(t *testing.T) {
	s := newStore(t)
	chain := sha("chain 1")
	l := commitLayer(t, s, chain, "", map[string]string{"etc/hostname": "box\n", "bin/app": "binary"})

	if !s.HasLayer(chain) {
		t.Fatal("HasLayer = false after Commit")
	}
	got, err := s.Layer(chain)
	if err != nil || got != l {
		t.Fatalf("Layer = %+v, %v; want %+v", got, err, l)
	}
	if got.Size != int64(len("box\n")+len("binary")) {
		t.Errorf("Size = %d", got.Size)
	}
	b, err := os.ReadFile(filepath.Join(s.LayerDiffDir(chain), "etc", "hostname"))
	if err != nil || string(b) != "box\n" {
		t.Errorf("file in the committed layer = %q, %v", b, err)
	}
	if want := filepath.Join(s.Root(), "layers", strings.TrimPrefix(chain, "sha256:"), "diff"); s.LayerDiffDir(chain) != want {
		t.Errorf("LayerDiffDir = %s, want %s", s.LayerDiffDir(chain), want)
	}
	if n := dirNames(t, filepath.Join(s.Root(), "tmp")); len(n) != 0 {
		t.Errorf("tmp/ after Commit = %v, want empty", n)
	}

	// A second ingest of the same layer is told it exists.
	w, err := s.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ing, exists, err := s.BeginLayer(chain)
	if err != nil || !exists || ing != nil {
		t.Fatalf("second BeginLayer = %v, exists %v, %v; want nil, true, nil", ing, exists, err)
	}
}

func TestBeginLayerAbort(t *testing.T) {
	s := newStore(t)
	w, err := s.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	chain := sha("aborted")
	ing, exists, err := s.BeginLayer(chain)
	if err != nil || exists {
		t.Fatalf("BeginLayer = exists %v, %v", exists, err)
	}
	writeFiles(t, ing.Dir(), map[string]string{"a/b/c": "partial"})
	if !strings.HasPrefix(ing.Dir(), filepath.Join(s.Root(), "tmp")+string(filepath.Separator)) {
		t.Errorf("ingest directory %s is not under tmp/", ing.Dir())
	}
	ing.Abort()
	if n := dirNames(t, filepath.Join(s.Root(), "tmp")); len(n) != 0 {
		t.Errorf("tmp/ after Abort = %v, want empty", n)
	}
	if s.HasLayer(chain) {
		t.Error("HasLayer = true after Abort")
	}
	if _, err := s.Layer(chain); !errors.Is(err, ErrNotFound) {
		t.Errorf("Layer after Abort error = %v, want ErrNotFound", err)
	}
	// The per-layer lock was released: the layer can be ingested again.
	done := make(chan error, 1)
	go func() {
		ing, exists, err := s.BeginLayer(chain)
		if err == nil && (exists || ing == nil) {
			err = fmt.Errorf("exists = %v after an aborted ingest", exists)
		}
		if ing != nil {
			ing.Abort()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("BeginLayer blocked after Abort: the layer lock was not released")
	}
}

func TestBeginLayerWaitsForConcurrentIngest(t *testing.T) {
	s := newStore(t)
	w, err := s.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	chain := sha("contended")
	first, exists, err := s.BeginLayer(chain)
	if err != nil || exists {
		t.Fatalf("BeginLayer = exists %v, %v", exists, err)
	}
	type result struct {
		ing    *LayerIngest
		exists bool
		err    error
	}
	second := make(chan result, 1)
	go func() {
		ing, exists, err := s.BeginLayer(chain)
		second <- result{ing, exists, err}
	}()
	writeFiles(t, first.Dir(), map[string]string{"f": "x"})
	if err := first.Commit(Layer{ChainID: chain, DiffID: chain, Size: 1}); err != nil {
		t.Fatal(err)
	}
	r := <-second
	if r.ing != nil {
		r.ing.Abort()
	}
	if r.err != nil || !r.exists {
		t.Fatalf("a BeginLayer racing a commit = exists %v, %v; want it to wait and report exists", r.exists, r.err)
	}
}

func TestNewLayerIngestCommitExisting(t *testing.T) {
	s := newStore(t)
	chain := sha("imported twice")
	commitLayer(t, s, chain, "", map[string]string{"original": "1"})

	w, err := s.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ing, err := s.NewLayerIngest()
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, ing.Dir(), map[string]string{"copy": "2"})
	if err := ing.Commit(Layer{ChainID: chain, DiffID: chain, Size: 1}); err != nil {
		t.Fatalf("Commit of an existing layer: %v", err)
	}
	if got := dirNames(t, s.LayerDiffDir(chain)); !reflect.DeepEqual(got, []string{"original"}) {
		t.Errorf("layer files = %v, want the first copy only", got)
	}
	if n := dirNames(t, filepath.Join(s.Root(), "tmp")); len(n) != 0 {
		t.Errorf("tmp/ = %v, want the discarded copy gone", n)
	}
}

func TestCommitInvalidChainID(t *testing.T) {
	s := newStore(t)
	ing, err := s.NewLayerIngest()
	if err != nil {
		t.Fatal(err)
	}
	if err := ing.Commit(Layer{ChainID: "sha256:../../x"}); err == nil {
		t.Fatal("Commit with an invalid chain ID succeeded")
	}
	if n := dirNames(t, filepath.Join(s.Root(), "tmp")); len(n) != 0 {
		t.Errorf("tmp/ = %v, want empty", n)
	}
	if n := dirNames(t, filepath.Join(s.Root(), "layers")); len(n) != 0 {
		t.Errorf("layers/ = %v, want empty", n)
	}
	if _, _, err := s.BeginLayer("md5:abc"); err == nil {
		t.Error("BeginLayer with an invalid chain ID succeeded")
	}
}

// ---- images ----

func TestPutImage(t *testing.T) {
	s := newStore(t)
	base := commitLayer(t, s, sha("base"), "", map[string]string{"f": "1"})
	cfg := []byte(`{"os":"linux"}`)
	cfgID := sha(string(cfg))
	missingLayer := Layer{ChainID: sha("never committed")}

	tests := []struct {
		name     string
		storeIt  bool // store the config blob first
		im       Image
		wantErr  string
		notFound bool
	}{
		{"config blob missing", false, Image{ID: cfgID, Layers: []Layer{base}}, "config", true},
		{"layer missing", true, Image{ID: cfgID, Layers: []Layer{base, missingLayer}}, missingLayer.ChainID, true},
		{"invalid ID", true, Image{ID: "sha256:short"}, "invalid digest", false},
		{"complete", true, Image{ID: cfgID, Layers: []Layer{base}, Size: base.Size}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.storeIt {
				if err := s.PutBlob(cfgID, cfg); err != nil {
					t.Fatal(err)
				}
			}
			err := s.PutImage(&tt.im)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("PutImage error = %v, want one containing %q", err, tt.wantErr)
				}
				if tt.notFound && !errors.Is(err, ErrNotFound) {
					t.Errorf("error %v is not ErrNotFound", err)
				}
				if ids, _ := s.ImageIDs(); len(ids) != 0 {
					t.Errorf("ImageIDs after a refused PutImage = %v", ids)
				}
				return
			}
			if err != nil {
				t.Fatalf("PutImage: %v", err)
			}
			got, err := s.Image(cfgID)
			if err != nil || !reflect.DeepEqual(*got, tt.im) {
				t.Fatalf("Image = %+v, %v; want %+v", got, err, tt.im)
			}
			ids, err := s.ImageIDs()
			if err != nil || !reflect.DeepEqual(ids, []string{cfgID}) {
				t.Errorf("ImageIDs = %v, %v", ids, err)
			}
		})
	}
}

func TestImageNotFound(t *testing.T) {
	s := newStore(t)
	if _, err := s.Image(sha("missing")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Image(missing) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Image("busybox"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Image(not a digest) error = %v, want an invalid digest error", err)
	}
	ids, err := s.ImageIDs()
	if err != nil || len(ids) != 0 {
		t.Errorf("ImageIDs of an empty store = %v, %v", ids, err)
	}
}

func TestImageIDsIgnoresStrayFiles(t *testing.T) {
	s := newStore(t)
	im := putImage(t, s, "one")
	for _, name := range []string{".tmp-x.json-123", "notes.txt", "abc.json"} {
		if err := os.WriteFile(filepath.Join(s.Root(), "images", name), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := s.ImageIDs()
	if err != nil || !reflect.DeepEqual(ids, []string{im.ID}) {
		t.Errorf("ImageIDs = %v, %v; want [%s]", ids, err, im.ID)
	}
}

func TestLowerDirs(t *testing.T) {
	s := newStore(t)
	chains := ChainIDs([]string{sha("d0"), sha("d1"), sha("d2")})
	var layers []Layer
	for i, c := range chains {
		parent := ""
		if i > 0 {
			parent = chains[i-1]
		}
		layers = append(layers, commitLayer(t, s, c, parent, map[string]string{fmt.Sprintf("f%d", i): "x"}))
	}
	im := putImage(t, s, "three layers", layers...)
	want := []string{s.LayerDiffDir(chains[2]), s.LayerDiffDir(chains[1]), s.LayerDiffDir(chains[0])}
	if got := s.LowerDirs(im); !reflect.DeepEqual(got, want) {
		t.Errorf("LowerDirs =\n %v\nwant top first\n %v", got, want)
	}
	if got := im.ChainIDs(); !reflect.DeepEqual(got, chains) {
		t.Errorf("Image.ChainIDs = %v, want bottom first %v", got, chains)
	}
	// The top directory holds the top layer's file.
	if _, err := os.Stat(filepath.Join(s.LowerDirs(im)[0], "f2")); err != nil {
		t.Errorf("top lower dir does not hold the top layer: %v", err)
	}
	if got := s.LowerDirs(&Image{}); len(got) != 0 {
		t.Errorf("LowerDirs of an image without layers = %v", got)
	}
}

// ---- repositories ----

func TestRepositories(t *testing.T) {
	s := newStore(t)
	a := putImage(t, s, "a")
	b := putImage(t, s, "b")
	const (
		latest = "docker.io/library/busybox:latest"
		v2     = "docker.io/library/busybox:v2"
		app    = "example.com/team/app:1.0"
	)
	digestRef := "docker.io/library/busybox@" + sha("manifest")

	// An empty store has an empty index.
	r, err := s.Repositories()
	if err != nil || len(r.Tags) != 0 || len(r.Digests) != 0 {
		t.Fatalf("Repositories of an empty store = %+v, %v", r, err)
	}
	if err := s.Tag(a.ID, v2, latest, digestRef); err != nil {
		t.Fatalf("Tag: %v", err)
	}
	if err := s.Tag(b.ID, app); err != nil {
		t.Fatalf("Tag: %v", err)
	}
	if err := s.Tag(sha("no such image"), "docker.io/library/ghost:latest"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Tag of a missing image error = %v, want ErrNotFound", err)
	}

	r, err = s.Repositories()
	if err != nil {
		t.Fatal(err)
	}
	tags, digests := r.Refs(a.ID)
	if want := []string{latest, v2}; !reflect.DeepEqual(tags, want) {
		t.Errorf("Refs tags = %v, want sorted %v", tags, want)
	}
	if want := []string{digestRef}; !reflect.DeepEqual(digests, want) {
		t.Errorf("Refs digests = %v, want %v", digests, want)
	}
	lookups := []struct {
		ref    string
		wantID string
		wantOK bool
	}{
		{latest, a.ID, true},
		{v2, a.ID, true},
		{digestRef, a.ID, true},
		{app, b.ID, true},
		{"docker.io/library/busybox:v3", "", false},
		{"docker.io/library/busybox@" + sha("other manifest"), "", false},
		{"busybox:latest", "", false}, // the index holds fully qualified names only
	}
	for _, l := range lookups {
		id, ok := r.Lookup(l.ref)
		if id != l.wantID || ok != l.wantOK {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", l.ref, id, ok, l.wantID, l.wantOK)
		}
	}

	// Tagging moves a reference; untagging removes it and nothing else.
	if err := s.Tag(b.ID, latest); err != nil {
		t.Fatal(err)
	}
	if err := s.Untag(v2, "docker.io/library/never:tagged"); err != nil {
		t.Fatal(err)
	}
	r, _ = s.Repositories()
	if id, _ := r.Lookup(latest); id != b.ID {
		t.Errorf("after re-tagging, %s -> %s, want %s", latest, id, b.ID)
	}
	if _, ok := r.Lookup(v2); ok {
		t.Errorf("%s still present after Untag", v2)
	}
	tags, digests = r.Refs(a.ID)
	if len(tags) != 0 || !reflect.DeepEqual(digests, []string{digestRef}) {
		t.Errorf("Refs(a) = %v %v, want only the digest", tags, digests)
	}
	// A reopened store sees the same index.
	s2, err := Open(s.Root())
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s2.Repositories()
	if err != nil || !reflect.DeepEqual(r2, r) {
		t.Errorf("reopened index = %+v, %v; want %+v", r2, err, r)
	}
}

func TestUpdateRepositoriesErrorWritesNothing(t *testing.T) {
	s := newStore(t)
	a := putImage(t, s, "a")
	if err := s.Tag(a.ID, "docker.io/library/a:latest"); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := s.UpdateRepositories(func(r *Repositories) error {
		r.Tags["docker.io/library/b:latest"] = a.ID
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("UpdateRepositories error = %v, want the callback's", err)
	}
	r, _ := s.Repositories()
	if _, ok := r.Lookup("docker.io/library/b:latest"); ok {
		t.Error("a failed update was written")
	}
}

func TestRepositoriesCorrupt(t *testing.T) {
	s := newStore(t)
	if err := os.WriteFile(filepath.Join(s.Root(), "repositories.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Repositories(); err == nil || !strings.Contains(err.Error(), "repositories.json") {
		t.Errorf("Repositories of a corrupt index error = %v, want one naming repositories.json", err)
	}
}

func TestConcurrentTag(t *testing.T) {
	s := newStore(t)
	im := putImage(t, s, "shared")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Each goroutine opens the store itself, as separate commands do.
			s, err := Open(s.Root())
			if err == nil {
				err = s.Tag(im.ID, fmt.Sprintf("docker.io/library/app:t%d", i))
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Tag: %v", err)
		}
	}
	r, err := s.Repositories()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		ref := fmt.Sprintf("docker.io/library/app:t%d", i)
		if id, ok := r.Lookup(ref); !ok || id != im.ID {
			t.Errorf("%s lost: %q, %v", ref, id, ok)
		}
	}
	if len(r.Tags) != n {
		t.Errorf("%d tags, want %d", len(r.Tags), n)
	}
	for _, name := range dirNames(t, s.Root()) {
		if strings.HasPrefix(name, ".tmp-") {
			t.Errorf("leftover temp file %s", name)
		}
	}
}

// ---- delete and garbage collection ----

func TestDeleteImageAndGC(t *testing.T) {
	s := newStore(t)
	chainsA := ChainIDs([]string{sha("base"), sha("only in a")})
	chainsB := ChainIDs([]string{sha("base"), sha("only in b")})
	base := commitLayer(t, s, chainsA[0], "", map[string]string{"bin/sh": "sh"})
	onlyA := commitLayer(t, s, chainsA[1], base.ChainID, map[string]string{"a": "a"})
	onlyB := commitLayer(t, s, chainsB[1], base.ChainID, map[string]string{"b": "b"})
	a := putImage(t, s, "a", base, onlyA)
	b := putImage(t, s, "b", base, onlyB)
	manifestA := []byte(`{"schemaVersion":2,"name":"a"}`)
	a.ManifestDigest = sha(string(manifestA))
	if err := s.PutBlob(a.ManifestDigest, manifestA); err != nil {
		t.Fatal(err)
	}
	if err := s.PutImage(a); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(a.ID, "docker.io/library/a:latest", "docker.io/library/a@"+a.ManifestDigest); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(b.ID, "docker.io/library/b:latest"); err != nil {
		t.Fatal(err)
	}
	orphan := []byte("an unreferenced blob")
	if err := s.PutBlob(sha(string(orphan)), orphan); err != nil {
		t.Fatal(err)
	}

	layersDir := filepath.Join(s.Root(), "layers")
	blobsDir := filepath.Join(s.Root(), "blobs", "sha256")
	hexes := func(ids ...string) []string {
		var out []string
		for _, id := range ids {
			out = append(out, strings.TrimPrefix(id, "sha256:"))
		}
		sort.Strings(out)
		return out
	}

	// GC with everything referenced removes only the orphan blob.
	if err := s.GC(nil); err != nil {
		t.Fatalf("GC: %v", err)
	}
	if got, want := dirNames(t, layersDir), hexes(base.ChainID, onlyA.ChainID, onlyB.ChainID); !reflect.DeepEqual(got, want) {
		t.Errorf("layers after a GC with nothing to do = %v, want %v", got, want)
	}
	if got, want := dirNames(t, blobsDir), hexes(a.ID, b.ID, a.ManifestDigest); !reflect.DeepEqual(got, want) {
		t.Errorf("blobs after GC = %v, want %v (the orphan removed)", got, want)
	}

	// Deleting a removes its record and references, not its content.
	if err := s.DeleteImage(a.ID); err != nil {
		t.Fatalf("DeleteImage: %v", err)
	}
	if _, err := s.Image(a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Image after DeleteImage error = %v, want ErrNotFound", err)
	}
	r, _ := s.Repositories()
	if tags, digests := r.Refs(a.ID); len(tags)+len(digests) != 0 {
		t.Errorf("references left after DeleteImage: %v %v", tags, digests)
	}
	if _, ok := r.Lookup("docker.io/library/b:latest"); !ok {
		t.Error("DeleteImage(a) removed b's tag")
	}
	if !s.HasLayer(onlyA.ChainID) {
		t.Error("DeleteImage removed a layer; only GC should")
	}

	// GC removes a's own layer and blobs, keeps the shared base and b.
	if err := s.GC(nil); err != nil {
		t.Fatalf("GC: %v", err)
	}
	if got, want := dirNames(t, layersDir), hexes(base.ChainID, onlyB.ChainID); !reflect.DeepEqual(got, want) {
		t.Errorf("layers after deleting a = %v, want %v", got, want)
	}
	if got, want := dirNames(t, blobsDir), hexes(b.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("blobs after deleting a = %v, want %v", got, want)
	}

	// keepLayers (a container's layers) survive the deletion of b.
	if err := s.DeleteImage(b.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.GC([]string{base.ChainID, onlyB.ChainID}); err != nil {
		t.Fatal(err)
	}
	if got, want := dirNames(t, layersDir), hexes(base.ChainID, onlyB.ChainID); !reflect.DeepEqual(got, want) {
		t.Errorf("layers kept for a container = %v, want %v", got, want)
	}
	if got := dirNames(t, blobsDir); len(got) != 0 {
		t.Errorf("blobs after deleting every image = %v, want none", got)
	}
	// Without the container, everything goes.
	if err := s.GC(nil); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, layersDir); len(got) != 0 {
		t.Errorf("layers after the last GC = %v, want none", got)
	}
	if got := dirNames(t, filepath.Join(s.Root(), "tmp")); len(got) != 0 {
		t.Errorf("tmp/ after GC = %v, want empty", got)
	}
	// Deleting a deleted image is not an error.
	if err := s.DeleteImage(b.ID); err != nil {
		t.Errorf("second DeleteImage: %v", err)
	}
}

func TestGCRemovesLeftovers(t *testing.T) {
	s := newStore(t)
	keep := putImage(t, s, "kept")
	leftovers := []string{
		"tmp/layer-123/diff/file",
		"images/.tmp-" + strings.TrimPrefix(keep.ID, "sha256:") + ".json-42",
		".tmp-repositories.json-7",
		"blobs/sha256/.tmp-deadbeef-9",
		"locks/layer-" + strings.Repeat("a", 64),
	}
	for _, p := range leftovers {
		writeFiles(t, s.Root(), map[string]string{p: "junk"})
	}
	if err := s.GC(nil); err != nil {
		t.Fatalf("GC: %v", err)
	}
	for _, p := range leftovers {
		if _, err := os.Stat(filepath.Join(s.Root(), p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("leftover %s survived GC (stat error %v)", p, err)
		}
	}
	if n := dirNames(t, filepath.Join(s.Root(), "tmp")); len(n) != 0 {
		t.Errorf("tmp/ = %v", n)
	}
	if _, err := s.Image(keep.ID); err != nil {
		t.Errorf("GC removed a live image: %v", err)
	}
	if _, err := s.Blob(keep.ID); err != nil {
		t.Errorf("GC removed a live config blob: %v", err)
	}
}

// ---- Open and the tmp/ cleaning ----

func TestOpenLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nested", "root")
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if s.Root() != root {
		t.Errorf("Root = %s, want %s", s.Root(), root)
	}
	for _, d := range []string{"blobs/sha256", "layers", "images", "builder", "tmp", "locks"} {
		fi, err := os.Stat(filepath.Join(root, d))
		if err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
			continue
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %v is open to others", d, fi.Mode().Perm())
		}
	}
}

func TestOpenRelativeRoot(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := Open("rel")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(s.Root()) || s.Root() != filepath.Join(dir, "rel") {
		t.Errorf("Root = %s, want the absolute %s", s.Root(), filepath.Join(dir, "rel"))
	}
}

func TestOpenCleansTmpWhenIdle(t *testing.T) {
	tests := []struct {
		name       string
		holdWriter bool
		wantKept   bool
	}{
		{"no writer: leftovers of a killed writer removed", false, false},
		{"a writer is working: its entries kept", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			if tt.holdWriter {
				w, err := s.BeginWrite()
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
			}
			entry := filepath.Join(s.Root(), "tmp", "layer-999")
			writeFiles(t, entry, map[string]string{"diff/usr/bin/tool": "half written"})
			if _, err := Open(s.Root()); err != nil {
				t.Fatalf("Open: %v", err)
			}
			_, err := os.Stat(entry)
			if kept := err == nil; kept != tt.wantKept {
				t.Errorf("tmp entry kept = %v, want %v (stat: %v)", kept, tt.wantKept, err)
			}
		})
	}
}

func TestOpenCleansTmpAfterWriterCloses(t *testing.T) {
	s := newStore(t)
	w, err := s.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(s.Root(), "tmp", "layer-1")
	writeFiles(t, entry, map[string]string{"f": "x"})
	if _, err := Open(s.Root()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entry); err != nil {
		t.Fatalf("entry removed while the writer was open: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(s.Root()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entry); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("entry still there after the writer closed (stat: %v)", err)
	}
}

func TestWritersShareTheLock(t *testing.T) {
	// Two writers (two pulls) work at once; neither blocks the other.
	s := newStore(t)
	w1, err := s.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	defer w1.Close()
	done := make(chan error, 1)
	go func() {
		w2, err := s.BeginWrite()
		if err == nil {
			err = w2.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a second writer blocked behind the first")
	}
}

func TestGCWaitsForWriter(t *testing.T) {
	s := newStore(t)
	w, err := s.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(s.Root(), "tmp", "layer-in-progress")
	writeFiles(t, entry, map[string]string{"f": "x"})
	gcDone := make(chan error, 1)
	go func() { gcDone <- s.GC(nil) }()
	// The writer's work survives while it is open, whenever GC runs.
	if _, err := os.Stat(entry); err != nil {
		t.Fatalf("GC removed a running writer's entry: %v", err)
	}
	select {
	case err := <-gcDone:
		t.Fatalf("GC finished (%v) while a writer was open", err)
	default:
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-gcDone; err != nil {
		t.Fatalf("GC: %v", err)
	}
	if _, err := os.Stat(entry); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("GC left the entry after the writer closed (stat: %v)", err)
	}
}

// ---- two commands at once ----

func TestIndexUpdatesDuringGC(t *testing.T) {
	s := newStore(t)
	im := putImage(t, s, "tagged while collecting")
	stop := make(chan struct{})
	gcDone := make(chan error, 1)
	go func() {
		s2, err := Open(s.Root())
		for err == nil {
			select {
			case <-stop:
				gcDone <- nil
				return
			default:
			}
			err = s2.GC(nil)
		}
		gcDone <- err
	}()
	failed := 0
	for i := 0; i < 200; i++ {
		if err := s.Tag(im.ID, fmt.Sprintf("docker.io/library/app:t%d", i)); err != nil {
			if failed++; failed <= 3 {
				t.Errorf("Tag during GC: %v", err)
			}
		}
	}
	close(stop)
	if err := <-gcDone; err != nil {
		t.Errorf("GC: %v", err)
	}
	if failed > 0 {
		t.Errorf("%d of 200 tags failed while GC ran", failed)
	}
}

func TestDeleteImageDuringGC(t *testing.T) {
	s := newStore(t)
	var ims []*Image
	for i := 0; i < 200; i++ {
		ims = append(ims, putImage(t, s, fmt.Sprintf("image %d", i)))
	}
	deleted := make(chan error, 1)
	go func() {
		s2, err := Open(s.Root())
		for _, im := range ims {
			if err == nil {
				err = s2.DeleteImage(im.ID)
			}
		}
		deleted <- err
	}()
	failed := 0
	for done := false; !done; {
		select {
		case err := <-deleted:
			if err != nil {
				t.Errorf("DeleteImage: %v", err)
			}
			done = true
		default:
			if err := s.GC(nil); err != nil {
				if failed++; failed <= 3 {
					t.Errorf("GC while images are deleted: %v", err)
				}
			}
		}
	}
	if err := s.GC(nil); err != nil {
		t.Fatal(err)
	}
	if n := dirNames(t, filepath.Join(s.Root(), "blobs", "sha256")); len(n) != 0 {
		t.Errorf("blobs left: %d", len(n))
	}
}
