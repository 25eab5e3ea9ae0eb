package engine

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/registry"
	"github.com/geedocker/geedocker/internal/store"
)

func mustParse(t *testing.T, s string) reference.Reference {
	t.Helper()
	r, err := reference.Parse(s)
	if err != nil {
		t.Fatalf("parsing %q: %v", s, err)
	}
	return r
}

// names lists a store directory, sorted; missing is empty.
func names(t *testing.T, e *Engine, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.Store.Root(), dir))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out := []string{}
	for _, en := range entries {
		out = append(out, en.Name())
	}
	sort.Strings(out)
	return out
}

// assertNothingStored checks that a failed operation left no visible trace.
func assertNothingStored(t *testing.T, e *Engine) {
	t.Helper()
	for _, dir := range []string{"images", "layers", "tmp"} {
		if n := names(t, e, dir); len(n) != 0 {
			t.Errorf("%s/ holds %v, want nothing", dir, n)
		}
	}
	if sums, err := e.Images(); err != nil || len(sums) != 0 {
		t.Errorf("Images = %d images, %v; want none", len(sums), err)
	}
}

func digestOf2(t *testing.T, f func() (v1.Hash, error)) string {
	t.Helper()
	h, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// twoLayerImage is an image of a base layer and an app layer.
func twoLayerImage(t *testing.T) v1.Image {
	return imageOf(t, "amd64",
		layerOf(t, entry{"etc/", ""}, entry{"etc/os-release", "ID=test\n"}, entry{"bin/", ""}, entry{"bin/sh", "#!shell"}),
		layerOf(t, entry{"app/", ""}, entry{"app/main", "main program"}),
	)
}

type progressLog struct {
	mu       sync.Mutex
	statuses map[string][]string
	resolved []string
}

func (p *progressLog) options() PullOptions {
	p.statuses = map[string][]string{}
	return PullOptions{
		Progress: func(pr Progress) {
			p.mu.Lock()
			defer p.mu.Unlock()
			s := p.statuses[pr.ID]
			if len(s) == 0 || s[len(s)-1] != pr.Status {
				p.statuses[pr.ID] = append(s, pr.Status)
			}
		},
		Resolved: func(ids []string) { p.resolved = ids },
	}
}

func TestPull(t *testing.T) {
	reg := startRegistry(t)
	img := twoLayerImage(t)
	reg.push(t, img, "test/app:v1")
	e := newEngine(t)
	ref := mustParse(t, reg.host+"/test/app:v1")
	configDigest := digestOf2(t, img.ConfigName)
	manifestDigest := digestOf2(t, img.Digest)
	layers, _ := img.Layers()
	var shortIDs []string
	for _, l := range layers {
		shortIDs = append(shortIDs, strings.TrimPrefix(digestOf2(t, l.Digest), "sha256:")[:12])
	}

	var p progressLog
	res, err := e.Pull(context.Background(), ref, p.options())
	if err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if !res.Updated || res.ID != configDigest || res.Digest != manifestDigest || res.Ref != ref {
		t.Errorf("first Pull = %+v, want Updated, ID %s, Digest %s", res, configDigest, manifestDigest)
	}
	if !reflect.DeepEqual(p.resolved, shortIDs) {
		t.Errorf("Resolved layers = %v, want %v", p.resolved, shortIDs)
	}
	for _, id := range shortIDs {
		s := p.statuses[id]
		if len(s) < 2 || s[0] != StatusPulling || s[len(s)-1] != StatusComplete {
			t.Errorf("progress of layer %s = %v, want %q first and %q last", id, s, StatusPulling, StatusComplete)
		}
	}

	// What is on disk: the record, both layers unpacked, blobs verified.
	im, err := e.Store.Image(res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Layers) != 2 || im.ManifestDigest != manifestDigest {
		t.Fatalf("image record = %+v", im)
	}
	wantSize := int64(len("ID=test\n") + len("#!shell") + len("main program"))
	if im.Size != wantSize {
		t.Errorf("image size = %d, want %d (file content bytes)", im.Size, wantSize)
	}
	if im.Layers[1].Parent != im.Layers[0].ChainID {
		t.Errorf("top layer's parent = %s, want %s", im.Layers[1].Parent, im.Layers[0].ChainID)
	}
	for path, want := range map[string]string{"etc/os-release": "ID=test\n", "bin/sh": "#!shell"} {
		b, err := os.ReadFile(filepath.Join(e.Store.LayerDiffDir(im.Layers[0].ChainID), path))
		if err != nil || string(b) != want {
			t.Errorf("base layer %s = %q, %v", path, b, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(e.Store.LayerDiffDir(im.Layers[1].ChainID), "app", "main")); err != nil || string(b) != "main program" {
		t.Errorf("app layer app/main = %q, %v", b, err)
	}
	raw, _ := img.RawConfigFile()
	if got, err := e.Store.Config(res.ID); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("stored config differs from the registry's (%v)", err)
	}
	rawManifest, _ := img.RawManifest()
	if got, err := e.Store.Blob(manifestDigest); err != nil || !bytes.Equal(got, rawManifest) {
		t.Errorf("stored manifest differs from the registry's (%v)", err)
	}
	if n := names(t, e, "tmp"); len(n) != 0 {
		t.Errorf("tmp/ after a pull = %v", n)
	}

	// A second pull changes nothing.
	var p2 progressLog
	res2, err := e.Pull(context.Background(), ref, p2.options())
	if err != nil {
		t.Fatalf("second Pull: %v", err)
	}
	if res2.Updated || res2.ID != res.ID {
		t.Errorf("second Pull = %+v, want Updated false and the same ID", res2)
	}
	for _, id := range shortIDs {
		if s := p2.statuses[id]; !reflect.DeepEqual(s, []string{StatusExists}) {
			t.Errorf("second pull, progress of %s = %v, want [%s]", id, s, StatusExists)
		}
	}
	if n := names(t, e, "layers"); len(n) != 2 {
		t.Errorf("layers/ = %v, want the 2 layers once", n)
	}

	// images lists it with its tag and digest.
	sums, err := e.Images()
	if err != nil || len(sums) != 1 {
		t.Fatalf("Images = %v, %v", sums, err)
	}
	s := sums[0]
	if len(s.RepoTags) != 1 || s.RepoTags[0].Familiar() != reg.host+"/test/app:v1" {
		t.Errorf("RepoTags = %v", s.RepoTags)
	}
	if len(s.RepoDigests) != 1 || s.RepoDigests[0].Digest != manifestDigest || s.RepoDigests[0].FamiliarName() != reg.host+"/test/app" {
		t.Errorf("RepoDigests = %v", s.RepoDigests)
	}
	if s.Image.ID != res.ID {
		t.Errorf("listed ID %s, want %s", s.Image.ID, res.ID)
	}

	// inspect shows Docker's document.
	doc, err := e.InspectImage(reg.host + "/test/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if doc.ID != res.ID || !reflect.DeepEqual(doc.RepoTags, []string{reg.host + "/test/app:v1"}) ||
		!reflect.DeepEqual(doc.RepoDigests, []string{reg.host + "/test/app@" + manifestDigest}) ||
		doc.Architecture != "amd64" || doc.Os != "linux" || !reflect.DeepEqual(doc.Config.Cmd, []string{"/bin/app"}) ||
		len(doc.RootFS.Layers) != 2 || doc.RootFS.Layers[0] != cf.RootFS.DiffIDs[0].String() || doc.Size != wantSize {
		t.Errorf("InspectImage = %+v", doc)
	}
	wantLower := e.Store.LayerDiffDir(im.Layers[1].ChainID) + ":" + e.Store.LayerDiffDir(im.Layers[0].ChainID)
	if got := doc.GraphDriver["Data"].(map[string]string)["LowerDir"]; got != wantLower {
		t.Errorf("LowerDir = %s, want %s", got, wantLower)
	}
}

func TestPullByDigest(t *testing.T) {
	reg := startRegistry(t)
	img := twoLayerImage(t)
	reg.push(t, img, "test/app:v1")
	d := digestOf2(t, img.Digest)
	e := newEngine(t)
	res, err := e.Pull(context.Background(), mustParse(t, reg.host+"/test/app@"+d), PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Updated || res.Digest != d {
		t.Errorf("Pull by digest = %+v", res)
	}
	sums, _ := e.Images()
	if len(sums) != 1 || len(sums[0].RepoTags) != 0 || len(sums[0].RepoDigests) != 1 {
		t.Fatalf("Images after a pull by digest = %+v, want no tag and one digest", sums)
	}
	res, err = e.Pull(context.Background(), mustParse(t, reg.host+"/test/app@"+d), PullOptions{})
	if err != nil || res.Updated {
		t.Errorf("second pull by digest = %+v, %v; want not updated", res, err)
	}
}

func TestPullUnknownTag(t *testing.T) {
	reg := startRegistry(t)
	reg.push(t, twoLayerImage(t), "test/app:v1")
	e := newEngine(t)
	tests := []struct{ ref, want string }{
		{reg.host + "/test/app:nope", "manifest for " + reg.host + "/test/app:nope not found: manifest unknown"},
		{reg.host + "/test/other:v1", "manifest for " + reg.host + "/test/other:v1 not found: manifest unknown"},
	}
	for _, tt := range tests {
		_, err := e.Pull(context.Background(), mustParse(t, tt.ref), PullOptions{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("Pull(%s) error = %v, want %q", tt.ref, err, tt.want)
		}
		if !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("error %v is not registry.ErrNotFound", err)
		}
	}
	assertNothingStored(t, e)
}

func TestPullCorruptLayerBlob(t *testing.T) {
	reg := startRegistry(t)
	img := twoLayerImage(t)
	reg.push(t, img, "test/app:v1")
	layers, _ := img.Layers()
	reg.corrupt.Store(digestOf2(t, layers[1].Digest))

	e := newEngine(t)
	ref := mustParse(t, reg.host+"/test/app:v1")
	_, err := e.Pull(context.Background(), ref, PullOptions{MaxConcurrent: 1})
	if err == nil {
		t.Fatal("Pull of a corrupt blob succeeded")
	}
	t.Logf("pull of a corrupt blob: %v", err)
	if sums, _ := e.Images(); len(sums) != 0 {
		t.Errorf("a failed pull made an image visible: %+v", sums)
	}
	if n := names(t, e, "tmp"); len(n) != 0 {
		t.Errorf("tmp/ after a failed pull = %v", n)
	}
	cf, _ := img.ConfigFile()
	bad := store.ChainIDs([]string{cf.RootFS.DiffIDs[0].String(), cf.RootFS.DiffIDs[1].String()})[1]
	if e.Store.HasLayer(bad) {
		t.Error("the corrupt layer was committed")
	}

	// The registry heals: the next pull completes.
	reg.corrupt.Store("")
	res, err := e.Pull(context.Background(), ref, PullOptions{})
	if err != nil || !res.Updated {
		t.Fatalf("Pull after the failure = %+v, %v", res, err)
	}
	if !e.Store.HasLayer(bad) {
		t.Error("the layer is missing after a good pull")
	}
}

func TestPullWrongDiffID(t *testing.T) {
	reg := startRegistry(t)
	img := twoLayerImage(t)
	wrong := digestOfBytes([]byte("not the layer"))
	reg.pushWithConfig(t, img, "test/lie:v1", func(cfg map[string]any) {
		rootfs := cfg["rootfs"].(map[string]any)
		ids := rootfs["diff_ids"].([]any)
		ids[0] = wrong
	})
	e := newEngine(t)
	_, err := e.Pull(context.Background(), mustParse(t, reg.host+"/test/lie:v1"), PullOptions{MaxConcurrent: 1})
	if err == nil || !strings.Contains(err.Error(), "but the image config says "+wrong) {
		t.Fatalf("Pull with a lying config error = %v, want a diff ID mismatch", err)
	}
	if sums, _ := e.Images(); len(sums) != 0 {
		t.Errorf("a failed pull made an image visible: %+v", sums)
	}
	if e.Store.HasLayer(wrong) {
		t.Error("the mismatching layer was committed under the config's diff ID")
	}
	if n := names(t, e, "tmp"); len(n) != 0 {
		t.Errorf("tmp/ = %v", n)
	}
}

func TestPullLayerCountMismatch(t *testing.T) {
	reg := startRegistry(t)
	img := twoLayerImage(t)
	reg.pushWithConfig(t, img, "test/short:v1", func(cfg map[string]any) {
		rootfs := cfg["rootfs"].(map[string]any)
		rootfs["diff_ids"] = rootfs["diff_ids"].([]any)[:1]
	})
	e := newEngine(t)
	_, err := e.Pull(context.Background(), mustParse(t, reg.host+"/test/short:v1"), PullOptions{})
	if err == nil || !strings.Contains(err.Error(), "the manifest has 2 layers but the config 1 diff IDs") {
		t.Fatalf("error = %v", err)
	}
	assertNothingStored(t, e)
}

func TestPullIndexPlatform(t *testing.T) {
	reg := startRegistry(t)
	amd := imageOf(t, "amd64", layerOf(t, entry{"arch", "amd64"}))
	arm := imageOf(t, "arm64", layerOf(t, entry{"arch", "arm64"}))
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	reg.pushIndex(t, idx, "test/multi:v1")
	idxDigest := digestOf2(t, idx.Digest)
	ref := mustParse(t, reg.host+"/test/multi:v1")

	tests := []struct {
		name     string
		platform *v1.Platform
		want     v1.Image
	}{
		{"arm64 asked", &v1.Platform{OS: "linux", Architecture: "arm64"}, arm},
		{"amd64 asked", &v1.Platform{OS: "linux", Architecture: "amd64"}, amd},
	}
	if goruntime.GOARCH == "amd64" {
		tests = append(tests, struct {
			name     string
			platform *v1.Platform
			want     v1.Image
		}{"the host's by default", nil, amd})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t)
			res, err := e.Pull(context.Background(), ref, PullOptions{Platform: tt.platform})
			if err != nil {
				t.Fatal(err)
			}
			if want := digestOf2(t, tt.want.ConfigName); res.ID != want {
				t.Errorf("pulled %s, want %s", res.ID, want)
			}
			if res.Digest != idxDigest {
				t.Errorf("repo digest = %s, want the index digest %s", res.Digest, idxDigest)
			}
			im, _ := e.Store.Image(res.ID)
			b, err := os.ReadFile(filepath.Join(e.Store.LayerDiffDir(im.Layers[0].ChainID), "arch"))
			wantArch, _ := tt.want.ConfigFile()
			if err != nil || string(b) != wantArch.Architecture {
				t.Errorf("unpacked arch file = %q, %v; want %q", b, err, wantArch.Architecture)
			}
		})
	}

	e := newEngine(t)
	_, err := e.Pull(context.Background(), ref, PullOptions{Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}})
	want := "no matching manifest for linux/s390x in the manifest list entries of " + reg.host + "/test/multi:v1"
	if err == nil || err.Error() != want {
		t.Errorf("Pull of a missing platform error = %v, want %q", err, want)
	}
	assertNothingStored(t, e)
}

