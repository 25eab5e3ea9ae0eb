// Package registry pulls images over the distribution protocol. It is a thin
// layer over go-containerregistry, which does the protocol, the token and
// basic auth dance and platform selection; this package adds Docker's
// policies: plain HTTP only for loopback and configured insecure registries,
// Docker Hub mirrors, Docker's error wording, and a refusal of schema 1.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/geedocker/geedocker/internal/reference"
)

// Errors a caller may want to tell apart.
var (
	ErrNotFound     = errors.New("manifest unknown")
	ErrUnauthorized = errors.New("unauthorized")
)

// maxManifestSize bounds manifests and configs, as Docker does (4 MiB).
const maxManifestSize = 4 << 20

// Options configure a Client.
type Options struct {
	// Insecure lists registries (host[:port]) reachable over plain HTTP.
	// Loopback registries always are.
	Insecure []string
	// Mirrors are tried, in order, for Docker Hub images (URLs or hosts).
	Mirrors []string
	// Keychain finds credentials; nil means the Docker config file.
	Keychain authn.Keychain
	// Platform selects the image of a multi-platform index.
	Platform v1.Platform
	// Transport, for tests; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// Client pulls images from registries.
type Client struct{ o Options }

// New returns a client.
func New(o Options) *Client {
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	if o.Transport == nil {
		o.Transport = remote.DefaultTransport
	}
	return &Client{o: o}
}

// Layer is a layer blob as the manifest names it.
type Layer struct {
	Digest    string
	Size      int64
	MediaType string
}

// Image is a resolved remote image: its manifest and config are fetched and
// verified; the layers are fetched on demand with OpenLayer.
type Image struct {
	// Digest is the digest the reference resolved to (the index digest for a
	// multi-platform image): the one `docker images --digests` shows.
	Digest       string
	Manifest     []byte
	Config       []byte
	ConfigDigest string
	Layers       []Layer
	img          v1.Image
}

// Resolve fetches the manifest (choosing the platform in an index) and the
// config of the image ref names.
func (c *Client) Resolve(ctx context.Context, ref reference.Reference) (*Image, error) {
	if ref.Domain == reference.DefaultDomain {
		for _, m := range c.o.Mirrors {
			mref := ref
			mref.Domain = mirrorHost(m)
			if im, err := c.resolve(ctx, mref, ref); err == nil {
				return im, nil
			}
		}
	}
	return c.resolve(ctx, ref, ref)
}

func mirrorHost(m string) string {
	m = strings.TrimPrefix(strings.TrimPrefix(m, "https://"), "http://")
	return strings.TrimSuffix(m, "/")
}

func (c *Client) nameRef(ref reference.Reference) (name.Reference, error) {
	var opts []name.Option
	if c.insecure(ref.Domain) {
		opts = append(opts, name.Insecure)
	}
	opts = append(opts, name.StrictValidation)
	s := ref.Name()
	if ref.Domain == reference.DefaultDomain {
		s = "index.docker.io/" + ref.Path
	}
	if ref.Digest != "" {
		return name.NewDigest(s+"@"+ref.Digest, opts...)
	}
	return name.NewTag(s+":"+ref.Tag, opts...)
}

func (c *Client) insecure(domain string) bool {
	if reference.IsLoopbackHost(domain) {
		return true
	}
	for _, h := range c.o.Insecure {
		if mirrorHost(h) == domain {
			return true
		}
	}
	return false
}

func (c *Client) remoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(c.o.Keychain),
		remote.WithPlatform(c.o.Platform),
		remote.WithTransport(c.o.Transport),
		remote.WithUserAgent("geedocker"),
	}
}

