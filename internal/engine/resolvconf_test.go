package engine

import (
	"testing"

	"github.com/geedocker/geedocker/internal/container"
)

func TestResolvConfFor(t *testing.T) {
	const host = "# made by the host\nnameserver 10.9.9.9\nsearch host.example\noptions edns0 trust-ad"
	cases := []struct {
		name string
		hc   container.HostConfig
		user bool
		want string
	}{
		{"the host's", container.HostConfig{}, false, host + "\n"},
		{"options replace the host's", container.HostConfig{DNSOptions: []string{"ndots:3", "use-vc"}}, false,
			"# made by the host\nnameserver 10.9.9.9\nsearch host.example\noptions ndots:3 use-vc\n"},
		{"search replaces the host's", container.HostConfig{DNSSearch: []string{"a.example", "b.example"}}, false,
			"# made by the host\nnameserver 10.9.9.9\noptions edns0 trust-ad\nsearch a.example b.example\n"},
		{"servers, search and options", container.HostConfig{DNS: []string{"10.0.0.53"}, DNSSearch: []string{"corp"}, DNSOptions: []string{"ndots:2"}}, false,
			"nameserver 10.0.0.53\nsearch corp\noptions ndots:2\n"},
		{"a user network", container.HostConfig{DNS: []string{"10.0.0.53"}}, true,
			"nameserver 127.0.0.11\noptions ndots:0\n"},
		{"a user network with options", container.HostConfig{DNSOptions: []string{"timeout:2"}}, true,
			"nameserver 127.0.0.11\noptions timeout:2 ndots:0\n"},
		{"a user network with ndots", container.HostConfig{DNSOptions: []string{"ndots:5"}}, true,
			"nameserver 127.0.0.11\noptions ndots:5\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			read := false
			got := resolvConfFor(c.hc, c.user, func() string { read = true; return host })
			if got != c.want {
				t.Errorf("resolv.conf:\n%q\nwant\n%q", got, c.want)
			}
			if read != (len(c.hc.DNS) == 0 && !c.user) {
				t.Errorf("the host's file read: %v", read)
			}
		})
	}
}
