package api

import (
	"encoding/json"
	"slices"
	"testing"

	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/geedocker/geedocker/internal/container"
	gdnet "github.com/geedocker/geedocker/internal/network"
)

// What docker-compose 1.29.2 reads back of what it made.

func TestRunOptionsLabels(t *testing.T) {
	req := &ctypes.CreateRequest{Config: &ctypes.Config{Image: "busybox", Labels: map[string]string{"com.docker.compose.service": "db"}}}
	o, err := runOptions("x", req)
	if err != nil {
		t.Fatal(err)
	}
	if o.Labels["com.docker.compose.service"] != "db" {
		t.Errorf("Labels = %v", o.Labels)
	}
}

func TestEndpointsBeforeStart(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	running := map[string]container.Endpoint{"app_net": {IPAddress: "10.1.0.2", IPPrefixLen: 24, Aliases: []string{id[:12], "db"}}}
	cases := []struct {
		name     string
		mode     string
		extra    []string
		aliases  []string
		networks map[string]container.Endpoint
		want     map[string][]string // network -> aliases
	}{
		{"created on a user network", "app_net", nil, []string{"db"}, nil, map[string][]string{"app_net": {id[:12], "db"}}},
		{"created, connected to another", "app_net", []string{"other"}, nil, nil, map[string][]string{"app_net": {id[:12]}, "other": {id[:12]}}},
		{"connected with aliases", "app_net", []string{"other"}, nil, nil, map[string][]string{"app_net": {id[:12]}, "other": {id[:12], "web"}}},
		{"created on the default bridge", "bridge", nil, nil, nil, map[string][]string{"bridge": {id[:12]}}},
		{"no network", "none", nil, nil, nil, map[string][]string{}},
		{"host", "host", nil, nil, nil, map[string][]string{}},
		{"another container's", "container:x", nil, nil, nil, map[string][]string{}},
		{"running: as started", "app_net", nil, []string{"db"}, running, map[string][]string{"app_net": {id[:12], "db"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctr := &container.Container{ID: id, HostConfig: container.HostConfig{NetworkMode: c.mode, ExtraNetworks: c.extra, Aliases: c.aliases},
				NetworkSettings: container.NetworkSettings{Networks: c.networks}}
			if c.name == "connected with aliases" {
				ctr.HostConfig.ExtraAliases = map[string][]string{"other": {"web"}}
			}
			got := endpoints(ctr)
			if len(got) != len(c.want) {
				t.Fatalf("endpoints: %d networks, want %v", len(got), c.want)
			}
			for name, aliases := range c.want {
				if ep, ok := got[name]; !ok || !slices.Equal(ep.Aliases, aliases) {
					t.Errorf("endpoint %s = %+v, want aliases %v", name, ep, aliases)
				}
			}
		})
	}
	if ip := endpoints(&container.Container{ID: id, HostConfig: container.HostConfig{NetworkMode: "app_net"},
		NetworkSettings: container.NetworkSettings{Networks: running}})["app_net"].IPAddress.String(); ip != "10.1.0.2" {
		t.Errorf("running container's address: %s", ip)
	}
}

func TestNetworkOptionsAndLabels(t *testing.T) {
	user := networkOf(gdnet.Network{Name: "proj_default", Bridge: "gd-0123", Labels: map[string]string{"com.docker.compose.project": "proj"}})
	if len(user.Options) != 0 || user.Labels["com.docker.compose.project"] != "proj" {
		t.Errorf("user network: options %v labels %v; want no options (as made), its labels", user.Options, user.Labels)
	}
	def := networkOf(gdnet.Network{Name: gdnet.DefaultName, Bridge: gdnet.DefaultBridge})
	if def.Options["com.docker.network.bridge.name"] != gdnet.DefaultBridge || def.Labels == nil {
		t.Errorf("default network: options %v labels %v", def.Options, def.Labels)
	}
}

func TestNetworkListLabelFilter(t *testing.T) {
	s, h := newTestServer(t)
	if _, err := s.Engine.CreateLabeledNetwork("a", "10.213.20.0/24", "", false, map[string]string{"team": "x", "env": "prod"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Engine.CreateNetwork("b", "10.213.21.0/24", "", false); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		filter string
		want   []string
	}{
		{`{"label":{"team":true}}`, []string{"a"}},
		{`{"label":{"team=x":true,"env=prod":true}}`, []string{"a"}},
		{`{"label":{"team=y":true}}`, nil},
		{`{"label":{"nope":true}}`, nil},
	}
	for _, c := range cases {
		if names := networkNames(t, h, "/v1.41/networks?filters="+c.filter); !slices.Equal(names, c.want) {
			t.Errorf("filters %s: %v, want %v", c.filter, names, c.want)
		}
	}
	w := do(h, "GET", "/networks/a", "")
	var n network.Inspect
	json.Unmarshal(w.Body.Bytes(), &n)
	if n.Labels["env"] != "prod" {
		t.Errorf("inspect labels: %v", n.Labels)
	}
}