func TestConcurrentPulls(t *testing.T) {
	reg := startRegistry(t)
	img := twoLayerImage(t)
	reg.push(t, img, "test/app:v1")
	e := newEngine(t)
	ref := mustParse(t, reg.host+"/test/app:v1")
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each pull opens the store, as separate commands do.
			e2, err := New(e.Store.Root(), Config{})
			if err == nil {
				_, err = e2.Pull(context.Background(), ref, PullOptions{})
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Pull: %v", err)
		}
	}
	if n := names(t, e, "layers"); len(n) != 2 {
		t.Errorf("layers/ = %v, want 2", n)
	}
	if n := names(t, e, "tmp"); len(n) != 0 {
		t.Errorf("tmp/ = %v", n)
	}
	if sums, _ := e.Images(); len(sums) != 1 {
		t.Errorf("%d images, want 1", len(sums))
	}
}

func TestPullCanceled(t *testing.T) {
	reg := startRegistry(t)
	reg.push(t, twoLayerImage(t), "test/app:v1")
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Pull(ctx, mustParse(t, reg.host+"/test/app:v1"), PullOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Pull with a canceled context error = %v, want context.Canceled", err)
	}
	assertNothingStored(t, e)
}

// ---- lookup, tag, rmi ----

// pulled pulls the two-layer image as HOST/test/app:v1.
func pulled(t *testing.T) (*Engine, *testRegistry, *PullResult) {
	t.Helper()
	reg := startRegistry(t)
	reg.push(t, twoLayerImage(t), "test/app:v1")
	e := newEngine(t)
	res, err := e.Pull(context.Background(), mustParse(t, reg.host+"/test/app:v1"), PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return e, reg, res
}

func TestLookup(t *testing.T) {
	e, reg, res := pulled(t)
	hexID := strings.TrimPrefix(res.ID, "sha256:")
	tests := []struct {
		in      string
		wantRef string // familiar form of the matched reference; "" = by ID
	}{
		{reg.host + "/test/app:v1", reg.host + "/test/app:v1"},
		{reg.host + "/test/app@" + res.Digest, reg.host + "/test/app@" + res.Digest},
		{res.ID, ""},
		{hexID, ""},
		{hexID[:12], ""},
		{"sha256:" + hexID[:12], ""},
		{hexID[:3], ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			im, ref, err := e.Lookup(tt.in)
			if err != nil {
				t.Fatalf("Lookup(%q): %v", tt.in, err)
			}
			if im.ID != res.ID {
				t.Errorf("Lookup(%q) = %s, want %s", tt.in, im.ID, res.ID)
			}
			got := ""
			if ref != nil {
				got = ref.Familiar()
			}
			if got != tt.wantRef {
				t.Errorf("matched reference = %q, want %q", got, tt.wantRef)
			}
		})
	}

	errTests := []struct {
		in, want  string
		noSuchImg bool
	}{
		{"x", "No such image: x:latest", true},
		{"busybox:1.36", "No such image: busybox:1.36", true},
		{reg.host + "/test/app:v2", "No such image: " + reg.host + "/test/app:v2", true},
		{"sha256:" + strings.Repeat("0", 64), "No such image: sha256:" + strings.Repeat("0", 64), true},
		{"Busybox", "invalid reference format: repository name must be lowercase", false},
	}
	for _, tt := range errTests {
		_, _, err := e.Lookup(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Lookup(%q) error = %v, want %q", tt.in, err, tt.want)
		}
		if errors.Is(err, ErrNoSuchImage) != tt.noSuchImg {
			t.Errorf("Lookup(%q): errors.Is(ErrNoSuchImage) = %v", tt.in, !tt.noSuchImg)
		}
	}
}

