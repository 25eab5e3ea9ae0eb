package api

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"
)

func TestRegistryAuth(t *testing.T) {
	enc := func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name, header string
		want         bool // a credential
		err          bool
	}{
		{"none", "", false, false},
		{"empty object", enc("{}"), false, false},
		{"user and password", enc(`{"username":"alice","password":"w"}`), true, false},
		{"unpadded", base64.RawURLEncoding.EncodeToString([]byte(`{"username":"alice","password":"w"}`)), true, false},
		{"identity token", enc(`{"identitytoken":"t"}`), true, false},
		{"not base64", "%%%", false, true},
		{"not JSON", enc("nope"), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := registryAuth(tc.header)
			if (err != nil) != tc.err || (a != nil) != tc.want {
				t.Errorf("registryAuth(%q) = %v, %v; want credential %v, error %v", tc.header, a, err, tc.want, tc.err)
			}
		})
	}
}

func TestBuildOptions(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		err         bool
		check       func(t *testing.T, q bool, tags []string, args, labels map[string]string, network string)
	}{
		{name: "tags, args, labels, quiet", query: `t=a:1&t=b&buildargs={"X":"1","UNSET":null}&labels={"k":"v"}&q=1&networkmode=none`,
			check: func(t *testing.T, q bool, tags []string, args, labels map[string]string, network string) {
				if !q || len(tags) != 2 || tags[0] != "a:1" || tags[1] != "b:latest" || len(args) != 1 || args["X"] != "1" || labels["k"] != "v" || network != "none" {
					t.Errorf("got q=%v tags=%v args=%v labels=%v network=%q", q, tags, args, labels, network)
				}
			}},
		{name: "bad tag", query: "t=UPPER", err: true},
		{name: "bad buildargs", query: "buildargs=[", err: true},
		{name: "bad labels", query: "labels=1", err: true},
		{name: "remote context", query: "remote=https://example.com/x.git", err: true},
		{name: "bad network", query: "networkmode=container:x", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, q, err := buildOptions(httptest.NewRequest("POST", "/build?"+tc.query, nil))
			if (err != nil) != tc.err {
				t.Fatalf("error %v, want error %v", err, tc.err)
			}
			if tc.check != nil {
				var tags []string
				for _, r := range o.Tags {
					tags = append(tags, r.Familiar())
				}
				tc.check(t, q, tags, o.BuildArgs, o.Labels, o.Network)
			}
		})
	}
}
