package api

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// Listen opens the socket of a: a unix socket is made mode 0660, owned by
// root and group (a name or GID; "" keeps root's group). A stale socket
// file (nobody listening) is replaced; a live one is an error.
func Listen(a Address, group string) (net.Listener, error) {
	if a.Network != "unix" {
		return net.Listen(a.Network, a.Addr)
	}
	gid := 0
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			if g, err = user.LookupGroupId(group); err != nil {
				return nil, fmt.Errorf("group %q: %w", group, err)
			}
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	if err := os.MkdirAll(filepath.Dir(a.Addr), 0o755); err != nil {
		return nil, err
	}
	if c, err := net.Dial("unix", a.Addr); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: another server is listening", a.Addr)
	}
	if err := os.Remove(a.Addr); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	// Made with no permissions for group and others, then opened up: no
	// moment when anyone else can connect.
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", a.Addr)
	syscall.Umask(old)
	if err != nil {
		return nil, err
	}
	if err := os.Chown(a.Addr, 0, gid); err != nil {
		l.Close()
		return nil, err
	}
	if err := os.Chmod(a.Addr, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}