// resolve fetches from the registry of ref; shown is the reference the user typed (for errors).
func (c *Client) resolve(ctx context.Context, ref, shown reference.Reference) (*Image, error) {
	nref, err := c.nameRef(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown.Familiar(), err)
	}
	desc, err := remote.Get(nref, c.remoteOptions(ctx)...)
	if err != nil {
		return nil, describe(shown, err)
	}
	if desc.Size > maxManifestSize || len(desc.Manifest) > maxManifestSize {
		return nil, fmt.Errorf("manifest for %s is too large (%d bytes)", shown.Familiar(), desc.Size)
	}
	var img v1.Image
	switch desc.MediaType {
	case types.DockerManifestSchema1, types.DockerManifestSchema1Signed:
		return nil, fmt.Errorf("%s: image manifest schema 1 is not supported (the image is too old; push it again with a current tool)", shown.Familiar())
	case types.DockerManifestList, types.OCIImageIndex:
		img, err = desc.Image()
		if err != nil {
			if strings.Contains(err.Error(), "no child with platform") {
				return nil, fmt.Errorf("no matching manifest for %s in the manifest list entries of %s", platformString(c.o.Platform), shown.Familiar())
			}
			return nil, describe(shown, err)
		}
	case types.DockerManifestSchema2, types.OCIManifestSchema1:
		img, err = desc.Image()
		if err != nil {
			return nil, describe(shown, err)
		}
	default:
		return nil, fmt.Errorf("%s: unsupported manifest media type %q", shown.Familiar(), desc.MediaType)
	}
	im := &Image{Digest: desc.Digest.String(), img: img}
	if im.Manifest, err = img.RawManifest(); err != nil {
		return nil, describe(shown, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("%s: parsing manifest: %w", shown.Familiar(), err)
	}
	if m.Config.Size > maxManifestSize {
		return nil, fmt.Errorf("config of %s is too large (%d bytes)", shown.Familiar(), m.Config.Size)
	}
	// RawConfigFile verifies the config against its digest.
	if im.Config, err = img.RawConfigFile(); err != nil {
		return nil, describe(shown, err)
	}
	im.ConfigDigest = m.Config.Digest.String()
	for _, l := range m.Layers {
		if !isLayerType(l.MediaType) {
			return nil, fmt.Errorf("%s: unsupported layer media type %q", shown.Familiar(), l.MediaType)
		}
		im.Layers = append(im.Layers, Layer{Digest: l.Digest.String(), Size: l.Size, MediaType: string(l.MediaType)})
	}
	return im, nil
}

func isLayerType(mt types.MediaType) bool {
	switch mt {
	case types.DockerLayer, types.DockerUncompressedLayer, types.OCILayer, types.OCILayerZStd, types.OCIUncompressedLayer,
		types.DockerForeignLayer, types.OCIRestrictedLayer, types.OCIUncompressedRestrictedLayer:
		return true
	}
	return false
}

// OpenLayer streams a layer blob. The stream is checked against the digest
// while it is read: Read returns an error at the end when they differ.
func (im *Image) OpenLayer(ctx context.Context, digest string) (io.ReadCloser, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, err
	}
	l, err := im.img.LayerByDigest(h)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetching layer %s: %w", digest, err)
	}
	return rc, nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// describe turns protocol errors into Docker's wording.
func describe(ref reference.Reference, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("manifest for %s not found: %w", ref.Familiar(), ErrNotFound)
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("pull access denied for %s, repository does not exist or may require 'geedocker login': %w", ref.FamiliarName(), ErrUnauthorized)
		}
	}
	return fmt.Errorf("pulling %s: %w", ref.Familiar(), err)
}

// ParsePlatform parses "os/arch[/variant]".
func ParsePlatform(s string) (v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("invalid platform %q: want os/arch[/variant]", s)
	}
	return *p, nil
}

// CheckLogin verifies credentials against a registry (host[:port]).
func (c *Client) CheckLogin(ctx context.Context, registry string, auth authn.Authenticator) error {
	var opts []name.Option
	if c.insecure(registry) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(registry, opts...)
	if err != nil {
		return fmt.Errorf("invalid registry %q: %w", registry, err)
	}
	t, err := transport.NewWithContext(ctx, reg, auth, c.o.Transport, []string{reg.Scope(transport.PullScope)})
	if err == nil {
		// With basic auth, nothing has checked the password yet: ask /v2/.
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
		if err == nil {
			var resp *http.Response
			resp, err = (&http.Client{Transport: t}).Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
					err = &transport.Error{StatusCode: resp.StatusCode}
				}
			}
		}
	}
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
			return fmt.Errorf("login to %s failed: unauthorized: incorrect username or password: %w", registry, ErrUnauthorized)
		}
		return fmt.Errorf("login to %s: %w", registry, err)
	}
	return nil
}
