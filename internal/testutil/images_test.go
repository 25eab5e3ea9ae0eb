package testutil

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// imageCase is one image builder and the media types its image must have.
type imageCase struct {
	name     string
	build    func(testing.TB) v1.Image
	manifest types.MediaType
	layers   []types.MediaType
}

func imageCases() []imageCase {
	docker, oci := types.DockerLayer, types.OCILayer
	cases := []imageCase{
		{"busybox", BusyboxImage, types.DockerManifestSchema2, []types.MediaType{docker}},
		{"busybox-oci", BusyboxOCIImage, types.OCIManifestSchema1, []types.MediaType{oci}},
		{"zstd", ZstdImage, types.OCIManifestSchema1, []types.MediaType{types.OCILayerZStd}},
		{"whiteout", WhiteoutImage, types.DockerManifestSchema2, []types.MediaType{docker, docker, docker}},
		{"big", func(t testing.TB) v1.Image { return BigImage(t, 2, 30, 10_000) }, types.DockerManifestSchema2, []types.MediaType{docker, docker, docker}},
	}
	for _, kind := range MaliciousKinds {
		cases = append(cases, imageCase{"malicious-" + kind, func(t testing.TB) v1.Image { return MaliciousLayerImage(t, kind) },
			types.DockerManifestSchema2, []types.MediaType{docker, docker}})
	}
	return cases
}

