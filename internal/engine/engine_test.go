package engine

import (
	"os"
	"path/filepath"
	"reflect"
	goruntime "runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/geedocker/geedocker/internal/container"
)

func TestParseRestartPolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    container.RestartPolicy
		wantErr string
	}{
		{"", container.RestartPolicy{Name: "no"}, ""},
		{"no", container.RestartPolicy{Name: "no"}, ""},
		{"always", container.RestartPolicy{Name: "always"}, ""},
		{"unless-stopped", container.RestartPolicy{Name: "unless-stopped"}, ""},
		{"on-failure", container.RestartPolicy{Name: "on-failure"}, ""},
		{"on-failure:0", container.RestartPolicy{Name: "on-failure"}, ""},
		{"on-failure:5", container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5}, ""},
		{"on-failure:-1", container.RestartPolicy{}, "maximum retry count must be a non-negative integer"},
		{"on-failure:x", container.RestartPolicy{}, "maximum retry count must be a non-negative integer"},
		{"on-failure:", container.RestartPolicy{}, "maximum retry count must be a non-negative integer"},
		{"always:3", container.RestartPolicy{}, "maximum retry count can only be used with 'on-failure'"},
		{"no:1", container.RestartPolicy{}, "maximum retry count can only be used with 'on-failure'"},
		{"unless-stopped:2", container.RestartPolicy{}, "maximum retry count can only be used with 'on-failure'"},
		{"sometimes", container.RestartPolicy{}, "invalid restart policy 'sometimes'"},
		{"Always", container.RestartPolicy{}, "invalid restart policy 'Always'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRestartPolicy(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRestartPolicy(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRestartPolicy(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestShouldRestart(t *testing.T) {
	no := container.RestartPolicy{Name: "no"}
	always := container.RestartPolicy{Name: "always"}
	unless := container.RestartPolicy{Name: "unless-stopped"}
	onFailure := container.RestartPolicy{Name: "on-failure"}
	onFailure3 := container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3}
	tests := []struct {
		name     string
		p        container.RestartPolicy
		code     int
		restarts int
		manual   bool
		want     bool
	}{
		{"no, failed", no, 1, 0, false, false},
		{"no, succeeded", no, 0, 0, false, false},
		{"empty policy", container.RestartPolicy{}, 1, 0, false, false},
		{"always, succeeded", always, 0, 0, false, true},
		{"always, failed many times", always, 1, 100, false, true},
		{"always, stopped by the user", always, 137, 0, true, false},
		{"unless-stopped, succeeded", unless, 0, 5, false, true},
		{"unless-stopped, stopped by the user", unless, 0, 0, true, false},
		{"on-failure, succeeded", onFailure, 0, 0, false, false},
		{"on-failure, failed, no limit", onFailure, 1, 1000, false, true},
		{"on-failure, killed by a signal", onFailure, 137, 0, false, true},
		{"on-failure:3, 2 restarts so far", onFailure3, 1, 2, false, true},
		{"on-failure:3, limit reached", onFailure3, 1, 3, false, false},
		{"on-failure:3, beyond the limit", onFailure3, 1, 4, false, false},
		{"on-failure, stopped by the user", onFailure, 1, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shouldRestart(tt.p, tt.code, tt.restarts, tt.manual); got != tt.want {
				t.Errorf("shouldRestart(%+v, code %d, restarts %d, manual %v) = %v, want %v",
					tt.p, tt.code, tt.restarts, tt.manual, got, tt.want)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in      string
		want    unix.Signal
		wantErr bool
	}{
		{"TERM", unix.SIGTERM, false},
		{"SIGTERM", unix.SIGTERM, false},
		{"term", unix.SIGTERM, false},
		{"sigkill", unix.SIGKILL, false},
		{"KILL", unix.SIGKILL, false},
		{"HUP", unix.SIGHUP, false},
		{"usr1", unix.SIGUSR1, false},
		{"SIGQUIT", unix.SIGQUIT, false},
		{"9", unix.SIGKILL, false},
		{"15", unix.SIGTERM, false},
		{"64", unix.Signal(64), false},
		{"0", 0, true},
		{"-1", 0, true},
		{"65", 0, true},
		{"", 0, true},
		{"SIG", 0, true},
		{"BOGUS", 0, true},
		{"SIGBOGUS", 0, true},
		{"9x", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSignal(tt.in)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "invalid signal: "+tt.in) {
					t.Fatalf("ParseSignal(%q) = %v, %v; want an \"invalid signal\" error", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSignal(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestHostPlatform(t *testing.T) {
	p := HostPlatform()
	if p.OS != "linux" || p.Architecture != goruntime.GOARCH {
		t.Errorf("HostPlatform = %+v, want linux/%s", p, goruntime.GOARCH)
	}
	wantVariant := ""
	if goruntime.GOARCH == "arm" {
		wantVariant = "v7"
	}
	if p.Variant != wantVariant {
		t.Errorf("Variant = %q, want %q", p.Variant, wantVariant)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		want    Config
		wantErr string
	}{
		{"missing file is an empty config", filepath.Join(dir, "absent.json"), Config{}, ""},
		{"empty object", write("empty.json", "{}"), Config{}, ""},
		{"both settings", write("full.json", `{"insecure-registries":["reg.local:5000"],"registry-mirrors":["https://mirror.example"]}`),
			Config{InsecureRegistries: []string{"reg.local:5000"}, RegistryMirrors: []string{"https://mirror.example"}}, ""},
		{"unknown keys ignored", write("extra.json", `{"debug":true,"registry-mirrors":["m"]}`),
			Config{RegistryMirrors: []string{"m"}}, ""},
		{"bad JSON", write("bad.json", `{"registry-mirrors":`), Config{}, "bad.json"},
		{"wrong type", write("type.json", `{"registry-mirrors":"m"}`), Config{}, "type.json"},
		{"a directory", dir, Config{}, "reading config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadConfig(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadConfig error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("LoadConfig = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestNewOpensStore(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	e, err := New(root, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Store.Root() != root {
		t.Errorf("store root = %s, want %s", e.Store.Root(), root)
	}
	if e.ImageUsers == nil || e.LayersInUse == nil {
		t.Error("New did not wire the container hooks")
	}
	users, err := e.ImageUsers("sha256:" + strings.Repeat("a", 64))
	if err != nil || len(users) != 0 {
		t.Errorf("ImageUsers on an empty store = %v, %v", users, err)
	}
	layers, err := e.LayersInUse()
	if err != nil || len(layers) != 0 {
		t.Errorf("LayersInUse on an empty store = %v, %v", layers, err)
	}
}
