package testutil

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DefaultPath is the PATH of every image built here.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// PlatformLabel is the config label, and PlatformEnv the environment
// variable, that IndexImage sets to "linux/amd64" or "linux/arm64" in each of
// its images, so a test can tell which one was pulled.
const (
	PlatformLabel = "org.geedocker.test.platform"
	PlatformEnv   = "GEEDOCKER_TEST_PLATFORM"
)

// mediaSet is the media types of one manifest flavour.
type mediaSet struct {
	manifest, config, layer types.MediaType
}

var (
	dockerMedia = mediaSet{types.DockerManifestSchema2, types.DockerConfigJSON, types.DockerLayer}
	ociMedia    = mediaSet{types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer}
)

// baseImage is an image with no layers, the given media types, and the
// config every image here shares: linux/GOARCH, Cmd ["sh"], PATH.
func baseImage(ms mediaSet, arch string) (v1.Image, error) {
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, ms.manifest), ms.config)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading empty config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture = arch
	cf.OS = "linux"
	cf.Created = v1.Time{Time: FixtureTime}
	cf.Config.Cmd = []string{"sh"}
	cf.Config.Env = []string{DefaultPath}
	return mutate.ConfigFile(img, cf)
}

// appendLayer adds layers built from uncompressed tars, each with a history
// entry saying what it is.
func appendLayer(img v1.Image, l v1.Layer, createdBy string) (v1.Image, error) {
	return mutate.Append(img, mutate.Addendum{
		Layer:   l,
		History: v1.History{Created: v1.Time{Time: FixtureTime}, CreatedBy: createdBy},
	})
}

// finish computes the image's digest so that any error in the mutations
// surfaces here, in the builder, rather than in the code under test.
func finish(t testing.TB, what string, img v1.Image, err error) v1.Image {
	t.Helper()
	if err == nil {
		_, err = img.Digest()
	}
	if err != nil {
		t.Fatalf("building %s image: %v", what, err)
	}
	return img
}

// busyboxLayer is the busybox rootfs compressed for the media type mt.
func busyboxLayer(t testing.TB, mt types.MediaType) v1.Layer {
	t.Helper()
	rootfs := BusyboxRootfsTar(t)
	l, err := memoLayer("busybox "+string(mt), func() (*blobLayer, error) { return newLayer(rootfs, mt) })
	if err != nil {
		t.Fatalf("building busybox layer: %v", err)
	}
	return l
}

// busyboxImage is the busybox rootfs as the single layer of an image.
func busyboxImage(t testing.TB, ms mediaSet, arch string) (v1.Image, error) {
	t.Helper()
	l := busyboxLayer(t, ms.layer)
	img, err := baseImage(ms, arch)
	if err != nil {
		return nil, err
	}
	return appendLayer(img, l, "testutil: busybox rootfs")
}

// BusyboxImage is BusyboxRootfsTar as a one-layer image with Docker schema 2
// media types, a gzip layer, Cmd ["sh"], PATH set, os linux and the
// architecture of the test binary.
func BusyboxImage(t testing.TB) v1.Image {
	t.Helper()
	img, err := busyboxImage(t, dockerMedia, runtime.GOARCH)
	return finish(t, "busybox", img, err)
}

// BusyboxOCIImage is BusyboxImage with OCI media types.
func BusyboxOCIImage(t testing.TB) v1.Image {
	t.Helper()
	img, err := busyboxImage(t, ociMedia, runtime.GOARCH)
	return finish(t, "busybox OCI", img, err)
}

// ZstdImage is BusyboxOCIImage with its layer compressed with zstd (media
// type application/vnd.oci.image.layer.v1.tar+zstd).
func ZstdImage(t testing.TB) v1.Image {
	t.Helper()
	zstdMedia := ociMedia
	zstdMedia.layer = types.OCILayerZStd
	img, err := busyboxImage(t, zstdMedia, runtime.GOARCH)
	return finish(t, "zstd", img, err)
}

