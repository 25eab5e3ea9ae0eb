package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	mevents "github.com/moby/moby/api/types/events"

	"github.com/geedocker/geedocker/internal/events"
	"github.com/geedocker/geedocker/internal/logs"
)

// getEvents is GET /events: the recorded events from since to until, then, unless until
// has passed, each new one as it is recorded, one JSON object each, flushed at once.
func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := time.Now()
	var since, until time.Time
	for _, p := range []struct {
		name string
		into *time.Time
	}{{"since", &since}, {"until", &until}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := logs.ParseSince(v, now)
		if err != nil {
			writeError(w, badRequest(err))
			return
		}
		*p.into = t
	}
	if !until.IsZero() && until.Before(since) {
		writeError(w, badRequest(fmt.Errorf("`since` time (%s) cannot be after `until` time (%s)", q.Get("since"), q.Get("until"))))
		return
	}
	f, err := parseFilters(q.Get("filters"))
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	ef := events.Filter(f)
	if err := ef.Validate(); err != nil {
		writeError(w, badRequest(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fw := flushWriter{w}
	fw.Write(nil) // the headers go out now: the client waits for them
	enc := json.NewEncoder(fw)
	s.Engine.Events().Read(r.Context(), since, until, func(m events.Message) error {
		if !ef.Include(m) {
			return nil
		}
		out := legacyMessage{Message: mevents.Message{
			Type: mevents.Type(m.Type), Action: mevents.Action(m.Action),
			Actor: mevents.Actor{ID: m.Actor.ID, Attributes: m.Actor.Attributes},
			Scope: m.Scope, Time: m.Time, TimeNano: m.TimeNano,
		}}
		if m.Type == events.Container || m.Type == events.Image {
			out.Status, out.ID = m.Action, m.Actor.ID
			if m.Type == events.Container {
				out.From = m.Actor.Attributes["image"]
			}
		}
		return enc.Encode(out)
	})
}

// legacyMessage is an event with the fields that dockerd sent up to API 1.51 for
// container and image events (status, id, from), which clients of those versions may
// still read; moby's api module no longer has them.
type legacyMessage struct {
	Status string `json:"status,omitempty"`
	ID     string `json:"id,omitempty"`
	From   string `json:"from,omitempty"`
	mevents.Message
}
