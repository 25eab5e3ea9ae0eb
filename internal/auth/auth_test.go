package auth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestSaveLogoutKeepsOtherFields(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(`{"auths":{"other.io":{"auth":"eDp5"}},"psFormat":"table {{.ID}}"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Save("127.0.0.1:5000", "alice", "s3cret"); err != nil {
		t.Fatal(err)
	}
	// The keychain Docker users (and the pull path) rely on reads it back.
	reg, _ := name.NewRegistry("127.0.0.1:5000")
	a, err := authn.DefaultKeychain.Resolve(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Username != "alice" || cfg.Password != "s3cret" {
		t.Fatalf("keychain read %q/%q", cfg.Username, cfg.Password)
	}
	removed, err := Logout("127.0.0.1:5000")
	if err != nil || !removed {
		t.Fatalf("Logout = %v, %v", removed, err)
	}
	if removed, _ := Logout("127.0.0.1:5000"); removed {
		t.Fatal("second Logout removed something")
	}
	var doc map[string]json.RawMessage
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if string(doc["psFormat"]) != `"table {{.ID}}"` {
		t.Errorf("psFormat lost: %s", b)
	}
	var auths map[string]any
	json.Unmarshal(doc["auths"], &auths)
	if _, ok := auths["other.io"]; !ok || len(auths) != 1 {
		t.Errorf("auths = %v, want only other.io", auths)
	}
}

func TestServerKey(t *testing.T) {
	for in, want := range map[string]string{"docker.io": DockerHub, "index.docker.io": DockerHub, "localhost:5000": "localhost:5000"} {
		if got := ServerKey(in); got != want {
			t.Errorf("ServerKey(%q) = %q, want %q", in, got, want)
		}
	}
}
