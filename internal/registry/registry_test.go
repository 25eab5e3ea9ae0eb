package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/geedocker/geedocker/internal/reference"
)

// ---- fixtures: an in-memory registry on 127.0.0.1, nothing else reachable ----

// loopbackOnly is the transport of every client in these tests: a request
// to anything but a loopback address fails at once and is recorded, so no
// test can reach Docker Hub or any other host.
type loopbackOnly struct {
	mu      sync.Mutex
	refused []string
	next    http.RoundTripper
}

func (l *loopbackOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if !reference.IsLoopbackHost(req.URL.Host) {
		l.mu.Lock()
		l.refused = append(l.refused, req.URL.String())
		l.mu.Unlock()
		return nil, fmt.Errorf("test transport: refusing non-loopback %s", req.URL)
	}
	return l.next.RoundTrip(req)
}

func (l *loopbackOnly) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.refused) > 0 {
		t.Errorf("requests to non-loopback hosts were attempted: %v", l.refused)
	}
}

// noCreds is an empty keychain: every registry is anonymous.
type noCreds struct{}

func (noCreds) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }

// basicCreds answers with one user for every registry.
type basicCreds struct{ user, pass string }

func (k basicCreds) Resolve(authn.Resource) (authn.Authenticator, error) {
	return &authn.Basic{Username: k.user, Password: k.pass}, nil
}

func newClient(t *testing.T, o Options) (*Client, *loopbackOnly) {
	t.Helper()
	guard := &loopbackOnly{next: http.DefaultTransport}
	t.Cleanup(func() { guard.check(t) })
	o.Transport = guard
	if o.Keychain == nil {
		o.Keychain = noCreds{}
	}
	return New(o), guard
}

// startRegistry serves an in-memory registry on 127.0.0.1; wrap, when not
// nil, sits in front of it. It returns "127.0.0.1:PORT".
func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func layerOf(t *testing.T, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t *testing.T, arch string, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func push(t *testing.T, img v1.Image, ref string, opts ...remote.Option) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}

// rawManifest pushes manifest bytes as they are.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.b, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

func putRaw(t *testing.T, ref string, m rawManifest) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r, m); err != nil {
		t.Fatalf("putting %s: %v", ref, err)
	}
}

func parse(t *testing.T, s string) reference.Reference {
	t.Helper()
	r, err := reference.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func must[T any](t *testing.T, f func() (T, error)) T {
	t.Helper()
	v, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ---- Resolve ----

func TestResolveSchema2(t *testing.T) {
	host := startRegistry(t, nil)
	img := imageOf(t, "amd64", layerOf(t, map[string]string{"a": "1"}), layerOf(t, map[string]string{"b": "22"}))
	push(t, img, host+"/test/app:v1")
	c, _ := newClient(t, Options{})

	for _, refStr := range []string{host + "/test/app:v1", host + "/test/app@" + must(t, img.Digest).String()} {
		t.Run(refStr, func(t *testing.T) {
			im, err := c.Resolve(context.Background(), parse(t, refStr))
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if im.Digest != must(t, img.Digest).String() {
				t.Errorf("Digest = %s, want %s", im.Digest, must(t, img.Digest))
			}
			if !bytes.Equal(im.Manifest, must(t, img.RawManifest)) {
				t.Error("Manifest differs from the pushed one")
			}
			if !bytes.Equal(im.Config, must(t, img.RawConfigFile)) || im.ConfigDigest != must(t, img.ConfigName).String() {
				t.Errorf("Config %s differs from the pushed one", im.ConfigDigest)
			}
			m := must(t, img.Manifest)
			if len(im.Layers) != 2 {
				t.Fatalf("Layers = %+v", im.Layers)
			}
			for i, l := range m.Layers {
				want := Layer{Digest: l.Digest.String(), Size: l.Size, MediaType: string(types.DockerLayer)}
				if im.Layers[i] != want {
					t.Errorf("layer %d = %+v, want %+v", i, im.Layers[i], want)
				}
			}
			// OpenLayer streams the blob as the registry holds it.
			layers := must(t, img.Layers)
			rc, err := im.OpenLayer(context.Background(), im.Layers[1].Digest)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			wantRC := must(t, layers[1].Compressed)
			want, _ := io.ReadAll(wantRC)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("OpenLayer = %d bytes, %v; want the %d pushed", len(got), err, len(want))
			}
			if _, err := im.OpenLayer(context.Background(), "sha256:"+strings.Repeat("0", 64)); err == nil {
				t.Error("OpenLayer of a digest not in the manifest succeeded")
			}
			if _, err := im.OpenLayer(context.Background(), "nonsense"); err == nil {
				t.Error("OpenLayer of an invalid digest succeeded")
			}
		})
	}
}

func TestOpenLayerCorruptBlob(t *testing.T) {
	var badV atomic.Value
	badV.Store("")
	host := startRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			bad := badV.Load().(string)
			if bad == "" || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+bad) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			b[len(b)-1] ^= 0xff
			w.WriteHeader(rec.Code)
			w.Write(b)
		})
	})
	img := imageOf(t, "amd64", layerOf(t, map[string]string{"a": strings.Repeat("x", 5000)}))
	push(t, img, host+"/test/app:v1")
	bad := must(t, must(t, img.Layers)[0].Digest).String()
	badV.Store(bad)

	c, _ := newClient(t, Options{})
	im, err := c.Resolve(context.Background(), parse(t, host+"/test/app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := im.OpenLayer(context.Background(), bad)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); err == nil {
		t.Fatal("reading a blob whose bytes do not match its digest gave no error")
	}
}

