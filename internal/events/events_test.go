package events

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

func collect(t *testing.T, j *Journal, since, until time.Time) []Message {
	t.Helper()
	var got []Message
	if err := j.Read(context.Background(), since, until, func(m Message) error {
		got = append(got, m)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRecordAndReadHistory(t *testing.T) {
	j := Open(t.TempDir())
	start := time.Now()
	for i := 0; i < 3; i++ {
		if err := j.Record(Container, "start", fmt.Sprint("c", i), map[string]string{"name": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	end := time.Now()
	got := collect(t, j, start, end)
	if len(got) != 3 {
		t.Fatalf("got %d events, want 3: %+v", len(got), got)
	}
	m := got[1]
	if m.Type != "container" || m.Action != "start" || m.Actor.ID != "c1" || m.Scope != "local" ||
		m.Actor.Attributes["name"] != "x" || m.Time != m.TimeNano/1e9 {
		t.Fatalf("event: %+v", m)
	}
	// A window that ends before them: nothing.
	if got := collect(t, j, start.Add(-time.Hour), start.Add(-time.Minute)); len(got) != 0 {
		t.Fatalf("got %+v", got)
	}
	// An empty journal reads as empty.
	if got := collect(t, Open(t.TempDir()), start, end); len(got) != 0 {
		t.Fatalf("got %+v", got)
	}
}

func TestRotationKeepsTheJournalBounded(t *testing.T) {
	root := t.TempDir()
	j := Open(root)
	j.maxSize = 4096
	start := time.Now()
	for i := 0; i < 500; i++ {
		if err := j.Record(Image, "tag", fmt.Sprint(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{j.path(), j.oldPath()} {
		if fi, err := os.Stat(p); err == nil && fi.Size() > 4096+200 {
			t.Errorf("%s: %d bytes", p, fi.Size())
		}
	}
	got := collect(t, j, start, time.Now())
	if len(got) == 0 || got[len(got)-1].Actor.ID != "499" {
		t.Fatalf("the newest events are lost: %d read", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].TimeNano < got[i-1].TimeNano {
			t.Fatalf("events out of order at %d", i)
		}
	}
}

func TestConcurrentWritersLoseNothing(t *testing.T) {
	j := Open(t.TempDir())
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				j.Record(Container, "create", fmt.Sprintf("%d-%d", w, i), nil)
			}
		}()
	}
	wg.Wait()
	if got := collect(t, j, start, time.Now()); len(got) != 400 {
		t.Fatalf("got %d events, want 400", len(got))
	}
}

func TestFollowSeesNewEventsAndRotation(t *testing.T) {
	j := Open(t.TempDir())
	j.maxSize = 2048
	j.Record(Container, "create", "before", nil) // not seen: no since
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan Message, 100)
	done := make(chan error, 1)
	go func() {
		done <- j.Read(ctx, time.Time{}, time.Time{}, func(m Message) error { got <- m; return nil })
	}()
	// The reader is ready once it has seen a first event; record until it does.
	first := false
	for !first {
		j.Record(Container, "start", "probe", nil)
		select {
		case m := <-got:
			if m.Actor.ID == "before" {
				t.Fatal("an event recorded before the follow was read")
			}
			first = true
		case <-time.After(50 * time.Millisecond):
		}
	}
	for len(got) > 0 {
		<-got
	}
	for i := 0; i < 30; i++ { // past several rotations
		j.Record(Container, "die", fmt.Sprint(i), nil)
	}
	for i := 0; i < 30; i++ {
		select {
		case m := <-got:
			if m.Actor.ID != fmt.Sprint(i) {
				t.Fatalf("event %d: got %q", i, m.Actor.ID)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d not seen", i)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestUntilEndsTheFollow(t *testing.T) {
	j := Open(t.TempDir())
	until := time.Now().Add(100 * time.Millisecond)
	if got := collect(t, j, time.Time{}, until); len(got) != 0 {
		t.Fatalf("got %+v", got)
	}
}

func TestFilter(t *testing.T) {
	ctr := Message{Type: "container", Action: "start", Scope: "local", Actor: Actor{ID: "abc123",
		Attributes: map[string]string{"name": "web", "image": "busybox:latest", "tier": "front"}}}
	img := Message{Type: "image", Action: "tag", Scope: "local", Actor: Actor{ID: "sha256:99",
		Attributes: map[string]string{"name": "localhost:5000/busybox:v1"}}}
	exec := Message{Type: "container", Action: "exec_start: sh -c true", Actor: Actor{ID: "abc123",
		Attributes: map[string]string{"name": "web"}}}
	net := Message{Type: "network", Action: "connect", Actor: Actor{ID: "n1",
		Attributes: map[string]string{"name": "front", "container": "abc123"}}}
	for _, tc := range []struct {
		f    Filter
		m    Message
		want bool
	}{
		{Filter{}, ctr, true},
		{Filter{"container": {"web"}}, ctr, true},
		{Filter{"container": {"abc"}}, ctr, true},
		{Filter{"container": {"other"}}, ctr, false},
		{Filter{"container": {"web"}}, net, false},
		{Filter{"event": {"start"}}, ctr, true},
		{Filter{"event": {"stop", "start"}}, ctr, true},
		{Filter{"event": {"die"}}, ctr, false},
		{Filter{"event": {"exec_start"}}, exec, true},
		{Filter{"type": {"image"}}, ctr, false},
		{Filter{"type": {"image"}}, img, true},
		{Filter{"image": {"busybox"}}, ctr, true},
		{Filter{"image": {"busybox:latest"}}, ctr, true},
		{Filter{"image": {"alpine"}}, ctr, false},
		{Filter{"image": {"localhost:5000/busybox"}}, img, true},
		{Filter{"image": {"sha256:99"}}, img, true},
		{Filter{"label": {"tier"}}, ctr, true},
		{Filter{"label": {"tier=front"}}, ctr, true},
		{Filter{"label": {"tier=back"}}, ctr, false},
		{Filter{"label": {"tier", "zone"}}, ctr, false},
		{Filter{"network": {"front"}}, net, true},
		{Filter{"network": {"back"}}, net, false},
		{Filter{"network": {"front"}}, ctr, false},
		{Filter{"scope": {"local"}}, ctr, true},
		{Filter{"scope": {"swarm"}}, ctr, false},
	} {
		if got := tc.f.Include(tc.m); got != tc.want {
			t.Errorf("%v on %s %s: got %v, want %v", tc.f, tc.m.Type, tc.m.Action, got, tc.want)
		}
	}
	if err := (Filter{"bogus": {"x"}}).Validate(); err == nil || err.Error() != "invalid filter 'bogus'" {
		t.Errorf("Validate: %v", err)
	}
	if err := (Filter{"container": {"x"}, "event": {"y"}}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestContainerAttributes(t *testing.T) {
	a := ContainerAttributes("/web", "busybox", map[string]string{"tier": "front", "name": "label"}, "exitCode", "3")
	if a["name"] != "web" || a["image"] != "busybox" || a["tier"] != "front" || a["exitCode"] != "3" {
		t.Fatalf("%v", a)
	}
}

func BenchmarkRecord(b *testing.B) {
	j := Open(b.TempDir())
	attrs := map[string]string{"name": "web", "image": "busybox", "exitCode": "0"}
	for b.Loop() {
		j.Record(Container, "die", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", attrs)
	}
}
