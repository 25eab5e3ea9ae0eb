package cli

import (
	"errors"
	"time"

	"github.com/spf13/pflag"

	"github.com/geedocker/geedocker/internal/container"
)

// healthFlags are the --health-* flags of run and create.
type healthFlags struct {
	cmd                                         string
	interval, timeout, startPeriod, startInterv time.Duration
	retries                                     int
	none                                        bool
}

func (h *healthFlags) register(f *pflag.FlagSet) {
	f.StringVar(&h.cmd, "health-cmd", "", "Command to run to check health")
	f.DurationVar(&h.interval, "health-interval", 0, "Time between running the check (ms|s|m|h) (default 0s)")
	f.IntVar(&h.retries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	f.DurationVar(&h.startInterv, "health-start-interval", 0, "Time between running the check during the start period (ms|s|m|h) (default 0s)")
	f.DurationVar(&h.startPeriod, "health-start-period", 0, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)")
	f.DurationVar(&h.timeout, "health-timeout", 0, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)")
	f.BoolVar(&h.none, "no-healthcheck", false, "Disable any container-specified HEALTHCHECK")
}

// config is the health check the flags ask for, as Docker's CLI makes it: nil when no flag is
// set (the image's check is used), Test ["NONE"] with --no-healthcheck, else the fields set,
// the others left to the image's.
func (h *healthFlags) config() (*container.HealthConfig, error) {
	set := h.cmd != "" || h.interval != 0 || h.timeout != 0 || h.startPeriod != 0 || h.retries != 0 || h.startInterv != 0
	if h.none {
		if set {
			return nil, errors.New("--no-healthcheck conflicts with --health-* options")
		}
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	if !set {
		return nil, nil
	}
	for _, c := range []struct {
		neg  bool
		name string
	}{
		{h.interval < 0, "--health-interval"},
		{h.timeout < 0, "--health-timeout"},
		{h.retries < 0, "--health-retries"},
		{h.startPeriod < 0, "--health-start-period"},
		{h.startInterv < 0, "--health-start-interval"},
	} {
		if c.neg {
			return nil, errors.New(c.name + " cannot be negative")
		}
	}
	hc := &container.HealthConfig{
		Interval: h.interval, Timeout: h.timeout, StartPeriod: h.startPeriod, StartInterval: h.startInterv,
		Retries: h.retries,
	}
	if h.cmd != "" {
		hc.Test = []string{"CMD-SHELL", h.cmd}
	}
	return hc, nil
}
