// Package layerfs reads the file system a container sees — its overlay
// upper directory over the image's layers — without mounting anything:
// it merges the layer directories itself, as overlayfs would (whiteouts
// hide, opaque directories stop the merge), for `export` and `diff`.
//
// Every directory is opened with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS)
// below its layer's root, and every file relative to such a directory with
// O_NOFOLLOW, so a symbolic link in a layer (or one a running container
// swaps in) never leads a read outside the layer.
package layerfs

// Kind of a change, as `docker diff` prints it.
const (
	Added   = "A"
	Changed = "C"
	Deleted = "D"
)

// Change is one line of `docker diff`.
type Change struct {
	Kind string
	Path string // absolute, in the container
}
