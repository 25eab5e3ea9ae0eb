package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"

	gdnet "github.com/geedocker/geedocker/internal/network"
)

// GET /networks shows Docker's predefined host and none besides the bridge
// and the user networks, with dockerd's filters; they can be inspected but
// neither made nor removed, and nothing of theirs goes on disk.
func TestNetworkListPredefined(t *testing.T) {
	s, h := newTestServer(t)
	if _, err := s.Engine.CreateNetwork("appnet", "10.213.22.0/24", "", false); err != nil {
		t.Fatal(err)
	}
	host, _ := gdnet.LookupPredefined("host")
	cases := []struct {
		filter string
		want   []string
	}{
		{``, []string{"appnet", "bridge", "host", "none"}},
		{`{"type":{"builtin":true}}`, []string{"bridge", "host", "none"}},
		{`{"type":{"custom":true}}`, []string{"appnet"}},
		{`{"driver":{"null":true}}`, []string{"none"}},
		{`{"driver":{"host":true,"bridge":true}}`, []string{"appnet", "bridge", "host"}},
		{`{"name":{"^h":true}}`, []string{"host"}},
		{`{"name":{"o":true}}`, []string{"host", "none"}},
		{`{"id":{"` + host.ID[:12] + `":true}}`, []string{"host"}},
		{`{"scope":{"local":true}}`, []string{"appnet", "bridge", "host", "none"}},
		{`{"scope":{"swarm":true}}`, nil},
		{`{"dangling":{"true":true}}`, []string{"appnet"}},
		{`{"dangling":{"false":true}}`, []string{"bridge", "host", "none"}},
	}
	for _, c := range cases {
		if names := networkNames(t, h, "/networks?filters="+url.QueryEscape(c.filter)); !slices.Equal(names, c.want) {
			t.Errorf("filters %s: %v, want %v", c.filter, names, c.want)
		}
	}
	for filter, msg := range map[string]string{
		`{"type":{"other":true}}`:                 `invalid filter: 'type'='other'`,
		`{"dangling":{"maybe":true}}`:             `invalid value for filter 'dangling'`,
		`{"dangling":{"true":true,"false":true}}`: `got more than one value for filter key`,
		`{"nope":{"x":true}}`:                     `invalid filter 'nope'`,
	} {
		if w := do(h, "GET", "/networks?filters="+url.QueryEscape(filter), ""); w.Code != 400 || !strings.Contains(w.Body.String(), msg) {
			t.Errorf("filters %s: %d %s, want 400 %q", filter, w.Code, w.Body, msg)
		}
	}

	for _, ref := range []string{"host", host.ID, host.ID[:12]} {
		w := do(h, "GET", "/networks/"+ref, "")
		var n network.Inspect
		json.Unmarshal(w.Body.Bytes(), &n)
		if w.Code != 200 || n.Name != "host" || n.ID != host.ID || n.Driver != "host" || n.Scope != "local" ||
			n.IPAM.Driver != "default" || len(n.IPAM.Config) != 0 || n.Options == nil || n.Labels == nil || n.Containers == nil {
			t.Errorf("inspect %s: %d %s", ref, w.Code, w.Body)
		}
	}
	for _, c := range []struct{ method, path, body, msg string }{
		{"DELETE", "/networks/host", "", "host is a pre-defined network and cannot be removed"},
		{"DELETE", "/networks/none", "", "none is a pre-defined network and cannot be removed"},
		{"DELETE", "/networks/bridge", "", "bridge is a pre-defined network and cannot be removed"},
		{"POST", "/networks/create", `{"Name":"none"}`, "operation is not permitted on predefined none network"},
		{"POST", "/networks/create", `{"Name":"bridge"}`, "operation is not permitted on predefined bridge network"},
	} {
		if w := do(h, c.method, c.path, c.body); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), c.msg) {
			t.Errorf("%s %s: %d %s, want 403 %q", c.method, c.path, w.Code, w.Body, c.msg)
		}
	}
	des, err := os.ReadDir(filepath.Join(s.Engine.Store.Root(), "networks"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range des {
		if d.Name() == "host.json" || d.Name() == "none.json" {
			t.Errorf("%s is on disk", d.Name())
		}
	}
}

// networkNames lists the networks GET path answers with, by name.
func networkNames(t *testing.T, h http.Handler, path string) []string {
	t.Helper()
	w := do(h, "GET", path, "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
	}
	var got []network.Summary
	json.Unmarshal(w.Body.Bytes(), &got)
	var names []string
	for _, n := range got {
		names = append(names, n.Name)
	}
	return names
}