func TestResolveIndexPlatform(t *testing.T) {
	host := startRegistry(t, nil)
	amd := mutate.ConfigMediaType(mutate.MediaType(imageOf(t, "amd64", layerOf(t, map[string]string{"arch": "amd64"})), types.OCIManifestSchema1), types.OCIConfigJSON)
	arm := mutate.ConfigMediaType(mutate.MediaType(imageOf(t, "arm64", layerOf(t, map[string]string{"arch": "arm64"})), types.OCIManifestSchema1), types.OCIConfigJSON)
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	), types.OCIImageIndex)
	ref, _ := name.ParseReference(host+"/test/multi:v1", name.Insecure)
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	idxDigest := must(t, idx.Digest).String()

	tests := []struct {
		platform v1.Platform
		want     v1.Image
		wantErr  string
	}{
		{v1.Platform{OS: "linux", Architecture: "amd64"}, amd, ""},
		{v1.Platform{OS: "linux", Architecture: "arm64"}, arm, ""},
		{v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, arm, ""},
		{v1.Platform{OS: "linux", Architecture: "s390x"}, nil,
			"no matching manifest for linux/s390x in the manifest list entries of " + host + "/test/multi:v1"},
		{v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, nil,
			"no matching manifest for linux/arm/v7 in the manifest list entries of " + host + "/test/multi:v1"},
		{v1.Platform{OS: "windows", Architecture: "amd64"}, nil,
			"no matching manifest for windows/amd64 in the manifest list entries of " + host + "/test/multi:v1"},
	}
	for _, tt := range tests {
		t.Run(platformString(tt.platform), func(t *testing.T) {
			c, _ := newClient(t, Options{Platform: tt.platform})
			im, err := c.Resolve(context.Background(), parse(t, host+"/test/multi:v1"))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Resolve error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if im.ConfigDigest != must(t, tt.want.ConfigName).String() {
				t.Errorf("chose config %s, want %s", im.ConfigDigest, must(t, tt.want.ConfigName))
			}
			if !bytes.Equal(im.Manifest, must(t, tt.want.RawManifest)) {
				t.Error("Manifest is not the chosen platform's")
			}
			if im.Digest != idxDigest {
				t.Errorf("Digest = %s, want the index's %s (what `images --digests` shows)", im.Digest, idxDigest)
			}
			if len(im.Layers) != 1 || im.Layers[0].MediaType != string(types.DockerLayer) {
				t.Errorf("Layers = %+v", im.Layers)
			}
		})
	}
}

func TestResolveNotFound(t *testing.T) {
	host := startRegistry(t, nil)
	push(t, imageOf(t, "amd64", layerOf(t, map[string]string{"a": "1"})), host+"/test/app:v1")
	c, _ := newClient(t, Options{})
	tests := []struct{ ref, want string }{
		{host + "/test/app:nope", "manifest for " + host + "/test/app:nope not found: manifest unknown"},
		{host + "/no/such/repo:v1", "manifest for " + host + "/no/such/repo:v1 not found: manifest unknown"},
		{host + "/test/app@sha256:" + strings.Repeat("a", 64), "manifest for " + host + "/test/app@sha256:" + strings.Repeat("a", 64) + " not found: manifest unknown"},
	}
	for _, tt := range tests {
		_, err := c.Resolve(context.Background(), parse(t, tt.ref))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Resolve(%s) error = %v, want %q", tt.ref, err, tt.want)
		}
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%s) error is not ErrNotFound", tt.ref)
		}
	}
}

