package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
)

// imageOutRoutes serves the image workshop: build, commit, push, save,
// load, and a container's export, changes and archive (docker cp).
func (s *Server) imageOutRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /build", s.build)
	mux.HandleFunc("POST /commit", s.commit)
	mux.HandleFunc("GET /images/get", s.saveImages)
	mux.HandleFunc("POST /images/load", s.loadImages)
	// /images/{name}/push and /images/{name}/get: names hold slashes, so
	// these catch every GET and POST under /images/ and hand the rest on.
	mux.HandleFunc("GET /images/", s.imageOutByName)
	mux.HandleFunc("POST /images/", s.imageOutByName)
	mux.HandleFunc("GET /containers/{id}/export", s.exportContainer)
	mux.HandleFunc("GET /containers/{id}/changes", s.containerChanges)
	mux.HandleFunc("HEAD /containers/{id}/archive", s.statArchive)
	mux.HandleFunc("GET /containers/{id}/archive", s.getArchive)
	mux.HandleFunc("PUT /containers/{id}/archive", s.putArchive)
}

func (s *Server) imageOutByName(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/images/")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(rest, "/push"):
		s.pushImage(w, r, strings.TrimSuffix(rest, "/push"))
	case r.Method == http.MethodGet && strings.HasSuffix(rest, "/get"):
		s.writeImages(w, r, []string{strings.TrimSuffix(rest, "/get")})
	default:
		s.imageByName(w, r)
	}
}

// pushAux is the last line of a push, as dockerd sends it.
type pushAux struct {
	Tag    string
	Digest string
	Size   int
}

// pushImage is POST /images/{name}/push?tag=…, with the credentials of
// X-Registry-Auth when it has any, else those of the Docker config file.
func (s *Server) pushImage(w http.ResponseWriter, r *http.Request, name string) {
	if tag := r.URL.Query().Get("tag"); tag != "" {
		name += ":" + tag
	}
	ref, err := reference.Parse(name)
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	auth, err := registryAuth(r.Header.Get("X-Registry-Auth"))
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	if _, _, err := s.Engine.Lookup(ref.String()); err != nil {
		writeError(w, notFound(fmt.Errorf("An image does not exist locally with the tag: %s", ref.FamiliarName())))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	jl := &jsonLines{w: w}
	jl.send(jsonstream.Message{Status: fmt.Sprintf("The push refers to repository [%s]", ref.Name())})
	last := map[string]string{}
	o := engine.PushOptions{Auth: auth, Progress: func(p engine.Progress) {
		if p.Status == engine.StatusPushing || last[p.ID] == p.Status {
			return
		}
		last[p.ID] = p.Status
		jl.send(jsonstream.Message{ID: p.ID, Status: p.Status, Progress: &jsonstream.Progress{}})
	}}
	res, err := s.Engine.Push(r.Context(), ref, o)
	if err != nil {
		jl.send(errorLine(err))
		return
	}
	jl.send(jsonstream.Message{Status: fmt.Sprintf("%s: digest: %s size: %d", ref.Tag, res.Digest, res.Size)})
	aux, _ := json.Marshal(pushAux{Tag: ref.Tag, Digest: res.Digest, Size: res.Size})
	raw := json.RawMessage(aux)
	jl.send(jsonstream.Message{Progress: &jsonstream.Progress{}, Aux: &raw})
}

// registryAuth decodes X-Registry-Auth (base64url JSON of an AuthConfig,
// padded or not); nil when it names no credential.
func registryAuth(h string) (authn.Authenticator, error) {
	if h == "" {
		return nil, nil
	}
	b, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		if b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(h, "=")); err != nil {
			return nil, errors.New("invalid X-Registry-Auth header: not base64")
		}
	}
	var ac registry.AuthConfig
	if err := json.Unmarshal(b, &ac); err != nil {
		return nil, fmt.Errorf("invalid X-Registry-Auth header: %w", err)
	}
	if ac.Username == "" && ac.Password == "" && ac.Auth == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return nil, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
		IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}), nil
}

// errorLine is the last line of a stream that failed: dockerd sends the
// message twice, as "error" (what old clients read) and "errorDetail".
type errorMessage struct {
	jsonstream.Message
	ErrorMessage string `json:"error,omitempty"`
}