// checkImage verifies an image's media types, config and, through
// validate.Image or by hand for zstd, that its digests, sizes and diff IDs
// agree with its content.
func checkImage(t *testing.T, img v1.Image, tc imageCase) {
	t.Helper()
	mt, err := img.MediaType()
	if err != nil || mt != tc.manifest {
		t.Errorf("manifest media type %q (%v), want %q", mt, err, tc.manifest)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatalf("layers: %v", err)
	}
	var got []types.MediaType
	for _, l := range layers {
		mt, err := l.MediaType()
		if err != nil {
			t.Fatalf("layer media type: %v", err)
		}
		got = append(got, mt)
		checkLayerContent(t, l)
	}
	if !slices.Equal(got, tc.layers) {
		t.Errorf("layer media types %v, want %v", got, tc.layers)
	}
	if !slices.Contains(tc.layers, types.OCILayerZStd) { // validate.Image only knows gzip
		if err := validate.Image(img); err != nil {
			t.Errorf("validate.Image: %v", err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH || !slices.Equal(cf.Config.Cmd, []string{"sh"}) ||
		!slices.Contains(cf.Config.Env, DefaultPath) || len(cf.RootFS.DiffIDs) != len(layers) {
		t.Errorf("config %s/%s cmd %v env %v with %d diff IDs for %d layers", cf.OS, cf.Architecture, cf.Config.Cmd, cf.Config.Env, len(cf.RootFS.DiffIDs), len(layers))
	}
}

// checkLayerContent hashes both forms of a layer against its digest and
// diff ID.
func checkLayerContent(t *testing.T, l v1.Layer) {
	t.Helper()
	for _, c := range []struct {
		what string
		open func() (io.ReadCloser, error)
		want func() (v1.Hash, error)
	}{
		{"compressed", l.Compressed, l.Digest},
		{"uncompressed", l.Uncompressed, l.DiffID},
	} {
		want, err := c.want()
		if err != nil {
			t.Fatalf("%s hash: %v", c.what, err)
		}
		rc, err := c.open()
		if err != nil {
			t.Fatalf("opening %s layer: %v", c.what, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("reading %s layer: %v", c.what, err)
		}
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != want.String() {
			t.Errorf("%s layer hashes to %s, want %s", c.what, got, want)
		}
	}
}

func TestImages(t *testing.T) {
	for _, tc := range imageCases() {
		t.Run(tc.name, func(t *testing.T) { checkImage(t, tc.build(t), tc) })
	}
}

func TestImagesDeterministic(t *testing.T) {
	for _, tc := range imageCases() {
		t.Run(tc.name, func(t *testing.T) {
			a, err := tc.build(t).Digest()
			if err != nil {
				t.Fatal(err)
			}
			b, err := tc.build(t).Digest()
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Errorf("two builds differ: %s and %s", a, b)
			}
		})
	}
}

// TestWhiteoutImage flattens the image with go-containerregistry's
// whiteout-aware mutate.Extract and checks what is left.
func TestWhiteoutImage(t *testing.T) {
	rc := mutate.Extract(WhiteoutImage(t))
	defer rc.Close()
	files := byName(readTar(t, rc))
	for _, want := range []string{"hello.txt", "data/old/b", "bin/busybox", "etc/passwd"} {
		if _, ok := files[want]; !ok {
			t.Errorf("%s missing from the flattened image", want)
		}
	}
	for _, gone := range []string{"etc/hostname", "data/keep", "data/old/a"} {
		if _, ok := files[gone]; ok {
			t.Errorf("%s is in the flattened image, want it whited out", gone)
		}
	}
	for name := range files {
		if strings.Contains(name, ".wh.") {
			t.Errorf("whiteout %s survived flattening", name)
		}
	}
}

func TestIndexImage(t *testing.T) {
	idx := IndexImage(t)
	if err := validate.Index(idx); err != nil {
		t.Errorf("validate.Index: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %q, want %q", im.MediaType, types.OCIImageIndex)
	}
	want := map[string]string{"amd64": "linux/amd64", "arm64": "linux/arm64"}
	if len(im.Manifests) != len(want) {
		t.Fatalf("%d manifests, want %d", len(im.Manifests), len(want))
	}
	configs := map[v1.Hash]bool{}
	for _, desc := range im.Manifests {
		if desc.Platform == nil || desc.Platform.OS != "linux" || desc.MediaType != types.OCIManifestSchema1 {
			t.Fatalf("manifest descriptor %+v: want linux platform and OCI manifest", desc)
		}
		marker := want[desc.Platform.Architecture]
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		name, _ := img.ConfigName()
		configs[name] = true
		if cf.Architecture != desc.Platform.Architecture || cf.Variant != desc.Platform.Variant ||
			cf.Config.Labels[PlatformLabel] != marker || !slices.Contains(cf.Config.Env, PlatformEnv+"="+marker) {
			t.Errorf("%s: config arch %q variant %q labels %v env %v, want marker %q", desc.Platform, cf.Architecture, cf.Variant, cf.Config.Labels, cf.Config.Env, marker)
		}
	}
	if len(configs) != 2 {
		t.Errorf("the two platforms share a config")
	}
}

func TestBigImage(t *testing.T) {
	const layers, files, total = 3, 250, 100_003
	img := BigImage(t, layers, files, total)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != layers+1 {
		t.Fatalf("%d layers, want busybox + %d", len(ls), layers)
	}
	var bytes int64
	for i, l := range ls[1:] {
		n := 0
		for _, e := range layerEntries(t, l) {
			if e.hdr.Typeflag != tar.TypeReg {
				continue
			}
			if !strings.HasPrefix(e.hdr.Name, "big/l0") {
				t.Errorf("layer %d: file %s outside big/", i, e.hdr.Name)
			}
			n++
			bytes += e.hdr.Size
		}
		if n != files {
			t.Errorf("layer %d has %d files, want %d", i, n, files)
		}
		size, _ := l.Size()
		if size < total/layers*9/10 {
			t.Errorf("layer %d compressed to %d bytes: the content should not compress", i, size)
		}
	}
	if bytes != total {
		t.Errorf("files hold %d bytes, want %d", bytes, total)
	}

	other, _ := BigImage(t, layers, files, total+1).Digest()
	same, _ := img.Digest()
	if other == same {
		t.Error("images of different sizes have the same digest")
	}
}

func TestBigImageBadArguments(t *testing.T) {
	for _, args := range [][3]int{{0, 1, 1}, {1, 0, 1}, {1, 1, -1}} {
		f := runFake(t, func(tb testing.TB) { BigImage(tb, args[0], args[1], int64(args[2])) })
		if !f.failed {
			t.Errorf("BigImage%v did not fail the test", args)
		}
	}
}

func TestMaliciousLayerImage(t *testing.T) {
	tests := []struct {
		kind string
		want []string // type, name and link of each entry
	}{
		{"dotdot", []string{"0 ../" + BreakoutMarker + " "}},
		{"abs-through-symlink", []string{"2 evil /", "0 evil/tmp/" + BreakoutMarker + " "}},
		{"symlink-chain", []string{"2 hop1 hop2", "2 hop2 " + climb + "tmp", "0 hop1/" + BreakoutMarker + " "}},
		{"hardlink-out", []string{"1 passwd-link ../../etc/passwd"}},
		{"whiteout-out", []string{"0 ../.wh." + BreakoutVictim + " "}},
	}
	if len(tests) != len(MaliciousKinds) {
		t.Fatalf("%d cases for %d kinds", len(tests), len(MaliciousKinds))
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			ls, err := MaliciousLayerImage(t, tt.kind).Layers()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range layerEntries(t, ls[len(ls)-1]) {
				got = append(got, string(e.hdr.Typeflag)+" "+e.hdr.Name+" "+e.hdr.Linkname)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("entries\n%q\nwant\n%q", got, tt.want)
			}
		})
	}

	f := runFake(t, func(tb testing.TB) { MaliciousLayerImage(tb, "no-such-kind") })
	if !f.failed || !strings.Contains(f.msg, "dotdot") {
		t.Errorf("unknown kind: failed=%v msg=%q, want a failure listing the kinds", f.failed, f.msg)
	}
}
