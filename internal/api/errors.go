package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/geedocker/geedocker/internal/container"
	"github.com/geedocker/geedocker/internal/engine"
)

// httpError is an error with the status it is answered with.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func badRequest(err error) error { return &httpError{http.StatusBadRequest, err} }
func notFound(err error) error   { return &httpError{http.StatusNotFound, err} }
func conflict(err error) error   { return &httpError{http.StatusConflict, err} }

// statusOf maps an engine error to Docker's status: the engine's error
// classes first; 500 for everything else (an engine fault).
func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, container.ErrNotFound), errors.Is(err, engine.ErrNoSuchImage),
		errors.Is(err, engine.ErrNoSuchNetwork):
		return http.StatusNotFound
	case errors.Is(err, container.ErrNameInUse), errors.Is(err, engine.ErrConflict),
		errors.Is(err, engine.ErrNotRunning):
		return http.StatusConflict
	case errors.Is(err, container.ErrAmbiguous):
		return http.StatusBadRequest
	}
	// The engine words some conflicts without a class yet.
	if msg := err.Error(); strings.Contains(msg, "container is running") || strings.Contains(msg, "is in use") ||
		strings.Contains(msg, "already exists") {
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// userError marks an error of a use case whose failures are the request's
// fault unless the engine classed them (create, network create): 400.
func userError(err error) error {
	if statusOf(err) != http.StatusInternalServerError {
		return err
	}
	return badRequest(err)
}