func TestResolveRefusedManifests(t *testing.T) {
	host := startRegistry(t, nil)
	schema1 := []byte(`{"schemaVersion":1,"name":"test/old","tag":"v1","architecture":"amd64","fsLayers":[],"history":[]}`)
	putRaw(t, host+"/test/old:v1", rawManifest{schema1, types.DockerManifestSchema1Signed})
	putRaw(t, host+"/test/old:unsigned", rawManifest{schema1, types.DockerManifestSchema1})
	putRaw(t, host+"/test/odd:v1", rawManifest{[]byte(`{"schemaVersion":2}`), types.MediaType("application/vnd.example.thing+json")})

	// A manifest over Docker's 4 MiB limit.
	huge := map[string]any{
		"schemaVersion": 2, "mediaType": string(types.DockerManifestSchema2),
		"config":      map[string]any{"mediaType": string(types.DockerConfigJSON), "size": 2, "digest": "sha256:" + strings.Repeat("4", 64)},
		"layers":      []any{},
		"annotations": map[string]string{"pad": strings.Repeat("x", maxManifestSize+1)},
	}
	hb, _ := json.Marshal(huge)
	putRaw(t, host+"/test/huge:v1", rawManifest{hb, types.DockerManifestSchema2})

	c, _ := newClient(t, Options{})
	tests := []struct{ ref, want string }{
		{host + "/test/old:v1", host + "/test/old:v1: image manifest schema 1 is not supported"},
		{host + "/test/old:unsigned", host + "/test/old:unsigned: image manifest schema 1 is not supported"},
		{host + "/test/odd:v1", `unsupported manifest media type "application/vnd.example.thing+json"`},
		{host + "/test/huge:v1", "manifest for " + host + "/test/huge:v1 is too large"},
	}
	for _, tt := range tests {
		_, err := c.Resolve(context.Background(), parse(t, tt.ref))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Resolve(%s) error = %v, want one containing %q", tt.ref, err, tt.want)
		}
	}
}

func TestResolveUnsupportedLayerType(t *testing.T) {
	host := startRegistry(t, nil)
	img := imageOf(t, "amd64", layerOf(t, map[string]string{"a": "1"}))
	push(t, img, host+"/test/app:v1")
	m := must(t, img.Manifest).DeepCopy()
	m.Layers[0].MediaType = "application/vnd.example.helm.chart"
	mb, _ := json.Marshal(m)
	putRaw(t, host+"/test/app:chart", rawManifest{mb, types.DockerManifestSchema2})
	c, _ := newClient(t, Options{})
	_, err := c.Resolve(context.Background(), parse(t, host+"/test/app:chart"))
	if err == nil || !strings.Contains(err.Error(), `unsupported layer media type "application/vnd.example.helm.chart"`) {
		t.Errorf("Resolve error = %v", err)
	}
}

// basicAuth demands user:pass on every request, as a private registry does.
func basicAuth(user, pass string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestResolveAuth(t *testing.T) {
	host := startRegistry(t, basicAuth("alice", "s3cret"))
	push(t, imageOf(t, "amd64", layerOf(t, map[string]string{"a": "1"})), host+"/private/app:v1",
		remote.WithAuth(&authn.Basic{Username: "alice", Password: "s3cret"}))
	ref := parse(t, host+"/private/app:v1")

	anon, _ := newClient(t, Options{})
	_, err := anon.Resolve(context.Background(), ref)
	want := "pull access denied for " + host + "/private/app, repository does not exist or may require 'geedocker login': unauthorized"
	if err == nil || err.Error() != want || !errors.Is(err, ErrUnauthorized) {
		t.Errorf("anonymous Resolve error = %v, want %q", err, want)
	}
	wrong, _ := newClient(t, Options{Keychain: basicCreds{"alice", "wrong"}})
	if _, err := wrong.Resolve(context.Background(), ref); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Resolve with a wrong password error = %v, want ErrUnauthorized", err)
	}
	good, _ := newClient(t, Options{Keychain: basicCreds{"alice", "s3cret"}})
	if _, err := good.Resolve(context.Background(), ref); err != nil {
		t.Errorf("Resolve with the right password: %v", err)
	}
}

