package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/events"
)

func TestWriteEvent(t *testing.T) {
	ts := time.Date(2026, 12, 6, 5, 40, 1, 123000000, time.Local)
	for _, tc := range []struct {
		m    events.Message
		want string
	}{
		{events.Message{Type: "container", Action: "start", Actor: events.Actor{ID: "abc", Attributes: map[string]string{"name": "x", "image": "busybox"}}, TimeNano: ts.UnixNano()},
			ts.Format("2006-01-02T15:04:05.000000000Z07:00") + " container start abc (image=busybox, name=x)\n"},
		{events.Message{Type: "volume", Action: "prune", Time: ts.Unix()},
			ts.Truncate(time.Second).Format("2006-01-02T15:04:05.000000000Z07:00") + " volume prune \n"},
	} {
		var b bytes.Buffer
		writeEvent(&b, tc.m)
		if b.String() != tc.want {
			t.Errorf("got %q, want %q", b.String(), tc.want)
		}
	}
}

func TestParseEventFilters(t *testing.T) {
	f, err := parseEventFilters([]string{"type=container", "Event=start", "event=die", "label=a=b"})
	if err != nil || len(f["event"]) != 2 || f["label"][0] != "a=b" {
		t.Fatalf("%v %v", f, err)
	}
	if _, err := parseEventFilters([]string{"nope"}); err == nil || err.Error() != "bad format of filter (expected name=value): nope" {
		t.Errorf("no '=': %v", err)
	}
	if _, err := parseEventFilters([]string{"colour=red"}); err == nil || err.Error() != "invalid filter 'colour'" {
		t.Errorf("unknown key: %v", err)
	}
}
