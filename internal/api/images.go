package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ctypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/storage"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/reference"
	"github.com/geedocker/geedocker/internal/registry"
)

func (s *Server) imageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /images/json", s.listImages)
	mux.HandleFunc("POST /images/create", s.pullImage)
	// Names hold slashes: /images/127.0.0.1:5000/team/app:v1/json.
	mux.HandleFunc("/images/", s.imageByName)
}

func (s *Server) listImages(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilters(r.URL.Query().Get("filters"))
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	fl, err := s.newImageFilter(f)
	if err != nil {
		writeError(w, err)
		return
	}
	sums, err := s.Engine.Images()
	if err != nil {
		writeError(w, err)
		return
	}
	out := []image.Summary{}
	for _, sum := range sums {
		labels := s.imageLabels(sum)
		if !fl.match(sum, labels) {
			continue
		}
		is := image.Summary{ID: sum.Image.ID, Created: sum.Image.Created.Unix(), Size: sum.Image.Size,
			Containers: -1, SharedSize: -1, RepoTags: []string{}, RepoDigests: []string{}, Labels: labels()}
		for _, t := range sum.RepoTags {
			is.RepoTags = append(is.RepoTags, t.Familiar())
		}
		for _, d := range sum.RepoDigests {
			is.RepoDigests = append(is.RepoDigests, d.Familiar())
		}
		out = append(out, is)
	}
	writeJSON(w, http.StatusOK, out)
}

// imageByName dispatches /images/{name}/json, /images/{name}/tag and
// DELETE /images/{name}.
func (s *Server) imageByName(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/images/")
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(rest, "/json"):
		s.inspectImage(w, r, strings.TrimSuffix(rest, "/json"))
	case r.Method == http.MethodGet && strings.HasSuffix(rest, "/history"):
		s.imageHistory(w, r, strings.TrimSuffix(rest, "/history"))
	case r.Method == http.MethodPost && strings.HasSuffix(rest, "/tag"):
		s.tagImage(w, r, strings.TrimSuffix(rest, "/tag"))
	case r.Method == http.MethodDelete && rest != "":
		s.removeImage(w, r, rest)
	default:
		writeError(w, notFound(errors.New("page not found")))
	}
}

func (s *Server) inspectImage(w http.ResponseWriter, r *http.Request, name string) {
	ii, err := s.Engine.InspectImage(name)
	if err != nil {
		writeError(w, err)
		return
	}
	out := image.InspectResponse{
		ID: ii.ID, RepoTags: ii.RepoTags, RepoDigests: ii.RepoDigests, Comment: ii.Comment,
		Created: ii.Created, Author: ii.Author, Architecture: ii.Architecture, Variant: ii.Variant,
		Os: ii.Os, Size: ii.Size, RootFS: image.RootFS{Type: ii.RootFS.Type, Layers: ii.RootFS.Layers},
		GraphDriver: &storage.DriverData{Name: "overlay2", Data: map[string]string{}},
	}
	// The image config's JSON names are Docker's: carry it over as it is.
	cfg := &dockerspec.DockerOCIImageConfig{}
	if b, err := json.Marshal(ii.Config); err == nil && json.Unmarshal(b, cfg) == nil {
		out.Config = cfg
	}
	// ContainerConfig, which API 1.45 dropped, is kept (empty) for every
	// version: docker-compose 1.29.2 negotiates the newest version and reads
	// its Volumes when it recreates a container (against Docker 25 and later
	// it fails there with KeyError: 'ContainerConfig').
	writeJSON(w, http.StatusOK, legacyImageInspect{InspectResponse: out, ContainerConfig: &ctypes.Config{}})
}

// legacyImageInspect is an image's inspect document with the field that
// API 1.45 removed.
type legacyImageInspect struct {
	image.InspectResponse
	ContainerConfig *ctypes.Config `json:"ContainerConfig"`
}

