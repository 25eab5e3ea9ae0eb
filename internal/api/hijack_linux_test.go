package api

import (
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestHijackHeadReadFirst: on a unix socket, what follows the head of a
// hijacked stream waits until the client has read the head, so that a
// client which reads the head through a buffer and then the raw socket
// (docker-py) loses nothing.
func TestHijackHeadReadFirst(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := hijack(w, r, false)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write([]byte("payload"))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /exec/x/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
	// Wait for the head (and, were it sent at once, the payload behind it)
	// before the first read, as a slow reader would.
	raw, _ := c.(*net.UnixConn).SyscallConn()
	queued := func() (n int) {
		raw.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
		return n
	}
	for deadline := time.Now().Add(200 * time.Millisecond); queued() == 0 || time.Now().Before(deadline) && !strings.Contains(peek(c, queued()), "payload"); {
		time.Sleep(time.Millisecond)
	}
	buf := make([]byte, 8192)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if head := string(buf[:n]); !strings.HasPrefix(head, "HTTP/1.1 101 UPGRADED\r\n") || !strings.HasSuffix(head, "\r\n\r\n") {
		t.Fatalf("first read = %q; want the head alone", head)
	}
	rest, _ := io.ReadAll(c)
	if string(rest) != "payload" {
		t.Errorf("after the head: %q", rest)
	}
}

// peek returns the first n bytes waiting on c without reading them.
func peek(c net.Conn, n int) string {
	raw, _ := c.(*net.UnixConn).SyscallConn()
	buf := make([]byte, n)
	var got int
	raw.Control(func(fd uintptr) { got, _, _ = unix.Recvfrom(int(fd), buf, unix.MSG_PEEK|unix.MSG_DONTWAIT) })
	if got < 0 {
		got = 0
	}
	return string(buf[:got])
}
