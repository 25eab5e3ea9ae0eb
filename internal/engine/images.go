package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/geedocker/geedocker/internal/errdefs"
	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/store"
)

// ErrNoSuchImage is returned when a name matches no image.
var ErrNoSuchImage = errdefs.NotFound(errors.New("No such image"))

// ErrConflict is returned when an operation is refused to protect something.
var ErrConflict = errdefs.ErrConflict

// Compiled on first use: every geedocker process, a container init among
// them, would pay for it at start otherwise.
var hexPrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(sha256:)?[a-f0-9]{1,64}$`) })

// ImageSummary is one image with its references, for listings.
type ImageSummary struct {
	Image       *store.Image
	RepoTags    []reference.Reference // tagged references
	RepoDigests []reference.Reference // digest references
}

// Lookup finds an image by reference (name[:tag], name@digest), full ID, or
// unique ID prefix. It also returns the reference it matched, if any.
func (e *Engine) Lookup(s string) (*store.Image, *reference.Reference, error) {
	repos, err := e.Store.Repositories()
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(s, "sha256:") && len(s) == 71 {
		im, err := e.Store.Image(s)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s", ErrNoSuchImage, s)
		}
		return im, nil, nil
	}
	if ref, err := reference.Parse(s); err == nil {
		key := ref.Name() + ":" + ref.Tag
		if ref.Digest != "" {
			key = ref.Name() + "@" + ref.Digest
		}
		if id, ok := repos.Lookup(key); ok {
			im, err := e.Store.Image(id)
			if err != nil {
				return nil, nil, err
			}
			return im, &ref, nil
		}
	}
	if hexPrefix().MatchString(s) {
		prefix := "sha256:" + strings.TrimPrefix(s, "sha256:")
		ids, err := e.Store.ImageIDs()
		if err != nil {
			return nil, nil, err
		}
		var match []string
		for _, id := range ids {
			if strings.HasPrefix(id, prefix) {
				match = append(match, id)
			}
		}
		if len(match) > 1 {
			return nil, nil, fmt.Errorf("image ID prefix %q is ambiguous: it matches %d images", s, len(match))
		}
		if len(match) == 1 {
			im, err := e.Store.Image(match[0])
			return im, nil, err
		}
	}
	if _, err := reference.Parse(s); err != nil && !hexPrefix().MatchString(s) {
		return nil, nil, errdefs.InvalidArgument(err)
	}
	return nil, nil, fmt.Errorf("%w: %s", ErrNoSuchImage, familiarOrRaw(s))
}

func familiarOrRaw(s string) string {
	if r, err := reference.Parse(s); err == nil {
		return r.Familiar()
	}
	return s
}

// Images lists the images with their references, newest first.
func (e *Engine) Images() ([]ImageSummary, error) {
	ids, err := e.Store.ImageIDs()
	if err != nil {
		return nil, err
	}
	repos, err := e.Store.Repositories()
	if err != nil {
		return nil, err
	}
	out := make([]ImageSummary, 0, len(ids))
	for _, id := range ids {
		im, err := e.Store.Image(id)
		if err != nil {
			continue // removed meanwhile
		}
		sum := ImageSummary{Image: im}
		tags, digests := repos.Refs(id)
		for _, t := range tags {
			if r, err := reference.Parse(t); err == nil {
				sum.RepoTags = append(sum.RepoTags, r)
			}
		}
		for _, d := range digests {
			if r, err := reference.Parse(d); err == nil {
				sum.RepoDigests = append(sum.RepoDigests, r)
			}
		}
		out = append(out, sum)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Image.Created.After(out[j].Image.Created) })
	return out, nil
}

// Tag adds the reference target to the image source names.
func (e *Engine) Tag(source, target string) error {
	im, _, err := e.Lookup(source)
	if err != nil {
		return err
	}
	ref, err := reference.ParseName(target)
	if err != nil {
		return errdefs.InvalidArgument(err)
	}
	if err := e.Store.Tag(im.ID, ref.Name()+":"+ref.Tag); err != nil {
		return err
	}
	e.emitImage("tag", im.ID, familiarKey(ref.Name()+":"+ref.Tag))
	return nil
}

// RemoveResult lists what rmi did, in Docker's words: "Untagged: busybox:latest",
// "Deleted: sha256:…".
type RemoveResult []string

// RemoveImage removes a reference or an image, as `docker rmi` does: a
// reference of an image with other tags is only untagged; the last tag, or
// an ID, deletes the image, then unreferenced layers and blobs.
func (e *Engine) RemoveImage(name string, force bool) (RemoveResult, error) {
	im, matched, err := e.Lookup(name)
	if err != nil {
		return nil, err
	}
	repos, err := e.Store.Repositories()
	if err != nil {
		return nil, err
	}
	tags, digests := repos.Refs(im.ID)
	var res RemoveResult
	if matched != nil && (len(tags) > 1 || (matched.Digest != "" && len(tags) > 0)) {
		key := matched.Name() + ":" + matched.Tag
		if matched.Digest != "" {
			key = matched.Name() + "@" + matched.Digest
		}
		if err := e.Store.Untag(key); err != nil {
			return nil, err
		}
		e.emitImage("untag", im.ID, im.ID)
		return RemoveResult{"Untagged: " + familiarKey(key)}, nil
	}
	if matched == nil && !force && distinctRepos(tags) > 1 {
		return nil, fmt.Errorf("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories: %w", shortID(im.ID), ErrConflict)
	}
	if e.ImageUsers != nil {
		users, err := e.ImageUsers(im.ID)
		if err != nil {
			return nil, err
		}
		if len(users) > 0 && !force {
			return nil, fmt.Errorf("conflict: unable to remove image %s (must be forced) - image is being used by container %s: %w", name, users[0], ErrConflict)
		}
	}
	for _, ref := range append(tags, digests...) {
		res = append(res, "Untagged: "+familiarKey(ref))
	}
	if err := e.Store.DeleteImage(im.ID); err != nil {
		return nil, err
	}
	res = append(res, "Deleted: "+im.ID)
	for range append(tags, digests...) {
		e.emitImage("untag", im.ID, im.ID)
	}
	e.emitImage("delete", im.ID, im.ID)
	if err := e.GC(); err != nil {
		return res, err
	}
	return res, nil
}

func familiarKey(key string) string {
	if r, err := reference.Parse(key); err == nil {
		return r.Familiar()
	}
	return key
}

func distinctRepos(tags []string) int {
	seen := map[string]bool{}
	for _, t := range tags {
		if r, err := reference.Parse(t); err == nil {
			seen[r.Name()] = true
		}
	}
	return len(seen)
}

// GC removes layers and blobs that no image or container uses.
func (e *Engine) GC() error {
	var keep []string
	if e.LayersInUse != nil {
		var err error
		if keep, err = e.LayersInUse(); err != nil {
			return err
		}
	}
	return e.Store.GC(keep)
}

// PruneImages deletes dangling images (no tag) and returns what it did and
// the bytes it freed: the sizes of the layers that went with them.
func (e *Engine) PruneImages() (RemoveResult, int64, error) {
	all, err := e.Images()
	if err != nil {
		return nil, 0, err
	}
	var res RemoveResult
	layers := map[string]int64{} // chain ID → size, of the images deleted
	for _, s := range all {
		if len(s.RepoTags) > 0 {
			continue
		}
		if e.ImageUsers != nil {
			if users, err := e.ImageUsers(s.Image.ID); err != nil || len(users) > 0 {
				continue
			}
		}
		for _, d := range s.RepoDigests {
			res = append(res, "untagged: "+d.Familiar())
		}
		if err := e.Store.DeleteImage(s.Image.ID); err != nil {
			return res, 0, err
		}
		for _, l := range s.Image.Layers {
			layers[l.ChainID] = l.Size
		}
		res = append(res, "deleted: "+s.Image.ID)
		e.emitImage("delete", s.Image.ID, s.Image.ID)
	}
	if len(res) == 0 {
		return res, 0, nil
	}
	err = e.GC()
	var reclaimed int64
	for chainID, size := range layers {
		if !e.Store.HasLayer(chainID) {
			reclaimed += size
		}
	}
	e.Emit(events.Image, "prune", "", map[string]string{"reclaimed": strconv.FormatInt(reclaimed, 10)})
	return res, reclaimed, err
}

// ImageInspect is `docker image inspect`'s shape.
type ImageInspect struct {
	ID            string         `json:"Id"`
	RepoTags      []string       `json:"RepoTags"`
	RepoDigests   []string       `json:"RepoDigests"`
	Parent        string         `json:"Parent"`
	Comment       string         `json:"Comment"`
	Created       string         `json:"Created"`
	DockerVersion string         `json:"DockerVersion"`
	Author        string         `json:"Author"`
	Config        v1.Config      `json:"Config"`
	Architecture  string         `json:"Architecture"`
	Variant       string         `json:"Variant,omitempty"`
	Os            string         `json:"Os"`
	Size          int64          `json:"Size"`
	GraphDriver   map[string]any `json:"GraphDriver"`
	RootFS        struct {
		Type   string   `json:"Type"`
		Layers []string `json:"Layers"`
	} `json:"RootFS"`
	Metadata struct {
		LastTagTime string `json:"LastTagTime"`
	} `json:"Metadata"`
}

// ImageConfig reads and parses an image's config.
func (e *Engine) ImageConfig(im *store.Image) (*v1.ConfigFile, error) {
	b, err := e.Store.Config(im.ID)
	if err != nil {
		return nil, err
	}
	var cfg v1.ConfigFile
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("image %s: parsing config: %w", im.ID, err)
	}
	return &cfg, nil
}

// InspectImage returns Docker's inspect document of an image.
func (e *Engine) InspectImage(name string) (*ImageInspect, error) {
	im, _, err := e.Lookup(name)
	if err != nil {
		return nil, err
	}
	cfg, err := e.ImageConfig(im)
	if err != nil {
		return nil, err
	}
	repos, err := e.Store.Repositories()
	if err != nil {
		return nil, err
	}
	tags, digests := repos.Refs(im.ID)
	out := &ImageInspect{
		ID: im.ID, RepoTags: []string{}, RepoDigests: []string{},
		Comment: historyComment(cfg), Created: cfg.Created.Time.UTC().Format(time.RFC3339Nano),
		DockerVersion: cfg.DockerVersion, Author: cfg.Author, Config: cfg.Config,
		Architecture: cfg.Architecture, Variant: cfg.Variant, Os: cfg.OS, Size: im.Size,
	}
	for _, t := range tags {
		out.RepoTags = append(out.RepoTags, familiarKey(t))
	}
	for _, d := range digests {
		out.RepoDigests = append(out.RepoDigests, familiarKey(d))
	}
	lowers := e.Store.LowerDirs(im)
	out.GraphDriver = map[string]any{"Name": "overlay2", "Data": map[string]string{"LowerDir": strings.Join(lowers, ":")}}
	out.RootFS.Type = "layers"
	out.RootFS.Layers = []string{}
	for _, l := range im.Layers {
		out.RootFS.Layers = append(out.RootFS.Layers, l.DiffID)
	}
	return out, nil
}

func historyComment(cfg *v1.ConfigFile) string {
	if n := len(cfg.History); n > 0 {
		return cfg.History[n-1].Comment
	}
	return ""
}
