package engine

import (
	"context"
	"io"

	"github.com/geedocker/geedocker/internal/copyfs"
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
