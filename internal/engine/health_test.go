package engine

import (
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/geedocker/geedocker/internal/container"
)

func TestMergeHealthcheck(t *testing.T) {
	image := &v1.HealthConfig{Test: []string{"CMD", "check"}, Interval: time.Minute, Timeout: 5 * time.Second, Retries: 4}
	tests := []struct {
		name  string
		user  *container.HealthConfig
		image *v1.HealthConfig
		want  *container.HealthConfig
	}{
		{"neither", nil, nil, nil},
		{"the image's", nil, image, &container.HealthConfig{Test: []string{"CMD", "check"}, Interval: time.Minute, Timeout: 5 * time.Second, Retries: 4}},
		{"flags only", &container.HealthConfig{Test: []string{"CMD-SHELL", "x"}}, nil, &container.HealthConfig{Test: []string{"CMD-SHELL", "x"}}},
		{"field by field", &container.HealthConfig{Interval: time.Second, StartInterval: time.Second}, image,
			&container.HealthConfig{Test: []string{"CMD", "check"}, Interval: time.Second, Timeout: 5 * time.Second, StartInterval: time.Second, Retries: 4}},
		{"another command", &container.HealthConfig{Test: []string{"CMD-SHELL", "y"}, Retries: 1}, image,
			&container.HealthConfig{Test: []string{"CMD-SHELL", "y"}, Interval: time.Minute, Timeout: 5 * time.Second, Retries: 1}},
		{"--no-healthcheck", &container.HealthConfig{Test: []string{"NONE"}}, image,
			&container.HealthConfig{Test: []string{"NONE"}, Interval: time.Minute, Timeout: 5 * time.Second, Retries: 4}},
	}
	for _, tt := range tests {
		if got := mergeHealthcheck(tt.user, tt.image); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestValidateHealthcheck(t *testing.T) {
	tests := []struct {
		h    *container.HealthConfig
		want string
	}{
		{nil, ""},
		{&container.HealthConfig{Interval: time.Millisecond, Timeout: time.Second}, ""},
		{&container.HealthConfig{Interval: time.Microsecond}, "Interval in Healthcheck cannot be less than 1ms"},
		{&container.HealthConfig{Timeout: 1}, "Timeout in Healthcheck cannot be less than 1ms"},
		{&container.HealthConfig{StartPeriod: -time.Second}, "StartPeriod in Healthcheck cannot be less than 1ms"},
		{&container.HealthConfig{StartInterval: 10}, "StartInterval in Healthcheck cannot be less than 1ms"},
		{&container.HealthConfig{Retries: -1}, "Retries in Healthcheck cannot be negative"},
	}
	for _, tt := range tests {
		err := validateHealthcheck(tt.h)
		if got := ""; err != nil {
			got = err.Error()
			if got != tt.want {
				t.Errorf("%+v: %q, want %q", tt.h, got, tt.want)
			}
		} else if tt.want != "" {
			t.Errorf("%+v: no error, want %q", tt.h, tt.want)
		}
	}
}

func TestProbeOutput(t *testing.T) {
	var o probeOutput
	o.Write([]byte("ok\n"))
	if o.String() != "ok\n" {
		t.Errorf("%q", o.String())
	}
	o.Write([]byte(strings.Repeat("y", 5000)))
	if s := o.String(); len(s) != 4096+3 || !strings.HasSuffix(s, "y...") {
		t.Errorf("%d bytes", len(s))
	}
}

// A result is recorded for the run it probed only: not once the container stopped or started
// again.
func TestRecordHealth(t *testing.T) {
	old := container.RunRoot
	container.RunRoot = t.TempDir()
	t.Cleanup(func() { container.RunRoot = old })
	cs, err := container.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now().UTC().Truncate(time.Microsecond)
	c := &container.Container{ID: container.NewID(),
		Config: container.Config{Healthcheck: &container.HealthConfig{Test: []string{"CMD", "true"}, Retries: 1}},
		State:  container.State{Status: container.Running, Running: true, StartedAt: started, Health: &container.Health{Status: container.HealthStarting}},
	}
	if err := cs.Create(c); err != nil {
		t.Fatal(err)
	}
	e, err := New(t.TempDir(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	at := started.Add(time.Second)
	if s, err := e.recordHealth(cs, c.ID, started, container.HealthResult{Start: at, End: at, ExitCode: 1}); err != nil || s != container.Unhealthy {
		t.Errorf("a failure: %q %v, want unhealthy", s, err)
	}
	if s, err := e.recordHealth(cs, c.ID, started.Add(-time.Second), container.HealthResult{Start: at, End: at, ExitCode: 0}); err != nil || s != container.Unhealthy {
		t.Errorf("a result of an earlier run: %q %v, want it dropped", s, err)
	}
	cs.Update(c.ID, func(c *container.Container) error {
		c.State.Running, c.State.Status = false, container.Exited
		return nil
	})
	if s, err := e.recordHealth(cs, c.ID, started, container.HealthResult{Start: at, End: at, ExitCode: 0}); err != nil || s != container.Unhealthy {
		t.Errorf("a result after the stop: %q %v, want it dropped", s, err)
	}
	got, _ := cs.Get(c.ID)
	if h := got.State.Health; h == nil || len(h.Log) != 1 || h.FailingStreak != 1 {
		t.Errorf("recorded health %+v, want the one failure", h)
	}
}
