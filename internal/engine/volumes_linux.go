package engine

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/copyfs"
)

// copyUp fills the volume directory dst with what the image holds at path p, as Docker
// does for an empty volume: the layers are applied bottom up, each one's directory at p
// archived (owners, modes, xattrs, links kept, resolved inside the layer) and unpacked into
// the volume (confined to it); a whiteout of an upper layer then removes what it hides.
// lowerDirs are the layer directories, top first.
func copyUp(ctx context.Context, lowerDirs []string, p, dst string) error {
	into, err := copyfs.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer into.Close()
	for _, dir := range slices.Backward(lowerDirs) {
		layer, err := copyfs.OpenRoot(dir)
		if err != nil {
			return err
		}
		st, err := layer.Stat(p, false)
		if err != nil || !st.Exists || !st.IsDir {
			layer.Close()
			continue
		}
		pr, pw := io.Pipe()
		go func() {
			pw.CloseWithError(layer.Archive(ctx, pw, p, false, "", true))
		}()
		err = into.Extract(ctx, "/", pr)
		pr.CloseWithError(err)
		layer.Close()
		if err != nil {
			return err
		}
		if err := removeWhiteouts(dst); err != nil {
			return err
		}
	}
	return nil
}

// removeWhiteouts removes the overlay whiteouts (0:0 character devices) a layer brought in:
// each one stands for a file an upper layer deleted.
func removeWhiteouts(dir string) error {
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeCharDevice == 0 {
			return nil
		}
		var st unix.Stat_t
		if unix.Lstat(p, &st) == nil && st.Rdev == 0 {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range found {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
