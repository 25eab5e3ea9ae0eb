// Package archive turns an image layer, a possibly compressed tar stream,
// into a directory that overlayfs can use as a lower layer.
//
// The store calls it in two steps:
//
//	rc, err := archive.Decompress(blob)          // gzip, zstd or plain tar
//	size, err := archive.Apply(ctx, dir, rc, archive.Options{})
//	rc.Close()
//
// Decompress sniffs the first bytes of the blob and picks a decoder. Apply
// reads the tar stream entry by entry and writes each entry into dir, an
// existing empty directory, then reads the stream to its end so that a
// caller hashing it (for the layer's diff ID) sees every byte.
//
// # Layer contents
//
// Owners (as root), modes including setuid, setgid and sticky bits, access
// and modification times, extended attributes carried in PAX records
// (SCHILY.xattr.*, e.g. security.capability), hard links, symbolic links,
// device nodes and FIFOs are recreated as the layer describes them. A later
// entry replaces an earlier one at the same path, except that a directory
// entry over an existing directory only updates its metadata. Directory
// modes and times are set after the whole layer is written, so that writing
// their children neither fails nor disturbs them.
//
// Whiteouts are converted to the form overlayfs reads: ".wh.NAME" becomes a
// character device 0/0 named NAME, and ".wh..wh..opq" sets the xattr
// trusted.overlay.opaque=y on its directory. Other ".wh..wh." entries (aufs
// metadata) are skipped, as is everything below a ".wh..wh." directory at
// the layer root. The opaque xattr needs root, as do device nodes; without
// it Apply fails with a clear error. Extended attributes in the
// trusted.overlay. namespace that a layer carries itself are dropped: only
// whiteout entries may produce overlay metadata.
//
// # Staying inside the root
//
// Layers are written by strangers, so no entry may touch anything outside
// dir. Entry names are cleaned lexically: an absolute name is taken as
// relative to dir (as Docker does) and a relative name that climbs above dir
// is refused. The parent directory of every entry is then opened with
// openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) relative to a descriptor of
// dir, so symbolic links met on the way, absolute or relative, are resolved
// as if dir were "/". The entry itself is created relative to that parent
// descriptor and never through a symbolic link in its last component
// (O_NOFOLLOW, O_EXCL, or removing the old entry first). Hard link targets
// must name a path inside dir reached without any symbolic link.
//
// Parent descriptors are cached by path while a layer is applied; the cache
// is dropped whenever a directory or symbolic link is removed, because that
// may change what a cached path would resolve to.
//
// # Speed
//
// Apply runs two goroutines: one reads the stream (decompressing it) and
// parses tar headers, handing entries over in batches with the content of
// small files; the other, Apply's own, makes the files. A large file's
// content follows its entry in 1 MiB chunks. A regular file costs four
// system calls in the common case (openat, write, futimens, close): it is
// created with its final permissions, and chown and chmod are skipped when
// creation already gave the right owner and mode (no setgid parent, no
// special bits, a umask, read from /proc, that removes nothing, no default
// ACL). Nothing is synced; the store syncs the file system once per layer.
//
// # Limits
//
// Options bound the total size of file content and the number of entries,
// so that a decompression bomb or a layer of millions of empty files stops
// with a clear error. The caller removes dir when Apply fails.
package archive
