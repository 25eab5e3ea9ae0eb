package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/geedocker/geedocker/internal/idmap"
	"github.com/geedocker/geedocker/internal/spec"
)

// usernsRemap returns the id remapping a new container gets: none without the config's
// userns-remap or with --userns=host. What a user namespace of its own cannot do is refused,
// with Docker's words.
func (e *Engine) usernsRemap(mode string, so spec.Options, netMode string) (*idmap.Remap, error) {
	switch mode {
	case "", "host":
	default:
		return nil, fmt.Errorf("invalid --userns: %q: only \"host\" is supported", mode)
	}
	if e.Config.UsernsRemap == "" || mode == "host" {
		return nil, nil
	}
	switch {
	case so.Privileged:
		return nil, fmt.Errorf("privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode")
	case netMode == "host":
		return nil, fmt.Errorf("cannot share the host's network namespace when user namespaces are enabled")
	case strings.HasPrefix(netMode, "container:"):
		return nil, fmt.Errorf("cannot share the network namespace of another container when user namespaces are enabled: run it with --userns=host")
	}
	r, err := idmap.Resolve(idmap.HostFiles, e.Config.UsernsRemap)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// shareWithRemappedRoot lets the remapped root of a container reach its directory and write
// its upper layer: the container's directory (and the store's, above it) become traversable,
// and the root of the upper layer is owned by the container's root.
func shareWithRemappedRoot(dir string, r *idmap.Remap) error {
	for _, d := range []string{filepath.Dir(filepath.Dir(dir)), filepath.Dir(dir)} {
		if err := addTraverse(d); err != nil {
			return err
		}
	}
	// Above the store, nothing is changed: the path must be open already.
	for d := filepath.Dir(filepath.Dir(filepath.Dir(dir))); ; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("userns-remap: %s is not open to the remapped root (it needs o+x)", d)
		}
		if d == "/" {
			break
		}
	}
	if err := os.Chown(dir, 0, int(r.GID.Start)); err != nil {
		return fmt.Errorf("sharing the container's directory: %w", err)
	}
	if err := os.Chmod(dir, 0o710); err != nil {
		return fmt.Errorf("sharing the container's directory: %w", err)
	}
	if err := os.Chown(filepath.Join(dir, "upper"), int(r.UID.Start), int(r.GID.Start)); err != nil {
		return fmt.Errorf("giving the container's root its layer: %w", err)
	}
	return nil
}

// addTraverse lets every user traverse (not list) directory d.
func addTraverse(d string) error {
	st, err := os.Stat(d)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o001 != 0 {
		return nil
	}
	return os.Chmod(d, st.Mode().Perm()|0o011)
}
