package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/geedocker/geedocker/internal/copyfs"
	"github.com/geedocker/geedocker/internal/errdefs"
)

// statReply is what a stat of a container path writes (the copy helper of
// a stopped container writes it to its stdout).
type statReply struct {
	Exists bool            `json:"exists"`
	Stat   copyfs.PathStat `json:"stat"`
}

func statTo(ctr *copyfs.Root, p string, follow bool, w io.Writer) error {
	var rep statReply
	if follow { // only whether it is a directory: where an upload may go
		ep, err := ctr.Stat(p, true)
		if err != nil {
			return err
		}
		rep.Exists, rep.Stat.Name = ep.Exists, path.Base("/"+p)
		if ep.IsDir {
			rep.Stat.Mode = os.ModeDir | 0o755
		}
	} else {
		var err error
		if rep.Stat, rep.Exists, err = ctr.PathStat(p); err != nil {
			return err
		}
	}
	return json.NewEncoder(w).Encode(rep)
}

// StatPath describes a path of a container as GET and HEAD
// /containers/{id}/archive report it: a final link is not followed, unless
// follow is set. A path that does not exist is a not-found error in
// Docker's words.
func (e *Engine) StatPath(ctx context.Context, ref, p string, follow bool, globalArgs []string) (copyfs.PathStat, error) {
	c, err := e.Container(ref)
	if err != nil {
		return copyfs.PathStat{}, err
	}
	var out bytes.Buffer
	if err := e.Copy(ctx, CopyRequest{Container: c.ID, Src: p, Stat: true, FollowLink: follow}, globalArgs, nil, &out); err != nil {
		return copyfs.PathStat{}, err
	}
	var rep statReply
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return copyfs.PathStat{}, fmt.Errorf("stat of %s: %w", p, err)
	}
	if !rep.Exists {
		return copyfs.PathStat{}, errdefs.NotFound(fmt.Errorf("Could not find the file %s in container %s", p, ref))
	}
	return rep.Stat, nil
}

// ArchivePath writes the path p of a container as a tar to w, named as
// Docker names it: its base name, or "." for "DIR/." (what the directory
// holds, as "./NAME" entries). Owners are kept.
func (e *Engine) ArchivePath(ctx context.Context, ref, p string, globalArgs []string, w io.Writer) error {
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	name := path.Base("/" + p)
	if strings.HasSuffix(p, "/.") || p == "." || name == "/" { // the root: what it holds, as "./…"
		name = "."
	}
	return e.Copy(ctx, CopyRequest{Container: c.ID, Src: p, Dst: "-", Name: name}, globalArgs, nil, w)
}

// ExtractPath unpacks the tar r into the directory dir of a container.
// The directory must exist (a link to one is followed).
func (e *Engine) ExtractPath(ctx context.Context, ref, dir string, o copyfs.ExtractOptions, globalArgs []string, r io.Reader) error {
	c, err := e.Container(ref)
	if err != nil {
		return err
	}
	st, err := e.StatPath(ctx, c.ID, dir, true, globalArgs)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return errdefs.NotFound(fmt.Errorf("Could not find the file %s in container %s", dir, ref))
		}
		return err
	}
	if !st.Mode.IsDir() {
		return errdefs.InvalidArgument(fmt.Errorf("extraction point is not a directory"))
	}
	return e.Copy(ctx, CopyRequest{Container: c.ID, ToContainer: true, Src: "-", Dst: dir, Extract: o}, globalArgs, r, nil)
}
