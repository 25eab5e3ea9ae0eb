package events

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A line a killed writer left without its end (or any garbage) does not swallow the next
// event: it is skipped, and what is recorded after it is read.
func TestTornLineLosesNoLaterEvent(t *testing.T) {
	root := t.TempDir()
	j := Open(root)
	start := time.Now()
	if err := j.Record(Container, "create", "c0", nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(root, "events", "events.log"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"Type":"container","Action":"st`)
	f.Close()
	if err := j.Record(Container, "start", "c1", nil); err != nil {
		t.Fatal(err)
	}
	got := collect(t, j, start, time.Now())
	if len(got) != 2 || got[0].Actor.ID != "c0" || got[1].Actor.ID != "c1" || got[1].Action != "start" {
		t.Fatalf("events after a torn line: %+v; want create c0 and start c1", got)
	}
}
