package api

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultHost is where serve listens without -H, as dockerd.
const DefaultHost = "unix:///run/geedocker.sock"

// Address is one parsed -H value.
type Address struct {
	Network string // "unix" or "tcp"
	Addr    string // socket path, or host:port
}

// ParseHost reads dockerd's -H syntax: unix:///path, unix://path, a bare
// /path, tcp://HOST:PORT (default port 2375), fd:// is not supported. TCP is
// accepted only on a loopback address: without TLS, anyone who reaches the
// socket is root on the host.
func ParseHost(h string) (Address, error) { return ParseHostTLS(h, false) }

// ParseHostTLS is ParseHost for a server that, with verified, serves TCP
// with TLS and requires client certificates signed by its CA (--tlsverify):
// then TCP is accepted on any address, and its default port is 2376.
func ParseHostTLS(h string, verified bool) (Address, error) {
	switch {
	case strings.HasPrefix(h, "/"):
		return Address{"unix", h}, nil
	case strings.HasPrefix(h, "unix://"):
		p := strings.TrimPrefix(h, "unix://")
		if p == "" {
			p = strings.TrimPrefix(DefaultHost, "unix://")
		}
		return Address{"unix", p}, nil
	case strings.HasPrefix(h, "tcp://"):
		u, err := url.Parse(h)
		if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return Address{}, fmt.Errorf("invalid -H %q: want tcp://HOST:PORT", h)
		}
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			host, port = strings.Trim(u.Host, "[]"), "2375"
			if verified {
				port = "2376"
			}
		}
		if !verified && !isLoopback(host) {
			return Address{}, fmt.Errorf("refusing to listen on %s: TCP is served only on a loopback address, unless with --tlsverify (TLS and client certificates)", h)
		}
		return Address{"tcp", net.JoinHostPort(host, port)}, nil
	}
	return Address{}, fmt.Errorf("invalid -H %q: want unix:///PATH or tcp://127.0.0.1:PORT", h)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
