package testutil

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// pull fetches ref from the registry with the given options.
func pull(t *testing.T, ref string, opts ...remote.Option) (v1.Image, error) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return remote.Image(r, opts...)
}

func TestRegistryPushPull(t *testing.T) {
	r := StartRegistry(t, RegistryOptions{})
	for _, tc := range imageCases() {
		t.Run(tc.name, func(t *testing.T) {
			img := tc.build(t)
			ref := r.Addr + "/test/" + tc.name + ":latest"
			Push(t, img, ref)

			got, err := pull(t, ref)
			if err != nil {
				t.Fatalf("pulling %s: %v", ref, err)
			}
			wantDigest, _ := img.Digest()
			gotDigest, err := got.Digest()
			if err != nil || gotDigest != wantDigest {
				t.Errorf("pulled digest %s (%v), pushed %s", gotDigest, err, wantDigest)
			}
			// Every layer is downloaded, and both forms are hashed.
			checkImage(t, got, tc)
		})
	}
}

func TestRegistryIndex(t *testing.T) {
	r := StartRegistry(t, RegistryOptions{})
	idx := IndexImage(t)
	ref := r.Addr + "/test/multiarch:latest"
	PushIndex(t, idx, ref)

	nref, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Index(nref)
	if err != nil {
		t.Fatalf("pulling index: %v", err)
	}
	want, _ := idx.Digest()
	if d, err := got.Digest(); err != nil || d != want {
		t.Errorf("pulled index digest %s (%v), pushed %s", d, err, want)
	}
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}} {
		img, err := remote.Image(nref, remote.WithPlatform(p))
		if err != nil {
			t.Fatalf("pulling %s: %v", p, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if marker := p.OS + "/" + p.Architecture; cf.Architecture != p.Architecture || cf.Config.Labels[PlatformLabel] != marker {
			t.Errorf("asked for %s, got architecture %q label %q", p, cf.Architecture, cf.Config.Labels[PlatformLabel])
		}
	}
}

func TestRegistryAuth(t *testing.T) {
	r := StartRegistry(t, RegistryOptions{User: "alice", Password: "s3cret"})
	ref := r.Addr + "/private/busybox:latest"
	img := BusyboxImage(t)
	Push(t, img, ref) // must send the credentials by itself

	// The registry itself answers 401 with a basic challenge.
	resp, err := http.Get("http://" + r.Addr + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("GET /v2/ without credentials: %s, WWW-Authenticate %q; want 401 Basic", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}

	tests := []struct {
		name     string
		auth     authn.Authenticator
		wantCode int // 0: the pull works
	}{
		{"anonymous", authn.Anonymous, http.StatusUnauthorized},
		{"wrong password", &authn.Basic{Username: "alice", Password: "nope"}, http.StatusUnauthorized},
		{"unknown user", &authn.Basic{Username: "bob", Password: "s3cret"}, http.StatusUnauthorized},
		{"right password", &authn.Basic{Username: "alice", Password: "s3cret"}, 0},
		{"Registry.Auth", r.Auth(), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pull(t, ref, remote.WithAuth(tt.auth))
			if tt.wantCode != 0 {
				var terr *transport.Error
				if !errors.As(err, &terr) || terr.StatusCode != tt.wantCode {
					t.Fatalf("pull error %v, want HTTP %d", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("pull: %v", err)
			}
			want, _ := img.Digest()
			if d, err := got.Digest(); err != nil || d != want {
				t.Errorf("pulled %s (%v), want %s", d, err, want)
			}
		})
	}
}

func TestRegistryCorruptBlob(t *testing.T) {
	r := StartRegistry(t, RegistryOptions{})
	ref := r.Addr + "/test/corrupt:latest"
	img := BusyboxImage(t)
	Push(t, img, ref)
	layers, _ := img.Layers()
	digest, _ := layers[0].Digest()
	size, _ := layers[0].Size()

	r.CorruptBlob(t, "test/corrupt", digest)

	data := filepath.Join(r.Root, "docker/registry/v2/blobs/sha256", digest.Hex[:2], digest.Hex, "data")
	if info, err := os.Stat(data); err != nil || info.Size() != size {
		t.Fatalf("corrupted blob: %v, size %d, want size %d", err, info.Size(), size)
	}
	got, err := pull(t, ref)
	if err != nil {
		t.Fatalf("pulling the manifest: %v", err)
	}
	gl, err := got.LayerByDigest(digest)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := gl.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err == nil || !strings.Contains(err.Error(), digest.Hex) {
		t.Fatalf("reading the corrupted layer: %d bytes, error %v; want a mismatch with %s", n, err, digest)
	}

	f := runFake(t, func(tb testing.TB) { r.CorruptBlob(tb, "test/other", digest) })
	if !f.failed {
		t.Error("CorruptBlob of a blob the repository does not link did not fail")
	}
}

// TestRegistryCleanup checks that the registry of a finished test is gone:
// process, port and storage.
func TestRegistryCleanup(t *testing.T) {
	var r *Registry
	t.Run("use", func(t *testing.T) {
		r = StartRegistry(t, RegistryOptions{User: "u", Password: "p"})
		Push(t, BusyboxImage(t), r.Addr+"/test/busybox:latest")
	})
	if r == nil {
		t.Skip("the registry did not start")
	}
	if processAlive(r.PID()) {
		t.Errorf("registry process %d still exists", r.PID())
	}
	if _, err := os.Stat(filepath.Dir(r.Root)); !os.IsNotExist(err) {
		t.Errorf("registry temp dir %s: %v, want it removed", filepath.Dir(r.Root), err)
	}
	if c, err := net.DialTimeout("tcp", r.Addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections", r.Addr)
	}
	if credentialsFor(r.Addr) != authn.Anonymous {
		t.Errorf("credentials for %s still kept", r.Addr)
	}
}

func TestRegistryMissingBinary(t *testing.T) {
	old := registryName
	registryName = "geedocker-no-such-registry"
	t.Cleanup(func() { registryName = old })

	t.Setenv(RequireEnv, "")
	f := runFake(t, func(tb testing.TB) { StartRegistry(tb, RegistryOptions{}) })
	if !f.skipped || !strings.Contains(f.msg, "docker-registry") {
		t.Errorf("skipped=%v failed=%v msg=%q, want a skip naming the docker-registry package", f.skipped, f.failed, f.msg)
	}
	t.Setenv(RequireEnv, "1")
	f = runFake(t, func(tb testing.TB) { StartRegistry(tb, RegistryOptions{}) })
	if !f.failed {
		t.Errorf("with %s=1: skipped=%v msg=%q, want a failure", RequireEnv, f.skipped, f.msg)
	}
}

// TestBigImagePushPull moves a 20 MB, 8000-file image through the registry
// and logs how long each step took (no threshold: the machine varies).
func TestBigImagePushPull(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 20 MB through a registry")
	}
	r := StartRegistry(t, RegistryOptions{})
	start := time.Now()
	img := BigImage(t, 4, 2000, 20<<20)
	built := time.Since(start)

	ref := r.Addr + "/test/big:latest"
	start = time.Now()
	Push(t, img, ref)
	pushed := time.Since(start)

	start = time.Now()
	got, err := pull(t, ref)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, l := range layers {
		rc, err := l.Compressed() // verified against the digest while read
		if err != nil {
			t.Fatal(err)
		}
		c, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("downloading layer: %v", err)
		}
		n += c
	}
	pulled := time.Since(start)
	if n < 20<<20 {
		t.Errorf("downloaded %d bytes, want at least the 20 MiB of random data", n)
	}
	t.Logf("BigImage(4, 2000, 20 MiB): build %v, push %v, pull %v (%d bytes compressed)", built, pushed, pulled, n)
}
