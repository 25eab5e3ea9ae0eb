//go:build !linux

package api

import "net"

// awaitHeadRead needs Linux's SIOCOUTQ; elsewhere the stream follows the
// head at once.
func awaitHeadRead(net.Conn) {}
