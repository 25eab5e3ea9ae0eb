//go:build !linux

package store

import "golang.org/x/sys/unix"

func syncFS(string) error {
	unix.Sync()
	return nil
}