func TestCheckLogin(t *testing.T) {
	host := startRegistry(t, basicAuth("alice", "s3cret"))
	c, _ := newClient(t, Options{})
	tests := []struct {
		name    string
		auth    authn.Authenticator
		wantErr string
	}{
		{"right password", &authn.Basic{Username: "alice", Password: "s3cret"}, ""},
		{"wrong password", &authn.Basic{Username: "alice", Password: "nope"},
			"login to " + host + " failed: unauthorized: incorrect username or password"},
		{"anonymous", authn.Anonymous, "unauthorized: incorrect username or password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CheckLogin(context.Background(), host, tt.auth)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckLogin: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("CheckLogin error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	open := startRegistry(t, nil)
	if err := c.CheckLogin(context.Background(), open, authn.Anonymous); err != nil {
		t.Errorf("CheckLogin against an open registry: %v", err)
	}
	if err := c.CheckLogin(context.Background(), "bad host name!", authn.Anonymous); err == nil || !strings.Contains(err.Error(), "invalid registry") {
		t.Errorf("CheckLogin(bad name) error = %v", err)
	}
}

func TestResolveThroughMirror(t *testing.T) {
	mirror := startRegistry(t, nil)
	img := imageOf(t, "amd64", layerOf(t, map[string]string{"hub": "mirrored"}))
	// A Docker Hub mirror holds library/busybox as the Hub does.
	push(t, img, mirror+"/library/busybox:latest")
	push(t, img, mirror+"/team/tool:1.0")

	// A mirror that is down (a closed loopback port) is skipped.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()

	tests := []struct {
		name    string
		mirrors []string
		ref     string
	}{
		{"URL form", []string{"http://" + mirror}, "busybox"},
		{"URL with a slash", []string{"http://" + mirror + "/"}, "docker.io/library/busybox:latest"},
		{"host form", []string{mirror}, "busybox:latest"},
		{"two-part name", []string{"http://" + mirror}, "team/tool:1.0"},
		{"first mirror down", []string{"http://" + dead, "http://" + mirror}, "busybox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, guard := newClient(t, Options{Mirrors: tt.mirrors})
			im, err := c.Resolve(context.Background(), parse(t, tt.ref))
			if err != nil {
				t.Fatalf("Resolve(%s) through the mirror: %v", tt.ref, err)
			}
			if im.ConfigDigest != must(t, img.ConfigName).String() || im.Digest != must(t, img.Digest).String() {
				t.Errorf("resolved %s, want the mirrored image", im.ConfigDigest)
			}
			rc, err := im.OpenLayer(context.Background(), im.Layers[0].Digest)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				t.Errorf("reading the layer from the mirror: %v", err)
			}
			rc.Close()
			guard.check(t)
		})
	}
}

