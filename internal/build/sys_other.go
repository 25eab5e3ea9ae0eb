//go:build !linux

package build

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"time"
)

var errUnsupported = errors.New("building images is only supported on Linux")

func statIDs(fs.FileInfo) (uid, gid int, rdev uint64) { return 0, 0, 1 }

func isOpaque(string) bool { return false }

func setMeta(string, fs.FileMode, int, int, time.Time) error { return errUnsupported }

func setSymlinkMeta(string, int, int, time.Time) error { return errUnsupported }

func mknod(string, fs.FileMode, uint64) error { return errUnsupported }

// readFile reads the file p, handing its content to fn in pieces, and
// returns its length.
func readFile(p string, _ int64, buf []byte, fn func([]byte)) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var total int64
	for {
		n, err := f.Read(buf)
		fn(buf[:n])
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

func copyRegular(string, string, int64, []byte) error { return errUnsupported }
