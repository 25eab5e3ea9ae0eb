package container

import (
	"strings"
	"testing"
	"time"
)

func TestHealthApply(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration, code int) HealthResult {
		return HealthResult{Start: start.Add(d), End: start.Add(d), ExitCode: code}
	}
	tests := []struct {
		name    string
		cfg     HealthConfig
		results []HealthResult
		status  string
		streak  int
	}{
		{"success", HealthConfig{}, []HealthResult{at(time.Second, 0)}, Healthy, 0},
		{"failures below the default retries", HealthConfig{}, []HealthResult{at(1, 1), at(2, 1)}, HealthStarting, 2},
		{"three failures", HealthConfig{}, []HealthResult{at(1, 1), at(2, 1), at(3, -1)}, Unhealthy, 3},
		{"retries 1", HealthConfig{Retries: 1}, []HealthResult{at(1, 2)}, Unhealthy, 1},
		{"a success resets the streak", HealthConfig{}, []HealthResult{at(1, 1), at(2, 1), at(3, 0), at(4, 1)}, Healthy, 1},
		{"healthy, then unhealthy", HealthConfig{Retries: 2}, []HealthResult{at(1, 0), at(2, 1), at(3, 1)}, Unhealthy, 2},
		{"failures in the start period do not count", HealthConfig{Retries: 1, StartPeriod: time.Minute},
			[]HealthResult{at(time.Second, 1), at(2*time.Second, 1)}, HealthStarting, 0},
		{"after the start period they do", HealthConfig{Retries: 1, StartPeriod: time.Minute},
			[]HealthResult{at(time.Second, 1), at(2*time.Minute, 1)}, Unhealthy, 1},
		{"once healthy, the start period is over", HealthConfig{Retries: 1, StartPeriod: time.Minute},
			[]HealthResult{at(time.Second, 0), at(2*time.Second, 1)}, Unhealthy, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := (*Health)(nil).Restarted(&HealthConfig{Test: []string{"CMD", "true"}})
			for _, r := range tt.results {
				h.Apply(&tt.cfg, start, r)
			}
			if h.Status != tt.status || h.FailingStreak != tt.streak {
				t.Errorf("status %q streak %d, want %q %d", h.Status, h.FailingStreak, tt.status, tt.streak)
			}
			if len(h.Log) != len(tt.results) {
				t.Errorf("log has %d results, want %d", len(h.Log), len(tt.results))
			}
		})
	}
}

func TestHealthLogAndOutput(t *testing.T) {
	h := &Health{Status: HealthStarting}
	cfg := &HealthConfig{}
	for i := 0; i < 7; i++ {
		h.Apply(cfg, time.Time{}, HealthResult{ExitCode: i})
	}
	if len(h.Log) != 5 || h.Log[0].ExitCode != 2 || h.Log[4].ExitCode != 6 {
		t.Errorf("log %+v, want the last five results", h.Log)
	}
	h.Apply(cfg, time.Time{}, HealthResult{Output: strings.Repeat("x", 5000)})
	if out := h.Log[4].Output; len(out) != 4096+3 || !strings.HasSuffix(out, "x...") {
		t.Errorf("output of %d bytes ending %q, want 4096 and \"...\"", len(out), out[len(out)-5:])
	}
}

func TestHealthRestarted(t *testing.T) {
	probed := &HealthConfig{Test: []string{"CMD-SHELL", "true"}}
	old := &Health{Status: Unhealthy, FailingStreak: 4, Log: []HealthResult{{ExitCode: 1}}}
	h := old.Restarted(probed)
	if h.Status != HealthStarting || h.FailingStreak != 0 || len(h.Log) != 1 {
		t.Errorf("restarted: %+v", h)
	}
	for _, cfg := range []*HealthConfig{nil, {}, {Test: []string{"NONE"}}, {Test: []string{"CMD"}}} {
		if h := old.Restarted(cfg); h != nil {
			t.Errorf("%+v: restarted %+v, want none", cfg, h)
		}
	}
}

func TestHealthProbeArgs(t *testing.T) {
	tests := []struct {
		test []string
		want string
	}{
		{[]string{"CMD-SHELL", "curl -f localhost || exit 1"}, "/bin/sh|-c|curl -f localhost || exit 1"},
		{[]string{"CMD", "cat", "/tmp/ok"}, "cat|/tmp/ok"},
		{[]string{"NONE"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := strings.Join((&HealthConfig{Test: tt.test}).ProbeArgs(), "|"); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.test, got, tt.want)
		}
	}
}

func TestHealthSuffix(t *testing.T) {
	for status, want := range map[string]string{
		"": "", HealthStarting: " (health: starting)", Healthy: " (healthy)", Unhealthy: " (unhealthy)",
	} {
		s := State{}
		if status != "" {
			s.Health = &Health{Status: status}
		}
		if got := s.HealthSuffix(); got != want {
			t.Errorf("%q: %q, want %q", status, got, want)
		}
		if want := map[string]string{"": NoHealthcheck}[status]; want != "" && s.HealthStatus() != want {
			t.Errorf("%q: status %q", status, s.HealthStatus())
		}
	}
}