func TestLookupAmbiguousPrefix(t *testing.T) {
	e := newEngine(t)
	// Store config-only images until two IDs share their first hex digit
	// (at most 17 by the pigeonhole principle).
	byFirst := map[byte]string{}
	var prefix string
	for i := 0; prefix == ""; i++ {
		cfg := []byte(fmt.Sprintf(`{"os":"linux","architecture":"amd64","config":{"Labels":{"n":"%d"}}}`, i))
		id := store.Digest(cfg)
		if err := e.Store.PutBlob(id, cfg); err != nil {
			t.Fatal(err)
		}
		if err := e.Store.PutImage(&store.Image{ID: id}); err != nil {
			t.Fatal(err)
		}
		c := id[len("sha256:")]
		if _, dup := byFirst[c]; dup {
			prefix = string(c)
		}
		byFirst[c] = id
	}
	_, _, err := e.Lookup(prefix)
	want := fmt.Sprintf("image ID prefix %q is ambiguous: it matches 2 images", prefix)
	if err == nil || err.Error() != want {
		t.Fatalf("Lookup(%q) error = %v, want %q", prefix, err, want)
	}
	// The full ID still finds each one.
	im, _, err := e.Lookup(byFirst[prefix[0]])
	if err != nil || im.ID != byFirst[prefix[0]] {
		t.Errorf("Lookup(full ID) = %v, %v", im, err)
	}
}

