package container

import "time"

// A container's health check, as Docker has it: the configuration (Config.Healthcheck, from
// the image's HEALTHCHECK and the --health-* flags), and the state (State.Health) that each
// probe's result moves along:
//
//	start ──> starting ──(probe exits 0)──> healthy ──(Retries failures in a row)──> unhealthy
//	             └────────(Retries failures in a row, after StartPeriod)─────────────┘
//
// Any success makes the container healthy again. A failure during the start period does not
// count while the container is still starting. Each start resets the status to starting and
// the streak to 0; the log of the last probes is kept.

// Health statuses, as Docker names them; NoHealthcheck is `ps --filter health=none`'s.
const (
	NoHealthcheck   = "none"
	HealthStarting  = "starting"
	Healthy         = "healthy"
	Unhealthy       = "unhealthy"
	maxHealthLog    = 5    // probes kept in Health.Log
	maxHealthOutput = 4096 // bytes of a probe's output kept
)

// Docker's defaults for the zero values of HealthConfig.
const (
	DefaultHealthInterval      = 30 * time.Second
	DefaultHealthTimeout       = 30 * time.Second
	DefaultHealthStartInterval = 5 * time.Second
	DefaultHealthRetries       = 3
)

// HealthConfig is Docker's Config.Healthcheck. Test is ["NONE"] (no check, not even the
// image's), ["CMD", ARG...] or ["CMD-SHELL", COMMAND]; empty inherits the image's. A zero
// duration or count means Docker's default.
type HealthConfig struct {
	Test          []string      `json:"Test,omitempty"`
	Interval      time.Duration `json:"Interval,omitempty"`
	Timeout       time.Duration `json:"Timeout,omitempty"`
	StartPeriod   time.Duration `json:"StartPeriod,omitempty"`
	StartInterval time.Duration `json:"StartInterval,omitempty"`
	Retries       int           `json:"Retries,omitempty"`
}

// Health is Docker's State.Health.
type Health struct {
	Status        string         `json:"Status"`
	FailingStreak int            `json:"FailingStreak"`
	Log           []HealthResult `json:"Log"`
}

// HealthResult is one probe: ExitCode 0 is healthy, anything else (-1 when the probe could
// not run or timed out) a failure.
type HealthResult struct {
	Start    time.Time `json:"Start"`
	End      time.Time `json:"End"`
	ExitCode int       `json:"ExitCode"`
	Output   string    `json:"Output"`
}

// Probed tells whether h asks for probes: a CMD or CMD-SHELL test.
func (h *HealthConfig) Probed() bool {
	return h != nil && len(h.Test) > 1 && (h.Test[0] == "CMD" || h.Test[0] == "CMD-SHELL")
}

// ProbeArgs is the command of one probe: CMD's arguments, or CMD-SHELL's command run by
// /bin/sh -c.
func (h *HealthConfig) ProbeArgs() []string {
	if !h.Probed() {
		return nil
	}
	if h.Test[0] == "CMD-SHELL" {
		return append([]string{"/bin/sh", "-c"}, h.Test[1:]...)
	}
	return append([]string{}, h.Test[1:]...)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// TimeoutOrDefault is how long one probe may run.
func (h *HealthConfig) TimeoutOrDefault() time.Duration {
	return orDefault(h.Timeout, DefaultHealthTimeout)
}

// Restarted is the health of a container that starts again: starting, no failures, the log
// kept; nil when cfg asks for no probes.
func (h *Health) Restarted(cfg *HealthConfig) *Health {
	if !cfg.Probed() {
		return nil
	}
	n := &Health{Status: HealthStarting}
	if h != nil {
		n.Log = h.Log
	}
	return n
}

// Apply records the result r of a probe of a container that started at started: the log
// keeps the last five results, a success makes it healthy, Retries failures in a row
// unhealthy (those of a container still starting within its start period do not count).
func (h *Health) Apply(cfg *HealthConfig, started time.Time, r HealthResult) {
	if len(r.Output) > maxHealthOutput {
		r.Output = r.Output[:maxHealthOutput] + "..."
	}
	h.Log = append(h.Log, r)
	if len(h.Log) > maxHealthLog {
		h.Log = append([]HealthResult(nil), h.Log[len(h.Log)-maxHealthLog:]...)
	}
	if r.ExitCode == 0 {
		h.FailingStreak = 0
		h.Status = Healthy
		return
	}
	if h.Status == HealthStarting && r.Start.Sub(started) < cfg.StartPeriod {
		return // still within the start period
	}
	h.FailingStreak++
	retries := cfg.Retries
	if retries <= 0 {
		retries = DefaultHealthRetries
	}
	if h.FailingStreak >= retries {
		h.Status = Unhealthy
	}
}

// HealthStatus is the container's health as `ps` filters it: NoHealthcheck without a
// health state.
func (s *State) HealthStatus() string {
	if s.Health == nil || s.Health.Status == "" {
		return NoHealthcheck
	}
	return s.Health.Status
}

// HealthSuffix is what Docker's status of a running container adds for its health:
// " (health: starting)", " (healthy)", " (unhealthy)", or nothing.
func (s *State) HealthSuffix() string {
	if s.Health == nil || s.Health.Status == "" {
		return ""
	}
	if s.Health.Status == HealthStarting {
		return " (health: starting)"
	}
	return " (" + s.Health.Status + ")"
}