func TestMirrorsOnlyForDockerHub(t *testing.T) {
	mirror := startRegistry(t, nil)
	other := startRegistry(t, nil)
	mimg := imageOf(t, "amd64", layerOf(t, map[string]string{"from": "mirror"}))
	oimg := imageOf(t, "amd64", layerOf(t, map[string]string{"from": "other"}))
	push(t, mimg, mirror+"/app:v1")
	push(t, oimg, other+"/app:v1")
	c, _ := newClient(t, Options{Mirrors: []string{"http://" + mirror}})
	im, err := c.Resolve(context.Background(), parse(t, other+"/app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if im.ConfigDigest != must(t, oimg.ConfigName).String() {
		t.Errorf("a non-Hub reference was resolved through the mirror")
	}
}

func TestResolveCanceled(t *testing.T) {
	host := startRegistry(t, nil)
	push(t, imageOf(t, "amd64"), host+"/test/app:v1")
	c, _ := newClient(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Resolve(ctx, parse(t, host+"/test/app:v1")); !errors.Is(err, context.Canceled) {
		t.Errorf("Resolve with a canceled context error = %v, want context.Canceled", err)
	}
}

func TestResolveDeadline(t *testing.T) {
	// A registry that never answers: the context bounds the wait.
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(func() { close(release); srv.Close() })
	host := strings.TrimPrefix(srv.URL, "http://")
	c, _ := newClient(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Resolve(ctx, parse(t, host+"/test/app:v1")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Resolve against a silent registry error = %v, want the deadline", err)
	}
}

// ---- pure helpers ----

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    v1.Platform
		wantErr bool
	}{
		{"linux/amd64", v1.Platform{OS: "linux", Architecture: "amd64"}, false},
		{"linux/arm64", v1.Platform{OS: "linux", Architecture: "arm64"}, false},
		{"linux/arm64/v8", v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, false},
		{"linux/arm/v7", v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, false},
		{"windows/amd64", v1.Platform{OS: "windows", Architecture: "amd64"}, false},
		{"linux", v1.Platform{}, true},
		{"", v1.Platform{}, true},
		{"/amd64", v1.Platform{}, true},
		{"linux/", v1.Platform{}, true},
		{"linux/arm/v7/extra", v1.Platform{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePlatform(tt.in)
			if tt.wantErr {
				want := fmt.Sprintf("invalid platform %q: want os/arch[/variant]", tt.in)
				if err == nil || err.Error() != want {
					t.Fatalf("ParsePlatform(%q) = %+v, %v; want error %q", tt.in, got, err, want)
				}
				return
			}
			if err != nil || got.OS != tt.want.OS || got.Architecture != tt.want.Architecture || got.Variant != tt.want.Variant {
				t.Fatalf("ParsePlatform(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestInsecure(t *testing.T) {
	c := New(Options{Insecure: []string{"reg.local:5000", "http://lab.example:8080/"}, Keychain: noCreds{}})
	tests := []struct {
		domain string
		want   bool
	}{
		{"127.0.0.1:5000", true},
		{"127.1.2.3", true},
		{"localhost:5000", true},
		{"localhost", true},
		{"[::1]:5000", true},
		{"reg.local:5000", true},
		{"lab.example:8080", true},
		{"reg.local", false},
		{"reg.local:5001", false},
		{"docker.io", false},
		{"128.0.0.1:5000", false},
		{"localhost.example.com", false},
	}
	for _, tt := range tests {
		if got := c.insecure(tt.domain); got != tt.want {
			t.Errorf("insecure(%q) = %v, want %v", tt.domain, got, tt.want)
		}
	}
}

func TestNameRef(t *testing.T) {
	c := New(Options{Insecure: []string{"reg.local:5000"}, Keychain: noCreds{}})
	d := "sha256:" + strings.Repeat("b", 64)
	tests := []struct {
		in         string
		wantName   string
		wantScheme string
	}{
		{"busybox", "index.docker.io/library/busybox:latest", "https"},
		{"team/app:1.0", "index.docker.io/team/app:1.0", "https"},
		{"busybox@" + d, "index.docker.io/library/busybox@" + d, "https"},
		{"ghcr.io/org/tool:v2", "ghcr.io/org/tool:v2", "https"},
		{"reg.local:5000/app:v1", "reg.local:5000/app:v1", "http"},
		{"127.0.0.1:5000/app", "127.0.0.1:5000/app:latest", "http"},
		{"localhost:5000/app", "localhost:5000/app:latest", "http"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := c.nameRef(parse(t, tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if r.Name() != tt.wantName || r.Context().Registry.Scheme() != tt.wantScheme {
				t.Errorf("nameRef(%s) = %s over %s, want %s over %s", tt.in, r.Name(), r.Context().Registry.Scheme(), tt.wantName, tt.wantScheme)
			}
		})
	}
}

func TestMirrorHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://mirror.example":      "mirror.example",
		"http://127.0.0.1:5000/":      "127.0.0.1:5000",
		"mirror.example:443":          "mirror.example:443",
		"https://mirror.example:8443": "mirror.example:8443",
	} {
		if got := mirrorHost(in); got != want {
			t.Errorf("mirrorHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsLayerType(t *testing.T) {
	for _, mt := range []types.MediaType{types.DockerLayer, types.OCILayer, types.OCILayerZStd, types.DockerUncompressedLayer, types.OCIUncompressedLayer} {
		if !isLayerType(mt) {
			t.Errorf("isLayerType(%s) = false", mt)
		}
	}
	for _, mt := range []types.MediaType{types.DockerConfigJSON, types.OCIManifestSchema1, "application/octet-stream", ""} {
		if isLayerType(mt) {
			t.Errorf("isLayerType(%q) = true", mt)
		}
	}
}
