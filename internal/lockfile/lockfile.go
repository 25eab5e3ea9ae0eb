// Package lockfile is GeeDocker's one lock between processes: flock(2) on a
// file or a directory, shared or exclusive, in the manner of
// containers/storage's lockfile.
//
// A lock belongs to its open file: Unlock closes it, and the kernel drops it
// when the holder exits or is killed, so a dead holder never blocks the
// others and nothing needs to be cleaned up after a crash. The lock file
// itself stays; it holds nothing. Locks are advisory: they guard only
// against processes that take them too.
package lockfile

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Mode is how a lock is held.
type Mode int

const (
	// Shared locks are held by many at once, never with an exclusive one.
	Shared Mode = iota
	// Exclusive locks are held by one alone.
	Exclusive
)

func (m Mode) flock() int {
	if m == Exclusive {
		return unix.LOCK_EX
	}
	return unix.LOCK_SH
}

// Lock is a held lock.
type Lock struct{ f *os.File }

// Unlock releases the lock.
func (l *Lock) Unlock() error { return l.f.Close() }

// openFile opens the lock file at path, creating it when missing.
func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	return f, nil
}

// openDir opens the directory at path; it is not made when missing (the
// error then matches os.ErrNotExist).
func openDir(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	return f, nil
}

// Acquire blocks until it holds the lock of the file at path, made when
// missing.
func Acquire(path string, m Mode) (*Lock, error) { return acquire(openFile, path, m) }

// TryAcquire takes the lock of the file at path, made when missing, only
// when it is free: ok is false when another holds it.
func TryAcquire(path string, m Mode) (l *Lock, ok bool, err error) {
	return tryAcquire(openFile, path, m)
}

// AcquireDir blocks until it holds the lock of the directory at path, which
// must exist.
func AcquireDir(path string, m Mode) (*Lock, error) { return acquire(openDir, path, m) }

// TryAcquireDir takes the lock of the directory at path, which must exist,
// only when it is free: ok is false when another holds it.
func TryAcquireDir(path string, m Mode) (l *Lock, ok bool, err error) {
	return tryAcquire(openDir, path, m)
}

func acquire(open func(string) (*os.File, error), path string, m Mode) (*Lock, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), m.flock())
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

func tryAcquire(open func(string) (*os.File, error), path string, m Mode) (*Lock, bool, error) {
	f, err := open(path)
	if err != nil {
		return nil, false, err
	}
	if err := unix.Flock(int(f.Fd()), m.flock()|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("locking %s: %w", path, err)
	}
	return &Lock{f: f}, true, nil
}