func TestTagAndRemoveImage(t *testing.T) {
	e, reg, res := pulled(t)
	tagged := reg.host + "/test/app:v1"

	if err := e.Tag(tagged, "other/name:v2"); err != nil {
		t.Fatalf("Tag: %v", err)
	}
	if err := e.Tag("nosuch", "x:y"); !errors.Is(err, ErrNoSuchImage) {
		t.Errorf("Tag of a missing image error = %v", err)
	}
	if err := e.Tag(tagged, "Bad:Name"); err == nil {
		t.Error("Tag to an invalid name succeeded")
	}
	im, ref, err := e.Lookup("other/name:v2")
	if err != nil || im.ID != res.ID || ref.Familiar() != "other/name:v2" {
		t.Fatalf("Lookup of the new tag = %v, %v, %v", im, ref, err)
	}

	// By ID while tagged in two repositories: refused without force.
	_, err = e.RemoveImage(res.ID, false)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "image is referenced in multiple repositories") ||
		!strings.Contains(err.Error(), strings.TrimPrefix(res.ID, "sha256:")[:12]) {
		t.Errorf("RemoveImage(ID) error = %v, want Docker's conflict", err)
	}

	// One tag of several: untagged only.
	out, err := e.RemoveImage("other/name:v2", false)
	if err != nil || !reflect.DeepEqual(out, RemoveResult{"Untagged: other/name:v2"}) {
		t.Fatalf("RemoveImage(other tag) = %v, %v", out, err)
	}
	if _, err := e.Store.Image(res.ID); err != nil {
		t.Fatalf("untagging deleted the image: %v", err)
	}
	if n := names(t, e, "layers"); len(n) != 2 {
		t.Fatalf("untagging removed layers: %v", n)
	}

	// The last tag: everything goes, layers and blobs included.
	out, err = e.RemoveImage(tagged, false)
	want := RemoveResult{"Untagged: " + tagged, "Untagged: " + reg.host + "/test/app@" + res.Digest, "Deleted: " + res.ID}
	if err != nil || !reflect.DeepEqual(out, want) {
		t.Fatalf("RemoveImage(last tag) =\n %v, %v\nwant\n %v", out, err, want)
	}
	for _, dir := range []string{"images", "layers", "blobs/sha256", "tmp"} {
		if n := names(t, e, dir); len(n) != 0 {
			t.Errorf("%s/ after removing the last image = %v", dir, n)
		}
	}
	if _, err := e.RemoveImage(tagged, false); !errors.Is(err, ErrNoSuchImage) {
		t.Errorf("second RemoveImage error = %v, want No such image", err)
	}
}

