package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
)

// build is POST /build, the classic builder's endpoint (what
// `DOCKER_BUILDKIT=0 docker build` calls): the body is the context as a
// tar, plain or compressed; the progress goes out as JSON lines,
// {"stream": …}, then {"aux": {"ID": …}}, or an error line.
func (s *Server) build(w http.ResponseWriter, r *http.Request) {
	o, quiet, err := buildOptions(r)
	if err != nil {
		drain(r.Body)
		writeError(w, badRequest(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	jl := &jsonLines{w: w}
	out := &streamWriter{jl: jl}
	if !quiet {
		o.Out = out
	} else {
		o.Out = io.Discard
	}
	o.ContextTar = r.Body
	o.PullImage = func(ctx2 context.Context, name string) error {
		ref, err := reference.Parse(name)
		if err != nil {
			return err
		}
		po := engine.PullOptions{}
		if !quiet {
			po.Progress = func(p engine.Progress) {
				m := jsonstream.Message{ID: p.ID, Status: p.Status}
				if p.Total > 0 && p.Status == "Downloading" {
					m.Progress = &jsonstream.Progress{Current: p.Current, Total: p.Total}
				}
				jl.send(m)
			}
		}
		_, err = s.Engine.Pull(ctx2, ref, po)
		return err
	}
	id, err := s.Engine.Build(r.Context(), o)
	if err != nil {
		line := errorLine(err)
		var re *engine.BuildRunError
		if errors.As(err, &re) {
			line.Error.Code = re.Code
		}
		jl.send(line)
		return
	}
	aux, _ := json.Marshal(build.Result{ID: id})
	raw := json.RawMessage(aux)
	jl.send(jsonstream.Message{Aux: &raw})
	if quiet {
		jl.send(jsonstream.Message{Stream: id + "\n"})
		return
	}
	jl.send(jsonstream.Message{Stream: fmt.Sprintf("Successfully built %s\n", strings.TrimPrefix(id, "sha256:")[:12])})
	for _, t := range o.Tags {
		jl.send(jsonstream.Message{Stream: fmt.Sprintf("Successfully tagged %s\n", t.Familiar())})
	}
}

// buildOptions reads the query of POST /build; quiet is q.
func buildOptions(r *http.Request) (o engine.BuildOptions, quiet bool, err error) {
	q := r.URL.Query()
	o = engine.BuildOptions{DockerfileName: q.Get("dockerfile"), Target: q.Get("target"),
		NoCache: boolParam(r, "nocache"), Pull: boolParam(r, "pull"),
		BuildArgs: map[string]string{}, Labels: map[string]string{}}
	if q.Get("remote") != "" {
		return o, false, errors.New("a remote build context is not supported: send the context as the body")
	}
	for _, t := range q["t"] {
		ref, err := reference.ParseName(t)
		if err != nil {
			return o, false, fmt.Errorf("invalid reference format: %q: %w", t, err)
		}
		o.Tags = append(o.Tags, ref)
	}
	if v := q.Get("buildargs"); v != "" {
		args := map[string]*string{}
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			return o, false, fmt.Errorf("invalid buildargs: %w", err)
		}
		for k, p := range args {
			if p != nil { // a name alone, unset on the client, is dropped as Docker drops it
				o.BuildArgs[k] = *p
			}
		}
	}
	if v := q.Get("labels"); v != "" {
		if err := json.Unmarshal([]byte(v), &o.Labels); err != nil {
			return o, false, fmt.Errorf("invalid labels: %w", err)
		}
	}
	switch n := q.Get("networkmode"); n {
	case "", "default", "bridge":
	case "none", "host":
		o.Network = n
	default:
		return o, false, fmt.Errorf("network mode %q not supported by the builder (use default, none or host)", n)
	}
	return o, boolParam(r, "q"), nil
}

// streamWriter sends what the builder prints as {"stream": …} lines.
type streamWriter struct {
	mu sync.Mutex
	jl *jsonLines
}

func (s *streamWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jl.send(jsonstream.Message{Stream: string(p)})
	return len(p), nil
}