func (s *Server) imageHistory(w http.ResponseWriter, r *http.Request, name string) {
	entries, err := s.Engine.History(name)
	if err != nil {
		writeError(w, err)
		return
	}
	out := []image.HistoryResponseItem{}
	for _, h := range entries {
		out = append(out, image.HistoryResponseItem{ID: h.ID, Created: h.Created.Unix(), CreatedBy: h.CreatedBy,
			Size: h.Size, Comment: h.Comment, Tags: []string{}})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) tagImage(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	target := q.Get("repo")
	if target == "" {
		writeError(w, badRequest(errors.New("repository name (repo parameter) is required")))
		return
	}
	if t := q.Get("tag"); t != "" {
		target += ":" + t
	}
	if _, err := reference.ParseName(target); err != nil {
		writeError(w, badRequest(err))
		return
	}
	if err := s.Engine.Tag(name, target); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) removeImage(w http.ResponseWriter, r *http.Request, name string) {
	res, err := s.Engine.RemoveImage(name, boolParam(r, "force"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, deleteResponses(res))
}

// deleteResponses turns rmi's lines ("Untagged: …", "Deleted: …") into
// Docker's list.
func deleteResponses(res engine.RemoveResult) []image.DeleteResponse {
	out := []image.DeleteResponse{}
	for _, line := range res {
		switch k, v, _ := strings.Cut(line, ": "); strings.ToLower(k) { // rmi's lines, or prune's
		case "untagged":
			out = append(out, image.DeleteResponse{Untagged: v})
		case "deleted":
			out = append(out, image.DeleteResponse{Deleted: v})
		}
	}
	return out
}

// pullImage is POST /images/create?fromImage=…&tag=…: a pull whose progress
// goes out as JSON lines, as dockerd's. Errors before the first line are
// plain errors; later ones are an error line.
func (s *Server) pullImage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("fromImage")
	if name == "" {
		writeError(w, badRequest(errors.New("import from a source (fromSrc) is not supported: give fromImage")))
		return
	}
	if tag := q.Get("tag"); tag != "" {
		if strings.HasPrefix(tag, "sha256:") {
			name += "@" + tag
		} else {
			name += ":" + tag
		}
	}
	ref, err := reference.Parse(name)
	if err != nil {
		writeError(w, badRequest(err))
		return
	}
	po := engine.PullOptions{}
	if p := q.Get("platform"); p != "" {
		pl, err := registry.ParsePlatform(p)
		if err != nil {
			writeError(w, badRequest(err))
			return
		}
		po.Platform = &pl
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	jl := &jsonLines{w: w}
	what := ref.Tag
	if ref.Digest != "" {
		what = ref.Digest
	}
	jl.send(jsonstream.Message{Status: "Pulling from " + ref.Path, ID: what})
	po.Progress = func(p engine.Progress) {
		m := jsonstream.Message{ID: p.ID, Status: p.Status}
		if p.Total > 0 && p.Status == "Downloading" {
			m.Progress = &jsonstream.Progress{Current: p.Current, Total: p.Total}
		}
		jl.send(m)
	}
	res, err := s.Engine.Pull(r.Context(), ref, po)
	if err != nil {
		jl.send(jsonstream.Message{Error: &jsonstream.Error{Message: err.Error()}})
		return
	}
	jl.send(jsonstream.Message{Status: "Digest: " + res.Digest})
	if res.Updated {
		jl.send(jsonstream.Message{Status: fmt.Sprintf("Status: Downloaded newer image for %s", ref.Familiar())})
	} else {
		jl.send(jsonstream.Message{Status: fmt.Sprintf("Status: Image is up to date for %s", ref.Familiar())})
	}
}

// jsonLines writes one JSON document a line and flushes it.
type jsonLines struct {
	mu sync.Mutex
	w  http.ResponseWriter
}

func (j *jsonLines) send(v any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	b, _ := json.Marshal(v)
	j.w.Write(append(b, '\n'))
	if f, ok := j.w.(http.Flusher); ok {
		f.Flush()
	}
}
