package runc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Status of a container, as runc names it.
type Status string

const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

// OCIVersion is the runtime-spec version this runtime reports in its state.
var OCIVersion = specs.Version

// DefaultRoot is where container state lives when no --root is given.
const DefaultRoot = "/run/geedocker-runc"

// Errors a caller (the CLI) may tell apart.
var (
	ErrNotExist   = errors.New("container does not exist")
	ErrExist      = errors.New("container with given ID already exists")
	ErrInvalidID  = errors.New("invalid container ID format")
	ErrNotRunning = errors.New("container not running")
	ErrBadStatus  = errors.New("container is in the wrong state")
)

// Record is what the runtime keeps of a container in <root>/<id>/state.json, written once at
// create, atomically.
type Record struct {
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	StartTime   uint64            `json:"startTime"` // of the init, from /proc/<pid>/stat, in clock ticks
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	CgroupPath  string            `json:"cgroupPath,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	// SharedMountNS: the spec has no mount namespace; the container's mounts are in the
	// runtime's, under Rootfs, until delete detaches them.
	SharedMountNS bool `json:"sharedMountNS,omitempty"`
}

// State is runc's JSON of `state` and of the hooks' stdin (a superset of the OCI state).
type State struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      Status            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"` // empty in `state`; `list` fills it in, as runc
}

// State is the record seen with a status; the pid is 0 once stopped, as with runc.
func (r *Record) State(st Status) State {
	s := State{OCIVersion: OCIVersion, ID: r.ID, Pid: r.Pid, Status: st, Bundle: r.Bundle,
		Rootfs: r.Rootfs, Created: r.Created, Annotations: r.Annotations}
	if st == Stopped {
		s.Pid = 0
	}
	return s
}

var idPattern = regexp.MustCompile(`^[\w+\-.]+$`)

// CheckID accepts a container ID runc accepts: letters, digits, '_', '+', '-' and '.', not
// "." or "..".
func CheckID(id string) error {
	if !idPattern.MatchString(id) || id == "." || id == ".." || len(id) > 1024 {
		return fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	return nil
}

// Store is the state directory of a runtime (--root).
type Store struct{ Root string }

func (s Store) dir(id string) string { return filepath.Join(s.Root, id) }

// gatePath is the start gate of a created container.
func (s Store) gatePath(id string) string { return filepath.Join(s.dir(id), "exec.fifo") }

// Load reads the record of id; ErrNotExist when there is none.
func (s Store) Load(id string) (*Record, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(s.dir(id), "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s: %w", id, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("reading state of %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("reading state of %s: %w", id, err)
	}
	return &r, nil
}

// Save writes the record atomically: a temporary file, synced, renamed over state.json.
func (s Store) Save(r *Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding state of %s: %w", r.ID, err)
	}
	return writeFileAtomic(filepath.Join(s.dir(r.ID), "state.json"), b, 0o600)
}

// IDs lists the containers that have a record, sorted.
func (s Store) IDs() ([]string, error) {
	entries, err := os.ReadDir(s.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && CheckID(e.Name()) == nil {
			if _, err := os.Stat(filepath.Join(s.dir(e.Name()), "state.json")); err == nil {
				ids = append(ids, e.Name())
			}
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// writeFileAtomic writes data to path through a temporary file in the same directory.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	ok = true
	return nil
}

// LoadSpec reads <bundle>/config.json.
func LoadSpec(bundle string) (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the bundle's config: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading the bundle's config: %w", err)
	}
	if s.Root == nil || s.Process == nil {
		return nil, fmt.Errorf("reading the bundle's config: root and process are required")
	}
	return &s, nil
}
