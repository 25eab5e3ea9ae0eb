package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	ctypes "github.com/moby/moby/api/types/container"

	"github.com/geedocker/geedocker/internal/copyfs"
)

// The archive endpoints are what `docker cp` uses: HEAD stats a path, GET
// sends it as a tar, PUT unpacks a tar into a directory. The stat goes in
// the X-Docker-Container-Path-Stat header, base64 JSON, as dockerd's.

var errEmptyPath = errors.New("path cannot be empty")

const pathStatHeader = "X-Docker-Container-Path-Stat"

// setPathStat stats the path of the request and puts it in the header;
// false when an error answer was sent.
func (s *Server) setPathStat(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Query().Get("path")
	if p == "" {
		writeError(w, badRequest(errEmptyPath))
		return false
	}
	st, err := s.Engine.StatPath(r.Context(), r.PathValue("id"), p, false, s.GlobalArgs)
	if err != nil {
		writeError(w, err)
		return false
	}
	b, err := json.Marshal(ctypes.PathStat{Name: st.Name, Size: st.Size, Mode: st.Mode, Mtime: st.Mtime, LinkTarget: st.LinkTarget})
	if err != nil {
		writeError(w, err)
		return false
	}
	w.Header().Set(pathStatHeader, base64.StdEncoding.EncodeToString(b))
	return true
}

func (s *Server) statArchive(w http.ResponseWriter, r *http.Request) {
	if s.setPathStat(w, r) {
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) getArchive(w http.ResponseWriter, r *http.Request) {
	if !s.setPathStat(w, r) {
		return
	}
	lw := &lateHeader{w: w, ctype: "application/x-tar"}
	err := s.Engine.ArchivePath(r.Context(), r.PathValue("id"), r.URL.Query().Get("path"), s.GlobalArgs, lw)
	if err != nil && !lw.started {
		w.Header().Del(pathStatHeader)
		writeError(w, err)
	}
}

// putArchive is PUT /containers/{id}/archive?path=DIR&noOverwriteDirNonDir=…
// &copyUIDGID=…: without copyUIDGID the files become root's, as dockerd
// makes them.
func (s *Server) putArchive(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Query().Get("path")
	if p == "" {
		writeError(w, badRequest(errEmptyPath))
		return
	}
	o := copyfs.ExtractOptions{NoOverwriteDirNonDir: boolParam(r, "noOverwriteDirNonDir"), RootOwned: !boolParam(r, "copyUIDGID")}
	if err := s.Engine.ExtractPath(r.Context(), r.PathValue("id"), p, o, s.GlobalArgs, r.Body); err != nil {
		drain(r.Body)
		writeError(w, userError(err))
		return
	}
	w.WriteHeader(http.StatusOK)
}
