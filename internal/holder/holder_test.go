package holder

import (
	"context"
	"errors"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/attach"
	"github.com/geedocker/geedocker/internal/logs/logfile"
	"github.com/geedocker/geedocker/internal/oom"
)

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
			if se.Code != startCode(err) || se.Err.Error() != err.Error() {
				t.Errorf("ParseReady(ReadyMessage(%v)) = %d %v", err, se.Code, se.Err)
			}
		}
	}
	if err := ParseReady(""); err == nil {
		t.Error("an empty report passed for a start")
	}
}

// What the start command reports reaches the monitor whole: paths and messages with spaces,
// quotes and newlines included.
func TestReport(t *testing.T) {
	for _, r := range []*Report{
		{Pid: 42, LogPath: "/var/lib/x y/\"c\"\n.log", Log: logfile.Options{Driver: "local", MaxSize: 10 << 20, MaxFile: 3},
			OOM: oom.Cgroup{Dir: "/sys/fs/cgroup/a b", V2: true}, DNSDir: "/run/dns dir",
			Health:   &Health{Interval: time.Second, Timeout: 2 * time.Second, StartPeriod: 3, StartInterval: 4},
			ExitArgs: []string{"--oci-runtime", "/usr/bin/run c"}, Refused: errors.New("container x was stopped while it started")},
		{Pid: 1},
		{Err: &StartError{Code: 127, Err: errors.New("exec: \"nope\": executable file not found\nin $PATH")}},
		{Err: ErrStopped},
	} {
		got, err := ParseReport(r.Encode())
		if err != nil {
			t.Fatalf("ParseReport(%q): %v", r.Encode(), err)
		}
		if string(got.Encode()) != string(r.Encode()) {
			t.Errorf("round trip:\n%s\nbecame\n%s", r.Encode(), got.Encode())
		}
		if r.Err != nil && (got.Err == nil || got.Err.Error() != r.Err.Error() || startCode(got.Err) != startCode(r.Err)) {
			t.Errorf("error %v came back as %v", r.Err, got.Err)
		}
	}
	for _, bad := range []string{"", "pid 3\n", "pid x\nend\n", "end\n", "pid 3\nlog \"a\"\nend\n", "pid 3\nwhat 1\nend\n",
		"pid 3\ndns \"unterminated\nend\n", "pid 3\nend\npid 4\n", "error x \"m\"\nend\n"} {
		if r, err := ParseReport([]byte(bad)); err == nil {
			t.Errorf("ParseReport(%q) = %+v, want an error", bad, r)
		}
	}
}

func TestNextProbe(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		h       Health
		elapsed time.Duration
		status  string
		want    time.Duration
	}{
		{"interval", Health{Interval: time.Second, StartInterval: 5 * time.Second}, 0, HealthStarting, time.Second},
		{"start interval while starting", Health{Interval: time.Minute, StartPeriod: 10 * time.Minute, StartInterval: time.Second}, 0, HealthStarting, time.Second},
		{"healthy in the start period", Health{Interval: time.Minute, StartPeriod: 10 * time.Minute, StartInterval: time.Second}, 0, "healthy", time.Minute},
		{"not past the start period", Health{Interval: time.Minute, StartPeriod: 90 * time.Second, StartInterval: time.Second}, time.Minute, HealthStarting, 30 * time.Second},
		{"after the start period", Health{Interval: time.Minute, StartPeriod: time.Minute, StartInterval: time.Second}, 2 * time.Minute, HealthStarting, time.Minute},
	}
	for _, tt := range tests {
		if got := tt.h.NextProbe(start, tt.status, start.Add(tt.elapsed)); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// probeHooks are Hooks that count probes; the probe numbered block waits for its cancel.
type probeHooks struct {
	Hooks
	block int

	probes    chan int
	cancelled chan struct{}
}

func (h *probeHooks) Probe(ctx context.Context) (string, error) {
	n := len(h.probes) + 1
	h.probes <- n
	if n == h.block {
		<-ctx.Done()
		close(h.cancelled)
		return "", ctx.Err()
	}
	return "healthy", nil
}

// The checks run one after the other at the interval; stopping them cancels the probe under
// way and waits for it.
func TestWatchHealthStops(t *testing.T) {
	h := &probeHooks{block: 3, probes: make(chan int, 10), cancelled: make(chan struct{})}
	m := &holder{cfg: Config{Hooks: h}}
	stop := m.watchHealth(&Health{Interval: time.Millisecond, StartInterval: time.Millisecond}, time.Now())
	for len(h.probes) < 3 {
		goruntime.Gosched()
	}
	stop()
	select {
	case <-h.cancelled:
	default:
		t.Error("stop returned before the probe under way was cancelled")
	}
	if n := len(h.probes); n != 3 {
		t.Errorf("%d probes after stop, want 3", n)
	}
	(&holder{cfg: Config{Hooks: h}}).watchHealth(nil, time.Now())() // none: nothing runs
	if n := len(h.probes); n != 3 {
		t.Errorf("%d probes without a check", n-3)
	}
}

// A stop or a cancel during a back-off of an hour ends it at once; a stop also ends the
// loop (no restart). A stop that comes before the back-off begins is not lost.
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
			h := &holder{}
			if tc.early {
				if err := h.control(tc.req); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan bool)
			go func() { done <- h.waitBackoff(context.Background(), time.Hour) }()
			if !tc.early {
				for { // until the back-off has begun
					h.mu.Lock()
					waiting := h.backoff != nil
					h.mu.Unlock()
					if waiting {
						break
					}
					goruntime.Gosched()
				}
				if err := h.control(tc.req); err != nil {
					t.Fatal(err)
				}
			}
			if restart := <-done; restart != tc.restart {
				t.Errorf("restart = %v, want %v", restart, tc.restart)
			}
		})
	}
}
