package api

import (
	ctypes "github.com/moby/moby/api/types/container"

	"github.com/geedocker/geedocker/internal/container"
)

// healthState is State.Health in moby's shape; nil for a container without health checks.
func healthState(h *container.Health) *ctypes.Health {
	if h == nil {
		return nil
	}
	out := &ctypes.Health{Status: ctypes.HealthStatus(h.Status), FailingStreak: h.FailingStreak, Log: []*ctypes.HealthcheckResult{}}
	for _, r := range h.Log {
		out.Log = append(out.Log, &ctypes.HealthcheckResult{Start: r.Start, End: r.End, ExitCode: r.ExitCode, Output: r.Output})
	}
	return out
}

// healthSummary is the Health of a container in the list; nil without health checks.
func healthSummary(h *container.Health) *ctypes.HealthSummary {
	if h == nil {
		return nil
	}
	return &ctypes.HealthSummary{Status: ctypes.HealthStatus(h.Status), FailingStreak: h.FailingStreak}
}
