package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/copyfs"
	"github.com/geedocker/geedocker/internal/idmap"
)

// CopyHelperCommand is the hidden command that copies files of a stopped
// container in a private mount namespace (see copyStopped).
const CopyHelperCommand = "container-cp"

// CopyRequest is one `cp`.
type CopyRequest struct {
	Container   string
	ToContainer bool
	// Src and Dst: the host side is an absolute path or "-" (a tar stream
	// on stdin or stdout); the container side a path in the container.
	Src, Dst   string
	Archive    bool // -a: keep owners of files copied in
	FollowLink bool // -L

	// What the API's archive endpoints ask beyond `cp`:
	Stat    bool                  // write Src's statReply (JSON) to stdout; nothing is copied
	Name    string                // the name Src takes in a tar written to stdout; default its base name
	Extract copyfs.ExtractOptions // for a tar read from stdin (Src "-")
}

// Copy copies files between a container and the host, with Docker's rules.
// A running container's files are reached through its PID 1's root; a
// stopped container's through its overlay, mounted by a helper process in a
// mount namespace of its own (globalArgs find the same store), never on the
// host.
func (e *Engine) Copy(ctx context.Context, req CopyRequest, globalArgs []string, stdin io.Reader, stdout io.Writer) error {
	c, err := e.Container(req.Container)
	if err != nil {
		return err
	}
	if req.ToContainer {
		if err := checkCopyTarget(c, req.Dst); err != nil {
			return err
		}
	}
	cs, err := e.Containers()
	if err != nil {
		return err
	}
	remap, err := containerRemap(c)
	if err != nil {
		return err
	}
	if rs, ok := livePid(cs, c); ok {
		root, err := copyfs.OpenRoot(fmt.Sprintf("/proc/%d/root", rs.Pid))
		// Checked again once open: the PID was not reused meanwhile.
		if err == nil && container.Alive(rs.Pid, rs.PidStart) {
			defer root.Close()
			return copyWith(ctx, root, remap, req, stdin, stdout)
		}
		if err == nil {
			root.Close()
		}
	}
	req.Container = c.ID
	return e.copyStopped(ctx, req, globalArgs, stdin, stdout)
}

// livePid returns the run state of a container whose PID 1 is alive.
func livePid(cs *container.Store, c *container.Container) (container.RunState, bool) {
	rs, ok := cs.ReadRunState(c.ID)
	return rs, ok && rs.Pid > 0 && container.Alive(rs.Pid, rs.PidStart)
}

// copyWith does the copy with the container's root file system at ctr. With remap, ctr shows
// the container's files with its host ids: the owners are shifted on the way in and out.
func copyWith(ctx context.Context, ctr *copyfs.Root, remap *idmap.Remap, req CopyRequest, stdin io.Reader, stdout io.Writer) error {
	host, err := copyfs.OpenRoot("/")
	if err != nil {
		return err
	}
	defer host.Close()
	if req.Stat {
		return statTo(ctr, req.Src, req.FollowLink, stdout)
	}
	if req.ToContainer {
		if req.Src == "-" {
			d, err := ctr.Stat(req.Dst, true)
			if err != nil {
				return err
			}
			if !d.Exists || !d.IsDir {
				return fmt.Errorf("destination %q must be a directory", req.Dst)
			}
			in, stop := shiftingReader(ctx, stdin, toHostIDs(remap, req.Extract.RootOwned))
			defer stop()
			o := req.Extract
			if remap != nil {
				o.RootOwned = false // done by the shift, to the container's root
			}
			return ctr.ExtractWith(ctx, req.Dst, in, o)
		}
		s, err := host.Stat(req.Src, req.FollowLink)
		if err != nil {
			return err
		}
		d, err := ctr.Stat(req.Dst, true)
		if err != nil {
			return err
		}
		dir, name, err := copyfs.Plan(s, d)
		if err != nil {
			return err
		}
		return pipeCopy(ctx, func(w io.Writer) error {
			sw, wait := shiftingWriter(ctx, w, toHostIDs(remap, false))
			return wait(host.Archive(ctx, sw, req.Src, req.FollowLink, name, req.Archive))
		}, func(r io.Reader) error { return ctr.Extract(ctx, dir, r) })
	}
	s, err := ctr.Stat(req.Src, req.FollowLink)
	if err != nil {
		return err
	}
	if !s.Exists {
		return fmt.Errorf("Could not find the file %s in container %s", req.Src, req.Container[:min(12, len(req.Container))])
	}
	if req.Dst == "-" {
		if !s.IsDir && strings.HasSuffix(req.Src, "/") {
			return fmt.Errorf("%s: %w", req.Src, copyfs.ErrNotDir)
		}
		name := req.Name
		if name == "" {
			name = path.Base(path.Clean(req.Src))
		}
		out, wait := shiftingWriter(ctx, stdout, toContainerIDs(remap))
		return wait(ctr.Archive(ctx, out, req.Src, req.FollowLink, name, true))
	}
	d, err := host.Stat(req.Dst, true)
	if err != nil {
		return err
	}
	dir, name, err := copyfs.Plan(s, d)
	if err != nil {
		return err
	}
	return pipeCopy(ctx, func(w io.Writer) error {
		sw, wait := shiftingWriter(ctx, w, toContainerIDs(remap))
		return wait(ctr.Archive(ctx, sw, req.Src, req.FollowLink, name, true))
	}, func(r io.Reader) error { return host.Extract(ctx, dir, r) })
}

// pipeCopy runs a tar writer and a tar reader joined by a pipe.
func pipeCopy(ctx context.Context, write func(io.Writer) error, read func(io.Reader) error) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err)
		done <- err
	}()
	rerr := read(pr)
	pr.CloseWithError(errCopyStopped)
	werr := <-done
	if werr != nil && (rerr == nil || !errors.Is(werr, errCopyStopped)) {
		return werr
	}
	return rerr // the reader's failure, not the writer's "copy stopped" that it caused
}

var errCopyStopped = errors.New("copy stopped")
