package cli

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseExpose(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want []string
		err  string
	}{
		{in: []string{"80"}, want: []string{"80/tcp"}},
		{in: []string{"53/udp", "53/UDP"}, want: []string{"53/udp"}},
		{in: []string{"7000-7002/udp", "80/tcp"}, want: []string{"7000/udp", "7001/udp", "7002/udp", "80/tcp"}},
		{in: []string{"80:90"}, err: "invalid port format for --expose: 80:90"},
		{in: []string{"abc"}, err: `invalid range format for --expose: abc, error: strconv.ParseUint: parsing "abc": invalid syntax`},
		{in: []string{"70000"}, err: `invalid range format for --expose: 70000, error: strconv.ParseUint: parsing "70000": value out of range`},
		{in: []string{"90-80"}, err: "invalid range format for --expose: 90-80, error: invalid range specified for port: 90-80"},
		{in: []string{"/tcp"}, err: "invalid range format for --expose: /tcp, error: empty string specified for ports"},
		{in: []string{"80/sctp"}, err: "invalid proto for --expose: 80/sctp"},
	} {
		got, err := parseExpose(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestCheckLinkAndMAC(t *testing.T) {
	for _, v := range []string{"db", "db:alias", "/db:alias"} {
		if _, err := checkLink(v); err != nil {
			t.Errorf("checkLink(%q): %v", v, err)
		}
	}
	for _, v := range []string{"a:b:c", "", ":x", "db:"} {
		if _, err := checkLink(v); err == nil || !strings.Contains(err.Error(), "bad format for links: "+v) {
			t.Errorf("checkLink(%q) = %v", v, err)
		}
	}
	for v, ok := range map[string]bool{
		"92:d0:c6:0a:29:33": true, "92-D0-C6-0A-29-33": true, "zz": false, "92:d0:c6:0a:29": false,
		"92:d0:c6:0a:29:3": false, "92:d0:c6:0a:29:33:44:55": false, "92:d0:c6:0a:29:zz": false,
	} {
		if _, err := macAddress(v); (err == nil) != ok {
			t.Errorf("macAddress(%q) = %v", v, err)
		}
	}
}
