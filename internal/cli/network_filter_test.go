package cli

import (
	"strings"
	"testing"
)

func TestNetworkFilter(t *testing.T) {
	rows := []struct {
		row networkRow
		id  string
	}{
		{networkRow{ID: "aaaa", Name: "bridge", Driver: "bridge", Scope: "local"}, "aaaa1111"},
		{networkRow{ID: "host", Name: "host", Driver: "host", Scope: "local"}, "host"},
		{networkRow{ID: "bbbb", Name: "backend", Driver: "bridge", Scope: "local"}, "bbbb2222"},
		{networkRow{ID: "cccc", Name: "front", Driver: "bridge", Scope: "local"}, "cccc3333"},
	}
	for _, tt := range []struct {
		filters []string
		want    string
	}{
		{nil, "bridge host backend front"},
		{[]string{"name=back"}, "backend"},
		{[]string{"name=^b"}, "bridge backend"},
		{[]string{"name=front", "name=host"}, "host front"},
		{[]string{"id=bbbb2"}, "backend"},
		{[]string{"driver=host"}, "host"},
		{[]string{"type=custom"}, "backend front"},
		{[]string{"type=builtin", "driver=bridge"}, "bridge"},
		{[]string{"scope=swarm"}, ""},
	} {
		f, err := parseNetworkFilters(tt.filters)
		if err != nil {
			t.Fatalf("%v: %v", tt.filters, err)
		}
		var got []string
		for _, r := range rows {
			if f.match(r.row, r.id) {
				got = append(got, r.row.Name)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%v: %q, want %q", tt.filters, strings.Join(got, " "), tt.want)
		}
	}
	for _, bad := range []string{"foo=bar", "type=other", "name"} {
		if _, err := parseNetworkFilters([]string{bad}); err == nil {
			t.Errorf("--filter %s: no error", bad)
		}
	}
}
