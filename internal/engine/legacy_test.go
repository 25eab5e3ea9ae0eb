package engine

import (
	"reflect"
	"strings"
	"testing"
)

func TestMergeExposedPorts(t *testing.T) {
	got, err := mergeExposedPorts(map[string]struct{}{"5432/tcp": {}}, []string{"53/udp"}, []string{"8080:80", "127.0.0.1::9000/udp"})
	want := map[string]struct{}{"5432/tcp": {}, "53/udp": {}, "80/tcp": {}, "9000/udp": {}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("= %v, %v; want %v", got, err, want)
	}
	if got, err := mergeExposedPorts(nil, nil, nil); got != nil || err != nil {
		t.Errorf("nothing exposed = %v, %v", got, err)
	}
	if _, err := mergeExposedPorts(nil, []string{"80/sctp"}, nil); err == nil {
		t.Error("80/sctp accepted")
	}
}

func TestCheckMacAddress(t *testing.T) {
	for _, tt := range []struct{ mac, mode, want, err string }{
		{mac: "", mode: "bridge"},
		{mac: "92:D0:C6:0A:29:33", mode: "bridge", want: "92:d0:c6:0a:29:33"},
		{mac: "92:d0:c6:0a:29:33", mode: "mynet", want: "92:d0:c6:0a:29:33"},
		{mac: "zz", mode: "bridge", err: "zz is not a valid mac address"},
		{mac: "01:00:5e:00:00:01", mode: "bridge", err: "multicast"},
		{mac: "92:d0:c6:0a:29:33", mode: "none", err: "conflicting options: mac-address and the network mode"},
		{mac: "92:d0:c6:0a:29:33", mode: "host", err: "conflicting options: mac-address and the network mode"},
	} {
		got, err := checkMacAddress(tt.mac, tt.mode)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s on %s: error %v, want %q", tt.mac, tt.mode, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s on %s = %q, %v; want %q", tt.mac, tt.mode, got, err, tt.want)
		}
	}
}