// WhiteoutImage is BusyboxImage plus two layers:
//
//	layer 2 adds /hello.txt, /data/keep and /data/old/a
//	layer 3 removes /etc/hostname (etc/.wh.hostname) and /data/keep
//	        (data/.wh.keep), makes /data/old opaque (data/old/.wh..wh..opq)
//	        and adds /data/old/b
//
// Unpacked, the image has /hello.txt and /data/old/b, and none of
// /etc/hostname, /data/keep, /data/old/a.
func WhiteoutImage(t testing.TB) v1.Image {
	t.Helper()
	img := BusyboxImage(t)
	add := []tarEntry{
		dirEntry("data", 0o755),
		fileEntry("data/keep", 0o644, []byte("keep\n")),
		dirEntry("data/old", 0o755),
		fileEntry("data/old/a", 0o644, []byte("a\n")),
		fileEntry("hello.txt", 0o644, []byte("hello from layer 2\n")),
	}
	remove := []tarEntry{
		dirEntry("data", 0o755),
		fileEntry("data/.wh.keep", 0o644, nil),
		dirEntry("data/old", 0o755),
		fileEntry("data/old/.wh..wh..opq", 0o644, nil),
		fileEntry("data/old/b", 0o644, []byte("b\n")),
		dirEntry("etc", 0o755),
		fileEntry("etc/.wh.hostname", 0o644, nil),
	}
	for i, entries := range [][]tarEntry{add, remove} {
		l, err := tarLayer(entries, dockerMedia.layer)
		if err == nil {
			img, err = appendLayer(img, l, fmt.Sprintf("testutil: whiteout layer %d", i+2))
		}
		if err != nil {
			t.Fatalf("building whiteout image: %v", err)
		}
	}
	return finish(t, "whiteout", img, nil)
}

// tarLayer builds a layer from entries written in the order given.
func tarLayer(entries []tarEntry, mt types.MediaType) (*blobLayer, error) {
	b, err := writeTar(entries)
	if err != nil {
		return nil, err
	}
	return newLayer(b, mt)
}

