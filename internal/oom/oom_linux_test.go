package oom

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCount(t *testing.T) {
	tests := []struct {
		name, file, content string
		v2                  bool
		want                uint64
	}{
		{"v2", "memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n", true, 2},
		{"v2 none", "memory.events", "low 0\noom 0\noom_kill 0\n", true, 0},
		{"v1", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n", false, 1},
		{"v1 old kernel", "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			n, err := Count(Cgroup{Dir: dir, V2: tt.v2})
			if err != nil || n != tt.want {
				t.Errorf("Count = %d, %v; want %d", n, err, tt.want)
			}
			if k, _ := Killed(Cgroup{Dir: dir, V2: tt.v2}); k != (tt.want > 0) {
				t.Errorf("Killed = %v", k)
			}
		})
	}
	if n, err := Count(Cgroup{}); n != 0 || err != nil {
		t.Errorf("Count without a memory controller = %d, %v", n, err)
	}
}

// On v2, a kill shows in memory.events, which inotify reports; one before the watch began
// is reported at once.
func TestWatchV2(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "memory.events")
	write := func(kills string) {
		t.Helper()
		if err := os.WriteFile(events, []byte("oom 1\noom_kill "+kills+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("1")
	got := make(chan struct{}, 10)
	stop := Watch(Cgroup{Dir: dir, V2: true}, func() { got <- struct{}{} })
	defer stop()
	wait := func(what string) {
		t.Helper()
		select {
		case <-got:
		case <-time.After(30 * time.Second):
			t.Fatalf("no call for %s", what)
		}
	}
	wait("the kill before the watch")
	write("2")
	wait("a new kill")
	stop()
	stop() // again: nothing
	write("3")
	if len(got) != 0 {
		t.Errorf("%d calls after stop", len(got))
	}
}
