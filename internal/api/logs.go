package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/moby/moby/api/types"
	"github.com/moby/moby/api/types/common"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/logs"
)

// logOptions reads the query of GET /containers/{id}/logs.
func logOptions(r *http.Request, now time.Time) (logs.ReadOptions, error) {
	q := r.URL.Query()
	o := logs.ReadOptions{Follow: boolParam(r, "follow"), Timestamps: boolParam(r, "timestamps"), Tail: -1}
	if t := q.Get("tail"); t != "" && t != "all" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return o, errors.New("invalid value for tail: " + strconv.Quote(t))
		}
		o.Tail = n
	}
	for _, p := range []struct {
		name string
		into *time.Time
	}{{"since", &o.Since}, {"until", &o.Until}} {
		v := q.Get(p.name)
		if v == "" || v == "0" {
			continue
		}
		t, err := logs.ParseSince(v, now)
		if err != nil {
			return o, err
		}
		*p.into = t
	}
	return o, nil
}

func (s *Server) containerLogs(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if !boolParam(r, "stdout") && !boolParam(r, "stderr") {
		writeError(w, badRequest(errors.New("you must choose at least one stream")))
		return
	}
	o, err := logOptions(r, time.Now())
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	if _, _, err := s.Engine.LogFile(c); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, engine.ErrLogNotReadable) {
			status = http.StatusNotImplemented // Docker's answer
		}
		writeJSON(w, status, common.ErrorResponse{Message: err.Error()})
		return
	}
	ctype := types.MediaTypeMultiplexedStream
	if c.Config.Tty {
		ctype = types.MediaTypeRawStream
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	fw := flushWriter{w}
	stdout, stderr := outputs(fw, c.Config.Tty, boolParam(r, "stdout"), boolParam(r, "stderr"))
	if c.Config.Tty && !boolParam(r, "stdout") {
		stdout = nil
	}
	var done <-chan struct{}
	if o.Follow {
		done = s.Engine.Exited(c)
	}
	// Errors after the headers cannot be answered; the stream just ends.
	s.Engine.ReadLogs(r.Context(), c, o, stdout, stderr, done)
}

// flushWriter flushes each write, for streams that a client reads as they come.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}