func TestRemoveImageByIDSameRepo(t *testing.T) {
	e, reg, res := pulled(t)
	if err := e.Tag(reg.host+"/test/app:v1", reg.host+"/test/app:v2"); err != nil {
		t.Fatal(err)
	}
	out, err := e.RemoveImage(strings.TrimPrefix(res.ID, "sha256:")[:12], false)
	if err != nil {
		t.Fatalf("RemoveImage(short ID) with tags of one repository: %v", err)
	}
	want := RemoveResult{
		"Untagged: " + reg.host + "/test/app:v1", "Untagged: " + reg.host + "/test/app:v2",
		"Untagged: " + reg.host + "/test/app@" + res.Digest, "Deleted: " + res.ID,
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("RemoveImage =\n %v\nwant\n %v", out, want)
	}
}

func TestRemoveImageUsedByContainer(t *testing.T) {
	e, reg, res := pulled(t)
	im, _ := e.Store.Image(res.ID)
	e.ImageUsers = func(id string) ([]string, error) {
		if id == res.ID {
			return []string{"0123456789ab"}, nil
		}
		return nil, nil
	}
	e.LayersInUse = func() ([]string, error) { return im.ChainIDs(), nil }

	_, err := e.RemoveImage(reg.host+"/test/app:v1", false)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "image is being used by container 0123456789ab") {
		t.Fatalf("RemoveImage of a used image error = %v, want a conflict naming the container", err)
	}
	if _, err := e.Store.Image(res.ID); err != nil {
		t.Fatal("a refused rmi deleted the image")
	}
	// Forced: the image goes, the container's layers stay.
	if _, err := e.RemoveImage(reg.host+"/test/app:v1", true); err != nil {
		t.Fatalf("forced RemoveImage: %v", err)
	}
	if _, err := e.Store.Image(res.ID); err == nil {
		t.Error("the image survived a forced rmi")
	}
	for _, c := range im.ChainIDs() {
		if !e.Store.HasLayer(c) {
			t.Errorf("layer %s of a container was collected", c)
		}
	}
}

