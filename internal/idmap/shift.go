package idmap

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
)

// Overflow is the id the kernel shows for an id that a user namespace does not map
// (/proc/sys/kernel/overflowuid and overflowgid).
const Overflow = 65534

// Under userns-remap, a container's writable layer holds files owned by host ids (container
// id 0 is host id Start). Wherever files leave the container (commit, export, cp out) their
// owners are shifted back to container ids, and wherever they enter it (cp in) to host ids, as
// Docker does: a layer or a copy never carries the host's ids.

// ToContainer returns the container's ids of the host ids uid and gid: an id outside the
// ranges is Overflow, as the container sees it.
func (r Remap) ToContainer(uid, gid int) (int, int) {
	return toInner(r.UID, uid), toInner(r.GID, gid)
}

// ToHost returns the host ids of the container's ids uid and gid: an id beyond the ranges
// (which no process of the container can own) is Overflow on the host too, and the container
// sees it as Overflow.
func (r Remap) ToHost(uid, gid int) (int, int) {
	return toOuter(r.UID, uid), toOuter(r.GID, gid)
}

func toInner(rg Range, id int) int {
	if id < int(rg.Start) || int64(id) >= int64(rg.Start)+int64(rg.Size) {
		return Overflow
	}
	return id - int(rg.Start)
}

func toOuter(rg Range, id int) int {
	if id < 0 || int64(id) >= int64(rg.Size) {
		return Overflow
	}
	return int(rg.Start) + id
}

// HeaderToContainer shifts the owners of a tar header from host ids to the container's. The
// names of the owners, which are the host's, are dropped.
func (r Remap) HeaderToContainer(h *tar.Header) {
	h.Uid, h.Gid = r.ToContainer(h.Uid, h.Gid)
	h.Uname, h.Gname = "", ""
}

// HeaderToHost shifts the owners of a tar header from the container's ids to the host's.
func (r Remap) HeaderToHost(h *tar.Header) {
	h.Uid, h.Gid = r.ToHost(h.Uid, h.Gid)
	h.Uname, h.Gname = "", ""
}

// RewriteTar copies the tar stream src to dst, each header passed through f first; the
// contents are copied as they are. dst gets the end of the archive once src's is read.
func RewriteTar(ctx context.Context, dst io.Writer, src io.Reader, f func(*tar.Header)) error {
	tr, tw := tar.NewReader(src), tar.NewWriter(dst)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return tw.Close()
		}
		if err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		f(h)
		// USTAR cannot hold ids above 2097151; PAX, its superset, can.
		if h.Format == tar.FormatUSTAR || h.Format == tar.FormatUnknown {
			h.Format = tar.FormatPAX
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("rewriting %s: %w", h.Name, err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return fmt.Errorf("rewriting %s: %w", h.Name, err)
		}
	}
}
