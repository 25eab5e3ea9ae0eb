package engine

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/geedocker/geedocker/internal/build"
	"github.com/geedocker/geedocker/internal/layerfs"
)

// Mount points made by the runtime. When an image lacks /etc/hosts, /etc/hostname,
// /etc/resolv.conf, /proc, /sys or /dev, the runtime makes each in the container's root as the
// target of its mount, and so in the container's overlay upper directory. Docker keeps these
// in an "init" layer below the container's own, where neither `docker diff`, `docker commit`
// nor a build's RUN step sees them: madeMountPoints finds them so that each leaves them out too.

// runMounts are the paths the runtime makes in a container's root as mount
// points when the image lacks them; they are not part of a container's changes.
var runMounts = []string{"etc/hosts", "etc/hostname", "etc/resolv.conf", "proc", "sys", "dev"}

// madeMountPoints returns the runMounts that upper holds as the runtime makes them: absent
// from the layers below, and in upper an empty regular file or an empty directory, reached
// through real directories (a symbolic link in upper is the container's, never followed).
func madeMountPoints(upper string, lower []string) map[string]bool {
	below := &build.Copier{Below: lower}
	made := map[string]bool{}
	for _, m := range runMounts {
		if emptyInUpper(upper, m) && !below.Exists(m) {
			made[m] = true
		}
	}
	return made
}

// emptyInUpper tells whether rel is an empty regular file or an empty directory in upper,
// with every directory on the way a directory, not a link.
func emptyInUpper(upper, rel string) bool {
	dir := upper
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		dir = filepath.Join(dir, p)
		if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
			return false
		}
	}
	full := filepath.Join(dir, parts[len(parts)-1])
	fi, err := os.Lstat(full)
	switch {
	case err != nil:
		return false
	case fi.Mode().IsRegular():
		return fi.Size() == 0
	case fi.IsDir():
		f, err := os.Open(full)
		if err != nil {
			return false
		}
		defer f.Close()
		_, err = f.Readdirnames(1)
		return errors.Is(err, io.EOF)
	}
	return false
}

// madeParents are the directories (relative, without a slash at either end) that hold the
// made mount points, other than the root.
func madeParents(made map[string]bool) map[string]bool {
	parents := map[string]bool{}
	for m := range made {
		if d := path.Dir(m); d != "." {
			parents[d] = true
		}
	}
	return parents
}

// withoutMountPoints drops from changes (`diff`'s list, sorted by path) the made mount points,
// and a directory that is listed only because they were made in it: nothing else below it
// changed.
func withoutMountPoints(changes []layerfs.Change, made map[string]bool) []layerfs.Change {
	if len(made) == 0 {
		return changes
	}
	var kept []layerfs.Change
	for _, c := range changes {
		if !made[strings.TrimPrefix(c.Path, "/")] {
			kept = append(kept, c)
		}
	}
	parents := madeParents(made)
	var out []layerfs.Change
	for _, c := range kept {
		if parents[strings.TrimPrefix(c.Path, "/")] && c.Kind != layerfs.Deleted && !anyBelow(kept, c.Path) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func anyBelow(changes []layerfs.Change, dir string) bool {
	for _, c := range changes {
		if strings.HasPrefix(c.Path, dir+"/") {
			return true
		}
	}
	return false
}

// copyWithoutMountPoints copies the layer tar stream r (archive.Diff's: depth first, a
// directory before what it holds) to w without the made mount points, and without the header
// of a directory that holds them when nothing else in it follows.
func copyWithoutMountPoints(w io.Writer, r io.Reader, made map[string]bool) error {
	parents := madeParents(made)
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	var held *tar.Header // a parent's header, written once something below it is
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(hdr.Name, "/")
		if held != nil && !strings.HasPrefix(name, strings.TrimSuffix(held.Name, "/")+"/") {
			held = nil // nothing else below it
		}
		if made[name] {
			continue
		}
		if hdr.Typeflag == tar.TypeDir && parents[name] {
			held = hdr
			continue
		}
		if held != nil {
			if err := tw.WriteHeader(held); err != nil {
				return err
			}
			held = nil
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	return tw.Close()
}