func errorLine(err error) errorMessage {
	return errorMessage{Message: jsonstream.Message{Error: &jsonstream.Error{Message: err.Error()}}, ErrorMessage: err.Error()}
}

// saveImages is GET /images/get?names=…&names=…: one archive of them all.
func (s *Server) saveImages(w http.ResponseWriter, r *http.Request) {
	names := r.URL.Query()["names"]
	if len(names) == 0 {
		writeError(w, badRequest(errors.New("no images to save: give names")))
		return
	}
	s.writeImages(w, r, names)
}

// writeImages sends the archive of names (`docker save`).
func (s *Server) writeImages(w http.ResponseWriter, r *http.Request, names []string) {
	for _, n := range names { // a missing image is a 404, before any byte
		if _, _, err := s.Engine.Lookup(n); err != nil {
			writeError(w, err)
			return
		}
	}
	lw := &lateHeader{w: w, ctype: "application/x-tar"}
	if err := s.Engine.Save(r.Context(), names, lw); err != nil && !lw.started {
		writeError(w, err)
	}
}

// lateHeader sends 200 and its content type with the first byte, so that
// an error before it is still an error response.
type lateHeader struct {
	w       http.ResponseWriter
	ctype   string
	started bool
}

func (l *lateHeader) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", l.ctype)
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// loadImages is POST /images/load?quiet=…: the archive is the body; what
// was loaded goes out as JSON lines ({"stream": "Loaded image: …\n"}).
func (s *Server) loadImages(w http.ResponseWriter, r *http.Request) {
	loaded, err := s.Engine.Load(r.Context(), r.Body)
	if err != nil {
		writeError(w, userError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	jl := &jsonLines{w: w}
	for _, im := range loaded {
		if len(im.Tags) == 0 {
			jl.send(jsonstream.Message{Stream: fmt.Sprintf("Loaded image ID: %s\n", im.ID)})
		}
		for _, t := range im.Tags {
			jl.send(jsonstream.Message{Stream: fmt.Sprintf("Loaded image: %s\n", t.FamiliarTagged())})
		}
	}
}

// commit is POST /commit?container=…&repo=…&tag=…&comment=…&author=…&
// pause=…&changes=…; the body (a container config) is not supported beyond
// what changes say.
func (s *Server) commit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o := engine.CommitOptions{Message: q.Get("comment"), Author: q.Get("author"), Changes: q["changes"], Pause: true}
	if q.Has("pause") {
		o.Pause = boolParam(r, "pause")
	}
	if repo := q.Get("repo"); repo != "" {
		name := repo
		if tag := q.Get("tag"); tag != "" {
			name += ":" + tag
		}
		ref, err := reference.ParseName(name)
		if err != nil {
			writeError(w, badRequest(err))
			return
		}
		o.Ref = &ref
	}
	for _, ch := range o.Changes {
		if err := engine.ApplyChange(&v1.Config{}, ch); err != nil {
			writeError(w, badRequest(err))
			return
		}
	}
	id, err := s.Engine.Commit(r.Context(), q.Get("container"), o)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, ctypes.CommitResponse{ID: id})
}

// exportContainer is GET /containers/{id}/export: the container's file
// system as a tar.
func (s *Server) exportContainer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.Engine.Container(id); err != nil {
		writeError(w, err)
		return
	}
	lw := &lateHeader{w: w, ctype: "application/x-tar"}
	if err := s.Engine.Export(r.Context(), id, lw); err != nil && !lw.started {
		writeError(w, err)
	}
}

// containerChanges is GET /containers/{id}/changes (`docker diff`).
func (s *Server) containerChanges(w http.ResponseWriter, r *http.Request) {
	changes, err := s.Engine.Changes(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	out := []ctypes.FilesystemChange{}
	for _, c := range changes {
		k := ctypes.ChangeModify
		switch c.Kind {
		case "A":
			k = ctypes.ChangeAdd
		case "D":
			k = ctypes.ChangeDelete
		}
		out = append(out, ctypes.FilesystemChange{Kind: k, Path: c.Path})
	}
	writeJSON(w, http.StatusOK, out)
}

// drain reads what is left of a body, so that a client still sending gets
// the answer rather than a broken pipe.
func drain(r io.Reader) { io.Copy(io.Discard, io.LimitReader(r, 64<<20)) }
