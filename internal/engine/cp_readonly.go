package engine

import (
	"errors"
	"path"
	"strings"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/errdefs"
)

// checkCopyTarget refuses a copy into a container where Docker refuses it: into a mount
// that is read-only, or, with --read-only, anywhere but a writable mount. dst is the path
// in the container, as given (relative to its root when not absolute).
func checkCopyTarget(c *container.Container, dst string) error {
	p := path.Clean("/" + dst)
	in := false
	for _, m := range c.Mounts {
		d := path.Clean("/" + m.Destination)
		if p == d || strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") {
			if !m.RW {
				return errdefs.InvalidArgument(errors.New("mounted volume is marked read-only"))
			}
			in = true
		}
	}
	if !in && c.HostConfig.ReadonlyRootfs {
		return errdefs.InvalidArgument(errors.New("container rootfs is marked read-only"))
	}
	return nil
}
