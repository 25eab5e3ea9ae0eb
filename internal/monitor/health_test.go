package monitor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/container"
)

// probeHooks are Hooks that count probes; the probe numbered block waits for its cancel.
type probeHooks struct {
	Hooks
	block int

	mu        sync.Mutex
	probes    int
	cancelled bool
	third     chan struct{}
}

func (h *probeHooks) Probe(ctx context.Context) (string, error) {
	h.mu.Lock()
	h.probes++
	n := h.probes
	h.mu.Unlock()
	if n == h.block {
		close(h.third)
		<-ctx.Done()
		h.mu.Lock()
		h.cancelled = true
		h.mu.Unlock()
		return "", ctx.Err()
	}
	return container.Healthy, nil
}

// The checks run one after the other at the interval; stopping them cancels the probe under
// way and waits for it.
func TestWatchHealthStops(t *testing.T) {
	h := &probeHooks{block: 3, third: make(chan struct{})}
	m := &monitor{cfg: Config{Hooks: h}}
	stop := m.watchHealth(&container.HealthConfig{Test: []string{"CMD", "true"}, Interval: time.Millisecond})
	select {
	case <-h.third:
	case <-time.After(30 * time.Second):
		t.Fatal("the third probe never ran")
	}
	stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.cancelled || h.probes != 3 {
		t.Errorf("after stop: %d probes, the last cancelled: %v; want 3 and true", h.probes, h.cancelled)
	}
}

// Without a check, or with hooks that cannot probe, nothing runs.
func TestWatchHealthNone(t *testing.T) {
	for _, hc := range []*container.HealthConfig{nil, {Test: []string{"NONE"}}} {
		h := &probeHooks{}
		m := &monitor{cfg: Config{Hooks: h}}
		m.watchHealth(hc)()
		if h.probes != 0 {
			t.Errorf("%+v: %d probes", hc, h.probes)
		}
	}
	var plain struct{ Hooks }
	m := &monitor{cfg: Config{Hooks: plain}}
	m.watchHealth(&container.HealthConfig{Test: []string{"CMD", "true"}})()
}
