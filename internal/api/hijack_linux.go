package api

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// headReadTimeout bounds the wait for a client to read the head of a
// hijacked stream.
const headReadTimeout = time.Second

// awaitHeadRead returns once the client has read what was written to conn
// so far, the response head of a hijacked stream, or after headReadTimeout.
//
// A client that reads the head through a buffer and then switches to the
// raw socket loses whatever came in the same read: docker-py does so (and
// with it docker-compose), and dockerd's head goes out well before the
// output of a process it starts only then. Here the process runs before the
// head goes out (so that a failed start is an HTTP error), and its output
// waits in a buffer: it goes out once the head is read. On a unix socket
// the bytes a peer has not read yet count in the sender's output queue
// (SIOCOUTQ); on TCP that count ends at the peer's kernel, so this returns
// at once there.
func awaitHeadRead(conn net.Conn) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return
	}
	deadline := time.Now().Add(headReadTimeout)
	for delay := 20 * time.Microsecond; ; delay = min(2*delay, time.Millisecond) {
		queued := 0
		cerr := raw.Control(func(fd uintptr) { queued, err = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) })
		if cerr != nil || err != nil || queued == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(delay)
	}
}
