package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	mevents "github.com/moby/moby/api/types/events"
)

func TestEventsEndpoint(t *testing.T) {
	s, h := newTestServer(t)
	start := time.Now()
	s.Engine.Emit("container", "start", "abc", map[string]string{"name": "web", "image": "busybox"})
	s.Engine.Emit("image", "tag", "sha256:1", map[string]string{"name": "busybox:v2"})
	end := time.Now()
	q := func(since, until time.Time, filters string) string {
		v := url.Values{}
		v.Set("since", fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond()))
		v.Set("until", fmt.Sprintf("%d.%09d", until.Unix(), until.Nanosecond()))
		if filters != "" {
			v.Set("filters", filters)
		}
		return "/v1.51/events?" + v.Encode()
	}
	for _, tc := range []struct {
		filters string
		want    []string
	}{
		{"", []string{"container start abc", "image tag sha256:1"}},
		{`{"type":{"container":true}}`, []string{"container start abc"}},
		{`{"container":["web"]}`, []string{"container start abc"}},
		{`{"image":{"busybox":true}}`, []string{"container start abc", "image tag sha256:1"}},
		{`{"event":{"die":true}}`, nil},
	} {
		w := do(h, "GET", q(start, end, tc.filters), "")
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s", tc.filters, w.Code, w.Body)
		}
		var got []string
		dec := json.NewDecoder(w.Body)
		for dec.More() {
			var m mevents.Message
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			if m.Scope != "local" || m.TimeNano == 0 {
				t.Errorf("event %+v", m)
			}
			got = append(got, fmt.Sprintf("%s %s %s", m.Type, m.Action, m.Actor.ID))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("filters %s: %q, want %q", tc.filters, got, tc.want)
		}
	}
	// Clients of API 1.51 and earlier read status, id and from.
	w := do(h, "GET", q(start, end, `{"type":["container"]}`), "")
	var legacy map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &legacy); err != nil || legacy["status"] != "start" || legacy["id"] != "abc" || legacy["from"] != "busybox" {
		t.Errorf("legacy fields: %s (%v)", w.Body, err)
	}
	for _, tc := range []struct{ path, want string }{
		{q(end, start, ""), "cannot be after `until` time"},
		{q(start, end, `{"bogus":["x"]}`), "invalid filter 'bogus'"},
		{"/events?since=yesterday", "failed to parse value as time or duration"},
	} {
		if w := do(h, "GET", tc.path, ""); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 400 and %q", tc.path, w.Code, w.Body, tc.want)
		}
	}
}

func TestDiskUsageEmpty(t *testing.T) {
	_, h := newTestServer(t)
	w := do(h, "GET", "/system/df", "")
	var du map[string]any
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &du) != nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	for _, k := range []string{"LayersSize", "Images", "Containers", "Volumes", "BuildCache", "ImageUsage", "ContainerUsage", "VolumeUsage", "BuildCacheUsage"} {
		if _, ok := du[k]; !ok {
			t.Errorf("GET /system/df lacks %s: %s", k, w.Body)
		}
	}
	if w := do(h, "POST", "/build/prune?keep-storage=1000", ""); w.Code != http.StatusBadRequest {
		t.Errorf("build prune with keep-storage: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", "/build/prune?all=1", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"CachesDeleted":[]`) {
		t.Errorf("build prune: %d %s", w.Code, w.Body)
	}
}
