//go:build !linux

package api

import (
	"errors"
	"net"
)

// Listen fails: the server runs only on Linux.
func Listen(a Address, group string) (net.Listener, error) {
	return nil, errors.New("serve needs Linux")
}