// ---- import ----

func TestImport(t *testing.T) {
	e := newEngine(t)
	rootfs := tarOf(t, entry{"bin/", ""}, entry{"bin/app", "#!app"}, entry{"hello.txt", "hi\n"})
	ref := mustParse(t, "imported/app:v1")
	id, err := e.Import(context.Background(), bytes.NewReader(rootfs), ImportOptions{
		Ref:     &ref,
		Changes: []string{`CMD ["/bin/app"]`, `ENV A=1 B="two words"`, `WORKDIR /srv`, `EXPOSE 8080`},
		Message: "first import",
	})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	im, matched, err := e.Lookup("imported/app:v1")
	if err != nil || im.ID != id || matched == nil {
		t.Fatalf("Lookup of the imported tag = %v, %v, %v", im, matched, err)
	}
	diffID := digestOfBytes(rootfs)
	if len(im.Layers) != 1 || im.Layers[0].DiffID != diffID || im.Layers[0].ChainID != diffID {
		t.Errorf("layers = %+v, want one with diff ID %s", im.Layers, diffID)
	}
	if b, err := os.ReadFile(filepath.Join(e.Store.LayerDiffDir(diffID), "hello.txt")); err != nil || string(b) != "hi\n" {
		t.Errorf("hello.txt = %q, %v", b, err)
	}
	cfg, err := e.ImageConfig(im)
	if err != nil {
		t.Fatal(err)
	}
	host := HostPlatform()
	if !reflect.DeepEqual(cfg.Config.Cmd, []string{"/bin/app"}) ||
		!reflect.DeepEqual(cfg.Config.Env, []string{"A=1", "B=two words"}) ||
		cfg.Config.WorkingDir != "/srv" || len(cfg.Config.ExposedPorts) != 1 ||
		cfg.OS != "linux" || cfg.Architecture != host.Architecture ||
		len(cfg.RootFS.DiffIDs) != 1 || cfg.RootFS.DiffIDs[0].String() != diffID {
		t.Errorf("imported config = %+v", cfg)
	}
	doc, err := e.InspectImage("imported/app:v1")
	if err != nil || doc.Comment != "first import" || !reflect.DeepEqual(doc.RepoTags, []string{"imported/app:v1"}) ||
		len(doc.RepoDigests) != 0 || doc.Size != int64(len("#!app")+len("hi\n")) {
		t.Errorf("InspectImage = %+v, %v", doc, err)
	}

	// The same tarball again, gzip-compressed and untagged: a new image that
	// shares the layer.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(rootfs)
	zw.Close()
	id2, err := e.Import(context.Background(), &gz, ImportOptions{})
	if err != nil {
		t.Fatalf("second Import: %v", err)
	}
	if id2 == id {
		t.Error("two imports at different times share an ID")
	}
	if n := names(t, e, "layers"); len(n) != 1 {
		t.Errorf("layers/ = %v, want the one shared layer", n)
	}
	if n := names(t, e, "tmp"); len(n) != 0 {
		t.Errorf("tmp/ = %v", n)
	}
	sums, _ := e.Images()
	if len(sums) != 2 {
		t.Fatalf("%d images, want 2", len(sums))
	}

	// prune removes the untagged one and keeps the shared layer.
	out, reclaimed, err := e.PruneImages()
	if err != nil || !reflect.DeepEqual(out, RemoveResult{"deleted: " + id2}) || reclaimed != 0 {
		t.Errorf("PruneImages = %v, %d, %v; want the image deleted and no layer freed", out, reclaimed, err)
	}
	if !e.Store.HasLayer(diffID) {
		t.Error("prune removed a layer still in use")
	}
	if sums, _ := e.Images(); len(sums) != 1 || sums[0].Image.ID != id {
		t.Errorf("after prune: %+v", sums)
	}
}

