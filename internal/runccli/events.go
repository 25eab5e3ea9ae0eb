package runccli

import "github.com/geedocker/geedocker/internal/cgroups"

// event is runc's `events` line.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// statsEvent is the part of runc's stats event that GeeDocker's cgroup manager reads.
func statsEvent(id string, st cgroups.Stats) event {
	type usage struct {
		Usage uint64 `json:"usage,omitempty"`
		Limit uint64 `json:"limit,omitempty"`
	}
	return event{Type: "stats", ID: id, Data: map[string]any{
		"cpu":    map[string]any{"usage": map[string]uint64{"total": st.CPUUsage}},
		"memory": map[string]any{"usage": usage{Usage: st.MemoryUsage, Limit: st.MemoryLimit}, "stats": map[string]uint64{"total_inactive_file": st.MemoryInactiveFile}},
		"pids":   map[string]uint64{"current": st.Pids},
	}}
}
