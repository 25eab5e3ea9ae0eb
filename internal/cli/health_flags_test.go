package cli

import (
	"reflect"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/geedocker/geedocker/internal/container"
)

func TestHealthFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    *container.HealthConfig
		wantErr string
	}{
		{nil, nil, ""},
		{[]string{"--no-healthcheck"}, &container.HealthConfig{Test: []string{"NONE"}}, ""},
		{[]string{"--health-cmd", "/check.sh -q"}, &container.HealthConfig{Test: []string{"CMD-SHELL", "/check.sh -q"}}, ""},
		{[]string{"--health-timeout=2s", "--health-retries=3", "--health-interval=4.5s", "--health-start-period=5s", "--health-start-interval=200ms"},
			&container.HealthConfig{Timeout: 2 * time.Second, Retries: 3, Interval: 4500 * time.Millisecond, StartPeriod: 5 * time.Second, StartInterval: 200 * time.Millisecond}, ""},
		{[]string{"--no-healthcheck", "--health-cmd=true"}, nil, "--no-healthcheck conflicts with --health-* options"},
		{[]string{"--no-healthcheck", "--health-interval=1s"}, nil, "--no-healthcheck conflicts with --health-* options"},
		{[]string{"--health-interval=-1s"}, nil, "--health-interval cannot be negative"},
		{[]string{"--health-timeout=-1s"}, nil, "--health-timeout cannot be negative"},
		{[]string{"--health-retries=-1"}, nil, "--health-retries cannot be negative"},
		{[]string{"--health-start-period=-1s"}, nil, "--health-start-period cannot be negative"},
		{[]string{"--health-start-interval=-1s"}, nil, "--health-start-interval cannot be negative"},
	}
	for _, tt := range tests {
		var h healthFlags
		f := pflag.NewFlagSet("run", pflag.ContinueOnError)
		h.register(f)
		if err := f.Parse(tt.args); err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		got, err := h.config()
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q: error %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: %+v %v, want %+v", tt.args, got, err, tt.want)
		}
	}
}
