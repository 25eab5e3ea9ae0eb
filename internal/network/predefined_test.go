package network

import (
	"regexp"
	"testing"
)

func TestPredefined(t *testing.T) {
	all := PredefinedNetworks()
	if len(all) != 2 || all[0].Name != "host" || all[0].Driver != "host" || all[1].Name != "none" || all[1].Driver != "null" {
		t.Fatalf("PredefinedNetworks() = %+v", all)
	}
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, p := range all {
		if !hex64.MatchString(p.ID) {
			t.Errorf("%s: ID %q is not 64 hex digits, as Docker's", p.Name, p.ID)
		}
	}
	if all[0].ID == all[1].ID {
		t.Error("host and none share an ID")
	}
	host := all[0]
	cases := []struct {
		ref  string
		want string // "" when not found
	}{
		{"host", "host"},
		{"none", "none"},
		{host.ID, "host"},
		{host.ID[:12], "host"},
		{host.ID[:3], "host"},
		{host.ID[:2], ""},
		{"bridge", ""},
		{"hos", ""},
		{"", ""},
	}
	for _, c := range cases {
		p, ok := LookupPredefined(c.ref)
		if ok != (c.want != "") || p.Name != c.want {
			t.Errorf("LookupPredefined(%q) = %+v, %v; want %q", c.ref, p, ok, c.want)
		}
	}
	for name, want := range map[string]bool{"bridge": true, "host": true, "none": true, "appnet": false, host.ID: false} {
		if IsPredefined(name) != want {
			t.Errorf("IsPredefined(%q) = %v", name, !want)
		}
	}
}
