package cli

import (
	"reflect"
	"strings"
	"testing"

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
	return []*container.Container{
		{ID: id("a"), Name: "web", ImageName: "busybox", Image: "sha256:" + id("1"), State: container.State{Status: container.Running, Running: true}},
		{ID: id("b"), Name: "job", ImageName: "busybox:latest", Image: "sha256:" + id("1"), State: container.State{Status: container.Exited, ExitCode: 0}},
		{ID: id("c"), Name: "failjob", ImageName: "alpine:3.19", Image: "sha256:" + id("2"), State: container.State{Status: container.Exited, ExitCode: 3}},
		{ID: id("d"), Name: "fresh", ImageName: "127.0.0.1:5000/app", Image: "sha256:" + id("3"), State: container.State{Status: container.Created}},
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
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.filters, ","), func(t *testing.T) {
			match, err := psFilter(tt.filters)
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
	}
	for _, tt := range tests {
		_, err := psFilter([]string{tt.filter})
		if err == nil || err.Error() != tt.want || ExitCode(err) != 125 {
			t.Errorf("psFilter(%q) error = %v (exit %d), want %q and 125", tt.filter, err, ExitCode(err), tt.want)
		}
	}
}
