package monitor

import (
	"context"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/container"
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

// A stop or a cancel during a back-off of an hour ends it at once; a stop also ends the
// monitor (no restart), and the record says exited. A stop that comes before the back-off
// begins is not lost.
func TestBackoffEnds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		req     attach.Request
		early   bool // sent before the back-off begins
		restart bool
	}{
		{name: "stop", req: attach.Request{Op: "stop", Signal: 15, Timeout: time.Second}},
		{name: "stop before", req: attach.Request{Op: "stop", Signal: 15, Timeout: time.Second}, early: true},
		{name: "cancel", req: attach.Request{Op: "cancel"}, restart: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, id := newRestarting(t)
			m := &monitor{cfg: Config{Store: cs, ID: id}}
			if tc.early {
				if err := m.control(tc.req); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan bool)
			go func() { done <- m.waitBackoff(context.Background(), time.Hour) }()
			if !tc.early {
				for { // until the back-off has begun
					m.mu.Lock()
					waiting := m.backoff != nil
					m.mu.Unlock()
					if waiting {
						break
					}
					goruntime.Gosched()
				}
				if err := m.control(tc.req); err != nil {
					t.Fatal(err)
				}
			}
			if restart := <-done; restart != tc.restart {
				t.Errorf("restart = %v, want %v", restart, tc.restart)
			}
			c, err := cs.Get(id)
			if err != nil {
				t.Fatal(err)
			}
			want := container.Exited
			if tc.restart {
				want = container.Restarting // until the start records running
			}
			if c.State.Status != want || c.State.Restarting != tc.restart {
				t.Errorf("record: %s, restarting %v; want %s, %v", c.State.Status, c.State.Restarting, want, tc.restart)
			}
			if _, ok := cs.ReadRunState(id); ok == !tc.restart {
				t.Errorf("run state present: %v, want %v", ok, tc.restart)
			}
		})
	}
}

func TestParseNext(t *testing.T) {
	for _, n := range []Next{{}, {Restart: true, Delay: 1600 * time.Millisecond}, {Restart: true}} {
		got, err := ParseNext(n.String() + "\n")
		if err != nil || got != n {
			t.Errorf("ParseNext(%q) = %+v, %v", n.String(), got, err)
		}
	}
	for _, bad := range []string{"", "restart", "restart x", "restart -1", "again"} {
		if _, err := ParseNext(bad); err == nil {
			t.Errorf("ParseNext(%q) accepted", bad)
		}
	}
}

func TestReady(t *testing.T) {
	for _, err := range []error{nil, &StartError{Code: 127, Err: context.Canceled}, context.DeadlineExceeded} {
		got := ParseReady(ReadyMessage(err))
		if (got == nil) != (err == nil) {
			t.Errorf("ParseReady(ReadyMessage(%v)) = %v", err, got)
			continue
		}
		if err != nil {
			se := got.(*StartError)
			want := 125
			if e, ok := err.(*StartError); ok {
				want = e.Code
			}
			if se.Code != want || se.Err.Error() != err.Error() {
				t.Errorf("ParseReady(ReadyMessage(%v)) = %d %v", err, se.Code, se.Err)
			}
		}
	}
	if err := ParseReady(""); err == nil {
		t.Error("an empty report passed for a start")
	}
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
			m := &monitor{cfg: Config{Store: cs, ID: id}, before: tc.before}
			m.restoreRecord(context.DeadlineExceeded, 127)
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
