package cli

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/container"
)

// imageRows is a listing: the last row is a dangling image.
var imageRows = []imageRow{
	{Repository: "busybox", Tag: "latest", ID: "aaaaaaaaaaaa"},
	{Repository: "busybox", Tag: "1.36", ID: "aaaaaaaaaaaa"},
	{Repository: "127.0.0.1:5000/busybox", Tag: "v1", ID: "bbbbbbbbbbbb"},
	{Repository: "team/app", Tag: "1.0", ID: "cccccccccccc"},
	{Repository: "<none>", Tag: "<none>", ID: "dddddddddddd"},
}

func matchImages(t *testing.T, filters, args []string) ([]string, error) {
	t.Helper()
	match, err := imageFilter(filters, args)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, r := range imageRows {
		if match(r, r.Repository == "<none>") {
			out = append(out, r.Repository+":"+r.Tag)
		}
	}
	return out, nil
}

func TestImageFilter(t *testing.T) {
	all := []string{"busybox:latest", "busybox:1.36", "127.0.0.1:5000/busybox:v1", "team/app:1.0", "<none>:<none>"}
	tests := []struct {
		name    string
		filters []string
		args    []string
		want    []string
	}{
		{"no filter", nil, nil, all},
		{"dangling=true", []string{"dangling=true"}, nil, []string{"<none>:<none>"}},
		{"dangling=1", []string{"dangling=1"}, nil, []string{"<none>:<none>"}},
		{"dangling=false", []string{"dangling=false"}, nil, all[:4]},
		{"dangling=0", []string{"dangling=0"}, nil, all[:4]},
		{"reference by name", []string{"reference=busybox"}, nil, []string{"busybox:latest", "busybox:1.36"}},
		{"reference by name and tag", []string{"reference=busybox:1.36"}, nil, []string{"busybox:1.36"}},
		{"reference name pattern", []string{"reference=busy*"}, nil, []string{"busybox:latest", "busybox:1.36"}},
		{"reference tag pattern", []string{"reference=busybox:1.*"}, nil, []string{"busybox:1.36"}},
		{"reference any name, one tag", []string{"reference=*:latest"}, nil, []string{"busybox:latest"}},
		{"reference with a path", []string{"reference=team/*"}, nil, []string{"team/app:1.0"}},
		{"reference with a registry port", []string{"reference=127.0.0.1:5000/busybox"}, nil, []string{"127.0.0.1:5000/busybox:v1"}},
		{"reference matching nothing", []string{"reference=alpine"}, nil, []string{}},
		{"argument", nil, []string{"busybox"}, []string{"busybox:latest", "busybox:1.36"}},
		{"argument with tag", nil, []string{"busybox:latest"}, []string{"busybox:latest"}},
		{"filters combine", []string{"reference=busybox", "dangling=false"}, []string{"busybox:1.36"}, []string{"busybox:1.36"}},
		{"contradicting filters", []string{"reference=busybox", "dangling=true"}, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := matchImages(t, tt.filters, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestImageFilterErrors(t *testing.T) {
	tests := []struct{ filter, want string }{
		{"dangling=maybe", "invalid filter 'dangling=maybe'"},
		{"label=a=b", "invalid filter 'label'"},
		{"bogus=1", "invalid filter 'bogus'"},
		{"dangling", "bad format of filter (expected name=value): dangling"},
	}
	for _, tt := range tests {
		_, err := imageFilter([]string{tt.filter}, nil)
		if err == nil || err.Error() != tt.want || ExitCode(err) != 125 {
			t.Errorf("imageFilter(%q) error = %v (exit %d), want %q and 125", tt.filter, err, ExitCode(err), tt.want)
		}
	}
}

func TestImageFilterRegistryWithTag(t *testing.T) {
	got, err := matchImages(t, []string{"reference=127.0.0.1:5000/busybox:v1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"127.0.0.1:5000/busybox:v1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reference=127.0.0.1:5000/busybox:v1 matched %v, want %v", got, want)
	}
	got, _ = matchImages(t, nil, []string{"127.0.0.1:5000/busybox:v1"})
	if want := []string{"127.0.0.1:5000/busybox:v1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("argument 127.0.0.1:5000/busybox:v1 matched %v, want %v", got, want)
	}
}

func psFixtures() []*container.Container {
	id := func(c string) string { return strings.Repeat(c, 64) }
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Newest first, as the engine lists them.
	return []*container.Container{
		{ID: id("a"), Name: "web", ImageName: "busybox", Image: "sha256:" + id("1"), Created: t0.Add(4 * time.Minute),
			State:      container.State{Status: container.Running, Running: true},
			Config:     container.Config{Labels: map[string]string{"tier": "front", "app": "shop"}, ExposedPorts: map[string]struct{}{"80/tcp": {}, "443/tcp": {}}},
			HostConfig: container.HostConfig{NetworkMode: "shop", PortBindings: []string{"8080:80"}, Binds: []string{"/srv/www:/usr/share/www:ro"}}},
		{ID: id("b"), Name: "job", ImageName: "busybox:latest", Image: "sha256:" + id("1"), Created: t0.Add(3 * time.Minute),
			State:      container.State{Status: container.Exited, ExitCode: 0},
			Config:     container.Config{Labels: map[string]string{"tier": "back"}, ExposedPorts: map[string]struct{}{"5432/tcp": {}}},
			HostConfig: container.HostConfig{NetworkMode: "default", ExtraNetworks: []string{"shop"}, PortBindings: []string{"53:53/udp"}}},
		{ID: id("c"), Name: "failjob", ImageName: "alpine:3.19", Image: "sha256:" + id("2"), Created: t0.Add(2 * time.Minute),
			State: container.State{Status: container.Exited, ExitCode: 3}, HostConfig: container.HostConfig{NetworkMode: "none"}},
		{ID: id("d"), Name: "fresh", ImageName: "127.0.0.1:5000/app", Image: "sha256:" + id("3"), Created: t0.Add(time.Minute),
			State: container.State{Status: container.Created}, HostConfig: container.HostConfig{NetworkMode: "container:web"}},
	}
}

func TestPsFilter(t *testing.T) {
	tests := []struct {
		filters []string
		want    []string
	}{
		{nil, []string{"web", "job", "failjob", "fresh"}},
		{[]string{"status=running"}, []string{"web"}},
		{[]string{"status=exited"}, []string{"job", "failjob"}},
		{[]string{"status=created"}, []string{"fresh"}},
		{[]string{"status=paused"}, []string{}},
		{[]string{"name=web"}, []string{"web"}},
		{[]string{"name=/web"}, []string{"web"}},
		{[]string{"name=job"}, []string{"job", "failjob"}},
		{[]string{"id=ccc"}, []string{"failjob"}},
		{[]string{"id=" + strings.Repeat("d", 64)}, []string{"fresh"}},
		{[]string{"ancestor=busybox"}, []string{"web", "job"}},
		{[]string{"ancestor=busybox:latest"}, []string{"web", "job"}},
		{[]string{"ancestor=docker.io/library/busybox"}, []string{"web", "job"}},
		{[]string{"ancestor=" + strings.Repeat("2", 12)}, []string{"failjob"}},
		{[]string{"ancestor=sha256:" + strings.Repeat("3", 12)}, []string{"fresh"}},
		{[]string{"ancestor=127.0.0.1:5000/app:latest"}, []string{"fresh"}},
		{[]string{"exited=3"}, []string{"failjob"}},
		{[]string{"exited=0"}, []string{"job"}},
		{[]string{"status=exited", "name=fail"}, []string{"failjob"}},
		{[]string{"status=running", "status=created"}, []string{"web", "fresh"}},
		{[]string{"name=web", "name=fresh"}, []string{"web", "fresh"}},
		{[]string{"label=tier"}, []string{"web", "job"}},
		{[]string{"label=tier=back"}, []string{"job"}},
		{[]string{"label=tier", "label=app=shop"}, []string{"web"}},
		{[]string{"label=tier=middle"}, []string{}},
		{[]string{"network=shop"}, []string{"web", "job"}},
		{[]string{"network=bridge"}, []string{"job"}},
		{[]string{"network=5e"}, []string{"web", "job"}},
		{[]string{"network=none"}, []string{"failjob"}},
		{[]string{"network=nosuch"}, []string{}},
		{[]string{"publish=80"}, []string{"web"}},
		{[]string{"publish=80/tcp"}, []string{"web"}},
		{[]string{"publish=8080"}, []string{}},
		{[]string{"publish=50-60/udp"}, []string{"job"}},
		{[]string{"publish=53"}, []string{}},
		{[]string{"expose=5432"}, []string{"job"}},
		{[]string{"expose=443/tcp"}, []string{"web"}},
		{[]string{"expose=1-65535/tcp"}, []string{"web", "job"}},
		{[]string{"volume=/srv/www"}, []string{"web"}},
		{[]string{"volume=/usr/share/www"}, []string{"web"}},
		{[]string{"volume=/srv"}, []string{}},
		{[]string{"before=job"}, []string{"failjob", "fresh"}},
		{[]string{"since=failjob"}, []string{"web", "job"}},
		{[]string{"since=" + strings.Repeat("d", 12), "before=web"}, []string{"job", "failjob"}},
		{[]string{"health=none"}, []string{"web", "job", "failjob", "fresh"}},
		{[]string{"health=healthy"}, []string{}},
		{[]string{"is-task=false"}, []string{"web", "job", "failjob", "fresh"}},
		{[]string{"is-task=true"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.filters, ","), func(t *testing.T) {
			f, err := parsePsFilters(tt.filters)
			if err != nil {
				t.Fatal(err)
			}
			match, err := f.matcher(psFixtures(), map[string]string{"bridge": strings.Repeat("b", 64), "shop": "5e" + strings.Repeat("0", 62)})
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, c := range psFixtures() {
				if match(c) {
					got = append(got, c.Name)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%v matched %v, want %v", tt.filters, got, tt.want)
			}
		})
	}
}

func TestPsFilterErrors(t *testing.T) {
	tests := []struct{ filter, want string }{
		{"status=sleeping", "invalid filter 'status=sleeping'"},
		{"exited=x", "invalid filter 'exited=x'"},
		{"color=red", "invalid filter 'color'"},
		{"status", "bad format of filter (expected name=value): status"},
		{"health=sick", "Unrecognised filter value for health: sick"},
		{"is-task=maybe", "invalid filter 'is-task=maybe'"},
		{"publish=http", "invalid filter 'publish=http'"},
		{"expose=90-80", "invalid filter 'expose=90-80'"},
	}
	for _, tt := range tests {
		_, err := parsePsFilters([]string{tt.filter})
		if err == nil || err.Error() != tt.want || ExitCode(err) != 125 {
			t.Errorf("parsePsFilters(%q) error = %v (exit %d), want %q and 125", tt.filter, err, ExitCode(err), tt.want)
		}
	}
	f, _ := parsePsFilters([]string{"before=nosuch"})
	if _, err := f.matcher(psFixtures(), nil); err == nil || err.Error() != "No such container: nosuch" {
		t.Errorf("before=nosuch: %v", err)
	}
}

func TestDisplayablePorts(t *testing.T) {
	tests := []struct {
		ports []apiPort
		want  string
	}{
		{nil, ""},
		{[]apiPort{{Private: 5432, Type: "tcp"}}, "5432/tcp"},
		{[]apiPort{{IP: "0.0.0.0", Private: 80, Public: 8080, Type: "tcp"}, {Private: 443, Type: "tcp"}}, "443/tcp, 0.0.0.0:8080->80/tcp"},
		{[]apiPort{{Private: 8002, Type: "tcp"}, {Private: 8000, Type: "tcp"}, {Private: 8001, Type: "tcp"}, {Private: 9000, Type: "udp"}}, "8000-8002/tcp, 9000/udp"},
		{[]apiPort{{Private: 80, Type: "tcp"}, {Private: 82, Type: "tcp"}}, "80/tcp, 82/tcp"},
		{[]apiPort{{IP: "0.0.0.0", Private: 80, Public: 80, Type: "tcp"}, {IP: "0.0.0.0", Private: 81, Public: 81, Type: "tcp"}}, "0.0.0.0:80-81->80-81/tcp"},
	}
	for _, tt := range tests {
		if got := displayablePorts(tt.ports); got != tt.want {
			t.Errorf("displayablePorts(%v) = %q, want %q", tt.ports, got, tt.want)
		}
	}
}
