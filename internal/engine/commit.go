package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/geedocker/geedocker/internal/archive"
	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/layerfs"
	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/store"
)

// CommitOptions configure `commit`.
type CommitOptions struct {
	Ref     *reference.Reference // nil: an untagged image
	Changes []string             // Dockerfile instructions (--change)
	Message string
	Author  string
	// Pause freezes a running container's processes while its upper
	// directory is read, so that it cannot change under the reader.
	Pause bool
}

// containerFS is where a container's files are: its overlay upper
// directory over the image's layers (lower, top first).
type containerFS struct {
	c     *container.Container
	im    *store.Image
	upper string
	lower []string
}

func (e *Engine) containerFS(ref string) (*containerFS, error) {
	c, err := e.Container(ref)
	if err != nil {
		return nil, err
	}
	im, err := e.Store.Image(c.Image)
	if err != nil {
		return nil, fmt.Errorf("container %s: its image: %w", c.ID[:12], err)
	}
	cs, err := e.Containers()
	if err != nil {
		return nil, err
	}
	return &containerFS{c: c, im: im, upper: filepath.Join(cs.Dir(c.ID), "upper"), lower: e.Store.LowerDirs(im)}, nil
}

// Commit makes an image of a container's changes: the image's layers and
// one more, the container's overlay upper directory, with the container's
// configuration (and the changes) as the image's.
func (e *Engine) Commit(ctx context.Context, ref string, o CommitOptions) (string, error) {
	fs, err := e.containerFS(ref)
	if err != nil {
		return "", err
	}
	raw, err := e.Store.Config(fs.im.ID)
	if err != nil {
		return "", err
	}
	remap, err := containerRemap(fs.c)
	if err != nil {
		return "", err
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(raw, &cf); err != nil {
		return "", fmt.Errorf("image config %s: %w", fs.im.ID, err)
	}
	cc := fs.c.Config
	cf.Config.Cmd, cf.Config.Entrypoint, cf.Config.Env = cc.Cmd, cc.Entrypoint, cc.Env
	cf.Config.WorkingDir, cf.Config.User, cf.Config.Labels = cc.WorkingDir, cc.User, cc.Labels
	cf.Config.StopSignal = cc.StopSignal
	if len(cc.ExposedPorts) > 0 {
		cf.Config.ExposedPorts = cc.ExposedPorts
	}
	for _, ch := range o.Changes {
		if err := ApplyChange(&cf.Config, ch); err != nil {
			return "", err
		}
	}

	cs, err := e.Containers()
	if err != nil {
		return "", err
	}
	if _, running := livePid(cs, fs.c); running && o.Pause && !fs.c.State.Paused {
		cg, err := e.cgroup(fs.c.ID)
		if err == nil {
			err = cg.Freeze()
		}
		if err != nil {
			return "", fmt.Errorf("pausing %s for the commit (or commit with --pause=false): %w", fs.c.ID[:12], err)
		}
		defer cg.Thaw()
	}
	w, err := e.Store.BeginWrite()
	if err != nil {
		return "", err
	}
	defer w.Close()
	ing, err := e.Store.NewLayerIngest()
	if err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	made := madeMountPoints(fs.upper, fs.lower)
	go func() {
		if len(made) == 0 {
			pw.CloseWithError(archive.Diff(ctx, fs.upper, pw))
			return
		}
		dr, dw := io.Pipe()
		go func() { dw.CloseWithError(archive.Diff(ctx, fs.upper, dw)) }()
		err := copyWithoutMountPoints(pw, dr, made)
		dr.CloseWithError(io.ErrClosedPipe)
		pw.CloseWithError(err)
	}()
	// A remapped container's layer holds its host ids: the image gets the container's.
	layerTar, stopShift := shiftingReader(ctx, pr, layerToContainerIDs(remap))
	size, diffID, err := unpack(ctx, ing, layerTar, nil)
	stopShift()
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		ing.Abort()
		return "", fmt.Errorf("committing %s: %w", fs.c.ID[:12], err)
	}
	diffIDs := append(diffIDsOf(fs.im), diffID)
	chain := store.ChainIDs(diffIDs)
	layer := store.Layer{ChainID: chain[len(chain)-1], DiffID: diffID, Size: size}
	if n := len(fs.im.Layers); n > 0 {
		layer.Parent = fs.im.Layers[n-1].ChainID
	}
	if err := ing.Commit(layer); err != nil {
		return "", err
	}
	now := time.Now().UTC()
	h, err := v1.NewHash(diffID)
	if err != nil {
		return "", err
	}
	cf.RootFS.DiffIDs = append(cf.RootFS.DiffIDs, h)
	cf.Created = v1.Time{Time: now}
	cf.Author = o.Author
	cf.Container = fs.c.ID
	cf.History = append(cf.History, v1.History{
		Created: v1.Time{Time: now}, Author: o.Author, Comment: o.Message,
		CreatedBy: strings.TrimSpace(fs.c.Path + " " + strings.Join(fs.c.Args, " ")),
	})
	b, err := json.Marshal(cf)
	if err != nil {
		return "", err
	}
	id := store.Digest(b)
	if err := e.Store.PutBlob(id, b); err != nil {
		return "", err
	}
	im := &store.Image{ID: id, Layers: append(append([]store.Layer(nil), fs.im.Layers...), layer), Created: now, Added: now}
	for _, l := range im.Layers {
		im.Size += l.Size
	}
	if err := e.Store.PutImage(im); err != nil {
		return "", err
	}
	imageRef := ""
	if o.Ref != nil {
		if err := e.Store.Tag(id, o.Ref.Name()+":"+o.Ref.Tag); err != nil {
			return "", err
		}
		imageRef = familiarKey(o.Ref.Name() + ":" + o.Ref.Tag)
	}
	e.EmitContainer(fs.c, "commit", "comment", o.Message, "imageID", id, "imageRef", imageRef)
	return id, nil
}

