package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/geedocker/geedocker/internal/reference"
)

// retryable are the statuses a push retries, with Docker's and
// go-containerregistry's view of what is transient.
var retryable = []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
	http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

// pushBackoff: three more tries, 1 s, 3 s, 9 s apart.
var pushBackoff = remote.Backoff{Duration: time.Second, Factor: 3, Jitter: 0.1, Steps: 4}

// Pusher pushes the blobs and the manifest of one image to one repository.
//
// The caller pushes every layer (PushLayer, in parallel if it likes), then
// the image (PushImage), whose config and manifest go last, so that the
// registry never holds a manifest whose blobs are missing.
type Pusher struct {
	c     *Client
	ref   name.Tag
	shown reference.Reference
	ctx   context.Context
	head  *http.Client // authenticated, for blob existence checks
}

// NewPusher prepares a push of ref (a tag): it authenticates with push scope.
func (c *Client) NewPusher(ctx context.Context, ref reference.Reference) (*Pusher, error) {
	nref, err := c.nameRef(ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref.Familiar(), err)
	}
	tag, ok := nref.(name.Tag)
	if !ok {
		return nil, fmt.Errorf("cannot push %s: push a tag, not a digest", ref.Familiar())
	}
	repo := tag.Context()
	auth, err := authn.Resolve(ctx, c.o.Keychain, repo)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", ref.Domain, err)
	}
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, transport.NewRetry(c.o.Transport),
		[]string{repo.Scope(transport.PushScope)})
	if err != nil {
		return nil, describePush(ref, err)
	}
	return &Pusher{c: c, ref: tag, shown: ref, ctx: ctx, head: &http.Client{Transport: rt}}, nil
}

func (p *Pusher) options() []remote.Option {
	return []remote.Option{
		remote.WithContext(p.ctx),
		remote.WithAuthFromKeychain(p.c.o.Keychain),
		remote.WithTransport(p.c.o.Transport),
		remote.WithUserAgent("geedocker"),
		remote.WithRetryBackoff(pushBackoff),
		remote.WithRetryStatusCodes(retryable...),
		remote.WithJobs(1),
	}
}

// HasBlob reports whether the repository already holds the blob.
func (p *Pusher) HasBlob(digest v1.Hash) (bool, error) {
	repo := p.ref.Context()
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), digest)
	req, err := http.NewRequestWithContext(p.ctx, http.MethodHead, u, nil)
	if err != nil {
		return false, err
	}
	resp, err := p.head.Do(req)
	if err != nil {
		return false, describePush(p.shown, err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, describePush(p.shown, &transport.Error{StatusCode: resp.StatusCode})
}

// Mount asks the registry to link a blob of another repository on the same
// registry (from, a repository path) into this one, without uploading it.
// It reports false when the registry did not (the blob is not there, or the
// registry does not mount); then the caller uploads.
func (p *Pusher) Mount(l v1.Layer, from string) (bool, error) {
	src, err := name.NewRepository(p.ref.RegistryStr()+"/"+from, name.Insecure)
	if err != nil {
		return false, nil
	}
	ml := &remote.MountableLayer{Layer: noUpload{l}, Reference: src.Tag("latest")}
	err = remote.WriteLayer(p.ref.Context(), ml, p.options()...)
	if errors.Is(err, errNoUpload) || err != nil && strings.Contains(err.Error(), errNoUpload.Error()) {
		return false, nil
	}
	if err != nil {
		return false, describePush(p.shown, err)
	}
	return true, nil
}

var errNoUpload = errors.New("mount only")

// noUpload is a layer whose bytes the pusher does not have: only a mount
// (or an existing blob) can place it.
type noUpload struct{ v1.Layer }

func (noUpload) Compressed() (io.ReadCloser, error) { return nil, errNoUpload }

// PushLayer uploads a layer blob (a blob the registry has is skipped).
func (p *Pusher) PushLayer(l v1.Layer) error {
	if err := remote.WriteLayer(p.ref.Context(), l, p.options()...); err != nil {
		return describePush(p.shown, err)
	}
	return nil
}

// PushImage uploads the config and the manifest (and any layer still
// missing) and tags it.
func (p *Pusher) PushImage(img v1.Image) error {
	if err := remote.Write(p.ref, img, p.options()...); err != nil {
		return describePush(p.shown, err)
	}
	return nil
}

// describePush turns protocol errors into Docker's wording.
func describePush(ref reference.Reference, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("push access denied for %s: unauthorized (log in with 'geedocker login %s'): %w", ref.FamiliarName(), ref.Domain, ErrUnauthorized)
		}
	}
	return fmt.Errorf("pushing %s: %w", ref.Familiar(), err)
}
