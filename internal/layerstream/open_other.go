//go:build !linux

package layerstream

import (
	"os"
	"path/filepath"
)

// root opens files below a directory. Without openat2 it only joins
// cleaned names; layers are unpacked on Linux only.
type root struct{ dir string }

func openRoot(dir string) (*root, error) { return &root{dir: dir}, nil }

func (r *root) Open(rel string) (*os.File, error) { return os.Open(filepath.Join(r.dir, rel)) }

func (r *root) Close() error { return nil }