// IndexImage is an OCI image index of two OCI images of busybox:
//
//	linux/amd64     Architecture "amd64"
//	linux/arm64/v8  Architecture "arm64", Variant "v8"
//
// Both carry the same busybox layer (the host's binary, whatever the label
// says) and differ in their config: Architecture, the label PlatformLabel and
// the variable PlatformEnv, set to "linux/amd64" or "linux/arm64".
func IndexImage(t testing.TB) v1.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range []v1.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm64", Variant: "v8"},
	} {
		img, err := platformImage(t, p)
		if err != nil {
			t.Fatalf("building %s image for the index: %v", p.String(), err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	if _, err := idx.Digest(); err != nil {
		t.Fatalf("building index: %v", err)
	}
	return idx
}

func platformImage(t testing.TB, p v1.Platform) (v1.Image, error) {
	t.Helper()
	img, err := busyboxImage(t, ociMedia, p.Architecture)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	marker := p.OS + "/" + p.Architecture
	cf.Variant = p.Variant
	cf.Config.Labels = map[string]string{PlatformLabel: marker}
	cf.Config.Env = append(cf.Config.Env, PlatformEnv+"="+marker)
	return mutate.ConfigFile(img, cf)
}

// BigImage is BusyboxImage plus `layers` gzip layers of pseudo-random
// (incompressible) data: layer i holds filesPerLayer files under
// /big/l<i>/d<nnn>/f<nnnnn>, a hundred to a directory, and all files together
// hold totalBytes bytes. The content is seeded, so equal arguments give equal
// images; they are built once per test binary and kept in memory.
func BigImage(t testing.TB, layers, filesPerLayer int, totalBytes int64) v1.Image {
	t.Helper()
	if layers < 1 || filesPerLayer < 1 || totalBytes < 0 {
		t.Fatalf("BigImage(%d, %d, %d): need at least one layer and one file, and a size >= 0", layers, filesPerLayer, totalBytes)
	}
	img := BusyboxImage(t)
	files := int64(layers) * int64(filesPerLayer)
	for i := range layers {
		key := fmt.Sprintf("big %d/%d %d %d", i, layers, filesPerLayer, totalBytes)
		l, err := memoLayer(key, func() (*blobLayer, error) {
			// File k (counted over all layers) gets totalBytes/files bytes,
			// and the first totalBytes%files files one byte more.
			first := int64(i) * int64(filesPerLayer)
			size := func(k int64) int64 {
				if k < totalBytes%files {
					return totalBytes/files + 1
				}
				return totalBytes / files
			}
			return bigLayer(i, filesPerLayer, func(j int) int64 { return size(first + int64(j)) })
		})
		if err == nil {
			img, err = appendLayer(img, l, fmt.Sprintf("testutil: big layer %d", i))
		}
		if err != nil {
			t.Fatalf("building big image layer %d: %v", i, err)
		}
	}
	return finish(t, "big", img, nil)
}

func bigLayer(index, files int, size func(int) int64) (*blobLayer, error) {
	var seed [32]byte
	copy(seed[:], fmt.Sprintf("geedocker big layer %d", index))
	rng := rand.NewChaCha8(seed)
	top := fmt.Sprintf("big/l%02d", index)
	entries := []tarEntry{dirEntry("big", 0o755), dirEntry(top, 0o755)}
	for j := range files {
		dir := fmt.Sprintf("%s/d%03d", top, j/100)
		if j%100 == 0 {
			entries = append(entries, dirEntry(dir, 0o755))
		}
		body := make([]byte, size(j))
		_, _ = rng.Read(body) // ChaCha8.Read never fails
		entries = append(entries, fileEntry(fmt.Sprintf("%s/f%05d", dir, j), 0o644, body))
	}
	return tarLayer(entries, dockerMedia.layer)
}

// BreakoutMarker is the name of the file that a malicious layer tries to
// write outside the root, and BreakoutVictim the file it tries to delete.
const (
	BreakoutMarker = "geedocker-breakout-marker"
	BreakoutVictim = "geedocker-breakout-victim"
)

// MaliciousKinds lists the kinds MaliciousLayerImage accepts.
var MaliciousKinds = []string{"dotdot", "abs-through-symlink", "symlink-chain", "hardlink-out", "whiteout-out"}

// climb is enough "../" to reach / from any directory a test unpacks into.
var climb = strings.Repeat("../", 32)

// maliciousEntries returns the crafted entries of a kind, in the order an
// unpacker will meet them. The comment on each says where an unpacker that
// follows it naively would write (root is the directory being unpacked into).
func maliciousEntries(kind string) ([]tarEntry, bool) {
	marker := []byte("written by a malicious layer\n")
	switch kind {
	case "dotdot":
		// root/../geedocker-breakout-marker
		return []tarEntry{fileEntry("../"+BreakoutMarker, 0o644, marker)}, true
	case "abs-through-symlink":
		// evil -> /, then /tmp/geedocker-breakout-marker on the host
		return []tarEntry{
			symlinkEntry("evil", "/"),
			fileEntry("evil/tmp/"+BreakoutMarker, 0o644, marker),
		}, true
	case "symlink-chain":
		// hop1 -> hop2 -> ../../(…)/tmp, then /tmp/geedocker-breakout-marker on the host
		return []tarEntry{
			symlinkEntry("hop1", "hop2"),
			symlinkEntry("hop2", climb+"tmp"),
			fileEntry("hop1/"+BreakoutMarker, 0o644, marker),
		}, true
	case "hardlink-out":
		// root/passwd-link hard-linked to root/../../etc/passwd
		return []tarEntry{hardlinkEntry("passwd-link", "../../etc/passwd")}, true
	case "whiteout-out":
		// deletes root/../geedocker-breakout-victim
		return []tarEntry{fileEntry("../.wh."+BreakoutVictim, 0o644, nil)}, true
	}
	return nil, false
}

// MaliciousLayerImage is BusyboxImage plus one layer crafted to reach outside
// the directory it is unpacked into (root below). kind is one of
// MaliciousKinds:
//
//	dotdot               file ../geedocker-breakout-marker (lands in root/..)
//	abs-through-symlink  symlink evil -> /, then file evil/tmp/geedocker-breakout-marker
//	                     (lands in the host's /tmp when the symlink is followed)
//	symlink-chain        symlinks hop1 -> hop2 -> ../../…/tmp, then file
//	                     hop1/geedocker-breakout-marker (the host's /tmp again)
//	hardlink-out         hard link passwd-link -> ../../etc/passwd
//	whiteout-out         whiteout ../.wh.geedocker-breakout-victim (deletes root/../geedocker-breakout-victim)
//
// A safe unpacker refuses the layer or keeps everything inside root (for
// the symlink kinds, root/tmp/geedocker-breakout-marker is a correct
// result). No entry writes through the hard link: a broken unpacker must not
// be able to change the host's /etc/passwd while it is tested.
func MaliciousLayerImage(t testing.TB, kind string) v1.Image {
	t.Helper()
	entries, ok := maliciousEntries(kind)
	if !ok {
		t.Fatalf("MaliciousLayerImage: unknown kind %q (want one of %s)", kind, strings.Join(MaliciousKinds, ", "))
	}
	l, err := tarLayer(entries, dockerMedia.layer)
	if err != nil {
		t.Fatalf("building %s layer: %v", kind, err)
	}
	img, err := appendLayer(BusyboxImage(t), l, "testutil: malicious layer "+kind)
	return finish(t, "malicious "+kind, img, err)
}
