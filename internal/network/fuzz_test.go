package network

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// FuzzParsePublish checks, for any -p value: ParsePublish does not panic;
// an error is one line that quotes the value; the mappings of a value share
// host address and protocol and number container ports (and host ports,
// when given) one after another; and the value written back in -p syntax,
// whole and mapping by mapping, parses to the same mappings.
func FuzzParsePublish(f *testing.F) {
	for _, c := range publishTests {
		f.Add(c.spec)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ms, err := ParsePublish(spec)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParsePublish(%q) error spans lines: %q", spec, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", spec)) {
				t.Errorf("ParsePublish(%q) error %q does not quote the value", spec, err)
			}
			return
		}
		if len(ms) == 0 {
			t.Fatalf("ParsePublish(%q): no mappings and no error", spec)
		}
		first, last := ms[0], ms[len(ms)-1]
		for i, m := range ms {
			if m.Proto != "tcp" && m.Proto != "udp" {
				t.Fatalf("ParsePublish(%q)[%d] = %v: protocol %q", spec, i, m, m.Proto)
			}
			if m.HostIP.IsValid() && (!m.HostIP.Is4() || m.HostIP.IsUnspecified()) {
				t.Fatalf("ParsePublish(%q)[%d] = %v: host address %v is kept", spec, i, m, m.HostIP)
			}
			want := first
			want.ContainerPort = first.ContainerPort + uint16(i)
			if first.HostPort != 0 {
				want.HostPort = first.HostPort + uint16(i)
			}
			if m != want || m.ContainerPort == 0 || int(m.ContainerPort) != int(first.ContainerPort)+i {
				t.Fatalf("ParsePublish(%q)[%d] = %v, want %v", spec, i, m, want)
			}
		}

		whole := publishSpec(first, last)
		if again, err := ParsePublish(whole); err != nil || !slices.Equal(again, ms) {
			t.Fatalf("ParsePublish(%q) = %v, but %q parses to %v, %v", spec, ms, whole, again, err)
		}
		for _, m := range []PortMapping{first, last} {
			one := publishSpec(m, m)
			if again, err := ParsePublish(one); err != nil || !slices.Equal(again, []PortMapping{m}) {
				t.Fatalf("ParsePublish(%q) has %v, but %q parses to %v, %v", spec, m, one, again, err)
			}
		}
	})
}

// publishSpec writes the mappings from first to last (of one ParsePublish
// result) as a -p value.
func publishSpec(first, last PortMapping) string {
	ports := func(a, b uint16) string {
		if a == b {
			return fmt.Sprint(a)
		}
		return fmt.Sprintf("%d-%d", a, b)
	}
	var ip, host string
	if first.HostIP.IsValid() {
		ip = first.HostIP.String()
	}
	if first.HostPort != 0 {
		host = ports(first.HostPort, last.HostPort)
	}
	return fmt.Sprintf("%s:%s:%s/%s", ip, host, ports(first.ContainerPort, last.ContainerPort), first.Proto)
}
