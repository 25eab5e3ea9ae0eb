package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/holder"
)

// newRestarting makes a store in a temporary directory holding one container that waits
// for its restart.
func newRestarting(t *testing.T) (*container.Store, string) {
	t.Helper()
	container.RunRoot = t.TempDir()
	cs, err := container.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := &container.Container{ID: container.NewID(), State: container.State{Status: container.Restarting, Restarting: true}}
	if err := cs.Create(c); err != nil {
		t.Fatal(err)
	}
	return cs, c.ID
}

// A start that fails puts back the state of before it (with the error), and a container that
// was restarting is exited: nothing restarts it any more.
func TestRestoreRecord(t *testing.T) {
	for _, tc := range []struct {
		name       string
		before     container.State // what the record said before the start
		now        container.State // what it says when the start fails
		wantStatus string
	}{
		{"first start", container.State{Status: container.Created}, container.State{Status: container.Running, Running: true}, container.Created},
		{"restart", container.State{Status: container.Restarting, Restarting: true}, container.State{Status: container.Running, Running: true}, container.Exited},
		{"restart not begun", container.State{}, container.State{Status: container.Restarting, Restarting: true}, container.Exited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, id := newRestarting(t)
			cs.Update(id, func(c *container.Container) error { c.State = tc.now; return nil })
			s := &Starter{Store: cs, ID: id, before: tc.before}
			s.restoreRecord(context.DeadlineExceeded, 127)
			c, err := cs.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			st := c.State
			if st.Status != tc.wantStatus || st.Running || st.Restarting || st.ExitCode != 127 || st.Error != context.DeadlineExceeded.Error() {
				t.Errorf("state after a failed start: %+v, want status %s, exit 127 and the error", st, tc.wantStatus)
			}
		})
	}
}

// A stop that ends a back-off leaves the container exited, with no run state.
func TestStopped(t *testing.T) {
	cs, id := newRestarting(t)
	cs.WriteRunState(id, container.RunState{MonitorPid: 1})
	(&Starter{Store: cs, ID: id}).Stopped()
	c, err := cs.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if c.State.Status != container.Exited || c.State.Restarting {
		t.Errorf("after a stop in the back-off: %s, restarting %v", c.State.Status, c.State.Restarting)
	}
	if _, ok := cs.ReadRunState(id); ok {
		t.Error("the run state is still there")
	}
}

// The probes' schedule is Docker's defaults where the configuration has none; no schedule
// without a CMD or CMD-SHELL test.
func TestHealthSchedule(t *testing.T) {
	cmd := []string{"CMD", "true"}
	for _, tc := range []struct {
		hc   *container.HealthConfig
		want *holder.Health
	}{
		{nil, nil},
		{&container.HealthConfig{Test: []string{"NONE"}}, nil},
		{&container.HealthConfig{Test: cmd}, &holder.Health{Interval: 30 * time.Second, Timeout: 30 * time.Second, StartInterval: 5 * time.Second}},
		{&container.HealthConfig{Test: cmd, Interval: time.Second, Timeout: 2 * time.Second, StartPeriod: time.Minute, StartInterval: 3 * time.Second},
			&holder.Health{Interval: time.Second, Timeout: 2 * time.Second, StartPeriod: time.Minute, StartInterval: 3 * time.Second}},
	} {
		got := healthSchedule(tc.hc)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("healthSchedule(%+v) = %+v, want %+v", tc.hc, got, tc.want)
		}
	}
}
