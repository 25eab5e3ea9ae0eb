//go:build !linux

package build

import (
	"errors"
	"io/fs"
	"time"
)

const oNoFollow = 0

var errUnsupported = errors.New("building images is only supported on Linux")

func statIDs(fs.FileInfo) (uid, gid int, rdev uint64) { return 0, 0, 1 }

func isOpaque(string) bool { return false }

func setMeta(string, fs.FileMode, int, int, time.Time) error { return errUnsupported }

func setSymlinkMeta(string, int, int, time.Time) error { return errUnsupported }

func mknod(string, fs.FileMode, uint64) error { return errUnsupported }