func diffIDsOf(im *store.Image) []string {
	out := make([]string, len(im.Layers))
	for i, l := range im.Layers {
		out[i] = l.DiffID
	}
	return out
}

// Export writes a container's file system (its upper directory merged over
// the image's layers, read without mounting anything) as a tar.
func (e *Engine) Export(ctx context.Context, ref string, w io.Writer) error {
	fs, err := e.containerFS(ref)
	if err != nil {
		return err
	}
	remap, err := containerRemap(fs.c)
	if err != nil {
		return err
	}
	if err := layerfs.ExportWith(ctx, w, append([]string{fs.upper}, fs.lower...), exportOwners(remap)); err != nil {
		return fmt.Errorf("exporting %s: %w", fs.c.ID[:12], err)
	}
	e.EmitContainer(fs.c, "export")
	return nil
}

// Changes lists what a container changed in its image's file system, as
// `docker diff` shows it.
func (e *Engine) Changes(ref string) ([]layerfs.Change, error) {
	fs, err := e.containerFS(ref)
	if err != nil {
		return nil, err
	}
	changes, err := layerfs.Changes(fs.upper, fs.lower)
	if err != nil {
		return nil, err
	}
	return withoutMountPoints(changes, madeMountPoints(fs.upper, fs.lower)), nil
}

// HistoryEntry is one line of `docker history`, top first.
type HistoryEntry struct {
	ID        string // image ID for the top entry, "<missing>" below
	Created   time.Time
	CreatedBy string
	Size      int64
	Comment   string
}

// History reads the image config's history, matching the non-empty
// entries to the image's layers for their sizes.
func (e *Engine) History(name string) ([]HistoryEntry, error) {
	im, _, err := e.Lookup(name)
	if err != nil {
		return nil, err
	}
	raw, err := e.Store.Config(im.ID)
	if err != nil {
		return nil, err
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(raw, &cf); err != nil {
		return nil, fmt.Errorf("image config %s: %w", im.ID, err)
	}
	var out []HistoryEntry
	layer := 0
	for _, h := range cf.History {
		he := HistoryEntry{ID: "<missing>", Created: h.Created.Time, CreatedBy: h.CreatedBy, Comment: h.Comment}
		if !h.EmptyLayer && layer < len(im.Layers) {
			he.Size = im.Layers[layer].Size
			layer++
		}
		out = append(out, he)
	}
	if len(out) == 0 {
		out = append(out, HistoryEntry{ID: "<missing>", Created: cf.Created.Time})
	}
	// Docker lists newest first, the image's ID on the newest.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	out[0].ID = im.ID
	return out, nil
}
