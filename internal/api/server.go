// Package api serves the Docker Engine API over GeeDocker's engine, as
// `geedocker serve` runs it. The server is an optional process over the same
// store, container records and monitors as the CLI: it holds no state of its
// own that outlives it but exec sessions and attach requests in flight, so
// killing it loses nothing and a restarted server sees everything again.
//
// Request and response shapes are Docker's, from github.com/moby/moby/api;
// this package only maps them to and from the engine's use cases. Paths are
// served with and without a version prefix (/v1.41/containers/json).
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/common"

	"github.com/geedocker/geedocker/internal/engine"
)

// APIVersion is the newest Engine API version served: that of the types
// this package is built with. Clients negotiate down to it.
const APIVersion = "1.57"

// MinAPIVersion is the oldest version a client may ask for, as dockerd's.
const MinAPIVersion = "1.24"

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// Server answers Engine API requests with an engine.
type Server struct {
	Engine *engine.Engine
	// GlobalArgs are the flags a container's monitor needs to find the same
	// store (--root, --config-file).
	GlobalArgs []string
	// Version is GeeDocker's version, shown by /version and /info.
	Version string

	mu       sync.Mutex
	runs     map[string]*run          // containers started (or to be started) by this server
	removals map[string]chan struct{} // waiters for a container's removal
	execs    map[string]*execSession
	execDone map[string]chan struct{} // closed when an exec's process has ended
}

// New returns a server over e.
func New(e *engine.Engine, globalArgs []string, version string) *Server {
	return &Server{Engine: e, GlobalArgs: globalArgs, Version: version,
		runs: map[string]*run{}, removals: map[string]chan struct{}{}, execs: map[string]*execSession{}, execDone: map[string]chan struct{}{}}
}

var versionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+/`)

// Handler routes every endpoint; a version prefix is accepted and dropped.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.systemRoutes(mux)
	s.imageRoutes(mux)
	s.containerRoutes(mux)
	s.execRoutes(mux)
	s.networkRoutes(mux)
	s.volumeRoutes(mux)
	s.pruneRoutes(mux)
	s.imageOutRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, notFound(errors.New("page not found")))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", APIVersion)
		w.Header().Set("Server", "GeeDocker/"+s.Version+" (linux)")
		w.Header().Set("OSType", "linux")
		if m := versionPrefix.FindString(r.URL.Path); m != "" {
			v := strings.Trim(m, "/v")
			if versionLess(v, MinAPIVersion) {
				writeError(w, badRequest(fmt.Errorf("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v, MinAPIVersion)))
				return
			}
			r.URL.Path = "/" + strings.TrimPrefix(r.URL.Path, m)
			r.URL.RawPath = ""
		}
		mux.ServeHTTP(w, r)
	})
}

// versionLess compares two "MAJOR.MINOR" versions.
func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	return am < bm || am == bm && an < bn
}

// writeJSON sends v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError sends err as Docker does: {"message": …} with its status.
func writeError(w http.ResponseWriter, err error) {
	writeJSON(w, statusOf(err), common.ErrorResponse{Message: err.Error()})
}

// readJSON decodes a bounded request body into v; an empty body leaves v
// as it is. Every failure is a bad request.
func readJSON(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, maxBody)
	b, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return badRequest(fmt.Errorf("request body larger than %d bytes", maxBody))
		}
		return badRequest(err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest(fmt.Errorf("invalid JSON: %w", err))
	}
	return nil
}

// boolParam reads a query flag as Docker does: "1", "true", "True" are true;
// absent, "0", "false", "" are false.
func boolParam(r *http.Request, name string) bool {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "", "0", "false", "no":
		return false
	}
	return true
}
