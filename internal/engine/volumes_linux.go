package engine

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/geedocker/geedocker/internal/copyfs"
	"github.com/geedocker/geedocker/internal/idmap"
	"github.com/geedocker/geedocker/internal/layerfs"
)

// copyUp fills the volume directory dst with what the image holds at path p, as Docker
// does for an empty volume: the merged view of the layers (whiteouts and opaque
// directories applied, no symlink followed) is archived from p, owners, modes and links
// kept, and unpacked into the volume, every entry confined to it. lowerDirs are the layer
// directories, top first. A path the image does not have as a directory copies nothing.
func copyUp(ctx context.Context, lowerDirs []string, p, dst string) error {
	into, err := copyfs.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer into.Close()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(layerfs.ExportDir(ctx, pw, lowerDirs, p)) }()
	err = into.Extract(ctx, "/", pr)
	pr.CloseWithError(err)
	return err
}

// shiftOwners gives every file under dir (dir included, no link followed) the host ids of
// its owners in a user namespace of remap: what root owned in the image, the remapped root
// owns.
func shiftOwners(dir string, remap *idmap.Remap) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		mode := fi.Mode()
		uid, gid := remap.ToHost(int(st.Uid), int(st.Gid))
		if err := os.Lchown(p, uid, gid); err != nil {
			return err
		}
		// chown clears the set-id bits of files; put them back.
		if mode.Type() == 0 && mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			return os.Chmod(p, mode)
		}
		return nil
	})
}
