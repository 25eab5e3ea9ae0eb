package api

import (
	"encoding/json"
	"testing"
)

// TestImageInspectContainerConfig: an image's inspect has ContainerConfig at
// every version (docker-compose 1.29.2 negotiates the newest and reads it).
func TestImageInspectContainerConfig(t *testing.T) {
	s, h := newTestServer(t)
	importImage(t, s, "app:1", "one")
	for _, c := range []struct {
		path string
		want bool
	}{
		{"/v1.41/images/app:1/json", true},
		{"/v1.44/images/app:1/json", true},
		{"/v1.45/images/app:1/json", true},
		{"/images/app:1/json", true},
	} {
		w := do(h, "GET", c.path, "")
		var doc map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 {
			t.Fatalf("GET %s: %d %s", c.path, w.Code, w.Body)
		}
		if _, got := doc["ContainerConfig"]; got != c.want {
			t.Errorf("GET %s: ContainerConfig present %v, want %v", c.path, got, c.want)
		}
		if doc["Id"] == nil || doc["Config"] == nil {
			t.Errorf("GET %s: %v", c.path, doc)
		}
	}
}
