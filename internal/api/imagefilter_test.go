package api

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/image"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
)

// importImage makes a one-file image in s's store, tagged ref unless "",
// with the Dockerfile changes given; it returns the image's ID.
func importImage(t *testing.T, s *Server, ref, content string, changes ...string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "f", Mode: 0o644, Size: int64(len(content)), Uid: os.Getuid(), Gid: os.Getgid()})
	tw.Write([]byte(content))
	tw.Close()
	o := engine.ImportOptions{Changes: changes}
	if ref != "" {
		r, err := reference.Parse(ref)
		if err != nil {
			t.Fatal(err)
		}
		o.Ref = &r
	}
	id, err := s.Engine.Import(context.Background(), &buf, o)
	if err != nil {
		t.Fatalf("import %s: %v", ref, err)
	}
	return id
}

func TestImageListFilters(t *testing.T) {
	s, h := newTestServer(t)
	old := importImage(t, s, "app:1", "one", "LABEL team=x")
	importImage(t, s, "", "dangling") // untagged
	importImage(t, s, "example.com/team/tool:2", "two", "LABEL team=y", "LABEL tier=backend")
	importImage(t, s, "app:3", "three")

	cases := []struct {
		filters string
		want    []string // RepoTags, or "<none>" for an untagged image
		code    int
	}{
		{"", []string{"<none>", "app:1", "app:3", "example.com/team/tool:2"}, 200},
		{`{"dangling":{"true":true}}`, []string{"<none>"}, 200},
		{`{"dangling":{"false":true}}`, []string{"app:1", "app:3", "example.com/team/tool:2"}, 200},
		{`{"dangling":{"maybe":true}}`, nil, 400},
		{`{"reference":{"app":true}}`, []string{"app:1", "app:3"}, 200},
		{`{"reference":{"app:3":true}}`, []string{"app:3"}, 200},
		{`{"reference":{"*/team/*":true}}`, []string{"example.com/team/tool:2"}, 200},
		{`{"reference":{"nothing*":true}}`, nil, 200},
		{`{"label":{"team":true}}`, []string{"app:1", "example.com/team/tool:2"}, 200},
		{`{"label":{"team=y":true,"tier=backend":true}}`, []string{"example.com/team/tool:2"}, 200},
		{`{"since":{"app:1":true}}`, []string{"<none>", "app:3", "example.com/team/tool:2"}, 200},
		{`{"before":{"example.com/team/tool:2":true}}`, []string{"<none>", "app:1"}, 200},
		{`{"before":{"app:3":true},"since":{"` + old + `":true}}`, []string{"<none>", "example.com/team/tool:2"}, 200},
		{`{"since":{"nope":true}}`, nil, 404},
		{`{"color":{"red":true}}`, nil, 400},
		{`{"reference":["app"]}`, []string{"app:1", "app:3"}, 200},
	}
	for _, c := range cases {
		path := "/v1.41/images/json"
		if c.filters != "" {
			path += "?filters=" + url.QueryEscape(c.filters)
		}
		w := do(h, "GET", path, "")
		if w.Code != c.code {
			t.Errorf("filters %s: %d %s, want %d", c.filters, w.Code, w.Body, c.code)
			continue
		}
		if c.code != http.StatusOK {
			continue
		}
		var got []image.Summary
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		var tags []string
		for _, im := range got {
			if len(im.RepoTags) == 0 {
				tags = append(tags, "<none>")
			}
			tags = append(tags, im.RepoTags...)
		}
		slices.Sort(tags)
		if !slices.Equal(tags, c.want) {
			t.Errorf("filters %s: %v, want %v", c.filters, tags, c.want)
		}
	}
	// Labels of the list come from the images' configs.
	w := do(h, "GET", "/images/json?filters="+url.QueryEscape(`{"reference":{"app:1":true}}`), "")
	var got []image.Summary
	json.Unmarshal(w.Body.Bytes(), &got)
	if len(got) != 1 || got[0].Labels["team"] != "x" {
		t.Errorf("labels of app:1: %+v", got)
	}
}
