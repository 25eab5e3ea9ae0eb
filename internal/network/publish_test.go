package network

import (
	"fmt"
	"strings"
	"testing"
)

// publishTests also seed FuzzParsePublish.
var publishTests = []struct {
	spec, want string // mappings by String, or "error: <text>"
}{
	{"80", "0.0.0.0:0->80/tcp"},
	{"8080:80", "0.0.0.0:8080->80/tcp"},
	{"8080:80/udp", "0.0.0.0:8080->80/udp"},
	{"53/UDP", "0.0.0.0:0->53/udp"},
	{"127.0.0.1:8080:80", "127.0.0.1:8080->80/tcp"},
	{"127.0.0.1::80", "127.0.0.1:0->80/tcp"},
	{"0.0.0.0:8080:80", "0.0.0.0:8080->80/tcp"},
	{":8080:80", "0.0.0.0:8080->80/tcp"},
	{"0:80", "0.0.0.0:0->80/tcp"},
	{"8000-8002:80-82/tcp", "0.0.0.0:8000->80/tcp 0.0.0.0:8001->81/tcp 0.0.0.0:8002->82/tcp"},
	{"80-81", "0.0.0.0:0->80/tcp 0.0.0.0:0->81/tcp"},
	{"65535:65535", "0.0.0.0:65535->65535/tcp"},
	{"", "error: empty port"},
	{"0", "error: container port 0"},
	{"8080:0", "error: container port 0"},
	{"70000:80", "error: not a port number"},
	{"80:http", "error: not a port number"},
	{"80/sctp", "error: sctp"},
	{"80/", "error: protocol"},
	{"8000-8001:80", "error: differ in length"},
	{"81-80", "error: ends before it starts"},
	{"[::1]:8080:80", "error: IPv6"},
	{"::1:8080:80", "error: IPv6"},
	{"localhost:8080:80", "error: not an IP address"},
	{"1.2.3:8080:80", "error: not an IP address"},
	{"0-1:80-81", "error: cannot start at 0"},
}

func TestParsePublish(t *testing.T) {
	for _, c := range publishTests {
		got, err := ParsePublish(c.spec)
		var s string
		if err != nil {
			s = "error: " + err.Error()
			if !strings.HasPrefix(c.want, "error: ") || !strings.Contains(s, strings.TrimPrefix(c.want, "error: ")) || !strings.Contains(s, fmt.Sprintf("%q", c.spec)) {
				t.Errorf("ParsePublish(%q) = %s, want %s and the spec quoted", c.spec, s, c.want)
			}
			continue
		}
		var parts []string
		for _, m := range got {
			parts = append(parts, m.String())
		}
		if s = strings.Join(parts, " "); s != c.want {
			t.Errorf("ParsePublish(%q) = %s, want %s", c.spec, s, c.want)
		}
	}
}