func TestImportErrors(t *testing.T) {
	good := func(t *testing.T) []byte { return tarOf(t, entry{"f", "x"}) }
	tests := []struct {
		name    string
		input   func(t *testing.T) []byte
		changes []string
		wantErr string
	}{
		{"unsupported change", good, []string{"RUN make"}, `invalid --change "RUN make"`},
		{"bad JSON in a change", good, []string{`CMD ["x"`}, "not a JSON array of strings"},
		{"not a tarball", func(*testing.T) []byte { return bytes.Repeat([]byte("this is not a tar archive\n"), 40) }, nil, "importing"},
		{"truncated gzip", func(t *testing.T) []byte {
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(tarOf(t, entry{"big", strings.Repeat("x", 100000)}))
			zw.Close()
			return gz.Bytes()[:gz.Len()/2]
		}, nil, "importing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t)
			_, err := e.Import(context.Background(), bytes.NewReader(tt.input(t)), ImportOptions{Changes: tt.changes})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Import error = %v, want one containing %q", err, tt.wantErr)
			}
			assertNothingStored(t, e)
		})
	}
}

// ensure the OCI media types pull too.
func TestPullOCIImage(t *testing.T) {
	reg := startRegistry(t)
	img := mutate.ConfigMediaType(mutate.MediaType(twoLayerImage(t), types.OCIManifestSchema1), types.OCIConfigJSON)
	reg.push(t, img, "test/oci:v1")
	e := newEngine(t)
	res, err := e.Pull(context.Background(), mustParse(t, reg.host+"/test/oci:v1"), PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := digestOf2(t, img.Digest); res.Digest != want {
		t.Errorf("digest = %s, want %s", res.Digest, want)
	}
}

func TestConcurrentRemoveImage(t *testing.T) {
	e := newEngine(t)
	const n = 12
	var refs []string
	for i := 0; i < n; i++ {
		r := mustParse(t, fmt.Sprintf("test/img%d:v1", i))
		rootfs := tarOf(t, entry{fmt.Sprintf("f%d", i), "x"})
		if _, err := e.Import(context.Background(), bytes.NewReader(rootfs), ImportOptions{Ref: &r}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r.Familiar())
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, ref := range refs {
		wg.Add(1)
		go func(ref string) {
			defer wg.Done()
			e2, err := New(e.Store.Root(), Config{})
			if err == nil {
				_, err = e2.RemoveImage(ref, false)
			}
			if err != nil {
				errs <- fmt.Errorf("rmi %s: %w", ref, err)
			}
		}(ref)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := e.GC(); err != nil {
		t.Fatal(err)
	}
	assertNothingStored(t, e)
}
