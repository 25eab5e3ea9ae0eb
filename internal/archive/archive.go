package archive

import (
	"errors"
	"path"
	"strings"
)

// Default limits, used when Options leaves a field at zero.
const (
	DefaultMaxSize    int64 = 64 << 30
	DefaultMaxEntries       = 5_000_000
)

// Options bounds what Apply accepts.
type Options struct {
	// MaxSize bounds the total uncompressed bytes of file content
	// (decompression bomb guard); 0 = default 64 GiB.
	MaxSize int64
	// MaxEntries bounds the number of entries; 0 = default 5,000,000.
	MaxEntries int
	// Files says the stream is an archive of files (cp, a build context,
	// ADD of a local archive), not an image layer: ".wh." names are
	// ordinary names, never whiteouts, as Docker's untar reads them.
	Files bool
}

func (o Options) maxSize() int64 {
	if o.MaxSize > 0 {
		return o.MaxSize
	}
	return DefaultMaxSize
}

func (o Options) maxEntries() int {
	if o.MaxEntries > 0 {
		return o.MaxEntries
	}
	return DefaultMaxEntries
}

// Overlay whiteout conventions (OCI image spec, "Representing Changes").
const (
	whiteoutPrefix     = ".wh."
	whiteoutMetaPrefix = ".wh..wh."
	whiteoutOpaque     = ".wh..wh..opq"
	opaqueXattr        = "trusted.overlay.opaque"
	overlayXattrPrefix = "trusted.overlay."
	paxXattrPrefix     = "SCHILY.xattr."
)

var (
	errEscape       = errors.New("path escapes the layer root")
	errEmptyName    = errors.New("empty entry name")
	errReplaceRoot  = errors.New("cannot replace the layer root")
	errBadWhiteout  = errors.New("whiteout names a path outside its directory")
	errLinkSymlink  = errors.New("hard link target passes through a symbolic link")
	errLinkToRoot   = errors.New("hard link target is the layer root")
	errNeedsRoot    = errors.New("needs root")
	errTooLarge     = errors.New("layer content exceeds the size limit")
	errTooManyFiles = errors.New("layer exceeds the entry limit")
)

// cleanName turns a tar entry name (or hard link target) into a clean path
// relative to the layer root; "" is the root itself. An absolute name is
// taken as relative to the root, so "/etc/x" and "/../etc/x" both become
// "etc/x". A relative name that climbs above the root ("../x",
// "a/../../x") is refused.
func cleanName(name string) (string, error) {
	if name == "" {
		return "", errEmptyName
	}
	if strings.HasPrefix(name, "/") {
		// Cleaning a rooted path drops any ".." above "/".
		return strings.TrimPrefix(path.Clean(name), "/"), nil
	}
	p := path.Clean(name)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", errEscape
	}
	if p == "." {
		return "", nil
	}
	return p, nil
}

// splitPath splits a clean relative path into its parent ("" for the root)
// and last element.
func splitPath(p string) (parent, base string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// whiteoutKind says what an entry's last path element means to overlay.
type whiteoutKind int

const (
	notWhiteout  whiteoutKind = iota
	whiteoutFile              // .wh.NAME: hide NAME of the lower layers
	whiteoutDir               // .wh..wh..opq: hide the lower layers' contents of this directory
	whiteoutMeta              // other .wh..wh.* entries: aufs bookkeeping, skipped
)

// classifyWhiteout classifies base, the last element of an entry's path, and
// for a file whiteout returns the name it hides. A whiteout whose hidden
// name is empty, "." or ".." would reach outside its directory and is
// refused.
func classifyWhiteout(base string) (whiteoutKind, string, error) {
	if !strings.HasPrefix(base, whiteoutPrefix) {
		return notWhiteout, "", nil
	}
	if base == whiteoutOpaque {
		return whiteoutDir, "", nil
	}
	if strings.HasPrefix(base, whiteoutMetaPrefix) {
		return whiteoutMeta, "", nil
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return notWhiteout, "", errBadWhiteout
	}
	return whiteoutFile, name, nil
}

// inAufsMetaDir reports whether parent, an entry's parent directory, lies
// in one of the metadata directories aufs keeps at the layer root
// (".wh..wh.plnk", ".wh..wh.orph"). Their contents are skipped.
func inAufsMetaDir(parent string) bool {
	first, _, _ := strings.Cut(parent, "/")
	return strings.HasPrefix(first, whiteoutMetaPrefix)
}

// layerXattrs returns the extended attributes carried by PAX records, less
// those in the overlay namespace, which only whiteouts may produce.
func layerXattrs(pax map[string]string) map[string]string {
	var out map[string]string
	for k, v := range pax {
		name, ok := strings.CutPrefix(k, paxXattrPrefix)
		if !ok || name == "" || strings.HasPrefix(name, overlayXattrPrefix) {
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		out[name] = v
	}
	return out
}
