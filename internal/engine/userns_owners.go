package engine

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/idmap"
)

// A container of userns-remap writes files owned by its host ids (its root is host id
// Start). What leaves the container (commit, export, cp and the archive API out of it) has its
// owners shifted back to the container's ids, and what enters it (cp and the archive API into
// it) to its host ids, as Docker does: the tar streams go through idmap.RewriteTar.

// containerRemap returns the id remapping of a container's user namespace, from its spec;
// nil when it has none.
func containerRemap(c *container.Container) (*idmap.Remap, error) {
	if len(c.Spec) == 0 {
		return nil, nil
	}
	var s specs.Spec
	if err := json.Unmarshal(c.Spec, &s); err != nil {
		return nil, fmt.Errorf("container %s: reading its spec: %w", c.ID[:12], err)
	}
	return remapOfSpec(&s), nil
}

// remapOfSpec returns the remapping of a spec's user namespace (one mapping of each kind, as
// userns-remap makes), or nil.
func remapOfSpec(s *specs.Spec) *idmap.Remap {
	if s.Linux == nil || len(s.Linux.UIDMappings) == 0 || len(s.Linux.GIDMappings) == 0 {
		return nil
	}
	u, g := s.Linux.UIDMappings[0], s.Linux.GIDMappings[0]
	if u.ContainerID != 0 || g.ContainerID != 0 {
		return nil
	}
	return &idmap.Remap{UID: idmap.Range{Start: u.HostID, Size: u.Size}, GID: idmap.Range{Start: g.HostID, Size: g.Size}}
}

// shiftingReader returns a reader of the tar stream r with every header passed through f, or
// r itself when f is nil. Close the returned closer when done, to stop the rewriter.
func shiftingReader(ctx context.Context, r io.Reader, f func(*tar.Header)) (io.Reader, func()) {
	if f == nil {
		return r, func() {}
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(idmap.RewriteTar(ctx, pw, r, f)) }()
	return pr, func() { pr.CloseWithError(io.ErrClosedPipe) }
}

// shiftingWriter returns a writer of a tar stream that reaches w with every header passed
// through f, or w itself when f is nil. wait closes the stream and returns the rewriter's
// error once it has written everything to w.
func shiftingWriter(ctx context.Context, w io.Writer, f func(*tar.Header)) (io.Writer, func(error) error) {
	if f == nil {
		return w, func(err error) error { return err }
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := idmap.RewriteTar(ctx, w, pr, f)
		if err == nil {
			err = io.ErrClosedPipe
		}
		pr.CloseWithError(err)
		done <- err
	}()
	return pw, func(err error) error {
		pw.CloseWithError(err)
		if rerr := <-done; rerr != io.ErrClosedPipe && (err == nil || errors.Is(err, rerr)) {
			return rerr
		}
		return err
	}
}

// toContainerIDs is the shift of what leaves a remapped container, nil without remap.
func toContainerIDs(r *idmap.Remap) func(*tar.Header) {
	if r == nil {
		return nil
	}
	return r.HeaderToContainer
}

// layerToContainerIDs is the shift of a remapped container's layer (commit, build RUN): as
// toContainerIDs, but the whiteout markers, which overlayfs makes with the credentials of the
// mounter (host root), are the container root's, as in any layer.
func layerToContainerIDs(r *idmap.Remap) func(*tar.Header) {
	if r == nil {
		return nil
	}
	return func(h *tar.Header) {
		if strings.HasPrefix(path.Base(h.Name), ".wh.") {
			h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
			return
		}
		r.HeaderToContainer(h)
	}
}

// toHostIDs is the shift of what enters a remapped container, nil without remap. With
// rootOwned every entry is the container root's first, as a copy without -a makes it.
func toHostIDs(r *idmap.Remap, rootOwned bool) func(*tar.Header) {
	if r == nil {
		return nil
	}
	return func(h *tar.Header) {
		if rootOwned {
			h.Uid, h.Gid = 0, 0
		}
		r.HeaderToHost(h)
	}
}

// exportOwners gives the entries of a remapped container's export the owners the container
// sees: its upper layer (index 0) holds host ids; the image's layers, idmapped into the
// container, hold its own ids, those beyond its ranges seen as idmap.Overflow.
func exportOwners(r *idmap.Remap) func(int, *tar.Header) {
	if r == nil {
		return nil
	}
	return func(layer int, h *tar.Header) {
		if layer > 0 {
			h.Uid, h.Gid = r.ToHost(h.Uid, h.Gid)
		}
		h.Uid, h.Gid = r.ToContainer(h.Uid, h.Gid)
	}
}
